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
