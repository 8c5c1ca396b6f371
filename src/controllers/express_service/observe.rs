//! Observe-only Express services (`ecsbridge.dev/read-only`): the Express service of `spec.serviceName`, found by
//! name as a service of its cluster (catalogue entry 199), shown in status with its readiness, and where its newest
//! configuration and tags differ from the spec. Nothing is created, updated, tagged or deleted.

use serde_json::json;

use crate::api::common::Drift;
use crate::api::{EcsExpressService, EcsExpressServiceStatus};
use crate::controllers::compare::differences;
use crate::ecs::express_service::{Found, ObservedExpressService};
use crate::reconcile::read_only::Observed;
use crate::reconcile::{Context, Error};

use super::status;
use super::validate::service_name;

/// The Express service the object names, with its drift; `None` when the cluster has none (or only an INACTIVE
/// one). An ordinary ECS service of the name is refused.
pub async fn observe(
    service: &EcsExpressService,
    ctx: &Context,
    cluster: Option<&str>,
    task_definition: Option<&str>,
) -> Result<Option<Observed<EcsExpressServiceStatus>>, Error> {
    let name = service_name(service);
    let observed = match ctx.ecs.find_express_service(cluster, &name).await? {
        None => return Ok(None),
        Some(Found::NotExpress(arn)) => {
            return Err(Error::AlreadyExists(format!(
                "the ECS service named {name} is not an Express service ({arn}); there is no Express service to \
                 observe: check spec.serviceName"
            )));
        }
        Some(Found::Express(observed)) => observed,
    };
    let shown = status::status_of(&observed);
    let ready = status::readiness(&observed, &shown);
    Ok(Some(Observed {
        drift: drift(service, task_definition, &observed),
        status: shown,
        conditions: vec![ready],
    }))
}

/// Where ECS differs from the spec: the updatable fields the spec sets against the newest configuration, the task
/// definition of one's own, and the spec's tags.
pub fn drift(
    service: &EcsExpressService,
    task_definition: Option<&str>,
    observed: &ObservedExpressService,
) -> Vec<Drift> {
    let newest = observed.newest();
    let settings = newest.map(|c| c.settings.clone()).unwrap_or_default();
    let mut found = differences(&settings, &status::updatable(&service.spec));
    found.extend(differences(
        &json!({"taskDefinitionArn": newest.and_then(|c| c.task_definition_arn.clone())}),
        &json!({"taskDefinitionArn": task_definition}),
    ));
    found.extend(differences(
        &json!({"tags": observed.tags}),
        &json!({"tags": service.spec.tags}),
    ));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::EcsExpressServiceSpec;

    #[test]
    fn drift_names_what_the_spec_sets_and_ecs_lacks() {
        let observed: ObservedExpressService = serde_json::from_value(json!({
            "serviceArn": "arn:aws:ecs:us-east-1:1:service/default/web",
            "status": {"statusCode": "ACTIVE"},
            "activeConfigurations": [{"cpu": "256", "memory": "512",
                "taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/web:1"}],
            "tags": [{"key": "team", "value": "web"}],
        }))
        .unwrap();
        let mut spec = EcsExpressServiceSpec {
            cpu: Some("256".into()),
            ..Default::default()
        };
        spec.tags.insert("team".into(), "web".into());
        let service = EcsExpressService::new("web", spec.clone());
        assert_eq!(drift(&service, None, &observed), vec![]);
        spec.cpu = Some("512".into());
        let service = EcsExpressService::new("web", spec);
        let paths: Vec<String> = drift(
            &service,
            Some("arn:aws:ecs:us-east-1:1:task-definition/web:2"),
            &observed,
        )
        .into_iter()
        .map(|d| d.path)
        .collect();
        assert_eq!(paths, vec!["spec.cpu", "spec.taskDefinitionArn"]);
    }
}
