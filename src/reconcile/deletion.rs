//! A deleted object: its ECS objects cleaned up per its deletion policy, in its recorded account and region, then
//! its finalizer removed.

use std::time::Duration;

use kube::Api;
use kube::runtime::controller::Action;

use super::conditions::{self, ConditionUpdate, READY};
use super::failure::report_failure;
use super::{
    Cleanup, Context, Error, Managed, Note, backoff_key, count_readiness, events, exports,
    finalizer, status,
};
use crate::api::DeletionPolicy;
use crate::api::common::ConditionedStatus;

/// Handles a deleted object: cleanup per deletion policy, then the finalizer goes.
pub(super) async fn finalize<K: Managed>(
    api: &Api<K>,
    obj: &K,
    ctx: &Context,
) -> Result<(Action, &'static str), Error> {
    if !finalizer::has(obj) {
        return Ok((Action::await_change(), "ok"));
    }
    let placed = ctx.bindings.recorded(obj.status(), &ctx.accounts).await;
    let result = match placed.map(|placed| ctx.placed(placed)) {
        Err(err) => Err(err),
        Ok(ctx) => cleanup(obj, &ctx).await,
    };
    let generation = obj.meta().generation;
    let mut status = obj.status().cloned().unwrap_or_default();
    let now = conditions::now();
    match result {
        Ok(Cleanup::Done(notes)) => {
            exports::withdraw(ctx, obj).await?;
            events::publish(ctx, obj, &notes).await;
            finalizer::remove(api, obj).await?;
            ctx.backoff.succeeded(&backoff_key(obj));
            count_readiness(ctx, obj, None);
            Ok((Action::await_change(), "ok"))
        }
        Ok(Cleanup::Waiting(message)) => {
            conditions::set(
                status.conditions_mut(),
                &ConditionUpdate::new(READY, false, "Deleting", &message),
                generation,
                &now,
            );
            status::apply(api, obj, obj.status(), &status).await?;
            Ok((Action::requeue(Duration::from_secs(5)), "Deleting"))
        }
        Err(err) => {
            report_failure(api, obj, ctx, &err).await?;
            let base = err.retry_after().unwrap_or(Duration::from_secs(30));
            let delay = ctx.backoff.failed(&backoff_key(obj), base);
            Ok((Action::requeue(delay), err.reason()))
        }
    }
}

/// Cleans up ECS per the deletion policy, in the object's recorded account and region.
async fn cleanup<K: Managed>(obj: &K, ctx: &Context) -> Result<Cleanup, Error> {
    match obj.deletion_policy() {
        DeletionPolicy::Retain => obj.retain(ctx).await.map(|()| {
            Cleanup::Done(vec![Note::normal(
                "Retained",
                "deletionPolicy is Retain: the ECS object was left in place",
            )])
        }),
        DeletionPolicy::Delete => obj.cleanup(ctx).await,
    }
}
