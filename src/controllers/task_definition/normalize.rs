//! Normalizes task definition content the way ECS treats it, so that equal content hashes equally: lists that
//! are sets in ECS (environment, secrets, containers, ...) are sorted while ordered lists keep their order, ECS's
//! defaults count as "not set", empty lists and variables without a value are dropped, and task cpu/memory units
//! are canonical. The hash names its scheme (`v4:...`): a stored hash of another scheme says nothing about the content.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::defaults::{drop_container_defaults, drop_volume_defaults};

/// The scheme of [`content_hash`]; change it whenever the normalization changes what hashes equally. v3: a
/// variable with `value: ""` is content (entry 38). v4: a role name equals the role ARN ECS makes of it (entry 85).
const HASH_SCHEME: &str = "v4";

/// Task-level members of a RegisterTaskDefinition request; everything else ECS reports (ARN, revision,
/// status, registeredAt, ...) is not content.
const CONTENT_FIELDS: [&str; 16] = [
    "containerDefinitions",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
    "enableFaultInjection",
];

/// Container members whose order carries no meaning in ECS: environment and secrets (entry 39) and the lists
/// keyed by a unique name. `environmentFiles`, `volumesFrom`, `extraHosts`, `mountPoints`, `portMappings` and
/// `links` keep their order (entry 39: their order may carry meaning).
const CONTAINER_SETS: [&str; 6] = [
    "environment",
    "secrets",
    "ulimits",
    "systemControls",
    "resourceRequirements",
    "dependsOn",
];

/// The content hash of task definition content (spec content or what ECS reports).
pub fn content_hash(content: &Value) -> String {
    let normalized = normalize(content);
    let digest = Sha256::digest(canonical_json(&normalized).as_bytes());
    let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("{HASH_SCHEME}:{hex}")
}

/// Whether `hash` was made by the scheme of [`content_hash`], so that comparing it with one says something.
pub fn same_scheme(hash: &str) -> bool {
    hash.split_once(':')
        .is_some_and(|(scheme, _)| scheme == HASH_SCHEME)
}

/// The normalized form of task definition content.
pub fn normalize(content: &Value) -> Value {
    let Some(task) = content.as_object() else {
        return Value::Null;
    };
    let mut out = Map::new();
    for field in CONTENT_FIELDS {
        if let Some(value) = task.get(field) {
            out.insert(field.to_owned(), value.clone());
        }
    }
    let network_mode = out
        .get("networkMode")
        .and_then(Value::as_str)
        .unwrap_or("bridge")
        .to_owned();
    if network_mode == "bridge" {
        out.remove("networkMode");
    }
    for field in ["taskRoleArn", "executionRoleArn"] {
        match out.get(field).and_then(Value::as_str) {
            Some("") => {
                out.remove(field);
            }
            Some(role) => {
                let name = role_name(role).to_owned();
                out.insert(field.to_owned(), Value::String(name));
            }
            None => {}
        }
    }
    if out.get("enableFaultInjection") == Some(&Value::Bool(false)) {
        out.remove("enableFaultInjection");
    }
    for (field, unit) in [("cpu", "vcpu"), ("memory", "gb")] {
        if let Some(Value::String(text)) = out.get(field) {
            let canonical = canonical_units(text, unit);
            out.insert(field.to_owned(), Value::String(canonical));
        }
    }
    for container in super::defaults::objects(out.get_mut("containerDefinitions")) {
        normalize_container(container, &network_mode);
    }
    drop_volume_defaults(out.get_mut("volumes"));
    for field in [
        "containerDefinitions",
        "volumes",
        "placementConstraints",
        "requiresCompatibilities",
    ] {
        if let Some(Value::Array(items)) = out.get_mut(field) {
            sort_as_set(items);
        }
    }
    prune(Value::Object(out))
}

fn normalize_container(container: &mut Map<String, Value>, network_mode: &str) {
    drop_container_defaults(container, network_mode);
    for field in CONTAINER_SETS {
        if let Some(Value::Array(items)) = container.get_mut(field) {
            sort_as_set(items);
        }
    }
}

/// The role a role ARN or name names: ECS answers `arn:aws:iam::<account>:role/<name>` for a name (entry 85), and
/// a role path stays part of it (`role/ecs/exec` is `ecs/exec`).
fn role_name(role: &str) -> &str {
    role.split_once(":role/").map_or(role, |(_, name)| name)
}

/// "1 vCPU" -> "1024", "2 GB" -> "2048"; plain numbers stay as they are.
fn canonical_units(text: &str, unit: &str) -> String {
    let lower = text.trim().to_ascii_lowercase();
    match lower
        .strip_suffix(unit)
        .map(str::trim)
        .and_then(|n| n.parse::<f64>().ok())
    {
        Some(amount) => format!("{}", (amount * 1024.0).round() as i64),
        None => text.trim().to_owned(),
    }
}

fn sort_as_set(items: &mut [Value]) {
    items.sort_by_cached_key(|item| canonical_json(&prune(item.clone())));
}

/// Drops nulls, empty lists and empty objects, recursively.
fn prune(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<_> = map
                .into_iter()
                .map(|(k, v)| (k, prune(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect();
            keys.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(keys.into_iter().collect())
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(prune)
                .filter(|v| !v.is_null())
                .collect(),
        ),
        other => other,
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// JSON with object keys in sorted order, whatever map order serde_json was built with.
fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<_> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        Value::String((*k).clone()),
                        canonical_json(&map[*k])
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn web(env: Value) -> Value {
        json!({
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256",
            "memory": "512",
            "containerDefinitions": [{
                "name": "web", "image": "nginx:1.27",
                "portMappings": [{"containerPort": 80}],
                "environment": env,
            }]
        })
    }

    #[test]
    fn environment_order_does_not_change_the_hash() {
        let a = web(json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]));
        let b = web(json!([{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]));
        assert_eq!(content_hash(&a), content_hash(&b));
    }

    #[test]
    fn a_changed_image_or_value_changes_the_hash() {
        let a = web(json!([{"name": "A", "value": "1"}]));
        let b = web(json!([{"name": "A", "value": "2"}]));
        assert_ne!(content_hash(&a), content_hash(&b));
        let mut c = a.clone();
        c["containerDefinitions"][0]["image"] = json!("nginx:1.28");
        assert_ne!(content_hash(&a), content_hash(&c));
    }

    /// Entry 38: sources disagree on whether ECS keeps a variable whose value is `""`, so adding or removing one
    /// is a change of the spec; a variable without any value is dropped by ECS (and so is no content).
    #[test]
    fn an_empty_variable_is_content_and_one_without_a_value_is_not() {
        let without = web(json!([{"name": "A", "value": "1"}]));
        let empty = web(json!([{"name": "A", "value": "1"}, {"name": "FOO", "value": ""}]));
        assert_ne!(content_hash(&without), content_hash(&empty));
        let no_value = web(json!([{"name": "A", "value": "1"}, {"name": "FOO"}]));
        assert_eq!(content_hash(&without), content_hash(&no_value));
        let null_value = web(json!([{"name": "A", "value": "1"}, {"name": "FOO", "value": null}]));
        assert_eq!(content_hash(&without), content_hash(&null_value));
    }

    #[test]
    fn ecs_defaults_and_reported_fields_equal_not_set() {
        let spec = web(json!([]));
        let mut reported = spec.clone();
        reported["taskDefinitionArn"] = json!("arn:aws:ecs:us-east-1:1:task-definition/web:3");
        reported["revision"] = json!(3);
        reported["status"] = json!("ACTIVE");
        reported["volumes"] = json!([]);
        reported["compatibilities"] = json!(["EC2", "FARGATE"]);
        let container = &mut reported["containerDefinitions"][0];
        container["essential"] = json!(true);
        container["cpu"] = json!(0);
        container["mountPoints"] = json!([]);
        container["portMappings"] =
            json!([{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]);
        assert_eq!(content_hash(&spec), content_hash(&reported));
    }

    /// Entry 85: ECS answers the ARN for a role name; an empty role is no role.
    #[test]
    fn a_role_name_hashes_like_the_arn_ecs_makes_of_it() {
        let named = json!({"executionRoleArn": "ecsTaskExecutionRole", "taskRoleArn": "",
                           "containerDefinitions": [{"name": "web", "image": "nginx"}]});
        let described = json!({"executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
                               "containerDefinitions": [{"name": "web", "image": "nginx"}]});
        assert_eq!(content_hash(&named), content_hash(&described));
        let other = json!({"executionRoleArn": "arn:aws:iam::123456789012:role/otherRole",
                           "containerDefinitions": [{"name": "web", "image": "nginx"}]});
        assert_ne!(content_hash(&named), content_hash(&other));
    }

    #[test]
    fn units_are_canonical() {
        let mut a = web(json!([]));
        a["cpu"] = json!("1 vCPU");
        a["memory"] = json!("2 GB");
        let mut b = web(json!([]));
        b["cpu"] = json!("1024");
        b["memory"] = json!("2048");
        assert_eq!(content_hash(&a), content_hash(&b));
    }

    #[test]
    fn bridge_mode_host_ports_are_kept() {
        let mut a = web(json!([]));
        a["networkMode"] = json!("bridge");
        let mut b = a.clone();
        b["containerDefinitions"][0]["portMappings"] =
            json!([{"containerPort": 80, "hostPort": 80}]);
        assert_ne!(
            content_hash(&a),
            content_hash(&b),
            "a fixed host port in bridge mode is real content"
        );
    }

    #[test]
    fn ordered_container_lists_keep_their_order() {
        let lists = [
            (
                "environmentFiles",
                json!([{"value": "arn:a", "type": "s3"}, {"value": "arn:b", "type": "s3"}]),
            ),
            (
                "volumesFrom",
                json!([{"sourceContainer": "a"}, {"sourceContainer": "b"}]),
            ),
            (
                "extraHosts",
                json!([{"hostname": "a", "ipAddress": "10.0.0.1"}, {"hostname": "a", "ipAddress": "10.0.0.2"}]),
            ),
        ];
        for (member, list) in lists {
            let mut a = web(json!([]));
            a["containerDefinitions"][0][member] = list.clone();
            let mut b = a.clone();
            let mut reversed = list.as_array().unwrap().clone();
            reversed.reverse();
            b["containerDefinitions"][0][member] = Value::Array(reversed);
            assert_ne!(content_hash(&a), content_hash(&b), "{member} is ordered");
        }
    }

    #[test]
    fn the_hash_names_its_scheme() {
        let hash = content_hash(&web(json!([])));
        assert!(hash.starts_with("v4:") && same_scheme(&hash), "{hash}");
        assert!(
            !same_scheme("0123456789abcdef0123"),
            "a hash from before schemes"
        );
        assert!(!same_scheme("v1:0123") && !same_scheme("v2:0123"));
    }

    #[test]
    fn command_order_matters() {
        let mut a = web(json!([]));
        a["containerDefinitions"][0]["command"] = json!(["a", "b"]);
        let mut b = a.clone();
        b["containerDefinitions"][0]["command"] = json!(["b", "a"]);
        assert_ne!(content_hash(&a), content_hash(&b));
    }
}
