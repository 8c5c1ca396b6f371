//! Deleting an `EcsGateway`'s gateway: remove the associations this object made, wait until ECS holds no
//! association (DeleteGateway refuses a gateway with ACTIVE or DISASSOCIATING ones, and someone else's are
//! never removed), turn deletion protection off only where the spec says `false`, delete, and wait until ECS no
//! longer knows the gateway.

use super::associations::same_cluster;
use super::blocking;
use super::validate::gateway_name;
use crate::api::EcsGateway;
use crate::reconcile::ownership::{Ownership, classify};
use crate::reconcile::{Cleanup, Context, Error, Note};

pub async fn cleanup(gateway: &EcsGateway, ctx: &Context) -> Result<Cleanup, Error> {
    let name = gateway_name(gateway);
    let recorded = gateway.status.clone().unwrap_or_default();
    let Some(arn) = recorded.gateway_arn.clone() else {
        return Ok(Cleanup::Done(vec![Note::normal(
            "Deleted",
            format!("no ECS gateway {name} was created for this object"),
        )]));
    };
    let Some(found) = ctx.ecs.describe_gateway(&arn).await? else {
        return Ok(Cleanup::Done(vec![Note::normal(
            "Deleted",
            format!("ECS gateway {name} is gone"),
        )]));
    };
    if classify(gateway, &found.tags) != Ownership::Ours {
        return Ok(Cleanup::Done(vec![Note::normal(
            "LeftInPlace",
            format!("ECS gateway {arn} is not owned by this object; left in place"),
        )]));
    }
    let observed = ctx.ecs.gateway_associations(&arn).await?;
    for association in observed.iter().filter(|a| a.status == "ACTIVE") {
        let ours = recorded
            .associated_clusters
            .iter()
            .any(|c| same_cluster(c, &association.cluster_arn));
        if ours {
            ctx.ecs
                .disassociate_gateway(&arn, &association.cluster_arn)
                .await?;
        }
    }
    let observed = ctx.ecs.gateway_associations(&arn).await?;
    let held = blocking(&observed);
    if !held.is_empty() {
        return Ok(Cleanup::Waiting(format!(
            "ECS deletes gateway {name} only without cluster associations; waiting for {} to go (this object's \
             stay DISASSOCIATING until the services of their clusters stop using the gateway; an association \
             someone else made is left for them to remove, or set deletionPolicy: Retain)",
            held.join(", ")
        )));
    }
    if found.deletion_protection != Some(false) {
        if gateway.spec.deletion_protection == Some(false) {
            ctx.ecs.update_gateway(&arn, &gateway.spec).await?;
            return Ok(Cleanup::Waiting(format!(
                "turned off deletion protection of ECS gateway {name} (spec.deletionProtection: false); deleting \
                 it next"
            )));
        }
        return Ok(Cleanup::Waiting(format!(
            "ECS gateway {name} has deletion protection on, so ECS refuses to delete it; set \
             spec.deletionProtection: false to let it be deleted, or deletionPolicy: Retain to leave it"
        )));
    }
    ctx.ecs.delete_gateway(&arn).await?;
    match ctx.ecs.describe_gateway(&arn).await? {
        None => Ok(Cleanup::Done(vec![Note::normal(
            "Deleted",
            format!("deleted ECS gateway {name}"),
        )])),
        Some(_) => Ok(Cleanup::Waiting(format!(
            "deleted ECS gateway {name}; waiting until ECS no longer reports it"
        ))),
    }
}
