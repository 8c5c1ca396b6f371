//! The services whose deployment has not settled and whose rollout is judged from DescribeServices alone (a
//! rolling deployment; not a staged one, whose service deployments are read too), each with what its last
//! reconcile saw: the rollout-following loop (`runtime::rollout_watch`) reads them per cluster in DescribeServices
//! calls of 10 and wakes a service only when ECS shows it otherwise than its reconcile judged it (a task started or
//! stopped, the deployment completed or failed, a new service event), instead of each service polling ECS by
//! itself every few seconds. A service is read each second while its rollout is young and less often as it ages
//! (a tenth of its age, at most every 10 s), so that many long rollouts do not spend the account's read budget.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kube::runtime::reflector::ObjectRef;

use crate::api::EcsService;
use crate::ecs::Ecs;
use crate::ecs::service::ObservedService;

/// The shortest and the longest time between two reads of a rolling service.
const READ_EVERY_MIN: Duration = Duration::from_secs(1);
const READ_EVERY_MAX: Duration = Duration::from_secs(10);

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

/// One service followed: where it is, what its reconcile saw, what the loop last woke it for (a wake is not
/// repeated while its reconcile waits for a place: its lane wakes it then), when its rollout began and when the
/// loop is to read it next (seconds since the epoch).
#[derive(Clone, Debug)]
pub struct Followed {
    pub cluster: String,
    pub name: String,
    pub seen: Seen,
    pub woken_for: Option<Seen>,
    pub rollout_began: f64,
    pub next_read: f64,
}

impl Followed {
    /// A service as its reconcile just saw it in `cluster`, to be read at the next round.
    pub fn new(cluster: &str, service: &ObservedService) -> Self {
        let now = epoch_seconds();
        let primary = service
            .deployments
            .iter()
            .find(|d| d.status.as_deref() == Some("PRIMARY"));
        Self {
            cluster: cluster.to_owned(),
            name: service.service_name.clone(),
            seen: Seen::of(service),
            woken_for: None,
            rollout_began: primary.and_then(|d| d.created_at).unwrap_or(now),
            next_read: now,
        }
    }

    /// Time between two reads of the service at `now`: a tenth of its rollout's age, within bounds.
    fn read_every(&self, now: f64) -> f64 {
        let (least, most) = (READ_EVERY_MIN.as_secs_f64(), READ_EVERY_MAX.as_secs_f64());
        ((now - self.rollout_began) / 10.0).clamp(least, most)
    }
}

fn epoch_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// The followed services of one cluster, and the door to its account and region.
pub struct Cluster {
    pub ecs: Ecs,
    pub services: Vec<(ObjectRef<EcsService>, Followed)>,
}

/// The followed services, shared by the service reconciles and the rollout-following loop.
#[derive(Default)]
pub struct Rolling {
    services: Mutex<HashMap<ObjectRef<EcsService>, (Followed, Ecs)>>,
}

impl Rolling {
    fn lock(&self) -> MutexGuard<'_, HashMap<ObjectRef<EcsService>, (Followed, Ecs)>> {
        self.services.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Follows the service's rollout from what its reconcile just judged, through the door `ecs` (a service
    /// already followed in the same cluster keeps its schedule).
    pub fn follow(&self, owner: ObjectRef<EcsService>, mut followed: Followed, ecs: Ecs) {
        let mut services = self.lock();
        if let Some((known, _)) = services
            .get(&owner)
            .filter(|(k, _)| k.cluster == followed.cluster)
        {
            followed.next_read = known.next_read;
        }
        services.insert(owner, (followed, ecs));
    }

    /// Stops following the service (its rollout settled, is judged from service deployments, or it is gone).
    pub fn forget(&self, owner: &ObjectRef<EcsService>) {
        self.lock().remove(owner);
    }

    /// Stops following the services `keep` rejects.
    pub fn retain(&self, keep: impl Fn(&ObjectRef<EcsService>) -> bool) {
        self.lock().retain(|owner, _| keep(owner));
    }

    /// Notes that the loop woke the service for what ECS shows now (`shown`).
    pub fn woken(&self, owner: &ObjectRef<EcsService>, shown: Seen) {
        if let Some((followed, _)) = self.lock().get_mut(owner) {
            followed.woken_for = Some(shown);
        }
    }

    /// The followed services `in_scope` admits that are due to be read, by cluster; each is next due a tenth of
    /// its rollout's age later (see [`Followed::read_every`]).
    pub fn due(
        &self,
        in_scope: impl Fn(&ObjectRef<EcsService>) -> bool,
    ) -> BTreeMap<String, Cluster> {
        let now = epoch_seconds();
        let mut by_cluster: BTreeMap<String, Cluster> = BTreeMap::new();
        let mut services = self.lock();
        let due = services
            .iter_mut()
            .filter(|(o, (f, _))| f.next_read <= now && in_scope(o));
        for (owner, (followed, ecs)) in due {
            followed.next_read = now + followed.read_every(now);
            // A cluster ARN names one account and region: any of its services' doors reaches it.
            by_cluster
                .entry(followed.cluster.clone())
                .or_insert_with(|| Cluster {
                    ecs: ecs.clone(),
                    services: Vec::new(),
                })
                .services
                .push((owner.clone(), followed.clone()));
        }
        by_cluster
    }
}

/// The followed services ECS shows otherwise than their reconcile saw them (and than they were last woken for),
/// with what ECS shows; and those it no longer shows (deleted, or INACTIVE), with `None` (`found`: the services
/// of their cluster ECS described, by name).
pub fn changed(
    followed: &[(ObjectRef<EcsService>, Followed)],
    found: &HashMap<String, ObservedService>,
) -> Vec<(ObjectRef<EcsService>, Option<Seen>)> {
    followed
        .iter()
        .filter_map(|(owner, f)| {
            let shown = found.get(&f.name).map(Seen::of);
            let news = shown != Some(f.seen) && (shown.is_none() || shown != f.woken_for);
            news.then(|| (owner.clone(), shown))
        })
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

    /// A round wakes the services ECS shows otherwise than their reconcile saw them, once for each new state (not
    /// again while the woken reconcile waits for its place), and those it no longer shows (deleted, or INACTIVE).
    #[test]
    fn a_round_wakes_once_the_services_shown_otherwise_or_gone() {
        let owner = |n: &str| ObjectRef::<EcsService>::new(n).within("ns");
        let judged = rolling(1, "IN_PROGRESS");
        let follow = |name: &str| {
            let mut followed = Followed::new("c", &judged);
            followed.name = name.into();
            (owner(name), followed)
        };
        let mut followed = vec![follow("same"), follow("completed"), follow("gone")];
        let found: HashMap<String, ObservedService> = [
            ("same".to_owned(), rolling(1, "IN_PROGRESS")),
            ("completed".to_owned(), rolling(2, "COMPLETED")),
        ]
        .into_iter()
        .collect();
        let completed = Seen::of(&rolling(2, "COMPLETED"));
        assert_eq!(
            changed(&followed, &found),
            vec![(owner("completed"), Some(completed)), (owner("gone"), None)]
        );
        followed[1].1.woken_for = Some(completed);
        assert_eq!(
            changed(&followed, &found),
            vec![(owner("gone"), None)],
            "not woken twice for the same state"
        );
    }

    /// A young rollout is read each second, an older one every tenth of its age, at most every 10 s.
    #[test]
    fn reads_are_spaced_by_a_tenth_of_the_rollout_s_age() {
        let mut followed = Followed::new("c", &rolling(0, "IN_PROGRESS"));
        followed.rollout_began = 1000.0;
        assert_eq!(followed.read_every(1003.0), 1.0);
        assert_eq!(followed.read_every(1040.0), 4.0);
        assert_eq!(followed.read_every(1600.0), 10.0);
    }
}
