//! The `EcsCronTask` controller: creates an owned `EcsTask` for each scheduled time, exactly once (the run's name
//! comes from the scheduled time, so a restart or a leader change finds it instead of creating another), keeps the
//! history within its limits, and deletes its runs when it is deleted.

pub mod plan;
pub mod report;
pub mod schedule;

use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use kube::api::{DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Resource, ResourceExt};

use crate::api::cron_task::{EcsCronTask, EcsCronTaskStatus};
use crate::api::{DeletionPolicy, EcsTask};
use crate::controllers::task::validate as task_validate;
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note};
use plan::{Action, Run};
use schedule::Schedule;

/// The label that ties a run to its `EcsCronTask`.
pub const CRON_TASK_LABEL: &str = "ecsbridge.dev/cron-task";
/// The annotation holding a run's scheduled time.
pub const SCHEDULED_AT_ANNOTATION: &str = "ecsbridge.dev/scheduled-at";

/// The longest name an `EcsCronTask` can have, as a CronJob: a run is named `<name>-<scheduled minute>` (eleven
/// characters more, within the 63 of a label value) and labelled with `<name>`.
pub const MAX_NAME_LENGTH: usize = 52;

/// The condition of a run (an `EcsTask`) that is true once it failed, as a Job's.
const RUN_FAILED: &str = "Failed";

/// The finalizer Kubernetes puts on an object deleted with `--cascade=orphan` (propagation policy Orphan): its
/// dependents are to outlive it.
const ORPHAN_FINALIZER: &str = "orphan";
/// The finalizer Kubernetes puts on an object deleted with `--cascade=foreground` (its dependents go first).
const FOREGROUND_DELETION: &str = "foregroundDeletion";

impl EcsCronTask {
    fn schedule(&self) -> Result<(Schedule, TimeZone), String> {
        let schedule =
            Schedule::parse(&self.spec.schedule).map_err(|e| format!("spec.schedule: {e}"))?;
        let tz = match &self.spec.time_zone {
            None => TimeZone::UTC,
            Some(name) => TimeZone::get(name).map_err(|_| {
                format!(
                    "spec.timeZone: \"{name}\" is not an IANA time zone (such as Europe/Berlin)"
                )
            })?,
        };
        Ok((schedule, tz))
    }

    fn runs_api(&self, ctx: &Context) -> Api<EcsTask> {
        Api::namespaced(ctx.client.clone(), &self.namespace().unwrap_or_default())
    }

    /// The runs this object owns.
    async fn runs(&self, ctx: &Context) -> Result<Vec<EcsTask>, Error> {
        let selector = format!("{CRON_TASK_LABEL}={}", self.name_any());
        let listed = self
            .runs_api(ctx)
            .list(&ListParams::default().labels(&selector))
            .await?;
        Ok(listed.items.into_iter().filter(|t| self.owns(t)).collect())
    }

    /// Refuses to go on when an `EcsTask` this object does not own holds the name of the run to create: it is
    /// not our run, and creating ours would fail.
    async fn refuse_foreign_run(&self, api: &Api<EcsTask>, name: &str) -> Result<(), Error> {
        let Some(found) = api.get_opt(name).await? else {
            return Ok(());
        };
        if self.owns(&found) {
            return Ok(());
        }
        Err(Error::AlreadyExists(format!(
            "EcsTask {name}, the name of this cron task's next run, exists and is not owned by this EcsCronTask \
             (no ownerReference to it); the run did not start and that EcsTask is not counted as a run. Rename \
             or delete that EcsTask"
        )))
    }

    fn owns(&self, run: &EcsTask) -> bool {
        let uid = self.uid();
        run.owner_references()
            .iter()
            .any(|o| Some(&o.uid) == uid.as_ref())
    }

    /// The `EcsTask` of the run scheduled at `scheduled`.
    fn run_object(&self, name: &str, scheduled: Timestamp) -> EcsTask {
        let template = &self.spec.task_template;
        let mut labels = template
            .metadata
            .as_ref()
            .map(|m| m.labels.clone())
            .unwrap_or_default();
        labels.insert(CRON_TASK_LABEL.into(), self.name_any());
        let metadata = ObjectMeta {
            name: Some(name.to_owned()),
            namespace: self.namespace(),
            labels: Some(labels),
            annotations: Some([(SCHEDULED_AT_ANNOTATION.to_owned(), scheduled.to_string())].into()),
            owner_references: self.controller_owner_ref(&()).map(|o| vec![o]),
            ..Default::default()
        };
        EcsTask {
            metadata,
            spec: template.spec.clone(),
            status: None,
        }
    }
}

/// Ignores "already exists" (the run was created before) and "not found" (it is gone already).
fn settled(result: Result<(), kube::Error>) -> Result<(), Error> {
    match result {
        Err(kube::Error::Api(e)) if e.code == 409 || e.code == 404 => Ok(()),
        other => Ok(other?),
    }
}

impl Managed for EcsCronTask {
    type Status = EcsCronTaskStatus;
    const EXPORTED: &'static [(&'static str, &'static str)] = &[
        ("lastScheduleTime", "/lastScheduleTime"),
        ("activeRuns", "/active"),
    ];
    const READ_ONLY_REFUSAL: &'static str = crate::reconcile::read_only::RUNS_LEAVE_NO_OBJECT;

    fn status(&self) -> Option<&EcsCronTaskStatus> {
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
        let name = self.name_any();
        if name.len() > MAX_NAME_LENGTH {
            return Err(format!(
                "metadata.name: \"{name}\" has {} characters; an EcsCronTask name can have at most \
                 {MAX_NAME_LENGTH}, as a CronJob's (its runs are EcsTasks named <name>-<scheduled minute> and \
                 labelled {CRON_TASK_LABEL}=<name>); create it under a shorter name",
                name.len()
            ));
        }
        self.schedule()?;
        let mut run = EcsTask::new("run", self.spec.task_template.spec.clone());
        run.metadata.namespace = self.namespace();
        task_validate::validate(&run).map_err(|e| e.replace("spec.", "spec.taskTemplate.spec."))?;
        if let Some(seconds) = self.spec.starting_deadline_seconds.filter(|s| *s < 0) {
            return Err(format!(
                "spec.startingDeadlineSeconds: {seconds} is negative"
            ));
        }
        if self.spec.successful_runs_history_limit < 0 || self.spec.failed_runs_history_limit < 0 {
            return Err(
                "spec.successfulRunsHistoryLimit and spec.failedRunsHistoryLimit must be 0 or more"
                    .into(),
            );
        }
        Ok(())
    }

    async fn apply(
        &self,
        ctx: &Context,
        checkpoint: &Checkpoint<'_, Self>,
    ) -> Result<Applied<EcsCronTaskStatus>, Error> {
        let (schedule, tz) = self.schedule().map_err(Error::InvalidSpec)?;
        let now = Timestamp::now();
        let last = checkpoint.current();
        let created = self.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let since = last
            .last_schedule_time
            .as_deref()
            .and_then(|t| t.parse().ok())
            .or(created)
            .unwrap_or(now);
        let objects = self.runs(ctx).await?;
        let runs: Vec<Run> = objects
            .iter()
            .map(|t| Run {
                name: t.name_any(),
                phase: t.status.as_ref().map(|s| s.phase).unwrap_or_default(),
                completion_time: t.status.as_ref().and_then(|s| s.completion_time.clone()),
                message: t
                    .status
                    .iter()
                    .flat_map(|s| &s.conditions)
                    .find(|c| c.type_ == RUN_FAILED && c.status == "True")
                    .map(|c| c.message.clone())
                    .unwrap_or_default(),
            })
            .collect();
        let plan = plan::plan(
            &self.name_any(),
            &self.spec,
            &schedule,
            &tz,
            since,
            now,
            &runs,
        );
        let api = self.runs_api(ctx);
        for action in &plan.actions {
            if let Action::Create { name, .. } = action {
                self.refuse_foreign_run(&api, name).await?;
            }
        }
        let mut notes = Vec::new();
        for action in &plan.actions {
            match action {
                Action::Delete(name) => {
                    settled(
                        api.delete(name, &DeleteParams::background())
                            .await
                            .map(drop),
                    )?;
                }
                Action::Create { name, scheduled } => {
                    let run = self.run_object(name, *scheduled);
                    settled(api.create(&PostParams::default(), &run).await.map(drop))?;
                    notes.push(Note::normal(
                        "Scheduled",
                        format!("created EcsTask {name} for {scheduled}"),
                    ));
                }
            }
        }
        // A skipped run is told in the condition (and a missed deadline once in an Event), not in an Event at
        // every reconcile: a Forbid skip holds for every reconcile until the active run finishes.
        let report = report::report(&report::Seen {
            last: &last,
            suspend: self.spec.suspend,
            since,
            plan: &plan,
            runs: &runs,
        });
        notes.extend(report.notes);
        let requeue = plan.next.map(|next| {
            let seconds = (next.as_second() - now.as_second()).max(1);
            Duration::from_secs(seconds.unsigned_abs()).min(ctx.drift_interval)
        });
        Ok(Applied {
            status: report.status,
            conditions: report.conditions,
            notes,
            requeue,
        })
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Cleanup, Error> {
        if self.finalizers().iter().any(|f| f == ORPHAN_FINALIZER) {
            self.retain(ctx).await?;
            return Ok(Cleanup::Done(vec![Note::normal(
                "Orphaned",
                "deleted with --cascade=orphan: the runs and their tasks were left in place",
            )]));
        }
        let runs = self.runs(ctx).await?;
        let api = self.runs_api(ctx);
        for run in &runs {
            settled(
                api.delete(&run.name_any(), &DeleteParams::background())
                    .await
                    .map(drop),
            )?;
        }
        Ok(Cleanup::Done(vec![Note::normal(
            "Deleted",
            format!(
                "deleted {} run(s); their tasks are stopped as they go",
                runs.len()
            ),
        )]))
    }

    /// With `Retain` the runs stay: they no longer name this object as their owner, so Kubernetes' garbage
    /// collector does not delete them (and stop their tasks) after it. A foreground deletion asked for the runs to
    /// go first: they go, and each leaves its ECS tasks running (it sees this object deleted with `Retain`).
    async fn retain(&self, ctx: &Context) -> Result<(), Error> {
        if self.finalizers().iter().any(|f| f == FOREGROUND_DELETION) {
            return Ok(());
        }
        let api = self.runs_api(ctx);
        let orphan = serde_json::json!({"metadata": {"ownerReferences": null}});
        for run in self.runs(ctx).await? {
            settled(
                api.patch(
                    &run.name_any(),
                    &PatchParams::default(),
                    &Patch::Merge(&orphan),
                )
                .await
                .map(drop),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cron(yaml: &str) -> EcsCronTask {
        serde_yaml::from_str(&format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCronTask\nmetadata: {{name: nightly, namespace: ns}}\n\
             spec:\n{yaml}"
        ))
        .unwrap()
    }

    const TEMPLATE: &str = "  taskTemplate:\n    spec: {cluster: main, taskDefinition: job}\n";

    #[test]
    fn validates_schedule_time_zone_and_template() {
        assert_eq!(
            cron(&format!("  schedule: \"@daily\"\n{TEMPLATE}")).validate(),
            Ok(())
        );
        let bad = cron(&format!("  schedule: \"* * *\"\n{TEMPLATE}"))
            .validate()
            .unwrap_err();
        assert!(bad.starts_with("spec.schedule"), "{bad}");
        let zone = cron(&format!(
            "  schedule: \"@daily\"\n  timeZone: Mars/Base\n{TEMPLATE}"
        ))
        .validate()
        .unwrap_err();
        assert!(zone.starts_with("spec.timeZone"), "{zone}");
        let count = cron("  schedule: \"@daily\"\n  taskTemplate:\n    spec: {cluster: main, taskDefinition: job, count: 11}\n")
            .validate()
            .unwrap_err();
        assert!(count.starts_with("spec.taskTemplate.spec.count"), "{count}");
    }

    #[test]
    fn a_name_its_runs_cannot_carry_is_refused() {
        let mut c = cron(&format!("  schedule: \"@daily\"\n{TEMPLATE}"));
        c.metadata.name = Some("n".repeat(MAX_NAME_LENGTH));
        assert_eq!(c.validate(), Ok(()));
        c.metadata.name = Some("n".repeat(MAX_NAME_LENGTH + 1));
        let refused = c.validate().unwrap_err();
        assert!(
            refused.starts_with("metadata.name") && refused.contains("at most 52"),
            "{refused}"
        );
        let admission = crate::api::admission::RULES
            .iter()
            .find(|r| r.id == "cron-task-name-length")
            .unwrap();
        assert!(admission.rule.ends_with(&format!("<= {MAX_NAME_LENGTH}")));
    }

    #[test]
    fn a_run_is_owned_labelled_and_named_after_its_time() {
        let mut c = cron(&format!("  schedule: \"@hourly\"\n{TEMPLATE}"));
        c.metadata.uid = Some("u1".into());
        let at: Timestamp = "2026-01-01T10:00:00Z".parse().unwrap();
        let name = plan::run_name("nightly", at);
        let run = c.run_object(&name, at);
        assert_eq!(run.name_any(), "nightly-29454360");
        assert_eq!(run.labels()[CRON_TASK_LABEL], "nightly");
        assert_eq!(run.owner_references()[0].uid, "u1");
        assert_eq!(run.spec.cluster.as_deref(), Some("main"));
    }
}
