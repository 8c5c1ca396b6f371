//! The suite can fail: a double with one documented behaviour broken on purpose (`--break NAME`) fails the
//! scenario that holds that behaviour, while the intact double passes it.

use crate::backend::Backend;
use crate::harness::{Scenario, run_on};

/// `scenario` fails on a double run with `--break broken` (with an error that mentions `expected`) and passes on
/// the intact double.
async fn fails_only_when_broken(broken: &str, scenario: Scenario, expected: &str) {
    let outcome = run_on(Backend::double(&["--break", broken]), scenario).await;
    let err = outcome.expect_err("a double with the behaviour broken must fail the scenario");
    assert!(err.contains(expected), "{err}");
    run_on(Backend::double(&[]), scenario)
        .await
        .expect("the intact double passes");
}

#[tokio::test]
async fn breaking_a_documented_behaviour_fails_its_scenario() {
    fails_only_when_broken(
        "daemon-desired-count",
        |run| Box::pin(crate::services::daemon_services_take_no_desired_count(run)),
        "DAEMON",
    )
    .await;
}

#[tokio::test]
async fn a_double_without_task_definition_defaults_fails_their_scenario() {
    fails_only_when_broken(
        "task-definition-defaults",
        |run| Box::pin(crate::task_definitions::register_fills_in_container_defaults(run)),
        "health check defaults",
    )
    .await;
}

#[tokio::test]
async fn a_double_that_ignores_run_task_tokens_fails_the_token_scenario() {
    fails_only_when_broken(
        "run-task-client-token",
        |run| {
            Box::pin(crate::tasks::run_task_with_the_same_client_token_returns_the_same_task(run))
        },
        "another task",
    )
    .await;
}

#[tokio::test]
async fn a_double_whose_daemons_never_roll_back_fails_the_daemon_scenario() {
    fails_only_when_broken(
        "daemon-rollback",
        |run| {
            Box::pin(crate::daemons::daemon_rolls_out_rolls_back_and_is_deleted(
                run,
            ))
        },
        "cannot be pulled succeeded",
    )
    .await;
}
