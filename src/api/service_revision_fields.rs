//! `EcsService` fields that ECS keeps on the service revision: `monitoring` (the resolution of the service's
//! CloudWatch metrics) and `gatewayConnectors` (the ports an ECS gateway routes to), in ECS's own shapes
//! (docs/ecs-behaviour.md, entries 150-151).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The resolution of the service-level `CPUUtilization` and `MemoryUtilization` CloudWatch metrics (ECS's
/// `MonitoringConfiguration`); left out, ECS uses 60 seconds.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringConfiguration {
    /// One resolution per group of metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_configurations: Option<Vec<MetricConfiguration>>,
}

/// Metrics collected at one resolution.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricConfiguration {
    /// `CPUUtilization` and/or `MemoryUtilization`.
    pub metric_names: Vec<String>,
    /// Seconds between data points: `20` or `60`.
    pub resolution_seconds: i32,
}

/// A port of the service that an ECS gateway routes ingress traffic to (ECS's `GatewayConnector`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConnector {
    /// Name of the service port (a `portMappings[].name` of the task definition).
    pub port_name: String,
    /// How the gateway checks the targets of this connector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<GatewayConnectorHealthCheck>,
    /// Which of the gateway's ingress paths the connector applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<GatewayConnectorFilters>,
}

/// The gateway's health check of a connector's targets.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConnectorHealthCheck {
    /// `HTTP` or `HTTPS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_protocol: Option<GatewayHealthCheckProtocol>,
    /// Port of the health check requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_port: Option<i32>,
    /// Path of the health check requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_path: Option<String>,
    /// Seconds without an answer that fail a check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_timeout_seconds: Option<i32>,
    /// Seconds between checks of a target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_interval_seconds: Option<i32>,
    /// Consecutive passed checks before a target is healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_threshold_count: Option<i32>,
    /// Consecutive failed checks before a target is unhealthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_threshold_count: Option<i32>,
    /// The answers that pass a check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<GatewayConnectorHealthCheckMatcher>,
}

/// Health check protocols of a gateway connector.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum GatewayHealthCheckProtocol {
    #[serde(rename = "HTTP")]
    Http,
    #[serde(rename = "HTTPS")]
    Https,
}

/// HTTP or gRPC codes that pass a health check (e.g. `200-299`, `0-99`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConnectorHealthCheckMatcher {
    /// HTTP codes, such as `200` or `200-299`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_code: Option<String>,
    /// gRPC codes, such as `0` or `0-99`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_code: Option<String>,
}

/// Which ingress paths of the gateway a connector applies to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConnectorFilters {
    /// `PUBLIC` and/or `PRIVATE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_types: Option<Vec<GatewayAccessType>>,
}

/// Access types of a gateway ingress path.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum GatewayAccessType {
    #[serde(rename = "PUBLIC")]
    Public,
    #[serde(rename = "PRIVATE")]
    Private,
}

/// What ecs-bridge last sent ECS, and ECS accepted, of the fields DescribeServices does not report (`monitoring`,
/// `gatewayConnectors` are kept on the service revision only): the plan compares the spec with this record, as it
/// cannot compare with ECS. A change made outside Kubernetes is therefore not seen.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SentRevisionFields {
    /// The `monitoring` ECS accepted last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringConfiguration>,
    /// The `gatewayConnectors` ECS accepted last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_connectors: Option<Vec<GatewayConnector>>,
}

impl SentRevisionFields {
    /// The record once ECS accepted the values given (`None`: not sent, the earlier value stays).
    pub fn after(
        &self,
        monitoring: Option<&MonitoringConfiguration>,
        gateway_connectors: Option<&Vec<GatewayConnector>>,
    ) -> Self {
        Self {
            monitoring: monitoring.cloned().or_else(|| self.monitoring.clone()),
            gateway_connectors: gateway_connectors
                .cloned()
                .or_else(|| self.gateway_connectors.clone()),
        }
    }
}
