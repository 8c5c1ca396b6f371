//! Tests of the tasks a service runs (catalogue entries 95-97).

use super::*;
use crate::dispatch::call_at;
use crate::{ops_cluster, ops_service, ops_task, ops_task_definition};

const STEP: Timing = Timing {
    step: 1.0,
    run: 5.0,
};

fn call(op: crate::dispatch::Op, model: &mut Model, now: f64, body: Value) -> Value {
    model.settle(now, 10.0);
    settle(model, now, STEP);
    call_at(op, model, body, now).unwrap()
}

/// A cluster `main` and an awsvpc service `web` of 3 tasks in two subnets (rollouts take 10 s); revision 2
/// has a failing health check.
fn setup() -> Model {
    let mut model = Model::new("us-east-1", 1);
    call(
        ops_cluster::create,
        &mut model,
        0.0,
        json!({"clusterName": "main"}),
    );
    let check = |cmd: &str| json!({"command": ["CMD-SHELL", cmd], "interval": 5});
    for cmd in ["curl -f localhost || exit 0", "exit 1"] {
        let td = json!({"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
                        "cpu": "256", "memory": "512",
                        "containerDefinitions": [{"name": "app", "image": "nginx", "healthCheck": check(cmd),
                                                  "portMappings": [{"containerPort": 80}]}]});
        call(ops_task_definition::register, &mut model, 0.0, td);
    }
    let body = json!({"cluster": "main", "serviceName": "web", "taskDefinition": "web:1", "desiredCount": 3,
                      "launchType": "FARGATE", "networkConfiguration": {"awsvpcConfiguration":
                          {"subnets": ["subnet-a1", "subnet-b2"]}}});
    call(ops_service::create, &mut model, 0.0, body);
    model
}

fn tasks(model: &mut Model, now: f64, status: &str) -> Vec<Value> {
    let listed = call(
        ops_task::list,
        model,
        now,
        json!({"cluster": "main", "serviceName": "web", "desiredStatus": status}),
    );
    let arns = listed["taskArns"].as_array().cloned().unwrap_or_default();
    if arns.is_empty() {
        return Vec::new();
    }
    let described = call(
        ops_task::describe,
        model,
        now,
        json!({"cluster": "main", "tasks": arns}),
    );
    described["tasks"].as_array().cloned().unwrap_or_default()
}

fn detail<'a>(task: &'a Value, name: &str) -> Option<&'a str> {
    task["attachments"][0]["details"]
        .as_array()?
        .iter()
        .find(|d| d["name"] == name)?["value"]
        .as_str()
}

#[test]
fn a_services_tasks_run_with_an_eni_a_zone_and_health() {
    let mut model = setup();
    // Right after the first task starts running, its health check is still being evaluated.
    let early = tasks(&mut model, 4.0, "RUNNING");
    let statuses: Vec<(&Value, &Value)> = early
        .iter()
        .map(|t| (&t["lastStatus"], &t["healthStatus"]))
        .collect();
    assert!(
        statuses.contains(&(&json!("RUNNING"), &json!("UNKNOWN"))),
        "{statuses:?}"
    );
    let running = tasks(&mut model, 12.0, "RUNNING");
    assert_eq!(running.len(), 3, "{running:?}");
    for task in &running {
        assert_eq!(task["lastStatus"], "RUNNING");
        assert_eq!(task["group"], "service:web");
        assert!(task["startedBy"].as_str().unwrap().starts_with("ecs-svc/"));
        assert_eq!(task["healthStatus"], "HEALTHY");
        assert_eq!(task["attachments"][0]["type"], "ElasticNetworkInterface");
        assert!(
            detail(task, "privateIPv4Address")
                .unwrap()
                .starts_with("10.0.")
        );
        let subnet = detail(task, "subnetId").unwrap();
        assert_eq!(task["availabilityZone"], zone_of("us-east-1", subnet));
    }
}

#[test]
fn a_deployment_drains_old_tasks_through_deactivating_and_stopping() {
    let mut model = setup();
    let before: Vec<Value> = tasks(&mut model, 20.0, "RUNNING");
    let update = json!({"cluster": "main", "service": "web", "taskDefinition": "web:2"});
    call(ops_service::update, &mut model, 20.0, update);
    let stopping = tasks(&mut model, 24.5, "STOPPED");
    let phases: Vec<&str> = stopping
        .iter()
        .filter_map(|t| t["lastStatus"].as_str())
        .collect();
    assert!(
        phases.contains(&"DEACTIVATING") || phases.contains(&"STOPPING"),
        "{phases:?}"
    );
    let after = tasks(&mut model, 40.0, "RUNNING");
    assert_eq!(after.len(), 3);
    assert!(after.iter().all(|t| t["healthStatus"] == "UNHEALTHY"));
    assert!(
        after
            .iter()
            .all(|t| !before.iter().any(|b| b["taskArn"] == t["taskArn"]))
    );
    let gone = tasks(&mut model, 40.0, "STOPPED");
    assert!(
        gone.iter().all(|t| t["lastStatus"] == "STOPPED"),
        "{gone:?}"
    );
    assert_eq!(gone.len(), 3);
}

#[test]
fn scaling_to_zero_stops_every_task() {
    let mut model = setup();
    let scale = json!({"cluster": "main", "service": "web", "desiredCount": 0});
    call(ops_service::update, &mut model, 20.0, scale);
    assert!(tasks(&mut model, 40.0, "RUNNING").is_empty());
}

/// Entry 97: ECS replaces a task a service's scheduler did not stop; the replacement starts when the task is
/// stopped (it is created then and runs `2 * step` later), not at its slot's time in the ramp.
#[test]
fn a_stopped_task_is_replaced_from_the_time_it_stopped() {
    let mut model = setup();
    let before = tasks(&mut model, 30.0, "RUNNING");
    let victim = before[0]["taskArn"].clone();
    let stop = json!({"cluster": "main", "task": victim, "reason": "replace"});
    call(ops_task::stop, &mut model, 30.0, stop);
    let now = tasks(&mut model, 30.5, "RUNNING");
    assert_eq!(now.len(), 3);
    let new: Vec<&Value> = now
        .iter()
        .filter(|t| !before.iter().any(|b| b["taskArn"] == t["taskArn"]))
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["lastStatus"], "PROVISIONING", "{:?}", new[0]);
    let later = tasks(&mut model, 32.5, "RUNNING");
    assert!(later.iter().all(|t| t["lastStatus"] == "RUNNING"));
}

/// Entry 98: a task's containers show its ENI (`networkInterfaces`), with an IPv6 address in a dual-stack subnet.
#[test]
fn a_task_in_a_dual_stack_subnet_has_an_ipv6_address() {
    let mut model = setup();
    let v4_only = tasks(&mut model, 5.0, "RUNNING");
    let body = json!({"cluster": "main", "service": "web", "networkConfiguration": {"awsvpcConfiguration":
                          {"subnets": ["subnet-dualstack-1"]}}, "forceNewDeployment": true});
    call(ops_service::update, &mut model, 6.0, body);
    let interface = &v4_only[0]["containers"][0]["networkInterfaces"][0];
    assert_eq!(
        interface["privateIpv4Address"].as_str(),
        detail(&v4_only[0], "privateIPv4Address")
    );
    assert!(interface.get("ipv6Address").is_none());
    let later = tasks(&mut model, 40.0, "RUNNING");
    let dual: Vec<&Value> = later
        .iter()
        .filter(|t| {
            t["containers"][0]["networkInterfaces"][0]
                .get("ipv6Address")
                .is_some()
        })
        .collect();
    assert!(!dual.is_empty(), "{later:#?}");
    let v6 = dual[0]["containers"][0]["networkInterfaces"][0]["ipv6Address"]
        .as_str()
        .unwrap();
    assert!(v6.starts_with("2600:1f18::"), "{v6}");
}

/// A model of `n` awsvpc services of 5 tasks each over 10 clusters, all running at time 60.
fn services(n: usize) -> Model {
    let mut model = Model::new("us-east-1", 1);
    for c in 0..10 {
        call_at(
            ops_cluster::create,
            &mut model,
            json!({"clusterName": format!("c{c}")}),
            0.0,
        )
        .unwrap();
    }
    for i in 0..n {
        let td = json!({"family": format!("td{i}"), "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
                        "cpu": "256", "memory": "512",
                        "containerDefinitions": [{"name": "app", "image": "nginx", "portMappings": [{"containerPort": 80}]}]});
        call_at(ops_task_definition::register, &mut model, td, 0.0).unwrap();
        let body = json!({"cluster": format!("c{}", i % 10), "serviceName": format!("s{i}"), "taskDefinition": format!("td{i}:1"),
                          "desiredCount": 5, "launchType": "FARGATE",
                          "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a1", "subnet-b2"]}}});
        call_at(ops_service::create, &mut model, body, 0.0).unwrap();
    }
    model.settle(60.0, 10.0);
    settle(&mut model, 60.0, STEP);
    assert_eq!(model.tasks.len(), 5 * n);
    model
}

/// The shortest of a few timings of bringing every service's tasks up to date (what each request does first).
fn settle_time(model: &mut Model) -> std::time::Duration {
    (0..5)
        .map(|i| {
            let started = std::time::Instant::now();
            settle(model, 61.0 + f64::from(i), STEP);
            started.elapsed()
        })
        .min()
        .unwrap()
}

/// Every request of the double brings all services' tasks up to date under the model's lock, so that work must
/// grow with the tasks, not with services times tasks: at 200 services of 5 tasks it took 110-185 ms a request
/// (release build), which capped the double at a few requests a second and slowed the operator's task-following
/// rounds to a few a minute in the endpoints benchmark.
#[test]
fn bringing_service_tasks_up_to_date_grows_linearly_with_the_services() {
    let small = settle_time(&mut services(20));
    let large = settle_time(&mut services(200));
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
    assert!(
        ratio < 30.0,
        "10x the services took {ratio:.0}x the time ({small:?} -> {large:?}): not linear"
    );
}
