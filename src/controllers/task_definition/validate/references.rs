//! References inside the task: links, dependsOn, volumesFrom, mountPoints and accelerator requirements
//! must name a container, volume or device the task has.

use std::collections::BTreeSet;

use super::common::{container_path, is_essential};
use crate::api::task_definition::{
    ContainerCondition, ContainerDefinition, ResourceType, TaskDefinitionSpec,
};

/// Checks that links, dependsOn, volumesFrom and mountPoints name parts of this task.
pub(super) fn check_references(spec: &TaskDefinitionSpec) -> Result<(), String> {
    let containers: BTreeSet<&str> = spec
        .container_definitions
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let volumes: BTreeSet<&str> = spec
        .volumes
        .iter()
        .filter_map(|v| v.name.as_deref())
        .collect();
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        check_links(&path, container, &containers)?;
        check_depends_on(&path, container, spec)?;
        check_volume_references(&path, container, &containers, &volumes)?;
        check_accelerator_references(&path, container, spec)?;
    }
    Ok(())
}

/// Checks that each link (`name` or `name:alias`) names another container of the task.
fn check_links(
    path: &str,
    container: &ContainerDefinition,
    containers: &BTreeSet<&str>,
) -> Result<(), String> {
    for (k, link) in container.links.iter().enumerate() {
        let target = link.split_once(':').map_or(link.as_str(), |(name, _)| name);
        if !containers.contains(target) {
            return Err(format!(
                "{path}.links[{k}]: \"{target}\" is not a container of this task; link to one of: {}",
                join(containers)
            ));
        }
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
        if name == container.name {
            return Err(format!(
                "{at}.containerName: a container cannot depend on itself; name another container"
            ));
        }
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

/// Checks that `volumesFrom` names a container and `mountPoints` a volume of the task.
fn check_volume_references(
    path: &str,
    container: &ContainerDefinition,
    containers: &BTreeSet<&str>,
    volumes: &BTreeSet<&str>,
) -> Result<(), String> {
    for (k, from) in container.volumes_from.iter().enumerate() {
        if let Some(source) = from.source_container.as_deref()
            && !containers.contains(source)
        {
            return Err(format!(
                "{path}.volumesFrom[{k}].sourceContainer: \"{source}\" is not a container of this task; use one of: {}",
                join(containers)
            ));
        }
    }
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
                "containerDefinitions: [{name: a, image: i, memory: 8, links: ['db:database']}, {name: b, image: i, memory: 8}]",
                "spec.containerDefinitions[0].links[0]: \"db\" is not a container of this task; link to one of: a, b",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, dependsOn: [{containerName: db, condition: START}]}]",
                "spec.containerDefinitions[0].dependsOn[0].containerName: \"db\" is not a container of this task",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, dependsOn: [{containerName: a, condition: START}]}]",
                "spec.containerDefinitions[0].dependsOn[0].containerName: a container cannot depend on itself",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, dependsOn: [{containerName: init, condition: SUCCESS}]}, {name: init, image: i, memory: 8}]",
                "spec.containerDefinitions[0].dependsOn[0].condition: SUCCESS cannot be used on essential container \"init\"",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, volumesFrom: [{sourceContainer: data}]}]",
                "spec.containerDefinitions[0].volumesFrom[0].sourceContainer: \"data\" is not a container of this task",
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
        assert!(cases.len() >= 7, "{} cases", cases.len());
        assert_errors(cases);
    }
}
