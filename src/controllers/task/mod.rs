//! The `EcsTask` controller: runs `count` ECS tasks like a Job. Each attempt's RunTask carries a client token
//! derived from the object's uid and the attempt number, written to status before the call, and the task ARNs are
//! written right after it, so a crash in between starts no second set of tasks. Failed attempts are retried up to
//! `backoffLimit`; `activeDeadlineSeconds` stops the tasks; `ttlSecondsAfterFinished` deletes the object.

pub mod plan;
pub mod status;
pub mod validate;

use std::time::Duration;

use futures::future::try_join_all;
use kube::api::DeleteParams;
use kube::{Api, ResourceExt};
use sha2::{Digest, Sha256};

use crate::api::task::{EcsTaskStatus, TaskPhase};
use crate::api::{DeletionPolicy, EcsTask};
use crate::controllers::references::{self, References};
use crate::ecs::task::RunRequest;
use crate::reconcile::ownership::desired_tags;
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note};
use plan::{Outcome, Step, is_stopped};

impl EcsTask {
    /// The cluster and task definition the spec refers to.
    pub fn references(&self) -> References<'_> {
        References {
            namespace: self.namespace().unwrap_or_default(),
            cluster_ref: self.spec.cluster_ref.as_ref(),
            cluster: self.spec.cluster.as_ref(),
            task_definition_ref: self.spec.task_definition_ref.as_ref(),
            task_definition: self.spec.task_definition.as_ref(),
            task_definition_optional: false,
        }
    }

    /// The `startedBy` of this object's tasks (at most 128 letters, digits, `-`, `/`, `_`): ListTasks finds them.
    fn started_by(&self) -> String {
        format!("ecsb-{}", self.uid().unwrap_or_default())
    }

    /// Brings the records of tasks that have not stopped up to what ECS reports (batched DescribeTasks). A task
    /// ECS does not show (yet) keeps its record.
    async fn observe(
        &self,
        ctx: &Context,
        cluster: &str,
        status: &mut EcsTaskStatus,
    ) -> Result<(), Error> {
        let open: Vec<String> = status
            .tasks
            .iter()
            .filter(|t| !is_stopped(t))
            .map(|t| t.arn.clone())
            .collect();
        let found =
            try_join_all(open.iter().map(|arn| ctx.ecs.describe_task(cluster, arn))).await?;
        for observed in found.into_iter().flatten() {
            if let Some(record) = status.tasks.iter_mut().find(|t| t.arn == observed.task_arn) {
                status::update(record, &observed);
            }
        }
        Ok(())
    }
}

/// The RunTask client token of `attempt` (32 hex characters): the same for every repeat of that attempt, another
/// for the next attempt.
fn client_token(uid: &str, attempt: i32) -> String {
    Sha256::digest(format!("{uid}/run/{attempt}").as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How soon to look again while tasks run if no change of them wakes the object first (the runtime's task watch
/// reads all running tasks in batches and wakes their objects): a quarter of the run's age, within 10 to 60
/// seconds.
fn poll(status: &EcsTaskStatus, now: f64) -> Duration {
    let start = status
        .start_time
        .as_deref()
        .and_then(status::epoch)
        .unwrap_or(now);
    Duration::from_secs_f64(((now - start) / 4.0).clamp(10.0, 60.0))
}

impl Managed for EcsTask {
    type Status = EcsTaskStatus;

    fn status(&self) -> Option<&EcsTaskStatus> {
        self.status.as_ref()
    }

    fn deletion_policy(&self) -> DeletionPolicy {
        self.spec.deletion_policy
    }

    fn validate(&self) -> Result<(), String> {
        validate::validate(self)
    }

    async fn apply(
        &self,
        ctx: &Context,
        checkpoint: &Checkpoint<'_, Self>,
    ) -> Result<Applied<EcsTaskStatus>, Error> {
        let now = status::now();
        let mut status = checkpoint.current();
        let over = matches!(status.phase, TaskPhase::Succeeded | TaskPhase::Failed);
        let refs = self.references();
        let deps = if over {
            None
        } else {
            let deps = references::resolve(&refs, ctx).await?;
            if let Some(traits) = &deps.task_traits {
                validate::check_task_definition(&self.spec, &refs, traits)
                    .map_err(Error::InvalidSpec)?;
            }
            Some(deps)
        };
        let essential = deps
            .as_ref()
            .and_then(|d| d.task_traits.as_ref())
            .map(|t| t.essential.clone());
        let cluster = status
            .cluster_arn
            .clone()
            .or_else(|| deps.as_ref().map(|d| d.cluster.clone()))
            .unwrap_or_default();
        self.observe(ctx, &cluster, &mut status).await?;
        let elapsed = status
            .start_time
            .as_deref()
            .and_then(status::epoch)
            .map(|start| now - start);
        let mut notes = Vec::new();
        let mut outcome = None;
        match plan::next(&self.spec, &status, elapsed, essential.as_deref()) {
            Step::Run { attempt, repeat } => {
                let deps = deps.as_ref().ok_or_else(|| {
                    Error::DependencyNotReady("the references are not resolved".into())
                })?;
                let task_definition = match (&status.task_definition_arn, repeat) {
                    (Some(recorded), true) => recorded.clone(),
                    _ => deps.task_definition.clone(),
                };
                let token = client_token(&self.uid().unwrap_or_default(), attempt);
                status.attempts = attempt;
                status.client_token = Some(token.clone());
                status.task_definition_arn = Some(task_definition.clone());
                status
                    .cluster_arn
                    .get_or_insert_with(|| deps.cluster.clone());
                status
                    .start_time
                    .get_or_insert_with(|| status::rfc3339(now));
                // Before the call: a crash after it repeats the call with this token, which starts nothing new.
                let before = status.clone();
                checkpoint.save(|s| *s = before).await?;
                let tags = desired_tags(self, &self.spec.tags);
                let started = ctx
                    .ecs
                    .run_task(&RunRequest {
                        cluster: &deps.cluster,
                        task_definition: &task_definition,
                        spec: &self.spec,
                        tags: &tags,
                        client_token: &token,
                        started_by: &self.started_by(),
                    })
                    .await?;
                for task in &started.tasks {
                    if !status.tasks.iter().any(|t| t.arn == task.task_arn) {
                        status.tasks.push(status::record(task, attempt));
                    }
                }
                let placed = started.tasks.len();
                if placed < self.spec.count as usize {
                    status.failed_attempts = attempt;
                    status.last_failure = Some(format!(
                        "attempt {attempt}: RunTask placed {placed} of {} tasks: {}",
                        self.spec.count,
                        started.failures.join("; ")
                    ));
                }
                // Nothing below can fail before the skeleton writes the tasks to status; a crash before that write
                // repeats this attempt's RunTask with the same token, which starts nothing new.
                notes.push(Note::normal(
                    "Started",
                    format!("attempt {attempt}: started {placed} task(s) of {task_definition}"),
                ));
            }
            Step::Deadline(running) => {
                let reason = "DeadlineExceeded: the EcsTask passed its activeDeadlineSeconds";
                for arn in &running {
                    ctx.ecs.stop_task(&cluster, arn, reason).await?;
                }
                outcome = Some(Outcome::Failed {
                    reason: "DeadlineExceeded",
                    message: format!(
                        "the run passed activeDeadlineSeconds ({}s); stopped {} task(s)",
                        self.spec.active_deadline_seconds.unwrap_or_default(),
                        running.len()
                    ),
                });
            }
            Step::Finish(done) => outcome = Some(done),
            Step::Wait => {}
        }
        status::summarize(&mut status, essential.as_deref(), now);
        if let Some(done) = &outcome {
            status::finish(&mut status, done, now);
            notes.push(match done {
                Outcome::Succeeded => Note::normal("Completed", "all tasks succeeded"),
                Outcome::Failed { reason, message } => Note::warning(reason, message.clone()),
            });
        }
        let conditions = status::conditions(&status, outcome.as_ref());
        let mut requeue = status
            .tasks
            .iter()
            .any(|t| !is_stopped(t))
            .then(|| poll(&status, now));
        if let Some(left) = self.ttl_left(&status, now) {
            if left <= 0.0 {
                let api: Api<EcsTask> =
                    Api::namespaced(ctx.client.clone(), &self.namespace().unwrap_or_default());
                api.delete(&self.name_any(), &DeleteParams::default())
                    .await?;
                notes.push(Note::normal(
                    "Deleted",
                    "ttlSecondsAfterFinished passed: deleted this EcsTask",
                ));
            } else {
                let left = Duration::from_secs_f64(left);
                requeue = Some(requeue.map_or(left, |r| r.min(left)));
            }
        }
        if let (Some(deadline), Some(start)) = (self.spec.active_deadline_seconds, elapsed)
            && outcome.is_none()
            && !over
        {
            let left = Duration::from_secs_f64((deadline as f64 - start).max(0.5));
            requeue = Some(requeue.map_or(left, |r| r.min(left)));
        }
        Ok(Applied {
            status,
            conditions,
            notes,
            requeue,
        })
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Cleanup, Error> {
        let recorded = self.status.as_ref().and_then(|s| s.cluster_arn.as_deref());
        let Some(cluster) =
            references::cluster_for_cleanup(&self.references(), recorded, ctx).await?
        else {
            return Ok(Cleanup::Done(vec![Note::normal(
                "Deleted",
                "no ECS task was started",
            )]));
        };
        // Tasks RunTask started but status never recorded are found by their startedBy.
        let mut running = ctx
            .ecs
            .list_tasks_started_by(&cluster, &self.started_by())
            .await?;
        let recorded = self.status.iter().flat_map(|s| &s.tasks);
        for task in recorded.filter(|t| !is_stopped(t)) {
            if !running.contains(&task.arn) {
                running.push(task.arn.clone());
            }
        }
        let reason = format!(
            "EcsTask {}/{} was deleted",
            self.namespace().unwrap_or_default(),
            self.name_any()
        );
        for arn in &running {
            ctx.ecs.stop_task(&cluster, arn, &reason).await?;
        }
        Ok(Cleanup::Done(vec![Note::normal(
            "Stopped",
            format!("stopped {} running ECS task(s)", running.len()),
        )]))
    }
}

impl EcsTask {
    /// Seconds until `ttlSecondsAfterFinished` passes (negative once it has), for a run that is over.
    fn ttl_left(&self, status: &EcsTaskStatus, now: f64) -> Option<f64> {
        let ttl = self.spec.ttl_seconds_after_finished? as f64;
        let finished = status.completion_time.as_deref().and_then(status::epoch)?;
        Some(finished + ttl - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_tokens_differ_per_attempt_and_fit_ecs() {
        let first = client_token("uid-1", 1);
        assert_eq!(first, client_token("uid-1", 1));
        assert_ne!(first, client_token("uid-1", 2));
        assert_ne!(first, client_token("uid-2", 1));
        assert_eq!(first.len(), 32);
    }

    #[test]
    fn the_safety_net_poll_grows_with_the_runs_age() {
        let status = EcsTaskStatus {
            start_time: Some(status::rfc3339(1000.0)),
            ..Default::default()
        };
        assert_eq!(poll(&status, 1001.0), Duration::from_secs(10));
        assert_eq!(poll(&status, 1100.0), Duration::from_secs(25));
        assert_eq!(poll(&status, 2000.0), Duration::from_secs(60));
    }
}
