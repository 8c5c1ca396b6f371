//! Starting a run and its attempts: what a run runs is recorded when it starts (cluster ARN, task definition
//! revision, the RunTask request), each RunTask is written to status before it is
//! sent (with a client token), and a repeat of a call whose answer was lost first looks for its tasks by
//! `startedBy`, so a crash, a lost answer or a token past its lifetime never starts a second set of tasks.

use kube::ResourceExt;
use sha2::{Digest, Sha256};

use super::status::{self, epoch, rfc3339};
use super::validate;
use crate::api::EcsTask;
use crate::api::task::{EcsTaskStatus, InFlight, PlacementFailure};
use crate::controllers::references;
use crate::ecs::AwsErrorKind;
use crate::ecs::task::{RunRequest, Started, request_json};
use crate::reconcile::ownership::desired_tags;
use crate::reconcile::{Checkpoint, Context, Error, Note};

/// Placement failures kept in status.
const PLACEMENT_FAILURES_KEPT: usize = 5;

/// How much earlier than the call was written to status a task found by `startedBy` may have been created (ECS's
/// clock and ours differ a little) and still belong to that call.
const CLOCK_SLACK_SECONDS: f64 = 5.0;

/// The RunTask client token of `attempt` with `request` (32 hex characters): the same for every repeat of that
/// call, another for the next attempt or another request.
pub fn client_token(uid: &str, attempt: i32, request: &str) -> String {
    Sha256::digest(format!("{uid}/run/{attempt}/{request}").as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `startedBy` of the object's tasks (at most 128 letters, digits, `-`, `/`, `_`): ListTasks finds them.
pub fn started_by(task: &EcsTask) -> String {
    format!("ecsb-{}", task.uid().unwrap_or_default())
}

/// Records what the run runs, from the spec and its references as they are now: the cluster, the task definition
/// revision (with the essential containers of a referenced TaskDefinition), and the RunTask request.
pub async fn prepare(
    task: &EcsTask,
    ctx: &Context,
    status: &mut EcsTaskStatus,
) -> Result<(), Error> {
    let refs = task.references();
    let deps = references::resolve(&refs, ctx).await?;
    // A family or ARN given by name is fixed to the revision of the first answer (RunTask runs a family's newest
    // ACTIVE revision); its essential containers are read only when a task's outcome depends on them.
    let (revision, essential) = match &deps.task_traits {
        Some(traits) => {
            validate::check_task_definition(&task.spec, &refs, traits)
                .map_err(Error::InvalidSpec)?;
            (deps.task_definition.clone(), Some(traits.essential.clone()))
        }
        None => (deps.task_definition.clone(), None),
    };
    let tags = desired_tags(task, &task.spec.tags);
    let mut request: serde_json::Value = serde_json::from_str(&request_json(&task.spec, &tags)?)
        .map_err(|e| Error::InvalidSpec(e.to_string()))?;
    request["count"] = task.spec.count.into();
    status.cluster_arn = Some(deps.cluster);
    status.task_definition_arn = Some(revision);
    status.essential_containers = essential;
    status.request = Some(request.to_string());
    Ok(())
}

/// Sends (or repeats) the RunTask of `attempt` for `count` tasks and records its answer.
pub async fn attempt(
    task: &EcsTask,
    ctx: &Context,
    checkpoint: &Checkpoint<'_, EcsTask>,
    status: &mut EcsTaskStatus,
    (attempt, count, repeat): (i32, i32, bool),
    now: f64,
) -> Result<Vec<Note>, Error> {
    let cluster = status.cluster_arn.clone().unwrap_or_default();
    let request = status.request.clone().unwrap_or_default();
    if repeat && let Some(found) = find_started(task, ctx, status).await? {
        return Ok(record(status, attempt, count, found, now));
    }
    if !repeat {
        status.attempts = attempt;
        status.in_flight = Some(InFlight {
            attempt,
            count,
            client_token: client_token(&task.uid().unwrap_or_default(), attempt, &request),
            sent_at: rfc3339(now),
        });
        status.start_time.get_or_insert_with(|| rfc3339(now));
        // Before the call: a crash after it repeats the call with this token, which starts nothing new.
        let before = status.clone();
        checkpoint.save(|s| *s = before).await?;
    }
    let token = status
        .in_flight
        .as_ref()
        .map(|f| f.client_token.clone())
        .unwrap_or_default();
    let sent = ctx
        .ecs
        .run_task(&RunRequest {
            cluster: &cluster,
            task_definition: status.task_definition_arn.as_deref().unwrap_or_default(),
            request: &request,
            count,
            client_token: &token,
            started_by: &started_by(task),
        })
        .await;
    match sent {
        Ok(started) => Ok(record(status, attempt, count, started, now)),
        Err(err) if refused(err.kind) && attempt == 1 && status.tasks.is_empty() => {
            // Nothing was started: the run starts over from the spec, so a fix of the spec is used.
            *status = EcsTaskStatus {
                conditions: std::mem::take(&mut status.conditions),
                observed_generation: status.observed_generation,
                ..Default::default()
            };
            let after = status.clone();
            checkpoint.save(|s| *s = after).await?;
            Err(err.into())
        }
        Err(err) => Err(err.into()),
    }
}

/// Whether ECS refused the request itself (it started nothing and a repeat would be refused the same way).
fn refused(kind: AwsErrorKind) -> bool {
    matches!(
        kind,
        AwsErrorKind::Rejected | AwsErrorKind::AccessDenied | AwsErrorKind::NotFound
    )
}

/// The tasks of the call in flight that ECS shows by the object's `startedBy` but status does not record: found
/// when the call's answer was lost, also after its client token's lifetime.
async fn find_started(
    task: &EcsTask,
    ctx: &Context,
    status: &EcsTaskStatus,
) -> Result<Option<Started>, Error> {
    let cluster = status.cluster_arn.clone().unwrap_or_default();
    let by = started_by(task);
    let mut arns = ctx.ecs.list_tasks_started_by(&cluster, &by, false).await?;
    arns.extend(ctx.ecs.list_tasks_started_by(&cluster, &by, true).await?);
    arns.retain(|arn| !status.tasks.iter().any(|t| &t.arn == arn));
    let sent_at = status
        .in_flight
        .as_ref()
        .and_then(|f| epoch(&f.sent_at))
        .unwrap_or_default();
    let mut tasks = Vec::new();
    for arn in arns {
        if let Some(found) = ctx.ecs.describe_task(&cluster, &arn).await?
            && found
                .created_at
                .is_some_and(|at| at >= sent_at - CLOCK_SLACK_SECONDS)
        {
            tasks.push(found);
        }
    }
    Ok((!tasks.is_empty()).then(|| Started {
        tasks,
        failures: Vec::new(),
    }))
}

/// Records the answer to the RunTask of `attempt` for `count` tasks: its tasks, and the ones it could not start
/// (placement failures start a backoff; other failures count as failed tasks).
fn record(
    status: &mut EcsTaskStatus,
    attempt: i32,
    count: i32,
    started: Started,
    now: f64,
) -> Vec<Note> {
    status.in_flight = None;
    if let Some(revision) = started
        .tasks
        .iter()
        .find_map(|t| t.task_definition_arn.clone())
    {
        status.task_definition_arn = Some(revision);
    }
    for observed in &started.tasks {
        if !status.tasks.iter().any(|t| t.arn == observed.task_arn) {
            status.tasks.push(status::record(observed, attempt));
        }
    }
    let placed = started.tasks.len() as i32;
    let task_definition = status.task_definition_arn.clone().unwrap_or_default();
    let mut notes = vec![Note::normal(
        "Started",
        format!("attempt {attempt}: started {placed} of {count} task(s) of {task_definition}"),
    )];
    if placed >= count {
        return notes;
    }
    let reasons: Vec<String> = started.failures.iter().map(ToString::to_string).collect();
    let why = format!(
        "attempt {attempt}: RunTask placed {placed} of {count} task(s): {}",
        if reasons.is_empty() {
            "ECS gave no reason".to_owned()
        } else {
            reasons.join("; ")
        }
    );
    let not_placement = started
        .failures
        .iter()
        .filter(|f| !f.is_placement())
        .count() as i32;
    if not_placement > 0 {
        status::note_failure(status, not_placement, why.clone(), now);
    } else {
        status.last_failure = Some(why.clone());
        status::backoff(status, now);
    }
    status.placement_failures.push(PlacementFailure {
        attempt,
        requested: count,
        placed,
        reasons,
        time: rfc3339(now),
    });
    let excess = status
        .placement_failures
        .len()
        .saturating_sub(PLACEMENT_FAILURES_KEPT);
    status.placement_failures.drain(..excess);
    notes.push(Note::warning("PlacementFailed", why));
    notes
}
