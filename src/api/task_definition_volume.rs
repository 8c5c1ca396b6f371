//! A `TaskDefinition`'s volumes: host, Docker, EFS, S3 Files and FSx for Windows File Server.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A data volume of the task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// Name of the volume, referenced by `mountPoints[].sourceVolume`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub name: Option<String>,
    /// A bind mount of a host path (or an empty task-scoped volume when `sourcePath` is unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostVolumeProperties>,
    /// A Docker volume (EC2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_volume_configuration: Option<DockerVolumeConfiguration>,
    /// An Amazon EFS file system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efs_volume_configuration: Option<EfsVolumeConfiguration>,
    /// An Amazon S3 Files file system.
    #[serde(
        rename = "s3filesVolumeConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub s3files_volume_configuration: Option<S3FilesVolumeConfiguration>,
    /// An Amazon FSx for Windows File Server file system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fsx_windows_file_server_volume_configuration:
        Option<FsxWindowsFileServerVolumeConfiguration>,
    /// Whether the volume is configured when the task is launched (such as an EBS volume of a service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configured_at_launch: Option<bool>,
}

/// A bind mount of a host path.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostVolumeProperties {
    /// Path on the host; when unset, the Docker daemon picks one that lives as long as the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
}

/// A Docker volume.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DockerVolumeConfiguration {
    /// `task` volumes are removed with the task; `shared` volumes persist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Creates a `shared` volume when it does not exist yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoprovision: Option<bool>,
    /// The Docker volume driver, such as `local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Options passed to the volume driver.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    /// Docker labels of the volume.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// Lifetime of a Docker volume.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum Scope {
    #[serde(rename = "task")]
    Task,
    #[serde(rename = "shared")]
    Shared,
}

/// An Amazon EFS file system volume.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EfsVolumeConfiguration {
    /// ID of the EFS file system.
    #[schemars(length(min = 1))]
    pub file_system_id: String,
    /// Directory of the file system mounted as the root; ignored with an access point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_directory: Option<String>,
    /// `ENABLED` or `DISABLED` (default) encryption in transit; required with IAM authorization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transit_encryption: Option<EfsTransitEncryption>,
    /// Port used for encryption in transit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub transit_encryption_port: Option<i32>,
    /// Access point and IAM authorization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_config: Option<EfsAuthorizationConfig>,
}

/// Whether EFS traffic is encrypted in transit.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum EfsTransitEncryption {
    #[serde(rename = "ENABLED")]
    Enabled,
    #[serde(rename = "DISABLED")]
    Disabled,
}

/// Authorization of an EFS volume.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EfsAuthorizationConfig {
    /// ID of the EFS access point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_point_id: Option<String>,
    /// `ENABLED` uses the task role for IAM authorization; `DISABLED` (default) does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam: Option<EfsAuthorizationConfigIam>,
}

/// Whether IAM authorization is used for an EFS volume.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum EfsAuthorizationConfigIam {
    #[serde(rename = "ENABLED")]
    Enabled,
    #[serde(rename = "DISABLED")]
    Disabled,
}

/// An Amazon S3 Files file system volume.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct S3FilesVolumeConfiguration {
    /// ARN of the S3 Files file system.
    #[schemars(length(min = 1))]
    pub file_system_arn: String,
    /// Directory of the file system mounted as the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_directory: Option<String>,
    /// Port used for encryption in transit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub transit_encryption_port: Option<i32>,
    /// ARN of the access point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_point_arn: Option<String>,
}

/// An Amazon FSx for Windows File Server volume.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FsxWindowsFileServerVolumeConfiguration {
    /// ID of the FSx file system.
    #[schemars(length(min = 1))]
    pub file_system_id: String,
    /// Directory of the file system mounted as the root.
    #[schemars(length(min = 1))]
    pub root_directory: String,
    /// Credentials used to mount the file system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_config: Option<FsxWindowsFileServerAuthorizationConfig>,
}

/// Credentials for an FSx for Windows File Server volume.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FsxWindowsFileServerAuthorizationConfig {
    /// ARN of the Secrets Manager secret or SSM parameter holding the credentials.
    #[schemars(length(min = 1))]
    pub credentials_parameter: String,
    /// Fully qualified domain name of the Active Directory.
    #[schemars(length(min = 1))]
    pub domain: String,
}

// ---------------------------------------------------------------------------------------------
// Task-level settings
// ---------------------------------------------------------------------------------------------
