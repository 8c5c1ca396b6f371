//! References inside the task that ECS refuses when they name nothing: dependsOn ("Cannot depend on container +
//! 'x' because it does not exist", dagster-io/dagster#6926), mountPoints ("Unknown volume 'x'.", entry 87) and
//! accelerator requirements (entry 55). Links and volumesFrom naming no container are warnings (`doubts`).

use std::collections::BTreeSet;

use super::common::{container_path, is_essential};
use crate::api::task_definition::{
    ContainerCondition, ContainerDefinition, ResourceType, TaskDefinitionSpec,
};

/// Checks that dependsOn and mountPoints name parts of this task.
pub(super) fn check_references(spec: &TaskDefinitionSpec) -> Result<(), String> {
    let volumes: BTreeSet<&str> = spec
        .volumes
        .iter()
        .filter_map(|v| v.name.as_deref())
        .collect();
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        check_depends_on(&path, container, spec)?;
        check_mount_points(&path, container, &volumes)?;
        check_accelerator_references(&path, container, spec)?;
    }
    Ok(())
}

/// Checks `dependsOn`: another container of the task, in a condition it can reach.
fn check_depends_on(
    path: &str,
    container: &ContainerDefinition,
    spec: &TaskDefinitionSpec,
) -> Result<(), String> {
    for (k, dependency) in container.depends_on.iter().enumerate() {
        let at = format!("{path}.dependsOn[{k}]");
        let name = dependency.container_name.as_str();
        let Some(target) = spec.container_definitions.iter().find(|c| c.name == name) else {
            return Err(format!(
                "{at}.containerName: \"{name}\" is not a container of this task; use one of: {}",
                join(
                    &spec
                        .container_definitions
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect()
                )
            ));
        };
        // ContainerDependency.condition, of COMPLETE and SUCCESS: "This condition can't be set on an essential
        // container."; ECS answers "A dependency container with SUCCESS or COMPLETE condition cannot be an essential
        // container" (boto/boto3#2436).
        match dependency.condition {
            ContainerCondition::Complete | ContainerCondition::Success if is_essential(target) => {
                return Err(format!(
                    "{at}.condition: {} cannot be used on essential container \"{name}\"; set essential: false on it or use START or HEALTHY",
                    condition_name(dependency.condition)
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks that `mountPoints` name a volume of the task.
fn check_mount_points(
    path: &str,
    container: &ContainerDefinition,
    volumes: &BTreeSet<&str>,
) -> Result<(), String> {
    for (k, mount) in container.mount_points.iter().enumerate() {
        if let Some(source) = mount.source_volume.as_deref()
            && !volumes.contains(source)
        {
            return Err(format!(
                "{path}.mountPoints[{k}].sourceVolume: \"{source}\" is not a volume of this task; add it to spec.volumes or use one of: {}",
                join(volumes)
            ));
        }
    }
    Ok(())
}

/// Checks that an `InferenceAccelerator` requirement names a device of `spec.inferenceAccelerators`.
fn check_accelerator_references(
    path: &str,
    container: &ContainerDefinition,
    spec: &TaskDefinitionSpec,
) -> Result<(), String> {
    let devices: BTreeSet<&str> = spec
        .inference_accelerators
        .iter()
        .map(|a| a.device_name.as_str())
        .collect();
    for (k, requirement) in container.resource_requirements.iter().enumerate() {
        if requirement.type_ != ResourceType::InferenceAccelerator {
            continue;
        }
        let value = requirement.value.as_deref().unwrap_or_default();
        if !devices.contains(value) {
            return Err(format!(
                "{path}.resourceRequirements[{k}].value: \"{value}\" is not a deviceName of spec.inferenceAccelerators; add the accelerator there or use one of: {}",
                join(&devices)
            ));
        }
    }
    Ok(())
}

/// Names joined for a message, or `(none)`.
pub(super) fn join(names: &BTreeSet<&str>) -> String {
    if names.is_empty() {
        return "(none)".into();
    }
    names.iter().copied().collect::<Vec<_>>().join(", ")
}

/// The ECS spelling of a dependency condition.
fn condition_name(condition: ContainerCondition) -> &'static str {
    match condition {
        ContainerCondition::Start => "START",
        ContainerCondition::Complete => "COMPLETE",
        ContainerCondition::Success => "SUCCESS",
        ContainerCondition::Healthy => "HEALTHY",
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_errors;

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases: &[(&str, &str)] = &[
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, dependsOn: [{containerName: db, condition: START}]}]",
                "spec.containerDefinitions[0].dependsOn[0].containerName: \"db\" is not a container of this task",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, dependsOn: [{containerName: init, condition: SUCCESS}]}, {name: init, image: i, memory: 8}]",
                "spec.containerDefinitions[0].dependsOn[0].condition: SUCCESS cannot be used on essential container \"init\"",
            ),
            (
                "volumes: [{name: html}]\ncontainerDefinitions: [{name: a, image: i, memory: 8, mountPoints: [{sourceVolume: logs, containerPath: /logs}]}]",
                "spec.containerDefinitions[0].mountPoints[0].sourceVolume: \"logs\" is not a volume of this task; add it to spec.volumes or use one of: html",
            ),
            (
                "inferenceAccelerators: [{deviceName: device_1, deviceType: eia2.medium}]\ncontainerDefinitions: [{name: a, image: i, memory: 8, resourceRequirements: [{type: InferenceAccelerator, value: device_2}]}]",
                "spec.containerDefinitions[0].resourceRequirements[0].value: \"device_2\" is not a deviceName",
            ),
        ];
        assert!(cases.len() >= 4, "{} cases", cases.len());
        assert_errors(cases);
    }
}
