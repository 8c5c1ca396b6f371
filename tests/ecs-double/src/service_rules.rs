//! What ECS does to a service request before it acts on it: the members it fills in when a request leaves them
//! out, how it shows the launch type beside a capacity provider strategy, and the requests it refuses for DAEMON
//! services and for services of another deployment controller.

use serde_json::{Map, Value, json};

use crate::dispatch::Ctx;
use crate::protocol::ApiError;
use crate::request::Request;
use crate::settings::Broken;
use crate::state::Service;

pub fn strategy_in_use(config: &Map<String, Value>) -> bool {
    config
        .get("capacityProviderStrategy")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty())
}

/// A member of `config` as shown: a launch type is hidden while a capacity provider strategy is in use.
pub fn shown<'a>(config: &'a Map<String, Value>, member: &str) -> Option<&'a Value> {
    if member == "launchType" && strategy_in_use(config) {
        return None;
    }
    config.get(member)
}

/// Fills in what ECS fills in when a request leaves it out. `default_strategy` is the cluster's default
/// capacity provider strategy (used at creation only).
pub fn fill_defaults(config: &mut Map<String, Value>, default_strategy: &[Value]) {
    let daemon = config.get("schedulingStrategy") == Some(&json!("DAEMON"));
    let mut defaults = vec![
        ("schedulingStrategy", json!("REPLICA")),
        ("deploymentController", json!({"type": "ECS"})),
        ("enableECSManagedTags", json!(false)),
        ("propagateTags", json!("NONE")),
        ("enableExecuteCommand", json!(false)),
        ("healthCheckGracePeriodSeconds", json!(0)),
        ("loadBalancers", json!([])),
        ("serviceRegistries", json!([])),
        ("placementConstraints", json!([])),
        ("placementStrategy", json!([])),
    ];
    if !strategy_in_use(config) && !config.contains_key("launchType") {
        if default_strategy.is_empty() {
            defaults.push(("launchType", json!("EC2")));
        } else {
            defaults.push(("capacityProviderStrategy", json!(default_strategy)));
        }
    }
    for (member, value) in defaults {
        config.entry(member).or_insert(value);
    }
    let (maximum, minimum) = if daemon { (100, 0) } else { (200, 100) };
    let deployment = config
        .entry("deploymentConfiguration")
        .or_insert_with(|| json!({}));
    if let Value::Object(d) = deployment {
        d.entry("maximumPercent").or_insert(json!(maximum));
        d.entry("minimumHealthyPercent").or_insert(json!(minimum));
        d.entry("deploymentCircuitBreaker")
            .or_insert(json!({"enable": false, "rollback": false}));
    }
    let fargate = shown(config, "launchType") == Some(&json!("FARGATE"))
        || config
            .get("capacityProviderStrategy")
            .and_then(Value::as_array)
            .is_some_and(|s| {
                s.iter().any(|i| {
                    i["capacityProvider"]
                        .as_str()
                        .is_some_and(|p| p.starts_with("FARGATE"))
                })
            });
    if fargate {
        config.entry("platformVersion").or_insert(json!("LATEST"));
    }
}

/// ECS's rules for DAEMON services: no desired count (one task per container instance), no Fargate, no capacity
/// provider strategy (the cluster's default included: [`DAEMON_WITH_STRATEGY`]).
pub fn check_daemon(req: &Request, ctx: &Ctx) -> Result<(), ApiError> {
    if req.value("desiredCount").is_some() && ctx.holds(Broken::DaemonDesiredCount) {
        return Err(ApiError::invalid(
            "The daemon scheduling strategy does not support a desired count for services.",
        ));
    }
    if req.str("launchType")? == Some("FARGATE") {
        return Err(ApiError::invalid(
            "The daemon scheduling strategy is not supported with the Fargate launch type.",
        ));
    }
    if req.value("capacityProviderStrategy").is_some() {
        return Err(ApiError::invalid(DAEMON_WITH_STRATEGY));
    }
    Ok(())
}

/// ECS's refusal of a DAEMON service with a capacity provider strategy, also one it would take from the cluster's
/// default (catalogue entry 8, containers-roadmap #692).
pub const DAEMON_WITH_STRATEGY: &str = "Specifying a capacity provider strategy is not supported when you create a service using the DAEMON scheduling strategy.";

/// UpdateService members that a CODE_DEPLOY service changes only through CodeDeploy, and an EXTERNAL one only
/// through task sets (the UpdateService API reference).
const CONTROLLED_MEMBERS: [&str; 5] = [
    "taskDefinition",
    "networkConfiguration",
    "platformVersion",
    "loadBalancers",
    "serviceRegistries",
];

pub fn check_controller(service: &Service, req: &Request) -> Result<(), ApiError> {
    let controller = service
        .config
        .get("deploymentController")
        .and_then(|c| c.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("ECS");
    if controller == "ECS" {
        return Ok(());
    }
    match CONTROLLED_MEMBERS.iter().find(|m| req.value(m).is_some()) {
        Some(member) => Err(ApiError::invalid(format!(
            "Unable to update {member} on a service using the {controller} deployment controller. Use \
             {} instead.",
            if controller == "CODE_DEPLOY" {
                "AWS CodeDeploy"
            } else {
                "task sets"
            }
        ))),
        None if req.bool("forceNewDeployment")? == Some(true) => Err(ApiError::invalid(format!(
            "forceNewDeployment is not supported for services using the {controller} deployment controller."
        ))),
        None => Ok(()),
    }
}

pub fn desired_count(req: &Request) -> Result<Option<i32>, ApiError> {
    match req.i32("desiredCount")? {
        Some(n) if n < 0 => Err(ApiError::invalid("Desired count must be 0 or greater.")),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_service_shows_the_defaults_ecs_fills_in() {
        // Catalogue entry 18: "If you don't specify a health check grace period value, the default value of 0 is
        // used"; REPLICA deployments 200/100; propagateTags NONE.
        let mut config = Map::new();
        fill_defaults(&mut config, &[]);
        assert_eq!(config["healthCheckGracePeriodSeconds"], json!(0));
        assert_eq!(config["propagateTags"], json!("NONE"));
        assert_eq!(
            config["deploymentConfiguration"]["maximumPercent"],
            json!(200)
        );
        assert_eq!(
            config["deploymentConfiguration"]["minimumHealthyPercent"],
            json!(100)
        );
    }
}
