//! `EcsService.spec.kubernetesService`: a selector-less Kubernetes `Service` whose `EndpointSlice`s the operator
//! keeps equal to the ECS service's tasks, so pods reach the tasks by cluster DNS.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The Kubernetes Service that publishes the ECS service's tasks as endpoints (awsvpc tasks only: each task's
/// ENI address). The operator owns the Service and its EndpointSlices; a Service of that name it does not own is
/// left alone and reported.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesService {
    /// Name of the Service in this namespace. Defaults to `metadata.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub name: Option<String>,
    /// `ClusterIP` (default: a virtual IP that balances over the tasks) or `Headless` (DNS answers the tasks'
    /// addresses).
    #[serde(default, rename = "type")]
    pub type_: KubernetesServiceType,
    /// The Service's ports, each mapped to a container port of the task definition.
    #[schemars(length(min = 1))]
    pub ports: Vec<KubernetesServicePort>,
}

/// How the Service is reached.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum KubernetesServiceType {
    /// A cluster IP balancing over the ready endpoints.
    #[default]
    ClusterIP,
    /// No cluster IP (`clusterIP: None`): DNS answers the ready endpoints' addresses.
    Headless,
}

/// One port of the Service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesServicePort {
    /// Port name (a DNS label, unique among the ports; required by Kubernetes when there are several).
    #[schemars(
        length(min = 1, max = 15),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub name: String,
    /// The port the Service listens on.
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    /// The container whose port mapping this is; any container with that port when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// The container port the tasks listen on (a `portMappings[].containerPort` of the task definition).
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: i32,
    /// `TCP` (default), `UDP` or `SCTP`.
    #[serde(default)]
    pub protocol: PortProtocol,
    /// The application protocol (`http`, `kubernetes.io/h2c`, ...), passed to the Service and EndpointSlices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

/// A port's transport protocol.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum PortProtocol {
    #[default]
    Tcp,
    Udp,
    Sctp,
}

impl PortProtocol {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "TCP",
            Self::Udp => "UDP",
            Self::Sctp => "SCTP",
        }
    }
}

/// What the operator reports about the Service it keeps.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesServiceStatus {
    /// Name of the Service.
    pub name: String,
    /// Endpoints ready to receive traffic.
    pub ready_endpoints: i32,
    /// All endpoints, including those not ready and terminating ones.
    pub endpoints: i32,
}
