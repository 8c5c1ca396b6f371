//! `EcsService.spec.autoScaling`: Application Auto Scaling of the service's desired count (its scalable target,
//! scaling policies and scheduled actions), and what status reports of it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Application Auto Scaling for the service. With it set, `desiredCount` is used at creation only and the desired
/// count belongs to Application Auto Scaling afterwards.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoScaling {
    /// The fewest tasks Application Auto Scaling keeps running.
    #[schemars(range(min = 0))]
    pub min_capacity: i32,
    /// The most tasks Application Auto Scaling runs.
    #[schemars(range(min = 0))]
    pub max_capacity: i32,
    /// Target tracking policies: keep a metric at a target value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_tracking: Vec<TargetTrackingPolicy>,
    /// Step scaling policies, each triggered by a CloudWatch alarm.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub step_scaling: Vec<StepScalingPolicy>,
    /// Scheduled changes of the minimum and maximum capacity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduled: Vec<ScheduledScaling>,
    /// Suspends dynamic scale-in and scale-out and scheduled scaling (Application Auto Scaling's `SuspendedState`).
    #[serde(default)]
    pub suspended: bool,
}

/// A target tracking scaling policy. Set exactly one of `predefinedMetric` and `customizedMetric`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetTrackingPolicy {
    /// Name of the policy, unique within `autoScaling`; AWS names it `ecsbridge-<uid8>-<name>`.
    pub name: String,
    /// A metric Application Auto Scaling knows for ECS services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predefined_metric: Option<PredefinedMetric>,
    /// For `ALBRequestCountPerTarget`: `app/<load-balancer>/<id>/targetgroup/<target-group>/<id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_label: Option<String>,
    /// A CloudWatch metric of your own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customized_metric: Option<CustomizedMetric>,
    /// The value to keep the metric at (a percentage for the utilization metrics).
    pub target_value: f64,
    /// Seconds after a scale-in before another scale-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub scale_in_cooldown: Option<i32>,
    /// Seconds after a scale-out before another scale-out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub scale_out_cooldown: Option<i32>,
    /// Only scale out: the policy never removes tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_scale_in: Option<bool>,
}

/// The predefined metrics of an ECS service.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum PredefinedMetric {
    #[serde(rename = "ECSServiceAverageCPUUtilization")]
    EcsServiceAverageCpuUtilization,
    #[serde(rename = "ECSServiceAverageMemoryUtilization")]
    EcsServiceAverageMemoryUtilization,
    #[serde(rename = "ALBRequestCountPerTarget")]
    AlbRequestCountPerTarget,
}

impl PredefinedMetric {
    /// The name Application Auto Scaling uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EcsServiceAverageCpuUtilization => "ECSServiceAverageCPUUtilization",
            Self::EcsServiceAverageMemoryUtilization => "ECSServiceAverageMemoryUtilization",
            Self::AlbRequestCountPerTarget => "ALBRequestCountPerTarget",
        }
    }
}

/// A CloudWatch metric for target tracking.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomizedMetric {
    /// Name of the CloudWatch metric.
    pub metric_name: String,
    /// Namespace of the CloudWatch metric, such as `AWS/ECS` or your own.
    pub namespace: String,
    /// Dimensions of the metric, exactly as it is published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<MetricDimension>,
    /// `Average`, `Minimum`, `Maximum`, `SampleCount` or `Sum`.
    pub statistic: String,
    /// Unit of the metric, such as `Percent` or `Count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// One dimension of a CloudWatch metric.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct MetricDimension {
    /// Name of the dimension.
    pub name: String,
    /// Value of the dimension.
    pub value: String,
}

/// A step scaling policy. A CloudWatch alarm triggers it once the alarm's actions name the policy's ARN
/// (`status.autoScaling.policies`); the operator does not create or change alarms.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepScalingPolicy {
    /// Name of the policy, unique within `autoScaling`; AWS names it `ecsbridge-<uid8>-<name>`.
    pub name: String,
    /// For reference only, not sent to AWS: the CloudWatch alarm meant to trigger the policy. Application Auto
    /// Scaling has no such setting; the alarm triggers the policy once its alarm actions name the policy's ARN
    /// (`aws cloudwatch put-metric-alarm --alarm-actions <ARN from status.autoScaling.policies>`), which you set
    /// on the alarm yourself.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alarm_arn: String,
    /// `ChangeInCapacity`, `PercentChangeInCapacity` or `ExactCapacity`.
    pub adjustment_type: String,
    /// The steps, by the alarm metric's distance from the alarm threshold.
    pub step_adjustments: Vec<StepAdjustment>,
    /// Seconds to wait after a scaling activity before another may start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub cooldown: Option<i32>,
    /// `Average`, `Minimum` or `Maximum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_aggregation_type: Option<String>,
    /// With `PercentChangeInCapacity`: the fewest tasks to add or remove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_adjustment_magnitude: Option<i32>,
}

/// One step of a step scaling policy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepAdjustment {
    /// Lower bound of the step, as the metric's distance from the alarm threshold (inclusive); minus infinity when
    /// left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_interval_lower_bound: Option<f64>,
    /// Upper bound of the step, as the metric's distance from the alarm threshold (exclusive); infinity when left
    /// out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_interval_upper_bound: Option<f64>,
    /// Tasks to add (positive) or remove (negative), or the percentage or exact count, by `adjustmentType`.
    pub scaling_adjustment: i32,
}

/// A scheduled action: from `schedule` on, the minimum and maximum capacity become these values.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledScaling {
    /// Name of the action, unique within `autoScaling`; AWS names it `ecsbridge-<uid8>-<name>`.
    pub name: String,
    /// `at(yyyy-mm-ddThh:mm:ss)`, `rate(<n> <minute|minutes|hour|hours|day|days>)` or
    /// `cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)`.
    pub schedule: String,
    /// IANA time zone of `schedule`, `startTime` and `endTime` (UTC when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The minimum task count from `schedule` on; unchanged when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min_capacity: Option<i32>,
    /// The maximum task count from `schedule` on; unchanged when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_capacity: Option<i32>,
    /// When the action starts to apply (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// When the action stops applying (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
}

/// The scalable target as Application Auto Scaling reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoScalingStatus {
    /// The scalable target: `service/<cluster>/<service>`.
    pub resource_id: String,
    /// The target's minimum task count as Application Auto Scaling reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<i32>,
    /// The target's maximum task count as Application Auto Scaling reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<i32>,
    /// ARNs of the scaling policies the operator manages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    /// Whether the operator registered the scalable target (there was none before). Only then does removing
    /// `autoScaling` or deleting the service deregister it, and only while no one else's policies or scheduled
    /// actions are on it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub registered: bool,
    /// The spec's `minCapacity`/`maxCapacity` the operator last brought to the target. Min/max are sent again only
    /// when the spec's differ from these (or, with no scheduled action on the target, when AWS's differ): a
    /// scheduled action's change of min/max is not drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<AppliedCapacity>,
    /// The newest scaling activity of the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_scaling_activity: Option<ScalingActivityStatus>,
}

/// The capacity of the spec last applied to the scalable target.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppliedCapacity {
    /// The spec's `minCapacity` last sent.
    pub min_capacity: i32,
    /// The spec's `maxCapacity` last sent.
    pub max_capacity: i32,
}

/// One scaling activity.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScalingActivityStatus {
    /// When it started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// `Pending`, `InProgress`, `Successful`, `Overridden`, `Unfulfilled` or `Failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    /// What Application Auto Scaling says the activity did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operator never sends `alarmArn` to AWS (PutScalingPolicy has no alarm parameter, and the operator makes
    /// no CloudWatch call): the field's documentation must say so and what the user does instead.
    #[test]
    fn the_alarm_arn_says_that_the_alarm_is_wired_by_the_user() {
        let schema = serde_json::to_value(schemars::schema_for!(StepScalingPolicy)).unwrap();
        let alarm = &schema["properties"]["alarmArn"];
        let text = alarm["description"].as_str().unwrap_or_default();
        assert!(text.contains("not sent to AWS"), "{text}");
        assert!(text.contains("alarm actions"), "{text}");
        let required = schema["required"].as_array().unwrap();
        assert!(
            !required.iter().any(|r| r == "alarmArn"),
            "a field that changes nothing in AWS is not required"
        );
    }
}
