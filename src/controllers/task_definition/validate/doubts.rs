//! Likely mistakes that no source shows ECS refusing (docs/ecs-behaviour.md entry 89): the spec is registered as
//! given and each is said in a Warning event. Each was a refusal before the sweep of issue 28 found no API
//! reference text, developer guide text or real ECS error message for it.

use std::collections::{BTreeMap, BTreeSet};

use super::common::container_path;
use super::networking::{PORTS, fixed_host_port, protocol_name};
use crate::api::task_definition::{LogDriver, TaskDefinitionSpec, TransportProtocol};

/// What ECS is not known to refuse, each with the field it is about: the messages of the warnings.
pub(super) fn doubts(
    spec: &TaskDefinitionSpec,
    fargate: bool,
    task_memory: Option<u64>,
) -> Vec<String> {
    let mut found = Vec::new();
    containers(spec, fargate, task_memory, &mut found);
    ports(spec, &mut found);
    firelens(spec, &mut found);
    let mut volumes = BTreeMap::new();
    for (i, volume) in spec.volumes.iter().enumerate() {
        if let Some(name) = volume.name.as_deref()
            && let Some(first) = volumes.insert(name, i)
        {
            found.push(format!(
                "spec.volumes[{i}].name: \"{name}\" is already the name of spec.volumes[{first}]"
            ));
        }
    }
    found
}

/// Checks of each container on its own and of the names it refers to.
fn containers(
    spec: &TaskDefinitionSpec,
    fargate: bool,
    task_memory: Option<u64>,
    found: &mut Vec<String>,
) {
    let names: BTreeSet<&str> = spec
        .container_definitions
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        for (k, variable) in container.environment.iter().enumerate() {
            if variable.name.as_deref().unwrap_or_default().is_empty() {
                found.push(format!("{path}.environment[{k}].name is empty"));
            }
        }
        let mut secrets = BTreeMap::new();
        for (k, secret) in container.secrets.iter().enumerate() {
            if let Some(first) = secrets.insert(secret.name.as_str(), k) {
                found.push(format!(
                    "{path}.secrets[{k}].name: \"{}\" is already set by secrets[{first}]",
                    secret.name
                ));
            }
        }
        let mut ulimits = BTreeMap::new();
        for (k, ulimit) in container.ulimits.iter().enumerate() {
            if let Some(first) = ulimits.insert(ulimit.name, k) {
                found.push(format!(
                    "{path}.ulimits[{k}].name: {:?} is already set by ulimits[{first}]",
                    ulimit.name
                ));
            }
        }
        for (k, link) in container.links.iter().enumerate() {
            let target = link.split_once(':').map_or(link.as_str(), |(name, _)| name);
            if !names.contains(target) {
                found.push(format!(
                    "{path}.links[{k}]: \"{target}\" is not a container of this task"
                ));
            }
        }
        for (k, dependency) in container.depends_on.iter().enumerate() {
            if dependency.container_name == container.name {
                found.push(format!(
                    "{path}.dependsOn[{k}].containerName: the container depends on itself"
                ));
            }
        }
        for (k, from) in container.volumes_from.iter().enumerate() {
            if let Some(source) = from
                .source_container
                .as_deref()
                .filter(|s| !names.contains(s))
            {
                found.push(format!(
                    "{path}.volumesFrom[{k}].sourceContainer: \"{source}\" is not a container of this task"
                ));
            }
        }
        if let (Some(hard), Some(limit)) = (container.memory, task_memory)
            && u64::try_from(hard).is_ok_and(|hard| hard > limit)
        {
            found.push(format!(
                "{path}.memory: {hard} MiB is more than the task's spec.memory ({limit} MiB)"
            ));
        }
        // The API reference said so until about 2024; its current text no longer does.
        if fargate
            && container
                .linux_parameters
                .as_ref()
                .is_some_and(|l| !l.tmpfs.is_empty())
        {
            found.push(format!("{path}.linuxParameters.tmpfs on Fargate, which older API references called unsupported"));
        }
    }
}

/// Port numbers, and ports, names and host ports given twice.
fn ports(spec: &TaskDefinitionSpec, found: &mut Vec<String>) {
    let mode = spec.network_mode;
    let mut names: BTreeMap<&str, String> = BTreeMap::new();
    let mut host_ports: BTreeMap<(i32, TransportProtocol), String> = BTreeMap::new();
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let mut container_ports: BTreeMap<(i32, TransportProtocol), usize> = BTreeMap::new();
        for (j, mapping) in container.port_mappings.iter().enumerate() {
            let at = format!("{}.portMappings[{j}]", container_path(i));
            let protocol = mapping.protocol.unwrap_or_default();
            match (
                mapping.container_port,
                mapping.container_port_range.is_some(),
            ) {
                (None, false) => found.push(format!(
                    "{at}.containerPort is not set (nor containerPortRange)"
                )),
                (Some(port), _) if !PORTS.contains(&port) => {
                    found.push(format!("{at}.containerPort: {port} is outside 1-65535"));
                }
                (Some(port), _) => {
                    if let Some(first) = container_ports.insert((port, protocol), j) {
                        found.push(format!(
                            "{at}.containerPort: {port}/{} is already mapped by portMappings[{first}]",
                            protocol_name(protocol)
                        ));
                    }
                }
                (None, true) => {}
            }
            if let Some(host) = mapping.host_port.filter(|h| !(0..=65_535).contains(h)) {
                found.push(format!("{at}.hostPort: {host} is outside 0-65535"));
            }
            if let Some(name) = mapping.name.as_deref() {
                if let Some(first) = names.get(name) {
                    found.push(format!("{at}.name: \"{name}\" is already used by {first}"));
                } else {
                    names.insert(name, at.clone());
                }
            }
            if let Some(port) = fixed_host_port(mapping, mode) {
                if let Some(first) = host_ports.get(&(port, protocol)) {
                    found.push(format!(
                        "{at}.hostPort: host port {port}/{} is already mapped by {first}",
                        protocol_name(protocol)
                    ));
                } else {
                    host_ports.insert((port, protocol), at);
                }
            }
        }
    }
}

/// One FireLens log router, present when a container logs with awsfirelens.
fn firelens(spec: &TaskDefinitionSpec, found: &mut Vec<String>) {
    let routers: Vec<usize> = spec
        .container_definitions
        .iter()
        .enumerate()
        .filter(|(_, c)| c.firelens_configuration.is_some())
        .map(|(i, _)| i)
        .collect();
    if let [first, second, ..] = routers.as_slice() {
        found.push(format!(
            "{}.firelensConfiguration: {} is a FireLens log router too",
            container_path(*second),
            container_path(*first)
        ));
    }
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let driver = container.log_configuration.as_ref().map(|l| l.log_driver);
        if driver == Some(LogDriver::Awsfirelens) && routers.is_empty() {
            found.push(format!(
                "{}.logConfiguration.logDriver: awsfirelens, but no container has a firelensConfiguration",
                container_path(i)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fargate, task};
    use super::super::validate;

    /// Each spec is registered (no refusal) and warned of, naming the field.
    #[test]
    fn warns_of_what_ecs_is_not_known_to_refuse() {
        let cases: &[(&str, &str)] = &[
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, environment: [{value: x}]}]",
                "spec.containerDefinitions[0].environment[0].name is empty",
            ),
            (
                "executionRoleArn: r\ncontainerDefinitions: [{name: a, image: i, memory: 8, secrets: [{name: DB, valueFrom: p1}, {name: DB, valueFrom: p2}]}]",
                "spec.containerDefinitions[0].secrets[1].name: \"DB\" is already set by secrets[0]",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, ulimits: [{name: nofile, softLimit: 1, hardLimit: 2}, {name: nofile, softLimit: 1, hardLimit: 2}]}]",
                "spec.containerDefinitions[0].ulimits[1].name: Nofile is already set",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, links: [db]}]",
                "spec.containerDefinitions[0].links[0]: \"db\" is not a container",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, dependsOn: [{containerName: a, condition: START}]}]",
                "spec.containerDefinitions[0].dependsOn[0].containerName: the container depends on itself",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, volumesFrom: [{sourceContainer: b}]}]",
                "spec.containerDefinitions[0].volumesFrom[0].sourceContainer: \"b\"",
            ),
            (
                "memory: '512'\ncontainerDefinitions: [{name: a, image: i, memory: 1024, memoryReservation: 256}]",
                "spec.containerDefinitions[0].memory: 1024 MiB is more than the task's spec.memory (512 MiB)",
            ),
            (
                fargate!(
                    "containerDefinitions: [{name: a, image: i, linuxParameters: {tmpfs: [{containerPath: /t, size: 8}]}}]"
                ),
                "spec.containerDefinitions[0].linuxParameters.tmpfs on Fargate",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{hostPort: 8080}]}]",
                "spec.containerDefinitions[0].portMappings[0].containerPort is not set",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 0}]}]",
                "spec.containerDefinitions[0].portMappings[0].containerPort: 0 is outside 1-65535",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, hostPort: 70000}]}]",
                "spec.containerDefinitions[0].portMappings[0].hostPort: 70000 is outside 0-65535",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 53, protocol: udp}, {containerPort: 53}, {containerPort: 53, hostPort: 5353}]}]",
                "spec.containerDefinitions[0].portMappings[2].containerPort: 53/tcp is already mapped by portMappings[1]",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, name: web}]}, {name: b, image: i, memory: 8, portMappings: [{containerPort: 81, name: web}]}]",
                "spec.containerDefinitions[1].portMappings[0].name: \"web\" is already used by spec.containerDefinitions[0].portMappings[0]",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, hostPort: 8080}]}, {name: b, image: i, memory: 8, portMappings: [{containerPort: 81, hostPort: 8080}]}]",
                "spec.containerDefinitions[1].portMappings[0].hostPort: host port 8080/tcp is already mapped by spec.containerDefinitions[0].portMappings[0]",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, firelensConfiguration: {type: fluentbit}}, {name: b, image: i, memory: 8, firelensConfiguration: {type: fluentbit}}]",
                "spec.containerDefinitions[1].firelensConfiguration: spec.containerDefinitions[0] is a FireLens log router too",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, logConfiguration: {logDriver: awsfirelens}}]",
                "spec.containerDefinitions[0].logConfiguration.logDriver: awsfirelens, but no container",
            ),
            (
                "volumes: [{name: html}, {name: html}]\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.volumes[1].name: \"html\" is already the name of spec.volumes[0]",
            ),
        ];
        assert_eq!(cases.len(), 17, "one case per softened rule");
        for (spec, expected) in cases {
            let td = task(spec);
            assert_eq!(validate(&td), Ok(()), "{spec}");
            let notes = super::super::warnings(&td.spec);
            assert!(
                notes
                    .iter()
                    .any(|n| n.reason == "NotKnownToEcs" && n.message.contains(expected)),
                "{spec}\n  expected: {expected}\n  got: {:?}",
                notes.iter().map(|n| &n.message).collect::<Vec<_>>()
            );
        }
    }
}
