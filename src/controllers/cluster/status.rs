//! The `EcsCluster` status and readiness derived from what ECS reports; pure. Counters that move with every
//! task (running, pending, container instances) are left out, so that a busy cluster causes no status writes.

use serde_json::{Value, json};

use crate::api::cluster::{ClusterSetting, EcsClusterSpec};
use crate::api::common::Drift;
use crate::api::{EcsClusterStatus, Tags};
use crate::controllers::compare::{differences, strategy_key};
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

/// Where ECS differs from the spec, for a read-only cluster: the settings the spec names (by name), the
/// configuration, the provider list and default strategy when the spec sets them (in any order), Service Connect
/// defaults and the spec's tags.
pub fn drift(spec: &EcsClusterSpec, observed: &ObservedCluster) -> Vec<Drift> {
    let comparable = |settings: &[ClusterSetting],
                      providers: Option<Vec<String>>,
                      strategy,
                      defaults,
                      configuration,
                      tags: &Tags| {
        let settings: serde_json::Map<String, Value> = settings
            .iter()
            .filter_map(|s| {
                Some((
                    serde_json::to_value(s.name).ok()?.as_str()?.to_owned(),
                    json!(s.value),
                ))
            })
            .collect();
        json!({
            "settings": settings,
            "configuration": configuration,
            "capacityProviders": providers.map(|mut p| { p.sort(); p }),
            "defaultCapacityProviderStrategy": strategy,
            "serviceConnectDefaults": defaults,
            "tags": tags,
        })
    };
    let desired = comparable(
        &spec.settings,
        spec.capacity_providers.clone(),
        spec.default_capacity_provider_strategy
            .as_deref()
            .map(strategy_key),
        json!(spec.service_connect_defaults),
        json!(spec.configuration),
        &spec.tags,
    );
    let actual = comparable(
        &observed.settings,
        Some(observed.capacity_providers.clone()),
        Some(strategy_key(&observed.default_capacity_provider_strategy)),
        json!(observed.service_connect_defaults),
        json!(observed.configuration),
        &observed.tags,
    );
    differences(&actual, &desired)
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
