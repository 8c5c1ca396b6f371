//! The truth of a daemon's rollout, from DescribeDaemonDeployments: `Ready` only once the deployment of what
//! was last sent is SUCCESSFUL; `Progressing` while it rolls (or rolls back); `Degraded` once ECS rolled it back
//! (its circuit breaker or an alarm) or stopped it without a newer deployment replacing it (ECS stops a deployment
//! "because it failed or was replaced by a new deployment"), which also stops the operator from sending the same
//! again until the spec changes.

use crate::ecs::daemon::ObservedDaemonDeployment;
use crate::reconcile::conditions::{ConditionUpdate, DEGRADED, PROGRESSING, READY};

/// What the deployment's status means for the object.
#[derive(Debug, PartialEq)]
pub struct Rollout {
    pub conditions: Vec<ConditionUpdate>,
    /// ECS rolled the deployment back (or is rolling it back).
    pub rolled_back: bool,
    /// The deployment is over, whichever way.
    pub finished: bool,
}

/// The conditions for the deployment `arn` ECS reports as `deployment` (`None`: ECS does not report it);
/// `superseded`: the daemon's newest deployment is another one.
pub fn rollout(
    arn: &str,
    deployment: Option<&ObservedDaemonDeployment>,
    superseded: bool,
) -> Rollout {
    let Some(deployment) = deployment else {
        return Rollout {
            conditions: vec![
                ConditionUpdate::new(
                    READY,
                    false,
                    "DeploymentUnknown",
                    format!("ECS does not report deployment {arn}"),
                ),
                ConditionUpdate::new(PROGRESSING, false, "DeploymentUnknown", ""),
                ConditionUpdate::new(DEGRADED, false, "DeploymentUnknown", ""),
            ],
            rolled_back: false,
            finished: false,
        };
    };
    let status = deployment.status.as_deref().unwrap_or("PENDING");
    let reason = deployment
        .rollback
        .as_ref()
        .and_then(|r| r.reason.clone())
        .or_else(|| deployment.status_reason.clone())
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    let (ready, progressing, degraded, why) = match status {
        "SUCCESSFUL" => (true, false, false, "DeploymentSucceeded"),
        "PENDING" | "IN_PROGRESS" => (false, true, false, "Deploying"),
        "ROLLBACK_IN_PROGRESS" => (false, true, true, "RollingBack"),
        "ROLLBACK_SUCCESSFUL" => (false, false, true, "RolledBack"),
        "ROLLBACK_FAILED" => (false, false, true, "RollbackFailed"),
        "STOP_REQUESTED" | "STOPPED" if superseded => (false, false, false, "DeploymentStopped"),
        "STOP_REQUESTED" | "STOPPED" => (false, false, true, "DeploymentFailed"),
        _ => (false, true, false, "Deploying"),
    };
    let message = format!("daemon deployment {arn} is {status}{reason}");
    let rolled_back = degraded;
    Rollout {
        conditions: vec![
            ConditionUpdate::new(READY, ready, why, message.clone()),
            ConditionUpdate::new(PROGRESSING, progressing, why, message.clone()),
            ConditionUpdate::new(
                DEGRADED,
                degraded,
                why,
                if degraded {
                    format!(
                        "{message}; the same revision and settings are not sent again until the spec or the \
                         daemon task definition changes"
                    )
                } else {
                    String::new()
                },
            ),
        ],
        rolled_back,
        finished: !progressing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(status: &str) -> ObservedDaemonDeployment {
        ObservedDaemonDeployment {
            daemon_deployment_arn: "d".into(),
            status: Some(status.into()),
            ..Default::default()
        }
    }

    fn state(r: &Rollout) -> Vec<bool> {
        r.conditions.iter().map(|c| c.status).collect()
    }

    #[test]
    fn ready_only_once_the_deployment_succeeded() {
        assert_eq!(
            state(&rollout("d", Some(&deployment("SUCCESSFUL")), false)),
            [true, false, false]
        );
        for rolling in ["PENDING", "IN_PROGRESS"] {
            let r = rollout("d", Some(&deployment(rolling)), false);
            assert_eq!(state(&r), [false, true, false], "{rolling}");
            assert!(!r.finished && !r.rolled_back);
        }
        assert_eq!(state(&rollout("d", None, false)), [false, false, false]);
    }

    /// ECS stops a deployment "because it failed or was replaced by a new deployment": replaced, the newer one
    /// is followed; not replaced, it failed and is not sent again.
    #[test]
    fn a_stopped_deployment_failed_unless_a_newer_one_replaced_it() {
        let replaced = rollout("d", Some(&deployment("STOPPED")), true);
        assert_eq!(state(&replaced), [false, false, false]);
        assert!(!replaced.rolled_back);
        let failed = rollout("d", Some(&deployment("STOPPED")), false);
        assert_eq!(state(&failed), [false, false, true]);
        assert!(failed.rolled_back && failed.finished);
    }

    #[test]
    fn a_rollback_is_degraded_and_remembered() {
        let r = rollout("d", Some(&deployment("ROLLBACK_IN_PROGRESS")), false);
        assert_eq!(state(&r), [false, true, true]);
        assert!(r.rolled_back);
        for over in ["ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"] {
            let r = rollout("d", Some(&deployment(over)), false);
            assert_eq!(state(&r), [false, false, true], "{over}");
            assert!(r.rolled_back && r.finished);
        }
    }
}
