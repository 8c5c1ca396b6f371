//! The one reconcile skeleton every kind runs on: finalizer, deletion policy, validation before any AWS call (the
//! checks every kind shares, such as a name the ownership tags can hold, then the kind's own),
//! conditions with `observedGeneration`, events, and status written only when it changed. Each kind supplies
//! its validation, its apply (plan, then act) and its cleanup through [`Managed`].

pub mod backoff;
pub mod bindings;
pub mod checkpoint;
pub mod conditions;
pub mod context;
mod deletion;
mod drift_clock;
pub mod error;
pub mod events;
pub mod exports;
pub mod failure;
pub mod finalizer;
pub mod lanes;
pub mod ownership;
pub mod placement;
pub mod publisher;
pub mod read_only;
pub mod shared;
pub mod status;

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::NamespaceResourceScope;
use kube::runtime::controller::Action;
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::api::DeletionPolicy;
use crate::api::common::ConditionedStatus;
use crate::api::region::SpecRegion;
use crate::ecs::priority::Priority;
use crate::shard::Verdict;
pub use checkpoint::Checkpoint;
use conditions::{ConditionUpdate, READY, SYNCED};
pub use context::Context;
pub use drift_clock::{drift_pass, drift_period, next_drift_check, since_drift_tick};
pub use error::Error;
pub use events::Note;
use failure::{is_repeat, record_failure, report_failure};
use placement::Placement;

/// The result of applying a spec to ECS.
pub struct Applied<S> {
    /// The kind's own status fields; its conditions are ignored and kept by the skeleton.
    pub status: S,
    /// `Ready` and any other condition the kind decides (`Synced` is the skeleton's).
    pub conditions: Vec<ConditionUpdate>,
    /// What was done, for Events.
    pub notes: Vec<Note>,
    /// When to look again; the drift interval when `None`.
    pub requeue: Option<Duration>,
}

/// The result of cleaning up ECS for a deleted object.
pub enum Cleanup {
    /// Nothing of ours is left in ECS; the finalizer can go.
    Done(Vec<Note>),
    /// Waiting for something (the message says what) before the finalizer can go.
    Waiting(String),
}

/// A kind the skeleton can reconcile.
pub trait Managed:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + SpecRegion
    + 'static
{
    type Status: ConditionedStatus + DeserializeOwned + Debug + 'static;

    /// The identities `spec.exportTo` writes: (key, JSON pointer into the status; `*` goes through a list).
    const EXPORTED: &'static [(&'static str, &'static str)];
    /// Why `ecsbridge.dev/read-only` is refused, for a kind that does not implement [`Managed::observe`].
    const READ_ONLY_REFUSAL: &'static str = read_only::NOT_BUILT;
    /// Whether the watches of everything this kind waits for (`DependencyNotReady`) wake its objects when that
    /// changes, so that their own retry is only a fallback (see [`Error::retry_after_for`]).
    const WOKEN_BY_REFERENCES: bool = false;

    fn status(&self) -> Option<&Self::Status>;
    fn deletion_policy(&self) -> DeletionPolicy;
    /// The ConfigMap `spec.exportTo` names.
    fn export_to(&self) -> Option<&str>;
    /// Checks what the schema cannot express, without any AWS call; the message names the field.
    fn validate(&self) -> Result<(), String>;
    /// Brings ECS to the spec: observe, plan, act. What must not be lost if a later step fails goes to status at
    /// once through `checkpoint`.
    fn apply(
        &self,
        ctx: &Context,
        checkpoint: &Checkpoint<'_, Self>,
    ) -> impl Future<Output = Result<Applied<Self::Status>, Error>> + Send;
    /// Reads the ECS object of this name without changing anything (`ecsbridge.dev/read-only`): its status, its
    /// readiness and where it differs from the spec; `None` when ECS has no such object. Kinds that do not
    /// implement it refuse the annotation, saying why ([`Managed::READ_ONLY_REFUSAL`]).
    fn observe(
        &self,
        _ctx: &Context,
    ) -> impl Future<Output = Result<Option<read_only::Observed<Self::Status>>, Error>> + Send {
        async { Err(read_only::unsupported::<Self>()) }
    }
    /// Fails with `DependencyNotReady` while an object this one refers to is missing or not Ready. Checked before
    /// the skeleton writes anything for the object (its finalizer, its placement), so that an object created
    /// together with what it refers to costs one status write while it waits, not three; none by default.
    fn waiting_for(&self, _ctx: &Context) -> impl Future<Output = Result<(), Error>> + Send {
        async { Ok(()) }
    }
    /// Removes from ECS what this object owns (only called with `deletionPolicy: Delete`).
    fn cleanup(&self, ctx: &Context) -> impl Future<Output = Result<Cleanup, Error>> + Send;

    /// Lets go of what this object owns in Kubernetes so that it outlives the object (only called with
    /// `deletionPolicy: Retain`); nothing by default.
    fn retain(&self, _ctx: &Context) -> impl Future<Output = Result<(), Error>> + Send {
        async { Ok(()) }
    }
}

/// Reconciles one object of any kind.
pub async fn reconcile<K: Managed>(obj: Arc<K>, ctx: Arc<Context>) -> Result<Action, Error> {
    let namespace = obj.namespace().unwrap_or_default();
    let span = tracing::info_span!("reconcile", kind = %K::kind(&()), namespace = %namespace, name = %obj.name_any());
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let started = std::time::Instant::now();
    let result = reconcile_object(&api, &obj, &ctx).instrument(span).await;
    let outcome = match &result {
        Ok((_, outcome)) => *outcome,
        Err(err) => err.reason(),
    };
    ctx.metrics
        .reconciled(&K::kind(&()), outcome, started.elapsed());
    result.map(|(action, _)| action)
}

/// `<namespace>/<name>` of an object.
fn object_key<K: Managed>(obj: &K) -> String {
    format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}

/// The key of an object in the per-object backoff.
pub(super) fn backoff_key<K: Managed>(obj: &K) -> String {
    backoff::key(
        &K::kind(&()),
        &obj.namespace().unwrap_or_default(),
        &obj.name_any(),
    )
}

/// Counts the object under its Ready status in the metrics (`None` once it is gone).
pub(super) fn count_readiness<K: Managed>(ctx: &Context, obj: &K, status: Option<&K::Status>) {
    let key = object_key(obj);
    let ready = status.map(|s| {
        s.conditions()
            .iter()
            .find(|c| c.type_ == READY)
            .map_or("Unknown", |c| c.status.as_str())
    });
    ctx.metrics.object_ready(&K::kind(&()), &key, ready);
}

async fn reconcile_object<K: Managed>(
    api: &Api<K>,
    obj: &Arc<K>,
    ctx: &Arc<Context>,
) -> Result<(Action, &'static str), Error> {
    if let Some(shard) = &ctx.shard {
        match shard.verdict(&obj.namespace().unwrap_or_default()) {
            Verdict::Owned => {}
            // The namespace just left this shard's selection: its controllers are being stopped.
            Verdict::NotOwned => return Ok((Action::await_change(), "NotOwned")),
            Verdict::Conflict(message) => {
                let err = Error::ShardConflict(message);
                report_failure(api, &**obj, ctx, &err).await?;
                return Ok((retry(ctx, &**obj, &err), err.reason()));
            }
        }
    }
    // The kinds' own futures are boxed: a reconcile that waits for a place of its lane, or is put back, then
    // holds a few hundred bytes instead of the tens of kilobytes of the largest kind's apply.
    if read_only::is_read_only(&**obj) {
        return Box::pin(read_only::reconcile(api, obj, ctx)).await;
    }
    if obj.meta().deletion_timestamp.is_some() {
        return Box::pin(deletion::finalize(api, obj, ctx)).await;
    }
    let generation = obj.meta().generation;
    // A user's change takes the urgent lane; the rest is background work, in a lane with half as many places.
    let urgent = lanes::is_users_change(obj.status(), generation);
    // Each account has lanes of its own, as it has its own ECS buckets: one account's backlog never holds
    // another's reconciles back.
    let lane = format!("{} in {}", K::kind(&()), lane_account(ctx, &**obj).await);
    let put_back = lanes::PutBack::of(&**obj);
    let place = match urgent {
        true => ctx.lanes.urgent(&lane, &put_back).await,
        false => ctx.lanes.background(&lane, &put_back).await,
    };
    // A put-back object is woken when a place of its lane frees (`Lanes::woken`); its next drift check stands in
    // for a wake a slow controller missed.
    let Some(_place) = place else {
        return Ok((
            Action::requeue(next_drift_check(ctx.drift_interval)),
            "Deferred",
        ));
    };
    let checkpoint = Checkpoint::new(api, &**obj);
    // A placement found for an object that then waits is shown with the wait, in the same status write.
    let mut unrecorded = None;
    let outcome = match prepare(ctx, &**obj).await {
        Err((err, placement)) => {
            unrecorded = placement;
            Err(err)
        }
        Ok(placed) => {
            // The finalizer comes before anything can be created in ECS, and not before: an object refused or
            // waiting has nothing there to clean up.
            if !finalizer::has(&**obj) {
                finalizer::add(api, obj).await?;
            }
            let applied = Box::pin(async {
                record_placement(&placed, &checkpoint).await?;
                obj.apply(&placed, &checkpoint).await
            });
            // The urgent lane's ECS calls also go first at the token buckets.
            match urgent {
                true => Priority::Urgent.scope(applied).await,
                false => applied.await,
            }
        }
    };
    let shown = checkpoint.current();
    let (account, region) = shown.placement();
    let (account, region) = (account.map(str::to_owned), region.map(str::to_owned));
    let outcome = match outcome {
        Ok(mut applied) => {
            applied
                .status
                .set_exported_to(shown.exported_to().map(str::to_owned));
            exports::publish(ctx, &**obj, &mut applied.status)
                .await
                .map(|()| applied)
        }
        Err(err) => Err(err),
    };
    let mut status = shown.clone();
    let now = conditions::now();
    let (action, result) = match outcome {
        Ok(applied) => {
            let kept = std::mem::take(status.conditions_mut());
            status = applied.status;
            *status.conditions_mut() = kept;
            status.set_placement(account, region);
            let synced = ConditionUpdate::new(SYNCED, true, "Applied", "ECS matches the spec");
            for update in std::iter::once(&synced).chain(&applied.conditions) {
                conditions::set(status.conditions_mut(), update, generation, &now);
            }
            events::publish(ctx, &**obj, &applied.notes).await;
            ctx.backoff.succeeded(&backoff_key(&**obj));
            (
                Action::requeue(
                    applied
                        .requeue
                        .unwrap_or_else(|| next_drift_check(ctx.drift_interval)),
                ),
                "ok",
            )
        }
        Err(err) => {
            if let Some(placement) = unrecorded {
                status.set_placement(Some(placement.account), Some(placement.region));
            }
            // A failure the object already shows gets no new Event and no status write.
            if !is_repeat(&status, &err, generation) {
                record_failure(&mut status, &err, generation, &now);
                if err.warns() {
                    let warning = Note::warning(err.reason(), err.to_string());
                    events::publish(ctx, &**obj, &[warning]).await;
                }
            }
            (retry(ctx, &**obj, &err), err.reason())
        }
    };
    // An object never placed (its account refused, its spec invalid) stays new: an observed generation without a
    // recorded account is what an object from before accounts shows, which lives in the operator's own account.
    if status.placement().0.is_some() || shown.observed_generation().is_some() {
        status.set_observed_generation(generation);
    }
    status::apply(api, obj, Some(&shown), &status).await?;
    count_readiness(ctx, &**obj, Some(&status));
    Ok((action, result))
}

/// The account whose lanes the object's reconcile takes: the one recorded in status, else the one its namespace
/// is bound to now (placement decides, and refuses a change, once the reconcile has a place).
async fn lane_account<K: Managed>(ctx: &Context, obj: &K) -> String {
    match obj.status().and_then(|s| s.placement().0) {
        Some(account) => account.to_owned(),
        None => {
            let namespace = obj.namespace().unwrap_or_default();
            ctx.bindings.binding(&namespace).await.account_name()
        }
    }
}

/// Checks the spec, places the object in its account and region and checks what it waits for, writing nothing:
/// the context of its reconcile there, or the failure with the placement found, if any.
async fn prepare<K: Managed>(
    ctx: &Context,
    obj: &K,
) -> Result<Context, (Error, Option<Placement>)> {
    let valid = ownership::check_owner_tag(obj).and_then(|()| obj.validate());
    valid.map_err(|message| (Error::InvalidSpec(message), None))?;
    let namespace = obj.namespace().unwrap_or_default();
    let placed = ctx
        .bindings
        .place(&namespace, obj.status(), obj.spec_region(), &ctx.accounts)
        .await
        .map_err(|err| (err, None))?;
    let placed = ctx.placed(placed);
    match obj.waiting_for(&placed).await {
        Ok(()) => Ok(placed),
        Err(err) => Err((err, placed.placement)),
    }
}

/// Records the object's account and region in status before anything is done there, the first time.
async fn record_placement<K: Managed>(
    placed: &Context,
    checkpoint: &Checkpoint<'_, K>,
) -> Result<(), Error> {
    let Some(placement) = &placed.placement else {
        return Ok(());
    };
    let (account, region) = (&placement.account, &placement.region);
    checkpoint
        .save(|status| status.set_placement(Some(account.clone()), Some(region.clone())))
        .await
}

/// When to try again after `err`: never before a change when the error says so, else after the error's own
/// delay, doubled for each failure of the object in a row.
fn retry<K: Managed>(ctx: &Context, obj: &K, err: &Error) -> Action {
    let after = err.retry_after_for(K::WOKEN_BY_REFERENCES);
    after.map_or_else(Action::await_change, |base| {
        Action::requeue(ctx.backoff.failed(&backoff_key(obj), base))
    })
}

/// Requeues after a failure that reconcile could not record in status (a Kubernetes API error), with the
/// object's backoff.
pub fn error_policy<K: Managed>(obj: Arc<K>, err: &Error, ctx: Arc<Context>) -> Action {
    tracing::warn!(kind = %K::kind(&()), name = %obj.name_any(), error = %err, "reconcile failed");
    retry(&ctx, &*obj, err)
}
