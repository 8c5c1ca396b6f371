//! Tag operations on cluster, service (Express services included), task definition and capacity provider ARNs: TagResource, UntagResource and
//! ListTagsForResource.

use serde_json::json;

use crate::dispatch::Ctx;
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::rollout::ServiceStatus;
use crate::state::{Model, parse_task_definition};
use crate::tags::Tags;

/// The tags of the resource an ECS ARN names.
fn tags_of<'a>(model: &'a mut Model, ctx: &Ctx, arn: &str) -> Result<&'a mut Tags, ApiError> {
    let invalid = || ApiError::invalid(format!("The ARN is not valid: {arn}"));
    // arn:aws:ecs:REGION:ACCOUNT:RESOURCE
    let resource = arn
        .strip_prefix("arn:")
        .and_then(|rest| rest.splitn(5, ':').nth(4))
        .ok_or_else(invalid)?;
    let (kind, name) = resource.split_once('/').ok_or_else(invalid)?;
    match kind {
        "cluster" => model
            .clusters
            .get_mut(name)
            .filter(|c| c.active)
            .map(|c| &mut c.tags)
            .ok_or_else(ApiError::cluster_not_found),
        "service" => {
            let (cluster, service) = name.split_once('/').ok_or_else(invalid)?;
            let key = (cluster.to_owned(), service.to_owned());
            if !model.services.contains_key(&key) {
                return crate::ops_express_view::tags_mut(model, ctx, arn);
            }
            model
                .services
                .get_mut(&key)
                .filter(|s| s.run.status() != ServiceStatus::Inactive)
                .map(|s| &mut s.tags)
                .ok_or_else(|| ApiError::new("ServiceNotFoundException", "Service not found."))
        }
        "task-definition" => {
            let (family, revision) = parse_task_definition(name)?;
            revision
                .and_then(|n| model.revision_mut(family, n))
                .map(|r| &mut r.tags)
                .ok_or_else(|| ApiError::client("The specified task definition does not exist."))
        }
        "capacity-provider" => model
            .capacity_providers
            .0
            .get_mut(name)
            .filter(|p| p.active)
            .map(|p| &mut p.tags)
            .ok_or_else(|| ApiError::client("The specified capacity provider does not exist.")),
        "daemon" => model
            .daemons
            .0
            .get_mut(arn)
            .map(|d| &mut d.tags)
            .ok_or_else(|| ApiError::new("DaemonNotFoundException", "Daemon not found.")),
        "daemon-task-definition" => model.daemon_task_definitions.tags_mut(arn).ok_or_else(|| {
            ApiError::client("The specified daemon task definition does not exist.")
        }),
        _ => Err(invalid()),
    }
}

/// TagResource: adds or overwrites tags (all or none).
pub fn tag(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let tags = tags_of(model, ctx, req.required_str("resourceArn")?)?;
    let mut next = tags.clone();
    next.merge(req, "tags")?;
    *tags = next;
    Ok(json!({}))
}

/// UntagResource: removes tags by key.
pub fn untag(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let keys = req.strings("tagKeys")?.unwrap_or_default();
    tags_of(model, ctx, req.required_str("resourceArn")?)?.remove(&keys);
    Ok(json!({}))
}

/// ListTagsForResource.
pub fn list(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let tags = tags_of(model, ctx, req.required_str("resourceArn")?)?;
    Ok(json!({"tags": tags.to_json()}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn call(op: crate::dispatch::Op, model: &mut Model, body: Value) -> OpResult {
        crate::dispatch::call_at(op, model, body, 0.0)
    }

    #[test]
    fn tags_clusters_and_task_definitions_by_arn() {
        let mut model = Model::new("us-east-1", 1);
        call(
            crate::ops_cluster::create,
            &mut model,
            json!({"clusterName": "main"}),
        )
        .unwrap();
        let td = json!({"family": "web", "containerDefinitions": [{"name": "app"}]});
        call(crate::ops_task_definition::register, &mut model, td).unwrap();
        for arn in [
            model.cluster_arn("main"),
            model.task_definition_arn("web", 1),
        ] {
            call(tag, &mut model, json!({"resourceArn": arn, "tags": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]})).unwrap();
            call(
                untag,
                &mut model,
                json!({"resourceArn": arn, "tagKeys": ["a"]}),
            )
            .unwrap();
            let out = call(list, &mut model, json!({"resourceArn": arn})).unwrap();
            assert_eq!(out["tags"], json!([{"key": "b", "value": "2"}]));
        }
        let missing = model.service_arn("main", "nope");
        assert_eq!(
            call(list, &mut model, json!({"resourceArn": missing}))
                .unwrap_err()
                .code,
            "ServiceNotFoundException"
        );
        assert_eq!(
            call(list, &mut model, json!({"resourceArn": "nope"}))
                .unwrap_err()
                .code,
            "InvalidParameterException"
        );
    }
}
