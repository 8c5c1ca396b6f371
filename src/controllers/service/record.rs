//! Remembers the deployment the operator started and judges it from what ECS reports, so that a deployment that
//! failed is not started again for the same desired state, even after ECS rolled it back and dropped it from
//! `deployments` (docs/ecs-behaviour.md, the circuit-breaker entries); pure.

use sha2::{Digest, Sha256};

use super::plan::same_task_definition;
use super::rollout::mentions_rollback;
use super::status::primary;
use crate::api::EcsServiceSpec;
use crate::api::EcsServiceStatus;
use crate::api::service::{RolloutOutcome, RolloutRecord};
use crate::api::service_revision_fields::SentRevisionFields;
use crate::controllers::service::plan::ServiceAction;
use crate::ecs::service::ObservedService;

/// Spec fields that do not take part in a deployment: a change of these never starts one.
const NOT_DEPLOYED: [&str; 8] = [
    "exportTo",
    "autoScaling",
    "desiredCount",
    "desiredCountPolicy",
    "tags",
    "deletionPolicy",
    "serviceName",
    "kubernetesService",
];

/// A digest of the desired state a deployment is started for: the spec without the fields above, the resolved
/// task definition and the restart annotation.
pub fn desired_key(spec: &EcsServiceSpec, task_definition: &str, restart: Option<&str>) -> String {
    let mut fields = serde_json::to_value(spec).unwrap_or_default();
    if let Some(map) = fields.as_object_mut() {
        for key in NOT_DEPLOYED {
            map.remove(key);
        }
    }
    let seed = serde_json::json!([fields, task_definition, restart]).to_string();
    Sha256::digest(seed.as_bytes())
        .iter()
        .take(10)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The record of a deployment just started by an UpdateService: ECS may or may not show the new deployment in
/// the answer, so it is recognised as the first PRIMARY other than the one before the update.
pub fn started(
    desired: String,
    task_definition: Option<String>,
    before: Option<&ObservedService>,
    after: &ObservedService,
) -> RolloutRecord {
    let replaced = before.and_then(primary).and_then(|d| d.id.clone());
    let shown = primary(after).and_then(|d| d.id.clone());
    let replaced_service_deployment = before.and_then(|b| b.current_service_deployment.clone());
    let service_deployment = after
        .current_service_deployment
        .clone()
        .filter(|sd| Some(sd) != replaced_service_deployment.as_ref());
    RolloutRecord {
        desired,
        task_definition,
        deployment_id: shown.filter(|id| Some(id) != replaced.as_ref()),
        replaced_deployment: replaced,
        replaced_service_deployment,
        service_deployment,
        outcome: RolloutOutcome::InProgress,
        reason: None,
    }
}

/// Whether the service deployment `arn` is the one the deployment of `record` started: the one ECS named as
/// current after the update, or, until ECS named one, any but the one it replaced.
pub fn started_service_deployment(record: &RolloutRecord, arn: &str) -> bool {
    match &record.service_deployment {
        Some(ours) => ours == arn,
        None => record.replaced_service_deployment.as_deref() != Some(arn),
    }
}

/// The record brought up to date with what ECS reports now.
pub fn follow(record: &RolloutRecord, observed: &ObservedService) -> RolloutRecord {
    let mut next = record.clone();
    if record.outcome != RolloutOutcome::InProgress {
        return next;
    }
    if next.service_deployment.is_none() {
        next.service_deployment = observed
            .current_service_deployment
            .clone()
            .filter(|sd| Some(sd) != record.replaced_service_deployment.as_ref());
    }
    let current = primary(observed);
    let id = record.deployment_id.clone().or_else(|| {
        current
            .and_then(|d| d.id.clone())
            .filter(|id| Some(id) != record.replaced_deployment.as_ref())
    });
    let Some(id) = id else {
        return next;
    };
    next.deployment_id = Some(id.clone());
    match observed
        .deployments
        .iter()
        .find(|d| d.id.as_deref() == Some(&id))
    {
        Some(d) if d.rollout_state.as_deref() == Some("FAILED") => {
            next.outcome = RolloutOutcome::Failed;
            next.reason = Some(
                d.rollout_state_reason
                    .clone()
                    .unwrap_or_else(|| format!("ECS deployment {id} failed")),
            );
        }
        Some(d) if d.status.as_deref() == Some("PRIMARY") => {
            let completed = match d.rollout_state.as_deref() {
                Some(state) => state == "COMPLETED",
                // Without rollout states (moto), a lone PRIMARY at its count has completed.
                None => observed.deployments.len() == 1 && d.running_count >= d.desired_count,
            };
            if completed {
                next.outcome = RolloutOutcome::Completed;
            }
        }
        Some(_) => {}
        // ECS no longer lists it: either a later deployment replaced it, or ECS rolled it back.
        None => {
            let reason = current
                .and_then(|d| d.rollout_state_reason.clone())
                .unwrap_or_default();
            let runs_ours = record.task_definition.as_deref().is_none_or(|td| {
                same_task_definition(current.and_then(|d| d.task_definition.as_deref()), td)
            });
            if mentions_rollback(&reason) || !runs_ours {
                next.outcome = RolloutOutcome::Failed;
                next.reason = Some(if reason.is_empty() {
                    format!("ECS replaced deployment {id} before it completed")
                } else {
                    reason
                });
            } else {
                next.outcome = RolloutOutcome::Completed;
            }
        }
    }
    next
}

/// Whether a deployment was meant to start for `key` but ECS still shows the PRIMARY deployment it would have
/// replaced: the UpdateService timed out before ECS acted, so it must be sent again.
pub fn unconfirmed(record: Option<&RolloutRecord>, key: &str, observed: &ObservedService) -> bool {
    for_desired(record, key).is_some_and(|r| {
        r.outcome == RolloutOutcome::InProgress
            && r.deployment_id.is_none()
            && primary(observed).and_then(|d| d.id.as_ref()) == r.replaced_deployment.as_ref()
    })
}

/// The record when it was made for the desired state `key`.
pub fn for_desired<'a>(record: Option<&'a RolloutRecord>, key: &str) -> Option<&'a RolloutRecord> {
    record.filter(|r| r.desired == key)
}

/// The record of `monitoring` and `gatewayConnectors` once ECS accepted `action` (`None`: it sent neither).
pub fn sent_revision_fields(
    action: &ServiceAction,
    spec: &EcsServiceSpec,
    last: &EcsServiceStatus,
) -> Option<SentRevisionFields> {
    let before = last.sent_revision_fields.clone().unwrap_or_default();
    let sent = match action {
        ServiceAction::Create => {
            Some(before.after(spec.monitoring.as_ref(), spec.gateway_connectors.as_ref()))
        }
        ServiceAction::Update(update)
            if update.monitoring.is_some() || update.gateway_connectors.is_some() =>
        {
            Some(before.after(
                update.monitoring.as_ref(),
                update.gateway_connectors.as_ref(),
            ))
        }
        _ => None,
    };
    sent.filter(|s| *s != SentRevisionFields::default())
}

/// Whether the deployment for `key` failed already: then it is not started again.
pub fn failed_for(record: Option<&RolloutRecord>, key: &str) -> bool {
    for_desired(record, key).is_some_and(|r| r.outcome == RolloutOutcome::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::service::ObservedDeployment;

    const V1: &str = "arn:aws:ecs:us-east-1:123:task-definition/web:1";
    const V2: &str = "arn:aws:ecs:us-east-1:123:task-definition/web:2";

    fn deployment(
        id: &str,
        status: &str,
        td: &str,
        state: &str,
        reason: &str,
    ) -> ObservedDeployment {
        ObservedDeployment {
            id: Some(id.into()),
            status: Some(status.into()),
            task_definition: Some(td.into()),
            desired_count: 2,
            running_count: 2,
            rollout_state: Some(state.into()),
            rollout_state_reason: Some(reason.into()),
            ..Default::default()
        }
    }

    fn service(deployments: Vec<ObservedDeployment>) -> ObservedService {
        ObservedService {
            status: "ACTIVE".into(),
            deployments,
            ..Default::default()
        }
    }

    fn record_of_v2() -> RolloutRecord {
        let before = service(vec![deployment("d1", "PRIMARY", V1, "COMPLETED", "done")]);
        // ECS did not show the new deployment in the UpdateService answer.
        started("k".into(), Some(V2.into()), Some(&before), &before)
    }

    #[test]
    fn a_deployment_is_recognised_when_ecs_shows_it_and_completes() {
        let record = record_of_v2();
        assert_eq!(record.deployment_id, None);
        let before = service(vec![deployment("d1", "PRIMARY", V1, "COMPLETED", "done")]);
        assert!(
            unconfirmed(Some(&record), "k", &before),
            "ECS shows no new deployment yet"
        );
        let rolling = service(vec![
            deployment("d2", "PRIMARY", V2, "IN_PROGRESS", "in progress"),
            deployment("d1", "ACTIVE", V1, "COMPLETED", "done"),
        ]);
        let record = follow(&record, &rolling);
        assert!(!unconfirmed(Some(&record), "k", &rolling));
        assert_eq!(
            (record.deployment_id.as_deref(), record.outcome),
            (Some("d2"), RolloutOutcome::InProgress)
        );
        let done = service(vec![deployment("d2", "PRIMARY", V2, "COMPLETED", "done")]);
        assert_eq!(follow(&record, &done).outcome, RolloutOutcome::Completed);
    }

    #[test]
    fn a_rollback_that_ecs_dropped_from_deployments_is_remembered_as_failed() {
        let record = follow(
            &record_of_v2(),
            &service(vec![
                deployment("d2", "PRIMARY", V2, "IN_PROGRESS", "in progress"),
                deployment("d1", "ACTIVE", V1, "COMPLETED", "done"),
            ]),
        );
        // After the rollback completes, only the rollback deployment (of revision 1) is listed.
        let rolled_back = service(vec![deployment(
            "d3",
            "PRIMARY",
            V1,
            "COMPLETED",
            "ECS deployment circuit breaker: rolling back to deploymentId d1.",
        )]);
        let record = follow(&record, &rolled_back);
        assert_eq!(record.outcome, RolloutOutcome::Failed);
        assert!(record.reason.as_deref().unwrap().contains("rolling back"));
        assert!(failed_for(Some(&record), "k"));
        assert!(!failed_for(Some(&record), "another desired state"));
        // The outcome stays, whatever ECS shows later.
        assert_eq!(
            follow(&record, &rolled_back).outcome,
            RolloutOutcome::Failed
        );
    }

    #[test]
    fn a_failed_deployment_that_keeps_the_task_definition_is_seen() {
        let before = service(vec![deployment("d1", "PRIMARY", V1, "COMPLETED", "done")]);
        let after = service(vec![
            deployment("d2", "PRIMARY", V1, "IN_PROGRESS", "in progress"),
            deployment("d1", "ACTIVE", V1, "COMPLETED", "done"),
        ]);
        let record = started("k".into(), Some(V1.into()), Some(&before), &after);
        assert_eq!(record.deployment_id.as_deref(), Some("d2"));
        let failed = service(vec![
            deployment(
                "d3",
                "PRIMARY",
                V1,
                "IN_PROGRESS",
                "circuit breaker: rolling back",
            ),
            deployment("d2", "ACTIVE", V1, "FAILED", "tasks failed to start"),
        ]);
        let record = follow(&record, &failed);
        assert_eq!(record.outcome, RolloutOutcome::Failed);
        assert_eq!(record.reason.as_deref(), Some("tasks failed to start"));
    }

    #[test]
    fn the_service_deployment_started_is_the_one_ecs_names_current_after_the_update() {
        let mut before = service(vec![deployment("d1", "PRIMARY", V1, "COMPLETED", "done")]);
        before.current_service_deployment = Some("sd-1".into());
        // ECS answered the update before naming the new service deployment.
        let record = started("k".into(), Some(V2.into()), Some(&before), &before);
        assert_eq!(
            (
                record.replaced_service_deployment.as_deref(),
                record.service_deployment.as_deref()
            ),
            (Some("sd-1"), None)
        );
        assert!(
            !started_service_deployment(&record, "sd-1"),
            "the replaced one"
        );
        assert!(started_service_deployment(&record, "sd-2"));
        // A lagging DescribeServices still names the old one: it is not taken for ours.
        assert_eq!(follow(&record, &before).service_deployment, None);
        let mut after = service(vec![
            deployment("d2", "PRIMARY", V2, "IN_PROGRESS", "in progress"),
            deployment("d1", "ACTIVE", V1, "COMPLETED", "done"),
        ]);
        after.current_service_deployment = Some("sd-2".into());
        let record = follow(&record, &after);
        assert_eq!(record.service_deployment.as_deref(), Some("sd-2"));
        assert!(started_service_deployment(&record, "sd-2"));
        assert!(!started_service_deployment(&record, "sd-1"));
        assert!(!started_service_deployment(&record, "sd-0"), "an older one");
        let direct = started("k".into(), Some(V2.into()), Some(&before), &after);
        assert_eq!(direct.service_deployment.as_deref(), Some("sd-2"));
    }

    #[test]
    fn the_desired_key_ignores_the_count_and_follows_revision_and_restart() {
        let spec: EcsServiceSpec =
            serde_yaml::from_str("cluster: main\ntaskDefinition: web\ndesiredCount: 2\n").unwrap();
        let mut scaled = spec.clone();
        scaled.desired_count = Some(5);
        let key = desired_key(&spec, V1, None);
        assert_eq!(key, desired_key(&scaled, V1, None));
        assert_ne!(key, desired_key(&spec, V2, None));
        assert_ne!(key, desired_key(&spec, V1, Some("now")));
        let mut moved = spec.clone();
        moved.platform_version = Some("1.4.0".into());
        assert_ne!(key, desired_key(&moved, V1, None));
    }
}
