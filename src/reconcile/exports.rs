//! `spec.exportTo`: an object's AWS identities (ARNs, names, revision) as keys `<kind>.<name>.<identity>` of a
//! ConfigMap of its namespace, for other tools to read. Each object writes by server-side apply under a field
//! manager of its own, so several objects share one ConfigMap without clobbering each other or the user's keys; its
//! keys go when the field, the ConfigMap name or the object goes, and a ConfigMap only the operator wrote is deleted
//! once it is empty.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};

use super::{Context, Error, Managed};
use crate::api::common::ConditionedStatus;

/// Every export field manager starts with this; a ConfigMap whose only writers carry it is the operator's.
const MANAGER_PREFIX: &str = "ecsbridge.dev/";

/// The ConfigMap an object exported to, and its keys there.
type Export = (String, BTreeMap<String, String>);

/// What each object last published, by object. Not kept over restarts: after one the ConfigMap is read once, and
/// written only when it differs.
#[derive(Default)]
pub struct Published(Mutex<HashMap<String, Export>>);

impl Published {
    fn get(&self, key: &str) -> Option<Export> {
        self.0.lock().ok()?.get(key).cloned()
    }

    fn set(&self, key: &str, value: Option<Export>) {
        if let Ok(mut published) = self.0.lock() {
            match value {
                Some(value) => published.insert(key.to_owned(), value),
                None => published.remove(key),
            };
        }
    }
}

/// The keys of `obj` in its ConfigMap: `<kind>.<name>.<identity>` for each identity its status knows.
pub fn keys<K: Managed>(obj: &K, status: &K::Status) -> BTreeMap<String, String> {
    let status = serde_json::to_value(status).unwrap_or(Value::Null);
    let prefix = key_prefix(obj);
    K::EXPORTED
        .iter()
        .filter_map(|(identity, pointer)| {
            let value = lookup(&status, pointer)?;
            Some((format!("{prefix}{identity}"), value))
        })
        .collect()
}

fn key_prefix<K: Managed>(obj: &K) -> String {
    format!("{}.{}.", K::kind(&()).to_lowercase(), obj.name_any())
}

/// The value at a JSON pointer whose `*` segments go through arrays (joined with commas); strings and numbers only.
fn lookup(value: &Value, pointer: &str) -> Option<String> {
    fn values<'a>(value: &'a Value, segments: &[&str], found: &mut Vec<&'a Value>) {
        match segments.split_first() {
            None => found.push(value),
            Some((&"*", rest)) => {
                for item in value.as_array().into_iter().flatten() {
                    values(item, rest, found);
                }
            }
            Some((segment, rest)) => {
                if let Some(next) = value.get(*segment) {
                    values(next, rest, found);
                }
            }
        }
    }
    let segments: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let mut found = Vec::new();
    values(value, &segments, &mut found);
    let texts: Vec<String> = found
        .into_iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            _ => None,
        })
        .filter(|s| !s.is_empty())
        .collect();
    (!texts.is_empty()).then(|| texts.join(","))
}

/// The field manager of one object's keys (at most 128 characters, as Kubernetes requires).
fn field_manager<K: Managed>(obj: &K) -> String {
    let manager = format!(
        "{MANAGER_PREFIX}{}/{}",
        K::kind(&()).to_lowercase(),
        obj.name_any()
    );
    if manager.len() <= 128 {
        return manager;
    }
    let uid = obj.meta().uid.clone().unwrap_or_default();
    format!("{}~{}", &manager[..100], &uid[..uid.len().min(20)])
}

fn object_key<K: Managed>(obj: &K) -> String {
    format!(
        "{}/{}/{}",
        K::kind(&()),
        obj.namespace().unwrap_or_default(),
        obj.name_any()
    )
}

/// Brings the object's keys to where `spec.exportTo` says, and records the ConfigMap in `status.exportedTo`.
pub async fn publish<K: Managed>(
    ctx: &Context,
    obj: &K,
    status: &mut K::Status,
) -> Result<(), Error> {
    let wanted = obj.export_to().map(str::to_owned);
    let previous = status.exported_to().map(str::to_owned);
    if let Some(previous) = previous
        .as_deref()
        .filter(|p| wanted.as_deref() != Some(*p))
    {
        withdraw_from(ctx, obj, previous).await?;
    }
    if let Some(config_map) = &wanted {
        let data = keys(obj, status);
        if ctx.exports.get(&object_key(obj)).as_ref() != Some(&(config_map.clone(), data.clone())) {
            let api = config_maps(ctx, obj);
            let current = api.get_opt(config_map).await.map_err(Error::Kube)?;
            if current.is_none_or(|cm| ours(obj, &cm) != data) {
                apply(&api, config_map, &field_manager(obj), &data)
                    .await
                    .map_err(|err| conflict(config_map, err))?;
            }
            ctx.exports
                .set(&object_key(obj), Some((config_map.clone(), data)));
        }
    }
    status.set_exported_to(wanted);
    Ok(())
}

/// Removes the object's keys (it is being deleted).
pub async fn withdraw<K: Managed>(ctx: &Context, obj: &K) -> Result<(), Error> {
    let exported = obj
        .status()
        .and_then(|s| s.exported_to())
        .map(str::to_owned);
    let config_map = exported.or_else(|| obj.export_to().map(str::to_owned));
    match config_map {
        Some(config_map) => withdraw_from(ctx, obj, &config_map).await,
        None => Ok(()),
    }
}

async fn withdraw_from<K: Managed>(ctx: &Context, obj: &K, config_map: &str) -> Result<(), Error> {
    let api = config_maps(ctx, obj);
    let Some(current) = api.get_opt(config_map).await.map_err(Error::Kube)? else {
        ctx.exports.set(&object_key(obj), None);
        return Ok(());
    };
    let manager = field_manager(obj);
    let writes = current
        .managed_fields()
        .iter()
        .any(|f| f.manager.as_deref() == Some(manager.as_str()));
    let left = if writes {
        apply(&api, config_map, &manager, &BTreeMap::new())
            .await
            .map_err(Error::Kube)?
    } else {
        current
    };
    let empty = left.data.as_ref().is_none_or(BTreeMap::is_empty)
        && left.binary_data.as_ref().is_none_or(BTreeMap::is_empty);
    let only_ours = left.managed_fields().iter().all(|f| {
        f.manager
            .as_deref()
            .is_some_and(|m| m.starts_with(MANAGER_PREFIX))
    });
    if empty && only_ours {
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                resource_version: left.resource_version(),
                uid: left.uid(),
            }),
            ..DeleteParams::default()
        };
        // Someone who wrote meanwhile keeps the ConfigMap (a failed precondition or a gone ConfigMap is fine).
        let _ = api.delete(config_map, &params).await;
    }
    ctx.exports.set(&object_key(obj), None);
    Ok(())
}

fn config_maps<K: Managed>(ctx: &Context, obj: &K) -> Api<ConfigMap> {
    Api::namespaced(ctx.client.clone(), &obj.namespace().unwrap_or_default())
}

/// The object's keys as the ConfigMap has them.
fn ours<K: Managed>(obj: &K, config_map: &ConfigMap) -> BTreeMap<String, String> {
    let prefix = key_prefix(obj);
    config_map
        .data
        .iter()
        .flatten()
        .filter(|(key, _)| key.starts_with(&prefix))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

async fn apply(
    api: &Api<ConfigMap>,
    name: &str,
    manager: &str,
    data: &BTreeMap<String, String>,
) -> Result<ConfigMap, kube::Error> {
    let config_map =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data});
    api.patch(
        name,
        &PatchParams::apply(manager),
        &Patch::Apply(&config_map),
    )
    .await
}

/// A key someone else writes is theirs: the export is refused rather than taken over.
fn conflict(config_map: &str, err: kube::Error) -> Error {
    match &err {
        kube::Error::Api(status) if status.code == 409 => Error::InvalidSpec(format!(
            "spec.exportTo.configMapName: ConfigMap {config_map} has keys of this object written by someone else \
             ({}); remove them or choose another ConfigMap",
            status.message
        )),
        _ => Error::Kube(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_strings_numbers_and_lists_joined() {
        let status = json!({"arn": "arn:c", "revision": 3, "tasks": [{"arn": "t1"}, {"arn": "t2"}], "active": ["a", "b"], "none": ""});
        assert_eq!(lookup(&status, "/arn").as_deref(), Some("arn:c"));
        assert_eq!(lookup(&status, "/revision").as_deref(), Some("3"));
        assert_eq!(lookup(&status, "/tasks/*/arn").as_deref(), Some("t1,t2"));
        assert_eq!(lookup(&status, "/active").as_deref(), Some("a,b"));
        assert_eq!(lookup(&status, "/none"), None);
        assert_eq!(lookup(&status, "/missing"), None);
        assert_eq!(lookup(&json!({"tasks": []}), "/tasks/*/arn"), None);
    }
}
