//! PAUSE lifecycle hooks and ContinueServiceDeployment (docs/ecs-behaviour.md, entries 145-147): a BLUE_GREEN
//! deployment with a PAUSE hook waits IN_PROGRESS with the hook AWAITING_ACTION (hookId, expiresAt, timeoutAction);
//! ContinueServiceDeployment with the hookId continues it (CONTINUE) or rolls it back (ROLLBACK); a hook nobody
//! answers takes its time-out action (ROLLBACK by default). Without a load balancer, so that a real account needs
//! no listener rules: blue/green works without one, just without traffic shifting (entry 74), and with no tasks.

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{
    DeploymentConfiguration, DeploymentLifecycleHook, DeploymentLifecycleHookAction,
    DeploymentLifecycleHookDetail, DeploymentLifecycleHookStage, DeploymentLifecycleHookTargetType,
    DeploymentLifecycleHookTimeoutConfiguration, DeploymentStrategy, LaunchType, ServiceDeployment,
};

use crate::harness::{Outcome, Run, describe, ensure};
use crate::services::register;

fn blue_green(hook: Option<DeploymentLifecycleHook>) -> DeploymentConfiguration {
    DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::BlueGreen)
        .bake_time_in_minutes(0)
        .set_lifecycle_hooks(hook.map(|h| vec![h]))
        .build()
}

/// A PAUSE hook after scale-up with this time-out (minutes) and action (left out: ECS's default).
fn pause(minutes: i32, action: Option<DeploymentLifecycleHookAction>) -> DeploymentLifecycleHook {
    let timeout = DeploymentLifecycleHookTimeoutConfiguration::builder()
        .timeout_in_minutes(minutes)
        .set_action(action)
        .build();
    DeploymentLifecycleHook::builder()
        .target_type(DeploymentLifecycleHookTargetType::Pause)
        .lifecycle_stages(DeploymentLifecycleHookStage::PostScaleUp)
        .timeout_configuration(timeout)
        .build()
}

/// The statuses of a service deployment that ended.
const ENDED: [&str; 4] = [
    "SUCCESSFUL",
    "STOPPED",
    "ROLLBACK_SUCCESSFUL",
    "ROLLBACK_FAILED",
];

fn status(sd: &ServiceDeployment) -> &str {
    sd.status().map_or("", |s| s.as_str())
}

fn pause_hook(sd: &ServiceDeployment) -> Option<&DeploymentLifecycleHookDetail> {
    sd.lifecycle_hook_details()
        .iter()
        .find(|h| h.target_type() == Some(&DeploymentLifecycleHookTargetType::Pause))
}

fn hook_status(sd: &ServiceDeployment) -> String {
    pause_hook(sd)
        .and_then(|h| h.status())
        .map_or(String::new(), |s| s.as_str().to_owned())
}

/// The service's current service deployment, described.
async fn current(
    run: &Run,
    cluster: &str,
    name: &str,
) -> Result<Option<ServiceDeployment>, String> {
    let service = crate::services::describe_service(run, cluster, name).await?;
    let Some(arn) = service.current_service_deployment() else {
        return Ok(None);
    };
    let described = run
        .ecs()
        .describe_service_deployments()
        .service_deployment_arns(arn)
        .send()
        .await
        .map_err(|e| format!("DescribeServiceDeployments: {}", describe(&e)))?;
    Ok(described.service_deployments().first().cloned())
}

/// A BLUE_GREEN service without tasks whose first deployment ended, then a new revision deployed with `hook`;
/// returns (cluster, service) once the new deployment waits at its PAUSE hook.
async fn paused(
    run: &Run,
    base: &str,
    hook: DeploymentLifecycleHook,
) -> Result<(String, String, ServiceDeployment), String> {
    let cluster = run.cluster(base).await?;
    let td = register(run, "web", "public.ecr.aws/docker/library/busybox:1").await?;
    let name = run.name(base);
    run.ecs()
        .create_service()
        .cluster(&cluster)
        .service_name(&name)
        .task_definition(&td)
        .desired_count(0)
        .launch_type(LaunchType::Ec2)
        .deployment_configuration(blue_green(None))
        .set_tags(Some(run.tags()))
        .send()
        .await
        .map_err(|e| format!("CreateService: {}", describe(&e)))?;
    run.track_service(&cluster, &name);
    run.eventually("the first service deployment to end", || async {
        let sd = current(run, &cluster, &name).await?;
        Ok(sd.filter(|d| status(d) == "SUCCESSFUL").map(drop))
    })
    .await?;
    let next = register(run, "web", "public.ecr.aws/docker/library/busybox:2").await?;
    run.ecs()
        .update_service()
        .cluster(&cluster)
        .service(&name)
        .task_definition(&next)
        .deployment_configuration(blue_green(Some(hook)))
        .send()
        .await
        .map_err(|e| format!("UpdateService: {}", describe(&e)))?;
    let sd = run
        .eventually("the deployment to wait at its PAUSE hook", || async {
            let sd = current(run, &cluster, &name).await?;
            Ok(sd.filter(|d| hook_status(d) == "AWAITING_ACTION"))
        })
        .await?;
    Ok((cluster, name, sd))
}

async fn answer(
    run: &Run,
    sd: &ServiceDeployment,
    hook_id: &str,
    action: DeploymentLifecycleHookAction,
) -> Result<(), String> {
    run.ecs()
        .continue_service_deployment()
        .service_deployment_arn(sd.service_deployment_arn().unwrap_or_default())
        .hook_id(hook_id)
        .action(action)
        .send()
        .await
        .map(drop)
        .map_err(|e| format!("ContinueServiceDeployment: {}", describe(&e)))
}

/// Waits until the service deployment is in one of `statuses`: up to 10 minutes, as a time-out is at least a
/// minute of the backend's clock (the double's runs unhurried here) and a real rollback takes minutes.
async fn ends_in(
    run: &Run,
    cluster: &str,
    name: &str,
    statuses: &[&str],
) -> Result<ServiceDeployment, String> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let sd = current(run, cluster, name).await?;
        if let Some(sd) = sd.filter(|d| statuses.contains(&status(d))) {
            return Ok(sd);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the service deployment did not become {statuses:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A paused deployment is IN_PROGRESS with the hook AWAITING_ACTION, its hookId, expiry and time-out action
/// (ROLLBACK when left out); ContinueServiceDeployment with CONTINUE lets it finish; the hook cannot be answered
/// twice.
pub async fn continue_service_deployment_continues_a_paused_deployment(run: &Run) -> Outcome {
    let (cluster, name, sd) = paused(run, "pause", pause(60, None)).await?;
    ensure(status(&sd) == "IN_PROGRESS", || format!("paused as {sd:?}"))?;
    let hook = pause_hook(&sd).cloned().ok_or("no PAUSE hook detail")?;
    let hook_id = hook.hook_id().unwrap_or_default().to_owned();
    ensure(!hook_id.is_empty() && hook.expires_at().is_some(), || {
        format!("hook detail {hook:?}")
    })?;
    ensure(
        hook.timeout_action() == Some(&DeploymentLifecycleHookAction::Rollback),
        || format!("default time-out action: {hook:?}"),
    )?;
    let wrong = answer(
        run,
        &sd,
        "ecs-pause-no-such-hook",
        DeploymentLifecycleHookAction::Continue,
    )
    .await;
    ensure(wrong.is_err(), || "an unknown hookId was accepted".into())?;
    answer(run, &sd, &hook_id, DeploymentLifecycleHookAction::Continue).await?;
    let ended = ends_in(run, &cluster, &name, &ENDED).await?;
    ensure(status(&ended) == "SUCCESSFUL", || {
        format!("ended as {ended:?}")
    })?;
    ensure(hook_status(&ended) != "AWAITING_ACTION", || {
        format!("the hook still awaits: {ended:?}")
    })?;
    let again = answer(run, &sd, &hook_id, DeploymentLifecycleHookAction::Continue).await;
    ensure(again.is_err(), || "a hook was answered twice".into())
}

/// ContinueServiceDeployment with ROLLBACK rolls a paused deployment back.
pub async fn continue_service_deployment_rolls_a_paused_deployment_back(run: &Run) -> Outcome {
    let (cluster, name, sd) = paused(run, "pause", pause(60, None)).await?;
    let hook_id = pause_hook(&sd)
        .and_then(|h| h.hook_id())
        .unwrap_or_default()
        .to_owned();
    answer(run, &sd, &hook_id, DeploymentLifecycleHookAction::Rollback).await?;
    let ended = ends_in(run, &cluster, &name, &ENDED).await?;
    ensure(status(&ended) == "ROLLBACK_SUCCESSFUL", || {
        format!("ended as {ended:?}")
    })
}

/// A PAUSE hook nobody answers takes its time-out action: ROLLBACK by default (the hook TIMED_OUT), or CONTINUE.
/// Both wait at least a minute, side by side.
pub async fn an_unanswered_pause_takes_its_time_out_action(run: &Run) -> Outcome {
    let by_default = async {
        let (cluster, name, _) = paused(run, "pause-rollback", pause(1, None)).await?;
        let ended = ends_in(run, &cluster, &name, &ENDED).await?;
        ensure(status(&ended) == "ROLLBACK_SUCCESSFUL", || {
            format!("the default time-out action ended it as {ended:?}")
        })?;
        ensure(hook_status(&ended) == "TIMED_OUT", || format!("{ended:?}"))
    };
    let continuing = async {
        let action = Some(DeploymentLifecycleHookAction::Continue);
        let (cluster, name, _) = paused(run, "pause-continue", pause(1, action)).await?;
        let ended = ends_in(run, &cluster, &name, &ENDED).await?;
        ensure(status(&ended) == "SUCCESSFUL", || {
            format!("the CONTINUE time-out action ended it as {ended:?}")
        })
    };
    let (rolled_back, continued) = tokio::join!(by_default, continuing);
    rolled_back.and(continued)
}

crate::conformance! {
    pauses;
    continue_service_deployment_continues_a_paused_deployment on [Double, Aws];
    continue_service_deployment_rolls_a_paused_deployment_back on [Double, Aws];
    an_unanswered_pause_takes_its_time_out_action on [Double, Aws];
}
