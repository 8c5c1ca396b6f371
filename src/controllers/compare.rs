//! Drift comparison that looks only at what the user set: a desired value is matched when every field it sets
//! has the same value in what ECS reports; fields the user left out are ECS's business.

use serde::Serialize;
use serde_json::Value;

use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::common::Drift;

/// Whether `observed` has every field that `desired` sets, with the same value.
pub fn covers(observed: &impl Serialize, desired: &impl Serialize) -> bool {
    match (
        serde_json::to_value(observed),
        serde_json::to_value(desired),
    ) {
        (Ok(observed), Ok(desired)) => value_covers(&observed, &desired),
        _ => false,
    }
}

fn value_covers(observed: &Value, desired: &Value) -> bool {
    match (observed, desired) {
        (_, Value::Null) => true,
        (Value::Object(o), Value::Object(d)) => d
            .iter()
            .all(|(k, dv)| value_covers(o.get(k).unwrap_or(&Value::Null), dv)),
        (Value::Array(o), Value::Array(d)) => {
            o.len() == d.len() && o.iter().zip(d).all(|(ov, dv)| value_covers(ov, dv))
        }
        (Value::Number(o), Value::Number(d)) => o.as_f64() == d.as_f64(),
        _ => observed == desired,
    }
}

/// Where `observed` does not cover `desired`: each field the spec sets with another value in ECS, as its path (a
/// list is reported whole), the spec's value and ECS's (JSON).
pub fn differences(observed: &impl Serialize, desired: &impl Serialize) -> Vec<Drift> {
    let (Ok(observed), Ok(desired)) = (
        serde_json::to_value(observed),
        serde_json::to_value(desired),
    ) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    collect_differences(&observed, &desired, "spec", &mut found);
    found
}

fn collect_differences(observed: &Value, desired: &Value, path: &str, found: &mut Vec<Drift>) {
    match (observed, desired) {
        (_, Value::Null) => {}
        (Value::Object(o), Value::Object(d)) => {
            for (key, dv) in d {
                let observed = o.get(key).unwrap_or(&Value::Null);
                collect_differences(observed, dv, &format!("{path}.{key}"), found);
            }
        }
        (observed, desired) if !value_covers(observed, desired) => found.push(Drift {
            path: path.to_owned(),
            spec: desired.to_string(),
            ecs: observed.to_string(),
        }),
        _ => {}
    }
}

/// `observed` with every field that `desired` sets replaced by the desired value: the whole object to send to
/// an API that replaces it, keeping what the user left to others.
pub fn overlay(observed: &impl Serialize, desired: &impl Serialize) -> Value {
    let mut merged = serde_json::to_value(observed).unwrap_or(Value::Null);
    let desired = serde_json::to_value(desired).unwrap_or(Value::Null);
    overlay_value(&mut merged, desired);
    merged
}

fn overlay_value(observed: &mut Value, desired: Value) {
    match (observed, desired) {
        (_, Value::Null) => {}
        (Value::Object(o), Value::Object(d)) => {
            for (k, dv) in d.into_iter().filter(|(_, dv)| !dv.is_null()) {
                overlay_value(o.entry(k).or_insert(Value::Null), dv);
            }
        }
        (o, d) => *o = d,
    }
}

/// A capacity provider strategy in a comparable form: sorted by provider, ECS's defaults (0) made explicit.
pub fn strategy_key(strategy: &[CapacityProviderStrategyItem]) -> Vec<(String, i32, i32)> {
    let mut items: Vec<_> = strategy
        .iter()
        .map(|i| {
            (
                i.capacity_provider.clone(),
                i.weight.unwrap_or(0),
                i.base.unwrap_or(0),
            )
        })
        .collect();
    items.sort();
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ignores_fields_the_user_did_not_set() {
        assert!(covers(
            &json!({"a": 1, "b": {"c": 2, "d": 3}}),
            &json!({"b": {"c": 2}})
        ));
        assert!(covers(&json!({"a": 1}), &json!({"x": null})));
    }

    #[test]
    fn notices_a_changed_or_missing_field() {
        assert!(!covers(&json!({"b": {"c": 2}}), &json!({"b": {"c": 3}})));
        assert!(!covers(&json!({}), &json!({"b": "x"})));
    }

    #[test]
    fn overlay_keeps_what_the_user_left_out() {
        let merged = overlay(
            &json!({"s": {"a": 1, "b": 2}, "c": 3, "l": [1, 2]}),
            &json!({"s": {"b": 5}, "l": [7], "x": null}),
        );
        assert_eq!(merged, json!({"s": {"a": 1, "b": 5}, "c": 3, "l": [7]}));
    }

    #[test]
    fn differences_name_each_field_the_spec_sets_otherwise() {
        let found = differences(
            &json!({"a": 1, "s": {"b": 2, "c": 3}, "l": [1, 2], "x": 9}),
            &json!({"a": 1, "s": {"b": 5}, "l": [1], "m": "new", "n": null}),
        );
        let shown: Vec<_> = found
            .iter()
            .map(|d| (d.path.as_str(), d.spec.as_str(), d.ecs.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("spec.l", "[1]", "[1,2]"),
                ("spec.m", "\"new\"", "null"),
                ("spec.s.b", "5", "2")
            ]
        );
        assert!(differences(&json!({"a": 1, "b": 2}), &json!({"a": 1})).is_empty());
    }

    #[test]
    fn lists_must_match_in_length_and_order() {
        assert!(covers(
            &json!([{"n": 1, "x": 0}, {"n": 2}]),
            &json!([{"n": 1}, {"n": 2}])
        ));
        assert!(!covers(&json!([{"n": 1}]), &json!([{"n": 1}, {"n": 2}])));
        assert!(!covers(
            &json!([{"n": 2}, {"n": 1}]),
            &json!([{"n": 1}, {"n": 2}])
        ));
    }
}
