//! The `DaemonTaskDefinition` controller, with `TaskDefinition`'s revision discipline: a revision is registered
//! only when the content changes (and written to status at once), a spec ECS refused is not sent again until it
//! changes, the history is kept within `revisionHistoryLimit` by deleting this object's older revisions
//! (DeleteDaemonTaskDefinition) that no daemon runs, and on deletion this object's revisions go once no daemon
//! runs them.

pub mod in_use;
pub mod retire;
pub mod validate;

use kube::ResourceExt;

use crate::api::{DaemonTaskDefinition, DaemonTaskDefinitionStatus, DeletionPolicy};
use crate::controllers::task_definition::normalize::content_hash;
use crate::ecs::task_definition::revision_of;
use crate::ecs::{AwsError, AwsErrorKind};
use crate::reconcile::conditions::{ConditionUpdate, READY};
use crate::reconcile::ownership::{Ownership, claim, desired_tags};
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note};

impl Managed for DaemonTaskDefinition {
    type Status = DaemonTaskDefinitionStatus;
    const EXPORTED: &'static [(&'static str, &'static str)] = &[
        ("family", "/family"),
        ("revision", "/revision"),
        ("latestArn", "/latestArn"),
    ];

    fn status(&self) -> Option<&DaemonTaskDefinitionStatus> {
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
    ) -> Result<Applied<DaemonTaskDefinitionStatus>, Error> {
        let family = family(self);
        let last = checkpoint.current();
        if let Some(recorded) = last.family.as_deref().filter(|f| *f != family) {
            return Err(Error::InvalidSpec(format!(
                "spec.family: this object registers daemon task definition family {recorded}; a family cannot be \
                 renamed (set spec.family back to {recorded}, or create a new object)"
            )));
        }
        let content = self.spec.ecs_content();
        let desired_hash = content_hash(&content);
        let mut notes = Vec::new();
        let still_active = match last.latest_arn.as_deref() {
            Some(arn) if last.spec_hash.as_deref() == Some(desired_hash.as_str()) => {
                ctx.ecs.daemon_task_definition_status(arn).await?.as_deref() == Some("ACTIVE")
            }
            _ => false,
        };
        let latest_arn = if still_active {
            last.latest_arn.clone().unwrap_or_default()
        } else {
            if last.rejected_spec_hash.as_deref() == Some(desired_hash.as_str()) {
                return Err(Error::InvalidSpec(format!(
                    "ECS refused to register this spec of {family} before; it is not sent again until the spec \
                     changes"
                )));
            }
            if last.latest_arn.is_none() {
                self.claim_family(ctx, &family).await?;
            }
            let arn = self
                .register(ctx, checkpoint, &family, &content, &desired_hash)
                .await?;
            notes.push(Note::normal(
                "Registered",
                format!("registered daemon task definition {arn}"),
            ));
            arn
        };
        let revision = revision_of(&latest_arn).unwrap_or_default();
        let retired = retire::trim_history(self, ctx, &family, revision).await?;
        notes.extend(retired.notes);
        let status = DaemonTaskDefinitionStatus {
            family: Some(family.clone()),
            revision: Some(revision),
            latest_arn: Some(latest_arn),
            active_revisions: retired.active,
            spec_hash: Some(desired_hash),
            ..Default::default()
        };
        Ok(Applied {
            status,
            conditions: vec![ConditionUpdate::new(
                READY,
                true,
                "Registered",
                format!("revision {revision} of daemon task definition {family} is ACTIVE"),
            )],
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
        retire::retire_all(self, ctx, &family).await
    }
}

impl DaemonTaskDefinition {
    /// Refuses a family with ACTIVE revisions this object did not register, unless it is adopted.
    async fn claim_family(&self, ctx: &Context, family: &str) -> Result<(), Error> {
        let Some(newest) = ctx.ecs.list_active_daemon_revisions(family).await?.pop() else {
            return Ok(());
        };
        let tags = ctx.ecs.list_tags(&newest).await?;
        let what = format!("daemon task definition family {family}");
        match claim(self, ctx, &tags, &what).await? {
            Ownership::Ours | Ownership::Adopt => Ok(()),
            Ownership::Foreign => Err(Error::AlreadyExists(format!(
                "daemon task definition family {family} already has revisions that were not registered by this \
                 object; nothing was changed. Set the annotation ecsbridge.dev/adopt: \"true\" to register new \
                 revisions in it (the existing ones are never deleted), or choose another spec.family"
            ))),
        }
    }

    /// Registers the spec and writes the new revision to status at once; a spec ECS refuses is remembered.
    async fn register(
        &self,
        ctx: &Context,
        checkpoint: &Checkpoint<'_, Self>,
        family: &str,
        content: &serde_json::Value,
        desired_hash: &str,
    ) -> Result<String, Error> {
        let tags = desired_tags(self, &self.spec.tags);
        match ctx
            .ecs
            .register_daemon_task_definition(family, content, &tags)
            .await
        {
            Ok(arn) => {
                checkpoint
                    .save(|s| {
                        s.family = Some(family.to_owned());
                        s.revision = revision_of(&arn);
                        s.latest_arn = Some(arn.clone());
                        s.spec_hash = Some(desired_hash.to_owned());
                        s.rejected_spec_hash = None;
                    })
                    .await?;
                Ok(arn)
            }
            Err(e) if is_refusal(&e) => {
                checkpoint
                    .save(|s| s.rejected_spec_hash = Some(desired_hash.to_owned()))
                    .await?;
                Err(Error::InvalidSpec(format!(
                    "ECS refused to register this spec of {family} ({e}); it is not sent again until the spec \
                     changes"
                )))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The family: `spec.family`, or the object's name.
pub fn family(dtd: &DaemonTaskDefinition) -> String {
    dtd.spec.family.clone().unwrap_or_else(|| dtd.name_any())
}

/// Whether ECS refused the request itself (not the caller's rights, not a passing failure).
fn is_refusal(e: &AwsError) -> bool {
    e.kind == AwsErrorKind::Rejected
        && matches!(
            e.code.as_deref(),
            Some("ClientException" | "InvalidParameterException")
        )
}
