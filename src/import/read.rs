//! Reads what `ecs-bridge import` prints from ECS, with read calls only (ListClusters, DescribeClusters,
//! ListServices, DescribeServices, DescribeTaskDefinition, DescribeCapacityProviders by name): the clusters,
//! services, the task definition revision each service runs and the capacity providers the clusters list.

use std::collections::BTreeMap;

use futures::future::try_join_all;

use crate::ecs::capacity_provider::ObservedCapacityProvider;
use crate::ecs::cluster::ObservedCluster;
use crate::ecs::service::ObservedService;
use crate::ecs::task_definition::ObservedRevision;
use crate::ecs::{AwsError, Ecs};

/// Which objects to import.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Cluster names (or ARNs); all clusters when empty.
    pub clusters: Vec<String>,
    /// Service names; all services when empty.
    pub services: Vec<String>,
    /// Tags every imported service carries; a cluster is imported when it carries them or holds such a service.
    pub tags: Vec<(String, String)>,
}

impl Filters {
    fn tagged(&self, tags: &BTreeMap<String, String>) -> bool {
        self.tags.iter().all(|(k, v)| tags.get(k) == Some(v))
    }
}

/// One cluster and its imported services.
#[derive(Clone, Debug, Default)]
pub struct ClusterEstate {
    pub cluster: ObservedCluster,
    pub services: Vec<ObservedService>,
}

/// What was read.
#[derive(Clone, Debug, Default)]
pub struct Estate {
    pub clusters: Vec<ClusterEstate>,
    /// The revision each imported service runs, by ARN.
    pub revisions: BTreeMap<String, ObservedRevision>,
    /// The newest ACTIVE revision of each family a service runs, by family.
    pub newest: BTreeMap<String, ObservedRevision>,
    /// The capacity providers the imported clusters have (not FARGATE and FARGATE_SPOT, which are ECS's).
    pub providers: Vec<ObservedCapacityProvider>,
}

/// ECS's own capacity providers, which no one creates.
pub const ECS_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// Reads the account and region through the operator's ECS client.
pub async fn read(ecs: &Ecs, filters: &Filters) -> Result<Estate, String> {
    let aws = |e: AwsError| e.to_string();
    let arns = if filters.clusters.is_empty() {
        ecs.list_cluster_arns().await.map_err(aws)?
    } else {
        filters.clusters.clone()
    };
    let found = try_join_all(arns.iter().map(|arn| ecs.describe_cluster(arn)))
        .await
        .map_err(aws)?;
    let mut estate = Estate::default();
    for (arn, cluster) in arns.iter().zip(found) {
        let Some(cluster) = cluster else {
            if !filters.clusters.is_empty() {
                return Err(format!(
                    "--cluster {arn}: no such ACTIVE cluster in this account and region"
                ));
            }
            continue;
        };
        let names: Vec<String> = ecs
            .list_service_arns(&cluster.cluster_arn)
            .await
            .map_err(aws)?
            .iter()
            .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned())
            .filter(|name| filters.services.is_empty() || filters.services.contains(name))
            .collect();
        let services = try_join_all(
            names
                .iter()
                .map(|name| ecs.describe_service(&cluster.cluster_name, name)),
        )
        .await
        .map_err(aws)?;
        let services: Vec<ObservedService> = services
            .into_iter()
            .flatten()
            .filter(|s| s.status == "ACTIVE" && filters.tagged(&s.tags))
            .collect();
        let filtered = !filters.services.is_empty() || !filters.tags.is_empty();
        if filtered
            && services.is_empty()
            && !(filters.services.is_empty() && filters.tagged(&cluster.tags))
        {
            continue;
        }
        estate.clusters.push(ClusterEstate { cluster, services });
    }
    let arns: Vec<String> = estate
        .clusters
        .iter()
        .flat_map(|c| &c.services)
        .filter_map(|s| s.task_definition.clone())
        .collect();
    for revision in try_join_all(arns.iter().map(|arn| ecs.describe_task_definition(arn)))
        .await
        .map_err(aws)?
    {
        let Some(revision) = revision else { continue };
        estate.revisions.insert(revision.arn.clone(), revision);
    }
    let families: Vec<String> = estate
        .revisions
        .values()
        .map(|r| r.family.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for newest in try_join_all(families.iter().map(|f| ecs.describe_task_definition(f)))
        .await
        .map_err(aws)?
    {
        let Some(newest) = newest else { continue };
        estate.newest.insert(newest.family.clone(), newest);
    }
    // The providers each cluster lists, by name (with the cluster, so that a Managed Instances provider of it is
    // found too); FARGATE and FARGATE_SPOT are ECS's own.
    for c in &estate.clusters {
        for name in &c.cluster.capacity_providers {
            let known = estate.providers.iter().any(|p| &p.name == name);
            if ECS_PROVIDERS.contains(&name.as_str()) || known {
                continue;
            }
            let found = ecs
                .describe_capacity_provider(Some(&c.cluster.cluster_name), name)
                .await
                .map_err(aws)?;
            estate.providers.extend(found);
        }
    }
    Ok(estate)
}

/// Whether the cluster has the provider: associated, or a Managed Instances provider of it.
pub fn uses(cluster: &ObservedCluster, provider: &ObservedCapacityProvider) -> bool {
    cluster.capacity_providers.contains(&provider.name)
        || provider
            .cluster
            .as_deref()
            .is_some_and(|own| own == cluster.cluster_name || own == cluster.cluster_arn)
}
