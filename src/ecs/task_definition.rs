//! ECS task definition calls: describe, register, list revisions (per family: `familyPrefix` is an exact family
//! match, entry 48), deregister and delete.

use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::{TaskDefinitionField, TaskDefinitionStatus};
use serde::Deserialize;
use serde_json::Value;

use super::bridge::{from_sdk, to_sdk};
use super::{AwsError, AwsErrorKind, Ecs};
use crate::api::Tags;

/// ECS answers DeleteTaskDefinitions for at most this many ARNs per call.
const DELETE_BATCH: usize = 10;

/// A revision DeleteTaskDefinitions did not delete, with ECS's reason.
#[derive(Clone, Debug, PartialEq)]
pub struct DeleteFailure {
    pub arn: String,
    pub reason: String,
}

/// One revision of a task definition family, as ECS reports it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedRevision {
    pub arn: String,
    pub family: String,
    pub revision: i32,
    /// `ACTIVE`, `INACTIVE` or `DELETE_IN_PROGRESS`.
    pub status: String,
    /// The whole task definition as ECS JSON (including ECS's own fields such as `revision`).
    pub content: Value,
    pub tags: Tags,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identity {
    task_definition_arn: String,
    family: String,
    revision: i32,
    #[serde(default)]
    status: String,
}

fn observed(
    td: &aws_sdk_ecs::types::TaskDefinition,
    tags: &[aws_sdk_ecs::types::Tag],
) -> Result<ObservedRevision, AwsError> {
    let identity: Identity = from_sdk(td)?;
    Ok(ObservedRevision {
        arn: identity.task_definition_arn,
        family: identity.family,
        revision: identity.revision,
        status: identity.status,
        content: from_sdk(td)?,
        tags: super::tags::from_ecs(tags),
    })
}

/// A revision number from a task definition ARN (`...:task-definition/family:7`).
pub fn revision_of(arn: &str) -> Option<i32> {
    arn.rsplit_once(':').and_then(|(_, rev)| rev.parse().ok())
}

/// The family from a task definition ARN or `family:revision`.
pub fn family_of(arn_or_name: &str) -> &str {
    let name = arn_or_name
        .rsplit_once('/')
        .map_or(arn_or_name, |(_, name)| name);
    name.split_once(':').map_or(name, |(family, _)| family)
}

impl Ecs {
    /// The newest ACTIVE revision of a family (or exactly the revision an ARN or `family:rev` names), with tags.
    pub async fn describe_task_definition(
        &self,
        name: &str,
    ) -> Result<Option<ObservedRevision>, AwsError> {
        let result = self
            .call("DescribeTaskDefinition", || {
                self.client
                    .describe_task_definition()
                    .task_definition(name)
                    .include(TaskDefinitionField::Tags)
                    .send()
            })
            .await;
        match result {
            Ok(out) => out
                .task_definition()
                .map(|td| observed(td, out.tags()))
                .transpose(),
            Err(e) => match e {
                // ECS answers a ClientException for a family without ACTIVE revisions.
                missing
                    if missing.kind == AwsErrorKind::NotFound
                        || (missing.kind == AwsErrorKind::Rejected
                            && missing.message.contains("Unable to describe")) =>
                {
                    Ok(None)
                }
                other => Err(other),
            },
        }
    }

    /// Registers a new revision of `family` with the ECS content (see `TaskDefinitionSpec::ecs_content`) and tags.
    pub async fn register_task_definition(
        &self,
        family: &str,
        content: &Value,
        tags: &Tags,
    ) -> Result<ObservedRevision, AwsError> {
        let mut body = content.clone();
        if let Some(map) = body.as_object_mut() {
            map.insert("family".into(), Value::String(family.to_owned()));
        }
        let input = to_sdk(&body, RegisterTaskDefinitionInput::deserialize)?;
        let request = self
            .client
            .register_task_definition()
            .set_family(input.family)
            .set_task_role_arn(input.task_role_arn)
            .set_execution_role_arn(input.execution_role_arn)
            .set_network_mode(input.network_mode)
            .set_container_definitions(input.container_definitions)
            .set_volumes(input.volumes)
            .set_placement_constraints(input.placement_constraints)
            .set_requires_compatibilities(input.requires_compatibilities)
            .set_cpu(input.cpu)
            .set_memory(input.memory)
            .set_pid_mode(input.pid_mode)
            .set_ipc_mode(input.ipc_mode)
            .set_proxy_configuration(input.proxy_configuration)
            .set_ephemeral_storage(input.ephemeral_storage)
            .set_runtime_platform(input.runtime_platform)
            .set_enable_fault_injection(input.enable_fault_injection)
            .set_tags((!tags.is_empty()).then(|| super::tags::to_ecs(tags)));
        let out = self
            .call("RegisterTaskDefinition", || request.clone().send())
            .await?;
        let td = out.task_definition().ok_or_else(|| {
            AwsError::conversion("RegisterTaskDefinition returned no task definition".into())
        })?;
        let registered = observed(td, out.tags())?;
        self.active_revisions.registered(&registered.arn);
        Ok(registered)
    }

    /// ARNs of the ACTIVE revisions of exactly `family`, oldest first, across all pages.
    pub async fn list_active_revisions(&self, family: &str) -> Result<Vec<String>, AwsError> {
        self.list_revisions(family, TaskDefinitionStatus::Active)
            .await
    }

    /// ARNs of the INACTIVE revisions of exactly `family`, oldest first, across all pages.
    pub async fn list_inactive_revisions(&self, family: &str) -> Result<Vec<String>, AwsError> {
        self.list_revisions(family, TaskDefinitionStatus::Inactive)
            .await
    }

    /// ARNs of the revisions of exactly `family` in `status`, oldest first, across all pages.
    async fn list_revisions(
        &self,
        family: &str,
        status: TaskDefinitionStatus,
    ) -> Result<Vec<String>, AwsError> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let request = self
                .client
                .list_task_definitions()
                .family_prefix(family)
                .status(status.clone())
                .set_next_token(token)
                .max_results(100);
            let out = self
                .call("ListTaskDefinitions", || request.clone().send())
                .await?;
            arns.extend(
                out.task_definition_arns()
                    .iter()
                    .filter(|arn| family_of(arn) == family)
                    .cloned(),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                arns.sort_by_key(|arn| revision_of(arn));
                return Ok(arns);
            }
        }
    }

    /// Deregisters one revision (it becomes INACTIVE; running services keep it).
    pub async fn deregister_task_definition(&self, arn: &str) -> Result<(), AwsError> {
        self.call("DeregisterTaskDefinition", || {
            self.client
                .deregister_task_definition()
                .task_definition(arn)
                .send()
        })
        .await?;
        self.active_revisions.deregistered(arn);
        Ok(())
    }

    /// Deletes INACTIVE revisions, in batches of 10; returns those ECS refused (`failures[]`, entry 47).
    pub async fn delete_task_definitions(
        &self,
        arns: &[String],
    ) -> Result<Vec<DeleteFailure>, AwsError> {
        let mut failures = Vec::new();
        for batch in arns.chunks(DELETE_BATCH) {
            let request = self
                .client
                .delete_task_definitions()
                .set_task_definitions(Some(batch.to_vec()));
            let out = self
                .call("DeleteTaskDefinitions", || request.clone().send())
                .await?;
            failures.extend(out.failures().iter().map(|f| {
                DeleteFailure {
                    arn: f.arn().unwrap_or_default().to_owned(),
                    reason: [f.reason(), f.detail()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(": "),
                }
            }));
        }
        Ok(failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_family_and_revision_from_arns() {
        let arn = "arn:aws:ecs:us-east-1:123:task-definition/web-app:12";
        assert_eq!(revision_of(arn), Some(12));
        assert_eq!(family_of(arn), "web-app");
        assert_eq!(family_of("web-app:3"), "web-app");
        assert_eq!(family_of("web-app"), "web-app");
        assert_eq!(revision_of("web-app"), None);
    }
}
