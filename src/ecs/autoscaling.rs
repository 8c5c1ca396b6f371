//! Application Auto Scaling calls for the desired count of ECS services: the scalable target, its scaling
//! policies and scheduled actions, and its newest scaling activity. They pass the same door as the ECS calls
//! (rate limits of their own category, retries, metrics, error mapping).

mod shapes;
mod snapshot;
mod writes;

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_applicationautoscaling::types::{
    PolicyType, ScalableDimension, ScalableTargetAction, ServiceNamespace, SuspendedState,
};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use super::{AwsError, AwsErrorKind, Ecs};
use crate::api::autoscaling::{
    ScalingActivityStatus, ScheduledScaling, StepScalingPolicy, TargetTrackingPolicy,
};
use shapes::{observed_policy, observed_scheduled, step_scaling, target_settings, target_tracking};
pub use snapshot::{LastRead, ScalingState};

/// DescribeScalableTargets takes up to 50 resource ids and answers up to 50 targets a page.
const TARGETS_PER_CALL: usize = 50;
/// DescribeScalingPolicies answers at most 10 policies a page.
const POLICIES_PER_PAGE: i32 = 10;
/// DescribeScheduledActions and DescribeScalingActivities answer at most 50 a page.
const SCHEDULED_PER_PAGE: i32 = 50;
const ACTIVITIES_PER_PAGE: i32 = 50;

/// The scalable target's capacity and whether scaling is suspended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetSettings {
    pub min_capacity: i32,
    pub max_capacity: i32,
    /// Dynamic scale-in, scale-out and scheduled scaling all suspended.
    pub suspended: bool,
}

/// What RegisterScalableTarget sends: the suspended state always, min/max only when set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetUpdate {
    pub min_capacity: Option<i32>,
    pub max_capacity: Option<i32>,
    pub suspended: bool,
}

/// What a scaling policy does; `name` inside is the policy's name in AWS.
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyConfig {
    TargetTracking(TargetTrackingPolicy),
    Step(StepScalingPolicy),
}

/// A scaling policy of the target as AWS reports it; `config` is `None` for kinds the operator does not manage.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservedPolicy {
    pub name: String,
    pub arn: String,
    pub config: Option<PolicyConfig>,
}

/// The scalable target of a service with its policies, scheduled actions (named as in AWS) and last activity.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedScaling {
    pub target: Option<TargetSettings>,
    pub policies: Vec<ObservedPolicy>,
    pub scheduled: Vec<ScheduledScaling>,
    pub last_activity: Option<ScalingActivityStatus>,
}

/// The scalable target of the service `service` in `cluster` (a name or an ARN): `service/<cluster>/<service>`.
pub fn resource_id(cluster: &str, service: &str) -> String {
    let cluster = cluster.rsplit('/').next().unwrap_or(cluster);
    format!("service/{cluster}/{service}")
}

fn dimension() -> ScalableDimension {
    ScalableDimension::EcsServiceDesiredCount
}

/// Deleting what is already gone counts as done.
fn gone_is_done(result: Result<(), AwsError>) -> Result<(), AwsError> {
    match result {
        Err(e) if e.kind == AwsErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Reads pages (`page` is called with each page's token and answers its items and the next token) until the
/// last one; `None` once `pages` calls were spent before it. An empty token ends the listing too.
async fn within_pages<T, Page, Answer>(
    pages: &mut usize,
    mut page: Page,
) -> Result<Option<Vec<T>>, AwsError>
where
    Page: FnMut(Option<String>) -> Answer,
    Answer: Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut found = Vec::new();
    let mut token = None;
    loop {
        if *pages == 0 {
            return Ok(None);
        }
        *pages -= 1;
        let (items, next) = page(token).await?;
        found.extend(items);
        token = next.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(Some(found));
        }
    }
}

fn timestamp(field: &str, value: Option<&str>) -> Result<Option<DateTime>, AwsError> {
    value
        .map(|v| {
            DateTime::from_str(v, Format::DateTime)
                .map_err(|e| AwsError::conversion(format!("{field} {v}: {e}")))
        })
        .transpose()
}

fn rfc3339(value: &DateTime) -> Option<String> {
    value.fmt(Format::DateTime).ok()
}

impl Ecs {
    /// Reads the scalable target of `resource_id`; all pages of its policies and scheduled actions and its newest
    /// scaling activity only when it exists.
    pub async fn describe_scaling(&self, resource_id: &str) -> Result<ObservedScaling, AwsError> {
        let ids = [resource_id.to_owned()];
        let targets = self.describe_targets(&ids).await?;
        let Some(target) = targets.get(resource_id).cloned() else {
            return Ok(ObservedScaling::default());
        };
        let mut unlimited = usize::MAX;
        let policies = self
            .describe_policies(Some(resource_id), &mut unlimited)
            .await?
            .unwrap_or_default();
        let scheduled = self
            .describe_scheduled(Some(resource_id), &mut unlimited)
            .await?
            .unwrap_or_default();
        let activities = self.newest_activities(Some(resource_id)).await;
        Ok(ObservedScaling {
            target: Some(target),
            policies: policies.into_iter().map(|(_, p)| p).collect(),
            scheduled: scheduled.into_iter().map(|(_, s)| s).collect(),
            last_activity: activities.get(resource_id).cloned(),
        })
    }

    /// The scalable targets of `resource_ids` that exist, in DescribeScalableTargets calls of 50 ids.
    pub(crate) async fn describe_targets(
        &self,
        resource_ids: &[String],
    ) -> Result<HashMap<String, TargetSettings>, AwsError> {
        let client = &self.scaling;
        let mut found = HashMap::new();
        for chunk in resource_ids.chunks(TARGETS_PER_CALL) {
            let mut token: Option<String> = None;
            loop {
                let request = client
                    .describe_scalable_targets()
                    .service_namespace(ServiceNamespace::Ecs)
                    .scalable_dimension(dimension())
                    .set_resource_ids(Some(chunk.to_vec()))
                    .max_results(TARGETS_PER_CALL as i32)
                    .set_next_token(token.clone());
                let out = self
                    .call("DescribeScalableTargets", || request.clone().send())
                    .await?;
                for target in out.scalable_targets() {
                    found.insert(target.resource_id().to_owned(), target_settings(target));
                }
                token = out
                    .next_token()
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// Every page (10 policies each) of the ECS services' scaling policies of one target, or of all targets when
    /// `resource_id` is `None`, with the target each belongs to. `None` once `pages` calls were spent before the
    /// last page.
    pub(crate) async fn describe_policies(
        &self,
        resource_id: Option<&str>,
        pages: &mut usize,
    ) -> Result<Option<Vec<(String, ObservedPolicy)>>, AwsError> {
        within_pages(pages, |token| async move {
            let request = self
                .scaling
                .describe_scaling_policies()
                .service_namespace(ServiceNamespace::Ecs)
                .set_resource_id(resource_id.map(str::to_owned))
                // AWS takes a dimension only with a resource id.
                .set_scalable_dimension(resource_id.map(|_| dimension()))
                .max_results(POLICIES_PER_PAGE)
                .set_next_token(token);
            let out = self
                .call("DescribeScalingPolicies", || request.clone().send())
                .await?;
            let found = out
                .scaling_policies()
                .iter()
                .filter(|p| *p.scalable_dimension() == dimension())
                .map(|p| (p.resource_id().to_owned(), observed_policy(p)))
                .collect();
            Ok((found, out.next_token().map(str::to_owned)))
        })
        .await
    }

    /// Every page (50 each) of the scheduled actions of one target, or of all ECS services' targets when
    /// `resource_id` is `None`, like [`Ecs::describe_policies`].
    pub(crate) async fn describe_scheduled(
        &self,
        resource_id: Option<&str>,
        pages: &mut usize,
    ) -> Result<Option<Vec<(String, ScheduledScaling)>>, AwsError> {
        within_pages(pages, |token| async move {
            let request = self
                .scaling
                .describe_scheduled_actions()
                .service_namespace(ServiceNamespace::Ecs)
                .set_resource_id(resource_id.map(str::to_owned))
                .set_scalable_dimension(resource_id.map(|_| dimension()))
                .max_results(SCHEDULED_PER_PAGE)
                .set_next_token(token);
            let out = self
                .call("DescribeScheduledActions", || request.clone().send())
                .await?;
            let found = out
                .scheduled_actions()
                .iter()
                .filter(|a| a.scalable_dimension() == Some(&dimension()))
                .map(|a| (a.resource_id().to_owned(), observed_scheduled(a)))
                .collect();
            Ok((found, out.next_token().map(str::to_owned)))
        })
        .await
    }

    /// The newest scaling activity of each target among one page of activities (of one target, or of all ECS
    /// services' targets): one call, not repeated; none when it fails (some emulators do not implement it). AWS
    /// documents no order, so the newest is picked by start time.
    pub(crate) async fn newest_activities(
        &self,
        resource_id: Option<&str>,
    ) -> HashMap<String, ScalingActivityStatus> {
        let request = self
            .scaling
            .describe_scaling_activities()
            .service_namespace(ServiceNamespace::Ecs)
            .set_resource_id(resource_id.map(str::to_owned))
            .set_scalable_dimension(resource_id.map(|_| dimension()))
            .max_results(ACTIVITIES_PER_PAGE);
        let Ok(out) = self
            .call_once("DescribeScalingActivities", || request.clone().send())
            .await
            .inspect_err(|e| tracing::debug!(error = %e, "no scaling activity"))
        else {
            return HashMap::new();
        };
        let mut newest: HashMap<String, (DateTime, ScalingActivityStatus)> = HashMap::new();
        for a in out.scaling_activities() {
            let started = *a.start_time();
            let known = newest.get(a.resource_id());
            if known.is_some_and(|(t, _)| t.as_secs_f64() >= started.as_secs_f64()) {
                continue;
            }
            let status = ScalingActivityStatus {
                start_time: rfc3339(&started),
                status_code: Some(a.status_code().as_str().to_owned()),
                description: Some(a.description().to_owned()),
            };
            newest.insert(a.resource_id().to_owned(), (started, status));
        }
        newest.into_iter().map(|(id, (_, s))| (id, s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_scalable_target_by_cluster_name() {
        assert_eq!(
            resource_id("arn:aws:ecs:us-east-1:123:cluster/main", "web"),
            "service/main/web"
        );
        assert_eq!(resource_id("main", "web"), "service/main/web");
    }

    /// Pages are read until one comes without a next token (an empty one counts as none); a listing longer than
    /// the budget of calls gives `None`, having spent exactly the budget.
    #[tokio::test]
    async fn reads_pages_within_the_budget_of_calls() {
        let listing = |last: usize| {
            move |token: Option<String>| async move {
                let at: usize = token.map_or(0, |t| t.parse().unwrap());
                let next = if at + 1 < last {
                    Some((at + 1).to_string())
                } else {
                    Some(String::new())
                };
                Ok((vec![at], next))
            }
        };
        let mut budget = 5;
        assert_eq!(
            within_pages(&mut budget, listing(3)).await,
            Ok(Some(vec![0, 1, 2]))
        );
        assert_eq!(budget, 2);
        let mut budget = 2;
        assert_eq!(within_pages(&mut budget, listing(3)).await, Ok(None));
        assert_eq!(budget, 0);
    }
}
