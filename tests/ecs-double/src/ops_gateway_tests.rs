//! Unit tests of the gateway operations: defaults, updates over time, what blocks a deletion, the association
//! limit, and routes that keep a disassociation waiting.

use serde_json::{Value, json};

use super::*;
use crate::dispatch::{Op, call_at};
use crate::ops_gateway_links::{
    associate, describe_resources, disassociate, list_associations, list_routes,
};

fn call(op: Op, model: &mut Model, body: Value, now: f64) -> Value {
    call_at(op, model, body, now).expect("the call succeeds")
}

fn refused(op: Op, model: &mut Model, body: Value) -> ApiError {
    call_at(op, model, body, 0.0).expect_err("the call is refused")
}

fn setup(clusters: &[&str]) -> Model {
    let mut model = Model::new("us-east-1", 1);
    for cluster in clusters {
        call(
            crate::ops_cluster::create,
            &mut model,
            json!({"clusterName": cluster}),
            0.0,
        );
    }
    call(
        crate::ops_task_definition::register,
        &mut model,
        json!({"family": "web", "networkMode": "awsvpc",
            "containerDefinitions": [{"name": "app", "portMappings": [{"containerPort": 80, "name": "http"}]}]}),
        0.0,
    );
    model
}

fn gateway(model: &mut Model, name: &str, protection: bool) -> Value {
    call(
        create,
        model,
        json!({"name": name, "infrastructureRoleArn": "arn:aws:iam::1:role/gw", "deletionProtection": protection,
            "configuration": {"hostSharedAlb": {"maxAlbCount": 2}}, "tags": [{"key": "team", "value": "edge"}]}),
        0.0,
    )
}

fn described(model: &mut Model, name: &str, now: f64) -> Value {
    call(describe, model, json!({"gateway": name}), now)["gateway"].clone()
}

fn associations(model: &mut Model, name: &str) -> Value {
    call(list_associations, model, json!({"gateway": name}), 0.0)["gatewayClusterAssociations"]
        .clone()
}

#[test]
fn a_new_gateway_is_active_with_ecs_defaults_and_protection_on() {
    let mut model = setup(&[]);
    let out = call(
        create,
        &mut model,
        json!({"name": "edge", "infrastructureRoleArn": "arn:aws:iam::1:role/gw",
            "configuration": {"hostSharedAlb": {}}}),
        0.0,
    );
    assert_eq!(out["status"], "ACTIVE");
    let shown = described(&mut model, "edge", 1.0);
    assert_eq!(shown["deletionProtection"], true);
    assert_eq!(shown["accessType"], "PUBLIC");
    let alb = &shown["configuration"]["hostSharedAlb"];
    assert_eq!(alb["port"], 443);
    assert_eq!(alb["maxAlbCount"], 10);
    assert_eq!(alb["currentAlbCount"], 0);
    let again = refused(
        create,
        &mut model,
        json!({"name": "edge", "infrastructureRoleArn": "arn:aws:iam::1:role/gw",
            "configuration": {"hostSharedAlb": {}}}),
    );
    assert_eq!(again.code, "InvalidParameterException");
}

#[test]
fn an_update_is_in_progress_for_a_while_and_takes_only_mutable_members() {
    let mut model = setup(&[]);
    gateway(&mut model, "edge", false);
    let out = call(
        update,
        &mut model,
        json!({"gateway": "edge", "configuration": {"hostSharedAlb": {"maxAlbCount": 4}}}),
        5.0,
    );
    assert_eq!(out["status"], "UPDATE_IN_PROGRESS");
    assert_eq!(
        described(&mut model, "edge", 6.0)["status"],
        "UPDATE_IN_PROGRESS"
    );
    let later = described(&mut model, "edge", 16.0);
    assert_eq!(later["status"], "UPDATE_COMPLETE");
    assert_eq!(later["configuration"]["hostSharedAlb"]["maxAlbCount"], 4);
    let fixed = refused(
        update,
        &mut model,
        json!({"gateway": "edge", "configuration": {"hostSharedAlb": {"scheme": "internal"}}}),
    );
    assert_eq!(fixed.code, "InvalidParameterException");
}

#[test]
fn deletion_needs_protection_off_and_no_association() {
    let mut model = setup(&["apps"]);
    gateway(&mut model, "edge", true);
    assert_eq!(
        refused(delete, &mut model, json!({"gateway": "edge"})).code,
        "ClientException"
    );
    call(
        update,
        &mut model,
        json!({"gateway": "edge", "deletionProtection": false}),
        0.0,
    );
    call(
        associate,
        &mut model,
        json!({"gateway": "edge", "cluster": "apps"}),
        0.0,
    );
    assert_eq!(
        refused(delete, &mut model, json!({"gateway": "edge"})).code,
        "ClientException"
    );
    call(
        disassociate,
        &mut model,
        json!({"gateway": "edge", "cluster": "apps"}),
        0.0,
    );
    assert_eq!(associations(&mut model, "edge"), json!([]));
    let out = call(delete, &mut model, json!({"gateway": "edge"}), 0.0);
    assert_eq!(out["status"], "DELETED");
    let gone = refused(describe, &mut model, json!({"gateway": "edge"}));
    assert_eq!(gone.code, "GatewayNotFoundException");
}

#[test]
fn a_cluster_takes_at_most_five_gateways() {
    let mut model = setup(&["apps"]);
    for n in 0..5 {
        let name = format!("edge-{n}");
        gateway(&mut model, &name, false);
        call(
            associate,
            &mut model,
            json!({"gateway": name, "cluster": "apps"}),
            0.0,
        );
    }
    gateway(&mut model, "edge-5", false);
    let sixth = refused(
        associate,
        &mut model,
        json!({"gateway": "edge-5", "cluster": "apps"}),
    );
    assert_eq!(sixth.code, "InvalidParameterException");
}

#[test]
fn a_connected_service_gets_a_route_that_keeps_a_disassociation_waiting() {
    let mut model = setup(&["apps"]);
    gateway(&mut model, "edge", false);
    call(
        associate,
        &mut model,
        json!({"gateway": "edge", "cluster": "apps"}),
        0.0,
    );
    call(
        crate::ops_service::create,
        &mut model,
        json!({"cluster": "apps", "serviceName": "web", "taskDefinition": "web:1", "desiredCount": 1,
            "launchType": "FARGATE", "gatewayConnectors": [{"portName": "http"}],
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}}),
        0.0,
    );
    let routes =
        call(list_routes, &mut model, json!({"gateway": "edge"}), 0.0)["gatewayRoutes"].clone();
    assert_eq!(routes.as_array().map(Vec::len), Some(1));
    assert_eq!(routes[0]["serviceContainerPortName"], "http");
    let resources = call(
        describe_resources,
        &mut model,
        json!({"gateway": "edge"}),
        0.0,
    );
    assert_eq!(
        resources["gatewayResources"]["resources"]["hostSharedAlb"][0]["gatewayRouteArns"][0],
        routes[0]["gatewayRouteArn"]
    );
    call(
        disassociate,
        &mut model,
        json!({"gateway": "edge", "cluster": "apps"}),
        0.0,
    );
    assert_eq!(
        associations(&mut model, "edge")[0]["status"],
        "DISASSOCIATING"
    );
    call(
        crate::ops_service::update,
        &mut model,
        json!({"cluster": "apps", "service": "web", "gatewayConnectors": []}),
        1.0,
    );
    assert_eq!(associations(&mut model, "edge"), json!([]));
}
