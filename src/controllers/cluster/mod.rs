//! The `EcsCluster` controller: observe the cluster, plan, act, report.

pub mod capacity;
pub mod plan;
pub mod status;
pub mod validate;

use std::time::Duration;

use kube::api::ListParams;
use kube::{Api, ResourceExt};

use crate::api::{DeletionPolicy, EcsCluster, EcsClusterStatus, EcsService};
use crate::ecs::cluster::ObservedCluster;
use crate::reconcile::conditions::{self, READY};
use crate::reconcile::ownership::{Ownership, classify, desired_tags};
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note};
use plan::{ClusterAction, Desired, plan};
use validate::cluster_name;

impl Managed for EcsCluster {
    type Status = EcsClusterStatus;

    fn status(&self) -> Option<&EcsClusterStatus> {
        self.status.as_ref()
    }

    fn deletion_policy(&self) -> DeletionPolicy {
        self.spec.deletion_policy
    }

    fn validate(&self) -> Result<(), String> {
        validate::validate(self)
    }

    async fn apply(
        &self,
        ctx: &Context,
        _checkpoint: &Checkpoint<'_, Self>,
    ) -> Result<Applied<EcsClusterStatus>, Error> {
        let name = cluster_name(self);
        let resolved = capacity::resolve(self, ctx).await?;
        let mut notes = Vec::new();
        let mut observed = ctx.ecs.describe_cluster(&name).await?;
        if let Some(found) = &observed {
            match classify(self, &found.tags) {
                Ownership::Ours => {}
                Ownership::Adopt => notes.push(Note::normal(
                    "Adopted",
                    format!("took over the existing ECS cluster {name}"),
                )),
                Ownership::Foreign => return Err(already_exists(&name)),
            }
        }
        let tags = desired_tags(self, &self.spec.tags);
        let generation = self.metadata.generation;
        let last = self.status.as_ref();
        let desired = Desired {
            spec: &resolved.spec,
            tags: &tags,
            generation_changed: last.and_then(|s| s.observed_generation) != generation,
        };
        let actions = plan(&desired, observed.as_ref());
        // Changes found while the spec did not change were made outside Kubernetes.
        let drifted =
            last.is_some_and(|s| conditions::is_true_for(&s.conditions, READY, generation));
        let existed = last.and_then(|s| s.arn.as_ref()).is_some();
        for action in &actions {
            notes.push(
                resolved
                    .execute(ctx, &name, action, &mut observed, drifted, existed)
                    .await?,
            );
        }
        let needs_refresh = actions.iter().any(|a| *a != ClusterAction::Create);
        let observed = match (needs_refresh, observed) {
            (false, Some(observed)) => observed,
            _ => ctx
                .ecs
                .describe_cluster(&name)
                .await?
                .ok_or_else(|| gone(&name))?,
        };
        let ready = status::readiness(&observed);
        let requeue = (!ready.status).then(|| Duration::from_secs(5));
        Ok(Applied {
            status: status::status_of(&observed),
            conditions: vec![ready],
            notes,
            requeue,
        })
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Cleanup, Error> {
        let users = services_using(self, ctx).await?;
        if !users.is_empty() {
            return Ok(Cleanup::Waiting(format!(
                "waiting for the EcsService objects that use this cluster to be deleted: {}",
                users.join(", ")
            )));
        }
        let name = cluster_name(self);
        let note = match ctx.ecs.describe_cluster(&name).await? {
            None => Note::normal("Deleted", format!("ECS cluster {name} is already gone")),
            Some(found) if classify(self, &found.tags) == Ownership::Ours => {
                ctx.ecs.delete_cluster(&name).await?;
                Note::normal("Deleted", format!("deleted ECS cluster {name}"))
            }
            Some(_) => Note::normal(
                "LeftInPlace",
                format!("ECS cluster {name} is not owned by this object; left in place"),
            ),
        };
        Ok(Cleanup::Done(vec![note]))
    }
}

impl EcsCluster {
    /// Runs one planned call and says what it did.
    async fn execute(
        &self,
        ctx: &Context,
        name: &str,
        action: &ClusterAction,
        observed: &mut Option<ObservedCluster>,
        drifted: bool,
        existed: bool,
    ) -> Result<Note, Error> {
        let (reason, what) = match action {
            ClusterAction::Create => {
                let tags = desired_tags(self, &self.spec.tags);
                *observed = Some(ctx.ecs.create_cluster(name, &self.spec, &tags).await?);
                return Ok(if existed {
                    Note::warning(
                        "Recreated",
                        format!(
                            "ECS cluster {name} was deleted outside Kubernetes; created it again"
                        ),
                    )
                } else {
                    Note::normal("Created", format!("created ECS cluster {name}"))
                });
            }
            ClusterAction::Update(update) => {
                ctx.ecs.update_cluster(name, update).await?;
                ("Updated", "settings and configuration")
            }
            ClusterAction::PutCapacityProviders {
                providers,
                strategy,
            } => {
                ctx.ecs
                    .put_cluster_capacity_providers(name, providers, strategy)
                    .await
                    .map_err(capacity::explain_in_use)?;
                ("Updated", "capacity providers and default strategy")
            }
            ClusterAction::Tag(tags) => {
                ctx.ecs.tag_resource(&arn_of(observed, name)?, tags).await?;
                ("Tagged", "tags")
            }
            ClusterAction::Untag(keys) => {
                ctx.ecs
                    .untag_resource(&arn_of(observed, name)?, keys)
                    .await?;
                ("Untagged", "tags")
            }
        };
        Ok(if drifted {
            Note::warning(
                "DriftRepaired",
                format!(
                    "ECS cluster {name}: {what} had been changed outside Kubernetes; restored the spec"
                ),
            )
        } else {
            Note::normal(reason, format!("updated {what} of ECS cluster {name}"))
        })
    }
}

fn arn_of(observed: &Option<ObservedCluster>, name: &str) -> Result<String, Error> {
    observed
        .as_ref()
        .map(|c| c.cluster_arn.clone())
        .ok_or_else(|| gone(name))
}

fn gone(name: &str) -> Error {
    Error::DependencyNotReady(format!(
        "ECS cluster {name} disappeared while it was being updated; will retry"
    ))
}

fn already_exists(name: &str) -> Error {
    Error::AlreadyExists(format!(
        "an ECS cluster named {name} already exists and was not created by this object; nothing was changed. \
         Set the annotation ecsbridge.dev/adopt: \"true\" to take it over, or choose another spec.clusterName"
    ))
}

/// Names of the `EcsService` objects in the namespace that run on this cluster.
async fn services_using(cluster: &EcsCluster, ctx: &Context) -> Result<Vec<String>, Error> {
    let namespace = cluster.namespace().unwrap_or_default();
    let services: Api<EcsService> = Api::namespaced(ctx.client.clone(), &namespace);
    let name = cluster_name(cluster);
    let arn = cluster.status.as_ref().and_then(|s| s.arn.clone());
    let users = services
        .list(&ListParams::default())
        .await?
        .into_iter()
        .filter(|s| {
            let by_ref = s
                .spec
                .cluster_ref
                .as_ref()
                .is_some_and(|r| Some(&r.name) == cluster.metadata.name.as_ref());
            let by_name = s
                .spec
                .cluster
                .as_ref()
                .is_some_and(|c| *c == name || Some(c) == arn.as_ref());
            by_ref || by_name
        })
        .map(|s| s.name_any())
        .collect();
    Ok(users)
}
