//! How an `EcsService` deploys: deployment configuration, circuit breaker, alarms, strategies (rolling, blue/green,
//! linear, canary), lifecycle hooks, early success and the deployment controller.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Deployment parameters: task counts during a deployment, strategy, circuit breaker and alarms.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentConfiguration {
    /// Fails (and optionally rolls back) a deployment that cannot reach a steady state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    /// Upper limit of running plus pending tasks during a deployment, in percent of `desiredCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub maximum_percent: Option<i32>,
    /// Lower limit of running healthy tasks during a deployment, in percent of `desiredCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub minimum_healthy_percent: Option<i32>,
    /// CloudWatch alarms that fail (and optionally roll back) a deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarms: Option<DeploymentAlarms>,
    /// `ROLLING` (default), `BLUE_GREEN`, `LINEAR` or `CANARY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<DeploymentStrategy>,
    /// Minutes both revisions run after production traffic has shifted; required with `BLUE_GREEN` (the API
    /// reference gives no bounds: ECS judges the value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake_time_in_minutes: Option<i32>,
    /// Hooks that run a Lambda function or pause the deployment at given lifecycle stages. Left out: the hooks
    /// ECS has stay; `[]` removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_hooks: Option<Vec<DeploymentLifecycleHook>>,
    /// Traffic steps of a `LINEAR` deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_configuration: Option<LinearConfiguration>,
    /// Traffic steps of a `CANARY` deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_configuration: Option<CanaryConfiguration>,
    /// When a `ROLLING` deployment counts as successful before it fully stabilizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_success_criteria: Option<DeploymentEarlySuccessCriteria>,
}

/// The deployment circuit breaker (rolling `ECS` deployments only).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentCircuitBreaker {
    /// Whether the circuit breaker is used.
    pub enable: bool,
    /// Whether a failed deployment rolls back to the last completed one.
    pub rollback: bool,
    /// Whether a task reaching a healthy state resets the failure count (ECS default: `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_on_healthy_task: Option<bool>,
    /// How many task failures are tolerated before the circuit breaker triggers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_configuration: Option<ThresholdConfiguration>,
}

/// The failure threshold of the deployment circuit breaker (ECS default: `BOUNDED_PERCENT`, 50).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThresholdConfiguration {
    /// `BOUNDED_PERCENT`, `UNBOUNDED_PERCENT` (both multiplied by the desired count) or `COUNT`.
    #[serde(rename = "type")]
    pub type_: ThresholdType,
    /// The percentage or count of tolerated task failures.
    #[schemars(range(min = 0))]
    pub value: i32,
}

/// How the circuit breaker threshold `value` is interpreted.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ThresholdType {
    #[serde(rename = "BOUNDED_PERCENT")]
    BoundedPercent,
    #[serde(rename = "UNBOUNDED_PERCENT")]
    UnboundedPercent,
    #[serde(rename = "COUNT")]
    Count,
}

/// CloudWatch alarms monitored during a deployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentAlarms {
    /// Names of the CloudWatch alarms.
    pub alarm_names: Vec<String>,
    /// Whether an alarm in `ALARM` state fails the deployment.
    pub enable: bool,
    /// Whether a failed deployment rolls back to the last completed one.
    pub rollback: bool,
}

/// Deployment strategies of the `ECS` deployment controller.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DeploymentStrategy {
    #[serde(rename = "ROLLING")]
    Rolling,
    #[serde(rename = "BLUE_GREEN")]
    BlueGreen,
    #[serde(rename = "LINEAR")]
    Linear,
    #[serde(rename = "CANARY")]
    Canary,
}

/// A deployment lifecycle hook: a Lambda function or a pause at given stages of a deployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentLifecycleHook {
    /// `AWS_LAMBDA` (default) or `PAUSE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<DeploymentLifecycleHookTargetType>,
    /// ARN of the Lambda function to invoke.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_target_arn: Option<String>,
    /// ARN of the IAM role that lets ECS invoke the hook target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The deployment stages at which the hook runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_stages: Vec<DeploymentLifecycleHookStage>,
    /// How long the hook may run and what happens when it times out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_configuration: Option<DeploymentLifecycleHookTimeoutConfiguration>,
}

/// Targets of a deployment lifecycle hook.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DeploymentLifecycleHookTargetType {
    #[serde(rename = "AWS_LAMBDA")]
    AwsLambda,
    #[serde(rename = "PAUSE")]
    Pause,
}

/// Stages of a deployment at which a lifecycle hook can run.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DeploymentLifecycleHookStage {
    #[serde(rename = "RECONCILE_SERVICE")]
    ReconcileService,
    #[serde(rename = "PRE_SCALE_UP")]
    PreScaleUp,
    #[serde(rename = "POST_SCALE_UP")]
    PostScaleUp,
    #[serde(rename = "TEST_TRAFFIC_SHIFT")]
    TestTrafficShift,
    #[serde(rename = "POST_TEST_TRAFFIC_SHIFT")]
    PostTestTrafficShift,
    #[serde(rename = "PRE_PRODUCTION_TRAFFIC_SHIFT")]
    PreProductionTrafficShift,
    #[serde(rename = "PRODUCTION_TRAFFIC_SHIFT")]
    ProductionTrafficShift,
    #[serde(rename = "POST_PRODUCTION_TRAFFIC_SHIFT")]
    PostProductionTrafficShift,
}

/// Timeout of a deployment lifecycle hook.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentLifecycleHookTimeoutConfiguration {
    /// Minutes ECS waits for the hook before its `action`: 1-20160 (ECS default 1440).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 20160))]
    pub timeout_in_minutes: Option<i32>,
    /// `CONTINUE` or `ROLLBACK` the deployment when the hook times out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<DeploymentLifecycleHookAction>,
}

/// What happens when a lifecycle hook times out.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DeploymentLifecycleHookAction {
    #[serde(rename = "CONTINUE")]
    Continue,
    #[serde(rename = "ROLLBACK")]
    Rollback,
}

/// Traffic steps of a `LINEAR` deployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinearConfiguration {
    /// Percent of production traffic shifted per step: multiples of 0.1 from 3.0 to 100.0 (ECS default 10.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 3.0, max = 100.0))]
    pub step_percent: Option<f64>,
    /// Minutes to wait between steps, 0-1440 (ECS default 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1440))]
    pub step_bake_time_in_minutes: Option<i32>,
}

/// Traffic steps of a `CANARY` deployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanaryConfiguration {
    /// Percent of production traffic shifted in the canary phase: multiples of 0.1 from 0.1 to 100.0 (ECS default 5.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.1, max = 100.0))]
    pub canary_percent: Option<f64>,
    /// Minutes to wait before shifting the remaining traffic, 0-1440.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1440))]
    pub canary_bake_time_in_minutes: Option<i32>,
}

/// When a rolling deployment counts as successful before it fully stabilizes.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentEarlySuccessCriteria {
    /// Whether the early success criteria are used.
    pub enable: bool,
    /// Percent of `desiredCount` (0-100) that must be healthy in the new revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub healthy_percent: Option<i32>,
    /// `BLOCKING` removes the previous tasks before success; `DEFERRED` removes them afterwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_service_revision_cleanup: Option<ServiceRevisionCleanup>,
}

/// When the previous revision's tasks are removed relative to deployment success.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ServiceRevisionCleanup {
    #[serde(rename = "BLOCKING")]
    Blocking,
    #[serde(rename = "DEFERRED")]
    Deferred,
}

/// The deployment controller of the service.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentController {
    /// `ECS`, `CODE_DEPLOY` or `EXTERNAL`.
    #[serde(rename = "type")]
    pub type_: DeploymentControllerType,
}

/// Deployment controller types.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DeploymentControllerType {
    #[serde(rename = "ECS")]
    Ecs,
    #[serde(rename = "CODE_DEPLOY")]
    CodeDeploy,
    #[serde(rename = "EXTERNAL")]
    External,
}
