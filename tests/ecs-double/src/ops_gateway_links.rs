//! ECS gateway associations and what they lead to (docs/ecs-behaviour.md, entries 181-192):
//! AssociateGatewayWithCluster, DisassociateGatewayFromCluster, ListGatewayClusterAssociations, ListGatewayRoutes
//! and DescribeGatewayResources, and the `gatewayConnectors` of services that the routes come from.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::ops_gateway::{Gateway, find, find_mut, not_found, short_name_of};
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::state::{ACCOUNT, Model, short_name};

/// The most gateways one cluster is associated with.
const GATEWAYS_PER_CLUSTER: usize = 5;

/// The status of the association of `gateway` with `cluster`, if ECS still holds one.
pub fn association_status(model: &Model, gateway: &Gateway, cluster: &str) -> Option<&'static str> {
    let leaving = *gateway.associations.get(cluster)?;
    if !model.clusters.get(cluster).is_some_and(|c| c.active) {
        return Some("INACTIVE");
    }
    match leaving {
        None => Some("ACTIVE"),
        Some(_) if routes(model, gateway).iter().any(|r| r.1 == cluster) => Some("DISASSOCIATING"),
        Some(_) => None,
    }
}

/// The routes of a gateway: (route ARN, cluster, service, port name), one per connector of a live service of an
/// associated cluster whose access type filter allows the gateway's.
pub fn routes(model: &Model, gateway: &Gateway) -> Vec<(String, String, String, String)> {
    let mut found = Vec::new();
    for ((cluster, service), connectors) in &model.gateway.connectors {
        // Routes stay while the association is being removed: ECS changes nothing until the service is updated.
        let associated = gateway.associations.contains_key(cluster);
        let live = model.live_services(cluster).any(|s| &s.name == service);
        if !associated || !live {
            continue;
        }
        for connector in connectors {
            let allowed = connector
                .pointer("/filters/accessTypes")
                .and_then(Value::as_array)
                .is_none_or(|types| types.iter().any(|t| t == gateway.access_type()));
            let port = connector["portName"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if allowed {
                let arn = model.arn(&format!(
                    "gateway-route/{}/{cluster}/{service}/{port}",
                    gateway.name
                ));
                found.push((arn, cluster.clone(), service.clone(), port));
            }
        }
    }
    found
}

/// Records the `gatewayConnectors` of a CreateService or UpdateService request (`[]` removes them).
pub fn record_connectors(model: &mut Model, service: &(String, String), req: &Request) {
    match req.value("gatewayConnectors").and_then(Value::as_array) {
        Some(list) if list.is_empty() => {
            model.gateway.connectors.remove(service);
        }
        Some(list) => {
            model
                .gateway
                .connectors
                .insert(service.clone(), list.clone());
        }
        None => {}
    }
}

fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// AssociateGatewayWithCluster.
pub fn associate(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let ident = req.required_str("gateway")?.to_owned();
    let cluster = model
        .active_cluster(Some(req.required_str("cluster")?))?
        .name
        .clone();
    let gateway = find(model, &ident)?;
    if association_status(model, gateway, &cluster).is_none() {
        let taken = model
            .gateway
            .gateways
            .values()
            .filter(|g| {
                matches!(
                    association_status(model, g, &cluster),
                    Some("ACTIVE" | "DISASSOCIATING")
                )
            })
            .count();
        if taken >= GATEWAYS_PER_CLUSTER {
            return Err(ApiError::invalid(
                "A cluster can be associated with up to 5 gateways.",
            ));
        }
    }
    let gateway = find_mut(model, &ident)?;
    gateway.associations.insert(cluster.clone(), None);
    let arn = gateway.arn.clone();
    Ok(json!({"gatewayArn": arn, "clusterArn": model.cluster_arn(&cluster), "status": "ACTIVE"}))
}

/// DisassociateGatewayFromCluster.
pub fn disassociate(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let ident = req.required_str("gateway")?.to_owned();
    let cluster = short_name(req.required_str("cluster")?).to_owned();
    let gateway = find(model, &ident)?;
    if association_status(model, gateway, &cluster) != Some("ACTIVE") {
        return Err(ApiError::invalid(format!(
            "The gateway is not associated with the cluster {cluster}."
        )));
    }
    let gateway = find_mut(model, &ident)?;
    gateway.associations.insert(cluster.clone(), Some(ctx.now));
    let arn = gateway.arn.clone();
    Ok(
        json!({"gatewayArn": arn, "clusterArn": model.cluster_arn(&cluster), "status": "DISASSOCIATING"}),
    )
}

/// ListGatewayClusterAssociations (filtered by gateway or cluster; one page).
pub fn list_associations(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let gateway_filter = req.str("gateway")?.map(short_name_of);
    let cluster_filter = req.str("cluster")?.map(short_name);
    let mut found = Vec::new();
    for gateway in model.gateway.gateways.values() {
        if gateway_filter.is_some_and(|g| g != gateway.name) {
            continue;
        }
        for cluster in gateway.associations.keys() {
            if cluster_filter.is_some_and(|c| c != cluster) {
                continue;
            }
            if let Some(status) = association_status(model, gateway, cluster) {
                found.push(
                    json!({"gatewayArn": gateway.arn, "clusterArn": model.cluster_arn(cluster),
                    "status": status}),
                );
            }
        }
    }
    if let Some(name) = gateway_filter
        && !model.gateway.gateways.contains_key(name)
    {
        return Err(not_found(name));
    }
    Ok(json!({"gatewayClusterAssociations": found}))
}

/// ListGatewayRoutes (filtered by gateway; one page).
pub fn list_routes(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let gateway = find(model, req.required_str("gateway")?)?;
    let found: Vec<Value> = routes(model, gateway)
        .into_iter()
        .map(|(arn, cluster, service, port)| {
            json!({"gatewayRouteArn": arn, "gatewayArn": gateway.arn, "clusterArn": model.cluster_arn(&cluster),
                "serviceArn": model.service_arn(&cluster, &service), "serviceContainerPortName": port,
                "status": "ACTIVE"})
        })
        .collect();
    Ok(json!({"gatewayRoutes": found}))
}

/// DescribeGatewayResources: one load balancer once the gateway has a route.
pub fn describe_resources(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let gateway = find(model, req.required_str("gateway")?)?;
    let route_arns: Vec<String> = routes(model, gateway).into_iter().map(|r| r.0).collect();
    let balancers = if route_arns.is_empty() {
        Vec::new()
    } else {
        let id = format!("{:016x}", hash(&gateway.arn));
        vec![json!({
            "loadBalancerArn": format!("arn:aws:elasticloadbalancing:{}:{ACCOUNT}:loadbalancer/app/{}/{id}", model.region, gateway.name),
            "listenerArn": format!("arn:aws:elasticloadbalancing:{}:{ACCOUNT}:listener/app/{}/{id}/443", model.region, gateway.name),
            "securityGroup": format!("sg-{}", &id[..12]),
            "gatewayRouteArns": route_arns,
        })]
    };
    Ok(
        json!({"gatewayResources": {"gatewayArn": gateway.arn, "resources": {"hostSharedAlb": balancers}}}),
    )
}
