//! `CapacityProvider` end to end against moto: a provider for an Auto Scaling group becomes Ready with its managed
//! scaling, a cluster that references it waits for it, associates it and uses it as its default strategy, a
//! scaling change reaches ECS, and deletion waits while the cluster uses it and goes through once it does not.
//! A provider another namespace's live object owns is never adopted (nor deleted with the refused object), and
//! tag removal leaves the tags others put on a provider. A cluster's references add and remove only the providers
//! they associated (FARGATE and other teams' providers stay); a group is named by ARN or by name, and a default
//! strategy names a referenced provider by its object name or its ECS name.

use std::time::Duration;

use aws_sdk_ecs::types::{CapacityProviderField, ClusterField};
use ecs_bridge::api::{CapacityProvider, EcsCluster};
use kube::ResourceExt;
use serde_json::json;

use crate::harness::{Env, condition, eventually, unique};

const WAIT: Duration = Duration::from_secs(60);

/// Creates an Auto Scaling group (with a launch configuration) in moto and returns its ARN.
pub(crate) async fn auto_scaling_group(name: &str) -> String {
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

pub(crate) fn ready<K: kube::Resource>(
    conditions: Option<&[ecs_bridge::api::Condition]>,
    obj: &K,
) -> bool {
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
        "not-a-group-arn",
        "autoScalingGroupProvider: {autoScalingGroupArn: \"arn:aws:ec2:us-east-1:1:autoScalingGroup:x:autoScalingGroupName/a\"}",
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

/// The capacity providers of an ECS cluster, sorted.
async fn cluster_providers(env: &Env, cluster_name: &str) -> Vec<String> {
    let out = env
        .ecs
        .describe_clusters()
        .clusters(cluster_name)
        .send()
        .await
        .expect("describe clusters");
    let mut providers = out.clusters()[0].capacity_providers().to_vec();
    providers.sort();
    providers
}

/// Creates a capacity provider outside Kubernetes, as another team would.
async fn foreign_provider(env: &Env, name: &str) {
    let asg_arn = auto_scaling_group(&unique("asg")).await;
    env.ecs
        .create_capacity_provider()
        .name(name)
        .auto_scaling_group_provider(
            aws_sdk_ecs::types::AutoScalingGroupProvider::builder()
                .auto_scaling_group_arn(asg_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create another team's capacity provider");
}

#[tokio::test]
async fn references_add_and_remove_only_the_providers_they_associated() {
    let env = Env::new("cp-refs").await;
    let ecs_name = unique("cp");
    let cluster_name = unique("cp-cluster");
    let other = unique("cp-other");
    foreign_provider(&env, &other).await;
    let asg_arn = auto_scaling_group(&unique("asg")).await;
    env.apply::<CapacityProvider>(&provider_manifest(&ecs_name, &asg_arn, 80))
        .await;
    let cluster = |version: &str, refs: &str| {
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: web\nspec:\n  clusterName: \
             {cluster_name}\n  tags: {{version: \"{version}\"}}\n{refs}"
        )
    };
    env.apply::<EcsCluster>(&cluster("1", "  capacityProviderRefs: [{name: ec2}]\n"))
        .await;
    let web = env
        .wait_for::<EcsCluster>("web", WAIT, |c| {
            ready(c.status.as_ref().map(|s| s.conditions.as_slice()), c)
        })
        .await;
    assert_eq!(
        cluster_providers(&env, &cluster_name).await,
        vec![ecs_name.clone()]
    );
    let recorded = serde_json::to_value(web.status.as_ref().unwrap()).unwrap();
    assert_eq!(
        recorded["associatedCapacityProviders"],
        json!([ecs_name]),
        "the association is recorded in status"
    );

    // Others associate FARGATE and their own provider with the cluster (keeping ours, as ECS requires).
    let mut everything = vec![ecs_name.clone(), "FARGATE".to_owned(), other.clone()];
    env.ecs
        .put_cluster_capacity_providers()
        .cluster(&cluster_name)
        .set_capacity_providers(Some(everything.clone()))
        .set_default_capacity_provider_strategy(Some(vec![]))
        .send()
        .await
        .expect("associate FARGATE and another team's provider");

    // A spec change makes the operator apply the spec again: what it did not associate stays.
    env.apply::<EcsCluster>(&cluster("2", "  capacityProviderRefs: [{name: ec2}]\n"))
        .await;
    env.wait_for::<EcsCluster>("web", WAIT, |c| {
        ready(c.status.as_ref().map(|s| s.conditions.as_slice()), c)
    })
    .await;
    eventually(WAIT, "the new tag in ECS", || async {
        crate::cluster::ecs_cluster(&env, &cluster_name)
            .await
            .is_some_and(|c| {
                crate::cluster::tags_of(&c)
                    .get("version")
                    .map(String::as_str)
                    == Some("2")
            })
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    everything.sort();
    assert_eq!(
        cluster_providers(&env, &cluster_name).await,
        everything,
        "FARGATE and the other team's provider stay associated"
    );

    // The reference goes: its provider leaves the cluster, the others stay.
    env.apply::<EcsCluster>(&cluster("2", "")).await;
    let mut rest = vec!["FARGATE".to_owned(), other.clone()];
    rest.sort();
    eventually(
        WAIT,
        "the referenced provider to leave the cluster",
        || async { cluster_providers(&env, &cluster_name).await == rest },
    )
    .await;
    let web = env
        .wait_for::<EcsCluster>("web", WAIT, |c| {
            ready(c.status.as_ref().map(|s| s.conditions.as_slice()), c)
        })
        .await;
    let recorded = serde_json::to_value(web.status.as_ref().unwrap()).unwrap();
    assert!(
        recorded.get("associatedCapacityProviders").is_none(),
        "{recorded}"
    );
    env.delete::<CapacityProvider>("ec2").await;
    env.wait_gone::<CapacityProvider>("ec2", WAIT).await;

    // The other team takes its provider away; then the cluster goes.
    env.ecs
        .put_cluster_capacity_providers()
        .cluster(&cluster_name)
        .capacity_providers("FARGATE")
        .set_default_capacity_provider_strategy(Some(vec![]))
        .send()
        .await
        .expect("disassociate the other team's provider");
    env.delete::<EcsCluster>("web").await;
    env.wait_gone::<EcsCluster>("web", WAIT).await;
}

#[tokio::test]
async fn a_group_name_and_the_ecs_name_in_a_default_strategy_are_accepted() {
    let env = Env::new("cp-names").await;
    let ecs_name = unique("cp");
    let cluster_name = unique("cp-cluster");
    let group = unique("asg");
    let asg_arn = auto_scaling_group(&group).await;

    // CreateCapacityProvider takes the group's name as well as its ARN.
    env.apply::<CapacityProvider>(&provider_manifest(&ecs_name, &group, 80))
        .await;
    let provider = env
        .wait_for::<CapacityProvider>("ec2", WAIT, |p| {
            ready(p.status.as_ref().map(|s| s.conditions.as_slice()), p)
        })
        .await;
    assert_eq!(
        provider.status.unwrap().auto_scaling_group_name.as_deref(),
        Some(group.as_str())
    );

    // The default strategy names the provider as ECS does (its spec.name), as pasted ECS JSON would.
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: web\nspec:\n  clusterName: {cluster_name}\n  \
         capacityProviderRefs: [{{name: ec2}}]\n  defaultCapacityProviderStrategy: [{{capacityProvider: {ecs_name}, weight: 1}}]\n"
    ))
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
    let strategy = out.clusters()[0].default_capacity_provider_strategy();
    assert_eq!(strategy.len(), 1);
    assert_eq!(strategy[0].capacity_provider(), ecs_name);

    // Writing the same group by its ARN is no change of group: accepted, and the provider stays Ready.
    env.apply::<CapacityProvider>(&provider_manifest(&ecs_name, &asg_arn, 60))
        .await;
    env.wait_for::<CapacityProvider>("ec2", WAIT, |p| {
        ready(p.status.as_ref().map(|s| s.conditions.as_slice()), p)
            && p.status.as_ref().unwrap().target_capacity == Some(60)
    })
    .await;

    env.delete::<EcsCluster>("web").await;
    env.delete::<CapacityProvider>("ec2").await;
    env.wait_gone::<EcsCluster>("web", WAIT).await;
    env.wait_gone::<CapacityProvider>("ec2", WAIT).await;
    assert!(ecs_provider(&env, &ecs_name).await.is_none());
}
