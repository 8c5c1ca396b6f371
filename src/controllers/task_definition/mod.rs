//! The `TaskDefinition` controller: register a revision only when the normalized content changes, keep the
//! revision history within its limit, deregister what this object registered when it is deleted.

pub mod history;
pub mod normalize;
pub mod validate;

use std::collections::BTreeSet;

use kube::api::ListParams;
use kube::{Api, ResourceExt};

use crate::api::{DeletionPolicy, EcsService, TaskDefinition, TaskDefinitionStatus};
use crate::ecs::task_definition::{ObservedRevision, family_of, revision_of};
use crate::reconcile::conditions::{ConditionUpdate, READY, is_true_for};
use crate::reconcile::ownership::{Ownership, classify, desired_tags, ownership_tags, tag_changes};
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note};
use normalize::content_hash;
use validate::family;

impl Managed for TaskDefinition {
    type Status = TaskDefinitionStatus;

    fn status(&self) -> Option<&TaskDefinitionStatus> {
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
    ) -> Result<Applied<TaskDefinitionStatus>, Error> {
        let family = family(self);
        let content = self.spec.ecs_content();
        let desired_hash = content_hash(&content);
        if let Some(unchanged) = self.still_current(ctx, &desired_hash).await? {
            return Ok(unchanged);
        }
        let mut notes = Vec::new();
        let latest = ctx.ecs.describe_task_definition(&family).await?;
        if let Some(found) = &latest {
            match classify(self, &found.tags) {
                Ownership::Ours => {}
                Ownership::Adopt => {
                    adopt_family(self, ctx, &family).await?;
                    notes.push(Note::normal(
                        "Adopted",
                        format!("took over task definition family {family}"),
                    ));
                }
                Ownership::Foreign => return Err(already_exists(&family)),
            }
        }
        let current = match latest.filter(|rev| self.is_current(rev, &desired_hash)) {
            Some(rev) => self.sync_tags(ctx, rev).await?,
            None => {
                let rev = ctx
                    .ecs
                    .register_task_definition(
                        &family,
                        &content,
                        &desired_tags(self, &self.spec.tags),
                    )
                    .await?;
                notes.push(self.registered_note(&rev, &desired_hash));
                rev
            }
        };
        let (active, expired) = self.trim_history(ctx, &family, current.revision).await?;
        if !expired.is_empty() {
            notes.push(Note::normal(
                "Deregistered",
                format!(
                    "deregistered revisions {} of {family} (revisionHistoryLimit {})",
                    revisions_text(&expired),
                    self.spec.revision_history_limit()
                ),
            ));
        }
        let status = TaskDefinitionStatus {
            family: Some(family.clone()),
            revision: Some(current.revision),
            arn: Some(current.arn.clone()),
            latest_arn: Some(current.arn.clone()),
            active_revisions: active,
            spec_hash: Some(desired_hash),
            ..Default::default()
        };
        let ready = registered(current.revision, &family);
        Ok(Applied {
            status,
            conditions: vec![ready],
            notes,
            requeue: None,
        })
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Cleanup, Error> {
        let family = self
            .status
            .as_ref()
            .and_then(|s| s.family.clone())
            .unwrap_or_else(|| family(self));
        let mut ours = Vec::new();
        for arn in ctx.ecs.list_active_revisions(&family).await? {
            if classify(self, &ctx.ecs.list_tags(&arn).await?) == Ownership::Ours {
                ctx.ecs.deregister_task_definition(&arn).await?;
                ours.push(arn);
            }
        }
        if self.spec.delete_deregistered_revisions && !ours.is_empty() {
            ctx.ecs.delete_task_definitions(&ours).await?;
        }
        let revisions: Vec<i32> = ours.iter().filter_map(|arn| revision_of(arn)).collect();
        let message = if revisions.is_empty() {
            format!("no ACTIVE revision of {family} belonged to this object")
        } else {
            format!(
                "deregistered revisions {} of {family}",
                revisions_text(&revisions)
            )
        };
        Ok(Cleanup::Done(vec![Note::normal("Deleted", message)]))
    }
}

impl TaskDefinition {
    /// The drift check of an unchanged spec: its revision is still ACTIVE (one shared listing answers this for all
    /// task definitions), so nothing needs a closer look.
    async fn still_current(
        &self,
        ctx: &Context,
        desired_hash: &str,
    ) -> Result<Option<Applied<TaskDefinitionStatus>>, Error> {
        let Some(last) = self.status.as_ref() else {
            return Ok(None);
        };
        let settled = last.spec_hash.as_deref() == Some(desired_hash)
            && is_true_for(&last.conditions, READY, self.metadata.generation);
        let Some(arn) = last.latest_arn.as_deref().filter(|_| settled) else {
            return Ok(None);
        };
        if !ctx.ecs.is_active(arn, ctx.drift_interval / 2).await? {
            return Ok(None);
        }
        let family = last.family.clone().unwrap_or_default();
        let ready = registered(last.revision.unwrap_or_default(), &family);
        Ok(Some(Applied {
            status: last.clone(),
            conditions: vec![ready],
            notes: Vec::new(),
            requeue: None,
        }))
    }

    /// Whether the newest ACTIVE revision already has the desired content.
    fn is_current(&self, rev: &ObservedRevision, desired_hash: &str) -> bool {
        let last = self.status.as_ref();
        let known = last.is_some_and(|s| {
            s.revision == Some(rev.revision) && s.spec_hash.as_deref() == Some(desired_hash)
        });
        known || content_hash(&rev.content) == desired_hash
    }

    fn registered_note(&self, rev: &ObservedRevision, desired_hash: &str) -> Note {
        let last = self.status.as_ref();
        let unchanged = last.is_some_and(|s| s.spec_hash.as_deref() == Some(desired_hash));
        if unchanged {
            Note::warning(
                "DriftRepaired",
                format!(
                    "revision {} of {} was deregistered outside Kubernetes; registered the same content as revision {}",
                    last.and_then(|s| s.revision).unwrap_or_default(),
                    rev.family,
                    rev.revision
                ),
            )
        } else {
            Note::normal(
                "Registered",
                format!("registered revision {} of {}", rev.revision, rev.family),
            )
        }
    }

    /// Brings the tags of the current revision to the spec (tag changes never register a revision).
    async fn sync_tags(
        &self,
        ctx: &Context,
        mut rev: ObservedRevision,
    ) -> Result<ObservedRevision, Error> {
        let desired = desired_tags(self, &self.spec.tags);
        let (set, remove) = tag_changes(&desired, &rev.tags);
        if !set.is_empty() {
            ctx.ecs.tag_resource(&rev.arn, &set).await?;
        }
        if !remove.is_empty() {
            ctx.ecs.untag_resource(&rev.arn, &remove).await?;
        }
        rev.tags = desired;
        Ok(rev)
    }

    /// Deregisters the revisions of this object beyond the history limit; returns (still ACTIVE, deregistered).
    async fn trim_history(
        &self,
        ctx: &Context,
        family: &str,
        current: i32,
    ) -> Result<(Vec<i32>, Vec<i32>), Error> {
        let arns = ctx.ecs.list_active_revisions(family).await?;
        let mut active: Vec<i32> = arns.iter().filter_map(|arn| revision_of(arn)).collect();
        let limit = self.spec.revision_history_limit();
        let none = BTreeSet::new();
        let candidates = history::expired_revisions(&active, current, limit, &none);
        // Only revisions past the limit need the (costlier) look at which revisions services still run.
        let in_use = match candidates.is_empty() {
            true => none,
            false => revisions_in_use(self, ctx, family).await?,
        };
        let mut expired = Vec::new();
        for revision in history::expired_revisions(&active, current, limit, &in_use) {
            let Some(arn) = arns.iter().find(|arn| revision_of(arn) == Some(revision)) else {
                continue;
            };
            if classify(self, &ctx.ecs.list_tags(arn).await?) != Ownership::Ours {
                continue;
            }
            ctx.ecs.deregister_task_definition(arn).await?;
            expired.push(revision);
        }
        if self.spec.delete_deregistered_revisions && !expired.is_empty() {
            let gone: Vec<String> = arns
                .iter()
                .filter(|arn| revision_of(arn).is_some_and(|r| expired.contains(&r)))
                .cloned()
                .collect();
            ctx.ecs.delete_task_definitions(&gone).await?;
        }
        active.retain(|rev| !expired.contains(rev));
        Ok((active, expired))
    }
}

/// Tags every ACTIVE revision of an adopted family as this object's, so history and delete treat them as ours.
async fn adopt_family(td: &TaskDefinition, ctx: &Context, family: &str) -> Result<(), Error> {
    let tags = ownership_tags(td);
    for arn in ctx.ecs.list_active_revisions(family).await? {
        ctx.ecs.tag_resource(&arn, &tags).await?;
    }
    Ok(())
}

/// Revisions of `family` that a deployment of an `EcsService` in this namespace still runs.
async fn revisions_in_use(
    td: &TaskDefinition,
    ctx: &Context,
    family: &str,
) -> Result<BTreeSet<i32>, Error> {
    let services: Api<EcsService> =
        Api::namespaced(ctx.client.clone(), &td.namespace().unwrap_or_default());
    let list = services.list(&ListParams::default()).await?;
    let arns = list
        .items
        .into_iter()
        .filter_map(|s| s.status)
        .flat_map(|status| {
            let primary = status.task_definition.clone();
            status
                .deployments
                .into_iter()
                .filter_map(|d| d.task_definition)
                .chain(primary)
        });
    Ok(arns
        .filter(|arn| family_of(arn) == family)
        .filter_map(|arn| revision_of(&arn))
        .collect())
}

/// `Ready`: the revision is registered and ACTIVE.
fn registered(revision: i32, family: &str) -> ConditionUpdate {
    ConditionUpdate::new(
        READY,
        true,
        "Registered",
        format!("revision {revision} of {family} is ACTIVE"),
    )
}

fn revisions_text(revisions: &[i32]) -> String {
    revisions
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn already_exists(family: &str) -> Error {
    Error::AlreadyExists(format!(
        "task definition family {family} already has revisions that were not registered by this object; nothing was \
         changed. Set the annotation ecsbridge.dev/adopt: \"true\" to take the family over, or choose another spec.family"
    ))
}
