//! Unit tests of the Express Mode operations: statuses over time, the endpoint, deployments and deletion.

use serde_json::{Value, json};

use super::*;
use crate::dispatch::{Op, call_at};

const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:service/default/web";

fn call(op: Op, model: &mut Model, body: Value, now: f64) -> Value {
    call_at(op, model, body, now).expect("the call succeeds")
}

fn created(model: &mut Model) -> Value {
    call(
        create,
        model,
        json!({"serviceName": "web", "executionRoleArn": "arn:aws:iam::1:role/e",
            "infrastructureRoleArn": "arn:aws:iam::1:role/i", "primaryContainer": {"image": "nginx"},
            "tags": [{"key": "team", "value": "web"}]}),
        0.0,
    )
}

fn described(model: &mut Model, now: f64) -> Value {
    call(
        describe,
        model,
        json!({"serviceArn": ARN, "include": ["TAGS"]}),
        now,
    )["service"]
        .clone()
}

#[test]
fn a_new_service_makes_the_default_cluster_and_gets_its_endpoint_once_provisioned() {
    let mut model = Model::new("us-east-1", 1);
    let out = created(&mut model);
    assert_eq!(out["service"]["serviceArn"], ARN);
    assert!(model.clusters.contains_key("default"));
    let early = described(&mut model, 1.0);
    assert_eq!(early["status"]["statusCode"], "ACTIVE");
    assert!(
        early["activeConfigurations"][0]
            .get("ingressPaths")
            .is_none()
    );
    let later = described(&mut model, 11.0);
    let configuration = &later["activeConfigurations"][0];
    assert_eq!(
        configuration["ingressPaths"][0]["endpoint"],
        "web.ecs.us-east-1.on.aws"
    );
    assert_eq!(configuration["primaryContainer"]["containerPort"], 80);
    assert!(
        configuration["networkConfiguration"]["securityGroups"][0]
            .as_str()
            .unwrap()
            .starts_with("sg-")
    );
    assert_eq!(later["tags"][0]["key"], "team");
}

#[test]
fn the_same_name_again_is_refused() {
    let mut model = Model::new("us-east-1", 1);
    created(&mut model);
    let again = call_at(
        create,
        &mut model,
        json!({"serviceName": "web", "executionRoleArn": "e", "infrastructureRoleArn": "i",
            "primaryContainer": {"image": "other"}}),
        1.0,
    );
    assert_eq!(again.unwrap_err().code, "InvalidParameterException");
}

#[test]
fn an_update_deploys_a_second_configuration_until_it_is_done() {
    let mut model = Model::new("us-east-1", 1);
    created(&mut model);
    call(
        update,
        &mut model,
        json!({"serviceArn": ARN, "cpu": "512",
        "primaryContainer": {"image": "nginx:2"}}),
        20.0,
    );
    let deploying = described(&mut model, 21.0);
    assert_eq!(
        deploying["activeConfigurations"].as_array().unwrap().len(),
        2
    );
    let done = described(&mut model, 31.0);
    let active = done["activeConfigurations"].as_array().unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["cpu"], "512");
    assert_eq!(active[0]["primaryContainer"]["image"], "nginx:2");
}

#[test]
fn a_deleted_service_drains_then_is_inactive_and_cannot_be_deleted_again() {
    let mut model = Model::new("us-east-1", 1);
    created(&mut model);
    call(delete, &mut model, json!({"serviceArn": ARN}), 20.0);
    assert_eq!(
        described(&mut model, 21.0)["status"]["statusCode"],
        "DRAINING"
    );
    let gone = described(&mut model, 31.0);
    assert_eq!(gone["status"]["statusCode"], "INACTIVE");
    assert_eq!(gone["activeConfigurations"], json!([]));
    let again = call_at(delete, &mut model, json!({"serviceArn": ARN}), 32.0);
    assert_eq!(again.unwrap_err().code, "ServiceNotFoundException");
    let unknown = call_at(
        describe,
        &mut model,
        json!({"serviceArn": "arn:aws:ecs:us-east-1:1:service/x/y"}),
        0.0,
    );
    assert_eq!(unknown.unwrap_err().code, "ServiceNotFoundException");
}

fn register(model: &mut Model, body: Value) -> String {
    call(crate::ops_task_definition::register, model, body, 0.0)["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_task_definition_of_ones_own_replaces_the_primary_container() {
    let mut model = Model::new("us-east-1", 1);
    let main = json!({"name": "Main", "image": "nginx",
        "portMappings": [{"containerPort": 8080, "name": "http"}]});
    let good = register(
        &mut model,
        json!({"family": "web", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
            "cpu": "256", "memory": "512", "containerDefinitions": [main]}),
    );
    let unnamed = register(
        &mut model,
        json!({"family": "other", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
            "cpu": "256", "memory": "512",
            "containerDefinitions": [{"name": "app", "image": "nginx", "portMappings": [{"containerPort": 80}]}]}),
    );
    let request = |td: &str| json!({"serviceName": "web", "infrastructureRoleArn": "arn:aws:iam::1:role/i", "taskDefinitionArn": td});
    let refused = call_at(create, &mut model, request(&unnamed), 0.0).unwrap_err();
    assert!(
        refused.message.contains("named Main"),
        "{}",
        refused.message
    );
    let mut both = request(&good);
    both["primaryContainer"] = json!({"image": "nginx"});
    let refused = call_at(create, &mut model, both, 0.0).unwrap_err();
    assert!(
        refused.message.contains("primaryContainer"),
        "{}",
        refused.message
    );
    call(create, &mut model, request(&good), 0.0);
    let shown = described(&mut model, 11.0);
    let configuration = &shown["activeConfigurations"][0];
    assert_eq!(configuration["taskDefinitionArn"], json!(good));
    assert!(
        configuration.get("primaryContainer").is_none(),
        "{configuration}"
    );
    // A new revision is a new configuration; the service is an ECS service of its cluster.
    let next = register(
        &mut model,
        json!({"family": "web", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
            "cpu": "256", "memory": "512", "containerDefinitions": [main]}),
    );
    call(
        update,
        &mut model,
        json!({"serviceArn": ARN, "taskDefinitionArn": next}),
        12.0,
    );
    let shown = described(&mut model, 30.0);
    assert_eq!(
        shown["activeConfigurations"][0]["taskDefinitionArn"],
        json!(next)
    );
    let services = call(
        crate::ops_service::describe,
        &mut model,
        json!({"services": ["web"], "include": ["TAGS"]}),
        30.0,
    );
    assert_eq!(services["services"][0]["serviceArn"], ARN);
    assert_eq!(services["services"][0]["taskDefinition"], json!(next));
}

#[test]
fn its_tags_change_through_the_tag_operations_on_its_arn() {
    let mut model = Model::new("us-east-1", 1);
    created(&mut model);
    let tags = json!([{"key": "owner", "value": "ops"}]);
    call(
        crate::ops_tags::tag,
        &mut model,
        json!({"resourceArn": ARN, "tags": tags}),
        1.0,
    );
    call(
        crate::ops_tags::untag,
        &mut model,
        json!({"resourceArn": ARN, "tagKeys": ["team"]}),
        1.0,
    );
    assert_eq!(described(&mut model, 2.0)["tags"], tags);
    let found = call(
        crate::ops_service::describe,
        &mut model,
        json!({"services": ["web"], "include": ["TAGS"]}),
        2.0,
    );
    assert_eq!(found["services"][0]["tags"], tags);
}

#[test]
fn the_name_of_an_ordinary_service_of_the_cluster_is_refused() {
    let mut model = Model::new("us-east-1", 1);
    call(
        crate::ops_cluster::create,
        &mut model,
        json!({"clusterName": "default"}),
        0.0,
    );
    register(
        &mut model,
        json!({"family": "app", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 128}]}),
    );
    call(
        crate::ops_service::create,
        &mut model,
        json!({"serviceName": "web", "taskDefinition": "app", "desiredCount": 0}),
        0.0,
    );
    let refused = call_at(
        create,
        &mut model,
        json!({"serviceName": "web", "executionRoleArn": "arn:aws:iam::1:role/e",
            "infrastructureRoleArn": "arn:aws:iam::1:role/i", "primaryContainer": {"image": "nginx"}}),
        1.0,
    )
    .unwrap_err();
    assert!(
        refused.message.contains("not idempotent"),
        "{}",
        refused.message
    );
}
