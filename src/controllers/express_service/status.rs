//! What an `EcsExpressService` shows: its status from DescribeExpressGatewayService, whether it is Ready, and
//! whether ECS's newest configuration has what the spec sets.

use serde_json::{Value, json};

use crate::api::EcsExpressServiceStatus;
use crate::api::express_service::EcsExpressServiceSpec;
use crate::controllers::compare::covers;
use crate::ecs::express_service::ObservedExpressService;
use crate::reconcile::conditions::{ConditionUpdate, READY};

/// The status fields from what ECS reports.
pub fn status_of(observed: &ObservedExpressService) -> EcsExpressServiceStatus {
    let newest = observed.newest();
    let ingress_paths = newest.map(|c| c.ingress_paths.clone()).unwrap_or_default();
    let url = ingress_paths
        .iter()
        .find(|p| p.access_type.as_deref() == Some("PUBLIC"))
        .or_else(|| ingress_paths.first())
        .and_then(|p| p.endpoint.as_deref())
        .map(|endpoint| {
            if endpoint.contains("://") {
                endpoint.to_owned()
            } else {
                format!("https://{endpoint}")
            }
        });
    let network = newest.and_then(|c| c.settings.get("networkConfiguration"));
    let ids = |key: &str| -> Vec<String> {
        network
            .and_then(|n| n.get(key))
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    EcsExpressServiceStatus {
        service_arn: Some(observed.service_arn.clone()),
        service_name: observed.service_name.clone(),
        cluster: observed.cluster.clone(),
        ecs_status: Some(observed.status_code().to_owned()).filter(|s| !s.is_empty()),
        status_reason: observed
            .status
            .as_ref()
            .and_then(|s| s.status_reason.clone()),
        url,
        ingress_paths,
        current_deployment: observed.current_deployment.clone(),
        active_configurations: Some(observed.active_configurations.len() as i32),
        task_definition_arn: newest.and_then(|c| c.task_definition_arn.clone()),
        service_revision_arn: newest.and_then(|c| c.service_revision_arn.clone()),
        security_groups: ids("securityGroups"),
        subnets: ids("subnets"),
        ..Default::default()
    }
}

/// Ready: ECS reports the service ACTIVE, with one active configuration (no deployment in progress) and an
/// endpoint to reach it at.
pub fn readiness(
    observed: &ObservedExpressService,
    status: &EcsExpressServiceStatus,
) -> ConditionUpdate {
    let name = observed
        .service_name
        .as_deref()
        .unwrap_or(&observed.service_arn);
    let code = observed.status_code();
    let reason = status
        .status_reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    if code != "ACTIVE" {
        ConditionUpdate::new(
            READY,
            false,
            "Provisioning",
            format!("ECS Express service {name} is {code}{reason}"),
        )
    } else if observed.active_configurations.len() > 1 {
        ConditionUpdate::new(
            READY,
            false,
            "Deploying",
            format!(
                "ECS Express service {name} is deploying its newest configuration ({} configurations active)",
                observed.active_configurations.len()
            ),
        )
    } else if status.url.is_none() {
        ConditionUpdate::new(
            READY,
            false,
            "Provisioning",
            format!("ECS Express service {name} has no endpoint yet"),
        )
    } else {
        ConditionUpdate::new(
            READY,
            true,
            "Active",
            format!(
                "ECS Express service {name} is ACTIVE at {}",
                status.url.as_deref().unwrap_or_default()
            ),
        )
    }
}

/// The fields of the spec UpdateExpressGatewayService changes, in ECS's shape.
pub fn updatable(spec: &EcsExpressServiceSpec) -> Value {
    json!({
        "executionRoleArn": spec.execution_role_arn,
        "taskRoleArn": spec.task_role_arn,
        "primaryContainer": spec.primary_container,
        "cpu": spec.cpu,
        "memory": spec.memory,
        "cpuArchitecture": spec.cpu_architecture,
        "healthCheckPath": spec.health_check_path,
        "scalingTarget": spec.scaling_target,
        "networkConfiguration": spec.network_configuration,
    })
}

/// Whether ECS's newest configuration has every updatable field the spec sets (ECS fills in its defaults for
/// the others) and runs `task_definition`, the spec's own task definition resolved (its newest revision).
pub fn in_sync(
    spec: &EcsExpressServiceSpec,
    task_definition: Option<&str>,
    observed: &ObservedExpressService,
) -> bool {
    observed.newest().is_some_and(|newest| {
        covers(&newest.settings, &updatable(spec))
            && task_definition.is_none_or(|arn| newest.task_definition_arn.as_deref() == Some(arn))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::express_service::ExpressContainer;

    fn observed(
        code: &str,
        configurations: usize,
        endpoint: Option<&str>,
    ) -> ObservedExpressService {
        let configuration = json!({
            "createdAt": 1.0,
            "executionRoleArn": "arn:aws:iam::1:role/exec",
            "primaryContainer": {"image": "nginx", "containerPort": 80},
            "cpu": "256",
            "ingressPaths": endpoint.map(|e| vec![json!({"accessType": "PUBLIC", "endpoint": e})]).unwrap_or_default(),
        });
        serde_json::from_value(json!({
            "serviceArn": "arn:aws:ecs:us-east-1:1:service/default/web",
            "serviceName": "web",
            "status": {"statusCode": code},
            "activeConfigurations": vec![configuration; configurations],
        }))
        .unwrap()
    }

    fn ready(observed: &ObservedExpressService) -> bool {
        readiness(observed, &status_of(observed)).status
    }

    #[test]
    fn ready_only_when_active_with_one_configuration_and_an_endpoint() {
        assert!(ready(&observed(
            "ACTIVE",
            1,
            Some("web.ecs.us-east-1.on.aws")
        )));
        assert!(!ready(&observed(
            "ACTIVE",
            2,
            Some("web.ecs.us-east-1.on.aws")
        )));
        assert!(!ready(&observed("ACTIVE", 1, None)));
        assert!(!ready(&observed(
            "DRAINING",
            1,
            Some("web.ecs.us-east-1.on.aws")
        )));
        let shown = status_of(&observed("ACTIVE", 1, Some("web.ecs.us-east-1.on.aws")));
        assert_eq!(
            shown.url.as_deref(),
            Some("https://web.ecs.us-east-1.on.aws")
        );
    }

    #[test]
    fn in_sync_compares_only_what_the_spec_sets() {
        let mut spec = EcsExpressServiceSpec {
            execution_role_arn: Some("arn:aws:iam::1:role/exec".into()),
            primary_container: Some(ExpressContainer {
                image: "nginx".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let found = observed("ACTIVE", 1, None);
        assert!(in_sync(&spec, None, &found));
        spec.cpu = Some("512".into());
        assert!(!in_sync(&spec, None, &found));
    }

    #[test]
    fn a_task_definition_of_ones_own_is_in_sync_only_at_its_newest_revision() {
        let spec = EcsExpressServiceSpec::default();
        let mut found = observed("ACTIVE", 1, None);
        let running = "arn:aws:ecs:us-east-1:1:task-definition/web:1";
        found.active_configurations[0].task_definition_arn = Some(running.into());
        assert!(in_sync(&spec, Some(running), &found));
        assert!(!in_sync(
            &spec,
            Some("arn:aws:ecs:us-east-1:1:task-definition/web:2"),
            &found
        ));
    }
}
