//! ECS daemon task definition calls: RegisterDaemonTaskDefinition, DescribeDaemonTaskDefinition,
//! ListDaemonTaskDefinitions (one family) and DeleteDaemonTaskDefinition.

use aws_sdk_ecs::operation::register_daemon_task_definition::RegisterDaemonTaskDefinitionInput;
use aws_sdk_ecs::types::DaemonTaskDefinitionStatusFilter;
use serde_json::Value;

use super::bridge::to_sdk;
use super::task_definition::{family_of, revision_of};
use super::{AwsError, AwsErrorKind, Ecs};
use crate::api::Tags;

impl Ecs {
    /// Registers a new revision of `family` with the ECS content (see `DaemonTaskDefinitionSpec::ecs_content`)
    /// and tags; returns its ARN.
    pub async fn register_daemon_task_definition(
        &self,
        family: &str,
        content: &Value,
        tags: &Tags,
    ) -> Result<String, AwsError> {
        let mut body = content.clone();
        if let Some(map) = body.as_object_mut() {
            map.insert("family".into(), Value::String(family.to_owned()));
        }
        let input = to_sdk(&body, RegisterDaemonTaskDefinitionInput::deserialize)?;
        let request = self
            .client
            .register_daemon_task_definition()
            .set_family(input.family)
            .set_task_role_arn(input.task_role_arn)
            .set_execution_role_arn(input.execution_role_arn)
            .set_container_definitions(input.container_definitions)
            .set_cpu(input.cpu)
            .set_memory(input.memory)
            .set_volumes(input.volumes)
            .set_pid_mode(input.pid_mode)
            .set_ipc_mode(input.ipc_mode)
            .set_tags((!tags.is_empty()).then(|| super::tags::to_ecs(tags)));
        let out = self
            .call("RegisterDaemonTaskDefinition", || request.clone().send())
            .await?;
        out.daemon_task_definition_arn()
            .map(str::to_owned)
            .ok_or_else(|| {
                AwsError::conversion("RegisterDaemonTaskDefinition returned no ARN".into())
            })
    }

    /// ECS's status of one revision (`ACTIVE`, `DELETE_IN_PROGRESS`, `DELETED`), `None` when ECS does not know it.
    pub async fn daemon_task_definition_status(
        &self,
        arn: &str,
    ) -> Result<Option<String>, AwsError> {
        let result = {
            let request = self
                .client
                .describe_daemon_task_definition()
                .daemon_task_definition(arn);
            self.call("DescribeDaemonTaskDefinition", || request.clone().send())
                .await
        };
        match result {
            Ok(out) => Ok(out
                .daemon_task_definition()
                .and_then(|d| d.status().map(|s| s.as_str().to_owned()))),
            Err(missing)
                if missing.kind == AwsErrorKind::NotFound
                    || (missing.kind == AwsErrorKind::Rejected
                        && missing.message.to_ascii_lowercase().contains("not exist")) =>
            {
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// ARNs of the ACTIVE revisions of exactly `family`, oldest first, across all pages.
    pub async fn list_active_daemon_revisions(
        &self,
        family: &str,
    ) -> Result<Vec<String>, AwsError> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let request = self
                .client
                .list_daemon_task_definitions()
                .family(family)
                .status(DaemonTaskDefinitionStatusFilter::Active)
                .set_next_token(token);
            let out = self
                .call("ListDaemonTaskDefinitions", || request.clone().send())
                .await?;
            arns.extend(
                out.daemon_task_definitions()
                    .iter()
                    .filter_map(|d| d.arn())
                    .filter(|arn| family_of(arn) == family)
                    .map(str::to_owned),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                arns.sort_by_key(|arn| revision_of(arn));
                return Ok(arns);
            }
        }
    }

    /// Deletes one revision (ECS: DELETE_IN_PROGRESS, then DELETED; daemons that run it keep running).
    pub async fn delete_daemon_task_definition(&self, arn: &str) -> Result<(), AwsError> {
        let request = self
            .client
            .delete_daemon_task_definition()
            .daemon_task_definition(arn);
        self.call("DeleteDaemonTaskDefinition", || request.clone().send())
            .await?;
        Ok(())
    }
}
