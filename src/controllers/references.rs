//! Resolves what a service or a task refers to in its namespace: its cluster (`clusterRef` or `cluster`) and its
//! task definition (`taskDefinitionRef` or `taskDefinition`), waiting while they are not Ready.

use std::sync::Arc;

use kube::{Api, ResourceExt};

use super::reference_cache::{ReferenceCache, ServiceReferences};
use crate::api::common::ConditionedStatus;
use crate::api::task_definition::NetworkMode;
use crate::api::{EcsCluster, LocalRef, TaskDefinition, TaskDefinitionSpec};
use crate::reconcile::conditions::{READY, is_true_for};
use crate::reconcile::placement::check_arn_place;
use crate::reconcile::{Context, Error, Managed};

/// The references of one object, as its spec gives them.
pub struct References<'a> {
    pub namespace: String,
    pub cluster_ref: Option<&'a LocalRef>,
    pub cluster: Option<&'a String>,
    pub task_definition_ref: Option<&'a LocalRef>,
    pub task_definition: Option<&'a String>,
    /// Neither task definition field is needed (an EXTERNAL service: its task sets name their task definitions).
    pub task_definition_optional: bool,
    /// The object is woken by the changes of its references, so the service controller's caches of them may
    /// answer (see [`ServiceReferences`]).
    pub cached: bool,
}

/// What a referenced `TaskDefinition` says about the tasks it runs, for checks before any ECS call.
pub struct TaskTraits {
    /// The launch types it runs on, as ECS names them: see [`compatibilities`].
    pub compatibilities: Vec<String>,
    /// `networkMode`, as ECS names it.
    pub network_mode: Option<String>,
    /// The names of its containers.
    pub containers: Vec<String>,
    /// The names of its essential containers (`essential` defaults to true).
    pub essential: Vec<String>,
}

/// The references of an object, resolved for ECS calls.
pub struct Resolved {
    /// Cluster name or ARN to send to ECS.
    pub cluster: String,
    /// Task definition ARN (or what `spec.taskDefinition` says); empty when optional and not given.
    pub task_definition: String,
    /// What a referenced `TaskDefinition` says (nothing for `spec.taskDefinition`).
    pub task_traits: Option<TaskTraits>,
}

/// Resolves the cluster and task definition; `DependencyNotReady` names what the object waits for.
pub async fn resolve(refs: &References<'_>, ctx: &Context) -> Result<Resolved, Error> {
    let cluster = match (refs.cluster_ref, refs.cluster) {
        (Some(reference), None) => {
            let cluster = ready_cluster(refs, ctx, &reference.name).await?;
            same_place(ctx, &*cluster, "spec.clusterRef")?;
            cluster
                .status
                .as_ref()
                .and_then(|s| s.arn.clone())
                .ok_or_else(|| not_ready("EcsCluster", &reference.name, "spec.clusterRef"))?
        }
        (None, Some(cluster)) => {
            arn_in_place(ctx, "spec.cluster", cluster)?;
            cluster.clone()
        }
        _ => {
            return Err(Error::InvalidSpec(
                "set exactly one of spec.clusterRef and spec.cluster".into(),
            ));
        }
    };
    let (task_definition, task_traits) = match (refs.task_definition_ref, refs.task_definition) {
        (Some(reference), None) => {
            let td = ready_task_definition(refs, ctx, &reference.name).await?;
            same_place(ctx, &*td, "spec.taskDefinitionRef")?;
            let traits = TaskTraits {
                compatibilities: compatibilities(&td.spec),
                network_mode: td.spec.network_mode.as_ref().map(wire_name),
                containers: td
                    .spec
                    .container_definitions
                    .iter()
                    .map(|c| c.name.clone())
                    .collect(),
                essential: td
                    .spec
                    .container_definitions
                    .iter()
                    .filter(|c| c.essential != Some(false))
                    .map(|c| c.name.clone())
                    .collect(),
            };
            let arn = td.status.as_ref().and_then(|s| s.latest_arn.clone());
            let arn = arn.ok_or_else(|| {
                not_ready("TaskDefinition", &reference.name, "spec.taskDefinitionRef")
            })?;
            (arn, Some(traits))
        }
        (None, Some(task_definition)) => {
            arn_in_place(ctx, "spec.taskDefinition", task_definition)?;
            (task_definition.clone(), None)
        }
        (None, None) if refs.task_definition_optional => (String::new(), None),
        _ => {
            return Err(Error::InvalidSpec(
                "set exactly one of spec.taskDefinitionRef and spec.taskDefinition".into(),
            ));
        }
    };
    Ok(Resolved {
        cluster,
        task_definition,
        task_traits,
    })
}

/// Fails with `DependencyNotReady` while the referenced cluster or task definition is missing or not Ready (only
/// that: [`resolve`] checks the rest once the object has its place).
pub async fn wait_for(refs: &References<'_>, ctx: &Context) -> Result<(), Error> {
    if let Some(reference) = refs.cluster_ref {
        ready_cluster(refs, ctx, &reference.name).await?;
    }
    if let Some(reference) = refs.task_definition_ref {
        ready_task_definition(refs, ctx, &reference.name).await?;
    }
    Ok(())
}

/// The cluster `spec.clusterRef` names, once it is Ready.
async fn ready_cluster(
    refs: &References<'_>,
    ctx: &Context,
    name: &str,
) -> Result<Arc<EcsCluster>, Error> {
    let caches = refs.cached.then(|| ctx.shared.get::<ServiceReferences>());
    let api = Api::namespaced(ctx.client.clone(), &refs.namespace);
    let cache = caches.as_ref().map(|c| &c.clusters);
    ready_reference(cache, &api, name, "spec.clusterRef").await
}

/// The task definition `spec.taskDefinitionRef` names, once it is Ready.
async fn ready_task_definition(
    refs: &References<'_>,
    ctx: &Context,
    name: &str,
) -> Result<Arc<TaskDefinition>, Error> {
    let caches = refs.cached.then(|| ctx.shared.get::<ServiceReferences>());
    let api = Api::namespaced(ctx.client.clone(), &refs.namespace);
    let cache = caches.as_ref().map(|c| &c.task_definitions);
    ready_reference(cache, &api, name, "spec.taskDefinitionRef").await
}

/// The cluster to clean up in, also when the object's status never `recorded` one: the cluster the reference
/// names (its ARN, or the ECS name it would have), or `spec.cluster`.
pub async fn cluster_for_cleanup(
    refs: &References<'_>,
    recorded: Option<&str>,
    ctx: &Context,
) -> Result<Option<String>, Error> {
    if let Some(arn) = recorded {
        return Ok(Some(arn.to_owned()));
    }
    if let Some(cluster) = refs.cluster {
        return Ok(Some(cluster.clone()));
    }
    let Some(reference) = refs.cluster_ref else {
        return Ok(None);
    };
    let cached = refs.cached.then(|| {
        let caches = ctx.shared.get::<ServiceReferences>();
        caches.clusters.current(&refs.namespace, &reference.name)
    });
    let cluster = match cached.flatten() {
        Some(cluster) => Some(EcsCluster::clone(&cluster)),
        None => {
            let api: Api<EcsCluster> = Api::namespaced(ctx.client.clone(), &refs.namespace);
            api.get_opt(&reference.name).await?
        }
    };
    Ok(cluster.map(|cluster| {
        cluster
            .status
            .as_ref()
            .and_then(|s| s.arn.clone())
            .or_else(|| cluster.spec.cluster_name.clone())
            .unwrap_or_else(|| cluster.name_any())
    }))
}

/// Refuses a referenced object recorded in another account or region than the object being reconciled.
pub fn same_place<K: Managed>(ctx: &Context, referenced: &K, field: &str) -> Result<(), Error> {
    let Some(placement) = &ctx.placement else {
        return Ok(());
    };
    let (account, region) = referenced
        .status()
        .map(|s| s.placement())
        .unwrap_or_default();
    let differs = account.is_some_and(|a| a != placement.account)
        || region.is_some_and(|r| r != placement.region);
    if !differs {
        return Ok(());
    }
    Err(Error::InvalidSpec(format!(
        "{field}: {} {} lives in account {}, region {}, and this object in account {}, region {}: references must \
         be in the same account and region",
        K::kind(&()),
        referenced.name_any(),
        account.unwrap_or("?"),
        region.unwrap_or("?"),
        placement.account,
        placement.region
    )))
}

/// Refuses an ARN of another account or region than the object being reconciled.
pub fn arn_in_place(ctx: &Context, field: &str, value: &str) -> Result<(), Error> {
    match &ctx.placement {
        Some(placement) => {
            check_arn_place(field, value, ctx.account_id.as_deref(), &placement.region)
        }
        None => Ok(()),
    }
}

/// The referenced object if it exists and is Ready for its current generation: from `cache` when it holds the
/// version that last woke the services and that version is Ready, else read from the API server (so that a cache
/// still behind never holds a service back).
async fn ready_reference<K: Managed>(
    cache: Option<&ReferenceCache<K>>,
    api: &Api<K>,
    name: &str,
    field: &str,
) -> Result<Arc<K>, Error> {
    let namespace = api.namespace().unwrap_or_default();
    let cached = cache.and_then(|cache| cache.current(namespace, name));
    match cached.filter(|obj| is_ready(&**obj)) {
        Some(obj) => Ok(obj),
        None => ready_object(api, name, field).await.map(Arc::new),
    }
}

/// The object if it exists and is Ready for its current generation.
pub async fn ready_object<K>(api: &Api<K>, name: &str, field: &str) -> Result<K, Error>
where
    K: Managed,
{
    let kind = K::kind(&());
    let obj = api.get_opt(name).await?.ok_or_else(|| {
        Error::DependencyNotReady(format!(
            "waiting for {kind} {name} ({field}), which does not exist yet"
        ))
    })?;
    if !is_ready(&obj) {
        return Err(not_ready(&kind, name, field));
    }
    Ok(obj)
}

fn is_ready<K: Managed>(obj: &K) -> bool {
    obj.status()
        .is_some_and(|s| is_true_for(s.conditions(), READY, obj.meta().generation))
}

/// A referenced object that exists and is not Ready yet.
pub fn not_ready(kind: &str, name: &str, field: &str) -> Error {
    Error::ReferenceNotReady(format!("waiting for {kind} {name} ({field}) to be Ready"))
}

/// The launch types a task definition runs on: its `requiresCompatibilities`, or, when it gives none, those ECS
/// finds it compatible with (docs/ecs-behaviour.md entry 88): EC2, and FARGATE too when it has what Fargate needs,
/// the awsvpc network mode and task-level cpu and memory.
pub fn compatibilities(spec: &TaskDefinitionSpec) -> Vec<String> {
    if !spec.requires_compatibilities.is_empty() {
        return spec
            .requires_compatibilities
            .iter()
            .map(wire_name)
            .collect();
    }
    let fits_fargate = spec.network_mode == Some(NetworkMode::Awsvpc)
        && spec.cpu.is_some()
        && spec.memory.is_some();
    let mut derived = vec!["EC2".to_owned()];
    if fits_fargate {
        derived.push("FARGATE".to_owned());
    }
    derived
}

/// The ECS wire name of an enum value of our API types.
fn wire_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> TaskDefinitionSpec {
        serde_yaml::from_str(&format!(
            "{yaml}\ncontainerDefinitions: [{{name: a, image: i, memory: 8}}]"
        ))
        .unwrap()
    }

    /// The developer guide's Service Connect tutorial registers a task definition without requiresCompatibilities
    /// and runs it in a FARGATE service.
    #[test]
    fn a_task_definition_without_required_compatibilities_runs_on_fargate_when_it_fits() {
        let tutorial = spec("networkMode: awsvpc\ncpu: '256'\nmemory: '512'");
        assert_eq!(compatibilities(&tutorial), ["EC2", "FARGATE"]);
        for unfit in [
            "networkMode: bridge\ncpu: '256'\nmemory: '512'",
            "networkMode: awsvpc",
            "cpu: '256'",
        ] {
            assert_eq!(compatibilities(&spec(unfit)), ["EC2"], "{unfit}");
        }
        let declared =
            spec("requiresCompatibilities: [EC2]\nnetworkMode: awsvpc\ncpu: '256'\nmemory: '512'");
        assert_eq!(
            compatibilities(&declared),
            ["EC2"],
            "what is declared holds"
        );
    }
}
