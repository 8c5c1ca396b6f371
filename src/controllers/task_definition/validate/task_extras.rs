//! Task-level extras: no Elastic Inference, ephemeral storage within 21-200 GiB, at most ten
//! placement constraints, and one ulimits entry per limit.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use super::common::container_path;
use crate::api::task_definition::TaskDefinitionSpec;

/// ECS allows this many placement constraints per task definition.
const MAX_PLACEMENT_CONSTRAINTS: usize = 10;

/// Ephemeral storage sizes Fargate accepts, in GiB.
const EPHEMERAL_STORAGE_GIB: RangeInclusive<i32> = 21..=200;

/// Checks ephemeral storage, ulimits and the number of placement constraints.
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
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let mut seen = BTreeMap::new();
        for (k, ulimit) in container.ulimits.iter().enumerate() {
            if let Some(first) = seen.insert(ulimit.name, k) {
                return Err(format!(
                    "{}.ulimits[{k}].name: {:?} is already set by ulimits[{first}]; keep one entry per limit",
                    container_path(i),
                    ulimit.name
                ));
            }
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
                "containerDefinitions: [{name: a, image: i, memory: 8, ulimits: [{name: nofile, softLimit: 1024, hardLimit: 4096}, {name: nofile, softLimit: 1, hardLimit: 2}]}]",
                "spec.containerDefinitions[0].ulimits[1].name: Nofile is already set by ulimits[0]",
            ),
            (
                "placementConstraints: [{type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}, \
                 {type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}, \
                 {type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}, {type: memberOf, expression: a}]\n\
                 containerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.placementConstraints: 11 given",
            ),
        ];
        assert!(cases.len() >= 2, "{} cases", cases.len());
        assert_errors(cases);
    }
}
