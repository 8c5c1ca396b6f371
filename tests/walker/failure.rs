//! Broken invariants and running a walk past them: a wrong value, or something of someone else's gone, is written
//! off (no longer checked) and the walk goes on, so that one early defect does not hide the others; a stack that
//! does not settle, is not quiet or is not deleted ends the walk.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::model::Wrong;
use crate::plan::Step;
use crate::walk::World;

/// What a step broke: the invariants (keyed by field or held object); none when the stack itself is broken (it
/// did not settle, was not quiet, was not deleted), which ends the walk.
#[derive(Debug, Clone)]
pub struct Broken {
    pub message: String,
    pub keys: Vec<String>,
}

impl Broken {
    pub fn values(wrong: Vec<Wrong>) -> Self {
        let (keys, messages): (Vec<String>, Vec<String>) = wrong.into_iter().unzip();
        Broken {
            message: messages.join("; "),
            keys,
        }
    }

    /// Whether the walk can go on (only what the keys name is broken).
    pub fn recoverable(&self) -> bool {
        !self.keys.is_empty()
    }
}

impl From<String> for Broken {
    fn from(message: String) -> Self {
        Broken {
            message,
            keys: Vec::new(),
        }
    }
}

/// A broken invariant of a walk.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The step's index, `usize::MAX` while creating the objects.
    pub step: usize,
    pub broken: Broken,
    /// How long the walk had run when the step broke it.
    pub after: Duration,
}

impl Failure {
    /// Where the walk failed: creating its objects, or at a step (1-based).
    pub fn place(&self) -> String {
        match self.step {
            usize::MAX => "creating the objects".into(),
            step => format!("step {}", step + 1),
        }
    }

    /// Whether `other` is the same defect: the same keys, or for a broken stack the same first words.
    pub fn same(&self, other: &Failure) -> bool {
        let head = |b: &Broken| b.message.split(':').next().unwrap_or_default().to_owned();
        match self.broken.recoverable() {
            true => other
                .broken
                .keys
                .iter()
                .any(|k| self.broken.keys.contains(k)),
            false => !other.broken.recoverable() && head(&other.broken) == head(&self.broken),
        }
    }
}

/// Runs `steps` (the indices kept, all when None) in a fresh world; the counts and every failure, the walk going on
/// past those it can.
pub async fn run(
    steps: &[Step],
    keep: Option<&BTreeSet<usize>>,
) -> (crate::walk::Tally, Vec<Failure>) {
    let started = Instant::now();
    let mut world = World::new().await;
    let mut failures = Vec::new();
    if let Err(broken) = world.create().await {
        let after = started.elapsed();
        failures.push(Failure {
            step: usize::MAX,
            broken,
            after,
        });
        return (world.tally, failures);
    }
    for (i, step) in steps.iter().enumerate() {
        if keep.is_some_and(|k| !k.contains(&i)) {
            continue;
        }
        if let Err(broken) = world.step(step).await {
            let go_on = broken.recoverable();
            world.model.written_off.extend(broken.keys.iter().cloned());
            let after = started.elapsed();
            failures.push(Failure {
                step: i,
                broken,
                after,
            });
            if !go_on {
                break;
            }
        }
    }
    (world.tally, failures)
}
