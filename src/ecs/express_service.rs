//! ECS Express Mode calls: CreateExpressGatewayService, DescribeExpressGatewayService (with tags),
//! UpdateExpressGatewayService and DeleteExpressGatewayService, all named by the service's ARN after creation.

use aws_sdk_ecs::types::{
    ExpressCpuArchitecture, ExpressGatewayContainer, ExpressGatewayScalingTarget,
    ExpressGatewayServiceInclude, ExpressGatewayServiceNetworkConfiguration,
};
use serde::Deserialize;
use serde_json::Value;

use super::bridge::{from_sdk, to_sdk};
use super::{AwsError, AwsErrorKind, Ecs};
use crate::api::Tags;
use crate::api::express_service::{EcsExpressServiceSpec, ExpressIngressPath};

/// An Express service as ECS reports it, in the shape of our API types.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObservedExpressService {
    #[serde(default)]
    pub service_arn: String,
    #[serde(default)]
    pub service_name: Option<String>,
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub status: Option<ExpressStatus>,
    #[serde(default)]
    pub infrastructure_role_arn: Option<String>,
    #[serde(default)]
    pub current_deployment: Option<String>,
    #[serde(default)]
    pub active_configurations: Vec<ExpressConfiguration>,
    #[serde(default, deserialize_with = "super::tags::deserialize_list")]
    pub tags: Tags,
}

/// ECS's `ExpressGatewayServiceStatus`.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExpressStatus {
    #[serde(default)]
    pub status_code: Option<String>,
    #[serde(default)]
    pub status_reason: Option<String>,
}

/// One active configuration (service revision) of an Express service; the updatable fields stay JSON so that
/// the spec can be compared with what ECS holds.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExpressConfiguration {
    #[serde(default)]
    pub service_revision_arn: Option<String>,
    #[serde(default)]
    pub task_definition_arn: Option<String>,
    #[serde(default)]
    pub ingress_paths: Vec<ExpressIngressPath>,
    #[serde(default)]
    pub created_at: Option<f64>,
    #[serde(flatten)]
    pub settings: serde_json::Map<String, Value>,
}

impl ObservedExpressService {
    /// ECS's status code (`ACTIVE`, `DRAINING`, `INACTIVE`).
    pub fn status_code(&self) -> &str {
        self.status
            .as_ref()
            .and_then(|s| s.status_code.as_deref())
            .unwrap_or_default()
    }

    /// The newest active configuration: the one a deployment goes to.
    pub fn newest(&self) -> Option<&ExpressConfiguration> {
        self.active_configurations.iter().max_by(|a, b| {
            a.created_at
                .unwrap_or(0.0)
                .total_cmp(&b.created_at.unwrap_or(0.0))
        })
    }
}

/// ECS's cluster for a service created without one.
const DEFAULT_CLUSTER: &str = "default";

/// What a name names in a cluster: an Express service, or an ordinary ECS service (by ARN).
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    Express(ObservedExpressService),
    NotExpress(String),
}

/// The spec's parts that CreateExpressGatewayService and UpdateExpressGatewayService both take, in the SDK's shapes.
struct SdkShapes {
    container: Option<ExpressGatewayContainer>,
    architecture: Option<ExpressCpuArchitecture>,
    scaling: Option<ExpressGatewayScalingTarget>,
    network: Option<ExpressGatewayServiceNetworkConfiguration>,
}

impl SdkShapes {
    fn of(spec: &EcsExpressServiceSpec) -> Result<Self, AwsError> {
        Ok(Self {
            container: spec
                .primary_container
                .as_ref()
                .map(|c| to_sdk(c, ExpressGatewayContainer::deserialize))
                .transpose()?,
            architecture: spec
                .cpu_architecture
                .map(|a| serde_json::to_value(a).map_err(|e| AwsError::conversion(e.to_string())))
                .transpose()?
                .and_then(|a| a.as_str().map(ExpressCpuArchitecture::from)),
            scaling: spec
                .scaling_target
                .as_ref()
                .map(|s| to_sdk(s, ExpressGatewayScalingTarget::deserialize))
                .transpose()?,
            network: spec
                .network_configuration
                .as_ref()
                .map(|n| to_sdk(n, ExpressGatewayServiceNetworkConfiguration::deserialize))
                .transpose()?,
        })
    }
}

impl Ecs {
    /// Creates an Express service from the spec in `cluster` (ECS's default when `None`) with `tags`, running
    /// `task_definition` (the spec's own, resolved) when given.
    pub async fn create_express_service(
        &self,
        name: &str,
        cluster: Option<&str>,
        spec: &EcsExpressServiceSpec,
        task_definition: Option<&str>,
        tags: &Tags,
    ) -> Result<ObservedExpressService, AwsError> {
        let SdkShapes {
            container,
            architecture,
            scaling,
            network,
        } = SdkShapes::of(spec)?;
        let out = {
            let request = self
                .client
                .create_express_gateway_service()
                .service_name(name)
                .set_cluster(cluster.map(str::to_owned))
                .set_execution_role_arn(spec.execution_role_arn.clone())
                .infrastructure_role_arn(&spec.infrastructure_role_arn)
                .set_task_role_arn(spec.task_role_arn.clone())
                .set_primary_container(container)
                .set_task_definition_arn(task_definition.map(str::to_owned))
                .set_cpu_architecture(architecture)
                .set_cpu(spec.cpu.clone())
                .set_memory(spec.memory.clone())
                .set_health_check_path(spec.health_check_path.clone())
                .set_scaling_target(scaling)
                .set_network_configuration(network)
                .set_tags(Some(super::tags::to_ecs(tags)));
            self.call("CreateExpressGatewayService", || request.clone().send())
                .await
        }?;
        let service = out.service().ok_or_else(|| {
            AwsError::conversion("CreateExpressGatewayService returned no service".into())
        })?;
        from_sdk(service)
    }

    /// The Express service of `arn` with its tags, or `None` when ECS does not know it or it is INACTIVE.
    pub async fn describe_express_service(
        &self,
        arn: &str,
    ) -> Result<Option<ObservedExpressService>, AwsError> {
        let result = {
            let request = self
                .client
                .describe_express_gateway_service()
                .service_arn(arn)
                .include(ExpressGatewayServiceInclude::Tags);
            self.call("DescribeExpressGatewayService", || request.clone().send())
                .await
        };
        let out = match result {
            Err(gone) if gone.kind == AwsErrorKind::NotFound => return Ok(None),
            other => other?,
        };
        let Some(service) = out.service() else {
            return Ok(None);
        };
        let observed: ObservedExpressService = from_sdk(service)?;
        Ok((observed.status_code() != "INACTIVE").then_some(observed))
    }

    /// Sends every updatable field of the spec (and `task_definition`, the spec's own, resolved): ECS starts a
    /// deployment of a new configuration.
    pub async fn update_express_service(
        &self,
        arn: &str,
        spec: &EcsExpressServiceSpec,
        task_definition: Option<&str>,
    ) -> Result<(), AwsError> {
        let SdkShapes {
            container,
            architecture,
            scaling,
            network,
        } = SdkShapes::of(spec)?;
        let request = self
            .client
            .update_express_gateway_service()
            .service_arn(arn)
            .set_execution_role_arn(spec.execution_role_arn.clone())
            .set_task_role_arn(spec.task_role_arn.clone())
            .set_primary_container(container)
            .set_task_definition_arn(task_definition.map(str::to_owned))
            .set_cpu_architecture(architecture)
            .set_cpu(spec.cpu.clone())
            .set_memory(spec.memory.clone())
            .set_health_check_path(spec.health_check_path.clone())
            .set_scaling_target(scaling)
            .set_network_configuration(network);
        self.call("UpdateExpressGatewayService", || request.clone().send())
            .await?;
        Ok(())
    }

    /// The Express service named `name` in `cluster` (ECS's `default` when `None`), with its tags, found through
    /// DescribeServices (an Express service is an ECS service of its cluster, catalogue entry 199): how a service
    /// whose ARN was never recorded is found again. `None` when the cluster has no such service, or only an
    /// INACTIVE one; `NotExpress` when the name is an ordinary service's.
    pub async fn find_express_service(
        &self,
        cluster: Option<&str>,
        name: &str,
    ) -> Result<Option<Found>, AwsError> {
        let cluster = cluster.unwrap_or(DEFAULT_CLUSTER);
        let service = match self.describe_service(cluster, name).await {
            Err(missing) if missing.kind == AwsErrorKind::NotFound => return Ok(None),
            other => other?,
        };
        let Some(service) = service else {
            return Ok(None);
        };
        let result = {
            let request = self
                .client
                .describe_express_gateway_service()
                .service_arn(&service.service_arn)
                .include(ExpressGatewayServiceInclude::Tags);
            self.call("DescribeExpressGatewayService", || request.clone().send())
                .await
        };
        match result {
            Ok(out) => match out.service() {
                Some(found) => Ok(Some(Found::Express(from_sdk(found)?))),
                None => Ok(Some(Found::NotExpress(service.service_arn))),
            },
            // What ECS answers for an ordinary service's ARN is not documented (catalogue entry 199): any client
            // error means it is not an Express service; throttling and server errors are retried as usual.
            Err(refused)
                if matches!(
                    refused.kind,
                    AwsErrorKind::NotFound | AwsErrorKind::Rejected
                ) =>
            {
                Ok(Some(Found::NotExpress(service.service_arn)))
            }
            Err(other) => Err(other),
        }
    }

    /// Starts the deletion of an Express service (ECS drains it, then removes it and what it made); one that is
    /// already gone counts as deleted.
    pub async fn delete_express_service(&self, arn: &str) -> Result<(), AwsError> {
        let result = {
            let request = self
                .client
                .delete_express_gateway_service()
                .service_arn(arn);
            self.call("DeleteExpressGatewayService", || request.clone().send())
                .await
        };
        match result {
            Err(gone) if gone.kind == AwsErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }
}
