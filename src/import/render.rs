//! Turns what was read from ECS into manifests: one group of objects per cluster, specs holding only what differs
//! from ECS's defaults, references wired between the imported objects, adopted with `deletionPolicy: Retain` and
//! read-only unless `--manage`. Pure, so every choice is unit-tested.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::clean::{
    cluster_defaults, provider_defaults, prune, service_defaults, unique_names, user_tags,
    without_defaults,
};
use super::read::{Estate, uses};
use crate::api::common::ADOPT_ANNOTATION;
use crate::api::{CapacityProviderSpec, EcsClusterSpec, EcsServiceSpec, TaskDefinitionSpec};
use crate::controllers::task_definition::normalize::normalize;
use crate::ecs::capacity_provider::ObservedCapacityProvider;
use crate::ecs::cluster::ObservedCluster;
use crate::ecs::service::ObservedService;
use crate::ecs::task_definition::ObservedRevision;
use crate::reconcile::read_only::READ_ONLY;

const API_VERSION: &str = "ecsbridge.dev/v1alpha1";

/// How to render.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `metadata.namespace` of every object, if set.
    pub namespace: Option<String>,
    /// Leave out the read-only annotation: the operator manages the objects once applied.
    pub manage: bool,
}

/// The manifests of one cluster: the cluster, the capacity providers and task definitions it is the first to use,
/// its services.
#[derive(Clone, Debug, Default)]
pub struct ClusterFile {
    /// The cluster's object name (the file is `<name>.yaml`).
    pub name: String,
    pub objects: Vec<Value>,
}

/// What import prints.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    pub files: Vec<ClusterFile>,
    /// Remarks for the user (stderr), such as a service pinned to an older revision.
    pub notes: Vec<String>,
}

/// Service fields ECS reports that a spec sets.
const SERVICE_FIELDS: [&str; 18] = [
    "desiredCount",
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "networkConfiguration",
    "loadBalancers",
    "serviceRegistries",
    "deploymentConfiguration",
    "deploymentController",
    "placementConstraints",
    "placementStrategy",
    "healthCheckGracePeriodSeconds",
    "schedulingStrategy",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
    "vpcLatticeConfigurations",
];

fn object(kind: &str, name: &str, options: &Options, spec: Value) -> Value {
    let mut annotations = Map::new();
    annotations.insert(ADOPT_ANNOTATION.to_owned(), json!("true"));
    if !options.manage {
        annotations.insert(READ_ONLY.to_owned(), json!("true"));
    }
    let mut metadata = json!({"name": name, "annotations": annotations});
    if let Some(namespace) = &options.namespace {
        metadata["namespace"] = json!(namespace);
    }
    json!({"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec})
}

/// Checks that a rendered spec is one the kind accepts.
fn typed<T: serde::de::DeserializeOwned>(
    kind: &str,
    name: &str,
    spec: &Value,
) -> Result<(), String> {
    serde_json::from_value::<T>(spec.clone())
        .map(|_| ())
        .map_err(|e| {
            format!("{kind} {name}: the imported spec does not parse ({e}); please report this")
        })
}

/// Sets `field` to the ECS name when the object name differs from it, and the operator-side fields.
fn finish_spec(
    mut spec: Value,
    field: &str,
    ecs_name: &str,
    object_name: &str,
    tags: Value,
) -> Value {
    if ecs_name != object_name {
        spec[field] = json!(ecs_name);
    }
    spec["tags"] = tags;
    spec["deletionPolicy"] = json!("Retain");
    prune(spec)
}

/// Renders everything read.
pub fn render(estate: &Estate, options: &Options) -> Result<Rendered, String> {
    let cluster_names = unique_names(
        estate
            .clusters
            .iter()
            .map(|c| c.cluster.cluster_name.as_str()),
    );
    let provider_names = unique_names(estate.providers.iter().map(|p| p.name.as_str()));
    let family_names = unique_names(estate.newest.keys().map(String::as_str));
    let service_names = service_object_names(estate);
    let mut rendered = Rendered::default();
    let mut placed_providers = BTreeSet::new();
    let mut placed_families = BTreeSet::new();
    for estate_cluster in &estate.clusters {
        let cluster = &estate_cluster.cluster;
        let name = cluster_names[&cluster.cluster_name].clone();
        let mut objects = vec![render_cluster(
            cluster,
            &name,
            estate,
            &provider_names,
            options,
        )?];
        for provider in estate.providers.iter().filter(|p| uses(cluster, p)) {
            if placed_providers.insert(provider.name.clone()) {
                objects.push(render_provider(
                    provider,
                    &provider_names[&provider.name],
                    options,
                )?);
            }
        }
        for service in &estate_cluster.services {
            let revision = service
                .task_definition
                .as_ref()
                .and_then(|arn| estate.revisions.get(arn));
            let Some(revision) = revision else {
                rendered.notes.push(format!(
                    "service {} of cluster {}: its task definition could not be read; skipped",
                    service.service_name, cluster.cluster_name
                ));
                continue;
            };
            let newest = estate.newest.get(&revision.family);
            let td_name = &family_names[&revision.family];
            let follows_newest = newest.is_some_and(|n| n.arn == revision.arn);
            if let Some(newest) = newest
                && placed_families.insert(revision.family.clone())
            {
                objects.push(render_task_definition(newest, td_name, options)?);
            }
            if !follows_newest {
                rendered.notes.push(format!(
                    "service {} of cluster {} runs {}:{}, not the newest revision of its family: it names that \
                     revision (spec.taskDefinition) instead of the TaskDefinition",
                    service.service_name, cluster.cluster_name, revision.family, revision.revision
                ));
            }
            let reference = if follows_newest {
                json!({"taskDefinitionRef": {"name": td_name}})
            } else {
                json!({"taskDefinition": format!("{}:{}", revision.family, revision.revision)})
            };
            let object_name =
                &service_names[&(cluster.cluster_name.clone(), service.service_name.clone())];
            objects.push(render_service(
                service,
                object_name,
                &name,
                reference,
                options,
            )?);
        }
        rendered.files.push(ClusterFile { name, objects });
    }
    Ok(rendered)
}

/// Object names of services: the service name, or `<cluster>-<service>` for a name used in several clusters.
fn service_object_names(estate: &Estate) -> BTreeMap<(String, String), String> {
    let mut clusters_of: BTreeMap<&str, usize> = BTreeMap::new();
    for service in estate.clusters.iter().flat_map(|c| &c.services) {
        *clusters_of
            .entry(service.service_name.as_str())
            .or_default() += 1;
    }
    let keys: Vec<((String, String), String)> = estate
        .clusters
        .iter()
        .flat_map(|c| {
            c.services.iter().map(|s| {
                let key = if clusters_of[s.service_name.as_str()] > 1 {
                    format!("{}-{}", c.cluster.cluster_name, s.service_name)
                } else {
                    s.service_name.clone()
                };
                (
                    (c.cluster.cluster_name.clone(), s.service_name.clone()),
                    key,
                )
            })
        })
        .collect();
    let names = unique_names(keys.iter().map(|(_, key)| key.as_str()));
    keys.into_iter()
        .map(|(id, key)| (id, names[&key].clone()))
        .collect()
}

fn render_cluster(
    cluster: &ObservedCluster,
    name: &str,
    estate: &Estate,
    provider_names: &BTreeMap<String, String>,
    options: &Options,
) -> Result<Value, String> {
    let imported: Vec<&ObservedCapacityProvider> = estate
        .providers
        .iter()
        .filter(|p| uses(cluster, p))
        .collect();
    let refs: Vec<Value> = imported
        .iter()
        .map(|p| json!({"name": provider_names[&p.name]}))
        .collect();
    let settings: Vec<Value> = cluster
        .settings
        .iter()
        .filter_map(|s| serde_json::to_value(s).ok())
        .filter(|s| !(s["name"] == "containerInsights" && s["value"] == "disabled"))
        .collect();
    let mut spec = json!({
        "settings": settings,
        "configuration": cluster.configuration,
        "capacityProviderRefs": refs,
        "defaultCapacityProviderStrategy": cluster.default_capacity_provider_strategy,
        "serviceConnectDefaults": cluster.service_connect_defaults,
    });
    // A default strategy may name only the providers of `capacityProviders` or of the references.
    let named_elsewhere = cluster
        .default_capacity_provider_strategy
        .iter()
        .any(|item| !imported.iter().any(|p| p.name == item.capacity_provider));
    if named_elsewhere {
        spec["capacityProviders"] = json!(cluster.capacity_providers);
    }
    let spec = without_defaults(spec, &cluster_defaults());
    let spec = finish_spec(
        spec,
        "clusterName",
        &cluster.cluster_name,
        name,
        json!(user_tags(&cluster.tags)),
    );
    typed::<EcsClusterSpec>("EcsCluster", name, &spec)?;
    Ok(object("EcsCluster", name, options, spec))
}

fn render_provider(
    provider: &ObservedCapacityProvider,
    name: &str,
    options: &Options,
) -> Result<Value, String> {
    let spec = json!({
        "autoScalingGroupProvider": provider.auto_scaling_group_provider,
        "managedInstancesProvider": provider.managed_instances_provider,
        "cluster": provider.cluster,
    });
    let spec = without_defaults(spec, &provider_defaults());
    let spec = finish_spec(
        spec,
        "name",
        &provider.name,
        name,
        json!(user_tags(&provider.tags)),
    );
    typed::<CapacityProviderSpec>("CapacityProvider", name, &spec)?;
    Ok(object("CapacityProvider", name, options, spec))
}

/// The revision's content as the operator normalizes it (ECS's defaults dropped), with the role ARNs as ECS
/// reports them rather than the role names normalization compares.
pub fn task_definition_spec(revision: &ObservedRevision) -> Value {
    let mut spec = normalize(&revision.content);
    for role in ["taskRoleArn", "executionRoleArn"] {
        if let Some(arn) = revision
            .content
            .get(role)
            .filter(|_| spec.get(role).is_some())
        {
            spec[role] = arn.clone();
        }
    }
    spec
}

fn render_task_definition(
    revision: &ObservedRevision,
    name: &str,
    options: &Options,
) -> Result<Value, String> {
    let spec = task_definition_spec(revision);
    let spec = finish_spec(
        spec,
        "family",
        &revision.family,
        name,
        json!(user_tags(&revision.tags)),
    );
    typed::<TaskDefinitionSpec>("TaskDefinition", name, &spec)?;
    Ok(object("TaskDefinition", name, options, spec))
}

fn render_service(
    service: &ObservedService,
    name: &str,
    cluster_object: &str,
    reference: Value,
    options: &Options,
) -> Result<Value, String> {
    let observed = serde_json::to_value(service).map_err(|e| e.to_string())?;
    let mut spec = json!({"clusterRef": {"name": cluster_object}});
    for field in SERVICE_FIELDS {
        spec[field] = observed[field].clone();
    }
    if service.scheduling_strategy == Some(crate::api::service::SchedulingStrategy::Daemon) {
        // ECS sets a daemon's count itself: one task per instance.
        spec["desiredCount"] = Value::Null;
    }
    if let Some(reference) = reference.as_object() {
        for (key, value) in reference {
            spec[key] = value.clone();
        }
    }
    let spec = without_defaults(spec, &service_defaults());
    let spec = finish_spec(
        spec,
        "serviceName",
        &service.service_name,
        name,
        json!(user_tags(&service.tags)),
    );
    typed::<EcsServiceSpec>("EcsService", name, &spec)?;
    Ok(object("EcsService", name, options, spec))
}

/// One YAML stream of objects.
pub fn to_yaml(objects: &[Value]) -> String {
    objects
        .iter()
        .map(|o| serde_yaml::to_string(o).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("---\n")
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
