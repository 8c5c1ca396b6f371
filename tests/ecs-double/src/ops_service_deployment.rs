//! Service deployment operations: ListServiceDeployments, DescribeServiceDeployments and StopServiceDeployment
//! (docs/ecs-behaviour.md, entries 6 and 72). The double keeps service deployments for BLUE_GREEN, LINEAR and
//! CANARY services only.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::state::{Model, short_name};
use crate::strategies;

/// ListServiceDeployments answers at most this many when `maxResults` is left out, and at most 100.
const DEFAULT_RESULTS: usize = 20;
const MAX_RESULTS: usize = 100;
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

/// ListServiceDeployments: the service's deployments, newest first, filtered by `status`.
pub fn list(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let cluster = model.active_cluster(req.str("cluster")?)?.name.clone();
    let name = short_name(req.required_str("service")?).to_owned();
    let max = match req.i32("maxResults")? {
        None => DEFAULT_RESULTS,
        Some(n) if (1..=MAX_RESULTS as i32).contains(&n) => n as usize,
        Some(_) => return Err(ApiError::invalid("maxResults must be between 1 and 100.")),
    };
    let statuses = req.strings("status")?.unwrap_or_default();
    let service = model
        .services
        .get(&(cluster, name))
        .ok_or_else(|| ApiError::new("ServiceNotFoundException", "Service not found."))?;
    let briefs: Vec<Value> = service
        .service_deployments
        .iter()
        .rev()
        .map(|d| d.brief(service, ctx.now))
        .filter(|b| statuses.is_empty() || statuses.iter().any(|s| b["status"] == *s))
        .take(max)
        .collect();
    Ok(json!({"serviceDeployments": briefs}))
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
