//! Checks of the BLUE_GREEN, LINEAR and CANARY settings of an `EcsService` spec, before any AWS call; pure
//! (docs/ecs-behaviour.md, entries 73-75). Only what AWS documents is refused: `bakeTimeInMinutes` has no
//! documented bounds, so ECS judges it. That these strategies need the ECS deployment controller is checked
//! with the rest of `deploymentConfiguration` in [`super::validate`].

use crate::api::service::{
    DeploymentConfiguration, DeploymentLifecycleHookStage, DeploymentLifecycleHookTargetType,
    DeploymentStrategy, EcsServiceSpec,
};

const FIELD: &str = "spec.deploymentConfiguration";
/// Step and canary bake times run from 0 to 1440 minutes (24 hours) (API_LinearConfiguration,
/// API_CanaryConfiguration).
const MAX_BAKE_MINUTES: i32 = 1440;
/// A lifecycle hook's time-out: 1 to 20160 minutes (API_DeploymentLifecycleHookTimeoutConfiguration).
const HOOK_TIMEOUT_MINUTES: std::ops::RangeInclusive<i32> = 1..=20160;
/// Stages a PAUSE hook cannot hold: the pause hook page lists every other stage as valid for it.
const NO_PAUSE_STAGES: [DeploymentLifecycleHookStage; 2] = [
    DeploymentLifecycleHookStage::TestTrafficShift,
    DeploymentLifecycleHookStage::ProductionTrafficShift,
];

/// Whether `value` is a multiple of 0.1 within `min..=max`.
fn tenth_within(value: f64, min: f64, max: f64) -> bool {
    let tenths = value * 10.0;
    (min..=max).contains(&value) && (tenths - tenths.round()).abs() < 1e-6
}

fn check_bake(field: &str, minutes: Option<i32>) -> Result<(), String> {
    match minutes {
        Some(m) if !(0..=MAX_BAKE_MINUTES).contains(&m) => Err(format!(
            "{FIELD}.{field}: {m} is outside 0-{MAX_BAKE_MINUTES} minutes"
        )),
        _ => Ok(()),
    }
}

/// Validates the strategy, its traffic steps, bake times, lifecycle hooks and the load balancers it needs.
pub fn check(spec: &EcsServiceSpec) -> Result<(), String> {
    let Some(config) = &spec.deployment_configuration else {
        return Ok(());
    };
    let strategy = config.strategy.unwrap_or(DeploymentStrategy::Rolling);
    if strategy == DeploymentStrategy::BlueGreen && config.bake_time_in_minutes.is_none() {
        return Err(format!(
            "{FIELD}.bakeTimeInMinutes is required with the BLUE_GREEN strategy: the minutes both revisions run \
             after production traffic has shifted"
        ));
    }
    check_steps(config, strategy)?;
    check_hooks(config)?;
    if strategy == DeploymentStrategy::Rolling {
        return Ok(());
    }
    for (i, lb) in spec.load_balancer_list().iter().enumerate() {
        if lb.target_group_arn.is_none() {
            continue;
        }
        let advanced = lb.advanced_configuration.as_ref();
        let missing = [
            (
                "alternateTargetGroupArn",
                advanced.and_then(|a| a.alternate_target_group_arn.as_ref()),
            ),
            (
                "productionListenerRule",
                advanced.and_then(|a| a.production_listener_rule.as_ref()),
            ),
            ("roleArn", advanced.and_then(|a| a.role_arn.as_ref())),
        ]
        .into_iter()
        .find(|(_, value)| value.is_none_or(|v| v.is_empty()));
        if let Some((name, _)) = missing {
            return Err(format!(
                "spec.loadBalancers[{i}].advancedConfiguration.{name} is required with a {} deployment: ECS shifts \
                 traffic between the target group and the alternate one through the production listener rule, with \
                 the role",
                strategy_name(strategy)
            ));
        }
    }
    Ok(())
}

fn strategy_name(strategy: DeploymentStrategy) -> &'static str {
    match strategy {
        DeploymentStrategy::Rolling => "ROLLING",
        DeploymentStrategy::BlueGreen => "BLUE_GREEN",
        DeploymentStrategy::Linear => "LINEAR",
        DeploymentStrategy::Canary => "CANARY",
    }
}

fn check_steps(
    config: &DeploymentConfiguration,
    strategy: DeploymentStrategy,
) -> Result<(), String> {
    if let Some(linear) = &config.linear_configuration {
        if strategy != DeploymentStrategy::Linear {
            return Err(format!(
                "{FIELD}.linearConfiguration is only valid with the LINEAR strategy; remove it or set strategy LINEAR"
            ));
        }
        if let Some(p) = linear
            .step_percent
            .filter(|p| !tenth_within(*p, 3.0, 100.0))
        {
            return Err(format!(
                "{FIELD}.linearConfiguration.stepPercent: {p} is not a multiple of 0.1 from 3.0 to 100.0"
            ));
        }
        check_bake(
            "linearConfiguration.stepBakeTimeInMinutes",
            linear.step_bake_time_in_minutes,
        )?;
    }
    if let Some(canary) = &config.canary_configuration {
        if strategy != DeploymentStrategy::Canary {
            return Err(format!(
                "{FIELD}.canaryConfiguration is only valid with the CANARY strategy; remove it or set strategy CANARY"
            ));
        }
        if let Some(p) = canary
            .canary_percent
            .filter(|p| !tenth_within(*p, 0.1, 100.0))
        {
            return Err(format!(
                "{FIELD}.canaryConfiguration.canaryPercent: {p} is not a multiple of 0.1 from 0.1 to 100.0"
            ));
        }
        check_bake(
            "canaryConfiguration.canaryBakeTimeInMinutes",
            canary.canary_bake_time_in_minutes,
        )?;
    }
    Ok(())
}

fn check_hooks(config: &DeploymentConfiguration) -> Result<(), String> {
    for (i, hook) in config.lifecycle_hooks.iter().flatten().enumerate() {
        let field = format!("{FIELD}.lifecycleHooks[{i}]");
        if hook.lifecycle_stages.is_empty() {
            return Err(format!(
                "{field}.lifecycleStages: name at least one stage to run the hook at"
            ));
        }
        if let Some(minutes) = hook
            .timeout_configuration
            .as_ref()
            .and_then(|t| t.timeout_in_minutes)
            .filter(|m| !HOOK_TIMEOUT_MINUTES.contains(m))
        {
            return Err(format!(
                "{field}.timeoutConfiguration.timeoutInMinutes: {minutes} is outside {}-{} minutes",
                HOOK_TIMEOUT_MINUTES.start(),
                HOOK_TIMEOUT_MINUTES.end()
            ));
        }
        if hook.target_type == Some(DeploymentLifecycleHookTargetType::Pause) {
            if let Some((j, stage)) = hook
                .lifecycle_stages
                .iter()
                .enumerate()
                .find(|(_, s)| NO_PAUSE_STAGES.contains(s))
            {
                let stage = serde_json::to_value(stage)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                return Err(format!(
                    "{field}.lifecycleStages[{j}]: a PAUSE hook cannot run at {stage}; it can pause at \
                     RECONCILE_SERVICE, PRE_SCALE_UP, POST_SCALE_UP, POST_TEST_TRAFFIC_SHIFT, \
                     PRE_PRODUCTION_TRAFFIC_SHIFT or POST_PRODUCTION_TRAFFIC_SHIFT"
                ));
            }
            continue;
        }
        if hook.hook_target_arn.as_deref().is_none_or(str::is_empty) {
            return Err(format!(
                "{field}.hookTargetArn is required: the ARN of the Lambda function to invoke"
            ));
        }
        if hook.role_arn.as_deref().is_none_or(str::is_empty) {
            return Err(format!(
                "{field}.roleArn is required: the IAM role that lets ECS invoke {}",
                hook.hook_target_arn.as_deref().unwrap_or_default()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LB: &str = "loadBalancers: [{targetGroupArn: blue, containerName: app, containerPort: 80, \
                      advancedConfiguration: {alternateTargetGroupArn: green, productionListenerRule: rule, \
                      roleArn: role}}]\n";

    fn spec(yaml: &str) -> EcsServiceSpec {
        serde_yaml::from_str(&format!("cluster: main\ntaskDefinition: web\n{yaml}")).unwrap()
    }

    #[test]
    fn accepts_each_strategy_with_what_it_needs() {
        let valid = [
            format!("{LB}deploymentConfiguration: {{strategy: BLUE_GREEN, bakeTimeInMinutes: 5}}\n"),
            format!(
                "{LB}deploymentConfiguration: {{strategy: LINEAR, bakeTimeInMinutes: 0, \
                 linearConfiguration: {{stepPercent: 12.5, stepBakeTimeInMinutes: 2}}}}\n"
            ),
            format!(
                "{LB}deploymentConfiguration: {{strategy: CANARY, canaryConfiguration: {{canaryPercent: 0.1}}, \
                 lifecycleHooks: [{{hookTargetArn: 'arn:aws:lambda:us-east-1:123:function:check', roleArn: role, \
                 lifecycleStages: [POST_SCALE_UP]}}]}}\n"
            ),
            "deploymentConfiguration: {strategy: BLUE_GREEN, bakeTimeInMinutes: 1}\n".into(),
            "deploymentConfiguration: {lifecycleHooks: [{targetType: PAUSE, lifecycleStages: [POST_SCALE_UP]}]}\n"
                .into(),
            // The API reference gives bakeTimeInMinutes no bounds (0-1440 is documented for the step and canary
            // bake times only).
            "deploymentConfiguration: {strategy: BLUE_GREEN, bakeTimeInMinutes: 2880}\n".into(),
            // Every stage the pause hook page lists; hook time-outs at both ends of 1-20160.
            "deploymentConfiguration: {strategy: BLUE_GREEN, bakeTimeInMinutes: 5, lifecycleHooks: [{targetType: PAUSE, \
             lifecycleStages: [RECONCILE_SERVICE, PRE_SCALE_UP, POST_SCALE_UP, POST_TEST_TRAFFIC_SHIFT, \
             PRE_PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT], timeoutConfiguration: \
             {timeoutInMinutes: 20160, action: CONTINUE}}, {hookTargetArn: fn, roleArn: r, lifecycleStages: \
             [TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT], timeoutConfiguration: {timeoutInMinutes: 1}}]}\n"
                .into(),
            "deploymentConfiguration: {strategy: CANARY, lifecycleHooks: []}\n".into(),
        ];
        for yaml in valid {
            assert_eq!(check(&spec(&yaml)), Ok(()), "{yaml}");
        }
    }

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases = [
            (
                "loadBalancers: [{targetGroupArn: blue, containerName: app, containerPort: 80}]\n\
                 deploymentConfiguration: {strategy: BLUE_GREEN, bakeTimeInMinutes: 5}\n",
                "advancedConfiguration.alternateTargetGroupArn is required",
            ),
            (
                "loadBalancers: [{targetGroupArn: blue, containerName: app, containerPort: 80, \
                 advancedConfiguration: {alternateTargetGroupArn: green, productionListenerRule: rule}}]\n\
                 deploymentConfiguration: {strategy: CANARY}\n",
                "advancedConfiguration.roleArn is required with a CANARY deployment",
            ),
            (
                "deploymentConfiguration: {strategy: BLUE_GREEN}\n",
                "bakeTimeInMinutes is required",
            ),
            (
                "deploymentConfiguration: {strategy: LINEAR, linearConfiguration: {stepBakeTimeInMinutes: 1441}}\n",
                "stepBakeTimeInMinutes: 1441 is outside 0-1440",
            ),
            (
                "deploymentConfiguration: {strategy: LINEAR, linearConfiguration: {stepPercent: 2.0}}\n",
                "stepPercent: 2 is not a multiple of 0.1 from 3.0",
            ),
            (
                "deploymentConfiguration: {strategy: LINEAR, linearConfiguration: {stepPercent: 10.05}}\n",
                "stepPercent: 10.05",
            ),
            (
                "deploymentConfiguration: {strategy: CANARY, canaryConfiguration: {canaryBakeTimeInMinutes: -1}}\n",
                "canaryBakeTimeInMinutes: -1",
            ),
            (
                "deploymentConfiguration: {strategy: BLUE_GREEN, bakeTimeInMinutes: 1, \
                 canaryConfiguration: {canaryPercent: 5.0}}\n",
                "canaryConfiguration is only valid with the CANARY strategy",
            ),
            (
                "deploymentConfiguration: {strategy: CANARY, lifecycleHooks: [{hookTargetArn: fn, \
                 lifecycleStages: [POST_SCALE_UP]}]}\n",
                "lifecycleHooks[0].roleArn is required",
            ),
            (
                "deploymentConfiguration: {strategy: CANARY, lifecycleHooks: [{roleArn: r, \
                 lifecycleStages: [POST_SCALE_UP]}]}\n",
                "lifecycleHooks[0].hookTargetArn is required",
            ),
            (
                "deploymentConfiguration: {strategy: CANARY, lifecycleHooks: [{hookTargetArn: fn, roleArn: r}]}\n",
                "lifecycleHooks[0].lifecycleStages",
            ),
            (
                "deploymentConfiguration: {strategy: BLUE_GREEN, bakeTimeInMinutes: 5, lifecycleHooks: [\
                 {targetType: PAUSE, lifecycleStages: [POST_SCALE_UP, TEST_TRAFFIC_SHIFT]}]}\n",
                "lifecycleHooks[0].lifecycleStages[1]: a PAUSE hook cannot run at TEST_TRAFFIC_SHIFT",
            ),
            (
                "deploymentConfiguration: {strategy: LINEAR, lifecycleHooks: [{hookTargetArn: fn, roleArn: r, \
                 lifecycleStages: [POST_SCALE_UP]}, {targetType: PAUSE, lifecycleStages: [PRODUCTION_TRAFFIC_SHIFT]}]}\n",
                "lifecycleHooks[1].lifecycleStages[0]: a PAUSE hook cannot run at PRODUCTION_TRAFFIC_SHIFT",
            ),
            (
                "deploymentConfiguration: {strategy: CANARY, lifecycleHooks: [{targetType: PAUSE, \
                 lifecycleStages: [POST_SCALE_UP], timeoutConfiguration: {timeoutInMinutes: 0}}]}\n",
                "lifecycleHooks[0].timeoutConfiguration.timeoutInMinutes: 0 is outside 1-20160",
            ),
            (
                "deploymentConfiguration: {strategy: CANARY, lifecycleHooks: [{hookTargetArn: fn, roleArn: r, \
                 lifecycleStages: [POST_SCALE_UP], timeoutConfiguration: {timeoutInMinutes: 20161}}]}\n",
                "lifecycleHooks[0].timeoutConfiguration.timeoutInMinutes: 20161 is outside 1-20160",
            ),
        ];
        for (yaml, expected) in cases {
            let err = check(&spec(yaml)).unwrap_err();
            assert!(err.contains(expected), "{yaml}: {err}");
        }
    }
}
