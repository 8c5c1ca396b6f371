//! Reads manifests from a file or a directory (`*.yaml`, `*.yml`, `*.json`, multi-document), without a cluster:
//! the kinds `ecs-bridge diff` plans, typed, each with its namespace.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::api::{CapacityProvider, EcsCluster, EcsService, TaskDefinition};

/// The manifests of the kinds that diff plans; other objects are listed in `skipped`.
#[derive(Clone, Debug, Default)]
pub struct Manifests {
    pub clusters: Vec<EcsCluster>,
    pub task_definitions: Vec<TaskDefinition>,
    pub services: Vec<EcsService>,
    pub providers: Vec<CapacityProvider>,
    /// `Kind name` of the ecs-bridge objects not planned (EcsTask, EcsCronTask, ...).
    pub skipped: Vec<String>,
}

const GROUP: &str = "ecsbridge.dev/";

impl Manifests {
    /// Reads `path` (a file, or every manifest file in a directory and its subdirectories, in name order);
    /// objects without a namespace get `namespace`.
    pub fn read(path: &Path, namespace: &str) -> Result<Self, String> {
        let mut files = Vec::new();
        collect(path, &mut files)?;
        let mut manifests = Manifests::default();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            manifests
                .add_documents(&text, namespace)
                .map_err(|e| format!("{}: {e}", file.display()))?;
        }
        Ok(manifests)
    }

    /// Adds every document of a YAML (or JSON) text.
    pub fn add_documents(&mut self, text: &str, namespace: &str) -> Result<(), String> {
        for document in serde_yaml::Deserializer::from_str(text) {
            let value = Value::deserialize(document).map_err(|e| format!("not YAML: {e}"))?;
            if value.is_null() {
                continue;
            }
            self.add(value, namespace)?;
        }
        Ok(())
    }

    fn add(&mut self, mut value: Value, namespace: &str) -> Result<(), String> {
        let api_version = value["apiVersion"].as_str().unwrap_or_default().to_owned();
        let kind = value["kind"].as_str().unwrap_or_default().to_owned();
        if kind == "List" {
            let items = value["items"].as_array().cloned().unwrap_or_default();
            return items
                .into_iter()
                .try_for_each(|item| self.add(item, namespace));
        }
        if !api_version.starts_with(GROUP) {
            return Ok(());
        }
        let name = value["metadata"]["name"]
            .as_str()
            .ok_or_else(|| format!("a {kind} without metadata.name"))?
            .to_owned();
        if value["metadata"]["namespace"].as_str().is_none() {
            value["metadata"]["namespace"] = Value::String(namespace.to_owned());
        }
        let typed = |e: serde_json::Error| format!("{kind} {name}: {e}");
        match kind.as_str() {
            "EcsCluster" => self
                .clusters
                .push(serde_json::from_value(value).map_err(typed)?),
            "TaskDefinition" => self
                .task_definitions
                .push(serde_json::from_value(value).map_err(typed)?),
            "EcsService" => self
                .services
                .push(serde_json::from_value(value).map_err(typed)?),
            "CapacityProvider" => self
                .providers
                .push(serde_json::from_value(value).map_err(typed)?),
            _ => self.skipped.push(format!("{kind} {name}")),
        }
        Ok(())
    }
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    if !path.is_dir() {
        if !path.exists() {
            return Err(format!("-f {}: no such file or directory", path.display()));
        }
        files.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let manifest = entry
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json");
        if entry.is_dir() {
            collect(&entry, files)?;
        } else if manifest {
            files.push(entry);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_planned_kinds_and_skips_others() {
        let mut manifests = Manifests::default();
        manifests
            .add_documents(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n\
                 apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {name: main}\nspec: {}\n---\n\
                 apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsTask\nmetadata: {name: once}\nspec: {}\n",
                "team",
            )
            .unwrap();
        assert_eq!(manifests.clusters.len(), 1);
        assert_eq!(
            manifests.clusters[0].metadata.namespace.as_deref(),
            Some("team")
        );
        assert_eq!(manifests.skipped, vec!["EcsTask once".to_owned()]);
    }

    #[test]
    fn names_the_object_of_a_bad_spec() {
        let mut manifests = Manifests::default();
        let err = manifests
            .add_documents(
                "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {name: web}\n\
                 spec: {desiredCount: many}\n",
                "default",
            )
            .unwrap_err();
        assert!(err.contains("EcsService web"), "{err}");
    }
}
