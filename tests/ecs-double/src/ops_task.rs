//! Task operations: RunTask, DescribeTasks, StopTask and ListTasks (entries 58-66 of `docs/ecs-behaviour.md`).
//! How a task lives once run is in [`crate::task_life`].

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::paginate::{self, Entry};
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::settings::Broken;
use crate::state::{Model, parse_task_definition, short_name};
use crate::tags::Tags;
use crate::task_life::Task;
use crate::task_request::{
    check_started_by, check_token, config, containers, ending, fargate, overrides, strategy_in_use,
};

/// RunTask starts at most this many tasks per call.
const MAX_COUNT: i64 = 10;

/// DescribeTasks takes at most this many tasks.
const MAX_DESCRIBE: usize = 100;

/// What StopTask without a reason leaves as `stoppedReason`.
const STOPPED_BY_USER: &str = "Task stopped by user";

/// RunTask: 1 to 10 tasks of an ACTIVE revision. The same `clientToken` with the same request in the same cluster
/// returns the tasks it started (a task stopped since with its ARN and statuses only, catalogue entry 58); with
/// another request it is a ConflictException. A token is per cluster.
pub fn run(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
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
    if let Some((given, arns)) = token.and_then(|t| model.task_tokens.get(t)) {
        if *given != fingerprint {
            return Err(ApiError::new(
                "ConflictException",
                "The provided clientToken is already in use with a different RunTask request.",
            ));
        }
        let tasks: Vec<Value> = arns
            .iter()
            .filter_map(|arn| model.tasks.get(arn))
            .map(|t| repeated(t.to_json(ctx.now, false)))
            .collect();
        return Ok(json!({"tasks": tasks, "failures": []}));
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
    let ending = ending(revision, &containers, ctx.task_outcome);
    let task_definition_arn = revision.arn.clone();
    let tags = Tags::from_request(req, "tags")?;
    let mut arns = Vec::new();
    for _ in 0..count {
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
        };
        model.tasks.insert(arn.clone(), task);
        arns.push(arn);
    }
    let tasks: Vec<Value> = arns
        .iter()
        .map(|arn| model.tasks[arn].to_json(ctx.now, false))
        .collect();
    if let Some(token) = token {
        model
            .task_tokens
            .insert(token.to_owned(), (fingerprint, arns));
    }
    Ok(json!({"tasks": tasks, "failures": []}))
}

/// A task in the answer to a repeated RunTask: "Tasks that have been stopped for under an hour only include the
/// task ARN, last status, and desired status" (catalogue entry 58); others in full.
fn repeated(task: Value) -> Value {
    if task["lastStatus"] != "STOPPED" {
        return task;
    }
    json!({
        "taskArn": task["taskArn"],
        "lastStatus": task["lastStatus"],
        "desiredStatus": task["desiredStatus"],
    })
}

/// The ARN of the task `ident` (an ID or an ARN) names in `cluster`.
fn task_arn(model: &Model, cluster: &str, ident: &str) -> String {
    model.task_arn(cluster, short_name(ident))
}

/// DescribeTasks: 1 to 100 IDs or ARNs; unknown ones are failures with reason MISSING. STOPPED tasks stay.
pub fn describe(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let cluster = model.active_cluster(req.str("cluster")?)?.name.clone();
    let idents = req.strings("tasks")?.unwrap_or_default();
    if idents.is_empty() || idents.len() > MAX_DESCRIBE {
        return Err(ApiError::invalid(format!(
            "tasks must hold 1 to {MAX_DESCRIBE} task IDs or ARNs."
        )));
    }
    let include_tags = req.includes("TAGS")?;
    let (mut tasks, mut failures) = (Vec::new(), Vec::new());
    for ident in &idents {
        let arn = task_arn(model, &cluster, ident);
        match model.tasks.get(&arn) {
            Some(task) => tasks.push(task.to_json(ctx.now, include_tags)),
            None => failures.push(json!({"arn": arn, "reason": "MISSING"})),
        }
    }
    Ok(json!({"tasks": tasks, "failures": failures}))
}

/// StopTask: the desired status becomes STOPPED at once (stop code UserInitiated, the reason given); the task
/// is STOPPED a moment later. A task that already stopped stays as it was.
pub fn stop(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let cluster = model.active_cluster(req.str("cluster")?)?.name.clone();
    let arn = task_arn(model, &cluster, req.required_str("task")?);
    let reason = req.str("reason")?.unwrap_or(STOPPED_BY_USER).to_owned();
    let task = model
        .tasks
        .get_mut(&arn)
        .ok_or_else(|| ApiError::invalid("The referenced task was not found."))?;
    if task.stopped_by_user.is_none() {
        task.stopped_by_user = Some((ctx.now, reason));
    }
    Ok(json!({"task": task.to_json(ctx.now, false)}))
}

/// ListTasks: the ARNs of a cluster's tasks with the desired status asked for (RUNNING unless `desiredStatus`
/// says otherwise), filtered by `family` and `startedBy`, 100 per page.
pub fn list(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let cluster = model.active_cluster(req.str("cluster")?)?.arn.clone();
    let stopped = match req.str("desiredStatus")?.unwrap_or("RUNNING") {
        "RUNNING" | "PENDING" => false,
        "STOPPED" => true,
        other => {
            return Err(ApiError::invalid(format!("Invalid desiredStatus: {other}")));
        }
    };
    // ECS never sets desiredStatus PENDING, so nothing matches it.
    let pending = req.str("desiredStatus")? == Some("PENDING");
    let family = req.str("family")?;
    let started_by = req.str("startedBy")?;
    let entries = model
        .tasks
        .values()
        .filter(|t| t.cluster_arn == cluster && !pending)
        .filter(|t| t.stop_desired(ctx.now) == stopped)
        .filter(|t| {
            family.is_none_or(|f| {
                parse_task_definition(&t.task_definition_arn).is_ok_and(|(tf, _)| tf == f)
            })
        })
        .filter(|t| started_by.is_none_or(|s| t.config.get("startedBy") == Some(&json!(s))))
        .map(|t| Entry {
            key: t.arn.clone(),
            arn: t.arn.clone(),
        })
        .collect();
    paginate::page(req, entries, false, 100, "taskArns")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::{Op, call_at};

    fn setup() -> Model {
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
        ];
        for (op, body) in calls {
            call_at(op, &mut model, body, 0.0).unwrap();
        }
        model
    }

    fn run_task(model: &mut Model, body: Value) -> OpResult {
        let mut body = body;
        body["cluster"] = json!("main");
        call_at(run, model, body, 0.0)
    }

    #[test]
    fn the_same_token_returns_the_same_tasks() {
        let mut model = setup();
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
        assert_eq!(
            run_task(&mut model, other).unwrap_err().code,
            "ConflictException"
        );
    }

    /// Catalogue entry 58: a repeat with the same token answers a task stopped for under an hour with its ARN, last
    /// status and desired status only, a task still running in full; a token is per cluster.
    #[test]
    fn a_repeat_answers_stopped_tasks_trimmed_and_tokens_are_per_cluster() {
        let mut model = setup();
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
        let mut model = setup();
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

    #[test]
    fn unpullable_images_fail_to_start() {
        let mut model = setup();
        run_task(&mut model, json!({"taskDefinition": "bad"})).unwrap();
        let arn = model.tasks.keys().next().unwrap().clone();
        let out = call_at(
            describe,
            &mut model,
            json!({"cluster": "main", "tasks": [arn, "nope"]}),
            5.0,
        )
        .unwrap();
        assert_eq!(out["tasks"][0]["stopCode"], "TaskFailedToStart");
        assert!(
            out["tasks"][0]["stoppedReason"]
                .as_str()
                .unwrap()
                .contains("r.invalid/x")
        );
        assert_eq!(out["failures"][0]["reason"], "MISSING");
    }

    #[test]
    fn stop_and_list_follow_the_desired_status() {
        let mut model = setup();
        run_task(
            &mut model,
            json!({"taskDefinition": "job", "count": 3, "startedBy": "me"}),
        )
        .unwrap();
        run_task(
            &mut model,
            json!({"taskDefinition": "vpc", "launchType": "EC2",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"]}}}),
        )
        .unwrap();
        let arn = model.tasks.keys().next().unwrap().clone();
        let out = call_at(
            stop,
            &mut model,
            json!({"cluster": "main", "task": arn, "reason": "bye"}),
            3.0,
        )
        .unwrap();
        assert_eq!(out["task"]["desiredStatus"], "STOPPED");
        let list_at = |model: &mut Model, body: Value| {
            let out = call_at(list, model, body, 3.0).unwrap();
            out["taskArns"].as_array().unwrap().len()
        };
        assert_eq!(list_at(&mut model, json!({"cluster": "main"})), 3);
        assert_eq!(
            list_at(
                &mut model,
                json!({"cluster": "main", "desiredStatus": "STOPPED"})
            ),
            1
        );
        assert_eq!(
            list_at(&mut model, json!({"cluster": "main", "family": "vpc"})),
            1
        );
        assert_eq!(
            list_at(&mut model, json!({"cluster": "main", "startedBy": "me"})),
            2
        );
        assert_eq!(
            list_at(&mut model, json!({"cluster": "main", "maxResults": 2})),
            2
        );
        // Everything has exited by now.
        let out = call_at(
            list,
            &mut model,
            json!({"cluster": "main", "desiredStatus": "STOPPED"}),
            20.0,
        )
        .unwrap();
        assert_eq!(out["taskArns"].as_array().unwrap().len(), 4);
        let err = call_at(
            stop,
            &mut model,
            json!({"cluster": "main", "task": "nope"}),
            3.0,
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidParameterException");
    }
}
