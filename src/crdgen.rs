//! Generates the CustomResourceDefinitions of all kinds from the Rust types.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use serde_json::Value;

use crate::api::{
    CapacityProvider, EcsAccount, EcsCluster, EcsCronTask, EcsService, EcsTask, TaskDefinition,
};

/// The CRDs of all kinds, in a stable order.
pub fn all() -> Vec<CustomResourceDefinition> {
    vec![
        EcsCluster::crd(),
        TaskDefinition::crd(),
        EcsService::crd(),
        EcsTask::crd(),
        EcsCronTask::crd(),
        CapacityProvider::crd(),
        EcsAccount::crd(),
    ]
    .into_iter()
    .map(finished)
    .collect()
}

/// The generated CRD as it is published, edited once as JSON: without the `null` that optional enums add to their
/// `enum` list (`nullable: true` already allows it, and older API servers and kubectl refuse a null inside `enum`),
/// and with the CEL rules of `api::admission` in the schema of each version.
fn finished(crd: CustomResourceDefinition) -> CustomResourceDefinition {
    fn strip_null_enum_values(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Array(values)) = map.get_mut("enum") {
                    values.retain(|v| !v.is_null());
                }
                map.values_mut().for_each(strip_null_enum_values);
            }
            Value::Array(items) => items.iter_mut().for_each(strip_null_enum_values),
            _ => {}
        }
    }
    let plural = crd.spec.names.plural.clone();
    let mut value = serde_json::to_value(&crd).expect("a CRD always serializes");
    strip_null_enum_values(&mut value);
    let versions = value["spec"]["versions"]
        .as_array_mut()
        .expect("a CRD has versions");
    for version in versions {
        let schema = version
            .pointer_mut("/schema/openAPIV3Schema")
            .expect("every version has a schema");
        crate::api::admission::add_rules(&plural, schema);
    }
    serde_json::from_value(value).expect("the edits keep a valid CRD")
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
    fn every_kind_but_the_account_is_namespaced_in_the_ecs_category_with_status() {
        for crd in all() {
            if crd.spec.names.kind == "EcsAccount" {
                assert_eq!(crd.spec.scope, "Cluster");
                assert!(crd.spec.versions[0].subresources.is_none(), "no status");
                continue;
            }
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
                    .is_some_and(|s| s.scale.is_some())
            })
            .map(|crd| crd.spec.names.kind)
            .collect();
        assert_eq!(scaled, vec!["EcsService".to_owned()]);
    }
}
