//! The `EcsCluster` status and readiness derived from what ECS reports; pure. Counters that move with every
//! task (running, pending, container instances) are left out, so that a busy cluster causes no status writes.

use crate::api::EcsClusterStatus;
use crate::ecs::cluster::ObservedCluster;
use crate::reconcile::conditions::{ConditionUpdate, READY};

/// The status fields for an observed cluster (conditions are the skeleton's).
pub fn status_of(observed: &ObservedCluster) -> EcsClusterStatus {
    EcsClusterStatus {
        arn: Some(observed.cluster_arn.clone()),
        cluster_name: Some(observed.cluster_name.clone()),
        ecs_status: Some(observed.status.clone()),
        active_services_count: Some(observed.active_services_count),
        ..Default::default()
    }
}

/// `Ready` once ECS reports the cluster ACTIVE.
pub fn readiness(observed: &ObservedCluster) -> ConditionUpdate {
    if observed.status == "ACTIVE" {
        ConditionUpdate::new(
            READY,
            true,
            "Active",
            format!("ECS cluster {} is ACTIVE", observed.cluster_name),
        )
    } else {
        ConditionUpdate::new(
            READY,
            false,
            "Provisioning",
            format!(
                "ECS cluster {} is {}",
                observed.cluster_name, observed.status
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_active() {
        let mut observed = ObservedCluster {
            cluster_name: "web".into(),
            status: "PROVISIONING".into(),
            ..Default::default()
        };
        assert!(!readiness(&observed).status);
        observed.status = "ACTIVE".into();
        assert!(readiness(&observed).status);
        assert_eq!(status_of(&observed).ecs_status.as_deref(), Some("ACTIVE"));
    }
}
