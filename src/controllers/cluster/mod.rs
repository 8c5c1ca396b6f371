//! The `EcsCluster` controller: observe the cluster, check who owns it, plan, act, report.

pub mod capacity;
pub mod cleanup;
pub mod plan;
pub mod status;
pub mod validate;

use std::time::Duration;

use crate::api::{DeletionPolicy, EcsCluster, EcsClusterStatus, Tags};
use crate::ecs::cluster::ObservedCluster;
use crate::reconcile::conditions::{self, ConditionUpdate, READY, SYNCED};
use crate::reconcile::ownership::{Ownership, claim, classify, desired_tags};
use crate::reconcile::read_only::Observed;
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note};
use plan::{ClusterAction, Desired, plan};
use validate::cluster_name;

impl Managed for EcsCluster {
    type Status = EcsClusterStatus;
    const EXPORTED: &'static [(&'static str, &'static str)] =
        &[("arn", "/arn"), ("clusterName", "/clusterName")];

    fn status(&self) -> Option<&EcsClusterStatus> {
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
        _checkpoint: &Checkpoint<'_, Self>,
    ) -> Result<Applied<EcsClusterStatus>, Error> {
        let name = cluster_name(self);
        let resolved = capacity::resolve(self, ctx).await?;
        // This object with its spec as ECS takes it (references resolved).
        let shaped = EcsCluster {
            spec: resolved.spec.clone(),
            ..self.clone()
        };
        let mut notes = Vec::new();
        let mut observed = ctx.ecs.describe_cluster(&name).await?;
        if let Some(found) = &observed {
            notes.extend(self.check_owner(ctx, &name, &found.tags).await?);
        }
        let tags = desired_tags(self, &self.spec.tags);
        let generation = self.metadata.generation;
        let last = self.status.as_ref();
        let applied_tag_keys = last.map(|s| s.applied_tag_keys.clone()).unwrap_or_default();
        let desired = Desired {
            spec: &resolved.spec,
            capacity: &resolved.capacity,
            tags: &tags,
            applied_tag_keys: &applied_tag_keys,
            generation_changed: last.and_then(|s| s.observed_generation) != generation,
        };
        let actions = plan(&desired, observed.as_ref());
        // Changes found while the spec did not change were made outside Kubernetes.
        let drifted =
            last.is_some_and(|s| conditions::is_true_for(&s.conditions, READY, generation));
        let existed = last.and_then(|s| s.arn.as_ref()).is_some();
        for action in &actions {
            notes.push(
                shaped
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
        let adopted = notes.iter().any(|n| n.reason == ADOPTED);
        // A cluster adopted through CreateCluster's answer is tagged and brought to the spec at the next look.
        let mut requeue = (!ready.status || adopted).then(|| Duration::from_secs(5));
        let mut shown = vec![ready];
        // A Managed Instances provider is created after its cluster: the cluster is there, the strategy items
        // that name the provider follow once it is (the provider's changes wake the cluster).
        if !resolved.waiting.is_empty() {
            let message = format!(
                "ECS cluster {name} is {}; waiting for the Managed Instances CapacityProvider {} \
                 (spec.capacityProviderRefs) to be created in it, then its default strategy items follow",
                observed.status,
                resolved.waiting.join(", ")
            );
            shown = vec![
                ConditionUpdate::new(SYNCED, false, "DependencyNotReady", &message),
                ConditionUpdate::new(READY, false, "DependencyNotReady", &message),
            ];
            requeue = requeue.or(Some(Duration::from_secs(30)));
        }
        let status = EcsClusterStatus {
            adopted_at: last
                .and_then(|s| s.adopted_at.clone())
                .or_else(|| adopted.then(conditions::now)),
            applied_tag_keys: tags.into_keys().collect(),
            associated_capacity_providers: resolved.associated.clone(),
            ..status::status_of(&observed)
        };
        Ok(Applied {
            status,
            conditions: shown,
            notes,
            requeue,
        })
    }

    async fn observe(&self, ctx: &Context) -> Result<Option<Observed<EcsClusterStatus>>, Error> {
        let name = cluster_name(self);
        let found = ctx.ecs.describe_cluster(&name).await?;
        Ok(found
            .filter(|c| c.status != "INACTIVE")
            .map(|observed| Observed {
                status: status::status_of(&observed),
                conditions: vec![status::readiness(&observed)],
                drift: status::drift(&self.spec, &observed),
            }))
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Cleanup, Error> {
        cleanup::cleanup(self, ctx).await
    }
}

/// The reason of the Event that records an adoption.
const ADOPTED: &str = "Adopted";

impl EcsCluster {
    /// Checks that an ECS cluster found with `tags` may be changed by this object: an Adopted note when this
    /// takes it over, an error when it belongs to another live object or to nobody that asked for it.
    async fn check_owner(
        &self,
        ctx: &Context,
        name: &str,
        tags: &Tags,
    ) -> Result<Option<Note>, Error> {
        match claim(self, ctx, tags, &format!("ECS cluster {name}")).await? {
            Ownership::Ours => Ok(None),
            Ownership::Adopt => Ok(Some(Note::normal(
                ADOPTED,
                format!("took over the existing ECS cluster {name}"),
            ))),
            Ownership::Foreign => Err(already_exists(name)),
        }
    }

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
                let created = ctx.ecs.create_cluster(name, &self.spec, &tags).await?;
                // CreateCluster answers with a cluster of that name that already exists, unchanged: it is used
                // only once it is known to be this object's.
                if classify(self, &created.tags) != Ownership::Ours {
                    let found = ctx.ecs.describe_cluster(&created.cluster_arn).await?;
                    let found_tags = found.map(|f| f.tags).unwrap_or(created.tags.clone());
                    if let Some(adopted) = self.check_owner(ctx, name, &found_tags).await? {
                        *observed = Some(created);
                        return Ok(adopted);
                    }
                }
                *observed = Some(created);
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
