//! Generates the CustomResourceDefinitions of all kinds from the Rust types.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use serde_json::Value;

use crate::api::{
    CapacityProvider, EcsAccount, EcsCluster, EcsCronTask, EcsExpressService, EcsGateway,
    EcsService, EcsTask, TaskDefinition,
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
        EcsExpressService::crd(),
        EcsGateway::crd(),
        crate::api::DaemonTaskDefinition::crd(),
        crate::api::EcsDaemon::crd(),
        EcsAccount::crd(),
    ]
    .into_iter()
    .map(finished)
    .collect()
}

/// Argo CD neither prunes nor deletes a CRD with this annotation: deleting the Application (or dropping the CRD
/// from Git) would otherwise delete every object of the kind, and with them, by their finalizers, the ECS objects.
pub const ARGOCD_KEEP: (&str, &str) = (
    "argocd.argoproj.io/sync-options",
    "Prune=false,Delete=false",
);

/// The generated CRD as it is published, edited once as JSON: without the `null` that optional enums add to their
/// `enum` list (`nullable: true` already allows it, and older API servers and kubectl refuse a null inside `enum`),
/// with the CEL rules of `api::admission` in the schema of each version, and kept by Argo CD ([`ARGOCD_KEEP`]).
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
    value["metadata"]["annotations"] = serde_json::json!({ ARGOCD_KEEP.0: ARGOCD_KEEP.1 });
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
        assert!(
            !root.join("charts/ecs-bridge/crds").exists(),
            "the chart's CRDs are in charts/ecs-bridge/files/crds (rendered by templates/crds.yaml); Helm would \
             install a crds/ folder as well, and the release would then fail on CRDs it does not own"
        );
        for dir in ["crds", "charts/ecs-bridge/files/crds"] {
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
                // `kubectl delete ecs --all` must leave the accounts to clean up the objects in them.
                assert!(
                    crd.spec.names.categories.is_none(),
                    "not in the ecs category"
                );
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
            let annotations = crd.metadata.annotations.clone().unwrap_or_default();
            assert_eq!(
                annotations.get(ARGOCD_KEEP.0).map(String::as_str),
                Some(ARGOCD_KEEP.1),
                "Argo CD keeps the CRD when its Application goes"
            );
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

    /// Every kind and every field says what it is (`kubectl explain`), in the CRD's schema.
    #[test]
    fn every_kind_and_field_has_a_description() {
        fn undescribed(schema: &Value, path: &str, found: &mut Vec<String>) {
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, field) in properties.into_iter().flatten() {
                let field_path = format!("{path}.{name}");
                let description = field.get("description").and_then(Value::as_str);
                if description.is_none_or(str::is_empty) && !path.is_empty() {
                    found.push(field_path.clone());
                }
                undescribed(field, &field_path, found);
            }
            if let Some(items) = schema.get("items") {
                undescribed(items, &format!("{path}[]"), found);
            }
            if let Some(values) = schema.get("additionalProperties") {
                undescribed(values, &format!("{path}{{}}"), found);
            }
        }
        for crd in all() {
            let kind = &crd.spec.names.kind;
            let value = serde_json::to_value(&crd.spec.versions[0].schema).unwrap();
            let root = &value["openAPIV3Schema"];
            let about = root["description"].as_str().unwrap_or_default();
            assert!(
                !about.is_empty() && !about.starts_with("Auto-generated"),
                "{kind} needs a description of the kind (#[kube(doc = ...)]), not {about:?}"
            );
            let mut found = Vec::new();
            undescribed(root, "", &mut found);
            found.retain(|path| path != ".apiVersion" && path != ".kind" && path != ".metadata");
            assert!(
                found.is_empty(),
                "{kind}: fields without a description (add a /// comment): {found:#?}"
            );
        }
    }

    /// `kubectl get` shows readiness, sync and the reason the same way on every kind that has conditions (a status).
    #[test]
    fn every_kind_shows_ready_synced_and_reason_alike() {
        let condition = |type_: &str, field: &str| {
            format!(".status.conditions[?(@.type==\"{type_}\")].{field}")
        };
        for crd in all() {
            let kind = &crd.spec.names.kind;
            if crd.spec.versions[0].subresources.is_none() {
                // No status, no conditions (EcsAccount): its bound objects show what is wrong with it.
                continue;
            }
            let columns = crd.spec.versions[0]
                .additional_printer_columns
                .clone()
                .unwrap_or_default();
            let shown = |name: &str| {
                columns
                    .iter()
                    .find(|c| c.name == name)
                    .filter(|c| c.priority.unwrap_or(0) == 0)
                    .map(|c| c.json_path.clone())
            };
            assert_eq!(
                shown("Synced"),
                Some(condition("Synced", "status")),
                "{kind}: Synced"
            );
            assert_eq!(
                shown("Reason"),
                Some(condition("Ready", "reason")),
                "{kind}: Reason"
            );
            if kind != "EcsTask" {
                assert_eq!(
                    shown("Ready"),
                    Some(condition("Ready", "status")),
                    "{kind}: Ready"
                );
            }
        }
    }
}
