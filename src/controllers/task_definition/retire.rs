//! Retiring revisions this object no longer needs: the history past `revisionHistoryLimit` and, on deletion, all
//! of them — never one that something still uses — and, with `deleteDeregisteredRevisions`, deleting this
//! object's INACTIVE revisions (also those an earlier attempt left behind).

use std::time::Duration;

use kube::ResourceExt;

use crate::api::TaskDefinition;
use crate::ecs::task_definition::revision_of;
use crate::reconcile::ownership::{Ownership, classify};
use crate::reconcile::{Cleanup, Context, Error, Note};

use super::history;
use super::in_use::InUse;

/// The ACTIVE revisions after retiring, and what to tell the user.
pub struct Retired {
    pub active: Vec<i32>,
    pub notes: Vec<Note>,
}

/// Deregisters this object's revisions past the history limit that nothing uses; trims nothing when what is in
/// use cannot be found out.
pub async fn trim_history(
    td: &TaskDefinition,
    ctx: &Context,
    family: &str,
    current: i32,
) -> Result<Retired, Error> {
    let arns = ctx.ecs.list_active_revisions(family).await?;
    let mut active: Vec<i32> = arns.iter().filter_map(|arn| revision_of(arn)).collect();
    let limit = td.spec.revision_history_limit();
    let mut notes = Vec::new();
    let candidates = history::expired_revisions(&active, current, limit, &Default::default());
    if !candidates.is_empty() {
        match InUse::scan(ctx, family, &td.namespace().unwrap_or_default()).await {
            Ok(in_use) => {
                let expired = history::expired_revisions(&active, current, limit, &in_use.revisions());
                let gone = deregister_ours(td, ctx, &arns, &expired).await?;
                if !gone.is_empty() {
                    notes.push(Note::normal(
                        "Deregistered",
                        format!(
                            "deregistered revisions {} of {family} (revisionHistoryLimit {limit})",
                            revisions_text(&gone)
                        ),
                    ));
                }
                active.retain(|rev| !gone.contains(rev));
            }
            Err(e) => notes.push(Note::warning(
                "HistoryNotTrimmed",
                format!("could not find out which revisions of {family} are in use, so none was deregistered: {e}"),
            )),
        }
    }
    notes.extend(sweep_inactive(td, ctx, family).await?);
    Ok(Retired { active, notes })
}

/// On deletion: deregisters this object's ACTIVE revisions that nothing uses and says which it kept and why. A
/// revision used only by what is going away by itself (a DRAINING service, an `EcsService` being deleted with
/// it) is waited for, so deleting services and their task definitions at once leaves no revision behind.
pub async fn retire_all(
    td: &TaskDefinition,
    ctx: &Context,
    family: &str,
) -> Result<Cleanup, Error> {
    let arns = ctx.ecs.list_active_revisions(family).await?;
    let in_use = InUse::scan(ctx, family, &td.namespace().unwrap_or_default()).await?;
    let revisions: Vec<i32> = arns.iter().filter_map(|arn| revision_of(arn)).collect();
    let (kept, unused): (Vec<i32>, Vec<i32>) =
        revisions.into_iter().partition(|rev| in_use.contains(*rev));
    let gone = deregister_ours(td, ctx, &arns, &unused).await?;
    let kept_ours = ours(td, ctx, &arns, &kept).await?;
    let why = |revisions: &[i32]| -> String {
        let each: Vec<String> = revisions
            .iter()
            .map(|rev| format!("{rev} (used by {})", in_use.users(*rev)))
            .collect();
        each.join("; ")
    };
    let leaving: Vec<i32> = kept_ours
        .iter()
        .copied()
        .filter(|rev| in_use.only_leaving(*rev))
        .collect();
    if !leaving.is_empty() {
        return Ok(Cleanup::Waiting(format!(
            "waiting for what uses revisions of {family} to go away before deregistering them: {}",
            why(&leaving)
        )));
    }
    let namespace = td.namespace().unwrap_or_default();
    let neighbours: Vec<i32> = kept_ours
        .iter()
        .copied()
        .filter(|rev| in_use.used_by_staying_neighbour(*rev, &namespace))
        .collect();
    if !neighbours.is_empty() && deleted_within(td, NEIGHBOUR_GRACE) {
        return Ok(Cleanup::Waiting(format!(
            "waiting up to {} s for the EcsServices of this namespace that use revisions of {family}, in case \
             they are being deleted too: {}",
            NEIGHBOUR_GRACE.as_secs(),
            why(&neighbours)
        )));
    }
    let mut notes = vec![Note::normal(
        "Deleted",
        match gone.is_empty() {
            true => format!("no unused ACTIVE revision of {family} belonged to this object"),
            false => format!(
                "deregistered revisions {} of {family}",
                revisions_text(&gone)
            ),
        },
    )];
    if !kept_ours.is_empty() {
        notes.push(Note::warning(
            "RevisionsKept",
            format!(
                "kept revisions of {family} still in use ACTIVE: {}",
                why(&kept_ours)
            ),
        ));
    }
    notes.extend(sweep_inactive(td, ctx, family).await?);
    Ok(Cleanup::Done(notes))
}

/// How long a task definition (or a daemon task definition) being deleted waits for the `EcsService` (or
/// `EcsDaemon`) objects of its namespace that use its revisions to be deleted too: a namespace being deleted, or
/// `kubectl delete -f` of one file, reaches every object within seconds, in no set order.
pub const NEIGHBOUR_GRACE: Duration = Duration::from_secs(20);

/// Whether the object's deletion began less than `grace` ago.
pub fn deleted_within<K: kube::Resource>(obj: &K, grace: Duration) -> bool {
    obj.meta().deletion_timestamp.as_ref().is_some_and(|since| {
        let elapsed = jiff::Timestamp::now().duration_since(since.0);
        elapsed < jiff::SignedDuration::try_from(grace).unwrap_or(jiff::SignedDuration::MAX)
    })
}

/// With `deleteDeregisteredRevisions`: deletes this object's INACTIVE revisions; refusals are a warning.
async fn sweep_inactive(
    td: &TaskDefinition,
    ctx: &Context,
    family: &str,
) -> Result<Vec<Note>, Error> {
    if !td.spec.delete_deregistered_revisions {
        return Ok(Vec::new());
    }
    let arns = ctx.ecs.list_inactive_revisions(family).await?;
    let revisions: Vec<i32> = arns.iter().filter_map(|arn| revision_of(arn)).collect();
    let owned = ours(td, ctx, &arns, &revisions).await?;
    if owned.is_empty() {
        return Ok(Vec::new());
    }
    let failures = ctx
        .ecs
        .delete_task_definitions(&arns_of(&arns, &owned))
        .await?;
    if failures.is_empty() {
        return Ok(vec![Note::normal(
            "DeletedRevisions",
            format!(
                "deleted deregistered revisions {} of {family}",
                revisions_text(&owned)
            ),
        )]);
    }
    let reasons: Vec<String> = failures
        .iter()
        .map(|f| format!("{}: {}", f.arn, f.reason))
        .collect();
    Ok(vec![Note::warning(
        "RevisionsNotDeleted",
        format!("ECS did not delete {}", reasons.join("; ")),
    )])
}

/// Deregisters those of `revisions` that carry this object's tags; returns them.
async fn deregister_ours(
    td: &TaskDefinition,
    ctx: &Context,
    arns: &[String],
    revisions: &[i32],
) -> Result<Vec<i32>, Error> {
    let owned = ours(td, ctx, arns, revisions).await?;
    for arn in arns_of(arns, &owned) {
        ctx.ecs.deregister_task_definition(&arn).await?;
    }
    Ok(owned)
}

/// Those of `revisions` (found among `arns`) that carry this object's tags.
async fn ours(
    td: &TaskDefinition,
    ctx: &Context,
    arns: &[String],
    revisions: &[i32],
) -> Result<Vec<i32>, Error> {
    let mut owned = Vec::new();
    for revision in revisions {
        let Some(arn) = arns_of(arns, &[*revision]).pop() else {
            continue;
        };
        if classify(td, &ctx.ecs.list_tags(&arn).await?) == Ownership::Ours {
            owned.push(*revision);
        }
    }
    Ok(owned)
}

/// The ARNs among `arns` of `revisions`, in the order of `revisions`.
fn arns_of(arns: &[String], revisions: &[i32]) -> Vec<String> {
    revisions
        .iter()
        .filter_map(|rev| {
            arns.iter()
                .find(|arn| revision_of(arn) == Some(*rev))
                .cloned()
        })
        .collect()
}

pub fn revisions_text(revisions: &[i32]) -> String {
    revisions
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
