//! Changes behind the operator's back, with the AWS SDK against the double: a managed or unmanaged field, someone
//! else's tag, scaling policy or capacity provider association.

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_ecs::types::{
    AutoScalingGroupProvider, AutoScalingGroupProviderUpdate, ClusterSetting, ClusterSettingName,
    DeploymentConfiguration, DeploymentLifecycleHook, DeploymentLifecycleHookStage,
    DeploymentStrategy, ManagedDraining, ManagedScaling, ManagedScalingStatus, PropagateTags, Tag,
};
use serde_json::Value;

use crate::snapshot::{Clients, FOREIGN_TAG};
use crate::stack::{Names, Obj, group_arn};

pub const FOREIGN_POLICY: &str = "someone-elses-policy";

fn refused<E: std::error::Error + 'static>(err: aws_sdk_ecs::error::SdkError<E>) -> String {
    format!("{}", aws_sdk_ecs::error::DisplayErrorContext(err))
}

fn int(value: &Value) -> i32 {
    value.as_i64().expect("an integer sample") as i32
}

/// Changes `field` (table name) in ECS to `value`; `snap` is the snapshot before. False when ECS refused.
pub async fn change(
    clients: &Clients,
    names: &Names,
    snap: &Value,
    field: &str,
    value: &Value,
) -> bool {
    let ecs = &clients.ecs;
    let (cluster, service) = (names.ecs(Obj::Cluster), names.ecs(Obj::Service));
    let update = || ecs.update_service().cluster(&cluster).service(&service);
    let result = match field {
        "EcsService.desiredCount" => update()
            .desired_count(int(value))
            .send()
            .await
            .map(drop)
            .map_err(refused),
        "EcsService.enableExecuteCommand" => update()
            .enable_execute_command(value.as_bool().unwrap())
            .send()
            .await
            .map(drop)
            .map_err(refused),
        "EcsService.healthCheckGracePeriodSeconds" => update()
            .health_check_grace_period_seconds(int(value))
            .send()
            .await
            .map(drop)
            .map_err(refused),
        "EcsService.propagateTags" => update()
            .propagate_tags(PropagateTags::from(value.as_str().unwrap()))
            .send()
            .await
            .map(drop)
            .map_err(refused),
        "EcsService.tags" | "EcsCluster.tags" | "CapacityProvider.tags" | "TaskDefinition.tags" => {
            let kind = field.split('.').next().unwrap();
            tag(clients, snap, Obj::walked(kind), value, "").await;
            return true;
        }
        "EcsService.autoScaling" => {
            let resource = format!("service/{cluster}/{service}");
            clients
                .aas
                .register_scalable_target()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .resource_id(resource)
                .min_capacity(int(&value["minCapacity"]))
                .max_capacity(int(&value["maxCapacity"]))
                .send()
                .await
                .expect("RegisterScalableTarget out of band");
            return true;
        }
        f if f.starts_with("EcsService.deploymentConfiguration.") => {
            let key = f.rsplit('.').next().unwrap();
            let mut current = snap["service"]["deploymentConfiguration"].clone();
            current[key] = value.clone();
            update()
                .deployment_configuration(deployment_configuration(&current))
                .send()
                .await
                .map(drop)
                .map_err(refused)
        }
        "EcsCluster.settings" => {
            // UpdateCluster takes the settings as UpdateClusterSettings does (the double has only the former).
            let mut call = ecs.update_cluster().cluster(&cluster);
            for s in value.as_array().unwrap() {
                call = call.settings(
                    ClusterSetting::builder()
                        .name(ClusterSettingName::from(s["name"].as_str().unwrap()))
                        .value(s["value"].as_str().unwrap())
                        .build(),
                );
            }
            call.send().await.map(drop).map_err(refused)
        }
        "EcsCluster.capacityProviders" | "EcsCluster.capacityProviderRefs" => {
            let view = &snap["cluster"];
            let (others, refs) = if field.ends_with("Refs") {
                (view["capacityProviders"].clone(), value.clone())
            } else {
                (value.clone(), view["capacityProviderRefs"].clone())
            };
            let mut list: Vec<String> = others
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect();
            for r in refs.as_array().unwrap() {
                let obj = if r["name"] == "cpa" {
                    Obj::ProviderA
                } else {
                    Obj::ProviderB
                };
                list.push(names.ecs(obj));
            }
            return associate(clients, &cluster, list).await;
        }
        "CapacityProvider.autoScalingGroupProvider.managedScaling"
        | "CapacityProvider.autoScalingGroupProvider.managedDraining" => {
            let mut group = AutoScalingGroupProviderUpdate::builder();
            if field.ends_with("managedScaling") {
                let mut scaling = ManagedScaling::builder().status(ManagedScalingStatus::from(
                    value["status"].as_str().unwrap(),
                ));
                if let Some(t) = value["targetCapacity"].as_i64() {
                    scaling = scaling.target_capacity(t as i32);
                }
                group = group.managed_scaling(scaling.build());
            } else {
                group = group.managed_draining(ManagedDraining::from(value.as_str().unwrap()));
            }
            ecs.update_capacity_provider()
                .name(names.ecs(Obj::ProviderA))
                .auto_scaling_group_provider(group.build())
                .send()
                .await
                .map(drop)
                .map_err(refused)
        }
        other => panic!("the walker cannot change {other} out of band"),
    };
    // ECS may refuse an out-of-band change (as it would refuse the person making it): then nothing changed.
    if let Err(err) = &result {
        eprintln!("out-of-band change of {field} refused: {err}");
    }
    result.is_ok()
}

fn deployment_configuration(v: &Value) -> DeploymentConfiguration {
    let mut c = DeploymentConfiguration::builder();
    if let Some(n) = v["minimumHealthyPercent"].as_i64() {
        c = c.minimum_healthy_percent(n as i32);
    }
    if let Some(n) = v["maximumPercent"].as_i64() {
        c = c.maximum_percent(n as i32);
    }
    if let Some(s) = v["strategy"].as_str() {
        c = c.strategy(DeploymentStrategy::from(s));
    }
    if let Some(n) = v["bakeTimeInMinutes"].as_i64() {
        c = c.bake_time_in_minutes(n as i32);
    }
    let hooks = v["lifecycleHooks"].as_array().cloned().unwrap_or_default();
    let hooks = hooks.iter().map(|h| {
        let mut hook = DeploymentLifecycleHook::builder()
            .set_hook_target_arn(h["hookTargetArn"].as_str().map(str::to_owned))
            .set_role_arn(h["roleArn"].as_str().map(str::to_owned));
        for stage in h["lifecycleStages"].as_array().unwrap() {
            hook =
                hook.lifecycle_stages(DeploymentLifecycleHookStage::from(stage.as_str().unwrap()));
        }
        hook.build()
    });
    c.set_lifecycle_hooks(Some(hooks.collect())).build()
}

/// Sets the cluster's providers to `list`, leaving its default strategy empty; false when ECS refused.
async fn associate(clients: &Clients, cluster: &str, list: Vec<String>) -> bool {
    let out = clients
        .ecs
        .put_cluster_capacity_providers()
        .cluster(cluster)
        .set_capacity_providers(Some(list))
        .set_default_capacity_provider_strategy(Some(Vec::new()))
        .send()
        .await;
    if let Err(err) = &out {
        eprintln!("out-of-band PutClusterCapacityProviders refused: {err:?}");
    }
    out.is_ok()
}

/// Tags the object: each key of `tags` (a JSON map) prefixed with `prefix`.
pub async fn tag(clients: &Clients, snap: &Value, obj: Obj, tags: &Value, prefix: &str) {
    let Some(arn) = snap[obj.snapshot_key()]["arn"].as_str() else {
        return;
    };
    let list: Vec<Tag> = tags
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(format!("{prefix}{k}"))
                .value(v.as_str().unwrap())
                .build()
        })
        .collect();
    if list.is_empty() {
        return;
    }
    clients
        .ecs
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(list))
        .send()
        .await
        .expect("TagResource out of band");
}

/// Someone else's tag on the object; returns its key.
pub async fn foreign_tag(clients: &Clients, snap: &Value, obj: Obj) -> String {
    tag(
        clients,
        snap,
        obj,
        &serde_json::json!({"owner": "another-team"}),
        FOREIGN_TAG,
    )
    .await;
    format!("{FOREIGN_TAG}owner")
}

/// Someone else's target tracking policy on the service (registering the target if no one has).
pub async fn foreign_policy(clients: &Clients, names: &Names) {
    let resource = format!(
        "service/{}/{}",
        names.ecs(Obj::Cluster),
        names.ecs(Obj::Service)
    );
    let targets = clients
        .aas
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(&resource)
        .send()
        .await
        .expect("DescribeScalableTargets");
    if targets.scalable_targets().is_empty() {
        clients
            .aas
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(&resource)
            .min_capacity(1)
            .max_capacity(5)
            .send()
            .await
            .expect("RegisterScalableTarget as someone else");
    }
    let metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
        .build()
        .unwrap();
    let config = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(80.0)
        .predefined_metric_specification(metric)
        .build()
        .unwrap();
    clients
        .aas
        .put_scaling_policy()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(&resource)
        .policy_name(FOREIGN_POLICY)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(config)
        .send()
        .await
        .expect("PutScalingPolicy as someone else");
}

/// Someone else's capacity provider (the `n`th), associated with the cluster beside what it has; returns its name.
pub async fn foreign_provider(clients: &Clients, names: &Names, n: usize) -> String {
    let name = format!("{}-foreign{n}", names.prefix);
    let group = AutoScalingGroupProvider::builder()
        .auto_scaling_group_arn(group_arn(&format!("{name}-asg")))
        .build()
        .unwrap();
    clients
        .ecs
        .create_capacity_provider()
        .name(&name)
        .auto_scaling_group_provider(group)
        .send()
        .await
        .expect("CreateCapacityProvider as someone else");
    let cluster = names.ecs(Obj::Cluster);
    let out = clients
        .ecs
        .describe_clusters()
        .clusters(&cluster)
        .send()
        .await
        .unwrap();
    let mut list: Vec<String> = out
        .clusters()
        .first()
        .map(|c| c.capacity_providers().to_vec())
        .unwrap_or_default();
    list.push(name.clone());
    assert!(
        associate(clients, &cluster, list).await,
        "someone else's association (the cluster's whole list plus one) is refused"
    );
    name
}
