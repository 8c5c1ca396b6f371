//! A container's Linux and host settings in a `TaskDefinition`: Linux parameters, devices, tmpfs, host entries,
//! ulimits, system controls and resource requirements (GPUs).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Linux-specific options of a container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinuxParameters {
    /// Linux capabilities added to or dropped from the Docker defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<KernelCapabilities>,
    /// Host devices exposed to the container (not on Fargate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    /// Runs an init process (`docker run --init`) that forwards signals and reaps processes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_process_enabled: Option<bool>,
    /// Size of `/dev/shm` in MiB (not on Fargate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub shared_memory_size: Option<i32>,
    /// tmpfs mounts of the container (not on Fargate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<Tmpfs>,
    /// Swap memory in MiB the container may use (not on Fargate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_swap: Option<i32>,
    /// Memory swappiness of the container, 0-100 (not on Fargate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub swappiness: Option<i32>,
}

/// Linux capabilities, such as `NET_ADMIN` or `SYS_PTRACE`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KernelCapabilities {
    /// Capabilities added to the Docker defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
    /// Capabilities removed from the Docker defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop: Vec<String>,
}

/// A host device exposed to a container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// Path of the device on the host.
    #[schemars(length(min = 1))]
    pub host_path: String,
    /// Path of the device inside the container; defaults to `hostPath`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_path: Option<String>,
    /// cgroup permissions on the device: `read`, `write`, `mknod`. Defaults to all three.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<DeviceCgroupPermission>,
}

/// A cgroup permission on a device.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DeviceCgroupPermission {
    #[serde(rename = "read")]
    Read,
    #[serde(rename = "write")]
    Write,
    #[serde(rename = "mknod")]
    Mknod,
}

/// A tmpfs mount of a container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tmpfs {
    /// Absolute path inside the container.
    #[schemars(length(min = 1))]
    pub container_path: String,
    /// Maximum size of the tmpfs in MiB.
    #[schemars(range(min = 1))]
    pub size: i32,
    /// Mount options, such as `rw`, `noexec` or `nosuid`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mount_options: Vec<String>,
}

/// An entry of `/etc/hosts`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostEntry {
    /// The hostname.
    #[schemars(length(min = 1))]
    pub hostname: String,
    /// The IP address the hostname resolves to.
    #[schemars(length(min = 1))]
    pub ip_address: String,
}

/// A resource limit (`ulimit`) of a container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ulimit {
    /// Which limit, such as `nofile`.
    pub name: UlimitName,
    /// The soft limit.
    pub soft_limit: i32,
    /// The hard limit.
    pub hard_limit: i32,
}

/// Names of resource limits.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum UlimitName {
    #[serde(rename = "core")]
    Core,
    #[serde(rename = "cpu")]
    Cpu,
    #[serde(rename = "data")]
    Data,
    #[serde(rename = "fsize")]
    Fsize,
    #[serde(rename = "locks")]
    Locks,
    #[serde(rename = "memlock")]
    Memlock,
    #[serde(rename = "msgqueue")]
    Msgqueue,
    #[serde(rename = "nice")]
    Nice,
    #[serde(rename = "nofile")]
    Nofile,
    #[serde(rename = "nproc")]
    Nproc,
    #[serde(rename = "rss")]
    Rss,
    #[serde(rename = "rtprio")]
    Rtprio,
    #[serde(rename = "rttime")]
    Rttime,
    #[serde(rename = "sigpending")]
    Sigpending,
    #[serde(rename = "stack")]
    Stack,
}

/// A namespaced kernel parameter (`sysctl`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemControl {
    /// The parameter, such as `net.ipv4.tcp_keepalive_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A special resource assigned to a container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRequirement {
    /// Number of GPUs (or `ALL`), `ALL` for `NeuronDevice`, or the `deviceName` of an inference
    /// accelerator. Required unless `type` is `GPU` and `sharingStrategy` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `GPU`, `InferenceAccelerator` or `NeuronDevice`.
    #[serde(rename = "type")]
    pub type_: ResourceType,
    /// How the container shares a GPU with other containers (`GPU` only; instead of `value`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharing_strategy: Option<SharingStrategy>,
}

/// Types of special resources.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ResourceType {
    #[serde(rename = "GPU")]
    Gpu,
    #[serde(rename = "InferenceAccelerator")]
    InferenceAccelerator,
    #[serde(rename = "NeuronDevice")]
    NeuronDevice,
}

/// How a container shares a GPU; set exactly one member.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SharingStrategy {
    /// Share the GPU through NVIDIA Multi-Process Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nvidia_mps: Option<NvidiaMpsAllocation>,
}

/// The share of a GPU a container gets through NVIDIA MPS.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NvidiaMpsAllocation {
    /// GPU memory in MiB for the container.
    #[schemars(range(min = 0))]
    pub memory: i32,
    /// Maximum percentage of the GPU's compute the container may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub max_compute_percent: Option<i32>,
}
