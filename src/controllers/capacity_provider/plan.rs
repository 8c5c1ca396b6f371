//! Plans the ECS calls that bring a capacity provider to its spec; pure, so every decision is unit-tested.

use serde_json::{Value, json};

use crate::api::Tags;
use crate::api::capacity_provider::{AutoScalingGroupProvider, CapacityProviderSpec};
use crate::api::common::Drift;
use crate::api::managed_instances::ManagedInstancesProvider;
use crate::controllers::compare::{covers, differences, overlay};
use crate::ecs::capacity_provider::{CapacityProviderUpdate, ObservedCapacityProvider};
use crate::reconcile::ownership::tag_changes_since;

use super::validate::same_group;

/// One ECS call for a capacity provider.
#[derive(Clone, Debug, PartialEq)]
pub enum ProviderAction {
    Create,
    Update(CapacityProviderUpdate),
    Tag(Tags),
    Untag(Vec<String>),
}

/// The calls to make; empty when ECS already matches. An error names a change ECS cannot make in place.
/// `tags` is the full tag set (user tags plus ownership tags); of the tags the provider carries, only the keys in
/// `applied_tag_keys` (those the operator applied before) are ever removed. Tags come first, so that an adopted
/// provider carries the ownership tags before anything else of it changes.
pub fn plan(
    spec: &CapacityProviderSpec,
    tags: &Tags,
    applied_tag_keys: &[String],
    observed: Option<&ObservedCapacityProvider>,
) -> Result<Vec<ProviderAction>, String> {
    let Some(observed) = observed else {
        return Ok(vec![ProviderAction::Create]);
    };
    let mut actions = Vec::new();
    let (set, remove) = tag_changes_since(tags, &observed.tags, applied_tag_keys);
    if !set.is_empty() {
        actions.push(ProviderAction::Tag(set));
    }
    if !remove.is_empty() {
        actions.push(ProviderAction::Untag(remove));
    }
    for part in managed_parts(spec, observed)? {
        if let Some(update) = part.update() {
            actions.push(ProviderAction::Update(update));
        }
    }
    Ok(actions)
}

/// A managed part of the provider: ECS's and the spec's, in the form the comparison takes.
pub enum Part<'a> {
    /// The group as ECS writes it (its ARN, or the name it was given) in the desired one: the same group is no
    /// change.
    AutoScalingGroup {
        current: &'a AutoScalingGroupProvider,
        desired: AutoScalingGroupProvider,
    },
    ManagedInstances {
        current: &'a ManagedInstancesProvider,
        desired: &'a ManagedInstancesProvider,
    },
}

impl Part<'_> {
    /// The update that brings ECS to the spec; `None` when ECS has every value the spec sets.
    fn update(&self) -> Option<CapacityProviderUpdate> {
        match self {
            Part::AutoScalingGroup { current, desired } => (!covers(current, desired)).then(|| {
                let update = without(overlay(current, desired), &[], "autoScalingGroupArn");
                CapacityProviderUpdate::AutoScalingGroup(update)
            }),
            Part::ManagedInstances { current, desired } => (!covers(current, desired)).then(|| {
                let update = without(
                    overlay(current, desired),
                    &["instanceLaunchTemplate"],
                    "capacityOptionType",
                );
                CapacityProviderUpdate::ManagedInstances(update)
            }),
        }
    }

    /// Where ECS differs from the spec in this part, by the comparison that decides the update.
    pub fn drift(&self) -> Vec<Drift> {
        match self {
            Part::AutoScalingGroup { current, desired } => differences(
                &json!({"autoScalingGroupProvider": current}),
                &json!({"autoScalingGroupProvider": desired}),
            ),
            Part::ManagedInstances { current, desired } => differences(
                &json!({"managedInstancesProvider": current}),
                &json!({"managedInstancesProvider": desired}),
            ),
        }
    }
}

/// The parts the spec sets, paired with ECS's; an error names a change ECS cannot make in place.
pub fn managed_parts<'a>(
    spec: &'a CapacityProviderSpec,
    observed: &'a ObservedCapacityProvider,
) -> Result<Vec<Part<'a>>, String> {
    let mut parts = Vec::new();
    if let Some(desired) = &spec.auto_scaling_group_provider {
        let current = observed
            .auto_scaling_group_provider
            .as_ref()
            .ok_or_else(|| kind_changed(observed, "autoScalingGroupProvider"))?;
        if !same_group(
            &current.auto_scaling_group_arn,
            &desired.auto_scaling_group_arn,
        ) {
            return Err(format!(
                "spec.autoScalingGroupProvider.autoScalingGroupArn cannot change: ECS capacity provider {} uses \
                 {} and ECS cannot move it to another group; set it back, or create a new CapacityProvider for \
                 the new group",
                observed.name, current.auto_scaling_group_arn
            ));
        }
        let desired = AutoScalingGroupProvider {
            auto_scaling_group_arn: current.auto_scaling_group_arn.clone(),
            ..desired.clone()
        };
        parts.push(Part::AutoScalingGroup { current, desired });
    }
    if let Some(desired) = &spec.managed_instances_provider {
        let current = observed
            .managed_instances_provider
            .as_ref()
            .ok_or_else(|| kind_changed(observed, "managedInstancesProvider"))?;
        let option = |p: &ManagedInstancesProvider| {
            p.instance_launch_template
                .as_ref()
                .and_then(|t| t.capacity_option_type)
        };
        if option(desired).is_some_and(|d| option(current).is_some_and(|c| c != d)) {
            return Err(format!(
                "spec.managedInstancesProvider.instanceLaunchTemplate.capacityOptionType cannot change: ECS \
                 capacity provider {} keeps the one it was created with; set it back, or create a new \
                 CapacityProvider",
                observed.name
            ));
        }
        parts.push(Part::ManagedInstances { current, desired });
    }
    Ok(parts)
}

/// The planned calls without the update, when ECS's last change of the provider failed and the spec has not
/// changed since: the same update would fail the same way (the provider is Degraded and says why); a new spec is
/// sent again.
pub fn hold_failed_update(
    actions: Vec<ProviderAction>,
    failed: bool,
    spec_changed: bool,
) -> Vec<ProviderAction> {
    if !failed || spec_changed {
        return actions;
    }
    actions
        .into_iter()
        .filter(|a| !matches!(a, ProviderAction::Update(_)))
        .collect()
}

/// `value` without the field `key` of the object at `path`: what ECS's update shape does not take.
fn without(mut value: Value, path: &[&str], key: &str) -> Value {
    let mut target = Some(&mut value);
    for step in path {
        target = target.and_then(|v| v.get_mut(*step));
    }
    if let Some(Value::Object(object)) = target {
        object.remove(key);
    }
    value
}

fn kind_changed(observed: &ObservedCapacityProvider, wanted: &str) -> String {
    format!(
        "spec.{wanted}: ECS capacity provider {} is of another kind, which cannot change; create a new \
         CapacityProvider for it",
        observed.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ASG: &str = "arn:aws:autoscaling:us-east-1:1:autoScalingGroup:u:autoScalingGroupName/web";

    fn spec(yaml: &str) -> CapacityProviderSpec {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn asg_spec(scaling: &str) -> CapacityProviderSpec {
        spec(&format!(
            "autoScalingGroupProvider:\n  autoScalingGroupArn: \"{ASG}\"\n  managedScaling: {scaling}\n"
        ))
    }

    fn tags() -> Tags {
        Tags::from([("ecsbridge.dev/uid".to_owned(), "u".to_owned())])
    }

    /// ECS's view: the spec's provider with ECS's defaults filled in.
    fn observed(spec: &CapacityProviderSpec) -> ObservedCapacityProvider {
        let mut asg = spec.auto_scaling_group_provider.clone();
        if let Some(asg) = &mut asg {
            let reported = json!({"status": "ENABLED", "targetCapacity": 100, "minimumScalingStepSize": 1,
                "maximumScalingStepSize": 10000, "instanceWarmupPeriod": 300});
            asg.managed_scaling =
                Some(serde_json::from_value(overlay(&reported, &asg.managed_scaling)).unwrap());
            asg.managed_termination_protection =
                Some(crate::api::capacity_provider::Toggle::Disabled);
        }
        ObservedCapacityProvider {
            capacity_provider_arn: "arn:aws:ecs:us-east-1:1:capacity-provider/web".into(),
            name: "web".into(),
            status: "ACTIVE".into(),
            auto_scaling_group_provider: asg,
            managed_instances_provider: spec.managed_instances_provider.clone(),
            tags: tags(),
            ..Default::default()
        }
    }

    #[test]
    fn creates_a_missing_provider_and_leaves_a_matching_one() {
        let s = asg_spec("{targetCapacity: 80}");
        assert_eq!(
            plan(&s, &tags(), &[], None),
            Ok(vec![ProviderAction::Create])
        );
        assert_eq!(plan(&s, &tags(), &[], Some(&observed(&s))), Ok(vec![]));
    }

    #[test]
    fn a_scaling_change_sends_ecs_values_with_the_spec_overlaid() {
        let before = asg_spec("{targetCapacity: 80}");
        let after = asg_spec("{targetCapacity: 50}");
        let actions = plan(&after, &tags(), &[], Some(&observed(&before))).unwrap();
        let expected = json!({"managedScaling": {"status": "ENABLED", "targetCapacity": 50,
            "minimumScalingStepSize": 1, "maximumScalingStepSize": 10000, "instanceWarmupPeriod": 300},
            "managedTerminationProtection": "DISABLED"});
        assert_eq!(
            actions,
            vec![ProviderAction::Update(
                CapacityProviderUpdate::AutoScalingGroup(expected)
            )]
        );
    }

    #[test]
    fn the_group_by_name_and_by_arn_is_the_same_group() {
        let by_name = spec(
            "autoScalingGroupProvider:\n  autoScalingGroupArn: web\n  managedScaling: {targetCapacity: 80}\n",
        );
        let by_arn = asg_spec("{targetCapacity: 80}");
        // ECS reports the ARN of a group it was given by name, or echoes the name: neither is a change.
        assert_eq!(
            plan(&by_name, &tags(), &[], Some(&observed(&by_arn))),
            Ok(vec![])
        );
        assert_eq!(
            plan(&by_arn, &tags(), &[], Some(&observed(&by_name))),
            Ok(vec![])
        );
        let other = spec("autoScalingGroupProvider:\n  autoScalingGroupArn: web-2\n");
        assert!(
            plan(&other, &tags(), &[], Some(&observed(&by_arn)))
                .unwrap_err()
                .contains("autoScalingGroupArn cannot change")
        );
    }

    #[test]
    fn refuses_what_ecs_cannot_change_in_place() {
        let s = asg_spec("{targetCapacity: 80}");
        let mut moved = observed(&s);
        moved
            .auto_scaling_group_provider
            .as_mut()
            .unwrap()
            .auto_scaling_group_arn = "arn:other".into();
        assert!(
            plan(&s, &tags(), &[], Some(&moved))
                .unwrap_err()
                .contains("autoScalingGroupArn cannot change")
        );
        let managed = spec(
            "cluster: web\nmanagedInstancesProvider: {infrastructureRoleArn: \"arn:aws:iam::1:role/r\"}\n",
        );
        assert!(
            plan(&managed, &tags(), &[], Some(&observed(&s)))
                .unwrap_err()
                .contains("another kind")
        );
    }

    #[test]
    fn managed_instances_update_leaves_out_the_capacity_option_type() {
        let yaml = "cluster: web\nmanagedInstancesProvider:\n  infrastructureRoleArn: \"arn:aws:iam::1:role/r\"\n  instanceLaunchTemplate: {ec2InstanceProfileArn: \"arn:aws:iam::1:instance-profile/p\", capacityOptionType: SPOT, storageConfiguration: {storageSizeGiB: SIZE}}\n";
        let before = spec(&yaml.replace("SIZE", "30"));
        let after = spec(&yaml.replace("SIZE", "60"));
        let actions = plan(&after, &tags(), &[], Some(&observed(&before))).unwrap();
        let [ProviderAction::Update(CapacityProviderUpdate::ManagedInstances(update))] =
            actions.as_slice()
        else {
            panic!("{actions:?}");
        };
        let template = &update["instanceLaunchTemplate"];
        assert_eq!(template["storageConfiguration"]["storageSizeGiB"], 60);
        assert!(template.get("capacityOptionType").is_none());
        let spot = spec(&yaml.replace("SIZE", "30").replace("SPOT", "ON_DEMAND"));
        assert!(
            plan(&spot, &tags(), &[], Some(&observed(&before)))
                .unwrap_err()
                .contains("capacityOptionType cannot change")
        );
    }

    #[test]
    fn tags_are_set_and_removed() {
        let s = asg_spec("{targetCapacity: 80}");
        let mut o = observed(&s);
        o.tags.insert("old".into(), "x".into());
        let mut desired = tags();
        desired.insert("team".into(), "web".into());
        let applied = ["ecsbridge.dev/uid".to_owned(), "old".to_owned()];
        assert_eq!(
            plan(&s, &desired, &applied, Some(&o)),
            Ok(vec![
                ProviderAction::Tag(Tags::from([("team".to_owned(), "web".to_owned())])),
                ProviderAction::Untag(vec!["old".into()]),
            ])
        );
    }

    #[test]
    fn only_tag_keys_the_operator_applied_are_removed() {
        let s = asg_spec("{targetCapacity: 80}");
        let mut o = observed(&s);
        o.tags.insert("old".into(), "x".into());
        o.tags.insert("cost-center".into(), "finance".into());
        o.tags
            .insert("aws:cloudformation:stack-name".into(), "s".into());
        let applied = ["ecsbridge.dev/uid".to_owned(), "old".to_owned()];
        assert_eq!(
            plan(&s, &tags(), &applied, Some(&o)),
            Ok(vec![ProviderAction::Untag(vec!["old".into()])]),
            "a tag others put on the provider stays"
        );
        // An adopted provider: nothing applied yet, so none of the tags it carries is removed.
        assert_eq!(plan(&s, &tags(), &[], Some(&o)), Ok(vec![]));
    }

    #[test]
    fn a_failed_update_is_not_sent_again_until_the_spec_changes() {
        let update = ProviderAction::Update(CapacityProviderUpdate::AutoScalingGroup(json!({})));
        let tag = ProviderAction::Tag(tags());
        let actions = vec![tag.clone(), update.clone()];
        assert_eq!(hold_failed_update(actions.clone(), true, false), vec![tag]);
        assert_eq!(hold_failed_update(actions.clone(), true, true), actions);
        assert_eq!(hold_failed_update(actions.clone(), false, false), actions);
    }

    #[test]
    fn an_adopted_provider_is_tagged_before_anything_else_changes() {
        let before = asg_spec("{targetCapacity: 80}");
        let after = asg_spec("{targetCapacity: 50}");
        let mut o = observed(&before);
        o.tags = Tags::from([("ecsbridge.dev/uid".to_owned(), "someone-gone".to_owned())]);
        let actions = plan(&after, &tags(), &[], Some(&o)).unwrap();
        assert!(
            matches!(
                actions.as_slice(),
                [ProviderAction::Tag(_), ProviderAction::Update(_)]
            ),
            "{actions:?}"
        );
    }
}
