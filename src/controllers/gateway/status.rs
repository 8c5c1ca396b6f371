//! What an `EcsGateway` shows: its status from DescribeGateway, its associations, routes and load balancers,
//! whether it is Ready, and whether ECS holds what the spec sets of the members UpdateGateway changes.

use serde_json::json;

use crate::api::EcsGatewayStatus;
use crate::api::gateway::{
    EcsGatewaySpec, GatewayAssociation, GatewayLoadBalancer, GatewayRouteSummary,
};
use crate::controllers::compare::covers;
use crate::ecs::gateway::{ObservedAssociation, ObservedGateway, updatable_configuration};
use crate::reconcile::conditions::{ConditionUpdate, READY};

/// What ECS reports besides the gateway itself.
pub struct Surroundings<'a> {
    pub associations: &'a [ObservedAssociation],
    /// Cluster ARNs of the associations this object made.
    pub ours: &'a [String],
    pub routes: Vec<GatewayRouteSummary>,
    pub load_balancers: Vec<GatewayLoadBalancer>,
}

/// The status fields from what ECS reports.
pub fn status_of(observed: &ObservedGateway, around: Surroundings<'_>) -> EcsGatewayStatus {
    let associations: Vec<GatewayAssociation> = around
        .associations
        .iter()
        .map(|a| GatewayAssociation {
            cluster_arn: a.cluster_arn.clone(),
            status: a.status.clone(),
            made_by_this_object: around.ours.contains(&a.cluster_arn),
        })
        .collect();
    let current_alb_count = observed
        .configuration
        .as_ref()
        .and_then(|c| c.pointer("/hostSharedAlb/currentAlbCount"))
        .and_then(serde_json::Value::as_i64)
        .map(|n| n as i32);
    EcsGatewayStatus {
        gateway_arn: Some(observed.gateway_arn.clone()),
        name: observed.name.clone(),
        ecs_status: observed.status.clone(),
        status_reason: observed.status_reason.clone(),
        access_type: observed.access_type.clone(),
        deletion_protection: observed.deletion_protection,
        current_alb_count,
        failures: observed.failures.clone(),
        active_associations: Some(
            associations.iter().filter(|a| a.status == "ACTIVE").count() as i32
        ),
        associations,
        associated_clusters: around.ours.to_vec(),
        route_count: Some(around.routes.len() as i32),
        routes: around.routes,
        load_balancers: around.load_balancers,
        ..Default::default()
    }
}

/// Whether ECS holds every member UpdateGateway changes that the spec sets.
pub fn in_sync(spec: &EcsGatewaySpec, observed: &ObservedGateway) -> bool {
    let configuration = observed.configuration.clone().unwrap_or_default();
    covers(&configuration, &updatable_configuration(spec))
        && observed.infrastructure_role_arn.as_deref() == Some(&spec.infrastructure_role_arn)
        && spec
            .deletion_protection
            .is_none_or(|wanted| observed.deletion_protection == Some(wanted))
        && spec.propagate_tags.is_none_or(|wanted| {
            observed.propagate_tags == json!(wanted).as_str().map(str::to_owned)
        })
}

/// The create-only members the spec sets with another value than ECS holds (UpdateGateway cannot change them).
pub fn create_only_changes(spec: &EcsGatewaySpec, observed: &ObservedGateway) -> Vec<&'static str> {
    let Some(alb) = &spec.configuration.host_shared_alb else {
        return Vec::new();
    };
    let held = observed
        .configuration
        .as_ref()
        .and_then(|c| c.get("hostSharedAlb"))
        .cloned()
        .unwrap_or_default();
    let network = alb.network_configuration.as_ref();
    [
        (
            "spec.configuration.hostSharedAlb.scheme",
            json!(alb.scheme),
            "/scheme",
        ),
        (
            "spec.configuration.hostSharedAlb.port",
            json!(alb.port),
            "/port",
        ),
        (
            "spec.configuration.hostSharedAlb.protocol",
            json!(alb.protocol),
            "/protocol",
        ),
        (
            "spec.configuration.hostSharedAlb.networkConfiguration.subnets",
            json!(network.and_then(|n| n.subnets.clone())),
            "/networkConfiguration/subnets",
        ),
        (
            "spec.configuration.hostSharedAlb.networkConfiguration.ipAddressType",
            json!(network.and_then(|n| n.ip_address_type)),
            "/networkConfiguration/ipAddressType",
        ),
    ]
    .into_iter()
    .filter(|(_, wanted, pointer)| {
        !wanted.is_null() && !covers(&held.pointer(pointer).cloned().unwrap_or_default(), wanted)
    })
    .map(|(field, _, _)| field)
    .collect()
}

/// Ready: ECS reports the gateway ACTIVE or UPDATE_COMPLETE with what the spec sets, every cluster the spec
/// names associated (ACTIVE), and none of this object's removed associations still disassociating.
/// `wanted_missing`: clusters of the spec without an ACTIVE association; `leaving`: this object's associations
/// that are DISASSOCIATING, with the routes that hold each.
pub fn readiness(
    spec: &EcsGatewaySpec,
    observed: &ObservedGateway,
    wanted_missing: &[String],
    leaving: &[(String, Vec<String>)],
) -> ConditionUpdate {
    let name = observed.name.as_deref().unwrap_or(&observed.gateway_arn);
    let code = observed.status_code();
    let reason = observed
        .status_reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    let failed =
        |reason: &str, message: String| ConditionUpdate::new(READY, false, reason, message);
    match code {
        "UPDATE_IN_PROGRESS" => {
            return failed(
                "Updating",
                format!("ECS is applying an update to gateway {name}'s load balancers"),
            );
        }
        "UPDATE_FAILED" => {
            let arns: Vec<&str> = observed
                .failures
                .iter()
                .filter_map(|f| f.arn.as_deref())
                .collect();
            return failed(
                "UpdateFailed",
                format!(
                    "ECS could not update gateway {name}{reason}; resources not updated: {}",
                    if arns.is_empty() {
                        "none named".to_owned()
                    } else {
                        arns.join(", ")
                    }
                ),
            );
        }
        "ACTIVE" | "UPDATE_COMPLETE" => {}
        other => {
            return failed(
                "Provisioning",
                format!("ECS gateway {name} is {other}{reason}"),
            );
        }
    }
    if !in_sync(spec, observed) {
        return failed(
            "Updating",
            format!("ECS gateway {name} does not hold the spec's settings yet"),
        );
    }
    if !wanted_missing.is_empty() {
        return failed(
            "Associating",
            format!(
                "ECS gateway {name} is not associated with {} yet",
                wanted_missing.join(", ")
            ),
        );
    }
    if let Some((cluster, routes)) = leaving.first() {
        return failed(
            "Disassociating",
            format!(
                "the association of gateway {name} with {cluster} is DISASSOCIATING until the services of that \
                 cluster no longer use the gateway (ECS keeps it while routes remain{})",
                if routes.is_empty() {
                    String::new()
                } else {
                    format!(": {}", routes.join(", "))
                }
            ),
        );
    }
    ConditionUpdate::new(
        READY,
        true,
        "Active",
        format!("ECS gateway {name} is {code}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::gateway::{GatewayConfiguration, HostSharedAlbConfiguration};

    fn spec() -> EcsGatewaySpec {
        EcsGatewaySpec {
            infrastructure_role_arn: "arn:aws:iam::1:role/gw".into(),
            configuration: GatewayConfiguration {
                host_shared_alb: Some(HostSharedAlbConfiguration {
                    max_alb_count: Some(3),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }
    }

    fn observed(status: &str, max: i64) -> ObservedGateway {
        serde_json::from_value(json!({
            "gatewayArn": "arn:aws:ecs:us-east-1:1:gateway/edge",
            "name": "edge",
            "status": status,
            "infrastructureRoleArn": "arn:aws:iam::1:role/gw",
            "deletionProtection": true,
            "configuration": {"hostSharedAlb": {"maxAlbCount": max, "port": 443, "currentAlbCount": 1}},
        }))
        .unwrap()
    }

    #[test]
    fn ready_only_when_active_in_sync_and_associated() {
        let ready = |o: &ObservedGateway, missing: &[String], leaving: &[(String, Vec<String>)]| {
            readiness(&spec(), o, missing, leaving).status
        };
        assert!(ready(&observed("ACTIVE", 3), &[], &[]));
        assert!(ready(&observed("UPDATE_COMPLETE", 3), &[], &[]));
        assert!(!ready(&observed("UPDATE_IN_PROGRESS", 3), &[], &[]));
        assert!(!ready(&observed("UPDATE_FAILED", 3), &[], &[]));
        assert!(!ready(&observed("ACTIVE", 10), &[], &[]));
        assert!(!ready(&observed("ACTIVE", 3), &["apps".into()], &[]));
        assert!(!ready(
            &observed("ACTIVE", 3),
            &[],
            &[("apps".into(), vec!["route-1".into()])]
        ));
    }

    #[test]
    fn status_marks_only_this_objects_associations() {
        let associations = vec![
            ObservedAssociation {
                cluster_arn: "arn:c/mine".into(),
                status: "ACTIVE".into(),
            },
            ObservedAssociation {
                cluster_arn: "arn:c/theirs".into(),
                status: "ACTIVE".into(),
            },
        ];
        let ours = vec!["arn:c/mine".to_owned()];
        let shown = status_of(
            &observed("ACTIVE", 3),
            Surroundings {
                associations: &associations,
                ours: &ours,
                routes: Vec::new(),
                load_balancers: Vec::new(),
            },
        );
        assert!(shown.associations[0].made_by_this_object);
        assert!(!shown.associations[1].made_by_this_object);
        assert_eq!(shown.active_associations, Some(2));
        assert_eq!(shown.current_alb_count, Some(1));
    }
}
