//! Checks of a `TaskDefinition` spec that the schema cannot express, mirroring what ECS
//! `RegisterTaskDefinition` rejects; pure, no AWS call. Each error names the field path and says
//! what to do, and only the first problem found is reported.
//! `validate` runs the checks of the topic modules below in a fixed order.

mod common;
mod containers;
mod doubts;
mod environment;
mod family;
mod fargate;
#[cfg(test)]
pub mod fixtures;
mod logging;
mod networking;
mod references;
mod resources;
mod size;
mod task_extras;
#[cfg(test)]
mod test_support;
mod volumes;
mod warnings;

use crate::api::TaskDefinition;
use crate::api::task_definition::Compatibility;
use crate::controllers::validation::check_tags;
use containers::check_containers;
use environment::check_environment;
use family::check_family;
use fargate::{check_fargate_containers, check_fargate_task, check_fargate_volumes};
use logging::check_logging;
use networking::{check_network_mode, check_ports};
use references::check_references;
use resources::{check_cpu, check_memory, task_size};
use size::check_size;
use task_extras::check_task_extras;
use volumes::check_volumes;

pub use family::family;
pub use size::MAX_TASK_DEFINITION_BYTES;
pub use warnings::warnings;

/// Validates the spec; the error names the first wrong field and what to do.
pub fn validate(td: &TaskDefinition) -> Result<(), String> {
    let spec = &td.spec;
    check_family(td)?;
    check_containers(spec)?;
    let fargate = spec
        .requires_compatibilities
        .contains(&Compatibility::Fargate);
    let (cpu, memory) = task_size(spec, fargate)?;
    if fargate {
        check_fargate_task(spec, cpu, memory)?;
    }
    check_memory(spec, memory)?;
    check_cpu(spec, cpu)?;
    if fargate {
        check_fargate_containers(spec)?;
        check_fargate_volumes(spec)?;
    }
    check_network_mode(spec)?;
    check_ports(spec)?;
    check_volumes(spec)?;
    check_references(spec)?;
    check_environment(spec)?;
    check_logging(spec, fargate)?;
    check_task_extras(spec)?;
    super::refusals::check(spec, fargate, cpu, memory)?;
    check_size(spec)?;
    check_tags("spec.tags", &spec.tags)
}

#[cfg(test)]
mod tests {
    use super::test_support::{assert_errors, task};
    use super::*;

    #[test]
    fn accepts_the_documentation_examples() {
        for (name, spec) in fixtures::ALL {
            assert_eq!(validate(&task(spec)), Ok(()), "{name}");
        }
        let webserver = task(fixtures::FARGATE_WEBSERVER);
        let command = &webserver.spec.container_definitions[0].command;
        assert!(
            command.len() == 1
                && command[0].starts_with("/bin/sh -c \"echo '<html>")
                && command[0].ends_with("&& httpd-foreground\""),
            "{command:?}"
        );
    }

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases: &[(&str, &str)] = &[(
            "tags: {'aws:owner': x}\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
            "spec.tags: tag key \"aws:owner\"",
        )];
        assert!(!cases.is_empty(), "{} cases", cases.len());
        assert_errors(cases);
    }

    /// ECS registers these; nothing in the catalogue shows it refusing them.
    #[test]
    fn accepts_what_ecs_accepts() {
        for spec in [
            "ephemeralStorage: {sizeInGiB: 30}\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
            "containerDefinitions: [{name: a, image: i, memory: 8, portMappings: [{containerPort: 80, appProtocol: http}]}]",
            "containerDefinitions: [{name: a, image: i, memory: 8, environment: [{name: A, value: x}, {name: A, value: y}]}]",
            "containerDefinitions: [{name: a, image: i, memory: 8, dependsOn: [{containerName: db, condition: HEALTHY}]}, {name: db, image: i, memory: 8, essential: false}]",
            // Entry 86: the API reference says CMD or CMD-SHELL comes first, yet ECS registers this (AWS's own
            // collector templates use it).
            "containerDefinitions: [{name: a, image: i, memory: 8, healthCheck: {command: [/healthcheck]}}]",
            // Entry 85: a role name, which ECS completes with the account.
            "executionRoleArn: ecsTaskExecutionRole\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
        ] {
            assert_eq!(validate(&task(spec)), Ok(()), "{spec}");
        }
    }
}
