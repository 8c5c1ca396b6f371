//! Unit tests of following a rollout: `Ready`, `Progressing` and `Degraded` from ECS's deployments (`rollout.rs`).

use super::*;

const V3: &str = "arn:aws:ecs:us-east-1:123:task-definition/web:3";
const V4: &str = "arn:aws:ecs:us-east-1:123:task-definition/web:4";

fn deployment(
    status: &str,
    task_definition: &str,
    running: i32,
    rollout: Option<(&str, &str)>,
) -> ObservedDeployment {
    ObservedDeployment {
        id: Some(format!("ecs-svc/{status}")),
        status: Some(status.into()),
        task_definition: Some(task_definition.into()),
        desired_count: 2,
        running_count: running,
        pending_count: 2 - running.min(2),
        rollout_state: rollout.map(|(state, _)| state.into()),
        rollout_state_reason: rollout.map(|(_, reason)| reason.into()),
        ..Default::default()
    }
}

fn service(deployments: Vec<ObservedDeployment>) -> ObservedService {
    ObservedService {
        service_name: "web".into(),
        status: "ACTIVE".into(),
        desired_count: 2,
        task_definition: deployments.first().and_then(|d| d.task_definition.clone()),
        deployments,
        ..Default::default()
    }
}

/// (Ready, Progressing, Degraded) and the shared reason.
fn summary(rollout: &Rollout) -> (bool, bool, bool, String) {
    let status = |type_| {
        rollout
            .conditions
            .iter()
            .find(|c| c.type_ == type_)
            .map(|c| c.status)
            .unwrap()
    };
    (
        status(READY),
        status(PROGRESSING),
        status(DEGRADED),
        rollout.conditions[0].reason.clone(),
    )
}

#[test]
fn follows_a_rollout_from_in_progress_to_completed() {
    let rolling = service(vec![
        deployment(
            "PRIMARY",
            V4,
            1,
            Some(("IN_PROGRESS", "ECS deployment ecs-svc/2 in progress.")),
        ),
        deployment("ACTIVE", V3, 2, Some(("COMPLETED", "done"))),
    ]);
    let rollout = assess(&rolling, V4, 2, None);
    assert_eq!(summary(&rollout), (false, true, false, "RollingOut".into()));
    assert!(!rollout.settled);
    assert!(
        rollout.conditions[1].message.contains("web:4")
            && rollout.conditions[1].message.contains("1 of 2"),
        "{}",
        rollout.conditions[1].message
    );

    let done = service(vec![deployment(
        "PRIMARY",
        V4,
        2,
        Some(("COMPLETED", "ECS deployment ecs-svc/2 completed.")),
    )]);
    let rollout = assess(&done, "web:4", 2, None);
    assert_eq!(
        summary(&rollout),
        (true, false, false, "RolloutComplete".into())
    );
    assert!(rollout.settled);
    assert_eq!(rollout.conditions.len(), 3);
}

#[test]
fn a_failed_rollout_is_degraded_with_ecs_reason() {
    let failed = service(vec![deployment(
        "PRIMARY",
        V4,
        0,
        Some((
            "FAILED",
            "ECS deployment circuit breaker: tasks failed to start.",
        )),
    )]);
    let rollout = assess(&failed, V4, 2, None);
    assert_eq!(
        summary(&rollout),
        (false, false, true, "RolloutFailed".into())
    );
    assert!(rollout.settled);
    assert!(
        rollout.conditions[2]
            .message
            .contains("tasks failed to start")
    );
}

#[test]
fn a_circuit_breaker_rollback_is_degraded() {
    let rolled_back = service(vec![
        deployment(
            "PRIMARY",
            V3,
            1,
            Some((
                "IN_PROGRESS",
                "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.",
            )),
        ),
        deployment(
            "ACTIVE",
            V4,
            0,
            Some((
                "FAILED",
                "ECS deployment circuit breaker: tasks failed to start.",
            )),
        ),
    ]);
    let rollout = assess(&rolled_back, V4, 2, None);
    assert_eq!(summary(&rollout), (false, false, true, "RolledBack".into()));
    let message = &rollout.conditions[2].message;
    assert!(
        message.contains("tasks failed to start") && message.contains("back to web:3"),
        "{message}"
    );

    // Once the failed deployment is gone, the PRIMARY's reason still tells.
    let only_primary = service(vec![deployment(
        "PRIMARY",
        V3,
        2,
        Some((
            "COMPLETED",
            "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.",
        )),
    )]);
    assert_eq!(summary(&assess(&only_primary, V4, 2, None)).3, "RolledBack");
}

#[test]
fn tasks_short_of_the_desired_count_are_pending() {
    let short = service(vec![deployment(
        "PRIMARY",
        V4,
        1,
        Some(("COMPLETED", "done")),
    )]);
    let rollout = assess(&short, V4, 2, None);
    assert_eq!(
        summary(&rollout),
        (false, true, false, "TasksPending".into())
    );
    assert!(
        rollout.conditions[0]
            .message
            .contains("1 of 2 tasks running")
    );
    assert_eq!(summary(&assess(&short, V4, 0, None)).3, "TasksStopping");
}

/// ECS completes a rolling deployment once `healthyPercent` of the desired tasks are healthy and scales the
/// rest in the background (entry 149): Ready then, not TasksPending.
#[test]
fn early_success_criteria_are_ready_once_ecs_completed_the_deployment() {
    let mut early = service(vec![deployment(
        "PRIMARY",
        V4,
        1,
        Some(("COMPLETED", "done")),
    )]);
    early.deployment_configuration = serde_yaml::from_str(
        "{earlySuccessCriteria: {enable: true, healthyPercent: 50, sourceServiceRevisionCleanup: DEFERRED}}",
    )
    .unwrap();
    assert_eq!(
        summary(&assess(&early, V4, 2, None)),
        (true, false, false, "EarlySuccess".into())
    );
    // Short of the percent, or with the criteria off, the rest is still pending.
    assert_eq!(summary(&assess(&early, V4, 3, None)).3, "TasksPending");
    let criteria = early
        .deployment_configuration
        .as_mut()
        .and_then(|c| c.early_success_criteria.as_mut())
        .unwrap();
    criteria.enable = false;
    assert_eq!(summary(&assess(&early, V4, 2, None)).3, "TasksPending");
}

#[test]
fn an_older_task_definition_waits_for_the_deployment() {
    let old = service(vec![deployment(
        "PRIMARY",
        V3,
        2,
        Some(("COMPLETED", "done")),
    )]);
    let rollout = assess(&old, V4, 2, None);
    assert_eq!(
        summary(&rollout),
        (false, true, false, "DeploymentPending".into())
    );
    assert!(!rollout.settled);
    assert!(rollout.conditions[1].message.contains("runs web:3"));
}

#[test]
fn deployments_without_rollout_state_complete_on_counts() {
    let single = service(vec![deployment("PRIMARY", V4, 2, None)]);
    assert!(summary(&assess(&single, V4, 2, None)).0);

    // moto never starts tasks: running 0 stays pending, which is right.
    let moto = service(vec![deployment("PRIMARY", V4, 0, None)]);
    assert_eq!(
        summary(&assess(&moto, V4, 2, None)),
        (false, true, false, "TasksPending".into())
    );

    let draining = service(vec![
        deployment("PRIMARY", V4, 2, None),
        deployment("ACTIVE", V3, 1, None),
    ]);
    assert_eq!(summary(&assess(&draining, V4, 2, None)).3, "RollingOut");

    let mut no_deployments = service(vec![]);
    no_deployments.task_definition = Some(V4.into());
    no_deployments.running_count = 2;
    assert!(summary(&assess(&no_deployments, V4, 2, None)).0);
}

#[test]
fn an_external_service_is_ready_when_its_primary_task_set_is_steady() {
    let mut external = service(vec![]);
    external.deployment_controller = Some(crate::api::service::DeploymentController {
        type_: DeploymentControllerType::External,
    });
    assert_eq!(
        summary(&assess(&external, "", 2, None)).3,
        "NoPrimaryTaskSet"
    );
    let set = |status: &str, stability: &str| crate::ecs::service::ObservedTaskSet {
        id: Some(format!("ecs-svc/{status}")),
        status: Some(status.into()),
        computed_desired_count: 2,
        running_count: 2,
        stability_status: Some(stability.into()),
        ..Default::default()
    };
    external.task_sets = vec![set("PRIMARY", "STABILIZING"), set("ACTIVE", "STEADY_STATE")];
    assert_eq!(
        summary(&assess(&external, "", 2, None)),
        (false, true, false, "TaskSetStabilizing".into())
    );
    external.task_sets = vec![set("PRIMARY", "STEADY_STATE")];
    assert_eq!(
        summary(&assess(&external, "", 2, None)),
        (true, false, false, "TaskSetSteady".into())
    );
}

#[test]
fn a_draining_service_is_neither_ready_nor_progressing() {
    let mut draining = service(vec![deployment(
        "PRIMARY",
        V4,
        2,
        Some(("COMPLETED", "done")),
    )]);
    draining.status = "DRAINING".into();
    let rollout = assess(&draining, V4, 2, None);
    assert_eq!(
        summary(&rollout),
        (false, false, false, "ServiceNotActive".into())
    );
    assert!(!rollout.settled);
}
