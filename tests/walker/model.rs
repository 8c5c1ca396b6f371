//! What the walker expects of ECS: the spec's value of every walked field, or for a field left out the value ECS
//! had (whoever set it since) or what removal leaves; and what others hold (tags, a policy, an association).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::check::matches;
use crate::stack::Obj;
use crate::table::{Field, Removal};

#[derive(Clone, Debug, Default)]
pub struct Model {
    /// The spec value of each walked field (None: left out).
    pub spec: BTreeMap<String, Option<Value>>,
    /// What ECS shows of a left-out field that keeps its value.
    pub baseline: BTreeMap<String, Value>,
    /// Objects someone else tagged.
    pub foreign_tags: BTreeSet<Obj>,
    pub foreign_policy: bool,
    /// Someone else's capacity providers (associated with the cluster when created).
    pub foreign_providers: Vec<String>,
    /// What an earlier step of the walk found broken (fields, held objects): no longer checked, so that the walk
    /// goes on to find what else is broken.
    pub written_off: BTreeSet<String>,
}

/// One broken invariant: what it is about (a field's name, or what someone else holds) and what is wrong.
pub type Wrong = (String, String);

/// The key of someone else's tags on `obj`, and of someone else's scaling policy, for `Model::written_off`.
pub fn foreign_tags_key(obj: Obj) -> String {
    format!("someone else's tags on {} {}", obj.kind(), obj.name())
}
pub const FOREIGN_POLICY_KEY: &str = "someone else's scaling policy";

const AUTO_SCALING: &str = "EcsService.autoScaling";

impl Model {
    pub fn value(&self, field: &str) -> Option<&Value> {
        self.spec.get(field).and_then(Option::as_ref)
    }

    /// The value ECS must show for the field, None when the walker cannot know it.
    pub fn expected(&self, field: &Field) -> Option<Value> {
        let name = field.name();
        // With autoScaling set, desiredCount is used at creation only.
        if name == "EcsService.desiredCount" && self.value(AUTO_SCALING).is_some() {
            return None;
        }
        match (self.value(&name), field.removal) {
            (Some(v), _) => Some(v.clone()),
            (None, Some(Removal::Clears)) => Some(field.cleared.clone()),
            _ => self.baseline.get(&name).cloned(),
        }
    }

    /// The spec changes: a kept field left out keeps the value ECS had.
    pub fn set(&mut self, field: &Field, value: Option<Value>) {
        let name = field.name();
        let before = self.spec.insert(name.clone(), value.clone()).flatten();
        if value.is_none()
            && field.removal == Some(Removal::Keeps)
            && let Some(before) = before
        {
            self.baseline.insert(name.clone(), before);
        }
        if name == AUTO_SCALING && value.is_none() {
            // The scaler may have moved the count meanwhile: a left-out desiredCount is whatever ECS has now.
            self.baseline.remove("EcsService.desiredCount");
        }
    }

    /// ECS changed behind the operator's back: a managed field is repaired, a left-out one keeps the new value.
    pub fn out_of_band(&mut self, field: &Field, value: &Value) {
        let name = field.name();
        let autoscaled = name == "EcsService.desiredCount" && self.value(AUTO_SCALING).is_some();
        if (self.value(&name).is_none() || autoscaled) && field.removal == Some(Removal::Keeps) {
            self.baseline.insert(name, value.clone());
        }
    }

    /// Someone else associates a provider: it stays unless the spec manages the whole list.
    pub fn foreign_association(&mut self, name: &str) {
        self.foreign_providers.push(name.to_owned());
        let field = "EcsCluster.capacityProviders";
        if self.value(field).is_none()
            && let Some(Value::Array(list)) = self.baseline.get_mut(field)
        {
            list.push(Value::String(name.to_owned()));
            list.sort_by_key(|v| v.as_str().unwrap_or_default().to_owned());
        }
    }

    /// Every walked field whose ECS value differs from what the model expects, with both values.
    pub fn differences(&self, fields: &[Field], snap: &Value, checks: &mut u64) -> Vec<Wrong> {
        let mut out = Vec::new();
        for field in fields {
            if self.written_off.contains(&field.name()) {
                continue;
            }
            let Some(expected) = self.expected(field) else {
                continue;
            };
            *checks += 1;
            let ecs = snap.pointer(&field.shows).cloned().unwrap_or(Value::Null);
            if !matches(&ecs, &expected, field.compare) {
                let state = if self.value(&field.name()).is_some() {
                    "spec"
                } else {
                    "left out, expected"
                };
                let message = format!(
                    "{}: ECS shows {} ({state} {})",
                    field.name(),
                    serde_json::to_string(&ecs).unwrap(),
                    serde_json::to_string(&expected).unwrap()
                );
                out.push((field.name(), message));
            }
        }
        out
    }

    /// What others hold and ours must carry: foreign tags, the foreign policy, ownership tags on live objects.
    pub fn held(&self, snap: &Value, live: &[Obj], checks: &mut u64) -> Vec<Wrong> {
        let mut out = Vec::new();
        for obj in live {
            let view = &snap[obj.snapshot_key()];
            *checks += 2;
            let owned_key = format!("ownership tags on {} {}", obj.kind(), obj.name());
            if view["owned"] != true && !self.written_off.contains(&owned_key) {
                let message = format!(
                    "{} {}: the ECS object lacks the ownership tags",
                    obj.kind(),
                    obj.name()
                );
                out.push((owned_key, message));
            }
            let foreign = view["foreignTags"].as_object().map_or(0, |m| m.len());
            let expected = usize::from(self.foreign_tags.contains(obj));
            if foreign != expected && !self.written_off.contains(&foreign_tags_key(*obj)) {
                let message = format!(
                    "{} {}: someone else's tags: expected {expected}, ECS shows {}",
                    obj.kind(),
                    obj.name(),
                    view["foreignTags"]
                );
                out.push((foreign_tags_key(*obj), message));
            }
        }
        if self.foreign_policy && !self.written_off.contains(FOREIGN_POLICY_KEY) {
            *checks += 1;
            let policies = snap["service"]["foreignPolicies"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if policies.is_empty() {
                let message = "someone else's scaling policy on the service is gone".to_owned();
                out.push((FOREIGN_POLICY_KEY.to_owned(), message));
            }
        }
        out
    }
}
