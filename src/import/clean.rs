//! Makes imported specs read like hand-written ones: ECS's defaults dropped (a field left out is not managed, so
//! dropping a default never makes drift), empty values pruned, and Kubernetes object names made from ECS names.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The defaults ECS gives a service created without the field (`path` is dot-separated within the spec).
pub fn service_defaults() -> Vec<(&'static str, Value)> {
    vec![
        ("schedulingStrategy", json!("REPLICA")),
        ("deploymentController", json!({"type": "ECS"})),
        ("deploymentConfiguration.maximumPercent", json!(200)),
        ("deploymentConfiguration.minimumHealthyPercent", json!(100)),
        (
            "deploymentConfiguration.deploymentCircuitBreaker",
            json!({"enable": false, "rollback": false}),
        ),
        ("deploymentConfiguration.strategy", json!("ROLLING")),
        ("deploymentConfiguration.bakeTimeInMinutes", json!(0)),
        ("enableECSManagedTags", json!(false)),
        ("enableExecuteCommand", json!(false)),
        ("propagateTags", json!("NONE")),
        ("healthCheckGracePeriodSeconds", json!(0)),
        ("platformVersion", json!("LATEST")),
        (
            "networkConfiguration.awsvpcConfiguration.assignPublicIp",
            json!("DISABLED"),
        ),
    ]
}

/// The defaults ECS gives a cluster created without the field.
pub fn cluster_defaults() -> Vec<(&'static str, Value)> {
    vec![(
        "configuration.executeCommandConfiguration.logging",
        json!("DEFAULT"),
    )]
}

/// The defaults ECS gives an Auto Scaling group capacity provider created without the field.
pub fn provider_defaults() -> Vec<(&'static str, Value)> {
    vec![
        (
            "autoScalingGroupProvider.managedScaling.status",
            json!("DISABLED"),
        ),
        (
            "autoScalingGroupProvider.managedScaling.targetCapacity",
            json!(100),
        ),
        (
            "autoScalingGroupProvider.managedScaling.minimumScalingStepSize",
            json!(1),
        ),
        (
            "autoScalingGroupProvider.managedScaling.maximumScalingStepSize",
            json!(10000),
        ),
        (
            "autoScalingGroupProvider.managedScaling.instanceWarmupPeriod",
            json!(300),
        ),
        (
            "autoScalingGroupProvider.managedTerminationProtection",
            json!("DISABLED"),
        ),
        ("autoScalingGroupProvider.managedDraining", json!("ENABLED")),
    ]
}

/// `spec` without the fields that hold ECS's default, and without nulls, empty lists and empty objects.
pub fn without_defaults(mut spec: Value, defaults: &[(&str, Value)]) -> Value {
    for (path, default) in defaults {
        remove_if(&mut spec, path, default);
    }
    prune(spec)
}

fn remove_if(value: &mut Value, path: &str, default: &Value) {
    let (head, rest) = path
        .split_once('.')
        .map_or((path, None), |(h, r)| (h, Some(r)));
    let Some(map) = value.as_object_mut() else {
        return;
    };
    match rest {
        None => {
            if map.get(head).is_some_and(|v| same(v, default)) {
                map.remove(head);
            }
        }
        Some(rest) => {
            if let Some(inner) = map.get_mut(head) {
                remove_if(inner, rest, default);
            }
        }
    }
}

fn same(value: &Value, default: &Value) -> bool {
    match (value, default) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => value == default,
    }
}

/// Drops nulls, empty lists and empty objects, inside out.
pub fn prune(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, prune(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(prune).collect()),
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

/// Tags worth importing: not the operator's own (`ecsbridge.dev/`) and not AWS's (`aws:`).
pub fn user_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !k.starts_with("ecsbridge.dev/") && !k.starts_with("aws:"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Most characters of an object name made from an ECS name (a DNS label, so that it fits every use of it).
const MAX_NAME: usize = 63;

/// A Kubernetes object name from an ECS name (ECS allows letters, digits, `-` and `_`, up to 255): lower case,
/// `_` and anything else as `-`, no `-` at either end, at most 63 characters (with a short hash of the ECS name
/// when it had to be cut).
pub fn object_name(ecs_name: &str) -> String {
    let mut name = String::new();
    for c in ecs_name.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && (name.is_empty() || name.ends_with('-'))) {
            name.push(c);
        }
    }
    let mut name = name.trim_end_matches('-').to_owned();
    if name.is_empty() {
        name = "ecs".to_owned();
    }
    if name.len() > MAX_NAME {
        name.truncate(MAX_NAME - 9);
        name = format!("{}-{}", name.trim_end_matches('-'), short_hash(ecs_name));
    }
    name
}

fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Object names for ECS names that must be unique among each other: [`object_name`], and where two ECS names
/// give the same name (`Web` and `web`), each gets a short hash of its ECS name.
pub fn unique_names<'a>(ecs_names: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, String> {
    let ecs_names: BTreeSet<&str> = ecs_names.into_iter().collect();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for ecs in &ecs_names {
        *count.entry(object_name(ecs)).or_default() += 1;
    }
    ecs_names
        .into_iter()
        .map(|ecs| {
            let name = object_name(ecs);
            let name = if count[&name] > 1 {
                let mut base = name;
                base.truncate(MAX_NAME - 9);
                format!("{}-{}", base.trim_end_matches('-'), short_hash(ecs))
            } else {
                name
            };
            (ecs.to_owned(), name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_ecs_defaults_and_keeps_the_rest() {
        let spec = json!({
            "desiredCount": 2,
            "schedulingStrategy": "REPLICA",
            "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 50,
                "deploymentCircuitBreaker": {"enable": false, "rollback": false}},
            "deploymentController": {"type": "ECS"},
            "enableExecuteCommand": false,
            "placementConstraints": [],
            "platformVersion": null,
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"], "assignPublicIp": "DISABLED"}},
        });
        assert_eq!(
            without_defaults(spec, &service_defaults()),
            json!({
                "desiredCount": 2,
                "deploymentConfiguration": {"minimumHealthyPercent": 50},
                "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"]}},
            })
        );
    }

    #[test]
    fn keeps_a_value_that_is_not_the_default() {
        let spec = json!({"schedulingStrategy": "DAEMON", "enableExecuteCommand": true,
            "deploymentController": {"type": "CODE_DEPLOY"}});
        assert_eq!(without_defaults(spec.clone(), &service_defaults()), spec);
    }

    #[test]
    fn names_are_valid_kubernetes_names() {
        assert_eq!(object_name("web"), "web");
        assert_eq!(object_name("My_Service"), "my-service");
        assert_eq!(object_name("__a--b__"), "a-b");
        assert_eq!(object_name("___"), "ecs");
        let long = object_name(&"x".repeat(255));
        assert!(long.len() <= 63, "{long}");
        assert!(long.starts_with("xxxx") && !long.ends_with('-'));
        assert_ne!(object_name(&"x".repeat(255)), object_name(&"x".repeat(254)));
    }

    #[test]
    fn names_that_collide_get_a_hash_each() {
        let names = unique_names(["Web", "web", "api"]);
        assert_eq!(names["api"], "api");
        assert_ne!(names["Web"], names["web"]);
        assert!(names["Web"].starts_with("web-") && names["web"].starts_with("web-"));
    }

    #[test]
    fn imports_only_the_users_tags() {
        let tags: BTreeMap<String, String> = [
            ("team", "a"),
            ("aws:cloudformation:stack-name", "s"),
            ("ecsbridge.dev/owner", "x/y"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(user_tags(&tags).keys().collect::<Vec<_>>(), vec!["team"]);
    }
}
