//! Follows a service's rollout: from ECS's deployments, decides `Ready`, `Progressing` and `Degraded`; pure.

use super::plan::same_task_definition;
use super::status::{primary, revision_of};
use crate::api::service::{DeploymentControllerType, RolloutOutcome, RolloutRecord};
use crate::ecs::service::{ObservedDeployment, ObservedService};
use crate::reconcile::conditions::{ConditionUpdate, DEGRADED, PROGRESSING, READY};

/// The rollout as conditions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rollout {
    /// `Ready`, `Progressing` and `Degraded`, always all three.
    pub conditions: Vec<ConditionUpdate>,
    /// Ready or Degraded: nothing changes any more without a new spec or an event outside Kubernetes.
    pub settled: bool,
}

/// Which of the three conditions is True.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Ready,
    Progressing,
    Degraded,
    /// The service is being deleted: none is True.
    Inactive,
}

/// Assesses the rollout of `expected_task_definition` (ARN, `family:revision` or family) to `desired_count` tasks.
/// `started` is the deployment the operator started for the current desired state, if any: the rollout is judged
/// by it, so a failure ECS rolled back stays Degraded, and a deployment not yet complete is not Ready.
pub fn assess(
    observed: &ObservedService,
    expected_task_definition: &str,
    desired_count: i32,
    started: Option<&RolloutRecord>,
) -> Rollout {
    let (phase, reason, message) = match (
        verdict(observed, expected_task_definition, desired_count),
        started,
    ) {
        (judged, _) if judged.0 == Phase::Inactive => judged,
        (_, Some(record)) if record.outcome == RolloutOutcome::Failed => (
            Phase::Degraded,
            "RolledBack",
            format!(
                "the deployment {} of service {} failed and is not started again until the spec, the task \
                 definition revision or ecsbridge.dev/restartedAt changes: {}",
                record
                    .deployment_id
                    .as_deref()
                    .unwrap_or("started by ecs-bridge"),
                observed.service_name,
                record.reason.as_deref().unwrap_or("no reason given")
            ),
        ),
        (judged, Some(record))
            if record.outcome == RolloutOutcome::InProgress && judged.0 == Phase::Ready =>
        {
            let message = match &record.deployment_id {
                Some(id) => format!(
                    "waiting for ECS deployment {id} of service {} to complete",
                    observed.service_name
                ),
                None => format!(
                    "waiting for ECS to start the new deployment of service {}",
                    observed.service_name
                ),
            };
            (Phase::Progressing, "RollingOut", message)
        }
        (judged, _) => judged,
    };
    Rollout::new(phase, reason, &message)
}

impl Rollout {
    /// The three conditions for `phase`, sharing `reason` and `message`.
    pub(super) fn new(phase: Phase, reason: &str, message: &str) -> Self {
        let condition =
            |type_, phase_| ConditionUpdate::new(type_, phase == phase_, reason, message);
        Rollout {
            conditions: vec![
                condition(READY, Phase::Ready),
                condition(PROGRESSING, Phase::Progressing),
                condition(DEGRADED, Phase::Degraded),
            ],
            settled: matches!(phase, Phase::Ready | Phase::Degraded),
        }
    }

    /// Whether the condition `type_` is True.
    pub(super) fn is(&self, type_: &str) -> bool {
        self.conditions.iter().any(|c| c.type_ == type_ && c.status)
    }
}

fn verdict(
    observed: &ObservedService,
    expected: &str,
    desired_count: i32,
) -> (Phase, &'static str, String) {
    let name = &observed.service_name;
    if observed.status != "ACTIVE" {
        let message = format!("ECS service {name} is {}", observed.status);
        return (Phase::Inactive, "ServiceNotActive", message);
    }
    if observed
        .deployment_controller
        .as_ref()
        .is_some_and(|c| c.type_ == DeploymentControllerType::External)
    {
        return task_set_verdict(observed);
    }
    // Services without deployments report service-level facts only.
    let service_level = ObservedDeployment {
        task_definition: observed.task_definition.clone(),
        running_count: observed.running_count,
        pending_count: observed.pending_count,
        ..Default::default()
    };
    let primary = primary(observed).unwrap_or(&service_level);
    let running = primary
        .task_definition
        .as_deref()
        .unwrap_or("no task definition");
    let ecs_reason = primary.rollout_state_reason.as_deref().unwrap_or_default();

    if !same_task_definition(primary.task_definition.as_deref(), expected) {
        let failed = observed.deployments.iter().find(|d| {
            d.rollout_state.as_deref() == Some("FAILED")
                && same_task_definition(d.task_definition.as_deref(), expected)
        });
        let rollback_reason = match failed {
            Some(d) => Some(
                d.rollout_state_reason
                    .as_deref()
                    .unwrap_or("no reason given"),
            ),
            None => mentions_rollback(ecs_reason).then_some(ecs_reason),
        };
        if let Some(reason) = rollback_reason {
            let message = format!(
                "the deployment of {} failed and ECS rolled service {name} back to {}: {reason}",
                revision_of(expected),
                revision_of(running)
            );
            return (Phase::Degraded, "RolledBack", message);
        }
        let message = format!(
            "waiting for ECS to start deploying {} to service {name}; the PRIMARY deployment runs {}",
            revision_of(expected),
            revision_of(running)
        );
        return (Phase::Progressing, "DeploymentPending", message);
    }

    let revision = revision_of(running);
    let counts = format!(
        "{} of {desired_count} tasks running, {} pending",
        primary.running_count, primary.pending_count
    );
    match primary.rollout_state.as_deref() {
        Some("FAILED") => {
            let message = format!(
                "the deployment of {revision} to service {name} failed: {}",
                if ecs_reason.is_empty() {
                    "no reason given"
                } else {
                    ecs_reason
                }
            );
            (Phase::Degraded, "RolloutFailed", message)
        }
        Some("IN_PROGRESS") => (
            Phase::Progressing,
            "RollingOut",
            format!("rolling out {revision} to service {name}: {counts}"),
        ),
        state => {
            if state == Some("COMPLETED")
                && early_success(observed, primary.running_count, desired_count)
            {
                let message = format!(
                    "service {name} runs {revision}: {counts}; ECS completed the deployment on its early success \
                     criteria and scales the rest in the background"
                );
                (Phase::Ready, "EarlySuccess", message)
            } else if primary.running_count < desired_count {
                (
                    Phase::Progressing,
                    "TasksPending",
                    format!("service {name}: {counts}"),
                )
            } else if primary.running_count > desired_count {
                (
                    Phase::Progressing,
                    "TasksStopping",
                    format!("service {name}: {counts}"),
                )
            } else if state.is_none() && observed.deployments.len() > 1 {
                // Without rollout states, the rollout is over once the older deployments are gone.
                let message = format!(
                    "rolling out {revision} to service {name}: {counts}; older deployments are still draining"
                );
                (Phase::Progressing, "RollingOut", message)
            } else {
                let message = format!("service {name} runs {revision}: {counts}");
                (Phase::Ready, "RolloutComplete", message)
            }
        }
    }
}

/// Whether ECS's early success criteria (rolling deployments only) are met: enabled, and at least `healthyPercent`
/// of the desired count running; then ECS completes the deployment and scales the rest in the background
/// (docs/ecs-behaviour.md, entry 149).
fn early_success(observed: &ObservedService, running: i32, desired: i32) -> bool {
    let Some(criteria) = observed
        .deployment_configuration
        .as_ref()
        .and_then(|c| c.early_success_criteria.as_ref())
        .filter(|c| c.enable)
    else {
        return false;
    };
    let percent = criteria.healthy_percent.unwrap_or(100).clamp(0, 100);
    // At least `percent` of the desired count, rounded up.
    running * 100 >= desired * percent
}

/// An EXTERNAL service is Ready when its PRIMARY task set is in STEADY_STATE; the task sets are the controller's.
fn task_set_verdict(observed: &ObservedService) -> (Phase, &'static str, String) {
    let name = &observed.service_name;
    let Some(set) = observed
        .task_sets
        .iter()
        .find(|t| t.status.as_deref() == Some("PRIMARY"))
    else {
        let message = format!(
            "service {name} has no PRIMARY task set yet; its external controller creates it"
        );
        return (Phase::Progressing, "NoPrimaryTaskSet", message);
    };
    let counts = format!(
        "{} of {} tasks running in task set {}",
        set.running_count,
        set.computed_desired_count,
        set.id.as_deref().unwrap_or("?")
    );
    if set.stability_status.as_deref() == Some("STEADY_STATE") && observed.task_sets.len() == 1 {
        (
            Phase::Ready,
            "TaskSetSteady",
            format!("service {name}: {counts}, steady"),
        )
    } else {
        (
            Phase::Progressing,
            "TaskSetStabilizing",
            format!("service {name}: {counts}, stabilizing"),
        )
    }
}

/// Whether ECS's reason says the circuit breaker (or an alarm) rolled the deployment back.
pub(super) fn mentions_rollback(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    ["rolled back", "rolling back", "circuit breaker"]
        .iter()
        .any(|phrase| reason.contains(phrase))
}

#[cfg(test)]
#[path = "rollout_tests.rs"]
mod tests;
