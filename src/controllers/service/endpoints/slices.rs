//! From ECS's tasks to Kubernetes objects (catalogue entries 95-97): one endpoint per task with an address, its
//! conditions from the task's state and health, and the desired Service and EndpointSlices (at most 100
//! endpoints each, in a stable order so that a change touches few slices).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ObjectReference, Service, ServicePort, ServiceSpec};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::kubernetes_service::{KubernetesService, KubernetesServiceType};
use crate::ecs::task::ObservedTask;

/// At most this many endpoints per EndpointSlice (Kubernetes' own default for a Service's slices).
pub const MAX_ENDPOINTS: usize = 100;
/// The label naming the Service a slice belongs to.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// The label naming the controller that manages a slice.
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
/// Our value of [`MANAGED_BY_LABEL`].
pub const MANAGED_BY: &str = "endpoints.ecs-bridge.dev";
/// The `targetRef.kind` of an endpoint: the ECS task it is (named by its task ID).
pub const TASK_KIND: &str = "EcsServiceTask";

/// How the endpoints are to be judged: whether the task definition has a health check on an essential
/// container (None: not known, e.g. a task definition not managed here).
#[derive(Clone, Copy, Debug, Default)]
pub struct Judge {
    pub health_checked: Option<bool>,
}

/// One task as an endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskEndpoint {
    pub task_id: String,
    pub address: String,
    pub zone: Option<String>,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
}

/// The endpoint of a task, or None when it has no address or has stopped.
pub fn endpoint(task: &ObservedTask, judge: Judge) -> Option<TaskEndpoint> {
    let last = task.last_status.as_deref().unwrap_or_default();
    if matches!(last, "DEPROVISIONING" | "STOPPED") {
        return None;
    }
    let address = task.private_ipv4()?.to_owned();
    let terminating = task.desired_status.as_deref() == Some("STOPPED");
    let healthy = match task.health_status.as_deref() {
        Some("HEALTHY") => true,
        Some("UNHEALTHY") => false,
        // UNKNOWN: still being evaluated when there is a health check; always UNKNOWN without one (and when the
        // task definition is not known here, UNKNOWN is taken as "no health check").
        _ => judge.health_checked != Some(true),
    };
    let serving = matches!(last, "RUNNING" | "DEACTIVATING") && healthy;
    Some(TaskEndpoint {
        task_id: task
            .task_arn
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned(),
        address,
        zone: task.availability_zone.clone(),
        ready: serving && !terminating,
        serving,
        terminating,
    })
}

/// The owner reference that makes the EcsService own what the operator creates for it.
pub fn owner(name: &str, uid: &str) -> OwnerReference {
    OwnerReference {
        api_version: "ecsbridge.dev/v1alpha1".into(),
        kind: "EcsService".into(),
        name: name.into(),
        uid: uid.into(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Whether an object is the operator's for the EcsService with `uid`.
pub fn owned_by(meta: &ObjectMeta, uid: &str) -> bool {
    meta.owner_references
        .iter()
        .flatten()
        .any(|o| o.uid == uid && o.controller == Some(true))
}

fn labels(service: &str, slice: bool) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(
        "app.kubernetes.io/managed-by".to_owned(),
        "ecs-bridge".to_owned(),
    )]);
    if slice {
        labels.insert(SERVICE_NAME_LABEL.into(), service.into());
        labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY.into());
    }
    labels
}

/// The Service: selector-less, the spec's type and ports (target port = container port).
pub fn service(
    spec: &KubernetesService,
    name: &str,
    namespace: &str,
    owner: &OwnerReference,
) -> Service {
    let ports = spec
        .ports
        .iter()
        .map(|p| ServicePort {
            name: Some(p.name.clone()),
            port: p.port,
            target_port: Some(IntOrString::Int(p.container_port)),
            protocol: Some(p.protocol.as_str().into()),
            app_protocol: p.app_protocol.clone(),
            ..Default::default()
        })
        .collect();
    Service {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            labels: Some(labels(name, false)),
            owner_references: Some(vec![owner.clone()]),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            cluster_ip: (spec.type_ == KubernetesServiceType::Headless).then(|| "None".into()),
            ports: Some(ports),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The name of the `index`th slice of Service `service`.
pub fn slice_name(service: &str, index: usize) -> String {
    format!("{service}-ecs-{index}")
}

/// The EndpointSlices of Service `name`: the endpoints ordered by address, 100 a slice; none without endpoints
/// but one empty slice, so that "no endpoints" is stated rather than left unknown.
pub fn slices(
    spec: &KubernetesService,
    name: &str,
    namespace: &str,
    owner: &OwnerReference,
    mut endpoints: Vec<TaskEndpoint>,
) -> Vec<EndpointSlice> {
    endpoints.sort_by(|a, b| a.task_id.cmp(&b.task_id));
    let ports: Vec<EndpointPort> = spec
        .ports
        .iter()
        .map(|p| EndpointPort {
            name: Some(p.name.clone()),
            port: Some(p.container_port),
            protocol: Some(p.protocol.as_str().into()),
            app_protocol: p.app_protocol.clone(),
        })
        .collect();
    let mut chunks: Vec<&[TaskEndpoint]> = endpoints.chunks(MAX_ENDPOINTS).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    chunks
        .into_iter()
        .enumerate()
        .map(|(index, chunk)| EndpointSlice {
            metadata: ObjectMeta {
                name: Some(slice_name(name, index)),
                namespace: Some(namespace.into()),
                labels: Some(labels(name, true)),
                owner_references: Some(vec![owner.clone()]),
                ..Default::default()
            },
            address_type: "IPv4".into(),
            ports: Some(ports.clone()),
            endpoints: Some(chunk.iter().map(|e| to_endpoint(e, namespace)).collect()),
        })
        .collect()
}

fn to_endpoint(e: &TaskEndpoint, namespace: &str) -> Endpoint {
    Endpoint {
        addresses: vec![e.address.clone()],
        conditions: Some(EndpointConditions {
            ready: Some(e.ready),
            serving: Some(e.serving),
            terminating: Some(e.terminating),
        }),
        zone: e.zone.clone(),
        target_ref: Some(ObjectReference {
            kind: Some(TASK_KIND.into()),
            name: Some(e.task_id.clone()),
            namespace: Some(namespace.into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The task IDs an existing slice names (its endpoints' `targetRef`).
pub fn task_ids(slice: &EndpointSlice) -> impl Iterator<Item = &str> {
    slice
        .endpoints
        .iter()
        .flatten()
        .filter_map(|e| e.target_ref.as_ref())
        .filter(|r| r.kind.as_deref() == Some(TASK_KIND))
        .filter_map(|r| r.name.as_deref())
}

/// Whether `existing` already says what `desired` says (no write needed).
pub fn slice_matches(existing: &EndpointSlice, desired: &EndpointSlice) -> bool {
    existing.address_type == desired.address_type
        && json(&existing.endpoints.clone().unwrap_or_default())
            == json(&desired.endpoints.clone().unwrap_or_default())
        && json(&existing.ports.clone().unwrap_or_default())
            == json(&desired.ports.clone().unwrap_or_default())
        && labels_hold(&existing.metadata, &desired.metadata)
}

/// Whether `existing` Service already has the desired type and ports.
pub fn service_matches(existing: &Service, desired: &Service) -> bool {
    let (Some(have), Some(want)) = (&existing.spec, &desired.spec) else {
        return false;
    };
    let headless = |s: &ServiceSpec| s.cluster_ip.as_deref() == Some("None");
    let ports = |s: &ServiceSpec| {
        s.ports
            .iter()
            .flatten()
            .map(|p| {
                (
                    p.name.clone(),
                    p.port,
                    p.target_port.clone(),
                    p.protocol.clone(),
                    p.app_protocol.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    headless(have) == headless(want)
        && ports(have) == ports(want)
        && have.selector.as_ref().is_none_or(BTreeMap::is_empty)
        && labels_hold(&existing.metadata, &desired.metadata)
}

/// Whether the Service must be created anew to change between ClusterIP and headless (`clusterIP` is immutable).
pub fn must_recreate(existing: &Service, desired: &Service) -> bool {
    let headless =
        |s: &Service| s.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None");
    headless(existing) != headless(desired)
}

fn labels_hold(existing: &ObjectMeta, desired: &ObjectMeta) -> bool {
    let have = existing.labels.clone().unwrap_or_default();
    desired
        .labels
        .iter()
        .flatten()
        .all(|(k, v)| have.get(k) == Some(v))
}

/// A Kubernetes value in its JSON form, for comparisons.
fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(id: &str, last: &str, desired: &str, health: &str) -> ObservedTask {
        serde_json::from_value(json!({
            "taskArn": format!("arn:aws:ecs:us-east-1:1:task/main/{id}"), "lastStatus": last,
            "desiredStatus": desired, "healthStatus": health, "availabilityZone": "us-east-1a",
            "attachments": [{"type": "ElasticNetworkInterface",
                             "details": [{"name": "privateIPv4Address", "value": "10.0.0.1"}]}]}))
        .unwrap()
    }

    fn conditions(t: &ObservedTask, checked: Option<bool>) -> Option<(bool, bool, bool)> {
        endpoint(
            t,
            Judge {
                health_checked: checked,
            },
        )
        .map(|e| (e.ready, e.serving, e.terminating))
    }

    #[test]
    fn conditions_follow_the_task_state_and_health() {
        let checked = Some(true);
        assert_eq!(
            conditions(&task("a", "RUNNING", "RUNNING", "HEALTHY"), checked),
            Some((true, true, false))
        );
        assert_eq!(
            conditions(&task("a", "RUNNING", "RUNNING", "UNHEALTHY"), checked),
            Some((false, false, false))
        );
        // UNKNOWN: being evaluated with a health check; without one it stays UNKNOWN and the task is ready.
        assert_eq!(
            conditions(&task("a", "RUNNING", "RUNNING", "UNKNOWN"), checked),
            Some((false, false, false))
        );
        assert_eq!(
            conditions(&task("a", "RUNNING", "RUNNING", "UNKNOWN"), Some(false)),
            Some((true, true, false))
        );
        assert_eq!(
            conditions(&task("a", "PENDING", "RUNNING", "UNKNOWN"), Some(false)),
            Some((false, false, false))
        );
        // ECS drains it: still serving while DEACTIVATING, terminating and not ready; gone once it deprovisions.
        assert_eq!(
            conditions(&task("a", "DEACTIVATING", "STOPPED", "HEALTHY"), checked),
            Some((false, true, true))
        );
        assert_eq!(
            conditions(&task("a", "STOPPING", "STOPPED", "HEALTHY"), checked),
            Some((false, false, true))
        );
        assert_eq!(
            conditions(&task("a", "DEPROVISIONING", "STOPPED", "HEALTHY"), checked),
            None
        );
        let mut bridge = task("a", "RUNNING", "RUNNING", "HEALTHY");
        bridge.attachments.clear();
        assert_eq!(conditions(&bridge, checked), None, "no ENI, no address");
    }

    #[test]
    fn slices_hold_at_most_100_endpoints_and_one_empty_slice_says_none() {
        let ks: KubernetesService = serde_json::from_value(
            json!({"ports": [{"name": "http", "port": 80, "containerPort": 8080}]}),
        )
        .unwrap();
        let owner = owner("web", "u1");
        let endpoints: Vec<TaskEndpoint> = (0..250)
            .map(|i| {
                endpoint(
                    &task(&format!("t{i:03}"), "RUNNING", "RUNNING", "HEALTHY"),
                    Judge::default(),
                )
                .unwrap()
            })
            .collect();
        let made = slices(&ks, "web", "shop", &owner, endpoints);
        let sizes: Vec<usize> = made
            .iter()
            .map(|s| s.endpoints.as_ref().map_or(0, Vec::len))
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
        assert_eq!(made[2].metadata.name.as_deref(), Some("web-ecs-2"));
        let labels = made[0].metadata.labels.clone().unwrap();
        assert_eq!(labels[SERVICE_NAME_LABEL], "web");
        assert_eq!(labels[MANAGED_BY_LABEL], MANAGED_BY);
        assert!(slice_matches(&made[0], &made[0].clone()));
        assert!(!slice_matches(&made[0], &made[1]));
        let empty = slices(&ks, "web", "shop", &owner, Vec::new());
        assert_eq!(empty.len(), 1);
        assert_eq!(task_ids(&made[0]).next(), Some("t000"));
    }
}
