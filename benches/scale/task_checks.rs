//! What the one-off task phase claims, read from the EcsTasks once every run ended: how each run ended, that ECS
//! holds no task the runs did not record (no duplicates), and that no run counted more successes than its count.

use std::collections::BTreeSet;

use ecs_bridge::api::EcsTask;
use ecs_bridge::api::task::TaskPhase;
use kube::ResourceExt;

/// The stop code the operator records for a task ECS no longer shows.
pub const TASK_EXPIRED: &str = "TaskExpired";

/// How the runs ended.
#[derive(Clone, Debug, Default)]
pub struct Outcomes {
    /// Runs Complete, and runs Failed whose `Failed` condition names `TaskExpired`, among the expected ones.
    pub complete: usize,
    pub expired: usize,
    /// Runs that ended otherwise than expected (or did not end), by name, the first few.
    pub unexpected: Vec<String>,
    /// Distinct task ARNs in all runs' `status.tasks`.
    pub recorded_tasks: usize,
    /// Runs whose status counts more succeeded tasks than their `count`.
    pub over_succeeded: usize,
    /// RunTask calls the runs recorded as not placing every task (placement failures), and the most RunTask
    /// attempts of one run.
    pub refusals: usize,
    pub most_attempts: i32,
}

/// The condition `type_` that is True, Complete or Failed, with its message.
fn ended(task: &EcsTask) -> Option<(TaskPhase, &str)> {
    let status = task.status.as_ref()?;
    status
        .conditions
        .iter()
        .filter(|c| c.status == "True")
        .find_map(|c| match c.type_.as_str() {
            "Complete" => Some((TaskPhase::Succeeded, c.message.as_str())),
            "Failed" => Some((TaskPhase::Failed, c.message.as_str())),
            _ => None,
        })
}

/// Whether a run has ended (Complete or Failed).
pub fn has_ended(task: &EcsTask) -> bool {
    ended(task).is_some()
}

/// Reads the outcomes of `tasks`, where the runs `expiring` names had their task expire and must end Failed with
/// `TaskExpired`, and all others must end Complete.
pub fn outcomes(tasks: &[EcsTask], expiring: &BTreeSet<String>) -> Outcomes {
    let mut out = Outcomes::default();
    let mut arns = BTreeSet::new();
    for task in tasks {
        let name = task.name_any();
        let expected_to_expire = expiring.contains(&name);
        match ended(task) {
            Some((TaskPhase::Failed, message))
                if expected_to_expire && message.contains(TASK_EXPIRED) =>
            {
                out.expired += 1
            }
            Some((TaskPhase::Succeeded, _)) if !expected_to_expire => out.complete += 1,
            other => {
                if out.unexpected.len() < 5 {
                    out.unexpected.push(format!("{name}: {other:?}"));
                }
            }
        }
        let Some(status) = &task.status else { continue };
        arns.extend(status.tasks.iter().map(|t| t.arn.clone()));
        let succeeded = status
            .tasks
            .iter()
            .filter(|t| t.succeeded == Some(true))
            .count() as i32;
        if status.succeeded.max(succeeded) > task.spec.count {
            out.over_succeeded += 1;
        }
        out.refusals += status.placement_failures.len();
        out.most_attempts = out.most_attempts.max(status.attempts);
    }
    out.recorded_tasks = arns.len();
    out
}

/// One claim of the phase and whether the run showed it.
#[derive(Clone, Debug)]
pub struct Claim {
    pub what: String,
    pub holds: bool,
}

impl Claim {
    pub fn new(what: impl Into<String>, holds: bool) -> Self {
        Self {
            what: what.into(),
            holds,
        }
    }
}
