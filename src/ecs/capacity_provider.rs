//! ECS capacity provider calls: describe (batched), create, update in place, delete.

use std::collections::HashMap;

use aws_sdk_ecs::types::{
    AutoScalingGroupProvider as SdkAsgProvider, AutoScalingGroupProviderUpdate,
    CapacityProviderField, CreateManagedInstancesProviderConfiguration,
    UpdateManagedInstancesProviderConfiguration,
};
use serde::Deserialize;
use serde_json::Value;

use super::batch::Found;
use super::bridge::{from_sdk, to_sdk};
use super::{AwsError, AwsErrorKind, Core, Ecs};
use crate::api::Tags;
use crate::api::capacity_provider::{AutoScalingGroupProvider, CapacityProviderSpec};
use crate::api::managed_instances::ManagedInstancesProvider;

/// DescribeCapacityProviders answers for at most this many providers per page.
pub const DESCRIBE_CAPACITY_PROVIDERS_BATCH: usize = 10;

/// A capacity provider as ECS reports it, in the shape of our API types.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObservedCapacityProvider {
    pub capacity_provider_arn: String,
    pub name: String,
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub auto_scaling_group_provider: Option<AutoScalingGroupProvider>,
    #[serde(default)]
    pub managed_instances_provider: Option<ManagedInstancesProvider>,
    #[serde(default)]
    pub update_status: Option<String>,
    #[serde(default)]
    pub update_status_reason: Option<String>,
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default, deserialize_with = "super::tags::deserialize_list")]
    pub tags: Tags,
}

/// What UpdateCapacityProvider sends: the whole managed part of the provider, ECS's values overlaid with the
/// spec's (ECS's shapes for an update, as JSON).
#[derive(Clone, Debug, PartialEq)]
pub enum CapacityProviderUpdate {
    /// `managedScaling`, `managedTerminationProtection`, `managedDraining`.
    AutoScalingGroup(Value),
    /// The Managed Instances configuration.
    ManagedInstances(Value),
}

impl Ecs {
    /// The capacity provider named `name` (of `cluster` for Managed Instances), or `None` when it does not exist
    /// or is INACTIVE; lookups made at about the same time share DescribeCapacityProviders calls.
    pub async fn describe_capacity_provider(
        &self,
        cluster: Option<&str>,
        name: &str,
    ) -> Result<Option<ObservedCapacityProvider>, AwsError> {
        self.capacity_providers
            .lookup(cluster.unwrap_or_default(), name)
            .await
    }

    /// Creates a capacity provider from the spec with `tags` (the user's plus the ownership tags).
    pub async fn create_capacity_provider(
        &self,
        name: &str,
        spec: &CapacityProviderSpec,
        tags: &Tags,
    ) -> Result<ObservedCapacityProvider, AwsError> {
        let asg = spec
            .auto_scaling_group_provider
            .as_ref()
            .map(|p| to_sdk(p, SdkAsgProvider::deserialize))
            .transpose()?;
        let managed = spec
            .managed_instances_provider
            .as_ref()
            .map(|p| to_sdk(p, CreateManagedInstancesProviderConfiguration::deserialize))
            .transpose()?;
        let out = {
            let request = self
                .client
                .create_capacity_provider()
                .name(name)
                .set_cluster(spec.cluster.clone())
                .set_auto_scaling_group_provider(asg)
                .set_managed_instances_provider(managed)
                .set_tags(Some(super::tags::to_ecs(tags)));
            self.call("CreateCapacityProvider", || request.clone().send())
                .await
        }?;
        let provider = out.capacity_provider().ok_or_else(|| {
            AwsError::conversion("CreateCapacityProvider returned no capacity provider".into())
        })?;
        from_sdk(provider)
    }

    /// Changes the managed part of a capacity provider in place.
    pub async fn update_capacity_provider(
        &self,
        name: &str,
        cluster: Option<&str>,
        update: &CapacityProviderUpdate,
    ) -> Result<(), AwsError> {
        let (asg, managed) = match update {
            CapacityProviderUpdate::AutoScalingGroup(value) => (
                Some(to_sdk(value, AutoScalingGroupProviderUpdate::deserialize)?),
                None,
            ),
            CapacityProviderUpdate::ManagedInstances(value) => (
                None,
                Some(to_sdk(
                    value,
                    UpdateManagedInstancesProviderConfiguration::deserialize,
                )?),
            ),
        };
        {
            let request = self
                .client
                .update_capacity_provider()
                .name(name)
                .set_cluster(cluster.map(str::to_owned))
                .set_auto_scaling_group_provider(asg)
                .set_managed_instances_provider(managed);
            self.call("UpdateCapacityProvider", || request.clone().send())
                .await
        }?;
        Ok(())
    }

    /// Deletes a capacity provider; one that is already gone counts as deleted. ECS refuses while a cluster has
    /// it associated or a service's strategy names it.
    pub async fn delete_capacity_provider(
        &self,
        name: &str,
        cluster: Option<&str>,
    ) -> Result<(), AwsError> {
        let result = {
            let request = self
                .client
                .delete_capacity_provider()
                .capacity_provider(name)
                .set_cluster(cluster.map(str::to_owned));
            self.call("DeleteCapacityProvider", || request.clone().send())
                .await
        };
        match result {
            Err(gone) if gone.kind == AwsErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

impl Core {
    /// One DescribeCapacityProviders call: the providers that exist and are not INACTIVE, by name and by ARN.
    pub async fn describe_capacity_providers(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Found<ObservedCapacityProvider> {
        let request = self
            .client
            .describe_capacity_providers()
            .set_capacity_providers(Some(names.to_vec()))
            .set_cluster((!cluster.is_empty()).then(|| cluster.to_owned()))
            .include(CapacityProviderField::Tags);
        let out = self
            .call("DescribeCapacityProviders", || request.clone().send())
            .await?;
        let mut found = HashMap::new();
        for provider in out.capacity_providers() {
            let provider: ObservedCapacityProvider = from_sdk(provider)?;
            if provider.status != "INACTIVE" {
                found.insert(provider.capacity_provider_arn.clone(), provider.clone());
                found.insert(provider.name.clone(), provider);
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn update_shapes_convert_to_the_sdk() {
        let asg = json!({"managedScaling": {"status": "ENABLED", "targetCapacity": 50}, "managedDraining": "ENABLED"});
        let sdk = to_sdk(&asg, AutoScalingGroupProviderUpdate::deserialize).unwrap();
        assert_eq!(sdk.managed_scaling().unwrap().target_capacity(), Some(50));
        let managed = json!({"infrastructureRoleArn": "arn:aws:iam::1:role/r",
            "instanceLaunchTemplate": {"ec2InstanceProfileArn": "arn:aws:iam::1:instance-profile/p",
                "storageConfiguration": {"storageSizeGiB": 40},
                "instanceRequirements": {"vCpuCount": {"min": 2}, "memoryMiB": {"min": 4096}}}});
        let sdk = to_sdk(
            &managed,
            UpdateManagedInstancesProviderConfiguration::deserialize,
        )
        .unwrap();
        let template = sdk.instance_launch_template().unwrap();
        assert_eq!(
            template.storage_configuration().unwrap().storage_size_gib(),
            Some(40)
        );
        assert_eq!(
            template
                .instance_requirements()
                .unwrap()
                .memory_mib()
                .unwrap()
                .min(),
            4096
        );
    }
}
