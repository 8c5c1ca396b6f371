//! The status of a capacity provider and its Ready condition, from what ECS reports; pure.

use crate::api::CapacityProviderStatus;
use crate::ecs::capacity_provider::ObservedCapacityProvider;
use crate::reconcile::conditions::{ConditionUpdate, DEGRADED, READY};

use super::validate::group_name;

/// The kind's own status fields.
pub fn status_of(observed: &ObservedCapacityProvider) -> CapacityProviderStatus {
    let asg = observed.auto_scaling_group_provider.as_ref();
    let derived = if asg.is_some() {
        "EC2_AUTOSCALING"
    } else {
        "MANAGED_INSTANCES"
    };
    let type_ = observed.type_.clone().or_else(|| Some(derived.to_owned()));
    CapacityProviderStatus {
        arn: Some(observed.capacity_provider_arn.clone()),
        name: Some(observed.name.clone()),
        cluster: observed.cluster.clone(),
        type_,
        ecs_status: Some(observed.status.clone()),
        update_status: observed.update_status.clone(),
        update_status_reason: observed.update_status_reason.clone(),
        // ECS reports the group's ARN, or the name it was given.
        auto_scaling_group_name: asg.map(|a| group_name(&a.auto_scaling_group_arn).to_owned()),
        target_capacity: asg
            .and_then(|a| a.managed_scaling.as_ref())
            .and_then(|s| s.target_capacity),
        ..Default::default()
    }
}

/// Ready when ECS reports the provider ACTIVE and its last create or update neither running nor failed.
pub fn readiness(observed: &ObservedCapacityProvider) -> ConditionUpdate {
    let name = &observed.name;
    let update = observed.update_status.as_deref().unwrap_or_default();
    let reason = observed
        .update_status_reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    if observed.status != "ACTIVE" {
        ConditionUpdate::new(
            READY,
            false,
            "Provisioning",
            format!("ECS capacity provider {name} is {}", observed.status),
        )
    } else if update.ends_with("_FAILED") {
        ConditionUpdate::new(
            READY,
            false,
            "UpdateFailed",
            format!("ECS capacity provider {name}: {update}{reason}"),
        )
    } else if update.ends_with("_IN_PROGRESS") {
        ConditionUpdate::new(
            READY,
            false,
            "Updating",
            format!("ECS capacity provider {name}: {update}"),
        )
    } else {
        ConditionUpdate::new(
            READY,
            true,
            "Active",
            format!("ECS capacity provider {name} is ACTIVE"),
        )
    }
}

/// Whether ECS's last create, update or delete of the provider failed (`UPDATE_FAILED`, ...).
pub fn failed(observed: &ObservedCapacityProvider) -> bool {
    observed
        .update_status
        .as_deref()
        .is_some_and(|u| u.ends_with("_FAILED"))
}

/// `Degraded`: True with ECS's reason while its last change of the provider failed. The provider itself stays
/// in ECS with its former settings, so clusters keep using it.
pub fn degradation(observed: &ObservedCapacityProvider) -> ConditionUpdate {
    let name = &observed.name;
    if failed(observed) {
        let update = observed.update_status.as_deref().unwrap_or_default();
        let reason = observed
            .update_status_reason
            .as_deref()
            .unwrap_or("ECS gave no reason");
        ConditionUpdate::new(
            DEGRADED,
            true,
            "UpdateFailed",
            format!(
                "ECS capacity provider {name}: {update}: {reason}. It keeps its former settings; the change is \
                 sent again when the spec changes"
            ),
        )
    } else {
        ConditionUpdate::new(
            DEGRADED,
            false,
            "Healthy",
            format!("ECS capacity provider {name}: no failed change"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::capacity_provider::{AutoScalingGroupProvider, ManagedScaling};

    fn observed(status: &str, update: Option<&str>) -> ObservedCapacityProvider {
        ObservedCapacityProvider {
            capacity_provider_arn: "arn:aws:ecs:us-east-1:1:capacity-provider/web".into(),
            name: "web".into(),
            status: status.into(),
            update_status: update.map(str::to_owned),
            update_status_reason: Some("group not found".into()),
            auto_scaling_group_provider: Some(AutoScalingGroupProvider {
                auto_scaling_group_arn:
                    "arn:aws:autoscaling:us-east-1:1:autoScalingGroup:u:autoScalingGroupName/web-asg"
                        .into(),
                managed_scaling: Some(ManagedScaling {
                    target_capacity: Some(80),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn ready_when_active_and_not_updating_or_failed() {
        assert!(readiness(&observed("ACTIVE", None)).status);
        assert!(readiness(&observed("ACTIVE", Some("UPDATE_COMPLETE"))).status);
        assert!(!readiness(&observed("ACTIVE", Some("UPDATE_IN_PROGRESS"))).status);
        let failed = readiness(&observed("ACTIVE", Some("UPDATE_FAILED")));
        assert!(!failed.status && failed.message.contains("group not found"));
        assert!(!readiness(&observed("INACTIVE", None)).status);
    }

    #[test]
    fn a_failed_update_is_degraded_with_ecs_reason() {
        let degraded = degradation(&observed("ACTIVE", Some("UPDATE_FAILED")));
        assert_eq!(degraded.type_, "Degraded");
        assert!(degraded.status);
        assert_eq!(degraded.reason, "UpdateFailed");
        assert!(
            degraded.message.contains("group not found"),
            "{}",
            degraded.message
        );
        assert!(!degradation(&observed("ACTIVE", Some("UPDATE_COMPLETE"))).status);
        assert!(!degradation(&observed("ACTIVE", None)).status);
    }

    #[test]
    fn the_group_name_is_shown_for_a_group_given_by_name() {
        let mut by_name = observed("ACTIVE", None);
        by_name
            .auto_scaling_group_provider
            .as_mut()
            .unwrap()
            .auto_scaling_group_arn = "web-asg".into();
        assert_eq!(
            status_of(&by_name).auto_scaling_group_name.as_deref(),
            Some("web-asg")
        );
    }

    #[test]
    fn status_shows_type_group_and_target_capacity() {
        let status = status_of(&observed("ACTIVE", None));
        assert_eq!(status.type_.as_deref(), Some("EC2_AUTOSCALING"));
        assert_eq!(status.auto_scaling_group_name.as_deref(), Some("web-asg"));
        assert_eq!(status.target_capacity, Some(80));
        assert_eq!(status.name.as_deref(), Some("web"));
    }
}
