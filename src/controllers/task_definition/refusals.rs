//! What RegisterTaskDefinition refuses (or what cannot work) beyond sizes, ports and references, refused before any
//! call (`docs/ecs-behaviour.md` entries 50–53 and 56): Windows on Fargate outside its sizes, ARM64 with Windows,
//! runtime platform values, role ARNs, what needs an execution role, Fargate's stop timeout, EFS authorization
//! without transit encryption; pure.

use crate::api::TaskDefinitionSpec;
use crate::api::task_definition::{EfsAuthorizationConfigIam, EfsTransitEncryption};

/// `RuntimePlatform.cpuArchitecture` values (entry 51).
const CPU_ARCHITECTURES: [&str; 2] = ["X86_64", "ARM64"];
/// `RuntimePlatform.operatingSystemFamily` values (entry 51, the model's enum).
const OPERATING_SYSTEM_FAMILIES: [&str; 10] = [
    "LINUX",
    "WINDOWS_SERVER_2016_FULL",
    "WINDOWS_SERVER_2019_FULL",
    "WINDOWS_SERVER_2019_CORE",
    "WINDOWS_SERVER_2022_FULL",
    "WINDOWS_SERVER_2022_CORE",
    "WINDOWS_SERVER_2025_FULL",
    "WINDOWS_SERVER_2025_CORE",
    "WINDOWS_SERVER_2004_CORE",
    "WINDOWS_SERVER_20H2_CORE",
];
/// Fargate's largest `stopTimeout` (entry 53).
const FARGATE_MAX_STOP_TIMEOUT: i32 = 120;

/// Checks the spec; `cpu` and `memory` are the task size in units and MiB where given.
pub fn check(
    spec: &TaskDefinitionSpec,
    fargate: bool,
    cpu: Option<u64>,
    memory: Option<u64>,
) -> Result<(), String> {
    check_platform(spec, fargate, cpu, memory)?;
    check_roles(spec)?;
    check_execution_role_needs(spec)?;
    if fargate {
        check_stop_timeouts(spec)?;
    }
    check_efs(spec)
}

fn check_platform(
    spec: &TaskDefinitionSpec,
    fargate: bool,
    cpu: Option<u64>,
    memory: Option<u64>,
) -> Result<(), String> {
    let Some(platform) = &spec.runtime_platform else {
        return Ok(());
    };
    let arch = platform.cpu_architecture.as_deref();
    if let Some(arch) = arch.filter(|a| !CPU_ARCHITECTURES.contains(a)) {
        return Err(format!(
            "spec.runtimePlatform.cpuArchitecture: \"{arch}\" is not one of {}",
            CPU_ARCHITECTURES.join(", ")
        ));
    }
    let os = platform.operating_system_family.as_deref();
    if let Some(os) = os.filter(|o| !OPERATING_SYSTEM_FAMILIES.contains(o)) {
        return Err(format!(
            "spec.runtimePlatform.operatingSystemFamily: \"{os}\" is not one of {}",
            OPERATING_SYSTEM_FAMILIES.join(", ")
        ));
    }
    let windows = os.is_some_and(|o| o.starts_with("WINDOWS_"));
    if windows && arch == Some("ARM64") {
        return Err(
            "spec.runtimePlatform: ARM64 runs Linux tasks only; use X86_64 for Windows".into(),
        );
    }
    if windows && fargate && !windows_fargate_size(cpu, memory) {
        return Err(format!(
            "spec.cpu/spec.memory: Windows on Fargate offers cpu 1024 with 2048-8192 MiB, 2048 with 4096-16384 MiB and \
             4096 with 8192-30720 MiB (in steps of 1024), not {} CPU units with {} MiB",
            describe(cpu),
            describe(memory)
        ));
    }
    Ok(())
}

/// Whether Windows on Fargate offers this task size (entry 50).
fn windows_fargate_size(cpu: Option<u64>, memory: Option<u64>) -> bool {
    let (Some(cpu), Some(memory)) = (cpu, memory) else {
        return false;
    };
    let range = match cpu {
        1024 => 2048..=8192,
        2048 => 4096..=16384,
        4096 => 8192..=30720,
        _ => return false,
    };
    range.contains(&memory) && memory.is_multiple_of(1024)
}

fn describe(value: Option<u64>) -> String {
    value.map_or_else(|| "unset".into(), |v| v.to_string())
}

/// `taskRoleArn` and `executionRoleArn` are IAM role ARNs or role names, which ECS completes with the account
/// (entry 85); ECS refuses anything else with "Role is not valid". An empty value is no role (botocore's own
/// RegisterTaskDefinition example sends `taskRoleArn: ""`).
fn check_roles(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (field, role) in [
        ("taskRoleArn", &spec.task_role_arn),
        ("executionRoleArn", &spec.execution_role_arn),
    ] {
        let Some(role) = role.as_deref().filter(|r| !r.is_empty()) else {
            continue;
        };
        let valid = if role.starts_with("arn:") {
            is_role_arn(role)
        } else {
            is_role_name(role)
        };
        if !valid {
            return Err(format!(
                "spec.{field}: \"{role}\" is neither an IAM role ARN nor a role name (ECS answers \"Role is not valid\"); \
                 use arn:aws:iam::<account>:role/<name> or the role's name"
            ));
        }
    }
    Ok(())
}

/// An IAM role name: 1-64 letters, digits and `+=,.@_-` (IAM's `roleNameType`).
fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// `arn:<partition>:iam::<12 digits>:role/<path and name>`.
fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty()))
}

/// Log `secretOptions` and `repositoryCredentials` are read by the agent with the execution role (entry 52).
fn check_execution_role_needs(spec: &TaskDefinitionSpec) -> Result<(), String> {
    if spec.execution_role_arn.is_some() {
        return Ok(());
    }
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = format!("spec.containerDefinitions[{i}]");
        let field = if container
            .log_configuration
            .as_ref()
            .is_some_and(|l| !l.secret_options.is_empty())
        {
            "logConfiguration.secretOptions"
        } else if container.repository_credentials.is_some() {
            "repositoryCredentials"
        } else {
            continue;
        };
        return Err(format!(
            "spec.executionRoleArn is required because {path}.{field} is read with the task execution role; set it"
        ));
    }
    Ok(())
}

fn check_stop_timeouts(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (i, container) in spec.container_definitions.iter().enumerate() {
        if let Some(timeout) = container
            .stop_timeout
            .filter(|t| *t > FARGATE_MAX_STOP_TIMEOUT)
        {
            return Err(format!(
                "spec.containerDefinitions[{i}].stopTimeout: {timeout} s is above Fargate's maximum of \
                 {FARGATE_MAX_STOP_TIMEOUT} s; lower it"
            ));
        }
    }
    Ok(())
}

/// IAM authorization or an access point needs transit encryption (entry 56).
fn check_efs(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for (i, volume) in spec.volumes.iter().enumerate() {
        let Some(efs) = &volume.efs_volume_configuration else {
            continue;
        };
        let auth = efs.authorization_config.as_ref();
        let needs = if auth.is_some_and(|a| a.iam == Some(EfsAuthorizationConfigIam::Enabled)) {
            "authorizationConfig.iam ENABLED"
        } else if auth.is_some_and(|a| a.access_point_id.is_some()) {
            "authorizationConfig.accessPointId"
        } else {
            continue;
        };
        if efs.transit_encryption != Some(EfsTransitEncryption::Enabled) {
            return Err(format!(
                "spec.volumes[{i}].efsVolumeConfiguration.transitEncryption must be ENABLED with {needs}; set it"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TaskDefinition;

    fn spec(yaml: &str) -> TaskDefinitionSpec {
        let td: TaskDefinition = serde_yaml::from_str(&format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec: {yaml}\n"
        ))
        .unwrap();
        td.spec
    }

    fn error_of(yaml: &str, fargate: bool, cpu: u64, memory: u64) -> String {
        check(&spec(yaml), fargate, Some(cpu), Some(memory)).expect_err(yaml)
    }

    const CONTAINER: &str = "containerDefinitions: [{name: a, image: i}]";

    #[test]
    fn refuses_windows_on_fargate_outside_its_sizes_and_on_arm64() {
        let windows = format!(
            "{{{CONTAINER}, runtimePlatform: {{operatingSystemFamily: WINDOWS_SERVER_2022_CORE}}}}"
        );
        assert!(error_of(&windows, true, 256, 512).contains("Windows on Fargate"));
        assert!(check(&spec(&windows), true, Some(1024), Some(2048)).is_ok());
        assert!(
            check(&spec(&windows), false, Some(256), Some(512)).is_ok(),
            "EC2 sizes are free"
        );
        let arm = format!(
            "{{{CONTAINER}, runtimePlatform: {{operatingSystemFamily: WINDOWS_SERVER_2019_FULL, cpuArchitecture: ARM64}}}}"
        );
        assert!(error_of(&arm, false, 1024, 2048).contains("ARM64"));
        let bad = format!("{{{CONTAINER}, runtimePlatform: {{cpuArchitecture: arm64}}}}");
        assert!(error_of(&bad, false, 1024, 2048).contains("cpuArchitecture"));
        let bad = format!("{{{CONTAINER}, runtimePlatform: {{operatingSystemFamily: Linux}}}}");
        assert!(error_of(&bad, false, 1024, 2048).contains("operatingSystemFamily"));
    }

    /// Entry 85: ECS completes a role name with the account; the API reference documents names for taskRoleArn.
    #[test]
    fn accepts_role_names_and_an_empty_role() {
        for role in [
            "ecsTaskExecutionRole",
            "ECS-task-full-access",
            "task-iam-role",
            "a+b=c,d.e@f_g",
            "",
        ] {
            for field in ["taskRoleArn", "executionRoleArn"] {
                let yaml = format!("{{{CONTAINER}, {field}: \"{role}\"}}");
                assert!(
                    check(&spec(&yaml), false, None, None).is_ok(),
                    "{field}: {role}"
                );
            }
        }
    }

    #[test]
    fn refuses_role_arns_that_are_not_iam_roles() {
        for arn in [
            "${YOUR_EXECUTION_ROLE}",
            "arn:aws:iam::aws_account_id:role/ecsTaskExecutionRole",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:iam::1234:role/x",
            &"r".repeat(65),
        ] {
            let yaml = format!("{{{CONTAINER}, taskRoleArn: \"{arn}\"}}");
            assert!(
                error_of(&yaml, false, 1024, 2048).contains("spec.taskRoleArn"),
                "{arn}"
            );
        }
        let ok = format!(
            "{{{CONTAINER}, executionRoleArn: \"arn:aws-cn:iam::123456789012:role/ecs/exec\"}}"
        );
        assert!(check(&spec(&ok), false, None, None).is_ok());
    }

    #[test]
    fn refuses_what_needs_an_execution_role_without_one() {
        let logs = "{containerDefinitions: [{name: a, image: i, logConfiguration: {logDriver: awsfirelens, secretOptions: [{name: k, valueFrom: arn:aws:ssm:us-east-1:1:parameter/k}]}}]}";
        assert!(error_of(logs, false, 1024, 2048).contains("secretOptions"));
        let creds = "{containerDefinitions: [{name: a, image: i, repositoryCredentials: {credentialsParameter: arn:aws:secretsmanager:us-east-1:1:secret:x}}]}";
        assert!(error_of(creds, false, 1024, 2048).contains("repositoryCredentials"));
    }

    #[test]
    fn refuses_a_fargate_stop_timeout_over_120_and_efs_auth_without_encryption() {
        let slow = "{containerDefinitions: [{name: a, image: i, stopTimeout: 121}]}";
        assert!(error_of(slow, true, 256, 512).contains("stopTimeout"));
        assert!(
            check(&spec(slow), false, None, None).is_ok(),
            "EC2 allows more"
        );
        let efs = format!(
            "{{{CONTAINER}, volumes: [{{name: d, efsVolumeConfiguration: {{fileSystemId: fs-1, authorizationConfig: {{accessPointId: fsap-1}}}}}}]}}"
        );
        assert!(error_of(&efs, false, 1024, 2048).contains("transitEncryption"));
    }
}
