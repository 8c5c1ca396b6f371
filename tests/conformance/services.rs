//! Service behaviours of `docs/ecs-behaviour.md`: what starts a deployment, DAEMON rules, deletion, client tokens,
//! what the deployment controllers refuse, and where a circuit-breaker rollback leaves the deployments.

use aws_sdk_ecs::types::{
    ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentController,
    DeploymentControllerType, LaunchType, SchedulingStrategy, Service,
};

use aws_sdk_ecs::error::ProvideErrorMetadata;

use crate::harness::{Outcome, Run, describe, ensure};

/// A task definition for the EC2 launch type in bridge mode: runs nowhere without instances, costs nothing.
pub async fn register(run: &Run, base: &str, image: &str) -> Result<String, String> {
    let family = run.name(base);
    let out = run
        .ecs()
        .register_task_definition()
        .family(&family)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image(image)
                .memory(128)
                .essential(true)
                .build(),
        )
        .set_tags(Some(run.tags()))
        .send()
        .await
        .map_err(|e| format!("RegisterTaskDefinition: {}", describe(&e)))?;
    run.track_family(&family);
    out.task_definition()
        .and_then(|t| t.task_definition_arn())
        .map(str::to_owned)
        .ok_or_else(|| "RegisterTaskDefinition returned no ARN".to_owned())
}

/// The service as DescribeServices shows it.
pub async fn describe_service(run: &Run, cluster: &str, name: &str) -> Result<Service, String> {
    let out = run
        .ecs()
        .describe_services()
        .cluster(cluster)
        .services(name)
        .send()
        .await
        .map_err(|e| format!("DescribeServices: {}", describe(&e)))?;
    out.services()
        .first()
        .cloned()
        .ok_or_else(|| format!("DescribeServices found no service {name}"))
}

/// A cluster, a task definition and a REPLICA EC2 service with `count` tasks; returns (cluster, service, task def).
async fn replica(run: &Run, count: i32) -> Result<(String, String, String), String> {
    let cluster = run.cluster("svc").await?;
    let td = register(run, "web", "public.ecr.aws/docker/library/busybox:1").await?;
    let name = run.name("web");
    run.ecs()
        .create_service()
        .cluster(&cluster)
        .service_name(&name)
        .task_definition(&td)
        .desired_count(count)
        .launch_type(LaunchType::Ec2)
        .set_tags(Some(run.tags()))
        .send()
        .await
        .map_err(|e| format!("CreateService: {}", describe(&e)))?;
    run.track_service(&cluster, &name);
    Ok((cluster, name, td))
}

fn primary_id(service: &Service) -> Option<String> {
    service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .and_then(|d| d.id())
        .map(str::to_owned)
}

/// ECS: "desiredCount ... Don't specify it if you use the DAEMON scheduling strategy"; a DAEMON service is deleted
/// without scaling it to 0.
pub async fn daemon_services_take_no_desired_count(run: &Run) -> Outcome {
    let cluster = run.cluster("daemon").await?;
    let td = register(run, "agent", "public.ecr.aws/docker/library/busybox:1").await?;
    let name = run.name("agent");
    let refused = run
        .ecs()
        .create_service()
        .cluster(&cluster)
        .service_name(&name)
        .task_definition(&td)
        .scheduling_strategy(SchedulingStrategy::Daemon)
        .launch_type(LaunchType::Ec2)
        .desired_count(1)
        .send()
        .await;
    run.track_service(&cluster, &name);
    match refused {
        Err(e) if e.code() == Some("InvalidParameterException") => {}
        Err(e) => return Err(format!("DAEMON with desiredCount: {}", describe(&e))),
        Ok(_) => return Err("CreateService accepted desiredCount for a DAEMON service".into()),
    }
    run.ecs()
        .create_service()
        .cluster(&cluster)
        .service_name(&name)
        .task_definition(&td)
        .scheduling_strategy(SchedulingStrategy::Daemon)
        .launch_type(LaunchType::Ec2)
        .send()
        .await
        .map_err(|e| format!("DAEMON without desiredCount: {}", describe(&e)))?;
    let scaled = run
        .ecs()
        .update_service()
        .cluster(&cluster)
        .service(&name)
        .desired_count(2)
        .send()
        .await;
    ensure(scaled.is_err(), || {
        "UpdateService accepted desiredCount for a DAEMON service".into()
    })?;
    run.ecs()
        .delete_service()
        .cluster(&cluster)
        .service(&name)
        .force(true)
        .send()
        .await
        .map_err(|e| format!("DeleteService of a DAEMON service: {}", describe(&e)))?;
    Ok(())
}

/// Entry 8: a DAEMON service left without a launch type on a cluster whose default strategy names capacity
/// providers would take that strategy, which ECS refuses (containers-roadmap #692); `launchType: EC2` is accepted.
pub async fn a_daemon_service_needs_ec2_beside_a_default_strategy(run: &Run) -> Outcome {
    let cluster = run.cluster("daemon-cp").await?;
    run.ecs()
        .put_cluster_capacity_providers()
        .cluster(&cluster)
        .capacity_providers("FARGATE")
        .default_capacity_provider_strategy(
            aws_sdk_ecs::types::CapacityProviderStrategyItem::builder()
                .capacity_provider("FARGATE")
                .weight(1)
                .build()
                .map_err(|e| e.to_string())?,
        )
        .send()
        .await
        .map_err(|e| format!("PutClusterCapacityProviders: {}", describe(&e)))?;
    let td = register(run, "agent", "public.ecr.aws/docker/library/busybox:1").await?;
    let name = run.name("agent");
    let create = |launch_type: Option<LaunchType>| {
        run.ecs()
            .create_service()
            .cluster(&cluster)
            .service_name(&name)
            .task_definition(&td)
            .scheduling_strategy(SchedulingStrategy::Daemon)
            .set_launch_type(launch_type)
            .set_tags(Some(run.tags()))
            .send()
    };
    let refused = create(None).await;
    run.track_service(&cluster, &name);
    match refused {
        Err(e)
            if e.code() == Some("InvalidParameterException")
                && e.message()
                    .is_some_and(|m| m.contains("capacity provider strategy")) => {}
        Err(e) => {
            return Err(format!(
                "DAEMON beside a default strategy: {}",
                describe(&e)
            ));
        }
        Ok(_) => {
            return Err(
                "CreateService accepted a DAEMON service that takes the cluster's default strategy"
                    .into(),
            );
        }
    }
    let created = create(Some(LaunchType::Ec2))
        .await
        .map_err(|e| format!("DAEMON with launchType EC2: {}", describe(&e)))?;
    let launch_type = created.service().and_then(|s| s.launch_type().cloned());
    ensure(launch_type == Some(LaunchType::Ec2), || {
        format!("the DAEMON service runs on {launch_type:?}")
    })
}

/// UpdateService: enableExecuteCommand (like capacityProviderStrategy, propagateTags and enableECSManagedTags)
/// takes effect on new tasks only, so it starts no deployment unless `forceNewDeployment` is set; desiredCount
/// alone scales the current deployment; a new task definition starts a deployment.
pub async fn only_some_updates_start_a_deployment(run: &Run) -> Outcome {
    let (cluster, name, _) = replica(run, 0).await?;
    let first = primary_id(&describe_service(run, &cluster, &name).await?);
    let update = || run.ecs().update_service().cluster(&cluster).service(&name);
    update()
        .enable_execute_command(true)
        .send()
        .await
        .map_err(|e| format!("UpdateService enableExecuteCommand: {}", describe(&e)))?;
    update()
        .desired_count(0)
        .send()
        .await
        .map_err(|e| format!("UpdateService desiredCount: {}", describe(&e)))?;
    let after = describe_service(run, &cluster, &name).await?;
    ensure(after.enable_execute_command(), || {
        "enableExecuteCommand was not stored".into()
    })?;
    ensure(primary_id(&after) == first, || {
        format!(
            "enableExecuteCommand or desiredCount alone started a deployment: {first:?} -> {:?}",
            primary_id(&after)
        )
    })?;
    update()
        .force_new_deployment(true)
        .send()
        .await
        .map_err(|e| format!("UpdateService forceNewDeployment: {}", describe(&e)))?;
    let forced = describe_service(run, &cluster, &name).await?;
    ensure(primary_id(&forced) != first, || {
        "forceNewDeployment started no deployment".into()
    })?;
    let next = register(run, "web", "public.ecr.aws/docker/library/busybox:latest").await?;
    update()
        .task_definition(&next)
        .send()
        .await
        .map_err(|e| format!("UpdateService taskDefinition: {}", describe(&e)))?;
    let rolled = describe_service(run, &cluster, &name).await?;
    ensure(
        primary_id(&rolled) != primary_id(&forced)
            && rolled.task_definition() == Some(next.as_str()),
        || "a new task definition started no deployment".into(),
    )
}

/// CreateService with the clientToken of a service it created returns that service (unsourced: the double's
/// belief); a second CreateService of an ACTIVE name with other parameters is refused ("Creation of service was not
/// idempotent.").
pub async fn create_service_is_idempotent_only_with_its_token(run: &Run) -> Outcome {
    let cluster = run.cluster("token").await?;
    let td = register(run, "web", "public.ecr.aws/docker/library/busybox:1").await?;
    let name = run.name("web");
    let create = |token: Option<&str>, count: i32| {
        run.ecs()
            .create_service()
            .cluster(&cluster)
            .service_name(&name)
            .task_definition(&td)
            .desired_count(count)
            .launch_type(LaunchType::Ec2)
            .set_client_token(token.map(str::to_owned))
            .send()
    };
    let first = create(Some("conformance-token-1"), 0)
        .await
        .map_err(|e| format!("CreateService: {}", describe(&e)))?;
    run.track_service(&cluster, &name);
    let again = create(Some("conformance-token-1"), 0)
        .await
        .map_err(|e| format!("CreateService with the same token: {}", describe(&e)))?;
    let arn = |out: &aws_sdk_ecs::operation::create_service::CreateServiceOutput| {
        out.service()
            .and_then(|s| s.service_arn())
            .map(str::to_owned)
    };
    ensure(arn(&first) == arn(&again), || {
        "the same token returned another service".into()
    })?;
    match create(None, 1).await {
        Err(e) if e.code() == Some("InvalidParameterException") => Ok(()),
        Err(e) => Err(format!("a second CreateService: {}", describe(&e))),
        Ok(_) => Err("a second CreateService of an ACTIVE name succeeded".into()),
    }
}

/// DeleteService refuses a REPLICA service above 0 tasks unless `force`; the service is DRAINING, then INACTIVE.
pub async fn deleting_a_service_drains_it(run: &Run) -> Outcome {
    let (cluster, name, _) = replica(run, 1).await?;
    let delete = |force: bool| {
        run.ecs()
            .delete_service()
            .cluster(&cluster)
            .service(&name)
            .force(force)
            .send()
    };
    match delete(false).await {
        Err(e) if e.code() == Some("InvalidParameterException") => {}
        Err(e) => return Err(format!("DeleteService above 0: {}", describe(&e))),
        Ok(_) => return Err("DeleteService of a service above 0 tasks succeeded".into()),
    }
    let deleted = delete(true)
        .await
        .map_err(|e| format!("DeleteService force: {}", describe(&e)))?;
    let status = deleted
        .service()
        .and_then(|s| s.status())
        .unwrap_or_default();
    ensure(status == "DRAINING", || {
        format!("a deleted service is {status}, not DRAINING")
    })?;
    run.eventually("the service to be INACTIVE", || async {
        let s = describe_service(run, &cluster, &name).await?;
        Ok((s.status() == Some("INACTIVE")).then_some(()))
    })
    .await
}

/// Entry 31: a repeated DeleteService answers with the service (DRAINING or INACTIVE), not an error; also once it is
/// INACTIVE (aws-sdk-js #4189).
pub async fn a_repeated_delete_service_returns_the_service(run: &Run) -> Outcome {
    let (cluster, name, _) = replica(run, 0).await?;
    let delete = || async {
        run.ecs()
            .delete_service()
            .cluster(&cluster)
            .service(&name)
            .send()
            .await
            .map_err(|e| format!("DeleteService: {}", describe(&e)))
    };
    let answered = |out: aws_sdk_ecs::operation::delete_service::DeleteServiceOutput| {
        let service = out
            .service()
            .cloned()
            .ok_or("DeleteService answered no service")?;
        let status = service.status().unwrap_or_default().to_owned();
        ensure(
            service.service_name() == Some(name.as_str())
                && matches!(status.as_str(), "DRAINING" | "INACTIVE"),
            || format!("DeleteService answered {service:?}"),
        )?;
        Ok::<_, String>(status)
    };
    answered(delete().await?)?;
    answered(delete().await?).map_err(|e| format!("the second DeleteService: {e}"))?;
    run.eventually("the service to be INACTIVE", || async {
        let s = describe_service(run, &cluster, &name).await?;
        Ok((s.status() == Some("INACTIVE")).then_some(()))
    })
    .await?;
    let status =
        answered(delete().await?).map_err(|e| format!("DeleteService when INACTIVE: {e}"))?;
    ensure(status == "INACTIVE", || {
        format!("an INACTIVE service deleted again is {status}")
    })
}

/// A CODE_DEPLOY service takes no new task definition through UpdateService (CodeDeploy deploys it).
pub async fn code_deploy_services_refuse_a_new_task_definition(run: &Run) -> Outcome {
    let cluster = run.cluster("cd").await?;
    let td = register(run, "web", "public.ecr.aws/docker/library/busybox:1").await?;
    let next = register(run, "web", "public.ecr.aws/docker/library/busybox:latest").await?;
    let name = run.name("web");
    run.ecs()
        .create_service()
        .cluster(&cluster)
        .service_name(&name)
        .task_definition(&td)
        .desired_count(0)
        .launch_type(LaunchType::Ec2)
        .deployment_controller(
            DeploymentController::builder()
                .r#type(DeploymentControllerType::CodeDeploy)
                .build()
                .map_err(|e| e.to_string())?,
        )
        .send()
        .await
        .map_err(|e| format!("CreateService CODE_DEPLOY: {}", describe(&e)))?;
    run.track_service(&cluster, &name);
    let update = run
        .ecs()
        .update_service()
        .cluster(&cluster)
        .service(&name)
        .task_definition(&next)
        .send()
        .await;
    match update {
        Err(e) if e.code() == Some("InvalidParameterException") => {}
        Err(e) => return Err(format!("UpdateService taskDefinition: {}", describe(&e))),
        Ok(_) => return Err("a CODE_DEPLOY service took a new task definition".into()),
    }
    run.ecs()
        .update_service()
        .cluster(&cluster)
        .service(&name)
        .desired_count(0)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "UpdateService desiredCount of CODE_DEPLOY: {}",
                describe(&e)
            )
        })
}

/// After a circuit-breaker rollback completes, the failed deployment is no longer in `deployments`: only the
/// rollback (a new PRIMARY deployment of the last completed task definition) remains.
pub async fn a_rollback_drops_the_failed_deployment(run: &Run) -> Outcome {
    let (cluster, name, good) = replica(run, 2).await?;
    run.eventually("the first rollout", || async {
        let s = describe_service(run, &cluster, &name).await?;
        Ok((s.running_count() == 2).then_some(()))
    })
    .await?;
    let bad = register(run, "web", "conformance.invalid/does-not-exist:1").await?;
    let breaker = DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(true)
                .rollback(true)
                .build(),
        )
        .build();
    let updated = run
        .ecs()
        .update_service()
        .cluster(&cluster)
        .service(&name)
        .task_definition(&bad)
        .deployment_configuration(breaker)
        .send()
        .await
        .map_err(|e| format!("UpdateService: {}", describe(&e)))?;
    let failed_id = updated.service().and_then(primary_id);
    run.eventually("the rollback to complete", || async {
        let s = describe_service(run, &cluster, &name).await?;
        let done = s.deployments().len() == 1
            && s.deployments()[0]
                .rollout_state()
                .is_some_and(|r| r.as_str() == "COMPLETED");
        Ok(done.then_some(s))
    })
    .await
    .and_then(|s| {
        let only = &s.deployments()[0];
        ensure(
            only.task_definition() == Some(good.as_str())
                && only.id().map(str::to_owned) != failed_id,
            || {
                format!(
                    "after the rollback the deployments are {:?}",
                    s.deployments()
                )
            },
        )
    })
}

crate::conformance! {
    services;
    daemon_services_take_no_desired_count on [Double, Aws];
    a_daemon_service_needs_ec2_beside_a_default_strategy on [Double, Aws];
    only_some_updates_start_a_deployment on [Double, Aws];
    create_service_is_idempotent_only_with_its_token on [Double];
    deleting_a_service_drains_it on [Double, Aws];
    a_repeated_delete_service_returns_the_service on [Double, Moto, Aws];
    code_deploy_services_refuse_a_new_task_definition on [Double];
    a_rollback_drops_the_failed_deployment on [Double];
}
