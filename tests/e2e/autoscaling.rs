//! `EcsService.spec.autoScaling` end to end against moto's Application Auto Scaling: the scalable target, its
//! policies and scheduled actions follow the spec, drift is repaired, others' policies stay, the scaler's desired
//! count is not reverted, a scheduled action's min/max is not undone, removing the block or the service deletes
//! only the operator's objects (and deregisters only a target it registered, with nothing of others on it), and a
//! retained service adopted anew keeps one owner's policies. Against the ECS test double (which counts calls and
//! pages like AWS): Application Auto Scaling is read once per drift pass, batched over services, every page.

use std::time::Duration;

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalableTargetAction,
    ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
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

    /// Registers the target or changes its min/max, as someone else (or a scheduled action running) would.
    async fn set_capacity(&self, min: i32, max: i32) {
        self.client
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(&self.resource)
            .min_capacity(min)
            .max_capacity(max)
            .send()
            .await
            .unwrap();
    }

    /// A scheduled action put by someone else than the operator.
    async fn put_foreign_scheduled(&self, name: &str) {
        self.client
            .put_scheduled_action()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(&self.resource)
            .scheduled_action_name(name)
            .schedule("cron(0 6 * * ? *)")
            .scalable_target_action(ScalableTargetAction::builder().max_capacity(9).build())
            .send()
            .await
            .unwrap();
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
            .filter(|p| p.resource_id() == self.resource)
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
            .filter(|a| a.resource_id() == self.resource)
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
    env.apply::<EcsService>(&service_manifest("web", &service, "{}", extra))
        .await;
    (cluster, service)
}

/// An EcsService `name` of the ECS service `service` in the `main` cluster running the `web` task definition.
fn service_manifest(name: &str, service: &str, annotations: &str, extra: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: {name}, annotations: {annotations}}}\n\
         spec:\n  serviceName: {service}\n  clusterRef: {{name: main}}\n  taskDefinitionRef: {{name: web}}\n  \
         launchType: EC2\n{extra}"
    )
}

fn our_name(svc: &EcsService, name: &str) -> String {
    let uid = svc.metadata.uid.clone().unwrap_or_default();
    format!("ecsbridge-{}-{name}", &uid[..8])
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

    // With nothing of others left on it, the target the operator registered goes with the block.
    aas.delete_policy("someone-elses").await;
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

/// AWS runs a scheduled action by setting the target's min/max to the action's; drift checks must not put the
/// spec's back (the peak would never happen). A change of the spec's min/max is still applied.
#[tokio::test]
async fn a_scheduled_actions_min_max_outlives_drift_checks() {
    let env = Env::with_drift_interval("aas-sched", Duration::from_secs(4)).await;
    let (cluster, service) = autoscaled_service(&env, SCALING).await;
    let aas = Aas::new(&cluster, &service).await;
    env.wait_for::<EcsService>("web", WAIT, |s| scaling_max(s) == Some(3))
        .await;
    // The "night" action (min 1, max 2) runs.
    aas.set_capacity(1, 2).await;
    tokio::time::sleep(Duration::from_secs(14)).await;
    assert_eq!(
        aas.target().await,
        Some((1, 2)),
        "three drift checks later, the scheduled action's min/max stand"
    );
    env.wait_for::<EcsService>("web", WAIT, |s| scaling_max(s) == Some(2))
        .await;
    env.patch::<EcsService>("web", json!({"spec": {"autoScaling": {"maxCapacity": 5}}}))
        .await;
    eventually(WAIT, "the spec's new min/max in AWS", || async {
        aas.target().await == Some((1, 5))
    })
    .await;
}

/// Without scheduled actions, a changed min/max is drift and is put back.
#[tokio::test]
async fn without_scheduled_actions_a_changed_min_max_is_put_back() {
    let env = Env::with_drift_interval("aas-minmax", Duration::from_secs(4)).await;
    let (cluster, service) =
        autoscaled_service(&env, "  autoScaling: {minCapacity: 1, maxCapacity: 3}\n").await;
    let aas = Aas::new(&cluster, &service).await;
    env.wait_for::<EcsService>("web", WAIT, |s| scaling_max(s) == Some(3))
        .await;
    aas.set_capacity(2, 7).await;
    eventually(WAIT, "the spec's min/max back", || async {
        aas.target().await == Some((1, 3))
    })
    .await;
}

/// DeregisterScalableTarget deletes every policy and scheduled action of the target: removing the block deletes
/// the operator's own and leaves the target to the others' that remain.
#[tokio::test]
async fn removing_the_block_leaves_others_policies_and_their_target() {
    let env = Env::new("aas-others").await;
    let (cluster, service) = autoscaled_service(&env, SCALING).await;
    let aas = Aas::new(&cluster, &service).await;
    env.wait_for::<EcsService>("web", WAIT, |s| scaling_max(s) == Some(3))
        .await;
    aas.put_foreign_policy("someone-elses").await;
    aas.put_foreign_scheduled("their-morning").await;
    env.patch::<EcsService>("web", json!({"spec": {"autoScaling": null}}))
        .await;
    env.wait_for::<EcsService>("web", WAIT, |s| {
        s.status
            .as_ref()
            .is_some_and(|st| st.auto_scaling.is_none())
    })
    .await;
    assert_eq!(aas.policy_names().await, ["someone-elses"]);
    assert_eq!(aas.scheduled_names().await, ["their-morning"]);
    assert!(aas.target().await.is_some(), "the target stays registered");
}

/// A target someone else registered before the block was added stays when the block goes.
#[tokio::test]
async fn a_target_registered_by_someone_else_is_not_deregistered() {
    let env = Env::new("aas-found").await;
    let (cluster, service) = autoscaled_service(&env, "  desiredCount: 2\n").await;
    let aas = Aas::new(&cluster, &service).await;
    env.wait_for::<EcsService>("web", WAIT, |s| {
        s.status.as_ref().is_some_and(|st| {
            st.arn.is_some()
                && condition(&st.conditions, "Synced").is_some_and(|c| c.status == "True")
        })
    })
    .await;
    aas.set_capacity(1, 2).await;
    env.patch::<EcsService>(
        "web",
        json!({"spec": {"autoScaling": {"minCapacity": 1, "maxCapacity": 3,
            "targetTracking": [{"name": "cpu", "predefinedMetric": "ECSServiceAverageCPUUtilization", "targetValue": 50}]}}}),
    )
    .await;
    let svc = env
        .wait_for::<EcsService>("web", WAIT, |s| scaling_max(s) == Some(3))
        .await;
    assert_eq!(aas.policy_names().await, [our_name(&svc, "cpu")]);
    env.patch::<EcsService>("web", json!({"spec": {"autoScaling": null}}))
        .await;
    env.wait_for::<EcsService>("web", WAIT, |s| {
        s.status
            .as_ref()
            .is_some_and(|st| st.auto_scaling.is_none())
    })
    .await;
    assert!(aas.policy_names().await.is_empty());
    assert!(
        aas.target().await.is_some(),
        "not the operator's to deregister"
    );
}

/// Deleting the EcsService deletes its own policies, and keeps a target that carries someone else's.
#[tokio::test]
async fn deleting_the_service_keeps_a_target_with_others_policies() {
    let env = Env::new("aas-delete-others").await;
    let (cluster, service) = autoscaled_service(&env, SCALING).await;
    let aas = Aas::new(&cluster, &service).await;
    env.wait_for::<EcsService>("web", WAIT, |s| scaling_max(s) == Some(3))
        .await;
    aas.put_foreign_policy("someone-elses").await;
    env.delete::<EcsService>("web").await;
    env.wait_gone::<EcsService>("web", WAIT).await;
    assert_eq!(aas.policy_names().await, ["someone-elses"]);
    assert!(aas.scheduled_names().await.is_empty());
    assert!(aas.target().await.is_some(), "the target stays registered");
}

/// A service retained by one EcsService and adopted by a new one: the policies and scheduled actions are the new
/// owner's only, not two owners' side by side scaling the same service.
#[tokio::test]
async fn a_retained_then_adopted_service_keeps_one_owners_policies() {
    let env = Env::new("aas-adopt").await;
    let extra = format!("  deletionPolicy: Retain\n{SCALING}");
    let (cluster, service) = autoscaled_service(&env, &extra).await;
    let aas = Aas::new(&cluster, &service).await;
    let first = env
        .wait_for::<EcsService>("web", WAIT, |s| scaling_max(s) == Some(3))
        .await;
    env.delete::<EcsService>("web").await;
    env.wait_gone::<EcsService>("web", WAIT).await;
    assert_eq!(
        aas.policy_names().await,
        [our_name(&first, "cpu"), our_name(&first, "memory")],
        "retained"
    );
    env.apply::<EcsService>(&service_manifest(
        "web",
        &service,
        "{ecsbridge.dev/adopt: 'true'}",
        SCALING,
    ))
    .await;
    let second = env
        .wait_for::<EcsService>("web", WAIT, |s| {
            s.status
                .as_ref()
                .and_then(|st| st.auto_scaling.as_ref())
                .is_some_and(|a| a.policies.len() == 2)
        })
        .await;
    assert_ne!(first.metadata.uid, second.metadata.uid);
    eventually(WAIT, "one owner's policies and actions", || async {
        aas.policy_names().await == [our_name(&second, "cpu"), our_name(&second, "memory")]
            && aas.scheduled_names().await == [our_name(&second, "night")]
    })
    .await;
}

/// The double's call counters (`GET /_double/stats`): calls and objects named by batched reads, by operation.
fn double_stats(double: &ecs_double::Running) -> serde_json::Value {
    let out = std::process::Command::new("curl")
        .args(["-sf", &format!("{}/_double/stats", double.url)])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

const SCALING_READS: [&str; 4] = [
    "DescribeScalableTargets",
    "DescribeScalingPolicies",
    "DescribeScheduledActions",
    "DescribeScalingActivities",
];

fn scaling_reads(stats: &serde_json::Value) -> u64 {
    SCALING_READS
        .iter()
        .map(|op| stats["calls"][op].as_u64().unwrap_or(0))
        .sum()
}

/// Against the ECS test double, which pages like AWS (10 policies a page) and counts calls: a target with 12
/// policies shows all 12, and two services rolling out for minutes (their reconciles every few seconds) read
/// Application Auto Scaling once per drift pass, their targets in one DescribeScalableTargets call.
#[tokio::test]
async fn application_auto_scaling_is_read_once_per_drift_pass_in_batches_and_pages() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "900"]);
    let drift = Duration::from_secs(10);
    let env = Env::against_with_drift_interval("aas-reads", &double.url, drift).await;
    let policies: Vec<String> = (0..12)
        .map(|i| {
            format!(
                "    - {{name: p{i}, predefinedMetric: ECSServiceAverageCPUUtilization, targetValue: {}}}\n",
                40 + i
            )
        })
        .collect();
    let scaling = format!(
        "  autoScaling:\n    minCapacity: 1\n    maxCapacity: 3\n    targetTracking:\n{}",
        policies.concat()
    );
    env.apply::<EcsCluster>(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {name: main}\nspec: {clusterName: reads}\n",
    )
    .await;
    env.apply::<TaskDefinition>(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {name: web}\nspec:\n  family: reads\n  \
         containerDefinitions:\n  - {name: web, image: nginx, memory: 256}\n",
    )
    .await;
    for name in ["a", "b"] {
        env.apply::<EcsService>(&service_manifest(name, name, "{}", &scaling))
            .await;
    }
    // 26 writes through the operator's scaling-modify bucket (8 at once, then 0.8 a second).
    for name in ["a", "b"] {
        env.wait_for::<EcsService>(name, WAIT * 2, |s| {
            s.status
                .as_ref()
                .and_then(|st| st.auto_scaling.as_ref())
                .is_some_and(|a| a.policies.len() == 12)
        })
        .await;
    }
    // Both roll out for 15 minutes: their reconciles come every few seconds. Count over three drift periods.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let before = double_stats(&double);
    let passes = 3;
    tokio::time::sleep(drift.mul_f64(0.9) * passes).await;
    let after = double_stats(&double);
    let reads = scaling_reads(&after) - scaling_reads(&before);
    let targets =
        |s: &serde_json::Value, key: &str| s[key]["DescribeScalableTargets"].as_u64().unwrap_or(0);
    let target_calls = targets(&after, "calls") - targets(&before, "calls");
    let named = targets(&after, "named") - targets(&before, "named");
    // One pass: one DescribeScalableTargets naming both, 3 pages of the 24 policies, 1 of scheduled actions, 1
    // of activities; the window may hold the start of one pass more.
    let per_pass = 6;
    assert!(
        reads <= (passes as u64 + 1) * per_pass,
        "{reads} Application Auto Scaling reads in {passes} drift passes"
    );
    assert!(
        target_calls <= passes as u64 + 1 && named >= 2 * target_calls,
        "{target_calls} DescribeScalableTargets calls naming {named} targets"
    );
    let rolling = env.api::<EcsService>().get("a").await.unwrap();
    let ready = rolling
        .status
        .as_ref()
        .and_then(|st| condition(&st.conditions, "Ready"))
        .is_some_and(|c| c.status == "True");
    assert!(!ready, "still rolling out during the window");
}
