//! Network mode and ports: the container settings each network mode allows, and port mappings
//! (ports, ranges, host ports, Service Connect names) within a container and across the task.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use super::common::{container_path, network_mode_name};
use crate::api::task_definition::{
    ContainerDefinition, NetworkMode, PortMapping, TaskDefinitionSpec, TransportProtocol,
};

/// ECS allows this many `containerPortRange` mappings per container.
const MAX_PORT_RANGES: usize = 100;

/// Valid port numbers.
const PORTS: RangeInclusive<i32> = 1..=65_535;

/// Checks the container settings that depend on the network mode: links and hostname.
pub(super) fn check_network_mode(spec: &TaskDefinitionSpec) -> Result<(), String> {
    let mode = spec.network_mode;
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        if !container.links.is_empty() && !matches!(mode, None | Some(NetworkMode::Bridge)) {
            return Err(format!(
                "{path}.links: links need networkMode bridge (found {}); remove links (containers of an awsvpc or host task reach each other on localhost) or use bridge",
                network_mode_name(mode)
            ));
        }
        if container.hostname.is_some() && mode == Some(NetworkMode::Awsvpc) {
            return Err(format!(
                "{path}.hostname is not supported with networkMode awsvpc; remove it"
            ));
        }
        if !container.port_mappings.is_empty() && mode == Some(NetworkMode::None) {
            return Err(format!(
                "{path}.portMappings: not allowed with networkMode none; remove them or choose another network mode"
            ));
        }
    }
    Ok(())
}

/// Checks every container's port mappings, then names and fixed host ports across the task.
pub(super) fn check_ports(spec: &TaskDefinitionSpec) -> Result<(), String> {
    let mode = spec.network_mode;
    let mut names: BTreeMap<&str, String> = BTreeMap::new();
    let mut host_ports: BTreeMap<(i32, TransportProtocol), String> = BTreeMap::new();
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        check_container_ports(&path, container, mode)?;
        for (j, mapping) in container.port_mappings.iter().enumerate() {
            let at = format!("{path}.portMappings[{j}]");
            if let Some(name) = mapping.name.as_deref() {
                if let Some(first) = names.get(name) {
                    return Err(format!(
                        "{at}.name: \"{name}\" is already used by {first}; port mapping names must be unique in the task"
                    ));
                }
                names.insert(name, at.clone());
            }
            let protocol = mapping.protocol.unwrap_or_default();
            if let Some(port) = fixed_host_port(mapping, mode) {
                if let Some(first) = host_ports.get(&(port, protocol)) {
                    return Err(format!(
                        "{at}.hostPort: host port {port}/{} is already mapped by {first}; each host port can be mapped once per task",
                        protocol_name(protocol)
                    ));
                }
                host_ports.insert((port, protocol), at);
            }
        }
    }
    Ok(())
}

/// Checks one container's port mappings: ports, ranges, host ports, names and duplicates.
fn check_container_ports(
    path: &str,
    container: &ContainerDefinition,
    mode: Option<NetworkMode>,
) -> Result<(), String> {
    let ranges = container
        .port_mappings
        .iter()
        .filter(|m| m.container_port_range.is_some())
        .count();
    if ranges > MAX_PORT_RANGES {
        return Err(format!(
            "{path}.portMappings: {ranges} port ranges given; ECS allows at most {MAX_PORT_RANGES} per container, so merge ranges"
        ));
    }
    let mut taken: Vec<(TransportProtocol, i32, i32, usize)> = Vec::new();
    for (j, mapping) in container.port_mappings.iter().enumerate() {
        let at = format!("{path}.portMappings[{j}]");
        let (start, end) = mapped_ports(&at, mapping, mode)?;
        let protocol = mapping.protocol.unwrap_or_default();
        if let Some((_, _, _, k)) = taken
            .iter()
            .find(|(p, s, e, _)| *p == protocol && start <= *e && *s <= end)
        {
            return Err(format!(
                "{at}: container port {} is already mapped by portMappings[{k}]; map each port once per protocol",
                describe_ports(start, end, protocol)
            ));
        }
        taken.push((protocol, start, end, j));
        check_host_port(&at, mapping, mode)?;
        check_port_name(&at, mapping)?;
    }
    Ok(())
}

/// The container ports a mapping covers, after checking `containerPort` or `containerPortRange`.
fn mapped_ports(
    at: &str,
    mapping: &PortMapping,
    mode: Option<NetworkMode>,
) -> Result<(i32, i32), String> {
    if let Some(range) = mapping.container_port_range.as_deref() {
        if !matches!(mode, None | Some(NetworkMode::Bridge | NetworkMode::Awsvpc)) {
            return Err(format!(
                "{at}.containerPortRange needs networkMode awsvpc or bridge (found {}); list single ports with containerPort instead",
                network_mode_name(mode)
            ));
        }
        return parse_port_range(range).ok_or_else(|| {
            format!(
                "{at}.containerPortRange: \"{range}\" must be \"start-end\" with 1 <= start < end <= 65535, such as \"8000-8010\""
            )
        });
    }
    match mapping.container_port {
        Some(port) if PORTS.contains(&port) => Ok((port, port)),
        Some(port) => Err(format!(
            "{at}.containerPort: {port} is not a port; use 1-65535"
        )),
        None => Err(format!(
            "{at}.containerPort is required; set the port the container listens on (1-65535), or use containerPortRange"
        )),
    }
}

/// Parses `"start-end"` with `1 <= start < end <= 65535`.
fn parse_port_range(range: &str) -> Option<(i32, i32)> {
    let (start, end) = range.split_once('-')?;
    let start: i32 = start.trim().parse().ok()?;
    let end: i32 = end.trim().parse().ok()?;
    (PORTS.contains(&start) && PORTS.contains(&end) && start < end).then_some((start, end))
}

/// Checks `hostPort`: a port number, and equal to `containerPort` with awsvpc or host networking.
fn check_host_port(
    at: &str,
    mapping: &PortMapping,
    mode: Option<NetworkMode>,
) -> Result<(), String> {
    let Some(host) = mapping.host_port else {
        return Ok(());
    };
    if !(0..=65_535).contains(&host) {
        return Err(format!(
            "{at}.hostPort: {host} is not a port; use 0-65535 (0 or unset picks a dynamic port in bridge mode)"
        ));
    }
    if matches!(mode, Some(NetworkMode::Awsvpc | NetworkMode::Host))
        && mapping.container_port != Some(host)
    {
        let container_port = mapping
            .container_port
            .map_or_else(|| "unset".to_owned(), |p| p.to_string());
        return Err(format!(
            "{at}.hostPort: with networkMode {} hostPort must equal containerPort ({container_port}) or be left out; remove hostPort",
            network_mode_name(mode)
        ));
    }
    Ok(())
}

/// Checks the Service Connect name of a port mapping.
fn check_port_name(at: &str, mapping: &PortMapping) -> Result<(), String> {
    let Some(name) = mapping.name.as_deref() else {
        return Ok(());
    };
    let valid = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !valid {
        return Err(format!(
            "{at}.name: \"{name}\" is not a valid port mapping name; use 1-64 lowercase letters, digits, underscores and hyphens, not starting with a hyphen"
        ));
    }
    Ok(())
}

/// The fixed host port a mapping takes: `hostPort`, or `containerPort` with awsvpc and host networking.
fn fixed_host_port(mapping: &PortMapping, mode: Option<NetworkMode>) -> Option<i32> {
    match mode {
        Some(NetworkMode::Awsvpc | NetworkMode::Host) => {
            mapping.host_port.or(mapping.container_port)
        }
        _ => mapping.host_port.filter(|port| *port != 0),
    }
}

/// The ECS spelling of a transport protocol.
fn protocol_name(protocol: TransportProtocol) -> &'static str {
    match protocol {
        TransportProtocol::Tcp => "tcp",
        TransportProtocol::Udp => "udp",
    }
}

/// A port or port range with its protocol, such as `80/tcp` or `8000-8010/udp`.
fn describe_ports(start: i32, end: i32, protocol: TransportProtocol) -> String {
    if start == end {
        format!("{start}/{}", protocol_name(protocol))
    } else {
        format!("{start}-{end}/{}", protocol_name(protocol))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_errors;

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases: &[(&str, &str)] = &[
            (
                "networkMode: awsvpc\ncontainerDefinitions: [{name: a, image: i, memory: 8, links: [b]}, {name: b, image: i, memory: 8}]",
                "spec.containerDefinitions[0].links: links need networkMode bridge (found awsvpc)",
            ),
            (
                "networkMode: awsvpc\ncontainerDefinitions: [{name: a, image: i, memory: 8, hostname: app}]",
                "spec.containerDefinitions[0].hostname is not supported with networkMode awsvpc",
            ),
            (
                "networkMode: none\ncontainerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80}]}]",
                "spec.containerDefinitions[0].portMappings: not allowed with networkMode none",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 0}]}]",
                "spec.containerDefinitions[0].portMappings[0].containerPort: 0 is not a port",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{hostPort: 8080}]}]",
                "spec.containerDefinitions[0].portMappings[0].containerPort is required",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, hostPort: 70000}]}]",
                "spec.containerDefinitions[0].portMappings[0].hostPort: 70000 is not a port",
            ),
            (
                "networkMode: awsvpc\ncontainerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, hostPort: 8080}]}]",
                "spec.containerDefinitions[0].portMappings[0].hostPort: with networkMode awsvpc hostPort must equal containerPort (80)",
            ),
            (
                "networkMode: host\ncontainerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, hostPort: 0}]}]",
                "spec.containerDefinitions[0].portMappings[0].hostPort: with networkMode host hostPort must equal containerPort (80)",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 53, protocol: udp}, {containerPort: 53, protocol: tcp}, {containerPort: 53}]}]",
                "spec.containerDefinitions[0].portMappings[2]: container port 53/tcp is already mapped by portMappings[1]",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPortRange: '9000'}]}]",
                "spec.containerDefinitions[0].portMappings[0].containerPortRange: \"9000\" must be \"start-end\"",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPortRange: 9010-9000}]}]",
                "spec.containerDefinitions[0].portMappings[0].containerPortRange: \"9010-9000\" must be \"start-end\"",
            ),
            (
                "networkMode: host\ncontainerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPortRange: 9000-9010}]}]",
                "spec.containerDefinitions[0].portMappings[0].containerPortRange needs networkMode awsvpc or bridge (found host)",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPortRange: 9000-9010}, {containerPort: 9005}]}]",
                "spec.containerDefinitions[0].portMappings[1]: container port 9005/tcp is already mapped by portMappings[0]",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, name: web}]}, {name: b, image: i, memory: 8, portMappings: [{containerPort: 81, name: web}]}]",
                "spec.containerDefinitions[1].portMappings[0].name: \"web\" is already used by spec.containerDefinitions[0].portMappings[0]",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, name: Web}]}]",
                "spec.containerDefinitions[0].portMappings[0].name: \"Web\" is not a valid port mapping name",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, hostPort: 8080}]}, {name: b, image: i, memory: 8, portMappings: [{containerPort: 81, hostPort: 8080}]}]",
                "spec.containerDefinitions[1].portMappings[0].hostPort: host port 8080/tcp is already mapped by spec.containerDefinitions[0].portMappings[0]",
            ),
        ];
        assert!(cases.len() >= 16, "{} cases", cases.len());
        assert_errors(cases);
    }
}
