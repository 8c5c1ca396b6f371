//! Checks of an `EcsExpressService` spec that the schema cannot express, before any AWS call; each message names
//! the field and what to fix.

use kube::ResourceExt;

use crate::api::express_service::ExpressContainer;
use crate::api::{EcsExpressService, EcsExpressServiceSpec};

/// The ECS service name: `spec.serviceName`, or `metadata.name`.
pub fn service_name(service: &EcsExpressService) -> String {
    service
        .spec
        .service_name
        .clone()
        .unwrap_or_else(|| service.name_any())
}

/// Everything wrong with the spec, as one message.
pub fn validate(service: &EcsExpressService) -> Result<(), String> {
    let spec = &service.spec;
    let mut problems = Vec::new();
    let name = service_name(service);
    let name_ok = !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        problems.push(format!(
            "spec.serviceName: ECS service names have 1-255 letters, digits, hyphens and underscores; {name:?} \
             (from {}) is not one: set spec.serviceName",
            if spec.service_name.is_some() { "spec.serviceName" } else { "metadata.name" }
        ));
    }
    check_task_source(spec, &mut problems);
    for (field, arn) in [
        ("spec.executionRoleArn", spec.execution_role_arn.as_ref()),
        (
            "spec.infrastructureRoleArn",
            Some(&spec.infrastructure_role_arn),
        ),
        ("spec.taskRoleArn", spec.task_role_arn.as_ref()),
    ] {
        if let Some(arn) = arn.filter(|a| !is_role_arn(a)) {
            problems.push(format!(
                "{field}: {arn:?} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
            ));
        }
    }
    if let Some(container) = &spec.primary_container {
        check_container(container, &mut problems);
    }
    if let Some(path) = spec
        .health_check_path
        .as_deref()
        .filter(|p| !p.starts_with('/'))
    {
        problems.push(format!(
            "spec.healthCheckPath: {path:?} must start with a slash, such as /health"
        ));
    }
    if let Some(scaling) = &spec.scaling_target
        && let (Some(min), Some(max)) = (scaling.min_task_count, scaling.max_task_count)
        && min > max
    {
        problems.push(format!(
            "spec.scalingTarget: minTaskCount {min} is above maxTaskCount {max}"
        ));
    }
    if let Some(network) = &spec.network_configuration {
        for subnet in network.subnets.iter().filter(|s| !s.starts_with("subnet-")) {
            problems.push(format!(
                "spec.networkConfiguration.subnets: {subnet:?} is not a subnet ID (subnet-...)"
            ));
        }
        for group in network
            .security_groups
            .iter()
            .filter(|g| !g.starts_with("sg-"))
        {
            problems.push(format!(
                "spec.networkConfiguration.securityGroups: {group:?} is not a security group ID (sg-...)"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Exactly one of the primary container and a task definition of one's own, and nothing a task definition of
/// one's own already has (catalogue entry 196).
fn check_task_source(spec: &EcsExpressServiceSpec, problems: &mut Vec<String>) {
    let given: Vec<&str> = [
        ("spec.primaryContainer", spec.primary_container.is_some()),
        ("spec.taskDefinitionRef", spec.task_definition_ref.is_some()),
        ("spec.taskDefinitionArn", spec.task_definition_arn.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, set)| set.then_some(field))
    .collect();
    match given.as_slice() {
        [] => problems.push(
            "spec.primaryContainer: give the container to run (or a task definition of your own in \
             spec.taskDefinitionRef or spec.taskDefinitionArn)"
                .to_owned(),
        ),
        ["spec.primaryContainer"] => {
            if spec.execution_role_arn.is_none() {
                problems.push(
                    "spec.executionRoleArn: give the task execution role ECS pulls the image and writes logs with \
                     (required with spec.primaryContainer)"
                        .to_owned(),
                );
            }
        }
        [own] => {
            let clashing = [
                ("spec.executionRoleArn", spec.execution_role_arn.is_some()),
                ("spec.taskRoleArn", spec.task_role_arn.is_some()),
                ("spec.cpu", spec.cpu.is_some()),
                ("spec.memory", spec.memory.is_some()),
                ("spec.cpuArchitecture", spec.cpu_architecture.is_some()),
            ];
            for (field, _) in clashing.iter().filter(|(_, set)| *set) {
                problems.push(format!(
                    "{field}: ECS takes it from the task definition of {own}, not with it; set it in the task \
                     definition and remove it here"
                ));
            }
            if let Some(arn) = spec
                .task_definition_arn
                .as_deref()
                .filter(|a| !is_task_definition_arn(a))
            {
                problems.push(format!(
                    "spec.taskDefinitionArn: {arn:?} is not a task definition revision ARN \
                     (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION)"
                ));
            }
        }
        several => problems.push(format!(
            "{}: set exactly one of spec.primaryContainer, spec.taskDefinitionRef and spec.taskDefinitionArn",
            several.join(", ")
        )),
    }
}

fn check_container(container: &ExpressContainer, problems: &mut Vec<String>) {
    if container.image.trim().is_empty() {
        problems.push("spec.primaryContainer.image: give the container image".to_owned());
    }
    if let Some(logs) = &container.aws_logs_configuration {
        for (field, value) in [
            ("logGroup", &logs.log_group),
            ("logStreamPrefix", &logs.log_stream_prefix),
        ] {
            if value.trim().is_empty() {
                problems.push(format!(
                    "spec.primaryContainer.awsLogsConfiguration.{field}: give a value (ECS requires both)"
                ));
            }
        }
    }
    if let Some(credentials) = &container.repository_credentials
        && !is_secret_arn(&credentials.credentials_parameter)
    {
        problems.push(format!(
            "spec.primaryContainer.repositoryCredentials.credentialsParameter: {:?} is not a Secrets Manager \
             secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)",
            credentials.credentials_parameter
        ));
    }
}

fn arn_parts(arn: &str) -> Option<[&str; 6]> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let parts: [&str; 6] = parts.try_into().ok()?;
    (parts[0] == "arn").then_some(parts)
}

fn is_task_definition_arn(arn: &str) -> bool {
    arn_parts(arn).is_some_and(|p| {
        p[2] == "ecs"
            && p[5]
                .strip_prefix("task-definition/")
                .and_then(|rest| rest.rsplit_once(':'))
                .is_some_and(|(family, revision)| {
                    !family.is_empty() && revision.parse::<u32>().is_ok_and(|r| r > 0)
                })
    })
}

fn is_secret_arn(arn: &str) -> bool {
    arn_parts(arn).is_some_and(|p| p[2] == "secretsmanager" && p[5].starts_with("secret:"))
}

fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "iam"
        && parts[5].starts_with("role/")
        && parts[5].len() > "role/".len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::LocalRef;
    use crate::api::express_service::{
        ExpressCpuArchitecture, ExpressLogsConfiguration, ExpressRepositoryCredentials,
        ExpressScalingTarget,
    };

    fn service(name: &str, spec: EcsExpressServiceSpec) -> EcsExpressService {
        EcsExpressService::new(name, spec)
    }

    fn good() -> EcsExpressServiceSpec {
        EcsExpressServiceSpec {
            primary_container: Some(ExpressContainer {
                image: "nginx:latest".into(),
                ..Default::default()
            }),
            execution_role_arn: Some("arn:aws:iam::123456789012:role/exec".into()),
            infrastructure_role_arn: "arn:aws:iam::123456789012:role/infra".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_minimal_spec_passes() {
        assert_eq!(validate(&service("web", good())), Ok(()));
    }

    #[test]
    fn each_problem_names_its_field() {
        let spec = EcsExpressServiceSpec {
            infrastructure_role_arn: "infra".into(),
            health_check_path: Some("health".into()),
            scaling_target: Some(ExpressScalingTarget {
                min_task_count: Some(3),
                max_task_count: Some(2),
                ..Default::default()
            }),
            ..good()
        };
        let message = validate(&service("web.v1", spec)).unwrap_err();
        for field in [
            "spec.serviceName",
            "spec.infrastructureRoleArn",
            "spec.healthCheckPath",
            "spec.scalingTarget",
        ] {
            assert!(message.contains(field), "{field} in {message}");
        }
    }

    #[test]
    fn exactly_one_task_source_and_nothing_a_task_definition_has() {
        let own = EcsExpressServiceSpec {
            primary_container: None,
            execution_role_arn: None,
            task_definition_arn: Some(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3".into(),
            ),
            ..good()
        };
        assert_eq!(validate(&service("web", own.clone())), Ok(()));
        let referenced = EcsExpressServiceSpec {
            task_definition_arn: None,
            task_definition_ref: Some(LocalRef { name: "web".into() }),
            ..own.clone()
        };
        assert_eq!(validate(&service("web", referenced.clone())), Ok(()));
        let both = EcsExpressServiceSpec {
            task_definition_ref: Some(LocalRef { name: "web".into() }),
            ..own.clone()
        };
        let message = validate(&service("web", both)).unwrap_err();
        assert!(message.contains("exactly one"), "{message}");
        let none = EcsExpressServiceSpec {
            task_definition_arn: None,
            ..own.clone()
        };
        let message = validate(&service("web", none)).unwrap_err();
        assert!(message.starts_with("spec.primaryContainer"), "{message}");
        let clashing = EcsExpressServiceSpec {
            cpu: Some("256".into()),
            cpu_architecture: Some(ExpressCpuArchitecture::Arm64),
            execution_role_arn: good().execution_role_arn,
            ..referenced
        };
        let message = validate(&service("web", clashing)).unwrap_err();
        for field in ["spec.cpu:", "spec.cpuArchitecture", "spec.executionRoleArn"] {
            assert!(message.contains(field), "{field} in {message}");
        }
        let bad_arn = EcsExpressServiceSpec {
            task_definition_arn: Some("web:3".into()),
            ..own
        };
        let message = validate(&service("web", bad_arn)).unwrap_err();
        assert!(message.starts_with("spec.taskDefinitionArn"), "{message}");
        let no_role = EcsExpressServiceSpec {
            execution_role_arn: None,
            ..good()
        };
        let message = validate(&service("web", no_role)).unwrap_err();
        assert!(message.starts_with("spec.executionRoleArn"), "{message}");
    }

    #[test]
    fn logs_and_registry_credentials_are_checked() {
        let mut spec = good();
        let container = spec.primary_container.as_mut().unwrap();
        container.aws_logs_configuration = Some(ExpressLogsConfiguration {
            log_group: "/ecs/web".into(),
            log_stream_prefix: " ".into(),
        });
        container.repository_credentials = Some(ExpressRepositoryCredentials {
            credentials_parameter: "my-secret".into(),
        });
        let message = validate(&service("web", spec.clone())).unwrap_err();
        assert!(
            message.contains("awsLogsConfiguration.logStreamPrefix"),
            "{message}"
        );
        assert!(
            message.contains("repositoryCredentials.credentialsParameter"),
            "{message}"
        );
        let container = spec.primary_container.as_mut().unwrap();
        container
            .aws_logs_configuration
            .as_mut()
            .unwrap()
            .log_stream_prefix = "ecs".into();
        container.repository_credentials = Some(ExpressRepositoryCredentials {
            credentials_parameter:
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbCdEf".into(),
        });
        assert_eq!(validate(&service("web", spec)), Ok(()));
    }
}
