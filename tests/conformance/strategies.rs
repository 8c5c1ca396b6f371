//! ECS-native BLUE_GREEN, LINEAR and CANARY deployments (docs/ecs-behaviour.md, entries 73-78): the lifecycle
//! stages a service deployment goes through, traffic steps, a failing lifecycle hook's rollback,
//! StopServiceDeployment, and the target group swap after success. The double only: a real account would need a
//! load balancer, listener rules and Lambda functions.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    AdvancedConfiguration, CanaryConfiguration, DeploymentConfiguration, DeploymentLifecycleHook,
    DeploymentLifecycleHookStage, DeploymentStrategy, LaunchType, LoadBalancer, ServiceDeployment,
    StopServiceDeploymentStopType,
};

use crate::harness::{Outcome, Run, describe, ensure};
use crate::services::{describe_service, register};

const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1";
const GREEN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2";

fn load_balancer() -> LoadBalancer {
    let advanced = AdvancedConfiguration::builder()
        .alternate_target_group_arn(GREEN)
        .production_listener_rule(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/3",
        )
        .role_arn("arn:aws:iam::123456789012:role/ecs-infrastructure")
        .build();
    LoadBalancer::builder()
        .target_group_arn(BLUE)
        .container_name("app")
        .container_port(80)
        .advanced_configuration(advanced)
        .build()
}

/// A service deploying with `config` whose first service deployment ended; returns (cluster, service).
async fn staged(run: &Run, config: DeploymentConfiguration) -> Result<(String, String), String> {
    let cluster = run.cluster("strategy").await?;
    let td = register(run, "web", "public.ecr.aws/docker/library/busybox:1").await?;
    let name = run.name("web");
    run.ecs()
        .create_service()
        .cluster(&cluster)
        .service_name(&name)
        .task_definition(&td)
        .desired_count(2)
        .launch_type(LaunchType::Ec2)
        .load_balancers(load_balancer())
        .deployment_configuration(config)
        .set_tags(Some(run.tags()))
        .send()
        .await
        .map_err(|e| format!("CreateService: {}", describe(&e)))?;
    run.track_service(&cluster, &name);
    run.eventually("the first service deployment", || async {
        let sd = newest(run, &cluster, &name).await?;
        Ok(sd.filter(|d| status(d) == "SUCCESSFUL").map(drop))
    })
    .await?;
    Ok((cluster, name))
}

/// Starts a deployment of a new revision.
async fn deploy(run: &Run, cluster: &str, name: &str) -> Outcome {
    let td = register(run, "web", "public.ecr.aws/docker/library/busybox:2").await?;
    run.ecs()
        .update_service()
        .cluster(cluster)
        .service(name)
        .task_definition(&td)
        .send()
        .await
        .map_err(|e| format!("UpdateService: {}", describe(&e)))
        .map(drop)
}

fn status(sd: &ServiceDeployment) -> &str {
    sd.status().map_or("", |s| s.as_str())
}

/// The newest service deployment of the service, described.
async fn newest(run: &Run, cluster: &str, name: &str) -> Result<Option<ServiceDeployment>, String> {
    let listed = run
        .ecs()
        .list_service_deployments()
        .cluster(cluster)
        .service(name)
        .send()
        .await
        .map_err(|e| format!("ListServiceDeployments: {}", describe(&e)))?;
    let Some(arn) = listed
        .service_deployments()
        .iter()
        .max_by_key(|d| d.created_at().map(|t| t.as_secs_f64() as i64))
        .and_then(|d| d.service_deployment_arn())
    else {
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

/// Looks at the newest service deployment every 50 ms until it ended, collecting what `seen` picks.
async fn watch<T: Ord>(
    run: &Run,
    cluster: &str,
    name: &str,
    seen: impl Fn(&ServiceDeployment) -> Option<T>,
) -> Result<(ServiceDeployment, BTreeSet<T>), String> {
    let (deadline, mut all) = (Instant::now() + Duration::from_secs(30), BTreeSet::new());
    loop {
        if let Some(sd) = newest(run, cluster, name).await? {
            all.extend(seen(&sd));
            if !matches!(
                status(&sd),
                "PENDING" | "IN_PROGRESS" | "ROLLBACK_IN_PROGRESS"
            ) {
                return Ok((sd, all));
            }
        }
        if Instant::now() > deadline {
            return Err("the service deployment did not end".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A BLUE_GREEN deployment goes through its lifecycle stages, its deployment in `deployments[]` completes only
/// when the service deployment succeeded, and the target groups swap roles afterwards.
pub async fn a_blue_green_deployment_goes_through_its_stages(run: &Run) -> Outcome {
    let config = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::BlueGreen)
        .bake_time_in_minutes(0)
        .build();
    let (cluster, name) = staged(run, config).await?;
    deploy(run, &cluster, &name).await?;
    let (sd, stages) = watch(run, &cluster, &name, |sd| {
        sd.lifecycle_stage().map(|s| s.as_str().to_owned())
    })
    .await?;
    ensure(status(&sd) == "SUCCESSFUL", || format!("ended as {sd:?}"))?;
    ensure(
        ["SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT", "CLEAN_UP"]
            .iter()
            .all(|s| stages.contains(*s)),
        || format!("stages seen: {stages:?}"),
    )?;
    let weight = sd
        .target_service_revision()
        .and_then(|r| r.requested_production_traffic_weight());
    ensure(weight == Some(100.0), || {
        format!("production traffic {weight:?}")
    })?;
    let service = describe_service(run, &cluster, &name).await?;
    let lb = &service.load_balancers()[0];
    let alternate = lb
        .advanced_configuration()
        .and_then(|a| a.alternate_target_group_arn());
    ensure(
        lb.target_group_arn() == Some(GREEN) && alternate == Some(BLUE),
        || format!("after the deployment the load balancer is {lb:?}"),
    )
}

/// A CANARY deployment shifts its canary percent first, then the rest.
pub async fn a_canary_deployment_shifts_traffic_in_steps(run: &Run) -> Outcome {
    let canary = CanaryConfiguration::builder()
        .canary_percent(10.0)
        .canary_bake_time_in_minutes(0)
        .build();
    let config = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::Canary)
        .bake_time_in_minutes(0)
        .canary_configuration(canary)
        .build();
    let (cluster, name) = staged(run, config).await?;
    deploy(run, &cluster, &name).await?;
    let (_, weights) = watch(run, &cluster, &name, |sd| {
        let weight = sd
            .target_service_revision()?
            .requested_production_traffic_weight()?;
        Some((weight * 10.0) as i64)
    })
    .await?;
    ensure(weights.contains(&100) && weights.contains(&1000), || {
        format!("production traffic weights (tenths of a percent): {weights:?}")
    })
}

/// A lifecycle hook that fails rolls the deployment back: the service deployment reports the hook FAILED and a
/// rollback reason, and ECS runs the earlier revision again.
pub async fn a_failing_hook_rolls_the_deployment_back(run: &Run) -> Outcome {
    let hook = DeploymentLifecycleHook::builder()
        .hook_target_arn("arn:aws:lambda:us-east-1:123456789012:function:check-fail")
        .role_arn("arn:aws:iam::123456789012:role/hooks")
        .lifecycle_stages(DeploymentLifecycleHookStage::PostScaleUp)
        .build();
    let plain = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::BlueGreen)
        .bake_time_in_minutes(0)
        .build();
    let (cluster, name) = staged(run, plain).await?;
    let before = describe_service(run, &cluster, &name).await?;
    let with_hook = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::BlueGreen)
        .bake_time_in_minutes(0)
        .lifecycle_hooks(hook)
        .build();
    run.ecs()
        .update_service()
        .cluster(&cluster)
        .service(&name)
        .deployment_configuration(with_hook)
        .send()
        .await
        .map_err(|e| format!("UpdateService: {}", describe(&e)))?;
    deploy(run, &cluster, &name).await?;
    let (sd, _) = watch(run, &cluster, &name, |_| None::<()>).await?;
    ensure(status(&sd) == "ROLLBACK_SUCCESSFUL", || {
        format!("ended as {sd:?}")
    })?;
    let failed = sd
        .lifecycle_hook_details()
        .iter()
        .any(|h| h.status().is_some_and(|s| s.as_str() == "FAILED"));
    let reason = sd.rollback().and_then(|r| r.reason()).unwrap_or_default();
    ensure(failed && reason.contains("check-fail"), || {
        format!("{sd:?}")
    })?;
    run.eventually("ECS to run the earlier revision", || async {
        let s = describe_service(run, &cluster, &name).await?;
        Ok((s.task_definition() == before.task_definition()).then_some(()))
    })
    .await
}

/// StopServiceDeployment with ROLLBACK rolls an ongoing deployment back; an ended one cannot be stopped.
pub async fn stopping_a_deployment_rolls_it_back(run: &Run) -> Outcome {
    let config = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::BlueGreen)
        .bake_time_in_minutes(0)
        .build();
    let (cluster, name) = staged(run, config).await?;
    deploy(run, &cluster, &name).await?;
    let sd = newest(run, &cluster, &name)
        .await?
        .ok_or("no service deployment listed")?;
    let arn = sd.service_deployment_arn().unwrap_or_default().to_owned();
    let stop = || {
        run.ecs()
            .stop_service_deployment()
            .service_deployment_arn(&arn)
            .stop_type(StopServiceDeploymentStopType::Rollback)
            .send()
    };
    stop()
        .await
        .map_err(|e| format!("StopServiceDeployment: {}", describe(&e)))?;
    let (sd, _) = watch(run, &cluster, &name, |_| None::<()>).await?;
    ensure(status(&sd) == "ROLLBACK_SUCCESSFUL", || {
        format!("ended as {sd:?}")
    })?;
    match stop().await {
        Err(e) if e.code() == Some("ConflictException") => Ok(()),
        other => Err(format!("stopping an ended deployment answered {other:?}")),
    }
}

crate::conformance! {
    strategies;
    a_blue_green_deployment_goes_through_its_stages on [Double];
    a_canary_deployment_shifts_traffic_in_steps on [Double];
    a_failing_hook_rolls_the_deployment_back on [Double];
    stopping_a_deployment_rolls_it_back on [Double];
}
