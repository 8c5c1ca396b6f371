//! Lifecycle walks (issue 23): seeded random sequences of steps that take every managed field of the field table
//! (`fields.yaml`) through add, change, out-of-band change, removal and deletion, with others' tags, policies and
//! associations, claims from another namespace, the operator stopped or killed, and the stack deleted as users'
//! tools do; the invariants are checked after every step, and a walk goes on past a wrong value so that one defect
//! does not hide the next. The run walks (run_walk.rs) take EcsTask's fields through a run's life, the cron walks
//! (cron_walk.rs) EcsCronTask's through a schedule's, with one firing. Runs against the
//! real kube-apiserver (tests/control-plane) with the operator and the ECS test double in-process. `ECSB_WALKS=N`
//! walks more seeds, `ECSB_WALK_SEED=S` (with `ECSB_WALK_KEEP=i,j`) replays one.

#[allow(dead_code)] // The e2e harness, shared with tests/e2e: the walker uses part of it.
#[path = "../e2e/harness.rs"]
mod harness;

mod check;
mod coverage;
mod cron_checks;
mod cron_next;
mod cron_walk;
mod cron_world;
mod deletion;
mod failure;
mod model;
mod oob;
mod plan;
mod regressions;
mod report;
mod run_walk;
mod run_world;
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
        outcomes.iter().all(|o| o.failures.is_empty()),
        "a walk broke an invariant:\n{text}"
    );
}

/// The CI run walks (EcsTask): the same seeds of the day, in parallel with the stack walks.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_walks() {
    let started = std::time::Instant::now();
    let runs = report::seeds().into_iter().map(|seed| async move {
        let walk = run_walk::generate(seed);
        let (covered, checks, failures) = run_world::run(&walk).await;
        run_walk::Outcome {
            seed,
            walk,
            covered,
            checks,
            failures,
            elapsed: started.elapsed(),
        }
    });
    let outcomes = futures::future::join_all(runs).await;
    let text = run_walk::render(&outcomes, started.elapsed());
    println!("{text}");
    report::write_as("runs.txt", &text);
    assert!(
        outcomes.iter().all(|o| o.failures.is_empty()),
        "a run walk broke an invariant:\n{text}"
    );
}

/// The CI cron walks (EcsCronTask): the same seeds of the day, in parallel; each fires once (up to a minute).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cron_walks() {
    let started = std::time::Instant::now();
    let runs = report::seeds().into_iter().map(|seed| async move {
        let walk = cron_walk::generate(seed);
        let (covered, checks, failures) = cron_world::run(&walk).await;
        cron_walk::Outcome {
            seed,
            walk,
            covered,
            checks,
            failures,
            elapsed: started.elapsed(),
        }
    });
    let outcomes = futures::future::join_all(runs).await;
    let text = cron_walk::render(&outcomes, started.elapsed());
    println!("{text}");
    report::write_as("crons.txt", &text);
    assert!(
        outcomes.iter().all(|o| o.failures.is_empty()),
        "a cron walk broke an invariant:\n{text}"
    );
}
