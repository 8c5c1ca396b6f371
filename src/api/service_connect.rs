//! An `EcsService`'s Service Connect configuration, in ECS's shapes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The Service Connect configuration of a service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectConfiguration {
    /// Whether Service Connect is used by this service.
    pub enabled: bool,
    /// Cloud Map namespace name or ARN; defaults to the cluster's Service Connect namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Endpoints this service exposes to other Service Connect services.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceConnectService>,
    /// Log configuration of the Service Connect proxy container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    /// Access logging of the Service Connect proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log_configuration: Option<ServiceConnectAccessLogConfiguration>,
    /// Settings of the Service Connect proxy container; each entry sets exactly one member.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub container_configurations: Vec<ServiceConnectContainerConfiguration>,
}

/// An endpoint that a service exposes through Service Connect.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectService {
    /// `name` of a port mapping in the task definition.
    #[schemars(length(min = 1))]
    pub port_name: String,
    /// Name of the Cloud Map service; defaults to `portName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_name: Option<String>,
    /// DNS names and ports that clients use to reach this endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_aliases: Vec<ServiceConnectClientAlias>,
    /// Port the proxy listens on, instead of the port mapping's container port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub ingress_port_override: Option<i32>,
    /// Idle and per-request timeouts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<TimeoutConfiguration>,
    /// TLS between Service Connect proxies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ServiceConnectTlsConfiguration>,
}

/// A DNS name and port under which clients reach a Service Connect endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectClientAlias {
    /// Listening port.
    #[schemars(range(min = 0, max = 65535))]
    pub port: i32,
    /// DNS name; defaults to `discoveryName.namespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// Rules that route test traffic to the new revision during blue/green deployments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_traffic_rules: Option<ServiceConnectTestTrafficRules>,
}

/// Test traffic routing rules of a Service Connect client alias.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficRules {
    /// HTTP header that marks test traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<ServiceConnectTestTrafficHeaderRules>,
}

/// An HTTP header rule for test traffic.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficHeaderRules {
    /// Header name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// How the header value is matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ServiceConnectTestTrafficHeaderMatchRules>,
}

/// How a test traffic header value is matched.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficHeaderMatchRules {
    /// The exact header value.
    pub exact: String,
}

/// Timeouts of a Service Connect endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeoutConfiguration {
    /// Seconds a connection may stay idle (0 disables the timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub idle_timeout_seconds: Option<i32>,
    /// Seconds the upstream has to respond with a complete response (0 disables the timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub per_request_timeout_seconds: Option<i32>,
}

/// TLS configuration of a Service Connect endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTlsConfiguration {
    /// The AWS Private CA that issues the certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_certificate_authority: Option<ServiceConnectTlsCertificateAuthority>,
    /// KMS key (ID, alias or ARN) used to encrypt the private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
    /// ARN of the IAM role that ECS uses for the certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// The certificate authority of Service Connect TLS.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTlsCertificateAuthority {
    /// ARN of the AWS Private CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_pca_authority_arn: Option<String>,
}

/// A container log configuration (here: of the Service Connect proxy).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogConfiguration {
    /// Log driver: `awslogs`, `awsfirelens`, `splunk`, `fluentd`, `gelf`, `json-file`, `journald` or `syslog`.
    #[schemars(length(min = 1))]
    pub log_driver: String,
    /// Options passed to the log driver.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// Secrets passed to the log driver.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_options: Vec<Secret>,
}

/// A secret from Secrets Manager or SSM Parameter Store.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// Name of the option the secret is passed as.
    pub name: String,
    /// ARN of the Secrets Manager secret or SSM parameter (or the parameter name in the same Region).
    pub value_from: String,
}

/// Access logging of the Service Connect proxy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectAccessLogConfiguration {
    /// `TEXT` or `JSON`.
    pub format: ServiceConnectAccessLoggingFormat,
    /// `ENABLED` or `DISABLED`: whether query parameters appear in the logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_query_parameters: Option<ServiceConnectIncludeQueryParameters>,
}

/// Formats of Service Connect access logs.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ServiceConnectAccessLoggingFormat {
    #[serde(rename = "TEXT")]
    Text,
    #[serde(rename = "JSON")]
    Json,
}

/// Whether query parameters are included in Service Connect access logs.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ServiceConnectIncludeQueryParameters {
    #[serde(rename = "ENABLED")]
    Enabled,
    #[serde(rename = "DISABLED")]
    Disabled,
}

/// One setting of the Service Connect proxy container (an ECS union: set exactly one member).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectContainerConfiguration {
    /// `info` (default) or `debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<ServiceConnectContainerLogLevel>,
}

/// Log levels of the Service Connect proxy container.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ServiceConnectContainerLogLevel {
    #[serde(rename = "info")]
    Info,
    #[serde(rename = "debug")]
    Debug,
}
