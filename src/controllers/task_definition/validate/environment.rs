//! Secrets of each container and the execution role they need. Empty variable names and a secret named twice are
//! warnings (`doubts`).

use super::common::{container_path, has_execution_role};
use crate::api::task_definition::{ContainerDefinition, TaskDefinitionSpec};

/// Checks environment variables and secrets of every container, and the role secrets need.
pub(super) fn check_environment(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        check_secrets(&path, container)?;
        // Entry 52: "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'."
        if !container.secrets.is_empty() && !has_execution_role(spec) {
            return Err(format!(
                "spec.executionRoleArn is required because {path}.secrets reads Secrets Manager or SSM Parameter Store; set the ARN of a task execution role allowed to read them"
            ));
        }
    }
    Ok(())
}

/// Checks that secrets have a name and a source: both are required members of the API reference's `Secret`.
fn check_secrets(path: &str, container: &ContainerDefinition) -> Result<(), String> {
    for (k, secret) in container.secrets.iter().enumerate() {
        if secret.name.is_empty() {
            return Err(format!(
                "{path}.secrets[{k}].name must not be empty; name the environment variable"
            ));
        }
        if secret.value_from.is_empty() {
            return Err(format!(
                "{path}.secrets[{k}].valueFrom must not be empty; set the ARN of the secret or SSM parameter"
            ));
        }
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
                "executionRoleArn: arn:aws:iam::123456789012:role/x\ncontainerDefinitions: [{name: a, image: i, memory: 8, secrets: [{name: DB, valueFrom: ''}]}]",
                "spec.containerDefinitions[0].secrets[0].valueFrom must not be empty",
            ),
            (
                "executionRoleArn: arn:aws:iam::123456789012:role/x\ncontainerDefinitions: [{name: a, image: i, memory: 8, secrets: [{name: '', valueFrom: arn:aws:ssm:::parameter/p}]}]",
                "spec.containerDefinitions[0].secrets[0].name must not be empty",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, secrets: [{name: DB, valueFrom: p1}]}]",
                "spec.executionRoleArn is required because spec.containerDefinitions[0].secrets",
            ),
        ];
        assert!(cases.len() >= 3, "{} cases", cases.len());
        assert_errors(cases);
    }
}
