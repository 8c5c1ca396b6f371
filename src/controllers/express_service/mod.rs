//! The `EcsExpressService` controller: creates the Express service (CreateExpressGatewayService) and records its
//! ARN at once, since every later call names it by ARN; without a recorded ARN it first looks the name up (a
//! crash before the checkpoint, or an adoption: `claim`); brings its tags to the spec (TagResource,
//! UntagResource); sends the updatable fields again (UpdateExpressGatewayService) when ECS's newest configuration
//! lacks what the spec sets, following the newest revision of a `taskDefinitionRef`; Ready once ECS reports it
//! ACTIVE with one configuration and an endpoint; deletion waits until ECS no longer reports it. A service
//! another object owns, or that nobody asked to adopt, is never changed; a read-only object only observes
//! (`observe`).

pub mod claim;
pub mod observe;
pub mod status;
pub mod task_definition;
pub mod validate;

use std::time::Duration;

use kube::Api;

use crate::api::{DeletionPolicy, EcsCluster, EcsExpressService, EcsExpressServiceStatus};
use crate::controllers::references::{ready_object, same_place};
use crate::ecs::AwsErrorKind;
use crate::ecs::express_service::ObservedExpressService;
use crate::reconcile::ownership::{Ownership, claim, classify, desired_tags};
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note};
use validate::service_name;

/// How often to look again while ECS provisions, deploys or drains.
const POLL: Duration = Duration::from_secs(10);

impl Managed for EcsExpressService {
    type Status = EcsExpressServiceStatus;
    // The watches of its clusters and task definitions wake it (runtime/watches.rs).
    const WOKEN_BY_REFERENCES: bool = true;
    const EXPORTED: &'static [(&'static str, &'static str)] = &[
        ("arn", "/serviceArn"),
        ("name", "/serviceName"),
        ("url", "/url"),
        ("securityGroups", "/securityGroups/*"),
    ];

    fn status(&self) -> Option<&EcsExpressServiceStatus> {
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
    ) -> Result<Applied<EcsExpressServiceStatus>, Error> {
        let name = service_name(self);
        let recorded = checkpoint.current();
        self.check_create_only(&recorded, &name)?;
        let task_definition = task_definition::resolve(self, ctx).await?;
        let mut notes = Vec::new();
        // The cluster is needed only to find or create the service: once its ARN is recorded, every call names
        // the service by ARN, so a referenced EcsCluster that is not Ready holds nothing up.
        let (observed, cluster) = match recorded.service_arn.as_deref() {
            Some(arn) => (ctx.ecs.describe_express_service(arn).await?, None),
            None => {
                let cluster = self.cluster(ctx).await?;
                let found = claim::find_recorded(
                    self,
                    ctx,
                    checkpoint,
                    cluster.as_deref(),
                    &name,
                    &mut notes,
                )
                .await?;
                (found, Some(cluster))
            }
        };
        let mut applied_tag_keys = recorded.applied_tag_keys.clone();
        let current = match observed {
            Some(mut found) => {
                let what = format!("ECS Express service {}", found.service_arn);
                if claim(self, ctx, &found.tags, &what).await? == Ownership::Foreign {
                    return Err(Error::AlreadyExists(format!(
                        "{what} is not tagged as this object's; nothing was changed"
                    )));
                }
                if found.status_code() == "ACTIVE" {
                    applied_tag_keys =
                        claim::sync_tags(self, ctx, &mut found, &applied_tag_keys, &mut notes)
                            .await?;
                }
                if found.status_code() == "ACTIVE"
                    && !status::in_sync(&self.spec, task_definition.as_deref(), &found)
                {
                    ctx.ecs
                        .update_express_service(
                            &found.service_arn,
                            &self.spec,
                            task_definition.as_deref(),
                        )
                        .await?;
                    notes.push(Note::normal(
                        "Updated",
                        format!(
                            "updated ECS Express service {name}: a new configuration is deploying"
                        ),
                    ));
                    ctx.ecs
                        .describe_express_service(&found.service_arn)
                        .await?
                        .ok_or_else(|| gone(&name))?
                } else {
                    found
                }
            }
            None => {
                let cluster = match cluster {
                    Some(resolved) => resolved,
                    None => self.cluster(ctx).await?,
                };
                let created = self
                    .create(ctx, cluster.as_deref(), task_definition.as_deref(), &name)
                    .await?;
                let arn = created.service_arn.clone();
                checkpoint
                    .save(|status| status.service_arn = Some(arn))
                    .await?;
                applied_tag_keys = desired_tags(self, &self.spec.tags).into_keys().collect();
                notes.push(if recorded.service_arn.is_some() {
                    Note::warning(
                        "Recreated",
                        format!("ECS Express service {name} was deleted outside Kubernetes; created it again"),
                    )
                } else {
                    Note::normal("Created", format!("created ECS Express service {name}"))
                });
                created
            }
        };
        let adopted = notes.iter().any(|n| n.reason == claim::ADOPTED);
        let shown = EcsExpressServiceStatus {
            applied_tag_keys,
            adopted_at: recorded
                .adopted_at
                .clone()
                .or_else(|| adopted.then(crate::reconcile::conditions::now)),
            ..status::status_of(&current)
        };
        let ready = status::readiness(&current, &shown);
        let requeue = (!ready.status).then_some(POLL);
        Ok(Applied {
            status: shown,
            conditions: vec![ready],
            notes,
            requeue,
        })
    }

    async fn observe(
        &self,
        ctx: &Context,
    ) -> Result<Option<crate::reconcile::read_only::Observed<EcsExpressServiceStatus>>, Error> {
        let task_definition = task_definition::resolve(self, ctx).await?;
        let cluster = self.cluster(ctx).await?;
        observe::observe(self, ctx, cluster.as_deref(), task_definition.as_deref()).await
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Cleanup, Error> {
        let name = service_name(self);
        let found = match self.status.as_ref().and_then(|s| s.service_arn.as_deref()) {
            Some(arn) => ctx.ecs.describe_express_service(arn).await?,
            // No ARN recorded: a pass may have created the service and ended before recording it.
            None => claim::find_for_cleanup(self, ctx, &name).await?,
        };
        let Some(found) = found else {
            return Ok(Cleanup::Done(vec![Note::normal(
                "Deleted",
                format!("ECS Express service {name} is gone"),
            )]));
        };
        let arn = found.service_arn.clone();
        if classify(self, &found.tags) != Ownership::Ours {
            return Ok(Cleanup::Done(vec![Note::normal(
                "LeftInPlace",
                format!("ECS Express service {arn} is not owned by this object; left in place"),
            )]));
        }
        if found.status_code() == "ACTIVE" {
            ctx.ecs.delete_express_service(&arn).await?;
        }
        Ok(Cleanup::Waiting(format!(
            "ECS is draining Express service {name} and removing its load balancer, target groups, security \
             groups and scaling; waiting until ECS no longer reports it"
        )))
    }
}

impl EcsExpressService {
    /// Refuses a change of what ECS fixes at creation, once the service exists.
    fn check_create_only(
        &self,
        recorded: &EcsExpressServiceStatus,
        name: &str,
    ) -> Result<(), Error> {
        match recorded.service_name.as_deref() {
            Some(created) if recorded.service_arn.is_some() && created != name => {
                Err(Error::InvalidSpec(format!(
                    "spec.serviceName: the ECS Express service was created as {created}; ECS cannot rename it \
                     (set spec.serviceName back to {created}, or create a new object)"
                )))
            }
            _ => Ok(()),
        }
    }

    /// The ARN of the referenced cluster; `None` without `clusterRef` (ECS's `default`).
    async fn cluster(&self, ctx: &Context) -> Result<Option<String>, Error> {
        let Some(reference) = &self.spec.cluster_ref else {
            return Ok(None);
        };
        let namespace = kube::ResourceExt::namespace(self).unwrap_or_default();
        let api: Api<EcsCluster> = Api::namespaced(ctx.client.clone(), &namespace);
        let cluster = ready_object(&api, &reference.name, "spec.clusterRef").await?;
        same_place(ctx, &cluster, "spec.clusterRef")?;
        let arn = cluster.status.and_then(|s| s.arn).ok_or_else(|| {
            crate::controllers::references::not_ready(
                "EcsCluster",
                &reference.name,
                "spec.clusterRef",
            )
        })?;
        Ok(Some(arn))
    }

    /// Creates the service in `cluster` (ECS's default when `None`); a name ECS already has (created since the
    /// look for it) is refused, never taken over.
    async fn create(
        &self,
        ctx: &Context,
        cluster: Option<&str>,
        task_definition: Option<&str>,
        name: &str,
    ) -> Result<ObservedExpressService, Error> {
        let tags = desired_tags(self, &self.spec.tags);
        match ctx
            .ecs
            .create_express_service(name, cluster, &self.spec, task_definition, &tags)
            .await
        {
            Err(refused)
                if refused.kind == AwsErrorKind::Rejected && names_taken(&refused.to_string()) =>
            {
                Err(Error::AlreadyExists(format!(
                    "an ECS service named {name} already exists in the cluster and was not created by this object \
                     ({refused}); nothing was changed: choose another spec.serviceName"
                )))
            }
            other => Ok(other?),
        }
    }
}

/// Whether ECS refused a create because the name is taken (CreateService says "not idempotent"; the Express
/// call's wording is not documented, so both are recognised).
fn names_taken(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("already exists") || message.contains("not idempotent")
}

fn gone(name: &str) -> Error {
    Error::NotVisibleYet(format!(
        "ECS Express service {name} disappeared while it was being updated; will retry"
    ))
}
