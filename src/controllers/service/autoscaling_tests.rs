//! Unit tests of the Application Auto Scaling plan of a service (`autoscaling.rs`).

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
