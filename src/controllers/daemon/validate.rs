//! Checks of an `EcsDaemon` that the schema cannot express, before any AWS call.

use crate::api::EcsDaemon;

pub fn validate(daemon: &EcsDaemon) -> Result<(), String> {
    let spec = &daemon.spec;
    if spec.cluster_ref.is_some() && spec.cluster.is_some() {
        return Err(
            "spec.cluster: set at most one of spec.clusterRef and spec.cluster (neither: ECS's default cluster)"
                .into(),
        );
    }
    match (
        &spec.daemon_task_definition_ref,
        &spec.daemon_task_definition,
    ) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(
                "spec.daemonTaskDefinitionRef: set exactly one of spec.daemonTaskDefinitionRef and \
                 spec.daemonTaskDefinition"
                    .into(),
            );
        }
        (None, Some(arn)) if !arn.starts_with("arn:") => {
            return Err(format!(
                "spec.daemonTaskDefinition: {arn} is not an ARN; ECS's CreateDaemon takes the daemon task \
                 definition revision's full ARN (or use spec.daemonTaskDefinitionRef)"
            ));
        }
        _ => {}
    }
    if spec.capacity_provider_refs.is_empty() && spec.capacity_providers.is_empty() {
        return Err(
            "spec.capacityProviderRefs: name at least one capacity provider (spec.capacityProviderRefs or \
             spec.capacityProviders); ECS runs daemons on the instances of ECS Managed Instances capacity \
             providers"
                .into(),
        );
    }
    for (i, provider) in spec.capacity_providers.iter().enumerate() {
        if provider.is_empty() {
            return Err(format!(
                "spec.capacityProviders[{i}]: empty; give a capacity provider's name or ARN"
            ));
        }
    }
    if let Some(alarms) = spec
        .deployment_configuration
        .as_ref()
        .and_then(|c| c.alarms.as_ref())
        && alarms.enable
        && alarms.alarm_names.is_empty()
    {
        return Err(
            "spec.deploymentConfiguration.alarms.alarmNames: alarms are enabled but none is named; name the \
             CloudWatch alarms that fail a deployment, or set enable: false"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daemon(yaml: &str) -> EcsDaemon {
        EcsDaemon::new("agent", serde_yaml::from_str(yaml).unwrap())
    }

    #[test]
    fn refuses_what_ecs_would_refuse_naming_the_field() {
        let ok = "capacityProviders: [mi]\ndaemonTaskDefinition: arn:aws:ecs:us-east-1:1:daemon-task-definition/a:1";
        assert_eq!(validate(&daemon(ok)), Ok(()));
        for (bad, field) in [
            ("capacityProviders: [mi]", "spec.daemonTaskDefinitionRef"),
            (
                "capacityProviders: [mi]\ndaemonTaskDefinition: agent:1",
                "spec.daemonTaskDefinition:",
            ),
            (
                "daemonTaskDefinitionRef: {name: a}",
                "spec.capacityProviderRefs",
            ),
            (
                "capacityProviders: [mi]\ndaemonTaskDefinitionRef: {name: a}\ncluster: c\nclusterRef: {name: c}",
                "spec.cluster:",
            ),
            (
                "capacityProviders: [mi]\ndaemonTaskDefinitionRef: {name: a}\ndeploymentConfiguration: {alarms: {enable: true}}",
                "alarmNames",
            ),
        ] {
            let err = validate(&daemon(bad)).unwrap_err();
            assert!(err.contains(field), "{bad}: {err}");
        }
    }
}
