//! From the tasks' endpoints ([`super::endpoint`]) to Kubernetes objects: the desired Service and its
//! EndpointSlices (IPv4 and IPv6, at most 100 endpoints each, placed with minimal churn by [`place`]), and
//! whether what exists already says the same.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{ObjectReference, Service, ServicePort, ServiceSpec};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::endpoint::TaskEndpoint;
use super::placement::{Placement, place};
use crate::api::kubernetes_service::{KubernetesService, KubernetesServiceType};

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

/// The Service: selector-less, the spec's type and ports (target port = container port), dual-stack where the
/// cluster allows it when the tasks have IPv6 addresses.
pub fn service(
    spec: &KubernetesService,
    name: &str,
    namespace: &str,
    owner: &OwnerReference,
    dual_stack: bool,
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
            // Both families where the cluster has both, once tasks have IPv6 addresses; else the cluster's own.
            ip_family_policy: dual_stack.then(|| "PreferDualStack".into()),
            ports: Some(ports),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An address family of EndpointSlices: its `addressType` and the infix of its slices' names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    IPv4,
    IPv6,
}

impl Family {
    fn address_type(self) -> &'static str {
        match self {
            Family::IPv4 => "IPv4",
            Family::IPv6 => "IPv6",
        }
    }

    fn prefix(self, service: &str) -> String {
        match self {
            Family::IPv4 => format!("{service}-ecs-"),
            Family::IPv6 => format!("{service}-ecs6-"),
        }
    }

    fn address(self, e: &TaskEndpoint) -> Option<&String> {
        match self {
            Family::IPv4 => e.ipv4.as_ref(),
            Family::IPv6 => e.ipv6.as_ref(),
        }
    }
}

/// The name of the `index`th slice of `family` of Service `service`.
pub fn slice_name(service: &str, family: Family, index: usize) -> String {
    format!("{}{index}", family.prefix(service))
}

/// The slices of `family` among `existing` and the task IDs each holds, by index.
fn held(service: &str, family: Family, existing: &[EndpointSlice]) -> Placement {
    let prefix = family.prefix(service);
    existing
        .iter()
        .filter(|s| s.address_type == family.address_type())
        .filter_map(|s| {
            let index = s
                .metadata
                .name
                .as_deref()?
                .strip_prefix(&prefix)?
                .parse()
                .ok()?;
            Some((index, task_ids(s).map(str::to_owned).collect()))
        })
        .collect()
}

/// The EndpointSlices of Service `name`, given the slices the operator holds now (`existing`): IPv4 slices, and
/// IPv6 slices while tasks have IPv6 addresses; at most 100 endpoints a slice, each endpoint left in the slice
/// that holds it ([`place`]); one empty IPv4 slice without endpoints, so that "no endpoints" is stated.
pub fn slices(
    spec: &KubernetesService,
    name: &str,
    namespace: &str,
    owner: &OwnerReference,
    endpoints: &[TaskEndpoint],
    existing: &[EndpointSlice],
) -> Vec<EndpointSlice> {
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
    let mut out = Vec::new();
    for family in [Family::IPv4, Family::IPv6] {
        let by_task: BTreeMap<&str, (&TaskEndpoint, &String)> = endpoints
            .iter()
            .filter_map(|e| Some((e.task_id.as_str(), (e, family.address(e)?))))
            .collect();
        if family == Family::IPv6 && by_task.is_empty() {
            continue;
        }
        let keys: BTreeSet<String> = by_task.keys().map(|k| (*k).to_owned()).collect();
        let placement = place(&keys, &held(name, family, existing), MAX_ENDPOINTS);
        out.extend(placement.into_iter().map(|(index, tasks)| {
            EndpointSlice {
                metadata: ObjectMeta {
                    name: Some(slice_name(name, family, index)),
                    namespace: Some(namespace.into()),
                    labels: Some(labels(name, true)),
                    owner_references: Some(vec![owner.clone()]),
                    ..Default::default()
                },
                address_type: family.address_type().into(),
                ports: Some(ports.clone()),
                endpoints: Some(
                    tasks
                        .iter()
                        .filter_map(|t| by_task.get(t.as_str()))
                        .map(|(e, address)| to_endpoint(e, address, namespace))
                        .collect(),
                ),
            }
        }));
    }
    out
}

fn to_endpoint(e: &TaskEndpoint, address: &str, namespace: &str) -> Endpoint {
    Endpoint {
        addresses: vec![address.to_owned()],
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
        && (want.ip_family_policy.is_none() || have.ip_family_policy == want.ip_family_policy)
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

    fn ready(id: &str, ipv6: bool) -> TaskEndpoint {
        TaskEndpoint {
            task_id: id.into(),
            ipv4: Some("10.0.0.1".into()),
            ipv6: ipv6.then(|| "2600:1f18::1".into()),
            zone: Some("us-east-1a".into()),
            ready: true,
            serving: true,
            terminating: false,
        }
    }

    fn spec() -> KubernetesService {
        serde_json::from_value(
            json!({"ports": [{"name": "http", "port": 80, "containerPort": 8080}]}),
        )
        .unwrap()
    }

    fn sizes(made: &[EndpointSlice]) -> Vec<(String, usize)> {
        made.iter()
            .map(|s| {
                (
                    s.metadata.name.clone().unwrap_or_default(),
                    s.endpoints.as_ref().map_or(0, Vec::len),
                )
            })
            .collect()
    }

    #[test]
    fn slices_hold_at_most_100_endpoints_and_one_empty_slice_says_none() {
        let owner = owner("web", "u1");
        let endpoints: Vec<TaskEndpoint> = (0..250)
            .map(|i| ready(&format!("t{i:03}"), false))
            .collect();
        let made = slices(&spec(), "web", "shop", &owner, &endpoints, &[]);
        assert_eq!(
            sizes(&made),
            [
                ("web-ecs-0".into(), 100),
                ("web-ecs-1".into(), 100),
                ("web-ecs-2".into(), 50)
            ]
        );
        let labels = made[0].metadata.labels.clone().unwrap();
        assert_eq!(labels[SERVICE_NAME_LABEL], "web");
        assert_eq!(labels[MANAGED_BY_LABEL], MANAGED_BY);
        assert!(slice_matches(&made[0], &made[0].clone()));
        assert!(!slice_matches(&made[0], &made[1]));
        let empty = slices(&spec(), "web", "shop", &owner, &[], &[]);
        assert_eq!(sizes(&empty), [("web-ecs-0".into(), 0)]);
        assert_eq!(task_ids(&made[0]).next(), Some("t000"));
    }

    /// Issue 27: a task that starts rewrites one slice; the others already say what they should.
    #[test]
    fn a_new_task_changes_one_slice_only() {
        let owner = owner("web", "u1");
        let mut endpoints: Vec<TaskEndpoint> = (0..250)
            .map(|i| ready(&format!("t{i:03}"), false))
            .collect();
        let before = slices(&spec(), "web", "shop", &owner, &endpoints, &[]);
        endpoints.push(ready("a-first", false));
        let after = slices(&spec(), "web", "shop", &owner, &endpoints, &before);
        let rewritten: Vec<_> = after
            .iter()
            .zip(&before)
            .filter(|(a, b)| !slice_matches(b, a))
            .map(|(a, _)| a.metadata.name.clone().unwrap_or_default())
            .collect();
        assert_eq!(rewritten, ["web-ecs-2"]);
    }

    /// Entry 98: tasks with IPv6 addresses are also published in IPv6 slices (one address type per slice).
    #[test]
    fn dual_stack_tasks_are_in_ipv4_and_ipv6_slices() {
        let owner = owner("web", "u1");
        let endpoints = [ready("a", true), ready("b", false)];
        let made = slices(&spec(), "web", "shop", &owner, &endpoints, &[]);
        assert_eq!(
            sizes(&made),
            [("web-ecs-0".into(), 2), ("web-ecs6-0".into(), 1)]
        );
        assert_eq!(made[1].address_type, "IPv6");
        let v6 = &made[1].endpoints.as_ref().unwrap()[0];
        assert_eq!(v6.addresses, ["2600:1f18::1"]);
        assert_eq!(
            v6.target_ref.as_ref().and_then(|r| r.name.as_deref()),
            Some("a")
        );
    }
}
