//! Task definition behaviours of `docs/ecs-behaviour.md` (entries 33–48): the defaults ECS fills in, that every
//! registration adds a revision, what deregistration and deletion do, and that `familyPrefix` names one family.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;
use aws_sdk_ecs::types::{
    ContainerDefinition, HealthCheck, KeyValuePair, NetworkMode, PortMapping, TaskDefinition,
    TaskDefinitionStatus, Volume,
};

use crate::harness::{Outcome, Run, describe, ensure};

/// A RegisterTaskDefinition request for `family` with one small container, tagged for the run.
fn request(run: &Run, family: &str) -> RegisterTaskDefinitionFluentBuilder {
    run.track_family(family);
    run.ecs()
        .register_task_definition()
        .family(family)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("public.ecr.aws/docker/library/busybox:1")
                .memory(128)
                .build(),
        )
        .set_tags(Some(run.tags()))
}

/// Sends a registration and returns the task definition ECS answers with.
async fn send(request: RegisterTaskDefinitionFluentBuilder) -> Result<TaskDefinition, String> {
    let out = request
        .send()
        .await
        .map_err(|e| format!("RegisterTaskDefinition: {}", describe(&e)))?;
    out.task_definition
        .ok_or_else(|| "RegisterTaskDefinition returned no task definition".to_owned())
}

/// ARNs ListTaskDefinitions returns for `family_prefix` and `status`.
async fn listed(
    run: &Run,
    family_prefix: &str,
    status: TaskDefinitionStatus,
) -> Result<Vec<String>, String> {
    let out = run
        .ecs()
        .list_task_definitions()
        .family_prefix(family_prefix)
        .status(status)
        .send()
        .await
        .map_err(|e| format!("ListTaskDefinitions: {}", describe(&e)))?;
    Ok(out.task_definition_arns().to_vec())
}

/// Entries 33–36, 38, 40, 43: ECS returns health check timing, port protocol and awsvpc host port, `[]` for the
/// empty container lists, `configuredAtLaunch: false`, integer task sizes, and drops a variable without a value;
/// a variable whose value is `""` is kept or dropped (sources disagree: entry 38).
pub async fn register_fills_in_container_defaults(run: &Run) -> Outcome {
    let family = run.name("defaults");
    let container = ContainerDefinition::builder()
        .name("web")
        .image("public.ecr.aws/docker/library/nginx:1")
        .memory(128)
        .port_mappings(PortMapping::builder().container_port(80).build())
        .health_check(
            HealthCheck::builder()
                .command("CMD-SHELL")
                .command("true")
                .build()
                .map_err(|e| e.to_string())?,
        )
        .environment(KeyValuePair::builder().name("SET").value("1").build())
        .environment(KeyValuePair::builder().name("EMPTY").value("").build())
        .environment(KeyValuePair::builder().name("UNSET").build())
        .build();
    let td = send(
        request(run, &family)
            .set_container_definitions(Some(vec![container]))
            .network_mode(NetworkMode::Awsvpc)
            .cpu("1 vCPU")
            .memory("2 GB")
            .volumes(Volume::builder().name("scratch").build()),
    )
    .await?;
    let c = td
        .container_definitions()
        .first()
        .ok_or("no container came back")?;
    let check = c.health_check().ok_or("the health check is gone")?;
    ensure(
        (check.interval(), check.timeout(), check.retries()) == (Some(30), Some(5), Some(3)),
        || format!("health check defaults: {check:?}"),
    )?;
    let port = c.port_mappings().first().ok_or("no port mapping")?;
    ensure(
        port.host_port() == Some(80) && port.protocol().map(|p| p.as_str()) == Some("tcp"),
        || format!("awsvpc port mapping: {port:?}"),
    )?;
    ensure(c.mount_points.is_some() && c.volumes_from.is_some(), || {
        format!(
            "mountPoints {:?} volumesFrom {:?}",
            c.mount_points, c.volumes_from
        )
    })?;
    let mut names: Vec<_> = c.environment().iter().filter_map(|e| e.name()).collect();
    names.sort_unstable();
    ensure(names == ["SET"] || names == ["EMPTY", "SET"], || {
        format!("environment names {names:?}")
    })?;
    let volume = td.volumes().first().ok_or("no volume")?;
    ensure(volume.configured_at_launch() == Some(false), || {
        format!("volume: {volume:?}")
    })?;
    ensure(td.placement_constraints.is_some(), || {
        "placementConstraints left out".into()
    })?;
    ensure(
        (td.cpu(), td.memory()) == (Some("1024"), Some("2048")),
        || format!("cpu {:?} memory {:?}", td.cpu(), td.memory()),
    )
}

/// Entries 42, 46: a deregistered revision is INACTIVE, still describable by ARN, listed as INACTIVE.
pub async fn deregistered_revisions_stay_describable_as_inactive(run: &Run) -> Outcome {
    let family = run.name("inactive");
    let arn = send(request(run, &family))
        .await?
        .task_definition_arn
        .ok_or("no ARN")?;
    let out = run
        .ecs()
        .deregister_task_definition()
        .task_definition(&arn)
        .send()
        .await
        .map_err(|e| format!("DeregisterTaskDefinition: {}", describe(&e)))?;
    let status = out.task_definition().and_then(|t| t.status().cloned());
    ensure(status == Some(TaskDefinitionStatus::Inactive), || {
        format!("DeregisterTaskDefinition answered status {status:?}")
    })?;
    let described = run
        .ecs()
        .describe_task_definition()
        .task_definition(&arn)
        .send()
        .await
        .map_err(|e| {
            format!(
                "DescribeTaskDefinition of an INACTIVE revision: {}",
                describe(&e)
            )
        })?;
    let status = described
        .task_definition()
        .and_then(|t| t.status().cloned());
    ensure(status == Some(TaskDefinitionStatus::Inactive), || {
        format!("DescribeTaskDefinition shows status {status:?}")
    })?;
    let inactive = listed(run, &family, TaskDefinitionStatus::Inactive).await?;
    ensure(inactive == [arn.clone()], || {
        format!("INACTIVE listing {inactive:?}")
    })
}

/// Entry 44: the same request twice registers two revisions.
pub async fn register_task_definition_is_not_idempotent(run: &Run) -> Outcome {
    let family = run.name("twice");
    let first = send(request(run, &family)).await?.revision;
    let second = send(request(run, &family)).await?.revision;
    ensure(second == first + 1, || {
        format!("revisions {first} and then {second}")
    })?;
    let active = listed(run, &family, TaskDefinitionStatus::Active).await?;
    ensure(active.len() == 2, || format!("ACTIVE revisions {active:?}"))
}

/// Entry 47: DeleteTaskDefinitions refuses an ACTIVE revision (per ARN or for the whole call) and moves an
/// INACTIVE one to DELETE_IN_PROGRESS.
pub async fn delete_task_definitions_takes_only_inactive_revisions(run: &Run) -> Outcome {
    let family = run.name("delete");
    let active = send(request(run, &family))
        .await?
        .task_definition_arn
        .ok_or("no ARN")?;
    let refused = run
        .ecs()
        .delete_task_definitions()
        .task_definitions(&active)
        .send()
        .await;
    match refused {
        Ok(out) => ensure(
            out.failures()
                .iter()
                .any(|f| f.arn() == Some(active.as_str()))
                && out.task_definitions().is_empty(),
            || format!("deleting an ACTIVE revision answered {out:?}"),
        )?,
        Err(e) => ensure(e.code() == Some("ClientException"), || {
            format!("deleting an ACTIVE revision: {}", describe(&e))
        })?,
    }
    run.ecs()
        .deregister_task_definition()
        .task_definition(&active)
        .send()
        .await
        .map_err(|e| format!("DeregisterTaskDefinition: {}", describe(&e)))?;
    let out = run
        .ecs()
        .delete_task_definitions()
        .task_definitions(&active)
        .send()
        .await
        .map_err(|e| format!("DeleteTaskDefinitions: {}", describe(&e)))?;
    let status = out
        .task_definitions()
        .first()
        .and_then(|t| t.status().cloned());
    ensure(
        out.failures().is_empty() && status == Some(TaskDefinitionStatus::DeleteInProgress),
        || format!("deleting an INACTIVE revision answered {out:?}"),
    )
}

/// Entry 48: `familyPrefix` is the whole family: `web` lists neither `web-a` nor `we`.
pub async fn family_prefix_matches_the_whole_family(run: &Run) -> Outcome {
    let family = run.name("web");
    let longer = format!("{family}-a");
    send(request(run, &family)).await?;
    send(request(run, &longer)).await?;
    let exact = listed(run, &family, TaskDefinitionStatus::Active).await?;
    ensure(
        exact.len() == 1 && exact[0].ends_with(&format!("/{family}:1")),
        || format!("familyPrefix {family} listed {exact:?}"),
    )?;
    let prefix = &family[..family.len() - 1];
    let partial = listed(run, prefix, TaskDefinitionStatus::Active).await?;
    ensure(partial.is_empty(), || {
        format!("familyPrefix {prefix} listed {partial:?}")
    })
}

crate::conformance! {
    task_definitions;
    register_fills_in_container_defaults on [Double, Aws];
    deregistered_revisions_stay_describable_as_inactive on [Double, Moto, Aws];
    register_task_definition_is_not_idempotent on [Double, Moto, Aws];
    delete_task_definitions_takes_only_inactive_revisions on [Double, Aws];
    family_prefix_matches_the_whole_family on [Double, Moto, Aws];
}
