//! Environment variables and secrets of each container, and the execution role secrets need.

use std::collections::BTreeMap;

use super::common::{container_path, has_execution_role};
use crate::api::task_definition::{ContainerDefinition, TaskDefinitionSpec};

/// Checks environment variables and secrets of every container, and the role secrets need.
pub(super) fn check_environment(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        check_env_vars(&path, container)?;
        check_secrets(&path, container)?;
        if !container.secrets.is_empty() && !has_execution_role(spec) {
            return Err(format!(
                "spec.executionRoleArn is required because {path}.secrets reads Secrets Manager or SSM Parameter Store; set the ARN of a task execution role allowed to read them"
            ));
        }
    }
    Ok(())
}

/// Checks that environment variables have names (ECS accepts a name twice).
fn check_env_vars(path: &str, container: &ContainerDefinition) -> Result<(), String> {
    for (k, variable) in container.environment.iter().enumerate() {
        if variable.name.as_deref().unwrap_or_default().is_empty() {
            return Err(format!(
                "{path}.environment[{k}].name must not be empty; name the variable"
            ));
        }
    }
    Ok(())
}

/// Checks that secrets have a name and a source, with names unique in a container.
fn check_secrets(path: &str, container: &ContainerDefinition) -> Result<(), String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
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
        if let Some(first) = seen.get(secret.name.as_str()) {
            return Err(format!(
                "{path}.secrets[{k}].name: \"{}\" is already set by secrets[{first}]; keep one",
                secret.name
            ));
        }
        seen.insert(&secret.name, k);
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
                "containerDefinitions: [{name: a, image: i, memory: 8, environment: [{value: x}]}]",
                "spec.containerDefinitions[0].environment[0].name must not be empty",
            ),
            (
                "executionRoleArn: arn:aws:iam::123456789012:role/x\ncontainerDefinitions: [{name: a, image: i, memory: 8, secrets: [{name: DB, valueFrom: ''}]}]",
                "spec.containerDefinitions[0].secrets[0].valueFrom must not be empty",
            ),
            (
                "executionRoleArn: arn:aws:iam::123456789012:role/x\ncontainerDefinitions: [{name: a, image: i, memory: 8, secrets: [{name: '', valueFrom: arn:aws:ssm:::parameter/p}]}]",
                "spec.containerDefinitions[0].secrets[0].name must not be empty",
            ),
            (
                "executionRoleArn: arn:aws:iam::123456789012:role/x\ncontainerDefinitions: [{name: a, image: i, memory: 8, secrets: [{name: DB, valueFrom: p1}, {name: DB, valueFrom: p2}]}]",
                "spec.containerDefinitions[0].secrets[1].name: \"DB\" is already set by secrets[0]",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, secrets: [{name: DB, valueFrom: p1}]}]",
                "spec.executionRoleArn is required because spec.containerDefinitions[0].secrets",
            ),
        ];
        assert!(cases.len() >= 5, "{} cases", cases.len());
        assert_errors(cases);
    }
}
