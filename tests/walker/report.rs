//! Running walks: the seeds of a run, shrinking a failing walk to a short replayable sequence, and the report of
//! walks, steps, invariant checks and (kind, field, step) coverage, printed and written under target/.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::coverage::{self, Covered};
use crate::failure::{self, Failure};
use crate::plan::{self, PARTS, Step};
use crate::walk::Tally;

/// How many reruns a shrink may take: `ECSB_WALK_SHRINK_RUNS`, 12 unless set.
fn shrink_runs() -> usize {
    std::env::var("ECSB_WALK_SHRINK_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

/// The seeds of this run: `ECSB_WALK_SEED` (one walk, or the first of `ECSB_WALKS`), else a base that changes
/// every day, so that CI walks a rotating set of seeds.
pub fn seeds() -> Vec<u64> {
    let walks: Option<u64> = std::env::var("ECSB_WALKS")
        .ok()
        .and_then(|v| v.parse().ok());
    let fixed: Option<u64> = std::env::var("ECSB_WALK_SEED")
        .ok()
        .map(|v| v.parse().expect("ECSB_WALK_SEED: a number"));
    let count = walks.unwrap_or(if fixed.is_some() { 1 } else { PARTS });
    let day = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    let base = fixed.unwrap_or(day * PARTS);
    (base..base + count).collect()
}

/// `ECSB_WALK_KEEP=1,4,7`: replay only these steps of the seed's walk.
pub fn keep() -> Option<BTreeSet<usize>> {
    let text = std::env::var("ECSB_WALK_KEEP").ok()?;
    Some(
        text.split(',')
            .map(|i| i.trim().parse().expect("ECSB_WALK_KEEP: step numbers"))
            .collect(),
    )
}

/// One seed's outcome.
pub struct Outcome {
    pub seed: u64,
    pub tally: Tally,
    pub elapsed: Duration,
    /// Every defect the walk found, each with the steps that still show it.
    pub failures: Vec<(Failure, BTreeSet<usize>)>,
}

/// Walks `seed`; each failure is shrunk to the fewest steps that still show it.
pub async fn walk(seed: u64, keep: Option<BTreeSet<usize>>) -> Outcome {
    let started = Instant::now();
    let steps = plan::generate(seed);
    let (tally, found) = failure::run(&steps, keep.as_ref()).await;
    let mut failures = Vec::new();
    for f in found {
        failures.push(match &keep {
            None if f.step != usize::MAX => shrink(&steps, f).await,
            Some(k) => (f, k.clone()),
            // Creating the objects failed: no step to replay.
            None => (f, BTreeSet::new()),
        });
    }
    Outcome {
        seed,
        tally,
        elapsed: started.elapsed(),
        failures,
    }
}

/// Drops steps one at a time (the failing one stays) while the walk still shows the same defect.
async fn shrink(steps: &[Step], failure: Failure) -> (Failure, BTreeSet<usize>) {
    let mut kept: BTreeSet<usize> = (0..=failure.step).collect();
    // The final deletion is what failed: keep it; else the steps after the failing one are not needed.
    let mut best = failure;
    let (mut runs, budget) = (0, shrink_runs());
    for candidate in (0..best.step).rev() {
        if runs == budget {
            break;
        }
        if !kept.contains(&candidate) {
            continue;
        }
        let mut trial = kept.clone();
        trial.remove(&candidate);
        runs += 1;
        let (_, found) = failure::run(steps, Some(&trial)).await;
        if let Some(f) = found
            .into_iter()
            .find(|f| f.step != usize::MAX && best.same(f))
        {
            kept = trial.into_iter().filter(|i| *i <= f.step).collect();
            best = f;
        }
    }
    (best, kept)
}

/// The report of a run: per walk, per kind coverage, failures with their replays.
pub fn render(outcomes: &[Outcome], elapsed: Duration) -> String {
    let mut out = String::new();
    let (mut steps, mut checks) = (0, 0);
    let mut covered = Covered::new();
    for o in outcomes {
        steps += o.tally.steps;
        checks += o.tally.checks;
        covered.extend(o.tally.covered.iter().cloned());
        let verdict = match o.failures.len() {
            0 => "ok".to_owned(),
            n => format!("FAILED ({n} defects)"),
        };
        let _ = writeln!(
            out,
            "walk seed {}: {verdict}, {} steps, {} invariant checks, {:.0?}",
            o.seed, o.tally.steps, o.tally.checks, o.elapsed
        );
    }
    let _ = writeln!(
        out,
        "{} walks in {elapsed:.0?} (in parallel), {steps} steps, {checks} invariant checks, {} distinct (kind, field, \
         step) combinations",
        outcomes.len(),
        covered.len()
    );
    let fields = crate::table::walked();
    coverage::render(&fields, &covered, &mut out);
    let gaps = coverage::gaps(&fields, &covered);
    if !gaps.is_empty() {
        let _ = writeln!(
            out,
            "  not yet through every class (this run's seeds or a failed walk): {}",
            gaps.join("; ")
        );
    }
    for o in outcomes {
        for (failure, kept) in &o.failures {
            render_failure(o.seed, failure, kept, &mut out);
        }
    }
    out
}

/// A failure: its replay line, its steps in plain words, what broke and how long the walk took to find it.
fn render_failure(seed: u64, failure: &Failure, kept: &BTreeSet<usize>, out: &mut String) {
    let steps = plan::generate(seed);
    let keep: Vec<String> = kept.iter().map(usize::to_string).collect();
    let _ = writeln!(
        out,
        "\nFAILED walk, replay: ECSB_WALK_SEED={} ECSB_WALK_KEEP={}",
        seed,
        keep.join(",")
    );
    let _ = writeln!(
        out,
        "  0. create the stack (two capacity providers, a cluster, a task definition, a service)"
    );
    for i in kept {
        let _ = writeln!(out, "  {}. {}", i + 1, plan::describe(&steps[*i]));
    }
    let _ = writeln!(
        out,
        "  broken after step {} ({:.0?} into the walk): {}",
        failure.step.wrapping_add(1),
        failure.after,
        failure.broken.message
    );
}

/// Writes the report to target/walker/report.txt.
pub fn write(report: &str) {
    write_as("report.txt", report);
}

/// Writes a report to target/walker/`file`.
pub fn write_as(file: &str, report: &str) {
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| format!("{}/target", env!("CARGO_MANIFEST_DIR")));
    let dir = std::path::Path::new(&target).join("walker");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(file), report).unwrap();
}
