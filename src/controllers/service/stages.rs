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
    /// Whether the rollout is judged from the service deployment too (read from ECS), not from DescribeServices
    /// alone.
    pub fn reads_service_deployments(&self) -> bool {
        self.judged
    }

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
#[path = "stages_tests.rs"]
mod tests;
