//! `DaemonTaskDefinition` and `EcsDaemon` end to end against the ECS test double: a daemon rolls out each new
//! daemon task definition revision to Ready, and a failing one rolls back (Degraded, never deployed again until the
//! spec changes); a block removed from the spec is turned off in ECS; someone else's daemon of the same name is
//! refused until annotated for adoption; a daemon deleted together with its daemon task definition goes first, and
//! the revision it ran is deleted after it.

use std::time::Duration;

use ecs_bridge::api::{DaemonTaskDefinition, EcsDaemon};
use serde_json::json;

use crate::capacity_provider::ready;
use crate::harness::{Env, condition, unique};

const WAIT: Duration = Duration::from_secs(60);

/// An ECS cluster with one ECS Managed Instances capacity provider per name in `providers`, made in the double
/// directly.
pub(crate) async fn cluster_with_providers(env: &Env, providers: &[&str]) -> String {
    let cluster = unique("daemons");
    env.ecs
        .create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .expect("CreateCluster");
    for name in providers {
        let template = aws_sdk_ecs::types::InstanceLaunchTemplate::builder()
            .ec2_instance_profile_arn("arn:aws:iam::123456789012:instance-profile/ecs")
            .network_configuration(
                aws_sdk_ecs::types::ManagedInstancesNetworkConfiguration::builder()
                    .subnets("subnet-1")
                    .build(),
            )
            .build()
            .expect("a launch template");
        env.ecs
            .create_capacity_provider()
            .name(*name)
            .cluster(&cluster)
            .managed_instances_provider(
                aws_sdk_ecs::types::CreateManagedInstancesProviderConfiguration::builder()
                    .infrastructure_role_arn("arn:aws:iam::123456789012:role/ecs-infra")
                    .instance_launch_template(template)
                    .build()
                    .expect("a provider"),
            )
            .send()
            .await
            .expect("CreateCapacityProvider");
    }
    cluster
}

pub(crate) fn definition(image: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: DaemonTaskDefinition\nmetadata: {{name: agent}}\nspec:\n  \
         family: {family}\n  containerDefinitions: [{{name: agent, image: \"{image}\", memory: 128}}]\n",
        family = "FAMILY"
    )
}

pub(crate) fn daemon(name: &str, cluster: &str, providers: &str, extra: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsDaemon\nmetadata: {{name: agent}}\nspec:\n  daemonName: {name}\n  \
         cluster: {cluster}\n  capacityProviders: [{providers}]\n  daemonTaskDefinitionRef: {{name: agent}}\n{extra}"
    )
}

pub(crate) fn is_ready(d: &EcsDaemon) -> bool {
    ready(d.status.as_ref().map(|s| &s.conditions[..]), d)
}

fn degraded(d: &EcsDaemon) -> bool {
    d.status
        .as_ref()
        .and_then(|s| condition(&s.conditions, "Degraded"))
        .is_some_and(|c| c.status == "True")
}

pub(crate) fn running(d: &EcsDaemon) -> String {
    d.status
        .as_ref()
        .and_then(|s| s.daemon_task_definition_arn.clone())
        .unwrap_or_default()
}

/// The daemon task definition revisions ECS runs for the daemon now.
async fn ecs_revisions(env: &Env, arn: &str) -> Vec<String> {
    let daemon = env
        .ecs
        .describe_daemon()
        .daemon_arn(arn)
        .send()
        .await
        .expect("DescribeDaemon")
        .daemon
        .expect("a daemon");
    let revisions: Vec<String> = daemon
        .current_revisions()
        .iter()
        .filter_map(|r| r.arn().map(str::to_owned))
        .collect();
    let out = env
        .ecs
        .describe_daemon_revisions()
        .set_daemon_revision_arns(Some(revisions))
        .send()
        .await
        .expect("DescribeDaemonRevisions");
    out.daemon_revisions()
        .iter()
        .filter_map(|r| r.daemon_task_definition_arn().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_daemon_rolls_out_new_revisions_to_ready_and_a_failing_one_rolls_back_without_redeploying()
 {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "3"]);
    let env =
        Env::against_with_drift_interval(&unique("daemon"), &double.url, Duration::from_secs(2))
            .await;
    let cluster = cluster_with_providers(&env, &["mi-a"]).await;
    let family = unique("agent");
    let name = unique("agent");
    let dtd = |image: &str| definition(image).replace("FAMILY", &family);
    env.apply::<DaemonTaskDefinition>(&dtd("public.ecr.aws/agent:1"))
        .await;
    env.apply::<EcsDaemon>(&daemon(&name, &cluster, "mi-a", ""))
        .await;
    let first = env.wait_for::<EcsDaemon>("agent", WAIT, is_ready).await;
    let status = first.status.clone().expect("a status");
    assert_eq!(status.deployment_status.as_deref(), Some("SUCCESSFUL"));
    assert!(
        running(&first).ends_with(&format!("{family}:1")),
        "{status:?}"
    );
    let arn = status.daemon_arn.clone().expect("the daemon ARN");
    assert_eq!(
        status.running_count,
        Some(2),
        "one task per container instance"
    );

    // A new revision is rolled out to Ready.
    env.patch::<DaemonTaskDefinition>(
        "agent",
        json!({"spec": {"containerDefinitions": [{"name": "agent", "image": "public.ecr.aws/agent:2", "memory": 128}]}}),
    )
    .await;
    let second = env
        .wait_for::<EcsDaemon>("agent", WAIT, |d| {
            is_ready(d) && running(d).ends_with(&format!("{family}:2"))
        })
        .await;
    assert_eq!(ecs_revisions(&env, &arn).await, [running(&second)]);

    // A revision whose image does not pull trips the circuit breaker: Degraded, rolled back, not sent again.
    env.patch::<DaemonTaskDefinition>(
        "agent",
        json!({"spec": {"containerDefinitions": [{"name": "agent", "image": "registry.invalid/agent:3", "memory": 128}]}}),
    )
    .await;
    let rolled = env
        .wait_for::<EcsDaemon>("agent", WAIT, |d| {
            degraded(d)
                && d.status
                    .as_ref()
                    .and_then(|s| s.deployment_status.as_deref())
                    == Some("ROLLBACK_SUCCESSFUL")
        })
        .await;
    let rolled_status = rolled.status.clone().expect("a status");
    assert!(
        running(&rolled).ends_with(&format!("{family}:3")),
        "{rolled_status:?}"
    );
    assert!(!is_ready(&rolled));
    assert_eq!(
        ecs_revisions(&env, &arn).await,
        [running(&second)],
        "ECS runs the revision before the failing one"
    );
    tokio::time::sleep(Duration::from_secs(8)).await;
    let later = env.api::<EcsDaemon>().get("agent").await.expect("daemon");
    let later_status = later.status.clone().expect("a status");
    assert_eq!(
        later_status.deployment_arn, rolled_status.deployment_arn,
        "no new deployment of what ECS rolled back"
    );
    assert!(degraded(&later));

    // A spec change deploys again.
    env.patch::<DaemonTaskDefinition>(
        "agent",
        json!({"spec": {"containerDefinitions": [{"name": "agent", "image": "public.ecr.aws/agent:4", "memory": 128}]}}),
    )
    .await;
    let fixed = env
        .wait_for::<EcsDaemon>("agent", WAIT, |d| {
            is_ready(d) && running(d).ends_with(&format!("{family}:4"))
        })
        .await;
    assert!(!degraded(&fixed));

    env.delete::<EcsDaemon>("agent").await;
    env.delete::<DaemonTaskDefinition>("agent").await;
    env.wait_gone::<EcsDaemon>("agent", WAIT).await;
    env.wait_gone::<DaemonTaskDefinition>("agent", WAIT).await;
    let gone = env.ecs.describe_daemon().daemon_arn(&arn).send().await;
    assert!(gone.is_err(), "ECS no longer knows the daemon: {gone:?}");
    let left = env
        .ecs
        .list_daemon_task_definitions()
        .family(&family)
        .status(aws_sdk_ecs::types::DaemonTaskDefinitionStatusFilter::Active)
        .send()
        .await
        .expect("ListDaemonTaskDefinitions");
    assert!(left.daemon_task_definitions().is_empty(), "{left:?}");
}
