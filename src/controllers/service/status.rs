//! The `EcsService` status fields from what ECS reports; pure (conditions come from the rollout).

use k8s_openapi::jiff::Timestamp;

use crate::api::EcsServiceStatus;
use crate::api::service::{ServiceDeploymentStatus, ServiceEventStatus};
use crate::ecs::service::{ObservedDeployment, ObservedService, newer_first};

/// How many of the newest ECS service events the status keeps: all the operator keeps.
const RECENT_EVENTS: usize = crate::ecs::service::NEWEST_EVENTS;

/// The status fields for an observed service (conditions and bookkeeping fields are the caller's).
pub fn status_fields(observed: &ObservedService) -> EcsServiceStatus {
    let task_definition = primary(observed)
        .and_then(|d| d.task_definition.clone())
        .or_else(|| observed.task_definition.clone());
    let mut events = observed.events.clone();
    events.sort_by(newer_first);
    EcsServiceStatus {
        arn: non_empty(&observed.service_arn),
        service_name: non_empty(&observed.service_name),
        cluster_arn: non_empty(&observed.cluster_arn),
        task_definition_revision: task_definition
            .as_deref()
            .map(|t| revision_of(t).to_owned()),
        task_definition,
        desired_count: Some(observed.desired_count),
        running_count: Some(observed.running_count),
        pending_count: Some(observed.pending_count),
        deployments: observed.deployments.iter().map(deployment_status).collect(),
        events: events
            .into_iter()
            .take(RECENT_EVENTS)
            .map(|e| ServiceEventStatus {
                id: e.id,
                created_at: e.created_at.and_then(rfc3339),
                message: e.message,
            })
            .collect(),
        ..Default::default()
    }
}

/// The deployment that runs the service's current configuration.
pub fn primary(observed: &ObservedService) -> Option<&ObservedDeployment> {
    observed
        .deployments
        .iter()
        .find(|d| d.status.as_deref() == Some("PRIMARY"))
}

/// `family:revision` of a task definition ARN (anything else is returned as it is).
pub(super) fn revision_of(task_definition: &str) -> &str {
    task_definition
        .rsplit('/')
        .next()
        .unwrap_or(task_definition)
}

fn deployment_status(d: &ObservedDeployment) -> ServiceDeploymentStatus {
    ServiceDeploymentStatus {
        id: d.id.clone(),
        status: d.status.clone(),
        task_definition: d.task_definition.clone(),
        rollout_state: d.rollout_state.clone(),
        rollout_state_reason: d.rollout_state_reason.clone(),
        desired_count: Some(d.desired_count),
        running_count: Some(d.running_count),
        pending_count: Some(d.pending_count),
        failed_tasks: Some(d.failed_tasks),
        created_at: d.created_at.and_then(rfc3339),
        updated_at: d.updated_at.and_then(rfc3339),
    }
}

/// Epoch seconds as Kubernetes writes times (RFC 3339, whole seconds, UTC).
fn rfc3339(seconds: f64) -> Option<String> {
    Timestamp::from_second(seconds.floor() as i64)
        .ok()
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::service::ObservedServiceEvent;

    #[test]
    fn fills_identity_counts_deployments_and_recent_events() {
        let observed = ObservedService {
            service_arn: "arn:aws:ecs:us-east-1:123:service/main/web".into(),
            service_name: "web".into(),
            cluster_arn: "arn:aws:ecs:us-east-1:123:cluster/main".into(),
            status: "ACTIVE".into(),
            desired_count: 2,
            running_count: 1,
            pending_count: 1,
            task_definition: Some("arn:aws:ecs:us-east-1:123:task-definition/web:4".into()),
            deployments: vec![
                ObservedDeployment {
                    id: Some("ecs-svc/2".into()),
                    status: Some("PRIMARY".into()),
                    task_definition: Some("arn:aws:ecs:us-east-1:123:task-definition/web:4".into()),
                    desired_count: 2,
                    running_count: 1,
                    rollout_state: Some("IN_PROGRESS".into()),
                    created_at: Some(1_700_000_000.75),
                    ..Default::default()
                },
                ObservedDeployment {
                    id: Some("ecs-svc/1".into()),
                    status: Some("ACTIVE".into()),
                    task_definition: Some("arn:aws:ecs:us-east-1:123:task-definition/web:3".into()),
                    ..Default::default()
                },
            ],
            events: (0..7)
                .map(|i| ObservedServiceEvent {
                    id: Some(format!("e{i}")),
                    created_at: Some(1_700_000_000.0 + f64::from(i)),
                    message: Some(format!("event {i}")),
                })
                .collect(),
            ..Default::default()
        };
        let status = status_fields(&observed);
        assert_eq!(
            status.arn.as_deref(),
            Some("arn:aws:ecs:us-east-1:123:service/main/web")
        );
        assert_eq!(status.task_definition_revision.as_deref(), Some("web:4"));
        assert_eq!(status.desired_count, Some(2));
        assert_eq!(status.running_count, Some(1));
        assert_eq!(status.deployments.len(), 2);
        assert_eq!(
            status.deployments[0].created_at.as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(status.deployments[1].created_at, None);
        let ids: Vec<_> = status.events.iter().filter_map(|e| e.id.clone()).collect();
        assert_eq!(ids, ["e6", "e5", "e4", "e3", "e2"]);
        assert_eq!(
            status.events[0].created_at.as_deref(),
            Some("2023-11-14T22:13:26Z")
        );
        assert_eq!(status.conditions, vec![]);
    }

    #[test]
    fn reads_the_revision_of_an_arn() {
        assert_eq!(
            revision_of("arn:aws:ecs:us-east-1:123:task-definition/web:4"),
            "web:4"
        );
        assert_eq!(revision_of("web:4"), "web:4");
    }
}
