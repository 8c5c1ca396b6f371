//! Retiring daemon task definition revisions this object no longer needs, with DeleteDaemonTaskDefinition (ECS
//! has no deregistration for them): the history past `revisionHistoryLimit` and, on deletion, all of them — never
//! one a daemon still runs, and only those that carry this object's tags.

use kube::ResourceExt;

use crate::api::DaemonTaskDefinition;
use crate::controllers::task_definition::history::expired_revisions;
use crate::controllers::task_definition::retire::{
    NEIGHBOUR_GRACE, Retired, deleted_within, revisions_text,
};
use crate::ecs::task_definition::revision_of;
use crate::reconcile::ownership::{Ownership, classify};
use crate::reconcile::{Cleanup, Context, Error, Note};

use super::in_use::DaemonsInUse;

/// Deletes this object's revisions past the history limit that no daemon runs; trims nothing when what is in use
/// cannot be found out.
pub async fn trim_history(
    dtd: &DaemonTaskDefinition,
    ctx: &Context,
    family: &str,
    current: i32,
) -> Result<Retired, Error> {
    let arns = ctx.ecs.list_active_daemon_revisions(family).await?;
    let mut active: Vec<i32> = arns.iter().filter_map(|arn| revision_of(arn)).collect();
    let limit = dtd.spec.revision_history_limit();
    let mut notes = Vec::new();
    if expired_revisions(&active, current, limit, &Default::default()).is_empty() {
        return Ok(Retired { active, notes });
    }
    match DaemonsInUse::scan(ctx, family, &dtd.namespace().unwrap_or_default()).await {
        Ok(in_use) => {
            let expired = expired_revisions(&active, current, limit, &in_use.revisions());
            let gone = delete_ours(dtd, ctx, &arns, &expired).await?;
            if !gone.is_empty() {
                notes.push(Note::normal(
                    "DeletedRevisions",
                    format!(
                        "deleted revisions {} of daemon task definition {family} (revisionHistoryLimit {limit})",
                        revisions_text(&gone)
                    ),
                ));
            }
            active.retain(|rev| !gone.contains(rev));
        }
        Err(e) => notes.push(Note::warning(
            "HistoryNotTrimmed",
            format!(
                "could not find out which revisions of {family} daemons run, so none was deleted: {e}"
            ),
        )),
    }
    Ok(Retired { active, notes })
}

/// On deletion: deletes this object's ACTIVE revisions no daemon runs. A revision only daemons being deleted run
/// is waited for, so deleting a daemon with its daemon task definition deletes the revision after the daemon.
pub async fn retire_all(
    dtd: &DaemonTaskDefinition,
    ctx: &Context,
    family: &str,
) -> Result<Cleanup, Error> {
    let arns = ctx.ecs.list_active_daemon_revisions(family).await?;
    let namespace = dtd.namespace().unwrap_or_default();
    let in_use = DaemonsInUse::scan(ctx, family, &namespace).await?;
    let revisions: Vec<i32> = arns.iter().filter_map(|arn| revision_of(arn)).collect();
    let (kept, unused): (Vec<i32>, Vec<i32>) =
        revisions.into_iter().partition(|rev| in_use.contains(*rev));
    let kept_ours = ours(dtd, ctx, &arns, &kept).await?;
    let why = |revisions: &[i32]| -> String {
        let each: Vec<String> = revisions
            .iter()
            .map(|rev| format!("{rev} (run by {})", in_use.users(*rev)))
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
            "waiting for the daemons that run revisions of {family} to be deleted before deleting them: {}",
            why(&leaving)
        )));
    }
    let neighbours: Vec<i32> = kept_ours
        .iter()
        .copied()
        .filter(|rev| in_use.used_by_staying_neighbour(*rev, &namespace))
        .collect();
    if !neighbours.is_empty() && deleted_within(dtd, NEIGHBOUR_GRACE) {
        return Ok(Cleanup::Waiting(format!(
            "waiting up to {} s for the EcsDaemons of this namespace that run revisions of {family}, in case they \
             are being deleted too: {}",
            NEIGHBOUR_GRACE.as_secs(),
            why(&neighbours)
        )));
    }
    let gone = delete_ours(dtd, ctx, &arns, &unused).await?;
    let mut notes = vec![Note::normal(
        "Deleted",
        match gone.is_empty() {
            true => format!("no unused ACTIVE revision of {family} belonged to this object"),
            false => format!(
                "deleted revisions {} of daemon task definition {family}",
                revisions_text(&gone)
            ),
        },
    )];
    if !kept_ours.is_empty() {
        notes.push(Note::warning(
            "RevisionsKept",
            format!(
                "kept revisions of {family} that daemons still run ACTIVE: {}",
                why(&kept_ours)
            ),
        ));
    }
    Ok(Cleanup::Done(notes))
}

/// Deletes those of `revisions` that carry this object's tags; returns them.
async fn delete_ours(
    dtd: &DaemonTaskDefinition,
    ctx: &Context,
    arns: &[String],
    revisions: &[i32],
) -> Result<Vec<i32>, Error> {
    let owned = ours(dtd, ctx, arns, revisions).await?;
    for revision in &owned {
        if let Some(arn) = arns.iter().find(|a| revision_of(a) == Some(*revision)) {
            ctx.ecs.delete_daemon_task_definition(arn).await?;
        }
    }
    Ok(owned)
}

/// Those of `revisions` (found among `arns`) that carry this object's tags.
async fn ours(
    dtd: &DaemonTaskDefinition,
    ctx: &Context,
    arns: &[String],
    revisions: &[i32],
) -> Result<Vec<i32>, Error> {
    let mut owned = Vec::new();
    for revision in revisions {
        let Some(arn) = arns.iter().find(|a| revision_of(a) == Some(*revision)) else {
            continue;
        };
        if classify(dtd, &ctx.ecs.list_tags(arn).await?) == Ownership::Ours {
            owned.push(*revision);
        }
    }
    Ok(owned)
}
