//! Each kind's controller and what wakes it: its own objects' changes of spec, annotations or deletion, and the
//! changes of the objects it refers to (a new task definition revision starts a rollout, a cluster turning Ready
//! wakes what waited for it); its own status writes wake nothing.

use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::utils::{Predicate, PredicateConfig, predicates};
use kube::runtime::{Controller, WatchStreamExt, controller, watcher};
use kube::{Api, Client, Resource, ResourceExt};

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, stream};

use super::coalesce::coalesce;
use super::wake;
use crate::api::common::LocalRef;
use crate::api::{
    CapacityProvider, EcsCluster, EcsExpressService, EcsGateway, EcsService, TaskDefinition,
};
use crate::controllers::reference_cache::ServiceReferences;
use crate::reconcile::Managed;
use crate::reconcile::lanes::CONTROLLER_SLOTS;

/// Waits until a controller's cache has its first full list; false when it was dropped first.
pub(super) async fn wait_until_ready<K: Managed>(store: Store<K>) -> bool {
    store.wait_until_ready().await.is_ok()
}

/// The `EcsService` controller, also woken by changes of the clusters and task definitions services refer to,
/// so that a new task definition revision starts its rollout at once; only changes of what services depend on
/// wake them (see [`wake`]), and `references` notes each version that woke them.
pub(super) fn service_controller(
    client: &Client,
    scope: Option<&str>,
    references: Arc<ServiceReferences>,
) -> Controller<EcsService> {
    let controller = controller(api::<EcsService>(client, scope));
    let services = controller.store();
    let by_cluster = services.clone();
    let by_task_definition = references.clone();
    controller
        .watches_stream(
            dependency_changes(
                api::<TaskDefinition>(client, scope),
                wake::task_definition_facts,
            ),
            move |td| {
                by_task_definition.task_definitions.woke(&td);
                referring(&services, &td, |s| {
                    s.spec.task_definition_ref.iter().collect()
                })
            },
        )
        .watches_stream(
            dependency_changes(api::<EcsCluster>(client, scope), wake::cluster_facts),
            move |cluster| {
                references.clusters.woke(&cluster);
                referring(&by_cluster, &cluster, |s| {
                    s.spec.cluster_ref.iter().collect()
                })
            },
        )
}

/// The `EcsGateway` controller, also woken by changes of the clusters gateways refer to, so that a gateway
/// waiting for its cluster is associated as soon as the cluster is Ready.
pub(super) fn gateway_controller(client: &Client, scope: Option<&str>) -> Controller<EcsGateway> {
    let controller = controller(api::<EcsGateway>(client, scope));
    let gateways = controller.store();
    controller.watches_stream(
        dependency_changes(api::<EcsCluster>(client, scope), wake::cluster_facts),
        move |cluster| {
            referring(&gateways, &cluster, |g| {
                g.spec.cluster_refs.iter().collect()
            })
        },
    )
}

/// The `EcsExpressService` controller, also woken by changes of the task definitions and clusters its objects
/// refer to, so that a new revision of a `taskDefinitionRef` is deployed at once and a service waiting for its
/// cluster is created as soon as the cluster is Ready.
pub(super) fn express_service_controller(
    client: &Client,
    scope: Option<&str>,
) -> Controller<EcsExpressService> {
    let controller = controller(api::<EcsExpressService>(client, scope));
    let services = controller.store();
    let by_cluster = services.clone();
    controller
        .watches_stream(
            dependency_changes(
                api::<TaskDefinition>(client, scope),
                wake::task_definition_facts,
            ),
            move |td| {
                referring(&services, &td, |s| {
                    s.spec.task_definition_ref.iter().collect()
                })
            },
        )
        .watches_stream(
            dependency_changes(api::<EcsCluster>(client, scope), wake::cluster_facts),
            move |cluster| {
                referring(&by_cluster, &cluster, |s| {
                    s.spec.cluster_ref.iter().collect()
                })
            },
        )
}

/// The objects of `api` whose `facts` changed.
pub(super) fn dependency_changes<K: Managed>(
    api: Api<K>,
    facts: fn(&K) -> Option<u64>,
) -> impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static {
    watcher(api, config())
        .default_backoff()
        .touched_objects()
        .predicate_filter(facts, PredicateConfig::default())
}

/// How long the changes of a cluster's services are gathered before they wake it once.
const SERVICE_COUNT_WINDOW: Duration = Duration::from_secs(2);

/// The `EcsCluster` controller, also woken by changes of the capacity providers clusters refer to, so that a
/// cluster waiting for one associates it as soon as it is Ready, and by its services coming and going in ECS, so
/// that its service count is never stale: at most once per [`SERVICE_COUNT_WINDOW`], since thousands of services
/// created at once would otherwise wake it thousands of times.
pub(super) fn cluster_controller(client: &Client, scope: Option<&str>) -> Controller<EcsCluster> {
    let controller = controller(api::<EcsCluster>(client, scope));
    let clusters = controller.store();
    let by_service = clusters.clone();
    controller
        .watches(
            api::<CapacityProvider>(client, scope),
            config(),
            move |provider| {
                referring(&clusters, &provider, |c| {
                    c.spec.capacity_provider_refs.iter().collect()
                })
            },
        )
        .reconcile_on(coalesce(
            dependency_changes(api::<EcsService>(client, scope), wake::service_facts)
                .filter_map(|change| async move {
                    change
                        .inspect_err(|err| tracing::warn!(error = %err, "watch of services failed"))
                        .ok()
                })
                .flat_map(move |service| stream::iter(clusters_of(&by_service, &service))),
            SERVICE_COUNT_WINDOW,
        ))
}

/// The clusters of the namespace a service names, by `clusterRef` or by its ECS name in `cluster`.
fn clusters_of(clusters: &Store<EcsCluster>, service: &EcsService) -> Vec<ObjectRef<EcsCluster>> {
    clusters
        .state()
        .iter()
        .filter(|c| c.namespace() == service.namespace())
        .filter(|c| {
            let by_ref =
                service.spec.cluster_ref.as_ref().map(|r| &r.name) == c.meta().name.as_ref();
            let ecs_name = crate::controllers::cluster::validate::cluster_name(c);
            by_ref || service.spec.cluster.as_deref() == Some(ecs_name.as_str())
        })
        .map(|c| ObjectRef::from_obj(&**c))
        .collect()
}

/// The `CapacityProvider` controller, also woken by changes of the clusters of the namespace, so that a Managed
/// Instances provider waiting for its cluster to exist in ECS is created as soon as the cluster is.
pub(super) fn provider_controller(
    client: &Client,
    scope: Option<&str>,
) -> Controller<CapacityProvider> {
    let controller = controller(api::<CapacityProvider>(client, scope));
    let providers = controller.store();
    controller.watches(api::<EcsCluster>(client, scope), config(), move |cluster| {
        let ecs_name = crate::controllers::cluster::validate::cluster_name(&cluster);
        providers
            .state()
            .iter()
            .filter(|p| p.namespace() == cluster.namespace())
            .filter(|p| {
                p.spec.managed_instances_provider.is_some()
                    && p.spec.cluster.as_deref() == Some(ecs_name.as_str())
                    && p.status.as_ref().is_none_or(|s| s.arn.is_none())
            })
            .map(|p| ObjectRef::from_obj(&**p))
            .collect::<Vec<_>>()
    })
}

/// The objects in the store whose references (picked by `references`) name `target`.
pub(super) fn referring<S, K>(
    store: &Store<S>,
    target: &K,
    references: fn(&S) -> Vec<&LocalRef>,
) -> Vec<ObjectRef<S>>
where
    S: Resource<DynamicType = ()> + Clone,
    K: Resource,
{
    store
        .state()
        .iter()
        .filter(|s| s.namespace() == target.namespace())
        .filter(|s| {
            references(s)
                .iter()
                .any(|r| Some(&r.name) == target.meta().name.as_ref())
        })
        .map(|s| ObjectRef::from_obj(&**s))
        .collect()
}

/// A controller woken by changes of spec, annotations or deletion, not by its own status writes: periodic
/// drift checks are requeues, so status-only changes need no reconcile.
pub(super) fn controller<K: Managed>(api: Api<K>) -> Controller<K> {
    let (reader, writer) = reflector::store();
    let changes = watcher(api, config())
        .default_backoff()
        // managedFields are the bulk of a stored object and the operator never reads them.
        .modify(|obj| obj.managed_fields_mut().clear())
        .reflect(writer)
        .applied_objects()
        .predicate_filter(
            predicates::generation
                .combine(predicates::annotations)
                .combine(deleting::<K>),
            PredicateConfig::default(),
        );
    Controller::for_stream(changes, reader)
        .with_config(controller::Config::default().concurrency(CONTROLLER_SLOTS))
}

fn deleting<K: Resource>(obj: &K) -> Option<u64> {
    Some(u64::from(obj.meta().deletion_timestamp.is_some()))
}

pub(super) fn config() -> watcher::Config {
    watcher::Config::default().any_semantic()
}

/// The API of a kind in one namespace, or in all.
pub(super) fn api<K: Managed>(client: &Client, scope: Option<&str>) -> Api<K> {
    match scope {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    }
}
