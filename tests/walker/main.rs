//! Lifecycle walks (issue 23): seeded random sequences of steps that take every managed field of the field table
//! (`fields.yaml`) through add, change, out-of-band change, removal and deletion, with others' tags, policies and
//! associations, claims from another namespace, the operator stopped or killed, and the stack deleted as users'
//! tools do; the invariants are checked after every step. Runs against the real kube-apiserver (tests/control-plane)
//! with the operator and the ECS test double in-process. `ECSB_WALKS=N` walks more seeds, `ECSB_WALK_SEED=S` (with
//! `ECSB_WALK_KEEP=i,j`) replays one.

#[allow(dead_code)] // The e2e harness, shared with tests/e2e: the walker uses part of it.
#[path = "../e2e/harness.rs"]
mod harness;

mod check;
mod coverage;
mod deletion;
mod model;
mod oob;
mod plan;
mod regressions;
mod report;
mod snapshot;
mod stack;
mod table;
mod walk;

/// The CI walks: `plan::PARTS` consecutive seeds of the day (every walked field of the table), in parallel.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lifecycle_walks() {
    let started = std::time::Instant::now();
    let keep = report::keep();
    let runs = report::seeds()
        .into_iter()
        .map(|seed| report::walk(seed, keep.clone()));
    let outcomes = futures::future::join_all(runs).await;
    let text = report::render(&outcomes, started.elapsed());
    println!("{text}");
    report::write(&text);
    assert!(
        outcomes.iter().all(|o| o.failure.is_none()),
        "a walk broke an invariant:\n{text}"
    );
}
