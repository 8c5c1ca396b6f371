//! Conversions between the spec's autoscaling shapes and the Application Auto Scaling SDK's types.

use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, CustomizedMetricSpecification, MetricAggregationType, MetricDimension,
    MetricStatistic, MetricType, PredefinedMetricSpecification, ScalableTarget, ScalingPolicy,
    ScheduledAction, StepAdjustment, StepScalingPolicyConfiguration,
    TargetTrackingScalingPolicyConfiguration,
};

use super::{ObservedPolicy, PolicyConfig, TargetSettings, rfc3339};
use crate::api::autoscaling::{
    CustomizedMetric, ScheduledScaling, StepScalingPolicy, TargetTrackingPolicy,
};
use crate::ecs::AwsError;

/// The capacity and suspended state of a scalable target; suspended only when all three kinds of scaling are.
pub(super) fn target_settings(target: &ScalableTarget) -> TargetSettings {
    let suspended = target.suspended_state().is_some_and(|s| {
        s.dynamic_scaling_in_suspended() == Some(true)
            && s.dynamic_scaling_out_suspended() == Some(true)
            && s.scheduled_scaling_suspended() == Some(true)
    });
    TargetSettings {
        min_capacity: target.min_capacity(),
        max_capacity: target.max_capacity(),
        suspended,
    }
}

pub(super) fn target_tracking(
    p: &TargetTrackingPolicy,
) -> TargetTrackingScalingPolicyConfiguration {
    let predefined = p.predefined_metric.map(|metric| {
        PredefinedMetricSpecification::builder()
            .predefined_metric_type(MetricType::from(metric.as_str()))
            .set_resource_label(p.resource_label.clone())
            .build()
            .expect("the metric type is set")
    });
    let customized = p.customized_metric.as_ref().map(|m| {
        let dimensions = m
            .dimensions
            .iter()
            .map(|d| {
                MetricDimension::builder()
                    .name(&d.name)
                    .value(&d.value)
                    .build()
                    .expect("name and value are set")
            })
            .collect();
        CustomizedMetricSpecification::builder()
            .metric_name(&m.metric_name)
            .namespace(&m.namespace)
            .set_dimensions(Some(dimensions))
            .statistic(MetricStatistic::from(m.statistic.as_str()))
            .set_unit(m.unit.clone())
            .build()
    });
    TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(p.target_value)
        .set_predefined_metric_specification(predefined)
        .set_customized_metric_specification(customized)
        .set_scale_in_cooldown(p.scale_in_cooldown)
        .set_scale_out_cooldown(p.scale_out_cooldown)
        .set_disable_scale_in(p.disable_scale_in)
        .build()
        .expect("the target value is set")
}

pub(super) fn step_scaling(
    p: &StepScalingPolicy,
) -> Result<StepScalingPolicyConfiguration, AwsError> {
    let steps = p
        .step_adjustments
        .iter()
        .map(|s| {
            StepAdjustment::builder()
                .set_metric_interval_lower_bound(s.metric_interval_lower_bound)
                .set_metric_interval_upper_bound(s.metric_interval_upper_bound)
                .scaling_adjustment(s.scaling_adjustment)
                .build()
                .map_err(|e| AwsError::conversion(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(StepScalingPolicyConfiguration::builder()
        .adjustment_type(AdjustmentType::from(p.adjustment_type.as_str()))
        .set_step_adjustments(Some(steps))
        .set_cooldown(p.cooldown)
        .set_metric_aggregation_type(
            p.metric_aggregation_type
                .as_deref()
                .map(MetricAggregationType::from),
        )
        .set_min_adjustment_magnitude(p.min_adjustment_magnitude)
        .build())
}

pub(super) fn observed_policy(policy: &ScalingPolicy) -> ObservedPolicy {
    let name = policy.policy_name().to_owned();
    let tracking = policy
        .target_tracking_scaling_policy_configuration()
        .map(|c| {
            let predefined = c.predefined_metric_specification();
            PolicyConfig::TargetTracking(TargetTrackingPolicy {
                name: name.clone(),
                predefined_metric: predefined.and_then(|m| {
                    serde_json::from_value(m.predefined_metric_type().as_str().into()).ok()
                }),
                resource_label: predefined.and_then(|m| m.resource_label().map(str::to_owned)),
                customized_metric: c.customized_metric_specification().map(customized),
                target_value: c.target_value(),
                scale_in_cooldown: c.scale_in_cooldown(),
                scale_out_cooldown: c.scale_out_cooldown(),
                disable_scale_in: c.disable_scale_in(),
            })
        });
    let step = policy.step_scaling_policy_configuration().map(|c| {
        PolicyConfig::Step(StepScalingPolicy {
            name: name.clone(),
            alarm_arn: policy
                .alarms()
                .first()
                .map(|a| a.alarm_arn().to_owned())
                .unwrap_or_default(),
            adjustment_type: c
                .adjustment_type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            step_adjustments: c
                .step_adjustments()
                .iter()
                .map(|s| crate::api::autoscaling::StepAdjustment {
                    metric_interval_lower_bound: s.metric_interval_lower_bound(),
                    metric_interval_upper_bound: s.metric_interval_upper_bound(),
                    scaling_adjustment: s.scaling_adjustment(),
                })
                .collect(),
            cooldown: c.cooldown(),
            metric_aggregation_type: c.metric_aggregation_type().map(|t| t.as_str().to_owned()),
            min_adjustment_magnitude: c.min_adjustment_magnitude(),
        })
    });
    ObservedPolicy {
        arn: policy.policy_arn().to_owned(),
        config: tracking.or(step),
        name,
    }
}

fn customized(m: &CustomizedMetricSpecification) -> CustomizedMetric {
    CustomizedMetric {
        metric_name: m.metric_name().unwrap_or_default().to_owned(),
        namespace: m.namespace().unwrap_or_default().to_owned(),
        dimensions: m
            .dimensions()
            .iter()
            .map(|d| crate::api::autoscaling::MetricDimension {
                name: d.name().to_owned(),
                value: d.value().to_owned(),
            })
            .collect(),
        statistic: m
            .statistic()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        unit: m.unit().map(str::to_owned),
    }
}

pub(super) fn observed_scheduled(action: &ScheduledAction) -> ScheduledScaling {
    let capacity = action.scalable_target_action();
    ScheduledScaling {
        name: action.scheduled_action_name().to_owned(),
        schedule: action.schedule().to_owned(),
        timezone: action.timezone().map(str::to_owned),
        min_capacity: capacity.and_then(|c| c.min_capacity()),
        max_capacity: capacity.and_then(|c| c.max_capacity()),
        start_time: action.start_time().and_then(rfc3339),
        end_time: action.end_time().and_then(rfc3339),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_applicationautoscaling::types::{PolicyType, ScalableDimension, ServiceNamespace};
    use aws_smithy_types::DateTime;

    #[test]
    fn a_spec_policy_survives_the_round_trip_through_the_sdk() {
        let spec: TargetTrackingPolicy = serde_yaml::from_str(
            "{name: p, predefinedMetric: ALBRequestCountPerTarget, resourceLabel: app/lb/1/targetgroup/tg/2, \
             targetValue: 100, scaleInCooldown: 60, disableScaleIn: true}",
        )
        .unwrap();
        let policy = ScalingPolicy::builder()
            .policy_arn("arn:p")
            .policy_name("p")
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id("service/main/web")
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(target_tracking(&spec))
            .creation_time(DateTime::from_secs(0))
            .build()
            .unwrap();
        let observed = observed_policy(&policy);
        assert_eq!(observed.config, Some(PolicyConfig::TargetTracking(spec)));
        assert_eq!(observed.arn, "arn:p");
    }
}
