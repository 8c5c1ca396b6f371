//! Observe-only task definitions (`ecsbridge.dev/read-only`): the ACTIVE revision of the family whose content is
//! the spec's (the newest, else the one shown before, else the newest such of the last few), else the newest one
//! with where it differs. A service that runs revision N of a family is matched by an object whose spec is
//! revision N's content, also when the family has newer revisions. Nothing is registered or tagged.

use serde_json::{Value, json};

use crate::api::common::Drift;
use crate::api::{TaskDefinition, TaskDefinitionStatus};
use crate::controllers::compare::differences;
use crate::ecs::task_definition::ObservedRevision;
use crate::reconcile::read_only::Observed;
use crate::reconcile::{Context, Error};

use super::normalize::normalize;
use super::registered;
use super::validate::family;

/// How many older ACTIVE revisions are looked at for one that holds the spec's content.
const OLDER_REVISIONS_LOOKED_AT: usize = 10;

/// The revision of the family that the object observes, with its status, readiness and drift.
pub async fn observe(
    td: &TaskDefinition,
    ctx: &Context,
) -> Result<Option<Observed<TaskDefinitionStatus>>, Error> {
    let family = family(td);
    let Some(newest) = ctx.ecs.describe_task_definition(&family).await? else {
        return Ok(None);
    };
    // The content as ECS normalises it (defaults, order).
    let desired = normalize(&td.spec.ecs_content());
    let observed = match content_drift(&newest, &desired).is_empty() {
        true => newest,
        false => match older_match(td, ctx, &family, newest.revision, &desired).await? {
            Some(older) => older,
            None => newest,
        },
    };
    let mut drift = content_drift(&observed, &desired);
    drift.extend(differences(
        &json!({"tags": observed.tags}),
        &json!({"tags": td.spec.tags}),
    ));
    let status = TaskDefinitionStatus {
        family: Some(family.clone()),
        revision: Some(observed.revision),
        arn: Some(observed.arn.clone()),
        latest_arn: Some(observed.arn.clone()),
        ..Default::default()
    };
    Ok(Some(Observed {
        status,
        conditions: vec![registered(observed.revision, &family)],
        drift,
    }))
}

fn content_drift(revision: &ObservedRevision, desired: &Value) -> Vec<Drift> {
    differences(&normalize(&revision.content), desired)
}

/// An ACTIVE revision older than the newest whose content is the spec's: the one shown before first, then the
/// newest of the last few.
async fn older_match(
    td: &TaskDefinition,
    ctx: &Context,
    family: &str,
    newest: i32,
    desired: &Value,
) -> Result<Option<ObservedRevision>, Error> {
    let shown = td
        .status
        .as_ref()
        .and_then(|s| s.revision)
        .filter(|r| *r < newest);
    if let Some(revision) = shown
        && let Some(found) = holding(ctx, family, revision, desired).await?
    {
        return Ok(Some(found));
    }
    let active = ctx.ecs.list_active_revisions(family).await?;
    let older: Vec<i32> = active
        .iter()
        .rev()
        .filter_map(|arn| crate::ecs::task_definition::revision_of(arn))
        .filter(|r| *r < newest && Some(*r) != shown)
        .take(OLDER_REVISIONS_LOOKED_AT)
        .collect();
    for revision in older {
        if let Some(found) = holding(ctx, family, revision, desired).await? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Revision `revision` of the family, if it is ACTIVE and holds the spec's content.
async fn holding(
    ctx: &Context,
    family: &str,
    revision: i32,
    desired: &Value,
) -> Result<Option<ObservedRevision>, Error> {
    let found = ctx
        .ecs
        .describe_task_definition(&format!("{family}:{revision}"))
        .await?;
    Ok(found.filter(|f| f.status == "ACTIVE" && content_drift(f, desired).is_empty()))
}
