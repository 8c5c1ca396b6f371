//! Volume names. A name given twice is a warning (`doubts`).

use crate::api::task_definition::TaskDefinitionSpec;
use crate::controllers::validation::check_name;

/// Checks volume names. Volume.name: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens
/// are allowed."
pub(super) fn check_volumes(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (i, volume) in spec.volumes.iter().enumerate() {
        if let Some(name) = volume.name.as_deref() {
            check_name(&format!("spec.volumes[{i}].name"), name)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_errors;

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases: &[(&str, &str)] = &[(
            "volumes: [{name: 'my volume'}]\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
            "spec.volumes[0].name: \"my volume\" contains ' '",
        )];
        assert!(!cases.is_empty(), "{} cases", cases.len());
        assert_errors(cases);
    }
}
