//! Checks of a `TaskDefinition` spec that the schema cannot express, mirroring what ECS
//! `RegisterTaskDefinition` rejects; pure, no AWS call. Each error names the field path and says
//! what to do, and only the first problem found is reported.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;

use crate::api::TaskDefinition;
use crate::api::task_definition::{
    Compatibility, ContainerCondition, ContainerDefinition, LogDriver, NetworkMode, PidMode,
    PortMapping, ResourceType, TaskDefinitionSpec, TransportProtocol,
};
use crate::controllers::validation::{
    check_ecs_name, check_name, check_name_unchanged, check_tags,
};

/// ECS allows this many containers per task definition.
const MAX_CONTAINERS: usize = 10;
/// ECS allows this many placement constraints per task definition.
const MAX_PLACEMENT_CONSTRAINTS: usize = 10;
/// ECS allows this many `containerPortRange` mappings per container.
const MAX_PORT_RANGES: usize = 100;
/// ECS refuses task definitions whose JSON is larger than this (64 KiB).
pub const MAX_TASK_DEFINITION_BYTES: usize = 65_536;
/// Valid port numbers.
const PORTS: RangeInclusive<i32> = 1..=65_535;
/// Task-level CPU units ECS accepts outside Fargate (0.125 to 192 vCPUs).
const EC2_TASK_CPU: RangeInclusive<u64> = 128..=196_608;
/// Ephemeral storage sizes Fargate accepts, in GiB.
const EPHEMERAL_STORAGE_GIB: RangeInclusive<i32> = 21..=200;

/// The ECS family of the task definition: `spec.family`, else `metadata.name`.
pub fn family(td: &TaskDefinition) -> String {
    td.spec
        .family
        .clone()
        .unwrap_or_else(|| td.metadata.name.clone().unwrap_or_default())
}

/// Validates the spec; the error names the first wrong field and what to do.
pub fn validate(td: &TaskDefinition) -> Result<(), String> {
    let spec = &td.spec;
    check_family(td)?;
    check_containers(spec)?;
    let fargate = spec
        .requires_compatibilities
        .contains(&Compatibility::Fargate);
    let (cpu, memory) = task_size(spec, fargate)?;
    if fargate {
        check_fargate_task(spec, cpu, memory)?;
    }
    check_memory(spec, memory)?;
    check_cpu(spec, cpu)?;
    if fargate {
        check_fargate_containers(spec)?;
        check_fargate_volumes(spec)?;
    }
    check_network_mode(spec)?;
    check_ports(spec)?;
    check_volumes(spec)?;
    check_references(spec)?;
    check_environment(spec)?;
    check_health_checks(spec)?;
    check_logging(spec, fargate)?;
    check_task_extras(spec)?;
    super::refusals::check(spec, fargate, cpu, memory)?;
    check_size(spec)?;
    check_tags("spec.tags", &spec.tags)
}

// ---------------------------------------------------------------------------------------------
// Family and containers
// ---------------------------------------------------------------------------------------------

/// Checks the family name and that it did not change since the first registration.
fn check_family(td: &TaskDefinition) -> Result<(), String> {
    let field = if td.spec.family.is_some() {
        "spec.family"
    } else {
        "metadata.name"
    };
    let name = family(td);
    check_ecs_name(field, &name)?;
    let recorded = td.status.as_ref().and_then(|s| s.family.as_deref());
    check_name_unchanged("spec.family", &name, recorded)
}

/// Checks the number of containers, their names and images, and that one of them is essential.
fn check_containers(spec: &TaskDefinitionSpec) -> Result<(), String> {
    let containers = &spec.container_definitions;
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
        check_name(&format!("{path}.name"), &container.name)?;
        if let Some(first) = seen.get(container.name.as_str()) {
            return Err(format!(
                "{path}.name: \"{}\" is already the name of {}; container names must be unique in the task",
                container.name,
                container_path(*first)
            ));
        }
        seen.insert(&container.name, i);
        if container.image.trim().is_empty() {
            return Err(format!(
                "{path}.image: must not be empty; set the image to run, such as public.ecr.aws/docker/library/httpd:2.4"
            ));
        }
    }
    if !containers.iter().any(is_essential) {
        return Err("spec.containerDefinitions: at least one container must be essential; set essential: true (or leave it unset) on the main container".into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Memory and CPU
// ---------------------------------------------------------------------------------------------

/// Parses `spec.cpu` (CPU units) and `spec.memory` (MiB), refusing what ECS cannot read.
fn task_size(
    spec: &TaskDefinitionSpec,
    fargate: bool,
) -> Result<(Option<u64>, Option<u64>), String> {
    let cpu = spec
        .cpu
        .as_deref()
        .map(|value| {
            parse_amount(value, "vcpu").filter(|units| *units > 0).ok_or_else(|| {
                format!(
                    "spec.cpu: \"{value}\" is not a CPU amount; write CPU units such as \"1024\" or vCPUs such as \"1 vCPU\""
                )
            })
        })
        .transpose()?;
    let memory = spec
        .memory
        .as_deref()
        .map(|value| {
            parse_amount(value, "gb").filter(|mib| *mib > 0).ok_or_else(|| {
                format!(
                    "spec.memory: \"{value}\" is not a memory amount; write MiB such as \"2048\" or GB such as \"2 GB\""
                )
            })
        })
        .transpose()?;
    if !fargate && let Some(units) = cpu.filter(|units| !EC2_TASK_CPU.contains(units)) {
        return Err(format!(
            "spec.cpu: {units} CPU units is outside 128-196608 (0.125-192 vCPUs), the range ECS accepts; choose a value in it or leave spec.cpu unset"
        ));
    }
    Ok((cpu, memory))
}

/// Parses `"<n>"` as is, or `"<n> <unit>"` / `"<n><unit>"` (unit case-insensitive) times 1024.
fn parse_amount(value: &str, unit: &str) -> Option<u64> {
    let text = value.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let suffix = suffix.trim();
    if suffix.is_empty() {
        return number.parse().ok();
    }
    if !suffix.eq_ignore_ascii_case(unit) {
        return None;
    }
    times_1024(number)
}

/// Multiplies a decimal number (such as `0.25`) by 1024, when the result is a whole number.
fn times_1024(number: &str) -> Option<u64> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !digits(whole) || !digits(fraction) {
        return None;
    }
    let scale = 10u64.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: u64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let scaled = whole
        .checked_mul(scale)?
        .checked_add(fraction)?
        .checked_mul(1024)?;
    (scaled % scale == 0).then_some(scaled / scale)
}

/// Checks container memory against each other and against `spec.memory`.
fn check_memory(spec: &TaskDefinitionSpec, task_memory: Option<u64>) -> Result<(), String> {
    let mut reserved = 0u64;
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        if let (Some(hard), Some(soft)) = (container.memory, container.memory_reservation)
            && soft > hard
        {
            return Err(format!(
                "{path}.memoryReservation: {soft} MiB is above memory ({hard} MiB); lower memoryReservation or raise memory"
            ));
        }
        let Some(limit) = task_memory else {
            if container.memory.is_none() && container.memory_reservation.is_none() {
                return Err(format!(
                    "{path}: set memory or memoryReservation (MiB) on the container, or spec.memory for the whole task"
                ));
            }
            continue;
        };
        if let Some(hard) = container
            .memory
            .map(non_negative)
            .filter(|hard| *hard > limit)
        {
            return Err(format!(
                "{path}.memory: {hard} MiB is more than the task's spec.memory ({limit} MiB); lower it or raise spec.memory"
            ));
        }
        reserved += non_negative(
            container
                .memory_reservation
                .or(container.memory)
                .unwrap_or(0),
        );
        if reserved > limit {
            return Err(format!(
                "{path}: with this container the containers reserve {reserved} MiB (memoryReservation, else memory), more than spec.memory ({limit} MiB); lower their reservations or raise spec.memory"
            ));
        }
    }
    Ok(())
}

/// Checks that the cpu of the containers adds up to at most `spec.cpu`.
fn check_cpu(spec: &TaskDefinitionSpec, task_cpu: Option<u64>) -> Result<(), String> {
    let Some(limit) = task_cpu else {
        return Ok(());
    };
    let mut total = 0u64;
    for (i, container) in spec.container_definitions.iter().enumerate() {
        total += non_negative(container.cpu.unwrap_or(0));
        if total > limit {
            return Err(format!(
                "{}.cpu: with this container the containers' cpu adds up to {total} units, more than spec.cpu ({limit} units); lower container cpu or raise spec.cpu",
                container_path(i)
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Fargate
// ---------------------------------------------------------------------------------------------

/// Checks the task-level Fargate rules: awsvpc, a valid cpu/memory pair, no host-only settings.
fn check_fargate_task(
    spec: &TaskDefinitionSpec,
    cpu: Option<u64>,
    memory: Option<u64>,
) -> Result<(), String> {
    if spec.network_mode != Some(NetworkMode::Awsvpc) {
        return Err(format!(
            "spec.networkMode: Fargate requires awsvpc (found {}); set networkMode: awsvpc",
            network_mode_name(spec.network_mode)
        ));
    }
    let Some(cpu) = cpu else {
        return Err("spec.cpu is required on Fargate; set one of 256, 512, 1024, 2048, 4096, 8192 or 16384 CPU units".into());
    };
    let Some(memory) = memory else {
        return Err("spec.memory is required on Fargate; set a size (MiB) that fits spec.cpu, such as \"512\" with cpu \"256\"".into());
    };
    let Some(sizes) = fargate_memory_sizes(cpu) else {
        return Err(format!(
            "spec.cpu: {cpu} CPU units is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384"
        ));
    };
    if !sizes.contains(&memory) {
        return Err(format!(
            "spec.memory: {memory} MiB does not fit cpu {cpu} on Fargate; with cpu {cpu} use {} MiB",
            describe_sizes(&sizes)
        ));
    }
    if spec.pid_mode == Some(PidMode::Host) {
        return Err(
            "spec.pidMode: Fargate supports only pidMode task; set it to task or remove it".into(),
        );
    }
    if spec.ipc_mode.is_some() {
        return Err("spec.ipcMode is not supported on Fargate; remove it".into());
    }
    if !spec.placement_constraints.is_empty() {
        return Err("spec.placementConstraints is not supported on Fargate; remove it".into());
    }
    Ok(())
}

/// The memory sizes (MiB) Fargate accepts with `cpu` units, or `None` when `cpu` is not a Fargate size.
fn fargate_memory_sizes(cpu: u64) -> Option<Vec<u64>> {
    let (from, to, step): (u64, u64, usize) = match cpu {
        256 => return Some(vec![512, 1024, 2048]),
        512 => (1024, 4096, 1024),
        1024 => (2048, 8192, 1024),
        2048 => (4096, 16_384, 1024),
        4096 => (8192, 30_720, 1024),
        8192 => (16_384, 61_440, 4096),
        16_384 => (32_768, 122_880, 8192),
        _ => return None,
    };
    Some((from..=to).step_by(step).collect())
}

/// Describes a list of memory sizes: all of them when short, else first, last and step.
fn describe_sizes(sizes: &[u64]) -> String {
    match sizes {
        [first, second, .., last] if sizes.len() > 4 => {
            format!("{first} to {last} in steps of {}", second - first)
        }
        _ => sizes
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Checks the container-level Fargate rules: no privileged mode, host devices or host-only options.
fn check_fargate_containers(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        let unsupported = if container.privileged == Some(true) {
            Some("privileged")
        } else if !container.docker_security_options.is_empty() {
            Some("dockerSecurityOptions")
        } else if !container.links.is_empty() {
            Some("links")
        } else {
            None
        };
        if let Some(field) = unsupported {
            return Err(format!(
                "{path}.{field} is not supported on Fargate; remove it"
            ));
        }
        check_fargate_linux_parameters(&path, container)?;
    }
    Ok(())
}

/// Checks `linuxParameters` on Fargate: no devices, tmpfs, shared memory or swap; only SYS_PTRACE added.
fn check_fargate_linux_parameters(
    path: &str,
    container: &ContainerDefinition,
) -> Result<(), String> {
    let Some(linux) = &container.linux_parameters else {
        return Ok(());
    };
    let unsupported = [
        ("devices", !linux.devices.is_empty()),
        ("tmpfs", !linux.tmpfs.is_empty()),
        ("sharedMemorySize", linux.shared_memory_size.is_some()),
        ("maxSwap", linux.max_swap.is_some()),
        ("swappiness", linux.swappiness.is_some()),
    ];
    if let Some((field, _)) = unsupported.iter().find(|(_, set)| *set) {
        return Err(format!(
            "{path}.linuxParameters.{field} is not supported on Fargate; remove it"
        ));
    }
    let added = linux.capabilities.iter().flat_map(|caps| caps.add.iter());
    for (k, capability) in added.enumerate() {
        if capability != "SYS_PTRACE" {
            return Err(format!(
                "{path}.linuxParameters.capabilities.add[{k}]: Fargate can only add SYS_PTRACE, not {capability}; remove it"
            ));
        }
    }
    Ok(())
}

/// Checks the volumes of a Fargate task: no host paths and no Docker volumes.
fn check_fargate_volumes(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (i, volume) in spec.volumes.iter().enumerate() {
        if volume
            .host
            .as_ref()
            .is_some_and(|h| h.source_path.is_some())
        {
            return Err(format!(
                "spec.volumes[{i}].host.sourcePath is not supported on Fargate; remove sourcePath (an empty host: {{}} gives task storage) or use efsVolumeConfiguration"
            ));
        }
        if volume.docker_volume_configuration.is_some() {
            return Err(format!(
                "spec.volumes[{i}].dockerVolumeConfiguration is not supported on Fargate; use task storage (host: {{}}) or efsVolumeConfiguration"
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Network mode and ports
// ---------------------------------------------------------------------------------------------

/// Checks the container settings that depend on the network mode: links and hostname.
fn check_network_mode(spec: &TaskDefinitionSpec) -> Result<(), String> {
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
fn check_ports(spec: &TaskDefinitionSpec) -> Result<(), String> {
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

// ---------------------------------------------------------------------------------------------
// Volumes and references between containers
// ---------------------------------------------------------------------------------------------

/// Checks volume names: valid and unique.
fn check_volumes(spec: &TaskDefinitionSpec) -> Result<(), String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, volume) in spec.volumes.iter().enumerate() {
        let Some(name) = volume.name.as_deref() else {
            continue;
        };
        check_name(&format!("spec.volumes[{i}].name"), name)?;
        if let Some(first) = seen.get(name) {
            return Err(format!(
                "spec.volumes[{i}].name: \"{name}\" is already the name of spec.volumes[{first}]; volume names must be unique"
            ));
        }
        seen.insert(name, i);
    }
    Ok(())
}

/// Checks that links, dependsOn, volumesFrom, mountPoints and the proxy name parts of this task.
fn check_references(spec: &TaskDefinitionSpec) -> Result<(), String> {
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
    if let Some(proxy) = &spec.proxy_configuration
        && !containers.contains(proxy.container_name.as_str())
    {
        return Err(format!(
            "spec.proxyConfiguration.containerName: \"{}\" is not a container of this task; use one of: {}",
            proxy.container_name,
            join(&containers)
        ));
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

// ---------------------------------------------------------------------------------------------
// Environment, secrets and health checks
// ---------------------------------------------------------------------------------------------

/// Checks environment variables and secrets of every container, and the role secrets need.
fn check_environment(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        check_env_vars(&path, container)?;
        check_secrets(&path, container)?;
        if !container.secrets.is_empty() && !has_execution_role(spec) {
            return Err(format!(
                "spec.executionRoleArn is required because {path}.secrets reads Secrets Manager or SSM Parameter Store; set the ARN of a task execution role allowed to read them"
            ));
        }
    }
    Ok(())
}

/// Checks that environment variables have names (ECS accepts a name twice).
fn check_env_vars(path: &str, container: &ContainerDefinition) -> Result<(), String> {
    for (k, variable) in container.environment.iter().enumerate() {
        if variable.name.as_deref().unwrap_or_default().is_empty() {
            return Err(format!(
                "{path}.environment[{k}].name must not be empty; name the variable"
            ));
        }
    }
    Ok(())
}

/// Checks that secrets have a name and a source, with names unique in a container.
fn check_secrets(path: &str, container: &ContainerDefinition) -> Result<(), String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (k, secret) in container.secrets.iter().enumerate() {
        if secret.name.is_empty() {
            return Err(format!(
                "{path}.secrets[{k}].name must not be empty; name the environment variable"
            ));
        }
        if secret.value_from.is_empty() {
            return Err(format!(
                "{path}.secrets[{k}].valueFrom must not be empty; set the ARN of the secret or SSM parameter"
            ));
        }
        if let Some(first) = seen.get(secret.name.as_str()) {
            return Err(format!(
                "{path}.secrets[{k}].name: \"{}\" is already set by secrets[{first}]; keep one",
                secret.name
            ));
        }
        seen.insert(&secret.name, k);
    }
    Ok(())
}

/// Checks that each health check command starts with `CMD` or `CMD-SHELL`.
fn check_health_checks(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let Some(check) = &container.health_check else {
            continue;
        };
        let first = check.command.first().map(String::as_str);
        if !matches!(first, Some("CMD" | "CMD-SHELL")) {
            return Err(format!(
                "{}.healthCheck.command[0]: must be CMD or CMD-SHELL (found \"{}\"), such as [CMD-SHELL, \"curl -f http://localhost/ || exit 1\"]",
                container_path(i),
                first.unwrap_or_default()
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Logging
// ---------------------------------------------------------------------------------------------

/// Checks FireLens (one router, present when awsfirelens is used) and awslogs on Fargate.
fn check_logging(spec: &TaskDefinitionSpec, fargate: bool) -> Result<(), String> {
    let containers = &spec.container_definitions;
    let mut routers = containers
        .iter()
        .enumerate()
        .filter(|(_, c)| c.firelens_configuration.is_some())
        .map(|(i, _)| i);
    let first_router = routers.next();
    if let (Some(first), Some(second)) = (first_router, routers.next()) {
        return Err(format!(
            "{}.firelensConfiguration: only one container may be the FireLens log router and {} already is; remove one",
            container_path(second),
            container_path(first)
        ));
    }
    for (i, container) in containers.iter().enumerate() {
        let driver = container.log_configuration.as_ref().map(|l| l.log_driver);
        if driver == Some(LogDriver::Awsfirelens) && first_router.is_none() {
            return Err(format!(
                "{}.logConfiguration.logDriver: awsfirelens needs a log router container with firelensConfiguration; add one (such as aws-for-fluent-bit) or use another log driver",
                container_path(i)
            ));
        }
        if fargate && driver == Some(LogDriver::Awslogs) && !has_execution_role(spec) {
            return Err(format!(
                "spec.executionRoleArn is required on Fargate because {}.logConfiguration uses awslogs; set the ARN of a task execution role",
                container_path(i)
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Task-level extras and size
// ---------------------------------------------------------------------------------------------

/// Checks ephemeral storage, ulimits and the number of placement constraints.
fn check_task_extras(spec: &TaskDefinitionSpec) -> Result<(), String> {
    if !spec.inference_accelerators.is_empty() {
        return Err("spec.inferenceAccelerators: Amazon Elastic Inference is no longer available in ECS; remove the field".into());
    }
    if let Some(storage) = &spec.ephemeral_storage
        && !EPHEMERAL_STORAGE_GIB.contains(&storage.size_in_gib)
    {
        return Err(format!(
            "spec.ephemeralStorage.sizeInGiB: {} is outside 21-200 GiB; choose a size in that range",
            storage.size_in_gib
        ));
    }
    if spec.placement_constraints.len() > MAX_PLACEMENT_CONSTRAINTS {
        return Err(format!(
            "spec.placementConstraints: {} given; ECS allows at most {MAX_PLACEMENT_CONSTRAINTS}, so combine expressions",
            spec.placement_constraints.len()
        ));
    }
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let mut seen = BTreeMap::new();
        for (k, ulimit) in container.ulimits.iter().enumerate() {
            if let Some(first) = seen.insert(ulimit.name, k) {
                return Err(format!(
                    "{}.ulimits[{k}].name: {:?} is already set by ulimits[{first}]; keep one entry per limit",
                    container_path(i),
                    ulimit.name
                ));
            }
        }
    }
    Ok(())
}

/// Checks that the ECS part of the spec, as JSON, stays within ECS's 64 KiB limit.
fn check_size(spec: &TaskDefinitionSpec) -> Result<(), String> {
    let size = serde_json::to_vec(&spec.ecs_content())
        .map_err(|e| format!("spec: cannot be encoded as JSON: {e}"))?
        .len();
    if size > MAX_TASK_DEFINITION_BYTES {
        return Err(format!(
            "spec: the task definition is {size} bytes as JSON, above ECS's limit of 64 KiB ({MAX_TASK_DEFINITION_BYTES} bytes); shrink it, such as by moving environment variables to environmentFiles"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/// The field path of container `i`.
fn container_path(i: usize) -> String {
    format!("spec.containerDefinitions[{i}]")
}

/// Whether a container is essential: `essential` true or unset (the ECS default is true).
fn is_essential(container: &ContainerDefinition) -> bool {
    container.essential != Some(false)
}

/// Whether the task has a non-empty `executionRoleArn`.
fn has_execution_role(spec: &TaskDefinitionSpec) -> bool {
    spec.execution_role_arn
        .as_deref()
        .is_some_and(|arn| !arn.trim().is_empty())
}

/// A count or size from the API as `u64`; negative values (refused by the schema) count as 0.
fn non_negative(value: i32) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Names joined for a message, or `(none)`.
fn join(names: &BTreeSet<&str>) -> String {
    if names.is_empty() {
        return "(none)".into();
    }
    names.iter().copied().collect::<Vec<_>>().join(", ")
}

/// The ECS spelling of a network mode, `unset` when there is none.
fn network_mode_name(mode: Option<NetworkMode>) -> &'static str {
    match mode {
        None => "unset",
        Some(NetworkMode::Bridge) => "bridge",
        Some(NetworkMode::Host) => "host",
        Some(NetworkMode::Awsvpc) => "awsvpc",
        Some(NetworkMode::None) => "none",
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

/// The ECS spelling of a dependency condition.
fn condition_name(condition: ContainerCondition) -> &'static str {
    match condition {
        ContainerCondition::Start => "START",
        ContainerCondition::Complete => "COMPLETE",
        ContainerCondition::Success => "SUCCESS",
        ContainerCondition::Healthy => "HEALTHY",
    }
}

/// Task definitions from AWS's public documentation, as YAML bodies for `spec:` (column 0).
#[cfg(test)]
pub mod fixtures {
    /// The Fargate `httpd` web server of "Example Amazon ECS task definitions" (awsvpc, awslogs).
    pub const FARGATE_WEBSERVER: &str = r##"containerDefinitions:
  - command:
      - "/bin/sh -c \"echo '<html> <head> <title>Amazon ECS Sample App</title> <style>body {margin-top: 40px; background-color: #333;} </style> </head><body> <div style=color:white;text-align:center> <h1>Amazon ECS Sample App</h1> <h2>Congratulations!</h2> <p>Your application is now running on a container in Amazon ECS.</p> </div></body></html>' >  /usr/local/apache2/htdocs/index.html && httpd-foreground\""
    entryPoint:
      - sh
      - -c
    essential: true
    image: public.ecr.aws/docker/library/httpd:2.4
    logConfiguration:
      logDriver: awslogs
      options:
        awslogs-group: /ecs/fargate-task-definition
        awslogs-region: us-east-1
        awslogs-stream-prefix: ecs
    name: sample-fargate-app
    portMappings:
      - containerPort: 80
        hostPort: 80
        protocol: tcp
cpu: "256"
executionRoleArn: arn:aws:iam::012345678910:role/ecsTaskExecutionRole
family: fargate-task-definition
memory: "512"
networkMode: awsvpc
runtimePlatform:
  operatingSystemFamily: LINUX
requiresCompatibilities:
  - FARGATE
"##;

    /// The FireLens example routing an nginx app's logs to CloudWatch through a fluent-bit sidecar.
    pub const FIRELENS_SIDECAR: &str = r#"family: firelens-example-cloudwatch
taskRoleArn: arn:aws:iam::123456789012:role/ecs_task_iam_role
executionRoleArn: arn:aws:iam::123456789012:role/ecs_task_execution_role
containerDefinitions:
  - essential: true
    image: 906394416424.dkr.ecr.us-west-2.amazonaws.com/aws-for-fluent-bit:stable
    name: log_router
    firelensConfiguration:
      type: fluentbit
    logConfiguration:
      logDriver: awslogs
      options:
        awslogs-group: firelens-container
        awslogs-region: us-west-2
        awslogs-create-group: "true"
        awslogs-stream-prefix: firelens
    memoryReservation: 50
  - essential: true
    image: nginx
    name: app
    logConfiguration:
      logDriver: awsfirelens
      options:
        Name: cloudwatch
        region: us-west-2
        log_key: log
        log_group_name: /aws/ecs/containerinsights/$(ecs_cluster)/application
        auto_create_group: "true"
        log_stream_name: $(ecs_task_id)
    memoryReservation: 100
"#;

    /// An EC2 bridge-mode WordPress + MySQL pair (the docs' `links` example) with a dynamic host
    /// port (`hostPort: 0`) and memory reservations.
    pub const EC2_BRIDGE_DYNAMIC_PORTS: &str = r#"family: hello_world
networkMode: bridge
requiresCompatibilities:
  - EC2
containerDefinitions:
  - name: wordpress
    links:
      - mysql
    image: wordpress
    essential: true
    portMappings:
      - containerPort: 80
        hostPort: 0
        protocol: tcp
    memoryReservation: 256
    memory: 500
    cpu: 10
  - environment:
      - name: MYSQL_ROOT_PASSWORD
        value: password
    name: mysql
    image: mysql
    cpu: 10
    memoryReservation: 256
    essential: true
"#;

    /// The EFS example of "Specifying an Amazon EFS file system in a task definition": nginx
    /// serving its html from an EFS volume.
    pub const EFS_NGINX: &str = r#"family: efs-tutorial
executionRoleArn: arn:aws:iam::111122223333:role/ecsTaskExecutionRole
containerDefinitions:
  - memory: 128
    portMappings:
      - hostPort: 80
        containerPort: 80
        protocol: tcp
    essential: true
    mountPoints:
      - containerPath: /usr/share/nginx/html
        sourceVolume: efs-html
    name: nginx
    image: nginx
volumes:
  - name: efs-html
    efsVolumeConfiguration:
      fileSystemId: fs-1324abcd
      transitEncryption: ENABLED
"#;

    /// Every fixture with a short name, for tests that go through all of them.
    pub const ALL: [(&str, &str); 4] = [
        ("fargate-webserver", FARGATE_WEBSERVER),
        ("firelens-sidecar", FIRELENS_SIDECAR),
        ("ec2-bridge-dynamic-ports", EC2_BRIDGE_DYNAMIC_PORTS),
        ("efs-nginx", EFS_NGINX),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TaskDefinitionStatus;

    /// A `TaskDefinition` named `web` whose spec is `spec` (YAML at column 0).
    fn task(spec: &str) -> TaskDefinition {
        let indented: String = spec.lines().map(|line| format!("  {line}\n")).collect();
        let mut td: TaskDefinition = serde_yaml::from_str(&format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web, namespace: ns}}\nspec:\n{indented}"
        ))
        .unwrap_or_else(|e| panic!("{spec}: {e}"));
        td.metadata.uid = Some("u".into());
        td
    }

    fn error_of(spec: &str) -> String {
        validate(&task(spec)).expect_err(spec)
    }

    /// A spec literal behind a minimal valid Fargate prefix (awsvpc, 256 CPU units, 512 MiB).
    macro_rules! fargate {
        ($spec:literal) => {
            concat!(
                "requiresCompatibilities: [FARGATE]\nnetworkMode: awsvpc\ncpu: '256'\nmemory: '512'\n",
                $spec
            )
        };
    }

    #[test]
    fn accepts_the_documentation_examples() {
        for (name, spec) in fixtures::ALL {
            assert_eq!(validate(&task(spec)), Ok(()), "{name}");
        }
        let webserver = task(fixtures::FARGATE_WEBSERVER);
        let command = &webserver.spec.container_definitions[0].command;
        assert!(
            command.len() == 1
                && command[0].starts_with("/bin/sh -c \"echo '<html>")
                && command[0].ends_with("&& httpd-foreground\""),
            "{command:?}"
        );
    }

    #[test]
    fn the_family_defaults_to_the_object_name() {
        assert_eq!(
            family(&task(fixtures::FARGATE_WEBSERVER)),
            "fargate-task-definition"
        );
        assert_eq!(
            family(&task(
                "containerDefinitions: [{name: a, image: i, memory: 8}]"
            )),
            "web"
        );
    }

    #[test]
    fn parses_task_cpu_and_memory() {
        assert_eq!(parse_amount("1024", "vcpu"), Some(1024));
        assert_eq!(parse_amount("1 vCPU", "vcpu"), Some(1024));
        assert_eq!(parse_amount("2vcpu", "vcpu"), Some(2048));
        assert_eq!(parse_amount(".25 vCPU", "vcpu"), Some(256));
        assert_eq!(parse_amount("2 GB", "gb"), Some(2048));
        assert_eq!(parse_amount("0.5GB", "gb"), Some(512));
        assert_eq!(parse_amount(" 512 ", "gb"), Some(512));
        for bad in [
            "",
            "GB",
            "1.5",
            "2 TB",
            "1 vCPU",
            "1..5 GB",
            "-1",
            "0.0001 GB",
        ] {
            assert_eq!(parse_amount(bad, "gb"), None, "{bad:?}");
        }
    }

    #[test]
    fn accepts_every_fargate_size_of_the_table() {
        for (cpu, memory) in [
            ("256", "512"),
            ("256", "2 GB"),
            ("512", "4096"),
            ("1 vCPU", "8192"),
            ("2048", "16384"),
            ("4096", "30720"),
            ("8192", "61440"),
            ("16 vCPU", "120 GB"),
        ] {
            let spec = format!(
                "requiresCompatibilities: [FARGATE]\nnetworkMode: awsvpc\ncpu: '{cpu}'\nmemory: '{memory}'\ncontainerDefinitions: [{{name: a, image: i}}]\n"
            );
            assert_eq!(validate(&task(&spec)), Ok(()), "{cpu}/{memory}");
        }
    }

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases: &[(&str, &str)] = &[
            // family and containers
            (
                "family: bad.name\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.family: \"bad.name\" contains '.'",
            ),
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
            // memory and cpu
            (
                "containerDefinitions: [{name: a, image: i, memory: 8}, {name: b, image: i}]",
                "spec.containerDefinitions[1]: set memory or memoryReservation",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 256, memoryReservation: 512}]",
                "spec.containerDefinitions[0].memoryReservation: 512 MiB is above memory (256 MiB)",
            ),
            (
                "memory: '512'\ncontainerDefinitions: [{name: a, image: i, memory: 1024}]",
                "spec.containerDefinitions[0].memory: 1024 MiB is more than the task's spec.memory (512 MiB)",
            ),
            (
                "memory: '1 GB'\ncontainerDefinitions: [{name: a, image: i, memoryReservation: 600}, {name: b, image: i, memory: 600}]",
                "spec.containerDefinitions[1]: with this container the containers reserve 1200 MiB",
            ),
            (
                "cpu: '1 vCPU'\nmemory: '2048'\ncontainerDefinitions: [{name: a, image: i, cpu: 512}, {name: b, image: i, cpu: 768}]",
                "spec.containerDefinitions[1].cpu: with this container the containers' cpu adds up to 1280 units",
            ),
            (
                "cpu: '512'\ncontainerDefinitions: [{name: a, image: i, cpu: 256, memory: 8}, {name: b, image: i, cpu: 512, memory: 8}]",
                "spec.containerDefinitions[1].cpu: with this container the containers' cpu adds up to 768 units",
            ),
            (
                "cpu: fast\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.cpu: \"fast\" is not a CPU amount",
            ),
            (
                "memory: 2 TB\ncontainerDefinitions: [{name: a, image: i}]",
                "spec.memory: \"2 TB\" is not a memory amount",
            ),
            (
                "cpu: '64'\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.cpu: 64 CPU units is outside 128-196608",
            ),
            // Fargate
            (
                "requiresCompatibilities: [FARGATE]\nnetworkMode: bridge\ncpu: '256'\nmemory: '512'\ncontainerDefinitions: [{name: a, image: i}]",
                "spec.networkMode: Fargate requires awsvpc (found bridge)",
            ),
            (
                "requiresCompatibilities: [FARGATE]\nnetworkMode: awsvpc\nmemory: '512'\ncontainerDefinitions: [{name: a, image: i}]",
                "spec.cpu is required on Fargate",
            ),
            (
                "requiresCompatibilities: [FARGATE]\nnetworkMode: awsvpc\ncpu: '256'\ncontainerDefinitions: [{name: a, image: i}]",
                "spec.memory is required on Fargate",
            ),
            (
                "requiresCompatibilities: [FARGATE]\nnetworkMode: awsvpc\ncpu: '300'\nmemory: '1024'\ncontainerDefinitions: [{name: a, image: i}]",
                "spec.cpu: 300 CPU units is not a Fargate size",
            ),
            (
                "requiresCompatibilities: [FARGATE]\nnetworkMode: awsvpc\ncpu: '256'\nmemory: '4 GB'\ncontainerDefinitions: [{name: a, image: i}]",
                "spec.memory: 4096 MiB does not fit cpu 256 on Fargate; with cpu 256 use 512, 1024, 2048 MiB",
            ),
            (
                "requiresCompatibilities: [FARGATE]\nnetworkMode: awsvpc\ncpu: '8192'\nmemory: '18432'\ncontainerDefinitions: [{name: a, image: i}]",
                "spec.memory: 18432 MiB does not fit cpu 8192 on Fargate; with cpu 8192 use 16384 to 61440 in steps of 4096 MiB",
            ),
            (
                fargate!("pidMode: host\ncontainerDefinitions: [{name: a, image: i}]"),
                "spec.pidMode: Fargate supports only pidMode task",
            ),
            (
                fargate!("ipcMode: task\ncontainerDefinitions: [{name: a, image: i}]"),
                "spec.ipcMode is not supported on Fargate",
            ),
            (
                fargate!(
                    "placementConstraints: [{type: memberOf, expression: 'attribute:ecs.os-type == linux'}]\ncontainerDefinitions: [{name: a, image: i}]"
                ),
                "spec.placementConstraints is not supported on Fargate",
            ),
            (
                fargate!("containerDefinitions: [{name: a, image: i, privileged: true}]"),
                "spec.containerDefinitions[0].privileged is not supported on Fargate",
            ),
            (
                fargate!(
                    "containerDefinitions: [{name: a, image: i, dockerSecurityOptions: ['no-new-privileges']}]"
                ),
                "spec.containerDefinitions[0].dockerSecurityOptions is not supported on Fargate",
            ),
            (
                fargate!(
                    "containerDefinitions: [{name: a, image: i, links: [b]}, {name: b, image: i}]"
                ),
                "spec.containerDefinitions[0].links is not supported on Fargate",
            ),
            (
                fargate!(
                    "containerDefinitions: [{name: a, image: i, linuxParameters: {devices: [{hostPath: /dev/fuse}]}}]"
                ),
                "spec.containerDefinitions[0].linuxParameters.devices is not supported on Fargate",
            ),
            (
                fargate!(
                    "containerDefinitions: [{name: a, image: i, linuxParameters: {tmpfs: [{containerPath: /tmp, size: 64}]}}]"
                ),
                "spec.containerDefinitions[0].linuxParameters.tmpfs is not supported on Fargate",
            ),
            (
                fargate!(
                    "containerDefinitions: [{name: a, image: i, linuxParameters: {capabilities: {add: [SYS_PTRACE, NET_ADMIN]}}}]"
                ),
                "spec.containerDefinitions[0].linuxParameters.capabilities.add[1]: Fargate can only add SYS_PTRACE",
            ),
            (
                fargate!(
                    "volumes: [{name: logs, host: {sourcePath: /var/log}}]\ncontainerDefinitions: [{name: a, image: i}]"
                ),
                "spec.volumes[0].host.sourcePath is not supported on Fargate",
            ),
            (
                fargate!(
                    "volumes: [{name: data, dockerVolumeConfiguration: {scope: task, driver: local}}]\ncontainerDefinitions: [{name: a, image: i}]"
                ),
                "spec.volumes[0].dockerVolumeConfiguration is not supported on Fargate",
            ),
            (
                fargate!(
                    "containerDefinitions: [{name: a, image: i, logConfiguration: {logDriver: awslogs, options: {awslogs-group: g}}}]"
                ),
                "spec.executionRoleArn is required on Fargate because spec.containerDefinitions[0].logConfiguration uses awslogs",
            ),
            // network mode and ports
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
            // references
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
                "volumes: [{name: html}, {name: html}]\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.volumes[1].name: \"html\" is already the name of spec.volumes[0]",
            ),
            (
                "volumes: [{name: 'my volume'}]\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.volumes[0].name: \"my volume\" contains ' '",
            ),
            (
                "proxyConfiguration: {type: APPMESH, containerName: envoy}\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.proxyConfiguration.containerName: \"envoy\" is not a container of this task",
            ),
            (
                "inferenceAccelerators: [{deviceName: device_1, deviceType: eia2.medium}]\ncontainerDefinitions: [{name: a, image: i, memory: 8, resourceRequirements: [{type: InferenceAccelerator, value: device_2}]}]",
                "spec.containerDefinitions[0].resourceRequirements[0].value: \"device_2\" is not a deviceName",
            ),
            // environment, secrets, health checks
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, environment: [{value: x}]}]",
                "spec.containerDefinitions[0].environment[0].name must not be empty",
            ),
            (
                "executionRoleArn: arn:aws:iam::123456789012:role/x\ncontainerDefinitions: [{name: a, image: i, memory: 8, secrets: [{name: DB, valueFrom: ''}]}]",
                "spec.containerDefinitions[0].secrets[0].valueFrom must not be empty",
            ),
            (
                "executionRoleArn: arn:aws:iam::123456789012:role/x\ncontainerDefinitions: [{name: a, image: i, memory: 8, secrets: [{name: '', valueFrom: arn:aws:ssm:::parameter/p}]}]",
                "spec.containerDefinitions[0].secrets[0].name must not be empty",
            ),
            (
                "executionRoleArn: arn:aws:iam::123456789012:role/x\ncontainerDefinitions: [{name: a, image: i, memory: 8, secrets: [{name: DB, valueFrom: p1}, {name: DB, valueFrom: p2}]}]",
                "spec.containerDefinitions[0].secrets[1].name: \"DB\" is already set by secrets[0]",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, secrets: [{name: DB, valueFrom: p1}]}]",
                "spec.executionRoleArn is required because spec.containerDefinitions[0].secrets",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, healthCheck: {command: ['curl -f http://localhost/']}}]",
                "spec.containerDefinitions[0].healthCheck.command[0]: must be CMD or CMD-SHELL",
            ),
            // logging
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, logConfiguration: {logDriver: awsfirelens}}]",
                "spec.containerDefinitions[0].logConfiguration.logDriver: awsfirelens needs a log router container",
            ),
            (
                "containerDefinitions: [{name: r1, image: i, memory: 8, firelensConfiguration: {type: fluentbit}}, {name: r2, image: i, memory: 8, firelensConfiguration: {type: fluentd}}]",
                "spec.containerDefinitions[1].firelensConfiguration: only one container may be the FireLens log router",
            ),
            // extras, tags
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, ulimits: [{name: nofile, softLimit: 1024, hardLimit: 4096}, {name: nofile, softLimit: 1, hardLimit: 2}]}]",
                "spec.containerDefinitions[0].ulimits[1].name: Nofile is already set by ulimits[0]",
            ),
            (
                "placementConstraints: [{type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}, \
                 {type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}, \
                 {type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}]\n\
                 containerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.placementConstraints: 11 given",
            ),
            (
                "tags: {'aws:owner': x}\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.tags: tag key \"aws:owner\"",
            ),
        ];
        assert!(cases.len() >= 35, "{} cases", cases.len());
        for (spec, expected) in cases {
            let err = error_of(spec);
            assert!(
                err.contains(expected),
                "{spec}\n  expected: {expected}\n  got: {err}"
            );
        }
    }

    /// ECS registers these; nothing in the catalogue shows it refusing them.
    #[test]
    fn accepts_what_ecs_accepts() {
        for spec in [
            "ephemeralStorage: {sizeInGiB: 30}\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
            "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, appProtocol: http}]}]",
            "containerDefinitions: [{name: a, image: i, memory: 8, environment: [{name: A, value: x}, {name: A, value: y}]}]",
            "containerDefinitions: [{name: a, image: i, memory: 8, dependsOn: [{containerName: db, condition: HEALTHY}]}, {name: db, image: i, memory: 8, essential: false}]",
        ] {
            assert_eq!(validate(&task(spec)), Ok(()), "{spec}");
        }
    }

    #[test]
    fn refuses_a_spec_over_64_kib() {
        let big = "x".repeat(MAX_TASK_DEFINITION_BYTES);
        let spec = format!(
            "containerDefinitions: [{{name: a, image: i, memory: 8, environment: [{{name: BIG, value: {big}}}]}}]"
        );
        let err = error_of(&spec);
        assert!(err.starts_with("spec: the task definition is"), "{err}");
        assert!(err.contains("64 KiB"), "{err}");
    }

    #[test]
    fn operator_fields_do_not_count_toward_the_size() {
        let tags: Vec<String> = (0..40)
            .map(|i| format!("k{i}: {}", "v".repeat(200)))
            .collect();
        let spec = format!(
            "containerDefinitions: [{{name: a, image: i, memory: 8, environment: [{{name: BIG, value: {}}}]}}]\ntags: {{{}}}",
            "x".repeat(MAX_TASK_DEFINITION_BYTES - 200),
            tags.join(", ")
        );
        assert_eq!(validate(&task(&spec)), Ok(()));
    }

    #[test]
    fn refuses_a_family_change_after_registration() {
        let mut td = task("family: other\ncontainerDefinitions: [{name: a, image: i, memory: 8}]");
        td.status = Some(TaskDefinitionStatus {
            family: Some("web".into()),
            ..Default::default()
        });
        let err = validate(&td).unwrap_err();
        assert!(err.contains("spec.family is immutable"), "{err}");
        td.spec.family = None;
        assert_eq!(validate(&td), Ok(()));
    }

    #[test]
    fn refuses_a_metadata_name_that_is_no_family() {
        let mut td = task("containerDefinitions: [{name: a, image: i, memory: 8}]");
        td.metadata.name = Some("web.prod".into());
        assert!(validate(&td).unwrap_err().starts_with("metadata.name:"));
    }
}
