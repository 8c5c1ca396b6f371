//! `EcsDaemon` edges against the ECS test double: a block removed from the spec (alarms, a capacity provider) is
//! turned off in ECS; someone else's daemon of the same name is refused, never changed, until annotated for
//! adoption; a daemon task definition deleted before its daemon keeps the revision the daemon runs until ECS
//! no longer reports the daemon; a revision a daemon outside Kubernetes runs is never deleted; `deletionPolicy:
//! Retain` leaves the daemon and its revision.

use std::time::Duration;

use aws_sdk_ecs::types::{DaemonContainerDefinition, DaemonTaskDefinitionStatus};
use ecs_bridge::api::{DaemonTaskDefinition, EcsDaemon};
use serde_json::json;

use crate::daemon::{cluster_with_providers, daemon, definition, is_ready, running};
use crate::harness::{Env, condition, eventually, unique};

const WAIT: Duration = Duration::from_secs(60);

/// The deployment ECS reports for the daemon's newest deployment.
async fn ecs_deployment(env: &Env, d: &EcsDaemon) -> aws_sdk_ecs::types::DaemonDeployment {
    let arn = d
        .status
        .as_ref()
        .and_then(|s| s.deployment_arn.clone())
        .expect("a deployment");
    env.ecs
        .describe_daemon_deployments()
        .daemon_deployment_arns(arn)
        .send()
        .await
        .expect("DescribeDaemonDeployments")
        .daemon_deployments()[0]
        .clone()
}

#[tokio::test]
async fn a_removed_alarms_block_and_capacity_provider_are_turned_off_in_ecs() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "2"]);
    let env = Env::against(&unique("daemon-blocks"), &double.url).await;
    let cluster = cluster_with_providers(&env, &["mi-a", "mi-b"]).await;
    let family = unique("agent");
    env.apply::<DaemonTaskDefinition>(
        &definition("public.ecr.aws/agent:1").replace("FAMILY", &family),
    )
    .await;
    let alarms = "  deploymentConfiguration:\n    bakeTimeInMinutes: 1\n    alarms: {enable: true, alarmNames: [agent-errors]}\n";
    env.apply::<EcsDaemon>(&daemon(&unique("agent"), &cluster, "mi-a, mi-b", alarms))
        .await;
    let first = env.wait_for::<EcsDaemon>("agent", WAIT, is_ready).await;
    let deployed = ecs_deployment(&env, &first).await;
    assert_eq!(
        deployed
            .alarms()
            .and_then(|a| a.status())
            .map(|s| s.as_str()),
        Some("MONITORING")
    );
    assert_eq!(
        first.status.as_ref().unwrap().capacity_provider_arns.len(),
        2
    );

    env.patch::<EcsDaemon>(
        "agent",
        json!({"spec": {"deploymentConfiguration": null, "capacityProviders": ["mi-a"]}}),
    )
    .await;
    let second = env
        .wait_for::<EcsDaemon>("agent", WAIT, |d| {
            is_ready(d) && d.metadata.generation == Some(2)
        })
        .await;
    let deployed = ecs_deployment(&env, &second).await;
    assert_eq!(
        deployed
            .alarms()
            .and_then(|a| a.status())
            .map(|s| s.as_str()),
        Some("DISABLED"),
        "alarms removed from the spec are turned off: {deployed:?}"
    );
    assert_eq!(
        deployed
            .deployment_configuration()
            .map(|c| c.bake_time_in_minutes()),
        Some(0)
    );
    let providers = deployed
        .target_daemon_revision()
        .map(|r| r.capacity_providers().len());
    assert_eq!(providers, Some(1), "{deployed:?}");
    env.delete::<EcsDaemon>("agent").await;
    env.delete::<DaemonTaskDefinition>("agent").await;
    env.wait_gone::<EcsDaemon>("agent", WAIT).await;
    env.wait_gone::<DaemonTaskDefinition>("agent", WAIT).await;
}

#[tokio::test]
async fn someone_elses_daemon_of_the_same_name_is_refused_until_annotated_for_adoption() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "2"]);
    let env = Env::against(&unique("daemon-foreign"), &double.url).await;
    let cluster = cluster_with_providers(&env, &["mi"]).await;
    let name = unique("agent");
    let theirs = env
        .ecs
        .register_daemon_task_definition()
        .family(unique("theirs"))
        .container_definitions(
            DaemonContainerDefinition::builder()
                .name("agent")
                .image("public.ecr.aws/theirs:1")
                .build()
                .expect("a container"),
        )
        .send()
        .await
        .expect("RegisterDaemonTaskDefinition");
    let created = env
        .ecs
        .create_daemon()
        .daemon_name(&name)
        .cluster_arn(&cluster)
        .daemon_task_definition_arn(theirs.daemon_task_definition_arn().unwrap())
        .capacity_provider_arns("mi")
        .send()
        .await
        .expect("CreateDaemon");
    let arn = created.daemon_arn().unwrap().to_owned();
    let family = unique("agent");
    env.apply::<DaemonTaskDefinition>(
        &definition("public.ecr.aws/agent:1").replace("FAMILY", &family),
    )
    .await;
    env.apply::<EcsDaemon>(&daemon(&name, &cluster, "mi", ""))
        .await;
    let refused = env
        .wait_for::<EcsDaemon>("agent", WAIT, |d| {
            d.status
                .as_ref()
                .and_then(|s| condition(&s.conditions, "Synced"))
                .is_some_and(|c| c.status == "False" && c.reason == "AlreadyExists")
        })
        .await;
    assert_eq!(refused.status.unwrap().daemon_arn, None, "not adopted");
    let untouched = env
        .ecs
        .describe_daemon()
        .daemon_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        untouched.daemon().and_then(|d| d.deployment_arn()),
        created.deployment_arn(),
        "nothing was deployed to someone else's daemon"
    );

    env.patch::<EcsDaemon>(
        "agent",
        json!({"metadata": {"annotations": {"ecsbridge.dev/adopt": "true"}}}),
    )
    .await;
    let adopted = env
        .wait_for::<EcsDaemon>("agent", WAIT, |d| {
            is_ready(d) && running(d).contains(&family)
        })
        .await;
    let status = adopted.status.clone().unwrap();
    assert_eq!(status.daemon_arn.as_deref(), Some(arn.as_str()));
    assert!(status.adopted_at.is_some());
    let tags = env
        .ecs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == Some("ecsbridge.dev/uid")),
        "{tags:?}"
    );
    env.delete::<EcsDaemon>("agent").await;
    env.wait_gone::<EcsDaemon>("agent", WAIT).await;
    env.delete::<DaemonTaskDefinition>("agent").await;
    env.wait_gone::<DaemonTaskDefinition>("agent", WAIT).await;
}

#[tokio::test]
async fn a_daemon_task_definition_deleted_before_its_daemon_keeps_the_running_revision_until_the_daemon_is_gone()
 {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "3"]);
    let env = Env::against(&unique("daemon-together"), &double.url).await;
    let cluster = cluster_with_providers(&env, &["mi"]).await;
    let family = unique("agent");
    env.apply::<DaemonTaskDefinition>(
        &definition("public.ecr.aws/agent:1").replace("FAMILY", &family),
    )
    .await;
    env.apply::<EcsDaemon>(&daemon(&unique("agent"), &cluster, "mi", ""))
        .await;
    let ready = env.wait_for::<EcsDaemon>("agent", WAIT, is_ready).await;
    let revision = running(&ready);
    let daemon_arn = ready.status.unwrap().daemon_arn.unwrap();

    // The daemon task definition first, the daemon a moment later (as `kubectl delete -f` of one file may).
    env.delete::<DaemonTaskDefinition>("agent").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    env.delete::<EcsDaemon>("agent").await;
    let status = |env: &Env, arn: String| {
        let ecs = env.ecs.clone();
        async move {
            ecs.describe_daemon_task_definition()
                .daemon_task_definition(arn)
                .send()
                .await
                .expect("DescribeDaemonTaskDefinition")
                .daemon_task_definition()
                .and_then(|d| d.status().cloned())
        }
    };
    loop {
        let daemon_known = env
            .ecs
            .describe_daemon()
            .daemon_arn(&daemon_arn)
            .send()
            .await
            .is_ok();
        let revision_status = status(&env, revision.clone()).await;
        if !daemon_known {
            break;
        }
        assert_eq!(
            revision_status,
            Some(DaemonTaskDefinitionStatus::Active),
            "the revision the daemon runs stays ACTIVE while ECS reports the daemon"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    env.wait_gone::<EcsDaemon>("agent", WAIT).await;
    env.wait_gone::<DaemonTaskDefinition>("agent", WAIT).await;
    eventually(WAIT, "the revision deleted after the daemon", || {
        let revision = revision.clone();
        let env = &env;
        async move { status(env, revision).await != Some(DaemonTaskDefinitionStatus::Active) }
    })
    .await;
}

#[tokio::test]
async fn deletion_policy_retain_leaves_the_daemon_and_its_revision_running() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "2"]);
    let env = Env::against(&unique("daemon-retain"), &double.url).await;
    let cluster = cluster_with_providers(&env, &["mi"]).await;
    let family = unique("agent");
    env.apply::<DaemonTaskDefinition>(
        &(definition("public.ecr.aws/agent:1").replace("FAMILY", &family)
            + "  deletionPolicy: Retain\n"),
    )
    .await;
    env.apply::<EcsDaemon>(&daemon(
        &unique("agent"),
        &cluster,
        "mi",
        "  deletionPolicy: Retain\n",
    ))
    .await;
    let ready = env.wait_for::<EcsDaemon>("agent", WAIT, is_ready).await;
    let arn = ready.status.clone().unwrap().daemon_arn.unwrap();
    let revision = running(&ready);
    env.delete::<EcsDaemon>("agent").await;
    env.delete::<DaemonTaskDefinition>("agent").await;
    env.wait_gone::<EcsDaemon>("agent", WAIT).await;
    env.wait_gone::<DaemonTaskDefinition>("agent", WAIT).await;
    let kept = env
        .ecs
        .describe_daemon()
        .daemon_arn(&arn)
        .send()
        .await
        .expect("the daemon stays");
    assert_eq!(
        kept.daemon().and_then(|d| d.status()).map(|s| s.as_str()),
        Some("ACTIVE")
    );
    let definition = env
        .ecs
        .describe_daemon_task_definition()
        .daemon_task_definition(&revision)
        .send()
        .await
        .expect("the revision stays");
    assert_eq!(
        definition.daemon_task_definition().and_then(|d| d.status()),
        Some(&DaemonTaskDefinitionStatus::Active)
    );
}

#[tokio::test]
async fn a_revision_a_daemon_outside_kubernetes_runs_is_never_deleted() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "2"]);
    let env = Env::against(&unique("daemon-unmanaged"), &double.url).await;
    let cluster = cluster_with_providers(&env, &["mi"]).await;
    let family = unique("agent");
    let dtd =
        |image: &str| definition(image).replace("FAMILY", &family) + "  revisionHistoryLimit: 0\n";
    env.apply::<DaemonTaskDefinition>(&dtd("public.ecr.aws/agent:1"))
        .await;
    let first = env
        .wait_for::<DaemonTaskDefinition>("agent", WAIT, |d| {
            d.status.as_ref().and_then(|s| s.revision) == Some(1)
        })
        .await
        .status
        .unwrap()
        .latest_arn
        .unwrap();
    // A daemon no object manages runs revision 1.
    env.ecs
        .create_daemon()
        .daemon_name(unique("theirs"))
        .cluster_arn(&cluster)
        .daemon_task_definition_arn(&first)
        .capacity_provider_arns("mi")
        .send()
        .await
        .expect("CreateDaemon");
    env.patch::<DaemonTaskDefinition>(
        "agent",
        json!({"spec": {"containerDefinitions": [{"name": "agent", "image": "public.ecr.aws/agent:2", "memory": 128}]}}),
    )
    .await;
    env.wait_for::<DaemonTaskDefinition>("agent", WAIT, |d| {
        d.status.as_ref().and_then(|s| s.revision) == Some(2)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status = |arn: String| {
        let ecs = env.ecs.clone();
        async move {
            ecs.describe_daemon_task_definition()
                .daemon_task_definition(arn)
                .send()
                .await
                .expect("DescribeDaemonTaskDefinition")
                .daemon_task_definition()
                .and_then(|d| d.status().cloned())
        }
    };
    assert_eq!(
        status(first.clone()).await,
        Some(DaemonTaskDefinitionStatus::Active),
        "revisionHistoryLimit 0 keeps the revision a daemon runs"
    );
    env.delete::<DaemonTaskDefinition>("agent").await;
    env.wait_gone::<DaemonTaskDefinition>("agent", WAIT).await;
    assert_eq!(
        status(first).await,
        Some(DaemonTaskDefinitionStatus::Active),
        "deleting the object keeps the revision a daemon runs"
    );
}
