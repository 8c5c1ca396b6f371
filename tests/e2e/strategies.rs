//! ECS-native BLUE_GREEN and CANARY deployments end to end, against the ECS test double (docs/ecs-behaviour.md,
//! entries 73-78): a rollout is followed stage by stage and is Ready only after its bake time; a failing lifecycle
//! hook rolls it back to Degraded with the hook's reason and the revision is not deployed again;
//! `ecsbridge.dev/rollback` stops a deployment in its bake time, once; a canary reports its traffic steps; the
//! target group swap after success is not drift.

use std::collections::BTreeSet;
use std::time::Duration;

use ecs_bridge::api::EcsService;
use ecs_bridge::api::service::ServiceDeploymentTruth;
use serde_json::json;

use crate::harness::{Env, unique};
use crate::rollout::{apply_any, conditions, follow, is, manifests};
use crate::service_truth::calls;

/// The double's clock: a 4 s rollout (1 s per short stage) and 3 s per bake-time minute.
const DOUBLE: [&str; 4] = ["--rollout-seconds", "80", "--speedup", "20"];
const DRIFT: Duration = Duration::from_secs(3);

const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1";
const GREEN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2";

/// An EcsService with load balancer traffic shifting and `deployment` as its deploymentConfiguration.
fn service(deployment: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec:\n  \
         clusterRef: {{name: main}}\n  taskDefinitionRef: {{name: web}}\n  desiredCount: 2\n  launchType: EC2\n  \
         loadBalancers:\n  - targetGroupArn: {BLUE}\n    containerName: web\n    containerPort: 80\n    \
         advancedConfiguration:\n      alternateTargetGroupArn: {GREEN}\n      \
         productionListenerRule: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/3\n      \
         roleArn: arn:aws:iam::123456789012:role/ecs-infrastructure\n  deploymentConfiguration: {deployment}\n"
    )
}

/// A double, an Env and a first deployment of `deployment` that is Ready; returns the family.
async fn ready_service(
    double: &ecs_double::Running,
    test: &str,
    deployment: &str,
) -> (Env, String) {
    let env = Env::against_with_drift_interval(&unique(test), &double.url, DRIFT).await;
    let (cluster, family) = (unique("c"), unique("td"));
    let [cluster_yaml, td_yaml, _] = manifests(&cluster, &family, "app:1");
    apply_any(&env, &cluster_yaml).await;
    apply_any(&env, &td_yaml).await;
    apply_any(&env, &service(deployment)).await;
    follow(&env, |s| is(s, "Ready", "True")).await;
    (env, family)
}

async fn new_revision(env: &Env, family: &str) {
    apply_any(env, &manifests("unused", family, "app:2")[1]).await;
}

fn truth(svc: &EcsService) -> Option<ServiceDeploymentTruth> {
    svc.status.as_ref()?.service_deployment.clone()
}

fn revision(svc: &EcsService) -> Option<String> {
    svc.status.as_ref()?.task_definition_revision.clone()
}

/// Follows the service until `done`, collecting what `seen` picks from each look.
async fn collect<T: Ord>(
    env: &Env,
    seen: impl Fn(&EcsService) -> Option<T>,
    done: impl Fn(&EcsService) -> bool,
) -> (EcsService, BTreeSet<T>) {
    let api = env.api::<EcsService>();
    let mut all = BTreeSet::new();
    for _ in 0..450 {
        let svc = api.get("web").await.unwrap();
        all.extend(seen(&svc));
        if done(&svc) {
            return (svc, all);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out; seen so far: {} values", all.len());
}

/// Ready, with the service deployment of revision 2 over.
fn rolled_out(svc: &EcsService, family: &str) -> bool {
    is(svc, "Ready", "True") && revision(svc).as_deref() == Some(&format!("{family}:2"))
}

#[tokio::test]
async fn a_blue_green_rollout_goes_through_its_stages_to_ready_after_the_bake_time() {
    let double = ecs_double::spawn(&DOUBLE);
    let (env, family) = ready_service(
        &double,
        "bluegreen",
        "{strategy: BLUE_GREEN, bakeTimeInMinutes: 1}",
    )
    .await;
    new_revision(&env, &family).await;
    let (ready, stages) = collect(
        &env,
        |s| {
            let stage = truth(s)?.lifecycle_stage?;
            (!is(s, "Ready", "True") && is(s, "Progressing", "True")).then_some(stage)
        },
        |s| rolled_out(s, &family),
    )
    .await;
    assert!(
        stages.contains("BAKE_TIME"),
        "Progressing through the bake time: {stages:?}"
    );
    assert!(stages.len() >= 2, "more than one stage seen: {stages:?}");
    let status = ready.status.clone().unwrap();
    assert_eq!(status.strategy.as_deref(), Some("BLUE_GREEN"));
    let sd = status.service_deployment.unwrap();
    assert_eq!(
        sd.status.as_deref(),
        Some("SUCCESSFUL"),
        "Ready only once the deployment ended"
    );
    assert_eq!(sd.production_traffic_weight, Some(100.0));

    // ECS serves from the green target group now; that is not drift.
    let described = env
        .ecs
        .describe_services()
        .cluster(ready.status.as_ref().unwrap().cluster_arn.clone().unwrap())
        .services("web")
        .send()
        .await
        .unwrap();
    let lb = &described.services()[0].load_balancers()[0];
    assert_eq!(lb.target_group_arn(), Some(GREEN), "the pair swapped roles");
    let (updates, reads) = (
        calls(&double, "UpdateService"),
        calls(&double, "DescribeServiceDeployments"),
    );
    tokio::time::sleep(DRIFT * 3).await;
    assert_eq!(
        calls(&double, "UpdateService"),
        updates,
        "the swap is not drift"
    );
    assert_eq!(
        calls(&double, "DescribeServiceDeployments"),
        reads,
        "a settled service costs no service deployment reads"
    );
    assert!(is(
        &env.api::<EcsService>().get("web").await.unwrap(),
        "Ready",
        "True"
    ));
}

#[tokio::test]
async fn a_failing_hook_rolls_back_to_degraded_with_the_hooks_reason_and_no_redeploy() {
    let double = ecs_double::spawn(&DOUBLE);
    let (env, family) = ready_service(
        &double,
        "hookfail",
        "{strategy: BLUE_GREEN, bakeTimeInMinutes: 1}",
    )
    .await;
    let hook = "arn:aws:lambda:us-east-1:123456789012:function:smoke-test-fail";
    let with_hook = format!(
        "{{strategy: BLUE_GREEN, bakeTimeInMinutes: 1, lifecycleHooks: [{{hookTargetArn: '{hook}', \
         roleArn: 'arn:aws:iam::123456789012:role/hooks', lifecycleStages: [POST_SCALE_UP]}}]}}"
    );
    apply_any(&env, &service(&with_hook)).await;
    new_revision(&env, &family).await;
    let (degraded, _) = follow(&env, |s| {
        is(s, "Degraded", "True") && truth(s).is_some_and(|t| t.rolled_back())
    })
    .await;
    let (_, reason, message) = conditions(&degraded)["Degraded"].clone();
    assert!(message.contains(hook), "{reason}: {message}");
    let updates = calls(&double, "UpdateService");
    tokio::time::sleep(DRIFT * 4).await;
    let svc = env.api::<EcsService>().get("web").await.unwrap();
    assert_eq!(
        calls(&double, "UpdateService"),
        updates,
        "no redeploy of the rolled-back revision"
    );
    assert!(is(&svc, "Degraded", "True") && is(&svc, "Ready", "False"));
    assert_eq!(
        revision(&svc),
        Some(format!("{family}:1")),
        "ECS runs the revision it rolled back to"
    );
    let sd = truth(&svc).unwrap();
    assert!(sd.rolled_back(), "{sd:?}");
    assert!(
        sd.hooks.iter().any(|h| h.target_arn.as_deref() == Some(hook)
            && h.status.as_deref() == Some("FAILED")),
        "{sd:?}"
    );
}

#[tokio::test]
async fn the_rollback_annotation_stops_a_deployment_in_bake_time_once() {
    let double = ecs_double::spawn(&DOUBLE);
    let (env, family) = ready_service(
        &double,
        "stop",
        "{strategy: BLUE_GREEN, bakeTimeInMinutes: 5}",
    )
    .await;
    new_revision(&env, &family).await;
    collect(
        &env,
        |_| None::<()>,
        |s| truth(s).and_then(|t| t.lifecycle_stage).as_deref() == Some("BAKE_TIME"),
    )
    .await;
    let annotate = json!({"metadata": {"annotations": {"ecsbridge.dev/rollback": "first"}}});
    env.patch::<EcsService>("web", annotate).await;
    let (degraded, _) = follow(&env, |s| is(s, "Degraded", "True")).await;
    let updates = calls(&double, "UpdateService");
    tokio::time::sleep(DRIFT * 4).await;
    assert_eq!(calls(&double, "StopServiceDeployment"), 1, "stopped once");
    assert_eq!(
        calls(&double, "UpdateService"),
        updates,
        "no redeploy after the rollback"
    );
    let status = degraded.status.unwrap();
    assert_eq!(status.rollback.as_deref(), Some("first"));
    let svc = env.api::<EcsService>().get("web").await.unwrap();
    assert!(is(&svc, "Degraded", "True"));
    assert_eq!(revision(&svc), Some(format!("{family}:1")));
}

#[tokio::test]
async fn a_canary_rollout_reports_its_traffic_steps() {
    let double = ecs_double::spawn(&DOUBLE);
    let canary = "{strategy: CANARY, bakeTimeInMinutes: 0, canaryConfiguration: {canaryPercent: 10.0, \
                  canaryBakeTimeInMinutes: 2}}";
    let (env, family) = ready_service(&double, "canary", canary).await;
    new_revision(&env, &family).await;
    let (ready, weights) = collect(
        &env,
        |s| {
            let weight = truth(s)?.production_traffic_weight?;
            (!is(s, "Ready", "True")).then_some((weight * 10.0) as i64)
        },
        |s| rolled_out(s, &family),
    )
    .await;
    assert!(
        weights.contains(&100),
        "the canary step (10%) reported: {weights:?}"
    );
    let sd = truth(&ready).unwrap();
    assert_eq!(
        (sd.status.as_deref(), sd.production_traffic_weight),
        (Some("SUCCESSFUL"), Some(100.0))
    );
    assert_eq!(ready.status.unwrap().strategy.as_deref(), Some("CANARY"));
}
