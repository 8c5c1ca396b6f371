//! The tasks of every `EcsService` with `kubernetesService`, as the one task-following loop last read them
//! (`runtime::task_watch`): the service's reconciles add the tasks they discover (ListTasks `serviceName`), the
//! loop reads them in its per-cluster DescribeTasks rounds together with the tasks of `EcsTask`s, and wakes a
//! service only when what its endpoints show changed (an address, ready, serving, terminating, or a task gone).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Instant;

use kube::runtime::reflector::ObjectRef;

use super::endpoint::{Judge, TaskEndpoint, endpoint};
use crate::api::EcsService;
use crate::ecs::task::ObservedTask;

/// The followed tasks of one service.
#[derive(Clone, Debug)]
pub struct Service {
    pub cluster: String,
    pub judge: Judge,
    /// Each task as last read; None while it is listed but not read yet.
    pub tasks: BTreeMap<String, Option<ObservedTask>>,
    /// When ListTasks last ran for the service.
    pub listed_at: Option<Instant>,
}

impl Service {
    /// The tasks ECS means to keep running (desired RUNNING), counting those not read yet.
    pub fn wanted(&self) -> usize {
        self.tasks
            .values()
            .filter(|t| {
                t.as_ref()
                    .is_none_or(|t| t.desired_status.as_deref() != Some("STOPPED"))
            })
            .count()
    }

    /// The endpoints of the tasks read so far.
    pub fn endpoints(&self) -> Vec<TaskEndpoint> {
        self.tasks
            .values()
            .flatten()
            .filter_map(|t| endpoint(t, self.judge))
            .collect()
    }

    /// Takes the answers of a round (`found`: the tasks ECS showed, of all services of the cluster); returns
    /// whether an endpoint changed. A task that stopped or is gone is no longer followed; one not shown yet is
    /// kept until it is.
    pub fn take_round(&mut self, found: &HashMap<String, ObservedTask>) -> bool {
        let mut changed = false;
        let judge = self.judge;
        self.tasks.retain(|arn, known| {
            let before = known.as_ref().and_then(|t| endpoint(t, judge));
            let Some(now) = found.get(arn) else {
                // Gone once ECS showed it (expired); not yet visible otherwise.
                changed |= before.is_some();
                return known.is_none();
            };
            changed |= before != endpoint(now, judge);
            *known = Some(now.clone());
            now.last_status.as_deref() != Some("STOPPED")
        });
        changed
    }
}

/// The followed services, shared by the reconciles and the task-following loop.
#[derive(Default)]
pub struct Followed {
    services: Mutex<HashMap<ObjectRef<EcsService>, Service>>,
}

impl Followed {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ObjectRef<EcsService>, Service>> {
        self.services.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The service's followed tasks (a fresh record when it is new or moved to another cluster).
    pub fn get(&self, owner: &ObjectRef<EcsService>, cluster: &str, judge: Judge) -> Service {
        match self.lock().get(owner) {
            Some(s) if s.cluster == cluster => Service { judge, ..s.clone() },
            _ => Service {
                cluster: cluster.to_owned(),
                judge,
                tasks: BTreeMap::new(),
                listed_at: None,
            },
        }
    }

    /// Records what a reconcile learned: the judge, the listing time and the tasks it found or read (a task the
    /// loop read since is kept as the loop read it); returns the record as it now is.
    pub fn merge(&self, owner: &ObjectRef<EcsService>, learned: Service) -> Service {
        let mut services = self.lock();
        let entry = services
            .entry(owner.clone())
            .or_insert_with(|| learned.clone());
        if entry.cluster != learned.cluster {
            *entry = learned.clone();
        }
        entry.judge = learned.judge;
        entry.listed_at = learned.listed_at;
        for (arn, task) in learned.tasks {
            let slot = entry.tasks.entry(arn).or_insert(None);
            if slot.is_none() {
                *slot = task;
            }
        }
        entry.tasks.retain(|_, t| {
            t.as_ref()
                .is_none_or(|t| t.last_status.as_deref() != Some("STOPPED"))
        });
        entry.clone()
    }

    /// Stops following a service (its field or the object is gone).
    pub fn forget(&self, owner: &ObjectRef<EcsService>) {
        self.lock().remove(owner);
    }

    /// Stops following the services `keep` rejects.
    pub fn retain(&self, keep: impl Fn(&ObjectRef<EcsService>) -> bool) {
        self.lock().retain(|owner, _| keep(owner));
    }

    /// The followed task ARNs of the services `in_scope` admits, by cluster.
    pub fn arns(
        &self,
        in_scope: impl Fn(&ObjectRef<EcsService>) -> bool,
    ) -> BTreeMap<String, Vec<String>> {
        let mut by_cluster: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (_, service) in self.lock().iter().filter(|(o, _)| in_scope(o)) {
            by_cluster
                .entry(service.cluster.clone())
                .or_default()
                .extend(service.tasks.keys().cloned());
        }
        by_cluster
    }

    /// Takes a round's answers for `cluster`; returns the services whose endpoints changed.
    pub fn take_round(
        &self,
        cluster: &str,
        found: &HashMap<String, ObservedTask>,
        in_scope: impl Fn(&ObjectRef<EcsService>) -> bool,
    ) -> Vec<ObjectRef<EcsService>> {
        let mut services = self.lock();
        services
            .iter_mut()
            .filter(|(o, s)| s.cluster == cluster && in_scope(o))
            .filter_map(|(owner, service)| service.take_round(found).then(|| owner.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::service_tasks::{KeyValue, ObservedAttachment};

    fn task(arn: &str, last: &str, desired: &str, health: &str) -> ObservedTask {
        ObservedTask {
            task_arn: arn.into(),
            last_status: Some(last.into()),
            desired_status: Some(desired.into()),
            health_status: Some(health.into()),
            attachments: vec![ObservedAttachment {
                type_: Some("ElasticNetworkInterface".into()),
                status: Some("ATTACHED".into()),
                details: vec![KeyValue {
                    name: Some("privateIPv4Address".into()),
                    value: Some("10.0.0.7".into()),
                }],
            }],
            ..Default::default()
        }
    }

    fn found(tasks: &[ObservedTask]) -> HashMap<String, ObservedTask> {
        tasks
            .iter()
            .map(|t| (t.task_arn.clone(), t.clone()))
            .collect()
    }

    /// Entry 97: only what an endpoint shows wakes the service: RUNNING, health, the stop (desired STOPPED,
    /// DEACTIVATING, STOPPING) and the end; a step within a stage (PROVISIONING to PENDING) does not.
    #[test]
    fn a_round_wakes_a_service_only_when_an_endpoint_changes() {
        let mut service = Service {
            cluster: "c".into(),
            judge: Judge {
                health_checked: Some(true),
            },
            tasks: [("t1".to_owned(), None)].into_iter().collect(),
            listed_at: None,
        };
        // Not shown yet: kept, no change.
        assert!(!service.take_round(&HashMap::new()));
        assert_eq!(service.wanted(), 1);
        let steps = [
            ("PROVISIONING", "RUNNING", "UNKNOWN", true),
            ("PENDING", "RUNNING", "UNKNOWN", false),
            ("RUNNING", "RUNNING", "UNKNOWN", false),
            ("RUNNING", "RUNNING", "HEALTHY", true),
            ("RUNNING", "RUNNING", "HEALTHY", false),
            ("RUNNING", "STOPPED", "HEALTHY", true),
            ("DEACTIVATING", "STOPPED", "HEALTHY", false),
            ("STOPPING", "STOPPED", "HEALTHY", true),
        ];
        for (last, desired, health, wakes) in steps {
            let shown = found(&[task("t1", last, desired, health)]);
            assert_eq!(
                service.take_round(&shown),
                wakes,
                "{last} {desired} {health}"
            );
        }
        assert_eq!(service.wanted(), 0);
        // Gone after ECS showed it: the endpoint goes, and the task is no longer followed.
        assert!(service.take_round(&HashMap::new()));
        assert!(service.tasks.is_empty());
    }

    #[test]
    fn a_reconcile_keeps_what_the_loop_read_since() {
        let followed = Followed::default();
        let owner = ObjectRef::new("web").within("ns");
        let mut learned = followed.get(&owner, "c", Judge::default());
        learned.tasks.insert("t1".into(), None);
        followed.merge(&owner, learned.clone());
        followed.take_round(
            "c",
            &found(&[task("t1", "RUNNING", "RUNNING", "HEALTHY")]),
            |_| true,
        );
        let merged = followed.merge(&owner, learned);
        assert_eq!(merged.endpoints().len(), 1);
        assert_eq!(followed.arns(|_| true)["c"], vec!["t1".to_owned()]);
    }
}
