//! ECS gateway calls: CreateGateway, DescribeGateway, UpdateGateway, DeleteGateway, the cluster associations
//! (AssociateGatewayWithCluster, DisassociateGatewayFromCluster, ListGatewayClusterAssociations) and what ECS
//! made for the gateway (ListGatewayRoutes, DescribeGatewayResources).

use aws_sdk_ecs::types::{GatewayConfiguration, PropagateGatewayTags, UpdateGatewayConfiguration};
use serde::Deserialize;
use serde_json::{Value, json};

use super::bridge::{from_sdk, to_sdk};
use super::{AwsError, AwsErrorKind, Ecs};
use crate::api::Tags;
use crate::api::gateway::{
    EcsGatewaySpec, GatewayFailure, GatewayLoadBalancer, GatewayRouteSummary,
};

/// A gateway as ECS reports it, in the shape of our API types; the configuration stays JSON so that the spec
/// can be compared with it.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObservedGateway {
    #[serde(default)]
    pub gateway_arn: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_reason: Option<String>,
    #[serde(default)]
    pub failures: Vec<GatewayFailure>,
    #[serde(default)]
    pub infrastructure_role_arn: Option<String>,
    #[serde(default)]
    pub deletion_protection: Option<bool>,
    #[serde(default)]
    pub configuration: Option<Value>,
    #[serde(default)]
    pub access_type: Option<String>,
    #[serde(default)]
    pub propagate_tags: Option<String>,
    #[serde(default, deserialize_with = "super::tags::deserialize_list")]
    pub tags: Tags,
}

impl ObservedGateway {
    /// ECS's status, empty when it gave none.
    pub fn status_code(&self) -> &str {
        self.status.as_deref().unwrap_or_default()
    }
}

/// One association of a gateway with a cluster (ECS's `GatewayClusterAssociationSummary`).
#[derive(Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ObservedAssociation {
    #[serde(default)]
    pub cluster_arn: String,
    #[serde(default)]
    pub status: String,
}

/// The members of the spec's configuration UpdateGateway takes (its `UpdateGatewayAlbConfiguration`), in ECS's
/// shape; `None` members are left out.
pub fn updatable_configuration(spec: &EcsGatewaySpec) -> Value {
    let Some(alb) = &spec.configuration.host_shared_alb else {
        return json!({});
    };
    let inbound = alb
        .network_configuration
        .as_ref()
        .and_then(|n| n.inbound_security_group.clone())
        .map(|group| json!({"inboundSecurityGroup": group}));
    let mut members = serde_json::Map::new();
    for (key, value) in [
        ("networkConfiguration", inbound),
        ("maxAlbCount", alb.max_alb_count.map(|n| json!(n))),
        ("webACLArn", alb.web_acl_arn.clone().map(Value::String)),
        ("accessLogs", alb.access_logs.as_ref().map(|a| json!(a))),
        ("httpDesync", alb.http_desync.map(|d| json!(d))),
        (
            "testTrafficRules",
            alb.test_traffic_rules.as_ref().map(|t| json!(t)),
        ),
    ] {
        if let Some(value) = value {
            members.insert(key.to_owned(), value);
        }
    }
    json!({"hostSharedAlb": members})
}

fn propagate(spec: &EcsGatewaySpec) -> Option<PropagateGatewayTags> {
    spec.propagate_tags
        .map(|p| PropagateGatewayTags::from(json!(p).as_str().unwrap_or_default()))
}

impl Ecs {
    /// Creates the gateway named `name` from the spec with `tags`; `token` makes a repeat of the same request
    /// harmless (ECS ignores a request whose token it has seen).
    pub async fn create_gateway(
        &self,
        name: &str,
        spec: &EcsGatewaySpec,
        tags: &Tags,
        token: &str,
    ) -> Result<String, AwsError> {
        let configuration = to_sdk(&spec.configuration, GatewayConfiguration::deserialize)?;
        let out = {
            let request = self
                .client
                .create_gateway()
                .name(name)
                .infrastructure_role_arn(&spec.infrastructure_role_arn)
                .client_token(token)
                .set_deletion_protection(spec.deletion_protection)
                .configuration(configuration)
                .set_propagate_tags(propagate(spec))
                .set_tags(Some(super::tags::to_ecs(tags)));
            self.call("CreateGateway", || request.clone().send()).await
        }?;
        out.gateway_arn()
            .map(str::to_owned)
            .ok_or_else(|| AwsError::conversion("CreateGateway returned no gateway ARN".into()))
    }

    /// The gateway `ident` (name or ARN) names, or `None` when ECS does not know it or it is DELETED.
    pub async fn describe_gateway(&self, ident: &str) -> Result<Option<ObservedGateway>, AwsError> {
        let result = {
            let request = self.client.describe_gateway().gateway(ident);
            self.call("DescribeGateway", || request.clone().send())
                .await
        };
        let out = match result {
            Err(gone) if gone.kind == AwsErrorKind::NotFound => return Ok(None),
            other => other?,
        };
        let Some(gateway) = out.gateway() else {
            return Ok(None);
        };
        let observed: ObservedGateway = from_sdk(gateway)?;
        Ok((observed.status_code() != "DELETED").then_some(observed))
    }

    /// Sends the role, deletion protection, tag propagation and the configuration's mutable members.
    pub async fn update_gateway(&self, arn: &str, spec: &EcsGatewaySpec) -> Result<(), AwsError> {
        let configuration = to_sdk(
            &updatable_configuration(spec),
            UpdateGatewayConfiguration::deserialize,
        )?;
        let request = self
            .client
            .update_gateway()
            .gateway(arn)
            .infrastructure_role_arn(&spec.infrastructure_role_arn)
            .set_deletion_protection(spec.deletion_protection)
            .configuration(configuration)
            .set_propagate_tags(propagate(spec));
        self.call("UpdateGateway", || request.clone().send())
            .await?;
        Ok(())
    }

    /// Deletes the gateway; one that is already gone counts as deleted.
    pub async fn delete_gateway(&self, arn: &str) -> Result<(), AwsError> {
        let result = {
            let request = self.client.delete_gateway().gateway(arn);
            self.call("DeleteGateway", || request.clone().send()).await
        };
        match result {
            Err(gone) if gone.kind == AwsErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Associates the gateway with `cluster` (name or ARN); returns the cluster's ARN.
    pub async fn associate_gateway(&self, arn: &str, cluster: &str) -> Result<String, AwsError> {
        let request = self
            .client
            .associate_gateway_with_cluster()
            .gateway(arn)
            .cluster(cluster);
        let out = self
            .call("AssociateGatewayWithCluster", || request.clone().send())
            .await?;
        Ok(out.cluster_arn().unwrap_or(cluster).to_owned())
    }

    /// Starts removing the association with `cluster`; a cluster or gateway that is gone has none to remove.
    pub async fn disassociate_gateway(&self, arn: &str, cluster: &str) -> Result<(), AwsError> {
        let result = {
            let request = self
                .client
                .disassociate_gateway_from_cluster()
                .gateway(arn)
                .cluster(cluster);
            self.call("DisassociateGatewayFromCluster", || request.clone().send())
                .await
        };
        match result {
            Err(gone) if gone.kind == AwsErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Every association of the gateway ECS reports, whatever its status.
    pub async fn gateway_associations(
        &self,
        arn: &str,
    ) -> Result<Vec<ObservedAssociation>, AwsError> {
        let mut found = Vec::new();
        let mut token = None;
        loop {
            let request = self
                .client
                .list_gateway_cluster_associations()
                .gateway(arn)
                .set_next_token(token);
            let out = self
                .call("ListGatewayClusterAssociations", || request.clone().send())
                .await?;
            for association in out.gateway_cluster_associations() {
                found.push(from_sdk(association)?);
            }
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(found);
            }
        }
    }

    /// Every route ECS made on the gateway.
    pub async fn gateway_routes(&self, arn: &str) -> Result<Vec<GatewayRouteSummary>, AwsError> {
        let mut found = Vec::new();
        let mut token = None;
        loop {
            let request = self
                .client
                .list_gateway_routes()
                .gateway(arn)
                .set_next_token(token);
            let out = self
                .call("ListGatewayRoutes", || request.clone().send())
                .await?;
            for route in out.gateway_routes() {
                found.push(from_sdk(route)?);
            }
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(found);
            }
        }
    }

    /// The load balancers the gateway made (none until a service uses it).
    pub async fn gateway_load_balancers(
        &self,
        arn: &str,
    ) -> Result<Vec<GatewayLoadBalancer>, AwsError> {
        let mut found = Vec::new();
        let mut token = None;
        loop {
            let request = self
                .client
                .describe_gateway_resources()
                .gateway(arn)
                .max_results(20)
                .set_next_token(token);
            let out = self
                .call("DescribeGatewayResources", || request.clone().send())
                .await?;
            if let Some(aws_sdk_ecs::types::GatewayInfrastructureResources::HostSharedAlb(list)) =
                out.gateway_resources().and_then(|r| r.resources())
            {
                for balancer in list {
                    found.push(from_sdk(balancer)?);
                }
            }
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(found);
            }
        }
    }
}
