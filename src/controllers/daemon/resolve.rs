//! What an `EcsDaemon` refers to, resolved for ECS: its cluster, its capacity providers and the daemon task
//! definition revision it runs (a `daemonTaskDefinitionRef` follows the newest revision), waiting while a
//! referenced object is not Ready.

use kube::{Api, ResourceExt};
use sha2::{Digest, Sha256};

use crate::api::daemon::{DaemonDeploymentConfiguration, DaemonPropagateTags};
use crate::api::{CapacityProvider, DaemonTaskDefinition, EcsCluster, EcsDaemon};
use crate::controllers::references::{not_ready, ready_object, same_place};
use crate::ecs::daemon::DaemonInput;
use crate::reconcile::{Context, Error};

/// The cluster (ECS's default when `None`) and what CreateDaemon and UpdateDaemon send.
pub struct Resolved {
    pub cluster: Option<String>,
    pub input: DaemonInput,
}

pub async fn resolve(daemon: &EcsDaemon, ctx: &Context) -> Result<Resolved, Error> {
    let namespace = daemon.namespace().unwrap_or_default();
    let spec = &daemon.spec;
    let cluster = match (&spec.cluster_ref, &spec.cluster) {
        (Some(reference), _) => {
            let api: Api<EcsCluster> = Api::namespaced(ctx.client.clone(), &namespace);
            let cluster = ready_object(&api, &reference.name, "spec.clusterRef").await?;
            same_place(ctx, &cluster, "spec.clusterRef")?;
            Some(
                cluster
                    .status
                    .and_then(|s| s.arn)
                    .ok_or_else(|| not_ready("EcsCluster", &reference.name, "spec.clusterRef"))?,
            )
        }
        (None, cluster) => cluster.clone(),
    };
    let mut capacity_providers = Vec::new();
    let providers: Api<CapacityProvider> = Api::namespaced(ctx.client.clone(), &namespace);
    for (i, reference) in spec.capacity_provider_refs.iter().enumerate() {
        let field = format!("spec.capacityProviderRefs[{i}]");
        let provider = ready_object(&providers, &reference.name, &field).await?;
        same_place(ctx, &provider, &field)?;
        capacity_providers.push(
            provider
                .status
                .and_then(|s| s.arn)
                .ok_or_else(|| not_ready("CapacityProvider", &reference.name, &field))?,
        );
    }
    capacity_providers.extend(spec.capacity_providers.iter().cloned());
    let daemon_task_definition_arn = match (
        &spec.daemon_task_definition_ref,
        &spec.daemon_task_definition,
    ) {
        (Some(reference), _) => {
            let api: Api<DaemonTaskDefinition> = Api::namespaced(ctx.client.clone(), &namespace);
            let field = "spec.daemonTaskDefinitionRef";
            let dtd = ready_object(&api, &reference.name, field).await?;
            same_place(ctx, &dtd, field)?;
            dtd.status
                .and_then(|s| s.latest_arn)
                .ok_or_else(|| not_ready("DaemonTaskDefinition", &reference.name, field))?
        }
        (None, Some(arn)) => arn.clone(),
        (None, None) => {
            return Err(Error::InvalidSpec(
                "set exactly one of spec.daemonTaskDefinitionRef and spec.daemonTaskDefinition"
                    .into(),
            ));
        }
    };
    Ok(Resolved {
        cluster,
        input: explicit(spec, daemon_task_definition_arn, capacity_providers),
    })
}

/// What CreateDaemon and UpdateDaemon send: every member the spec leaves out is sent with its default, so that a
/// block or flag removed from the spec is turned off in ECS (whether UpdateDaemon keeps an omitted member is not
/// documented). Documented defaults: `bakeTimeInMinutes` 0, alarms not enabled, `critical` true; assumed as for
/// services: `propagateTags` NONE, ECS managed tags and ECS Exec off. `drainPercent` has no documented default
/// and is left to ECS.
fn explicit(
    spec: &crate::api::EcsDaemonSpec,
    daemon_task_definition_arn: String,
    capacity_provider_arns: Vec<String>,
) -> DaemonInput {
    let given = spec.deployment_configuration.clone().unwrap_or_default();
    DaemonInput {
        daemon_task_definition_arn,
        capacity_provider_arns,
        deployment_configuration: Some(DaemonDeploymentConfiguration {
            drain_percent: given.drain_percent,
            bake_time_in_minutes: Some(given.bake_time_in_minutes.unwrap_or(0)),
            alarms: Some(given.alarms.unwrap_or_default()),
        }),
        propagate_tags: Some(spec.propagate_tags.unwrap_or(DaemonPropagateTags::None)),
        enable_ecs_managed_tags: Some(spec.enable_ecs_managed_tags.unwrap_or(false)),
        enable_execute_command: Some(spec.enable_execute_command.unwrap_or(false)),
        critical: Some(spec.critical.unwrap_or(true)),
    }
}

/// The hash of what a CreateDaemon or UpdateDaemon sends: equal hashes need no update.
pub fn input_hash(input: &DaemonInput) -> String {
    let json = serde_json::to_vec(input).unwrap_or_default();
    let digest = Sha256::digest(&json);
    let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("v1:{hex}")
}
