//! Writing status: server-side apply on the status subresource under one field manager, only when it changed.

use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;

use super::Managed;
use super::context::FIELD_MANAGER;

/// Applies `status` unless it equals `shown`, what the object already shows. Returns whether it wrote.
pub async fn apply<K: Managed>(
    api: &Api<K>,
    obj: &K,
    shown: Option<&K::Status>,
    status: &K::Status,
) -> Result<bool, kube::Error> {
    if shown == Some(status) {
        return Ok(false);
    }
    if tracing::enabled!(tracing::Level::DEBUG) {
        let fields = changed_fields(shown, status);
        tracing::debug!(kind = %K::kind(&()), name = %obj.name_any(), ?fields, "status changed");
    }
    write(api, obj, status).await?;
    Ok(true)
}

/// The top-level status fields that differ (a condition by its type), for the debug log.
pub(super) fn changed_fields<S: serde::Serialize>(shown: Option<&S>, status: &S) -> Vec<String> {
    let as_map = |s: Option<&S>| match s.map(serde_json::to_value) {
        Some(Ok(serde_json::Value::Object(map))) => map,
        _ => serde_json::Map::new(),
    };
    let (before, after) = (as_map(shown), as_map(Some(status)));
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut changed = Vec::new();
    for key in keys {
        let (old, new) = (before.get(key), after.get(key));
        if old == new {
            continue;
        }
        match (key.as_str(), old, new) {
            (
                "conditions",
                Some(serde_json::Value::Array(old)),
                Some(serde_json::Value::Array(new)),
            ) => {
                changed.extend(
                    new.iter().filter(|c| !old.contains(c)).map(|c| {
                        format!("condition {}: {c}", c["type"].as_str().unwrap_or_default())
                    }),
                );
            }
            _ => changed.push(format!(
                "{key}: {} -> {}",
                json_or_none(old),
                json_or_none(new)
            )),
        }
    }
    changed
}

fn json_or_none(value: Option<&serde_json::Value>) -> String {
    value.map_or_else(|| "none".to_owned(), ToString::to_string)
}

/// Applies `status` to the object.
pub async fn write<K: Managed>(
    api: &Api<K>,
    obj: &K,
    status: &K::Status,
) -> Result<(), kube::Error> {
    let body = json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch_status(&obj.name_any(), &params, &Patch::Apply(&body))
        .await?;
    Ok(())
}
