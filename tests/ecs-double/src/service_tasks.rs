//! The tasks a service runs (catalogue entries 95-97): each deployment's running count over time becomes real
//! tasks, visible to ListTasks (`serviceName`, `startedBy` = the deployment id) and DescribeTasks (`group` =
//! `service:NAME`), with an ENI attachment and Availability Zone for awsvpc services, a health status from the
//! task definition's health checks, and DEACTIVATING / STOPPING while ECS stops them.
//!
//! Conventions of the double: a subnet's Availability Zone is the Region and a letter a-c picked by the subnet
//! ID's hash; a task's private IPv4 address is taken from 10.0.0.0/16 by its ID, and a task in a subnet whose ID
//! contains `dualstack` also has an IPv6 address from 2600:1f18::/64 (the addresses are on the ENI attachment's
//! details, IPv4 only, and on each container's `networkInterfaces`, catalogue entry 98); an essential container whose
//! health check command contains `exit 1` reports UNHEALTHY, any other health check HEALTHY, one `step` after
//! the task started running (UNKNOWN before).

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::rollout::TaskRamp;
use crate::state::{Model, Service};
use crate::task_life::{Ending, Task, Timing};
use crate::task_request::containers;

/// A task's elastic network interface (awsvpc).
#[derive(Clone, Debug)]
pub struct Eni {
    pub attachment: String,
    pub subnet: String,
    pub ipv4: String,
    pub ipv6: Option<String>,
}

/// What a service's task has that a RunTask task of the double does not.
#[derive(Clone, Debug)]
pub struct ServiceTask {
    /// The awsvpc ENI.
    pub eni: Option<Eni>,
    pub zone: String,
    /// The essential containers' health checks: None without any, Some(false) when one fails.
    pub healthy: Option<bool>,
}

impl ServiceTask {
    /// The lastStatus of a task stopped at `at`, `since` seconds later, while its containers still run: first
    /// DEACTIVATING (target deregistration), then STOPPING.
    pub fn stop_phase(since: f64, step: f64) -> &'static str {
        if since < step {
            "DEACTIVATING"
        } else {
            "STOPPING"
        }
    }

    /// Adds the task's attachment, zone and health to its DescribeTasks form.
    pub fn decorate(
        &self,
        out: &mut Value,
        status: &str,
        running_since: Option<f64>,
        now: f64,
        step: f64,
    ) {
        out["availabilityZone"] = json!(self.zone);
        let health = match (self.healthy, running_since) {
            (Some(ok), Some(since)) if now >= since + step => {
                if ok {
                    "HEALTHY"
                } else {
                    "UNHEALTHY"
                }
            }
            _ => "UNKNOWN",
        };
        out["healthStatus"] = json!(health);
        if let Some(Eni {
            attachment: id,
            subnet,
            ipv4: ip,
            ipv6,
        }) = &self.eni
        {
            let attachment = match status {
                "PROVISIONING" => "PRECREATED",
                "STOPPED" => "DELETED",
                "DEPROVISIONING" => "DETACHED",
                _ => "ATTACHED",
            };
            let eni = format!("eni-{}", &id[..17.min(id.len())]);
            let mut interface = json!({"attachmentId": id, "privateIpv4Address": ip});
            if let Some(v6) = ipv6 {
                interface["ipv6Address"] = json!(v6);
            }
            if let Some(containers) = out["containers"].as_array_mut() {
                for container in containers {
                    container["networkInterfaces"] = json!([interface]);
                }
            }
            out["attachments"] = json!([{
                "id": id,
                "type": "ElasticNetworkInterface",
                "status": attachment,
                "details": [
                    {"name": "subnetId", "value": subnet},
                    {"name": "networkInterfaceId", "value": eni},
                    {"name": "macAddress", "value": mac(id)},
                    {"name": "privateDnsName", "value": format!("ip-{}.ec2.internal", ip.replace('.', "-"))},
                    {"name": "privateIPv4Address", "value": ip},
                ],
            }]);
        }
    }
}

fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn mac(id: &str) -> String {
    let h = hash(id).to_be_bytes();
    format!(
        "0e:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        h[0], h[1], h[2], h[3], h[4]
    )
}

/// The Availability Zone of `subnet` in `region`.
pub fn zone_of(region: &str, subnet: &str) -> String {
    let letter = char::from(b'a' + (hash(subnet) % 3) as u8);
    format!("{region}{letter}")
}

/// The tasks of the services' deployments, read in one pass over all tasks (so that bringing every service up to
/// date costs one pass, not one per service).
#[derive(Default)]
struct DeploymentTasks {
    /// deployment → group → the tasks not stopped by a user or ECS: (created at, ARN), oldest first.
    live: HashMap<String, HashMap<String, Vec<(f64, String)>>>,
    /// deployment → when ECS or a user last stopped one of its tasks.
    last_stop: HashMap<String, f64>,
}

impl DeploymentTasks {
    fn of(model: &Model) -> Self {
        let mut index = Self::default();
        for task in model.tasks.values() {
            let Some(deployment) = task.config.get("startedBy").and_then(Value::as_str) else {
                continue;
            };
            if let Some((at, _)) = &task.stopped_by_user {
                let last = index
                    .last_stop
                    .entry(deployment.to_owned())
                    .or_insert(f64::MIN);
                *last = last.max(*at);
                continue;
            }
            let group = task.config.get("group").and_then(Value::as_str);
            index
                .live
                .entry(deployment.to_owned())
                .or_default()
                .entry(group.unwrap_or_default().to_owned())
                .or_default()
                .push((task.created_at, task.arn.clone()));
        }
        for live in index.live.values_mut().flat_map(HashMap::values_mut) {
            live.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        index
    }

    /// The live tasks `deployment` runs in `group`, oldest first.
    fn live(&self, deployment: &str, group: &str) -> &[(f64, String)] {
        self.live
            .get(deployment)
            .and_then(|groups| groups.get(group))
            .map_or(&[][..], Vec::as_slice)
    }
}

/// A task to start or to stop, found in a pass over the services that changes nothing; the changes are made in
/// the order they were found, after it (a service's changes never depend on another's).
enum Change {
    Start {
        service: (String, String),
        ramp: TaskRamp,
        created_at: f64,
    },
    Stop {
        task: String,
        at: f64,
        reason: String,
    },
}

/// Brings the tasks of every service up to `now`, then applies the service's steps: a rollout that completes
/// retires its old deployments, whose tasks stop at the times their ramps said.
pub fn settle(model: &mut Model, now: f64, timing: Timing) {
    let index = DeploymentTasks::of(model);
    let mut changes = Vec::new();
    for (key, service) in &model.services {
        find_changes(service, key, &index, now, timing, &mut changes);
    }
    for change in changes {
        match change {
            Change::Start {
                service,
                ramp,
                created_at,
            } => start(model, &service, &ramp, created_at, timing),
            Change::Stop { task, at, reason } => {
                if let Some(task) = model.tasks.get_mut(&task) {
                    task.stopped_by_user = Some((at, reason));
                }
            }
        }
    }
}

/// The tasks to start and stop so that each deployment of one service runs its ramp's count at `now`.
fn find_changes(
    service: &Service,
    key: &(String, String),
    index: &DeploymentTasks,
    now: f64,
    timing: Timing,
    changes: &mut Vec<Change>,
) {
    let group = format!("service:{}", service.name);
    for ramp in service.run.task_ramps() {
        let live = index.live(&ramp.deployment, &group);
        let count = live.len() as i32;
        // A task stopped (StopTask, a failed health check) is replaced from then on, not from its slot's time.
        let last_stop = index
            .last_stop
            .get(&ramp.deployment)
            .copied()
            .unwrap_or(f64::MIN);
        // Tasks are created `2 * step` before they run, so the ones due within that time exist already.
        let soon = ramp.running(now + 2.0 * timing.step);
        let target = ramp.running(now);
        if soon > count {
            for slot in count..soon {
                let runs_at = ramp.reaches(slot + 1);
                let created_at = (runs_at - 2.0 * timing.step).max(last_stop.min(now));
                changes.push(Change::Start {
                    service: key.clone(),
                    ramp: ramp.clone(),
                    created_at,
                });
            }
        } else if target < count {
            for (slot, (created, arn)) in live.iter().enumerate().skip(target.max(0) as usize).rev()
            {
                changes.push(Change::Stop {
                    task: arn.clone(),
                    at: ramp.reaches(slot as i32).max(*created).min(now),
                    reason: format!(
                        "Scaling activity initiated by (deployment {})",
                        ramp.deployment
                    ),
                });
            }
        }
    }
}

fn start(
    model: &mut Model,
    key: &(String, String),
    ramp: &TaskRamp,
    created_at: f64,
    timing: Timing,
) {
    let Some(service) = model.services.get(key) else {
        return;
    };
    let Ok(Some(revision)) = model.revision(&ramp.task_definition) else {
        return;
    };
    let containers = containers(revision);
    let healthy = health_of(revision);
    let subnets: Vec<String> = service
        .config
        .get("networkConfiguration")
        .and_then(|n| n.pointer("/awsvpcConfiguration/subnets"))
        .and_then(Value::as_array)
        .map(|s| {
            s.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let awsvpc = revision.body.get("networkMode").and_then(Value::as_str) == Some("awsvpc");
    let config = task_config(service, &ramp.deployment);
    let (cluster, cluster_arn) = (service.cluster.clone(), service.cluster_arn.clone());
    let id = model.ids.task();
    let arn = model.task_arn(&cluster, &id);
    let subnet = subnets
        .get((hash(&id) % subnets.len().max(1) as u64) as usize)
        .cloned();
    let zone = subnet.as_deref().map_or_else(
        || format!("{}a", model.region),
        |s| zone_of(&model.region, s),
    );
    let h = hash(&arn);
    let ip = format!("10.0.{}.{}", (h >> 8) % 256, 1 + h % 254);
    let eni = subnet.filter(|_| awsvpc).map(|subnet| Eni {
        attachment: crate::ids::uuid(h),
        ipv6: subnet
            .contains("dualstack")
            .then(|| format!("2600:1f18::{:x}:{:x}", (h >> 16) & 0xffff, 1 + h % 0xfffe)),
        subnet,
        ipv4: ip,
    });
    let task = Task {
        arn: arn.clone(),
        cluster_arn,
        task_definition_arn: ramp.task_definition.clone(),
        containers,
        config,
        tags: Default::default(),
        created_at,
        timing,
        ending: Ending::Hang,
        stopped_by_user: None,
        service: Some(ServiceTask { eni, zone, healthy }),
    };
    model.tasks.insert(arn, task);
}

/// The members a service's task shows from its service: launch type, group and the deployment that started it.
fn task_config(service: &Service, deployment: &str) -> serde_json::Map<String, Value> {
    let mut config = serde_json::Map::new();
    for member in ["launchType", "platformVersion", "capacityProviderStrategy"] {
        if let Some(value) = service.config.get(member) {
            config.insert(member.into(), value.clone());
        }
    }
    config.insert("group".into(), json!(format!("service:{}", service.name)));
    config.insert("startedBy".into(), json!(deployment));
    config
}

/// Whether the essential containers' health checks pass (None: no essential container has one).
fn health_of(revision: &crate::state::Revision) -> Option<bool> {
    let defs = revision
        .body
        .get("containerDefinitions")
        .and_then(Value::as_array);
    let checks: Vec<bool> = defs
        .into_iter()
        .flatten()
        .filter(|c| c["essential"].as_bool().unwrap_or(true))
        .filter_map(|c| c.get("healthCheck"))
        .map(|h| !h["command"].to_string().contains("exit 1"))
        .collect();
    (!checks.is_empty()).then(|| checks.iter().all(|ok| *ok))
}

#[cfg(test)]
#[path = "service_tasks_tests.rs"]
mod tests;
