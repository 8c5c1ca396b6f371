//! Service deployment operations: ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment and
//! ContinueServiceDeployment (docs/ecs-behaviour.md, entries 6, 72 and 145-147). The double keeps service deployments for BLUE_GREEN, LINEAR and
//! CANARY services only.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::paginate::{self, Entry};
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::state::{Model, short_name};
use crate::strategies;

/// ListServiceDeployments answers at most this many when `maxResults` is left out (and at most 100).
const DEFAULT_RESULTS: usize = 20;
/// DescribeServiceDeployments takes at most this many ARNs.
const MAX_DESCRIBE: usize = 20;

fn not_found() -> ApiError {
    ApiError::new(
        "ServiceDeploymentNotFoundException",
        "The service deployment does not exist.",
    )
}

/// (cluster, service) and index of the service deployment `arn`.
fn find(model: &Model, arn: &str) -> Option<((String, String), usize)> {
    model.services.iter().find_map(|(key, service)| {
        let i = service
            .service_deployments
            .iter()
            .position(|d| d.arn == arn)?;
        Some((key.clone(), i))
    })
}

/// ListServiceDeployments: the service's deployments filtered by `status`, oldest first, in pages of `maxResults`
/// (default 20) with a `nextToken`. ECS does not document the order: the double lists oldest first, so that a
/// reader of the first page only misses the newest. A service deployment shows only `list_lag` seconds after it
/// started (eventual consistency).
pub fn list(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let cluster = model.active_cluster(req.str("cluster")?)?.name.clone();
    let name = short_name(req.required_str("service")?).to_owned();
    let statuses = req.strings("status")?.unwrap_or_default();
    let service = model
        .services
        .get(&(cluster, name))
        .ok_or_else(|| ApiError::new("ServiceNotFoundException", "Service not found."))?;
    let briefs: BTreeMap<String, Value> = service
        .service_deployments
        .iter()
        .filter(|d| d.created_at() + ctx.list_lag <= ctx.now)
        .map(|d| d.brief(service, ctx.now))
        .filter(|b| statuses.is_empty() || statuses.iter().any(|s| b["status"] == *s))
        .filter_map(|b| Some((b["serviceDeploymentArn"].as_str()?.to_owned(), b)))
        .collect();
    let entries = briefs
        .iter()
        .map(|(arn, b)| Entry {
            key: format!(
                "{:020.6}/{arn}",
                b["createdAt"].as_f64().unwrap_or_default()
            ),
            arn: arn.clone(),
        })
        .collect();
    let mut page = paginate::page(
        req,
        entries,
        false,
        DEFAULT_RESULTS,
        "serviceDeploymentArns",
    )?;
    let listed: Vec<Value> = page["serviceDeploymentArns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|arn| briefs.get(arn.as_str()?).cloned())
        .collect();
    if let Some(map) = page.as_object_mut() {
        map.remove("serviceDeploymentArns");
        map.insert("serviceDeployments".into(), Value::Array(listed));
    }
    Ok(page)
}

/// DescribeServiceDeployments: up to 20 ARNs; unknown ones are failures with reason MISSING.
pub fn describe(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let arns = req.strings("serviceDeploymentArns")?.unwrap_or_default();
    if arns.is_empty() || arns.len() > MAX_DESCRIBE {
        return Err(ApiError::invalid(format!(
            "serviceDeploymentArns must hold 1 to {MAX_DESCRIBE} ARNs."
        )));
    }
    let (mut found, mut failures) = (Vec::new(), Vec::new());
    for arn in &arns {
        match find(model, arn) {
            Some((key, i)) => {
                let service = &model.services[&key];
                found.push(service.service_deployments[i].describe(service, ctx.now));
            }
            None => failures.push(json!({"arn": arn, "reason": "MISSING"})),
        }
    }
    Ok(json!({"serviceDeployments": found, "failures": failures}))
}

/// StopServiceDeployment: only ROLLBACK, only while the deployment is ongoing.
pub fn stop(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let arn = req.required_str("serviceDeploymentArn")?.to_owned();
    if req.str("stopType")?.is_some_and(|t| t != "ROLLBACK") {
        return Err(ApiError::invalid(
            "The valid values for stopType are ROLLBACK.",
        ));
    }
    let (key, i) = find(model, &arn).ok_or_else(not_found)?;
    let service = model.services.get_mut(&key).ok_or_else(not_found)?;
    if !service.service_deployments[i].stoppable(ctx.now) {
        return Err(ApiError::new(
            "ConflictException",
            "The service deployment is not in a state that can be stopped.",
        ));
    }
    strategies::stop(service, i, ctx.now, &mut model.ids);
    Ok(json!({"serviceDeploymentArn": arn}))
}

/// ContinueServiceDeployment: CONTINUE (the default) or ROLLBACK for a pause hook AWAITING_ACTION.
pub fn continue_paused(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let arn = req.required_str("serviceDeploymentArn")?.to_owned();
    let hook = req.required_str("hookId")?.to_owned();
    let action = req.str("action")?.unwrap_or("CONTINUE").to_owned();
    if !matches!(action.as_str(), "CONTINUE" | "ROLLBACK") {
        return Err(ApiError::invalid(
            "The valid values for action are ROLLBACK and CONTINUE.",
        ));
    }
    let (key, i) = find(model, &arn).ok_or_else(not_found)?;
    let service = model.services.get_mut(&key).ok_or_else(not_found)?;
    strategies::answer(service, i, &hook, &action, ctx.now, &mut model.ids)
        .map_err(ApiError::invalid)?;
    Ok(json!({"serviceDeploymentArn": arn}))
}
