//! What ECS and Application Auto Scaling show of one walk's objects, read with an SDK client of the walker's own
//! and put in the spec's shape (JSON), so that a field's ECS value is the table's `shows` pointer into it.

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::types::ServiceNamespace;
use aws_sdk_ecs::types::{
    CapacityProviderField, ClusterField, ServiceField, Tag, TaskDefinitionField,
};
use serde_json::{Map, Value, json};

use crate::stack::{Names, Obj};

/// Tags the walker puts on as someone else start with this.
pub const FOREIGN_TAG: &str = "foreign-";
/// The operator's ownership tags.
const OWNER_TAG: &str = "ecsbridge.dev/";
/// The operator names its scaling policies `ecsbridge-<uid8>-<name>`.
pub const OUR_POLICY: &str = "ecsbridge-";

/// The SDK clients of the walker (independent of the operator's).
#[derive(Clone)]
pub struct Clients {
    pub ecs: aws_sdk_ecs::Client,
    pub aas: aws_sdk_applicationautoscaling::Client,
}

impl Clients {
    pub async fn new(url: &str) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(url)
            .load()
            .await;
        Self {
            ecs: aws_sdk_ecs::Client::new(&config),
            aas: aws_sdk_applicationautoscaling::Client::new(&config),
        }
    }
}

/// User tags, foreign tags and whether the ownership tags are there.
fn tags(list: &[Tag]) -> (Value, Value, bool) {
    let (mut user, mut foreign, mut owned) = (Map::new(), Map::new(), false);
    for tag in list {
        let (key, value) = (
            tag.key().unwrap_or_default(),
            tag.value().unwrap_or_default(),
        );
        if key.starts_with(OWNER_TAG) {
            owned = true;
        } else if key.starts_with(FOREIGN_TAG) {
            foreign.insert(key.to_owned(), json!(value));
        } else {
            user.insert(key.to_owned(), json!(value));
        }
    }
    (Value::Object(user), Value::Object(foreign), owned)
}

fn put_tags(into: &mut Value, list: &[Tag]) {
    let (user, foreign, owned) = tags(list);
    into["tags"] = user;
    into["foreignTags"] = foreign;
    into["owned"] = json!(owned);
}

/// Everything the invariants look at, as JSON.
pub async fn take(clients: &Clients, names: &Names) -> Value {
    let mut snap = json!({});
    cluster(clients, names, &mut snap).await;
    providers(clients, names, &mut snap).await;
    service(clients, names, &mut snap).await;
    snap["revisions"] = revisions(clients, &names.family()).await;
    snap
}

async fn cluster(clients: &Clients, names: &Names, snap: &mut Value) {
    let out = clients
        .ecs
        .describe_clusters()
        .clusters(names.ecs(Obj::Cluster))
        .include(ClusterField::Settings)
        .include(ClusterField::Tags)
        .send()
        .await
        .expect("DescribeClusters");
    let Some(c) = out.clusters().first() else {
        return;
    };
    let ours: BTreeMap<String, &str> = [Obj::ProviderA, Obj::ProviderB]
        .into_iter()
        .map(|o| (names.ecs(o), o.name()))
        .collect();
    let mut refs: Vec<Value> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    for p in c.capacity_providers() {
        match ours.get(p) {
            Some(object) => refs.push(json!({"name": object})),
            None => others.push(p.clone()),
        }
    }
    refs.sort_by_key(|r| r["name"].as_str().unwrap().to_owned());
    others.sort();
    let settings: Vec<Value> = c
        .settings()
        .iter()
        .map(|s| json!({"name": s.name().map(|n| n.as_str()), "value": s.value()}))
        .collect();
    let mut view = json!({
        "arn": c.cluster_arn(),
        "status": c.status(),
        "settings": settings,
        "capacityProviders": others,
        "capacityProviderRefs": refs,
    });
    put_tags(&mut view, c.tags());
    snap["cluster"] = view;
}

async fn providers(clients: &Clients, names: &Names, snap: &mut Value) {
    let out = clients
        .ecs
        .describe_capacity_providers()
        .capacity_providers(names.ecs(Obj::ProviderA))
        .capacity_providers(names.ecs(Obj::ProviderB))
        .include(CapacityProviderField::Tags)
        .send()
        .await
        .expect("DescribeCapacityProviders");
    for p in out.capacity_providers() {
        let obj = if p.name() == Some(names.ecs(Obj::ProviderA).as_str()) {
            Obj::ProviderA
        } else {
            Obj::ProviderB
        };
        let group = p.auto_scaling_group_provider();
        let scaling = group.and_then(|g| g.managed_scaling());
        let mut view = json!({
            "arn": p.capacity_provider_arn(),
            "status": p.status().map(|s| s.as_str()),
            "managedScaling": scaling.map(|s| json!({
                "status": s.status().map(|v| v.as_str()),
                "targetCapacity": s.target_capacity(),
            })),
            "managedDraining": group.and_then(|g| g.managed_draining()).map(|d| d.as_str()),
        });
        put_tags(&mut view, p.tags());
        snap[obj.snapshot_key()] = view;
    }
}

async fn service(clients: &Clients, names: &Names, snap: &mut Value) {
    let out = clients
        .ecs
        .describe_services()
        .cluster(names.ecs(Obj::Cluster))
        .services(names.ecs(Obj::Service))
        .include(ServiceField::Tags)
        .send()
        .await;
    let Some(s) = out.ok().and_then(|o| o.services().first().cloned()) else {
        return;
    };
    let config = s.deployment_configuration();
    let hooks: Vec<Value> = config
        .map(|c| c.lifecycle_hooks())
        .unwrap_or_default()
        .iter()
        .map(|h| {
            json!({
                "hookTargetArn": h.hook_target_arn(),
                "roleArn": h.role_arn(),
                "lifecycleStages": h.lifecycle_stages().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut view = json!({
        "arn": s.service_arn(),
        "status": s.status(),
        "desiredCount": s.desired_count(),
        "enableExecuteCommand": s.enable_execute_command(),
        "healthCheckGracePeriodSeconds": s.health_check_grace_period_seconds(),
        "propagateTags": s.propagate_tags().map(|p| p.as_str()),
        "taskDefinitionArn": s.task_definition(),
        "deploymentConfiguration": {
            "minimumHealthyPercent": config.and_then(|c| c.minimum_healthy_percent()),
            "maximumPercent": config.and_then(|c| c.maximum_percent()),
            "strategy": config.and_then(|c| c.strategy()).map(|v| v.as_str()),
            "bakeTimeInMinutes": config.and_then(|c| c.bake_time_in_minutes()),
            "lifecycleHooks": hooks,
        },
    });
    put_tags(&mut view, s.tags());
    let resource = format!(
        "service/{}/{}",
        names.ecs(Obj::Cluster),
        names.ecs(Obj::Service)
    );
    let (scaling, foreign) = auto_scaling(clients, &resource).await;
    view["autoScaling"] = scaling;
    view["foreignPolicies"] = foreign;
    snap["service"] = view;
    if let Some(arn) = s.task_definition() {
        snap["taskDefinition"] = task_definition(clients, arn).await;
    }
}

/// The operator's scaling of the service (target and its own policies) and the names of others' policies. The
/// target shows as the operator's while it has policies of the operator's, or no one else's.
pub async fn auto_scaling(clients: &Clients, resource: &str) -> (Value, Value) {
    let targets = clients
        .aas
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(resource)
        .send()
        .await
        .expect("DescribeScalableTargets");
    let target = targets.scalable_targets().first().cloned();
    let policies = clients
        .aas
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource)
        .send()
        .await
        .expect("DescribeScalingPolicies");
    let (mut ours, mut foreign) = (Vec::new(), Vec::new());
    for p in policies
        .scaling_policies()
        .iter()
        .filter(|p| p.resource_id() == resource)
    {
        let Some(name) = p.policy_name().strip_prefix(OUR_POLICY) else {
            foreign.push(p.policy_name().to_owned());
            continue;
        };
        // ecsbridge-<uid8>-<name>
        let name = name.split_once('-').map_or(name, |(_, n)| n);
        let config = p.target_tracking_scaling_policy_configuration();
        ours.push(json!({
            "name": name,
            "predefinedMetric": config
                .and_then(|c| c.predefined_metric_specification())
                .map(|m| m.predefined_metric_type().as_str()),
            "targetValue": config.map(|c| c.target_value()),
        }));
    }
    ours.sort_by_key(|p| p["name"].as_str().unwrap().to_owned());
    foreign.sort();
    let view = match target {
        Some(t) if !ours.is_empty() || foreign.is_empty() => json!({
            "minCapacity": t.min_capacity(),
            "maxCapacity": t.max_capacity(),
            "targetTracking": ours,
        }),
        _ if !ours.is_empty() => json!({"targetTracking": ours}),
        _ => Value::Null,
    };
    (view, json!(foreign))
}

async fn task_definition(clients: &Clients, arn: &str) -> Value {
    let out = clients
        .ecs
        .describe_task_definition()
        .task_definition(arn)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .expect("DescribeTaskDefinition");
    let Some(td) = out.task_definition() else {
        return Value::Null;
    };
    let containers: Vec<Value> = td
        .container_definitions()
        .iter()
        .map(|c| {
            json!({
                "name": c.name(),
                "image": c.image(),
                "memory": c.memory(),
                "portMappings": c.port_mappings().iter()
                    .map(|p| json!({"containerPort": p.container_port()}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut view = json!({"arn": arn, "containerDefinitions": containers});
    put_tags(&mut view, out.tags());
    view
}

/// The ACTIVE revisions of a family.
pub async fn revisions(clients: &Clients, family: &str) -> Value {
    let out = clients
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .send()
        .await
        .expect("ListTaskDefinitions");
    let arns: Vec<&str> = out
        .task_definition_arns()
        .iter()
        .filter(|a| a.contains(&format!("/{family}:")))
        .map(String::as_str)
        .collect();
    json!(arns)
}
