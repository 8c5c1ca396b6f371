//! Network mode and ports: the container settings each network mode allows, and port mappings (ranges, host
//! ports, Service Connect names). Each refusal quotes the ECS API reference it rests on (see also
//! docs/ecs-behaviour.md entry 89); what no source forbids is a warning in `doubts`.

use std::ops::RangeInclusive;

use super::common::{container_path, network_mode_name};
use crate::api::task_definition::{
    ContainerDefinition, NetworkMode, PortMapping, TaskDefinitionSpec, TransportProtocol,
};

/// ECS allows this many `containerPortRange` mappings per container.
const MAX_PORT_RANGES: usize = 100;

/// Port numbers.
pub(super) const PORTS: RangeInclusive<i32> = 1..=65_535;

/// Checks the container settings that depend on the network mode: links and hostname.
pub(super) fn check_network_mode(spec: &TaskDefinitionSpec) -> Result<(), String> {
    let mode = spec.network_mode;
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        // ContainerDefinition.links: "This parameter is only supported if the network mode of a task definition is
        // bridge"; ECS answers "Links are not supported when networkMode=awsvpc." (entry 87).
        if !container.links.is_empty() && !matches!(mode, None | Some(NetworkMode::Bridge)) {
            return Err(format!(
                "{path}.links: links need networkMode bridge (found {}); remove links (containers of an awsvpc or host task reach each other on localhost) or use bridge",
                network_mode_name(mode)
            ));
        }
        // ContainerDefinition.hostname: "The hostname parameter is not supported if you're using the awsvpc network
        // mode."
        if container.hostname.is_some() && mode == Some(NetworkMode::Awsvpc) {
            return Err(format!(
                "{path}.hostname is not supported with networkMode awsvpc; remove it"
            ));
        }
        // ContainerDefinition.portMappings: "If the network mode of a task definition is set to none, then you can't
        // specify port mappings."
        if !container.port_mappings.is_empty() && mode == Some(NetworkMode::None) {
            return Err(format!(
                "{path}.portMappings: not allowed with networkMode none; remove them or choose another network mode"
            ));
        }
    }
    Ok(())
}

/// Checks every container's port mappings. Names and host ports used twice are warnings (`doubts`).
pub(super) fn check_ports(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (i, container) in spec.container_definitions.iter().enumerate() {
        check_container_ports(&container_path(i), container, spec.network_mode)?;
    }
    Ok(())
}

/// Checks one container's port mappings: range limits and overlaps, host ports, names.
fn check_container_ports(
    path: &str,
    container: &ContainerDefinition,
    mode: Option<NetworkMode>,
) -> Result<(), String> {
    // PortMapping.containerPortRange: "You can specify a maximum of 100 port ranges per container."
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
        if let Some((start, end)) = mapped_range(&at, mapping, mode)? {
            let protocol = mapping.protocol.unwrap_or_default();
            // PortMapping.containerPortRange: "You cannot specify overlapping port ranges."
            if let Some((_, _, _, k)) = taken
                .iter()
                .find(|(p, s, e, _)| *p == protocol && start <= *e && *s <= end)
            {
                return Err(format!(
                    "{at}.containerPortRange: {} overlaps the range of portMappings[{k}]; ECS refuses overlapping port ranges",
                    describe_ports(start, end, protocol)
                ));
            }
            taken.push((protocol, start, end, j));
        }
        check_host_port(&at, mapping, mode)?;
        check_port_name(&at, mapping)?;
    }
    Ok(())
}

/// The container ports a `containerPortRange` covers, after checking it; `None` for a single port.
fn mapped_range(
    at: &str,
    mapping: &PortMapping,
    mode: Option<NetworkMode>,
) -> Result<Option<(i32, i32)>, String> {
    let Some(range) = mapping.container_port_range.as_deref() else {
        return Ok(None);
    };
    // PortMapping.containerPortRange: "You must use either the bridge network mode or the awsvpc network mode."
    if !matches!(mode, None | Some(NetworkMode::Bridge | NetworkMode::Awsvpc)) {
        return Err(format!(
            "{at}.containerPortRange needs networkMode awsvpc or bridge (found {}); list single ports with containerPort instead",
            network_mode_name(mode)
        ));
    }
    // PortMapping.containerPortRange: "The first port in the range must be less than last port in the range."
    parse_port_range(range).map(Some).ok_or_else(|| {
        format!(
            "{at}.containerPortRange: \"{range}\" must be \"start-end\" with 1 <= start < end <= 65535, such as \"8000-8010\""
        )
    })
}

/// Parses `"start-end"` with `1 <= start < end <= 65535`.
fn parse_port_range(range: &str) -> Option<(i32, i32)> {
    let (start, end) = range.split_once('-')?;
    let start: i32 = start.trim().parse().ok()?;
    let end: i32 = end.trim().parse().ok()?;
    (PORTS.contains(&start) && PORTS.contains(&end) && start < end).then_some((start, end))
}

/// Checks `hostPort`: equal to `containerPort` with awsvpc or host networking.
fn check_host_port(
    at: &str,
    mapping: &PortMapping,
    mode: Option<NetworkMode>,
) -> Result<(), String> {
    let Some(host) = mapping.host_port else {
        return Ok(());
    };
    // ContainerDefinition.portMappings: "If the network mode of a task definition is set to host, then host ports
    // must either be undefined or they must match the container port"; PortMapping.hostPort, for awsvpc: "the
    // hostPort can either be left blank or set to the same value as the containerPort" (entry 34).
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

/// Checks the Service Connect name of a port mapping. PortMapping.name: "The name can include up to 64 characters.
/// The characters can include lowercase letters, numbers, underscores (_), and hyphens (-). The name can't start
/// with a hyphen."
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
pub(super) fn fixed_host_port(mapping: &PortMapping, mode: Option<NetworkMode>) -> Option<i32> {
    match mode {
        Some(NetworkMode::Awsvpc | NetworkMode::Host) => {
            mapping.host_port.or(mapping.container_port)
        }
        _ => mapping.host_port.filter(|port| *port != 0),
    }
}

/// The ECS spelling of a transport protocol.
pub(super) fn protocol_name(protocol: TransportProtocol) -> &'static str {
    match protocol {
        TransportProtocol::Tcp => "tcp",
        TransportProtocol::Udp => "udp",
    }
}

/// A port or port range with its protocol, such as `80/tcp` or `8000-8010/udp`.
pub(super) fn describe_ports(start: i32, end: i32, protocol: TransportProtocol) -> String {
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
                "networkMode: awsvpc\ncontainerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, hostPort: 8080}]}]",
                "spec.containerDefinitions[0].portMappings[0].hostPort: with networkMode awsvpc hostPort must equal containerPort (80)",
            ),
            (
                "networkMode: host\ncontainerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, hostPort: 0}]}]",
                "spec.containerDefinitions[0].portMappings[0].hostPort: with networkMode host hostPort must equal containerPort (80)",
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
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPortRange: 9000-9010}, {containerPortRange: 9005-9020}]}]",
                "spec.containerDefinitions[0].portMappings[1].containerPortRange: 9005-9020/tcp overlaps the range of portMappings[0]",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, name: Web}]}]",
                "spec.containerDefinitions[0].portMappings[0].name: \"Web\" is not a valid port mapping name",
            ),
        ];
        assert!(cases.len() >= 10, "{} cases", cases.len());
        assert_errors(cases);
    }
}
