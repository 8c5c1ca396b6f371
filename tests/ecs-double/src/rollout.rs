//! A service's deployments and events over time.
//!
//! Time advances lazily: nothing runs in the background. Task counts are linear ramps between two timestamps,
//! computed when a service is read, and the steps that change a service (a rollout completes or fails, a
//! rollback starts, a scale reaches a steady state, a drain ends) are applied in time order by [`Run::advance`],
//! which the server calls for every service before it answers a call. Events carry the time the step happened,
//! not the time it was noticed.

use std::collections::VecDeque;

use serde_json::{Map, Value, json};

use crate::ids::Ids;

/// ECS keeps this many events per service.
const MAX_EVENTS: usize = 100;

/// The most task ids one "has started" event lists.
const LISTED_TASKS: i32 = 10;

/// A task count moving linearly from `from` (at `start`) to `to` (at `end`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ramp {
    from: i32,
    to: i32,
    start: f64,
    end: f64,
}

impl Ramp {
    fn new(from: i32, to: i32, start: f64, duration: f64) -> Self {
        Self {
            from,
            to,
            start,
            end: start + duration.max(0.0),
        }
    }

    fn steady(count: i32, at: f64) -> Self {
        Self::new(count, count, at, 0.0)
    }

    /// When the count first reaches `count` on its way from `from` to `to` (`start` when it is there already).
    fn reaches(&self, count: i32) -> f64 {
        let (gone, total) = ((count - self.from).abs(), (self.to - self.from).abs());
        if total == 0 || (count - self.from).signum() != (self.to - self.from).signum() {
            return self.start;
        }
        self.start + (self.end - self.start) * f64::from(gone.min(total)) / f64::from(total)
    }

    fn at(&self, t: f64) -> i32 {
        if t >= self.end {
            self.to
        } else if t <= self.start {
            self.from
        } else {
            let share = (t - self.start) / (self.end - self.start);
            // Truncation keeps the count on the `from` side until a whole task has moved.
            self.from + (f64::from(self.to - self.from) * share) as i32
        }
    }
}

/// `ACTIVE`, `DRAINING` (deleted, tasks stopping) or `INACTIVE` (deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceStatus {
    Active,
    Draining,
    Inactive,
}

impl ServiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Draining => "DRAINING",
            Self::Inactive => "INACTIVE",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RolloutState {
    InProgress,
    Completed,
    Failed,
}

impl RolloutState {
    fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }
}

/// The service's `deploymentConfiguration.deploymentCircuitBreaker`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Breaker {
    pub enable: bool,
    pub rollback: bool,
}

/// What a new deployment runs.
#[derive(Clone, Debug)]
pub struct NewDeployment {
    pub task_definition: String,
    /// The service's desired count from now on.
    pub desired: i32,
    /// Its tasks never start (decided by the caller from `--rollout-failure-rate`).
    pub fails: bool,
    pub breaker: Breaker,
    /// Members shown on the deployment as they are (launchType, networkConfiguration, ...).
    pub extra: Map<String, Value>,
    /// The deployment does not complete before this time (the end of a blue/green, linear or canary deployment's
    /// stages); 0 for a rolling deployment.
    pub hold_until: f64,
}

#[derive(Clone, Debug)]
struct Deployment {
    id: String,
    primary: bool,
    task_definition: String,
    /// The PRIMARY's desired count (ACTIVE deployments show their running count instead).
    desired: i32,
    ramp: Ramp,
    state: RolloutState,
    reason: String,
    created_at: f64,
    updated_at: f64,
    duration: f64,
    fails: bool,
    breaker: Breaker,
    /// A failing deployment without circuit breaker: ECS keeps trying.
    struggling: bool,
    failed: i32,
    extra: Map<String, Value>,
    hold_until: f64,
}

impl Deployment {
    fn running(&self, t: f64) -> i32 {
        if self.fails { 0 } else { self.ramp.at(t) }
    }

    fn pending(&self, t: f64) -> i32 {
        if !self.primary || self.state == RolloutState::Failed {
            0
        } else if self.fails {
            self.desired
        } else {
            (self.desired - self.running(t)).max(0)
        }
    }

    /// When a failing deployment shows its failure.
    fn fail_at(&self) -> f64 {
        self.created_at + self.duration
    }

    fn failed_tasks(&self, t: f64) -> i32 {
        if self.struggling && self.primary && self.duration > 0.0 {
            let rounds = ((t - self.fail_at()) / self.duration).floor() as i32;
            self.failed.saturating_mul(1 + rounds.max(0))
        } else {
            self.failed
        }
    }

    fn to_json(&self, t: f64) -> Value {
        let running = self.running(t);
        let changing = self.ramp.start.max(t.min(self.ramp.end));
        let mut out = json!({
            "id": self.id,
            "status": if self.primary { "PRIMARY" } else { "ACTIVE" },
            "taskDefinition": self.task_definition,
            "desiredCount": if self.primary { self.desired } else { running },
            "pendingCount": self.pending(t),
            "runningCount": running,
            "failedTasks": self.failed_tasks(t),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at.max(changing),
            "rolloutState": self.state.as_str(),
            "rolloutStateReason": self.reason,
        });
        if let Value::Object(map) = &mut out {
            for (key, value) in &self.extra {
                map.insert(key.clone(), value.clone());
            }
        }
        out
    }
}

/// The circuit breaker's failed-task threshold: half the desired count, at least 3 and at most 200.
fn failure_threshold(desired: i32) -> i32 {
    ((desired + 1) / 2).clamp(3, 200)
}

#[derive(Clone, Debug)]
struct Event {
    id: String,
    created_at: f64,
    message: String,
}

/// A step that changes a service at a known time.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    Complete,
    Fail,
    Steady,
    Drained,
}

/// The tasks of one deployment over time, for the double's service tasks ([`crate::service_tasks`]).
#[derive(Clone, Debug)]
pub struct TaskRamp {
    pub deployment: String,
    pub task_definition: String,
    ramp: Ramp,
    fails: bool,
}

impl TaskRamp {
    /// How many of its tasks run at `t` (a deployment whose tasks never start runs none).
    pub fn running(&self, t: f64) -> i32 {
        if self.fails { 0 } else { self.ramp.at(t) }
    }

    /// When the running count reaches `count` (it moves one task at a time).
    pub fn reaches(&self, count: i32) -> f64 {
        self.ramp.reaches(count)
    }
}

/// Deployments that completed away are remembered this long (in number), so their tasks can be stopped.
const RETIRED: usize = 20;

/// What runs for one service: status, desired count, deployments (PRIMARY first) and events (newest first).
#[derive(Clone, Debug)]
pub struct Run {
    name: String,
    status: ServiceStatus,
    desired: i32,
    deployments: Vec<Deployment>,
    events: VecDeque<Event>,
    steady_pending: bool,
    drain_end: Option<f64>,
    /// The last deployment that completed (id, task definition): where a rollback goes.
    last_completed: Option<(String, String)>,
    /// The newest deployments that a completed rollout replaced, for the stop times of their tasks.
    retired: VecDeque<Deployment>,
}

impl Run {
    /// A new ACTIVE service named `name` without deployments yet.
    pub fn new(name: &str, desired: i32) -> Self {
        Self {
            name: name.to_owned(),
            status: ServiceStatus::Active,
            desired,
            deployments: Vec::new(),
            events: VecDeque::new(),
            steady_pending: false,
            drain_end: None,
            last_completed: None,
            retired: VecDeque::new(),
        }
    }

    /// The task ramps of the current deployments and of the recently replaced ones.
    pub fn task_ramps(&self) -> Vec<TaskRamp> {
        self.deployments
            .iter()
            .chain(&self.retired)
            .map(|d| TaskRamp {
                deployment: d.id.clone(),
                task_definition: d.task_definition.clone(),
                ramp: d.ramp,
                fails: d.fails,
            })
            .collect()
    }

    pub fn status(&self) -> ServiceStatus {
        self.status
    }

    pub fn desired(&self) -> i32 {
        self.desired
    }

    /// The task definition of the PRIMARY deployment.
    pub fn task_definition(&self) -> Option<&str> {
        self.deployments.first().map(|d| d.task_definition.as_str())
    }

    pub fn running(&self, t: f64) -> i32 {
        self.deployments.iter().map(|d| d.running(t)).sum()
    }

    pub fn pending(&self, t: f64) -> i32 {
        self.deployments.iter().map(|d| d.pending(t)).sum()
    }

    pub fn deployments_json(&self, t: f64) -> Value {
        Value::Array(self.deployments.iter().map(|d| d.to_json(t)).collect())
    }

    pub fn events_json(&self) -> Value {
        Value::Array(
            self.events
                .iter()
                .map(|e| json!({"id": e.id, "createdAt": e.created_at, "message": e.message}))
                .collect(),
        )
    }

    fn event(&mut self, at: f64, message: String, ids: &mut Ids) {
        self.events.push_front(Event {
            id: ids.event(),
            created_at: at,
            message,
        });
        self.events.truncate(MAX_EVENTS);
    }

    fn started_event(&mut self, at: f64, count: i32, ids: &mut Ids) {
        if count > 0 {
            let tasks: Vec<String> = (0..count.min(LISTED_TASKS))
                .map(|_| format!("(task {})", ids.task()))
                .collect();
            let message = format!(
                "(service {}) has started {count} tasks: {}.",
                self.name,
                tasks.join(" ")
            );
            self.event(at, message, ids);
        }
    }

    fn stopped_event(&mut self, at: f64, count: i32, ids: &mut Ids) {
        if count > 0 {
            let tasks: Vec<String> = (0..count.min(LISTED_TASKS))
                .map(|_| format!("(task {})", ids.task()))
                .collect();
            let message = format!(
                "(service {}) has stopped {count} running tasks: {}.",
                self.name,
                tasks.join(" ")
            );
            self.event(at, message, ids);
        }
    }

    /// Starts a new PRIMARY deployment at `now`; the deployments before it become ACTIVE and drain while it
    /// rolls out (or keep their tasks when its tasks will not start).
    pub fn deploy(&mut self, new: NewDeployment, now: f64, duration: f64, ids: &mut Ids) {
        for old in &mut self.deployments {
            let count = old.running(now);
            old.primary = false;
            old.ramp = if new.fails {
                Ramp::steady(count, now)
            } else {
                Ramp::new(count, 0, now, duration)
            };
        }
        let id = ids.deployment();
        let desired = new.desired;
        self.desired = desired;
        self.deployments.insert(
            0,
            Deployment {
                reason: format!("ECS deployment {id} in progress."),
                id,
                primary: true,
                task_definition: new.task_definition,
                desired,
                ramp: if new.fails {
                    Ramp::steady(0, now)
                } else {
                    Ramp::new(0, desired, now, duration)
                },
                state: RolloutState::InProgress,
                created_at: now,
                updated_at: now,
                duration,
                fails: new.fails,
                breaker: new.breaker,
                struggling: false,
                failed: 0,
                extra: new.extra,
                hold_until: new.hold_until,
            },
        );
        self.steady_pending = false;
        self.started_event(now, desired, ids);
    }

    /// Changes the desired count without a new deployment: the PRIMARY's tasks ramp to it.
    pub fn scale(&mut self, desired: i32, now: f64, duration: f64, ids: &mut Ids) {
        self.desired = desired;
        let Some(primary) = self.deployments.first_mut() else {
            return;
        };
        let before = primary.ramp.to;
        primary.desired = desired;
        if primary.fails || primary.state == RolloutState::Failed || before == desired {
            return;
        }
        primary.ramp = Ramp::new(primary.ramp.at(now), desired, now, duration);
        primary.updated_at = now;
        if primary.state == RolloutState::Completed {
            self.steady_pending = true;
        }
        if desired > before {
            self.started_event(now, desired - before, ids);
        } else {
            self.stopped_event(now, before - desired, ids);
        }
    }

    /// Deletes the service: DRAINING while its tasks stop, then INACTIVE.
    pub fn delete(&mut self, now: f64, duration: f64, ids: &mut Ids) {
        let running = self.running(now);
        self.status = ServiceStatus::Draining;
        self.desired = 0;
        self.steady_pending = false;
        for d in &mut self.deployments {
            d.ramp = Ramp::new(d.running(now), 0, now, duration);
            d.desired = 0;
        }
        self.drain_end = Some(now + duration.max(0.0));
        self.stopped_event(now, running, ids);
    }

    /// Applies every step due at or before `now`, in time order.
    pub fn advance(&mut self, now: f64, ids: &mut Ids) {
        while let Some((at, step)) = self.next_step() {
            if at > now {
                break;
            }
            self.apply(step, at, ids);
        }
    }

    fn next_step(&self) -> Option<(f64, Step)> {
        match self.status {
            ServiceStatus::Inactive => None,
            ServiceStatus::Draining => self.drain_end.map(|at| (at, Step::Drained)),
            ServiceStatus::Active => {
                let primary = self.deployments.first()?;
                match primary.state {
                    RolloutState::InProgress if !primary.fails => {
                        let settled = self
                            .deployments
                            .iter()
                            .map(|d| d.ramp.end)
                            .fold(primary.ramp.end.max(primary.hold_until), f64::max);
                        Some((settled, Step::Complete))
                    }
                    RolloutState::InProgress if !primary.struggling => {
                        Some((primary.fail_at(), Step::Fail))
                    }
                    RolloutState::Completed if self.steady_pending => {
                        Some((primary.ramp.end, Step::Steady))
                    }
                    _ => None,
                }
            }
        }
    }

    fn apply(&mut self, step: Step, at: f64, ids: &mut Ids) {
        match step {
            Step::Complete => self.complete(at, ids),
            Step::Fail => self.fail(at, ids),
            Step::Steady => {
                self.steady_pending = false;
                self.event(
                    at,
                    format!("(service {}) has reached a steady state.", self.name),
                    ids,
                );
            }
            Step::Drained => {
                self.status = ServiceStatus::Inactive;
                self.drain_end = None;
            }
        }
    }

    fn complete(&mut self, at: f64, ids: &mut Ids) {
        let stopped: i32 = self.deployments[1..].iter().map(|d| d.ramp.from).sum();
        for old in self.deployments.drain(1..) {
            self.retired.push_front(old);
        }
        self.retired.truncate(RETIRED);
        let Some(primary) = self.deployments.first_mut() else {
            return;
        };
        primary.state = RolloutState::Completed;
        primary.reason = format!("ECS deployment {} completed.", primary.id);
        primary.updated_at = at;
        let id = primary.id.clone();
        self.last_completed = Some((id.clone(), primary.task_definition.clone()));
        self.stopped_event(at, stopped, ids);
        let name = self.name.clone();
        self.event(
            at,
            format!("(service {name}) (deployment {id}) deployment completed."),
            ids,
        );
        self.event(
            at,
            format!("(service {name}) has reached a steady state."),
            ids,
        );
        self.steady_pending = false;
    }

    fn fail(&mut self, at: f64, ids: &mut Ids) {
        let name = self.name.clone();
        let Some(primary) = self.deployments.first_mut() else {
            return;
        };
        primary.failed = failure_threshold(primary.desired);
        if !primary.breaker.enable {
            // Without the circuit breaker ECS keeps launching tasks that fail: the rollout never ends.
            primary.struggling = true;
            let message = format!(
                "(service {name}) is unable to consistently start tasks successfully. For more information, \
                 see the Troubleshooting section of the Amazon ECS Developer Guide."
            );
            self.event(at, message, ids);
            return;
        }
        if primary.breaker.rollback {
            self.abort(
                at,
                "ECS deployment circuit breaker: tasks failed to start.",
                ids,
            );
        } else {
            self.mark_failed(
                at,
                "ECS deployment circuit breaker: tasks failed to start.",
                ids,
            );
        }
    }

    /// Holds the PRIMARY deployment's completion until `until` (a paused service deployment).
    pub fn hold_primary(&mut self, until: f64) {
        if let Some(primary) = self.deployments.first_mut() {
            primary.hold_until = until;
        }
    }

    /// The id of the PRIMARY deployment.
    pub fn primary_id(&self) -> Option<&str> {
        self.deployments.first().map(|d| d.id.as_str())
    }

    /// Fails the PRIMARY deployment at `at` for `reason` and rolls back to the last deployment that completed
    /// (a failed lifecycle hook, a stop with rollback, or the circuit breaker).
    pub fn abort(&mut self, at: f64, reason: &str, ids: &mut Ids) {
        let Some((breaker, extra, duration)) = self.mark_failed(at, reason, ids) else {
            return;
        };
        let Some((previous_id, previous_td)) = self.last_completed.clone() else {
            return;
        };
        let name = self.name.clone();
        self.event(
            at,
            format!("(service {name}) rolling back to deployment {previous_id}."),
            ids,
        );
        let rollback = NewDeployment {
            task_definition: previous_td,
            desired: self.desired,
            fails: false,
            breaker,
            extra,
            hold_until: 0.0,
        };
        self.deploy(rollback, at, duration, ids);
        let by = reason
            .split_once(": ")
            .map_or("ECS deployment", |(by, _)| by);
        if let Some(primary) = self.deployments.first_mut() {
            primary.reason = format!("{by}: rolling back to deploymentId {previous_id}.");
        }
    }

    /// Marks the PRIMARY deployment FAILED; returns what a rollback deployment takes over from it.
    fn mark_failed(
        &mut self,
        at: f64,
        reason: &str,
        ids: &mut Ids,
    ) -> Option<(Breaker, Map<String, Value>, f64)> {
        let name = self.name.clone();
        let primary = self.deployments.first_mut()?;
        primary.state = RolloutState::Failed;
        primary.reason = reason.to_owned();
        primary.updated_at = at;
        let id = primary.id.clone();
        let taken = (primary.breaker, primary.extra.clone(), primary.duration);
        let message = format!(
            "(service {name}) (deployment {id}) deployment failed: {}",
            reason.trim_start_matches("ECS deployment circuit breaker: ")
        );
        self.event(at, message, ids);
        Some(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD1: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1";
    const TD2: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2";

    fn new(td: &str, fails: bool, breaker: Breaker) -> NewDeployment {
        NewDeployment {
            task_definition: td.into(),
            desired: 4,
            fails,
            breaker,
            extra: Map::new(),
            hold_until: 0.0,
        }
    }

    fn at(run: &mut Run, t: f64, ids: &mut Ids) -> Value {
        run.advance(t, ids);
        run.deployments_json(t)
    }

    fn messages(run: &Run) -> Vec<String> {
        run.events.iter().map(|e| e.message.clone()).collect()
    }

    /// A service with 4 tasks of TD1, rolled out over 10 s from t=0.
    fn settled_service(ids: &mut Ids) -> Run {
        let mut run = Run::new("web", 4);
        run.deploy(new(TD1, false, Breaker::default()), 0.0, 10.0, ids);
        run.advance(10.0, ids);
        run
    }

    #[test]
    fn a_first_rollout_ramps_up_then_completes() {
        let mut ids = Ids::default();
        let mut run = Run::new("web", 4);
        run.deploy(new(TD1, false, Breaker::default()), 0.0, 10.0, &mut ids);
        let d = at(&mut run, 0.0, &mut ids);
        assert_eq!(d[0]["rolloutState"], "IN_PROGRESS");
        assert_eq!(
            (d[0]["runningCount"].clone(), d[0]["pendingCount"].clone()),
            (json!(0), json!(4))
        );
        let d = at(&mut run, 5.0, &mut ids);
        assert_eq!(d[0]["runningCount"], 2);
        assert_eq!(run.pending(5.0), 2);
        let d = at(&mut run, 10.0, &mut ids);
        assert_eq!(d[0]["rolloutState"], "COMPLETED");
        assert_eq!(
            d[0]["rolloutStateReason"],
            "ECS deployment ecs-svc/1 completed."
        );
        assert_eq!(run.running(10.0), 4);
        let events = messages(&run);
        assert_eq!(events[0], "(service web) has reached a steady state.");
        assert_eq!(
            events[1],
            "(service web) (deployment ecs-svc/1) deployment completed."
        );
        assert!(events[2].starts_with("(service web) has started 4 tasks: (task "));
        // Newest first, and each event at the time it happened.
        assert_eq!(run.events[0].created_at, 10.0);
        assert_eq!(run.events[2].created_at, 0.0);
    }

    #[test]
    fn a_new_deployment_replaces_the_old_one() {
        let mut ids = Ids::default();
        let mut run = settled_service(&mut ids);
        run.deploy(new(TD2, false, Breaker::default()), 20.0, 10.0, &mut ids);
        let d = at(&mut run, 25.0, &mut ids);
        assert_eq!(d.as_array().unwrap().len(), 2);
        assert_eq!(
            (d[0]["status"].clone(), d[0]["taskDefinition"].clone()),
            (json!("PRIMARY"), json!(TD2))
        );
        assert_eq!(
            (d[1]["status"].clone(), d[1]["runningCount"].clone()),
            (json!("ACTIVE"), json!(2))
        );
        assert_eq!(d[0]["runningCount"], 2);
        assert_eq!(run.running(25.0), 4);
        assert_eq!(run.task_definition(), Some(TD2));
        let d = at(&mut run, 30.0, &mut ids);
        assert_eq!(d.as_array().unwrap().len(), 1);
        assert_eq!(d[0]["id"], "ecs-svc/2");
        assert_eq!(d[0]["rolloutState"], "COMPLETED");
        assert!(
            messages(&run)
                .iter()
                .any(|m| m.contains("has stopped 4 running tasks"))
        );
    }

    #[test]
    fn a_scale_ramps_tasks_without_a_new_deployment() {
        let mut ids = Ids::default();
        let mut run = settled_service(&mut ids);
        run.scale(8, 20.0, 10.0, &mut ids);
        let d = at(&mut run, 25.0, &mut ids);
        assert_eq!(d.as_array().unwrap().len(), 1);
        assert_eq!(
            (d[0]["runningCount"].clone(), d[0]["desiredCount"].clone()),
            (json!(6), json!(8))
        );
        assert_eq!(d[0]["rolloutState"], "COMPLETED");
        assert!(messages(&run)[0].contains("has started 4 tasks"));
        at(&mut run, 30.0, &mut ids);
        assert_eq!(run.running(30.0), 8);
        assert_eq!(
            messages(&run)[0],
            "(service web) has reached a steady state."
        );
        run.scale(2, 40.0, 10.0, &mut ids);
        assert!(messages(&run)[0].contains("has stopped 6 running tasks"));
        assert_eq!(run.running(50.0), 2);
    }

    #[test]
    fn a_failed_rollout_rolls_back_with_the_circuit_breaker() {
        let mut ids = Ids::default();
        let mut run = settled_service(&mut ids);
        let breaker = Breaker {
            enable: true,
            rollback: true,
        };
        run.deploy(new(TD2, true, breaker), 20.0, 10.0, &mut ids);
        let d = at(&mut run, 25.0, &mut ids);
        assert_eq!(
            (d[0]["runningCount"].clone(), d[0]["pendingCount"].clone()),
            (json!(0), json!(4))
        );
        assert_eq!(d[1]["runningCount"], 4, "the old tasks keep running");
        let d = at(&mut run, 30.0, &mut ids);
        assert_eq!(d.as_array().unwrap().len(), 3);
        assert_eq!(d[0]["taskDefinition"], TD1);
        assert_eq!(d[0]["rolloutState"], "IN_PROGRESS");
        assert_eq!(
            d[0]["rolloutStateReason"],
            "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1."
        );
        assert_eq!(
            (d[1]["status"].clone(), d[1]["rolloutState"].clone()),
            (json!("ACTIVE"), json!("FAILED"))
        );
        assert_eq!(
            d[1]["rolloutStateReason"],
            "ECS deployment circuit breaker: tasks failed to start."
        );
        assert_eq!(d[1]["failedTasks"], 3);
        assert!(
            messages(&run)
                .iter()
                .any(|m| m == "(service web) rolling back to deployment ecs-svc/1.")
        );
        let d = at(&mut run, 40.0, &mut ids);
        assert_eq!(d.as_array().unwrap().len(), 1);
        assert_eq!(
            (d[0]["taskDefinition"].clone(), d[0]["rolloutState"].clone()),
            (json!(TD1), json!("COMPLETED"))
        );
        assert_eq!(run.running(40.0), 4);
    }

    #[test]
    fn a_failed_rollout_without_rollback_stays_failed() {
        let mut ids = Ids::default();
        let mut run = settled_service(&mut ids);
        run.deploy(
            new(
                TD2,
                true,
                Breaker {
                    enable: true,
                    rollback: false,
                },
            ),
            20.0,
            10.0,
            &mut ids,
        );
        let d = at(&mut run, 100.0, &mut ids);
        assert_eq!(d[0]["rolloutState"], "FAILED");
        assert_eq!(d[0]["status"], "PRIMARY");
        assert_eq!(d[0]["pendingCount"], 0);
        assert_eq!(d[1]["runningCount"], 4);
    }

    #[test]
    fn without_circuit_breaker_a_failing_rollout_never_ends() {
        let mut ids = Ids::default();
        let mut run = settled_service(&mut ids);
        run.deploy(new(TD2, true, Breaker::default()), 20.0, 10.0, &mut ids);
        let d = at(&mut run, 35.0, &mut ids);
        assert_eq!(d[0]["rolloutState"], "IN_PROGRESS");
        assert_eq!(d[0]["failedTasks"], 3);
        let d = at(&mut run, 1000.0, &mut ids);
        assert_eq!(d[0]["rolloutState"], "IN_PROGRESS");
        assert!(d[0]["failedTasks"].as_i64().unwrap() > 3);
        assert_eq!(
            messages(&run)
                .iter()
                .filter(|m| m.contains("unable to consistently"))
                .count(),
            1
        );
    }

    #[test]
    fn the_first_deployment_has_nothing_to_roll_back_to() {
        let mut ids = Ids::default();
        let mut run = Run::new("web", 2);
        let first = NewDeployment {
            desired: 2,
            ..new(
                TD1,
                true,
                Breaker {
                    enable: true,
                    rollback: true,
                },
            )
        };
        run.deploy(first, 0.0, 10.0, &mut ids);
        let d = at(&mut run, 10.0, &mut ids);
        assert_eq!(d.as_array().unwrap().len(), 1);
        assert_eq!(d[0]["rolloutState"], "FAILED");
    }

    #[test]
    fn a_deleted_service_drains_then_is_inactive() {
        let mut ids = Ids::default();
        let mut run = settled_service(&mut ids);
        run.delete(20.0, 10.0, &mut ids);
        run.advance(25.0, &mut ids);
        assert_eq!(run.status(), ServiceStatus::Draining);
        assert_eq!(run.running(25.0), 2);
        run.advance(30.0, &mut ids);
        assert_eq!(run.status(), ServiceStatus::Inactive);
        assert_eq!(run.running(30.0), 0);
        assert_eq!(run.desired(), 0);
    }

    #[test]
    fn events_are_capped_at_one_hundred() {
        let mut ids = Ids::default();
        let mut run = settled_service(&mut ids);
        for i in 0..80 {
            let t = 20.0 + f64::from(i) * 20.0;
            run.scale(if i % 2 == 0 { 5 } else { 4 }, t, 10.0, &mut ids);
            run.advance(t + 10.0, &mut ids);
        }
        assert_eq!(run.events.len(), MAX_EVENTS);
        assert!(run.events[0].created_at > run.events[99].created_at);
    }
}
