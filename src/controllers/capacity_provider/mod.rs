//! The `CapacityProvider` controller: observe the provider, plan, act, report; deletion waits until no cluster
//! uses it (a cluster that is being deleted releases it; a Managed Instances provider leaves its own cluster with
//! DeleteCapacityProvider). A Managed Instances provider is created once its cluster exists in ECS; a failed change
//! is Degraded with ECS's reason and not sent again until the spec changes.

pub mod observe;
pub mod plan;
pub mod status;
pub mod validate;

use std::time::Duration;

use kube::api::ListParams;
use kube::{Api, ResourceExt};

use crate::api::{CapacityProvider, CapacityProviderStatus, DeletionPolicy, EcsCluster};
use crate::controllers::cluster::validate::cluster_name;
use crate::ecs::AwsErrorKind;
use crate::ecs::capacity_provider::ObservedCapacityProvider;
use crate::reconcile::ownership::{Ownership, claim, classify, desired_tags};
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note};
use plan::{ProviderAction, hold_failed_update, plan};
use validate::provider_name;

impl Managed for CapacityProvider {
    type Status = CapacityProviderStatus;
    const EXPORTED: &'static [(&'static str, &'static str)] = &[("arn", "/arn"), ("name", "/name")];

    fn status(&self) -> Option<&CapacityProviderStatus> {
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
    ) -> Result<Applied<CapacityProviderStatus>, Error> {
        let name = provider_name(self);
        let cluster = self.spec.cluster.as_deref();
        let mut notes = Vec::new();
        let observed = ctx.ecs.describe_capacity_provider(cluster, &name).await?;
        if let Some(found) = &observed {
            // The shared check: never what another live object owns, adoption only where it is allowed.
            let what = format!("ECS capacity provider {name}");
            match claim(self, ctx, &found.tags, &what).await? {
                Ownership::Ours => {}
                Ownership::Adopt => notes.push(Note::normal(
                    "Adopted",
                    format!("took over the existing ECS capacity provider {name}"),
                )),
                Ownership::Foreign => return Err(already_exists(&name)),
            }
        }
        if observed.is_none() {
            self.wait_for_own_cluster(ctx).await?;
        }
        let tags = desired_tags(self, &self.spec.tags);
        let applied_tag_keys = self
            .status
            .as_ref()
            .map(|s| s.applied_tag_keys.clone())
            .unwrap_or_default();
        let actions = plan(&self.spec, &tags, &applied_tag_keys, observed.as_ref())
            .map_err(Error::InvalidSpec)?;
        let spec_changed =
            self.status.as_ref().and_then(|s| s.observed_generation) != self.metadata.generation;
        let failed = observed.as_ref().is_some_and(status::failed);
        let actions = hold_failed_update(actions, failed, spec_changed);
        let existed = self.status.as_ref().and_then(|s| s.arn.as_ref()).is_some();
        let mut current = observed;
        for action in &actions {
            notes.push(
                self.execute(ctx, &name, action, &mut current, existed)
                    .await?,
            );
        }
        let needs_refresh = actions.iter().any(|a| *a != ProviderAction::Create);
        let current = match (needs_refresh, current) {
            (false, Some(current)) => current,
            _ => ctx
                .ecs
                .describe_capacity_provider(cluster, &name)
                .await?
                .ok_or_else(|| gone(&name))?,
        };
        let ready = status::readiness(&current);
        let degraded = status::degradation(&current);
        // A failed change stays failed until the spec changes: the drift checks look again meanwhile.
        let requeue = (!ready.status && !degraded.status).then(|| Duration::from_secs(10));
        let status = CapacityProviderStatus {
            applied_tag_keys: tags.into_keys().collect(),
            ..status::status_of(&current)
        };
        Ok(Applied {
            status,
            conditions: vec![ready, degraded],
            notes,
            requeue,
        })
    }

    async fn observe(
        &self,
        ctx: &Context,
    ) -> Result<Option<crate::reconcile::read_only::Observed<CapacityProviderStatus>>, Error> {
        observe::observe(self, ctx).await
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Cleanup, Error> {
        let name = provider_name(self);
        let users = clusters_using(self, &name, ctx).await?;
        if !users.keeping.is_empty() {
            return Ok(Cleanup::Waiting(format!(
                "waiting for the EcsCluster objects that use ECS capacity provider {name} to drop it from \
                 spec.capacityProviderRefs (or spec.capacityProviders) or to be deleted: {}",
                users.keeping.join(", ")
            )));
        }
        if !users.releasing.is_empty() {
            return Ok(Cleanup::Waiting(format!(
                "waiting for the EcsCluster objects being deleted to release ECS capacity provider {name} from \
                 their ECS clusters: {}",
                users.releasing.join(", ")
            )));
        }
        let daemons = crate::controllers::daemon::users::daemons_on(self, &name, ctx).await?;
        if !daemons.is_empty() {
            return Ok(Cleanup::Waiting(format!(
                "waiting for the EcsDaemon objects that run on ECS capacity provider {name} to be deleted or to \
                 drop it: {}",
                daemons.join(", ")
            )));
        }
        let cluster = self.spec.cluster.as_deref();
        let note = match ctx.ecs.describe_capacity_provider(cluster, &name).await? {
            None => Note::normal(
                "Deleted",
                format!("ECS capacity provider {name} is already gone"),
            ),
            Some(found) if classify(self, &found.tags) == Ownership::Ours => {
                match ctx.ecs.delete_capacity_provider(&name, cluster).await {
                    Ok(()) => {}
                    // ECS refuses while a cluster outside this namespace, or a service's strategy, still uses it.
                    Err(refused) if refused.kind == AwsErrorKind::Rejected => {
                        return Ok(Cleanup::Waiting(format!(
                            "ECS refuses to delete capacity provider {name} ({refused}); remove it from every \
                             cluster's capacity providers (PutClusterCapacityProviders) and every service's \
                             capacityProviderStrategy, then deletion is retried"
                        )));
                    }
                    Err(other) => return Err(other.into()),
                }
                Note::normal("Deleted", format!("deleted ECS capacity provider {name}"))
            }
            Some(_) => Note::normal(
                "LeftInPlace",
                format!("ECS capacity provider {name} is not owned by this object; left in place"),
            ),
        };
        Ok(Cleanup::Done(vec![note]))
    }
}

impl CapacityProvider {
    /// A Managed Instances provider is created in its cluster, which must exist first (CreateCapacityProvider
    /// answers ClusterNotFoundException otherwise): waits for it, named; the watch of EcsCluster objects wakes
    /// the provider when one of this namespace becomes Ready.
    async fn wait_for_own_cluster(&self, ctx: &Context) -> Result<(), Error> {
        let Some(cluster) = self
            .spec
            .cluster
            .as_deref()
            .filter(|_| self.spec.managed_instances_provider.is_some())
        else {
            return Ok(());
        };
        match ctx.ecs.describe_cluster(cluster).await? {
            Some(found) if found.status == "ACTIVE" => Ok(()),
            _ => Err(Error::DependencyNotReady(format!(
                "waiting for ECS cluster {cluster} (spec.cluster) to exist: a Managed Instances provider is \
                 created in its cluster (an EcsCluster that references this provider creates the cluster first)"
            ))),
        }
    }

    /// Runs one planned call and says what it did.
    async fn execute(
        &self,
        ctx: &Context,
        name: &str,
        action: &ProviderAction,
        observed: &mut Option<ObservedCapacityProvider>,
        existed: bool,
    ) -> Result<Note, Error> {
        let arn = || {
            observed
                .as_ref()
                .map(|p| p.capacity_provider_arn.clone())
                .ok_or_else(|| gone(name))
        };
        Ok(match action {
            ProviderAction::Create => {
                let tags = desired_tags(self, &self.spec.tags);
                *observed = Some(
                    ctx.ecs
                        .create_capacity_provider(name, &self.spec, &tags)
                        .await?,
                );
                if existed {
                    Note::warning(
                        "Recreated",
                        format!(
                            "ECS capacity provider {name} was deleted outside Kubernetes; created it again"
                        ),
                    )
                } else {
                    Note::normal("Created", format!("created ECS capacity provider {name}"))
                }
            }
            ProviderAction::Update(update) => {
                ctx.ecs
                    .update_capacity_provider(name, self.spec.cluster.as_deref(), update)
                    .await?;
                Note::normal("Updated", format!("updated ECS capacity provider {name}"))
            }
            ProviderAction::Tag(tags) => {
                ctx.ecs.tag_resource(&arn()?, tags).await?;
                Note::normal(
                    "Tagged",
                    format!("updated tags of ECS capacity provider {name}"),
                )
            }
            ProviderAction::Untag(keys) => {
                ctx.ecs.untag_resource(&arn()?, keys).await?;
                Note::normal(
                    "Untagged",
                    format!("removed tags of ECS capacity provider {name}"),
                )
            }
        })
    }
}

/// The `EcsCluster` objects a provider waits for before it can be deleted.
#[derive(Debug, Default, PartialEq)]
struct Users {
    /// Clusters that keep using it: their spec names it, or (not being deleted) their ECS cluster has it.
    keeping: Vec<String>,
    /// Clusters being deleted whose ECS cluster still has it: they release it (or go) without waiting for it.
    releasing: Vec<String>,
}

/// The `EcsCluster` objects of the namespace whose spec names the provider, or whose ECS cluster still has it
/// associated (DescribeClusters, batched): ECS refuses to delete a provider that a cluster has. A cluster being
/// deleted no longer uses what its spec names; a Managed Instances provider leaves its own cluster when deleted.
async fn clusters_using(
    provider: &CapacityProvider,
    name: &str,
    ctx: &Context,
) -> Result<Users, Error> {
    let namespace = provider.namespace().unwrap_or_default();
    let clusters: Api<EcsCluster> = Api::namespaced(ctx.client.clone(), &namespace);
    let object = provider.name_any();
    let own_cluster = provider
        .spec
        .managed_instances_provider
        .as_ref()
        .and(provider.spec.cluster.as_deref());
    let listed = clusters.list(&ListParams::default()).await?.items;
    let lookups = listed.iter().map(|cluster| async {
        let deleting = cluster.metadata.deletion_timestamp.is_some();
        let by_spec = cluster
            .spec
            .capacity_provider_refs
            .iter()
            .any(|r| r.name == object)
            || cluster
                .spec
                .capacity_providers
                .iter()
                .flatten()
                .any(|p| p == name);
        if by_spec && !deleting {
            return Ok(Use::Keeps);
        }
        let ecs_name = cluster_name(cluster);
        if own_cluster == Some(ecs_name.as_str()) {
            return Ok(Use::None);
        }
        let target = cluster
            .status
            .as_ref()
            .and_then(|s| s.arn.clone())
            .unwrap_or(ecs_name);
        let found = ctx.ecs.describe_cluster(&target).await?;
        let has = found.is_some_and(|c| c.capacity_providers.iter().any(|p| p == name));
        Ok::<_, Error>(match (has, deleting) {
            (false, _) => Use::None,
            (true, false) => Use::Keeps,
            (true, true) => Use::Releases,
        })
    });
    let mut users = Users::default();
    for (cluster, usage) in listed.iter().zip(futures::future::join_all(lookups).await) {
        match usage? {
            Use::Keeps => users.keeping.push(cluster.name_any()),
            Use::Releases => users.releasing.push(cluster.name_any()),
            Use::None => {}
        }
    }
    Ok(users)
}

/// How one cluster uses a provider.
enum Use {
    None,
    Keeps,
    Releases,
}

fn gone(name: &str) -> Error {
    Error::DependencyNotReady(format!(
        "ECS capacity provider {name} disappeared while it was being updated; will retry"
    ))
}

fn already_exists(name: &str) -> Error {
    Error::AlreadyExists(format!(
        "an ECS capacity provider named {name} already exists and was not created by this object; nothing was \
         changed. Set the annotation ecsbridge.dev/adopt: \"true\" to take it over, or choose another spec.name"
    ))
}
