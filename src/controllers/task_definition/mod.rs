//! The `TaskDefinition` controller: register a revision only when the normalized content changes (and write it
//! to status at once), keep the revision history within its limit without touching revisions in use, retire
//! what this object registered when it is deleted.

pub mod current;
pub mod defaults;
pub mod history;
pub mod in_use;
pub mod normalize;
pub mod observe;
pub mod refusals;
pub mod retire;
pub mod validate;

use serde_json::Value;

use crate::api::{DeletionPolicy, TaskDefinition, TaskDefinitionStatus};
use crate::ecs::task_definition::ObservedRevision;
use crate::ecs::{AwsError, AwsErrorKind};
use crate::reconcile::conditions::{ConditionUpdate, READY, is_true_for};
use crate::reconcile::ownership::{
    Ownership, claim, classify, desired_tags, live_owner, ownership_tags, tag_changes,
    tag_changes_since,
};
use crate::reconcile::read_only::Observed;
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note, drift_pass};
use current::{is_current, refused_before, registered_note};
use normalize::content_hash;
use retire::Retired;
use validate::family;

impl Managed for TaskDefinition {
    type Status = TaskDefinitionStatus;
    const EXPORTED: &'static [(&'static str, &'static str)] = &[
        ("family", "/family"),
        ("revision", "/revision"),
        ("latestArn", "/latestArn"),
    ];

    fn status(&self) -> Option<&TaskDefinitionStatus> {
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
    ) -> Result<Applied<TaskDefinitionStatus>, Error> {
        let family = family(self);
        let content = self.spec.ecs_content();
        let desired_hash = content_hash(&content);
        let last = checkpoint.current();
        if let Some(unchanged) = self.still_current(ctx, &last, &desired_hash).await? {
            return Ok(unchanged);
        }
        if refused_before(&last, &desired_hash) {
            return Err(Error::InvalidSpec(format!(
                "ECS refused to register this spec of {family} before; it is not sent again until the spec changes"
            )));
        }
        let mut notes = Vec::new();
        let latest = ctx.ecs.describe_task_definition(&family).await?;
        if let Some(found) = &latest {
            let what = format!("task definition family {family}");
            match claim(self, ctx, &found.tags, &what).await? {
                Ownership::Ours => {}
                Ownership::Adopt if last.adopted_at.is_none() => {
                    let taken = adopt_family(self, ctx, &family).await?;
                    let now = crate::reconcile::conditions::now();
                    checkpoint.save(|s| s.adopted_at = Some(now)).await?;
                    notes.push(Note::normal(
                        "Adopted",
                        format!("took over {taken} revisions of task definition family {family}"),
                    ));
                }
                // Adopted once already: a revision someone else registered since is not taken over.
                Ownership::Adopt => {}
                Ownership::Foreign => return Err(already_exists(&family)),
            }
        }
        let current = match latest.filter(|rev| is_current(&last, rev, &content, &desired_hash)) {
            Some(rev) => self.sync_tags(ctx, rev, &last.applied_tag_keys).await?,
            None => {
                let rev = self
                    .register(ctx, checkpoint, &family, &content, &desired_hash)
                    .await?;
                notes.push(registered_note(&last, &rev, &desired_hash));
                notes.extend(validate::warnings(&self.spec));
                rev
            }
        };
        let retired = match retire::trim_history(self, ctx, &family, current.revision).await {
            Ok(retired) => retired,
            Err(e) => Retired {
                active: active_after(&last.active_revisions, current.revision),
                notes: vec![Note::warning(
                    "HistoryNotTrimmed",
                    format!(
                        "revision {} of {family} is registered; trimming the history failed: {e}",
                        current.revision
                    ),
                )],
            },
        };
        notes.extend(retired.notes);
        let status = TaskDefinitionStatus {
            family: Some(family.clone()),
            revision: Some(current.revision),
            arn: Some(current.arn.clone()),
            latest_arn: Some(current.arn.clone()),
            active_revisions: retired.active,
            spec_hash: Some(desired_hash),
            adopted_at: checkpoint.current().adopted_at,
            applied_tag_keys: desired_tags(self, &self.spec.tags).into_keys().collect(),
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

    async fn observe(
        &self,
        ctx: &Context,
    ) -> Result<Option<Observed<TaskDefinitionStatus>>, Error> {
        observe::observe(self, ctx).await
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Cleanup, Error> {
        let family = self
            .status
            .as_ref()
            .and_then(|s| s.family.clone())
            .unwrap_or_else(|| family(self));
        retire::retire_all(self, ctx, &family).await
    }
}

impl TaskDefinition {
    /// The drift check of an unchanged spec: its revision is still ACTIVE (a shared listing of the family answers
    /// this), so nothing needs a closer look but its tags.
    async fn still_current(
        &self,
        ctx: &Context,
        last: &TaskDefinitionStatus,
        desired_hash: &str,
    ) -> Result<Option<Applied<TaskDefinitionStatus>>, Error> {
        let settled = last.spec_hash.as_deref() == Some(desired_hash)
            && is_true_for(&last.conditions, READY, self.metadata.generation);
        let Some(arn) = last.latest_arn.as_deref().filter(|_| settled) else {
            return Ok(None);
        };
        if !ctx.ecs.is_active(arn, ctx.drift_interval).await? {
            return Ok(None);
        }
        let family = last.family.clone().unwrap_or_default();
        let ready = registered(last.revision.unwrap_or_default(), &family);
        let unchanged = Applied {
            status: last.clone(),
            conditions: vec![ready],
            notes: Vec::new(),
            requeue: None,
        };
        // The spec's tags changed in ECS are put back (a tag read of its own bucket, not a task definition read);
        // others' tags stay. Every pass reads them while the tag reads of all checked revisions fit a share of the
        // tag-read bucket; beyond that each revision's are read once in as many passes as they need.
        let passes = ctx.ecs.tag_check_passes(ctx.drift_interval, TAG_READ_SHARE);
        if !tags_due(arn, drift_pass(ctx.drift_interval), passes) {
            return Ok(Some(unchanged));
        }
        let (changed, _) = tag_changes(
            &desired_tags(self, &self.spec.tags),
            &ctx.ecs.list_tags(arn).await?,
        );
        let mut notes = Vec::new();
        if !changed.is_empty() {
            ctx.ecs.tag_resource(arn, &changed).await?;
            let keys: Vec<&str> = changed.keys().map(String::as_str).collect();
            notes.push(Note::warning(
                "DriftRepaired",
                format!(
                    "tags {} of {arn} were changed outside Kubernetes; put back",
                    keys.join(", ")
                ),
            ));
        }
        Ok(Some(Applied { notes, ..unchanged }))
    }

    /// Registers the spec and writes the new revision to status at once, so that a failure later in this
    /// reconcile does not register it again; a spec ECS refuses is remembered and not sent again.
    async fn register(
        &self,
        ctx: &Context,
        checkpoint: &Checkpoint<'_, Self>,
        family: &str,
        content: &Value,
        desired_hash: &str,
    ) -> Result<ObservedRevision, Error> {
        let tags = desired_tags(self, &self.spec.tags);
        match ctx
            .ecs
            .register_task_definition(family, content, &tags)
            .await
        {
            Ok(rev) => {
                checkpoint
                    .save(|s| {
                        s.family = Some(family.to_owned());
                        s.revision = Some(rev.revision);
                        s.arn = Some(rev.arn.clone());
                        s.latest_arn = Some(rev.arn.clone());
                        s.spec_hash = Some(desired_hash.to_owned());
                        s.rejected_spec_hash = None;
                    })
                    .await?;
                Ok(rev)
            }
            Err(e) if is_refusal(&e) => {
                checkpoint
                    .save(|s| s.rejected_spec_hash = Some(desired_hash.to_owned()))
                    .await?;
                Err(Error::InvalidSpec(format!(
                    "ECS refused to register this spec of {family} ({e}); it is not sent again until the spec changes"
                )))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Brings the tags of the current revision to the spec (tag changes never register a revision); of the keys
    /// the spec no longer has, only those the operator applied (`applied`) are removed: others' tags stay.
    async fn sync_tags(
        &self,
        ctx: &Context,
        mut rev: ObservedRevision,
        applied: &[String],
    ) -> Result<ObservedRevision, Error> {
        let desired = desired_tags(self, &self.spec.tags);
        let (set, remove) = tag_changes_since(&desired, &rev.tags, applied);
        if !set.is_empty() {
            ctx.ecs.tag_resource(&rev.arn, &set).await?;
        }
        if !remove.is_empty() {
            ctx.ecs.untag_resource(&rev.arn, &remove).await?;
        }
        rev.tags.retain(|key, _| !remove.contains(key));
        rev.tags.extend(set);
        Ok(rev)
    }
}

/// Tags the ACTIVE revisions of an adopted family as this object's, so history and delete treat them as ours: those
/// without an owner, or whose owner no longer exists; never one another live object owns. Returns how many.
async fn adopt_family(td: &TaskDefinition, ctx: &Context, family: &str) -> Result<usize, Error> {
    let tags = ownership_tags(td);
    let mut taken = 0;
    for arn in ctx.ecs.list_active_revisions(family).await? {
        let found = ctx.ecs.list_tags(&arn).await?;
        if live_owner::<TaskDefinition>(&ctx.client, &found)
            .await?
            .is_some_and(|_| classify(td, &found) != Ownership::Ours)
        {
            continue;
        }
        ctx.ecs.tag_resource(&arn, &tags).await?;
        taken += 1;
    }
    Ok(taken)
}

/// The share of what the tag-read bucket sustains in a drift pass that the drift checks' tag reads may take.
const TAG_READ_SHARE: f64 = 0.5;

/// Whether drift pass number `pass` reads the tags of revision `arn` when the tag reads are spread over `passes`
/// passes: one pass in `passes`, a different one for each revision so that every pass reads about as many.
fn tags_due(arn: &str, pass: u64, passes: u64) -> bool {
    let passes = passes.max(1);
    let spread = arn.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    spread % passes == pass % passes
}

/// Whether ECS refused the request itself (not the caller's rights, not a passing failure).
fn is_refusal(e: &AwsError) -> bool {
    e.kind == AwsErrorKind::Rejected
        && matches!(
            e.code.as_deref(),
            Some("ClientException" | "InvalidParameterException")
        )
}

/// The ACTIVE revisions status showed with `current` added, for when the history could not be listed.
fn active_after(last: &[i32], current: i32) -> Vec<i32> {
    let mut active: Vec<i32> = last.iter().copied().filter(|r| *r != current).collect();
    active.push(current);
    active.sort_unstable();
    active
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

fn already_exists(family: &str) -> Error {
    Error::AlreadyExists(format!(
        "task definition family {family} already has revisions that were not registered by this object; nothing was \
         changed. Set the annotation ecsbridge.dev/adopt: \"true\" to take the family over, or choose another spec.family"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// While the tag reads fit the bucket (one pass), every pass reads every revision's tags.
    #[test]
    fn with_one_pass_every_revision_s_tags_are_read_every_pass() {
        for pass in 0..5 {
            assert!(tags_due(
                "arn:aws:ecs:us-east-1:1:task-definition/a:1",
                pass,
                1
            ));
            assert!(tags_due(
                "arn:aws:ecs:us-east-1:1:task-definition/b:7",
                pass,
                0
            ));
        }
    }

    /// Spread over ten passes (3,000 families, 300 tag reads a pass), a pass reads about a tenth of the revisions'
    /// tags and every revision's within any ten consecutive passes.
    #[test]
    fn spread_over_ten_passes_each_pass_reads_a_tenth_and_each_revision_once() {
        let arns: Vec<String> = (0..1000)
            .map(|i| format!("arn:aws:ecs:us-east-1:123456789012:task-definition/td{i}:1"))
            .collect();
        for first in [0, 7, 1_000_003] {
            for arn in &arns {
                let due = (first..first + 10)
                    .filter(|pass| tags_due(arn, *pass, 10))
                    .count();
                assert_eq!(due, 1, "{arn}");
            }
            let read = arns.iter().filter(|arn| tags_due(arn, first, 10)).count();
            assert!((50..=150).contains(&read), "{read} of 1000 in one pass");
        }
    }
}
