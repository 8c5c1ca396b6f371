//! The Application Auto Scaling writes of a service's scaling: register and deregister its scalable target, put
//! and delete its scaling policies and scheduled actions. A target, policy or action already gone counts as
//! deleted.

use super::*;

impl Ecs {
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
