//! The checks ECS makes that moto does not: names, task definition size and container count, and Fargate's
//! network mode and cpu/memory pairs.

use serde_json::{Map, Value};

use crate::protocol::ApiError;

/// ECS refuses task definitions larger than this (bytes of JSON).
const MAX_TASK_DEFINITION_BYTES: usize = 64 * 1024;

/// ECS allows this many containers per task definition.
const MAX_CONTAINERS: usize = 10;

/// Checks a cluster, service or family name: 1 to 255 letters, digits, hyphens and underscores.
pub fn name(kind: &str, value: &str) -> Result<(), ApiError> {
    let valid = (1..=255).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "{kind} name can only contain up to 255 letters (uppercase and lowercase), numbers, \
             underscores, and hyphens: {value:?}"
        )))
    }
}

/// Checks a RegisterTaskDefinition request body.
pub fn task_definition(body: &Map<String, Value>) -> Result<(), ApiError> {
    let size = serde_json::to_vec(body).map_or(0, |b| b.len());
    if size > MAX_TASK_DEFINITION_BYTES {
        return Err(ApiError::client(format!(
            "Task definition size {size} bytes exceeds the limit of {MAX_TASK_DEFINITION_BYTES} bytes."
        )));
    }
    let containers = match body.get("containerDefinitions") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        _ => return Err(ApiError::client("Container list cannot be empty.")),
    };
    if containers.len() > MAX_CONTAINERS {
        return Err(ApiError::client(format!(
            "Too many containers: {} (at most {MAX_CONTAINERS}).",
            containers.len()
        )));
    }
    if containers.iter().any(|c| {
        c.get("name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    }) {
        return Err(ApiError::client(
            "Container.name should not be null or empty.",
        ));
    }
    let fargate = body
        .get("requiresCompatibilities")
        .and_then(Value::as_array)
        .is_some_and(|l| l.iter().any(|c| c == "FARGATE"));
    if fargate {
        fargate_task(body)?;
    }
    Ok(())
}

fn fargate_task(body: &Map<String, Value>) -> Result<(), ApiError> {
    if body.get("networkMode").and_then(Value::as_str) != Some("awsvpc") {
        return Err(ApiError::client(
            "Fargate only supports network mode 'awsvpc'.",
        ));
    }
    let cpu = task_size(body, "cpu", "vcpu")?;
    let memory = task_size(body, "memory", "gb")?;
    if fargate_pair(cpu, memory) {
        Ok(())
    } else {
        Err(ApiError::client(format!(
            "No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. \
             See the Amazon ECS documentation for the valid combinations."
        )))
    }
}

/// A task-level `cpu` or `memory`: a number of units or MiB, or a number of vCPU or GB (× 1024).
fn task_size(body: &Map<String, Value>, member: &str, unit: &str) -> Result<u32, ApiError> {
    let missing = || {
        ApiError::client(format!(
            "Fargate requires that '{member}' be defined at the task level."
        ))
    };
    let text = body
        .get(member)
        .and_then(Value::as_str)
        .ok_or_else(missing)?;
    units(text, unit)
        .ok_or_else(|| ApiError::client(format!("Invalid '{member}' value: {text:?}.")))
}

/// Task-level size text in integer units: "1 vCPU" or "1GB" (`unit` "vcpu" / "gb") is 1024, "512" is 512.
pub fn units(text: &str, unit: &str) -> Option<u32> {
    let lower = text.trim().to_ascii_lowercase();
    let (number, scale) = match lower.strip_suffix(unit) {
        Some(n) => (n.trim(), 1024.0),
        None => (lower.as_str(), 1.0),
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n > 0.0)
        .map(|n| (n * scale).round() as u32)
}

/// Whether Fargate offers task `cpu` units with `memory` MiB.
fn fargate_pair(cpu: u32, memory: u32) -> bool {
    let stepped = |low: u32, high: u32, step: u32| {
        (low..=high).contains(&memory) && (memory - low).is_multiple_of(step)
    };
    match cpu {
        256 => matches!(memory, 512 | 1024 | 2048),
        512 => stepped(1024, 4096, 1024),
        1024 => stepped(2048, 8192, 1024),
        2048 => stepped(4096, 16384, 1024),
        4096 => stepped(8192, 30720, 1024),
        8192 => stepped(16384, 61440, 4096),
        16384 => stepped(32768, 122880, 8192),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test bodies are objects"),
        }
    }

    fn fargate(cpu: &str, memory: &str, mode: &str) -> Map<String, Value> {
        body(json!({
            "family": "web",
            "requiresCompatibilities": ["FARGATE"],
            "networkMode": mode,
            "cpu": cpu,
            "memory": memory,
            "containerDefinitions": [{"name": "app", "image": "nginx"}]
        }))
    }

    #[test]
    fn checks_names() {
        assert!(name("Cluster", "main_1-a").is_ok());
        assert!(name("Cluster", "").is_err());
        assert!(name("Cluster", "a b").is_err());
        assert!(name("Cluster", &"x".repeat(256)).is_err());
    }

    #[test]
    fn accepts_fargate_pairs_and_refuses_others() {
        for (cpu, memory) in [
            ("256", "512"),
            ("0.25 vCPU", "2 GB"),
            ("1024", "8192"),
            ("8192", "20480"),
            ("16384", "122880"),
        ] {
            assert!(
                task_definition(&fargate(cpu, memory, "awsvpc")).is_ok(),
                "{cpu} {memory}"
            );
        }
        for (cpu, memory) in [
            ("256", "4096"),
            ("512", "512"),
            ("8192", "18432"),
            ("300", "1024"),
            ("x", "512"),
        ] {
            assert!(
                task_definition(&fargate(cpu, memory, "awsvpc")).is_err(),
                "{cpu} {memory}"
            );
        }
        assert!(task_definition(&fargate("256", "512", "bridge")).is_err());
        let mut no_cpu = fargate("256", "512", "awsvpc");
        no_cpu.remove("cpu");
        assert!(task_definition(&no_cpu).is_err());
    }

    #[test]
    fn checks_containers_and_size() {
        assert!(task_definition(&body(json!({"containerDefinitions": []}))).is_err());
        assert!(task_definition(&body(json!({"containerDefinitions": [{"image": "x"}]}))).is_err());
        let eleven: Vec<Value> = (0..11).map(|i| json!({"name": format!("c{i}")})).collect();
        assert!(task_definition(&body(json!({"containerDefinitions": eleven}))).is_err());
        let big = json!({"containerDefinitions": [{"name": "a", "command": ["x".repeat(70_000)]}]});
        assert!(task_definition(&body(big)).is_err());
        assert!(task_definition(&body(json!({"containerDefinitions": [{"name": "a"}]}))).is_ok());
    }
}
