//! A whole Managed Daemons stack against the ECS test double: an `EcsCluster`, its ECS Managed Instances
//! `CapacityProvider`, a `DaemonTaskDefinition` and the `EcsDaemon` on them. Once Ready, drift passes only read
//! (no registration, create or update); deleted all at once, the daemon goes first, and the capacity provider and
//! the revision it ran stay until ECS no longer reports it.

use std::time::Duration;

use aws_sdk_ecs::types::DaemonTaskDefinitionStatus;
use ecs_bridge::api::{CapacityProvider, DaemonTaskDefinition, EcsCluster, EcsDaemon};

use crate::daemon::{definition, is_ready, running};
use crate::harness::{Env, unique};
use crate::service_truth::calls;

const WAIT: Duration = Duration::from_secs(90);

/// The calls of a Ready daemon's steady state, and those that would change something.
const READS: [&str; 5] = [
    "DescribeDaemon",
    "DescribeDaemonDeployments",
    "ListTagsForResource",
    "DescribeDaemonTaskDefinition",
    "ListDaemonTaskDefinitions",
];
const WRITES: [&str; 4] = [
    "RegisterDaemonTaskDefinition",
    "CreateDaemon",
    "UpdateDaemon",
    "DeleteDaemonTaskDefinition",
];

#[tokio::test]
async fn a_daemon_stack_reads_only_once_ready_and_is_deleted_daemon_first() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "3"]);
    let drift = Duration::from_secs(2);
    let env = Env::against_with_drift_interval(&unique("daemon-stack"), &double.url, drift).await;
    let cluster = unique("daemons");
    let family = unique("agent");
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: web}}\nspec:\n  clusterName: {cluster}\n  \
         capacityProviderRefs: [{{name: mi}}]\n"
    ))
    .await;
    env.apply::<CapacityProvider>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: CapacityProvider\nmetadata: {{name: mi}}\nspec:\n  cluster: {cluster}\n  \
         managedInstancesProvider:\n    infrastructureRoleArn: arn:aws:iam::123456789012:role/ecs-infra\n    \
         instanceLaunchTemplate:\n      ec2InstanceProfileArn: arn:aws:iam::123456789012:instance-profile/ecs\n      \
         networkConfiguration: {{subnets: [subnet-1], securityGroups: [sg-1]}}\n"
    ))
    .await;
    env.apply::<DaemonTaskDefinition>(
        &definition("public.ecr.aws/agent:1").replace("FAMILY", &family),
    )
    .await;
    env.apply::<EcsDaemon>(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsDaemon\nmetadata: {name: agent}\nspec:\n  clusterRef: {name: web}\n  \
         capacityProviderRefs: [{name: mi}]\n  daemonTaskDefinitionRef: {name: agent}\n",
    )
    .await;
    let ready = env.wait_for::<EcsDaemon>("agent", WAIT, is_ready).await;
    let revision = running(&ready);
    let daemon_arn = ready.status.clone().unwrap().daemon_arn.unwrap();

    // Steady state: five drift passes read and change nothing.
    let before: Vec<u64> = READS
        .iter()
        .chain(&WRITES)
        .map(|op| calls(&double, op))
        .collect();
    let passes = 5;
    tokio::time::sleep(drift * passes).await;
    let after: Vec<u64> = READS
        .iter()
        .chain(&WRITES)
        .map(|op| calls(&double, op))
        .collect();
    let delta: Vec<(&str, u64)> = READS
        .iter()
        .chain(&WRITES)
        .zip(before.iter().zip(&after))
        .map(|(op, (b, a))| (*op, a - b))
        .collect();
    println!("{passes} drift passes of a Ready daemon and its daemon task definition: {delta:?}");
    for (op, n) in &delta {
        if WRITES.contains(op) {
            assert_eq!(*n, 0, "{op} in the steady state: {delta:?}");
        } else {
            assert!(
                *n <= 3 * u64::from(passes),
                "{op} more than three times a pass: {delta:?}"
            );
        }
    }

    // All at once: the daemon goes first; its capacity provider and its revision stay until ECS forgets it.
    env.delete::<EcsCluster>("web").await;
    env.delete::<CapacityProvider>("mi").await;
    env.delete::<DaemonTaskDefinition>("agent").await;
    env.delete::<EcsDaemon>("agent").await;
    loop {
        let daemon_known = env
            .ecs
            .describe_daemon()
            .daemon_arn(&daemon_arn)
            .send()
            .await
            .is_ok();
        let provider = env
            .ecs
            .describe_capacity_providers()
            .capacity_providers("mi")
            .send()
            .await
            .expect("DescribeCapacityProviders");
        let provider_active = provider
            .capacity_providers()
            .iter()
            .any(|p| p.status().is_some_and(|s| s.as_str() == "ACTIVE"));
        let definition = env
            .ecs
            .describe_daemon_task_definition()
            .daemon_task_definition(&revision)
            .send()
            .await
            .expect("DescribeDaemonTaskDefinition");
        let definition_active = definition.daemon_task_definition().and_then(|d| d.status())
            == Some(&DaemonTaskDefinitionStatus::Active);
        if !daemon_known {
            break;
        }
        assert!(
            provider_active && definition_active,
            "while ECS reports the daemon, its capacity provider ({provider_active}) and revision \
             ({definition_active}) stay ACTIVE"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    env.wait_gone::<EcsDaemon>("agent", WAIT).await;
    env.wait_gone::<DaemonTaskDefinition>("agent", WAIT).await;
    env.wait_gone::<CapacityProvider>("mi", WAIT).await;
    env.wait_gone::<EcsCluster>("web", WAIT).await;
    let out = env
        .ecs
        .describe_clusters()
        .clusters(&cluster)
        .send()
        .await
        .expect("DescribeClusters");
    assert_eq!(out.clusters()[0].status(), Some("INACTIVE"));
}
