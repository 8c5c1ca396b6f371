//! A `TaskDefinition`'s container definitions: image, ports, environment, mounts, secrets and dependencies, in
//! ECS's `ContainerDefinition` shapes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::task_definition_linux::{
    HostEntry, LinuxParameters, ResourceRequirement, SystemControl, Ulimit,
};
use super::task_definition_logging::{FirelensConfiguration, HealthCheck, LogConfiguration};

/// One container of the task, as in the ECS `ContainerDefinition`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDefinition {
    /// Name of the container: up to 255 letters, digits, hyphens and underscores.
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub name: String,
    /// Image to start the container from, such as `repository-url/image:tag` or `image@digest`.
    #[schemars(length(min = 1))]
    pub image: String,
    /// Credentials for a private registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<RepositoryCredentials>,
    /// CPU units reserved for the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub cpu: Option<i32>,
    /// Hard memory limit of the container, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub memory: Option<i32>,
    /// Soft memory limit (reservation) of the container, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub memory_reservation: Option<i32>,
    /// Legacy links to other containers (`name:alias`), `bridge` network mode only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// Ports the container exposes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
    /// Whether the whole task stops when this container stops. ECS defaults to `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    /// Restart policy of the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<ContainerRestartPolicy>,
    /// Overrides the image's `ENTRYPOINT`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry_point: Vec<String>,
    /// Overrides the image's `CMD`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Environment variables of the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValuePair>,
    /// Files in S3 holding environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment_files: Vec<EnvironmentFile>,
    /// Volumes mounted into the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mount_points: Vec<MountPoint>,
    /// Containers whose volumes are mounted into this container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<VolumeFrom>,
    /// Linux-specific options such as capabilities, devices and tmpfs mounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<LinuxParameters>,
    /// Environment variables taken from Secrets Manager or SSM Parameter Store.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// Containers that must reach a condition before this one starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ContainerDependency>,
    /// Seconds to wait for the dependencies of the container before giving up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub start_timeout: Option<i32>,
    /// Seconds to wait before the container is killed when it does not exit on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub stop_timeout: Option<i32>,
    /// `enabled` (ECS default) resolves the image tag to a digest at deployment; `disabled` does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_consistency: Option<VersionConsistency>,
    /// Hostname of the container (not with `awsvpc` network mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// User (and group) the container runs as: `user`, `user:group`, `uid`, `uid:gid`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Working directory of the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    /// Turns networking off inside the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_networking: Option<bool>,
    /// Gives the container root privileges on the host (not on Fargate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    /// Mounts the root filesystem of the container read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_root_filesystem: Option<bool>,
    /// DNS servers of the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_servers: Vec<String>,
    /// DNS search domains of the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_search_domains: Vec<String>,
    /// Entries added to `/etc/hosts` of the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<HostEntry>,
    /// SELinux, AppArmor or credential-spec labels for the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub docker_security_options: Vec<String>,
    /// Keeps stdin open (`docker run -i`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<bool>,
    /// Allocates a TTY (`docker run -t`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudo_terminal: Option<bool>,
    /// Docker labels of the container.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub docker_labels: BTreeMap<String, String>,
    /// Resource limits (`ulimit`) of the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<Ulimit>,
    /// Where the container's logs go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    /// Container health check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Namespaced kernel parameters (`sysctl`) of the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system_controls: Vec<SystemControl>,
    /// GPUs, Neuron devices or inference accelerators assigned to the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_requirements: Vec<ResourceRequirement>,
    /// FireLens log router configuration, for a log router container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firelens_configuration: Option<FirelensConfiguration>,
    /// Credential specs for Active Directory authentication (`credentialspec:<arn>` or `credentialspecdomainless:<arn>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credential_specs: Vec<String>,
}

/// Credentials for pulling the image from a private registry.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryCredentials {
    /// ARN of the Secrets Manager secret holding the registry credentials.
    #[schemars(length(min = 1))]
    pub credentials_parameter: String,
}

/// A port the container exposes.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    /// Port number inside the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub container_port: Option<i32>,
    /// Port number on the host; with `awsvpc` it must equal `containerPort` or be left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub host_port: Option<i32>,
    /// `tcp` (ECS default) or `udp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<TransportProtocol>,
    /// Name of the port mapping, used by Service Connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Application protocol for Service Connect: `http`, `http2` or `grpc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<ApplicationProtocol>,
    /// A range of container ports, such as `"8000-8010"`, instead of `containerPort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port_range: Option<String>,
}

/// Transport protocol of a port mapping.
#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    JsonSchema,
)]
pub enum TransportProtocol {
    #[default]
    #[serde(rename = "tcp")]
    Tcp,
    #[serde(rename = "udp")]
    Udp,
}

/// Application protocol of a port mapping.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ApplicationProtocol {
    #[serde(rename = "http")]
    Http,
    #[serde(rename = "http2")]
    Http2,
    #[serde(rename = "grpc")]
    Grpc,
}

/// When ECS restarts a container inside its task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRestartPolicy {
    /// Whether the restart policy is enabled.
    pub enabled: bool,
    /// Exit codes that do not trigger a restart (at most 50).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    pub ignored_exit_codes: Vec<i32>,
    /// Seconds the container must run before a restart is attempted (60-1800, ECS default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60, max = 1800))]
    pub restart_attempt_period: Option<i32>,
}

/// A name and a value, used for environment variables and proxy properties.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyValuePair {
    /// The name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A file of environment variables.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentFile {
    /// ARN of the S3 object holding the environment file.
    #[schemars(length(min = 1))]
    pub value: String,
    /// Type of the file; only `s3`.
    #[serde(rename = "type")]
    pub type_: EnvironmentFileType,
}

/// Where an environment file is stored.
#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    JsonSchema,
)]
pub enum EnvironmentFileType {
    #[default]
    #[serde(rename = "s3")]
    S3,
}

/// A volume mounted into a container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MountPoint {
    /// Name of a volume of the task definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_volume: Option<String>,
    /// Path inside the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_path: Option<String>,
    /// Mounts the volume read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

/// The volumes of another container, mounted into this one.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeFrom {
    /// Name of the container whose volumes are mounted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_container: Option<String>,
    /// Mounts the volumes read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

/// An environment variable taken from Secrets Manager or SSM Parameter Store.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// Name of the environment variable (or log option).
    #[schemars(length(min = 1))]
    pub name: String,
    /// ARN (or name, in the same Region) of the secret or SSM parameter, optionally with a JSON key.
    #[schemars(length(min = 1))]
    pub value_from: String,
}

/// A container that must reach a condition before the dependent container starts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDependency {
    /// Name of the container depended on.
    #[schemars(length(min = 1))]
    pub container_name: String,
    /// `START`, `COMPLETE`, `SUCCESS` or `HEALTHY`.
    pub condition: ContainerCondition,
}

/// The condition a dependency must reach.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ContainerCondition {
    #[serde(rename = "START")]
    Start,
    #[serde(rename = "COMPLETE")]
    Complete,
    #[serde(rename = "SUCCESS")]
    Success,
    #[serde(rename = "HEALTHY")]
    Healthy,
}

/// Whether ECS resolves the image tag to a digest.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum VersionConsistency {
    #[serde(rename = "enabled")]
    Enabled,
    #[serde(rename = "disabled")]
    Disabled,
}
