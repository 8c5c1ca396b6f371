//! Named regression tests: the shortest walks that found a defect, replayed step by step.

use serde_json::json;

use crate::failure;
use crate::plan::{DeleteOrder, Step};
use crate::stack::Obj;

fn spec(field: &str, value: Option<serde_json::Value>) -> Step {
    Step::Spec {
        field: field.into(),
        value,
        kill_after_ms: None,
    }
}

async fn holds(steps: Vec<Step>) {
    let (_, failures) = failure::run(&steps, None).await;
    if let Some(f) = failures.first() {
        panic!("{} broke an invariant: {}", f.place(), f.broken.message);
    }
}

const HOOKS: &str = "EcsService.deploymentConfiguration.lifecycleHooks";

/// `lifecycleHooks: []` removes the hooks ECS has (issue 22, item 6).
#[tokio::test]
async fn walk_an_empty_list_of_lifecycle_hooks_removes_them_from_ecs() {
    let hook = json!([{"hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:walk-hook",
        "roleArn": "arn:aws:iam::123456789012:role/hooks", "lifecycleStages": ["POST_SCALE_UP"]}]);
    holds(vec![spec(HOOKS, Some(hook)), spec(HOOKS, Some(json!([])))]).await;
}

/// Removing `autoScaling` leaves someone else's policy and the target it needs (issue 22, items 2-3).
#[tokio::test]
async fn walk_removing_auto_scaling_keeps_someone_elses_policy() {
    let scaling = json!({"minCapacity": 1, "maxCapacity": 3, "targetTracking": [{"name": "cpu",
        "predefinedMetric": "ECSServiceAverageCPUUtilization", "targetValue": 50}]});
    holds(vec![
        spec("EcsService.autoScaling", Some(scaling)),
        Step::ForeignPolicy,
        spec("EcsService.autoScaling", None),
    ])
    .await;
}

/// A reference that leaves `capacityProviderRefs` takes its provider off the cluster, the last one too, whether the
/// list becomes `[]` or goes (issue 22, item 12: the last reference removed left its provider on the cluster).
#[tokio::test]
async fn walk_a_capacity_provider_ref_that_goes_leaves_the_cluster() {
    let refs = "EcsCluster.capacityProviderRefs";
    holds(vec![
        spec(refs, Some(json!([{"name": "cpa"}, {"name": "cpb"}]))),
        spec(refs, Some(json!([{"name": "cpb"}]))),
        spec(refs, Some(json!([]))),
        spec(refs, Some(json!([{"name": "cpa"}]))),
        spec(refs, None),
    ])
    .await;
}

/// Deleting a cluster someone else associated a capacity provider with finishes: the provider leaves the cluster
/// that is going and stays ACTIVE (walk seed 0 found the cluster stuck in deletion).
#[tokio::test]
async fn walk_deleting_a_cluster_with_someone_elses_provider_finishes_and_keeps_the_provider() {
    holds(vec![
        Step::ForeignProvider,
        Step::Delete {
            order: DeleteOrder::File,
        },
    ])
    .await;
}

/// A task definition tag changed in ECS is put back by the drift check (walk seed 3 found it left changed).
#[tokio::test]
async fn walk_a_task_definition_tag_changed_in_ecs_is_put_back() {
    let tags = "TaskDefinition.tags";
    holds(vec![
        spec(tags, Some(json!({"team": "web"}))),
        Step::ForeignTag { obj: Obj::TaskDef },
        Step::OutOfBand {
            field: tags.into(),
            value: json!({"team": "web"}),
        },
    ])
    .await;
}

/// Walk seed 83171: someone else tags the task definition's revision, then `tags` goes from the spec: only the keys
/// the operator applied go, the other owner's tag stays (`../shared/API.md`, ownership tags).
#[tokio::test]
async fn walk_removing_task_definition_tags_keeps_someone_elses_tag() {
    let tags = "TaskDefinition.tags";
    holds(vec![
        spec(tags, Some(json!({"team": "web"}))),
        Step::ForeignTag { obj: Obj::TaskDef },
        spec(tags, None),
    ])
    .await;
}

/// Walk seed 83170: `maximumPercent` left out of the spec keeps ECS's value (`../shared/API.md`) when another member
/// of `deploymentConfiguration` changes later (it went back to 200: the block was sent without it).
#[tokio::test]
async fn walk_a_left_out_maximum_percent_stays_when_a_lifecycle_hook_changes() {
    let max = "EcsService.deploymentConfiguration.maximumPercent";
    let hook = json!([{"hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:walk-hook",
        "roleArn": "arn:aws:iam::123456789012:role/hooks", "lifecycleStages": ["POST_SCALE_UP"]}]);
    holds(vec![
        spec(max, Some(json!(150))),
        spec(max, None),
        spec(HOOKS, Some(hook)),
    ])
    .await;
}
