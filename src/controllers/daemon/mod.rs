//! The `EcsDaemon` controller: creates the daemon (CreateDaemon) in its cluster on its capacity providers and
//! records its ARN at once, since every later call names it by ARN; sends what changed (UpdateDaemon: a new daemon
//! task definition revision, capacity providers, deployment configuration, flags) and follows the deployment ECS
//! started for it (DescribeDaemonDeployments): Ready once it is SUCCESSFUL, Degraded once ECS rolled it back, with
//! no second send of what was rolled back. A daemon of the same name this object did not create is refused unless
//! the object asks to adopt it; deletion waits until ECS no longer reports the daemon.

pub mod find;
pub mod resolve;
pub mod rollout;
pub mod users;
pub mod validate;

use std::time::Duration;

use crate::api::{DeletionPolicy, EcsDaemon, EcsDaemonStatus};
use crate::ecs::daemon::ObservedDaemon;
use crate::reconcile::ownership::{Ownership, classify, desired_tags, tag_changes};
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note};
use resolve::input_hash;

/// How often to look again while ECS deploys or deletes.
const POLL: Duration = Duration::from_secs(10);

impl Managed for EcsDaemon {
    type Status = EcsDaemonStatus;
    const EXPORTED: &'static [(&'static str, &'static str)] =
        &[("arn", "/daemonArn"), ("name", "/daemonName")];

    fn status(&self) -> Option<&EcsDaemonStatus> {
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
    ) -> Result<Applied<EcsDaemonStatus>, Error> {
        let name = find::daemon_name(self);
        let recorded = checkpoint.current();
        if let Some(created) = recorded.daemon_name.as_deref().filter(|n| *n != name) {
            return Err(Error::InvalidSpec(format!(
                "spec.daemonName: the ECS daemon was created as {created}; ECS cannot rename it (set \
                 spec.daemonName back to {created}, or create a new object)"
            )));
        }
        let resolved = resolve::resolve(self, ctx).await?;
        let hash = input_hash(&resolved.input);
        let mut notes = Vec::new();
        let observed = self
            .existing(
                ctx,
                checkpoint,
                &recorded,
                &name,
                resolved.cluster.as_deref(),
                &mut notes,
            )
            .await?;
        let observed = match observed {
            Some(found) => found,
            None => {
                let tags = desired_tags(self, &self.spec.tags);
                let (arn, deployment) = find::create(ctx, &name, &resolved, &tags).await?;
                let sent = resolved.input.clone();
                checkpoint
                    .save(|s| {
                        s.daemon_arn = Some(arn.clone());
                        s.daemon_name = Some(name.clone());
                        s.deployment_arn = deployment;
                        s.sent_hash = Some(hash.clone());
                        s.rolled_back_hash = None;
                        s.daemon_task_definition_arn = Some(sent.daemon_task_definition_arn);
                        s.capacity_provider_arns = sent.capacity_provider_arns;
                    })
                    .await?;
                notes.push(Note::normal(
                    "Created",
                    format!("created ECS daemon {name} ({arn})"),
                ));
                ctx.ecs
                    .describe_daemon(&arn)
                    .await?
                    .ok_or_else(|| gone(&name))?
            }
        };
        self.put_back_tags(ctx, &observed.daemon_arn, &mut notes)
            .await?;
        let last = checkpoint.current();
        let mut deployment = match last.deployment_arn.as_deref() {
            Some(arn) => ctx.ecs.describe_daemon_deployment(arn).await?,
            None => None,
        };
        // A deployment ECS reports that is not the one of what was last sent: someone else changed the daemon.
        let superseded = observed.deployment_arn.is_some()
            && last.deployment_arn.is_some()
            && observed.deployment_arn != last.deployment_arn;
        let mut state = rollout::rollout(
            last.deployment_arn.as_deref().unwrap_or_default(),
            deployment.as_ref(),
            superseded,
        );
        if state.rolled_back && last.rolled_back_hash != last.sent_hash {
            let rolled = last.sent_hash.clone();
            checkpoint.save(|s| s.rolled_back_hash = rolled).await?;
        }
        let last = checkpoint.current();
        let outside = superseded && !state.rolled_back;
        let rolled_back_spec = last.rolled_back_hash.as_deref() == Some(hash.as_str());
        if !rolled_back_spec && (last.sent_hash.as_deref() != Some(hash.as_str()) || outside) {
            let arn = observed.daemon_arn.clone();
            let started = ctx.ecs.update_daemon(&arn, &resolved.input).await?;
            let sent = resolved.input.clone();
            checkpoint
                .save(|s| {
                    s.deployment_arn = started.clone();
                    s.sent_hash = Some(hash.clone());
                    s.rolled_back_hash = None;
                    s.daemon_task_definition_arn = Some(sent.daemon_task_definition_arn);
                    s.capacity_provider_arns = sent.capacity_provider_arns;
                })
                .await?;
            notes.push(if outside && last.sent_hash.as_deref() == Some(hash.as_str()) {
                Note::warning(
                    "DriftRepaired",
                    format!(
                        "ECS daemon {name} was deployed outside Kubernetes ({}); sent the spec again",
                        observed.deployment_arn.clone().unwrap_or_default()
                    ),
                )
            } else {
                Note::normal(
                    "Updated",
                    format!(
                        "updated ECS daemon {name}: deploying {}",
                        resolved.input.daemon_task_definition_arn
                    ),
                )
            });
            deployment = match started.as_deref() {
                Some(arn) => ctx.ecs.describe_daemon_deployment(arn).await?,
                None => None,
            };
            state = rollout::rollout(
                started.as_deref().unwrap_or_default(),
                deployment.as_ref(),
                false,
            );
        }
        let last = checkpoint.current();
        let status = EcsDaemonStatus {
            daemon_arn: Some(observed.daemon_arn.clone()),
            daemon_name: Some(name),
            cluster_arn: observed.cluster_arn.clone(),
            ecs_status: observed.status.clone(),
            running_count: Some(observed.running_count()),
            deployment_status: deployment.as_ref().and_then(|d| d.status.clone()),
            deployment_status_reason: deployment.as_ref().and_then(|d| {
                d.rollback
                    .as_ref()
                    .and_then(|r| r.reason.clone())
                    .or_else(|| d.status_reason.clone())
            }),
            ..last
        };
        let requeue = (!state.finished).then_some(POLL);
        Ok(Applied {
            status,
            conditions: state.conditions,
            notes,
            requeue,
        })
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Cleanup, Error> {
        let name = find::daemon_name(self);
        let recorded = self.status.as_ref().and_then(|s| s.daemon_arn.clone());
        let arn = match recorded {
            Some(arn) => Some(arn),
            None => find::ours_by_name(self, ctx, &name).await?,
        };
        let Some(arn) = arn else {
            return Ok(Cleanup::Done(vec![Note::normal(
                "Deleted",
                format!("no ECS daemon {name} was created for this object"),
            )]));
        };
        let Some(found) = ctx.ecs.describe_daemon(&arn).await? else {
            return Ok(Cleanup::Done(vec![Note::normal(
                "Deleted",
                format!("ECS daemon {name} is gone"),
            )]));
        };
        if classify(self, &ctx.ecs.list_tags(&arn).await?) != Ownership::Ours {
            return Ok(Cleanup::Done(vec![Note::normal(
                "LeftInPlace",
                format!("ECS daemon {arn} is not owned by this object; left in place"),
            )]));
        }
        if found.status_code() == "ACTIVE" {
            ctx.ecs.delete_daemon(&arn).await?;
        }
        Ok(Cleanup::Waiting(format!(
            "ECS is deleting daemon {name} and stopping its tasks; waiting until ECS no longer reports it"
        )))
    }
}

impl EcsDaemon {
    /// The daemon this object has in ECS: the one its status records, or, before one is recorded, one of its
    /// name that is this object's (a create whose answer was lost) or that it adopts; `None` when there is none
    /// to create. A recorded daemon deleted outside Kubernetes is waited for, then created again.
    async fn existing(
        &self,
        ctx: &Context,
        checkpoint: &Checkpoint<'_, Self>,
        recorded: &EcsDaemonStatus,
        name: &str,
        cluster: Option<&str>,
        notes: &mut Vec<Note>,
    ) -> Result<Option<ObservedDaemon>, Error> {
        if let Some(arn) = recorded.daemon_arn.as_deref() {
            match ctx.ecs.describe_daemon(arn).await? {
                Some(found) if found.status_code() == "DELETE_IN_PROGRESS" => {
                    return Err(Error::DependencyNotReady(format!(
                        "ECS daemon {name} is being deleted outside Kubernetes; it is created again once ECS no \
                         longer reports it"
                    )));
                }
                Some(found) => {
                    if classify(self, &ctx.ecs.list_tags(arn).await?) != Ownership::Ours {
                        return Err(Error::AlreadyExists(format!(
                            "ECS daemon {arn} is no longer tagged as this object's; nothing was changed"
                        )));
                    }
                    return Ok(Some(found));
                }
                None => {
                    notes.push(Note::warning(
                        "Recreated",
                        format!(
                            "ECS daemon {name} was deleted outside Kubernetes; creating it again"
                        ),
                    ));
                    checkpoint
                        .save(|s| {
                            s.daemon_arn = None;
                            s.deployment_arn = None;
                            s.sent_hash = None;
                        })
                        .await?;
                    return Ok(None);
                }
            }
        }
        let Some((found, adopted)) = find::claim_by_name(self, ctx, name, cluster).await? else {
            return Ok(None);
        };
        let arn = found.daemon_arn.clone();
        if adopted {
            let now = crate::reconcile::conditions::now();
            notes.push(Note::normal(
                "Adopted",
                format!("took over ECS daemon {arn}; the spec is deployed to it"),
            ));
            checkpoint
                .save(|s| {
                    s.daemon_arn = Some(arn.clone());
                    s.daemon_name = Some(name.to_owned());
                    s.deployment_arn = found.deployment_arn.clone();
                    s.sent_hash = None;
                    s.adopted_at = Some(now);
                })
                .await?;
        } else {
            checkpoint
                .save(|s| {
                    s.daemon_arn = Some(arn.clone());
                    s.daemon_name = Some(name.to_owned());
                    s.deployment_arn = found.deployment_arn.clone();
                })
                .await?;
        }
        Ok(Some(found))
    }

    /// Puts back the spec's and the ownership tags changed outside Kubernetes; others' tags stay.
    async fn put_back_tags(
        &self,
        ctx: &Context,
        arn: &str,
        notes: &mut Vec<Note>,
    ) -> Result<(), Error> {
        let (changed, _) = tag_changes(
            &desired_tags(self, &self.spec.tags),
            &ctx.ecs.list_tags(arn).await?,
        );
        if !changed.is_empty() {
            ctx.ecs.tag_resource(arn, &changed).await?;
            let keys: Vec<&str> = changed.keys().map(String::as_str).collect();
            notes.push(Note::normal(
                "Tagged",
                format!("set tags {} of ECS daemon {arn}", keys.join(", ")),
            ));
        }
        Ok(())
    }
}

fn gone(name: &str) -> Error {
    Error::DependencyNotReady(format!(
        "ECS daemon {name} disappeared right after it was created; will look again"
    ))
}
