//! The invariants checked once a step settled: every live object Ready with conditions of its generation; quiet
//! (no AWS write and no Kubernetes write for a drift interval); ECS equal to the spec for every managed field and
//! unmanaged fields as they were; others' tags, policies and associations still there; the ownership tags on ours.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::harness::Env;
use crate::stack::{self, Obj};
use crate::table::Compare;

/// How long an object may take to settle.
pub const SETTLE: Duration = Duration::from_secs(60);

/// Whether the spec value is in ECS's: objects by the spec's keys, lists element by element, numbers as numbers.
pub fn covers(ecs: &Value, spec: &Value) -> bool {
    match (ecs, spec) {
        (_, Value::Null) => true,
        (Value::Object(e), Value::Object(s)) => s
            .iter()
            .all(|(k, v)| covers(e.get(k).unwrap_or(&Value::Null), v)),
        (Value::Array(e), Value::Array(s)) => {
            e.len() == s.len() && e.iter().zip(s).all(|(e, s)| covers(e, s))
        }
        (Value::Null, Value::Array(s)) => s.is_empty(),
        (Value::Number(e), Value::Number(s)) => e.as_f64() == s.as_f64(),
        _ => ecs == spec,
    }
}

pub fn matches(ecs: &Value, expected: &Value, compare: Compare) -> bool {
    match compare {
        Compare::Covers => covers(ecs, expected),
        Compare::Equal => {
            ecs == expected || (ecs.is_null() && expected.as_array().is_some_and(Vec::is_empty))
        }
    }
}

/// Why the object is not settled: Ready=True, and the status and every condition of its generation.
fn unsettled(object: &Value) -> Option<String> {
    let generation = object["metadata"]["generation"].as_i64();
    let status = &object["status"];
    let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
    let ready = conditions
        .iter()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    if !ready {
        return Some(format!(
            "not Ready: {}",
            serde_json::to_string(&conditions).unwrap()
        ));
    }
    if status["observedGeneration"].as_i64() != generation {
        return Some(format!(
            "Ready, but status.observedGeneration {} is not metadata.generation {generation:?}",
            status["observedGeneration"]
        ));
    }
    conditions
        .iter()
        .find(|c| c["observedGeneration"].as_i64() != generation)
        .map(|c| {
            format!(
                "condition {} has observedGeneration {} for generation {generation:?}",
                c["type"], c["observedGeneration"]
            )
        })
}

/// Waits until every live object is settled; the last reason for the first that is not.
pub async fn settle(env: &Env, live: &[Obj]) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let mut first = None;
        for obj in live {
            let found = stack::get(env, obj.kind(), obj.name()).await;
            let why = match found {
                None => Some("missing".to_owned()),
                Some(o) => unsettled(&o),
            };
            if let Some(why) = why {
                first = Some(format!("{} {}: {why}", obj.kind(), obj.name()));
                break;
            }
        }
        let Some(why) = first else {
            return Ok(());
        };
        if tokio::time::Instant::now() > deadline {
            return Err(format!("not settled within {SETTLE:?}: {why}"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The double's calls by operation.
pub fn calls(url: &str) -> BTreeMap<String, u64> {
    let out = std::process::Command::new("curl")
        .args(["-sf", &format!("{url}/_double/stats")])
        .output()
        .expect("curl");
    let stats: Value = serde_json::from_slice(&out.stdout).expect("double stats");
    serde_json::from_value(stats["calls"].clone()).unwrap()
}

/// Operations that change something (everything but reads).
pub fn writes(calls: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    calls
        .iter()
        .filter(|(op, _)| {
            !["Describe", "List", "Get"]
                .iter()
                .any(|p| op.starts_with(p))
        })
        .map(|(op, n)| (op.clone(), *n))
        .collect()
}

async fn versions(env: &Env, live: &[Obj]) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for obj in live {
        let found = stack::get(env, obj.kind(), obj.name()).await;
        out.push(found.and_then(|o| o["metadata"]["resourceVersion"].as_str().map(str::to_owned)));
    }
    out
}

/// How many windows a settled stack may take to become quiet (a repair's status write may land in the first).
const QUIET_TRIES: usize = 4;

/// Once settled, a whole `window` (at least a drift interval) comes without AWS or Kubernetes writes.
pub async fn quiet(env: &Env, url: &str, live: &[Obj], window: Duration) -> Result<(), String> {
    let mut last = Ok(());
    for _ in 0..QUIET_TRIES {
        last = quiet_window(env, url, live, window).await;
        if last.is_ok() {
            break;
        }
    }
    last
}

async fn quiet_window(env: &Env, url: &str, live: &[Obj], window: Duration) -> Result<(), String> {
    let (before, rv_before) = (writes(&calls(url)), versions(env, live).await);
    tokio::time::sleep(window).await;
    let (after, rv_after) = (writes(&calls(url)), versions(env, live).await);
    if before != after {
        let changed: Vec<String> = after
            .iter()
            .filter(|(op, n)| before.get(*op) != Some(n))
            .map(|(op, n)| format!("{op} +{}", n - before.get(op).copied().unwrap_or(0)))
            .collect();
        return Err(format!(
            "not quiet: AWS writes within {window:?} after settling: {}",
            changed.join(", ")
        ));
    }
    if rv_before != rv_after {
        return Err(format!(
            "not quiet: Kubernetes objects written within {window:?} after settling"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_spec_covers_what_ecs_adds_but_not_a_different_list() {
        assert!(covers(&json!({"a": 1, "b": 2}), &json!({"a": 1.0})));
        assert!(!covers(&json!([{"a": 1}]), &json!([])));
        assert!(covers(&Value::Null, &json!([])));
        assert!(!covers(&json!({"a": [1]}), &json!({"a": [1, 2]})));
    }

    #[test]
    fn settled_means_ready_with_conditions_of_this_generation() {
        let object = |observed: i64| {
            json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2, "conditions": [
                {"type": "Ready", "status": "True", "observedGeneration": observed}]}})
        };
        assert_eq!(unsettled(&object(2)), None);
        assert!(unsettled(&object(1)).is_some());
    }
}
