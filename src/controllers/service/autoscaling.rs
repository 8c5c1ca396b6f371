//! Plans the Application Auto Scaling calls that bring a service's scalable target to `spec.autoScaling`; pure.
//!
//! The operator changes only what it owns: the policies and scheduled actions named with its prefix
//! `ecsbridge-<uid8>-` (and, on a target of its own service, those a previous owner of that service named with
//! its prefix), and the target's capacity and suspended state. A policy or action someone else added stays.
//! Min/max are sent when the spec's change, or when AWS's differ while no scheduled action is on the target (a
//! scheduled action rewrites min/max: that is not drift). Without `autoScaling`, the operator's policies and
//! actions are deleted, and the target is deregistered only if the operator registered it (recorded in status) and
//! nothing of others is on it, since deregistering deletes every policy and action of the target.

pub mod apply;
mod schedule;
pub mod validate;

use crate::api::autoscaling::{AppliedCapacity, AutoScaling, ScheduledScaling};
use crate::controllers::compare::covers;
use crate::ecs::autoscaling::{ObservedScaling, PolicyConfig, TargetUpdate};

/// What status remembers of the operator's own work on the target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Remembered {
    /// The operator registered the target (there was none).
    pub registered: bool,
    /// The spec's capacity last brought to the target.
    pub applied: Option<AppliedCapacity>,
}

/// One Application Auto Scaling call.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalingAction {
    /// Registers the target, or changes its capacity or suspended state.
    Register(TargetUpdate),
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

/// Whether `name` carries the operator's prefix of another object (`ecsbridge-<8 hex digits>-`, not `prefix`).
fn previous_owners(name: &str, prefix: &str) -> bool {
    let Some(rest) = name.strip_prefix("ecsbridge-") else {
        return false;
    };
    let uid8 = rest.as_bytes().get(..8);
    !name.starts_with(prefix)
        && rest.as_bytes().get(8) == Some(&b'-')
        && uid8.is_some_and(|u| u.iter().all(u8::is_ascii_hexdigit))
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
pub fn plan(
    desired: Option<&AutoScaling>,
    prefix: &str,
    remembered: &Remembered,
    observed: &ObservedScaling,
) -> Vec<ScalingAction> {
    let Some(spec) = desired else {
        if observed.target.is_none() {
            return Vec::new();
        }
        let mut actions = removals(&[], &[], prefix, false, observed);
        if remembered.registered && others_on(observed, prefix).is_empty() {
            actions.push(ScalingAction::Deregister);
        }
        return actions;
    };
    let mut actions = Vec::new();
    if let Some(update) = target_update(spec, remembered, observed) {
        actions.push(ScalingAction::Register(update));
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
    actions.extend(removals(&policies, &scheduled, prefix, true, observed));
    actions
}

/// What the target needs: everything when it is missing; min/max when the spec's changed since they were last
/// applied, or when AWS's differ and no scheduled action (which rewrites them) is on the target or in the spec;
/// the suspended state when it differs.
fn target_update(
    spec: &AutoScaling,
    remembered: &Remembered,
    observed: &ObservedScaling,
) -> Option<TargetUpdate> {
    let (min, max) = (spec.min_capacity, spec.max_capacity);
    let Some(target) = &observed.target else {
        return Some(TargetUpdate {
            min_capacity: Some(min),
            max_capacity: Some(max),
            suspended: spec.suspended,
        });
    };
    let differs = target.min_capacity != min || target.max_capacity != max;
    let changed = remembered.applied
        != Some(AppliedCapacity {
            min_capacity: min,
            max_capacity: max,
        });
    let scheduled = !spec.scheduled.is_empty() || !observed.scheduled.is_empty();
    let capacity = differs && (changed || !scheduled);
    (capacity || target.suspended != spec.suspended).then(|| TargetUpdate {
        min_capacity: capacity.then_some(min),
        max_capacity: capacity.then_some(max),
        suspended: spec.suspended,
    })
}

/// The names of the policies and scheduled actions on the target that are not the operator's.
pub fn others_on(observed: &ObservedScaling, prefix: &str) -> Vec<String> {
    let policies = observed.policies.iter().map(|p| &p.name);
    let scheduled = observed.scheduled.iter().map(|s| &s.name);
    policies
        .chain(scheduled)
        .filter(|name| !name.starts_with(prefix))
        .cloned()
        .collect()
}

/// Deletes of the operator's policies and scheduled actions that are no longer desired; with `take_over`, also
/// those of a previous owner of the service.
fn removals(
    policies: &[PolicyConfig],
    scheduled: &[ScheduledScaling],
    prefix: &str,
    take_over: bool,
    observed: &ObservedScaling,
) -> Vec<ScalingAction> {
    let ours =
        |name: &str| name.starts_with(prefix) || (take_over && previous_owners(name, prefix));
    let policies = observed
        .policies
        .iter()
        .filter(|o| ours(&o.name))
        .filter(|o| !policies.iter().any(|p| policy_name(p) == o.name))
        .map(|o| ScalingAction::DeletePolicy(o.name.clone()));
    let scheduled = observed
        .scheduled
        .iter()
        .filter(|o| ours(&o.name))
        .filter(|o| !scheduled.iter().any(|s| s.name == o.name))
        .map(|o| ScalingAction::DeleteScheduled(o.name.clone()));
    policies.chain(scheduled).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::autoscaling::{ObservedPolicy, TargetSettings};

    const PREFIX: &str = "ecsbridge-12345678-";

    fn spec(yaml: &str) -> AutoScaling {
        serde_yaml::from_str(yaml).unwrap()
    }

    const SPEC: &str = "minCapacity: 1\nmaxCapacity: 4\n\
        targetTracking: [{name: cpu, predefinedMetric: ECSServiceAverageCPUUtilization, targetValue: 50}]\n\
        scheduled: [{name: night, schedule: 'cron(0 22 * * ? *)', maxCapacity: 2, startTime: '2030-01-01T00:00:00Z'}]\n";

    /// What status remembers after the operator registered the target for `spec`.
    fn registered(spec: &AutoScaling) -> Remembered {
        Remembered {
            registered: true,
            applied: Some(AppliedCapacity {
                min_capacity: spec.min_capacity,
                max_capacity: spec.max_capacity,
            }),
        }
    }

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
        let nothing = Remembered::default();
        for action in plan(Some(spec), PREFIX, &nothing, &ObservedScaling::default()) {
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

    fn foreign_policy() -> ObservedPolicy {
        ObservedPolicy {
            name: "someone-elses".into(),
            arn: "arn:x".into(),
            config: None,
        }
    }

    #[test]
    fn a_new_target_gets_its_capacity_policies_and_scheduled_actions() {
        let nothing = Remembered::default();
        let actions = plan(
            Some(&spec(SPEC)),
            PREFIX,
            &nothing,
            &ObservedScaling::default(),
        );
        assert_eq!(actions.len(), 3, "{actions:?}");
        assert!(
            matches!(&actions[0], ScalingAction::Register(t) if t.min_capacity == Some(1) && t.max_capacity == Some(4))
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
        let known = registered(&desired);
        assert_eq!(plan(Some(&desired), PREFIX, &known, &applied(&desired)), []);
    }

    #[test]
    fn drift_is_repaired_and_foreign_policies_stay() {
        let desired = spec(
            "minCapacity: 1\nmaxCapacity: 4\n\
            targetTracking: [{name: cpu, predefinedMetric: ECSServiceAverageCPUUtilization, targetValue: 50}]\n",
        );
        let mut observed = applied(&desired);
        observed.target.as_mut().unwrap().max_capacity = 9;
        observed.policies.clear();
        observed.policies.push(foreign_policy());
        let actions = plan(Some(&desired), PREFIX, &registered(&desired), &observed);
        assert_eq!(actions.len(), 2, "{actions:?}");
        assert!(
            matches!(&actions[0], ScalingAction::Register(t) if t.max_capacity == Some(4) && t.min_capacity == Some(1))
        );
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
        let actions = plan(Some(&after), PREFIX, &registered(&before), &observed);
        assert_eq!(actions.len(), 3, "{actions:?}");
        assert_eq!(
            actions[0],
            ScalingAction::Register(TargetUpdate {
                min_capacity: None,
                max_capacity: None,
                suspended: true
            }),
            "min/max unchanged: only the suspended state is sent"
        );
        assert!(
            matches!(&actions[1], ScalingAction::PutPolicy(PolicyConfig::TargetTracking(p)) if p.target_value == 70.0)
        );
        assert_eq!(
            actions[2],
            ScalingAction::DeleteScheduled("ecsbridge-12345678-night".into())
        );
    }

    #[test]
    fn removing_auto_scaling_deregisters_a_target_the_operator_registered() {
        let desired = spec(SPEC);
        let observed = applied(&desired);
        let actions = plan(None, PREFIX, &registered(&desired), &observed);
        assert_eq!(
            actions,
            [
                ScalingAction::DeletePolicy("ecsbridge-12345678-cpu".into()),
                ScalingAction::DeleteScheduled("ecsbridge-12345678-night".into()),
                ScalingAction::Deregister,
            ]
        );
        let gone = ObservedScaling::default();
        assert_eq!(plan(None, PREFIX, &registered(&desired), &gone), []);
    }

    /// AWS runs a scheduled action by rewriting the target's min/max ("A scheduled action sets the MinCapacity
    /// and MaxCapacity to what is specified by the scheduled action"): that is not drift.
    #[test]
    fn a_scheduled_actions_min_max_is_not_put_back() {
        let desired = spec(SPEC);
        let mut observed = applied(&desired);
        let target = observed.target.as_mut().unwrap();
        (target.min_capacity, target.max_capacity) = (3, 2);
        assert_eq!(
            plan(Some(&desired), PREFIX, &registered(&desired), &observed),
            []
        );
        // Someone else's scheduled action on the target counts as well.
        let plain = spec("minCapacity: 1\nmaxCapacity: 4\n");
        let mut observed = applied(&plain);
        observed.target.as_mut().unwrap().max_capacity = 8;
        observed.scheduled.push(ScheduledScaling {
            name: "peak".into(),
            schedule: "cron(0 8 * * ? *)".into(),
            max_capacity: Some(8),
            ..Default::default()
        });
        assert_eq!(
            plan(Some(&plain), PREFIX, &registered(&plain), &observed),
            []
        );
    }

    #[test]
    fn a_changed_min_max_in_the_spec_is_sent_despite_scheduled_actions() {
        let before = spec(SPEC);
        let mut observed = applied(&before);
        observed.target.as_mut().unwrap().max_capacity = 2;
        let after = spec(&SPEC.replace("maxCapacity: 4", "maxCapacity: 6"));
        assert_eq!(
            plan(Some(&after), PREFIX, &registered(&before), &observed),
            [ScalingAction::Register(TargetUpdate {
                min_capacity: Some(1),
                max_capacity: Some(6),
                suspended: false
            })]
        );
        // Nothing recorded yet (a target found in place): the spec's min/max are brought once.
        let found = Remembered::default();
        assert_eq!(plan(Some(&after), PREFIX, &found, &observed).len(), 1);
    }

    /// DeregisterScalableTarget deletes every policy and scheduled action of the target, whoever made them.
    #[test]
    fn removing_the_block_keeps_a_target_that_carries_others_objects() {
        let desired = spec(SPEC);
        let mut observed = applied(&desired);
        observed.policies.push(foreign_policy());
        assert_eq!(
            plan(None, PREFIX, &registered(&desired), &observed),
            [
                ScalingAction::DeletePolicy("ecsbridge-12345678-cpu".into()),
                ScalingAction::DeleteScheduled("ecsbridge-12345678-night".into()),
            ]
        );
        assert_eq!(others_on(&observed, PREFIX), ["someone-elses"]);
    }

    #[test]
    fn a_target_registered_by_someone_else_loses_only_the_operators_objects() {
        let desired = spec(SPEC);
        let observed = applied(&desired);
        let found = Remembered {
            registered: false,
            ..registered(&desired)
        };
        assert_eq!(
            plan(None, PREFIX, &found, &observed),
            [
                ScalingAction::DeletePolicy("ecsbridge-12345678-cpu".into()),
                ScalingAction::DeleteScheduled("ecsbridge-12345678-night".into()),
            ]
        );
    }

    /// A retained service adopted by a new object: the policies of its previous owner (another uid) give way to
    /// the new owner's, so that one owner's policies scale the service.
    #[test]
    fn an_adopted_targets_policies_of_the_previous_owner_are_replaced() {
        let desired = spec(SPEC);
        let mut observed = applied(&desired);
        for p in &mut observed.policies {
            p.name = p.name.replace("12345678", "abcdef01");
        }
        for s in &mut observed.scheduled {
            s.name = s.name.replace("12345678", "abcdef01");
        }
        observed.policies.push(foreign_policy());
        let actions = plan(Some(&desired), PREFIX, &Remembered::default(), &observed);
        assert!(
            actions.contains(&ScalingAction::DeletePolicy(
                "ecsbridge-abcdef01-cpu".into()
            )),
            "{actions:?}"
        );
        assert!(
            actions.contains(&ScalingAction::DeleteScheduled(
                "ecsbridge-abcdef01-night".into()
            )),
            "{actions:?}"
        );
        assert!(
            !actions.contains(&ScalingAction::DeletePolicy("someone-elses".into())),
            "{actions:?}"
        );
        // Without a block, another object's policies are left alone.
        let found = Remembered::default();
        assert!(
            plan(None, PREFIX, &found, &observed).is_empty(),
            "not the operator's to remove"
        );
    }

    #[test]
    fn the_prefix_holds_eight_characters_of_the_uid() {
        assert_eq!(
            owned_prefix("0f1e2d3c-aaaa-bbbb-cccc-dddddddddddd"),
            "ecsbridge-0f1e2d3c-"
        );
        assert!(previous_owners("ecsbridge-abcdef01-cpu", PREFIX));
        assert!(!previous_owners("ecsbridge-12345678-cpu", PREFIX));
        assert!(!previous_owners("ecsbridge-web-cpu", PREFIX));
    }
}
