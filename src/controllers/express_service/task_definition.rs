//! The task definition of one's own an `EcsExpressService` runs (`taskDefinitionRef`, following the newest
//! revision of a `TaskDefinition` of the namespace, or `taskDefinitionArn`), checked against what ECS requires of
//! it (catalogue entry 196) before any AWS call.

use kube::{Api, ResourceExt};

use crate::api::task_definition::{Compatibility, TransportProtocol};
use crate::api::{EcsExpressService, TaskDefinition, TaskDefinitionSpec};
use crate::controllers::references::{arn_in_place, not_ready, ready_object, same_place};
use crate::reconcile::{Context, Error};

/// The container ECS sends the load balancer's traffic to in a task definition of one's own.
pub const MAIN_CONTAINER: &str = "Main";

/// The task definition ARN to send: the newest revision of `taskDefinitionRef` or `taskDefinitionArn`; `None`
/// with `primaryContainer` (ECS makes the task definition).
pub async fn resolve(service: &EcsExpressService, ctx: &Context) -> Result<Option<String>, Error> {
    if let Some(arn) = &service.spec.task_definition_arn {
        arn_in_place(ctx, "spec.taskDefinitionArn", arn)?;
        return Ok(Some(arn.clone()));
    }
    let Some(reference) = &service.spec.task_definition_ref else {
        return Ok(None);
    };
    let namespace = service.namespace().unwrap_or_default();
    let api: Api<TaskDefinition> = Api::namespaced(ctx.client.clone(), &namespace);
    let td = ready_object(&api, &reference.name, "spec.taskDefinitionRef").await?;
    same_place(ctx, &td, "spec.taskDefinitionRef")?;
    check(&td.spec, &reference.name).map_err(Error::InvalidSpec)?;
    td.status
        .and_then(|s| s.latest_arn)
        .map(Some)
        .ok_or_else(|| not_ready("TaskDefinition", &reference.name, "spec.taskDefinitionRef"))
}

/// What ECS requires of a task definition an Express service runs: FARGATE compatibility and a container named
/// `Main` with a single TCP port mapping that has a container port and a name.
pub fn check(spec: &TaskDefinitionSpec, name: &str) -> Result<(), String> {
    let mut problems = Vec::new();
    if !spec
        .requires_compatibilities
        .contains(&Compatibility::Fargate)
    {
        problems.push("FARGATE among its requiresCompatibilities".to_owned());
    }
    let main = spec
        .container_definitions
        .iter()
        .find(|c| c.name == MAIN_CONTAINER);
    match main.map(|c| c.port_mappings.as_slice()) {
        None => problems.push(format!("a container named {MAIN_CONTAINER}")),
        Some([only])
            if only.container_port.is_some()
                && only.name.is_some()
                && only.protocol != Some(TransportProtocol::Udp) => {}
        Some(_) => problems.push(format!(
            "exactly one TCP port mapping with a containerPort and a name on container {MAIN_CONTAINER}"
        )),
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "spec.taskDefinitionRef: TaskDefinition {name} cannot run an Express service: ECS requires {} \
         (change the TaskDefinition, or use spec.primaryContainer)",
        problems.join(" and ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn td(value: serde_json::Value) -> TaskDefinitionSpec {
        serde_json::from_value(value).expect("a task definition spec")
    }

    #[test]
    fn needs_fargate_and_a_main_container_with_one_named_tcp_port() {
        let good = td(
            serde_json::json!({"family": "web", "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": [{"name": "Main", "image": "nginx",
                "portMappings": [{"containerPort": 8080, "name": "http"}]}]}),
        );
        assert_eq!(check(&good, "web"), Ok(()));
        let unnamed_port = td(
            serde_json::json!({"family": "web", "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": [{"name": "Main", "image": "nginx",
                "portMappings": [{"containerPort": 8080}]}]}),
        );
        let refused = check(&unnamed_port, "web").unwrap_err();
        assert!(
            refused.starts_with("spec.taskDefinitionRef") && refused.contains("a name"),
            "{refused}"
        );
        let ec2_app = td(
            serde_json::json!({"family": "web", "requiresCompatibilities": ["EC2"],
            "containerDefinitions": [{"name": "app", "image": "nginx"}]}),
        );
        let refused = check(&ec2_app, "web").unwrap_err();
        assert!(
            refused.contains("FARGATE") && refused.contains("named Main"),
            "{refused}"
        );
    }
}
