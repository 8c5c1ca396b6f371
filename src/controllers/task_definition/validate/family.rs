//! The family name: `spec.family`, else `metadata.name`; one ECS accepts, unchanged since the
//! first registration.

use crate::api::TaskDefinition;
use crate::controllers::validation::{check_ecs_name, check_name_unchanged};

/// The ECS family of the task definition: `spec.family`, else `metadata.name`.
pub fn family(td: &TaskDefinition) -> String {
    td.spec
        .family
        .clone()
        .unwrap_or_else(|| td.metadata.name.clone().unwrap_or_default())
}

/// Checks the family name and that it did not change since the first registration.
pub(super) fn check_family(td: &TaskDefinition) -> Result<(), String> {
    let field = if td.spec.family.is_some() {
        "spec.family"
    } else {
        "metadata.name"
    };
    let name = family(td);
    // RegisterTaskDefinition family: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens
    // are allowed."
    check_ecs_name(field, &name)?;
    // Not an ECS rule: the object keeps the family it registered (API.md), so that it never registers elsewhere.
    let recorded = td.status.as_ref().and_then(|s| s.family.as_deref());
    check_name_unchanged("spec.family", &name, recorded)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_errors, task};
    use super::super::{fixtures, validate};
    use super::*;
    use crate::api::TaskDefinitionStatus;

    #[test]
    fn the_family_defaults_to_the_object_name() {
        assert_eq!(
            family(&task(fixtures::FARGATE_WEBSERVER)),
            "fargate-task-definition"
        );
        assert_eq!(
            family(&task(
                "containerDefinitions: [{name: a, image: i, memory: 8}]"
            )),
            "web"
        );
    }

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases: &[(&str, &str)] = &[(
            "family: bad.name\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
            "spec.family: \"bad.name\" contains '.'",
        )];
        assert!(!cases.is_empty(), "{} cases", cases.len());
        assert_errors(cases);
    }

    #[test]
    fn refuses_a_family_change_after_registration() {
        let mut td = task("family: other\ncontainerDefinitions: [{name: a, image: i, memory: 8}]");
        td.status = Some(TaskDefinitionStatus {
            family: Some("web".into()),
            ..Default::default()
        });
        let err = validate(&td).unwrap_err();
        assert!(err.contains("spec.family is immutable"), "{err}");
        td.spec.family = None;
        assert_eq!(validate(&td), Ok(()));
    }

    #[test]
    fn refuses_a_metadata_name_that_is_no_family() {
        let mut td = task("containerDefinitions: [{name: a, image: i, memory: 8}]");
        td.metadata.name = Some("web.prod".into());
        assert!(validate(&td).unwrap_err().starts_with("metadata.name:"));
    }
}
