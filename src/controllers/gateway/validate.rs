//! Checks of an `EcsGateway` spec that the schema cannot express, before any AWS call; each message names the
//! field and what to fix.

use kube::ResourceExt;

use crate::api::EcsGateway;
use crate::api::gateway::GatewayProtocol;

/// The ECS gateway name: `spec.name`, or `metadata.name`.
pub fn gateway_name(gateway: &EcsGateway) -> String {
    gateway
        .spec
        .name
        .clone()
        .unwrap_or_else(|| gateway.name_any())
}

/// Everything wrong with the spec, as one message.
pub fn validate(gateway: &EcsGateway) -> Result<(), String> {
    let spec = &gateway.spec;
    let mut problems = Vec::new();
    let name = gateway_name(gateway);
    if name.trim().is_empty() || name.chars().count() > 255 {
        problems.push(format!(
            "spec.name: an ECS gateway name has 1-255 characters; {name:?} (from {}) is not one: set spec.name",
            if spec.name.is_some() { "spec.name" } else { "metadata.name" }
        ));
    }
    if !is_role_arn(&spec.infrastructure_role_arn) {
        problems.push(format!(
            "spec.infrastructureRoleArn: {:?} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
            spec.infrastructure_role_arn
        ));
    }
    match &spec.configuration.host_shared_alb {
        None => problems.push(
            "spec.configuration: set exactly one gateway type; hostSharedAlb is the one ECS offers"
                .to_owned(),
        ),
        Some(alb) => {
            if alb.port.is_some_and(|port| port != 443) {
                problems.push(format!(
                    "spec.configuration.hostSharedAlb.port: the gateway listens on 443 only; {} is refused by ECS \
                     (leave it out or set 443)",
                    alb.port.unwrap_or_default()
                ));
            }
            if alb.protocol == Some(GatewayProtocol::Http) {
                problems.push(
                    "spec.configuration.hostSharedAlb.protocol: the gateway supports HTTPS only (leave it out or \
                     set HTTPS)"
                        .to_owned(),
                );
            }
            if let Some(network) = &alb.network_configuration {
                for subnet in network
                    .subnets
                    .iter()
                    .flatten()
                    .filter(|s| !s.starts_with("subnet-"))
                {
                    problems.push(format!(
                        "spec.configuration.hostSharedAlb.networkConfiguration.subnets: {subnet:?} is not a \
                         subnet ID (subnet-...)"
                    ));
                }
                if let Some(group) = network
                    .inbound_security_group
                    .as_deref()
                    .filter(|g| !g.starts_with("sg-"))
                {
                    problems.push(format!(
                        "spec.configuration.hostSharedAlb.networkConfiguration.inboundSecurityGroup: {group:?} is \
                         not a security group ID (sg-...)"
                    ));
                }
            }
            if let Some(acl) = alb
                .web_acl_arn
                .as_deref()
                .filter(|a| !a.starts_with("arn:"))
            {
                problems.push(format!(
                    "spec.configuration.hostSharedAlb.webACLArn: {acl:?} is not an ARN (arn:aws:wafv2:...)"
                ));
            }
            if let Some(logs) = &alb.access_logs
                && logs.destination.s3.is_none()
            {
                problems.push(
                    "spec.configuration.hostSharedAlb.accessLogs.destination: set s3 (the one destination ECS \
                     offers)"
                        .to_owned(),
                );
            }
            if let Some(header) = alb
                .test_traffic_rules
                .as_ref()
                .and_then(|r| r.header.as_ref())
                && header.values.is_empty()
            {
                problems.push(
                    "spec.configuration.hostSharedAlb.testTrafficRules.header.values: give at least one value"
                        .to_owned(),
                );
            }
        }
    }
    let mut named = std::collections::BTreeSet::new();
    for reference in &spec.cluster_refs {
        if !named.insert(reference.name.clone()) {
            problems.push(format!(
                "spec.clusterRefs: {} is listed twice",
                reference.name
            ));
        }
    }
    let mut clusters = std::collections::BTreeSet::new();
    for cluster in &spec.clusters {
        if cluster.trim().is_empty() {
            problems
                .push("spec.clusters: an entry is empty; give a cluster name or ARN".to_owned());
        } else if !clusters.insert(cluster_short_name(cluster)) {
            problems.push(format!("spec.clusters: {cluster} is listed twice"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// The name part of a cluster name or ARN (`arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`).
pub fn cluster_short_name(ident: &str) -> &str {
    ident
        .rsplit_once(":cluster/")
        .map_or(ident, |(_, name)| name)
}

fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "iam"
        && parts[5].starts_with("role/")
        && parts[5].len() > "role/".len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::EcsGatewaySpec;
    use crate::api::gateway::{
        GatewayConfiguration, GatewayNetworkConfiguration, HostSharedAlbConfiguration,
    };

    fn good() -> EcsGatewaySpec {
        EcsGatewaySpec {
            infrastructure_role_arn: "arn:aws:iam::123456789012:role/gateway".into(),
            configuration: GatewayConfiguration {
                host_shared_alb: Some(HostSharedAlbConfiguration::default()),
            },
            ..Default::default()
        }
    }

    #[test]
    fn a_minimal_spec_passes() {
        assert_eq!(validate(&EcsGateway::new("edge", good())), Ok(()));
    }

    #[test]
    fn each_problem_names_its_field() {
        let spec = EcsGatewaySpec {
            infrastructure_role_arn: "gateway-role".into(),
            configuration: GatewayConfiguration {
                host_shared_alb: Some(HostSharedAlbConfiguration {
                    port: Some(80),
                    network_configuration: Some(GatewayNetworkConfiguration {
                        subnets: Some(vec!["10.0.0.0/24".into()]),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
            },
            clusters: vec!["a".into(), "arn:aws:ecs:us-east-1:1:cluster/a".into()],
            ..good()
        };
        let message = validate(&EcsGateway::new("edge", spec)).unwrap_err();
        for field in [
            "spec.infrastructureRoleArn",
            "hostSharedAlb.port",
            "networkConfiguration.subnets",
            "spec.clusters",
        ] {
            assert!(message.contains(field), "{field} in {message}");
        }
        let untyped = EcsGatewaySpec {
            configuration: GatewayConfiguration::default(),
            ..good()
        };
        let message = validate(&EcsGateway::new("edge", untyped)).unwrap_err();
        assert!(message.contains("spec.configuration"), "{message}");
    }
}
