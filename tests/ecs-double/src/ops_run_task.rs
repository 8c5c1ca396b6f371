//! RunTask (catalogue entries 58, 59 and 65-67): checks the request, places what fits and remembers the client
//! token. What the request makes of a task is in [`crate::task_request`], placement in [`crate::placement`].

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::placement;
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::settings::Broken;
use crate::state::{Model, parse_task_definition};
use crate::tags::Tags;
use crate::task_life::Task;
use crate::task_memory::{self, TokenRecord};
use crate::task_request::{
    check_started_by, check_token, config, containers, ending, fargate, overrides, strategy_in_use,
};

/// RunTask starts at most this many tasks per call.
const MAX_COUNT: i64 = 10;

/// RunTask: 1 to 10 tasks of an ACTIVE revision, of which some may not be placed (they come back in `failures[]`,
/// catalogue entry 59). The same `clientToken` with the same request in the same cluster answers what the first
/// call did while the token lives (catalogue entry 58, [`TokenRecord::answer`]); with another request it is a
/// ConflictException. A token is per cluster; after its lifetime a repeat starts new tasks.
pub fn run(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    task_memory::forget(model, ctx.now, ctx.memory);
    let cluster = model.active_cluster(req.str("cluster")?)?;
    let (cluster_name, cluster_arn) = (cluster.name.clone(), cluster.arn.clone());
    let given_token = req
        .str("clientToken")?
        .filter(|_| ctx.holds(Broken::RunTaskClientToken));
    if let Some(token) = given_token {
        check_token(token)?;
    }
    // ECS keeps tokens per cluster ("Types of idempotency: cluster").
    let token = given_token.map(|t| format!("{cluster_arn} {t}"));
    let token = token.as_deref();
    let mut fingerprint = req.body().clone();
    fingerprint.remove("clientToken");
    let fingerprint = Value::Object(fingerprint);
    if let Some(record) = token.and_then(|t| model.task_tokens.get(t)) {
        if record.request != fingerprint {
            // Catalogue entry 58: "The resourceIds are the existing task ARNs which are already associated with
            // the clientToken."
            return Err(ApiError::new(
                "ConflictException",
                "The provided clientToken is already in use with a different RunTask request.",
            )
            .with("resourceIds", json!(record.arns)));
        }
        return Ok(record.answer(&model.tasks, ctx.now, ctx.memory));
    }
    let count = match req.int("count")? {
        None => 1,
        Some(n @ 1..=MAX_COUNT) => n,
        Some(_) => return Err(ApiError::invalid("count must be between 1 and 10.")),
    };
    if req.value("launchType").is_some() && strategy_in_use(req) {
        return Err(ApiError::invalid(
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
        ));
    }
    if req.str("propagateTags")? == Some("SERVICE") {
        return Err(ApiError::invalid(
            "The SERVICE option of propagateTags is not supported when running a task.",
        ));
    }
    if let Some(started_by) = req.str("startedBy")? {
        check_started_by(started_by)?;
    }
    let revision = model.active_revision(req.required_str("taskDefinition")?)?;
    let awsvpc = revision.body.get("networkMode") == Some(&json!("awsvpc"));
    if fargate(req)? && !awsvpc {
        return Err(ApiError::client(
            "Task definition does not support launch_type FARGATE.",
        ));
    }
    let vpc = req
        .object("networkConfiguration")?
        .and_then(|n| n.get("awsvpcConfiguration"));
    if awsvpc && vpc.is_none() {
        return Err(ApiError::invalid(
            "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        ));
    }
    let (family, _) = parse_task_definition(&revision.arn)?;
    let containers = containers(revision);
    let overrides = overrides(req, &containers)?;
    let config = config(req, revision, family, overrides)?;
    let ending = ending(
        revision,
        &containers,
        ctx.task_outcome,
        ctx.sidecar_exit_code,
    );
    let task_definition_arn = revision.arn.clone();
    let tags = Tags::from_request(req, "tags")?;
    let (mut arns, mut failures) = (Vec::new(), Vec::new());
    for _ in 0..count {
        if !model.placement.fits(ctx.placement_failure_rate) {
            let instance = model.container_instance_arn(&cluster_name);
            failures.push(placement::failure(&instance, ctx.placement_failure_reason));
            continue;
        }
        let id = model.ids.task();
        let arn = model.task_arn(&cluster_name, &id);
        let task = Task {
            arn: arn.clone(),
            cluster_arn: cluster_arn.clone(),
            task_definition_arn: task_definition_arn.clone(),
            containers: containers.clone(),
            config: config.clone(),
            tags: tags.clone(),
            created_at: ctx.now,
            timing: ctx.task_timing,
            ending: ending.clone(),
            stopped_by_user: None,
            service: None,
        };
        model.tasks.insert(arn.clone(), task);
        arns.push(arn);
    }
    let tasks: Vec<Value> = arns
        .iter()
        .map(|arn| model.tasks[arn].to_json(ctx.now, false))
        .collect();
    if let Some(token) = token {
        let record = TokenRecord {
            request: fingerprint,
            arns,
            failures: failures.clone(),
            created_at: ctx.now,
        };
        model.task_tokens.insert(token.to_owned(), record);
    }
    Ok(json!({"tasks": tasks, "failures": failures}))
}

/// A model with a cluster `main` and the families `job` (one container), `bad` (an image that does not pull),
/// `vpc` (awsvpc, Fargate) and `pair` (an essential container and a non-essential sidecar).
#[cfg(test)]
pub fn test_model() -> Model {
    use crate::dispatch::{Op, call_at};
    let mut model = Model::new("us-east-1", 1);
    let calls = [
        (
            crate::ops_cluster::create as Op,
            json!({"clusterName": "main"}),
        ),
        (
            crate::ops_task_definition::register,
            json!({"family": "job", "containerDefinitions": [{"name": "app", "image": "busybox"}]}),
        ),
        (
            crate::ops_task_definition::register,
            json!({"family": "bad", "containerDefinitions": [{"name": "app", "image": "r.invalid/x"}]}),
        ),
        (
            crate::ops_task_definition::register,
            json!({"family": "vpc", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
                   "cpu": "256", "memory": "512",
                   "containerDefinitions": [{"name": "app", "image": "busybox"}]}),
        ),
        (
            crate::ops_task_definition::register,
            json!({"family": "pair", "containerDefinitions": [{"name": "app", "image": "busybox"},
                   {"name": "sidecar", "image": "envoy", "essential": false}]}),
        ),
    ];
    for (op, body) in calls {
        call_at(op, &mut model, body, 0.0).unwrap();
    }
    model
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::{call_at, call_with, test_ctx};
    use crate::settings::{PlacementReason, TaskOutcome};

    fn run_task(model: &mut Model, body: Value) -> OpResult {
        let mut body = body;
        body["cluster"] = json!("main");
        call_at(run, model, body, 0.0)
    }

    #[test]
    fn the_same_token_returns_the_same_tasks() {
        let mut model = test_model();
        let body =
            json!({"taskDefinition": "job", "count": 2, "clientToken": "t1", "startedBy": "me"});
        let first = run_task(&mut model, body.clone()).unwrap();
        let again = run_task(&mut model, body).unwrap();
        assert_eq!(first["tasks"].as_array().unwrap().len(), 2);
        assert_eq!(first["tasks"][1]["taskArn"], again["tasks"][1]["taskArn"]);
        assert_eq!(model.tasks.len(), 2);
        assert_eq!(first["tasks"][0]["group"], "family:job");
        assert_eq!(
            first["tasks"][0]["overrides"]["containerOverrides"][0]["name"],
            "app"
        );
        let other = json!({"taskDefinition": "job", "count": 1, "clientToken": "t1"});
        let conflict = run_task(&mut model, other).unwrap_err();
        assert_eq!(conflict.code, "ConflictException");
        assert_eq!(
            conflict.members["resourceIds"],
            json!(model.tasks.keys().collect::<Vec<_>>()),
            "the tasks of the token"
        );
    }

    /// Catalogue entry 58: a repeat with the same token answers a task stopped for under an hour with its ARN, last
    /// status and desired status only, a task still running in full; a token is per cluster.
    #[test]
    fn a_repeat_answers_stopped_tasks_trimmed_and_tokens_are_per_cluster() {
        let mut model = test_model();
        let body = json!({"cluster": "main", "taskDefinition": "job", "clientToken": "t1"});
        let first = call_at(run, &mut model, body.clone(), 0.0).unwrap();
        let running = call_at(run, &mut model, body.clone(), 3.0).unwrap();
        assert_eq!(running["tasks"][0]["lastStatus"], "RUNNING");
        assert!(running["tasks"][0]["containers"].is_array());
        let stopped = call_at(run, &mut model, body.clone(), 100.0).unwrap();
        let task = stopped["tasks"][0].as_object().unwrap();
        let mut members: Vec<&String> = task.keys().collect();
        members.sort();
        assert_eq!(members, ["desiredStatus", "lastStatus", "taskArn"]);
        assert_eq!(task["lastStatus"], "STOPPED");
        assert_eq!(task["taskArn"], first["tasks"][0]["taskArn"]);
        let other = json!({"clusterName": "other"});
        call_at(crate::ops_cluster::create, &mut model, other, 100.0).unwrap();
        let mut elsewhere = body;
        elsewhere["cluster"] = json!("other");
        let started = call_at(run, &mut model, elsewhere, 100.0).unwrap();
        assert_ne!(started["tasks"][0]["taskArn"], first["tasks"][0]["taskArn"]);
        assert_eq!(model.tasks.len(), 2);
    }

    #[test]
    fn run_task_checks_its_input() {
        let mut model = test_model();
        for (body, code) in [
            (
                json!({"taskDefinition": "job", "count": 11}),
                "InvalidParameterException",
            ),
            (
                json!({"taskDefinition": "job", "launchType": "EC2",
                       "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]}),
                "InvalidParameterException",
            ),
            (
                json!({"taskDefinition": "job", "launchType": "FARGATE"}),
                "ClientException",
            ),
            (
                json!({"taskDefinition": "vpc", "launchType": "FARGATE"}),
                "InvalidParameterException",
            ),
            (
                json!({"taskDefinition": "job", "overrides": {"containerOverrides": [{"name": "nope"}]}}),
                "InvalidParameterException",
            ),
            (json!({"taskDefinition": "missing"}), "ClientException"),
        ] {
            assert_eq!(
                run_task(&mut model, body.clone()).unwrap_err().code,
                code,
                "{body}"
            );
        }
        let ok = json!({"taskDefinition": "vpc", "launchType": "FARGATE",
                        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"]}}});
        let out = run_task(&mut model, ok).unwrap();
        assert_eq!(out["tasks"][0]["platformVersion"], "1.4.0");
        assert_eq!(out["tasks"][0]["lastStatus"], "PROVISIONING");
    }

    /// A context at `now` in which stopped tasks stay describable for 10 s.
    fn ctx_at(now: f64) -> Ctx {
        let mut ctx = test_ctx(now, 10.0, 60.0);
        ctx.memory.stopped_task = 10.0;
        ctx
    }

    /// Catalogue entry 59: RunTask places what fits; each task that does not is a failure naming a container
    /// instance of the cluster and the reason. The counter refuses the next N tasks asked for, then the share.
    #[test]
    fn tasks_that_do_not_fit_come_back_as_failures() {
        let mut model = test_model();
        model.placement.unplaceable = 2;
        let body = json!({"cluster": "main", "taskDefinition": "job", "count": 3});
        let out = call_with(run, &mut model, body.clone(), &ctx_at(0.0)).unwrap();
        assert_eq!(out["tasks"].as_array().unwrap().len(), 1);
        let failures = out["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[0]["reason"], "RESOURCE:MEMORY");
        let arn = failures[0]["arn"].as_str().unwrap();
        assert!(
            arn.starts_with("arn:aws:ecs:us-east-1:123456789012:container-instance/main/"),
            "{arn}"
        );
        assert_eq!((model.tasks.len(), model.placement.unplaceable), (1, 0));
        let mut ctx = ctx_at(0.0);
        ctx.placement_failure_rate = 1.0;
        ctx.placement_failure_reason = PlacementReason::Agent;
        let out = call_with(run, &mut model, body, &ctx).unwrap();
        assert_eq!(out["tasks"], json!([]));
        assert_eq!(out["failures"].as_array().unwrap().len(), 3);
        assert_eq!(out["failures"][2]["reason"], "AGENT");
    }

    /// Catalogue entries 58 and 59: a repeat of a partly placed RunTask answers the same placed tasks and starts
    /// none of the failed ones; it answers the same failures for the first hour (the stopped-task time), none after.
    #[test]
    fn a_repeat_after_partial_placement_answers_what_the_first_call_placed() {
        let mut model = test_model();
        model.placement.unplaceable = 1;
        let body =
            json!({"cluster": "main", "taskDefinition": "job", "count": 2, "clientToken": "t"});
        let first = call_with(run, &mut model, body.clone(), &ctx_at(0.0)).unwrap();
        let again = call_with(run, &mut model, body.clone(), &ctx_at(3.0)).unwrap();
        assert_eq!(again["tasks"][0]["taskArn"], first["tasks"][0]["taskArn"]);
        assert_eq!(again["tasks"].as_array().unwrap().len(), 1);
        assert_eq!(again["failures"], first["failures"]);
        let late = call_with(run, &mut model, body, &ctx_at(10.0)).unwrap();
        assert_eq!(late["tasks"][0]["taskArn"], first["tasks"][0]["taskArn"]);
        assert_eq!(late["failures"], json!([]));
        assert_eq!(model.tasks.len(), 1);
    }

    /// Catalogue entry 58: a token lives until its tasks have been stopped for the stopped-task time (here the
    /// task stops at 8 s, so 18 s), or at most the token time; a repeat after that starts new tasks.
    #[test]
    fn a_repeat_after_the_tokens_lifetime_starts_new_tasks() {
        let mut model = test_model();
        let body = json!({"cluster": "main", "taskDefinition": "job", "clientToken": "t"});
        let first = call_with(run, &mut model, body.clone(), &ctx_at(0.0)).unwrap();
        let before = call_with(run, &mut model, body.clone(), &ctx_at(17.9)).unwrap();
        assert_eq!(before["tasks"][0]["taskArn"], first["tasks"][0]["taskArn"]);
        let after = call_with(run, &mut model, body, &ctx_at(18.0)).unwrap();
        assert_ne!(after["tasks"][0]["taskArn"], first["tasks"][0]["taskArn"]);
        assert_eq!(model.tasks.len(), 1, "the first task has expired");
        let mut ctx = ctx_at(20.0);
        ctx.task_outcome = TaskOutcome::Hang;
        ctx.memory.client_token = 5.0;
        let hanging = json!({"cluster": "main", "taskDefinition": "job", "clientToken": "h"});
        call_with(run, &mut model, hanging.clone(), &ctx).unwrap();
        ctx.now = 24.9;
        call_with(run, &mut model, hanging.clone(), &ctx).unwrap();
        assert_eq!(model.tasks.len(), 2);
        ctx.now = 25.0;
        call_with(run, &mut model, hanging, &ctx).unwrap();
        assert_eq!(
            model.tasks.len(),
            3,
            "a running task does not keep its token past the token time"
        );
    }

    /// Catalogue entry 79: `essential` defaults to true; when the essential container exits, ECS stops the
    /// non-essential one, which shows the sidecar exit code (137 unless told otherwise).
    #[test]
    fn a_sidecar_is_stopped_when_the_essential_container_exits() {
        let mut model = test_model();
        let body = json!({"cluster": "main", "taskDefinition": "pair"});
        let out = call_with(run, &mut model, body.clone(), &ctx_at(0.0)).unwrap();
        let arn = out["tasks"][0]["taskArn"].clone();
        let mut ctx = ctx_at(0.0);
        ctx.sidecar_exit_code = 1;
        let told = call_with(run, &mut model, body, &ctx).unwrap()["tasks"][0]["taskArn"].clone();
        let describe = json!({"cluster": "main", "tasks": [arn, told]});
        let out = call_at(crate::ops_task::describe, &mut model, describe, 9.0).unwrap();
        let codes = |i: usize| {
            let containers = out["tasks"][i]["containers"].as_array().unwrap();
            containers
                .iter()
                .map(|c| (c["name"].clone(), c["exitCode"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(0),
            [(json!("app"), json!(0)), (json!("sidecar"), json!(137))]
        );
        assert_eq!(
            codes(1),
            [(json!("app"), json!(0)), (json!("sidecar"), json!(1))]
        );
    }
}
