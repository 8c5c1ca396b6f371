//! ECS cluster calls: describe, create, update, capacity providers, the services on a cluster, delete.

use aws_sdk_ecs::types::{
    CapacityProviderStrategyItem as SdkStrategyItem, ClusterConfiguration as SdkConfiguration,
    ClusterField, ClusterServiceConnectDefaultsRequest, ClusterSetting as SdkSetting,
};
use std::collections::HashMap;

use futures::future::try_join_all;

use serde::Deserialize;

use super::batch::Found;
use super::bridge::{from_sdk, list_to_sdk, to_sdk};
use super::{AwsError, Core, Ecs};
use crate::api::Tags;
use crate::api::cluster::{
    CapacityProviderStrategyItem, ClusterConfiguration, ClusterServiceConnectDefaults,
    ClusterSetting, EcsClusterSpec,
};

/// A cluster as ECS reports it, in the shape of our API types.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObservedCluster {
    pub cluster_arn: String,
    pub cluster_name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub settings: Vec<ClusterSetting>,
    #[serde(default)]
    pub configuration: Option<ClusterConfiguration>,
    #[serde(default)]
    pub capacity_providers: Vec<String>,
    #[serde(default)]
    pub default_capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    #[serde(default)]
    pub service_connect_defaults: Option<ClusterServiceConnectDefaults>,
    #[serde(default, deserialize_with = "super::tags::deserialize_list")]
    pub tags: Tags,
    #[serde(default)]
    pub active_services_count: i32,
    #[serde(default)]
    pub running_tasks_count: i32,
    #[serde(default)]
    pub pending_tasks_count: i32,
    #[serde(default)]
    pub registered_container_instances_count: i32,
}

/// The settable part of a cluster, for `UpdateCluster`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterUpdate {
    pub settings: Option<Vec<ClusterSetting>>,
    pub configuration: Option<ClusterConfiguration>,
    pub service_connect_defaults: Option<ClusterServiceConnectDefaults>,
}

fn observed(cluster: &aws_sdk_ecs::types::Cluster) -> Result<ObservedCluster, AwsError> {
    from_sdk(cluster)
}

fn service_connect_request(
    defaults: &ClusterServiceConnectDefaults,
) -> ClusterServiceConnectDefaultsRequest {
    ClusterServiceConnectDefaultsRequest::builder()
        .namespace(&defaults.namespace)
        .build()
        .expect("namespace is set")
}

impl Ecs {
    /// The cluster named `name` (or with that ARN), or `None` when it does not exist or is INACTIVE; lookups
    /// made at about the same time share DescribeClusters calls of up to 100 clusters.
    pub async fn describe_cluster(&self, name: &str) -> Result<Option<ObservedCluster>, AwsError> {
        self.clusters.lookup("", name).await
    }

    /// Creates a cluster from the spec with `tags` (the user's plus the ownership tags).
    pub async fn create_cluster(
        &self,
        name: &str,
        spec: &EcsClusterSpec,
        tags: &Tags,
    ) -> Result<ObservedCluster, AwsError> {
        let settings = list_to_sdk(&spec.settings, SdkSetting::deserialize)?;
        let configuration = spec
            .configuration
            .as_ref()
            .map(|c| to_sdk(c, SdkConfiguration::deserialize))
            .transpose()?;
        let strategy = spec
            .default_capacity_provider_strategy
            .as_deref()
            .map(|s| list_to_sdk(s, SdkStrategyItem::deserialize))
            .transpose()?;
        let out = {
            let request = self
                .client
                .create_cluster()
                .cluster_name(name)
                .set_settings((!settings.is_empty()).then_some(settings))
                .set_configuration(configuration)
                .set_capacity_providers(spec.capacity_providers.clone())
                .set_default_capacity_provider_strategy(strategy)
                .set_service_connect_defaults(
                    spec.service_connect_defaults
                        .as_ref()
                        .map(service_connect_request),
                )
                .set_tags(Some(super::tags::to_ecs(tags)));
            self.call("CreateCluster", || request.clone().send()).await
        }?;
        let cluster = out
            .cluster()
            .ok_or_else(|| AwsError::conversion("CreateCluster returned no cluster".into()))?;
        observed(cluster)
    }

    /// Changes settings, configuration and Service Connect defaults in place.
    pub async fn update_cluster(&self, name: &str, update: &ClusterUpdate) -> Result<(), AwsError> {
        let settings = update
            .settings
            .as_deref()
            .map(|s| list_to_sdk(s, SdkSetting::deserialize))
            .transpose()?;
        let configuration = update
            .configuration
            .as_ref()
            .map(|c| to_sdk(c, SdkConfiguration::deserialize))
            .transpose()?;
        {
            let request = self
                .client
                .update_cluster()
                .cluster(name)
                .set_settings(settings)
                .set_configuration(configuration)
                .set_service_connect_defaults(
                    update
                        .service_connect_defaults
                        .as_ref()
                        .map(service_connect_request),
                );
            self.call("UpdateCluster", || request.clone().send()).await
        }?;
        Ok(())
    }

    /// Replaces the cluster's capacity providers and default strategy.
    pub async fn put_cluster_capacity_providers(
        &self,
        name: &str,
        providers: &[String],
        strategy: &[CapacityProviderStrategyItem],
    ) -> Result<(), AwsError> {
        {
            let request = self
                .client
                .put_cluster_capacity_providers()
                .cluster(name)
                .set_capacity_providers(Some(providers.to_vec()))
                .set_default_capacity_provider_strategy(Some(list_to_sdk(
                    strategy,
                    SdkStrategyItem::deserialize,
                )?));
            self.call("PutClusterCapacityProviders", || request.clone().send())
                .await
        }?;
        Ok(())
    }

    /// The names of the ACTIVE services on the cluster, whoever created them: ListServices, then DescribeServices
    /// of what it lists, as some ECS implementations list INACTIVE services too. DRAINING services are hidden from
    /// ListServices (catalogue entry 9); DeleteCluster's `ClusterContainsServicesException` tells of those.
    pub async fn services_on(&self, cluster: &str) -> Result<Vec<String>, AwsError> {
        let mut names = Vec::new();
        let mut next_token = None;
        loop {
            let request = self
                .client
                .list_services()
                .cluster(cluster)
                .set_next_token(next_token.clone());
            let out = self.call("ListServices", || request.clone().send()).await?;
            names.extend(
                out.service_arns()
                    .iter()
                    .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned()),
            );
            next_token = out.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
        let found = try_join_all(
            names
                .iter()
                .map(|name| self.describe_service(cluster, name)),
        )
        .await?;
        Ok(found
            .into_iter()
            .flatten()
            .map(|s| s.service_name)
            .collect())
    }

    /// Deletes a cluster and returns the status ECS reports for it afterwards (`INACTIVE` once deleted); a
    /// cluster that is already gone counts as deleted (`None`).
    pub async fn delete_cluster(&self, name: &str) -> Result<Option<String>, AwsError> {
        match self
            .call("DeleteCluster", || {
                self.client.delete_cluster().cluster(name).send()
            })
            .await
        {
            Ok(out) => Ok(out.cluster().and_then(|c| c.status()).map(str::to_owned)),
            Err(gone) if gone.kind == super::AwsErrorKind::NotFound => Ok(None),
            Err(other) => Err(other),
        }
    }
}

/// DescribeClusters answers for at most this many clusters per call.
pub const DESCRIBE_CLUSTERS_BATCH: usize = 100;

impl Core {
    /// One DescribeClusters call: the clusters that exist and are not INACTIVE, by name and by ARN.
    pub async fn describe_clusters(&self, names: &[String]) -> Found<ObservedCluster> {
        let request = self
            .client
            .describe_clusters()
            .set_clusters(Some(names.to_vec()))
            .include(ClusterField::Tags)
            .include(ClusterField::Settings)
            .include(ClusterField::Configurations);
        let out = self
            .call("DescribeClusters", || request.clone().send())
            .await?;
        let mut found = HashMap::new();
        for cluster in out.clusters() {
            let cluster = observed(cluster)?;
            if cluster.status != "INACTIVE" {
                found.insert(cluster.cluster_arn.clone(), cluster.clone());
                found.insert(cluster.cluster_name.clone(), cluster);
            }
        }
        Ok(found)
    }
}
