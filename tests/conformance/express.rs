//! Express Mode behaviours of `docs/ecs-behaviour.md` (entries 153-158): a new Express service is ACTIVE and
//! gets an endpoint, an update deploys a second configuration that replaces the first, a name the cluster has is
//! refused, and a deleted service drains and then is gone. On a real account the roles come from
//! `ECSB_CONFORMANCE_EXPRESS_EXECUTION_ROLE` and `ECSB_CONFORMANCE_EXPRESS_INFRASTRUCTURE_ROLE`.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    EcsExpressGatewayService, ExpressGatewayContainer, ExpressGatewayServiceStatusCode,
};

use crate::backend::Kind;
use crate::harness::{Outcome, Run, describe, ensure};

/// The execution and infrastructure roles: made-up ARNs on the double, the account's from the environment.
pub(crate) fn roles(run: &Run) -> Result<(String, String), String> {
    if run.kind() != Kind::Aws {
        return Ok((
            "arn:aws:iam::123456789012:role/ecs-bridge/express-execution".into(),
            "arn:aws:iam::123456789012:role/ecs-bridge/express-infrastructure".into(),
        ));
    }
    let var = |name: &str| {
        std::env::var(name)
            .map_err(|_| format!("set {name} to a role ARN for the Express Mode scenarios"))
    };
    Ok((
        var("ECSB_CONFORMANCE_EXPRESS_EXECUTION_ROLE")?,
        var("ECSB_CONFORMANCE_EXPRESS_INFRASTRUCTURE_ROLE")?,
    ))
}

fn container(image: &str) -> Result<ExpressGatewayContainer, String> {
    ExpressGatewayContainer::builder()
        .image(image)
        .container_port(80)
        .build()
        .map_err(|e| e.to_string())
}

/// Creates an Express service named `base` in `cluster` and returns its ARN.
pub(crate) async fn create(run: &Run, cluster: &str, name: &str) -> Result<String, String> {
    let (execution, infrastructure) = roles(run)?;
    let out = run
        .ecs()
        .create_express_gateway_service()
        .cluster(cluster)
        .service_name(name)
        .execution_role_arn(execution)
        .infrastructure_role_arn(infrastructure)
        .primary_container(container("public.ecr.aws/nginx/nginx:1.27")?)
        .health_check_path("/")
        .set_tags(Some(run.tags()))
        .send()
        .await
        .map_err(|e| format!("CreateExpressGatewayService: {}", describe(&e)))?;
    let arn = out
        .service()
        .and_then(|s| s.service_arn())
        .ok_or("CreateExpressGatewayService returned no ARN")?
        .to_owned();
    run.track_express_service(&arn);
    Ok(arn)
}

/// The service as ECS describes it now; `None` when ECS no longer knows it.
async fn described(run: &Run, arn: &str) -> Result<Option<EcsExpressGatewayService>, String> {
    match run
        .ecs()
        .describe_express_gateway_service()
        .service_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(out.service),
        Err(e) if e.code() == Some("ServiceNotFoundException") => Ok(None),
        Err(e) => Err(format!("DescribeExpressGatewayService: {}", describe(&e))),
    }
}

fn status(service: &EcsExpressGatewayService) -> Option<&ExpressGatewayServiceStatusCode> {
    service.status().and_then(|s| s.status_code())
}

/// Waits until the service is ACTIVE with one configuration that has an endpoint.
pub(crate) async fn settled(run: &Run, arn: &str) -> Result<EcsExpressGatewayService, String> {
    run.eventually(
        "an ACTIVE Express service with one configuration and an endpoint",
        || async {
            let service = described(run, arn)
                .await?
                .ok_or("the new Express service is not found")?;
            let configurations = service.active_configurations();
            let reachable = configurations.len() == 1
                && configurations[0]
                    .ingress_paths()
                    .iter()
                    .any(|p| !p.endpoint().is_empty());
            Ok(
                (status(&service) == Some(&ExpressGatewayServiceStatusCode::Active) && reachable)
                    .then_some(service),
            )
        },
    )
    .await
}

/// A new service is ACTIVE and gets an endpoint; an update deploys a configuration that replaces the first; a
/// deleted service is DRAINING, then INACTIVE (or not found) with no configuration left.
pub async fn express_service_lives_updates_and_drains(run: &Run) -> Outcome {
    let cluster = run.cluster("express").await?;
    let arn = create(run, &cluster, &run.name("web")).await?;
    settled(run, &arn).await?;
    run.ecs()
        .update_express_gateway_service()
        .service_arn(&arn)
        .primary_container(container("public.ecr.aws/nginx/nginx:1.27")?)
        .cpu("512")
        .memory("1024")
        .send()
        .await
        .map_err(|e| format!("UpdateExpressGatewayService: {}", describe(&e)))?;
    let updated = settled(run, &arn).await?;
    let cpu = updated.active_configurations()[0].cpu().map(str::to_owned);
    ensure(cpu.as_deref() == Some("512"), || {
        format!("the update's cpu is not active: {cpu:?}")
    })?;
    run.ecs()
        .delete_express_gateway_service()
        .service_arn(&arn)
        .send()
        .await
        .map_err(|e| format!("DeleteExpressGatewayService: {}", describe(&e)))?;
    let draining = described(run, &arn).await?;
    ensure(
        draining
            .as_ref()
            .is_none_or(|s| status(s) != Some(&ExpressGatewayServiceStatusCode::Active)),
        || "a deleted Express service is still ACTIVE".into(),
    )?;
    run.eventually("the deleted Express service to be gone", || async {
        Ok(match described(run, &arn).await? {
            None => Some(()),
            Some(s) if status(&s) == Some(&ExpressGatewayServiceStatusCode::Inactive) => {
                s.active_configurations().is_empty().then_some(())
            }
            Some(_) => None,
        })
    })
    .await
}

/// A second create of a name the cluster's ACTIVE Express service has is refused.
pub async fn express_service_name_is_taken_once(run: &Run) -> Outcome {
    let cluster = run.cluster("express-twice").await?;
    let name = run.name("web");
    create(run, &cluster, &name).await?;
    match create(run, &cluster, &name).await {
        Err(refused) => {
            println!("a taken Express service name: {refused}");
            Ok(())
        }
        Ok(arn) => Err(format!(
            "a second Express service of the same name was created: {arn}"
        )),
    }
}

crate::conformance! {
    express;
    express_service_lives_updates_and_drains on [Double, Aws];
    express_service_name_is_taken_once on [Double, Aws];
}
