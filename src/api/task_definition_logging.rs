//! A container's logging and health in a `TaskDefinition`: log configuration, FireLens and the health check.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::task_definition_container::Secret;

/// Log driver and options of a container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogConfiguration {
    /// The log driver, such as `awslogs` or `awsfirelens`.
    pub log_driver: LogDriver,
    /// Options of the log driver, such as `awslogs-group`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// Log driver options taken from secrets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_options: Vec<Secret>,
}

/// Log drivers ECS supports.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum LogDriver {
    #[serde(rename = "json-file")]
    JsonFile,
    #[serde(rename = "syslog")]
    Syslog,
    #[serde(rename = "journald")]
    Journald,
    #[serde(rename = "gelf")]
    Gelf,
    #[serde(rename = "fluentd")]
    Fluentd,
    #[serde(rename = "awslogs")]
    Awslogs,
    #[serde(rename = "splunk")]
    Splunk,
    #[serde(rename = "awsfirelens")]
    Awsfirelens,
}

/// A container health check.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    /// The check, such as `["CMD-SHELL", "curl -f http://localhost/ || exit 1"]`.
    #[schemars(length(min = 1))]
    pub command: Vec<String>,
    /// Seconds between checks (5-300, ECS default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 300))]
    pub interval: Option<i32>,
    /// Seconds before a check counts as failed (2-120, ECS default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 120))]
    pub timeout: Option<i32>,
    /// Consecutive failures before the container is unhealthy (1-10, ECS default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10))]
    pub retries: Option<i32>,
    /// Grace period in seconds before failures count (0-300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 300))]
    pub start_period: Option<i32>,
}

/// FireLens configuration of a log router container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FirelensConfiguration {
    /// The log router: `fluentd` or `fluentbit`.
    #[serde(rename = "type")]
    pub type_: FirelensConfigurationType,
    /// Options such as `enable-ecs-log-metadata`, `config-file-type` and `config-file-value`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// FireLens log routers.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum FirelensConfigurationType {
    #[serde(rename = "fluentd")]
    Fluentd,
    #[serde(rename = "fluentbit")]
    Fluentbit,
}

// ---------------------------------------------------------------------------------------------
// Volumes
// ---------------------------------------------------------------------------------------------
