//! Each container on its own: how many there are, a unique valid name, an image, and at least one essential
//! container. Each rule names its source (see also docs/ecs-behaviour.md entry 89).

use std::collections::BTreeMap;

use super::common::{container_path, is_essential};
use crate::api::task_definition::TaskDefinitionSpec;
use crate::controllers::validation::check_name;

/// ECS allows this many containers per task definition (developer guide, service quotas: "Containers per task
/// definition: 10").
const MAX_CONTAINERS: usize = 10;

/// Checks the number of containers, their names and images, and that one of them is essential.
pub(super) fn check_containers(spec: &TaskDefinitionSpec) -> Result<(), String> {
    let containers = &spec.container_definitions;
    // ECS answers "Container list cannot be empty." (the API reference: containerDefinitions is required).
    if containers.is_empty() {
        return Err(
            "spec.containerDefinitions: at least one container is required; add one".into(),
        );
    }
    if containers.len() > MAX_CONTAINERS {
        return Err(format!(
            "spec.containerDefinitions: {} containers given; ECS allows at most {MAX_CONTAINERS} per task definition, so split the task",
            containers.len()
        ));
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, container) in containers.iter().enumerate() {
        let path = container_path(i);
        // ContainerDefinition.name: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens
        // are allowed."; ECS answers "Container.name contains invalid characters." (ansible/ansible#22860).
        check_name(&format!("{path}.name"), &container.name)?;
        // ECS answers "Container names must be unique within a Task Definition." (metaps/genova#291).
        if let Some(first) = seen.get(container.name.as_str()) {
            return Err(format!(
                "{path}.name: \"{}\" is already the name of {}; container names must be unique in the task",
                container.name,
                container_path(*first)
            ));
        }
        seen.insert(&container.name, i);
        // ECS answers "The container.image should not be null or empty" (prefect-archive/prefect-aws#159).
        if container.image.trim().is_empty() {
            return Err(format!(
                "{path}.image: must not be empty; set the image to run, such as public.ecr.aws/docker/library/httpd:2.4"
            ));
        }
    }
    // ContainerDefinition.essential: "All tasks must have at least one essential container." (entry 37).
    if !containers.iter().any(is_essential) {
        return Err("spec.containerDefinitions: at least one container must be essential; set essential: true (or leave it unset) on the main container".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_errors;

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases: &[(&str, &str)] = &[
            (
                "containerDefinitions: []",
                "spec.containerDefinitions: at least one container",
            ),
            (
                "containerDefinitions: [{name: a0, image: i, memory: 8}, {name: a1, image: i, memory: 8}, \
                 {name: a2, image: i, memory: 8}, {name: a3, image: i, memory: 8}, {name: a4, image: i, memory: 8}, \
                 {name: a5, image: i, memory: 8}, {name: a6, image: i, memory: 8}, {name: a7, image: i, memory: 8}, \
                 {name: a8, image: i, memory: 8}, {name: a9, image: i, memory: 8}, {name: b0, image: i, memory: 8}]",
                "spec.containerDefinitions: 11 containers given",
            ),
            (
                "containerDefinitions: [{name: web.app, image: i, memory: 8}]",
                "spec.containerDefinitions[0].name: \"web.app\" contains '.'",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8}, {name: a, image: j, memory: 8}]",
                "spec.containerDefinitions[1].name: \"a\" is already the name of spec.containerDefinitions[0]",
            ),
            (
                "containerDefinitions: [{name: a, image: '', memory: 8}]",
                "spec.containerDefinitions[0].image: must not be empty",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, essential: false}]",
                "spec.containerDefinitions: at least one container must be essential",
            ),
        ];
        assert!(cases.len() >= 6, "{} cases", cases.len());
        assert_errors(cases);
    }
}
