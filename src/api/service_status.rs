//! What the operator observed of an `EcsService` (its status): counts, deployments, the rollout's truth, lifecycle
//! hook outcomes and ECS's events.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::autoscaling::AutoScalingStatus;
use super::common::{Condition, conditioned_status};
use super::kubernetes_service::KubernetesServiceStatus;
use super::service_pause::PausedHook;
use super::service_revision_fields::SentRevisionFields;

/// What the operator observed of the service; AWS-side facts live here, never in `spec`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EcsServiceStatus {
    /// The `metadata.generation` the status was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The ConfigMap the object's identities were exported to (`spec.exportTo`), so they are removed from it when
    /// the field or the object goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_to: Option<String>,
    /// With `ecsbridge.dev/read-only`: the fields where ECS differs from the spec (nothing is changed in AWS).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<crate::api::common::Drift>,
    /// `Ready`, `Synced`, `Progressing` and `Degraded` conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `EcsAccount` whose account this object's ECS objects live in (`(operator)`: the operator's own),
    /// recorded at creation; never changed silently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The AWS region this object's ECS objects live in, recorded at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ARN of the ECS service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Name of the ECS service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// ARN of the cluster the service runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_arn: Option<String>,
    /// ARN of the task definition the `PRIMARY` deployment runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// `family:revision` of the task definition the `PRIMARY` deployment runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_revision: Option<String>,
    /// Desired task count reported by ECS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i32>,
    /// Tasks in the `RUNNING` state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_count: Option<i32>,
    /// Tasks in the `PENDING` state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_count: Option<i32>,
    /// The service's current deployments (`PRIMARY`, `ACTIVE`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<ServiceDeploymentStatus>,
    /// The most recent service events, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ServiceEventStatus>,
    /// The last `ecsbridge.dev/restartedAt` annotation value that triggered a new deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restarted_at: Option<String>,
    /// The last `ecsbridge.dev/rollback` annotation value acted on (a StopServiceDeployment with ROLLBACK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<String>,
    /// The last `ecsbridge.dev/continue` annotation value acted on (a ContinueServiceDeployment, or a Warning
    /// event when nothing was paused): a value is acted on once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continued: Option<String>,
    /// What ecs-bridge last sent of `monitoring` and `gatewayConnectors`, which DescribeServices does not report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_revision_fields: Option<SentRevisionFields>,
    /// The service deployment a PAUSE lifecycle hook holds: stage, hook and when ECS takes the time-out action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<PausedHook>,
    /// The deployment strategy ECS reports for the service (`ROLLING`, `BLUE_GREEN`, `LINEAR` or `CANARY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// The newest service deployment of a BLUE_GREEN, LINEAR or CANARY service, as ECS describes it; read only
    /// while a deployment is in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_deployment: Option<ServiceDeploymentTruth>,
    /// ID of the newest ECS service event already seen (and emitted as a Kubernetes event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event_id: Option<String>,
    /// The deployment the operator started last and what became of it. A deployment that failed is not started
    /// again for the same desired state: only a change of the spec, of the task definition revision or of
    /// `ecsbridge.dev/restartedAt` starts another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rollout: Option<RolloutRecord>,
    /// Label selector naming this service (`ecsbridge.dev/service=<name>`), for the scale subresource (HPA, KEDA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// The Application Auto Scaling target the operator registered for `spec.autoScaling`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling: Option<AutoScalingStatus>,
    /// CreateService attempts: part of the idempotency token, so a service deleted outside Kubernetes can be
    /// created again with a new token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_attempt: Option<i32>,
    /// When this object took over an ECS service it had not created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_at: Option<String>,
    /// The tag keys the operator applied to the ECS service: the only ones it ever removes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_tag_keys: Vec<String>,
    /// The Kubernetes Service of `spec.kubernetesService` and its endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_service: Option<KubernetesServiceStatus>,
}
conditioned_status!(EcsServiceStatus);

/// A deployment the operator started, and its outcome.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutRecord {
    /// Digest of the desired state the deployment was started for (spec without the count, revision, restart).
    pub desired: String,
    /// The task definition deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// The PRIMARY deployment before the update: the deployment started is the first PRIMARY after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_deployment: Option<String>,
    /// ID of the deployment started, once ECS shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    /// The service's current service deployment before the update: never the one started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_service_deployment: Option<String>,
    /// ARN of the service deployment started, once ECS names it as the service's current one: only its
    /// rollback fails this record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_deployment: Option<String>,
    /// `InProgress`, `Completed` or `Failed`.
    pub outcome: RolloutOutcome,
    /// ECS's reason for a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What became of a deployment the operator started.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum RolloutOutcome {
    #[default]
    InProgress,
    Completed,
    Failed,
}

/// One deployment of the service as reported by ECS.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDeploymentStatus {
    /// Deployment ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// ARN of the task definition this deployment runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<String>,
    /// Why the deployment is in its rollout state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state_reason: Option<String>,
    /// Desired task count of this deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i32>,
    /// Running tasks of this deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_count: Option<i32>,
    /// Pending tasks of this deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_count: Option<i32>,
    /// Tasks of this deployment that failed to start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_tasks: Option<i32>,
    /// When the deployment was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When the deployment was last updated (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A service deployment of a BLUE_GREEN, LINEAR or CANARY service (ECS's `ServiceDeployment`, in brief).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDeploymentTruth {
    /// ARN of the service deployment.
    pub arn: String,
    /// `PENDING`, `IN_PROGRESS`, `SUCCESSFUL`, `STOPPED`, `STOP_REQUESTED`, `ROLLBACK_REQUESTED`,
    /// `ROLLBACK_IN_PROGRESS`, `ROLLBACK_SUCCESSFUL` or `ROLLBACK_FAILED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why the service deployment is in its status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The lifecycle stage: `RECONCILE_SERVICE`, `PRE_SCALE_UP`, `SCALE_UP`, `POST_SCALE_UP`, `TEST_TRAFFIC_SHIFT`,
    /// `POST_TEST_TRAFFIC_SHIFT`, `PRODUCTION_TRAFFIC_SHIFT`, `POST_PRODUCTION_TRAFFIC_SHIFT`, `BAKE_TIME` or
    /// `CLEAN_UP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<String>,
    /// Percent of production traffic ECS routes to the new service revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_traffic_weight: Option<f64>,
    /// Percent of test traffic ECS routes to the new service revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_traffic_weight: Option<f64>,
    /// The lifecycle hooks run so far and their outcome.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<LifecycleHookOutcome>,
    /// Why ECS rolled the deployment back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_reason: Option<String>,
}

impl ServiceDeploymentTruth {
    /// Whether the service deployment has not ended yet (ECS's pending and ongoing statuses).
    pub fn ongoing(&self) -> bool {
        matches!(
            self.status.as_deref(),
            None | Some(
                "PENDING"
                    | "IN_PROGRESS"
                    | "STOP_REQUESTED"
                    | "ROLLBACK_REQUESTED"
                    | "ROLLBACK_IN_PROGRESS"
            )
        )
    }

    /// Whether ECS rolls or rolled the deployment back.
    pub fn rolled_back(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.starts_with("ROLLBACK_"))
    }
}

/// A lifecycle hook of a service deployment and its outcome.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleHookOutcome {
    /// ID of the hook in this service deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_id: Option<String>,
    /// `AWS_LAMBDA` or `PAUSE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// ARN of the hook target (a Lambda function; none for a PAUSE hook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_arn: Option<String>,
    /// `AWAITING_ACTION`, `IN_PROGRESS`, `SUCCEEDED`, `FAILED` or `TIMED_OUT` (`CONTINUE_REQUESTED` after
    /// ecs-bridge continued a paused hook, until ECS is read again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When ECS takes the time-out action if the hook has not completed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// `CONTINUE` or `ROLLBACK`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_action: Option<String>,
}

/// One ECS service event.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEventStatus {
    /// Event ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When the event happened (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The event message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
