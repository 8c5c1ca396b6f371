//! Generates the CustomResourceDefinitions of all kinds from the Rust types.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use serde_json::Value;

use crate::api::{EcsCluster, EcsService, TaskDefinition};

/// The CRDs of all kinds, in a stable order.
pub fn all() -> Vec<CustomResourceDefinition> {
    vec![EcsCluster::crd(), TaskDefinition::crd(), EcsService::crd()].into_iter().map(without_null_enum_values).collect()
}

/// Drops the `null` that optional enums add to their `enum` list: `nullable: true` already allows it, and
/// older API servers and kubectl refuse a null inside `enum`.
fn without_null_enum_values(crd: CustomResourceDefinition) -> CustomResourceDefinition {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Array(values)) = map.get_mut("enum") {
                    values.retain(|v| !v.is_null());
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(&crd).expect("a CRD always serializes");
    strip(&mut value);
    serde_json::from_value(value).expect("stripping enum values keeps a valid CRD")
}

/// The file name under `crds/` for a CRD.
pub fn file_name(crd: &CustomResourceDefinition) -> String {
    format!("{}.yaml", crd.metadata.name.as_deref().unwrap_or("unnamed"))
}

/// One YAML document of a CRD.
pub fn to_yaml(crd: &CustomResourceDefinition) -> String {
    serde_yaml::to_string(crd).expect("a CRD always serializes")
}

/// All CRDs as one multi-document YAML stream.
pub fn all_yaml() -> String {
    all().iter().map(|crd| format!("---\n{}", to_yaml(crd))).collect()
}
