//! What the operator would do for one manifest, from the operator's own pure plan functions: the field-level
//! differences from ECS and the AWS calls. Pure, so every summary is unit-tested.

use serde_json::{Value, json};

use crate::api::common::{Drift, OWNER_TAG, UID_TAG};
use crate::api::service::DesiredCountPolicy;
use crate::api::service_revision_fields::SentRevisionFields;
use crate::api::{EcsService, Tags, TaskDefinition};
use crate::controllers::compare::differences;
use crate::controllers::service::observe::drift as service_drift;
use crate::controllers::service::plan::{Desired, ServiceAction, plan};
use crate::controllers::task_definition::normalize::normalize;
use crate::ecs::service::ObservedService;
use crate::ecs::task_definition::ObservedRevision;
use crate::reconcile::ownership::tag_changes_since;
use crate::reconcile::read_only::is_read_only;

/// What applying one manifest would do in AWS.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObjectDiff {
    /// `Kind name`, such as `EcsService web`.
    pub object: String,
    /// The ECS object, such as `service web in cluster main`.
    pub ecs: String,
    /// In short: `nothing`, `create`, `new revision`, `deployment`, `new revision + deployment`, `update`, `tags`.
    pub headline: String,
    /// Fields where ECS differs from the spec.
    pub drift: Vec<Drift>,
    /// The AWS calls the operator would make, one line each.
    pub calls: Vec<String>,
    /// Observe-only: the drift is shown, no call is made.
    pub read_only: bool,
    /// Why the operator would refuse the manifest (it would make no call).
    pub refusal: Option<String>,
}

/// Nothing changes.
pub const NOTHING: &str = "nothing";

impl ObjectDiff {
    /// Whether applying the manifest would change something in AWS.
    pub fn changes(&self) -> bool {
        !self.read_only && !self.calls.is_empty()
    }

    /// Fills the call-derived parts, or keeps only the drift for a read-only object.
    pub fn finish(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        if read_only {
            self.headline = if self.drift.is_empty() {
                NOTHING.to_owned()
            } else {
                "read-only: drift shown, nothing changed".to_owned()
            };
            self.calls.clear();
        } else if self.calls.is_empty() && self.refusal.is_none() {
            self.headline = NOTHING.to_owned();
        } else if self.headline.is_empty() {
            self.headline = "update".to_owned();
        }
        self
    }
}

/// The tags the operator wants on an ECS object: the user's plus the ownership tags. An ECS object whose owner
/// tag already names this manifest keeps the uid it carries; any other gets the tags of an adoption.
pub fn wanted_tags(user: &Tags, observed: &Tags, owner: &str) -> Tags {
    let mut tags = user.clone();
    tags.insert(OWNER_TAG.to_owned(), owner.to_owned());
    let uid = match observed.get(OWNER_TAG) {
        Some(found) if found == owner => observed.get(UID_TAG).cloned().unwrap_or_default(),
        _ => "<uid of the applied object>".to_owned(),
    };
    tags.insert(UID_TAG.to_owned(), uid);
    tags
}

/// The line of a TagResource call, or none.
pub fn tag_call(wanted: &Tags, observed: &Tags, arn: &str) -> Option<String> {
    let (set, _) = tag_changes_since(wanted, observed, &[]);
    let adoption = set.contains_key(UID_TAG);
    let keys: Vec<&str> = set.keys().map(String::as_str).collect();
    (!keys.is_empty()).then(|| {
        let why = if adoption { " (adoption)" } else { "" };
        format!("TagResource {arn}: {}{why}", keys.join(", "))
    })
}

/// Drift in both directions: what the spec sets that ECS has otherwise, and what ECS has that the spec leaves
/// out (for a kind whose spec is the whole content).
fn both_ways(observed: &Value, desired: &Value) -> Vec<Drift> {
    let mut drift = differences(observed, desired);
    for missing in differences(desired, observed) {
        if !drift.iter().any(|d| d.path == missing.path) {
            drift.push(Drift {
                path: missing.path,
                spec: missing.ecs,
                ecs: missing.spec,
            });
        }
    }
    drift
}

/// A task definition's plan against the newest ACTIVE revision of its family, and the revision a service that
/// references it would run (`family:N` of a revision still to register).
pub fn task_definition(
    td: &TaskDefinition,
    family: &str,
    owner: &str,
    latest: Option<&ObservedRevision>,
) -> (ObjectDiff, String) {
    let mut diff = ObjectDiff {
        object: format!(
            "TaskDefinition {}",
            td.metadata.name.clone().unwrap_or_default()
        ),
        ecs: format!("task definition family {family}"),
        ..Default::default()
    };
    let Some(latest) = latest else {
        diff.headline = "create".to_owned();
        diff.calls.push(format!(
            "RegisterTaskDefinition {family} (revision 1 of a new family)"
        ));
        return (diff.finish(is_read_only(td)), format!("{family}:1"));
    };
    let desired = normalize(&td.spec.ecs_content());
    let current = normalize(&latest.content);
    diff.drift = both_ways(&current, &desired);
    diff.drift.extend(differences(
        &json!({"tags": latest.tags}),
        &json!({"tags": td.spec.tags}),
    ));
    let mut runs = latest.arn.clone();
    if current != desired {
        let next = latest.revision + 1;
        diff.headline = "new revision".to_owned();
        diff.calls.push(format!(
            "RegisterTaskDefinition {family} (new revision {next}; ECS has {})",
            latest.revision
        ));
        runs = format!("{family}:{next}");
    } else {
        let wanted = wanted_tags(&td.spec.tags, &latest.tags, owner);
        if let Some(call) = tag_call(&wanted, &latest.tags, &latest.arn) {
            diff.headline = "tags".to_owned();
            diff.calls.push(call);
        }
    }
    (diff.finish(is_read_only(td)), runs)
}

/// A service's plan; `task_definition` is what its reference resolves to and `new_revision` says whether that
/// revision is still to be registered.
pub fn service(
    svc: &EcsService,
    ecs: String,
    owner: &str,
    task_definition: &str,
    new_revision: bool,
    observed: Option<&ObservedService>,
) -> ObjectDiff {
    let mut diff = ObjectDiff {
        object: format!(
            "EcsService {}",
            svc.metadata.name.clone().unwrap_or_default()
        ),
        ecs,
        ..Default::default()
    };
    let enforce = svc.spec.desired_count_policy == DesiredCountPolicy::Enforce
        && svc.spec.auto_scaling.is_none();
    let empty = Tags::new();
    // A read-only object is never tagged; the drift compares the user's tags only (the ownership tags of an
    // adoption are calls, not drift).
    let tags = if is_read_only(svc) {
        svc.spec.tags.clone()
    } else {
        wanted_tags(&svc.spec.tags, observed.map_or(&empty, |o| &o.tags), owner)
    };
    // A manifest has no record of what was sent: the operator sends these fields at its first update, as here.
    let never_sent = SentRevisionFields::default();
    let desired = Desired {
        spec: &svc.spec,
        sent: &never_sent,
        task_definition,
        tags: &tags,
        applied_tag_keys: &[],
        restart_requested: false,
        enforce_desired_count: enforce,
        redeploy_blocked: false,
    };
    if let Some(observed) = observed {
        let user_tags = Desired {
            tags: &svc.spec.tags,
            ..desired
        };
        diff.drift = service_drift(&user_tags, observed);
    }
    match plan(&desired, observed) {
        Err(refusal) => {
            diff.headline = "refused".to_owned();
            diff.refusal = Some(refusal);
        }
        Ok(actions) => {
            let mut headline = Vec::new();
            for action in actions {
                let (call, what) = service_call(&action, new_revision);
                diff.calls.push(call);
                if !headline.contains(&what) {
                    headline.push(what);
                }
            }
            diff.headline = headline.join(", ");
        }
    }
    diff.finish(is_read_only(svc))
}

/// One service call as a line, and its headline.
fn service_call(action: &ServiceAction, new_revision: bool) -> (String, String) {
    match action {
        ServiceAction::Create => ("CreateService".to_owned(), "create".to_owned()),
        ServiceAction::Tag(tags) => {
            let keys: Vec<&str> = tags.keys().map(String::as_str).collect();
            (
                format!("TagResource: {}", keys.join(", ")),
                "tags".to_owned(),
            )
        }
        ServiceAction::Untag(keys) => (
            format!("UntagResource: {}", keys.join(", ")),
            "tags".to_owned(),
        ),
        ServiceAction::Update(update) => {
            let fields: Vec<String> = serde_json::to_value(update)
                .ok()
                .and_then(|v| v.as_object().map(|m| m.keys().cloned().collect()))
                .unwrap_or_default();
            let deploys = update.starts_deployment();
            let headline = match (update.task_definition.is_some() && new_revision, deploys) {
                (true, _) => "new revision + deployment",
                (false, true) => "deployment",
                (false, false) => "update",
            };
            let note = if deploys {
                " (starts a deployment)"
            } else {
                ""
            };
            (
                format!("UpdateService {}{note}", fields.join(", ")),
                headline.to_owned(),
            )
        }
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
