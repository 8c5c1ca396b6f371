//! Managed daemon operations: CreateDaemon, DescribeDaemon, UpdateDaemon, DeleteDaemon and ListDaemons
//! (docs/ecs-behaviour.md, entries 163-169); deployments are in `ops_daemon_deployment`.
//!
//! - A daemon runs on ECS Managed Instances capacity providers of its cluster only; its name is unique among the
//!   cluster's daemons. After creation it is named by ARN only.
//! - Create and every update start a deployment of a new daemon revision; a newer deployment stops the one in
//!   progress. A deployment is IN_PROGRESS for one rollout duration, then SUCCESSFUL.
//! - A deployment of a revision whose images cannot be pulled trips the circuit breaker halfway through:
//!   ROLLBACK_IN_PROGRESS, then ROLLBACK_SUCCESSFUL back to the revision that ran before (ROLLBACK_FAILED when
//!   none did). Enabled alarms are reported as MONITORING.
//! - Delete makes the daemon DELETE_IN_PROGRESS for one rollout duration; then ECS no longer knows it.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::dispatch::Ctx;
use crate::ops_daemon_deployment::Deployment;
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::state::{ACCOUNT, Model, short_name};
use crate::tags::Tags;

/// The members of a daemon revision besides its daemon task definition.
const REVISION_FLAGS: [&str; 4] = [
    "propagateTags",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "critical",
];

/// One daemon revision: what a deployment deploys.
pub struct DaemonRevision {
    pub arn: String,
    pub daemon_task_definition_arn: String,
    pub flags: Map<String, Value>,
    pub created_at: f64,
}

/// One daemon.
pub struct Daemon {
    pub name: String,
    pub cluster: String,
    pub arn: String,
    pub capacity_providers: Vec<String>,
    pub revisions: Vec<DaemonRevision>,
    pub deployments: Vec<Deployment>,
    pub tags: Tags,
    pub created_at: f64,
    pub updated_at: f64,
    pub deleted_at: Option<f64>,
}

impl Daemon {
    /// `ACTIVE`, `DELETE_IN_PROGRESS`, or `None` once ECS no longer knows it.
    pub fn status(&self, ctx: &Ctx) -> Option<&'static str> {
        match self.deleted_at {
            None => Some("ACTIVE"),
            Some(at) if ctx.now < at + ctx.duration => Some("DELETE_IN_PROGRESS"),
            Some(_) => None,
        }
    }

    /// The revision running now.
    fn current(&self, ctx: &Ctx) -> Option<&str> {
        self.deployments.last().and_then(|d| d.running(ctx))
    }

    fn render(&self, ctx: &Ctx, model: &Model) -> Value {
        let instances = ctx.container_instances;
        let current: Vec<Value> = self
            .current(ctx)
            .into_iter()
            .map(|arn| {
                json!({"arn": arn, "totalRunningCount": instances * self.capacity_providers.len() as i32,
                    "totalWithoutDaemonCount": 0,
                    "capacityProviders": self.capacity_providers.iter()
                        .map(|p| json!({"arn": p, "runningCount": instances, "withoutDaemonCount": 0}))
                        .collect::<Vec<_>>()})
            })
            .collect();
        json!({
            "daemonArn": self.arn,
            "clusterArn": model.cluster_arn(&self.cluster),
            "status": self.status(ctx),
            "currentRevisions": current,
            "deploymentArn": self.deployments.last().map(|d| d.arn.clone()),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        })
    }
}

/// The daemons of the account and Region, by ARN.
#[derive(Default)]
pub struct Daemons(pub BTreeMap<String, Daemon>);

fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        "DaemonNotFoundException",
        format!("The daemon {arn} does not exist."),
    )
}

/// The known daemon of `arn`.
fn known<'a>(model: &'a Model, ctx: &Ctx, arn: &str) -> Result<&'a Daemon, ApiError> {
    model
        .daemons
        .0
        .get(arn)
        .filter(|d| d.status(ctx).is_some())
        .ok_or_else(|| not_found(arn))
}

/// The capacity providers of a request as ARNs: ACTIVE Managed Instances providers of `cluster`.
fn providers(model: &Model, req: &Request, cluster: &str) -> Result<Option<Vec<String>>, ApiError> {
    let Some(given) = req.strings("capacityProviderArns")? else {
        return Ok(None);
    };
    if given.is_empty() {
        return Err(ApiError::invalid("capacityProviderArns must not be empty."));
    }
    given
        .iter()
        .map(|ident| match model.capacity_providers.active(ident) {
            Some(p) if model.capacity_providers.is_managed_instances_of(&p.name, cluster) => {
                Ok(p.arn.clone())
            }
            Some(_) => Err(ApiError::invalid(format!(
                "ECS Managed Daemons is only supported for Amazon ECS Managed Instances capacity providers of the \
                 cluster: {ident}"
            ))),
            None => Err(ApiError::invalid(format!(
                "The specified capacity provider does not exist: {ident}"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A new revision and its deployment for `daemon` (not yet in the model).
fn deploy(
    model: &mut Model,
    ctx: &Ctx,
    req: &Request,
    daemon: &Daemon,
    definition: &str,
    previous: Option<&Map<String, Value>>,
) -> Result<(DaemonRevision, Deployment), ApiError> {
    let revision = model
        .daemon_task_definitions
        .get(definition)
        .filter(|r| r.status(ctx) == "ACTIVE")
        .ok_or_else(|| {
            ApiError::client(format!(
                "The daemon task definition {definition} does not exist or is not ACTIVE."
            ))
        })?;
    let fails = !revision.images_pull() && ctx.holds(crate::settings::Broken::DaemonRollback);
    let definition_arn = revision.arn.clone();
    let mut flags = previous.cloned().unwrap_or_default();
    for member in REVISION_FLAGS {
        if let Some(value) = req.value(member) {
            flags.insert(member.to_owned(), value.clone());
        }
    }
    let id = model.ids.deployment();
    let path = format!("{}/{}/{id}", daemon.cluster, daemon.name);
    let region = &model.region;
    let revision = DaemonRevision {
        arn: format!("arn:aws:ecs:{region}:{ACCOUNT}:daemon-revision/{path}"),
        daemon_task_definition_arn: definition_arn,
        flags,
        created_at: ctx.now,
    };
    let configuration = req
        .value("deploymentConfiguration")
        .cloned()
        .or_else(|| daemon.deployments.last().map(|d| d.configuration.clone()))
        .unwrap_or_else(|| json!({"bakeTimeInMinutes": 0, "drainPercent": 25.0}));
    let deployment = Deployment {
        arn: format!("arn:aws:ecs:{region}:{ACCOUNT}:daemon-deployment/{path}"),
        target: revision.arn.clone(),
        source: daemon.current(ctx).map(str::to_owned),
        capacity_providers: daemon.capacity_providers.clone(),
        configuration,
        created_at: ctx.now,
        fails,
        stopped_at: None,
    };
    Ok((revision, deployment))
}

fn answer(daemon: &Daemon, ctx: &Ctx) -> Value {
    json!({"daemonArn": daemon.arn, "status": daemon.status(ctx), "createdAt": daemon.created_at,
        "updatedAt": daemon.updated_at, "deploymentArn": daemon.deployments.last().map(|d| d.arn.clone())})
}

/// CreateDaemon.
pub fn create(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let name = req.required_str("daemonName")?.to_owned();
    crate::validate::name("Daemon", &name)?;
    let definition = req.required_str("daemonTaskDefinitionArn")?.to_owned();
    let cluster = model.active_cluster(req.str("clusterArn")?)?.name.clone();
    let capacity_providers = providers(model, req, &cluster)?
        .ok_or_else(|| ApiError::client("Member capacityProviderArns is required."))?;
    let arn = format!(
        "arn:aws:ecs:{}:{ACCOUNT}:daemon/{cluster}/{name}",
        model.region
    );
    if model
        .daemons
        .0
        .get(&arn)
        .is_some_and(|d| d.status(ctx).is_some())
    {
        return Err(ApiError::invalid(format!(
            "A daemon named {name} already exists in the cluster {cluster}."
        )));
    }
    let mut daemon = Daemon {
        name,
        cluster,
        arn: arn.clone(),
        capacity_providers,
        revisions: Vec::new(),
        deployments: Vec::new(),
        tags: Tags::from_request(req, "tags")?,
        created_at: ctx.now,
        updated_at: ctx.now,
        deleted_at: None,
    };
    let (revision, deployment) = deploy(model, ctx, req, &daemon, &definition, None)?;
    daemon.revisions.push(revision);
    daemon.deployments.push(deployment);
    let out = answer(&daemon, ctx);
    model.daemons.0.insert(arn, daemon);
    Ok(out)
}

/// UpdateDaemon: a new revision and deployment; what the request leaves out stays as it was.
pub fn update(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let arn = req.required_str("daemonArn")?.to_owned();
    let daemon = known(model, ctx, &arn)?;
    if daemon.status(ctx) != Some("ACTIVE") {
        return Err(ApiError::new(
            "DaemonNotActiveException",
            format!("The daemon {arn} is not ACTIVE."),
        ));
    }
    let cluster = daemon.cluster.clone();
    let last = daemon.revisions.last();
    let definition = match req.str("daemonTaskDefinitionArn")? {
        Some(given) => given.to_owned(),
        None => last
            .map(|r| r.daemon_task_definition_arn.clone())
            .unwrap_or_default(),
    };
    let previous = last.map(|r| r.flags.clone());
    let capacity_providers = providers(model, req, &cluster)?;
    let daemon = model
        .daemons
        .0
        .remove(&arn)
        .ok_or_else(|| not_found(&arn))?;
    let mut daemon = daemon;
    if let Some(providers) = capacity_providers {
        daemon.capacity_providers = providers;
    }
    let deployed = deploy(model, ctx, req, &daemon, &definition, previous.as_ref());
    let result = deployed.map(|(revision, deployment)| {
        for running in &mut daemon.deployments {
            if running.stopped_at.is_none() && running.status(ctx).ends_with("IN_PROGRESS") {
                running.stopped_at = Some(ctx.now);
            }
        }
        daemon.revisions.push(revision);
        daemon.deployments.push(deployment);
        daemon.updated_at = ctx.now;
        answer(&daemon, ctx)
    });
    model.daemons.0.insert(arn, daemon);
    result
}

/// DeleteDaemon.
pub fn delete(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let arn = req.required_str("daemonArn")?.to_owned();
    if known(model, ctx, &arn)?.status(ctx) != Some("ACTIVE") {
        return Err(ApiError::new(
            "DaemonNotActiveException",
            format!("The daemon {arn} is not ACTIVE."),
        ));
    }
    let daemon = model
        .daemons
        .0
        .get_mut(&arn)
        .ok_or_else(|| not_found(&arn))?;
    daemon.deleted_at = Some(ctx.now);
    daemon.updated_at = ctx.now;
    Ok(answer(daemon, ctx))
}

/// DescribeDaemon.
pub fn describe(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let arn = req.required_str("daemonArn")?;
    let daemon = known(model, ctx, arn)?;
    Ok(json!({"daemon": daemon.render(ctx, model)}))
}

/// ListDaemons: the daemons of a cluster (the default one when none is named).
pub fn list(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let cluster = short_name(Model::cluster_name(req.str("clusterArn")?)).to_owned();
    let found: Vec<Value> = model
        .daemons
        .0
        .values()
        .filter(|d| d.cluster == cluster)
        .filter_map(|d| {
            d.status(ctx).map(|status| {
                json!({"daemonArn": d.arn, "status": status, "createdAt": d.created_at,
                    "updatedAt": d.updated_at})
            })
        })
        .collect();
    Ok(json!({"daemonSummariesList": found}))
}

#[cfg(test)]
#[path = "ops_daemon_tests.rs"]
mod tests;
