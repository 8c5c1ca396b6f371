//! Plans the Application Auto Scaling calls that bring a service's scalable target to `spec.autoScaling`; pure.
//!
//! The operator changes only what it owns: the scalable target of its service, and the policies and scheduled
//! actions named with its prefix `ecsbridge-<uid8>-`. A policy someone else added to the target stays. Without
//! `autoScaling`, a target the operator registered (recorded in status) is removed with its own policies.

pub mod apply;
mod schedule;
pub mod validate;

use crate::api::autoscaling::{AutoScaling, ScheduledScaling};
use crate::controllers::compare::covers;
use crate::ecs::autoscaling::{ObservedScaling, PolicyConfig, TargetSettings};

/// One Application Auto Scaling call.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalingAction {
    /// Registers the target, or changes its capacity or suspended state.
    Register(TargetSettings),
    PutPolicy(PolicyConfig),
    DeletePolicy(String),
    PutScheduled(ScheduledScaling),
    DeleteScheduled(String),
    Deregister,
}

/// The prefix of the AWS names of the policies and scheduled actions an object owns: `ecsbridge-<uid8>-`.
pub fn owned_prefix(uid: &str) -> String {
    format!("ecsbridge-{}-", uid.chars().take(8).collect::<String>())
}

/// The policies of the spec, named as in AWS.
fn desired_policies(spec: &AutoScaling, prefix: &str) -> Vec<PolicyConfig> {
    let tracking = spec.target_tracking.iter().map(|p| {
        PolicyConfig::TargetTracking(crate::api::autoscaling::TargetTrackingPolicy {
            name: format!("{prefix}{}", p.name),
            ..p.clone()
        })
    });
    let step = spec.step_scaling.iter().map(|p| {
        PolicyConfig::Step(crate::api::autoscaling::StepScalingPolicy {
            name: format!("{prefix}{}", p.name),
            ..p.clone()
        })
    });
    tracking.chain(step).collect()
}

fn policy_name(policy: &PolicyConfig) -> &str {
    match policy {
        PolicyConfig::TargetTracking(p) => &p.name,
        PolicyConfig::Step(p) => &p.name,
    }
}

/// Whether AWS's policy does what the desired one says. The alarm of a step policy is the alarm's business (its
/// actions name the policy), so it is not compared.
fn policy_matches(observed: &PolicyConfig, desired: &PolicyConfig) -> bool {
    match (observed, desired) {
        (PolicyConfig::TargetTracking(o), PolicyConfig::TargetTracking(d)) => covers(o, d),
        (PolicyConfig::Step(o), PolicyConfig::Step(d)) => {
            let mut d = d.clone();
            d.alarm_arn = o.alarm_arn.clone();
            covers(o, &d)
        }
        _ => false,
    }
}

/// Times compare as instants, whatever their RFC 3339 spelling.
fn same_time(observed: &Option<String>, desired: &Option<String>) -> bool {
    let instant = |t: &str| t.parse::<k8s_openapi::jiff::Timestamp>().ok();
    match desired {
        None => true,
        Some(d) => observed.as_deref().and_then(instant) == instant(d),
    }
}

fn scheduled_matches(observed: &ScheduledScaling, desired: &ScheduledScaling) -> bool {
    let times = |s: &ScheduledScaling| ScheduledScaling {
        start_time: None,
        end_time: None,
        ..s.clone()
    };
    covers(&times(observed), &times(desired))
        && same_time(&observed.start_time, &desired.start_time)
        && same_time(&observed.end_time, &desired.end_time)
}

/// The calls to make, in order: the target first, then policies and scheduled actions, a deregistration last.
/// `registered` says whether the operator registered the target (status remembers it).
pub fn plan(
    desired: Option<&AutoScaling>,
    prefix: &str,
    registered: bool,
    observed: &ObservedScaling,
) -> Vec<ScalingAction> {
    let Some(spec) = desired else {
        if !registered || observed.target.is_none() {
            return Vec::new();
        }
        let mut actions = removals(&[], &[], prefix, observed);
        actions.push(ScalingAction::Deregister);
        return actions;
    };
    let mut actions = Vec::new();
    let target = TargetSettings {
        min_capacity: spec.min_capacity,
        max_capacity: spec.max_capacity,
        suspended: spec.suspended,
    };
    if observed.target.as_ref() != Some(&target) {
        actions.push(ScalingAction::Register(target));
    }
    let policies = desired_policies(spec, prefix);
    for policy in &policies {
        let current = observed
            .policies
            .iter()
            .find(|o| o.name == policy_name(policy))
            .and_then(|o| o.config.as_ref());
        if !current.is_some_and(|c| policy_matches(c, policy)) {
            actions.push(ScalingAction::PutPolicy(policy.clone()));
        }
    }
    let scheduled: Vec<_> = spec
        .scheduled
        .iter()
        .map(|s| ScheduledScaling {
            name: format!("{prefix}{}", s.name),
            ..s.clone()
        })
        .collect();
    for action in &scheduled {
        let current = observed.scheduled.iter().find(|o| o.name == action.name);
        if !current.is_some_and(|c| scheduled_matches(c, action)) {
            actions.push(ScalingAction::PutScheduled(action.clone()));
        }
    }
    actions.extend(removals(&policies, &scheduled, prefix, observed));
    actions
}

/// Deletes of the operator's policies and scheduled actions that are no longer desired.
fn removals(
    policies: &[PolicyConfig],
    scheduled: &[ScheduledScaling],
    prefix: &str,
    observed: &ObservedScaling,
) -> Vec<ScalingAction> {
    let policies = observed
        .policies
        .iter()
        .filter(|o| o.name.starts_with(prefix))
        .filter(|o| !policies.iter().any(|p| policy_name(p) == o.name))
        .map(|o| ScalingAction::DeletePolicy(o.name.clone()));
    let scheduled = observed
        .scheduled
        .iter()
        .filter(|o| o.name.starts_with(prefix))
        .filter(|o| !scheduled.iter().any(|s| s.name == o.name))
        .map(|o| ScalingAction::DeleteScheduled(o.name.clone()));
    policies.chain(scheduled).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::autoscaling::ObservedPolicy;

    const PREFIX: &str = "ecsbridge-12345678-";

    fn spec(yaml: &str) -> AutoScaling {
        serde_yaml::from_str(yaml).unwrap()
    }

    const SPEC: &str = "minCapacity: 1\nmaxCapacity: 4\n\
        targetTracking: [{name: cpu, predefinedMetric: ECSServiceAverageCPUUtilization, targetValue: 50}]\n\
        scheduled: [{name: night, schedule: 'cron(0 22 * * ? *)', maxCapacity: 2, startTime: '2030-01-01T00:00:00Z'}]\n";

    /// What AWS shows after the spec was applied.
    fn applied(spec: &AutoScaling) -> ObservedScaling {
        let mut observed = ObservedScaling {
            target: Some(TargetSettings {
                min_capacity: spec.min_capacity,
                max_capacity: spec.max_capacity,
                suspended: spec.suspended,
            }),
            ..Default::default()
        };
        for action in plan(Some(spec), PREFIX, true, &ObservedScaling::default()) {
            match action {
                ScalingAction::PutPolicy(config) => observed.policies.push(ObservedPolicy {
                    name: policy_name(&config).to_owned(),
                    arn: format!("arn:{}", policy_name(&config)),
                    config: Some(config),
                }),
                ScalingAction::PutScheduled(mut s) => {
                    s.start_time = Some("2030-01-01T00:00:00.000Z".into());
                    s.timezone = Some("UTC".into());
                    observed.scheduled.push(s)
                }
                _ => {}
            }
        }
        observed
    }

    #[test]
    fn a_new_target_gets_its_capacity_policies_and_scheduled_actions() {
        let actions = plan(
            Some(&spec(SPEC)),
            PREFIX,
            false,
            &ObservedScaling::default(),
        );
        assert_eq!(actions.len(), 3, "{actions:?}");
        assert!(
            matches!(&actions[0], ScalingAction::Register(t) if t.min_capacity == 1 && t.max_capacity == 4)
        );
        assert!(
            matches!(&actions[1], ScalingAction::PutPolicy(PolicyConfig::TargetTracking(p)) if p.name == "ecsbridge-12345678-cpu")
        );
        assert!(
            matches!(&actions[2], ScalingAction::PutScheduled(s) if s.name == "ecsbridge-12345678-night")
        );
    }

    #[test]
    fn what_aws_shows_after_applying_needs_nothing() {
        let desired = spec(SPEC);
        assert_eq!(plan(Some(&desired), PREFIX, true, &applied(&desired)), []);
    }

    #[test]
    fn drift_is_repaired_and_foreign_policies_stay() {
        let desired = spec(SPEC);
        let mut observed = applied(&desired);
        observed.target.as_mut().unwrap().max_capacity = 9;
        observed.policies.clear();
        observed.policies.push(ObservedPolicy {
            name: "someone-elses".into(),
            arn: "arn:x".into(),
            config: None,
        });
        let actions = plan(Some(&desired), PREFIX, true, &observed);
        assert_eq!(actions.len(), 2, "{actions:?}");
        assert!(matches!(&actions[0], ScalingAction::Register(t) if t.max_capacity == 4));
        assert!(matches!(&actions[1], ScalingAction::PutPolicy(_)));
    }

    #[test]
    fn a_changed_value_or_a_removed_entry_is_applied() {
        let before = spec(SPEC);
        let observed = applied(&before);
        let after = spec(
            "minCapacity: 1\nmaxCapacity: 4\nsuspended: true\n\
             targetTracking: [{name: cpu, predefinedMetric: ECSServiceAverageCPUUtilization, targetValue: 70}]\n",
        );
        let actions = plan(Some(&after), PREFIX, true, &observed);
        assert_eq!(actions.len(), 3, "{actions:?}");
        assert!(matches!(&actions[0], ScalingAction::Register(t) if t.suspended));
        assert!(
            matches!(&actions[1], ScalingAction::PutPolicy(PolicyConfig::TargetTracking(p)) if p.target_value == 70.0)
        );
        assert_eq!(
            actions[2],
            ScalingAction::DeleteScheduled("ecsbridge-12345678-night".into())
        );
    }

    #[test]
    fn removing_auto_scaling_removes_only_what_the_operator_registered() {
        let mut observed = applied(&spec(SPEC));
        observed.policies.push(ObservedPolicy {
            name: "someone-elses".into(),
            arn: "arn:x".into(),
            config: None,
        });
        let actions = plan(None, PREFIX, true, &observed);
        assert_eq!(
            actions,
            [
                ScalingAction::DeletePolicy("ecsbridge-12345678-cpu".into()),
                ScalingAction::DeleteScheduled("ecsbridge-12345678-night".into()),
                ScalingAction::Deregister,
            ]
        );
        assert_eq!(plan(None, PREFIX, false, &observed), []);
        assert_eq!(plan(None, PREFIX, true, &ObservedScaling::default()), []);
    }

    #[test]
    fn the_prefix_holds_eight_characters_of_the_uid() {
        assert_eq!(
            owned_prefix("0f1e2d3c-aaaa-bbbb-cccc-dddddddddddd"),
            "ecsbridge-0f1e2d3c-"
        );
    }
}
