//! Whose Express service this is: finding the service of `spec.serviceName` when no ARN was recorded (a crash
//! between CreateExpressGatewayService and the checkpoint, or an adoption; also on deletion), deciding by the
//! ownership tags whether it is this object's, may be adopted or must be left alone, and bringing its tags to the
//! spec.

use kube::ResourceExt;

use crate::api::EcsExpressService;
use crate::controllers::references::{References, cluster_for_cleanup};
use crate::ecs::express_service::{Found, ObservedExpressService};
use crate::reconcile::ownership::{Ownership, claim, desired_tags, tag_changes_since};
use crate::reconcile::{Checkpoint, Context, Error, Note};

/// The reason of the Event that records an adoption.
pub const ADOPTED: &str = "Adopted";

/// Finds the Express service named `name` in `cluster` when the object has no ARN recorded. One tagged as this
/// object's (created by a pass that ended before it recorded the ARN) or one it may adopt is recorded at once and
/// returned; one another object owns, one nobody asked to adopt, and an ordinary ECS service of that name are
/// refused; `None` when the cluster has no such service (it is to be created).
pub async fn find_recorded(
    service: &EcsExpressService,
    ctx: &Context,
    checkpoint: &Checkpoint<'_, EcsExpressService>,
    cluster: Option<&str>,
    name: &str,
    notes: &mut Vec<Note>,
) -> Result<Option<ObservedExpressService>, Error> {
    let found = match ctx.ecs.find_express_service(cluster, name).await? {
        None => return Ok(None),
        Some(Found::NotExpress(arn)) => {
            return Err(Error::AlreadyExists(format!(
                "an ECS service named {name} exists in the cluster and is not an Express service ({arn}); nothing \
                 was changed: choose another spec.serviceName"
            )));
        }
        Some(Found::Express(found)) => found,
    };
    let what = format!("ECS Express service {name}");
    match claim(service, ctx, &found.tags, &what).await? {
        Ownership::Ours => notes.push(Note::warning(
            "Found",
            format!(
                "{what} was created for this object by a pass that ended before it recorded its ARN; recorded \
                 it, nothing was created twice"
            ),
        )),
        Ownership::Adopt => notes.push(Note::normal(
            ADOPTED,
            format!("took over the existing {what}"),
        )),
        Ownership::Foreign => {
            return Err(Error::AlreadyExists(format!(
                "an ECS Express service named {name} already exists in the cluster and was not created by this \
                 object; nothing was changed. Set the annotation ecsbridge.dev/adopt: \"true\" to take it over, \
                 or choose another spec.serviceName"
            )));
        }
    }
    let arn = found.service_arn.clone();
    checkpoint
        .save(|status| status.service_arn = Some(arn))
        .await?;
    Ok(Some(found))
}

/// The Express service of `name` to delete with an object that has no ARN recorded, looked up in the cluster
/// of `clusterRef` (its recorded ARN, or the ECS name it would have; ECS's `default` without it); `None` when
/// there is none. Whether it is the object's is decided by the caller, from its tags.
pub async fn find_for_cleanup(
    service: &EcsExpressService,
    ctx: &Context,
    name: &str,
) -> Result<Option<ObservedExpressService>, Error> {
    let refs = References {
        namespace: service.namespace().unwrap_or_default(),
        cluster_ref: service.spec.cluster_ref.as_ref(),
        cluster: None,
        task_definition_ref: None,
        task_definition: None,
        task_definition_optional: true,
        cached: false,
    };
    let cluster = cluster_for_cleanup(&refs, None, ctx).await?;
    if refs.cluster_ref.is_some() && cluster.is_none() {
        // The referenced EcsCluster is gone: its ECS cluster is unknown, and so is any service in it.
        return Ok(None);
    }
    Ok(
        match ctx
            .ecs
            .find_express_service(cluster.as_deref(), name)
            .await?
        {
            Some(Found::Express(found)) => Some(found),
            Some(Found::NotExpress(_)) | None => None,
        },
    )
}

/// Sets the spec's tags and the ownership tags on the service and removes the spec's tags that were taken out
/// of it: only keys in `applied` (those the operator set before) are ever removed, so tags others added stay.
/// Returns the keys now applied.
pub async fn sync_tags(
    service: &EcsExpressService,
    ctx: &Context,
    found: &mut ObservedExpressService,
    applied: &[String],
    notes: &mut Vec<Note>,
) -> Result<Vec<String>, Error> {
    let desired = desired_tags(service, &service.spec.tags);
    let (set, remove) = tag_changes_since(&desired, &found.tags, applied);
    let name = found.service_name.clone().unwrap_or_default();
    if !set.is_empty() {
        ctx.ecs.tag_resource(&found.service_arn, &set).await?;
        found.tags.extend(set.clone());
    }
    if !remove.is_empty() {
        ctx.ecs.untag_resource(&found.service_arn, &remove).await?;
        found.tags.retain(|key, _| !remove.contains(key));
    }
    if !set.is_empty() || !remove.is_empty() {
        let keys: Vec<&str> = set
            .keys()
            .map(String::as_str)
            .chain(remove.iter().map(String::as_str))
            .collect();
        notes.push(Note::normal(
            "Tagged",
            format!(
                "updated tags of ECS Express service {name}: {}",
                keys.join(", ")
            ),
        ));
    }
    Ok(desired.into_keys().collect())
}
