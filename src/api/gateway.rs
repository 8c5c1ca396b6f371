//! The `EcsGateway` kind: one ECS gateway (CreateGateway) with the clusters it is associated with
//! (AssociateGatewayWithCluster); the routes ECS makes for the services that connect to it are shown in status.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, DeletionPolicy, LocalRef, Tags, conditioned_status};

/// An Amazon ECS gateway. Field names follow the ECS `CreateGateway` API.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecsbridge.dev",
    doc = "An ECS Gateway with its routes and cluster associations: the shared load balancers that give the \
           services of its clusters their HTTPS host names.",
    version = "v1alpha1",
    kind = "EcsGateway",
    plural = "ecsgateways",
    shortname = "ecsgw",
    category = "ecs",
    namespaced,
    status = "EcsGatewayStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.ecsStatus"}"#,
    printcolumn = r#"{"name":"Clusters","type":"integer","jsonPath":".status.activeAssociations"}"#,
    printcolumn = r#"{"name":"Routes","type":"integer","jsonPath":".status.routeCount"}"#,
    printcolumn = r#"{"name":"ARN","type":"string","priority":1,"jsonPath":".status.gatewayArn"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct EcsGatewaySpec {
    /// Name of the ECS gateway, unique in the account (at most 255 characters). Defaults to `metadata.name`;
    /// create-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub name: Option<String>,
    /// ARN of the IAM role the gateway assumes to create and manage its load balancers (`iam:PassRole` is
    /// needed on it).
    #[schemars(length(min = 1))]
    pub infrastructure_role_arn: String,
    /// Whether ECS refuses to delete the gateway. ECS's default is `true`: the operator then leaves the gateway
    /// in place when this object is deleted, until this is set to `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<bool>,
    /// The gateway's type and its settings: exactly one variant.
    pub configuration: GatewayConfiguration,
    /// `GATEWAY` (ECS's default) puts the gateway's tags on the infrastructure it manages; `NONE` does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<PropagateGatewayTags>,
    /// `EcsCluster` objects of this namespace to associate the gateway with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_refs: Vec<LocalRef>,
    /// Clusters (names or ARNs) to associate the gateway with, for clusters not managed in this namespace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<String>,
    /// Tags for the gateway, sent at creation (create-only); the operator adds its ownership tags next to them.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// AWS region of the ECS objects (one the namespace's `EcsAccount` allows); its first region, or the
    /// operator's, when unset. Create-only: read when the object is created (recorded in `status.region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Writes the object's AWS identities into a ConfigMap of the namespace, under keys named after the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_to: Option<crate::api::common::ExportTo>,
    /// `Delete` (default) removes the associations this object made and deletes the gateway with this object;
    /// `Retain` leaves both.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// ECS's `GatewayConfiguration`: a union, exactly one member set.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConfiguration {
    /// Shared Application Load Balancers with host-based routing: each service gets its own DNS host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_shared_alb: Option<HostSharedAlbConfiguration>,
}

/// ECS's `HostSharedAlbConfiguration`. `scheme`, `port`, `protocol`, `networkConfiguration.subnets` and
/// `networkConfiguration.ipAddressType` are create-only (UpdateGateway's shape lacks them).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostSharedAlbConfiguration {
    /// Subnets, inbound security group and IP address type of the load balancers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<GatewayNetworkConfiguration>,
    /// `internet-facing` (ECS's default) or `internal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<GatewayScheme>,
    /// ARN of a WAF web ACL for the load balancers.
    #[serde(rename = "webACLArn", default, skip_serializing_if = "Option::is_none")]
    pub web_acl_arn: Option<String>,
    /// Where the load balancers' access logs go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_logs: Option<GatewayAccessLogs>,
    /// The listener's port: 443 is the only one ECS supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// The listener's protocol: `HTTPS` is the only one ECS supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<GatewayProtocol>,
    /// Most load balancers the gateway manages (ECS's default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_alb_count: Option<i32>,
    /// Desync mitigation mode of the load balancers (ECS's default `defensive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_desync: Option<HttpDesyncMode>,
    /// The header that sends test traffic to a new service revision during a progressive deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_traffic_rules: Option<GatewayTestTrafficRules>,
}

/// ECS's `GatewayElbNetworkConfiguration`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayNetworkConfiguration {
    /// A security group of yours (`sg-...`) for inbound traffic; the gateway then adds no inbound rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_security_group: Option<String>,
    /// Subnet IDs (`subnet-...`) of the load balancers; the default VPC's subnets when unset. Create-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnets: Option<Vec<String>>,
    /// `dualstack` (ECS's default and only value). Create-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<GatewayIpAddressType>,
}

/// ECS's `GatewayElbAccessLogConfiguration`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayAccessLogs {
    /// Where the logs are delivered (a union: exactly one member).
    pub destination: GatewayAccessLogDestination,
}

/// ECS's `GatewayElbAccessLogDestination`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayAccessLogDestination {
    /// An S3 bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<GatewayAccessLogS3>,
}

/// ECS's `GatewayElbAccessLogS3Destination`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayAccessLogS3 {
    /// The bucket's name.
    #[schemars(length(min = 1))]
    pub bucket: String,
    /// Key prefix of the log objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// ECS's `GatewayAlbTestTrafficRules`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayTestTrafficRules {
    /// Requests with this header and one of its values are test traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<GatewayTestTrafficHeader>,
}

/// ECS's `GatewayTestTrafficHeader`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayTestTrafficHeader {
    /// The header's name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The values that mark test traffic.
    pub values: Vec<String>,
}

/// Whether the load balancers face the internet.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GatewayScheme {
    InternetFacing,
    Internal,
}

/// Listener protocols in ECS's shape (`HTTPS` is the only one ECS supports).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum GatewayProtocol {
    Http,
    Https,
}

/// IP address types of the load balancers.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GatewayIpAddressType {
    Dualstack,
}

/// Desync mitigation modes of the load balancers.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HttpDesyncMode {
    Monitor,
    Defensive,
    Strictest,
}

/// Whether the gateway's tags go onto what it manages.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum PropagateGatewayTags {
    Gateway,
    None,
}

/// What the operator observed of the gateway; AWS-side facts live here, never in `spec`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EcsGatewayStatus {
    /// The `metadata.generation` the status was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The ConfigMap the object's identities were exported to (`spec.exportTo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_to: Option<String>,
    /// With `ecsbridge.dev/read-only`: the fields where ECS differs from the spec (never set: this kind cannot
    /// be read-only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<crate::api::common::Drift>,
    /// `Ready` and `Synced`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `EcsAccount` whose account this object's ECS objects live in, recorded at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The AWS region this object's ECS objects live in, recorded at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ARN of the gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_arn: Option<String>,
    /// Name of the gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// ECS's status: `ACTIVE`, `UPDATE_IN_PROGRESS`, `UPDATE_COMPLETE`, `UPDATE_FAILED` or `DELETED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs_status: Option<String>,
    /// ECS's explanation of a failure status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// `PUBLIC` or `PRIVATE`, as ECS derived it from the scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_type: Option<String>,
    /// Whether ECS refuses to delete the gateway, as ECS reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<bool>,
    /// How many load balancers the gateway has now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_alb_count: Option<i32>,
    /// The load balancers ECS could not update, with each failed operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<GatewayFailure>,
    /// Every association of the gateway with a cluster that ECS reports, this object's and others'.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<GatewayAssociation>,
    /// ARNs of the clusters this object associated the gateway with: only these are ever disassociated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associated_clusters: Vec<String>,
    /// How many associations are ACTIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_associations: Option<i32>,
    /// The routes ECS made for the services connected to the gateway.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<GatewayRouteSummary>,
    /// How many routes ECS reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_count: Option<i32>,
    /// The load balancers the gateway made, with their listeners and security groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancers: Vec<GatewayLoadBalancer>,
}
conditioned_status!(EcsGatewayStatus);

/// One association of the gateway with a cluster, as ECS reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayAssociation {
    /// ARN of the cluster.
    pub cluster_arn: String,
    /// `ACTIVE`, `DISASSOCIATING` or `INACTIVE`.
    pub status: String,
    /// Whether this object made it (only those it removes).
    pub made_by_this_object: bool,
}

/// One route of the gateway (ECS's `GatewayRouteSummary`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayRouteSummary {
    /// ARN of the route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_route_arn: Option<String>,
    /// ARN of the cluster of the routed service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_arn: Option<String>,
    /// ARN of the routed service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_arn: Option<String>,
    /// The named container port the route sends traffic to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_container_port_name: Option<String>,
    /// ECS's status of the route (`ACTIVE`, `CREATE_IN_PROGRESS`, `CREATE_FAILED`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// One load balancer of the gateway (ECS's `ElbGatewayResources`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayLoadBalancer {
    /// ARN of the load balancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_arn: Option<String>,
    /// ARN of its listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_arn: Option<String>,
    /// ID of its security group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group: Option<String>,
    /// ARNs of the routes that use it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gateway_route_arns: Vec<String>,
}

/// A resource ECS could not update (ECS's `GatewayResourceFailure`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayFailure {
    /// ARN of the resource ECS could not update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The operations that failed on it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<GatewayOperationError>,
}

/// One failed operation (ECS's `GatewayOperationError`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayOperationError {
    /// The IAM-style action that failed, such as `elasticloadbalancing:ModifyLoadBalancerAttributes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The error code of the failed operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The error message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
