//! The execution role awslogs needs on Fargate. FireLens without a router or with two is a warning (`doubts`).

use super::common::{container_path, has_execution_role};
use crate::api::task_definition::{LogDriver, TaskDefinitionSpec};

/// Checks that awslogs on Fargate comes with an execution role: ECS answers "Fargate requires task definition to have
/// execution role ARN to support log driver awslogs." (virtual-kubelet/virtual-kubelet#193, aws/aws-cdk#1279).
pub(super) fn check_logging(spec: &TaskDefinitionSpec, fargate: bool) -> Result<(), String> {
    if !fargate || has_execution_role(spec) {
        return Ok(());
    }
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let driver = container.log_configuration.as_ref().map(|l| l.log_driver);
        if driver == Some(LogDriver::Awslogs) {
            return Err(format!(
                "spec.executionRoleArn is required on Fargate because {}.logConfiguration uses awslogs; set the ARN of a task execution role",
                container_path(i)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_errors, fargate};

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases: &[(&str, &str)] = &[(
            fargate!(
                "containerDefinitions: [{name: a, image: i, logConfiguration: {logDriver: awslogs, options: {awslogs-group: g}}}]"
            ),
            "spec.executionRoleArn is required on Fargate because spec.containerDefinitions[0].logConfiguration uses awslogs",
        )];
        assert!(!cases.is_empty(), "{} cases", cases.len());
        assert_errors(cases);
    }
}
