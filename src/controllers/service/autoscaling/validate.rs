//! Checks of `spec.autoScaling` that the schema cannot express; pure, no AWS call. Each error names the field.

use std::collections::BTreeSet;

use kube::ResourceExt;

use super::schedule::parse_schedule;
use crate::api::EcsService;
use crate::api::autoscaling::{
    AutoScaling, PredefinedMetric, ScheduledScaling, TargetTrackingPolicy,
};
use crate::api::common::EXTERNAL_SCALER_ANNOTATION;
use crate::api::service::SchedulingStrategy;

const FIELD: &str = "spec.autoScaling";
/// Room left for a name in AWS's 256 characters after the operator's prefix, kept short for readability.
const MAX_NAME: usize = 64;

/// Validates `spec.autoScaling` together with what it must not be combined with.
pub fn validate(svc: &EcsService) -> Result<(), String> {
    let Some(spec) = &svc.spec.auto_scaling else {
        return Ok(());
    };
    if svc.spec.scheduling_strategy == Some(SchedulingStrategy::Daemon) {
        return Err(format!(
            "{FIELD}: a DAEMON service runs one task per container instance and cannot be scaled; remove \
             autoScaling or use schedulingStrategy REPLICA"
        ));
    }
    let external = svc
        .annotations()
        .get(EXTERNAL_SCALER_ANNOTATION)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if external {
        return Err(format!(
            "{FIELD}: the annotation {EXTERNAL_SCALER_ANNOTATION}: \"true\" says an HPA or KEDA scales this service \
             through /scale; two autoscalers would fight: remove autoScaling or the annotation"
        ));
    }
    check_capacity(FIELD, Some(spec.min_capacity), Some(spec.max_capacity))?;
    check_names(spec)?;
    for (i, policy) in spec.target_tracking.iter().enumerate() {
        check_target_tracking(&format!("{FIELD}.targetTracking[{i}]"), policy)?;
    }
    for (i, policy) in spec.step_scaling.iter().enumerate() {
        let field = format!("{FIELD}.stepScaling[{i}]");
        let arn = &policy.alarm_arn;
        if !arn.is_empty() && (!arn.starts_with("arn:") || !arn.contains(":alarm:")) {
            return Err(format!(
                "{field}.alarmArn: \"{}\" is not a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>)",
                policy.alarm_arn
            ));
        }
        if policy.step_adjustments.is_empty() {
            return Err(format!("{field}.stepAdjustments: give at least one step"));
        }
        const TYPES: [&str; 3] = [
            "ChangeInCapacity",
            "PercentChangeInCapacity",
            "ExactCapacity",
        ];
        if !TYPES.contains(&policy.adjustment_type.as_str()) {
            return Err(format!(
                "{field}.adjustmentType: \"{}\" is not one of {}",
                policy.adjustment_type,
                TYPES.join(", ")
            ));
        }
    }
    for (i, action) in spec.scheduled.iter().enumerate() {
        check_scheduled(&format!("{FIELD}.scheduled[{i}]"), action)?;
    }
    Ok(())
}

fn check_capacity(field: &str, min: Option<i32>, max: Option<i32>) -> Result<(), String> {
    for (name, value) in [("minCapacity", min), ("maxCapacity", max)] {
        if let Some(v) = value.filter(|v| *v < 0) {
            return Err(format!("{field}.{name}: {v} is negative"));
        }
    }
    match (min, max) {
        (Some(min), Some(max)) if min > max => Err(format!(
            "{field}.minCapacity: {min} is above maxCapacity {max}; lower minCapacity or raise maxCapacity"
        )),
        _ => Ok(()),
    }
}

/// Policy names share one namespace in AWS, scheduled action names another; both become part of AWS names.
fn check_names(spec: &AutoScaling) -> Result<(), String> {
    let policies = spec
        .target_tracking
        .iter()
        .map(|p| &p.name)
        .zip((0..).map(|i| format!("targetTracking[{i}]")))
        .chain(
            spec.step_scaling
                .iter()
                .map(|p| &p.name)
                .zip((0..).map(|i| format!("stepScaling[{i}]"))),
        );
    let scheduled = spec
        .scheduled
        .iter()
        .map(|s| &s.name)
        .zip((0..).map(|i| format!("scheduled[{i}]")));
    for group in [policies.collect::<Vec<_>>(), scheduled.collect()] {
        let mut seen = BTreeSet::new();
        for (name, at) in group {
            let valid = !name.is_empty()
                && name.len() <= MAX_NAME
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid {
                return Err(format!(
                    "{FIELD}.{at}.name: \"{name}\" must be 1-{MAX_NAME} letters, digits, '-' or '_'"
                ));
            }
            if !seen.insert(name) {
                return Err(format!("{FIELD}.{at}.name: \"{name}\" is used twice"));
            }
        }
    }
    Ok(())
}

fn check_target_tracking(field: &str, policy: &TargetTrackingPolicy) -> Result<(), String> {
    match (&policy.predefined_metric, &policy.customized_metric) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(format!(
                "{field}: set exactly one of predefinedMetric and customizedMetric"
            ));
        }
        (Some(PredefinedMetric::AlbRequestCountPerTarget), _)
            if policy.resource_label.is_none() =>
        {
            return Err(format!(
                "{field}.resourceLabel is required with ALBRequestCountPerTarget: \
                 app/<load-balancer>/<id>/targetgroup/<target-group>/<id>"
            ));
        }
        (Some(PredefinedMetric::AlbRequestCountPerTarget), _) => {}
        _ if policy.resource_label.is_some() => {
            return Err(format!(
                "{field}.resourceLabel applies only to ALBRequestCountPerTarget; remove it"
            ));
        }
        _ => {}
    }
    let percentage = matches!(
        policy.predefined_metric,
        Some(
            PredefinedMetric::EcsServiceAverageCpuUtilization
                | PredefinedMetric::EcsServiceAverageMemoryUtilization
        )
    );
    let value = policy.target_value;
    if !value.is_finite() || value <= 0.0 || (percentage && value > 100.0) {
        let range = if percentage {
            "a utilization above 0 and at most 100"
        } else {
            "a number above 0"
        };
        return Err(format!(
            "{field}.targetValue: {value} is out of range; use {range}"
        ));
    }
    Ok(())
}

fn check_scheduled(field: &str, action: &ScheduledScaling) -> Result<(), String> {
    parse_schedule(&action.schedule).map_err(|why| {
        format!(
            "{field}.schedule: \"{}\" {why}; use at(yyyy-mm-ddThh:mm:ss), rate(<n> <unit>) or \
             cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)",
            action.schedule
        )
    })?;
    if action.min_capacity.is_none() && action.max_capacity.is_none() {
        return Err(format!("{field}: set minCapacity, maxCapacity or both"));
    }
    check_capacity(field, action.min_capacity, action.max_capacity)?;
    if let Some(zone) = &action.timezone
        && (zone.is_empty() || zone.contains(char::is_whitespace))
    {
        return Err(format!(
            "{field}.timezone: \"{zone}\" is not an IANA time zone such as Europe/Paris"
        ));
    }
    let mut instants = Vec::new();
    for (name, value) in [
        ("startTime", &action.start_time),
        ("endTime", &action.end_time),
    ] {
        if let Some(value) = value {
            let instant = value
                .parse::<k8s_openapi::jiff::Timestamp>()
                .map_err(|_| format!("{field}.{name}: \"{value}\" is not an RFC 3339 time"))?;
            instants.push(instant);
        }
    }
    if let [start, end] = instants[..]
        && start >= end
    {
        return Err(format!("{field}.endTime: must come after startTime"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(extra: &str, annotations: &str) -> EcsService {
        serde_yaml::from_str(&format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web, namespace: ns, \
             annotations: {{{annotations}}}}}\nspec:\n  cluster: main\n  taskDefinition: web\n{extra}"
        ))
        .unwrap()
    }

    const CPU: &str =
        "{name: cpu, predefinedMetric: ECSServiceAverageCPUUtilization, targetValue: 50}";

    fn scaling(body: &str) -> String {
        format!("  autoScaling: {{minCapacity: 1, maxCapacity: 4, {body}}}\n")
    }

    #[test]
    fn accepts_valid_auto_scaling() {
        let valid = [
            scaling(&format!("targetTracking: [{CPU}]")),
            scaling(
                "targetTracking: [{name: alb, predefinedMetric: ALBRequestCountPerTarget, \
                 resourceLabel: app/lb/1/targetgroup/tg/2, targetValue: 1000, disableScaleIn: true}, \
                 {name: queue, customizedMetric: {metricName: depth, namespace: app, statistic: Average}, targetValue: 5}]",
            ),
            scaling(
                "stepScaling: [{name: step, alarmArn: 'arn:aws:cloudwatch:us-east-1:1:alarm:hot', \
                 adjustmentType: ChangeInCapacity, stepAdjustments: [{metricIntervalLowerBound: 0, scalingAdjustment: 1}]}]",
            ),
            scaling(
                "scheduled: [{name: a, schedule: 'at(2030-01-01T08:00:00)', minCapacity: 2}, \
                 {name: b, schedule: 'rate(1 day)', maxCapacity: 3}, {name: c, schedule: 'rate(5 minutes)', maxCapacity: 3}, \
                 {name: d, schedule: 'cron(0 8 ? * MON-FRI *)', timezone: Europe/Paris, minCapacity: 2, maxCapacity: 4, \
                 startTime: '2030-01-01T00:00:00Z', endTime: '2031-01-01T00:00:00Z'}]",
            ),
            "  autoScaling: {minCapacity: 0, maxCapacity: 0, suspended: true}\n".into(),
        ];
        for yaml in valid {
            assert_eq!(validate(&service(&yaml, "")), Ok(()), "{yaml}");
        }
        let hpa = service("", "ecsbridge.dev/external-scaler: 'true'");
        assert_eq!(validate(&hpa), Ok(()), "the annotation alone is fine");
    }

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases: Vec<(String, &str, &str)> = vec![
            (
                "  autoScaling: {minCapacity: 5, maxCapacity: 2}\n".into(),
                "",
                "spec.autoScaling.minCapacity: 5 is above",
            ),
            (
                scaling(&format!("targetTracking: [{CPU}]")),
                "ecsbridge.dev/external-scaler: 'true'",
                "two autoscalers",
            ),
            (
                format!("  schedulingStrategy: DAEMON\n{}", scaling("")),
                "",
                "spec.autoScaling: a DAEMON service",
            ),
            (
                scaling(
                    "targetTracking: [{name: cpu, predefinedMetric: ECSServiceAverageCPUUtilization, targetValue: 150}]",
                ),
                "",
                "spec.autoScaling.targetTracking[0].targetValue: 150 is out of range",
            ),
            (
                scaling(
                    "targetTracking: [{name: q, customizedMetric: {metricName: m, namespace: n, statistic: Sum}, targetValue: 0}]",
                ),
                "",
                "spec.autoScaling.targetTracking[0].targetValue",
            ),
            (
                scaling(
                    "targetTracking: [{name: alb, predefinedMetric: ALBRequestCountPerTarget, targetValue: 10}]",
                ),
                "",
                "spec.autoScaling.targetTracking[0].resourceLabel is required",
            ),
            (
                scaling("targetTracking: [{name: cpu, targetValue: 10}]"),
                "",
                "spec.autoScaling.targetTracking[0]: set exactly one",
            ),
            (
                scaling(&format!("targetTracking: [{CPU}, {CPU}]")),
                "",
                "spec.autoScaling.targetTracking[1].name: \"cpu\" is used twice",
            ),
            (
                scaling(
                    "targetTracking: [{name: 'a b', predefinedMetric: ECSServiceAverageCPUUtilization, targetValue: 5}]",
                ),
                "",
                "spec.autoScaling.targetTracking[0].name",
            ),
            (
                scaling(
                    "stepScaling: [{name: s, alarmArn: hot, adjustmentType: ChangeInCapacity, stepAdjustments: [{scalingAdjustment: 1}]}]",
                ),
                "",
                "spec.autoScaling.stepScaling[0].alarmArn",
            ),
            (
                scaling("scheduled: [{name: a, schedule: 'every day', minCapacity: 1}]"),
                "",
                "spec.autoScaling.scheduled[0].schedule",
            ),
            (
                scaling("scheduled: [{name: a, schedule: 'rate(0 days)', minCapacity: 1}]"),
                "",
                "spec.autoScaling.scheduled[0].schedule",
            ),
            (
                scaling("scheduled: [{name: a, schedule: 'rate(2 day)', minCapacity: 1}]"),
                "",
                "spec.autoScaling.scheduled[0].schedule",
            ),
            (
                scaling("scheduled: [{name: a, schedule: 'cron(0 8 * * *)', minCapacity: 1}]"),
                "",
                "has 5 fields",
            ),
            (
                scaling("scheduled: [{name: a, schedule: 'cron(0 8 * * MON *)', minCapacity: 1}]"),
                "",
                "needs ?",
            ),
            (
                scaling(
                    "scheduled: [{name: a, schedule: 'at(2030-13-01T00:00:00)', minCapacity: 1}]",
                ),
                "",
                "at()",
            ),
            (
                scaling("scheduled: [{name: a, schedule: 'rate(1 day)'}]"),
                "",
                "spec.autoScaling.scheduled[0]: set minCapacity",
            ),
            (
                scaling(
                    "scheduled: [{name: a, schedule: 'rate(1 day)', minCapacity: 3, maxCapacity: 2}]",
                ),
                "",
                "spec.autoScaling.scheduled[0].minCapacity: 3 is above",
            ),
            (
                scaling(
                    "scheduled: [{name: a, schedule: 'rate(1 day)', minCapacity: 1, startTime: tomorrow}]",
                ),
                "",
                "spec.autoScaling.scheduled[0].startTime",
            ),
            (
                scaling(
                    "scheduled: [{name: a, schedule: 'rate(1 day)', minCapacity: 1, startTime: '2031-01-01T00:00:00Z', \
                     endTime: '2030-01-01T00:00:00Z'}]",
                ),
                "",
                "spec.autoScaling.scheduled[0].endTime",
            ),
        ];
        for (yaml, annotations, expected) in cases {
            let err = validate(&service(&yaml, annotations)).expect_err(&yaml);
            assert!(err.contains(expected), "{yaml}: {err}");
        }
    }
}
