//! Observe-only capacity providers (`ecsbridge.dev/read-only`): the ECS capacity provider of the name, its status
//! and readiness as for a managed one, and where it differs from the spec, decided by the comparison that plans an
//! `UpdateCapacityProvider` ([`managed_parts`]) and the spec's tags. Nothing is created, updated, tagged or deleted.

use serde_json::json;

use crate::api::capacity_provider::CapacityProviderSpec;
use crate::api::common::Drift;
use crate::api::{CapacityProvider, CapacityProviderStatus};
use crate::controllers::compare::differences;
use crate::ecs::capacity_provider::ObservedCapacityProvider;
use crate::reconcile::read_only::Observed;
use crate::reconcile::{Context, Error};

use super::plan::{Part, managed_parts};
use super::status;
use super::validate::provider_name;

/// The provider the object names, with its drift; `None` when ECS has none (or only an INACTIVE one).
pub async fn observe(
    provider: &CapacityProvider,
    ctx: &Context,
) -> Result<Option<Observed<CapacityProviderStatus>>, Error> {
    let name = provider_name(provider);
    let cluster = provider.spec.cluster.as_deref();
    let Some(observed) = ctx.ecs.describe_capacity_provider(cluster, &name).await? else {
        return Ok(None);
    };
    Ok(Some(Observed {
        status: status::status_of(&observed),
        conditions: vec![status::readiness(&observed), status::degradation(&observed)],
        drift: drift(&provider.spec, &observed),
    }))
}

/// Where ECS differs from the spec: the managed parts field by field, and the spec's tags.
pub fn drift(spec: &CapacityProviderSpec, observed: &ObservedCapacityProvider) -> Vec<Drift> {
    let mut found: Vec<Drift> = match managed_parts(spec, observed) {
        Ok(parts) => parts.iter().flat_map(Part::drift).collect(),
        // Another group or kind, which ECS cannot change in place: the parts as they are.
        Err(_) => differences(
            &json!({
                "autoScalingGroupProvider": observed.auto_scaling_group_provider,
                "managedInstancesProvider": observed.managed_instances_provider,
            }),
            &json!({
                "autoScalingGroupProvider": spec.auto_scaling_group_provider,
                "managedInstancesProvider": spec.managed_instances_provider,
            }),
        ),
    };
    found.extend(differences(
        &json!({"tags": observed.tags}),
        &json!({"tags": spec.tags}),
    ));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: &str =
        "arn:aws:autoscaling:us-east-1:123:autoScalingGroup:uuid:autoScalingGroupName/web";

    fn observed(target: i32) -> ObservedCapacityProvider {
        serde_json::from_value(json!({
            "capacityProviderArn": "arn:aws:ecs:us-east-1:123:capacity-provider/ec2",
            "name": "ec2",
            "status": "ACTIVE",
            "autoScalingGroupProvider": {
                "autoScalingGroupArn": GROUP,
                "managedScaling": {"status": "ENABLED", "targetCapacity": target, "minimumScalingStepSize": 1},
                "managedTerminationProtection": "DISABLED",
            },
            "tags": [{"key": "team", "value": "ops"}],
        }))
        .unwrap()
    }

    fn spec(target: i32) -> CapacityProviderSpec {
        serde_yaml::from_str(&format!(
            "autoScalingGroupProvider:\n  autoScalingGroupArn: web\n  managedScaling: {{status: ENABLED, targetCapacity: {target}}}\ntags: {{team: ops}}"
        ))
        .unwrap()
    }

    #[test]
    fn the_same_group_named_by_name_with_the_same_scaling_has_no_drift() {
        assert_eq!(drift(&spec(80), &observed(80)), vec![]);
    }

    #[test]
    fn a_changed_target_capacity_is_drift_with_both_values() {
        let found = drift(&spec(80), &observed(95));
        let shown: Vec<_> = found
            .iter()
            .map(|d| (d.path.as_str(), d.spec.as_str(), d.ecs.as_str()))
            .collect();
        assert_eq!(
            shown,
            [(
                "spec.autoScalingGroupProvider.managedScaling.targetCapacity",
                "80",
                "95"
            )]
        );
    }
}
