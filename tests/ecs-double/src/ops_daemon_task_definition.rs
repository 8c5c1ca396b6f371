//! Daemon task definition operations: RegisterDaemonTaskDefinition, DescribeDaemonTaskDefinition,
//! ListDaemonTaskDefinitions and DeleteDaemonTaskDefinition (docs/ecs-behaviour.md, entries 161-162).
//!
//! - Revisions of a family are numbered from 1, one more each registration, whatever the content.
//! - DeleteDaemonTaskDefinition takes only an ACTIVE revision; it is DELETE_IN_PROGRESS for one rollout duration,
//!   then DELETED. Daemons that run it keep running.
//! - A revision whose images come from a registry under `.invalid` (RFC 2606) never starts: a daemon deployment
//!   of it fails (see `ops_daemon`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::dispatch::Ctx;
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::state::{ACCOUNT, Model};
use crate::tags::Tags;

/// The members of a registration that are the revision's content.
const CONTENT: [&str; 9] = [
    "taskRoleArn",
    "executionRoleArn",
    "containerDefinitions",
    "cpu",
    "memory",
    "volumes",
    "pidMode",
    "ipcMode",
    "family",
];

/// One revision of a daemon task definition family.
pub struct DaemonRevision {
    pub arn: String,
    pub revision: i32,
    pub body: Map<String, Value>,
    pub tags: Tags,
    pub registered_at: f64,
    pub delete_requested_at: Option<f64>,
}

impl DaemonRevision {
    pub fn status(&self, ctx: &Ctx) -> &'static str {
        match self.delete_requested_at {
            None => "ACTIVE",
            Some(at) if ctx.now < at + ctx.duration => "DELETE_IN_PROGRESS",
            Some(_) => "DELETED",
        }
    }

    /// Whether every image can be pulled (not from a registry under `.invalid`).
    pub fn images_pull(&self) -> bool {
        let containers = self
            .body
            .get("containerDefinitions")
            .and_then(Value::as_array);
        containers.into_iter().flatten().all(|c| {
            let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
            image
                .split('/')
                .next()
                .is_none_or(|host| !host.ends_with(".invalid"))
        })
    }

    fn render(&self, ctx: &Ctx) -> Value {
        let mut out = Value::Object(self.body.clone());
        out["daemonTaskDefinitionArn"] = json!(self.arn);
        out["revision"] = json!(self.revision);
        out["status"] = json!(self.status(ctx));
        out["registeredAt"] = json!(self.registered_at);
        if let Some(at) = self.delete_requested_at {
            out["deleteRequestedAt"] = json!(at);
        }
        out
    }
}

/// The daemon task definition families of the account and Region: family -> revisions, oldest first.
#[derive(Default)]
pub struct DaemonTaskDefinitions(pub BTreeMap<String, Vec<DaemonRevision>>);

impl DaemonTaskDefinitions {
    /// The revision an ARN or `family:revision` names.
    pub fn get(&self, ident: &str) -> Option<&DaemonRevision> {
        let name = ident
            .split_once(":daemon-task-definition/")
            .map_or(ident, |(_, rest)| rest);
        let (family, revision) = name.split_once(':')?;
        let revision: i32 = revision.parse().ok()?;
        self.0.get(family)?.iter().find(|r| r.revision == revision)
    }

    fn get_mut(&mut self, ident: &str) -> Option<&mut DaemonRevision> {
        let arn = self.get(ident)?.arn.clone();
        self.0.values_mut().flatten().find(|r| r.arn == arn)
    }

    /// The tags of the revision of `arn`.
    pub fn tags_mut(&mut self, arn: &str) -> Option<&mut Tags> {
        self.get_mut(arn).map(|r| &mut r.tags)
    }
}

fn not_found(ident: &str) -> ApiError {
    ApiError::client(format!(
        "The specified daemon task definition does not exist: {ident}"
    ))
}

/// RegisterDaemonTaskDefinition.
pub fn register(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let family = req.required_str("family")?.to_owned();
    crate::validate::name("Family", &family)?;
    let containers = req.objects("containerDefinitions")?.unwrap_or_default();
    if containers.is_empty() || containers.len() > 10 {
        return Err(ApiError::client(
            "A daemon task definition must have 1 to 10 containerDefinitions.",
        ));
    }
    for container in &containers {
        for member in ["name", "image"] {
            if !container.get(member).is_some_and(Value::is_string) {
                return Err(ApiError::client(format!(
                    "Container.{member} should not be null or empty."
                )));
            }
        }
    }
    let body: Map<String, Value> = CONTENT
        .iter()
        .filter_map(|m| req.value(m).map(|v| ((*m).to_owned(), v.clone())))
        .collect();
    let tags = Tags::from_request(req, "tags")?;
    let revisions = model
        .daemon_task_definitions
        .0
        .entry(family.clone())
        .or_default();
    let revision = revisions.last().map_or(1, |r| r.revision + 1);
    let arn = format!(
        "arn:aws:ecs:{}:{ACCOUNT}:daemon-task-definition/{family}:{revision}",
        model.region
    );
    revisions.push(DaemonRevision {
        arn: arn.clone(),
        revision,
        body,
        tags,
        registered_at: ctx.now,
        delete_requested_at: None,
    });
    Ok(json!({"daemonTaskDefinitionArn": arn}))
}

/// DescribeDaemonTaskDefinition.
pub fn describe(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let ident = req.required_str("daemonTaskDefinition")?;
    let revision = model
        .daemon_task_definitions
        .get(ident)
        .ok_or_else(|| not_found(ident))?;
    Ok(json!({"daemonTaskDefinition": revision.render(ctx)}))
}

/// ListDaemonTaskDefinitions: by exact `family` or `familyPrefix`, by status (ACTIVE unless asked otherwise).
pub fn list(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let family = req.str("family")?;
    let prefix = req.str("familyPrefix")?.unwrap_or_default();
    let status = req.str("status")?.unwrap_or("ACTIVE");
    let descending = req.str("sort")? == Some("DESC");
    let mut found: Vec<Value> = model
        .daemon_task_definitions
        .0
        .iter()
        .filter(|(name, _)| family.is_none_or(|f| f == *name) && name.starts_with(prefix))
        .flat_map(|(_, revisions)| revisions)
        .filter(|r| status == "ALL" || r.status(ctx) == status)
        .map(|r| {
            json!({"arn": r.arn, "registeredAt": r.registered_at, "status": r.status(ctx),
                "deleteRequestedAt": r.delete_requested_at})
        })
        .collect();
    if descending {
        found.reverse();
    }
    Ok(json!({"daemonTaskDefinitions": found}))
}

/// DeleteDaemonTaskDefinition.
pub fn delete(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let ident = req.required_str("daemonTaskDefinition")?;
    let revision = model
        .daemon_task_definitions
        .get_mut(ident)
        .ok_or_else(|| not_found(ident))?;
    if revision.status(ctx) != "ACTIVE" {
        return Err(ApiError::client(
            "A daemon task definition must be in an ACTIVE state to be deleted.",
        ));
    }
    revision.delete_requested_at = Some(ctx.now);
    Ok(json!({"daemonTaskDefinitionArn": revision.arn}))
}
