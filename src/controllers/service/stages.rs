//! Rollout truth per lifecycle stage for BLUE_GREEN, LINEAR and CANARY services, the `ecsbridge.dev/rollback`
//! annotation for every service, and the `ecsbridge.dev/continue` annotation of a paused deployment
//! (docs/ecs-behaviour.md, entries 6, 73-78 and 145-147; the pause itself in [`super::pause`]).
//!
//! The truth is the service deployment ECS names as the service's `currentServiceDeployment`, described directly
//! (the newest one of every ListServiceDeployments page only when ECS names none). It is read for a non-ROLLING
//! service only while a deployment is in progress or the last read saw one that had not ended, and for any
//! service while a rollback or a continue is asked for: a settled service costs nothing. It is read before the plan, so that a
//! rollback fails the deployment the operator started before anything could deploy that revision again.
//!
//! Only the service deployment the operator's deployment started can fail it: an older one, which a lagging answer
//! may still name, never does, and while ECS still names the one that deployment replaced, the rollout waits.
//! `Ready` waits until the service deployment ended (its bake time is over); a rollback is `Degraded` with ECS's
//! reason.

use kube::ResourceExt;

use super::pause;
use super::record::started_service_deployment;
use super::rollout::{Phase, Rollout};
use super::status::primary;
use crate::api::EcsService;
use crate::api::common::ROLLBACK_ANNOTATION;
use crate::api::service::{
    DeploymentStrategy, LifecycleHookOutcome, RolloutOutcome, RolloutRecord, ServiceDeploymentTruth,
};
use crate::api::service_pause::CONTINUE_ANNOTATION;
use crate::controllers::task::status::rfc3339;
use crate::ecs::service::ObservedService;
use crate::ecs::service_deployment::ObservedServiceDeployment;
use crate::reconcile::conditions::{DEGRADED, READY};
use crate::reconcile::{Checkpoint, Context, Error, Note};

/// What the stages add to a reconcile.
#[derive(Default)]
pub struct Stages {
    /// The service's strategy as ECS reports it.
    pub strategy: Option<String>,
    /// The current service deployment (read now, or as last read).
    pub truth: Option<ServiceDeploymentTruth>,
    /// Whether the rollout is judged with `truth`: always for BLUE_GREEN, LINEAR and CANARY services, for a
    /// ROLLING one only when it was read now (a rollback asked for, or followed until it ends).
    judged: bool,
    pub notes: Vec<Note>,
}

impl Stages {
    /// The rollout as the service deployment tells it (see [`judge`]), and whether a PAUSE hook holds it (see
    /// [`pause::judge`]).
    pub fn judge(&self, rollout: Rollout, started: Option<&RolloutRecord>, name: &str) -> Rollout {
        let truth = self.truth.as_ref().filter(|_| self.judged);
        let stale = truth.is_some_and(|t| is_stale(started, &t.arn));
        let paused = truth.filter(|_| !stale).and_then(pause::paused);
        pause::judge(judge(rollout, truth, stale, name), paused.as_ref(), name)
    }
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
                hook_id: h.hook_id,
                target_type: h.target_type,
                target_arn: h.target_arn,
                status: h.status,
                expires_at: h.expires_at.map(rfc3339),
                timeout_action: h.timeout_action,
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

/// Whether ECS names a service deployment other than the one the operator's deployment in progress started: the one
/// it replaced (a lagging answer), or one ECS has not named yet.
fn is_stale(started: Option<&RolloutRecord>, arn: &str) -> bool {
    started.is_some_and(|r| {
        r.outcome == RolloutOutcome::InProgress && !started_service_deployment(r, arn)
    })
}

/// The rollout as the service deployment tells it: not Ready while it has not ended, Degraded once ECS rolls it
/// back; otherwise as judged from `deployments[]`. A `stale` truth (ECS still names the service deployment the new
/// deployment replaced) says nothing about the new deployment: it is not Ready yet, and not rolled back.
pub fn judge(
    rollout: Rollout,
    truth: Option<&ServiceDeploymentTruth>,
    stale: bool,
    name: &str,
) -> Rollout {
    let Some(truth) = truth else {
        return rollout;
    };
    if stale {
        if rollout.is(READY) {
            let message = format!(
                "waiting for ECS to name the service deployment of the new deployment of service {name}; it still \
                 names {}",
                truth.arn
            );
            return Rollout::new(Phase::Progressing, "ServiceDeploymentPending", &message);
        }
        return rollout;
    }
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

/// The record of the deployment the operator started, failed when ECS rolled back the service deployment it
/// started (also after the record judged it complete from `deployments[]`: a rollback in the bake time comes
/// later). The rollback of any other service deployment leaves it as it is.
fn fail_record(
    record: Option<RolloutRecord>,
    truth: &ServiceDeploymentTruth,
) -> Option<RolloutRecord> {
    record.map(|mut r| {
        let open = matches!(
            r.outcome,
            RolloutOutcome::InProgress | RolloutOutcome::Completed
        );
        if open && truth.rolled_back() && started_service_deployment(&r, &truth.arn) {
            r.outcome = RolloutOutcome::Failed;
            r.reason = Some(rollback_reason(truth));
        }
        r
    })
}

/// What a new `ecsbridge.dev/rollback` value does, given the current service deployment.
#[derive(Debug, PartialEq)]
enum RollbackStep {
    /// Stop this service deployment with a rollback.
    Stop(String),
    /// ECS shows the rollback already (asked for before, or its own).
    Shown,
    /// Nothing to roll back: the value is answered with this message and never acted on later.
    Refuse(String),
}

fn rollback_step(truth: Option<&ServiceDeploymentTruth>, name: &str, value: &str) -> RollbackStep {
    let Some(truth) = truth else {
        return RollbackStep::Refuse(format!(
            "{ROLLBACK_ANNOTATION}={value}: ECS shows no service deployment of service {name}, so there is none to \
             stop with a rollback; set a new value while a deployment is in progress"
        ));
    };
    if truth.rolled_back() {
        return RollbackStep::Shown;
    }
    if truth.ongoing() {
        return RollbackStep::Stop(truth.arn.clone());
    }
    RollbackStep::Refuse(format!(
        "{ROLLBACK_ANNOTATION}={value}: no deployment of service {name} is in progress (service deployment {} is \
         {}); set a new value while a deployment is in progress",
        truth.arn,
        truth.status.as_deref().unwrap_or("ended")
    ))
}

/// Reads the current service deployment when it is worth it, answers a new `ecsbridge.dev/rollback` value (a
/// stop with rollback while a deployment is in progress, a refusal with a message otherwise; recorded only once
/// ECS accepted the stop or shows the rollback, so a throttled or timed-out stop is sent again), and fails
/// `started` when ECS rolled back the service deployment it started.
pub async fn follow(
    ctx: &Context,
    svc: &EcsService,
    cluster: &str,
    observed: &ObservedService,
    checkpoint: &Checkpoint<'_, EcsService>,
    started: &mut Option<RolloutRecord>,
) -> Result<Stages, Error> {
    let last = checkpoint.current();
    let staged = staged_strategy(observed).is_some();
    let requested = svc.annotations().get(ROLLBACK_ANNOTATION).cloned();
    let rollback = requested.is_some() && requested != last.rollback;
    let asked_to_continue = svc.annotations().get(CONTINUE_ANNOTATION).cloned();
    let continuing = asked_to_continue.is_some() && asked_to_continue != last.continued;
    let unfinished = last
        .service_deployment
        .as_ref()
        .is_some_and(ServiceDeploymentTruth::ongoing);
    let read = rollback || continuing || unfinished || (staged && deploying(observed));
    let name = &observed.service_name;
    let mut truth = if read {
        let current = observed.current_service_deployment.as_deref();
        ctx.ecs
            .current_service_deployment(cluster, name, current)
            .await?
            .map(truth_of)
    } else {
        last.service_deployment.clone()
    };
    let mut stages = Stages {
        strategy: strategy_name(observed),
        judged: staged || read,
        ..Default::default()
    };
    if rollback {
        let value = requested.as_deref().unwrap_or_default();
        match rollback_step(truth.as_ref(), name, value) {
            RollbackStep::Stop(arn) => {
                // A paused deployment is rolled back by answering its hook (ContinueServiceDeployment, ROLLBACK).
                match truth.as_ref().and_then(pause::paused) {
                    Some(hook) => {
                        ctx.ecs
                            .continue_service_deployment(&arn, &hook.hook_id, true)
                            .await?
                    }
                    None => ctx.ecs.roll_back_service_deployment(&arn).await?,
                }
                if let Some(current) = truth.as_mut() {
                    current.status = Some("ROLLBACK_REQUESTED".into());
                    current.status_reason = Some(format!(
                        "stopped with a rollback: {ROLLBACK_ANNOTATION}={value}"
                    ));
                }
                stages.notes.push(Note::normal(
                    "RollbackRequested",
                    format!(
                        "stopped service deployment {arn} with a rollback ({ROLLBACK_ANNOTATION}={value})"
                    ),
                ));
            }
            RollbackStep::Shown => {}
            RollbackStep::Refuse(message) => {
                stages
                    .notes
                    .push(Note::warning("NothingToRollBack", message));
            }
        }
        checkpoint.save(|s| s.rollback = requested.clone()).await?;
    }
    if continuing {
        let value = asked_to_continue.as_deref().unwrap_or_default();
        let note = pause::answer_continue(ctx, truth.as_mut(), name, value).await?;
        stages.notes.push(note);
        checkpoint
            .save(|s| s.continued = asked_to_continue.clone())
            .await?;
    }
    if let Some(t) = &truth {
        *started = fail_record(started.take(), t);
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

    fn rolled_back(arn: &str) -> ServiceDeploymentTruth {
        ServiceDeploymentTruth {
            arn: arn.into(),
            rollback_reason: Some("lifecycle hook check failed".into()),
            ..truth("ROLLBACK_SUCCESSFUL", "POST_SCALE_UP")
        }
    }

    /// The record of a deployment that replaced service deployment `sd-1`; `current` once ECS named its own.
    fn record(current: Option<&str>) -> RolloutRecord {
        RolloutRecord {
            desired: "k".into(),
            replaced_service_deployment: Some("sd-1".into()),
            service_deployment: current.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn a_deployment_in_bake_time_is_not_ready() {
        let ready = Rollout::new(Phase::Ready, "RolloutComplete", "done");
        let judged = judge(
            ready.clone(),
            Some(&truth("IN_PROGRESS", "BAKE_TIME")),
            false,
            "web",
        );
        assert!(judged.is(PROGRESSING) && !judged.is(READY));
        assert!(judged.conditions[1].message.contains("BAKE_TIME"));
        assert!(!judged.settled);
        assert_eq!(
            judge(
                ready.clone(),
                Some(&truth("SUCCESSFUL", "CLEAN_UP")),
                false,
                "web"
            ),
            ready
        );
        assert_eq!(judge(ready.clone(), None, false, "web"), ready);
    }

    #[test]
    fn a_rollback_is_degraded_with_ecs_reason_and_fails_the_record() {
        let rolled = rolled_back("sd-2");
        let progressing = Rollout::new(Phase::Progressing, "RollingOut", "rolling");
        let judged = judge(progressing, Some(&rolled), false, "web");
        assert!(judged.is(DEGRADED));
        assert!(
            judged.conditions[2]
                .message
                .contains("lifecycle hook check failed")
        );
        for started in [record(Some("sd-2")), record(None)] {
            let failed = fail_record(Some(started), &rolled).unwrap();
            assert_eq!(failed.outcome, RolloutOutcome::Failed);
            assert_eq!(
                failed.reason.as_deref(),
                Some("lifecycle hook check failed")
            );
        }
        // A rollback in the bake time, after deployments[] showed the deployment complete.
        let completed = RolloutRecord {
            outcome: RolloutOutcome::Completed,
            ..record(Some("sd-2"))
        };
        let failed = fail_record(Some(completed), &rolled).unwrap();
        assert_eq!(failed.outcome, RolloutOutcome::Failed);
    }

    #[test]
    fn an_older_rolled_back_service_deployment_never_fails_the_new_deployment() {
        // ECS (or a lagging answer) still names the deployment the new one replaced, or an older one.
        for arn in ["sd-1", "sd-0"] {
            let older = rolled_back(arn);
            let started = record(Some("sd-2"));
            assert_eq!(
                fail_record(Some(started.clone()), &older),
                Some(started.clone())
            );
            assert!(is_stale(Some(&started), arn));
        }
        let not_named_yet = record(None);
        assert_eq!(
            fail_record(Some(not_named_yet.clone()), &rolled_back("sd-1")),
            Some(not_named_yet.clone())
        );
        assert!(is_stale(Some(&not_named_yet), "sd-1"));
        assert!(!is_stale(Some(&not_named_yet), "sd-2"));
        // Judged with a stale truth, the new deployment is neither rolled back nor Ready.
        let ready = Rollout::new(Phase::Ready, "RolloutComplete", "done");
        let judged = judge(ready, Some(&rolled_back("sd-1")), true, "web");
        assert!(judged.is(PROGRESSING) && !judged.is(DEGRADED));
        assert_eq!(judged.conditions[0].reason, "ServiceDeploymentPending");
        let progressing = Rollout::new(Phase::Progressing, "RollingOut", "rolling");
        assert_eq!(
            judge(progressing.clone(), Some(&rolled_back("sd-1")), true, "web"),
            progressing
        );
        // Once the record is settled, the truth is judged as it is.
        let completed = RolloutRecord {
            outcome: RolloutOutcome::Completed,
            ..record(Some("sd-2"))
        };
        assert!(!is_stale(Some(&completed), "sd-1"));
        assert!(!is_stale(None, "sd-1"));
    }

    #[test]
    fn a_rollback_value_stops_an_ongoing_deployment_and_is_refused_otherwise() {
        assert_eq!(
            rollback_step(Some(&truth("IN_PROGRESS", "BAKE_TIME")), "web", "v"),
            RollbackStep::Stop("arn:sd".into())
        );
        assert_eq!(
            rollback_step(Some(&truth("PENDING", "PRE_SCALE_UP")), "web", "v"),
            RollbackStep::Stop("arn:sd".into())
        );
        assert_eq!(
            rollback_step(Some(&rolled_back("arn:sd")), "web", "v"),
            RollbackStep::Shown
        );
        let in_progress = ServiceDeploymentTruth {
            status: Some("ROLLBACK_IN_PROGRESS".into()),
            ..rolled_back("arn:sd")
        };
        assert_eq!(
            rollback_step(Some(&in_progress), "web", "v"),
            RollbackStep::Shown
        );
        match rollback_step(Some(&truth("SUCCESSFUL", "CLEAN_UP")), "web", "v") {
            RollbackStep::Refuse(message) => assert!(
                message.contains("ecsbridge.dev/rollback=v") && message.contains("SUCCESSFUL"),
                "{message}"
            ),
            other => panic!("{other:?}"),
        }
        // A ROLLING service without service deployments (an emulator, or ECS without the feature).
        match rollback_step(None, "web", "v") {
            RollbackStep::Refuse(message) => {
                assert!(message.contains("no service deployment"), "{message}")
            }
            other => panic!("{other:?}"),
        }
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
