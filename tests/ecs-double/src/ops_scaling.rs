//! Application Auto Scaling for ECS services' desired count (catalogue entries 72 and 72a-72d): scalable targets,
//! scaling policies and scheduled actions of the `ecs` namespace, with AWS's page sizes (10 policies, 50 targets,
//! 50 scheduled actions a page) and DeregisterScalableTarget deleting everything on the target. It does not scale:
//! no alarms fire, no scheduled action runs (a test imitates one by registering the target's min/max anew), and
//! DescribeScalingActivities answers none.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::dispatch::Ctx;
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::state::{ACCOUNT, Model};

/// The only dimension of ECS services.
const DIMENSION: &str = "ecs:service:DesiredCount";

/// A scalable target and what is on it.
pub struct Target {
    pub min: i32,
    pub max: i32,
    pub suspended: Value,
    pub created_at: f64,
    /// By name.
    pub policies: BTreeMap<String, Value>,
    pub scheduled: BTreeMap<String, Value>,
}

/// The registered targets of the `ecs` namespace, by resource id (`service/<cluster>/<service>`).
#[derive(Default)]
pub struct Scaling {
    pub targets: BTreeMap<String, Target>,
}

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::new("ValidationException", message)
}

fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new("ObjectNotFoundException", message)
}

/// The ECS namespace and, when given, the ECS service dimension; other namespaces are not served.
fn check_namespace(req: &Request) -> Result<(), ApiError> {
    match req.str("ServiceNamespace")? {
        Some("ecs") => {}
        Some(other) => {
            return Err(validation(format!(
                "The ECS double serves the ecs namespace only, not {other}."
            )));
        }
        None => return Err(validation("ServiceNamespace is required.")),
    }
    match req.str("ScalableDimension")? {
        None | Some(DIMENSION) => Ok(()),
        Some(other) => Err(validation(format!(
            "Unsupported scalable dimension {other}"
        ))),
    }
}

/// `MaxResults` within 1..=`most`, `most` when absent.
fn page_size(req: &Request, most: usize) -> Result<usize, ApiError> {
    match req.int("MaxResults")? {
        None => Ok(most),
        Some(n) if n >= 1 && n as usize <= most => Ok(n as usize),
        Some(_) => Err(validation(format!(
            "MaxResults must be between 1 and {most}."
        ))),
    }
}

/// One page of `items` (sorted by their key) after `NextToken` (the key of the last item of the previous page).
fn page(req: &Request, items: Vec<(String, Value)>, most: usize, member: &str) -> OpResult {
    let size = page_size(req, most)?;
    let start = match req.str("NextToken")? {
        None => 0,
        Some(token) => {
            let last = decode(token)
                .ok_or_else(|| ApiError::new("InvalidNextTokenException", "Invalid NextToken."))?;
            items
                .iter()
                .position(|(key, _)| *key > last)
                .unwrap_or(items.len())
        }
    };
    let end = (start + size).min(items.len());
    let mut out = Map::new();
    let shown: Vec<Value> = items[start..end].iter().map(|(_, v)| v.clone()).collect();
    out.insert(member.to_owned(), Value::Array(shown));
    if end < items.len() {
        out.insert("NextToken".into(), json!(encode(&items[end - 1].0)));
    }
    Ok(Value::Object(out))
}

fn encode(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode(token: &str) -> Option<String> {
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

fn arn(model: &Model, kind: &str, rest: &str) -> String {
    format!(
        "arn:aws:autoscaling:{}:{ACCOUNT}:{kind}:{rest}",
        model.region
    )
}

/// The ECS service a resource id names must exist.
fn check_service(model: &Model, resource: &str) -> Result<(), ApiError> {
    let exists = resource
        .strip_prefix("service/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(cluster, service)| model.live_services(cluster).any(|s| s.name == service));
    match exists {
        true => Ok(()),
        false => Err(validation(format!("ECS service doesn't exist: {resource}"))),
    }
}

fn target_json(model: &Model, resource: &str, t: &Target) -> Value {
    json!({
        "ServiceNamespace": "ecs", "ResourceId": resource, "ScalableDimension": DIMENSION,
        "MinCapacity": t.min, "MaxCapacity": t.max, "SuspendedState": t.suspended, "CreationTime": t.created_at,
        "RoleARN": format!("arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService"),
        "ScalableTargetARN": arn(model, "scalable-target", &encode(resource)),
    })
}

pub fn register(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    check_namespace(req)?;
    let resource = req.required_str("ResourceId")?.to_owned();
    check_service(model, &resource)?;
    let (min, max) = (req.i32("MinCapacity")?, req.i32("MaxCapacity")?);
    let suspended = req.value("SuspendedState").cloned();
    let target = match model.scaling.targets.get(&resource) {
        Some(existing) => Target {
            min: min.unwrap_or(existing.min),
            max: max.unwrap_or(existing.max),
            suspended: suspended.unwrap_or_else(|| existing.suspended.clone()),
            created_at: existing.created_at,
            policies: existing.policies.clone(),
            scheduled: existing.scheduled.clone(),
        },
        None => Target {
            min: min.ok_or_else(|| {
                validation("MinCapacity is required when registering a new scalable target.")
            })?,
            max: max.ok_or_else(|| {
                validation("MaxCapacity is required when registering a new scalable target.")
            })?,
            suspended: suspended.unwrap_or_else(|| json!({})),
            created_at: ctx.now,
            policies: BTreeMap::new(),
            scheduled: BTreeMap::new(),
        },
    };
    if target.min < 0 || target.min > target.max {
        return Err(validation(
            "Minimum capacity cannot be greater than maximum capacity",
        ));
    }
    model.scaling.targets.insert(resource.clone(), target);
    Ok(json!({"ScalableTargetARN": arn(model, "scalable-target", &encode(&resource))}))
}

pub fn describe_targets(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    check_namespace(req)?;
    let ids = req.strings("ResourceIds")?;
    let items = model
        .scaling
        .targets
        .iter()
        .filter(|(id, _)| ids.as_ref().is_none_or(|ids| ids.contains(id)))
        .map(|(id, t)| (id.clone(), target_json(model, id, t)))
        .collect();
    page(req, items, 50, "ScalableTargets")
}

pub fn deregister(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    check_namespace(req)?;
    let resource = req.required_str("ResourceId")?;
    // "Deregistering a scalable target deletes the scaling policies and the scheduled actions that are associated
    // with it" (catalogue entry 72): they go with the target.
    match model.scaling.targets.remove(resource) {
        Some(_) => Ok(json!({})),
        None => Err(not_found(format!(
            "No scalable target registered for service namespace: ecs, resource ID: {resource}, scalable dimension: {DIMENSION}"
        ))),
    }
}

fn target_mut<'a>(model: &'a mut Model, req: &Request) -> Result<&'a mut Target, ApiError> {
    check_namespace(req)?;
    let resource = req.required_str("ResourceId")?;
    model.scaling.targets.get_mut(resource).ok_or_else(|| {
        not_found(format!(
            "No scalable target registered for service namespace: ecs, resource ID: {resource}, scalable dimension: {DIMENSION}"
        ))
    })
}

pub fn put_policy(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let name = req.required_str("PolicyName")?.to_owned();
    let resource = req.required_str("ResourceId")?.to_owned();
    let kind = req.str("PolicyType")?.unwrap_or("StepScaling").to_owned();
    let policy_arn = arn(
        model,
        "scalingPolicy",
        &format!(
            "{}:resource/ecs/{resource}:policyName/{name}",
            encode(&name)
        ),
    );
    let config = match kind.as_str() {
        "TargetTrackingScaling" => "TargetTrackingScalingPolicyConfiguration",
        "StepScaling" => "StepScalingPolicyConfiguration",
        other => return Err(validation(format!("Unsupported policy type {other}"))),
    };
    let body = req
        .value(config)
        .cloned()
        .ok_or_else(|| validation(format!("{config} is required for {kind}.")))?;
    let target = target_mut(model, req)?;
    let created_at = target
        .policies
        .get(&name)
        .and_then(|p| p["CreationTime"].as_f64())
        .unwrap_or(ctx.now);
    let policy = json!({
        "PolicyARN": policy_arn, "PolicyName": name, "ServiceNamespace": "ecs", "ResourceId": resource,
        "ScalableDimension": DIMENSION, "PolicyType": kind, config: body, "Alarms": [], "CreationTime": created_at,
    });
    target.policies.insert(name, policy);
    Ok(json!({"PolicyARN": policy_arn, "Alarms": []}))
}

pub fn describe_policies(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    check_namespace(req)?;
    let resource = req.str("ResourceId")?;
    let names = req.strings("PolicyNames")?;
    let items = model
        .scaling
        .targets
        .iter()
        .filter(|(id, _)| resource.is_none_or(|r| r == id.as_str()))
        .flat_map(|(id, t)| {
            t.policies
                .iter()
                .map(move |(name, p)| (format!("{id}\u{0}{name}"), name, p))
        })
        .filter(|(_, name, _)| names.as_ref().is_none_or(|n| n.contains(name)))
        .map(|(key, _, p)| (key, p.clone()))
        .collect();
    // "This value can be between 1 and 10. The default value is 10." (catalogue entry 72b)
    page(req, items, 10, "ScalingPolicies")
}

pub fn delete_policy(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let name = req.required_str("PolicyName")?;
    let target = target_mut(model, req)?;
    match target.policies.remove(name) {
        Some(_) => Ok(json!({})),
        None => Err(not_found(format!("No scaling policy found for {name}"))),
    }
}

pub fn put_scheduled(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let name = req.required_str("ScheduledActionName")?.to_owned();
    let resource = req.required_str("ResourceId")?.to_owned();
    let action_arn = arn(
        model,
        "scheduledAction",
        &format!(
            "{}:resource/ecs/{resource}:scheduledActionName/{name}",
            encode(&name)
        ),
    );
    let target = target_mut(model, req)?;
    let mut action = target.scheduled.get(&name).cloned().unwrap_or_else(|| {
        json!({
            "ScheduledActionName": name, "ScheduledActionARN": action_arn, "ServiceNamespace": "ecs",
            "ResourceId": resource, "ScalableDimension": DIMENSION, "CreationTime": ctx.now,
        })
    });
    for member in [
        "Schedule",
        "Timezone",
        "StartTime",
        "EndTime",
        "ScalableTargetAction",
    ] {
        if let Some(value) = req.value(member) {
            action[member] = value.clone();
        }
    }
    if action.get("Schedule").is_none() {
        return Err(validation(
            "Schedule is required for a new scheduled action.",
        ));
    }
    target.scheduled.insert(name, action);
    Ok(json!({}))
}

pub fn describe_scheduled(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    check_namespace(req)?;
    let resource = req.str("ResourceId")?;
    let names = req.strings("ScheduledActionNames")?;
    let items = model
        .scaling
        .targets
        .iter()
        .filter(|(id, _)| resource.is_none_or(|r| r == id.as_str()))
        .flat_map(|(id, t)| {
            t.scheduled
                .iter()
                .map(move |(name, a)| (format!("{id}\u{0}{name}"), name, a))
        })
        .filter(|(_, name, _)| names.as_ref().is_none_or(|n| n.contains(name)))
        .map(|(key, _, a)| (key, a.clone()))
        .collect();
    page(req, items, 50, "ScheduledActions")
}

pub fn delete_scheduled(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let name = req.required_str("ScheduledActionName")?;
    let target = target_mut(model, req)?;
    match target.scheduled.remove(name) {
        Some(_) => Ok(json!({})),
        None => Err(not_found(format!("No scheduled action found for {name}"))),
    }
}

pub fn describe_activities(_model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    check_namespace(req)?;
    page_size(req, 50)?;
    Ok(json!({"ScalingActivities": []}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::call_at;

    fn model_with_service() -> Model {
        let mut model = Model::new("us-east-1", 1);
        call_at(
            crate::ops_cluster::create,
            &mut model,
            json!({"clusterName": "main"}),
            0.0,
        )
        .unwrap();
        call_at(
            crate::ops_task_definition::register,
            &mut model,
            json!({"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 64}]}),
            0.0,
        )
        .unwrap();
        call_at(
            crate::ops_service::create,
            &mut model,
            json!({"cluster": "main", "serviceName": "web", "taskDefinition": "web", "desiredCount": 1}),
            0.0,
        )
        .unwrap();
        model
    }

    const WEB: &str = "service/main/web";

    fn register_web(model: &mut Model, body: Value) -> OpResult {
        let mut body = body;
        body["ServiceNamespace"] = json!("ecs");
        body["ScalableDimension"] = json!(DIMENSION);
        body["ResourceId"] = json!(WEB);
        call_at(register, model, body, 1.0)
    }

    #[test]
    fn a_target_needs_its_service_and_keeps_what_an_update_leaves_out() {
        let mut model = model_with_service();
        let other = call_at(
            register,
            &mut model,
            json!({"ServiceNamespace": "ecs", "ResourceId": "service/main/none", "MinCapacity": 1, "MaxCapacity": 2}),
            1.0,
        );
        assert_eq!(other.unwrap_err().code, "ValidationException");
        assert!(register_web(&mut model, json!({"MinCapacity": 1})).is_err());
        register_web(&mut model, json!({"MinCapacity": 1, "MaxCapacity": 4})).unwrap();
        register_web(&mut model, json!({"MaxCapacity": 6})).unwrap();
        let target = &model.scaling.targets[WEB];
        assert_eq!((target.min, target.max), (1, 6));
    }

    #[test]
    fn policies_come_ten_a_page_and_go_with_the_target() {
        let mut model = model_with_service();
        register_web(&mut model, json!({"MinCapacity": 1, "MaxCapacity": 4})).unwrap();
        for i in 0..12 {
            call_at(
                put_policy,
                &mut model,
                json!({"ServiceNamespace": "ecs", "ScalableDimension": DIMENSION, "ResourceId": WEB,
                       "PolicyName": format!("p{i:02}"), "PolicyType": "TargetTrackingScaling",
                       "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 50.0}}),
                1.0,
            )
            .unwrap();
        }
        let first = call_at(
            describe_policies,
            &mut model,
            json!({"ServiceNamespace": "ecs", "ResourceId": WEB}),
            2.0,
        )
        .unwrap();
        assert_eq!(first["ScalingPolicies"].as_array().unwrap().len(), 10);
        let token = first["NextToken"].as_str().unwrap().to_owned();
        let second = call_at(
            describe_policies,
            &mut model,
            json!({"ServiceNamespace": "ecs", "ResourceId": WEB, "NextToken": token}),
            2.0,
        )
        .unwrap();
        assert_eq!(second["ScalingPolicies"].as_array().unwrap().len(), 2);
        assert!(second.get("NextToken").is_none());
        let too_many = call_at(
            describe_policies,
            &mut model,
            json!({"ServiceNamespace": "ecs", "MaxResults": 11}),
            2.0,
        );
        assert_eq!(too_many.unwrap_err().code, "ValidationException");
        call_at(
            deregister,
            &mut model,
            json!({"ServiceNamespace": "ecs", "ScalableDimension": DIMENSION, "ResourceId": WEB}),
            3.0,
        )
        .unwrap();
        let after = call_at(
            describe_policies,
            &mut model,
            json!({"ServiceNamespace": "ecs"}),
            3.0,
        )
        .unwrap();
        assert_eq!(after["ScalingPolicies"], json!([]));
        let again = call_at(
            deregister,
            &mut model,
            json!({"ServiceNamespace": "ecs", "ResourceId": WEB}),
            3.0,
        );
        assert_eq!(again.unwrap_err().code, "ObjectNotFoundException");
    }
}
