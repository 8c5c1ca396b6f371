//! ECS managed daemon calls: CreateDaemon, DescribeDaemon, UpdateDaemon, DeleteDaemon, ListDaemons and
//! DescribeDaemonDeployments. After creation ECS names a daemon by its ARN only.

use aws_sdk_ecs::types::{DaemonDeploymentConfiguration, DaemonPropagateTags};
use serde::Deserialize;

use super::bridge::{from_sdk, to_sdk};
use super::{AwsError, AwsErrorKind, Ecs};
use crate::api::Tags;

/// What CreateDaemon and UpdateDaemon both send, in our ECS-shaped types (the spec with its references
/// resolved); its hash tells whether the daemon needs another update.
#[derive(serde::Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DaemonInput {
    pub daemon_task_definition_arn: String,
    pub capacity_provider_arns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<crate::api::daemon::DaemonDeploymentConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<crate::api::daemon::DaemonPropagateTags>,
    #[serde(
        rename = "enableECSManagedTags",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ecs_managed_tags: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critical: Option<bool>,
}

/// A daemon as DescribeDaemon reports it.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObservedDaemon {
    #[serde(default)]
    pub daemon_arn: String,
    #[serde(default)]
    pub cluster_arn: Option<String>,
    /// `ACTIVE` or `DELETE_IN_PROGRESS`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub current_revisions: Vec<DaemonRevisionDetail>,
    /// The most recent deployment.
    #[serde(default)]
    pub deployment_arn: Option<String>,
}

/// One current revision of a daemon with its running counts.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DaemonRevisionDetail {
    #[serde(default)]
    pub arn: Option<String>,
    #[serde(default)]
    pub total_running_count: i32,
}

/// A daemon deployment as DescribeDaemonDeployments reports it.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObservedDaemonDeployment {
    #[serde(default)]
    pub daemon_deployment_arn: String,
    /// `PENDING`, `IN_PROGRESS`, `SUCCESSFUL`, `STOP_REQUESTED`, `STOPPED`, `ROLLBACK_IN_PROGRESS`,
    /// `ROLLBACK_SUCCESSFUL` or `ROLLBACK_FAILED`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_reason: Option<String>,
    #[serde(default)]
    pub rollback: Option<DaemonRollback>,
}

/// Why and when ECS rolled a deployment back.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DaemonRollback {
    #[serde(default)]
    pub reason: Option<String>,
}

impl ObservedDaemon {
    pub fn status_code(&self) -> &str {
        self.status.as_deref().unwrap_or_default()
    }

    /// Daemon tasks running over all current revisions.
    pub fn running_count(&self) -> i32 {
        self.current_revisions
            .iter()
            .map(|r| r.total_running_count)
            .sum()
    }
}

/// The daemon name an ARN ends with (`...:daemon/<cluster>/<name>`; the ARN format is not documented, so only
/// its last segment is relied on).
pub fn daemon_name_of(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, name)| name)
}

/// The SDK shapes of the parts of [`DaemonInput`] that are structures or enums.
fn sdk_parts(
    input: &DaemonInput,
) -> Result<
    (
        Option<DaemonDeploymentConfiguration>,
        Option<DaemonPropagateTags>,
    ),
    AwsError,
> {
    let configuration = input
        .deployment_configuration
        .as_ref()
        .map(|c| to_sdk(c, DaemonDeploymentConfiguration::deserialize))
        .transpose()?;
    let propagate = input.propagate_tags.map(|p| match p {
        crate::api::daemon::DaemonPropagateTags::Daemon => DaemonPropagateTags::Daemon,
        crate::api::daemon::DaemonPropagateTags::None => DaemonPropagateTags::None,
    });
    Ok((configuration, propagate))
}

impl Ecs {
    /// Creates a daemon; returns its ARN and the ARN of its first deployment.
    pub async fn create_daemon(
        &self,
        name: &str,
        cluster: Option<&str>,
        input: &DaemonInput,
        tags: &Tags,
    ) -> Result<(String, Option<String>), AwsError> {
        let (configuration, propagate) = sdk_parts(input)?;
        let out = {
            let request = self
                .client
                .create_daemon()
                .daemon_name(name)
                .set_cluster_arn(cluster.map(str::to_owned))
                .daemon_task_definition_arn(&input.daemon_task_definition_arn)
                .set_capacity_provider_arns(Some(input.capacity_provider_arns.clone()))
                .set_deployment_configuration(configuration)
                .set_propagate_tags(propagate)
                .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
                .set_enable_execute_command(input.enable_execute_command)
                .set_critical(input.critical)
                .set_tags(Some(super::tags::to_ecs(tags)));
            self.call("CreateDaemon", || request.clone().send()).await
        }?;
        let arn = out
            .daemon_arn()
            .ok_or_else(|| AwsError::conversion("CreateDaemon returned no daemon ARN".into()))?;
        Ok((arn.to_owned(), out.deployment_arn().map(str::to_owned)))
    }

    /// Sends every updatable member again; returns the ARN of the deployment ECS started.
    pub async fn update_daemon(
        &self,
        arn: &str,
        input: &DaemonInput,
    ) -> Result<Option<String>, AwsError> {
        let (configuration, propagate) = sdk_parts(input)?;
        let out = {
            let request = self
                .client
                .update_daemon()
                .daemon_arn(arn)
                .daemon_task_definition_arn(&input.daemon_task_definition_arn)
                .set_capacity_provider_arns(Some(input.capacity_provider_arns.clone()))
                .set_deployment_configuration(configuration)
                .set_propagate_tags(propagate)
                .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
                .set_enable_execute_command(input.enable_execute_command)
                .set_critical(input.critical);
            self.call_once("UpdateDaemon", || request.clone().send())
                .await
        }?;
        Ok(out.deployment_arn().map(str::to_owned))
    }

    /// The daemon of `arn`, or `None` when ECS no longer knows it.
    pub async fn describe_daemon(&self, arn: &str) -> Result<Option<ObservedDaemon>, AwsError> {
        let result = {
            let request = self.client.describe_daemon().daemon_arn(arn);
            self.call("DescribeDaemon", || request.clone().send()).await
        };
        match result {
            Err(gone) if gone.kind == AwsErrorKind::NotFound => Ok(None),
            other => other?.daemon().map(|d| from_sdk(d)).transpose(),
        }
    }

    /// The ARNs of the daemons of `cluster` (ECS's default cluster when `None`), across all pages.
    pub async fn list_daemons(&self, cluster: Option<&str>) -> Result<Vec<String>, AwsError> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let request = self
                .client
                .list_daemons()
                .set_cluster_arn(cluster.map(str::to_owned))
                .set_next_token(token);
            let out = self.call("ListDaemons", || request.clone().send()).await?;
            arns.extend(
                out.daemon_summaries_list()
                    .iter()
                    .filter_map(|d| d.daemon_arn().map(str::to_owned)),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(arns);
            }
        }
    }

    /// Starts the deletion of a daemon; one ECS no longer knows counts as deleted.
    pub async fn delete_daemon(&self, arn: &str) -> Result<(), AwsError> {
        let result = {
            let request = self.client.delete_daemon().daemon_arn(arn);
            self.call("DeleteDaemon", || request.clone().send()).await
        };
        match result {
            Err(gone) if gone.kind == AwsErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// The deployment of `arn`, or `None` when ECS reports it as a failure (not found).
    pub async fn describe_daemon_deployment(
        &self,
        arn: &str,
    ) -> Result<Option<ObservedDaemonDeployment>, AwsError> {
        let out = {
            let request = self
                .client
                .describe_daemon_deployments()
                .daemon_deployment_arns(arn);
            self.call("DescribeDaemonDeployments", || request.clone().send())
                .await
        }?;
        out.daemon_deployments()
            .iter()
            .find(|d| d.daemon_deployment_arn() == Some(arn))
            .map(|d| from_sdk(d))
            .transpose()
    }

    /// The daemon task definition ARN of each daemon revision of `arns` (up to 20 a call).
    pub async fn daemon_revision_task_definitions(
        &self,
        arns: &[String],
    ) -> Result<Vec<String>, AwsError> {
        let mut found = Vec::new();
        for batch in arns.chunks(20) {
            let out = {
                let request = self
                    .client
                    .describe_daemon_revisions()
                    .set_daemon_revision_arns(Some(batch.to_vec()));
                self.call("DescribeDaemonRevisions", || request.clone().send())
                    .await
            }?;
            found.extend(
                out.daemon_revisions()
                    .iter()
                    .filter_map(|r| r.daemon_task_definition_arn().map(str::to_owned)),
            );
        }
        Ok(found)
    }
}
