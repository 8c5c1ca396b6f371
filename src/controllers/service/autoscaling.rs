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
#[path = "autoscaling_tests.rs"]
mod tests;
