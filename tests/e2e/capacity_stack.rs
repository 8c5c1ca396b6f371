//! Capacity providers with the clusters that use them, as users apply and delete them together: the EC2 example
//! (`examples/manifests/ec2-stack.yaml`) is deleted with one `kubectl delete -f` and leaves nothing in ECS (moto);
//! on the ECS test double, which knows Managed Instances providers, a cluster applied before the Managed Instances
//! provider it references and the provider both become Ready, and go together; a provider whose update failed is
//! Degraded with ECS's reason and does not hold up the clusters that use it.

use std::time::Duration;

use ecs_bridge::api::{CapacityProvider, EcsCluster, EcsService, TaskDefinition};
use serde::Deserialize;

use crate::capacity_provider::{auto_scaling_group, ready};
use crate::harness::{Env, condition, eventually, unique};
use crate::tools::{kubectl, must, repo};

const WAIT: Duration = Duration::from_secs(90);
const EXAMPLE: &str = "examples/manifests/ec2-stack.yaml";

/// The EC2 example with ECS names of this run (moto is shared by the tests) and an Auto Scaling group that exists
/// in moto; the object names stay, so that `kubectl delete -f` of the example finds them.
fn example_for_this_run(names: &Names) -> String {
    let text = std::fs::read_to_string(repo().join(EXAMPLE)).expect("the example");
    let mut documents = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&text) {
        let mut value = serde_yaml::Value::deserialize(document).expect("an example object");
        let kind = value["kind"].as_str().unwrap_or_default().to_owned();
        let name = value["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let spec = &mut value["spec"];
        match kind.as_str() {
            "CapacityProvider" => {
                spec["name"] = names.provider.clone().into();
                spec["autoScalingGroupProvider"]["autoScalingGroupArn"] =
                    names.group.clone().into();
            }
            "EcsCluster" => spec["clusterName"] = names.cluster.clone().into(),
            "TaskDefinition" => spec["family"] = format!("{}-{name}", names.suffix).into(),
            "EcsService" => {
                if let Some(items) = spec["capacityProviderStrategy"].as_sequence_mut() {
                    for item in items {
                        item["capacityProvider"] = names.provider.clone().into();
                    }
                }
            }
            other => panic!("unexpected kind {other} in the example"),
        }
        documents.push(serde_yaml::to_string(&value).unwrap());
    }
    documents.join("---\n")
}

struct Names {
    suffix: String,
    provider: String,
    cluster: String,
    group: String,
}

fn synced<K: kube::Resource>(conditions: Option<&[ecs_bridge::api::Condition]>, obj: &K) -> bool {
    conditions
        .and_then(|c| condition(c, "Synced"))
        .is_some_and(|s| s.status == "True" && s.observed_generation == obj.meta().generation)
}

#[tokio::test]
async fn deleting_the_ec2_example_finishes_and_leaves_nothing_in_ecs() {
    let env = Env::new("ec2-stack").await;
    let suffix = unique("run");
    let names = Names {
        provider: format!("{suffix}-cp"),
        cluster: format!("{suffix}-ec2"),
        group: auto_scaling_group(&format!("{suffix}-asg")).await,
        suffix,
    };
    let namespace = env.namespace.as_str();
    must(
        "kubectl apply of the example",
        kubectl(
            &["apply", "-n", namespace, "-f", "-"],
            Some(&example_for_this_run(&names)),
        ),
    );
    env.wait_for::<CapacityProvider>("demo-ec2", WAIT, |p| {
        ready(p.status.as_ref().map(|s| s.conditions.as_slice()), p)
    })
    .await;
    env.wait_for::<EcsCluster>("ec2-demo", WAIT, |c| {
        ready(c.status.as_ref().map(|s| s.conditions.as_slice()), c)
    })
    .await;
    let mut families = Vec::new();
    for name in ["web-bridge", "log-agent"] {
        let td = env
            .wait_for::<TaskDefinition>(name, WAIT, |t| {
                ready(t.status.as_ref().map(|s| s.conditions.as_slice()), t)
            })
            .await;
        families.push(td.status.unwrap().family.unwrap());
    }
    for name in ["web-ec2", "log-agent"] {
        env.wait_for::<EcsService>(name, WAIT, |s| {
            synced(s.status.as_ref().map(|s| s.conditions.as_slice()), s)
                && s.status.as_ref().is_some_and(|s| s.arn.is_some())
        })
        .await;
    }

    // One delete of the whole file, as a user would: it finishes. (kubectl waits for the objects to go; it runs
    // off the test's runtime, where the operator runs.)
    let args = ["delete", "-n", namespace, "-f", EXAMPLE, "--timeout=150s"].map(str::to_owned);
    let deleted = tokio::task::spawn_blocking(move || {
        kubectl(&args.iter().map(String::as_str).collect::<Vec<_>>(), None)
    })
    .await
    .unwrap();
    assert!(
        deleted.ok,
        "kubectl delete -f {EXAMPLE} did not finish:\n{}\n{}",
        deleted.stdout, deleted.stderr
    );
    for (kind, name) in [
        ("capacityproviders", "demo-ec2"),
        ("ecsclusters", "ec2-demo"),
        ("ecsservices", "web-ec2"),
        ("taskdefinitions", "web-bridge"),
    ] {
        let left = kubectl(
            &["get", kind, name, "-n", namespace, "--ignore-not-found"],
            None,
        );
        assert!(
            left.ok && left.stdout.trim().is_empty(),
            "{kind}/{name}: {}",
            left.stdout
        );
    }

    // Nothing is left in ECS: no ACTIVE cluster, provider, service or revision.
    let clusters = env
        .ecs
        .describe_clusters()
        .clusters(&names.cluster)
        .send()
        .await
        .expect("describe clusters");
    assert!(
        clusters
            .clusters()
            .iter()
            .all(|c| c.status() != Some("ACTIVE")),
        "{clusters:?}"
    );
    let providers = env
        .ecs
        .describe_capacity_providers()
        .capacity_providers(&names.provider)
        .send()
        .await
        .expect("describe capacity providers");
    assert!(
        providers
            .capacity_providers()
            .iter()
            .all(|p| p.status().is_none_or(|s| s.as_str() != "ACTIVE")),
        "{providers:?}"
    );
    let services = env
        .ecs
        .describe_services()
        .cluster(&names.cluster)
        .services("web-ec2")
        .services("log-agent")
        .send()
        .await;
    if let Ok(services) = services {
        assert!(
            services
                .services()
                .iter()
                .all(|s| s.status() != Some("ACTIVE")),
            "{services:?}"
        );
    }
    for family in families {
        let revisions = env
            .ecs
            .list_task_definitions()
            .family_prefix(&family)
            .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            .send()
            .await
            .expect("list task definitions");
        assert!(
            revisions.task_definition_arns().is_empty(),
            "{family}: {:?}",
            revisions.task_definition_arns()
        );
    }
}

/// A Managed Instances provider of `cluster` (ECS name), as a manifest.
fn managed_instances(cluster: &str, launch_template: bool) -> String {
    let template = if launch_template {
        "\n    instanceLaunchTemplate:\n      ec2InstanceProfileArn: arn:aws:iam::123456789012:instance-profile/ecs\n      \
         networkConfiguration: {subnets: [subnet-1], securityGroups: [sg-1]}"
    } else {
        ""
    };
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: CapacityProvider\nmetadata:\n  name: mi\nspec:\n  cluster: {cluster}\n  \
         managedInstancesProvider:\n    infrastructureRoleArn: arn:aws:iam::123456789012:role/ecs-infra{template}\n"
    )
}

#[tokio::test]
async fn a_cluster_and_the_managed_instances_provider_it_references_come_and_go_together() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let env = Env::against(&unique("cp-mi"), &double.url).await;
    let cluster_name = unique("mi-cluster");

    // The cluster first, naming the provider in its default strategy, then the provider.
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: web\nspec:\n  clusterName: {cluster_name}\n  \
         capacityProviderRefs: [{{name: mi}}]\n  defaultCapacityProviderStrategy: [{{capacityProvider: mi, weight: 1}}]\n"
    ))
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    env.apply::<CapacityProvider>(&managed_instances(&cluster_name, true))
        .await;
    env.wait_for::<CapacityProvider>("mi", WAIT, |p| {
        ready(p.status.as_ref().map(|s| s.conditions.as_slice()), p)
    })
    .await;
    env.wait_for::<EcsCluster>("web", WAIT, |c| {
        ready(c.status.as_ref().map(|s| s.conditions.as_slice()), c)
    })
    .await;
    let out = env
        .ecs
        .describe_clusters()
        .clusters(&cluster_name)
        .send()
        .await
        .expect("describe clusters");
    let cluster = &out.clusters()[0];
    assert_eq!(cluster.capacity_providers(), ["mi".to_owned()]);
    let strategy = cluster.default_capacity_provider_strategy();
    assert_eq!(strategy.len(), 1);
    assert_eq!(strategy[0].capacity_provider(), "mi");

    // Both go at once: the provider first (ECS refuses to delete a cluster that still has it), then the cluster.
    env.delete::<EcsCluster>("web").await;
    env.delete::<CapacityProvider>("mi").await;
    env.wait_gone::<CapacityProvider>("mi", WAIT).await;
    env.wait_gone::<EcsCluster>("web", WAIT).await;
    let out = env
        .ecs
        .describe_clusters()
        .clusters(&cluster_name)
        .send()
        .await
        .expect("describe clusters");
    assert_eq!(out.clusters()[0].status(), Some("INACTIVE"));
}

#[tokio::test]
async fn a_managed_instances_provider_without_its_launch_template_is_refused_before_aws() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let env = Env::against(&unique("cp-mi-bad"), &double.url).await;
    let cluster_name = unique("mi-cluster");
    // What the schema's CEL rules refuse is refused at admission; the operator refuses the rest itself.
    let refused = env
        .try_apply::<CapacityProvider>(&managed_instances(&cluster_name, false))
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("instanceLaunchTemplate"), "{refused}");
    assert_eq!(
        crate::service_truth::calls(&double, "CreateCapacityProvider"),
        0
    );
}

/// An Auto Scaling group the double cannot update.
const INVALID_GROUP: &str = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f:autoScalingGroupName/web.invalid";

#[tokio::test]
async fn a_failed_provider_update_is_degraded_and_does_not_hold_up_its_clusters() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let env = Env::against(&unique("cp-failed"), &double.url).await;
    let (ecs_name, cluster_name) = (unique("cp"), unique("cluster"));
    // The double cannot update a group under the reserved `.invalid` domain: the update ends in UPDATE_FAILED.
    let provider = |target: i32| {
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: CapacityProvider\nmetadata:\n  name: ec2\nspec:\n  name: {ecs_name}\n  \
             autoScalingGroupProvider:\n    autoScalingGroupArn: \"{INVALID_GROUP}\"\n    managedScaling: {{status: ENABLED, targetCapacity: {target}}}\n"
        )
    };
    let cluster = |version: &str| {
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: web\nspec:\n  clusterName: {cluster_name}\n  \
             capacityProviderRefs: [{{name: ec2}}]\n  tags: {{version: \"{version}\"}}\n"
        )
    };
    env.apply::<CapacityProvider>(&provider(80)).await;
    env.apply::<EcsCluster>(&cluster("1")).await;
    env.wait_for::<EcsCluster>("web", WAIT, |c| {
        ready(c.status.as_ref().map(|s| s.conditions.as_slice()), c)
    })
    .await;

    env.apply::<CapacityProvider>(&provider(50)).await;
    let failed = env
        .wait_for::<CapacityProvider>("ec2", WAIT, |p| {
            p.status
                .as_ref()
                .and_then(|s| condition(&s.conditions, "Degraded"))
                .is_some_and(|d| d.status == "True" && d.reason == "UpdateFailed")
        })
        .await;
    let status = failed.status.as_ref().unwrap();
    let degraded = condition(&status.conditions, "Degraded").unwrap();
    assert!(
        degraded.message.contains("could not be updated"),
        "ECS's reason is shown: {}",
        degraded.message
    );
    assert_eq!(status.update_status.as_deref(), Some("UPDATE_FAILED"));
    let ready_condition = condition(&status.conditions, "Ready").unwrap();
    assert_eq!(ready_condition.status, "False");

    // The cluster that uses it still follows its own spec.
    env.apply::<EcsCluster>(&cluster("2")).await;
    env.wait_for::<EcsCluster>("web", WAIT, |c| {
        ready(c.status.as_ref().map(|s| s.conditions.as_slice()), c)
    })
    .await;
    // And the failed update is not sent again and again while the spec stays as it is.
    let updates = crate::service_truth::calls(&double, "UpdateCapacityProvider");
    tokio::time::sleep(Duration::from_secs(25)).await;
    assert_eq!(
        crate::service_truth::calls(&double, "UpdateCapacityProvider"),
        updates,
        "no repeated UpdateCapacityProvider"
    );
    eventually(WAIT, "the provider still Degraded", || async {
        env.api::<CapacityProvider>()
            .get("ec2")
            .await
            .ok()
            .and_then(|p| p.status)
            .is_some_and(|s| {
                condition(&s.conditions, "Degraded").is_some_and(|d| d.status == "True")
            })
    })
    .await;
}
