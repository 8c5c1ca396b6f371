//! Deleting an `EcsService`'s ECS service: only one this object owns, its Application Auto Scaling target first
//! (it would scale the service back up while it drains), scaled to 0 and deleted, then waited for until ECS no
//! longer shows it ACTIVE.

use super::autoscaling;
use super::validate::service_name;
use crate::api::EcsService;
use crate::api::service::SchedulingStrategy;
use crate::controllers::references;
use crate::ecs::AwsErrorKind;
use crate::ecs::service::ServiceUpdate;
use crate::reconcile::ownership::{Ownership, classify};
use crate::reconcile::{Cleanup, Context, Error, Note};

/// Removes the ECS service of a deleted `EcsService`, or says what it waits for.
pub(super) async fn cleanup(svc: &EcsService, ctx: &Context) -> Result<Cleanup, Error> {
    let name = svc
        .status
        .as_ref()
        .and_then(|s| s.service_name.clone())
        .unwrap_or_else(|| service_name(svc));
    let recorded = svc.status.as_ref().and_then(|s| s.cluster_arn.as_deref());
    let Some(cluster) = references::cluster_for_cleanup(&svc.references(), recorded, ctx).await?
    else {
        return Ok(Cleanup::Done(vec![Note::normal(
            "Deleted",
            format!("ECS service {name} was never created"),
        )]));
    };
    let found = match ctx.ecs.describe_service(&cluster, &name).await {
        Err(e) if e.kind == AwsErrorKind::NotFound => None,
        other => other?,
    };
    let Some(found) = found else {
        return Ok(Cleanup::Done(vec![Note::normal(
            "Deleted",
            format!("ECS service {name} is gone"),
        )]));
    };
    if classify(svc, &found.tags) != Ownership::Ours {
        let note = Note::normal(
            "LeftInPlace",
            format!("ECS service {name} is not owned by this object; left in place"),
        );
        return Ok(Cleanup::Done(vec![note]));
    }
    if found.status == "ACTIVE" {
        // Application Auto Scaling would scale the service back up while it drains.
        autoscaling::apply::remove(svc, ctx, &cluster, &name).await?;
        // A DAEMON service takes no desired count: it is deleted with `force`.
        let daemon = found.scheduling_strategy == Some(SchedulingStrategy::Daemon);
        if found.desired_count > 0 && !daemon {
            let scale_down = ServiceUpdate {
                desired_count: Some(0),
                ..Default::default()
            };
            ctx.ecs.update_service(&cluster, &name, &scale_down).await?;
        }
        ctx.ecs.delete_service(&cluster, &name, daemon).await?;
    }
    Ok(Cleanup::Waiting(format!(
        "deleted ECS service {name}; waiting for ECS to drain it (now {})",
        found.status
    )))
}
