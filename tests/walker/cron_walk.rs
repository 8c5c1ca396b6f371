//! The walk of a schedule (EcsCronTask): created with the table's samples of its fields, then each field changed
//! to another sample; one firing (the schedule set to every minute until its run appears); someone else edits or
//! deletes that run, or creates an EcsTask with the cron task's label; some fields removed; finally deleted with
//! `deletionPolicy` Delete or Retain, alone or with its cluster and task definition.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use crate::coverage::{self, Covered};
use crate::plan::Rng;
use crate::table::{self, Field, Removal};

/// The run labels' path in the table (the field the out-of-band steps on runs are counted for).
pub const LABELS: &str = "taskTemplate.metadata.labels";

/// One step of a cron walk.
#[derive(Clone, Debug, PartialEq)]
pub enum CronStep {
    /// The spec's `field` set to `value` (None: removed from the manifest).
    Edit { field: String, value: Option<Value> },
    /// The schedule set to every minute (not suspended) until a run appears, then set back.
    Fire,
    /// Someone else adds a label to the run.
    EditRun,
    /// Someone else deletes the run.
    DeleteRun,
    /// Someone else creates an EcsTask with the cron task's label (no ownerReference).
    ForeignRun,
}

/// How the cron task is deleted.
#[derive(Clone, Debug, PartialEq)]
pub struct CronDeletion {
    pub retain: bool,
    /// The cluster and task definition deleted with it (`kubectl delete -f` of the file).
    pub with_stack: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CronWalk {
    pub start: BTreeMap<String, Value>,
    pub steps: Vec<CronStep>,
    pub deletion: CronDeletion,
}

/// The table's walked EcsCronTask rows.
pub fn fields() -> Vec<Field> {
    table::all()
        .into_iter()
        .filter(|f| f.kind == "EcsCronTask" && f.walked())
        .collect()
}

/// The cron walk of `seed`: every walked field set at the start and changed; half of them (alternating with the
/// seed) removed after the firing.
pub fn generate(seed: u64) -> CronWalk {
    let mut rng = Rng::new(seed ^ 0xC20);
    let fields = fields();
    let mut start = BTreeMap::new();
    for f in &fields {
        start.insert(
            f.path.clone(),
            f.samples[rng.below(f.samples.len())].clone(),
        );
    }
    let mut changes: Vec<CronStep> = fields
        .iter()
        .map(|f| {
            let others: Vec<&Value> = f.samples.iter().filter(|s| **s != start[&f.path]).collect();
            CronStep::Edit {
                field: f.path.clone(),
                value: Some(others[rng.below(others.len())].clone()),
            }
        })
        .collect();
    rng.shuffle(&mut changes);
    let mut out_of_band = vec![CronStep::ForeignRun];
    for step in [CronStep::EditRun, CronStep::DeleteRun] {
        if rng.chance(60) {
            out_of_band.push(step);
        }
    }
    rng.shuffle(&mut out_of_band);
    let mut removals: Vec<CronStep> = fields
        .iter()
        .enumerate()
        .filter(|(i, f)| *i as u64 % 2 == seed % 2 && f.removal != Some(Removal::Required))
        .map(|(_, f)| CronStep::Edit {
            field: f.path.clone(),
            value: None,
        })
        .collect();
    rng.shuffle(&mut removals);
    let mut steps = changes;
    steps.push(CronStep::Fire);
    steps.extend(out_of_band);
    steps.extend(removals);
    let deletion = CronDeletion {
        retain: rng.chance(50),
        with_stack: rng.chance(50),
    };
    CronWalk {
        start,
        steps,
        deletion,
    }
}

/// The EcsCronTask manifest named `nightly` with `fields` (path → value), on the walk's cluster and task
/// definition.
pub fn manifest(fields: &BTreeMap<String, Value>, retain: bool) -> Value {
    let mut spec = json!({
        "taskTemplate": {"spec": {"clusterRef": {"name": "main"}, "taskDefinitionRef": {"name": "job"},
            "launchType": "EC2"}},
        "deletionPolicy": if retain { "Retain" } else { "Delete" },
    });
    for (path, value) in fields {
        if path == LABELS {
            spec["taskTemplate"]["metadata"] = json!({"labels": value});
        } else {
            spec[path] = value.clone();
        }
    }
    json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsCronTask", "metadata": {"name": "nightly"},
        "spec": spec})
}

pub fn describe(walk: &CronWalk) -> String {
    let mut out = format!(
        "create the cron task with {}",
        serde_json::to_string(&walk.start).unwrap()
    );
    for step in &walk.steps {
        out.push_str("; ");
        out.push_str(&match step {
            CronStep::Edit {
                field,
                value: Some(v),
            } => format!("set {field} to {v}"),
            CronStep::Edit { field, value: None } => format!("remove {field}"),
            CronStep::Fire => {
                "schedule it every minute until a run appears, then set it back".into()
            }
            CronStep::EditRun => "someone adds a label to the run".into(),
            CronStep::DeleteRun => "someone deletes the run".into(),
            CronStep::ForeignRun => "someone creates an EcsTask with the cron task's label".into(),
        });
    }
    let d = &walk.deletion;
    let _ = write!(
        out,
        "; delete it with deletionPolicy {}{}",
        if d.retain { "Retain" } else { "Delete" },
        if d.with_stack {
            ", together with its cluster and task definition"
        } else {
            ""
        }
    );
    out
}

/// One cron walk's outcome.
pub struct Outcome {
    pub seed: u64,
    pub walk: CronWalk,
    pub covered: Covered,
    pub checks: u64,
    pub failures: Vec<String>,
    pub elapsed: Duration,
}

/// The cron walks' report: per walk, the coverage of EcsCronTask's fields, each failure with its walk in words.
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
            "cron walk seed {}: {verdict}, {} steps, {} invariant checks, {:.0?}",
            o.seed,
            o.walk.steps.len() + 2,
            o.checks,
            o.elapsed
        );
    }
    let _ = writeln!(
        out,
        "{} cron walks in {elapsed:.0?} (in parallel)",
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
            "\nFAILED cron walk, replay: ECSB_WALK_SEED={}\n  {}\n  broken: {}",
            o.seed,
            describe(&o.walk),
            o.failures.join("; ")
        );
    }
    out
}
