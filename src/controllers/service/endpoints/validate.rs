//! Checks of `spec.kubernetesService` before any call: the ports among themselves, then against the task
//! definition when it is known (awsvpc networking, container names and port mappings).

use std::collections::BTreeSet;

use crate::api::kubernetes_service::KubernetesService;
use crate::api::task_definition::TaskDefinitionSpec;

/// The checks that need nothing but the spec.
pub fn spec(ks: &KubernetesService) -> Result<(), String> {
    if ks.ports.is_empty() {
        return Err("spec.kubernetesService.ports: list at least one port".into());
    }
    let mut names = BTreeSet::new();
    let mut ports = BTreeSet::new();
    for (i, p) in ks.ports.iter().enumerate() {
        let at = format!("spec.kubernetesService.ports[{i}]");
        if !names.insert(p.name.as_str()) {
            return Err(format!(
                "{at}.name: {} is used by two ports; give each port its own name",
                p.name
            ));
        }
        if !ports.insert((p.port, p.protocol)) {
            return Err(format!(
                "{at}.port: {} {} is listed twice; a Service port and protocol may appear once",
                p.port,
                p.protocol.as_str()
            ));
        }
        if !(1..=65535).contains(&p.port) || !(1..=65535).contains(&p.container_port) {
            return Err(format!(
                "{at}: port and containerPort must be between 1 and 65535"
            ));
        }
    }
    Ok(())
}

/// The checks against the task definition the service runs (a `TaskDefinition` object of this namespace).
pub fn against(ks: &KubernetesService, td: &TaskDefinitionSpec) -> Result<(), String> {
    let mode = td
        .network_mode
        .as_ref()
        .and_then(|m| serde_json::to_value(m).ok())
        .and_then(|v| v.as_str().map(str::to_owned));
    if mode.as_deref() != Some("awsvpc") {
        return Err(format!(
            "spec.kubernetesService needs a task definition with networkMode awsvpc (it has {}): only awsvpc tasks \
             have an address of their own; bridge and host tasks would need the container instance's address and \
             EC2 read permissions the operator does not hold. Use networkMode awsvpc or remove kubernetesService",
            mode.as_deref().unwrap_or("the default, bridge")
        ));
    }
    for (i, p) in ks.ports.iter().enumerate() {
        let at = format!("spec.kubernetesService.ports[{i}]");
        let containers: Vec<_> = td
            .container_definitions
            .iter()
            .filter(|c| p.container_name.as_ref().is_none_or(|n| *n == c.name))
            .collect();
        if containers.is_empty() {
            return Err(format!(
                "{at}.containerName: the task definition has no container {}",
                p.container_name.as_deref().unwrap_or_default()
            ));
        }
        let mapped = containers
            .iter()
            .flat_map(|c| &c.port_mappings)
            .any(|m| m.container_port == Some(p.container_port));
        if !mapped {
            return Err(format!(
                "{at}.containerPort: {} is not a portMappings[].containerPort of {} in the task definition; add \
                 the port mapping or use one of the mapped ports",
                p.container_port,
                p.container_name.as_deref().unwrap_or("any container")
            ));
        }
    }
    Ok(())
}

/// Whether an essential container of the task definition has a health check (ECS then reports UNKNOWN while it
/// is evaluated, which is not ready).
pub fn health_checked(td: &TaskDefinitionSpec) -> bool {
    td.container_definitions
        .iter()
        .filter(|c| c.essential != Some(false))
        .any(|c| c.health_check.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ks(value: serde_json::Value) -> KubernetesService {
        serde_json::from_value(value).unwrap()
    }

    fn td(mode: &str) -> TaskDefinitionSpec {
        serde_json::from_value(
            json!({"family": "web", "networkMode": mode, "containerDefinitions": [
            {"name": "app", "image": "nginx", "portMappings": [{"containerPort": 8080}]}]}),
        )
        .unwrap()
    }

    #[test]
    fn names_the_field_of_bad_ports() {
        let twice = ks(
            json!({"ports": [{"name": "a", "port": 80, "containerPort": 8080},
                                        {"name": "a", "port": 81, "containerPort": 8080}]}),
        );
        assert!(
            spec(&twice)
                .unwrap_err()
                .starts_with("spec.kubernetesService.ports[1].name")
        );
        let same_port = ks(
            json!({"ports": [{"name": "a", "port": 80, "containerPort": 8080},
                                            {"name": "b", "port": 80, "containerPort": 8081}]}),
        );
        assert!(
            spec(&same_port)
                .unwrap_err()
                .starts_with("spec.kubernetesService.ports[1].port")
        );
        let udp = ks(
            json!({"ports": [{"name": "a", "port": 80, "containerPort": 8080},
                                      {"name": "b", "port": 80, "containerPort": 8080, "protocol": "UDP"}]}),
        );
        assert_eq!(spec(&udp), Ok(()));
    }

    #[test]
    fn the_container_port_must_be_mapped_and_the_network_awsvpc() {
        let good = ks(json!({"ports": [{"name": "http", "port": 80, "containerPort": 8080}]}));
        assert_eq!(against(&good, &td("awsvpc")), Ok(()));
        let err = against(&good, &td("bridge")).unwrap_err();
        assert!(
            err.contains("networkMode awsvpc") && err.contains("bridge"),
            "{err}"
        );
        let unmapped = ks(json!({"ports": [{"name": "http", "port": 80, "containerPort": 9090}]}));
        let err = against(&unmapped, &td("awsvpc")).unwrap_err();
        assert!(
            err.starts_with("spec.kubernetesService.ports[0].containerPort: 9090"),
            "{err}"
        );
        let other = ks(
            json!({"ports": [{"name": "http", "port": 80, "containerName": "sidecar",
                                         "containerPort": 8080}]}),
        );
        assert!(
            against(&other, &td("awsvpc"))
                .unwrap_err()
                .contains("no container sidecar")
        );
    }
}
