//! ECS-native BLUE_GREEN and CANARY deployments end to end, against the ECS test double (docs/ecs-behaviour.md,
//! entries 73-78): a rollout is followed stage by stage and is Ready only after its bake time; a failing lifecycle
//! hook rolls it back to Degraded with the hook's reason and the revision is not deployed again;
//! `ecsbridge.dev/rollback` stops a deployment in its bake time, once; a canary reports its traffic steps; the
//! target group swap after success is not drift.

use std::collections::BTreeSet;
use std::time::Duration;

use std::sync::Arc;

use ecs_bridge::api::EcsService;
use ecs_bridge::api::service::ServiceDeploymentTruth;
use ecs_bridge::ecs::{Ecs, EcsSettings};
use ecs_bridge::metrics::Metrics;
use serde_json::json;

use crate::harness::{Env, configure, eventually, unique};
use crate::rollout::{apply_any, conditions, follow, is, manifests};
use crate::service_truth::calls;

/// The double's clock: a 4 s rollout (1 s per short stage) and 3 s per bake-time minute.
pub(crate) const DOUBLE: [&str; 4] = ["--rollout-seconds", "80", "--speedup", "20"];
pub(crate) const DRIFT: Duration = Duration::from_secs(3);

const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1";
const GREEN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2";

const RULE: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/3";
const ROLE: &str = "arn:aws:iam::123456789012:role/ecs-infrastructure";

/// An EcsService with load balancer traffic shifting and `deployment` as its deploymentConfiguration.
pub(crate) fn service(deployment: &str) -> String {
    service_with(deployment, RULE, ROLE)
}

/// Like [`service`], with this production listener rule and load balancer role.
fn service_with(deployment: &str, rule: &str, role: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec:\n  \
         clusterRef: {{name: main}}\n  taskDefinitionRef: {{name: web}}\n  desiredCount: 2\n  launchType: EC2\n  \
         loadBalancers:\n  - targetGroupArn: {BLUE}\n    containerName: web\n    containerPort: 80\n    \
         advancedConfiguration:\n      alternateTargetGroupArn: {GREEN}\n      \
         productionListenerRule: {rule}\n      roleArn: {role}\n  deploymentConfiguration: {deployment}\n"
    )
}

/// A double, an Env and a first deployment of `deployment` that is Ready; returns the family.
pub(crate) async fn ready_service(
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

pub(crate) async fn new_revision(env: &Env, family: &str) {
    apply_any(env, &manifests("unused", family, "app:2")[1]).await;
}

pub(crate) fn truth(svc: &EcsService) -> Option<ServiceDeploymentTruth> {
    svc.status.as_ref()?.service_deployment.clone()
}

pub(crate) fn revision(svc: &EcsService) -> Option<String> {
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
    let mut last = None;
    for _ in 0..450 {
        let svc = api.get("web").await.unwrap();
        all.extend(seen(&svc));
        if done(&svc) {
            return (svc, all);
        }
        last = Some(svc);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = last.and_then(|s| s.status);
    panic!(
        "timed out; seen so far: {} values; last status: {:#?}",
        all.len(),
        status.map(|s| (s.conditions, s.service_deployment, s.last_rollout))
    );
}

/// Ready, with the service deployment of revision 2 over.
pub(crate) fn rolled_out(svc: &EcsService, family: &str) -> bool {
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
    wait_for_hook_target(&env, hook).await;
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

/// The ECS service as ECS describes it now.
pub(crate) async fn described(env: &Env) -> aws_sdk_ecs::types::Service {
    let svc = env.api::<EcsService>().get("web").await.unwrap();
    let cluster = svc.status.and_then(|s| s.cluster_arn).expect("a cluster");
    let out = env
        .ecs
        .describe_services()
        .cluster(cluster)
        .services("web")
        .send()
        .await
        .unwrap();
    out.services()[0].clone()
}

/// How many lifecycle hooks ECS shows for the service.
pub(crate) fn hooks(service: &aws_sdk_ecs::types::Service) -> usize {
    service
        .deployment_configuration()
        .map_or(0, |d| d.lifecycle_hooks().len())
}

/// Waits until ECS shows `count` lifecycle hooks (the spec reached ECS before a new revision is deployed).
pub(crate) async fn wait_for_hooks(env: &Env, count: usize) {
    eventually(
        DRIFT * 10,
        &format!("{count} lifecycle hooks in ECS"),
        || async { hooks(&described(env).await) == count },
    )
    .await;
}

/// Waits until ECS shows one lifecycle hook, calling `target`.
async fn wait_for_hook_target(env: &Env, target: &str) {
    eventually(DRIFT * 10, &format!("the hook {target} in ECS"), || async {
        let service = described(env).await;
        let hooks = service
            .deployment_configuration()
            .map(|d| d.lifecycle_hooks().to_vec())
            .unwrap_or_default();
        hooks.len() == 1 && hooks[0].hook_target_arn() == Some(target)
    })
    .await;
}

/// `lifecycleHooks: []` is managed like every list: it removes the hooks ECS has.
#[tokio::test]
async fn an_empty_list_of_lifecycle_hooks_removes_them_from_ecs() {
    let double = ecs_double::spawn(&DOUBLE);
    let hook = "arn:aws:lambda:us-east-1:123456789012:function:smoke-test";
    let with_hook = format!(
        "{{strategy: BLUE_GREEN, bakeTimeInMinutes: 1, lifecycleHooks: [{{hookTargetArn: '{hook}', \
         roleArn: 'arn:aws:iam::123456789012:role/hooks', lifecycleStages: [POST_SCALE_UP]}}]}}"
    );
    let (env, _) = ready_service(&double, "nohooks", &with_hook).await;
    assert_eq!(hooks(&described(&env).await), 1);
    apply_any(
        &env,
        &service("{strategy: BLUE_GREEN, bakeTimeInMinutes: 1, lifecycleHooks: []}"),
    )
    .await;
    wait_for_hooks(&env, 0).await;
    let updates = calls(&double, "UpdateService");
    tokio::time::sleep(DRIFT * 3).await;
    assert_eq!(
        calls(&double, "UpdateService"),
        updates,
        "`[]` matches ECS without hooks: no update over three drift checks"
    );
}

/// After a blue/green deployment swapped the target group pair, a new listener rule or role still reaches ECS;
/// only the pair is swappable.
#[tokio::test]
async fn after_a_target_group_swap_a_new_listener_rule_and_role_reach_ecs() {
    let double = ecs_double::spawn(&DOUBLE);
    let deployment = "{strategy: BLUE_GREEN, bakeTimeInMinutes: 0}";
    let (env, family) = ready_service(&double, "swaprule", deployment).await;
    new_revision(&env, &family).await;
    follow(&env, |s| rolled_out(s, &family)).await;
    let lb = described(&env).await.load_balancers()[0].clone();
    assert_eq!(lb.target_group_arn(), Some(GREEN), "the pair swapped roles");
    let (rule, role) = (
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/9",
        "arn:aws:iam::123456789012:role/ecs-infrastructure-2",
    );
    apply_any(&env, &service_with(deployment, rule, role)).await;
    eventually(DRIFT * 20, "the new rule and role in ECS", || async {
        let service = described(&env).await;
        let advanced = service.load_balancers()[0]
            .advanced_configuration()
            .cloned();
        advanced.is_some_and(|a| {
            a.production_listener_rule() == Some(rule) && a.role_arn() == Some(role)
        })
    })
    .await;
    follow(&env, |s| is(s, "Ready", "True")).await;
    let lb = described(&env).await.load_balancers()[0].clone();
    let pair = [
        lb.target_group_arn().map(str::to_owned),
        lb.advanced_configuration()
            .and_then(|a| a.alternate_target_group_arn())
            .map(str::to_owned),
    ];
    assert!(
        pair == [Some(BLUE.into()), Some(GREEN.into())]
            || pair == [Some(GREEN.into()), Some(BLUE.into())],
        "the pair stays the pair: {pair:?}"
    );
    let updates = calls(&double, "UpdateService");
    tokio::time::sleep(DRIFT * 3).await;
    assert_eq!(
        calls(&double, "UpdateService"),
        updates,
        "settled: no more updates"
    );
}

/// ECS's list of service deployments may lag behind the service (eventual consistency): the deployment the
/// operator started is judged by the service's current service deployment, not by an older rolled-back one that
/// the list still shows as the newest.
#[tokio::test]
async fn an_older_rolled_back_deployment_in_a_lagging_list_never_fails_the_new_one() {
    let double = ecs_double::spawn(&DOUBLE);
    let with_hook = |target: &str| {
        format!(
            "{{strategy: BLUE_GREEN, bakeTimeInMinutes: 1, lifecycleHooks: [{{hookTargetArn: '{target}', \
             roleArn: 'arn:aws:iam::123456789012:role/hooks', lifecycleStages: [POST_SCALE_UP]}}]}}"
        )
    };
    let (failing, fixed) = (
        "arn:aws:lambda:us-east-1:123456789012:function:smoke-test-fail",
        "arn:aws:lambda:us-east-1:123456789012:function:smoke-test",
    );
    let (env, family) = ready_service(&double, "lagging", &with_hook(fixed)).await;
    apply_any(&env, &service(&with_hook(failing))).await;
    wait_for_hook_target(&env, failing).await;
    new_revision(&env, &family).await;
    follow(&env, |s| {
        is(s, "Degraded", "True") && truth(s).is_some_and(|t| t.rolled_back())
    })
    .await;
    // From now on a new service deployment is listed only 10 s after it started.
    configure(&double, r#"{"listLagSeconds": 10}"#);
    apply_any(&env, &service(&with_hook(fixed))).await;
    wait_for_hook_target(&env, fixed).await;
    apply_any(&env, &manifests("unused", &family, "app:3")[1]).await;
    let (done, _) = follow(&env, |s| {
        let third = revision(s).as_deref() == Some(&format!("{family}:3"));
        (is(s, "Ready", "True") && third) || third_failed(s)
    })
    .await;
    let status = done.status.clone().unwrap();
    assert!(
        is(&done, "Ready", "True"),
        "revision 3 rolls out: {:#?}",
        (
            conditions(&done),
            status.last_rollout,
            status.service_deployment
        )
    );
    let record = status.last_rollout.unwrap();
    assert_eq!(format!("{:?}", record.outcome), "Completed");
}

/// Whether the deployment the operator started for revision 3 is remembered as failed.
fn third_failed(svc: &EcsService) -> bool {
    svc.status
        .as_ref()
        .and_then(|s| s.last_rollout.as_ref())
        .is_some_and(|r| {
            r.task_definition
                .as_deref()
                .is_some_and(|td| td.ends_with(":3"))
                && format!("{:?}", r.outcome) == "Failed"
        })
}

/// A StopServiceDeployment that failed (a 5xx, a time-out) is not "done": the rollback is sent again until ECS
/// shows it.
#[tokio::test]
async fn a_rollback_whose_stop_call_failed_is_sent_again_until_ecs_shows_it() {
    let double = ecs_double::spawn(&DOUBLE);
    let (env, family) = ready_service(
        &double,
        "stopretry",
        "{strategy: BLUE_GREEN, bakeTimeInMinutes: 10}",
    )
    .await;
    new_revision(&env, &family).await;
    collect(
        &env,
        |_| None::<()>,
        |s| truth(s).and_then(|t| t.lifecycle_stage).as_deref() == Some("BAKE_TIME"),
    )
    .await;
    configure(
        &double,
        r#"{"faultRate": 1, "timeoutSeconds": 0, "faultOperations": ["StopServiceDeployment"]}"#,
    );
    let annotate = json!({"metadata": {"annotations": {"ecsbridge.dev/rollback": "now"}}});
    env.patch::<EcsService>("web", annotate).await;
    eventually(DRIFT * 10, "a failed StopServiceDeployment", || async {
        calls(&double, "StopServiceDeployment") >= 1
    })
    .await;
    configure(&double, r#"{"faultRate": 0}"#);
    let first = format!("{family}:1");
    let (done, _) = follow(&env, |s| {
        (is(s, "Degraded", "True") && revision(s).as_deref() == Some(&first))
            || rolled_out(s, &family)
    })
    .await;
    assert!(
        is(&done, "Degraded", "True") && truth(&done).is_some_and(|t| t.rolled_back()),
        "rolled back to revision 1 after the failed call: {:#?}",
        conditions(&done)
    );
    assert_eq!(
        done.status.unwrap().rollback.as_deref(),
        Some("now"),
        "done once ECS shows the rollback"
    );
    let stops = calls(&double, "StopServiceDeployment");
    tokio::time::sleep(DRIFT * 3).await;
    assert_eq!(
        calls(&double, "StopServiceDeployment"),
        stops,
        "and not sent again"
    );
}

/// On a ROLLING service the rollback annotation is answered at once (acted on, or refused with a message): it is
/// never kept to fire at a later deployment.
#[tokio::test]
async fn the_rollback_annotation_on_a_rolling_service_is_answered_at_once_and_never_fires_later() {
    let double = ecs_double::spawn(&DOUBLE);
    let env = Env::against_with_drift_interval(&unique("rolling"), &double.url, DRIFT).await;
    let (cluster, family) = (unique("c"), unique("td"));
    for manifest in manifests(&cluster, &family, "app:1") {
        apply_any(&env, &manifest).await;
    }
    follow(&env, |s| is(s, "Ready", "True")).await;
    let annotate = json!({"metadata": {"annotations": {"ecsbridge.dev/rollback": "early"}}});
    env.patch::<EcsService>("web", annotate).await;
    let (answered, _) = follow(&env, |s| {
        s.status.as_ref().and_then(|st| st.rollback.as_deref()) == Some("early")
    })
    .await;
    assert!(
        is(&answered, "Ready", "True"),
        "{:#?}",
        conditions(&answered)
    );
    // Later the service moves to BLUE_GREEN with a new revision: the old annotation does not stop it.
    apply_any(
        &env,
        &service("{strategy: BLUE_GREEN, bakeTimeInMinutes: 1}"),
    )
    .await;
    new_revision(&env, &family).await;
    follow(&env, |s| rolled_out(s, &family)).await;
    assert_eq!(
        calls(&double, "StopServiceDeployment"),
        0,
        "the annotation did not fire later"
    );
}

/// The truth of a BLUE_GREEN service is its current service deployment, however many pages of older ones ECS
/// lists before it (ECS documents no order; the double lists oldest first).
#[tokio::test]
async fn the_newest_service_deployment_is_found_on_any_page() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "1"]);
    let settings = EcsSettings {
        endpoint_url: Some(double.url.clone()),
        region: Some("us-east-1".into()),
        ..Default::default()
    };
    let ecs = Ecs::from_env(&settings, Arc::new(Metrics::default())).await;
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&double.url)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    let raw = aws_sdk_ecs::Client::new(&config);
    let cluster = unique("pages");
    raw.create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .unwrap();
    let container = aws_sdk_ecs::types::ContainerDefinition::builder()
        .name("app")
        .image("busybox")
        .memory(64)
        .build();
    raw.register_task_definition()
        .family("pages")
        .container_definitions(container)
        .send()
        .await
        .unwrap();
    let blue_green = aws_sdk_ecs::types::DeploymentConfiguration::builder()
        .strategy(aws_sdk_ecs::types::DeploymentStrategy::BlueGreen)
        .bake_time_in_minutes(0)
        .build();
    raw.create_service()
        .cluster(&cluster)
        .service_name("web")
        .task_definition("pages")
        .desired_count(1)
        .deployment_configuration(blue_green)
        .send()
        .await
        .unwrap();
    for _ in 0..24 {
        raw.update_service()
            .cluster(&cluster)
            .service("web")
            .force_new_deployment(true)
            .send()
            .await
            .unwrap();
    }
    let described = raw
        .describe_services()
        .cluster(&cluster)
        .services("web")
        .send()
        .await
        .unwrap();
    let current = described.services()[0]
        .current_service_deployment()
        .unwrap()
        .to_owned();
    let newest = ecs
        .newest_service_deployment(&cluster, "web")
        .await
        .unwrap()
        .expect("a service deployment");
    assert_eq!(newest.service_deployment_arn, current);
}
