//! Observe-only objects (`ecsbridge.dev/read-only: "true"`): the ECS object of the name is read and shown in
//! status, with the fields where it differs from the spec (`status.drift`, condition `InSync`); nothing in AWS is
//! created, changed, tagged or deleted for them, also not when they are deleted. Removing the annotation hands the
//! object over to the normal path, and with it to the adoption rules.

use std::sync::Arc;

use kube::api::Api;
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};

use super::conditions::{self, ConditionUpdate, READY, SYNCED};
use super::{
    Context, Error, Managed, exports, finalizer, is_repeat, next_drift_check, record_failure,
    status,
};
use crate::api::common::{ConditionedStatus, Drift};

/// The annotation that makes an object observe-only.
pub const READ_ONLY: &str = "ecsbridge.dev/read-only";

/// The condition that says whether ECS matches the spec of a read-only object.
pub const IN_SYNC: &str = "InSync";

/// What a read-only look at ECS found.
pub struct Observed<S> {
    /// The kind's own status fields, from ECS.
    pub status: S,
    /// `Ready` (and any other condition of the kind, such as a service's `Progressing`) from what ECS reports.
    pub conditions: Vec<ConditionUpdate>,
    /// Where ECS differs from the spec.
    pub drift: Vec<Drift>,
}

/// Whether the object carries `ecsbridge.dev/read-only: "true"`.
pub fn is_read_only<K: Resource>(obj: &K) -> bool {
    obj.annotations()
        .get(READ_ONLY)
        .is_some_and(|v| v == "true")
}

/// The kinds that can be read-only.
pub const KINDS: &str =
    "EcsCluster, TaskDefinition, EcsService, CapacityProvider, EcsExpressService";

/// Why a kind observes nothing, unless it says otherwise ([`Managed::READ_ONLY_REFUSAL`]).
pub const NOT_BUILT: &str = "observe-only is not built for this kind yet";

/// Why a run (`EcsTask`, `EcsCronTask`) cannot be read-only.
pub const RUNS_LEAVE_NO_OBJECT: &str = "ECS has no lasting object of its name to observe, each run is a new task \
     named by its ARN (an EcsCronTask starts no runs with spec.suspend: true)";

/// The refusal of the kinds that cannot be read-only, with the kind's reason.
pub fn unsupported<K: Managed>() -> Error {
    Error::InvalidSpec(format!(
        "metadata.annotations[{READ_ONLY}]: {} objects cannot be read-only (only {KINDS} can): {}; remove the \
         annotation",
        K::kind(&()),
        K::READ_ONLY_REFUSAL
    ))
}

/// Reconciles a read-only object: reads ECS, writes status, never calls a write action of AWS.
pub async fn reconcile<K: Managed>(
    api: &Api<K>,
    obj: &Arc<K>,
    ctx: &Arc<Context>,
) -> Result<(Action, &'static str), Error> {
    if obj.meta().deletion_timestamp.is_some() {
        // Nothing of it is ours in AWS: a finalizer left from before the annotation just goes.
        if finalizer::has(&**obj) {
            exports::withdraw(ctx, &**obj).await?;
            finalizer::remove(api, obj).await?;
        }
        return Ok((Action::await_change(), "ok"));
    }
    let generation = obj.meta().generation;
    let shown = obj.status().cloned().unwrap_or_default();
    let mut status = shown.clone();
    let now = conditions::now();
    // Observed in the object's account and region, placed as any object is (recorded the first time).
    let namespace = obj.namespace().unwrap_or_default();
    let placed = ctx
        .bindings
        .place(&namespace, obj.status(), obj.spec_region(), &ctx.accounts)
        .await;
    let observed = match placed {
        Ok(placed) => {
            let placement = &placed.placement;
            status.set_placement(
                Some(placement.account.clone()),
                Some(placement.region.clone()),
            );
            obj.observe(&ctx.placed(placed)).await
        }
        Err(err) => Err(err),
    };
    let found = match observed {
        Ok(Some(mut observed)) => {
            observed
                .status
                .set_exported_to(shown.exported_to().map(str::to_owned));
            exports::publish(ctx, &**obj, &mut observed.status)
                .await
                .map(|()| Some(observed))
        }
        other => other,
    };
    let result = match found {
        Ok(Some(observed)) => {
            let kept = std::mem::take(status.conditions_mut());
            let (account, region) = status.placement();
            let (account, region) = (account.map(str::to_owned), region.map(str::to_owned));
            status = observed.status;
            *status.conditions_mut() = kept;
            status.set_placement(account, region);
            let in_sync = in_sync(&observed.drift);
            status.set_drift(observed.drift);
            let synced = ConditionUpdate::new(
                SYNCED,
                true,
                "Observed",
                "read-only: ECS was read; nothing in AWS is changed for this object",
            );
            for update in [&synced, &in_sync].into_iter().chain(&observed.conditions) {
                conditions::set(status.conditions_mut(), update, generation, &now);
            }
            "ok"
        }
        Ok(None) => {
            status.set_drift(Vec::new());
            let message = format!(
                "read-only: ECS has no {} {}; nothing is created for a read-only object",
                K::kind(&()),
                obj.name_any()
            );
            for type_ in [SYNCED, READY] {
                let update = ConditionUpdate::new(type_, false, "NotFound", &message);
                conditions::set(status.conditions_mut(), &update, generation, &now);
            }
            "NotFound"
        }
        Err(err) => {
            if !is_repeat(&status, &err, generation) {
                record_failure(&mut status, &err, generation, &now);
                let note = super::Note::warning(err.reason(), err.to_string());
                super::events::publish(ctx, &**obj, &[note]).await;
            }
            err.reason()
        }
    };
    // As on the normal path: an object never placed records no observed generation.
    if status.placement().0.is_some() || shown.observed_generation().is_some() {
        status.set_observed_generation(generation);
    }
    status::apply(api, obj, Some(&shown), &status).await?;
    Ok((
        Action::requeue(next_drift_check(ctx.drift_interval)),
        result,
    ))
}

/// `InSync`: True when ECS has every value the spec sets, else the fields that differ.
fn in_sync(drift: &[Drift]) -> ConditionUpdate {
    if drift.is_empty() {
        return ConditionUpdate::new(IN_SYNC, true, "InSync", "ECS has every value the spec sets");
    }
    let paths: Vec<&str> = drift.iter().map(|d| d.path.as_str()).collect();
    ConditionUpdate::new(
        IN_SYNC,
        false,
        "Drifted",
        format!(
            "ECS differs from the spec in {} (status.drift)",
            paths.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{DaemonTaskDefinition, EcsCronTask, EcsDaemon, EcsGateway, EcsTask};

    fn message(error: Error) -> String {
        match error {
            Error::InvalidSpec(message) => message,
            other => panic!("not InvalidSpec: {other:?}"),
        }
    }

    /// A refusal says why for the kind at hand and what to do: a run has no lasting ECS object; the daemon kinds and
    /// the gateway do, but observing them is not built (they were told "each run is a new task").
    #[test]
    fn a_refusal_of_read_only_gives_the_kinds_own_reason() {
        for run in [
            message(unsupported::<EcsTask>()),
            message(unsupported::<EcsCronTask>()),
        ] {
            assert!(run.contains("each run is a new task"), "{run}");
        }
        for lasting in [
            message(unsupported::<EcsDaemon>()),
            message(unsupported::<DaemonTaskDefinition>()),
            message(unsupported::<EcsGateway>()),
        ] {
            assert!(!lasting.contains("task"), "{lasting}");
            assert!(lasting.contains("not built"), "{lasting}");
            assert!(
                lasting.contains("metadata.annotations[ecsbridge.dev/read-only]")
                    && lasting.contains("remove the annotation"),
                "{lasting}"
            );
        }
    }
}
