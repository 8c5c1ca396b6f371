//! What an `EcsCronTask` does now (pure): create the run of the newest scheduled time that is due (named after that
//! time, so a restart or a new leader cannot create it twice), skip or replace per `concurrencyPolicy`, skip runs
//! later than `startingDeadlineSeconds`, and trim the history. Missed runs follow CronJob's rules: however long
//! ago the last run was scheduled (the operator stopped, the cron task suspended), only the newest missed time
//! runs, and the plan counts how many were missed.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::schedule::Schedule;
use crate::api::cron_task::{ConcurrencyPolicy, EcsCronTaskSpec};
use crate::api::task::TaskPhase;

/// More missed times than this are "too many" (CronJob's count); counting stops one above it.
pub const TOO_MANY_MISSED: usize = 100;

/// One run (an owned `EcsTask`) as the plan sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub name: String,
    pub phase: TaskPhase,
    /// When it finished (RFC 3339), for the history order.
    pub completion_time: Option<String>,
    /// Why it failed (its `Failed` condition's message), once it has.
    pub message: String,
}

impl Run {
    pub fn is_active(&self) -> bool {
        !matches!(self.phase, TaskPhase::Succeeded | TaskPhase::Failed)
    }
}

/// A change to make.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Create the run of this scheduled time.
    Create { name: String, scheduled: Timestamp },
    /// Delete a run (replaced, or beyond the history limits).
    Delete(String),
}

/// The plan of one reconcile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// The scheduled time of the run created now (or that already existed).
    pub scheduled: Option<Timestamp>,
    /// Why a due run was not started.
    pub skipped: Option<String>,
    /// Whether it was not started because it is later than `startingDeadlineSeconds`.
    pub past_deadline: bool,
    /// The next scheduled time after now.
    pub next: Option<Timestamp>,
    /// How many scheduled times passed since the last run's (up to [`TOO_MANY_MISSED`] + 1): more than one
    /// means runs were missed, and only the newest starts.
    pub missed: usize,
}

/// The name of the run of `scheduled`: the cron task's name and the minute since the epoch, as CronJob does.
pub fn run_name(cron: &str, scheduled: Timestamp) -> String {
    format!("{cron}-{}", scheduled.as_second() / 60)
}

/// Plans a reconcile at `now`; `since` is the last scheduled time (or the object's creation).
pub fn plan(
    cron: &str,
    spec: &EcsCronTaskSpec,
    schedule: &Schedule,
    tz: &TimeZone,
    since: Timestamp,
    now: Timestamp,
    runs: &[Run],
) -> Plan {
    let mut plan = Plan {
        next: schedule.next_after(now, tz),
        ..Default::default()
    };
    let due = (!spec.suspend)
        .then(|| schedule.latest_between(since, now, tz))
        .flatten();
    if let Some(scheduled) = due {
        plan.missed = schedule.count_between(since, now, tz, TOO_MANY_MISSED + 1);
        let name = run_name(cron, scheduled);
        let late = now.as_second() - scheduled.as_second();
        let active: Vec<&Run> = runs
            .iter()
            .filter(|r| r.is_active() && r.name != name)
            .collect();
        if runs.iter().any(|r| r.name == name) {
            plan.scheduled = Some(scheduled);
        } else if let Some(deadline) = spec.starting_deadline_seconds.filter(|d| late > *d) {
            plan.past_deadline = true;
            plan.skipped = Some(format!(
                "the run of {scheduled} was skipped: it could not start within startingDeadlineSeconds \
                 ({deadline}s)"
            ));
        } else if spec.concurrency_policy == ConcurrencyPolicy::Forbid && !active.is_empty() {
            plan.skipped = Some(format!(
                "the run of {scheduled} waits: {} is still active (concurrencyPolicy Forbid)",
                active[0].name
            ));
        } else {
            if spec.concurrency_policy == ConcurrencyPolicy::Replace {
                plan.actions
                    .extend(active.iter().map(|r| Action::Delete(r.name.clone())));
            }
            plan.actions.push(Action::Create { name, scheduled });
            plan.scheduled = Some(scheduled);
        }
    }
    trim(
        &mut plan.actions,
        runs,
        TaskPhase::Succeeded,
        spec.successful_runs_history_limit,
    );
    trim(
        &mut plan.actions,
        runs,
        TaskPhase::Failed,
        spec.failed_runs_history_limit,
    );
    plan
}

/// Deletes the oldest finished runs of `phase` beyond `limit`.
fn trim(actions: &mut Vec<Action>, runs: &[Run], phase: TaskPhase, limit: i32) {
    let mut finished: Vec<&Run> = runs.iter().filter(|r| r.phase == phase).collect();
    finished.sort_by(|a, b| b.completion_time.cmp(&a.completion_time));
    let keep = usize::try_from(limit).unwrap_or(0);
    actions.extend(
        finished
            .iter()
            .skip(keep)
            .map(|r| Action::Delete(r.name.clone())),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn spec(policy: ConcurrencyPolicy, deadline: Option<i64>) -> EcsCronTaskSpec {
        EcsCronTaskSpec {
            schedule: "*/5 * * * *".into(),
            concurrency_policy: policy,
            starting_deadline_seconds: deadline,
            successful_runs_history_limit: 1,
            failed_runs_history_limit: 1,
            ..Default::default()
        }
    }

    fn run(name: &str, phase: TaskPhase, done: Option<&str>) -> Run {
        Run {
            name: name.into(),
            phase,
            completion_time: done.map(str::to_owned),
            message: String::new(),
        }
    }

    fn plan_at(spec: &EcsCronTaskSpec, now: &str, runs: &[Run]) -> Plan {
        let schedule = Schedule::parse(&spec.schedule).unwrap();
        plan(
            "job",
            spec,
            &schedule,
            &TimeZone::UTC,
            at("2026-01-01T10:00:00Z"),
            at(now),
            runs,
        )
    }

    #[test]
    fn creates_the_newest_due_run_once() {
        let s = spec(ConcurrencyPolicy::Allow, None);
        let p = plan_at(&s, "2026-01-01T10:11:00Z", &[]);
        let scheduled = at("2026-01-01T10:10:00Z");
        let name = run_name("job", scheduled);
        assert_eq!(
            p.actions,
            [Action::Create {
                name: name.clone(),
                scheduled
            }]
        );
        assert_eq!(p.next, Some(at("2026-01-01T10:15:00Z")));
        let again = plan_at(
            &s,
            "2026-01-01T10:11:30Z",
            &[run(&name, TaskPhase::Running, None)],
        );
        assert!(again.actions.is_empty() && again.scheduled == Some(scheduled));
        assert!(plan_at(&s, "2026-01-01T10:04:00Z", &[]).actions.is_empty());
    }

    #[test]
    fn follows_the_concurrency_policy() {
        let active = [run("job-1", TaskPhase::Running, None)];
        let forbid = plan_at(
            &spec(ConcurrencyPolicy::Forbid, None),
            "2026-01-01T10:05:00Z",
            &active,
        );
        assert!(forbid.actions.is_empty() && forbid.skipped.is_some());
        let replace = plan_at(
            &spec(ConcurrencyPolicy::Replace, None),
            "2026-01-01T10:05:00Z",
            &active,
        );
        assert_eq!(replace.actions[0], Action::Delete("job-1".into()));
        assert_eq!(replace.actions.len(), 2);
        let allow = plan_at(
            &spec(ConcurrencyPolicy::Allow, None),
            "2026-01-01T10:05:00Z",
            &active,
        );
        assert_eq!(allow.actions.len(), 1);
    }

    #[test]
    fn skips_runs_past_the_starting_deadline_and_when_suspended() {
        let late = plan_at(
            &spec(ConcurrencyPolicy::Allow, Some(60)),
            "2026-01-01T10:07:00Z",
            &[],
        );
        assert!(
            late.actions.is_empty() && late.skipped.unwrap().contains("startingDeadlineSeconds")
        );
        let mut suspended = spec(ConcurrencyPolicy::Allow, None);
        suspended.suspend = true;
        assert!(
            plan_at(&suspended, "2026-01-01T10:07:00Z", &[])
                .actions
                .is_empty()
        );
    }

    #[test]
    fn the_newest_run_missed_days_ago_starts_and_the_plan_counts_the_missed_times() {
        let mut weekly = spec(ConcurrencyPolicy::Allow, None);
        weekly.schedule = "0 9 * * MON".into();
        // Mondays 2026-01-05 and 2026-01-12 passed without a run; the newest is 51 hours old.
        let p = plan_at(&weekly, "2026-01-14T12:00:00Z", &[]);
        let scheduled = at("2026-01-12T09:00:00Z");
        assert_eq!(
            p.actions,
            [Action::Create {
                name: run_name("job", scheduled),
                scheduled
            }]
        );
        assert_eq!(p.missed, 2);
        // Within startingDeadlineSeconds only: 51 hours late is past a deadline of an hour.
        weekly.starting_deadline_seconds = Some(3600);
        let late = plan_at(&weekly, "2026-01-14T12:00:00Z", &[]);
        assert!(late.actions.is_empty());
        let why = late.skipped.unwrap();
        assert!(why.contains("startingDeadlineSeconds (3600s)"), "{why}");
        assert_eq!(
            plan_at(&weekly, "2026-01-14T12:00:00Z", &[])
                .skipped
                .unwrap(),
            why,
            "the same words at every reconcile"
        );
        assert_eq!(late.missed, 2);
        assert!(late.past_deadline);
    }

    #[test]
    fn missed_times_are_counted_up_to_one_more_than_a_hundred() {
        let s = spec(ConcurrencyPolicy::Allow, None);
        let p = plan_at(&s, "2026-01-03T10:00:00Z", &[]);
        assert_eq!(p.missed, TOO_MANY_MISSED + 1);
        assert_eq!(
            p.actions.len(),
            1,
            "the newest still starts, as a CronJob's"
        );
    }

    #[test]
    fn trims_the_history() {
        let runs = [
            run("old-ok", TaskPhase::Succeeded, Some("2026-01-01T09:00:00Z")),
            run("new-ok", TaskPhase::Succeeded, Some("2026-01-01T09:30:00Z")),
            run("old-bad", TaskPhase::Failed, Some("2026-01-01T08:00:00Z")),
            run("new-bad", TaskPhase::Failed, Some("2026-01-01T08:30:00Z")),
        ];
        let p = plan_at(
            &spec(ConcurrencyPolicy::Allow, None),
            "2026-01-01T10:01:00Z",
            &runs,
        );
        assert_eq!(
            p.actions,
            [
                Action::Delete("old-ok".into()),
                Action::Delete("old-bad".into())
            ]
        );
    }
}
