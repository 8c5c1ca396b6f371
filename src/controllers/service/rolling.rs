//! The services whose deployment has not settled and whose rollout is judged from DescribeServices alone (a
//! rolling deployment; not a staged one, whose service deployments are read too), each with what its last
//! reconcile saw: the rollout-following loop (`runtime::rollout_watch`) reads them per cluster in DescribeServices
//! calls of 10 and wakes a service only when ECS shows it otherwise than its reconcile judged it (a task started or
//! stopped, the deployment completed or failed, a new service event), instead of each service polling ECS by
//! itself every few seconds.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use kube::runtime::reflector::ObjectRef;

use crate::api::EcsService;
use crate::ecs::Ecs;
use crate::ecs::service::ObservedService;

/// What a rollout's verdict depends on, in a number: equal numbers, the same verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen(u64);

impl Seen {
    /// The service's state, its counts, its deployments and task sets, and its newest event.
    pub fn of(service: &ObservedService) -> Self {
        let mut hasher = DefaultHasher::new();
        (
            &service.status,
            service.desired_count,
            service.running_count,
            service.pending_count,
            &service.task_definition,
            &service.current_service_deployment,
        )
            .hash(&mut hasher);
        format!("{:?}{:?}", service.deployments, service.task_sets).hash(&mut hasher);
        service.events.first().map(|e| &e.id).hash(&mut hasher);
        Self(hasher.finish())
    }
}

/// One service followed: where it is, the door to its account and region, and what its reconcile saw.
#[derive(Clone)]
pub struct Followed {
    pub cluster: String,
    pub name: String,
    pub ecs: Ecs,
    pub seen: Seen,
}

/// The followed services, shared by the service reconciles and the rollout-following loop.
#[derive(Default)]
pub struct Rolling {
    services: Mutex<HashMap<ObjectRef<EcsService>, Followed>>,
}

impl Rolling {
    fn lock(&self) -> MutexGuard<'_, HashMap<ObjectRef<EcsService>, Followed>> {
        self.services.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Follows the service's rollout from what its reconcile just judged.
    pub fn follow(&self, owner: ObjectRef<EcsService>, followed: Followed) {
        self.lock().insert(owner, followed);
    }

    /// Stops following the service (its rollout settled, is judged from service deployments, or it is gone).
    pub fn forget(&self, owner: &ObjectRef<EcsService>) {
        self.lock().remove(owner);
    }

    /// Stops following the services `keep` rejects.
    pub fn retain(&self, keep: impl Fn(&ObjectRef<EcsService>) -> bool) {
        self.lock().retain(|owner, _| keep(owner));
    }

    /// The followed services `in_scope` admits, by cluster.
    pub fn by_cluster(
        &self,
        in_scope: impl Fn(&ObjectRef<EcsService>) -> bool,
    ) -> BTreeMap<String, Vec<(ObjectRef<EcsService>, Followed)>> {
        let mut by_cluster: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for (owner, followed) in self.lock().iter().filter(|(o, _)| in_scope(o)) {
            by_cluster
                .entry(followed.cluster.clone())
                .or_default()
                .push((owner.clone(), followed.clone()));
        }
        by_cluster
    }
}

/// The followed services (owner, service name, what its reconcile saw) ECS shows otherwise than their reconcile
/// saw them, or no longer shows (`found`: the services of their cluster ECS described, by name).
pub fn changed<'a>(
    followed: impl IntoIterator<Item = (&'a ObjectRef<EcsService>, &'a str, Seen)>,
    found: &HashMap<String, ObservedService>,
) -> Vec<ObjectRef<EcsService>> {
    followed
        .into_iter()
        .filter(|(_, name, seen)| found.get(*name).is_none_or(|s| Seen::of(s) != *seen))
        .map(|(owner, _, _)| owner.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::service::{ObservedDeployment, ObservedServiceEvent};

    fn rolling(running: i32, state: &str) -> ObservedService {
        ObservedService {
            service_name: "web".into(),
            status: "ACTIVE".into(),
            desired_count: 2,
            running_count: running,
            deployments: vec![ObservedDeployment {
                id: Some("ecs-svc/1".into()),
                status: Some("PRIMARY".into()),
                desired_count: 2,
                running_count: running,
                rollout_state: Some(state.into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    /// What the rollout's verdict reads changes the number: a task started, the deployment completed, a new
    /// service event; the same answer read again does not.
    #[test]
    fn what_a_verdict_reads_changes_what_is_seen() {
        let judged = rolling(1, "IN_PROGRESS");
        assert_eq!(Seen::of(&judged), Seen::of(&judged.clone()));
        assert_ne!(Seen::of(&judged), Seen::of(&rolling(2, "IN_PROGRESS")));
        assert_ne!(Seen::of(&judged), Seen::of(&rolling(1, "COMPLETED")));
        let mut with_event = judged.clone();
        with_event.events.push(ObservedServiceEvent {
            id: Some("e1".into()),
            ..Default::default()
        });
        assert_ne!(Seen::of(&judged), Seen::of(&with_event));
    }

    /// A round wakes the services ECS shows otherwise than their reconcile saw them, and those it no longer shows
    /// (deleted, or INACTIVE), not the others.
    #[test]
    fn a_round_wakes_only_the_services_shown_otherwise_or_gone() {
        let owners: Vec<ObjectRef<EcsService>> = ["a", "b", "c"]
            .iter()
            .map(|n| ObjectRef::new(n).within("ns"))
            .collect();
        let seen = Seen::of(&rolling(1, "IN_PROGRESS"));
        let followed = [
            (&owners[0], "same", seen),
            (&owners[1], "completed", seen),
            (&owners[2], "gone", seen),
        ];
        let found: HashMap<String, ObservedService> = [
            ("same".to_owned(), rolling(1, "IN_PROGRESS")),
            ("completed".to_owned(), rolling(2, "COMPLETED")),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            changed(followed, &found),
            vec![owners[1].clone(), owners[2].clone()]
        );
    }
}
