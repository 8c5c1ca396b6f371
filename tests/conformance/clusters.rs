//! Cluster behaviours of `docs/ecs-behaviour.md`: CreateCluster is idempotent by name, DeleteCluster refuses a
//! cluster that still holds services.

use aws_sdk_ecs::error::ProvideErrorMetadata;

use crate::harness::{Outcome, Run, describe, ensure};
use crate::services::register;

/// CreateCluster with the name of an ACTIVE cluster returns that cluster (the same ARN), not an error.
pub async fn create_cluster_returns_the_existing_cluster(run: &Run) -> Outcome {
    let name = run.cluster("same").await?;
    let again = run
        .ecs()
        .create_cluster()
        .cluster_name(&name)
        .send()
        .await
        .map_err(|e| format!("CreateCluster again: {}", describe(&e)))?;
    let listed = run
        .ecs()
        .describe_clusters()
        .clusters(&name)
        .send()
        .await
        .map_err(|e| format!("DescribeClusters: {}", describe(&e)))?;
    let first = listed.clusters().first().and_then(|c| c.cluster_arn());
    ensure(
        first.is_some() && again.cluster().and_then(|c| c.cluster_arn()) == first,
        || "CreateCluster of an existing name returned another cluster".into(),
    )
}

/// DeleteCluster is refused with ClusterContainsServicesException while a service is ACTIVE or DRAINING.
pub async fn delete_cluster_is_refused_while_services_exist(run: &Run) -> Outcome {
    let cluster = run.cluster("busy").await?;
    let td = register(run, "web", "public.ecr.aws/docker/library/busybox:1").await?;
    let name = run.name("web");
    run.ecs()
        .create_service()
        .cluster(&cluster)
        .service_name(&name)
        .task_definition(&td)
        .desired_count(0)
        .launch_type(aws_sdk_ecs::types::LaunchType::Ec2)
        .send()
        .await
        .map_err(|e| format!("CreateService: {}", describe(&e)))?;
    run.track_service(&cluster, &name);
    match run.ecs().delete_cluster().cluster(&cluster).send().await {
        Err(e) if e.code() == Some("ClusterContainsServicesException") => Ok(()),
        Err(e) => Err(format!("DeleteCluster with a service: {}", describe(&e))),
        Ok(_) => Err("DeleteCluster succeeded while a service was ACTIVE".into()),
    }
}

crate::conformance! {
    clusters;
    create_cluster_returns_the_existing_cluster on [Double, Moto, Aws];
    delete_cluster_is_refused_while_services_exist on [Double, Aws];
}
