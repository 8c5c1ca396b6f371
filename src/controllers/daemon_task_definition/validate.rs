//! Checks of a `DaemonTaskDefinition` that the schema cannot express, before any AWS call.

use std::collections::BTreeSet;

use crate::api::DaemonTaskDefinition;

/// Container names are unique, mount points name a volume of the task, and a volume is a host path or a log
/// driver volume, not both.
pub fn validate(dtd: &DaemonTaskDefinition) -> Result<(), String> {
    let spec = &dtd.spec;
    let mut names = BTreeSet::new();
    for (i, container) in spec.container_definitions.iter().enumerate() {
        if !names.insert(container.name.as_str()) {
            return Err(format!(
                "spec.containerDefinitions[{i}].name: {} is used by another container; give each container its \
                 own name",
                container.name
            ));
        }
    }
    let volumes: BTreeSet<&str> = spec.volumes.iter().map(|v| v.name.as_str()).collect();
    for (i, volume) in spec.volumes.iter().enumerate() {
        if volume.host.is_some() && volume.log_driver_volume_configuration.is_some() {
            return Err(format!(
                "spec.volumes[{i}]: set either host or logDriverVolumeConfiguration, not both (ECS takes one)"
            ));
        }
    }
    for (i, container) in spec.container_definitions.iter().enumerate() {
        for (j, mount) in container.mount_points.iter().enumerate() {
            if let Some(volume) = mount.source_volume.as_deref()
                && !volumes.contains(volume)
            {
                return Err(format!(
                    "spec.containerDefinitions[{i}].mountPoints[{j}].sourceVolume: {volume} is not a volume of \
                     spec.volumes; add it there or fix the name"
                ));
            }
        }
    }
    Ok(())
}
