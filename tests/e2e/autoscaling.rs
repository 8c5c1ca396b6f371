//! `EcsService.spec.autoScaling` end to end against moto's Application Auto Scaling: the scalable target, its
//! policies and scheduled actions follow the spec, drift is repaired, others' policies stay, the scaler's desired
//! count is not reverted, and removing the block or the service deregisters the target.

use std::time::Duration;

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use ecs_bridge::api::{EcsCluster, EcsService, TaskDefinition};
use serde_json::json;

use crate::harness::{Env, condition, eventually, unique};

const WAIT: Duration = Duration::from_secs(60);

const SCALING: &str = "  autoScaling:\n    minCapacity: 1\n    maxCapacity: 3\n    targetTracking:\n    \
    - {name: cpu, predefinedMetric: ECSServiceAverageCPUUtilization, targetValue: 50, scaleInCooldown: 60}\n    \
    - {name: memory, predefinedMetric: ECSServiceAverageMemoryUtilization, targetValue: 70}\n    scheduled:\n    \
    - {name: night, schedule: 'cron(0 22 * * ? *)', minCapacity: 1, maxCapacity: 2}\n";

/// Application Auto Scaling as the test sees it, independently of the operator.
struct Aas {
    client: aws_sdk_applicationautoscaling::Client,
    resource: String,
}

impl Aas {
    async fn new(cluster: &str, service: &str) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        Self {
            client: aws_sdk_applicationautoscaling::Client::new(&config),
            resource: format!("service/{cluster}/{service}"),
        }
    }

    /// (min, max) of the scalable target, if registered.
    async fn target(&self) -> Option<(i32, i32)> {
        let out = self
            .client
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_ids(&self.resource)
            .send()
            .await
            .unwrap();
        out.scalable_targets()
            .first()
            .map(|t| (t.min_capacity(), t.max_capacity()))
    }

    async fn policy_names(&self) -> Vec<String> {
        let out = self
            .client
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&self.resource)
            .send()
            .await
            .unwrap();
        let mut names: Vec<_> = out
            .scaling_policies()
            .iter()
            .map(|p| p.policy_name().to_owned())
            .collect();
        names.sort();
        names
    }

    async fn scheduled_names(&self) -> Vec<String> {
        let out = self
            .client
            .describe_scheduled_actions()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&self.resource)
            .send()
            .await
            .unwrap();
        out.scheduled_actions()
            .iter()
            .map(|a| a.scheduled_action_name().to_owned())
            .collect()
    }

    /// A target tracking policy put by someone else than the operator.
    async fn put_foreign_policy(&self, name: &str) {
        let metric = PredefinedMetricSpecification::builder()
            .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
            .build()
            .unwrap();
        let config = TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(80.0)
            .predefined_metric_specification(metric)
            .build()
            .unwrap();
        self.client
            .put_scaling_policy()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(&self.resource)
            .policy_name(name)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(config)
            .send()
            .await
            .unwrap();
    }

    async fn delete_policy(&self, name: &str) {
        self.client
            .delete_scaling_policy()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(&self.resource)
            .policy_name(name)
            .send()
            .await
            .unwrap();
    }
}

/// Creates cluster, task definition and an autoscaled service; returns (cluster, service) ECS names.
async fn autoscaled_service(env: &Env, extra: &str) -> (String, String) {
    let (cluster, family, service) = (unique("c"), unique("td"), unique("svc"));
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: main}}\nspec: {{clusterName: {cluster}}}\n"
    ))
    .await;
    env.apply::<TaskDefinition>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  family: {family}\n  \
         containerDefinitions:\n  - {{name: web, image: nginx, memory: 256}}\n"
    ))
    .await;
    env.apply::<EcsService>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec:\n  serviceName: {service}\n  \
         clusterRef: {{name: main}}\n  taskDefinitionRef: {{name: web}}\n  launchType: EC2\n{extra}"
    ))
    .await;
    (cluster, service)
}

fn scaling_max(svc: &EcsService) -> Option<i32> {
    svc.status.as_ref()?.auto_scaling.as_ref()?.max_capacity
}

#[tokio::test]
async fn auto_scaling_follows_the_spec_repairs_drift_and_leaves_the_scalers_count() {
    let env = Env::with_drift_interval("aas-life", Duration::from_secs(4)).await;
    let (cluster, service) = autoscaled_service(&env, SCALING).await;
    let aas = Aas::new(&cluster, &service).await;
    let ready = env
        .wait_for::<EcsService>("web", WAIT, |s| scaling_max(s) == Some(3))
        .await;
    let status = ready.status.clone().unwrap();
    assert_eq!(status.auto_scaling.as_ref().unwrap().policies.len(), 2);
    assert_eq!(status.desired_count, Some(1), "created with minCapacity");
    assert_eq!(aas.target().await, Some((1, 3)));
    let uid8: String = ready
        .metadata
        .uid
        .clone()
        .unwrap()
        .chars()
        .take(8)
        .collect();
    let ours = |name: &str| format!("ecsbridge-{uid8}-{name}");
    assert_eq!(aas.policy_names().await, [ours("cpu"), ours("memory")]);
    assert_eq!(aas.scheduled_names().await, [ours("night")]);

    env.patch::<EcsService>("web", json!({"spec": {"autoScaling": {"maxCapacity": 5}}}))
        .await;
    eventually(WAIT, "maxCapacity 5 in AWS", || async {
        aas.target().await == Some((1, 5))
    })
    .await;

    aas.put_foreign_policy("someone-elses").await;
    aas.delete_policy(&ours("cpu")).await;
    eventually(WAIT, "the deleted policy to come back", || async {
        aas.policy_names().await.contains(&ours("cpu"))
    })
    .await;
    assert!(
        aas.policy_names()
            .await
            .contains(&"someone-elses".to_owned())
    );

    // The scaler's desired count (Application Auto Scaling calls UpdateService) outlives drift checks.
    env.ecs
        .update_service()
        .cluster(&cluster)
        .service(&service)
        .desired_count(4)
        .send()
        .await
        .unwrap();
    env.wait_for::<EcsService>("web", WAIT, |s| {
        s.status.as_ref().and_then(|st| st.desired_count) == Some(4)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let described = env
        .ecs
        .describe_services()
        .cluster(&cluster)
        .services(&service)
        .send()
        .await
        .unwrap();
    assert_eq!(described.services()[0].desired_count(), 4, "not reverted");

    env.patch::<EcsService>("web", json!({"spec": {"autoScaling": null}}))
        .await;
    eventually(WAIT, "the target to be deregistered", || async {
        aas.target().await.is_none()
    })
    .await;
    let names = aas.policy_names().await;
    assert!(
        !names.iter().any(|n| n.starts_with("ecsbridge-")),
        "{names:?}"
    );
    env.wait_for::<EcsService>("web", WAIT, |s| {
        s.status
            .as_ref()
            .is_some_and(|st| st.auto_scaling.is_none())
    })
    .await;
}

#[tokio::test]
async fn deleting_an_autoscaled_service_deregisters_its_target_first() {
    let env = Env::new("aas-delete").await;
    let (cluster, service) = autoscaled_service(
        &env,
        "  desiredCount: 2\n  autoScaling: {minCapacity: 2, maxCapacity: 4}\n",
    )
    .await;
    let aas = Aas::new(&cluster, &service).await;
    env.wait_for::<EcsService>("web", WAIT, |s| scaling_max(s) == Some(4))
        .await;
    assert_eq!(aas.target().await, Some((2, 4)));
    env.delete::<EcsService>("web").await;
    env.wait_gone::<EcsService>("web", WAIT).await;
    assert_eq!(aas.target().await, None);
}

#[tokio::test]
async fn bad_auto_scaling_is_refused_without_an_aws_call() {
    let env = Env::new("aas-invalid").await;
    let (cluster, service) =
        autoscaled_service(&env, "  autoScaling: {minCapacity: 5, maxCapacity: 2}\n").await;
    let refused = env
        .wait_for::<EcsService>("web", WAIT, |s| {
            s.status
                .as_ref()
                .and_then(|st| condition(&st.conditions, "Synced"))
                .is_some_and(|c| c.reason == "InvalidSpec")
        })
        .await;
    let status = refused.status.unwrap();
    let message = &condition(&status.conditions, "Synced").unwrap().message;
    assert!(
        message.contains("spec.autoScaling.minCapacity"),
        "{message}"
    );
    let described = env
        .ecs
        .describe_services()
        .cluster(&cluster)
        .services(&service)
        .send()
        .await;
    let active = described
        .ok()
        .is_some_and(|d| d.services().iter().any(|s| s.status() == Some("ACTIVE")));
    assert!(!active, "no service was created");
    assert_eq!(Aas::new(&cluster, &service).await.target().await, None);
}
