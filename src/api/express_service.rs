//! The `EcsExpressService` kind: one ECS Express Mode service (CreateExpressGatewayService): an image in, an HTTPS
//! URL out, with the load balancer, target groups, security groups and scaling that ECS makes for it.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, DeletionPolicy, LocalRef, Tags, conditioned_status};
use super::task_definition::{KeyValuePair, Secret};

/// An Amazon ECS Express Mode service. Field names follow the ECS `CreateExpressGatewayService` API.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecsbridge.dev",
    doc = "An ECS Express Mode service: a container image served on an HTTPS URL, with the load balancer, \
           security groups and scaling ECS makes for it.",
    version = "v1alpha1",
    kind = "EcsExpressService",
    plural = "ecsexpressservices",
    shortname = "ecsx",
    category = "ecs",
    namespaced,
    status = "EcsExpressServiceStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"URL","type":"string","jsonPath":".status.url"}"#,
    printcolumn = r#"{"name":"Status","type":"string","priority":1,"jsonPath":".status.ecsStatus"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct EcsExpressServiceSpec {
    /// Name of the ECS service. Defaults to `metadata.name`; create-only (ECS cannot rename a service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub service_name: Option<String>,
    /// The `EcsCluster` of this namespace to run in; ECS's `default` cluster (which Express Mode creates if it
    /// does not exist) when unset. Create-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_ref: Option<LocalRef>,
    /// The container that receives the load balancer's traffic, from which ECS makes the task definition. Exactly
    /// one of `primaryContainer`, `taskDefinitionRef` and `taskDefinitionArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_container: Option<ExpressContainer>,
    /// A `TaskDefinition` in this namespace to run instead of one ECS makes; the service follows its newest
    /// revision. It needs a container named `Main` with one TCP port mapping that has a container port and a name,
    /// and `FARGATE` among its `requiresCompatibilities`. Not with `executionRoleArn`, `taskRoleArn`, `cpu`,
    /// `memory` or `cpuArchitecture` (the task definition has them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_ref: Option<LocalRef>,
    /// ARN of a task definition revision to run instead of one ECS makes (the same conditions as
    /// `taskDefinitionRef`, which is the way to follow a `TaskDefinition` of this namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_arn: Option<String>,
    /// ARN of the task execution role ECS uses to pull the image and write logs (`iam:PassRole` is needed on it).
    /// Required with `primaryContainer`; not with a task definition of one's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    /// ARN of the infrastructure role ECS uses to create the load balancer, security groups and scaling
    /// (`iam:PassRole` is needed on it). Create-only.
    #[schemars(length(min = 1))]
    pub infrastructure_role_arn: String,
    /// ARN of the role the application's code runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// CPU units of each task, as ECS takes them (`"256"`, `"1024"`, ...); ECS's default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+$"))]
    pub cpu: Option<String>,
    /// Memory of each task in MiB, as ECS takes it (`"512"`, `"2048"`, ...); ECS's default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+$"))]
    pub memory: Option<String>,
    /// The CPU architecture of the tasks: `X86_64` (ECS's default) or `ARM64`; the image must support it.
    /// Changing it starts a new deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_architecture: Option<ExpressCpuArchitecture>,
    /// The path the load balancer checks (starts with `/`); ECS's default `/ping` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_path: Option<String>,
    /// How many tasks run and on which metric ECS scales them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling_target: Option<ExpressScalingTarget>,
    /// The subnets and security groups of the tasks; the default VPC when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<ExpressNetworkConfiguration>,
    /// Tags for the service; the operator adds its ownership tags next to them. Changes reach ECS through
    /// TagResource and UntagResource; a tag someone else added to the service stays.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// AWS region of the ECS objects (one the namespace's `EcsAccount` allows); its first region, or the
    /// operator's, when unset. Create-only: read when the object is created (recorded in `status.region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Writes the object's AWS identities into a ConfigMap of the namespace, under keys named after the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_to: Option<crate::api::common::ExportTo>,
    /// `Delete` (default) deletes the Express service, and with it what ECS made for it, with this object;
    /// `Retain` leaves it.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// The primary container of an Express service (ECS's `ExpressGatewayContainer`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpressContainer {
    /// The image, as Docker takes it (`repository:tag` or `repository@digest`).
    #[schemars(length(min = 1))]
    pub image: String,
    /// The port the application listens on; ECS's default 80 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: Option<i32>,
    /// The command passed to the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Environment variables of the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Vec<KeyValuePair>>,
    /// Environment variables taken from Secrets Manager or SSM Parameter Store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<Secret>>,
    /// Where the container's logs go in CloudWatch Logs; ECS makes a log group for the service when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_logs_configuration: Option<ExpressLogsConfiguration>,
    /// The Secrets Manager secret with the credentials of a private registry the image is pulled from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<ExpressRepositoryCredentials>,
}

/// The CloudWatch Logs destination of the primary container (ECS's `ExpressGatewayServiceAwsLogsConfiguration`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpressLogsConfiguration {
    /// The log group the container's logs go to.
    #[schemars(length(min = 1, max = 512))]
    pub log_group: String,
    /// The prefix of the log stream names (ECS's default for an Express service is `ecs`).
    #[schemars(length(min = 1))]
    pub log_stream_prefix: String,
}

/// Credentials of a private registry (ECS's `ExpressGatewayRepositoryCredentials`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpressRepositoryCredentials {
    /// ARN of the Secrets Manager secret holding them (`arn:aws:secretsmanager:...`); the execution role needs
    /// `secretsmanager:GetSecretValue` on it.
    #[schemars(length(min = 1))]
    pub credentials_parameter: String,
}

/// The CPU architectures of an Express service's tasks (ECS's `ExpressCpuArchitecture`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ExpressCpuArchitecture {
    #[serde(rename = "X86_64")]
    X8664,
    #[serde(rename = "ARM64")]
    Arm64,
}

/// The scaling of an Express service (ECS's `ExpressGatewayScalingTarget`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpressScalingTarget {
    /// Fewest tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min_task_count: Option<i32>,
    /// Most tasks (at least `minTaskCount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_task_count: Option<i32>,
    /// The metric ECS scales on: `AVERAGE_CPU` (ECS's default), `AVERAGE_MEMORY` or `REQUEST_COUNT_PER_TARGET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling_metric: Option<ExpressScalingMetric>,
    /// The value of the metric ECS keeps the service at (ECS's default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub auto_scaling_target_value: Option<i32>,
}

/// The metrics an Express service scales on.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExpressScalingMetric {
    AverageCpu,
    AverageMemory,
    RequestCountPerTarget,
}

/// Where the tasks of an Express service run (ECS's `ExpressGatewayServiceNetworkConfiguration`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpressNetworkConfiguration {
    /// Subnet IDs (`subnet-...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<String>,
    /// Security group IDs (`sg-...`); ECS creates them when unset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
}

/// What the operator observed of the Express service; AWS-side facts live here, never in `spec`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EcsExpressServiceStatus {
    /// The `metadata.generation` the status was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The ConfigMap the object's identities were exported to (`spec.exportTo`), so they are removed from it when
    /// the field or the object goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_to: Option<String>,
    /// With `ecsbridge.dev/read-only`: the fields where ECS differs from the spec (the newest configuration's
    /// settings and task definition, and the tags).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<crate::api::common::Drift>,
    /// `Ready` and `Synced`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `EcsAccount` whose account this object's ECS objects live in (`(operator)`: the operator's own),
    /// recorded at creation; never changed silently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The AWS region this object's ECS objects live in, recorded at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The tag keys the operator set on the service (its ownership tags and `spec.tags`): only these are ever
    /// removed from it, so tags others add stay.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_tag_keys: Vec<String>,
    /// When an existing Express service was adopted (`ecsbridge.dev/adopt: "true"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_at: Option<String>,
    /// ARN of the Express service: the only name ECS's Express calls take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_arn: Option<String>,
    /// Name of the ECS service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// The cluster the service runs in, as ECS reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// ECS's status of the service: `ACTIVE`, `DRAINING` or `INACTIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs_status: Option<String>,
    /// ECS's reason for `ecsStatus`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The HTTPS URL of the service (the endpoint of its public ingress path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Every ingress path ECS reports for the newest configuration: access type and endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress_paths: Vec<ExpressIngressPath>,
    /// ECS's current deployment of the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_deployment: Option<String>,
    /// How many configurations (service revisions) ECS reports active: more than one while a deployment runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_configurations: Option<i32>,
    /// The task definition of the newest configuration (the one ECS made, or the spec's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_arn: Option<String>,
    /// The service revision of the newest configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_revision_arn: Option<String>,
    /// The security groups of the tasks, as ECS reports them (those it made when the spec names none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// The subnets of the tasks, as ECS reports them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<String>,
}
conditioned_status!(EcsExpressServiceStatus);

/// One way into an Express service, as ECS reports it (`IngressPathSummary`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpressIngressPath {
    /// `PUBLIC` or `PRIVATE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_type: Option<String>,
    /// The endpoint (host name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}
