//! Checks of an `EcsCluster` spec that the schema cannot express; pure, no AWS call.

use std::collections::BTreeSet;

use crate::api::EcsCluster;
use crate::api::cluster::ExecuteCommandLogging;
use crate::controllers::validation::{check_ecs_name, check_name_unchanged, check_tags};

/// The ECS name of the cluster: `spec.clusterName`, else `metadata.name`.
pub fn cluster_name(cluster: &EcsCluster) -> String {
    cluster
        .spec
        .cluster_name
        .clone()
        .unwrap_or_else(|| cluster.metadata.name.clone().unwrap_or_default())
}

/// Validates the spec; the error names the field and what to do.
pub fn validate(cluster: &EcsCluster) -> Result<(), String> {
    let spec = &cluster.spec;
    let field = if spec.cluster_name.is_some() {
        "spec.clusterName"
    } else {
        "metadata.name"
    };
    let name = cluster_name(cluster);
    check_ecs_name(field, &name)?;
    let recorded = cluster
        .status
        .as_ref()
        .and_then(|s| s.cluster_name.as_deref());
    check_name_unchanged("spec.clusterName", &name, recorded)?;

    let mut seen = BTreeSet::new();
    for (i, setting) in spec.settings.iter().enumerate() {
        if !seen.insert(setting.name) {
            return Err(format!(
                "spec.settings[{i}]: {:?} is set twice; keep one entry per setting",
                setting.name
            ));
        }
        if !["enabled", "disabled", "enhanced"].contains(&setting.value.as_str()) {
            return Err(format!(
                "spec.settings[{i}].value: \"{}\" is not valid for containerInsights; use enabled, disabled or enhanced",
                setting.value
            ));
        }
    }

    if let Some(exec) = spec
        .configuration
        .as_ref()
        .and_then(|c| c.execute_command_configuration.as_ref())
    {
        let overrides = exec.logging == Some(ExecuteCommandLogging::Override);
        match (overrides, exec.log_configuration.is_some()) {
            (true, false) => {
                return Err("spec.configuration.executeCommandConfiguration.logConfiguration is required when logging is OVERRIDE".into());
            }
            (false, true) => {
                return Err("spec.configuration.executeCommandConfiguration.logConfiguration is only allowed when logging is OVERRIDE; set logging: OVERRIDE or remove logConfiguration".into());
            }
            _ => {}
        }
    }

    let mut referenced = BTreeSet::new();
    for (i, reference) in spec.capacity_provider_refs.iter().enumerate() {
        if reference.name.is_empty() {
            return Err(format!(
                "spec.capacityProviderRefs[{i}].name must not be empty"
            ));
        }
        if !referenced.insert(reference.name.as_str()) {
            return Err(format!(
                "spec.capacityProviderRefs[{i}]: CapacityProvider \"{}\" is listed twice",
                reference.name
            ));
        }
    }

    if let Some(strategy) = &spec.default_capacity_provider_strategy {
        let refs = spec.capacity_provider_refs.iter().map(|r| r.name.as_str());
        let providers: BTreeSet<&str> = spec
            .capacity_providers
            .iter()
            .flatten()
            .map(String::as_str)
            .chain(refs)
            .collect();
        let mut named = BTreeSet::new();
        // A referenced CapacityProvider may also be named by its ECS name, known once the reference is read:
        // with references, the rest is checked then (`capacity::with_references`).
        let by_ecs_name = !spec.capacity_provider_refs.is_empty();
        for (i, item) in strategy.iter().enumerate() {
            if !by_ecs_name && !providers.contains(item.capacity_provider.as_str()) {
                return Err(format!(
                    "spec.defaultCapacityProviderStrategy[{i}].capacityProvider: \"{}\" is not in spec.capacityProviders or spec.capacityProviderRefs; add it there",
                    item.capacity_provider
                ));
            }
            if !named.insert(item.capacity_provider.as_str()) {
                return Err(format!(
                    "spec.defaultCapacityProviderStrategy[{i}]: capacity provider \"{}\" is listed twice",
                    item.capacity_provider
                ));
            }
        }
        if strategy
            .iter()
            .filter(|item| item.base.unwrap_or(0) > 0)
            .count()
            > 1
        {
            return Err("spec.defaultCapacityProviderStrategy: only one capacity provider may have a base above 0".into());
        }
    }
    check_tags("spec.tags", &spec.tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(yaml: &str) -> EcsCluster {
        let mut c: EcsCluster = serde_yaml::from_str(&format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: web, namespace: ns}}\nspec:\n{yaml}"
        ))
        .unwrap();
        c.metadata.uid = Some("u".into());
        c
    }

    fn error_of(yaml: &str) -> String {
        validate(&cluster(yaml)).unwrap_err()
    }

    #[test]
    fn accepts_a_full_spec() {
        let ok = cluster(
            "  settings: [{name: containerInsights, value: enhanced}]\n  capacityProviders: [FARGATE, FARGATE_SPOT]\n  defaultCapacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1, base: 1}, {capacityProvider: FARGATE_SPOT, weight: 3}]\n  tags: {team: web}\n",
        );
        assert_eq!(validate(&ok), Ok(()));
        let ok = cluster(
            "  capacityProviderRefs: [{name: ec2}]\n  defaultCapacityProviderStrategy: [{capacityProvider: ec2, weight: 1}]\n",
        );
        assert_eq!(validate(&ok), Ok(()));
        // The ECS name of a referenced provider, as pasted ECS JSON writes it (checked once the reference is read).
        let by_ecs_name = cluster(
            "  capacityProviderRefs: [{name: ec2}]\n  defaultCapacityProviderStrategy: [{capacityProvider: web-ec2, weight: 1}]\n",
        );
        assert_eq!(validate(&by_ecs_name), Ok(()));
    }

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases = [
            ("  clusterName: bad.name\n", "spec.clusterName"),
            (
                "  settings: [{name: containerInsights, value: on}]\n",
                "spec.settings[0].value",
            ),
            (
                "  settings: [{name: containerInsights, value: enabled}, {name: containerInsights, value: disabled}]\n",
                "spec.settings[1]",
            ),
            (
                "  configuration: {executeCommandConfiguration: {logging: OVERRIDE}}\n",
                "logConfiguration is required",
            ),
            (
                "  configuration: {executeCommandConfiguration: {logging: DEFAULT, logConfiguration: {s3BucketName: b}}}\n",
                "only allowed when logging is OVERRIDE",
            ),
            (
                "  capacityProviders: [FARGATE]\n  defaultCapacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]\n",
                "spec.defaultCapacityProviderStrategy[0].capacityProvider",
            ),
            (
                "  capacityProviders: [FARGATE, FARGATE_SPOT]\n  defaultCapacityProviderStrategy: [{capacityProvider: FARGATE, base: 1}, {capacityProvider: FARGATE_SPOT, base: 2}]\n",
                "only one capacity provider may have a base",
            ),
            ("  tags: {\"aws:owner\": x}\n", "spec.tags"),
            (
                "  capacityProviderRefs: [{name: ec2}, {name: ec2}]\n",
                "spec.capacityProviderRefs[1]",
            ),
            (
                "  capacityProviderRefs: [{name: \"\"}]\n",
                "spec.capacityProviderRefs[0].name",
            ),
        ];
        for (yaml, expected) in cases {
            let err = error_of(yaml);
            assert!(err.contains(expected), "{yaml}: {err}");
        }
    }

    #[test]
    fn refuses_a_rename_after_creation() {
        let mut c = cluster("  clusterName: other\n");
        c.status = Some(crate::api::EcsClusterStatus {
            cluster_name: Some("web".into()),
            ..Default::default()
        });
        assert!(validate(&c).unwrap_err().contains("immutable"));
    }
}
