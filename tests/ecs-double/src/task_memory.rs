//! How long ECS remembers tasks and RunTask client tokens (catalogue entries 58 and 62). A STOPPED task stays
//! describable for `stoppedTaskSeconds` (ECS: at least an hour), then it is gone: DescribeTasks answers MISSING and
//! ListTasks leaves it out. A token lives `clientTokenSeconds` (ECS: 24 hours) or its tasks' life (to the last
//! one's STOPPED) plus the time a stopped task stays, whichever ends first; a repeat after that starts new tasks.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::state::Model;
use crate::task_life::Task;

/// How long ECS remembers, in seconds of the clock (speed-up applied).
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    /// How long a STOPPED task stays describable.
    pub stopped_task: f64,
    /// The longest a client token lives.
    pub client_token: f64,
}

/// What a RunTask client token remembers.
#[derive(Clone, Debug)]
pub struct TokenRecord {
    /// The request without its token: a repeat must send the same.
    pub request: Value,
    /// The tasks it placed.
    pub arns: Vec<String>,
    /// The tasks it could not place, as answered.
    pub failures: Vec<Value>,
    pub created_at: f64,
}

impl TokenRecord {
    /// When the token is forgotten: 24 hours (`client_token`) after the call, or the time a stopped task stays
    /// after the last of its tasks stopped (after the call, when it placed none), whichever comes first.
    fn expires_at(&self, tasks: &BTreeMap<String, Task>, memory: Memory) -> f64 {
        let cap = self.created_at + memory.client_token;
        let mut last_stop = Some(self.created_at);
        for arn in &self.arns {
            // A task already forgotten stopped long enough ago; one still running keeps the token.
            if let Some(task) = tasks.get(arn) {
                last_stop = last_stop.zip(task.stopped_at()).map(|(a, b)| a.max(b));
            }
        }
        last_stop.map_or(cap, |at| cap.min(at + memory.stopped_task))
    }

    /// The answer to a repeat at `now`: the placed tasks, each one stopped since trimmed to its ARN, last status
    /// and desired status ("Tasks that have been stopped for under an hour only include the task ARN, last status,
    /// and desired status"); the failures while they are younger than a stopped task's stay. ECS answers older
    /// failures "only" as "the number of failed tasks", in a shape no page shows: the double answers none then.
    pub fn answer(&self, tasks: &BTreeMap<String, Task>, now: f64, memory: Memory) -> Value {
        let placed: Vec<Value> = self
            .arns
            .iter()
            .filter_map(|arn| tasks.get(arn))
            .map(|t| trimmed(t.to_json(now, false)))
            .collect();
        let failures = if now < self.created_at + memory.stopped_task {
            self.failures.clone()
        } else {
            Vec::new()
        };
        json!({"tasks": placed, "failures": failures})
    }
}

/// A stopped task as a repeated RunTask shows it; others in full.
fn trimmed(task: Value) -> Value {
    if task["lastStatus"] != "STOPPED" {
        return task;
    }
    json!({
        "taskArn": task["taskArn"],
        "lastStatus": task["lastStatus"],
        "desiredStatus": task["desiredStatus"],
    })
}

/// Forgets the tokens and the STOPPED tasks whose time is up at `now`.
pub fn forget(model: &mut Model, now: f64, memory: Memory) {
    let tasks = &model.tasks;
    model
        .task_tokens
        .retain(|_, record| record.expires_at(tasks, memory) > now);
    model.tasks.retain(|_, task| {
        task.stopped_at()
            .is_none_or(|at| at + memory.stopped_task > now)
    });
}
