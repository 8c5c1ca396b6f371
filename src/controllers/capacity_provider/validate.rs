//! Checks of a `CapacityProvider` spec that the schema cannot express (or an old API server does not enforce);
//! pure, no AWS call.

use crate::api::CapacityProvider;
use crate::api::capacity_provider::{AutoScalingGroupProvider, ManagedScaling};
use crate::api::managed_instances::ManagedInstancesProvider;
use crate::controllers::validation::{check_ecs_name, check_name_unchanged, check_tags};

/// The ECS name of the capacity provider: `spec.name`, else `metadata.name`.
pub fn provider_name(provider: &CapacityProvider) -> String {
    provider
        .spec
        .name
        .clone()
        .unwrap_or_else(|| provider.metadata.name.clone().unwrap_or_default())
}

/// Validates the spec; the error names the field and what to do.
pub fn validate(provider: &CapacityProvider) -> Result<(), String> {
    let spec = &provider.spec;
    let field = if spec.name.is_some() {
        "spec.name"
    } else {
        "metadata.name"
    };
    let name = provider_name(provider);
    check_ecs_name(field, &name)?;
    let lower = name.to_ascii_lowercase();
    if let Some(prefix) = ["aws", "ecs", "fargate"]
        .into_iter()
        .find(|p| lower.starts_with(p))
    {
        return Err(format!(
            "{field}: \"{name}\" starts with \"{prefix}\", which ECS reserves for its own capacity providers; \
             choose another name"
        ));
    }
    let status = provider.status.as_ref();
    check_name_unchanged("spec.name", &name, status.and_then(|s| s.name.as_deref()))?;

    match (
        &spec.auto_scaling_group_provider,
        &spec.managed_instances_provider,
    ) {
        (Some(_), Some(_)) => Err(
            "spec: autoScalingGroupProvider and managedInstancesProvider are both set; a capacity provider is \
             one or the other, so keep one"
                .to_owned(),
        ),
        (None, None) => Err(
            "spec: set one of autoScalingGroupProvider (an EC2 Auto Scaling group) and managedInstancesProvider \
             (ECS Managed Instances)"
                .to_owned(),
        ),
        (Some(asg), None) => {
            if spec.cluster.is_some() {
                return Err("spec.cluster: only a managedInstancesProvider belongs to one cluster; remove \
                            spec.cluster, and associate the provider through EcsCluster.spec.capacityProviderRefs"
                    .to_owned());
            }
            check_auto_scaling_group(asg)
        }
        (None, Some(managed)) => {
            let cluster = spec.cluster.as_deref().ok_or_else(|| {
                "spec.cluster: a managedInstancesProvider belongs to one ECS cluster; name it here".to_owned()
            })?;
            crate::controllers::validation::check_name("spec.cluster", cluster)?;
            check_name_unchanged(
                "spec.cluster",
                cluster,
                status.and_then(|s| s.cluster.as_deref()),
            )?;
            check_managed_instances(managed)
        }
    }?;
    check_tags("spec.tags", &spec.tags)
}

fn check_auto_scaling_group(asg: &AutoScalingGroupProvider) -> Result<(), String> {
    const FIELD: &str = "spec.autoScalingGroupProvider";
    let group = &asg.auto_scaling_group_arn;
    // CreateCapacityProvider takes the group's ARN or its name (catalogue entry 71a).
    let valid = if group.starts_with("arn:") {
        is_auto_scaling_group_arn(group)
    } else {
        (1..=255).contains(&group.chars().count())
    };
    if !valid {
        return Err(format!(
            "{FIELD}.autoScalingGroupArn: \"{group}\" is neither an Auto Scaling group ARN \
             (arn:aws:autoscaling:REGION:ACCOUNT:autoScalingGroup:UUID:autoScalingGroupName/NAME) nor a group name \
             (1-255 characters); use one of them"
        ));
    }
    if let Some(scaling) = &asg.managed_scaling {
        check_managed_scaling(scaling)?;
    }
    Ok(())
}

fn check_managed_scaling(scaling: &ManagedScaling) -> Result<(), String> {
    const FIELD: &str = "spec.autoScalingGroupProvider.managedScaling";
    let ranges = [
        ("targetCapacity", scaling.target_capacity, 1, 100),
        (
            "minimumScalingStepSize",
            scaling.minimum_scaling_step_size,
            1,
            10_000,
        ),
        (
            "maximumScalingStepSize",
            scaling.maximum_scaling_step_size,
            1,
            10_000,
        ),
        (
            "instanceWarmupPeriod",
            scaling.instance_warmup_period,
            0,
            10_000,
        ),
    ];
    for (name, value, min, max) in ranges {
        if let Some(value) = value.filter(|v| !(min..=max).contains(v)) {
            return Err(format!(
                "{FIELD}.{name}: {value} is out of range; ECS accepts {min}-{max}"
            ));
        }
    }
    if let (Some(min), Some(max)) = (
        scaling.minimum_scaling_step_size,
        scaling.maximum_scaling_step_size,
    ) && min > max
    {
        return Err(format!(
            "{FIELD}.minimumScalingStepSize: {min} is above maximumScalingStepSize {max}"
        ));
    }
    Ok(())
}

fn check_managed_instances(managed: &ManagedInstancesProvider) -> Result<(), String> {
    const FIELD: &str = "spec.managedInstancesProvider";
    if !is_iam_arn(&managed.infrastructure_role_arn, "role/") {
        return Err(format!(
            "{FIELD}.infrastructureRoleArn: \"{}\" is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
            managed.infrastructure_role_arn
        ));
    }
    // CreateCapacityProvider requires the launch template, and the template its instance profile and network
    // configuration (catalogue entry 71b).
    let Some(template) = &managed.instance_launch_template else {
        return Err(format!(
            "{FIELD}.instanceLaunchTemplate is required: ECS launches Managed Instances from it (set at least \
             ec2InstanceProfileArn and networkConfiguration)"
        ));
    };
    if template.network_configuration.is_none() {
        return Err(format!(
            "{FIELD}.instanceLaunchTemplate.networkConfiguration is required: the subnets and security groups of \
             the instances"
        ));
    }
    if !is_iam_arn(&template.ec2_instance_profile_arn, "instance-profile/") {
        return Err(format!(
            "{FIELD}.instanceLaunchTemplate.ec2InstanceProfileArn: \"{}\" is not an instance profile ARN \
             (arn:aws:iam::ACCOUNT:instance-profile/NAME)",
            template.ec2_instance_profile_arn
        ));
    }
    if let Some(requirements) = &template.instance_requirements {
        for (name, range) in [
            ("vCpuCount", &requirements.v_cpu_count),
            ("memoryMiB", &requirements.memory_mib),
        ] {
            match (range.min, range.max) {
                (None, _) => {
                    return Err(format!(
                        "{FIELD}.instanceLaunchTemplate.instanceRequirements.{name}.min is required"
                    ));
                }
                (Some(min), Some(max)) if min > max => {
                    return Err(format!(
                        "{FIELD}.instanceLaunchTemplate.instanceRequirements.{name}: min {min} is above max {max}"
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// `arn:PARTITION:autoscaling:REGION:ACCOUNT:autoScalingGroup:UUID:autoScalingGroupName/NAME`.
fn is_auto_scaling_group_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(8, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "autoscaling", region, account, "autoScalingGroup", id, name]
            if !partition.is_empty() && !region.is_empty() && !account.is_empty() && !id.is_empty()
                && name.strip_prefix("autoScalingGroupName/").is_some_and(|n| !n.is_empty())
    )
}

/// The name of an Auto Scaling group given by ARN or by name.
pub fn group_name(group: &str) -> &str {
    match group.split_once(":autoScalingGroupName/") {
        Some((_, name)) if group.starts_with("arn:") => name,
        _ => group,
    }
}

/// Whether two ways of writing an Auto Scaling group name the same group: equal, or a name and an ARN of that
/// name (ECS may report the ARN of a group it was given by name, or echo the name).
pub fn same_group(a: &str, b: &str) -> bool {
    a == b || ((a.starts_with("arn:") != b.starts_with("arn:")) && group_name(a) == group_name(b))
}

/// `arn:PARTITION:iam::ACCOUNT:<resource>NAME`.
fn is_iam_arn(arn: &str, resource: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "iam", "", account, name]
            if !partition.is_empty() && !account.is_empty()
                && name.strip_prefix(resource).is_some_and(|n| !n.is_empty())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASG: &str = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1b20b315-e8f4-499a-b3d9-432c5f80a153:autoScalingGroupName/web";

    fn provider(yaml: &str) -> CapacityProvider {
        serde_yaml::from_str(&format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: CapacityProvider\nmetadata: {{name: web-ec2, namespace: ns}}\nspec:\n{yaml}"
        ))
        .unwrap()
    }

    fn asg(extra: &str) -> String {
        format!("  autoScalingGroupProvider:\n    autoScalingGroupArn: \"{ASG}\"\n{extra}")
    }

    const MANAGED: &str = "  cluster: web\n  managedInstancesProvider:\n    infrastructureRoleArn: arn:aws:iam::123456789012:role/ecs-infra\n    instanceLaunchTemplate:\n      ec2InstanceProfileArn: arn:aws:iam::123456789012:instance-profile/ecs-instance\n      networkConfiguration: {subnets: [subnet-1], securityGroups: [sg-1]}\n      storageConfiguration: {storageSizeGiB: 50}\n      instanceRequirements: {vCpuCount: {min: 2, max: 8}, memoryMiB: {min: 4096}}\n";

    #[test]
    fn accepts_both_kinds_of_provider() {
        let full = asg(
            "    managedScaling: {status: ENABLED, targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 10000, instanceWarmupPeriod: 0}\n    managedTerminationProtection: DISABLED\n    managedDraining: ENABLED\n  tags: {team: web}\n",
        );
        assert_eq!(validate(&provider(&full)), Ok(()));
        assert_eq!(validate(&provider(MANAGED)), Ok(()));
        // CreateCapacityProvider takes the Auto Scaling group's name as well as its ARN.
        let by_name = "  autoScalingGroupProvider: {autoScalingGroupArn: my-asg}\n";
        assert_eq!(validate(&provider(by_name)), Ok(()));
    }

    #[test]
    fn a_group_is_the_same_by_name_and_by_arn() {
        assert!(same_group(ASG, ASG));
        assert!(same_group(ASG, "web") && same_group("web", ASG));
        assert!(!same_group(ASG, "web-2"));
        assert!(!same_group(ASG, &ASG.replace("/web", "/other")));
        assert_eq!(group_name(ASG), "web");
        assert_eq!(group_name("web"), "web");
    }

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases = [
            (format!("{}{}", asg(""), MANAGED), "spec: autoScalingGroupProvider and managedInstancesProvider are both set"),
            ("  tags: {team: web}\n".to_owned(), "spec: set one of autoScalingGroupProvider"),
            (asg("    managedScaling: {targetCapacity: 0}\n"), "managedScaling.targetCapacity: 0"),
            (asg("    managedScaling: {targetCapacity: 101}\n"), "managedScaling.targetCapacity: 101"),
            (asg("    managedScaling: {minimumScalingStepSize: 0}\n"), "managedScaling.minimumScalingStepSize: 0"),
            (asg("    managedScaling: {maximumScalingStepSize: 10001}\n"), "managedScaling.maximumScalingStepSize: 10001"),
            (asg("    managedScaling: {minimumScalingStepSize: 5, maximumScalingStepSize: 2}\n"), "is above maximumScalingStepSize"),
            (asg("    managedScaling: {instanceWarmupPeriod: -1}\n"), "managedScaling.instanceWarmupPeriod"),
            ("  autoScalingGroupProvider: {autoScalingGroupArn: \"arn:aws:ec2:us-east-1:1:autoScalingGroup:x:autoScalingGroupName/a\"}\n".to_owned(), "autoScalingGroupArn: \"arn:aws:ec2"),
            (format!("  autoScalingGroupProvider: {{autoScalingGroupArn: {}}}\n", "a".repeat(256)), "nor a group name"),
            (MANAGED.replace("    instanceLaunchTemplate:\n      ec2InstanceProfileArn: arn:aws:iam::123456789012:instance-profile/ecs-instance\n      networkConfiguration: {subnets: [subnet-1], securityGroups: [sg-1]}\n      storageConfiguration: {storageSizeGiB: 50}\n      instanceRequirements: {vCpuCount: {min: 2, max: 8}, memoryMiB: {min: 4096}}\n", ""), "managedInstancesProvider.instanceLaunchTemplate is required"),
            (MANAGED.replace("      networkConfiguration: {subnets: [subnet-1], securityGroups: [sg-1]}\n", ""), "instanceLaunchTemplate.networkConfiguration is required"),
            ("  autoScalingGroupProvider: {autoScalingGroupArn: \"arn:aws:autoscaling:us-east-1:1:autoScalingGroup:x:autoScalingGroupName/\"}\n".to_owned(), "autoScalingGroupArn"),
            (format!("  cluster: web\n{}", asg("")), "spec.cluster: only a managedInstancesProvider"),
            (MANAGED.replace("  cluster: web\n", ""), "spec.cluster: a managedInstancesProvider belongs to one ECS cluster"),
            (MANAGED.replace("role/ecs-infra", "user/x"), "infrastructureRoleArn"),
            (MANAGED.replace("instance-profile/ecs-instance", "role/x"), "ec2InstanceProfileArn"),
            (MANAGED.replace("{min: 2, max: 8}", "{min: 9, max: 8}"), "vCpuCount: min 9 is above max 8"),
            (MANAGED.replace("memoryMiB: {min: 4096}", "memoryMiB: {max: 4096}"), "memoryMiB.min is required"),
            (asg("  tags: {\"aws:x\": y}\n"), "spec.tags"),
            (asg("  name: ecs-web\n"), "spec.name: \"ecs-web\" starts with \"ecs\""),
            (asg("  name: web.ec2\n"), "spec.name"),
        ];
        for (yaml, expected) in cases {
            let err = validate(&provider(&yaml)).unwrap_err();
            assert!(err.contains(expected), "{yaml}: {err}");
        }
    }

    #[test]
    fn refuses_a_rename_after_creation() {
        let mut p = provider(&asg("  name: other\n"));
        p.status = Some(crate::api::CapacityProviderStatus {
            name: Some("web-ec2".into()),
            ..Default::default()
        });
        assert!(validate(&p).unwrap_err().contains("immutable"));
    }

    /// Every object of examples/manifests/ec2-stack.yaml passes its kind's validation.
    #[test]
    fn the_ec2_example_is_valid() {
        use crate::reconcile::Managed;
        use serde::Deserialize;
        let text = include_str!("../../../examples/manifests/ec2-stack.yaml");
        let mut kinds = Vec::new();
        for document in serde_yaml::Deserializer::from_str(text) {
            let mut value = serde_yaml::Value::deserialize(document).unwrap();
            value["metadata"]["namespace"] = "demo".into();
            let kind = value["kind"].as_str().unwrap().to_owned();
            let checked = match kind.as_str() {
                "CapacityProvider" => serde_yaml::from_value::<CapacityProvider>(value)
                    .unwrap()
                    .validate(),
                "EcsCluster" => serde_yaml::from_value::<crate::api::EcsCluster>(value)
                    .unwrap()
                    .validate(),
                "TaskDefinition" => serde_yaml::from_value::<crate::api::TaskDefinition>(value)
                    .unwrap()
                    .validate(),
                "EcsService" => serde_yaml::from_value::<crate::api::EcsService>(value)
                    .unwrap()
                    .validate(),
                other => panic!("unexpected kind {other}"),
            };
            assert_eq!(checked, Ok(()), "{kind}");
            kinds.push(kind);
        }
        assert_eq!(kinds.len(), 6);
    }
}
