//! PAUSE lifecycle hooks end to end, against the ECS test double (docs/ecs-behaviour.md, entries 145-147): a PAUSE
//! hook holds a BLUE_GREEN deployment (`Paused=True`, `kubectl wait --for=condition=Paused` returns, not Ready) until
//! `ecsbridge.dev/continue` continues it, once, to Ready; `ecsbridge.dev/rollback` on a paused deployment answers the
//! hook with ROLLBACK: Degraded, and the rolled-back revision is not deployed again; a hook nobody answers takes its
//! time-out action (ROLLBACK by default, or CONTINUE).

use ecs_bridge::api::EcsService;
use serde_json::json;

use crate::harness::Env;
use crate::rollout::{apply_any, conditions, follow, is};
use crate::service_truth::calls;
use crate::strategies::{
    DOUBLE, DRIFT, new_revision, ready_service, revision, rolled_out, service, truth,
    wait_for_hooks,
};
use crate::tools::kubectl;

/// A BLUE_GREEN deployment with a PAUSE hook after the test traffic shift; `timeout` its timeoutConfiguration.
fn paused_at_test_traffic(timeout: &str) -> String {
    format!(
        "{{strategy: BLUE_GREEN, bakeTimeInMinutes: 1, lifecycleHooks: [{{targetType: PAUSE, \
         lifecycleStages: [POST_TEST_TRAFFIC_SHIFT], timeoutConfiguration: {timeout}}}]}}"
    )
}

/// A Ready service whose next revision is deployed with a PAUSE hook configured by `timeout`; returns the family.
async fn deploying_with_pause(
    double: &ecs_double::Running,
    test: &str,
    timeout: &str,
) -> (Env, String) {
    let (env, family) =
        ready_service(double, test, "{strategy: BLUE_GREEN, bakeTimeInMinutes: 1}").await;
    apply_any(&env, &service(&paused_at_test_traffic(timeout))).await;
    wait_for_hooks(&env, 1).await;
    new_revision(&env, &family).await;
    (env, family)
}

fn paused(svc: &EcsService) -> bool {
    is(svc, "Paused", "True")
}

/// Holds 60 bake-time minutes (3 minutes of the double's clock): nothing times out during the test.
const LONG: &str = "{timeoutInMinutes: 60}";

#[tokio::test]
async fn a_pause_hook_holds_a_blue_green_deployment_until_the_continue_annotation_then_ready() {
    let double = ecs_double::spawn(&DOUBLE);
    let (env, family) = deploying_with_pause(&double, "pausecont", LONG).await;
    // kubectl blocks: off the runtime the operator runs on.
    let namespace = env.namespace.clone();
    let waited = tokio::task::spawn_blocking(move || {
        kubectl(
            &[
                "wait",
                "--for=condition=Paused",
                "ecsservices.ecsbridge.dev/web",
                "-n",
                &namespace,
                "--timeout=90s",
            ],
            None,
        )
    })
    .await
    .unwrap();
    if !waited.ok {
        let yaml = kubectl(
            &["get", "ecss/web", "-n", &env.namespace, "-o", "yaml"],
            None,
        );
        panic!("kubectl wait: {}\n{}", waited.stderr, yaml.stdout);
    }
    let (held, _) = follow(&env, paused).await;
    let status = held.status.clone().unwrap();
    let pause = status.paused.clone().expect("status.paused");
    assert_eq!(pause.stage.as_deref(), Some("POST_TEST_TRAFFIC_SHIFT"));
    assert!(
        pause.expires_at.is_some() && !pause.hook_id.is_empty(),
        "{pause:?}"
    );
    assert_eq!(pause.timeout_action.as_deref(), Some("ROLLBACK"));
    assert!(is(&held, "Ready", "False") && is(&held, "Progressing", "True"));
    let (_, reason, message) = conditions(&held)["Paused"].clone();
    assert!(message.contains(&pause.hook_id), "{reason}: {message}");

    // The pause holds: the deployment does not end on its own.
    tokio::time::sleep(DRIFT * 3).await;
    let svc = env.api::<EcsService>().get("web").await.unwrap();
    assert!(paused(&svc) && is(&svc, "Ready", "False"), "still paused");
    assert_eq!(
        truth(&svc).and_then(|t| t.status).as_deref(),
        Some("IN_PROGRESS")
    );

    let annotate = json!({"metadata": {"annotations": {"ecsbridge.dev/continue": "go"}}});
    env.patch::<EcsService>("web", annotate).await;
    let (ready, _) = follow(&env, |s| rolled_out(s, &family)).await;
    let status = ready.status.clone().unwrap();
    assert_eq!(status.continued.as_deref(), Some("go"));
    assert_eq!(status.paused, None);
    assert!(is(&ready, "Paused", "False"));
    let hook = truth(&ready)
        .unwrap()
        .hooks
        .into_iter()
        .find(|h| h.target_type.as_deref() == Some("PAUSE"))
        .expect("the pause hook in status");
    assert_eq!(hook.status.as_deref(), Some("SUCCEEDED"));
    // Re-reconciles (the drift interval) never continue twice.
    tokio::time::sleep(DRIFT * 3).await;
    assert_eq!(
        calls(&double, "ContinueServiceDeployment"),
        1,
        "continued once"
    );
}

#[tokio::test]
async fn the_rollback_annotation_answers_a_paused_hook_with_rollback_to_degraded_and_no_redeploy() {
    let double = ecs_double::spawn(&DOUBLE);
    let (env, family) = deploying_with_pause(&double, "pauseroll", LONG).await;
    follow(&env, paused).await;
    let annotate = json!({"metadata": {"annotations": {"ecsbridge.dev/rollback": "no"}}});
    env.patch::<EcsService>("web", annotate).await;
    let (degraded, _) = follow(&env, |s| is(s, "Degraded", "True")).await;
    assert!(is(&degraded, "Ready", "False") && !paused(&degraded));
    let updates = calls(&double, "UpdateService");
    tokio::time::sleep(DRIFT * 4).await;
    assert_eq!(calls(&double, "ContinueServiceDeployment"), 1);
    assert_eq!(
        calls(&double, "StopServiceDeployment"),
        0,
        "a paused deployment is rolled back through its hook"
    );
    assert_eq!(
        calls(&double, "UpdateService"),
        updates,
        "no redeploy of the rolled-back revision"
    );
    let svc = env.api::<EcsService>().get("web").await.unwrap();
    assert!(is(&svc, "Degraded", "True"));
    assert_eq!(revision(&svc), Some(format!("{family}:1")));
    assert!(truth(&svc).unwrap().rolled_back());
}

#[tokio::test]
async fn an_unanswered_pause_takes_its_time_out_action_rollback_by_default() {
    let double = ecs_double::spawn(&DOUBLE);
    // One bake-time minute: 3 s of the double's clock; the action left out is ROLLBACK.
    let (env, family) =
        deploying_with_pause(&double, "pausetimeout", "{timeoutInMinutes: 1}").await;
    let (degraded, _) = follow(&env, |s| is(s, "Degraded", "True")).await;
    let hook = truth(&degraded)
        .unwrap()
        .hooks
        .into_iter()
        .find(|h| h.target_type.as_deref() == Some("PAUSE"))
        .expect("the pause hook in status");
    assert_eq!(hook.status.as_deref(), Some("TIMED_OUT"));
    assert_eq!(calls(&double, "ContinueServiceDeployment"), 0);
    let updates = calls(&double, "UpdateService");
    tokio::time::sleep(DRIFT * 3).await;
    assert_eq!(calls(&double, "UpdateService"), updates, "no redeploy");
    let svc = env.api::<EcsService>().get("web").await.unwrap();
    assert_eq!(revision(&svc), Some(format!("{family}:1")));
}

#[tokio::test]
async fn an_unanswered_pause_with_the_continue_time_out_action_goes_on_to_ready() {
    let double = ecs_double::spawn(&DOUBLE);
    let (env, family) = deploying_with_pause(
        &double,
        "pausetimeoutgo",
        "{timeoutInMinutes: 1, action: CONTINUE}",
    )
    .await;
    let (ready, _) = follow(&env, |s| rolled_out(s, &family)).await;
    assert!(!paused(&ready));
    assert_eq!(calls(&double, "ContinueServiceDeployment"), 0);
}
