//! Rollout truth per lifecycle stage for BLUE_GREEN, LINEAR and CANARY services, and the `ecsbridge.dev/rollback`
//! annotation (docs/ecs-behaviour.md, entries 6 and 69-74).
//!
//! The newest service deployment is read (ListServiceDeployments and DescribeServiceDeployments, in their own
//! throttle bucket) only for such services and only while a deployment is in progress, or the last read saw one
//! that had not ended: a settled service costs nothing. `Ready` waits until the service deployment ended (its bake
//! time is over), a rollback is `Degraded` with ECS's reason, and the deployment the operator started is then
//! remembered as failed, so that the same revision is not deployed again.

use kube::ResourceExt;

use super::rollout::{Phase, Rollout};
use super::status::primary;
use crate::api::EcsService;
use crate::api::common::ROLLBACK_ANNOTATION;
use crate::api::service::{
    DeploymentStrategy, LifecycleHookOutcome, RolloutOutcome, RolloutRecord, ServiceDeploymentTruth,
};
use crate::ecs::service::ObservedService;
use crate::ecs::service_deployment::ObservedServiceDeployment;
use crate::reconcile::conditions::{DEGRADED, READY};
use crate::reconcile::{Checkpoint, Context, Error, Note};

/// What the stages add to a reconcile.
#[derive(Default)]
pub struct Stages {
    /// The service's strategy as ECS reports it.
    pub strategy: Option<String>,
    /// The newest service deployment (read now, or as last read).
    pub truth: Option<ServiceDeploymentTruth>,
    pub notes: Vec<Note>,
}

/// The strategy ECS reports, when it is not ROLLING.
fn staged_strategy(observed: &ObservedService) -> Option<DeploymentStrategy> {
    observed
        .deployment_configuration
        .as_ref()
        .and_then(|c| c.strategy)
        .filter(|s| *s != DeploymentStrategy::Rolling)
}

fn strategy_name(observed: &ObservedService) -> Option<String> {
    let strategy = observed.deployment_configuration.as_ref()?.strategy?;
    serde_json::to_value(strategy)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
}

/// Whether ECS shows a deployment in progress.
fn deploying(observed: &ObservedService) -> bool {
    observed.deployments.len() > 1
        || primary(observed).is_some_and(|d| d.rollout_state.as_deref() == Some("IN_PROGRESS"))
}

/// The status shape of a described service deployment.
pub fn truth_of(observed: ObservedServiceDeployment) -> ServiceDeploymentTruth {
    let target = observed.target_service_revision.unwrap_or_default();
    ServiceDeploymentTruth {
        arn: observed.service_deployment_arn,
        status: observed.status,
        status_reason: observed.status_reason,
        lifecycle_stage: observed.lifecycle_stage,
        production_traffic_weight: target.requested_production_traffic_weight,
        test_traffic_weight: target.requested_test_traffic_weight,
        hooks: observed
            .lifecycle_hook_details
            .into_iter()
            .map(|h| LifecycleHookOutcome {
                target_arn: h.target_arn,
                status: h.status,
            })
            .collect(),
        rollback_reason: observed.rollback.and_then(|r| r.reason),
    }
}

/// ECS's reason for a rollback.
fn rollback_reason(truth: &ServiceDeploymentTruth) -> String {
    truth
        .rollback_reason
        .clone()
        .or_else(|| truth.status_reason.clone())
        .unwrap_or_else(|| format!("ECS rolled back service deployment {}", truth.arn))
}

/// The rollout as the service deployment tells it: not Ready while it has not ended, Degraded once ECS rolls it
/// back; otherwise as judged from `deployments[]`.
pub fn judge(rollout: Rollout, truth: Option<&ServiceDeploymentTruth>, name: &str) -> Rollout {
    let Some(truth) = truth else {
        return rollout;
    };
    if truth.rolled_back() && !rollout.is(DEGRADED) {
        let message = format!(
            "ECS rolled back service deployment {} of service {name}: {}",
            truth.arn,
            rollback_reason(truth)
        );
        return Rollout::new(Phase::Degraded, "RolledBack", &message);
    }
    if truth.ongoing() && rollout.is(READY) {
        let message = format!(
            "service deployment {} of service {name} is in stage {}, {}% of production traffic shifted",
            truth.arn,
            truth.lifecycle_stage.as_deref().unwrap_or("unknown"),
            truth.production_traffic_weight.unwrap_or(0.0)
        );
        return Rollout::new(Phase::Progressing, "ServiceDeploymentInProgress", &message);
    }
    rollout
}

/// The record of the deployment the operator started, failed when ECS rolled its service deployment back.
fn fail_record(record: Option<RolloutRecord>, reason: String) -> Option<RolloutRecord> {
    record.map(|mut r| {
        if r.outcome == RolloutOutcome::InProgress {
            r.outcome = RolloutOutcome::Failed;
            r.reason = Some(reason);
        }
        r
    })
}

/// Reads the newest service deployment when it is worth it, acts on a new `ecsbridge.dev/rollback` value once,
/// and fails `started` when ECS rolled the deployment back.
pub async fn follow(
    ctx: &Context,
    svc: &EcsService,
    cluster: &str,
    observed: &ObservedService,
    checkpoint: &Checkpoint<'_, EcsService>,
    started: &mut Option<RolloutRecord>,
) -> Result<Stages, Error> {
    let last = checkpoint.current();
    let mut stages = Stages {
        strategy: strategy_name(observed),
        ..Default::default()
    };
    if staged_strategy(observed).is_none() {
        return Ok(stages);
    }
    let requested = svc.annotations().get(ROLLBACK_ANNOTATION).cloned();
    let rollback = requested.is_some() && requested != last.rollback;
    let unfinished = last
        .service_deployment
        .as_ref()
        .is_some_and(ServiceDeploymentTruth::ongoing);
    let mut truth = if deploying(observed) || unfinished || rollback {
        let name = &observed.service_name;
        let newest = ctx.ecs.newest_service_deployment(cluster, name).await?;
        newest.map(truth_of)
    } else {
        last.service_deployment.clone()
    };
    if rollback {
        checkpoint.save(|s| s.rollback = requested.clone()).await?;
        let value = requested.as_deref().unwrap_or_default();
        match truth.as_mut().filter(|t| t.ongoing() && !t.rolled_back()) {
            Some(current) => {
                if let Err(err) = ctx.ecs.roll_back_service_deployment(&current.arn).await {
                    let err = Error::from(err);
                    if !err.is_transient() {
                        // ECS refused it: nothing was stopped, a later value may try again.
                        checkpoint
                            .save(|s| s.rollback = last.rollback.clone())
                            .await?;
                    }
                    return Err(err);
                }
                current.status = Some("ROLLBACK_REQUESTED".into());
                current.status_reason = Some(format!(
                    "stopped with a rollback: {ROLLBACK_ANNOTATION}={value}"
                ));
                stages.notes.push(Note::normal(
                    "RollbackRequested",
                    format!("stopped service deployment {} with a rollback ({ROLLBACK_ANNOTATION}={value})", current.arn),
                ));
            }
            None => stages.notes.push(Note::normal(
                "NothingToRollBack",
                format!("{ROLLBACK_ANNOTATION}={value}: no service deployment is in progress"),
            )),
        }
    }
    if let Some(t) = truth.as_ref().filter(|t| t.rolled_back()) {
        *started = fail_record(started.take(), rollback_reason(t));
    }
    stages.truth = truth;
    Ok(stages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::conditions::PROGRESSING;

    fn truth(status: &str, stage: &str) -> ServiceDeploymentTruth {
        ServiceDeploymentTruth {
            arn: "arn:sd".into(),
            status: Some(status.into()),
            lifecycle_stage: Some(stage.into()),
            production_traffic_weight: Some(100.0),
            ..Default::default()
        }
    }

    #[test]
    fn a_deployment_in_bake_time_is_not_ready() {
        let ready = Rollout::new(Phase::Ready, "RolloutComplete", "done");
        let judged = judge(
            ready.clone(),
            Some(&truth("IN_PROGRESS", "BAKE_TIME")),
            "web",
        );
        assert!(judged.is(PROGRESSING) && !judged.is(READY));
        assert!(judged.conditions[1].message.contains("BAKE_TIME"));
        assert!(!judged.settled);
        assert_eq!(
            judge(ready.clone(), Some(&truth("SUCCESSFUL", "CLEAN_UP")), "web"),
            ready
        );
        assert_eq!(judge(ready.clone(), None, "web"), ready);
    }

    #[test]
    fn a_rollback_is_degraded_with_ecs_reason_and_fails_the_record() {
        let mut rolled = truth("ROLLBACK_IN_PROGRESS", "POST_SCALE_UP");
        rolled.rollback_reason = Some("lifecycle hook check failed".into());
        let progressing = Rollout::new(Phase::Progressing, "RollingOut", "rolling");
        let judged = judge(progressing, Some(&rolled), "web");
        assert!(judged.is(DEGRADED));
        assert!(
            judged.conditions[2]
                .message
                .contains("lifecycle hook check failed")
        );
        let record = RolloutRecord {
            desired: "k".into(),
            ..Default::default()
        };
        let failed = fail_record(Some(record), rollback_reason(&rolled)).unwrap();
        assert_eq!(failed.outcome, RolloutOutcome::Failed);
        assert_eq!(
            failed.reason.as_deref(),
            Some("lifecycle hook check failed")
        );
    }

    #[test]
    fn only_non_rolling_services_in_a_deployment_are_read() {
        let mut observed = ObservedService::default();
        assert_eq!(staged_strategy(&observed), None);
        observed.deployment_configuration = Some(crate::api::service::DeploymentConfiguration {
            strategy: Some(DeploymentStrategy::BlueGreen),
            ..Default::default()
        });
        assert_eq!(
            staged_strategy(&observed),
            Some(DeploymentStrategy::BlueGreen)
        );
        assert_eq!(strategy_name(&observed).as_deref(), Some("BLUE_GREEN"));
        assert!(!deploying(&observed));
        observed.deployments = vec![crate::ecs::service::ObservedDeployment {
            status: Some("PRIMARY".into()),
            rollout_state: Some("IN_PROGRESS".into()),
            ..Default::default()
        }];
        assert!(deploying(&observed));
    }
}
