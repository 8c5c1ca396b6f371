//! `CapacityProvider` end to end against moto: a provider for an Auto Scaling group becomes Ready with its managed
//! scaling, a cluster that references it waits for it, associates it and uses it as its default strategy, a
//! scaling change reaches ECS, and deletion waits while the cluster uses it and goes through once it does not.
//! A provider another namespace's live object owns is never adopted (nor deleted with the refused object), and
//! tag removal leaves the tags others put on a provider.

use std::time::Duration;

use aws_sdk_ecs::types::{CapacityProviderField, ClusterField};
use ecs_bridge::api::{CapacityProvider, EcsCluster};
use kube::ResourceExt;
use serde_json::json;

use crate::harness::{Env, condition, eventually, unique};

const WAIT: Duration = Duration::from_secs(60);

/// Creates an Auto Scaling group (with a launch configuration) in moto and returns its ARN.
async fn auto_scaling_group(name: &str) -> String {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_ECS").expect("moto's endpoint");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .load()
        .await;
    let region = config.region().expect("a region").to_string();
    let autoscaling = aws_sdk_autoscaling::Client::new(&config);
    autoscaling
        .create_launch_configuration()
        .launch_configuration_name(name)
        .image_id("ami-12c6146b")
        .instance_type("t2.micro")
        .send()
        .await
        .expect("create launch configuration");
    autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_configuration_name(name)
        .min_size(0)
        .max_size(2)
        .availability_zones(format!("{region}a"))
        .send()
        .await
        .expect("create Auto Scaling group");
    let groups = autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .expect("describe Auto Scaling groups");
    groups.auto_scaling_groups()[0]
        .auto_scaling_group_arn()
        .expect("an ARN")
        .to_owned()
}

fn provider_manifest(ecs_name: &str, asg_arn: &str, target: i32) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: CapacityProvider\nmetadata:\n  name: ec2\nspec:\n  name: {ecs_name}\n  \
         autoScalingGroupProvider:\n    autoScalingGroupArn: \"{asg_arn}\"\n    managedScaling: {{status: ENABLED, \
         targetCapacity: {target}, minimumScalingStepSize: 1, maximumScalingStepSize: 5, instanceWarmupPeriod: 60}}\n    \
         managedTerminationProtection: DISABLED\n  tags: {{team: web}}\n"
    )
}

fn ready<K: kube::Resource>(conditions: Option<&[ecs_bridge::api::Condition]>, obj: &K) -> bool {
    conditions
        .and_then(|c| condition(c, "Ready"))
        .is_some_and(|r| r.status == "True" && r.observed_generation == obj.meta().generation)
}

/// The provider as ECS reports it, while it is ACTIVE.
async fn ecs_provider(env: &Env, name: &str) -> Option<aws_sdk_ecs::types::CapacityProvider> {
    let out = env
        .ecs
        .describe_capacity_providers()
        .capacity_providers(name)
        .include(CapacityProviderField::Tags)
        .send()
        .await
        .expect("describe capacity providers");
    out.capacity_providers()
        .iter()
        .find(|p| p.status().is_some_and(|s| s.as_str() == "ACTIVE"))
        .cloned()
}

fn target_capacity(provider: &aws_sdk_ecs::types::CapacityProvider) -> Option<i32> {
    provider
        .auto_scaling_group_provider()
        .and_then(|a| a.managed_scaling())
        .and_then(|s| s.target_capacity())
}

#[tokio::test]
async fn auto_scaling_group_provider_serves_a_cluster_then_leaves_with_it() {
    let env = Env::new("cp-life").await;
    let ecs_name = unique("cp");
    let cluster_name = unique("cp-cluster");
    let asg_arn = auto_scaling_group(&unique("asg")).await;

    // The cluster comes first and waits for the provider it references.
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: web\nspec:\n  clusterName: {cluster_name}\n  \
         capacityProviders: [FARGATE]\n  capacityProviderRefs: [{{name: ec2}}]\n  \
         defaultCapacityProviderStrategy: [{{capacityProvider: ec2, weight: 1}}]\n"
    ))
    .await;
    env.wait_for::<EcsCluster>("web", WAIT, |c| {
        c.status
            .as_ref()
            .and_then(|s| condition(&s.conditions, "Synced"))
            .is_some_and(|s| s.reason == "DependencyNotReady" && s.message.contains("ec2"))
    })
    .await;

    env.apply::<CapacityProvider>(&provider_manifest(&ecs_name, &asg_arn, 80))
        .await;
    let provider = env
        .wait_for::<CapacityProvider>("ec2", WAIT, |p| {
            ready(p.status.as_ref().map(|s| s.conditions.as_slice()), p)
        })
        .await;
    let status = provider.status.as_ref().unwrap();
    assert_eq!(status.target_capacity, Some(80));
    assert_eq!(status.type_.as_deref(), Some("EC2_AUTOSCALING"));
    assert_eq!(status.name.as_deref(), Some(ecs_name.as_str()));
    assert!(asg_arn.ends_with(status.auto_scaling_group_name.as_deref().unwrap()));
    let in_ecs = ecs_provider(&env, &ecs_name)
        .await
        .expect("provider in ECS");
    assert_eq!(target_capacity(&in_ecs), Some(80));
    assert!(
        in_ecs
            .tags()
            .iter()
            .any(|t| t.key() == Some("ecsbridge.dev/uid")
                && t.value() == provider.metadata.uid.as_deref())
    );

    // The provider's Ready wakes the cluster (its own retry would come after 30 s).
    env.wait_for::<EcsCluster>("web", Duration::from_secs(25), |c| {
        ready(c.status.as_ref().map(|s| s.conditions.as_slice()), c)
    })
    .await;
    let cluster = env
        .ecs
        .describe_clusters()
        .clusters(&cluster_name)
        .include(ClusterField::Settings)
        .send()
        .await
        .expect("describe clusters")
        .clusters()[0]
        .clone();
    assert!(cluster.capacity_providers().contains(&ecs_name));
    assert!(cluster.capacity_providers().contains(&"FARGATE".to_owned()));
    let strategy = cluster.default_capacity_provider_strategy();
    assert_eq!(strategy.len(), 1);
    assert_eq!(strategy[0].capacity_provider(), ecs_name);

    // A managed scaling change reaches ECS in place.
    env.apply::<CapacityProvider>(&provider_manifest(&ecs_name, &asg_arn, 50))
        .await;
    env.wait_for::<CapacityProvider>("ec2", WAIT, |p| {
        ready(p.status.as_ref().map(|s| s.conditions.as_slice()), p)
            && p.status.as_ref().unwrap().target_capacity == Some(50)
    })
    .await;
    let in_ecs = ecs_provider(&env, &ecs_name)
        .await
        .expect("provider in ECS");
    assert_eq!(target_capacity(&in_ecs), Some(50));
    assert_eq!(
        in_ecs.capacity_provider_arn(),
        provider.status.unwrap().arn.as_deref()
    );

    // Deleting the provider waits while the cluster uses it, naming the cluster.
    env.delete::<CapacityProvider>("ec2").await;
    env.wait_for::<CapacityProvider>("ec2", WAIT, |p| {
        p.status
            .as_ref()
            .and_then(|s| condition(&s.conditions, "Ready"))
            .is_some_and(|r| r.reason == "Deleting" && r.message.contains("web"))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(
        ecs_provider(&env, &ecs_name).await.is_some(),
        "still in ECS while the cluster uses it"
    );
    assert!(
        env.api::<CapacityProvider>()
            .get_opt("ec2")
            .await
            .unwrap()
            .is_some()
    );

    // Once the cluster drops the reference, the provider leaves the cluster and ECS.
    env.patch::<EcsCluster>(
        "web",
        json!({"spec": {"capacityProviderRefs": null,
            "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]}}),
    )
    .await;
    env.wait_gone::<CapacityProvider>("ec2", WAIT).await;
    assert!(ecs_provider(&env, &ecs_name).await.is_none());
    let cluster = env
        .wait_for::<EcsCluster>("web", WAIT, |c| {
            ready(c.status.as_ref().map(|s| s.conditions.as_slice()), c)
        })
        .await;
    let providers = env
        .ecs
        .describe_clusters()
        .clusters(&cluster_name)
        .send()
        .await
        .expect("describe clusters")
        .clusters()[0]
        .capacity_providers()
        .to_vec();
    assert_eq!(providers, vec!["FARGATE".to_owned()]);

    env.delete::<EcsCluster>(&cluster.name_any()).await;
    env.wait_gone::<EcsCluster>("web", WAIT).await;
}

#[tokio::test]
async fn invalid_providers_are_reported_without_any_aws_call() {
    let env = Env::new("cp-invalid").await;
    let cases = [(
        "not-an-arn",
        "autoScalingGroupProvider: {autoScalingGroupArn: my-asg}",
        "spec.autoScalingGroupProvider.autoScalingGroupArn",
    )];
    for (object, spec, field) in cases {
        let ecs_name = unique("cp-bad");
        env.apply::<CapacityProvider>(&format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: CapacityProvider\nmetadata:\n  name: {object}\nspec:\n  \
             name: {ecs_name}\n  {spec}\n"
        ))
        .await;
        env.wait_for::<CapacityProvider>(object, WAIT, |p| {
            p.status
                .as_ref()
                .and_then(|s| condition(&s.conditions, "Synced"))
                .is_some_and(|s| s.reason == "InvalidSpec" && s.message.contains(field))
        })
        .await;
        assert!(ecs_provider(&env, &ecs_name).await.is_none(), "{object}");
    }
    // The schema and its CEL rules refuse what they can express before the operator sees it.
    let both = env
        .try_apply::<CapacityProvider>(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: CapacityProvider\nmetadata:\n  name: both\nspec:\n  \
             autoScalingGroupProvider: {autoScalingGroupArn: \"arn:aws:autoscaling:us-east-1:1:autoScalingGroup:u:autoScalingGroupName/a\"}\n  \
             managedInstancesProvider: {infrastructureRoleArn: \"arn:aws:iam::1:role/r\"}\n  cluster: web\n",
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        both.contains("set exactly one of autoScalingGroupProvider"),
        "{both}"
    );
    let refused = env
        .try_apply::<CapacityProvider>(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: CapacityProvider\nmetadata:\n  name: range\nspec:\n  \
             autoScalingGroupProvider:\n    autoScalingGroupArn: x\n    managedScaling: {targetCapacity: 101}\n",
        )
        .await;
    assert!(
        refused.is_err(),
        "targetCapacity 101 is refused by the schema"
    );
}

/// The value of tag `key` on a provider as ECS reports it.
fn tag_of(provider: &aws_sdk_ecs::types::CapacityProvider, key: &str) -> Option<String> {
    provider
        .tags()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
        .map(str::to_owned)
}

#[tokio::test]
async fn another_namespace_cannot_adopt_a_provider_a_live_object_owns() {
    let owner = Env::new("cp-owner").await;
    let ecs_name = unique("cp-owned");
    let asg_arn = auto_scaling_group(&unique("asg")).await;
    owner
        .apply::<CapacityProvider>(&provider_manifest(&ecs_name, &asg_arn, 80))
        .await;
    let owned = owner
        .wait_for::<CapacityProvider>("ec2", WAIT, |p| {
            ready(p.status.as_ref().map(|s| s.conditions.as_slice()), p)
        })
        .await;
    let uid = owned.metadata.uid.clone().unwrap();

    // Another namespace asks to adopt the same ECS provider (same group, other scaling and tags).
    let thief = Env::new("cp-thief").await;
    let takeover = provider_manifest(&ecs_name, &asg_arn, 50)
        .replace(
            "metadata:\n  name: ec2\n",
            "metadata:\n  name: ec2\n  annotations: {ecsbridge.dev/adopt: \"true\"}\n",
        )
        .replace("tags: {team: web}", "tags: {team: thief}");
    thief.apply::<CapacityProvider>(&takeover).await;
    let refused = thief
        .wait_for::<CapacityProvider>("ec2", WAIT, |p| {
            p.status
                .as_ref()
                .and_then(|s| condition(&s.conditions, "Synced"))
                .is_some_and(|c| c.status == "False" && c.reason == "OwnedByAnother")
        })
        .await;
    let message = &condition(&refused.status.as_ref().unwrap().conditions, "Synced")
        .unwrap()
        .message;
    assert!(
        message.contains(&format!("{}/ec2", owner.namespace)),
        "the message names the owner: {message}"
    );
    thief
        .wait_event("ec2", "Warning", "OwnedByAnother", WAIT)
        .await;

    // Nothing of the owner's provider changed: not retagged, not rescaled.
    let in_ecs = ecs_provider(&owner, &ecs_name)
        .await
        .expect("provider in ECS");
    assert_eq!(tag_of(&in_ecs, "ecsbridge.dev/uid"), Some(uid.clone()));
    assert_eq!(
        tag_of(&in_ecs, "ecsbridge.dev/owner"),
        Some(format!("{}/ec2", owner.namespace))
    );
    assert_eq!(tag_of(&in_ecs, "team").as_deref(), Some("web"));
    assert_eq!(target_capacity(&in_ecs), Some(80));

    // Deleting the refused object leaves the owner's provider in ECS.
    thief.delete::<CapacityProvider>("ec2").await;
    thief.wait_gone::<CapacityProvider>("ec2", WAIT).await;
    let in_ecs = ecs_provider(&owner, &ecs_name)
        .await
        .expect("the owner's provider is still in ECS");
    assert_eq!(tag_of(&in_ecs, "ecsbridge.dev/uid"), Some(uid));
    owner
        .wait_for::<CapacityProvider>("ec2", WAIT, |p| {
            ready(p.status.as_ref().map(|s| s.conditions.as_slice()), p)
        })
        .await;

    owner.delete::<CapacityProvider>("ec2").await;
    owner.wait_gone::<CapacityProvider>("ec2", WAIT).await;
    assert!(ecs_provider(&owner, &ecs_name).await.is_none());
}

#[tokio::test]
async fn provider_tag_removal_leaves_tags_others_added() {
    let env = Env::new("cp-tags").await;
    let ecs_name = unique("cp-tags");
    let asg_arn = auto_scaling_group(&unique("asg")).await;
    let with_cost = provider_manifest(&ecs_name, &asg_arn, 80)
        .replace("tags: {team: web}", "tags: {team: web, cost: a}");
    env.apply::<CapacityProvider>(&with_cost).await;
    let provider = env
        .wait_for::<CapacityProvider>("ec2", WAIT, |p| {
            ready(p.status.as_ref().map(|s| s.conditions.as_slice()), p)
        })
        .await;
    let arn = provider.status.unwrap().arn.unwrap();
    env.ecs
        .tag_resource()
        .resource_arn(&arn)
        .tags(
            aws_sdk_ecs::types::Tag::builder()
                .key("cost-center")
                .value("finance")
                .build(),
        )
        .send()
        .await
        .expect("tag outside Kubernetes");

    // The spec drops `cost`: the operator removes it, and only it.
    env.apply::<CapacityProvider>(&provider_manifest(&ecs_name, &asg_arn, 80))
        .await;
    eventually(WAIT, "tag cost removed from the provider", || async {
        ecs_provider(&env, &ecs_name)
            .await
            .is_some_and(|p| tag_of(&p, "cost").is_none())
    })
    .await;
    let in_ecs = ecs_provider(&env, &ecs_name)
        .await
        .expect("provider in ECS");
    assert_eq!(
        tag_of(&in_ecs, "cost-center").as_deref(),
        Some("finance"),
        "a tag added outside Kubernetes stays"
    );
    assert_eq!(tag_of(&in_ecs, "team").as_deref(), Some("web"));

    env.delete::<CapacityProvider>("ec2").await;
    env.wait_gone::<CapacityProvider>("ec2", WAIT).await;
}
