//! The `EcsGateway` controller: creates the gateway (CreateGateway, its ARN recorded at once), sends the members
//! UpdateGateway changes when ECS does not hold what the spec sets, associates it with the spec's clusters and
//! removes only the associations it made, and shows the routes and load balancers ECS made for it. Deletion
//! removes this object's associations, waits until ECS holds none (DeleteGateway refuses a gateway with ACTIVE
//! or DISASSOCIATING associations), honours deletion protection, deletes and waits until ECS no longer knows it.
//! A gateway of the same name that this object did not create is refused, never adopted: ECS documents no way
//! to tag an existing gateway, so it could never carry the ownership tags.

pub mod associations;
pub mod cleanup;
pub mod status;
pub mod validate;

use std::time::Duration;

use kube::ResourceExt;

use crate::api::{DeletionPolicy, EcsGateway, EcsGatewayStatus};
use crate::ecs::gateway::ObservedGateway;
use crate::reconcile::ownership::{Ownership, classify, desired_tags};
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note};
use associations::{holds, plan, same_cluster, still_ours};
use validate::gateway_name;

/// How often to look again while ECS updates, or associations come and go.
const POLL: Duration = Duration::from_secs(10);

impl Managed for EcsGateway {
    type Status = EcsGatewayStatus;
    // The watches of the clusters it is associated with wake it (runtime/watches.rs).
    const WOKEN_BY_REFERENCES: bool = true;
    const EXPORTED: &'static [(&'static str, &'static str)] =
        &[("arn", "/gatewayArn"), ("name", "/name")];

    fn status(&self) -> Option<&EcsGatewayStatus> {
        self.status.as_ref()
    }

    fn deletion_policy(&self) -> DeletionPolicy {
        self.spec.deletion_policy
    }

    fn export_to(&self) -> Option<&str> {
        self.spec
            .export_to
            .as_ref()
            .map(|e| e.config_map_name.as_str())
    }

    fn validate(&self) -> Result<(), String> {
        validate::validate(self)
    }

    async fn apply(
        &self,
        ctx: &Context,
        checkpoint: &Checkpoint<'_, Self>,
    ) -> Result<Applied<EcsGatewayStatus>, Error> {
        let name = gateway_name(self);
        let recorded = checkpoint.current();
        self.check_create_only(&recorded, &name)?;
        let wanted = associations::wanted(self, ctx).await?;
        let mut notes = Vec::new();
        let ident = recorded.gateway_arn.clone().unwrap_or_else(|| name.clone());
        let (gateway, recreated) = match ctx.ecs.describe_gateway(&ident).await? {
            Some(found) => (self.bring_to_spec(ctx, found, &mut notes).await?, false),
            None => {
                let arn = self.create(ctx, &name).await?;
                let saved = arn.clone();
                checkpoint
                    .save(|status| {
                        status.gateway_arn = Some(saved);
                        status.associated_clusters.clear();
                    })
                    .await?;
                notes.push(if recorded.gateway_arn.is_some() {
                    Note::warning(
                        "Recreated",
                        format!(
                            "ECS gateway {name} was deleted outside Kubernetes; created it again"
                        ),
                    )
                } else {
                    Note::normal("Created", format!("created ECS gateway {name}"))
                });
                let created = ctx
                    .ecs
                    .describe_gateway(&arn)
                    .await?
                    .ok_or_else(|| gone(&name))?;
                (created, true)
            }
        };
        let arn = gateway.gateway_arn.clone();
        let ours_before = if recreated {
            Vec::new()
        } else {
            recorded.associated_clusters.clone()
        };
        let mut observed = ctx.ecs.gateway_associations(&arn).await?;
        let planned = plan(&wanted, &observed, &ours_before);
        let mut made = Vec::new();
        for cluster in &planned.associate {
            made.push(ctx.ecs.associate_gateway(&arn, cluster).await?);
            let kept = still_ours(&ours_before, &observed, &made);
            checkpoint
                .save(|status| status.associated_clusters = kept)
                .await?;
            notes.push(Note::normal(
                "Associated",
                format!("associated ECS gateway {name} with cluster {cluster}"),
            ));
        }
        for cluster in &planned.disassociate {
            ctx.ecs.disassociate_gateway(&arn, cluster).await?;
            notes.push(Note::normal(
                "Disassociating",
                format!("removing the association of ECS gateway {name} with cluster {cluster}"),
            ));
        }
        if !planned.associate.is_empty() || !planned.disassociate.is_empty() {
            observed = ctx.ecs.gateway_associations(&arn).await?;
        }
        let ours = still_ours(&ours_before, &observed, &made);
        let routes = ctx.ecs.gateway_routes(&arn).await?;
        let missing: Vec<String> = wanted
            .iter()
            .filter(|w| {
                !observed
                    .iter()
                    .any(|a| a.status == "ACTIVE" && same_cluster(&a.cluster_arn, w))
            })
            .cloned()
            .collect();
        let leaving: Vec<(String, Vec<String>)> = observed
            .iter()
            .filter(|a| a.status == "DISASSOCIATING" && ours.contains(&a.cluster_arn))
            .map(|a| {
                let holding = routes
                    .iter()
                    .filter(|r| r.cluster_arn.as_deref() == Some(&a.cluster_arn))
                    .filter_map(|r| r.service_arn.clone())
                    .collect();
                (a.cluster_arn.clone(), holding)
            })
            .collect();
        let ready = status::readiness(&self.spec, &gateway, &missing, &leaving);
        let load_balancers = ctx.ecs.gateway_load_balancers(&arn).await?;
        let shown = status::status_of(
            &gateway,
            status::Surroundings {
                associations: &observed,
                ours: &ours,
                routes,
                load_balancers,
            },
        );
        let requeue = (!ready.status).then_some(POLL);
        Ok(Applied {
            status: shown,
            conditions: vec![ready],
            notes,
            requeue,
        })
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Cleanup, Error> {
        cleanup::cleanup(self, ctx).await
    }
}

impl EcsGateway {
    /// Refuses a change of the name once the gateway exists (ECS cannot rename one).
    fn check_create_only(&self, recorded: &EcsGatewayStatus, name: &str) -> Result<(), Error> {
        match recorded.name.as_deref() {
            Some(created) if recorded.gateway_arn.is_some() && created != name => {
                Err(Error::InvalidSpec(format!(
                    "spec.name: the ECS gateway was created as {created}; ECS cannot rename it (set spec.name \
                     back to {created}, or create a new object)"
                )))
            }
            _ => Ok(()),
        }
    }

    /// Refuses a gateway this object did not create.
    fn check_owner(&self, found: &ObservedGateway) -> Result<(), Error> {
        match classify(self, &found.tags) {
            Ownership::Ours => Ok(()),
            Ownership::Adopt | Ownership::Foreign => Err(Error::AlreadyExists(format!(
                "ECS gateway {} exists and was not created by this object; nothing was changed. Gateways are not \
                 adopted (ECS documents no way to add the ownership tags to an existing gateway): choose another \
                 spec.name",
                found.name.as_deref().unwrap_or(&found.gateway_arn)
            ))),
        }
    }

    /// Sends UpdateGateway when ECS does not hold what the spec sets: after an update completed or on a stable
    /// gateway, and after a failed update only once the spec changed.
    async fn bring_to_spec(
        &self,
        ctx: &Context,
        found: ObservedGateway,
        notes: &mut Vec<Note>,
    ) -> Result<ObservedGateway, Error> {
        self.check_owner(&found)?;
        let fixed = status::create_only_changes(&self.spec, &found);
        if !fixed.is_empty() {
            return Err(Error::InvalidSpec(format!(
                "{}: create-only (UpdateGateway cannot change it) and ECS holds another value; set it back as \
                 status shows it was created, or create a new EcsGateway",
                fixed.join(", ")
            )));
        }
        let spec_changed =
            self.status.as_ref().and_then(|s| s.observed_generation) != self.metadata.generation;
        let may_update = match found.status_code() {
            "ACTIVE" | "UPDATE_COMPLETE" => true,
            "UPDATE_FAILED" => spec_changed,
            _ => false,
        };
        if !may_update || status::in_sync(&self.spec, &found) {
            return Ok(found);
        }
        ctx.ecs
            .update_gateway(&found.gateway_arn, &self.spec)
            .await?;
        let name = gateway_name(self);
        notes.push(Note::normal(
            "Updated",
            format!("updated ECS gateway {name}: ECS applies it to the gateway's load balancers"),
        ));
        ctx.ecs
            .describe_gateway(&found.gateway_arn)
            .await?
            .ok_or_else(|| gone(&name))
    }

    /// Creates the gateway; a name ECS already has is refused, never adopted.
    async fn create(&self, ctx: &Context, name: &str) -> Result<String, Error> {
        if let Some(existing) = ctx.ecs.describe_gateway(name).await? {
            self.check_owner(&existing)?;
            return Ok(existing.gateway_arn);
        }
        let tags = desired_tags(self, &self.spec.tags);
        let token = self.uid().unwrap_or_else(|| name.to_owned());
        Ok(ctx
            .ecs
            .create_gateway(name, &self.spec, &tags, &token)
            .await?)
    }
}

/// Whether ECS holds any association of the gateway that blocks DeleteGateway.
pub fn blocking(observed: &[crate::ecs::gateway::ObservedAssociation]) -> Vec<String> {
    observed
        .iter()
        .filter(|a| holds(a))
        .map(|a| format!("{} ({})", a.cluster_arn, a.status))
        .collect()
}

fn gone(name: &str) -> Error {
    Error::NotVisibleYet(format!(
        "ECS gateway {name} disappeared while it was being reconciled; will retry"
    ))
}
