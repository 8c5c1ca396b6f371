//! `ecsbridge.dev/read-only: "true"` on CapacityProvider (observed like a service: never written, drift shown and
//! not reverted, left in ECS on deletion, NotFound when missing, handed over with adopt), and the refusal of EcsTask
//! and EcsCronTask, which have no lasting ECS object to observe.

use aws_sdk_ecs::types::{
    AutoScalingGroupProvider, ManagedScaling, ManagedScalingStatus, ManagedTerminationProtection,
    Tag,
};
use ecs_bridge::api::{CapacityProvider, EcsCronTask, EcsTask};

use crate::harness::{Env, condition, unique};
use crate::read_only_service::{
    DRIFT_INTERVAL, READ_ONLY, WAIT, annotated, drift_of, shows, write_calls,
};

fn provider_yaml(object: &str, name: &str, annotations: &str, target: i32) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: CapacityProvider\nmetadata:\n  name: {object}\n{}spec:\n  name: {name}\n  \
         autoScalingGroupProvider:\n    autoScalingGroupArn: asg-{name}\n    managedScaling: {{status: ENABLED, targetCapacity: {target}}}\n  \
         tags: {{team: ops}}\n",
        annotated(annotations)
    )
}

fn provider_shows(cp: &CapacityProvider, type_: &str, status: &str, reason: &str) -> bool {
    let conditions = cp.status.as_ref().map(|s| s.conditions.as_slice());
    shows(cp, conditions, type_, status, reason)
}

async fn ecs_target_capacity(env: &Env, name: &str) -> (Option<String>, Option<i32>) {
    let out = env
        .ecs
        .describe_capacity_providers()
        .capacity_providers(name)
        .send()
        .await
        .expect("describe capacity providers");
    let provider = &out.capacity_providers()[0];
    let target = provider
        .auto_scaling_group_provider()
        .and_then(|a| a.managed_scaling())
        .and_then(|s| s.target_capacity());
    (provider.status().map(|s| s.as_str().to_owned()), target)
}

async fn set_target_capacity(env: &Env, name: &str, target: i32) {
    env.ecs
        .update_capacity_provider()
        .name(name)
        .auto_scaling_group_provider(
            aws_sdk_ecs::types::AutoScalingGroupProviderUpdate::builder()
                .managed_scaling(
                    ManagedScaling::builder()
                        .status(ManagedScalingStatus::Enabled)
                        .target_capacity(target)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("update the provider out of band");
}

#[tokio::test]
async fn a_read_only_capacity_provider_observes_never_writes_and_can_be_handed_over() {
    let double = ecs_double::spawn(&[]);
    let env = Env::against_with_drift_interval(&unique("ro-cp"), &double.url, DRIFT_INTERVAL).await;
    let name = unique("cp");
    env.ecs
        .create_capacity_provider()
        .name(&name)
        .auto_scaling_group_provider(
            AutoScalingGroupProvider::builder()
                .auto_scaling_group_arn(format!("asg-{name}"))
                .managed_scaling(
                    ManagedScaling::builder()
                        .status(ManagedScalingStatus::Enabled)
                        .target_capacity(80)
                        .build(),
                )
                .managed_termination_protection(ManagedTerminationProtection::Disabled)
                .build()
                .unwrap(),
        )
        .tags(Tag::builder().key("team").value("ops").build())
        .send()
        .await
        .expect("a provider made outside Kubernetes");
    let writes = write_calls(&double);

    env.apply::<CapacityProvider>(&provider_yaml("ec2", &name, READ_ONLY, 80))
        .await;
    let seen = env
        .wait_for::<CapacityProvider>("ec2", WAIT, |c| {
            provider_shows(c, "Ready", "True", "Active")
                && provider_shows(c, "InSync", "True", "InSync")
        })
        .await;
    let status = seen.status.as_ref().unwrap();
    assert!(status.arn.as_deref().is_some_and(|a| a.ends_with(&name)));
    assert_eq!(status.target_capacity, Some(80));
    env.apply::<CapacityProvider>(&provider_yaml("ghost", &unique("none"), READ_ONLY, 80))
        .await;
    env.wait_for::<CapacityProvider>("ghost", WAIT, |c| {
        provider_shows(c, "Synced", "False", "NotFound")
    })
    .await;
    assert_eq!(write_calls(&double), writes, "not one write call");

    // Out of band, the target capacity changes: drift, not reverted.
    set_target_capacity(&env, &name, 95).await;
    let writes = write_calls(&double);
    let drifted = env
        .wait_for::<CapacityProvider>("ec2", WAIT, |c| {
            provider_shows(c, "InSync", "False", "Drifted")
        })
        .await;
    assert_eq!(
        drift_of(&drifted.status.as_ref().unwrap().drift),
        [(
            "spec.autoScalingGroupProvider.managedScaling.targetCapacity".to_owned(),
            "80".to_owned(),
            "95".to_owned()
        )]
    );
    tokio::time::sleep(DRIFT_INTERVAL * 3).await;
    assert_eq!(ecs_target_capacity(&env, &name).await.1, Some(95));
    assert_eq!(write_calls(&double), writes, "nothing reverted");

    // Deleting a read-only provider leaves it in ECS.
    env.delete::<CapacityProvider>("ec2").await;
    env.wait_gone::<CapacityProvider>("ec2", WAIT).await;
    assert_eq!(
        ecs_target_capacity(&env, &name).await,
        (Some("ACTIVE".to_owned()), Some(95))
    );
    assert_eq!(write_calls(&double), writes, "no write on deletion");

    // Managed again, with adopt: the spec's target capacity reaches ECS.
    env.apply::<CapacityProvider>(&provider_yaml(
        "ec2",
        &name,
        "ecsbridge.dev/adopt: \"true\"",
        80,
    ))
    .await;
    env.wait_for::<CapacityProvider>("ec2", WAIT, |c| {
        provider_shows(c, "Synced", "True", "Applied")
            && provider_shows(c, "Ready", "True", "Active")
    })
    .await;
    assert_eq!(ecs_target_capacity(&env, &name).await.1, Some(80));
    drop(double);
}

#[tokio::test]
async fn a_read_only_task_or_cron_task_is_refused_saying_what_to_do_and_runs_nothing() {
    let double = ecs_double::spawn(&[]);
    let env = Env::against(&unique("ro-task"), &double.url).await;
    env.apply::<EcsTask>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsTask\nmetadata:\n  name: job\n{}spec:\n  cluster: main\n  \
         taskDefinition: job\n  launchType: EC2\n",
        annotated(READ_ONLY)
    ))
    .await;
    env.apply::<EcsCronTask>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCronTask\nmetadata:\n  name: nightly\n{}spec:\n  \
         schedule: \"*/1 * * * *\"\n  taskTemplate:\n    spec:\n      cluster: main\n      taskDefinition: job\n      \
         launchType: EC2\n",
        annotated(READ_ONLY)
    ))
    .await;
    let refused = |conditions: Option<&[ecs_bridge::api::Condition]>| {
        conditions
            .and_then(|c| condition(c, "Synced"))
            .is_some_and(|c| {
                c.reason == "InvalidSpec"
                    && c.message.contains("ecsbridge.dev/read-only")
                    && c.message.contains("remove the annotation")
            })
    };
    env.wait_for::<EcsTask>("job", WAIT, |t| {
        refused(t.status.as_ref().map(|s| s.conditions.as_slice()))
    })
    .await;
    let cron = env
        .wait_for::<EcsCronTask>("nightly", WAIT, |t| {
            refused(t.status.as_ref().map(|s| s.conditions.as_slice()))
        })
        .await;
    let status = cron.status.unwrap();
    let message = &condition(&status.conditions, "Synced").unwrap().message;
    assert!(message.contains("spec.suspend"), "{message}");
    assert_eq!(write_calls(&double), 0, "nothing run, nothing written");
    drop(double);
}
