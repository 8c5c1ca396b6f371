//! What a service depends on in the objects it refers to: only a change of these facts wakes the services that
//! use a cluster or task definition, not every status write (a condition's message, a counter).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use kube::Resource;

use crate::api::common::Condition;
use crate::api::{EcsCluster, EcsService, TaskDefinition};
use crate::reconcile::conditions::READY;

/// The facts of an `EcsCluster` its services use: ARN, readiness, deletion.
pub fn cluster_facts(cluster: &EcsCluster) -> Option<u64> {
    let status = cluster.status.as_ref();
    Some(digest((
        status.and_then(|s| s.arn.as_deref()),
        status.map(|s| ready(&s.conditions)),
        deleting(cluster),
    )))
}

/// The facts of a `TaskDefinition` its services use: latest revision and its ARN, readiness, deletion.
pub fn task_definition_facts(td: &TaskDefinition) -> Option<u64> {
    let status = td.status.as_ref();
    Some(digest((
        status.and_then(|s| s.latest_arn.as_deref()),
        status.and_then(|s| s.revision),
        status.map(|s| ready(&s.conditions)),
        deleting(td),
    )))
}

/// The facts of an `EcsService` its cluster counts (`status.activeServicesCount`): whether it exists in ECS, its
/// readiness, its deletion and whether its finalizer is still there (it goes once the ECS service is deleted).
pub fn service_facts(service: &EcsService) -> Option<u64> {
    let status = service.status.as_ref();
    Some(digest((
        status.and_then(|s| s.arn.as_deref()),
        status.map(|s| ready(&s.conditions)),
        deleting(service),
        crate::reconcile::finalizer::has(service),
    )))
}

fn ready(conditions: &[Condition]) -> Option<(&str, Option<i64>)> {
    conditions
        .iter()
        .find(|c| c.type_ == READY)
        .map(|c| (c.status.as_str(), c.observed_generation))
}

fn deleting<K: Resource>(obj: &K) -> bool {
    obj.meta().deletion_timestamp.is_some()
}

fn digest(value: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::EcsClusterStatus;

    fn cluster(arn: &str, ready: &str, message: &str, services: i32) -> EcsCluster {
        let mut c = EcsCluster::new("main", Default::default());
        c.status = Some(EcsClusterStatus {
            arn: Some(arn.into()),
            active_services_count: Some(services),
            conditions: vec![Condition {
                type_: READY.into(),
                status: ready.into(),
                message: message.into(),
                ..Default::default()
            }],
            ..Default::default()
        });
        c
    }

    #[test]
    fn a_cluster_wakes_its_services_only_when_arn_or_readiness_change() {
        let base = cluster_facts(&cluster("a", "True", "ACTIVE", 1));
        assert_eq!(
            base,
            cluster_facts(&cluster("a", "True", "still ACTIVE", 5))
        );
        assert_ne!(base, cluster_facts(&cluster("b", "True", "ACTIVE", 1)));
        assert_ne!(base, cluster_facts(&cluster("a", "False", "ACTIVE", 1)));
    }

    #[test]
    fn a_service_wakes_its_cluster_when_it_is_created_ready_or_gone_from_ecs() {
        let mut svc = EcsService::new("web", Default::default());
        let base = service_facts(&svc);
        svc.status = Some(crate::api::EcsServiceStatus {
            arn: Some("arn:aws:ecs:service/web".into()),
            ..Default::default()
        });
        let created = service_facts(&svc);
        assert_ne!(base, created);
        svc.status.as_mut().unwrap().running_count = Some(3);
        assert_eq!(
            created,
            service_facts(&svc),
            "a count is not a fact its cluster counts"
        );
        svc.metadata.finalizers = Some(vec![crate::api::common::FINALIZER.to_owned()]);
        let finalized = service_facts(&svc);
        assert_ne!(created, finalized);
        svc.metadata.finalizers = None;
        assert_ne!(
            finalized,
            service_facts(&svc),
            "the finalizer goes after DeleteService"
        );
    }

    #[test]
    fn a_task_definition_wakes_its_services_only_for_a_new_revision_or_readiness() {
        let mut td: TaskDefinition = serde_json::from_value(serde_json::json!({
            "apiVersion": "ecsbridge.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": "web"}, "spec": {"family": "web", "containerDefinitions": []},
            "status": {"revision": 1, "latestArn": "td/web:1", "activeRevisions": [1]}
        }))
        .unwrap();
        let base = task_definition_facts(&td);
        td.status.as_mut().unwrap().active_revisions = vec![1, 2];
        assert_eq!(base, task_definition_facts(&td));
        let status = td.status.as_mut().unwrap();
        status.revision = Some(2);
        status.latest_arn = Some("td/web:2".into());
        assert_ne!(base, task_definition_facts(&td));
    }
}
