//! Coverage: the step classes each walked field must go through (add, change, remove, out-of-band, delete, less
//! what its table row rules out), the class of a step, and the per-kind coverage of a run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use crate::plan::Step;
use crate::table::{self, Field, Removal};

/// (kind, field, step class), as walks record them.
pub type Covered = BTreeSet<(String, String, String)>;

/// The classes a run must take the field through: add (at creation for a field the spec always has), change when
/// it has another sample, remove unless the spec always has it, out-of-band when the walker can change it in ECS,
/// and delete (the stack deleted with the field set).
pub fn required(field: &Field) -> Vec<&'static str> {
    if field.kind == "EcsTask" {
        // A run: started with the field, edited while active (ECS keeps the start), deleted.
        return vec!["add", "change", "delete"];
    }
    let mut classes = vec!["add"];
    if field.samples.len() > 1 {
        classes.push("change");
    }
    if field.removal != Some(Removal::Required) {
        classes.push("remove");
    }
    if field.oob {
        classes.push("out-of-band");
    }
    classes.push("delete");
    classes
}

/// The step's class for the coverage count.
pub fn class(step: &Step, before: Option<&Value>) -> &'static str {
    match step {
        Step::Spec { value: None, .. } => "remove",
        Step::Spec { .. } if before.is_none() => "add",
        Step::Spec { .. } => "change",
        Step::OutOfBand { .. } => "out-of-band",
        Step::ForeignTag { .. } => "foreign-tag",
        Step::ForeignPolicy => "foreign-policy",
        Step::ForeignProvider => "foreign-provider",
        Step::Claim { .. } => "claim",
        Step::Pause { .. } => "pause",
        Step::Delete { .. } => "delete",
    }
}

/// The walked fields (of `fields`) a run left short of a required class, with what they missed.
pub fn gaps(fields: &[Field], covered: &Covered) -> Vec<String> {
    let mut out = Vec::new();
    for field in fields.iter().cloned() {
        let missed: Vec<&str> = required(&field)
            .into_iter()
            .filter(|c| !covered.contains(&(field.kind.clone(), field.path.clone(), c.to_string())))
            .collect();
        if !missed.is_empty() {
            out.push(format!("{}: {}", field.name(), missed.join(", ")));
        }
    }
    out
}

/// Per kind: how many walked fields (of `fields`) went through every required class, then each field's classes.
pub fn render(fields: &[Field], covered: &Covered, out: &mut String) {
    let mut per_kind: BTreeMap<&str, BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
    for (kind, field, class) in covered {
        per_kind
            .entry(kind)
            .or_default()
            .entry(field)
            .or_default()
            .insert(class);
    }
    for (kind, by_field) in per_kind {
        let total: usize = by_field.values().map(BTreeSet::len).sum();
        let walked: Vec<&Field> = fields.iter().filter(|f| f.kind == kind).collect();
        let complete = walked
            .iter()
            .filter(|f| {
                by_field
                    .get(f.path.as_str())
                    .is_some_and(|seen| required(f).iter().all(|c| seen.contains(c)))
            })
            .count();
        let _ = writeln!(
            out,
            "  {kind}: {total} combinations; {complete} of {} walked fields through every class they take",
            walked.len()
        );
        for (field, classes) in by_field {
            let list: Vec<&str> = classes.iter().copied().collect();
            let _ = writeln!(out, "    {field}: {}", list.join(", "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{self, PARTS, initial};

    /// What a walk of `seed` covers if no step fails (as `walk::World::step` records it).
    fn planned(seed: u64) -> Covered {
        let fields = table::walked();
        let mut spec: BTreeMap<String, Option<Value>> =
            fields.iter().map(|f| (f.name(), initial(f))).collect();
        let mut covered = Covered::new();
        let mut add = |f: &Field, class: &str| {
            covered.insert((f.kind.clone(), f.path.clone(), class.to_owned()));
        };
        for f in fields.iter().filter(|f| initial(f).is_some()) {
            add(f, "add");
        }
        for step in plan::generate(seed) {
            match &step {
                Step::Spec { field, value, .. } => {
                    let f = fields.iter().find(|f| &f.name() == field).unwrap();
                    add(f, class(&step, spec[field].as_ref()));
                    spec.insert(field.clone(), value.clone());
                }
                Step::OutOfBand { field, .. } => {
                    let f = fields.iter().find(|f| &f.name() == field).unwrap();
                    if spec[field].is_some() || f.removal == Some(Removal::Keeps) {
                        add(f, "out-of-band");
                    }
                }
                Step::Delete { .. } => {
                    for f in fields.iter().filter(|f| spec[&f.name()].is_some()) {
                        add(f, "delete");
                    }
                }
                _ => {}
            }
        }
        covered
    }

    #[test]
    fn any_run_of_consecutive_seeds_takes_every_walked_field_through_every_class() {
        for base in [0, 7, 100, 20_454 * PARTS] {
            let mut covered = Covered::new();
            for seed in base..base + PARTS {
                covered.extend(planned(seed));
            }
            assert_eq!(
                gaps(&table::walked(), &covered),
                Vec::<String>::new(),
                "seeds {base}.."
            );
        }
    }

    #[test]
    fn any_run_of_consecutive_seeds_takes_every_walked_run_field_through_every_class() {
        for base in [0, 7, 100, 20_454 * PARTS] {
            let mut covered = Covered::new();
            for seed in base..base + PARTS {
                let walk = crate::run_walk::generate(seed);
                for path in walk.start.keys() {
                    for class in ["add", "delete"] {
                        covered.insert(("EcsTask".into(), path.clone(), class.into()));
                    }
                }
                for step in walk.steps {
                    if let crate::run_walk::RunStep::Edit { field, .. } = step {
                        covered.insert(("EcsTask".into(), field, "change".into()));
                    }
                }
            }
            let fields = crate::run_walk::fields();
            assert_eq!(fields.len(), 5);
            assert_eq!(
                gaps(&fields, &covered),
                Vec::<String>::new(),
                "seeds {base}.."
            );
        }
    }

    #[test]
    fn any_run_of_consecutive_seeds_takes_every_walked_cron_field_through_every_class() {
        use crate::cron_walk::{CronStep, LABELS, generate};
        for base in [0, 7, 100, 20_454 * PARTS] {
            let mut covered = Covered::new();
            for seed in base..base + PARTS {
                let walk = generate(seed);
                let mut spec = walk.start.clone();
                let mut add = |field: &str, class: &str| {
                    covered.insert(("EcsCronTask".into(), field.into(), class.into()));
                };
                for path in walk.start.keys() {
                    add(path, "add");
                }
                for step in walk.steps {
                    match step {
                        CronStep::Edit {
                            field,
                            value: Some(v),
                        } => {
                            add(
                                &field,
                                if spec.contains_key(&field) {
                                    "change"
                                } else {
                                    "add"
                                },
                            );
                            spec.insert(field, v);
                        }
                        CronStep::Edit { field, value: None } => {
                            add(&field, "remove");
                            spec.remove(&field);
                        }
                        CronStep::ForeignRun => add(LABELS, "out-of-band"),
                        _ => {}
                    }
                }
                for path in spec.keys() {
                    add(path, "delete");
                }
            }
            let fields = crate::cron_walk::fields();
            assert_eq!(fields.len(), 8);
            assert_eq!(
                gaps(&fields, &covered),
                Vec::<String>::new(),
                "seeds {base}.."
            );
        }
    }
}
