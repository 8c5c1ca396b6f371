//! Task operations: DescribeTasks, StopTask and ListTasks (entries 60-66 of `docs/ecs-behaviour.md`); RunTask is
//! in [`crate::ops_run_task`]. How a task lives once run is in [`crate::task_life`], how long ECS remembers it in
//! [`crate::task_memory`].

use serde_json::json;

use crate::dispatch::Ctx;
use crate::paginate::{self, Entry};
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::state::{Model, parse_task_definition, short_name};
use crate::task_memory;

/// DescribeTasks takes at most this many tasks.
const MAX_DESCRIBE: usize = 100;

/// What StopTask without a reason leaves as `stoppedReason`.
const STOPPED_BY_USER: &str = "Task stopped by user";

/// The ARN of the task `ident` (an ID or an ARN) names in `cluster`.
fn task_arn(model: &Model, cluster: &str, ident: &str) -> String {
    model.task_arn(cluster, short_name(ident))
}

/// DescribeTasks: 1 to 100 IDs or ARNs; unknown ones, and STOPPED ones whose time is up (catalogue entry 62), are
/// failures with reason MISSING.
pub fn describe(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    task_memory::forget(model, ctx.now, ctx.memory);
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
    task_memory::forget(model, ctx.now, ctx.memory);
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
/// says otherwise), filtered by `family`, `startedBy` and `serviceName` (a service's tasks, catalogue entry 95), 100 per page.
pub fn list(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    task_memory::forget(model, ctx.now, ctx.memory);
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
    let group = req
        .str("serviceName")?
        .map(|s| json!(format!("service:{s}")));
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
        .filter(|t| group.is_none() || t.config.get("group") == group.as_ref())
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
    use crate::dispatch::{call_at, call_with, test_ctx};
    use crate::ops_run_task::test_model;
    use serde_json::Value;

    fn run_task(model: &mut Model, body: Value) -> OpResult {
        let mut body = body;
        body["cluster"] = json!("main");
        call_at(crate::ops_run_task::run, model, body, 0.0)
    }

    #[test]
    fn unpullable_images_fail_to_start() {
        let mut model = test_model();
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
        let mut model = test_model();
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

    /// Catalogue entry 62: a STOPPED task stays describable for the stopped-task time (here 10 s), then
    /// DescribeTasks answers it as MISSING and ListTasks leaves it out; a task still running never expires.
    #[test]
    fn stopped_tasks_expire_after_their_time() {
        let mut model = test_model();
        run_task(&mut model, json!({"taskDefinition": "job"})).unwrap();
        let mut ctx = test_ctx(0.0, 10.0, 60.0);
        ctx.task_outcome = crate::settings::TaskOutcome::Hang;
        let hanging = json!({"cluster": "main", "taskDefinition": "job"});
        call_with(crate::ops_run_task::run, &mut model, hanging, &ctx).unwrap();
        let arns: Vec<String> = model.tasks.keys().cloned().collect();
        let (stopping, running) = if model.tasks[&arns[0]].stopped_at().is_some() {
            (&arns[0], &arns[1])
        } else {
            (&arns[1], &arns[0])
        };
        let mut at = |model: &mut Model, now: f64, op: crate::dispatch::Op, body: Value| {
            ctx.now = now;
            ctx.memory.stopped_task = 10.0;
            call_with(op, model, body, &ctx).unwrap()
        };
        // The task stops at 8 s: describable until 18 s.
        let both = json!({"cluster": "main", "tasks": [stopping, running]});
        let out = at(&mut model, 17.9, describe, both.clone());
        assert_eq!(out["tasks"].as_array().unwrap().len(), 2);
        let stopped = json!({"cluster": "main", "desiredStatus": "STOPPED"});
        let out = at(&mut model, 17.9, list, stopped.clone());
        assert_eq!(out["taskArns"], json!([stopping]));
        let out = at(&mut model, 18.0, describe, both);
        assert_eq!(out["tasks"][0]["taskArn"], json!(running));
        assert_eq!(
            out["failures"],
            json!([{"arn": stopping, "reason": "MISSING"}])
        );
        let out = at(&mut model, 18.0, list, stopped);
        assert_eq!(out["taskArns"], json!([]));
        let out = at(&mut model, 1e6, list, json!({"cluster": "main"}));
        assert_eq!(out["taskArns"], json!([running]));
    }

    /// Catalogue entry 62: DescribeTasks names its cluster; once that cluster is deleted the answer is
    /// ClusterNotFoundException, not the tasks.
    #[test]
    fn describe_tasks_of_a_deleted_cluster_is_cluster_not_found() {
        let mut model = test_model();
        let out = run_task(&mut model, json!({"taskDefinition": "job"})).unwrap();
        let arn = out["tasks"][0]["taskArn"].clone();
        call_at(
            crate::ops_cluster::delete,
            &mut model,
            json!({"cluster": "main"}),
            1.0,
        )
        .unwrap();
        let body = json!({"cluster": "main", "tasks": [arn]});
        let err = call_at(describe, &mut model, body, 2.0).unwrap_err();
        assert_eq!(err.code, "ClusterNotFoundException");
    }
}
