//! Small helpers the checks share: the field path of a container, the ECS defaults they rely on
//! (essential, execution role) and the ECS spelling of a network mode.

use crate::api::task_definition::{ContainerDefinition, NetworkMode, TaskDefinitionSpec};

/// The field path of container `i`.
pub(super) fn container_path(i: usize) -> String {
    format!("spec.containerDefinitions[{i}]")
}

/// Whether a container is essential: `essential` true or unset (the ECS default is true).
pub(super) fn is_essential(container: &ContainerDefinition) -> bool {
    container.essential != Some(false)
}

/// Whether the task has a non-empty `executionRoleArn`.
pub(super) fn has_execution_role(spec: &TaskDefinitionSpec) -> bool {
    spec.execution_role_arn
        .as_deref()
        .is_some_and(|arn| !arn.trim().is_empty())
}

/// The ECS spelling of a network mode, `unset` when there is none.
pub(super) fn network_mode_name(mode: Option<NetworkMode>) -> &'static str {
    match mode {
        None => "unset",
        Some(NetworkMode::Bridge) => "bridge",
        Some(NetworkMode::Host) => "host",
        Some(NetworkMode::Awsvpc) => "awsvpc",
        Some(NetworkMode::None) => "none",
    }
}
