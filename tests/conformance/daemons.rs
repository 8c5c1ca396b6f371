//! Managed Daemons behaviours of `docs/ecs-behaviour.md` (entries 161-169): daemon task definition revisions are
//! numbered per family and only an ACTIVE one can be deleted; a daemon's first deployment succeeds, a revision
//! whose image cannot be pulled is rolled back (or stopped) and the daemon keeps running the revision before;
//! a daemon name is taken once per cluster; a deleted daemon is DELETE_IN_PROGRESS, then gone. On a real account
//! the ECS Managed Instances capacity provider needs `ECSB_CONFORMANCE_MI_INFRASTRUCTURE_ROLE`,
//! `ECSB_CONFORMANCE_MI_INSTANCE_PROFILE` and `ECSB_CONFORMANCE_MI_SUBNET`.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    CreateManagedInstancesProviderConfiguration, DaemonContainerDefinition, DaemonDeploymentStatus,
    DaemonStatus, DaemonTaskDefinitionStatus, DaemonTaskDefinitionStatusFilter,
    InstanceLaunchTemplate, ManagedInstancesNetworkConfiguration,
};

use crate::backend::Kind;
use crate::harness::{Outcome, Run, describe, ensure};

/// An image no registry serves (RFC 2606's reserved `.invalid`): its daemon tasks never start.
const UNPULLABLE: &str = "registry.invalid/ecsb-conformance/agent:1";
const AGENT: &str = "public.ecr.aws/docker/library/busybox:stable";

/// The infrastructure role, instance profile and subnet of a Managed Instances provider.
fn managed_instances(run: &Run) -> Result<(String, String, String), String> {
    if run.kind() != Kind::Aws {
        return Ok((
            "arn:aws:iam::123456789012:role/ecs-bridge/infrastructure".into(),
            "arn:aws:iam::123456789012:instance-profile/ecs-bridge".into(),
            "subnet-0conformance".into(),
        ));
    }
    let var = |name: &str| {
        std::env::var(name).map_err(|_| format!("set {name} for the Managed Daemons scenarios"))
    };
    Ok((
        var("ECSB_CONFORMANCE_MI_INFRASTRUCTURE_ROLE")?,
        var("ECSB_CONFORMANCE_MI_INSTANCE_PROFILE")?,
        var("ECSB_CONFORMANCE_MI_SUBNET")?,
    ))
}

/// A cluster with one Managed Instances capacity provider: (cluster, provider ARN).
async fn cluster_and_provider(run: &Run, base: &str) -> Result<(String, String), String> {
    let cluster = run.cluster(base).await?;
    let (role, profile, subnet) = managed_instances(run)?;
    // A capacity provider's name cannot start with "ecs" (run names do).
    let name = format!("conf-{}-{base}-mi", run.id);
    let template = InstanceLaunchTemplate::builder()
        .ec2_instance_profile_arn(profile)
        .network_configuration(
            ManagedInstancesNetworkConfiguration::builder()
                .subnets(subnet)
                .build(),
        )
        .build()
        .map_err(|e| e.to_string())?;
    let out = run
        .ecs()
        .create_capacity_provider()
        .name(&name)
        .cluster(&cluster)
        .managed_instances_provider(
            CreateManagedInstancesProviderConfiguration::builder()
                .infrastructure_role_arn(role)
                .instance_launch_template(template)
                .build()
                .map_err(|e| e.to_string())?,
        )
        .set_tags(Some(run.tags()))
        .send()
        .await
        .map_err(|e| format!("CreateCapacityProvider: {}", describe(&e)))?;
    run.track_capacity_provider(&cluster, &name);
    let arn = out
        .capacity_provider()
        .and_then(|p| p.capacity_provider_arn())
        .ok_or("CreateCapacityProvider returned no ARN")?
        .to_owned();
    Ok((cluster, arn))
}

/// Registers a revision of `family` running `image`; returns its ARN.
async fn register(run: &Run, family: &str, image: &str) -> Result<String, String> {
    run.track_daemon_family(family);
    let container = DaemonContainerDefinition::builder()
        .name("agent")
        .image(image)
        .memory(64)
        .build()
        .map_err(|e| e.to_string())?;
    let out = run
        .ecs()
        .register_daemon_task_definition()
        .family(family)
        .container_definitions(container)
        .set_tags(Some(run.tags()))
        .send()
        .await
        .map_err(|e| format!("RegisterDaemonTaskDefinition: {}", describe(&e)))?;
    out.daemon_task_definition_arn()
        .map(str::to_owned)
        .ok_or_else(|| "RegisterDaemonTaskDefinition returned no ARN".into())
}

fn revision(arn: &str) -> Option<i32> {
    arn.rsplit_once(':').and_then(|(_, r)| r.parse().ok())
}

async fn definition_status(
    run: &Run,
    arn: &str,
) -> Result<Option<DaemonTaskDefinitionStatus>, String> {
    let out = run
        .ecs()
        .describe_daemon_task_definition()
        .daemon_task_definition(arn)
        .send()
        .await
        .map_err(|e| format!("DescribeDaemonTaskDefinition: {}", describe(&e)))?;
    Ok(out
        .daemon_task_definition()
        .and_then(|d| d.status().cloned()))
}

/// Revisions are numbered per family from 1; DeleteDaemonTaskDefinition takes an ACTIVE revision only, and the
/// deleted one leaves the ACTIVE listing.
pub async fn daemon_task_definition_revisions_and_deletion(run: &Run) -> Outcome {
    let family = run.name("agent");
    let first = register(run, &family, AGENT).await?;
    let second = register(run, &family, AGENT).await?;
    ensure(
        revision(&first) == Some(1) && revision(&second) == Some(2),
        || format!("revisions are not 1 and 2: {first}, {second}"),
    )?;
    run.ecs()
        .delete_daemon_task_definition()
        .daemon_task_definition(&first)
        .send()
        .await
        .map_err(|e| format!("DeleteDaemonTaskDefinition: {}", describe(&e)))?;
    let status = definition_status(run, &first).await?;
    ensure(status != Some(DaemonTaskDefinitionStatus::Active), || {
        format!("a deleted revision is still ACTIVE: {status:?}")
    })?;
    let again = run
        .ecs()
        .delete_daemon_task_definition()
        .daemon_task_definition(&first)
        .send()
        .await;
    ensure(again.is_err(), || {
        "a revision that is not ACTIVE was deleted again".into()
    })?;
    let listed = run
        .ecs()
        .list_daemon_task_definitions()
        .family(&family)
        .status(DaemonTaskDefinitionStatusFilter::Active)
        .send()
        .await
        .map_err(|e| format!("ListDaemonTaskDefinitions: {}", describe(&e)))?;
    let active: Vec<&str> = listed
        .daemon_task_definitions()
        .iter()
        .filter_map(|d| d.arn())
        .collect();
    ensure(active == [second.as_str()], || {
        format!("the ACTIVE revisions are {active:?}, not only {second}")
    })
}

async fn deployment_status(run: &Run, arn: &str) -> Result<Option<DaemonDeploymentStatus>, String> {
    let out = run
        .ecs()
        .describe_daemon_deployments()
        .daemon_deployment_arns(arn)
        .send()
        .await
        .map_err(|e| format!("DescribeDaemonDeployments: {}", describe(&e)))?;
    Ok(out
        .daemon_deployments()
        .first()
        .and_then(|d| d.status().cloned()))
}

/// The daemon task definitions ECS reports the daemon running now.
async fn running(run: &Run, daemon: &str) -> Result<Vec<String>, String> {
    let out = run
        .ecs()
        .describe_daemon()
        .daemon_arn(daemon)
        .send()
        .await
        .map_err(|e| format!("DescribeDaemon: {}", describe(&e)))?;
    let revisions: Vec<String> = out
        .daemon()
        .map(|d| {
            d.current_revisions()
                .iter()
                .filter_map(|r| r.arn().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if revisions.is_empty() {
        return Ok(Vec::new());
    }
    let out = run
        .ecs()
        .describe_daemon_revisions()
        .set_daemon_revision_arns(Some(revisions))
        .send()
        .await
        .map_err(|e| format!("DescribeDaemonRevisions: {}", describe(&e)))?;
    Ok(out
        .daemon_revisions()
        .iter()
        .filter_map(|r| r.daemon_task_definition_arn().map(str::to_owned))
        .collect())
}

/// A daemon's first deployment succeeds; a revision whose image cannot be pulled ends rolled back or stopped and
/// the daemon runs the revision before; a deleted daemon is DELETE_IN_PROGRESS, then unknown.
pub async fn daemon_rolls_out_rolls_back_and_is_deleted(run: &Run) -> Outcome {
    let (cluster, provider) = cluster_and_provider(run, "daemon").await?;
    let family = run.name("agent");
    let good = register(run, &family, AGENT).await?;
    let created = run
        .ecs()
        .create_daemon()
        .daemon_name(run.name("agent"))
        .cluster_arn(&cluster)
        .daemon_task_definition_arn(&good)
        .capacity_provider_arns(&provider)
        .set_tags(Some(run.tags()))
        .send()
        .await
        .map_err(|e| format!("CreateDaemon: {}", describe(&e)))?;
    let daemon = created
        .daemon_arn()
        .ok_or("CreateDaemon returned no ARN")?
        .to_owned();
    run.track_daemon(&daemon);
    let first = created
        .deployment_arn()
        .ok_or("CreateDaemon returned no deployment")?
        .to_owned();
    run.eventually("the first deployment to succeed", || async {
        Ok(
            (deployment_status(run, &first).await? == Some(DaemonDeploymentStatus::Successful))
                .then_some(()),
        )
    })
    .await?;
    let bad = register(run, &family, UNPULLABLE).await?;
    let updated = run
        .ecs()
        .update_daemon()
        .daemon_arn(&daemon)
        .daemon_task_definition_arn(&bad)
        .capacity_provider_arns(&provider)
        .send()
        .await
        .map_err(|e| format!("UpdateDaemon: {}", describe(&e)))?;
    let failing = updated
        .deployment_arn()
        .ok_or("UpdateDaemon returned no deployment")?
        .to_owned();
    let ended = run
        .eventually("the failing deployment to end", || async {
            Ok(deployment_status(run, &failing).await?.filter(|s| {
                matches!(
                    s,
                    DaemonDeploymentStatus::RollbackSuccessful
                        | DaemonDeploymentStatus::RollbackFailed
                        | DaemonDeploymentStatus::Stopped
                        | DaemonDeploymentStatus::Successful
                )
            }))
        })
        .await?;
    println!("a daemon deployment of an image that cannot be pulled ended {ended:?}");
    ensure(ended != DaemonDeploymentStatus::Successful, || {
        "a deployment of an image that cannot be pulled succeeded".into()
    })?;
    let now = running(run, &daemon).await?;
    ensure(now.contains(&good) && !now.contains(&bad), || {
        format!("after the failed deployment the daemon runs {now:?}, not {good}")
    })?;
    let deleted = run
        .ecs()
        .delete_daemon()
        .daemon_arn(&daemon)
        .send()
        .await
        .map_err(|e| format!("DeleteDaemon: {}", describe(&e)))?;
    ensure(
        deleted.status() == Some(&DaemonStatus::DeleteInProgress),
        || format!("DeleteDaemon answered {:?}", deleted.status()),
    )?;
    run.eventually("the deleted daemon to be gone", || async {
        match run.ecs().describe_daemon().daemon_arn(&daemon).send().await {
            Err(e) if e.code() == Some("DaemonNotFoundException") => Ok(Some(())),
            Err(e) => Err(format!("DescribeDaemon: {}", describe(&e))),
            Ok(_) => Ok(None),
        }
    })
    .await
}

/// A second CreateDaemon of a name the cluster's daemon has is refused.
pub async fn daemon_name_is_taken_once(run: &Run) -> Outcome {
    let (cluster, provider) = cluster_and_provider(run, "daemon-twice").await?;
    let definition = register(run, &run.name("agent"), AGENT).await?;
    let name = run.name("agent");
    let create = || {
        run.ecs()
            .create_daemon()
            .daemon_name(&name)
            .cluster_arn(&cluster)
            .daemon_task_definition_arn(&definition)
            .capacity_provider_arns(&provider)
            .set_tags(Some(run.tags()))
            .send()
    };
    let first = create()
        .await
        .map_err(|e| format!("CreateDaemon: {}", describe(&e)))?;
    run.track_daemon(first.daemon_arn().unwrap_or_default());
    match create().await {
        Err(refused) => {
            println!("a taken daemon name: {}", describe(&refused));
            Ok(())
        }
        Ok(second) => Err(format!(
            "a second daemon of the same name was created: {:?}",
            second.daemon_arn()
        )),
    }
}

/// Deletes the run's daemons (waiting until ECS no longer knows them), then its daemon task definitions.
pub async fn clean_up(run: &Run, daemons: &[String], families: &[String]) -> Vec<String> {
    let ecs = run.ecs();
    let mut leaks = Vec::new();
    for arn in daemons {
        let _ = ecs.delete_daemon().daemon_arn(arn).send().await;
        let gone = run
            .eventually(&format!("deletion of daemon {arn}"), || async {
                Ok(match ecs.describe_daemon().daemon_arn(arn).send().await {
                    Err(e) if e.code() == Some("DaemonNotFoundException") => Some(()),
                    _ => None,
                })
            })
            .await;
        if let Err(e) = gone {
            leaks.push(e);
        }
    }
    for family in families {
        let listed = ecs
            .list_daemon_task_definitions()
            .family(family)
            .status(DaemonTaskDefinitionStatusFilter::Active)
            .send()
            .await;
        for arn in listed
            .map(|l| {
                l.daemon_task_definitions()
                    .iter()
                    .filter_map(|d| d.arn().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_else(|_| Vec::new())
        {
            let _ = ecs
                .delete_daemon_task_definition()
                .daemon_task_definition(arn)
                .send()
                .await;
        }
    }
    leaks
}

crate::conformance! {
    daemons;
    daemon_task_definition_revisions_and_deletion on [Double, Aws];
    daemon_rolls_out_rolls_back_and_is_deleted on [Double, Aws];
    daemon_name_is_taken_once on [Double, Aws];
}
