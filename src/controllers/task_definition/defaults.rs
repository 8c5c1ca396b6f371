//! The values ECS fills into a task definition when a field is left out (`docs/ecs-behaviour.md` entries 33–43 and
//! 56), removed so that a value left out and ECS's default for it read the same on both sides of a comparison; pure.

use serde_json::{Map, Value};

/// Removes ECS's defaults from one container definition of a task in `network_mode`.
pub fn drop_container_defaults(container: &mut Map<String, Value>, network_mode: &str) {
    remove_if(container, "essential", |v| v == &Value::Bool(true));
    remove_if(container, "cpu", |v| v.as_i64() == Some(0));
    if let Some(Value::Array(environment)) = container.get_mut("environment") {
        // Entry 38: ECS drops a variable without a value. Whether it keeps `value: ""` is disputed: such a
        // variable is content, so adding or removing one is a change (a revision ECS registered without it is
        // vouched for by status, not by this comparison).
        environment.retain(|e| e.get("value").is_some_and(Value::is_string));
    }
    for port in objects(container.get_mut("portMappings")) {
        remove_if(port, "protocol", |v| v == "tcp");
        let host_port = port.get("hostPort");
        let filled_in = match network_mode {
            // Entry 34: awsvpc sets the host port to the container port; host mode allows only that value.
            "awsvpc" | "host" => host_port == port.get("containerPort"),
            // Entry 34: in bridge mode 0 asks for a dynamic port, like leaving the host port out.
            _ => host_port.and_then(Value::as_i64) == Some(0),
        };
        if filled_in {
            port.remove("hostPort");
        }
    }
    if let Some(Value::Object(check)) = container.get_mut("healthCheck") {
        // Entry 33; startPeriod is "off" by default, which may come back as 0.
        for (member, default) in [
            ("interval", 30),
            ("timeout", 5),
            ("retries", 3),
            ("startPeriod", 0),
        ] {
            remove_if(check, member, |v| v.as_i64() == Some(default));
        }
    }
}

/// Removes ECS's defaults from the task-level `volumes` (entries 40 and 56).
pub fn drop_volume_defaults(volumes: Option<&mut Value>) {
    for volume in objects(volumes) {
        remove_if(volume, "configuredAtLaunch", |v| v == &Value::Bool(false));
        if let Some(Value::Object(efs)) = volume.get_mut("efsVolumeConfiguration") {
            remove_if(efs, "transitEncryption", |v| v == "DISABLED");
            remove_if(efs, "rootDirectory", |v| v == "/");
            if let Some(Value::Object(auth)) = efs.get_mut("authorizationConfig") {
                remove_if(auth, "iam", |v| v == "DISABLED");
            }
        }
    }
}

fn remove_if(map: &mut Map<String, Value>, member: &str, is_default: impl Fn(&Value) -> bool) {
    if map.get(member).is_some_and(is_default) {
        map.remove(member);
    }
}

/// The objects of a JSON list, if it is one.
pub fn objects(list: Option<&mut Value>) -> impl Iterator<Item = &mut Map<String, Value>> {
    list.and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

#[cfg(test)]
mod tests {
    use super::super::normalize::content_hash;
    use serde_json::json;

    /// CLI example `register-task-definition` (example 1): the request and the task definition ECS answers with.
    #[test]
    fn the_cli_sleep360_example_hashes_like_its_input() {
        let input = json!({
            "containerDefinitions": [{"name": "sleep", "image": "busybox", "cpu": 10,
                                      "command": ["sleep", "360"], "memory": 10, "essential": true}],
            "family": "sleep360"
        });
        let output = json!({
            "taskDefinitionArn": "arn:aws:ecs:us-west-2:123456789012:task-definition/sleep360:2",
            "containerDefinitions": [{
                "name": "sleep", "image": "busybox", "cpu": 10, "memory": 10, "portMappings": [],
                "essential": true, "command": ["sleep", "360"], "environment": [], "mountPoints": [],
                "volumesFrom": []
            }],
            "family": "sleep360", "revision": 2, "volumes": [], "status": "ACTIVE",
            "placementConstraints": [], "compatibilities": ["EC2"]
        });
        assert_eq!(content_hash(&input), content_hash(&output));
    }

    /// CLI example `describe-task-definition` (hello_world:8, bridge mode): no protocol on its port mapping, empty
    /// lists and ECS's own members; the input is what it was registered with.
    #[test]
    fn the_cli_hello_world_example_hashes_like_its_input() {
        let input = json!({
            "family": "hello_world",
            "containerDefinitions": [
                {"name": "wordpress", "links": ["mysql"], "image": "wordpress", "essential": true,
                 "portMappings": [{"containerPort": 80, "hostPort": 80}], "memory": 500, "cpu": 10},
                {"name": "mysql", "image": "mysql", "cpu": 10, "memory": 500, "essential": true,
                 "environment": [{"name": "MYSQL_ROOT_PASSWORD", "value": "password"}]}
            ]
        });
        let output = json!({
            "volumes": [], "taskDefinitionArn": "arn:aws:ecs:us-east-1:012345678910:task-definition/hello_world:8",
            "containerDefinitions": [
                {"environment": [{"name": "MYSQL_ROOT_PASSWORD", "value": "password"}], "name": "mysql",
                 "mountPoints": [], "image": "mysql", "cpu": 10, "portMappings": [], "memory": 500,
                 "essential": true, "volumesFrom": []},
                {"name": "wordpress", "links": ["mysql"], "mountPoints": [], "image": "wordpress",
                 "essential": true, "portMappings": [{"containerPort": 80, "hostPort": 80}], "memory": 500,
                 "cpu": 10, "volumesFrom": []}
            ],
            "family": "hello_world", "revision": 8
        });
        assert_eq!(content_hash(&input), content_hash(&output));
    }

    /// A Fargate task as DescribeTaskDefinition returns it (terraform-provider-aws issue 21861 shape): every
    /// default of entries 33–43 filled in, environment reordered, the empty variable gone. Entry 38: without the
    /// empty variable the input hashes like the answer; with it, it does not (ECS may have kept or dropped it).
    #[test]
    fn a_fargate_task_with_every_default_filled_in_hashes_like_its_input() {
        let mut input = json!({
            "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "1 vCPU", "memory": "2 GB",
            "volumes": [{"name": "scratch"},
                        {"name": "efs", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}],
            "containerDefinitions": [{
                "name": "web", "image": "nginx:1.27",
                "portMappings": [{"containerPort": 80}],
                "healthCheck": {"command": ["CMD-SHELL", "curl -f localhost"]},
                "environment": [{"name": "A", "value": "1"}, {"name": "EMPTY", "value": ""},
                                {"name": "B", "value": "2"}]
            }]
        });
        let output = json!({
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/web:1", "family": "web",
            "revision": 1, "status": "ACTIVE", "networkMode": "awsvpc", "cpu": "1024", "memory": "2048",
            "requiresCompatibilities": ["FARGATE"], "compatibilities": ["EC2", "FARGATE"],
            "placementConstraints": [], "registeredAt": "2026-01-01T00:00:00Z", "registeredBy": "arn:x",
            "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.task-eni"}],
            "volumes": [{"name": "scratch", "host": {}, "configuredAtLaunch": false},
                        {"name": "efs", "configuredAtLaunch": false,
                         "efsVolumeConfiguration": {"fileSystemId": "fs-1", "rootDirectory": "/",
                                                    "transitEncryption": "DISABLED"}}],
            "containerDefinitions": [{
                "name": "web", "image": "nginx:1.27", "cpu": 0, "essential": true,
                "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
                "healthCheck": {"command": ["CMD-SHELL", "curl -f localhost"], "interval": 30,
                                "timeout": 5, "retries": 3},
                "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
                "mountPoints": [], "volumesFrom": [], "systemControls": []
            }]
        });
        assert_ne!(content_hash(&input), content_hash(&output));
        input["containerDefinitions"][0]["environment"] =
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]);
        assert_eq!(content_hash(&input), content_hash(&output));
    }

    #[test]
    fn values_other_than_the_defaults_are_content() {
        let base = json!({"networkMode": "bridge", "containerDefinitions": [{"name": "web",
            "portMappings": [{"containerPort": 80}], "healthCheck": {"command": ["CMD", "true"]}}]});
        let mut udp = base.clone();
        udp["containerDefinitions"][0]["portMappings"][0]["protocol"] = json!("udp");
        let mut slow = base.clone();
        slow["containerDefinitions"][0]["healthCheck"]["interval"] = json!(60);
        let mut fixed = base.clone();
        fixed["containerDefinitions"][0]["portMappings"][0]["hostPort"] = json!(8080);
        for changed in [udp, slow, fixed] {
            assert_ne!(content_hash(&base), content_hash(&changed), "{changed}");
        }
        let mut dynamic = base.clone();
        dynamic["containerDefinitions"][0]["portMappings"][0]["hostPort"] = json!(0);
        assert_eq!(
            content_hash(&base),
            content_hash(&dynamic),
            "bridge: 0 is dynamic"
        );
    }
}
