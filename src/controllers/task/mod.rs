//! The `EcsTask` controller: runs `count` ECS tasks like a Job. A run records what it runs when it starts (the
//! cluster, the task definition revision, the RunTask request), so a started run depends only on what it ran; each
//! RunTask carries a client token and is written to status before it is sent, so a crash starts no second set of
//! tasks. Failed tasks are replaced after a backoff up to `backoffLimit`; tasks ECS could not place are placed
//! again; `activeDeadlineSeconds` stops the tasks; Complete or Failed is set once every task has stopped;
//! `ttlSecondsAfterFinished` deletes the object.

pub mod observe;
pub mod plan;
pub mod run;
pub mod status;
pub mod validate;

use std::time::Duration;

use kube::api::{DeleteParams, Patch, PatchParams};
use kube::{Api, ResourceExt};

use crate::api::task::EcsTaskStatus;
use crate::api::{DeletionPolicy, EcsCronTask, EcsTask};
use crate::controllers::references::{self, References};
use crate::ecs::task::request_json;
use crate::reconcile::ownership::desired_tags;
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note};
use plan::{Outcome, Step, is_over, is_stopped};

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
            // Nothing wakes a task when they change: it reads them from the API server.
            cached: false,
        }
    }

    /// A note when the spec was edited after the run started: the run goes on as it started (as a Job's does).
    fn edited_while_running(&self, status: &EcsTaskStatus) -> Option<Note> {
        let recorded: serde_json::Value = serde_json::from_str(status.request.as_deref()?).ok()?;
        let tags = desired_tags(self, &self.spec.tags);
        let mut current: serde_json::Value =
            serde_json::from_str(&request_json(&self.spec, &tags).ok()?).ok()?;
        current["count"] = self.spec.count.into();
        let seen = status.observed_generation == self.metadata.generation;
        (current != recorded && !seen).then(|| {
            Note::warning(
                "SpecChangedWhileActive",
                "the spec changed after the run started; the run goes on with the spec, cluster and task \
                 definition revision it started with (create a new EcsTask to run the new spec)",
            )
        })
    }
}

/// The annotation a run being deleted with its retaining EcsCronTask gets (the cron's name): its tasks stay.
const TASKS_RETAINED: &str = "ecsbridge.dev/tasks-retained-by";

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

/// The earlier of two optional waits.
fn sooner(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Managed for EcsTask {
    type Status = EcsTaskStatus;
    const EXPORTED: &'static [(&'static str, &'static str)] = &[
        ("clusterArn", "/clusterArn"),
        ("taskDefinitionArn", "/taskDefinitionArn"),
        ("taskArns", "/tasks/*/arn"),
    ];
    const READ_ONLY_REFUSAL: &'static str = crate::reconcile::read_only::RUNS_LEAVE_NO_OBJECT;

    fn status(&self) -> Option<&EcsTaskStatus> {
        self.status.as_ref()
    }

    fn deletion_policy(&self) -> DeletionPolicy {
        self.spec.deletion_policy
    }

    fn export_to(&self) -> Option<&str> {
        self.spec
            .export_to
            .as_ref()
            .map(|e| e.config_map_name.as_str())
    }

    fn validate(&self) -> Result<(), String> {
        // A started run no longer reads the run's fields of the spec; only the fields it still reads are checked.
        let started = self.status.as_ref().is_some_and(|s| s.request.is_some());
        if started {
            return validate::validate_lifecycle(&self.spec);
        }
        validate::validate(self)
    }

    async fn apply(
        &self,
        ctx: &Context,
        checkpoint: &Checkpoint<'_, Self>,
    ) -> Result<Applied<EcsTaskStatus>, Error> {
        let now = status::now();
        let mut status = checkpoint.current();
        let mut notes = Vec::new();
        if is_over(&status) {
            // A finished run's status is frozen; only ttlSecondsAfterFinished acts.
            let requeue = self.expire(ctx, &status, now, &mut notes).await?;
            return Ok(Applied {
                status,
                conditions: Vec::new(),
                notes,
                requeue,
            });
        }
        if status.request.is_none() {
            run::prepare(self, ctx, &mut status).await?;
        } else {
            notes.extend(self.edited_while_running(&status));
        }
        notes.extend(observe::observe(ctx, &mut status, now).await?);
        notes.extend(observe::settle(ctx, &mut status, now).await?);
        let mut outcome = None;
        let mut requeue = None;
        match plan::next(&self.spec, &status, now) {
            Step::Run {
                attempt,
                count,
                repeat,
            } => {
                let step = (attempt, count, repeat);
                notes.extend(run::attempt(self, ctx, checkpoint, &mut status, step, now).await?);
                // A task found after its answer was lost may have stopped already.
                notes.extend(observe::settle(ctx, &mut status, now).await?);
            }
            Step::End { ending, stop } => {
                for arn in &stop {
                    let cluster = status.cluster_arn.as_deref().unwrap_or_default();
                    let reason = format!("{}: {}", ending.reason, ending.message);
                    ctx.ecs.stop_task(cluster, arn, &reason).await?;
                    if let Some(task) = status.tasks.iter_mut().find(|t| &t.arn == arn) {
                        task.desired_status = Some("STOPPED".into());
                    }
                }
                if status.ending.is_none() {
                    notes.push(Note::warning(
                        &ending.reason,
                        format!("{}; stopping {} task(s)", ending.message, stop.len()),
                    ));
                }
                status.ending = Some(ending);
            }
            Step::Finish(done) => outcome = Some(done),
            Step::Wait(backoff) => requeue = backoff.map(Duration::from_secs_f64),
        }
        status::trim(&mut status);
        status::summarize(&mut status);
        if let Some(done) = &outcome {
            status::finish(&mut status, done, now);
            notes.push(match done {
                Outcome::Succeeded => Note::normal("Completed", "all tasks succeeded"),
                Outcome::Failed { reason, message } => Note::warning(reason, message.clone()),
            });
        }
        let conditions = status::conditions(&status, outcome.as_ref(), now);
        if status.tasks.iter().any(|t| !is_stopped(t)) {
            requeue = sooner(requeue, Some(poll(&status, now)));
        }
        if let Some(after) = status.retry_after.as_deref().and_then(status::epoch) {
            requeue = sooner(
                requeue,
                Some(Duration::from_secs_f64((after - now).max(0.5))),
            );
        }
        if outcome.is_some() {
            requeue = self.expire(ctx, &status, now, &mut notes).await?;
        } else if let (Some(deadline), Some(start)) = (
            self.spec.active_deadline_seconds,
            status.start_time.as_deref().and_then(status::epoch),
        ) {
            let left = (start + deadline as f64 - now).max(0.5);
            requeue = sooner(requeue, Some(Duration::from_secs_f64(left)));
        }
        Ok(Applied {
            status,
            conditions,
            notes,
            requeue,
        })
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Cleanup, Error> {
        if let Some(cron) = self.deleted_with_a_retaining_cron(ctx).await? {
            // Sticky: a repeat of this cleanup (the finalizer's removal can conflict with the garbage collector's
            // own writes) keeps the decision even when the EcsCronTask is gone by then.
            let api: Api<EcsTask> =
                Api::namespaced(ctx.client.clone(), &self.namespace().unwrap_or_default());
            let mark = serde_json::json!({"metadata": {"annotations": {TASKS_RETAINED: cron}}});
            api.patch(
                &self.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&mark),
            )
            .await?;
            return Ok(Cleanup::Done(vec![Note::normal(
                "Retained",
                format!(
                    "deleted with EcsCronTask {cron}, whose deletionPolicy is Retain: the ECS tasks were left running"
                ),
            )]));
        }
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
            .list_tasks_started_by(&cluster, &run::started_by(self), false)
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
    /// The name of the EcsCronTask that owns this run when it is being deleted with `deletionPolicy: Retain` (a
    /// foreground deletion deletes its runs first): the run goes as asked, its ECS tasks stay as the policy says.
    async fn deleted_with_a_retaining_cron(&self, ctx: &Context) -> Result<Option<String>, Error> {
        if let Some(cron) = self.annotations().get(TASKS_RETAINED) {
            return Ok(Some(cron.clone()));
        }
        let owners = self
            .owner_references()
            .iter()
            .filter(|o| o.kind == "EcsCronTask");
        let api: Api<EcsCronTask> =
            Api::namespaced(ctx.client.clone(), &self.namespace().unwrap_or_default());
        for owner in owners {
            let Some(cron) = api.get_opt(&owner.name).await? else {
                continue;
            };
            let same = cron.uid().as_deref() == Some(owner.uid.as_str());
            if same
                && cron.metadata.deletion_timestamp.is_some()
                && cron.spec.deletion_policy == DeletionPolicy::Retain
            {
                return Ok(Some(owner.name.clone()));
            }
        }
        Ok(None)
    }

    /// Deletes a finished run once `ttlSecondsAfterFinished` has passed; else when to look again for it.
    async fn expire(
        &self,
        ctx: &Context,
        status: &EcsTaskStatus,
        now: f64,
        notes: &mut Vec<Note>,
    ) -> Result<Option<Duration>, Error> {
        let Some(ttl) = self.spec.ttl_seconds_after_finished else {
            return Ok(None);
        };
        let Some(finished) = status.completion_time.as_deref().and_then(status::epoch) else {
            return Ok(None);
        };
        let left = finished + ttl as f64 - now;
        if left > 0.0 {
            return Ok(Some(Duration::from_secs_f64(left)));
        }
        let api: Api<EcsTask> =
            Api::namespaced(ctx.client.clone(), &self.namespace().unwrap_or_default());
        api.delete(&self.name_any(), &DeleteParams::default())
            .await?;
        notes.push(Note::normal(
            "Deleted",
            "ttlSecondsAfterFinished passed: deleted this EcsTask",
        ));
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
