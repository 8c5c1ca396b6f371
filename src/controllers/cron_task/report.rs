//! What an `EcsCronTask` reports (pure): its status from the plan and its runs, the `Ready` condition, the
//! `Degraded` condition (true while the newest run to finish failed, which Argo CD shows as Degraded, as it does a
//! CronJob whose last Job failed), and the Events about missed runs, each told once.

use jiff::Timestamp;

use super::plan::{Action, Plan, Run, TOO_MANY_MISSED};
use crate::api::cron_task::EcsCronTaskStatus;
use crate::api::task::TaskPhase;
use crate::reconcile::Note;
use crate::reconcile::conditions::{ConditionUpdate, DEGRADED, READY};

/// The status, conditions and Events of one reconcile.
pub struct Report {
    pub status: EcsCronTaskStatus,
    pub conditions: Vec<ConditionUpdate>,
    pub notes: Vec<Note>,
}

/// What one reconcile saw and decided.
pub struct Seen<'a> {
    /// The status the object shows.
    pub last: &'a EcsCronTaskStatus,
    pub suspend: bool,
    /// The last run's scheduled time (or the object's creation).
    pub since: Timestamp,
    pub plan: &'a Plan,
    /// The runs this object owns, as listed before the plan was carried out.
    pub runs: &'a [Run],
}

fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn parse(t: &Option<String>) -> Option<Timestamp> {
    t.as_deref().and_then(|t| t.parse().ok())
}

/// The newest completion time of the runs that ended in `phase`, or `before` if that is newer.
fn newest(runs: &[Run], phase: TaskPhase, before: &Option<String>) -> Option<String> {
    runs.iter()
        .filter(|r| r.phase == phase)
        .filter_map(|r| parse(&r.completion_time))
        .chain(parse(before))
        .max()
        .map(rfc3339)
}

pub fn report(seen: &Seen) -> Report {
    let Seen {
        last, plan, runs, ..
    } = seen;
    let mut status = (*last).clone();
    if let Some(scheduled) = plan.scheduled {
        status.last_schedule_time = Some(rfc3339(scheduled));
    }
    // A suspended schedule starts nothing at its next time, so it shows none.
    status.next_schedule_time = plan.next.filter(|_| !seen.suspend).map(rfc3339);
    let deleted: Vec<&str> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Delete(name) => Some(name.as_str()),
            Action::Create { .. } => None,
        })
        .collect();
    let mut active: Vec<String> = runs
        .iter()
        .filter(|r| r.is_active() && !deleted.contains(&r.name.as_str()))
        .map(|r| r.name.clone())
        .collect();
    active.extend(plan.actions.iter().filter_map(|a| match a {
        Action::Create { name, .. } => Some(name.clone()),
        Action::Delete(_) => None,
    }));
    status.active_count = i32::try_from(active.len()).unwrap_or(i32::MAX);
    status.active = active;
    status.last_successful_time = newest(runs, TaskPhase::Succeeded, &last.last_successful_time);
    status.last_failed_time = newest(runs, TaskPhase::Failed, &last.last_failed_time);
    let ready = ready(seen);
    let mut notes = missed(seen).into_iter().collect::<Vec<_>>();
    let shown = |type_: &str| last.conditions.iter().find(|c| c.type_ == type_);
    if plan.past_deadline && shown(READY).is_none_or(|c| c.message != ready.message) {
        notes.push(Note::warning(
            "MissedSchedule",
            format!(
                "{}; {} scheduled time(s) passed since {}",
                ready.message,
                plan.missed,
                rfc3339(seen.since)
            ),
        ));
    }
    let degraded = degraded(
        &status,
        runs,
        shown(DEGRADED)
            .filter(|c| c.status == "True")
            .map(|c| c.message.as_str()),
    );
    Report {
        status,
        conditions: vec![ready, degraded],
        notes,
    }
}

/// `Ready`: the schedule works; its message says what comes next, or why a due run did not start.
fn ready(seen: &Seen) -> ConditionUpdate {
    let message = match (&seen.plan.next, seen.suspend, &seen.plan.skipped) {
        (_, true, _) => "suspended: no new runs start".to_owned(),
        (_, false, Some(skipped)) => skipped.clone(),
        (Some(next), false, None) => format!("the next run is at {next}"),
        (None, false, None) => "the schedule has no time in the next five years".to_owned(),
    };
    ConditionUpdate::new(READY, true, "Scheduled", message)
}

/// The Event when a run starts for the newest of several scheduled times that passed without one.
fn missed(seen: &Seen) -> Option<Note> {
    let plan = seen.plan;
    let scheduled = plan.actions.iter().find_map(|a| match a {
        Action::Create { scheduled, .. } => Some(*scheduled),
        Action::Delete(_) => None,
    })?;
    let since = rfc3339(seen.since);
    match plan.missed {
        0 | 1 => None,
        n if n > TOO_MANY_MISSED => Some(Note::warning(
            "TooManyMissedTimes",
            format!(
                "more than {TOO_MANY_MISSED} scheduled times passed since {since} without a run; only the newest, \
                 {scheduled}, starts (set spec.startingDeadlineSeconds to skip runs that are this late)"
            ),
        )),
        n => Some(Note::normal(
            "MissedSchedules",
            format!(
                "{n} scheduled times passed since {since} without a run (the operator was stopped or the cron task \
                 suspended); only the newest, {scheduled}, starts, as a CronJob's"
            ),
        )),
    }
}

/// `Degraded`: true while the newest run to finish failed. Its message names the run and why it failed while
/// the run is still there (the history limit may delete it), and keeps `shown`, the message already shown, after.
fn degraded(status: &EcsCronTaskStatus, runs: &[Run], shown: Option<&str>) -> ConditionUpdate {
    let failed = parse(&status.last_failed_time);
    let succeeded = parse(&status.last_successful_time);
    match (failed, succeeded) {
        (Some(failed), succeeded) if succeeded.is_none_or(|s| s < failed) => {
            let run = runs.iter().find(|r| {
                r.phase == TaskPhase::Failed && parse(&r.completion_time) == Some(failed)
            });
            let message = match (run, shown) {
                (Some(run), _) => format!(
                    "the last run to finish, {}, failed: {}",
                    run.name, run.message
                ),
                (None, Some(shown)) => shown.to_owned(),
                (None, None) => format!("the last run to finish failed at {}", rfc3339(failed)),
            };
            ConditionUpdate::new(DEGRADED, true, "LastRunFailed", message)
        }
        (_, Some(succeeded)) => ConditionUpdate::new(
            DEGRADED,
            false,
            "LastRunSucceeded",
            format!("the last run to finish succeeded at {}", rfc3339(succeeded)),
        ),
        _ => ConditionUpdate::new(DEGRADED, false, "NoRunFinished", "no run has finished yet"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, phase: TaskPhase, done: Option<&str>) -> Run {
        Run {
            name: name.into(),
            phase,
            completion_time: done.map(str::to_owned),
            message: format!("{name} says why"),
        }
    }

    fn report_of(last: &EcsCronTaskStatus, plan: &Plan, runs: &[Run]) -> Report {
        report(&Seen {
            last,
            suspend: false,
            since: "2026-01-01T00:00:00Z".parse().unwrap(),
            plan,
            runs,
        })
    }

    /// A suspended cron task starts no run at its next scheduled time (like a CronJob's `suspend`), so it shows
    /// none; resumed, it shows the schedule's next time again.
    #[test]
    fn a_suspended_cron_task_shows_no_next_schedule_time() {
        let next: Timestamp = "2026-01-12T09:00:00Z".parse().unwrap();
        let plan = Plan {
            next: Some(next),
            ..Plan::default()
        };
        let shown = |suspend: bool| {
            report(&Seen {
                last: &EcsCronTaskStatus::default(),
                suspend,
                since: "2026-01-01T00:00:00Z".parse().unwrap(),
                plan: &plan,
                runs: &[],
            })
            .status
            .next_schedule_time
        };
        assert_eq!(shown(true), None);
        assert_eq!(shown(false).as_deref(), Some("2026-01-12T09:00:00Z"));
    }

    fn condition<'a>(report: &'a Report, type_: &str) -> &'a ConditionUpdate {
        report.conditions.iter().find(|c| c.type_ == type_).unwrap()
    }

    #[test]
    fn degraded_while_the_newest_run_to_finish_failed_and_after_the_history_deleted_it() {
        let plan = Plan::default();
        let ok = run("a", TaskPhase::Succeeded, Some("2026-01-01T10:00:00Z"));
        let bad = run("b", TaskPhase::Failed, Some("2026-01-01T11:00:00Z"));
        let failed = report_of(&EcsCronTaskStatus::default(), &plan, &[ok.clone(), bad]);
        let degraded = condition(&failed, DEGRADED);
        assert!(degraded.status && degraded.reason == "LastRunFailed");
        assert_eq!(
            degraded.message,
            "the last run to finish, b, failed: b says why"
        );
        assert_eq!(
            failed.status.last_failed_time.as_deref(),
            Some("2026-01-01T11:00:00Z")
        );
        // The failed run deleted (failedRunsHistoryLimit): still Degraded, with the same words.
        let mut shown = failed.status.clone();
        shown.conditions = vec![crate::api::Condition {
            type_: DEGRADED.into(),
            status: "True".into(),
            reason: degraded.reason.clone(),
            message: degraded.message.clone(),
            ..Default::default()
        }];
        let later = report_of(&shown, &plan, std::slice::from_ref(&ok));
        assert_eq!(condition(&later, DEGRADED), degraded);
        // A later success clears it.
        let again = run("c", TaskPhase::Succeeded, Some("2026-01-01T12:00:00Z"));
        let cleared = report_of(&shown, &plan, &[ok, again]);
        assert!(!condition(&cleared, DEGRADED).status);
    }

    #[test]
    fn never_degraded_before_a_run_failed() {
        let running = [run("a", TaskPhase::Running, None)];
        let r = report_of(&EcsCronTaskStatus::default(), &Plan::default(), &running);
        assert_eq!(condition(&r, DEGRADED).reason, "NoRunFinished");
        assert_eq!(r.status.active, ["a"]);
    }

    #[test]
    fn missed_runs_are_told_once_with_their_number() {
        let scheduled: Timestamp = "2026-01-12T09:00:00Z".parse().unwrap();
        let mut plan = Plan {
            actions: vec![Action::Create {
                name: "job-1".into(),
                scheduled,
            }],
            scheduled: Some(scheduled),
            missed: 2,
            ..Default::default()
        };
        let told = report_of(&EcsCronTaskStatus::default(), &plan, &[]);
        assert_eq!(told.notes.len(), 1);
        assert!(
            told.notes[0]
                .message
                .starts_with("2 scheduled times passed since"),
            "{:?}",
            told.notes
        );
        plan.missed = TOO_MANY_MISSED + 1;
        let many = report_of(&EcsCronTaskStatus::default(), &plan, &[]);
        assert!(many.notes[0].warning && many.notes[0].reason == "TooManyMissedTimes");
        // Past the deadline: a Warning the first time the skip is shown, none while it stays the same.
        let skipped = Plan {
            skipped: Some("the run of X was skipped".into()),
            past_deadline: true,
            missed: 3,
            ..Default::default()
        };
        let first = report_of(&EcsCronTaskStatus::default(), &skipped, &[]);
        assert_eq!(first.notes.len(), 1);
        assert_eq!(first.notes[0].reason, "MissedSchedule");
        let mut shown = first.status.clone();
        shown.conditions = vec![crate::api::Condition {
            type_: READY.into(),
            status: "True".into(),
            reason: "Scheduled".into(),
            message: "the run of X was skipped".into(),
            ..Default::default()
        }];
        assert!(report_of(&shown, &skipped, &[]).notes.is_empty());
    }
}
