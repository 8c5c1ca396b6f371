//! Application Auto Scaling calls for the desired count of ECS services: the scalable target, its scaling
//! policies and scheduled actions, and its newest scaling activity. They pass the same door as the ECS calls
//! (rate limits of their own category, retries, metrics, error mapping).

mod shapes;

use aws_sdk_applicationautoscaling::types::{
    PolicyType, ScalableDimension, ScalableTargetAction, ServiceNamespace, SuspendedState,
};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use super::{AwsError, AwsErrorKind, Ecs};
use crate::api::autoscaling::{
    ScalingActivityStatus, ScheduledScaling, StepScalingPolicy, TargetTrackingPolicy,
};
use shapes::{observed_policy, observed_scheduled, step_scaling, target_tracking};

/// The scalable target's capacity and whether scaling is suspended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetSettings {
    pub min_capacity: i32,
    pub max_capacity: i32,
    /// Dynamic scale-in, scale-out and scheduled scaling all suspended.
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
    /// Reads the scalable target of `resource_id`; policies, scheduled actions and the newest activity only when
    /// it exists.
    pub async fn describe_scaling(&self, resource_id: &str) -> Result<ObservedScaling, AwsError> {
        let client = &self.scaling;
        let targets = self
            .call("DescribeScalableTargets", || {
                client
                    .describe_scalable_targets()
                    .service_namespace(ServiceNamespace::Ecs)
                    .scalable_dimension(dimension())
                    .resource_ids(resource_id)
                    .send()
            })
            .await?;
        let Some(target) = targets.scalable_targets().first() else {
            return Ok(ObservedScaling::default());
        };
        let suspended = target.suspended_state().is_some_and(|s| {
            s.dynamic_scaling_in_suspended() == Some(true)
                && s.dynamic_scaling_out_suspended() == Some(true)
                && s.scheduled_scaling_suspended() == Some(true)
        });
        let policies = self
            .call("DescribeScalingPolicies", || {
                client
                    .describe_scaling_policies()
                    .service_namespace(ServiceNamespace::Ecs)
                    .scalable_dimension(dimension())
                    .resource_id(resource_id)
                    .send()
            })
            .await?;
        let scheduled = self
            .call("DescribeScheduledActions", || {
                client
                    .describe_scheduled_actions()
                    .service_namespace(ServiceNamespace::Ecs)
                    .scalable_dimension(dimension())
                    .resource_id(resource_id)
                    .send()
            })
            .await?;
        Ok(ObservedScaling {
            target: Some(TargetSettings {
                min_capacity: target.min_capacity(),
                max_capacity: target.max_capacity(),
                suspended,
            }),
            policies: policies
                .scaling_policies()
                .iter()
                .map(observed_policy)
                .collect(),
            scheduled: scheduled
                .scheduled_actions()
                .iter()
                .map(observed_scheduled)
                .collect(),
            last_activity: self.last_scaling_activity(resource_id).await,
        })
    }

    /// The newest scaling activity of the target: one call of one result, not repeated; status simply shows
    /// none when it fails (some emulators do not implement the call).
    async fn last_scaling_activity(&self, resource_id: &str) -> Option<ScalingActivityStatus> {
        let request = self
            .scaling
            .describe_scaling_activities()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(dimension())
            .resource_id(resource_id)
            .max_results(1);
        let out = self
            .call_once("DescribeScalingActivities", || request.clone().send())
            .await
            .inspect_err(|e| tracing::debug!(error = %e, "no scaling activity"))
            .ok()?;
        out.scaling_activities()
            .first()
            .map(|a| ScalingActivityStatus {
                start_time: rfc3339(a.start_time()),
                status_code: Some(a.status_code().as_str().to_owned()),
                description: Some(a.description().to_owned()),
            })
    }

    /// Registers the scalable target, or changes its capacity and suspended state.
    pub async fn register_scalable_target(
        &self,
        resource_id: &str,
        target: &TargetSettings,
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
            .min_capacity(target.min_capacity)
            .max_capacity(target.max_capacity)
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
