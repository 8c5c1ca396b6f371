//! What the documentation forbids but ECS registers, and likely mistakes no source shows ECS refusing: accepted,
//! and said in a Warning event when the revision is registered (docs/ecs-behaviour.md entries 86, 87 and 89).

use super::common::container_path;
use super::doubts::doubts;
use super::references::join;
use super::resources::task_size;
use crate::api::task_definition::{Compatibility, TaskDefinitionSpec};
use crate::reconcile::Note;

/// The warnings of a spec, one Note each.
pub fn warnings(spec: &TaskDefinitionSpec) -> Vec<Note> {
    let fargate = spec
        .requires_compatibilities
        .contains(&Compatibility::Fargate);
    let task_memory = task_size(spec, fargate).ok().and_then(|(_, memory)| memory);
    let mut notes: Vec<Note> = doubts(spec, fargate, task_memory)
        .into_iter()
        .map(|doubt| {
            Note::warning(
                "NotKnownToEcs",
                format!(
                    "{doubt}: no source shows ECS refusing this (entry 89), so the task definition is registered as \
                     given; check that it is what you mean"
                ),
            )
        })
        .collect();
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let Some(check) = &container.health_check else {
            continue;
        };
        let first = check.command.first().map_or("", String::as_str);
        if !matches!(first, "CMD" | "CMD-SHELL") {
            notes.push(Note::warning(
                "HealthCheckCommand",
                format!(
                    "{}.healthCheck.command starts with \"{first}\", not CMD or CMD-SHELL: the ECS API reference says it \
                     must, but ECS registers it as given (entry 86); check that the container runs it as you mean",
                    container_path(i)
                ),
            ));
        }
    }
    if let Some(proxy) = &spec.proxy_configuration {
        let containers = spec
            .container_definitions
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        if !spec
            .container_definitions
            .iter()
            .any(|c| c.name == proxy.container_name)
        {
            notes.push(Note::warning(
                "ProxyContainerMissing",
                format!(
                    "spec.proxyConfiguration.containerName: \"{}\" is not a container of this task (its containers: {}); \
                     no ECS refusal of this is known (entry 87), but the proxy will not start",
                    proxy.container_name,
                    join(&containers)
                ),
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::super::test_support::task;
    use super::*;

    fn reasons(spec: &str) -> Vec<String> {
        warnings(&task(spec).spec)
            .into_iter()
            .map(|n| format!("{}: {}", n.reason, n.message))
            .collect()
    }

    #[test]
    fn warns_of_a_health_check_without_cmd_and_a_missing_proxy_container() {
        let health = reasons(
            "containerDefinitions: [{name: a, image: i, memory: 8, healthCheck: {command: [/healthcheck]}}]",
        );
        assert_eq!(health.len(), 1, "{health:?}");
        assert!(
            health[0].starts_with(
                "HealthCheckCommand: spec.containerDefinitions[0].healthCheck.command"
            ) && health[0].contains("API reference"),
            "{health:?}"
        );
        let proxy = reasons(
            "proxyConfiguration: {type: APPMESH, containerName: envoy}\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
        );
        assert!(
            proxy.len() == 1
                && proxy[0]
                    .starts_with("ProxyContainerMissing: spec.proxyConfiguration.containerName"),
            "{proxy:?}"
        );
        for quiet in [
            "containerDefinitions: [{name: a, image: i, memory: 8, healthCheck: {command: [CMD-SHELL, 'curl -f http://localhost/']}}]",
            "proxyConfiguration: {type: APPMESH, containerName: a}\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
        ] {
            assert!(reasons(quiet).is_empty(), "{quiet}");
        }
    }
}
