//! Follows the tasks of every `EcsTask` in one loop instead of one poll per object: each round reads the tasks
//! that have not stopped, per cluster in DescribeTasks calls of 100 (the clusters read side by side), keeps the
//! answers for the reconciles that follow, and wakes only the objects whose tasks started running or stopped.
//! Rounds are paced by their calls in each account and region (each has its own task-read bucket): a round is
//! followed by a pause that keeps every account's calls at half of what its bucket sustains (at least a second
//! between rounds), so following tasks never takes more than about half of any bucket however many tasks run, one
//! account's many tasks do not slow the rounds of the others to the pace of one bucket, and a slow answer does not
//! slow the next round down.
//! An object waiting out its error backoff is not woken early, and the
//! owners of tasks whose cluster is gone are woken to end their runs. The tasks of the services published as
//! Kubernetes endpoints (`controllers::service::endpoints::followed`) are read in the same per-cluster calls, and
//! a service is woken when what its endpoints show changed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;

use futures::channel::mpsc::UnboundedSender;
use futures::{Stream, StreamExt};
use kube::runtime::reflector::{ObjectRef, Store};

use super::rounds::{self, CLUSTERS_AT_ONCE, Loads, Rounds, backoff_key, due};
use crate::api::{EcsService, EcsTask};
use crate::controllers::service::endpoints::followed::Followed;
use crate::controllers::task::plan::is_stopped;
use crate::ecs::task::{DESCRIBE_TASKS_BATCH, ObservedTask};
use crate::ecs::{AwsErrorKind, Ecs};
use crate::reconcile::Context;

/// A task that has not stopped, as its object recorded it.
struct Open {
    arn: String,
    last_status: Option<String>,
    owner: ObjectRef<EcsTask>,
}

/// The services with `kubernetesService` of one scope, and where their wakes go.
pub struct EndpointServices {
    pub store: Store<EcsService>,
    /// The namespace of the scope; all when None.
    pub namespace: Option<String>,
    pub wakes: UnboundedSender<ObjectRef<EcsService>>,
}

impl EndpointServices {
    fn in_scope(&self, owner: &ObjectRef<EcsService>) -> bool {
        self.namespace.is_none() || owner.namespace == self.namespace
    }
}

struct Watch {
    store: Store<EcsTask>,
    services: EndpointServices,
    ctx: Arc<Context>,
}

/// The objects to reconcile because ECS shows their tasks in a new state; runs as long as it is polled.
pub fn task_changes(
    store: Store<EcsTask>,
    services: EndpointServices,
    ctx: Arc<Context>,
) -> impl Stream<Item = ObjectRef<EcsTask>> + Send + 'static {
    let watch = Watch {
        store,
        services,
        ctx,
    };
    rounds::woken(watch)
}

impl Rounds for Watch {
    type Woken = ObjectRef<EcsTask>;
    const READS: &'static str = "tasks";

    fn round(&self) -> impl Future<Output = (Vec<ObjectRef<EcsTask>>, Loads)> + Send {
        self.read_once()
    }
}

impl Watch {
    /// Whether the object failed and waits for its backoff: a change of its tasks does not wake it earlier.
    fn backing_off(&self, owner: &ObjectRef<EcsTask>) -> bool {
        self.ctx.backoff.waiting(&backoff_key(owner))
    }

    /// Reads every open task once; wakes the services whose endpoints changed and returns the objects whose
    /// tasks changed, each once, and the DescribeTasks calls the round made in each account and region.
    async fn read_once(&self) -> (Vec<ObjectRef<EcsTask>>, Loads) {
        self.forget_unpublished();
        let services = &self.services;
        let mut service_arns = self
            .ctx
            .shared
            .get::<Followed>()
            .arns(|o| services.in_scope(o));
        let mut open = open_tasks(&self.store);
        let clusters: BTreeSet<String> = open.keys().chain(service_arns.keys()).cloned().collect();
        let service_clusters = self.service_clusters(&service_arns);
        let reads: Vec<_> = clusters
            .into_iter()
            .map(|cluster| {
                let open = open.remove(&cluster).unwrap_or_default();
                let mut arns: Vec<String> = open.iter().map(|o| o.arn.clone()).collect();
                arns.extend(service_arns.remove(&cluster).unwrap_or_default());
                arns.sort();
                arns.dedup();
                let calls = arns.len().div_ceil(DESCRIBE_TASKS_BATCH);
                let service = service_clusters.get(&cluster).cloned();
                async move {
                    let Some(ecs) = self.door(&open, service.as_deref()).await else {
                        return (cluster, open, None);
                    };
                    let (account, region) = ecs.place();
                    let load = (
                        (account.to_owned(), region.to_owned()),
                        calls,
                        ecs.task_reads_per_second(),
                    );
                    let found = ecs.prefetch_tasks(&cluster, arns).await;
                    (cluster, open, Some((load, found)))
                }
            })
            .collect();
        let answers: Vec<_> = futures::stream::iter(reads)
            .buffer_unordered(CLUSTERS_AT_ONCE)
            .collect()
            .await;
        let mut woken = Vec::new();
        let mut services_woken = Vec::new();
        let mut loads = Loads::new();
        for (cluster, open, read) in answers {
            // No door to the cluster (its account is gone): nothing of it can be read.
            let Some(((place, calls, sustained), found)) = read else {
                continue;
            };
            let load = loads.entry(place).or_default();
            load.calls += calls;
            load.sustained = sustained;
            let found = match found {
                Ok(found) => {
                    woken.extend(changed(&open, &found));
                    found
                }
                // The cluster is gone and its tasks with it: the owners end their runs.
                Err(err) if err.kind == AwsErrorKind::NotFound => {
                    woken.extend(open.iter().map(|o| o.owner.clone()));
                    HashMap::new()
                }
                Err(err) => {
                    tracing::warn!(cluster = %cluster, error = %err, "could not read the running tasks");
                    continue;
                }
            };
            services_woken.extend(self.ctx.shared.get::<Followed>().take_round(
                &cluster,
                &found,
                |o| services.in_scope(o),
            ));
        }
        let woken = due(woken, |o| self.backing_off(o));
        let services_woken = due(services_woken, |o| {
            self.ctx.backoff.waiting(&backoff_key(o))
        });
        tracing::debug!(
            woken = woken.len(),
            services = services_woken.len(),
            "read the running tasks"
        );
        for service in services_woken {
            // The receiver ends with the service controller.
            let _ = self.services.wakes.unbounded_send(service);
        }
        (woken, loads)
    }

    /// The door to a cluster: a cluster ARN names one account and region, so the placement recorded by an object
    /// of it reaches it (the first open task's EcsTask, else a followed service); `None` when its account is gone.
    async fn door(&self, open: &[Open], service: Option<&EcsService>) -> Option<Ecs> {
        let task = open.first().and_then(|o| self.store.get(&o.owner));
        let (bindings, accounts) = (&self.ctx.bindings, &self.ctx.accounts);
        let placed = match task.as_ref().and_then(|t| t.status.as_ref()) {
            Some(status) => bindings.recorded(Some(status), accounts).await,
            None => {
                let status = service.and_then(|s| s.status.as_ref());
                bindings.recorded(status, accounts).await
            }
        };
        placed.ok().map(|placed| placed.ecs)
    }

    /// A service of this scope in each cluster whose tasks are followed for endpoints, by cluster ARN.
    fn service_clusters(
        &self,
        followed: &BTreeMap<String, Vec<String>>,
    ) -> HashMap<String, Arc<EcsService>> {
        let mut by_cluster = HashMap::new();
        if followed.is_empty() {
            return by_cluster;
        }
        for service in self.services.store.state() {
            let cluster = service.status.as_ref().and_then(|s| s.cluster_arn.clone());
            if let Some(cluster) = cluster.filter(|c| followed.contains_key(c)) {
                by_cluster.entry(cluster).or_insert(service);
            }
        }
        by_cluster
    }

    /// Stops following the tasks of services of this scope that are gone or no longer publish endpoints.
    fn forget_unpublished(&self) {
        let services = &self.services;
        self.ctx.shared.get::<Followed>().retain(|owner| {
            !services.in_scope(owner)
                || services
                    .store
                    .get(owner)
                    .is_some_and(|s| s.spec.kubernetes_service.is_some())
        });
    }
}

/// The tasks not stopped of every object, by the cluster they run in.
fn open_tasks(store: &Store<EcsTask>) -> BTreeMap<String, Vec<Open>> {
    let mut open: BTreeMap<String, Vec<Open>> = BTreeMap::new();
    for task in store.state() {
        let Some(status) = &task.status else {
            continue;
        };
        let Some(cluster) = &status.cluster_arn else {
            continue;
        };
        for record in status.tasks.iter().filter(|t| !is_stopped(t)) {
            open.entry(cluster.clone()).or_default().push(Open {
                arn: record.arn.clone(),
                last_status: record.last_status.clone(),
                owner: ObjectRef::from_obj(&*task),
            });
        }
    }
    open
}

/// Where a task is in its life, as far as its object's conditions go: starting, running or stopped.
fn stage(last_status: Option<&str>) -> u8 {
    match last_status {
        Some("STOPPED") => 2,
        Some("RUNNING" | "DEACTIVATING" | "STOPPING" | "DEPROVISIONING") => 1,
        _ => 0,
    }
}

/// The owners of the tasks ECS shows in another stage than recorded: one that started running or stopped (a step
/// within a stage, such as PROVISIONING to PENDING, is shown at the object's next reconcile; a task ECS does not
/// show yet is no change).
fn changed<'a>(
    open: &'a [Open],
    found: &'a HashMap<String, ObservedTask>,
) -> impl Iterator<Item = ObjectRef<EcsTask>> + 'a {
    open.iter()
        .filter(|o| {
            found
                .get(&o.arn)
                .is_some_and(|t| stage(t.last_status.as_deref()) != stage(o.last_status.as_deref()))
        })
        .map(|o| o.owner.clone())
}

#[cfg(test)]
#[path = "task_watch_tests.rs"]
mod tests;
