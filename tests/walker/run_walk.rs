//! The walk of a run (EcsTask): started with the table's samples of its fields, then, while it is active, its spec
//! edited (a started run never changes: a Warning `SpecChangedWhileActive`), one of its tasks stopped in ECS by
//! someone, someone else's task in the cluster, the operator stopped while the tasks end; finally deleted, alone or
//! with its cluster and task definition, with `deletionPolicy` Delete or Retain, while active or once ended.

use std::collections::BTreeMap;
use std::time::Duration;

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::coverage::{self, Covered};
use crate::plan::Rng;
use crate::table::{self, Field};

/// What the walk does while the run is active.
#[derive(Clone, Debug, PartialEq)]
pub enum RunStep {
    /// The spec's `field` edited to `value` (ECS keeps what the run started with).
    Edit { field: String, value: Value },
    /// One of the run's tasks stopped with StopTask by someone else.
    StopInEcs,
    /// Someone else runs a task in the run's cluster.
    ForeignTask,
    /// The operator stopped for `seconds` while the run's tasks end.
    Pause { seconds: u64 },
}

/// How the run is deleted.
#[derive(Clone, Debug, PartialEq)]
pub struct RunDeletion {
    pub retain: bool,
    /// While the run is active (else once it ended).
    pub active: bool,
    /// The cluster and task definition deleted with it (`kubectl delete -f` of the file).
    pub with_stack: bool,
}

/// A run's walk: the spec it starts with, its steps while active, its deletion.
#[derive(Clone, Debug, PartialEq)]
pub struct RunWalk {
    pub start: BTreeMap<String, Value>,
    pub steps: Vec<RunStep>,
    pub deletion: RunDeletion,
}

/// The table's walked EcsTask rows.
pub fn fields() -> Vec<Field> {
    table::all()
        .into_iter()
        .filter(|f| f.kind == "EcsTask" && f.walked())
        .collect()
}

/// The run walk of `seed`: every walked field set at the start, some edited while active.
pub fn generate(seed: u64) -> RunWalk {
    let mut rng = Rng::new(seed ^ 0x7A5C);
    let fields = fields();
    let mut start = BTreeMap::new();
    for f in &fields {
        start.insert(
            f.path.clone(),
            f.samples[rng.below(f.samples.len())].clone(),
        );
    }
    // Each field is edited in one of two consecutive seeds; the edit is to another sample.
    let mut steps: Vec<RunStep> = fields
        .iter()
        .enumerate()
        .filter(|(i, _)| *i as u64 % 2 == seed % 2)
        .map(|(_, f)| {
            let others: Vec<&Value> = f.samples.iter().filter(|s| **s != start[&f.path]).collect();
            RunStep::Edit {
                field: f.path.clone(),
                value: others[rng.below(others.len())].clone(),
            }
        })
        .collect();
    for step in [RunStep::StopInEcs, RunStep::ForeignTask] {
        if rng.chance(60) {
            steps.push(step);
        }
    }
    rng.shuffle(&mut steps);
    if rng.chance(40) {
        steps.push(RunStep::Pause {
            seconds: 4 + rng.below(3) as u64,
        });
    }
    let deletion = RunDeletion {
        retain: rng.chance(50),
        active: rng.chance(50),
        with_stack: rng.chance(50),
    };
    RunWalk {
        start,
        steps,
        deletion,
    }
}

/// The EcsTask manifest: the run on the walk's cluster and task definition, with `fields` (path → value).
pub fn manifest(fields: &BTreeMap<String, Value>, retain: bool) -> Value {
    let mut spec = json!({
        "clusterRef": {"name": "main"},
        "taskDefinitionRef": {"name": "job"},
        "launchType": "EC2",
        "deletionPolicy": if retain { "Retain" } else { "Delete" },
    });
    for (path, value) in fields {
        spec[path] = value.clone();
    }
    json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsTask", "metadata": {"name": "run"}, "spec": spec})
}

pub fn describe(walk: &RunWalk) -> String {
    let mut out = format!(
        "start the run with {}",
        serde_json::to_string(&walk.start).unwrap()
    );
    for step in &walk.steps {
        out.push_str("; ");
        out.push_str(&match step {
            RunStep::Edit { field, value } => format!("edit {field} to {value} while active"),
            RunStep::StopInEcs => "someone stops one of its tasks in ECS".into(),
            RunStep::ForeignTask => "someone else runs a task in the cluster".into(),
            RunStep::Pause { seconds } => format!("stop the operator for {seconds} s"),
        });
    }
    let d = &walk.deletion;
    out.push_str(&format!(
        "; delete it {} with deletionPolicy {}{}",
        if d.active {
            "while active"
        } else {
            "once ended"
        },
        if d.retain { "Retain" } else { "Delete" },
        if d.with_stack {
            ", together with its cluster and task definition"
        } else {
            ""
        }
    ));
    out
}

/// One run walk's outcome.
pub struct Outcome {
    pub seed: u64,
    pub walk: RunWalk,
    pub covered: Covered,
    pub checks: u64,
    pub failures: Vec<String>,
    pub elapsed: Duration,
}

/// The run walks' report: per walk, the coverage of EcsTask's fields, each failure with its walk in plain words.
pub fn render(outcomes: &[Outcome], elapsed: Duration) -> String {
    let mut out = String::new();
    let mut covered = Covered::new();
    for o in outcomes {
        covered.extend(o.covered.iter().cloned());
        let verdict = match o.failures.len() {
            0 => "ok".to_owned(),
            n => format!("FAILED ({n})"),
        };
        let _ = writeln!(
            out,
            "run walk seed {}: {verdict}, {} steps, {} invariant checks, {:.0?}",
            o.seed,
            o.walk.steps.len() + 2,
            o.checks,
            o.elapsed
        );
    }
    let _ = writeln!(
        out,
        "{} run walks in {elapsed:.0?} (in parallel)",
        outcomes.len()
    );
    let fields = fields();
    coverage::render(&fields, &covered, &mut out);
    let gaps = coverage::gaps(&fields, &covered);
    if !gaps.is_empty() {
        let _ = writeln!(out, "  not yet through every class: {}", gaps.join("; "));
    }
    for o in outcomes.iter().filter(|o| !o.failures.is_empty()) {
        let _ = writeln!(
            out,
            "\nFAILED run walk, replay: ECSB_WALK_SEED={}\n  {}\n  broken: {}",
            o.seed,
            describe(&o.walk),
            o.failures.join("; ")
        );
    }
    out
}
