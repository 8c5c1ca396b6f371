//! Runs the Application Auto Scaling plan of a service through the AWS door and reports the target in status.
//! A service that never had `autoScaling` costs no call; one with it reads Application Auto Scaling on a spec
//! change and once per drift pass (from the pass's batched reads when there are some), never on the reconciles in
//! between (rollout polls, retries of other parts, wake-ups).

use std::time::{Duration, SystemTime};

use kube::ResourceExt;

use super::{Remembered, ScalingAction, others_on, owned_prefix, plan, policy_name};
use crate::api::EcsService;
use crate::api::autoscaling::{AppliedCapacity, AutoScalingStatus};
use crate::ecs::autoscaling::{ObservedScaling, resource_id};
use crate::reconcile::conditions::{SYNCED, is_true_for};
use crate::reconcile::{Checkpoint, Context, Error, Note, next_drift_check};

/// Why a reconcile reads the target, if it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// The spec changed (or its last application did not finish): read the target now.
    SpecChange,
    /// The first reconcile of a drift pass: the pass's batched reads serve.
    DriftPass,
}

/// The start of the current drift pass: drift checks run every 9/10 of the interval, at shared instants.
pub fn drift_pass_start(interval: Duration) -> SystemTime {
    let period = interval.mul_f64(0.9).max(Duration::from_secs(1));
    let next = SystemTime::now() + next_drift_check(interval);
    next.checked_sub(period).unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Whether to read: on a new generation, once per drift pass, and after a restart only when the object does not
/// show its generation applied (otherwise the next pass reads).
pub fn read_due(
    last_read: Option<&crate::ecs::autoscaling::LastRead>,
    generation: Option<i64>,
    applied: bool,
    pass_start: SystemTime,
) -> Option<Read> {
    match last_read {
        Some(last) if last.generation != generation => Some(Read::SpecChange),
        Some(last) if last.at < pass_start => Some(Read::DriftPass),
        Some(_) => None,
        None if !applied => Some(Read::SpecChange),
        None => None,
    }
}

/// Brings the scalable target of the service (in `cluster`, named `service`) to the spec; returns its status
/// (`None` once the operator has nothing on the target) and what was done.
pub async fn reconcile(
    svc: &EcsService,
    ctx: &Context,
    checkpoint: &Checkpoint<'_, EcsService>,
    cluster: &str,
    service: &str,
) -> Result<(Option<AutoScalingStatus>, Vec<Note>), Error> {
    let desired = svc.spec.auto_scaling.as_ref();
    let last = checkpoint.current();
    let key = svc.uid().unwrap_or_default();
    let last_read = ctx.ecs.last_scaling_read(&key);
    // What this process last showed wins over the object's status, which may lag behind the last write.
    let shown = match &last_read {
        Some(read) => read.status.clone(),
        None => last.auto_scaling.clone(),
    };
    if desired.is_none() && shown.is_none() {
        return Ok((None, Vec::new()));
    }
    let generation = svc.metadata.generation;
    let applied =
        last.observed_generation == generation && is_true_for(&last.conditions, SYNCED, generation);
    let pass_start = drift_pass_start(ctx.drift_interval);
    let started = SystemTime::now();
    let Some(why) = read_due(last_read.as_ref(), generation, applied, pass_start) else {
        if last_read.is_none() {
            // After a restart: this pass is half over; the next one reads.
            ctx.ecs
                .scaling_read(&key, generation, started, shown.clone());
        }
        return Ok((shown, Vec::new()));
    };
    let resource = resource_id(cluster, service);
    let prefix = owned_prefix(&key);
    let snapshot = match why {
        // The pass's reads started a little before the pass.
        Read::DriftPass => {
            let since = pass_start
                .checked_sub(Duration::from_secs(10))
                .unwrap_or(pass_start);
            ctx.ecs.scaling_snapshot(&resource, since).await
        }
        Read::SpecChange => None,
    };
    let mut observed = match snapshot {
        Some(observed) => observed,
        None => ctx.ecs.describe_scaling(&resource).await?,
    };
    let remembered = Remembered {
        registered: shown.as_ref().is_some_and(|s| s.registered),
        applied: shown.as_ref().and_then(|s| s.applied),
    };
    let actions = plan(desired, &prefix, &remembered, &observed);
    let registers = observed.target.is_none()
        && actions
            .iter()
            .any(|a| matches!(a, ScalingAction::Register(_)));
    if desired.is_some() && !actions.is_empty() {
        // Remembered before the calls: a failure later must not leave a target or policies nobody removes, nor
        // forget who registered the target.
        let mut intent = shown.clone().unwrap_or_default();
        intent.resource_id = resource.clone();
        intent.registered |= registers;
        ctx.ecs.scaling_status_saved(&key, Some(intent.clone()));
        checkpoint.save(|s| s.auto_scaling = Some(intent)).await?;
    }
    let mut notes = Vec::new();
    for action in &actions {
        notes.push(execute(ctx, &resource, action).await?);
    }
    if !actions.is_empty() {
        ctx.ecs.forget_scaling(&resource).await;
    }
    let Some(spec) = desired else {
        notes.extend(kept_note(
            &remembered,
            &prefix,
            &resource,
            &observed,
            &actions,
        ));
        checkpoint.save(|s| s.auto_scaling = None).await?;
        ctx.ecs.scaling_read(&key, generation, started, None);
        return Ok((None, notes));
    };
    if !actions.is_empty() {
        observed = ctx.ecs.describe_scaling(&resource).await?;
    }
    let previous = match ctx.ecs.last_scaling_read(&key) {
        Some(read) => read.status,
        None => shown.clone(),
    };
    let status = AutoScalingStatus {
        registered: previous.as_ref().is_some_and(|s| s.registered) || registers,
        applied: Some(AppliedCapacity {
            min_capacity: spec.min_capacity,
            max_capacity: spec.max_capacity,
        }),
        last_scaling_activity: observed
            .last_activity
            .clone()
            .or_else(|| previous.and_then(|p| p.last_scaling_activity)),
        ..status(resource, &prefix, observed)
    };
    ctx.ecs
        .scaling_read(&key, generation, started, Some(status.clone()));
    Ok((Some(status), notes))
}

/// Says why a target the operator registered stays after the block went: others' policies or actions are on it.
fn kept_note(
    remembered: &Remembered,
    prefix: &str,
    resource: &str,
    observed: &ObservedScaling,
    actions: &[ScalingAction],
) -> Option<Note> {
    let others = others_on(observed, prefix);
    let kept = remembered.registered
        && observed.target.is_some()
        && !actions.contains(&ScalingAction::Deregister);
    kept.then(|| {
        Note::normal(
            "ScalableTargetKept",
            format!(
                "scalable target {resource} stays registered: deregistering it would delete policies or scheduled \
                 actions of others ({})",
                others.join(", ")
            ),
        )
    })
}

/// Removes the operator's policies and scheduled actions of a service before the service is deleted, and its
/// scalable target when the operator registered it and nothing of others is on it.
pub async fn remove(
    svc: &EcsService,
    ctx: &Context,
    cluster: &str,
    service: &str,
) -> Result<(), Error> {
    let key = svc.uid().unwrap_or_default();
    let shown = match ctx.ecs.last_scaling_read(&key) {
        Some(read) => read.status,
        None => svc.status.as_ref().and_then(|s| s.auto_scaling.clone()),
    };
    if shown.is_none() && svc.spec.auto_scaling.is_none() {
        return Ok(());
    }
    let resource = resource_id(cluster, service);
    let prefix = owned_prefix(&key);
    let observed = ctx.ecs.describe_scaling(&resource).await?;
    let remembered = Remembered {
        registered: shown.is_some_and(|s| s.registered),
        applied: None,
    };
    for action in plan(None, &prefix, &remembered, &observed) {
        execute(ctx, &resource, &action).await?;
    }
    ctx.ecs.forget_scaling(&resource).await;
    ctx.ecs.forget_scaling_reads(&key);
    Ok(())
}

fn status(resource_id: String, prefix: &str, observed: ObservedScaling) -> AutoScalingStatus {
    AutoScalingStatus {
        resource_id,
        min_capacity: observed.target.as_ref().map(|t| t.min_capacity),
        max_capacity: observed.target.as_ref().map(|t| t.max_capacity),
        policies: observed
            .policies
            .into_iter()
            .filter(|p| p.name.starts_with(prefix))
            .map(|p| p.arn)
            .collect(),
        last_scaling_activity: observed.last_activity,
        ..Default::default()
    }
}

async fn execute(ctx: &Context, resource: &str, action: &ScalingAction) -> Result<Note, Error> {
    let ecs = &ctx.ecs;
    Ok(match action {
        ScalingAction::Register(target) => {
            ecs.register_scalable_target(resource, target).await?;
            let capacity = match (target.min_capacity, target.max_capacity) {
                (Some(min), Some(max)) => format!(": min {min} max {max}"),
                _ => String::new(),
            };
            Note::normal(
                "ScalableTargetRegistered",
                format!(
                    "scalable target {resource}{capacity}{}",
                    if target.suspended {
                        ", suspended"
                    } else {
                        ", not suspended"
                    }
                ),
            )
        }
        ScalingAction::PutPolicy(policy) => {
            let name = policy_name(policy);
            ecs.put_scaling_policy(resource, policy).await?;
            Note::normal(
                "ScalingPolicyApplied",
                format!("scaling policy {name} of {resource}"),
            )
        }
        ScalingAction::DeletePolicy(name) => {
            ecs.delete_scaling_policy(resource, name).await?;
            Note::normal(
                "ScalingPolicyDeleted",
                format!("scaling policy {name} of {resource}"),
            )
        }
        ScalingAction::PutScheduled(scheduled) => {
            ecs.put_scheduled_action(resource, scheduled).await?;
            Note::normal(
                "ScheduledActionApplied",
                format!("scheduled action {} of {resource}", scheduled.name),
            )
        }
        ScalingAction::DeleteScheduled(name) => {
            ecs.delete_scheduled_action(resource, name).await?;
            Note::normal(
                "ScheduledActionDeleted",
                format!("scheduled action {name} of {resource}"),
            )
        }
        ScalingAction::Deregister => {
            ecs.deregister_scalable_target(resource).await?;
            Note::normal(
                "ScalableTargetDeregistered",
                format!("scalable target {resource}"),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::autoscaling::LastRead;

    #[test]
    fn reads_on_a_new_generation_and_once_per_drift_pass() {
        let pass = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let read = |generation, at| {
            Some(LastRead {
                generation: Some(generation),
                at: SystemTime::UNIX_EPOCH + Duration::from_secs(at),
                status: None,
            })
        };
        assert_eq!(
            read_due(read(1, 1_010).as_ref(), Some(2), true, pass),
            Some(Read::SpecChange)
        );
        assert_eq!(
            read_due(read(1, 990).as_ref(), Some(1), true, pass),
            Some(Read::DriftPass)
        );
        // A rollout poll or a wake-up within the pass reads nothing.
        assert_eq!(read_due(read(1, 1_010).as_ref(), Some(1), true, pass), None);
        // After a restart: only an object whose generation is not shown applied.
        assert_eq!(read_due(None, Some(1), true, pass), None);
        assert_eq!(read_due(None, Some(1), false, pass), Some(Read::SpecChange));
    }

    #[test]
    fn the_drift_pass_started_within_its_period() {
        let interval = Duration::from_secs(60);
        let start = drift_pass_start(interval);
        let age = SystemTime::now().duration_since(start).unwrap();
        assert!(age <= Duration::from_secs(54), "{age:?}");
    }
}
