//! Unit tests of the managed daemon operations: deployments over time, the circuit breaker's rollback, the
//! Managed Instances rule, names, deletion, and the daemon task definition revisions.

use serde_json::{Value, json};

use super::*;
use crate::dispatch::{Op, call_at};
use crate::ops_daemon_deployment::{describe_deployments, describe_revisions};

const CLUSTER: &str = "main";
const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:daemon/main/agent";

fn call(op: Op, model: &mut Model, body: Value, now: f64) -> Value {
    call_at(op, model, body, now).expect("the call succeeds")
}

/// A cluster `main` with a Managed Instances provider `mi`, an Auto Scaling group provider `asg`, and daemon task
/// definition revisions `agent:1` (pulls) and `agent:2` (an image under `.invalid`).
fn model() -> Model {
    let mut model = Model::new("us-east-1", 1);
    call(
        crate::ops_cluster::create,
        &mut model,
        json!({"clusterName": CLUSTER}),
        0.0,
    );
    call(
        crate::ops_capacity_provider::create,
        &mut model,
        json!({"name": "mi", "cluster": CLUSTER, "managedInstancesProvider": {
            "infrastructureRoleArn": "arn:aws:iam::123456789012:role/infra",
            "instanceLaunchTemplate": {"ec2InstanceProfileArn": "arn:aws:iam::123456789012:instance-profile/p",
                "networkConfiguration": {"subnets": ["subnet-1"]}}}}),
        0.0,
    );
    call(
        crate::ops_capacity_provider::create,
        &mut model,
        json!({"name": "asg", "autoScalingGroupProvider": {"autoScalingGroupArn": "group"}}),
        0.0,
    );
    for image in ["public.ecr.aws/agent:1", "registry.invalid/agent:2"] {
        call(
            crate::ops_daemon_task_definition::register,
            &mut model,
            json!({"family": "agent", "containerDefinitions": [{"name": "agent", "image": image}]}),
            0.0,
        );
    }
    model
}

fn definition(revision: i32) -> String {
    format!("arn:aws:ecs:us-east-1:123456789012:daemon-task-definition/agent:{revision}")
}

fn deployment(model: &mut Model, arn: &Value, now: f64) -> Value {
    call(
        describe_deployments,
        model,
        json!({"daemonDeploymentArns": [arn]}),
        now,
    )["daemonDeployments"][0]
        .clone()
}

#[test]
fn a_deployment_rolls_out_then_succeeds_and_a_failing_one_rolls_back() {
    let mut model = model();
    let created = call(
        create,
        &mut model,
        json!({"daemonName": "agent", "clusterArn": CLUSTER, "daemonTaskDefinitionArn": definition(1),
            "capacityProviderArns": ["mi"], "tags": [{"key": "team", "value": "obs"}]}),
        0.0,
    );
    assert_eq!(created["daemonArn"], ARN);
    assert_eq!(
        deployment(&mut model, &created["deploymentArn"], 1.0)["status"],
        "IN_PROGRESS"
    );
    assert_eq!(
        deployment(&mut model, &created["deploymentArn"], 11.0)["status"],
        "SUCCESSFUL"
    );
    let daemon = call(describe, &mut model, json!({"daemonArn": ARN}), 11.0)["daemon"].clone();
    assert_eq!(daemon["status"], "ACTIVE");
    assert_eq!(daemon["currentRevisions"][0]["totalRunningCount"], 2);

    let failing = call(
        update,
        &mut model,
        json!({"daemonArn": ARN, "daemonTaskDefinitionArn": definition(2)}),
        20.0,
    );
    let first = deployment(&mut model, &failing["deploymentArn"], 22.0);
    assert_eq!(first["status"], "IN_PROGRESS");
    let rolling = deployment(&mut model, &failing["deploymentArn"], 26.0);
    assert_eq!(rolling["status"], "ROLLBACK_IN_PROGRESS");
    assert_eq!(rolling["circuitBreaker"]["status"], "TRIGGERED");
    let over = deployment(&mut model, &failing["deploymentArn"], 31.0);
    assert_eq!(over["status"], "ROLLBACK_SUCCESSFUL");
    let source = over["sourceDaemonRevisions"][0]["arn"].clone();
    assert_eq!(over["rollback"]["rollbackTargetDaemonRevisionArn"], source);
    let revisions = call(
        describe_revisions,
        &mut model,
        json!({"daemonRevisionArns": [source]}),
        31.0,
    );
    assert_eq!(
        revisions["daemonRevisions"][0]["daemonTaskDefinitionArn"],
        definition(1).as_str()
    );
}

#[test]
fn a_newer_deployment_stops_the_one_in_progress() {
    let mut model = model();
    let created = call(
        create,
        &mut model,
        json!({"daemonName": "agent", "clusterArn": CLUSTER, "daemonTaskDefinitionArn": definition(1),
            "capacityProviderArns": ["mi"]}),
        0.0,
    );
    call(
        update,
        &mut model,
        json!({"daemonArn": ARN, "critical": false}),
        2.0,
    );
    assert_eq!(
        deployment(&mut model, &created["deploymentArn"], 3.0)["status"],
        "STOPPED"
    );
}

#[test]
fn only_managed_instances_providers_of_the_cluster_and_one_name_per_cluster() {
    let mut model = model();
    let body = |provider: &str| {
        json!({"daemonName": "agent", "clusterArn": CLUSTER, "daemonTaskDefinitionArn": definition(1),
            "capacityProviderArns": [provider]})
    };
    let refused = call_at(create, &mut model, body("asg"), 0.0).unwrap_err();
    assert_eq!(refused.code, "InvalidParameterException");
    call(create, &mut model, body("mi"), 0.0);
    let taken = call_at(create, &mut model, body("mi"), 1.0).unwrap_err();
    assert!(
        taken.message.contains("already exists"),
        "{}",
        taken.message
    );
}

#[test]
fn a_deleted_daemon_is_delete_in_progress_then_unknown() {
    let mut model = model();
    call(
        create,
        &mut model,
        json!({"daemonName": "agent", "clusterArn": CLUSTER, "daemonTaskDefinitionArn": definition(1),
            "capacityProviderArns": ["mi"]}),
        0.0,
    );
    let out = call(delete, &mut model, json!({"daemonArn": ARN}), 20.0);
    assert_eq!(out["status"], "DELETE_IN_PROGRESS");
    let again = call_at(delete, &mut model, json!({"daemonArn": ARN}), 21.0).unwrap_err();
    assert_eq!(again.code, "DaemonNotActiveException");
    let listed = call(list, &mut model, json!({"clusterArn": CLUSTER}), 25.0);
    assert_eq!(
        listed["daemonSummariesList"][0]["status"],
        "DELETE_IN_PROGRESS"
    );
    let gone = call_at(describe, &mut model, json!({"daemonArn": ARN}), 31.0).unwrap_err();
    assert_eq!(gone.code, "DaemonNotFoundException");
    let listed = call(list, &mut model, json!({"clusterArn": CLUSTER}), 31.0);
    assert_eq!(listed["daemonSummariesList"], json!([]));
}

#[test]
fn daemon_task_definition_revisions_are_numbered_and_deleted_only_when_active() {
    let mut model = model();
    let listed = call(
        crate::ops_daemon_task_definition::list,
        &mut model,
        json!({"family": "agent"}),
        0.0,
    );
    assert_eq!(listed["daemonTaskDefinitions"].as_array().unwrap().len(), 2);
    call(
        crate::ops_daemon_task_definition::delete,
        &mut model,
        json!({"daemonTaskDefinition": "agent:1"}),
        1.0,
    );
    let again = call_at(
        crate::ops_daemon_task_definition::delete,
        &mut model,
        json!({"daemonTaskDefinition": definition(1)}),
        2.0,
    )
    .unwrap_err();
    assert!(again.message.contains("ACTIVE"), "{}", again.message);
    let described = call(
        crate::ops_daemon_task_definition::describe,
        &mut model,
        json!({"daemonTaskDefinition": definition(1)}),
        20.0,
    );
    assert_eq!(described["daemonTaskDefinition"]["status"], "DELETED");
    let active = call(
        crate::ops_daemon_task_definition::list,
        &mut model,
        json!({"family": "agent", "status": "ACTIVE"}),
        20.0,
    );
    assert_eq!(
        active["daemonTaskDefinitions"][0]["arn"],
        definition(2).as_str()
    );
}
