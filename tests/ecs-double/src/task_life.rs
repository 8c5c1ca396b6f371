//! The life of one task over time: PROVISIONING → PENDING → RUNNING → DEPROVISIONING → STOPPED, how it ends
//! (its containers exit, it fails to start, or StopTask stops it), and how DescribeTasks shows it at a moment.

use serde_json::{Map, Value, json};

use crate::service_tasks::ServiceTask;
use crate::tags::Tags;

/// How a task ends unless StopTask stops it first (decided when it is run).
#[derive(Clone, Debug, PartialEq)]
pub enum Ending {
    /// Its essential containers exit with `code` after the run time; ECS then stops the non-essential ones, which
    /// exit with `sidecar` (137 when SIGKILL ends them after the stop timeout).
    Exit { code: i32, sidecar: i32 },
    /// It never starts; the reason is ECS's (a `CannotPullContainerError: ...`).
    FailToStart(String),
    /// It runs until it is stopped.
    Hang,
}

/// The timing of a task's life, in seconds of the clock (speed-up applied).
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Each of PROVISIONING, PENDING and DEPROVISIONING lasts this long.
    pub step: f64,
    /// How long the containers run.
    pub run: f64,
}

/// One container of a task: its name, image and whether it is essential (from the task definition).
#[derive(Clone, Debug)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub essential: bool,
}

/// One task.
pub struct Task {
    pub arn: String,
    pub cluster_arn: String,
    pub task_definition_arn: String,
    pub containers: Vec<Container>,
    /// Members shown as given or defaulted at RunTask: launchType, capacityProviderStrategy, platformVersion,
    /// group, startedBy, overrides, enableExecuteCommand, cpu, memory.
    pub config: Map<String, Value>,
    pub tags: Tags,
    pub created_at: f64,
    pub timing: Timing,
    pub ending: Ending,
    /// When StopTask (or the service scheduler) stopped it, and the reason given.
    pub stopped_by_user: Option<(f64, String)>,
    /// A service's task: its network, zone and health ([`crate::service_tasks`]).
    pub service: Option<ServiceTask>,
}

/// How a task ended, as ECS reports it.
struct Stop {
    code: &'static str,
    reason: String,
    /// The essential containers' exit code (None when they never ran).
    exit_code: Option<i32>,
    /// The non-essential containers' exit code.
    sidecar_exit_code: Option<i32>,
    container_reason: Option<String>,
}

impl Task {
    /// When the containers start running (PENDING ends).
    fn started_at(&self) -> f64 {
        self.created_at + 2.0 * self.timing.step
    }

    /// When its containers stop on their own (None: never).
    fn natural_end(&self) -> Option<f64> {
        match self.ending {
            Ending::Exit { .. } => Some(self.started_at() + self.timing.run),
            Ending::FailToStart(_) => Some(self.started_at()),
            Ending::Hang => None,
        }
    }

    /// Whether StopTask came before the task would have ended on its own.
    fn user_stop(&self) -> Option<&(f64, String)> {
        self.stopped_by_user
            .as_ref()
            .filter(|(at, _)| self.natural_end().is_none_or(|end| *at < end))
    }

    /// How long a service's task stays DEACTIVATING and STOPPING after the stop, before its containers stop.
    fn stop_delay(&self) -> f64 {
        if self.service.is_some() {
            2.0 * self.timing.step
        } else {
            0.0
        }
    }

    /// When the containers stop (or the start is given up), if that is known.
    fn end(&self) -> Option<f64> {
        self.user_stop()
            .map(|(at, _)| *at + self.stop_delay())
            .or(self.natural_end())
    }

    /// When the task is (or will be) STOPPED, if that is known.
    pub fn stopped_at(&self) -> Option<f64> {
        self.end().map(|end| end + self.timing.step)
    }

    /// Whether the desired status is STOPPED at `now`.
    pub fn stop_desired(&self, now: f64) -> bool {
        self.user_stop().is_some() || self.end().is_some_and(|end| end <= now)
    }

    /// ECS's lastStatus at `now`.
    pub fn last_status(&self, now: f64) -> &'static str {
        if let Some((at, _)) = self.user_stop().filter(|_| self.service.is_some())
            && now >= *at
            && now < *at + self.stop_delay()
        {
            return ServiceTask::stop_phase(now - at, self.timing.step);
        }
        match self.end() {
            Some(end) if end + self.timing.step <= now => "STOPPED",
            Some(end) if end <= now => "DEPROVISIONING",
            _ if now < self.created_at + self.timing.step => "PROVISIONING",
            _ if now < self.started_at() => "PENDING",
            _ => "RUNNING",
        }
    }

    fn stop(&self) -> Stop {
        if let Some((at, reason)) = self.user_stop() {
            let ran = *at >= self.started_at();
            // SIGTERM: 128 + 15.
            let exit_code = ran.then_some(143);
            return Stop {
                code: "UserInitiated",
                reason: reason.clone(),
                exit_code,
                sidecar_exit_code: exit_code,
                container_reason: None,
            };
        }
        match &self.ending {
            Ending::FailToStart(reason) => Stop {
                code: "TaskFailedToStart",
                reason: reason.clone(),
                exit_code: None,
                sidecar_exit_code: None,
                container_reason: Some(reason.clone()),
            },
            Ending::Exit { code, sidecar } => Stop {
                code: "EssentialContainerExited",
                reason: "Essential container in task exited".into(),
                exit_code: Some(*code),
                sidecar_exit_code: Some(*sidecar),
                container_reason: None,
            },
            Ending::Hang => unreachable!("a hanging task ends only through StopTask"),
        }
    }

    /// The task as DescribeTasks shows it at `now`.
    pub fn to_json(&self, now: f64, include_tags: bool) -> Value {
        let status = self.last_status(now);
        let stopping = self.end().filter(|end| *end <= now);
        let stop = stopping.map(|_| self.stop());
        let containers: Vec<Value> = self
            .containers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut out = json!({
                    "containerArn": format!("{}/{}", self.arn.replace(":task/", ":container/"), i),
                    "taskArn": self.arn,
                    "name": c.name,
                    "image": c.image,
                    "lastStatus": match status {
                        "PROVISIONING" | "PENDING" => "PENDING",
                        "RUNNING" => "RUNNING",
                        _ => "STOPPED",
                    },
                });
                if let Some(stop) = &stop {
                    let exit_code = if c.essential {
                        stop.exit_code
                    } else {
                        stop.sidecar_exit_code
                    };
                    if let Some(code) = exit_code {
                        out["exitCode"] = json!(code);
                    }
                    if let Some(reason) = &stop.container_reason {
                        out["reason"] = json!(reason);
                    }
                }
                out
            })
            .collect();
        let mut out = json!({
            "taskArn": self.arn,
            "clusterArn": self.cluster_arn,
            "taskDefinitionArn": self.task_definition_arn,
            "lastStatus": status,
            "desiredStatus": if self.stop_desired(now) { "STOPPED" } else { "RUNNING" },
            "createdAt": self.created_at,
            "containers": containers,
            "attachments": [],
            "version": 1 + usize::from(status != "PROVISIONING") + usize::from(status == "RUNNING")
                + 2 * usize::from(stop.is_some()),
        });
        for (member, value) in &self.config {
            out[member.as_str()] = value.clone();
        }
        let started = self.started_at();
        if now >= self.created_at + self.timing.step {
            out["pullStartedAt"] = json!(self.created_at + self.timing.step);
        }
        if now >= started && self.end().is_none_or(|end| end > started) {
            out["pullStoppedAt"] = json!(started);
            out["startedAt"] = json!(started);
        }
        if let (Some(end), Some(stop)) = (stopping, stop) {
            out["stoppingAt"] = json!(end);
            out["executionStoppedAt"] = json!(end);
            out["stopCode"] = json!(stop.code);
            out["stoppedReason"] = json!(stop.reason);
        }
        if status == "STOPPED" {
            out["stoppedAt"] = json!(stopping.map(|end| end + self.timing.step));
        }
        if include_tags {
            out["tags"] = self.tags.to_json();
        }
        if let Some(service) = &self.service {
            let running = (now >= started).then_some(started);
            service.decorate(&mut out, status, running, now, self.timing.step);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(ending: Ending) -> Task {
        Task {
            arn: "arn:aws:ecs:us-east-1:123456789012:task/main/abc".into(),
            cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/main".into(),
            task_definition_arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/job:1".into(),
            containers: vec![
                Container {
                    name: "app".into(),
                    image: "busybox".into(),
                    essential: true,
                },
                Container {
                    name: "sidecar".into(),
                    image: "envoy".into(),
                    essential: false,
                },
            ],
            config: Map::new(),
            tags: Tags::default(),
            created_at: 0.0,
            timing: Timing {
                step: 1.0,
                run: 5.0,
            },
            ending,
            stopped_by_user: None,
            service: None,
        }
    }

    #[test]
    fn a_task_goes_through_its_states_and_exits() {
        let t = task(Ending::Exit {
            code: 3,
            sidecar: 137,
        });
        let states: Vec<_> = [0.0, 1.0, 2.0, 6.9, 7.0, 8.0]
            .iter()
            .map(|now| t.last_status(*now))
            .collect();
        assert_eq!(
            states,
            [
                "PROVISIONING",
                "PENDING",
                "RUNNING",
                "RUNNING",
                "DEPROVISIONING",
                "STOPPED"
            ]
        );
        let shown = t.to_json(8.0, false);
        assert_eq!(shown["stopCode"], "EssentialContainerExited");
        assert_eq!(shown["containers"][0]["exitCode"], 3);
        assert_eq!(shown["containers"][1]["exitCode"], 137);
        assert_eq!(t.stopped_at(), Some(8.0));
        assert_eq!(shown["desiredStatus"], "STOPPED");
        assert_eq!(shown["stoppedAt"], 8.0);
        assert!(t.to_json(3.0, false).get("stopCode").is_none());
    }

    #[test]
    fn a_task_that_fails_to_start_never_runs() {
        let t = task(Ending::FailToStart("CannotPullContainerError: no".into()));
        assert_eq!(t.last_status(2.5), "DEPROVISIONING");
        let shown = t.to_json(3.0, false);
        assert_eq!(shown["lastStatus"], "STOPPED");
        assert_eq!(shown["stopCode"], "TaskFailedToStart");
        assert!(shown.get("startedAt").is_none());
        assert!(shown["containers"][0].get("exitCode").is_none());
    }

    #[test]
    fn stop_task_ends_a_hanging_task_as_user_initiated() {
        let mut t = task(Ending::Hang);
        assert_eq!(t.last_status(1000.0), "RUNNING");
        t.stopped_by_user = Some((10.0, "done".into()));
        let shown = t.to_json(10.0, false);
        assert_eq!(
            (&shown["desiredStatus"], &shown["lastStatus"]),
            (&json!("STOPPED"), &json!("DEPROVISIONING"))
        );
        let shown = t.to_json(11.0, false);
        assert_eq!(shown["lastStatus"], "STOPPED");
        assert_eq!(shown["stopCode"], "UserInitiated");
        assert_eq!(shown["stoppedReason"], "done");
        assert_eq!(shown["containers"][0]["exitCode"], 143);
        assert_eq!(shown["containers"][1]["exitCode"], 143);
    }

    /// Catalogue entry 79: only the essential container's exit decides; ECS stops the sidecar, which shows the
    /// exit code it was told to (here 1), while the essential container exited 0.
    #[test]
    fn the_essential_container_exits_and_ecs_stops_the_sidecar() {
        let t = task(Ending::Exit {
            code: 0,
            sidecar: 1,
        });
        let shown = t.to_json(8.0, false);
        assert_eq!(shown["stopCode"], "EssentialContainerExited");
        assert_eq!(shown["containers"][0]["exitCode"], 0);
        assert_eq!(shown["containers"][1]["exitCode"], 1);
        assert_eq!(shown["containers"][1]["lastStatus"], "STOPPED");
    }

    #[test]
    fn stop_task_after_the_end_changes_nothing() {
        let mut t = task(Ending::Exit {
            code: 0,
            sidecar: 137,
        });
        t.stopped_by_user = Some((9.0, "late".into()));
        assert_eq!(
            t.to_json(9.0, false)["stopCode"],
            "EssentialContainerExited"
        );
    }
}
