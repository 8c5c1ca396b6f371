//! Checks of an `EcsTask` spec that the schema cannot express; pure, no AWS call.
//!
//! [`validate`] looks at the spec alone; [`check_task_definition`] runs once a referenced task definition is known.

use crate::api::EcsTask;
use crate::api::service::PropagateTags;
use crate::api::task::EcsTaskSpec;
use crate::controllers::launch::{self, Launch};
use crate::controllers::references::{References, TaskTraits};
use crate::controllers::validation::check_tags;

/// RunTask starts 1 to 10 tasks per call.
const MAX_COUNT: i32 = 10;
/// ECS allows at most this many characters of overrides JSON.
const MAX_OVERRIDES_CHARS: usize = 8192;

/// The launch fields of a task spec.
pub fn launch(spec: &EcsTaskSpec) -> Launch<'_> {
    Launch {
        launch_type: spec.launch_type,
        strategy: spec
            .capacity_provider_strategy
            .as_deref()
            .unwrap_or_default(),
        platform_version: spec.platform_version.as_deref(),
        network: spec.network_configuration.as_ref(),
    }
}

/// Validates the spec; the error names the field and what to do.
pub fn validate(task: &EcsTask) -> Result<(), String> {
    let spec = &task.spec;
    launch::check_references(&task.references())?;
    if !(1..=MAX_COUNT).contains(&spec.count) {
        return Err(format!(
            "spec.count: {} is outside 1-{MAX_COUNT}; RunTask starts at most {MAX_COUNT} tasks",
            spec.count
        ));
    }
    validate_lifecycle(spec)?;
    if spec.propagate_tags == Some(PropagateTags::Service) {
        return Err(
            "spec.propagateTags: SERVICE is refused for tasks run with RunTask; use TASK_DEFINITION or NONE"
                .into(),
        );
    }
    launch(spec).check()?;
    check_overrides(spec)?;
    check_tags("spec.tags", &spec.tags)
}

/// Validates the fields a started run still reads (its backoff limit, deadline, time to live).
pub fn validate_lifecycle(spec: &EcsTaskSpec) -> Result<(), String> {
    if spec.backoff_limit < 0 {
        return Err(format!(
            "spec.backoffLimit: {} is negative; set 0 (no retry) or more",
            spec.backoff_limit
        ));
    }
    if let Some(seconds) = spec.active_deadline_seconds.filter(|s| *s < 1) {
        return Err(format!(
            "spec.activeDeadlineSeconds: {seconds} must be at least 1"
        ));
    }
    if let Some(seconds) = spec.ttl_seconds_after_finished.filter(|s| *s < 0) {
        return Err(format!(
            "spec.ttlSecondsAfterFinished: {seconds} is negative"
        ));
    }
    Ok(())
}

fn check_overrides(spec: &EcsTaskSpec) -> Result<(), String> {
    let Some(overrides) = &spec.overrides else {
        return Ok(());
    };
    for (i, o) in overrides.container_overrides.iter().enumerate() {
        if o.name.is_empty() {
            return Err(format!(
                "spec.overrides.containerOverrides[{i}].name must name a container"
            ));
        }
    }
    let size = serde_json::to_string(overrides).map_or(0, |s| s.chars().count());
    if size > MAX_OVERRIDES_CHARS {
        return Err(format!(
            "spec.overrides: {size} characters of JSON; ECS allows at most {MAX_OVERRIDES_CHARS}"
        ));
    }
    Ok(())
}

/// Checks the spec against a referenced task definition: its containers (overrides must name one) and what it
/// requires of the launch.
pub fn check_task_definition(
    spec: &EcsTaskSpec,
    refs: &References<'_>,
    traits: &TaskTraits,
) -> Result<(), String> {
    let overrides = spec.overrides.iter().flat_map(|o| &o.container_overrides);
    for (i, o) in overrides.enumerate() {
        if !traits.containers.contains(&o.name) {
            return Err(format!(
                "spec.overrides.containerOverrides[{i}].name: the task definition has no container \"{}\" \
                 (it has: {})",
                o.name,
                traits.containers.join(", ")
            ));
        }
    }
    launch(spec).check_compatibility(refs, traits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(yaml: &str) -> EcsTask {
        let mut t: EcsTask = serde_yaml::from_str(&format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsTask\nmetadata: {{name: job, namespace: ns}}\nspec:\n{yaml}"
        ))
        .unwrap();
        t.metadata.uid = Some("u1".into());
        t
    }

    const BASE: &str = "  clusterRef: {name: main}\n  taskDefinitionRef: {name: job}\n";

    #[test]
    fn accepts_a_plain_task_with_defaults() {
        let t = task(BASE);
        assert_eq!((t.spec.count, t.spec.backoff_limit), (1, 0));
        assert_eq!(validate(&t), Ok(()));
    }

    #[test]
    fn names_the_field_of_bad_input() {
        for (yaml, field) in [
            ("  count: 11\n", "spec.count"),
            ("  count: 0\n", "spec.count"),
            ("  backoffLimit: -1\n", "spec.backoffLimit"),
            ("  activeDeadlineSeconds: 0\n", "spec.activeDeadlineSeconds"),
            (
                "  launchType: FARGATE\n",
                "spec.networkConfiguration.awsvpcConfiguration",
            ),
            (
                "  launchType: EC2\n  capacityProviderStrategy: [{capacityProvider: FARGATE}]\n",
                "spec.launchType",
            ),
            ("  propagateTags: SERVICE\n", "spec.propagateTags"),
            (
                "  overrides: {containerOverrides: [{name: \"\"}]}\n",
                "spec.overrides",
            ),
        ] {
            let err = validate(&task(&format!("{BASE}{yaml}"))).unwrap_err();
            assert!(err.starts_with(field), "{yaml}: {err}");
        }
        let err = validate(&task("  cluster: main\n")).unwrap_err();
        assert!(err.contains("spec.taskDefinitionRef"), "{err}");
    }

    #[test]
    fn overrides_must_name_a_container_of_the_task_definition() {
        let t = task(&format!(
            "{BASE}  overrides: {{containerOverrides: [{{name: app, command: [\"true\"]}}, {{name: nope}}]}}\n"
        ));
        let traits = TaskTraits {
            compatibilities: vec!["EC2".into()],
            network_mode: None,
            containers: vec!["app".into()],
            essential: vec!["app".into()],
        };
        let err = check_task_definition(&t.spec, &t.references(), &traits).unwrap_err();
        assert!(
            err.starts_with("spec.overrides.containerOverrides[1].name")
                && err.contains("\"nope\""),
            "{err}"
        );
        let fine = task(&format!(
            "{BASE}  overrides: {{containerOverrides: [{{name: app}}]}}\n"
        ));
        assert_eq!(
            check_task_definition(&fine.spec, &fine.references(), &traits),
            Ok(())
        );
    }
}
