//! The suite can fail: a double with one documented behaviour broken on purpose (`--break NAME`) fails the
//! scenario that holds that behaviour, while the intact double passes it.

use crate::backend::Backend;
use crate::harness::run_on;

#[tokio::test]
async fn breaking_a_documented_behaviour_fails_its_scenario() {
    let scenario: crate::harness::Scenario =
        |run| Box::pin(crate::services::daemon_services_take_no_desired_count(run));
    let broken = run_on(
        Backend::double(&["--break", "daemon-desired-count"]),
        scenario,
    )
    .await;
    let err =
        broken.expect_err("a double that accepts desiredCount for DAEMON must fail the scenario");
    assert!(err.contains("DAEMON"), "{err}");
    run_on(Backend::double(&[]), scenario)
        .await
        .expect("the intact double passes");
}

#[tokio::test]
async fn a_double_that_ignores_run_task_tokens_fails_the_token_scenario() {
    let scenario: crate::harness::Scenario = |run| {
        Box::pin(crate::tasks::run_task_with_the_same_client_token_returns_the_same_task(run))
    };
    let broken = run_on(
        Backend::double(&["--break", "run-task-client-token"]),
        scenario,
    )
    .await;
    let err = broken.expect_err("a double that ignores the client token must fail the scenario");
    assert!(err.contains("another task"), "{err}");
    run_on(Backend::double(&[]), scenario)
        .await
        .expect("the intact double passes");
}
