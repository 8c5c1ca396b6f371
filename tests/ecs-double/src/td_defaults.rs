//! What ECS fills into a registered task definition (`docs/ecs-behaviour.md` entries 33–43): health check timing,
//! port mapping protocol and host port, empty lists, dropped empty environment values, volume and task-size
//! defaults, and `compatibilities`. Environment and secrets come back in a stable order that is not the order
//! registered (entry 39).

use serde_json::{Map, Value, json};

use crate::validate::units;

/// Container list members ECS returns as `[]` when the request left them out (entry 36).
const EMPTY_CONTAINER_LISTS: [&str; 5] = [
    "environment",
    "mountPoints",
    "volumesFrom",
    "portMappings",
    "systemControls",
];

/// Fills the defaults into a RegisterTaskDefinition request body, as ECS stores it.
pub fn fill(body: &mut Map<String, Value>) {
    let network_mode = body
        .get("networkMode")
        .and_then(Value::as_str)
        .unwrap_or("bridge")
        .to_owned();
    for (member, unit) in [("cpu", "vcpu"), ("memory", "gb")] {
        let converted = body
            .get(member)
            .and_then(Value::as_str)
            .and_then(|text| units(text, unit));
        if let Some(value) = converted {
            body.insert(member.into(), json!(value.to_string()));
        }
    }
    for member in ["placementConstraints", "volumes"] {
        body.entry(member).or_insert_with(|| json!([]));
    }
    for volume in objects(body.get_mut("volumes")) {
        volume
            .entry("configuredAtLaunch")
            .or_insert(Value::Bool(false));
    }
    let fargate = body
        .get("requiresCompatibilities")
        .and_then(Value::as_array)
        .is_some_and(|l| l.iter().any(|c| c == "FARGATE"));
    let compatibilities = match fargate {
        true => json!(["EC2", "FARGATE"]),
        false => json!(["EXTERNAL", "EC2"]),
    };
    body.insert("compatibilities".into(), compatibilities);
    for container in objects(body.get_mut("containerDefinitions")) {
        fill_container(container, &network_mode);
    }
}

fn fill_container(container: &mut Map<String, Value>, network_mode: &str) {
    container.entry("essential").or_insert(Value::Bool(true));
    container.entry("cpu").or_insert(json!(0));
    for member in EMPTY_CONTAINER_LISTS {
        container.entry(member).or_insert_with(|| json!([]));
    }
    if let Some(Value::Array(environment)) = container.get_mut("environment") {
        environment.retain(|e| {
            e.get("value")
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty())
        });
    }
    for member in ["environment", "secrets"] {
        if let Some(Value::Array(list)) = container.get_mut(member) {
            list.reverse();
        }
    }
    for port in objects(container.get_mut("portMappings")) {
        port.entry("protocol").or_insert(json!("tcp"));
        if network_mode == "awsvpc"
            && !port.contains_key("hostPort")
            && let Some(container_port) = port.get("containerPort").cloned()
        {
            port.insert("hostPort".into(), container_port);
        }
    }
    if let Some(Value::Object(check)) = container.get_mut("healthCheck") {
        for (member, default) in [("interval", 30), ("timeout", 5), ("retries", 3)] {
            check.entry(member).or_insert(json!(default));
        }
    }
}

/// The objects of a JSON list member, if it is one.
fn objects(list: Option<&mut Value>) -> impl Iterator<Item = &mut Map<String, Value>> {
    list.and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request of the CLI example `register-task-definition` (sleep360) and the response it shows.
    #[test]
    fn fills_what_the_cli_example_shows() {
        let mut body = json!({
            "family": "sleep360",
            "containerDefinitions": [{"name": "sleep", "image": "busybox", "cpu": 10,
                                      "command": ["sleep", "360"], "memory": 10, "essential": true}]
        });
        fill(body.as_object_mut().unwrap());
        let container = &body["containerDefinitions"][0];
        for member in ["environment", "mountPoints", "portMappings", "volumesFrom"] {
            assert_eq!(container[member], json!([]), "{member}");
        }
        assert_eq!(body["volumes"], json!([]));
        assert_eq!(body["placementConstraints"], json!([]));
        assert_eq!(body["compatibilities"], json!(["EXTERNAL", "EC2"]));
        assert!(body.get("networkMode").is_none(), "entry 41: left out");
    }

    #[test]
    fn fills_ports_health_checks_environment_and_sizes() {
        let mut body = json!({
            "networkMode": "awsvpc", "cpu": "1 vCPU", "memory": "2 GB",
            "requiresCompatibilities": ["FARGATE"],
            "volumes": [{"name": "data"}],
            "containerDefinitions": [{"name": "web", "image": "nginx",
                "portMappings": [{"containerPort": 80}, {"containerPort": 53, "hostPort": 53, "protocol": "udp"}],
                "healthCheck": {"command": ["CMD", "true"], "retries": 5},
                "environment": [{"name": "A", "value": "1"}, {"name": "EMPTY", "value": ""},
                                {"name": "NONE"}, {"name": "B", "value": "2"}]}]
        });
        fill(body.as_object_mut().unwrap());
        assert_eq!(
            (&body["cpu"], &body["memory"]),
            (&json!("1024"), &json!("2048"))
        );
        assert_eq!(body["volumes"][0]["configuredAtLaunch"], false);
        assert_eq!(body["compatibilities"], json!(["EC2", "FARGATE"]));
        let container = &body["containerDefinitions"][0];
        assert_eq!(
            container["portMappings"],
            json!([{"containerPort": 80, "hostPort": 80, "protocol": "tcp"},
                   {"containerPort": 53, "hostPort": 53, "protocol": "udp"}])
        );
        assert_eq!(
            container["healthCheck"],
            json!({"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 5})
        );
        assert_eq!(
            container["environment"],
            json!([{"name": "B", "value": "2"}, {"name": "A", "value": "1"}])
        );
        assert_eq!(
            (&container["essential"], &container["cpu"]),
            (&json!(true), &json!(0))
        );
    }

    #[test]
    fn bridge_mode_leaves_the_host_port_out() {
        let mut body = json!({"containerDefinitions": [{"name": "web", "portMappings": [{"containerPort": 80}]}]});
        fill(body.as_object_mut().unwrap());
        assert_eq!(
            body["containerDefinitions"][0]["portMappings"],
            json!([{"containerPort": 80, "protocol": "tcp"}])
        );
    }
}
