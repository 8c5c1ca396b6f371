//! Log configuration: one FireLens log router, present when awsfirelens is used, and the execution
//! role awslogs needs on Fargate.

use super::common::{container_path, has_execution_role};
use crate::api::task_definition::{LogDriver, TaskDefinitionSpec};

/// Checks FireLens (one router, present when awsfirelens is used) and awslogs on Fargate.
pub(super) fn check_logging(spec: &TaskDefinitionSpec, fargate: bool) -> Result<(), String> {
    let containers = &spec.container_definitions;
    let mut routers = containers
        .iter()
        .enumerate()
        .filter(|(_, c)| c.firelens_configuration.is_some())
        .map(|(i, _)| i);
    let first_router = routers.next();
    if let (Some(first), Some(second)) = (first_router, routers.next()) {
        return Err(format!(
            "{}.firelensConfiguration: only one container may be the FireLens log router and {} already is; remove one",
            container_path(second),
            container_path(first)
        ));
    }
    for (i, container) in containers.iter().enumerate() {
        let driver = container.log_configuration.as_ref().map(|l| l.log_driver);
        if driver == Some(LogDriver::Awsfirelens) && first_router.is_none() {
            return Err(format!(
                "{}.logConfiguration.logDriver: awsfirelens needs a log router container with firelensConfiguration; add one (such as aws-for-fluent-bit) or use another log driver",
                container_path(i)
            ));
        }
        if fargate && driver == Some(LogDriver::Awslogs) && !has_execution_role(spec) {
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
        let cases: &[(&str, &str)] = &[
            (
                fargate!(
                    "containerDefinitions: [{name: a, image: i, logConfiguration: {logDriver: awslogs, options: {awslogs-group: g}}}]"
                ),
                "spec.executionRoleArn is required on Fargate because spec.containerDefinitions[0].logConfiguration uses awslogs",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 8, logConfiguration: {logDriver: awsfirelens}}]",
                "spec.containerDefinitions[0].logConfiguration.logDriver: awsfirelens needs a log router container",
            ),
            (
                "containerDefinitions: [{name: r1, image: i, memory: 8, firelensConfiguration: {type: fluentbit}}, {name: r2, image: i, memory: 8, firelensConfiguration: {type: fluentd}}]",
                "spec.containerDefinitions[1].firelensConfiguration: only one container may be the FireLens log router",
            ),
        ];
        assert!(cases.len() >= 3, "{} cases", cases.len());
        assert_errors(cases);
    }
}
