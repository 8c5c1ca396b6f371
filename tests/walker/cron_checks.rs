//! The cron walk's invariants (cron_world.rs runs the steps): the status true for the generation (Ready and
//! Synced, `nextScheduleTime` as the walker's own evaluator computes it from schedule and time zone, none while
//! suspended, active runs without someone else's); the history limits; the fired run still the one created, with
//! the template's labels and spec; someone else's EcsTask never deleted; a run someone deleted not created again;
//! quiet once settled.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::check;
use crate::cron_next::next_after;
use crate::cron_walk::manifest;
use crate::cron_world::{CronWorld, FOREIGN, SETTLE, cron, labelled, name, terminating};
use crate::walk::DRIFT;

fn condition<'a>(object: &'a Value, type_: &str) -> &'a Value {
    let conditions = object["status"]["conditions"].as_array();
    conditions
        .and_then(|cs| cs.iter().find(|c| c["type"] == type_))
        .unwrap_or(&Value::Null)
}

impl CronWorld {
    /// The cron task once its status and Synced are of its generation.
    pub(crate) async fn settled(&self) -> Result<Value, String> {
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            let c = cron(&self.env).await;
            let generation = &c["metadata"]["generation"];
            if c["status"]["observedGeneration"] == *generation
                && condition(&c, "Synced")["observedGeneration"] == *generation
            {
                return Ok(c);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "the cron task is not settled within {SETTLE:?}: {}",
                    c["status"]
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Status true for the generation: Ready and Synced, nextScheduleTime (none while suspended), active runs
    /// without someone else's.
    pub(crate) async fn status_true(&mut self) -> Vec<String> {
        let before = Timestamp::now() - SignedDuration::from_secs(5);
        let c = match self.settled().await {
            Ok(c) => c,
            Err(e) => return vec![e],
        };
        let after = Timestamp::now();
        let mut wrong = Vec::new();
        let generation = &c["metadata"]["generation"];
        for type_ in ["Ready", "Synced"] {
            let cond = condition(&c, type_);
            if cond["status"] != "True" || cond["observedGeneration"] != *generation {
                wrong.push(format!(
                    "{type_} is not True for generation {generation}: {cond}"
                ));
            }
        }
        let schedule = self.spec["schedule"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let zone = self.spec.get("timeZone").and_then(Value::as_str);
        let expected: Vec<Timestamp> = [before, after]
            .into_iter()
            .filter_map(|t| next_after(&schedule, zone, t))
            .collect();
        let shown = c["status"]["nextScheduleTime"].as_str();
        // A suspended schedule starts nothing at its next time, so it shows none.
        let suspended = self.spec.get("suspend").and_then(Value::as_bool) == Some(true);
        if suspended && shown.is_some() {
            wrong.push(format!(
                "status.nextScheduleTime is {shown:?} while suspended: no run starts then"
            ));
        }
        if !suspended
            && !shown
                .and_then(|s| s.parse().ok())
                .is_some_and(|s| expected.contains(&s))
        {
            wrong.push(format!(
                "status.nextScheduleTime is {shown:?}; {schedule:?} in {} is next at {expected:?}",
                zone.unwrap_or("UTC")
            ));
        }
        let active: Vec<&str> = c["status"]["active"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if active.contains(&FOREIGN) {
            wrong.push(format!(
                "status.active counts someone else's EcsTask: {active:?}"
            ));
        }
        if c["status"]["activeCount"].as_u64().unwrap_or(0) != active.len() as u64 {
            wrong.push(format!(
                "status.activeCount {} but active {active:?}",
                c["status"]["activeCount"]
            ));
        }
        self.checks += 5;
        wrong
    }

    /// The history limits hold within a settle time (the last run may still be finishing).
    pub(crate) async fn history(&mut self) -> Vec<String> {
        let limit = |field: &str, default: u64| {
            self.spec
                .get(field)
                .and_then(Value::as_u64)
                .unwrap_or(default)
        };
        let (succeeded, failed) = (
            limit("successfulRunsHistoryLimit", 3),
            limit("failedRunsHistoryLimit", 1),
        );
        let deadline = tokio::time::Instant::now() + SETTLE;
        self.checks += 2;
        loop {
            let runs = self.runs().await;
            let count = |phase: &str| {
                runs.iter()
                    .filter(|r| !terminating(r) && r["status"]["phase"] == phase)
                    .count() as u64
            };
            let (s, f) = (count("Succeeded"), count("Failed"));
            if s <= succeeded && f <= failed {
                return Vec::new();
            }
            if tokio::time::Instant::now() > deadline {
                return vec![format!(
                    "history: {s} succeeded runs kept (limit {succeeded}), {f} failed (limit {failed})"
                )];
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// The fired run: still the one created (same uid), with the template's labels, spec and ownerReference;
    /// someone else's EcsTask is still there; a run someone deleted is not back.
    pub(crate) async fn runs_true(&mut self) -> Vec<String> {
        let mut wrong = Vec::new();
        let all = labelled(&self.env).await;
        let find = |n: &str| all.iter().find(|t| name(t) == n && !terminating(t));
        if let Some((run_name, uid, labels)) = &self.fired
            && let Some(run) = find(run_name)
        {
            self.checks += 3;
            if run["metadata"]["uid"] != *uid.as_str() {
                wrong.push(format!("the run {run_name} was created a second time"));
            }
            if !check::covers(&run["metadata"]["labels"], labels) {
                wrong.push(format!(
                    "the run {run_name} has labels {}, the template {labels}",
                    run["metadata"]["labels"]
                ));
            }
            let template = &manifest(&self.spec, self.retain)["spec"]["taskTemplate"]["spec"];
            for field in ["clusterRef", "taskDefinitionRef", "launchType"] {
                if run["spec"][field] != template[field] {
                    wrong.push(format!(
                        "the run's {field} is {}, the template's {}",
                        run["spec"][field], template[field]
                    ));
                }
            }
        }
        if let Some(gone) = &self.deleted_run {
            self.checks += 1;
            if find(gone).is_some() {
                wrong.push(format!(
                    "the run {gone}, deleted by someone, was created again"
                ));
            }
        }
        if self.foreign {
            self.checks += 1;
            if find(FOREIGN).is_none() {
                wrong.push("someone else's EcsTask with the cron task's label was deleted".into());
            }
        }
        wrong
    }

    /// Quiet once settled (no run active): the cron task not written for three drift intervals (unless a
    /// scheduled time passed).
    pub(crate) async fn quiet(&mut self) -> Vec<String> {
        if let Err(e) = self.until_no_run_active().await {
            return vec![e];
        }
        tokio::time::sleep(DRIFT).await;
        let (a, names) = (cron(&self.env).await, self.run_names().await);
        tokio::time::sleep(DRIFT * 3).await;
        let (b, names_after) = (cron(&self.env).await, self.run_names().await);
        self.checks += 1;
        let moved = a["status"]["nextScheduleTime"] != b["status"]["nextScheduleTime"];
        if !moved
            && (a["metadata"]["resourceVersion"] != b["metadata"]["resourceVersion"]
                || names != names_after)
        {
            return vec![format!(
                "not quiet once settled: status {} became {}",
                a["status"], b["status"]
            )];
        }
        Vec::new()
    }
}
