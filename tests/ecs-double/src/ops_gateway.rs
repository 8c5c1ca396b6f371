//! ECS gateway operations (docs/ecs-behaviour.md, entries 181-192): CreateGateway, DescribeGateway,
//! UpdateGateway and DeleteGateway; the associations and routes are in `ops_gateway_links`.
//!
//! - A name is unique in the account; a gateway is ACTIVE from its creation, with deletion protection on unless
//!   the request turns it off, and makes no load balancer until a service of an associated cluster uses it.
//! - Update takes only the mutable members; the gateway is UPDATE_IN_PROGRESS for one rollout duration, then
//!   UPDATE_COMPLETE.
//! - Delete is refused with deletion protection on or with an ACTIVE or DISASSOCIATING association; a deleted
//!   gateway is not found afterwards.
//! - A cluster has at most 5 gateways. A service with `gatewayConnectors` in an associated cluster gets a route
//!   on each gateway whose access type its filter allows; a disassociation stays DISASSOCIATING while routes of
//!   that cluster remain, then the association is gone. An association of a deleted cluster is INACTIVE (not
//!   documented either way).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::dispatch::Ctx;
use crate::ops_gateway_links::{association_status, routes};
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::state::Model;
use crate::tags::Tags;

/// The members of `hostSharedAlb` UpdateGateway takes.
const MUTABLE: [&str; 6] = [
    "networkConfiguration",
    "maxAlbCount",
    "webACLArn",
    "accessLogs",
    "httpDesync",
    "testTrafficRules",
];

/// One gateway.
pub struct Gateway {
    pub name: String,
    pub arn: String,
    pub role: String,
    pub deletion_protection: bool,
    pub propagate_tags: String,
    /// `hostSharedAlb`, with ECS's defaults filled in.
    pub alb: Map<String, Value>,
    pub tags: Tags,
    pub client_token: Option<String>,
    pub created_at: f64,
    /// When the last UpdateGateway was called.
    pub updated_at: Option<f64>,
    /// Cluster names of its associations, with when each was asked to go.
    pub associations: BTreeMap<String, Option<f64>>,
}

/// The gateways of the account and Region by name, and the connectors of services by (cluster, service).
#[derive(Default)]
pub struct Gateways {
    pub gateways: BTreeMap<String, Gateway>,
    pub connectors: BTreeMap<(String, String), Vec<Value>>,
}

pub fn not_found(ident: &str) -> ApiError {
    ApiError::new(
        "GatewayNotFoundException",
        format!("The gateway {ident} was not found."),
    )
}

impl Gateway {
    fn status(&self, ctx: &Ctx) -> &'static str {
        match self.updated_at {
            None => "ACTIVE",
            Some(at) if ctx.now < at + ctx.duration => "UPDATE_IN_PROGRESS",
            Some(_) => "UPDATE_COMPLETE",
        }
    }

    pub fn access_type(&self) -> &'static str {
        match self.alb.get("scheme").and_then(Value::as_str) {
            Some("internal") => "PRIVATE",
            _ => "PUBLIC",
        }
    }

    fn render(&self, ctx: &Ctx, model: &Model) -> Value {
        let mut alb = self.alb.clone();
        alb.insert(
            "currentAlbCount".into(),
            json!(if routes(model, self).is_empty() { 0 } else { 1 }),
        );
        json!({
            "gatewayArn": self.arn, "name": self.name, "status": self.status(ctx),
            "infrastructureRoleArn": self.role, "deletionProtection": self.deletion_protection,
            "configuration": {"hostSharedAlb": alb}, "accessType": self.access_type(),
            "propagateTags": self.propagate_tags, "tags": self.tags.to_json(),
            "createdAt": self.created_at, "updatedAt": self.updated_at.unwrap_or(self.created_at),
        })
    }
}

pub fn find<'a>(model: &'a Model, ident: &str) -> Result<&'a Gateway, ApiError> {
    model
        .gateway
        .gateways
        .get(short_name_of(ident))
        .ok_or_else(|| not_found(ident))
}

pub fn find_mut<'a>(model: &'a mut Model, ident: &str) -> Result<&'a mut Gateway, ApiError> {
    model
        .gateway
        .gateways
        .get_mut(short_name_of(ident))
        .ok_or_else(|| not_found(ident))
}

pub fn short_name_of(ident: &str) -> &str {
    ident
        .rsplit_once(":gateway/")
        .map_or(ident, |(_, name)| name)
}

/// The `hostSharedAlb` of a request's configuration: the only variant.
fn alb_of(req: &Request) -> Result<Map<String, Value>, ApiError> {
    let configuration = req
        .object("configuration")?
        .ok_or_else(|| ApiError::invalid("configuration is required."))?;
    if configuration.len() != 1 {
        return Err(ApiError::invalid(
            "Exactly one configuration variant must be set.",
        ));
    }
    configuration
        .get("hostSharedAlb")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| ApiError::invalid("The configuration variant must be hostSharedAlb."))
}

/// CreateGateway.
pub fn create(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let name = req.required_str("name")?.to_owned();
    let role = req.required_str("infrastructureRoleArn")?.to_owned();
    let token = req.str("clientToken")?.map(str::to_owned);
    if let Some(existing) = model.gateway.gateways.get(&name) {
        if token.is_some() && existing.client_token == token {
            return Ok(
                json!({"gatewayArn": existing.arn, "name": name, "status": existing.status(ctx)}),
            );
        }
        return Err(ApiError::invalid(format!(
            "A gateway named {name} already exists."
        )));
    }
    if name.is_empty() || name.chars().count() > 255 {
        return Err(ApiError::invalid(
            "The gateway name must have 1-255 characters.",
        ));
    }
    let given = alb_of(req)?;
    if given.get("port").is_some_and(|p| p != &json!(443)) {
        return Err(ApiError::invalid(
            "The gateway supports only HTTPS at port 443.",
        ));
    }
    if given.get("protocol").is_some_and(|p| p != "HTTPS") {
        return Err(ApiError::invalid(
            "The gateway supports only HTTPS at port 443.",
        ));
    }
    let mut alb: Map<String, Value> = json!({"scheme": "internet-facing", "port": 443, "protocol": "HTTPS",
        "maxAlbCount": 10, "httpDesync": "defensive",
        "networkConfiguration": {"subnets": ["subnet-0default0a", "subnet-0default0b"], "ipAddressType": "dualstack"}})
    .as_object()
    .cloned()
    .unwrap_or_default();
    for (key, value) in given {
        match (alb.get_mut(&key), value) {
            (Some(Value::Object(held)), Value::Object(set)) => held.extend(set),
            (_, value) => {
                alb.insert(key, value);
            }
        }
    }
    let gateway = Gateway {
        arn: model.arn(&format!("gateway/{name}")),
        name: name.clone(),
        role,
        deletion_protection: req.bool("deletionProtection")?.unwrap_or(true),
        propagate_tags: req.str("propagateTags")?.unwrap_or("GATEWAY").to_owned(),
        alb,
        tags: Tags::from_request(req, "tags")?,
        client_token: token,
        created_at: ctx.now,
        updated_at: None,
        associations: BTreeMap::new(),
    };
    let out = json!({"gatewayArn": gateway.arn, "name": name, "status": "ACTIVE"});
    model.gateway.gateways.insert(name, gateway);
    Ok(out)
}

/// DescribeGateway.
pub fn describe(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let gateway = find(model, req.required_str("gateway")?)?;
    Ok(json!({"gateway": gateway.render(ctx, model)}))
}

/// UpdateGateway.
pub fn update(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let ident = req.required_str("gateway")?.to_owned();
    let changes = match req.value("configuration") {
        Some(_) => Some(alb_of(req)?),
        None => None,
    };
    if let Some(fixed) = changes
        .iter()
        .flat_map(|c| c.keys())
        .find(|k| !MUTABLE.contains(&k.as_str()))
    {
        return Err(ApiError::invalid(format!(
            "{fixed} cannot be changed on an existing gateway."
        )));
    }
    let role = req.str("infrastructureRoleArn")?.map(str::to_owned);
    let protection = req.bool("deletionProtection")?;
    let propagate = req.str("propagateTags")?.map(str::to_owned);
    let gateway = find_mut(model, &ident)?;
    for (key, value) in changes.into_iter().flatten() {
        match (gateway.alb.get_mut(&key), value) {
            (Some(Value::Object(held)), Value::Object(set)) => held.extend(set),
            (_, value) => {
                gateway.alb.insert(key, value);
            }
        }
    }
    gateway.role = role.unwrap_or(gateway.role.clone());
    gateway.deletion_protection = protection.unwrap_or(gateway.deletion_protection);
    gateway.propagate_tags = propagate.unwrap_or(gateway.propagate_tags.clone());
    gateway.updated_at = Some(ctx.now);
    Ok(json!({"gatewayArn": gateway.arn, "name": gateway.name, "status": "UPDATE_IN_PROGRESS"}))
}

/// DeleteGateway.
pub fn delete(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let ident = req.required_str("gateway")?.to_owned();
    let gateway = find(model, &ident)?;
    if gateway.deletion_protection {
        return Err(ApiError::client(
            "The gateway has deletion protection enabled; disable it before deleting the gateway.",
        ));
    }
    let held: Vec<&String> = gateway
        .associations
        .keys()
        .filter(|c| {
            matches!(
                association_status(model, gateway, c),
                Some("ACTIVE" | "DISASSOCIATING")
            )
        })
        .collect();
    if !held.is_empty() {
        return Err(ApiError::client(
            "The gateway has cluster associations; disassociate all clusters first.",
        ));
    }
    let name = gateway.name.clone();
    let arn = gateway.arn.clone();
    model.gateway.gateways.remove(&name);
    Ok(json!({"gatewayArn": arn, "name": name, "status": "DELETED"}))
}

#[cfg(test)]
#[path = "ops_gateway_tests.rs"]
mod tests;
