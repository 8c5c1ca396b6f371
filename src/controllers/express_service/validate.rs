//! Checks of an `EcsExpressService` spec that the schema cannot express, before any AWS call; each message names
//! the field and what to fix.

use kube::ResourceExt;

use crate::api::EcsExpressService;

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
    for (field, arn) in [
        ("spec.executionRoleArn", Some(&spec.execution_role_arn)),
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
    if spec.primary_container.image.trim().is_empty() {
        problems.push("spec.primaryContainer.image: give the container image".to_owned());
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
    use crate::api::EcsExpressServiceSpec;
    use crate::api::express_service::{ExpressContainer, ExpressScalingTarget};

    fn service(name: &str, spec: EcsExpressServiceSpec) -> EcsExpressService {
        EcsExpressService::new(name, spec)
    }

    fn good() -> EcsExpressServiceSpec {
        EcsExpressServiceSpec {
            primary_container: ExpressContainer {
                image: "nginx:latest".into(),
                ..Default::default()
            },
            execution_role_arn: "arn:aws:iam::123456789012:role/exec".into(),
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
}
