//! Runs the Application Auto Scaling plan of a service through the AWS door and reports the target in status.
//! A service that never had `autoScaling` costs no call.

use kube::ResourceExt;

use super::{ScalingAction, owned_prefix, plan, policy_name};
use crate::api::EcsService;
use crate::api::autoscaling::AutoScalingStatus;
use crate::ecs::autoscaling::{ObservedScaling, resource_id};
use crate::reconcile::{Checkpoint, Context, Error, Note};

/// Brings the scalable target of the service (in `cluster`, named `service`) to the spec; returns its status
/// (`None` once the operator has no target) and what was done.
pub async fn reconcile(
    svc: &EcsService,
    ctx: &Context,
    checkpoint: &Checkpoint<'_, EcsService>,
    cluster: &str,
    service: &str,
) -> Result<(Option<AutoScalingStatus>, Vec<Note>), Error> {
    let desired = svc.spec.auto_scaling.as_ref();
    let registered = checkpoint.current().auto_scaling.is_some();
    if desired.is_none() && !registered {
        return Ok((None, Vec::new()));
    }
    let resource = resource_id(cluster, service);
    let prefix = owned_prefix(&svc.uid().unwrap_or_default());
    let mut observed = ctx.ecs.describe_scaling(&resource).await?;
    let actions = plan(desired, &prefix, registered, &observed);
    if !registered && !actions.is_empty() {
        // Remembered before the target is registered: a failure later must not leave a target nobody removes.
        let intent = AutoScalingStatus {
            resource_id: resource.clone(),
            ..Default::default()
        };
        checkpoint.save(|s| s.auto_scaling = Some(intent)).await?;
    }
    let mut notes = Vec::new();
    for action in &actions {
        notes.push(execute(ctx, &resource, action).await?);
    }
    if desired.is_none() {
        checkpoint.save(|s| s.auto_scaling = None).await?;
        return Ok((None, notes));
    }
    if !actions.is_empty() {
        observed = ctx.ecs.describe_scaling(&resource).await?;
    }
    Ok((Some(status(resource, &prefix, observed)), notes))
}

/// Removes the operator's scalable target of a service before the service is deleted.
pub async fn remove(
    svc: &EcsService,
    ctx: &Context,
    cluster: &str,
    service: &str,
) -> Result<(), Error> {
    let registered = svc
        .status
        .as_ref()
        .is_some_and(|s| s.auto_scaling.is_some());
    if !registered && svc.spec.auto_scaling.is_none() {
        return Ok(());
    }
    let resource = resource_id(cluster, service);
    let prefix = owned_prefix(&svc.uid().unwrap_or_default());
    let observed = ctx.ecs.describe_scaling(&resource).await?;
    for action in plan(None, &prefix, true, &observed) {
        execute(ctx, &resource, &action).await?;
    }
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
    }
}

async fn execute(ctx: &Context, resource: &str, action: &ScalingAction) -> Result<Note, Error> {
    let ecs = &ctx.ecs;
    Ok(match action {
        ScalingAction::Register(target) => {
            ecs.register_scalable_target(resource, target).await?;
            Note::normal(
                "ScalableTargetRegistered",
                format!(
                    "scalable target {resource}: min {} max {}{}",
                    target.min_capacity,
                    target.max_capacity,
                    if target.suspended { ", suspended" } else { "" }
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
