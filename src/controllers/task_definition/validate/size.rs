//! The 64 KiB limit ECS sets on a task definition as JSON, counting only what is sent to ECS.

use crate::api::task_definition::TaskDefinitionSpec;

/// ECS refuses task definitions whose JSON is larger than this (developer guide, service quotas: "Task definition
/// size: 64 KiB").
pub const MAX_TASK_DEFINITION_BYTES: usize = 65_536;

/// Checks that the ECS part of the spec, as JSON, stays within ECS's 64 KiB limit.
pub(super) fn check_size(spec: &TaskDefinitionSpec) -> Result<(), String> {
    let size = serde_json::to_vec(&spec.ecs_content())
        .map_err(|e| format!("spec: cannot be encoded as JSON: {e}"))?
        .len();
    if size > MAX_TASK_DEFINITION_BYTES {
        return Err(format!(
            "spec: the task definition is {size} bytes as JSON, above ECS's limit of 64 KiB ({MAX_TASK_DEFINITION_BYTES} bytes); shrink it, such as by moving environment variables to environmentFiles"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{error_of, task};
    use super::super::validate;
    use super::*;

    #[test]
    fn refuses_a_spec_over_64_kib() {
        let big = "x".repeat(MAX_TASK_DEFINITION_BYTES);
        let spec = format!(
            "containerDefinitions: [{{name: a, image: i, memory: 8, environment: [{{name: BIG, value: {big}}}]}}]"
        );
        let err = error_of(&spec);
        assert!(err.starts_with("spec: the task definition is"), "{err}");
        assert!(err.contains("64 KiB"), "{err}");
    }

    #[test]
    fn operator_fields_do_not_count_toward_the_size() {
        let tags: Vec<String> = (0..40)
            .map(|i| format!("k{i}: {}", "v".repeat(200)))
            .collect();
        let spec = format!(
            "containerDefinitions: [{{name: a, image: i, memory: 8, environment: [{{name: BIG, value: {}}}]}}]\ntags: {{{}}}",
            "x".repeat(MAX_TASK_DEFINITION_BYTES - 200),
            tags.join(", ")
        );
        assert_eq!(validate(&task(&spec)), Ok(()));
    }
}
