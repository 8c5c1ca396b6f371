//! ECS-native BLUE_GREEN, LINEAR and CANARY deployments as service deployments over time
//! (docs/ecs-behaviour.md, entries 73-78).
//!
//! A deployment of a service whose `deploymentConfiguration.strategy` is not ROLLING gets a service deployment:
//! its lifecycle stages follow each other on a [`Timeline`] fixed when it starts, production traffic shifts in the
//! strategy's steps, and its deployment in `deployments[]` completes only when CLEAN_UP ends. A lifecycle hook
//! whose `hookTargetArn` contains `fail` fails at its first stage and rolls the deployment back; so does
//! StopServiceDeployment. A PAUSE hook holds it until ContinueServiceDeployment or its time-out ([`pauses`]). After a successful deployment that replaced an earlier revision, the service's load
//! balancers serve from the alternate target group, and the pair swaps roles. Like everything in the double, it is
//! applied lazily in time order.

use serde_json::{Map, Value, json};

use crate::dispatch::Ctx;
use crate::ids::Ids;
use crate::state::Service;
use crate::timeline::{STAGES, Timeline, strategy};

mod pauses;
pub use pauses::answer;

/// A lifecycle hook of the deployment.
#[derive(Clone, Debug)]
struct Hook {
    id: String,
    target_arn: String,
    stages: Vec<String>,
}

impl Hook {
    /// The double's Lambda functions fail when their ARN says so.
    fn fails(&self) -> bool {
        self.target_arn.contains("fail")
    }
}

/// How a service deployment ended other than by success.
#[derive(Clone, Debug)]
struct Rollback {
    at: f64,
    reason: String,
    /// The stage it was in.
    stage: &'static str,
}

/// One service deployment of a BLUE_GREEN, LINEAR or CANARY service.
#[derive(Clone, Debug)]
pub struct ServiceDeployment {
    pub arn: String,
    /// The deployment in `deployments[]` it drives.
    deployment_id: String,
    strategy: String,
    created_at: f64,
    timeline: Timeline,
    hooks: Vec<Hook>,
    pauses: Vec<pauses::Pause>,
    source_revision: Option<String>,
    target_revision: String,
    configuration: Value,
    rollback: Option<Rollback>,
    /// Replaced by a newer deployment before it ended.
    stopped_at: Option<f64>,
    /// The target group pair has swapped roles after success.
    swapped: bool,
    rollback_duration: f64,
}

impl ServiceDeployment {
    /// When a failing hook fails: in the middle of its first stage.
    fn hook_failure(&self) -> Option<(f64, &'static str, &Hook)> {
        self.hooks
            .iter()
            .filter(|h| h.fails())
            .filter_map(|h| {
                let stage = STAGES.iter().find(|s| h.stages.iter().any(|hs| hs == *s))?;
                let start = self.timeline.stage_start(stage)?;
                let at = (start + self.timeline.stage_end(stage)) / 2.0;
                Some((at, *stage, h))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }

    fn ended(&self) -> bool {
        self.rollback.is_some() || self.stopped_at.is_some() || self.swapped
    }

    fn status(&self, t: f64) -> (&'static str, Option<String>) {
        if let Some(r) = &self.rollback {
            let status = if t < r.at + self.rollback_duration {
                "ROLLBACK_IN_PROGRESS"
            } else {
                "ROLLBACK_SUCCESSFUL"
            };
            return (status, Some(r.reason.clone()));
        }
        if self.stopped_at.is_some() {
            let reason = "Service deployment stopped: a newer service deployment replaced it.";
            return ("STOPPED", Some(reason.into()));
        }
        if self.clock(t) >= self.timeline.finish {
            return ("SUCCESSFUL", None);
        }
        ("IN_PROGRESS", None)
    }

    /// The stage shown at `t`: frozen where a rollback started.
    fn stage(&self, t: f64) -> &'static str {
        match &self.rollback {
            Some(r) => r.stage,
            None => self
                .timeline
                .stage(self.clock(t).min(self.timeline.finish - f64::EPSILON)),
        }
    }

    fn hook_details(&self, t: f64) -> Vec<Value> {
        let until = self
            .rollback
            .as_ref()
            .map_or(self.clock(t), |r| r.at.min(t));
        self.hooks
            .iter()
            .filter_map(|h| {
                let stages: Vec<_> = STAGES
                    .iter()
                    .filter(|s| h.stages.iter().any(|hs| hs == *s))
                    .collect();
                let first = self.timeline.stage_start(stages.first()?)?;
                if first > until {
                    return None;
                }
                let last = stages.last().map(|s| self.timeline.stage_end(s))?;
                let status = match self.rollback.as_ref() {
                    Some(r) if h.fails() && r.reason.contains(&h.target_arn) => "FAILED",
                    _ if until >= last => "SUCCEEDED",
                    Some(_) => "FAILED",
                    None => "IN_PROGRESS",
                };
                Some(
                    json!({"hookId": h.id, "targetType": "AWS_LAMBDA", "targetArn": h.target_arn,
                            "status": status}),
                )
            })
            .collect()
    }

    /// The brief shape (ListServiceDeployments).
    pub fn brief(&self, service: &Service, t: f64) -> Value {
        let (status, reason) = self.status(t);
        let mut out = json!({
            "serviceDeploymentArn": self.arn,
            "serviceArn": service.arn,
            "clusterArn": service.cluster_arn,
            "createdAt": self.created_at,
            "startedAt": self.created_at,
            "targetServiceRevisionArn": self.target_revision,
            "status": status,
        });
        if let Some(reason) = reason {
            out["statusReason"] = json!(reason);
        }
        if let Some(at) = self.finished_at(t) {
            out["finishedAt"] = json!(at);
        }
        out
    }

    fn finished_at(&self, t: f64) -> Option<f64> {
        let at = match (&self.rollback, self.stopped_at) {
            (Some(r), _) => r.at + self.rollback_duration,
            (None, Some(at)) => at,
            (None, None) => self.timeline.finish,
        };
        (at <= t).then_some(at)
    }

    /// The full shape (DescribeServiceDeployments).
    pub fn describe(&self, service: &Service, t: f64) -> Value {
        let mut out = self.brief(service, t);
        let weight = match self.rollback {
            Some(_) if self.status(t).0 == "ROLLBACK_SUCCESSFUL" => 0.0,
            _ => self.timeline.traffic(self.clock(t)),
        };
        let test = if self
            .timeline
            .stage_start("TEST_TRAFFIC_SHIFT")
            .is_some_and(|s| s <= self.clock(t))
        {
            100.0
        } else {
            0.0
        };
        let running = service.run.running(t);
        out["strategy"] = json!(self.strategy);
        out["lifecycleStage"] = json!(self.stage(t));
        out["updatedAt"] = json!(t);
        out["deploymentConfiguration"] = self.configuration.clone();
        let mut hooks = self.hook_details(t);
        hooks.extend(self.pause_details(t));
        out["lifecycleHookDetails"] = json!(hooks);
        out["targetServiceRevision"] = json!({
            "arn": self.target_revision, "requestedTaskCount": service.run.desired(),
            "runningTaskCount": running, "pendingTaskCount": service.run.pending(t),
            "requestedTestTrafficWeight": test, "requestedProductionTrafficWeight": weight,
        });
        if let Some(source) = &self.source_revision {
            out["sourceServiceRevisions"] = json!([{
                "arn": source, "requestedTaskCount": 0, "runningTaskCount": 0, "pendingTaskCount": 0,
                "requestedTestTrafficWeight": 100.0 - test, "requestedProductionTrafficWeight": 100.0 - weight,
            }]);
        }
        if let Some(r) = &self.rollback {
            out["rollback"] = json!({"reason": r.reason, "startedAt": r.at,
                                     "serviceRevisionArn": self.source_revision});
        }
        if let Some(at) = self.stopped_at.filter(|at| *at <= t) {
            out["stoppedAt"] = json!(at);
        }
        out
    }

    /// When it started (epoch seconds).
    pub fn created_at(&self) -> f64 {
        self.created_at
    }

    /// Whether StopServiceDeployment may stop it at `t` (ongoing or pending).
    pub fn stoppable(&self, t: f64) -> bool {
        matches!(self.status(t).0, "IN_PROGRESS" | "ROLLBACK_IN_PROGRESS")
    }
}

/// Starts the service deployment of the deployment `deployment_id` just started at `now`, if the service's
/// strategy is not ROLLING.
pub fn begin(service: &mut Service, ctx: &Ctx, deployment_id: &str) {
    let Some(timeline) = Timeline::of(&service.config, ctx, ctx.now) else {
        return;
    };
    let number = deployment_id
        .rsplit('/')
        .next()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_default();
    let id = crate::ids::uuid(number).replace('-', "")[..22].to_owned();
    let configuration = service
        .config
        .get("deploymentConfiguration")
        .cloned()
        .unwrap_or_default();
    let hooks = configuration
        .get("lifecycleHooks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, h)| h["targetType"] != "PAUSE")
        .map(|(i, h)| Hook {
            id: format!("{id}-hook-{i}"),
            target_arn: h["hookTargetArn"].as_str().unwrap_or_default().to_owned(),
            stages: h["lifecycleStages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
        })
        .collect();
    let revision = |n: u64| {
        format!(
            "{}/{n}",
            service.arn.replacen(":service/", ":service-revision/", 1)
        )
    };
    let source_revision = service
        .service_deployments
        .last()
        .map(|d| d.target_revision.clone());
    for earlier in service
        .service_deployments
        .iter_mut()
        .filter(|d| !d.ended())
    {
        earlier.stopped_at = Some(ctx.now);
    }
    service.service_deployments.push(ServiceDeployment {
        arn: format!(
            "{}/{id}",
            service.arn.replacen(":service/", ":service-deployment/", 1)
        ),
        deployment_id: deployment_id.to_owned(),
        strategy: strategy(&service.config).unwrap_or_default().to_owned(),
        created_at: ctx.now,
        timeline,
        hooks,
        pauses: pauses::of(&configuration, &id, ctx),
        source_revision,
        target_revision: revision(number),
        configuration,
        rollback: None,
        stopped_at: None,
        swapped: false,
        rollback_duration: ctx.duration,
    });
    if service
        .service_deployments
        .last()
        .is_some_and(ServiceDeployment::pausing)
    {
        service.run.hold_primary(f64::INFINITY);
    }
}

/// Brings the service's newest service deployment up to `now`: a pause that timed out takes its time-out action,
/// a failing hook rolls it back, success swaps the target groups; then the rollout runs on.
pub fn settle(service: &mut Service, now: f64, ids: &mut Ids) {
    pauses::time_out(service, now, ids);
    if let Some(sd) = service
        .service_deployments
        .last_mut()
        .filter(|d| !d.ended())
    {
        let ours = service.run.primary_id() == Some(sd.deployment_id.as_str());
        // A pause holds the deployment's clock where it began.
        let now = sd.clock(now);
        match sd
            .hook_failure()
            .map(|(at, stage, h)| (at, stage, h.target_arn.clone()))
        {
            Some((at, stage, target)) if at <= now && at < sd.timeline.finish && ours => {
                service.run.advance(at, ids);
                let reason = format!(
                    "Service deployment rolled back because lifecycle hook {target} failed at stage {stage}."
                );
                service.run.abort(at, &reason, ids);
                sd.rollback = Some(Rollback { at, reason, stage });
            }
            _ if sd.timeline.finish <= now && ours => {
                sd.swapped = true;
                // A first deployment shifts no traffic from an older revision: nothing to swap.
                if sd.source_revision.is_some() {
                    swap_target_groups(&mut service.config);
                }
            }
            _ => {}
        }
    }
    service.run.advance(now, ids);
}

/// StopServiceDeployment with ROLLBACK at `now`.
pub fn stop(service: &mut Service, index: usize, now: f64, ids: &mut Ids) {
    let sd = &mut service.service_deployments[index];
    if sd.rollback.is_some() {
        return;
    }
    let stage = sd.stage(now);
    let reason = "Service deployment rolled back because of a stop request.".to_owned();
    sd.rollback = Some(Rollback {
        at: now,
        reason: reason.clone(),
        stage,
    });
    service.run.abort(now, &reason, ids);
}

/// After success the alternate target group serves production: each pair swaps roles.
fn swap_target_groups(config: &mut Map<String, Value>) {
    let Some(Value::Array(balancers)) = config.get_mut("loadBalancers") else {
        return;
    };
    for lb in balancers {
        let alternate = lb
            .pointer("/advancedConfiguration/alternateTargetGroupArn")
            .cloned();
        if let (Some(alternate), Some(current)) = (alternate, lb.get("targetGroupArn").cloned()) {
            lb["targetGroupArn"] = alternate;
            lb["advancedConfiguration"]["alternateTargetGroupArn"] = current;
        }
    }
}
