//! Task-level extras: no Elastic Inference (entry 55), ephemeral storage within 21-200 GiB (entry 54), at most ten
//! placement constraints (RegisterTaskDefinition placementConstraints: "You can specify a maximum of 10 constraints
//! for each task."). A ulimit given twice is a warning (`doubts`).

use std::ops::RangeInclusive;

use crate::api::task_definition::TaskDefinitionSpec;

/// ECS allows this many placement constraints per task definition.
const MAX_PLACEMENT_CONSTRAINTS: usize = 10;

/// Ephemeral storage sizes Fargate accepts, in GiB.
const EPHEMERAL_STORAGE_GIB: RangeInclusive<i32> = 21..=200;

/// Checks Elastic Inference, ephemeral storage and the number of placement constraints.
pub(super) fn check_task_extras(spec: &TaskDefinitionSpec) -> Result<(), String> {
    if !spec.inference_accelerators.is_empty() {
        return Err("spec.inferenceAccelerators: Amazon Elastic Inference is no longer available in ECS; remove the field".into());
    }
    if let Some(storage) = &spec.ephemeral_storage
        && !EPHEMERAL_STORAGE_GIB.contains(&storage.size_in_gib)
    {
        return Err(format!(
            "spec.ephemeralStorage.sizeInGiB: {} is outside 21-200 GiB; choose a size in that range",
            storage.size_in_gib
        ));
    }
    if spec.placement_constraints.len() > MAX_PLACEMENT_CONSTRAINTS {
        return Err(format!(
            "spec.placementConstraints: {} given; ECS allows at most {MAX_PLACEMENT_CONSTRAINTS}, so combine expressions",
            spec.placement_constraints.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_errors;

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases: &[(&str, &str)] = &[(
            "placementConstraints: [{type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}, \
                 {type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}, \
                 {type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}]\n\
                 containerDefinitions: [{name: a, image: i, memory: 8}]",
            "spec.placementConstraints: 11 given",
        )];
        assert!(!cases.is_empty(), "{} cases", cases.len());
        assert_errors(cases);
    }
}
