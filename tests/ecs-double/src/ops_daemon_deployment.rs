//! Daemon deployments as ECS reports them (DescribeDaemonDeployments, DescribeDaemonRevisions): a deployment's
//! status on the double's timeline, its circuit breaker, alarms and rollback (docs/ecs-behaviour.md, entries
//! 166-168). The operations that start deployments are in `ops_daemon`.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::state::Model;

/// One daemon deployment.
pub struct Deployment {
    pub arn: String,
    pub target: String,
    pub source: Option<String>,
    pub capacity_providers: Vec<String>,
    pub configuration: Value,
    pub created_at: f64,
    /// Its images cannot be pulled: the circuit breaker trips.
    pub fails: bool,
    pub stopped_at: Option<f64>,
}

impl Deployment {
    pub fn status(&self, ctx: &Ctx) -> &'static str {
        if self.stopped_at.is_some() {
            return "STOPPED";
        }
        let t = ctx.now - self.created_at;
        match (self.fails, t) {
            (false, t) if t < ctx.duration => "IN_PROGRESS",
            (false, _) => "SUCCESSFUL",
            (true, t) if t < ctx.duration / 2.0 => "IN_PROGRESS",
            (true, t) if t < ctx.duration => "ROLLBACK_IN_PROGRESS",
            (true, _) if self.source.is_some() => "ROLLBACK_SUCCESSFUL",
            (true, _) => "ROLLBACK_FAILED",
        }
    }

    fn render(&self, ctx: &Ctx, cluster_arn: &str, instances: i32) -> Value {
        let status = self.status(ctx);
        let revision = |arn: &str| {
            json!({"arn": arn, "totalRunningInstanceCount": instances,
            "capacityProviders": self.capacity_providers.iter().map(|p| json!({"arn": p})).collect::<Vec<_>>()})
        };
        let tripped = status.starts_with("ROLLBACK");
        let alarms = &self.configuration["alarms"];
        let mut out = json!({
            "daemonDeploymentArn": self.arn,
            "clusterArn": cluster_arn,
            "status": status,
            "targetDaemonRevision": revision(&self.target),
            "sourceDaemonRevisions": self.source.iter().map(|s| revision(s)).collect::<Vec<_>>(),
            "circuitBreaker": {"status": if tripped { "TRIGGERED" } else { "MONITORING" },
                "failureCount": if tripped { 3 } else { 0 }, "threshold": 3},
            "alarms": {"status": if alarms["enable"] == true { "MONITORING" } else { "DISABLED" },
                "alarmNames": alarms.get("alarmNames").cloned().unwrap_or(json!([]))},
            "deploymentConfiguration": self.configuration,
            "createdAt": self.created_at,
            "startedAt": self.created_at,
        });
        if tripped {
            out["statusReason"] =
                json!("The deployment circuit breaker was triggered: daemon tasks failed to start");
            out["rollback"] = json!({"reason": "Circuit breaker triggered: daemon tasks failed to start",
                "startedAt": self.created_at + ctx.duration / 2.0,
                "rollbackTargetDaemonRevisionArn": self.source});
        }
        if matches!(
            status,
            "SUCCESSFUL" | "ROLLBACK_SUCCESSFUL" | "ROLLBACK_FAILED"
        ) {
            out["finishedAt"] = json!(self.created_at + ctx.duration);
        }
        if let Some(at) = self.stopped_at {
            out["stoppedAt"] = json!(at);
        }
        out
    }

    /// The revision running once this deployment is over (or while it is stopped): its target, or, rolled back,
    /// its source.
    pub fn running(&self, ctx: &Ctx) -> Option<&str> {
        match self.status(ctx) {
            "SUCCESSFUL" => Some(&self.target),
            "IN_PROGRESS" | "STOPPED" if !self.fails => {
                self.source.as_deref().or(Some(&self.target))
            }
            _ => self.source.as_deref(),
        }
    }
}

/// DescribeDaemonDeployments: up to 20 ARNs; unknown ones are failures.
pub fn describe_deployments(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let arns = req.strings("daemonDeploymentArns")?.unwrap_or_default();
    if arns.is_empty() || arns.len() > 20 {
        return Err(ApiError::invalid(
            "daemonDeploymentArns must name 1 to 20 deployments.",
        ));
    }
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for arn in &arns {
        let hit = model.daemons.0.values().find_map(|d| {
            d.deployments
                .iter()
                .find(|x| &x.arn == arn)
                .map(|x| x.render(ctx, &model.cluster_arn(&d.cluster), ctx.container_instances))
        });
        match hit {
            Some(deployment) => found.push(deployment),
            None => failures.push(json!({"arn": arn, "reason": "MISSING"})),
        }
    }
    Ok(json!({"daemonDeployments": found, "failures": failures}))
}

/// DescribeDaemonRevisions.
pub fn describe_revisions(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let arns = req.strings("daemonRevisionArns")?.unwrap_or_default();
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for arn in &arns {
        let hit = model.daemons.0.values().find_map(|d| {
            d.revisions.iter().find(|r| &r.arn == arn).map(|r| {
                let mut out = json!({"daemonRevisionArn": r.arn, "clusterArn": model.cluster_arn(&d.cluster),
                    "daemonArn": d.arn, "daemonTaskDefinitionArn": r.daemon_task_definition_arn,
                    "createdAt": r.created_at});
                for (k, v) in &r.flags {
                    out[k] = v.clone();
                }
                out
            })
        });
        match hit {
            Some(revision) => found.push(revision),
            None => failures.push(json!({"arn": arn, "reason": "MISSING"})),
        }
    }
    Ok(json!({"daemonRevisions": found, "failures": failures}))
}
