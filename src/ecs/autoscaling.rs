//! Application Auto Scaling calls for the desired count of ECS services: the scalable target, its scaling
//! policies and scheduled actions, and its newest scaling activity. They pass the same door as the ECS calls
//! (rate limits of their own category, retries, metrics, error mapping).

mod shapes;
mod snapshot;

use std::collections::HashMap;

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
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            if *pages == 0 {
                return Ok(None);
            }
            *pages -= 1;
            let request = self
                .scaling
                .describe_scaling_policies()
                .service_namespace(ServiceNamespace::Ecs)
                .set_resource_id(resource_id.map(str::to_owned))
                // AWS takes a dimension only with a resource id.
                .set_scalable_dimension(resource_id.map(|_| dimension()))
                .max_results(POLICIES_PER_PAGE)
                .set_next_token(token.clone());
            let out = self
                .call("DescribeScalingPolicies", || request.clone().send())
                .await?;
            found.extend(
                out.scaling_policies()
                    .iter()
                    .filter(|p| *p.scalable_dimension() == dimension())
                    .map(|p| (p.resource_id().to_owned(), observed_policy(p))),
            );
            token = out
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                return Ok(Some(found));
            }
        }
    }

    /// Every page (50 each) of the scheduled actions of one target, or of all ECS services' targets when
    /// `resource_id` is `None`, like [`Ecs::describe_policies`].
    pub(crate) async fn describe_scheduled(
        &self,
        resource_id: Option<&str>,
        pages: &mut usize,
    ) -> Result<Option<Vec<(String, ScheduledScaling)>>, AwsError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            if *pages == 0 {
                return Ok(None);
            }
            *pages -= 1;
            let request = self
                .scaling
                .describe_scheduled_actions()
                .service_namespace(ServiceNamespace::Ecs)
                .set_resource_id(resource_id.map(str::to_owned))
                .set_scalable_dimension(resource_id.map(|_| dimension()))
                .max_results(SCHEDULED_PER_PAGE)
                .set_next_token(token.clone());
            let out = self
                .call("DescribeScheduledActions", || request.clone().send())
                .await?;
            found.extend(
                out.scheduled_actions()
                    .iter()
                    .filter(|a| a.scalable_dimension() == Some(&dimension()))
                    .map(|a| (a.resource_id().to_owned(), observed_scheduled(a))),
            );
            token = out
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                return Ok(Some(found));
            }
        }
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

    /// Registers the scalable target, or changes its suspended state and, when given, its capacity (AWS leaves
    /// what an update of an existing target leaves out unchanged).
    pub async fn register_scalable_target(
        &self,
        resource_id: &str,
        target: &TargetUpdate,
    ) -> Result<(), AwsError> {
        let suspended = SuspendedState::builder()
            .dynamic_scaling_in_suspended(target.suspended)
            .dynamic_scaling_out_suspended(target.suspended)
            .scheduled_scaling_suspended(target.suspended)
            .build();
        let request = self
            .scaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(dimension())
            .resource_id(resource_id)
            .set_min_capacity(target.min_capacity)
            .set_max_capacity(target.max_capacity)
            .suspended_state(suspended);
        self.call("RegisterScalableTarget", || request.clone().send())
            .await?;
        Ok(())
    }

    /// Deregisters the scalable target (AWS deletes its policies and scheduled actions with it).
    pub async fn deregister_scalable_target(&self, resource_id: &str) -> Result<(), AwsError> {
        let request = self
            .scaling
            .deregister_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(dimension())
            .resource_id(resource_id);
        gone_is_done(
            self.call("DeregisterScalableTarget", || request.clone().send())
                .await
                .map(drop),
        )
    }

    /// Creates or replaces a scaling policy; returns its ARN.
    pub async fn put_scaling_policy(
        &self,
        resource_id: &str,
        policy: &PolicyConfig,
    ) -> Result<String, AwsError> {
        let request = self
            .scaling
            .put_scaling_policy()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(dimension())
            .resource_id(resource_id);
        let request = match policy {
            PolicyConfig::TargetTracking(p) => request
                .policy_name(&p.name)
                .policy_type(PolicyType::TargetTrackingScaling)
                .target_tracking_scaling_policy_configuration(target_tracking(p)),
            PolicyConfig::Step(p) => request
                .policy_name(&p.name)
                .policy_type(PolicyType::StepScaling)
                .step_scaling_policy_configuration(step_scaling(p)?),
        };
        let out = self
            .call("PutScalingPolicy", || request.clone().send())
            .await?;
        Ok(out.policy_arn().to_owned())
    }

    pub async fn delete_scaling_policy(
        &self,
        resource_id: &str,
        name: &str,
    ) -> Result<(), AwsError> {
        let request = self
            .scaling
            .delete_scaling_policy()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(dimension())
            .resource_id(resource_id)
            .policy_name(name);
        gone_is_done(
            self.call("DeleteScalingPolicy", || request.clone().send())
                .await
                .map(drop),
        )
    }

    /// Creates or replaces a scheduled action named `action.name`.
    pub async fn put_scheduled_action(
        &self,
        resource_id: &str,
        action: &ScheduledScaling,
    ) -> Result<(), AwsError> {
        let capacity = ScalableTargetAction::builder()
            .set_min_capacity(action.min_capacity)
            .set_max_capacity(action.max_capacity)
            .build();
        let request = self
            .scaling
            .put_scheduled_action()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(dimension())
            .resource_id(resource_id)
            .scheduled_action_name(&action.name)
            .schedule(&action.schedule)
            .set_timezone(action.timezone.clone())
            .set_start_time(timestamp("startTime", action.start_time.as_deref())?)
            .set_end_time(timestamp("endTime", action.end_time.as_deref())?)
            .scalable_target_action(capacity);
        self.call("PutScheduledAction", || request.clone().send())
            .await?;
        Ok(())
    }

    pub async fn delete_scheduled_action(
        &self,
        resource_id: &str,
        name: &str,
    ) -> Result<(), AwsError> {
        let request = self
            .scaling
            .delete_scheduled_action()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(dimension())
            .resource_id(resource_id)
            .scheduled_action_name(name);
        gone_is_done(
            self.call("DeleteScheduledAction", || request.clone().send())
                .await
                .map(drop),
        )
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
}
