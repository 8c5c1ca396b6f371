//! Generates the CustomResourceDefinitions of all kinds from the Rust types.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use serde_json::Value;

use crate::api::{CapacityProvider, EcsCluster, EcsCronTask, EcsService, EcsTask, TaskDefinition};

/// The CRDs of all kinds, in a stable order.
pub fn all() -> Vec<CustomResourceDefinition> {
    vec![
        EcsCluster::crd(),
        TaskDefinition::crd(),
        EcsService::crd(),
        EcsTask::crd(),
        EcsCronTask::crd(),
        CapacityProvider::crd(),
    ]
    .into_iter()
    .map(without_null_enum_values)
    .map(with_admission_rules)
    .collect()
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

/// Adds the CEL rules of `api::admission` to the schema of each version.
fn with_admission_rules(mut crd: CustomResourceDefinition) -> CustomResourceDefinition {
    let plural = crd.spec.names.plural.clone();
    for version in &mut crd.spec.versions {
        let schema = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
            .expect("every version has a schema");
        let mut value = serde_json::to_value(&*schema).expect("a schema always serializes");
        crate::api::admission::add_rules(&plural, &mut value);
        *schema = serde_json::from_value(value).expect("adding rules keeps a valid schema");
    }
    crd
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
    all()
        .iter()
        .map(|crd| format!("---\n{}", to_yaml(crd)))
        .collect()
}

/// Writes one file per CRD into `dir`.
pub fn write_all(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for crd in all() {
        std::fs::write(dir.join(file_name(&crd)), to_yaml(&crd))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `crds/` and the chart's CRDs must be what the types generate: regenerate with `ecs-bridge crds --out-dir DIR`.
    #[test]
    fn committed_crds_are_fresh() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in ["crds", "charts/ecs-bridge/crds"] {
            for crd in all() {
                let path = root.join(dir).join(file_name(&crd));
                let committed = std::fs::read_to_string(&path).unwrap_or_default();
                assert!(
                    committed == to_yaml(&crd),
                    "{} is stale: run `cargo run -- crds --out-dir {dir}`",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn every_kind_is_namespaced_in_the_ecs_category_with_status() {
        for crd in all() {
            assert_eq!(crd.spec.scope, "Namespaced");
            assert_eq!(crd.spec.group, crate::api::common::GROUP);
            assert!(
                crd.spec
                    .names
                    .categories
                    .as_ref()
                    .unwrap()
                    .contains(&"ecs".to_owned())
            );
            let version = &crd.spec.versions[0];
            assert!(version.subresources.as_ref().unwrap().status.is_some());
            assert!(!to_yaml(&crd).contains("- null"), "no null inside an enum");
        }
    }

    #[test]
    fn only_the_service_has_the_scale_subresource() {
        let scaled: Vec<_> = all()
            .into_iter()
            .filter(|crd| {
                crd.spec.versions[0]
                    .subresources
                    .as_ref()
                    .unwrap()
                    .scale
                    .is_some()
            })
            .map(|crd| crd.spec.names.kind)
            .collect();
        assert_eq!(scaled, vec!["EcsService".to_owned()]);
    }
}
