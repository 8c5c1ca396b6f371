//! Service deployment calls: DescribeServiceDeployments (and ListServiceDeployments when ECS names no current
//! service deployment; their own throttle bucket) to follow a BLUE_GREEN, LINEAR or CANARY deployment's lifecycle
//! stages, StopServiceDeployment to roll a deployment back and ContinueServiceDeployment to answer a pause hook
//! (docs/ecs-behaviour.md, entries 6, 73-78 and 145-147).

use aws_sdk_ecs::types::{DeploymentLifecycleHookAction, StopServiceDeploymentStopType};
use serde::Deserialize;

use super::bridge::from_sdk;
use super::{AwsError, Ecs};

/// A service deployment as ECS describes it, in brief.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservedServiceDeployment {
    pub service_deployment_arn: String,
    pub status: Option<String>,
    pub status_reason: Option<String>,
    pub lifecycle_stage: Option<String>,
    /// Epoch seconds.
    pub created_at: Option<f64>,
    pub target_service_revision: Option<ObservedServiceRevision>,
    pub lifecycle_hook_details: Vec<ObservedHook>,
    pub rollback: Option<ObservedRollback>,
}

/// The traffic ECS routes to a service revision during a deployment.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservedServiceRevision {
    pub requested_production_traffic_weight: Option<f64>,
    pub requested_test_traffic_weight: Option<f64>,
}

/// A lifecycle hook of a service deployment.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservedHook {
    /// What ContinueServiceDeployment names a paused hook by.
    pub hook_id: Option<String>,
    /// `AWS_LAMBDA` or `PAUSE`.
    pub target_type: Option<String>,
    pub target_arn: Option<String>,
    pub status: Option<String>,
    /// When ECS takes the time-out action (epoch seconds).
    pub expires_at: Option<f64>,
    /// `CONTINUE` or `ROLLBACK`.
    pub timeout_action: Option<String>,
}

/// Why and when ECS rolled a service deployment back.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservedRollback {
    pub reason: Option<String>,
}

/// ListServiceDeployments pages: the most ECS answers per page.
const LIST_PAGE: i32 = 100;

impl Ecs {
    /// The service deployment that tells how the service's rollout goes: the one ECS names as the service's
    /// `currentServiceDeployment`, described directly (one DescribeServiceDeployments call); without that name (or
    /// when ECS cannot describe it), the newest one ListServiceDeployments shows.
    pub async fn current_service_deployment(
        &self,
        cluster: &str,
        service: &str,
        current: Option<&str>,
    ) -> Result<Option<ObservedServiceDeployment>, AwsError> {
        if let Some(arn) = current
            && let Some(found) = self.service_deployment(arn).await?
        {
            return Ok(Some(found));
        }
        self.newest_service_deployment(cluster, service).await
    }

    /// One service deployment, or `None` when ECS answers it as a failure (MISSING).
    pub async fn service_deployment(
        &self,
        arn: &str,
    ) -> Result<Option<ObservedServiceDeployment>, AwsError> {
        let described = self
            .call("DescribeServiceDeployments", || {
                self.client
                    .describe_service_deployments()
                    .service_deployment_arns(arn)
                    .send()
            })
            .await?;
        described
            .service_deployments()
            .iter()
            .find(|d| d.service_deployment_arn() == Some(arn))
            .map(|d| from_sdk(d))
            .transpose()
    }

    /// The newest service deployment of a service by `createdAt`, read from every page of ListServiceDeployments
    /// (ECS documents no order), then described; `None` when ECS lists none.
    pub async fn newest_service_deployment(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<ObservedServiceDeployment>, AwsError> {
        let mut newest: Option<(i64, u32, String)> = None;
        let mut token: Option<String> = None;
        loop {
            let listed = self
                .call("ListServiceDeployments", || {
                    self.client
                        .list_service_deployments()
                        .cluster(cluster)
                        .service(service)
                        .max_results(LIST_PAGE)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            for brief in listed.service_deployments() {
                let (Some(arn), Some(at)) = (brief.service_deployment_arn(), brief.created_at())
                else {
                    continue;
                };
                let key = (at.secs(), at.subsec_nanos());
                if newest.as_ref().is_none_or(|(s, n, _)| key > (*s, *n)) {
                    newest = Some((key.0, key.1, arn.to_owned()));
                }
            }
            match listed.next_token() {
                Some(next) if !next.is_empty() && Some(next) != token.as_deref() => {
                    token = Some(next.to_owned());
                }
                _ => break,
            }
        }
        match newest {
            Some((_, _, arn)) => self.service_deployment(&arn).await,
            None => Ok(None),
        }
    }

    /// Stops a service deployment with a rollback to the previous service revision. Sending it again is safe: ECS
    /// continues a rollback already requested or in progress (docs/ecs-behaviour.md, entry 77), so a throttled or
    /// timed-out call is retried like a read.
    pub async fn roll_back_service_deployment(&self, arn: &str) -> Result<(), AwsError> {
        self.call("StopServiceDeployment", || {
            self.client
                .stop_service_deployment()
                .service_deployment_arn(arn)
                .stop_type(StopServiceDeploymentStopType::Rollback)
                .send()
        })
        .await
        .map(drop)
    }

    /// Answers the pause hook `hook_id` of a service deployment: CONTINUE to the next lifecycle stage, or ROLLBACK
    /// to the previous service revision. Sent once: the hook is AWAITING_ACTION only until it is answered, so a
    /// repeat after a time-out would be refused; the next reconcile reads the hook again instead.
    pub async fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        roll_back: bool,
    ) -> Result<(), AwsError> {
        let action = if roll_back {
            DeploymentLifecycleHookAction::Rollback
        } else {
            DeploymentLifecycleHookAction::Continue
        };
        self.call_once("ContinueServiceDeployment", || {
            self.client
                .continue_service_deployment()
                .service_deployment_arn(arn)
                .hook_id(hook_id)
                .action(action.clone())
                .send()
        })
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::bridge::to_sdk;
    use aws_sdk_ecs::types as sdk;
    use serde_json::json;

    #[test]
    fn reads_stage_traffic_hooks_and_rollback_of_a_described_deployment() {
        let described = to_sdk(
            &json!({
                "serviceDeploymentArn": "arn:aws:ecs:us-east-1:123:service-deployment/main/web/abc",
                "status": "ROLLBACK_IN_PROGRESS",
                "statusReason": "hook failed",
                "lifecycleStage": "POST_SCALE_UP",
                "createdAt": 1700000000,
                "targetServiceRevision": {"arn": "r2", "requestedTaskCount": 2, "runningTaskCount": 2,
                    "pendingTaskCount": 0, "requestedProductionTrafficWeight": 0.0,
                    "requestedTestTrafficWeight": 100.0},
                "lifecycleHookDetails": [{"hookId": "h1", "targetType": "AWS_LAMBDA",
                    "targetArn": "arn:aws:lambda:us-east-1:123:function:check", "status": "FAILED"},
                    {"hookId": "ecs-pause-1", "targetType": "PAUSE", "status": "AWAITING_ACTION",
                    "expiresAt": 1700003600, "timeoutAction": "ROLLBACK"}],
                "rollback": {"reason": "hook failed", "startedAt": 1700000100, "serviceRevisionArn": "r1"}
            }),
            sdk::ServiceDeployment::deserialize,
        )
        .unwrap();
        let observed: ObservedServiceDeployment = from_sdk(&described).unwrap();
        assert_eq!(observed.lifecycle_stage.as_deref(), Some("POST_SCALE_UP"));
        assert_eq!(observed.created_at, Some(1700000000.0));
        let target = observed.target_service_revision.unwrap();
        assert_eq!(target.requested_test_traffic_weight, Some(100.0));
        assert_eq!(
            observed.lifecycle_hook_details[0].status.as_deref(),
            Some("FAILED")
        );
        let pause = &observed.lifecycle_hook_details[1];
        assert_eq!(
            (pause.hook_id.as_deref(), pause.target_type.as_deref()),
            (Some("ecs-pause-1"), Some("PAUSE"))
        );
        assert_eq!(pause.expires_at, Some(1700003600.0));
        assert_eq!(pause.timeout_action.as_deref(), Some("ROLLBACK"));
        assert_eq!(
            observed.rollback.unwrap().reason.as_deref(),
            Some("hook failed")
        );
    }
}
