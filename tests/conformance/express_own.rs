//! Express Mode behaviours of `docs/ecs-behaviour.md` the operator builds on beyond the image (entries 196, 197
//! and 199): an Express service is a service of its cluster that DescribeServices shows under its name with the
//! ARN and tags DescribeExpressGatewayService has, its tags change through TagResource and UntagResource on that
//! ARN, and a task definition of one's own (a `Main` container with one named TCP port, FARGATE) is what its
//! configuration runs.

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, ExpressGatewayServiceInclude, NetworkMode, PortMapping,
    Tag, TransportProtocol,
};

use crate::express::{create, roles, settled};
use crate::harness::{Outcome, Run, describe, ensure};

/// The tags DescribeExpressGatewayService reports for `arn`, as `key=value`.
async fn express_tags(run: &Run, arn: &str) -> Result<Vec<String>, String> {
    let out = run
        .ecs()
        .describe_express_gateway_service()
        .service_arn(arn)
        .include(ExpressGatewayServiceInclude::Tags)
        .send()
        .await
        .map_err(|e| format!("DescribeExpressGatewayService: {}", describe(&e)))?;
    Ok(out
        .service()
        .map(|s| s.tags())
        .unwrap_or_default()
        .iter()
        .map(|t| {
            format!(
                "{}={}",
                t.key().unwrap_or_default(),
                t.value().unwrap_or_default()
            )
        })
        .collect())
}

/// DescribeServices finds an Express service by name, with its ARN and tags; TagResource and UntagResource on
/// that ARN change the tags DescribeExpressGatewayService reports.
pub async fn express_service_is_a_service_of_its_cluster_tagged_by_arn(run: &Run) -> Outcome {
    let cluster = run.cluster("express-tags").await?;
    let name = run.name("web");
    let arn = create(run, &cluster, &name).await?;
    let out = run
        .ecs()
        .describe_services()
        .cluster(&cluster)
        .services(&name)
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .map_err(|e| format!("DescribeServices: {}", describe(&e)))?;
    let service = out
        .services()
        .first()
        .ok_or_else(|| format!("DescribeServices does not show Express service {name}: {out:?}"))?;
    ensure(service.service_arn() == Some(arn.as_str()), || {
        format!(
            "DescribeServices shows ARN {:?}, the create answered {arn}",
            service.service_arn()
        )
    })?;
    let run_tag = run.tags().first().and_then(|t| t.key().map(str::to_owned));
    ensure(
        run_tag.is_none_or(|key| service.tags().iter().any(|t| t.key() == Some(key.as_str()))),
        || {
            format!(
                "DescribeServices does not show the create's tags: {:?}",
                service.tags()
            )
        },
    )?;
    run.ecs()
        .tag_resource()
        .resource_arn(&arn)
        .tags(Tag::builder().key("conformance-extra").value("1").build())
        .send()
        .await
        .map_err(|e| format!("TagResource: {}", describe(&e)))?;
    let tagged = express_tags(run, &arn).await?;
    ensure(tagged.contains(&"conformance-extra=1".to_owned()), || {
        format!("TagResource did not reach the Express service: {tagged:?}")
    })?;
    run.ecs()
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("conformance-extra")
        .send()
        .await
        .map_err(|e| format!("UntagResource: {}", describe(&e)))?;
    let untagged = express_tags(run, &arn).await?;
    ensure(
        !untagged.iter().any(|t| t.starts_with("conformance-extra=")),
        || format!("UntagResource did not reach the Express service: {untagged:?}"),
    )
}

/// An Express service created from a task definition of one's own runs that revision.
pub async fn express_service_runs_a_task_definition_of_ones_own(run: &Run) -> Outcome {
    let cluster = run.cluster("express-td").await?;
    let (execution, infrastructure) = roles(run)?;
    let family = run.name("express");
    let main = ContainerDefinition::builder()
        .name("Main")
        .image("public.ecr.aws/nginx/nginx:1.27")
        .essential(true)
        .port_mappings(
            PortMapping::builder()
                .container_port(80)
                .name("http")
                .protocol(TransportProtocol::Tcp)
                .build(),
        )
        .build();
    let registered = run
        .ecs()
        .register_task_definition()
        .family(&family)
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .execution_role_arn(execution)
        .container_definitions(main)
        .set_tags(Some(run.tags()))
        .send()
        .await
        .map_err(|e| format!("RegisterTaskDefinition: {}", describe(&e)))?;
    run.track_family(&family);
    let td = registered
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .ok_or("RegisterTaskDefinition returned no ARN")?
        .to_owned();
    let out = run
        .ecs()
        .create_express_gateway_service()
        .cluster(&cluster)
        .service_name(run.name("own"))
        .infrastructure_role_arn(infrastructure)
        .task_definition_arn(&td)
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
    let service = settled(run, &arn).await?;
    let running = service.active_configurations()[0]
        .task_definition_arn()
        .map(str::to_owned);
    ensure(running.as_deref() == Some(td.as_str()), || {
        format!("the configuration runs {running:?}, not the task definition given, {td}")
    })
}

crate::conformance! {
    express_own;
    express_service_is_a_service_of_its_cluster_tagged_by_arn on [Double, Aws];
    express_service_runs_a_task_definition_of_ones_own on [Double, Aws];
}
