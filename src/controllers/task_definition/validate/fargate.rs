//! What Fargate requires beyond ECS on EC2: awsvpc, a cpu/memory pair from its table, and no host-only settings on
//! the task, its containers or its volumes. Each rule quotes the ECS API reference member it rests on (see also
//! docs/ecs-behaviour.md entry 89).

use super::common::{container_path, network_mode_name};
use crate::api::task_definition::{ContainerDefinition, NetworkMode, PidMode, TaskDefinitionSpec};

/// Checks the task-level Fargate rules: awsvpc, a valid cpu/memory pair, no host-only settings.
pub(super) fn check_fargate_task(
    spec: &TaskDefinitionSpec,
    cpu: Option<u64>,
    memory: Option<u64>,
) -> Result<(), String> {
    // RegisterTaskDefinition networkMode: "For Amazon ECS tasks on Fargate, the awsvpc network mode is required."
    if spec.network_mode != Some(NetworkMode::Awsvpc) {
        return Err(format!(
            "spec.networkMode: Fargate requires awsvpc (found {}); set networkMode: awsvpc",
            network_mode_name(spec.network_mode)
        ));
    }
    // RegisterTaskDefinition cpu: "This field is required for Fargate."; memory: "If using the Fargate launch type,
    // this field is required and you must use one of the following values" (entry 49).
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
    // pidMode: "On Fargate for Linux containers, the only valid value is task."
    if spec.pid_mode == Some(PidMode::Host) {
        return Err(
            "spec.pidMode: Fargate supports only pidMode task; set it to task or remove it".into(),
        );
    }
    // ipcMode: "This parameter is not supported for Windows containers or tasks run on Fargate."; ECS answers "Tasks
    // using the Fargate launch type do not support ipcMode." (cn-terraform/terraform-aws-ecs-fargate#2).
    if spec.ipc_mode.is_some() {
        return Err("spec.ipcMode is not supported on Fargate; remove it".into());
    }
    // TaskDefinitionPlacementConstraint: "Task placement constraints aren't supported for tasks run on Fargate."
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
pub(super) fn check_fargate_containers(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        // privileged: "not supported for Windows containers or tasks run on Fargate"; dockerSecurityOptions: "This
        // field isn't valid for containers in tasks using the Fargate launch type."; links: "only supported if the
        // network mode of a task definition is bridge".
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

/// Checks `linuxParameters` on Fargate: no devices, shared memory or swap; only SYS_PTRACE added.
fn check_fargate_linux_parameters(
    path: &str,
    container: &ContainerDefinition,
) -> Result<(), String> {
    let Some(linux) = &container.linux_parameters else {
        return Ok(());
    };
    // LinuxParameters: "If you're using tasks that use the Fargate launch type, the devices parameter isn't
    // supported", and so for sharedMemorySize, maxSwap and swappiness. tmpfs is a warning (`doubts`): the API
    // reference no longer says so of it.
    let unsupported = [
        ("devices", !linux.devices.is_empty()),
        ("sharedMemorySize", linux.shared_memory_size.is_some()),
        ("maxSwap", linux.max_swap.is_some()),
        ("swappiness", linux.swappiness.is_some()),
    ];
    if let Some((field, _)) = unsupported.iter().find(|(_, set)| *set) {
        return Err(format!(
            "{path}.linuxParameters.{field} is not supported on Fargate; remove it"
        ));
    }
    // KernelCapabilities.add: "Tasks launched on Fargate only support adding the SYS_PTRACE kernel capability."
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
pub(super) fn check_fargate_volumes(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (i, volume) in spec.volumes.iter().enumerate() {
        // HostVolumeProperties.sourcePath: "If you're using the Fargate launch type, the sourcePath parameter is not
        // supported."; Volume.dockerVolumeConfiguration: "Docker volumes aren't supported by tasks run on Fargate."
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_errors, fargate, task};
    use super::super::validate;

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
        ];
        assert!(cases.len() >= 16, "{} cases", cases.len());
        assert_errors(cases);
    }
}
