//! Volume names: valid, and unique in the task.

use std::collections::BTreeMap;

use crate::api::task_definition::TaskDefinitionSpec;
use crate::controllers::validation::check_name;

/// Checks volume names: valid and unique.
pub(super) fn check_volumes(spec: &TaskDefinitionSpec) -> Result<(), String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, volume) in spec.volumes.iter().enumerate() {
        let Some(name) = volume.name.as_deref() else {
            continue;
        };
        check_name(&format!("spec.volumes[{i}].name"), name)?;
        if let Some(first) = seen.get(name) {
            return Err(format!(
                "spec.volumes[{i}].name: \"{name}\" is already the name of spec.volumes[{first}]; volume names must be unique"
            ));
        }
        seen.insert(name, i);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_errors;

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases: &[(&str, &str)] = &[
            (
                "volumes: [{name: html}, {name: html}]\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.volumes[1].name: \"html\" is already the name of spec.volumes[0]",
            ),
            (
                "volumes: [{name: 'my volume'}]\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.volumes[0].name: \"my volume\" contains ' '",
            ),
        ];
        assert!(cases.len() >= 2, "{} cases", cases.len());
        assert_errors(cases);
    }
}
