//! Observe-only services (`ecsbridge.dev/read-only`): the ECS service of the name in the referenced cluster, its
//! status and readiness by the rollout truth of a managed service, and where it differs from the spec, decided by
//! the very comparison that plans an `UpdateService` ([`update_for`]), the fields fixed at creation and the spec's
//! tags. Nothing is created, updated, tagged, scaled or published for it.

use serde_json::{Value, json};

use crate::api::common::Drift;
use crate::api::service::{DesiredCountPolicy, EcsServiceSpec};
use crate::api::service_revision_fields::SentRevisionFields;
use crate::api::{EcsService, EcsServiceStatus};
use crate::controllers::references;
use crate::ecs::AwsErrorKind;
use crate::ecs::service::ObservedService;
use crate::reconcile::ownership::tag_changes_since;
use crate::reconcile::read_only::Observed;
use crate::reconcile::{Context, Error};

use super::identity::selector;
use super::plan::{Desired, fixed_differences, update_for};
use super::validate::service_name;
use super::{rollout, status};

/// The ECS service the object names, as a managed one's status shows it, with its drift; `None` when ECS has none.
pub async fn observe(
    svc: &EcsService,
    ctx: &Context,
) -> Result<Option<Observed<EcsServiceStatus>>, Error> {
    let name = service_name(svc);
    let deps = references::resolve(&svc.references(), ctx).await?;
    let found = match ctx.ecs.describe_service(&deps.cluster, &name).await {
        // The named cluster does not exist: neither does the service.
        Err(e) if e.kind == AwsErrorKind::NotFound => None,
        other => other?,
    };
    let Some(observed) = found.filter(|s| s.status != "INACTIVE") else {
        return Ok(None);
    };
    // DescribeServices does not show these fields and a read-only object never sent them: no drift is claimed.
    let unobservable = SentRevisionFields {
        monitoring: svc.spec.monitoring.clone(),
        gateway_connectors: svc.spec.gateway_connectors.clone(),
    };
    let desired = Desired {
        spec: &svc.spec,
        sent: &unobservable,
        task_definition: &deps.task_definition,
        tags: &svc.spec.tags,
        applied_tag_keys: &[],
        restart_requested: false,
        enforce_desired_count: svc.spec.desired_count_policy == DesiredCountPolicy::Enforce
            && svc.spec.auto_scaling.is_none(),
        redeploy_blocked: false,
    };
    let drift = drift(&desired, &observed);
    let mut status = status::status_fields(&observed);
    status.selector = Some(selector(svc));
    // Ready, Progressing and Degraded as for a managed service, judged by what ECS runs and wants: where that
    // differs from the spec is drift, not a rollout of the operator's.
    let running = status.task_definition.clone().unwrap_or_default();
    let rollout = rollout::assess(&observed, &running, observed.desired_count, None);
    Ok(Some(Observed {
        status,
        conditions: rollout.conditions,
        drift,
    }))
}

/// Where ECS differs from the desired service: each field an `UpdateService` would send (the spec's value beside
/// ECS's), each field fixed at creation that differs, and each tag of the spec that ECS lacks or has otherwise.
pub fn drift(desired: &Desired, observed: &ObservedService) -> Vec<Drift> {
    let entry = |path: String, spec: &Value, ecs: &Value| Drift {
        path,
        spec: spec.to_string(),
        ecs: ecs.to_string(),
    };
    let mut found: Vec<Drift> = fixed_differences(desired.spec, observed)
        .into_iter()
        .map(|(path, ecs, spec)| entry(path.to_owned(), &spec, &ecs))
        .collect();
    let spec = serde_json::to_value(desired.spec).unwrap_or_default();
    if let Ok(Value::Object(update)) = serde_json::to_value(update_for(desired, observed)) {
        // A forced deployment follows from the fields that need one, which are listed themselves.
        for field in update.keys().filter(|f| *f != "forceNewDeployment") {
            let (path, spec_value) = match field.as_str() {
                "taskDefinition" => (
                    task_definition_field(desired.spec).to_owned(),
                    json!(desired.task_definition),
                ),
                other => (format!("spec.{other}"), spec[other].clone()),
            };
            let ecs = ecs_value(observed, field).unwrap_or_default();
            found.push(entry(path, &spec_value, &ecs));
        }
    }
    let (set, _) = tag_changes_since(desired.tags, &observed.tags, &[]);
    for (key, value) in &set {
        found.push(entry(
            format!("spec.tags.{key}"),
            &json!(value),
            &json!(observed.tags.get(key)),
        ));
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

fn task_definition_field(spec: &EcsServiceSpec) -> &'static str {
    match spec.task_definition_ref {
        Some(_) => "spec.taskDefinitionRef",
        None => "spec.taskDefinition",
    }
}

/// ECS's value of an `UpdateService` field, where the plan reads it; `None` for a field not known here.
fn ecs_value(observed: &ObservedService, field: &str) -> Option<Value> {
    let primary = status::primary(observed);
    Some(match field {
        "desiredCount" => json!(observed.desired_count),
        "taskDefinition" => json!(observed.task_definition),
        "capacityProviderStrategy" => json!(observed.capacity_provider_strategy),
        "deploymentConfiguration" => json!(observed.deployment_configuration),
        "availabilityZoneRebalancing" => json!(observed.availability_zone_rebalancing),
        "networkConfiguration" => json!(observed.network_configuration),
        "placementConstraints" => json!(observed.placement_constraints),
        "placementStrategy" => json!(observed.placement_strategy),
        "platformVersion" => json!(observed.platform_version),
        "healthCheckGracePeriodSeconds" => json!(observed.health_check_grace_period_seconds),
        "deploymentController" => json!(observed.deployment_controller),
        "enableExecuteCommand" => json!(observed.enable_execute_command),
        "enableECSManagedTags" => json!(observed.enable_ecs_managed_tags),
        "loadBalancers" => json!(observed.load_balancers),
        "propagateTags" => json!(observed.propagate_tags),
        "serviceRegistries" => json!(observed.service_registries),
        "serviceConnectConfiguration" => {
            json!(primary.and_then(|d| d.service_connect_configuration.as_ref()))
        }
        "volumeConfigurations" => json!(primary.map(|d| &d.volume_configurations)),
        "vpcLatticeConfigurations" => json!(observed.vpc_lattice_configurations),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Tags;
    use crate::api::service::LaunchType;
    use crate::ecs::service::ServiceUpdate;

    const TD: &str = "arn:aws:ecs:us-east-1:123:task-definition/web:4";

    fn spec(yaml: &str) -> EcsServiceSpec {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn running(revision: &str, desired_count: i32) -> ObservedService {
        ObservedService {
            status: "ACTIVE".into(),
            desired_count,
            launch_type: Some(LaunchType::Ec2),
            task_definition: Some(revision.into()),
            tags: Tags::from([("team".into(), "web".into())]),
            ..Default::default()
        }
    }

    fn drift_of(
        spec: &EcsServiceSpec,
        observed: &ObservedService,
    ) -> Vec<(String, String, String)> {
        let desired = Desired {
            spec,
            sent: &Default::default(),
            task_definition: TD,
            tags: &spec.tags,
            applied_tag_keys: &[],
            restart_requested: false,
            enforce_desired_count: true,
            redeploy_blocked: false,
        };
        drift(&desired, observed)
            .into_iter()
            .map(|d| (d.path, d.spec, d.ecs))
            .collect()
    }

    #[test]
    fn a_service_running_the_referenced_revision_as_the_spec_says_has_no_drift() {
        let spec = spec(
            "taskDefinitionRef: {name: web}\nclusterRef: {name: main}\ndesiredCount: 2\nlaunchType: EC2\ntags: {team: web}",
        );
        assert_eq!(drift_of(&spec, &running(TD, 2)), vec![]);
    }

    #[test]
    fn drift_names_each_field_an_update_would_send_with_both_values() {
        let spec = spec(
            "taskDefinitionRef: {name: web}\nclusterRef: {name: main}\ndesiredCount: 2\nlaunchType: FARGATE\n\
             tags: {team: ops, tier: front}",
        );
        let other = "arn:aws:ecs:us-east-1:123:task-definition/web:5";
        assert_eq!(
            drift_of(&spec, &running(other, 3)),
            vec![
                ("spec.desiredCount".into(), "2".into(), "3".into()),
                (
                    "spec.launchType".into(),
                    "\"FARGATE\"".into(),
                    "\"EC2\"".into()
                ),
                ("spec.tags.team".into(), "\"ops\"".into(), "\"web\"".into()),
                ("spec.tags.tier".into(), "\"front\"".into(), "null".into()),
                (
                    "spec.taskDefinitionRef".into(),
                    format!("\"{TD}\""),
                    format!("\"{other}\"")
                ),
            ]
        );
    }

    /// What an update sends that DescribeServices never shows: a request flag, and the revision fields the
    /// operator compares with what it last sent (catalogue, service revision fields).
    const NOT_SHOWN_BY_DESCRIBE: [&str; 3] =
        ["forceNewDeployment", "monitoring", "gatewayConnectors"];

    #[test]
    fn every_field_an_update_sends_is_read_from_ecs_for_the_drift() {
        fn from<T: serde::de::DeserializeOwned>(value: Value) -> T {
            serde_json::from_value(value).unwrap()
        }
        let update: ServiceUpdate = ServiceUpdate {
            desired_count: Some(1),
            task_definition: Some(TD.into()),
            capacity_provider_strategy: Some(vec![]),
            deployment_configuration: Some(Default::default()),
            availability_zone_rebalancing: Some(from(json!("ENABLED"))),
            network_configuration: Some(Default::default()),
            placement_constraints: Some(vec![]),
            placement_strategy: Some(vec![]),
            platform_version: Some("LATEST".into()),
            force_new_deployment: true,
            health_check_grace_period_seconds: Some(1),
            deployment_controller: Some(from(json!({"type": "ECS"}))),
            enable_execute_command: Some(true),
            enable_ecs_managed_tags: Some(true),
            load_balancers: Some(vec![]),
            propagate_tags: Some(from(json!("SERVICE"))),
            service_registries: Some(vec![]),
            service_connect_configuration: Some(from(json!({"enabled": true}))),
            volume_configurations: Some(vec![]),
            vpc_lattice_configurations: Some(vec![]),
            monitoring: Some(Default::default()),
            gateway_connectors: Some(vec![]),
        };
        let Ok(Value::Object(fields)) = serde_json::to_value(update) else {
            panic!("an update is an object");
        };
        let unknown: Vec<&String> = fields
            .keys()
            .filter(|f| !NOT_SHOWN_BY_DESCRIBE.contains(&f.as_str()))
            .filter(|f| ecs_value(&running(TD, 0), f).is_none())
            .collect();
        assert_eq!(unknown, Vec::<&String>::new());
    }
}
