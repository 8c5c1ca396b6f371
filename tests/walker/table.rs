//! The field table (`fields.yaml`): every spec field of every kind, what ECS does when it changes, how ECS shows it
//! and the values the walker sets; checked against the CRD schemas so that a new field cannot skip the walk.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;

/// One row of the table.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Field {
    pub kind: String,
    pub path: String,
    pub change: Change,
    pub shows: String,
    #[serde(default)]
    pub samples: Vec<Value>,
    #[serde(default)]
    pub removal: Option<Removal>,
    #[serde(default)]
    pub cleared: Value,
    #[serde(default)]
    pub compare: Compare,
    #[serde(default)]
    pub oob: bool,
    #[serde(default)]
    pub skip: Option<String>,
    /// What someone else holds next to the field, which its life puts there before removing the field.
    #[serde(default)]
    pub neighbour: Option<Neighbour>,
}

/// Someone else's object next to a field: what removing the field must leave alone.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Neighbour {
    /// A tag of another owner on the field's ECS object.
    Tag,
    /// A scaling policy of another owner on the service's scalable target.
    Policy,
    /// A capacity provider of another owner associated with the cluster.
    Provider,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    InPlace,
    Deployment,
    NewRevision,
    Refused,
    Local,
    Block,
    /// Sent when a run starts, fixed for the run's life (EcsTask).
    FixedAtStart,
    /// Applies to the runs created after the change (EcsCronTask).
    NextRun,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Removal {
    Keeps,
    Clears,
    Required,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Compare {
    #[default]
    Covers,
    Equal,
}

impl Field {
    pub fn walked(&self) -> bool {
        !self.samples.is_empty()
    }

    /// `kind.path`, as the walker prints it.
    pub fn name(&self) -> String {
        format!("{}.{}", self.kind, self.path)
    }
}

/// The whole table, in file order.
pub fn all() -> Vec<Field> {
    serde_yaml::from_str(include_str!("fields.yaml")).expect("tests/walker/fields.yaml parses")
}

/// The kinds of runs: their rows are walked by the run walk (run_walk.rs), not in the stack.
pub const RUN_KINDS: [&str; 2] = ["EcsTask", "EcsCronTask"];

/// The rows the stack walk takes, in file order.
pub fn walked() -> Vec<Field> {
    all()
        .into_iter()
        .filter(|f| f.walked() && !RUN_KINDS.contains(&f.kind.as_str()))
        .collect()
}

/// The spec field paths of a CRD: its top-level fields, and the fields of every block the table opens.
fn crd_paths(crd: &Value, opened: &BTreeSet<String>) -> BTreeSet<String> {
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let mut paths = BTreeSet::new();
    let mut stack = vec![(String::new(), spec.clone())];
    while let Some((prefix, schema)) = stack.pop() {
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        for (name, sub) in properties {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            if opened.contains(&path) {
                stack.push((path.clone(), sub.clone()));
            }
            paths.insert(path);
        }
    }
    paths
}

/// What the table misses or has too much of, compared with the CRDs in `crds/`.
pub fn schema_gaps(rows: &[Field]) -> Vec<String> {
    let mut gaps = Vec::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crds");
    let mut kinds = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("crds/") {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let crd: Value = serde_yaml::from_str(&text).unwrap();
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap().to_owned();
        kinds.insert(kind.clone());
        let mine: Vec<&Field> = rows.iter().filter(|f| f.kind == kind).collect();
        if mine.iter().any(|f| f.path == "*") {
            continue;
        }
        let opened: BTreeSet<String> = mine
            .iter()
            .filter(|f| f.change == Change::Block)
            .map(|f| f.path.clone())
            .collect();
        let crd_fields = crd_paths(&crd, &opened);
        let table: BTreeSet<String> = mine.iter().map(|f| f.path.clone()).collect();
        for missing in crd_fields.difference(&table) {
            gaps.push(format!(
                "{kind}.spec.{missing} is in the CRD but not in tests/walker/fields.yaml"
            ));
        }
        for extra in table.difference(&crd_fields) {
            gaps.push(format!(
                "{kind}.spec.{extra} is in tests/walker/fields.yaml but not in the CRD"
            ));
        }
    }
    for row in rows.iter().filter(|f| !kinds.contains(&f.kind)) {
        gaps.push(format!("{} names a kind without a CRD", row.name()));
    }
    gaps
}

/// What is wrong with a row itself: a walked field needs a snapshot pointer and a removal rule, an unwalked one a
/// reason.
pub fn row_errors(row: &Field) -> Option<String> {
    match (row.walked(), &row.skip, row.change) {
        (_, _, Change::Block) => None,
        (true, Some(_), _) => Some(format!("{}: samples and skip both set", row.name())),
        (false, None, _) => Some(format!("{}: neither samples nor a skip reason", row.name())),
        (true, None, _) if !row.shows.starts_with('/') => Some(format!(
            "{}: shows must point into the snapshot",
            row.name()
        )),
        (true, None, _) if row.removal.is_none() => Some(format!(
            "{}: a walked field needs its removal rule",
            row.name()
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_crd_spec_field_has_a_row_and_every_row_a_crd_field() {
        let gaps = schema_gaps(&all());
        assert!(
            gaps.is_empty(),
            "the field table and the CRDs differ:\n{}",
            gaps.join("\n")
        );
    }

    #[test]
    fn a_field_added_to_a_crd_without_a_row_is_caught() {
        let mut rows = all();
        rows.retain(|f| f.name() != "EcsService.deploymentConfiguration.lifecycleHooks");
        let gaps = schema_gaps(&rows);
        assert_eq!(
            gaps,
            [
                "EcsService.spec.deploymentConfiguration.lifecycleHooks is in the CRD but not in tests/walker/fields.yaml"
            ]
        );
    }

    #[test]
    fn every_row_is_complete() {
        let errors: Vec<String> = all().iter().filter_map(row_errors).collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
}
