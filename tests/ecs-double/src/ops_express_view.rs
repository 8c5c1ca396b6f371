//! An Express service seen as the ECS service it is (docs/ecs-behaviour.md, entries 197 and 199): DescribeServices
//! answers for its name, and TagResource, UntagResource and ListTagsForResource take its ARN, which has the form of
//! any service ARN of its cluster.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::protocol::ApiError;
use crate::state::Model;
use crate::tags::Tags;

/// The Express service of `cluster` named `name`, in DescribeServices' shape; `None` when there is none.
pub fn as_service(
    model: &Model,
    ctx: &Ctx,
    cluster: &str,
    name: &str,
    include_tags: bool,
) -> Option<Value> {
    let arn = model.service_arn(cluster, name);
    let service = model.express.0.get(&arn)?;
    let newest = service.configurations.last();
    let tasks = newest
        .and_then(|c| c.settings.get("scalingTarget"))
        .and_then(|s| s.get("minTaskCount"))
        .cloned()
        .unwrap_or(json!(1));
    let mut out = json!({
        "serviceArn": arn,
        "serviceName": service.name,
        "clusterArn": model.cluster_arn(&service.cluster),
        "status": service.status(ctx),
        "desiredCount": tasks,
        "runningCount": tasks,
        "pendingCount": 0,
        "launchType": "FARGATE",
        "taskDefinition": newest.map(|c| c.task_definition_arn.clone()),
        "createdAt": service.created_at,
    });
    if include_tags {
        out["tags"] = service.tags.to_json();
    }
    Some(out)
}

/// The tags of the Express service of ARN `arn` that is not INACTIVE.
pub fn tags_mut<'a>(model: &'a mut Model, ctx: &Ctx, arn: &str) -> Result<&'a mut Tags, ApiError> {
    model
        .express
        .0
        .get_mut(arn)
        .filter(|s| s.status(ctx) != "INACTIVE")
        .map(|s| &mut s.tags)
        .ok_or_else(|| ApiError::new("ServiceNotFoundException", "Service not found."))
}
