//! PAUSE lifecycle hooks (docs/ecs-behaviour.md, entries 145-147): a service deployment ECS holds at a stage until
//! ContinueServiceDeployment answers the hook, or its time-out passes and ECS takes the hook's time-out action
//! (ROLLBACK unless configured otherwise; both are built for: a rollback is Degraded through the service
//! deployment's truth, a continue goes on to Ready).
//!
//! While paused the rollout is `Progressing` (never `Ready`), `Paused=True` says where and until when, and
//! `status.paused` names the hook. Each new `ecsbridge.dev/continue` value is answered once: a CONTINUE while paused,
//! a Warning event otherwise; the value is recorded in `status.continued`, so a re-reconcile or a restart never
//! continues twice. A rollback asked for while paused is a ContinueServiceDeployment with ROLLBACK ([`super::stages`]).

use super::rollout::{Phase, Rollout};
use crate::api::service::ServiceDeploymentTruth;
use crate::api::service_pause::{CONTINUE_ANNOTATION, PausedHook};
use crate::reconcile::conditions::{ConditionUpdate, DEGRADED, PAUSED};
use crate::reconcile::{Context, Error, Note};

/// What a hook shows after ecs-bridge answered it, until ECS is read again.
const CONTINUE_REQUESTED: &str = "CONTINUE_REQUESTED";

/// The PAUSE hook ECS waits on, when the service deployment is paused: in progress, not rolling back, with a hook
/// AWAITING_ACTION.
pub fn paused(truth: &ServiceDeploymentTruth) -> Option<PausedHook> {
    if !truth.ongoing() || truth.rolled_back() {
        return None;
    }
    let hook = truth
        .hooks
        .iter()
        .find(|h| h.status.as_deref() == Some("AWAITING_ACTION"))?;
    Some(PausedHook {
        service_deployment: truth.arn.clone(),
        stage: truth.lifecycle_stage.clone(),
        hook_id: hook.hook_id.clone()?,
        expires_at: hook.expires_at.clone(),
        timeout_action: hook.timeout_action.clone(),
    })
}

fn message(paused: &PausedHook, name: &str) -> String {
    format!(
        "service deployment {} of service {name} is paused at stage {} by hook {} until {}, when ECS takes its \
         time-out action {}; set the annotation {CONTINUE_ANNOTATION} or {} to a new value to answer it",
        paused.service_deployment,
        paused.stage.as_deref().unwrap_or("unknown"),
        paused.hook_id,
        paused.expires_at.as_deref().unwrap_or("its time-out"),
        paused.timeout_action.as_deref().unwrap_or("ROLLBACK"),
        crate::api::common::ROLLBACK_ANNOTATION,
    )
}

/// The rollout with the pause: `Progressing` (reason `Paused`) while a hook holds the deployment, unless it is
/// Degraded already; and the `Paused` condition, True or False.
pub fn judge(rollout: Rollout, paused: Option<&PausedHook>, name: &str) -> Rollout {
    let Some(paused) = paused else {
        let mut rollout = rollout;
        rollout.conditions.push(ConditionUpdate::new(
            PAUSED,
            false,
            "NotPaused",
            "no PAUSE lifecycle hook holds the deployment",
        ));
        return rollout;
    };
    let message = message(paused, name);
    let mut rollout = if rollout.is(DEGRADED) {
        rollout
    } else {
        Rollout::new(Phase::Progressing, "Paused", &message)
    };
    rollout
        .conditions
        .push(ConditionUpdate::new(PAUSED, true, "Paused", message));
    rollout
}

/// Answers a new `ecsbridge.dev/continue` value: ContinueServiceDeployment with CONTINUE when a PAUSE hook holds the
/// deployment (the hook then shows CONTINUE_REQUESTED until ECS is read again), a Warning event otherwise.
pub async fn answer_continue(
    ctx: &Context,
    truth: Option<&mut ServiceDeploymentTruth>,
    name: &str,
    value: &str,
) -> Result<Note, Error> {
    let asked = format!("{CONTINUE_ANNOTATION}={value}");
    let Some(truth) = truth else {
        return Ok(Note::warning(
            "NothingToContinue",
            format!(
                "{asked}: ECS shows no service deployment of service {name}, so none is paused; set a new value \
                 while a PAUSE lifecycle hook holds a deployment"
            ),
        ));
    };
    let Some(hook) = paused(truth) else {
        return Ok(Note::warning(
            "NothingToContinue",
            format!(
                "{asked}: service deployment {} of service {name} is not paused at a PAUSE lifecycle hook (it is {} \
                 in stage {}); set a new value while a PAUSE hook holds a deployment",
                truth.arn,
                truth.status.as_deref().unwrap_or("ended"),
                truth.lifecycle_stage.as_deref().unwrap_or("unknown"),
            ),
        ));
    };
    ctx.ecs
        .continue_service_deployment(&truth.arn, &hook.hook_id, false)
        .await?;
    for h in truth
        .hooks
        .iter_mut()
        .filter(|h| h.hook_id.as_deref() == Some(hook.hook_id.as_str()))
    {
        h.status = Some(CONTINUE_REQUESTED.into());
    }
    Ok(Note::normal(
        "Continued",
        format!(
            "continued service deployment {} of service {name} past PAUSE hook {} at stage {} ({asked})",
            truth.arn,
            hook.hook_id,
            hook.stage.as_deref().unwrap_or("unknown")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::service::LifecycleHookOutcome;
    use crate::reconcile::conditions::{PROGRESSING, READY};

    fn truth(status: &str, hook: &str) -> ServiceDeploymentTruth {
        ServiceDeploymentTruth {
            arn: "arn:sd".into(),
            status: Some(status.into()),
            lifecycle_stage: Some("POST_TEST_TRAFFIC_SHIFT".into()),
            hooks: vec![
                LifecycleHookOutcome {
                    target_type: Some("AWS_LAMBDA".into()),
                    target_arn: Some("arn:fn".into()),
                    status: Some("SUCCEEDED".into()),
                    ..Default::default()
                },
                LifecycleHookOutcome {
                    hook_id: Some("ecs-pause-1".into()),
                    target_type: Some("PAUSE".into()),
                    status: Some(hook.into()),
                    expires_at: Some("2026-12-05T11:00:00Z".into()),
                    timeout_action: Some("ROLLBACK".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn a_hook_awaiting_action_pauses_an_ongoing_deployment_only() {
        let found = paused(&truth("IN_PROGRESS", "AWAITING_ACTION")).unwrap();
        assert_eq!(found.hook_id, "ecs-pause-1");
        assert_eq!(found.stage.as_deref(), Some("POST_TEST_TRAFFIC_SHIFT"));
        assert_eq!(found.expires_at.as_deref(), Some("2026-12-05T11:00:00Z"));
        assert_eq!(found.timeout_action.as_deref(), Some("ROLLBACK"));
        for (status, hook) in [
            ("IN_PROGRESS", "SUCCEEDED"),
            ("IN_PROGRESS", "TIMED_OUT"),
            ("IN_PROGRESS", CONTINUE_REQUESTED),
            ("ROLLBACK_REQUESTED", "AWAITING_ACTION"),
            ("SUCCESSFUL", "AWAITING_ACTION"),
        ] {
            assert_eq!(paused(&truth(status, hook)), None, "{status} {hook}");
        }
    }

    #[test]
    fn a_paused_rollout_is_progressing_not_ready_and_says_where_and_until_when() {
        let ready = Rollout::new(Phase::Ready, "RolloutComplete", "done");
        let hook = paused(&truth("IN_PROGRESS", "AWAITING_ACTION"));
        let judged = judge(ready.clone(), hook.as_ref(), "web");
        assert!(judged.is(PROGRESSING) && !judged.is(READY) && judged.is(PAUSED));
        assert!(!judged.settled);
        let condition = judged
            .conditions
            .iter()
            .find(|c| c.type_ == PAUSED)
            .unwrap();
        for part in [
            "POST_TEST_TRAFFIC_SHIFT",
            "ecs-pause-1",
            "2026-12-05T11:00:00Z",
            "ROLLBACK",
            "ecsbridge.dev/continue",
        ] {
            assert!(condition.message.contains(part), "{}", condition.message);
        }
        let not_paused = judge(ready.clone(), None, "web");
        assert!(not_paused.is(READY) && !not_paused.is(PAUSED));
        assert_eq!(
            not_paused.conditions.len(),
            4,
            "Paused=False is written too"
        );
        // A rollback already judged Degraded stays Degraded.
        let degraded = Rollout::new(Phase::Degraded, "RolledBack", "rolled back");
        assert!(judge(degraded, hook.as_ref(), "web").is(DEGRADED));
    }
}
