//! What a RunTask request makes of a task (for [`crate::ops_task`]): its checks of the request, the containers
//! and overrides it shows, its launch members, and how it will end.

use serde_json::{Map, Value, json};

use crate::protocol::ApiError;
use crate::request::Request;
use crate::settings::TaskOutcome;
use crate::state::Revision;
use crate::task_life::{Container, Ending};

pub fn strategy_in_use(req: &Request) -> bool {
    req.value("capacityProviderStrategy")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty())
}

pub fn fargate(req: &Request) -> Result<bool, ApiError> {
    let by_strategy = req
        .objects("capacityProviderStrategy")?
        .unwrap_or_default()
        .iter()
        .any(|i| {
            i["capacityProvider"]
                .as_str()
                .is_some_and(|p| p.starts_with("FARGATE"))
        });
    Ok(by_strategy || req.str("launchType")? == Some("FARGATE"))
}

/// A client token: 1 to 64 characters in ASCII 33-126.
pub fn check_token(token: &str) -> Result<(), ApiError> {
    if (1..=64).contains(&token.len()) && token.bytes().all(|b| (33..=126).contains(&b)) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "clientToken must be 1 to 64 characters in the range 33-126.",
        ))
    }
}

/// `startedBy`: up to 128 letters, numbers, `-`, `/` and `_`.
pub fn check_started_by(started_by: &str) -> Result<(), ApiError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '_');
    if started_by.len() <= 128 && started_by.chars().all(allowed) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "startedBy may hold up to 128 letters, numbers, hyphens, forward slashes and underscores.",
        ))
    }
}

pub fn containers(revision: &Revision) -> Vec<Container> {
    let defs = revision
        .body
        .get("containerDefinitions")
        .and_then(Value::as_array);
    defs.into_iter()
        .flatten()
        .map(|c| Container {
            name: c["name"].as_str().unwrap_or_default().to_owned(),
            image: c["image"].as_str().unwrap_or_default().to_owned(),
            // "If this parameter is omitted, a container is assumed to be essential."
            essential: c["essential"].as_bool().unwrap_or(true),
        })
        .collect()
}

/// The overrides as ECS echoes them: one container override per container (named), the given ones merged in.
pub fn overrides(req: &Request, containers: &[Container]) -> Result<Value, ApiError> {
    let mut given = req.object("overrides")?.cloned().unwrap_or_default();
    let listed = given
        .get("containerOverrides")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for o in &listed {
        let name = o["name"].as_str().unwrap_or_default();
        if !containers.iter().any(|c| c.name == name) {
            return Err(ApiError::invalid(format!(
                "Override for container named {name} is not a container in the TaskDefinition."
            )));
        }
    }
    let all: Vec<Value> = containers
        .iter()
        .map(|c| {
            listed
                .iter()
                .find(|o| o["name"] == c.name.as_str())
                .cloned()
                .unwrap_or_else(|| json!({"name": c.name}))
        })
        .collect();
    given.insert("containerOverrides".into(), json!(all));
    given.insert("inferenceAcceleratorOverrides".into(), json!([]));
    Ok(Value::Object(given))
}

/// The members a task shows from its RunTask request and its task definition.
pub fn config(
    req: &Request,
    revision: &Revision,
    family: &str,
    overrides: Value,
) -> Result<Map<String, Value>, ApiError> {
    let mut config = Map::new();
    match req.objects("capacityProviderStrategy")? {
        Some(strategy) if !strategy.is_empty() => {
            config.insert(
                "capacityProviderName".into(),
                strategy[0]["capacityProvider"].clone(),
            );
        }
        _ => {
            let launch_type = req.str("launchType")?.unwrap_or("EC2");
            config.insert("launchType".into(), json!(launch_type));
        }
    }
    if fargate(req)? {
        let version = req.str("platformVersion")?.unwrap_or("LATEST");
        config.insert(
            "platformVersion".into(),
            json!(version.replace("LATEST", "1.4.0")),
        );
    }
    let group = req
        .str("group")?
        .map_or_else(|| format!("family:{family}"), str::to_owned);
    config.insert("group".into(), json!(group));
    if let Some(started_by) = req.str("startedBy")? {
        config.insert("startedBy".into(), json!(started_by));
    }
    for member in ["cpu", "memory"] {
        let value = overrides.get(member).or_else(|| revision.body.get(member));
        if let Some(value) = value {
            config.insert(member.into(), value.clone());
        }
    }
    config.insert("overrides".into(), overrides);
    let exec = req.bool("enableExecuteCommand")?.unwrap_or(false);
    config.insert("enableExecuteCommand".into(), json!(exec));
    Ok(config)
}

/// How a new task of `revision` ends: it cannot start when an image does not pull, else as the settings say
/// (`sidecar`: the exit code of a non-essential container ECS stops when an essential one exits).
pub fn ending(
    revision: &Revision,
    containers: &[Container],
    outcome: TaskOutcome,
    sidecar: i32,
) -> Ending {
    let pull_error = |image: &str| {
        Ending::FailToStart(format!(
            "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref \
             {image}: not found"
        ))
    };
    let first_image = containers.first().map_or("", |c| c.image.as_str());
    if !revision.images_pull() {
        let bad = containers.iter().find(|c| {
            c.image
                .split('/')
                .next()
                .is_some_and(|h| h.ends_with(".invalid"))
        });
        return pull_error(bad.map_or(first_image, |c| c.image.as_str()));
    }
    match outcome {
        TaskOutcome::Exit(code) => Ending::Exit { code, sidecar },
        TaskOutcome::FailToStart => pull_error(first_image),
        TaskOutcome::Hang => Ending::Hang,
    }
}
