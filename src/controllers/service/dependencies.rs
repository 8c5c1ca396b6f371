//! Resolves what a service refers to: its cluster and its task definition, waiting while they are not Ready.

use kube::{Api, ResourceExt};

use crate::api::{EcsCluster, EcsService, TaskDefinition};
use crate::controllers::references::{not_ready, ready_object};
use crate::reconcile::{Context, Error};

/// The references of a service, resolved for ECS calls.
pub struct Resolved {
    /// Cluster name or ARN to send to ECS.
    pub cluster: String,
    /// Task definition ARN (or what `spec.taskDefinition` says); empty for an EXTERNAL service without one.
    pub task_definition: String,
    /// `requiresCompatibilities` and `networkMode` of a referenced `TaskDefinition`, for the compatibility check.
    pub task_traits: Option<(Vec<String>, Option<String>)>,
}

/// Resolves the cluster and task definition; `DependencyNotReady` names what the service waits for.
pub async fn resolve(svc: &EcsService, ctx: &Context) -> Result<Resolved, Error> {
    let namespace = svc.namespace().unwrap_or_default();
    let cluster = match (&svc.spec.cluster_ref, &svc.spec.cluster) {
        (Some(reference), None) => {
            let api: Api<EcsCluster> = Api::namespaced(ctx.client.clone(), &namespace);
            let cluster = ready_object(&api, &reference.name, "spec.clusterRef").await?;
            cluster
                .status
                .and_then(|s| s.arn)
                .ok_or_else(|| not_ready("EcsCluster", &reference.name, "spec.clusterRef"))?
        }
        (None, Some(cluster)) => cluster.clone(),
        _ => {
            return Err(Error::InvalidSpec(
                "set exactly one of spec.clusterRef and spec.cluster".into(),
            ));
        }
    };
    let (task_definition, task_traits) =
        match (&svc.spec.task_definition_ref, &svc.spec.task_definition) {
            (Some(reference), None) => {
                let api: Api<TaskDefinition> = Api::namespaced(ctx.client.clone(), &namespace);
                let td = ready_object(&api, &reference.name, "spec.taskDefinitionRef").await?;
                let traits = (
                    td.spec
                        .requires_compatibilities
                        .iter()
                        .map(wire_name)
                        .collect(),
                    td.spec.network_mode.as_ref().map(wire_name),
                );
                let arn = td.status.and_then(|s| s.latest_arn).ok_or_else(|| {
                    not_ready("TaskDefinition", &reference.name, "spec.taskDefinitionRef")
                })?;
                (arn, Some(traits))
            }
            (None, Some(task_definition)) => (task_definition.clone(), None),
            (None, None) if is_external(svc) => (String::new(), None),
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

/// The cluster to clean up in, also when the service's status never recorded one: the cluster the reference
/// names (its ARN, or the ECS name it would have), or `spec.cluster`.
pub async fn cluster_for_cleanup(svc: &EcsService, ctx: &Context) -> Result<Option<String>, Error> {
    if let Some(arn) = svc.status.as_ref().and_then(|s| s.cluster_arn.clone()) {
        return Ok(Some(arn));
    }
    if let Some(cluster) = &svc.spec.cluster {
        return Ok(Some(cluster.clone()));
    }
    let Some(reference) = &svc.spec.cluster_ref else {
        return Ok(None);
    };
    let api: Api<EcsCluster> =
        Api::namespaced(ctx.client.clone(), &svc.namespace().unwrap_or_default());
    Ok(api.get_opt(&reference.name).await?.map(|cluster| {
        cluster
            .status
            .as_ref()
            .and_then(|s| s.arn.clone())
            .or_else(|| cluster.spec.cluster_name.clone())
            .unwrap_or_else(|| cluster.name_any())
    }))
}

fn is_external(svc: &EcsService) -> bool {
    svc.spec
        .deployment_controller
        .as_ref()
        .is_some_and(|c| c.type_ == crate::api::service::DeploymentControllerType::External)
}

/// The ECS wire name of an enum value of our API types.
fn wire_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
