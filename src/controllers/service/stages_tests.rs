//! Unit tests of the rollout truth per lifecycle stage, the rollback and the continue annotations (`stages.rs`).

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
