//! Cluster operations: CreateCluster, DescribeClusters, UpdateCluster, PutClusterCapacityProviders, DeleteCluster
//! and ListClusters.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::ops_capacity_provider::BUILT_IN;
use crate::paginate::{self, Entry};
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::rollout::ServiceStatus;
use crate::state::{Cluster, DEFAULT_CLUSTER, Model, short_name};
use crate::tags::Tags;
use crate::validate;

/// DescribeClusters takes at most this many clusters.
const MAX_DESCRIBE: usize = 100;

/// The optional parts of a cluster that DescribeClusters shows only on request (`include`).
#[derive(Clone, Copy)]
struct Include {
    tags: bool,
    settings: bool,
    configurations: bool,
    attachments: bool,
}

impl Include {
    /// What the answers of the changing operations show: everything.
    const ALL: Self = Self {
        tags: true,
        settings: true,
        configurations: true,
        attachments: true,
    };

    fn from(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            tags: req.includes("TAGS")?,
            settings: req.includes("SETTINGS")?,
            configurations: req.includes("CONFIGURATIONS")?,
            attachments: req.includes("ATTACHMENTS")?,
        })
    }
}

fn render(model: &Model, cluster: &Cluster, include: Include, now: f64) -> Value {
    let services: Vec<_> = if cluster.active {
        model.live_services(&cluster.name).collect()
    } else {
        Vec::new()
    };
    let mut out = json!({
        "clusterArn": cluster.arn,
        "clusterName": cluster.name,
        "status": if cluster.active { "ACTIVE" } else { "INACTIVE" },
        "registeredContainerInstancesCount": 0,
        "runningTasksCount": services.iter().map(|s| s.run.running(now)).sum::<i32>(),
        "pendingTasksCount": services.iter().map(|s| s.run.pending(now)).sum::<i32>(),
        "activeServicesCount": services.iter().filter(|s| s.run.status() == ServiceStatus::Active).count(),
        "statistics": [],
        "capacityProviders": cluster.capacity_providers,
        "defaultCapacityProviderStrategy": cluster.default_strategy,
    });
    if include.tags {
        out["tags"] = cluster.tags.to_json();
    }
    if include.settings {
        out["settings"] = json!(cluster.settings);
    }
    if let (true, Some(configuration)) = (include.configurations, &cluster.configuration) {
        out["configuration"] = configuration.clone();
    }
    if include.attachments {
        out["attachments"] = json!([]);
    }
    if let Some(defaults) = &cluster.service_connect_defaults {
        out["serviceConnectDefaults"] = defaults.clone();
    }
    out
}

/// Adds or replaces cluster settings by name.
fn merge_settings(settings: &mut Vec<Value>, given: Vec<Value>) -> Result<(), ApiError> {
    for setting in given {
        let name = setting.get("name").and_then(Value::as_str);
        let value = setting.get("value").and_then(Value::as_str);
        let (Some(name), Some(_)) = (name, value) else {
            return Err(ApiError::invalid(
                "A cluster setting needs a name and a value.",
            ));
        };
        match settings.iter_mut().find(|s| s["name"] == name) {
            Some(existing) => *existing = setting,
            None => settings.push(setting),
        }
    }
    Ok(())
}

/// Checks the capacity providers a cluster is given: FARGATE and FARGATE_SPOT, or providers that exist and that no
/// other cluster has (an Auto Scaling group provider serves one cluster; a Managed Instances provider only its
/// own). Answers the list the cluster ends with: its own Managed Instances providers stay whatever the request
/// says, as PutClusterCapacityProviders does not manage them.
fn check_providers(
    model: &Model,
    cluster: &str,
    given: Vec<String>,
) -> Result<Vec<String>, ApiError> {
    let mut providers = Vec::new();
    for name in given {
        if !BUILT_IN.contains(&name.as_str()) {
            let provider = model.capacity_providers.active(&name).ok_or_else(|| {
                ApiError::invalid(format!(
                    "The specified capacity provider does not exist: {name}"
                ))
            })?;
            let elsewhere = match &provider.cluster {
                Some(own) => own != cluster,
                None => model
                    .clusters
                    .values()
                    .any(|c| c.active && c.name != cluster && c.capacity_providers.contains(&name)),
            };
            if elsewhere {
                return Err(ApiError::invalid(format!(
                    "The specified capacity provider {name} is already associated with another cluster."
                )));
            }
        }
        if !providers.contains(&name) {
            providers.push(name);
        }
    }
    let own = model
        .clusters
        .get(cluster)
        .into_iter()
        .flat_map(|c| &c.capacity_providers);
    for name in own {
        if model
            .capacity_providers
            .is_managed_instances_of(name, cluster)
            && !providers.contains(name)
        {
            providers.push(name.clone());
        }
    }
    Ok(providers)
}

/// Checks that a default strategy uses only capacity providers of the cluster.
fn check_strategy(providers: &[String], strategy: &[Value]) -> Result<(), ApiError> {
    for item in strategy {
        let provider = item.get("capacityProvider").and_then(Value::as_str);
        if !provider.is_some_and(|p| providers.iter().any(|q| q == p)) {
            return Err(ApiError::invalid(
                "The specified capacity provider strategy cannot contain a capacity provider that is not \
                 associated with the cluster. Associate the capacity provider with the cluster or specify a \
                 valid capacity provider and try again.",
            ));
        }
    }
    Ok(())
}

fn answer(model: &Model, name: &str, now: f64) -> OpResult {
    let cluster = model
        .clusters
        .get(name)
        .ok_or_else(ApiError::cluster_not_found)?;
    Ok(json!({"cluster": render(model, cluster, Include::ALL, now)}))
}

/// CreateCluster; an ACTIVE cluster of the same name is returned as it is.
pub fn create(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let name = req
        .str("clusterName")?
        .unwrap_or(DEFAULT_CLUSTER)
        .to_owned();
    validate::name("Cluster", &name)?;
    if model.clusters.get(&name).is_some_and(|c| c.active) {
        return answer(model, &name, ctx.now);
    }
    let tags = Tags::from_request(req, "tags")?;
    let mut settings = vec![json!({"name": "containerInsights", "value": "disabled"})];
    merge_settings(&mut settings, req.objects("settings")?.unwrap_or_default())?;
    let capacity_providers = check_providers(
        model,
        &name,
        req.strings("capacityProviders")?.unwrap_or_default(),
    )?;
    let default_strategy = req
        .objects("defaultCapacityProviderStrategy")?
        .unwrap_or_default();
    check_strategy(&capacity_providers, &default_strategy)?;
    // The services of an earlier cluster of this name went with it.
    model.services.retain(|(cluster, _), _| *cluster != name);
    let cluster = Cluster {
        arn: model.cluster_arn(&name),
        name: name.clone(),
        active: true,
        settings,
        configuration: req.value("configuration").cloned(),
        capacity_providers,
        default_strategy,
        service_connect_defaults: req.value("serviceConnectDefaults").cloned(),
        tags,
    };
    model.clusters.insert(name.clone(), cluster);
    answer(model, &name, ctx.now)
}

/// DescribeClusters: up to 100 names or ARNs; unknown ones are failures with reason MISSING.
pub fn describe(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let mut idents = req.strings("clusters")?.unwrap_or_default();
    if idents.is_empty() {
        idents.push(DEFAULT_CLUSTER.to_owned());
    }
    if idents.len() > MAX_DESCRIBE {
        return Err(ApiError::invalid(format!(
            "clusters can have at most {MAX_DESCRIBE} elements."
        )));
    }
    let include = Include::from(req)?;
    let (mut clusters, mut failures) = (Vec::new(), Vec::new());
    for ident in &idents {
        let name = short_name(ident);
        match model.clusters.get(name) {
            Some(cluster) => clusters.push(render(model, cluster, include, ctx.now)),
            None => failures.push(json!({"arn": model.cluster_arn(name), "reason": "MISSING"})),
        }
    }
    Ok(json!({"clusters": clusters, "failures": failures}))
}

/// UpdateCluster: merges settings, replaces the configuration and Service Connect defaults that are given.
pub fn update(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let settings = req.objects("settings")?;
    let cluster = model.active_cluster_mut(Some(req.required_str("cluster")?))?;
    let mut merged = cluster.settings.clone();
    merge_settings(&mut merged, settings.unwrap_or_default())?;
    cluster.settings = merged;
    if let Some(configuration) = req.value("configuration") {
        cluster.configuration = Some(configuration.clone());
    }
    if let Some(defaults) = req.value("serviceConnectDefaults") {
        cluster.service_connect_defaults = Some(defaults.clone());
    }
    let name = cluster.name.clone();
    answer(model, &name, ctx.now)
}

/// PutClusterCapacityProviders: replaces the capacity providers and the default strategy.
pub fn put_capacity_providers(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let missing = |member: &str| ApiError::client(format!("Member {member} is required."));
    let providers = req
        .strings("capacityProviders")?
        .ok_or_else(|| missing("capacityProviders"))?;
    let strategy = req
        .objects("defaultCapacityProviderStrategy")?
        .ok_or_else(|| missing("defaultCapacityProviderStrategy"))?;
    let name = model
        .active_cluster(Some(req.required_str("cluster")?))?
        .name
        .clone();
    let providers = check_providers(model, &name, providers)?;
    check_strategy(&providers, &strategy)?;
    // A provider that tasks use cannot leave the cluster: here, one that a live service's strategy names.
    let cluster = model.active_cluster(Some(&name))?;
    let leaving: Vec<&String> = cluster
        .capacity_providers
        .iter()
        .filter(|p| !providers.contains(p))
        .collect();
    let in_use = model.live_services(&name).any(|s| {
        s.config
            .get("capacityProviderStrategy")
            .and_then(Value::as_array)
            .is_some_and(|items| {
                items
                    .iter()
                    .any(|i| leaving.iter().any(|p| i["capacityProvider"] == p.as_str()))
            })
    });
    if in_use {
        return Err(ApiError::new(
            "ResourceInUseException",
            "The specified capacity provider is in use and cannot be removed.",
        ));
    }
    let cluster = model.active_cluster_mut(Some(&name))?;
    cluster.capacity_providers = providers;
    cluster.default_strategy = strategy;
    let name = cluster.name.clone();
    answer(model, &name, ctx.now)
}

/// DeleteCluster: refused while the cluster has ACTIVE or DRAINING services, or capacity providers other than
/// FARGATE and FARGATE_SPOT (catalogue entry 21: the strict reading of `ClusterContainsCapacityProviderException`;
/// moto shows the other); the cluster stays INACTIVE.
pub fn delete(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let name = model
        .active_cluster(Some(req.required_str("cluster")?))?
        .name
        .clone();
    if model.live_services(&name).next().is_some() {
        return Err(ApiError::new(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        ));
    }
    let providers = &model.active_cluster(Some(&name))?.capacity_providers;
    if providers.iter().any(|p| !BUILT_IN.contains(&p.as_str())) {
        return Err(ApiError::new(
            "ClusterContainsCapacityProviderException",
            "The cluster contains one or more capacity providers that prevent the requested operation. You \
             must first delete all capacity providers from the cluster before you can delete the cluster itself.",
        ));
    }
    model.services.retain(|(cluster, _), _| *cluster != name);
    if let Some(cluster) = model.clusters.get_mut(&name) {
        cluster.active = false;
    }
    answer(model, &name, ctx.now)
}

/// ListClusters: the ARNs of the ACTIVE clusters by name, 100 per page unless `maxResults` says otherwise.
pub fn list(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let entries = model
        .clusters
        .values()
        .filter(|c| c.active)
        .map(|c| Entry {
            key: c.name.clone(),
            arn: c.arn.clone(),
        })
        .collect();
    paginate::page(req, entries, false, 100, "clusterArns")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(op: crate::dispatch::Op, model: &mut Model, body: Value) -> OpResult {
        crate::dispatch::call_at(op, model, body, 100.0)
    }

    #[test]
    fn creates_describes_updates_and_deletes() {
        let mut model = Model::new("eu-west-1", 1);
        let out = call(
            create,
            &mut model,
            json!({"clusterName": "main", "tags": [{"key": "a", "value": "b"}]}),
        )
        .unwrap();
        assert_eq!(
            out["cluster"]["clusterArn"],
            "arn:aws:ecs:eu-west-1:123456789012:cluster/main"
        );
        assert_eq!(out["cluster"]["settings"][0]["value"], "disabled");
        let out = call(
            update,
            &mut model,
            json!({"cluster": "main", "settings": [{"name": "containerInsights", "value": "enhanced"}]}),
        )
        .unwrap();
        assert_eq!(
            out["cluster"]["settings"],
            json!([{"name": "containerInsights", "value": "enhanced"}])
        );
        let out = call(describe, &mut model, json!({"clusters": ["main", "nope"]})).unwrap();
        assert_eq!(out["clusters"][0]["status"], "ACTIVE");
        assert!(
            out["clusters"][0].get("tags").is_none(),
            "tags only on request"
        );
        assert_eq!(out["failures"][0]["reason"], "MISSING");
        let out = call(
            describe,
            &mut model,
            json!({"clusters": ["main"], "include": ["TAGS"]}),
        )
        .unwrap();
        assert_eq!(out["clusters"][0]["tags"][0]["key"], "a");
        call(delete, &mut model, json!({"cluster": "main"})).unwrap();
        let out = call(describe, &mut model, json!({"clusters": ["main"]})).unwrap();
        assert_eq!(out["clusters"][0]["status"], "INACTIVE");
        let err = call(delete, &mut model, json!({"cluster": "main"})).unwrap_err();
        assert_eq!(err.code, "ClusterNotFoundException");
    }

    #[test]
    fn checks_strategies_and_batch_sizes() {
        let mut model = Model::new("eu-west-1", 1);
        call(create, &mut model, json!({"clusterName": "main"})).unwrap();
        let bad = json!({"cluster": "main", "capacityProviders": ["FARGATE"],
                         "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT"}]});
        assert_eq!(
            call(put_capacity_providers, &mut model, bad)
                .unwrap_err()
                .code,
            "InvalidParameterException"
        );
        let good = json!({"cluster": "main", "capacityProviders": ["FARGATE"],
                          "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]});
        let out = call(put_capacity_providers, &mut model, good).unwrap();
        assert_eq!(out["cluster"]["capacityProviders"], json!(["FARGATE"]));
        let many: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
        let err = call(describe, &mut model, json!({ "clusters": many })).unwrap_err();
        assert_eq!(err.code, "InvalidParameterException");
    }
}
