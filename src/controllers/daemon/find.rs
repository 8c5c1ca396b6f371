//! Finding an `EcsDaemon`'s daemon by name before its ARN is recorded (ListDaemons of the cluster, then the
//! ownership tags): this object's own (a create whose answer was lost), one it adopts, or one of another owner,
//! which is refused; and creating it.

use kube::ResourceExt;

use crate::api::{EcsDaemon, Tags};
use crate::ecs::AwsErrorKind;
use crate::ecs::daemon::{ObservedDaemon, daemon_name_of};
use crate::reconcile::ownership::{Ownership, claim, classify, ownership_tags};
use crate::reconcile::{Context, Error};

use super::resolve::Resolved;

/// The daemon's name: `spec.daemonName`, or the object's name.
pub fn daemon_name(daemon: &EcsDaemon) -> String {
    daemon
        .spec
        .daemon_name
        .clone()
        .unwrap_or_else(|| daemon.name_any())
}

/// The ACTIVE daemon named `name` in `cluster`, if this object may have it: `(daemon, adopted)`. One of another
/// owner is refused (`AlreadyExists`, or `OwnedByAnother` when its owner still exists); one being deleted is
/// waited for.
pub async fn claim_by_name(
    daemon: &EcsDaemon,
    ctx: &Context,
    name: &str,
    cluster: Option<&str>,
) -> Result<Option<(ObservedDaemon, bool)>, Error> {
    for arn in ctx.ecs.list_daemons(cluster).await? {
        if daemon_name_of(&arn) != name {
            continue;
        }
        let Some(found) = ctx.ecs.describe_daemon(&arn).await? else {
            continue;
        };
        if found.status_code() == "DELETE_IN_PROGRESS" {
            return Err(Error::DependencyNotReady(format!(
                "an ECS daemon named {name} is being deleted; it is created again once ECS no longer reports it"
            )));
        }
        let tags = ctx.ecs.list_tags(&arn).await?;
        let what = format!("ECS daemon {arn}");
        return match claim(daemon, ctx, &tags, &what).await {
            Ok(Ownership::Ours) => Ok(Some((found, false))),
            Ok(Ownership::Adopt) => {
                ctx.ecs.tag_resource(&arn, &ownership_tags(daemon)).await?;
                Ok(Some((found, true)))
            }
            Ok(Ownership::Foreign) => Err(taken(name, &arn)),
            Err(e) => Err(e),
        };
    }
    Ok(None)
}

/// The ARN of a daemon named `name` carrying this object's tags, in the cluster the spec names.
pub async fn ours_by_name(
    daemon: &EcsDaemon,
    ctx: &Context,
    name: &str,
) -> Result<Option<String>, Error> {
    let cluster = daemon.spec.cluster.as_deref();
    if daemon.spec.cluster_ref.is_some() {
        // The cluster's ARN is not known without its object; a create that was never recorded cannot have
        // happened before the cluster was Ready, and the status records every create at once.
        return Ok(None);
    }
    for arn in ctx.ecs.list_daemons(cluster).await? {
        if daemon_name_of(&arn) == name
            && classify(daemon, &ctx.ecs.list_tags(&arn).await?) == Ownership::Ours
        {
            return Ok(Some(arn));
        }
    }
    Ok(None)
}

/// Creates the daemon; a name ECS already has (that ListDaemons did not show) is refused, never adopted.
pub async fn create(
    ctx: &Context,
    name: &str,
    resolved: &Resolved,
    tags: &Tags,
) -> Result<(String, Option<String>), Error> {
    match ctx
        .ecs
        .create_daemon(name, resolved.cluster.as_deref(), &resolved.input, tags)
        .await
    {
        Err(refused)
            if refused.kind == AwsErrorKind::Rejected && names_taken(&refused.to_string()) =>
        {
            Err(taken(name, &refused.to_string()))
        }
        other => Ok(other?),
    }
}

fn taken(name: &str, what: &str) -> Error {
    Error::AlreadyExists(format!(
        "an ECS daemon named {name} already exists in the cluster and was not created by this object ({what}); \
         nothing was changed. Set the annotation ecsbridge.dev/adopt: \"true\" to take it over, or choose another \
         spec.daemonName"
    ))
}

/// Whether ECS refused a create because the name is taken (the wording is not documented: both usual ones).
fn names_taken(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("already exists") || message.contains("not idempotent")
}
