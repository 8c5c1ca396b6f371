//! The steps of a walk and how a seed generates them: every walked field of the seed's share of the table goes
//! through add, change (to each other sample), an out-of-band change, someone else's object next to it, and removal
//! (to `[]` where the contract manages it, and left out), interleaved
//! with someone else's tags, policies and provider associations, a claim from another namespace, the operator
//! stopped or killed mid-reconcile, and ends with the stack deleted in a user tool's order (each field set again
//! after its removal, so that the deletion takes it too).

use serde_json::Value;

use crate::stack::Obj;
use crate::table::{self, Field, Neighbour, Removal};

/// Consecutive seeds share out the table's walked fields: a run of this many walks covers every field.
pub const PARTS: u64 = 4;

/// How the stack is deleted at the end.
#[derive(Clone, Debug, PartialEq)]
pub enum DeleteOrder {
    /// `kubectl delete -f` of the stack's file: every object at once, in file order.
    File,
    /// Argo CD pruning the application: every object at once, in reverse apply order.
    ArgoPrune,
    /// One at a time, each gone before the next (services before what they use).
    OneByOne(Vec<Obj>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Apply the spec with `field` set to `value` (None: left out); kill the operator `kill_after_ms` later.
    Spec {
        field: String,
        value: Option<Value>,
        kill_after_ms: Option<u64>,
    },
    /// Change the field in ECS with the SDK.
    OutOfBand { field: String, value: Value },
    /// Someone else tags the object.
    ForeignTag { obj: Obj },
    /// Someone else puts a scaling policy on the service's scalable target.
    ForeignPolicy,
    /// Someone else creates a capacity provider and associates it with the cluster.
    ForeignProvider,
    /// Another namespace applies an object of the same kind and ECS name, then deletes it.
    Claim { obj: Obj },
    /// The operator is stopped for `seconds` (with an out-of-band change meanwhile).
    Pause {
        seconds: u64,
        during: Option<(String, Value)>,
    },
    /// The stack is deleted.
    Delete { order: DeleteOrder },
}

/// A small deterministic generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// The value a field has in the stack's first manifest.
pub fn initial(field: &Field) -> Option<Value> {
    let set_at_creation =
        field.removal == Some(Removal::Required) || field.name() == "EcsService.desiredCount";
    set_at_creation.then(|| field.samples[0].clone())
}

fn is_empty_list(value: &Value) -> bool {
    value.as_array().is_some_and(Vec::is_empty)
}

/// Someone else's object next to the field (its row's `neighbour`).
fn neighbour(field: &Field) -> Option<Step> {
    Some(match field.neighbour? {
        Neighbour::Tag => Step::ForeignTag {
            obj: Obj::walked(&field.kind),
        },
        Neighbour::Policy => Step::ForeignPolicy,
        Neighbour::Provider => Step::ForeignProvider,
    })
}

/// One field's life: added with a filled value, changed to every other filled sample with an out-of-band change and
/// someone else's neighbouring object among the changes, then taken away from a filled value: to `[]` where the
/// contract manages it (and filled again), then left out of the spec; finally set again, so that the deletion takes
/// it too. Every removal thus meets what it must remove and what it must leave.
fn life(field: &Field, rng: &mut Rng) -> Vec<Step> {
    let name = field.name();
    let spec = |value: Option<Value>| Step::Spec {
        field: name.clone(),
        value,
        kill_after_ms: None,
    };
    let filled: Vec<Value> = field
        .samples
        .iter()
        .filter(|s| !is_empty_list(s))
        .cloned()
        .collect();
    let pick = |rng: &mut Rng| filled[rng.below(filled.len())].clone();
    let mut steps = Vec::new();
    let mut current = initial(field);
    if current.is_none() {
        let first = pick(rng);
        steps.push(spec(Some(first.clone())));
        current = Some(first);
    }
    let mut others: Vec<Value> = filled
        .iter()
        .filter(|s| Some(*s) != current.as_ref())
        .cloned()
        .collect();
    rng.shuffle(&mut others);
    let (oob_at, neighbour_at) = (rng.below(others.len() + 1), rng.below(others.len() + 1));
    for i in 0..=others.len() {
        if i == neighbour_at {
            steps.extend(neighbour(field));
        }
        if i == oob_at && field.oob {
            steps.push(out_of_band(field, current.as_ref(), rng));
        }
        if let Some(value) = others.get(i) {
            steps.push(spec(Some(value.clone())));
            current = Some(value.clone());
        }
    }
    if field.samples.iter().any(is_empty_list) {
        steps.push(spec(Some(Value::Array(Vec::new()))));
        steps.push(spec(Some(pick(rng))));
    }
    if field.removal != Some(Removal::Required) {
        steps.push(spec(None));
        if field.oob && field.removal == Some(Removal::Keeps) && rng.chance(50) {
            steps.push(out_of_band(field, None, rng));
        }
        steps.push(spec(Some(pick(rng))));
    }
    steps
}

/// An out-of-band value other than the spec's.
fn out_of_band(field: &Field, current: Option<&Value>, rng: &mut Rng) -> Step {
    let others: Vec<&Value> = field
        .samples
        .iter()
        .filter(|s| Some(*s) != current)
        .collect();
    let value = others[rng.below(others.len())].clone();
    Step::OutOfBand {
        field: field.name(),
        value,
    }
}

/// Merges the lives at random, each in its own order.
fn interleave(mut lives: Vec<Vec<Step>>, rng: &mut Rng) -> Vec<Step> {
    let mut out = Vec::new();
    lives.retain(|l| !l.is_empty());
    while !lives.is_empty() {
        let i = rng.below(lives.len());
        out.push(lives[i].remove(0));
        if lives[i].is_empty() {
            lives.remove(i);
        }
    }
    out
}

/// The walk of `seed`.
pub fn generate(seed: u64) -> Vec<Step> {
    let mut rng = Rng::new(seed);
    let fields = table::walked();
    let mut lives: Vec<Vec<Step>> = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        if i as u64 % PARTS == seed % PARTS {
            lives.push(life(field, &mut rng));
        }
    }
    let mut steps = interleave(lives, &mut rng);
    let mut extra = vec![
        Step::ForeignTag {
            obj: [Obj::Cluster, Obj::Service, Obj::ProviderA, Obj::TaskDef][rng.below(4)],
        },
        Step::ForeignPolicy,
        Step::ForeignProvider,
        Step::Claim {
            obj: [Obj::Cluster, Obj::Service, Obj::ProviderA][rng.below(3)],
        },
    ];
    let oob: Vec<&Field> = fields.iter().filter(|f| f.oob).collect();
    let during = oob[rng.below(oob.len())];
    extra.push(Step::Pause {
        seconds: 2 + rng.below(3) as u64,
        during: rng.chance(70).then(|| {
            (
                during.name(),
                during.samples[rng.below(during.samples.len())].clone(),
            )
        }),
    });
    for step in extra {
        if rng.chance(75) {
            let at = rng.below(steps.len() + 1);
            steps.insert(at, step);
        }
    }
    for step in steps.iter_mut() {
        if let Step::Spec { kill_after_ms, .. } = step
            && rng.chance(15)
        {
            *kill_after_ms = Some(rng.below(600) as u64);
        }
    }
    steps.push(Step::Delete {
        order: delete_order(&mut rng),
    });
    steps
}

fn delete_order(rng: &mut Rng) -> DeleteOrder {
    match rng.below(3) {
        0 => DeleteOrder::File,
        1 => DeleteOrder::ArgoPrune,
        _ => {
            let mut middle = [Obj::TaskDef, Obj::Cluster];
            let mut last = [Obj::ProviderA, Obj::ProviderB];
            rng.shuffle(&mut middle);
            rng.shuffle(&mut last);
            let mut order = vec![Obj::Service];
            order.extend(middle);
            order.extend(last);
            DeleteOrder::OneByOne(order)
        }
    }
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap()
}

/// The step in plain words.
pub fn describe(step: &Step) -> String {
    match step {
        Step::Spec {
            field,
            value,
            kill_after_ms,
        } => {
            let what = match value {
                Some(v) => format!("set {field} to {}", compact(v)),
                None => format!("remove {field} from the spec"),
            };
            match kill_after_ms {
                Some(ms) => {
                    format!("{what}, and kill the operator {ms} ms later (restarted at once)")
                }
                None => what,
            }
        }
        Step::OutOfBand { field, value } => {
            format!("change {field} in ECS out of band to {}", compact(value))
        }
        Step::ForeignTag { obj } => format!(
            "someone else tags the ECS object of {} {}",
            obj.kind(),
            obj.name()
        ),
        Step::ForeignPolicy => {
            "someone else puts a scaling policy on the service's scalable target".into()
        }
        Step::ForeignProvider => {
            "someone else creates a capacity provider and associates it with the cluster".into()
        }
        Step::Claim { obj } => format!(
            "another namespace applies a {} with the ECS name of {}, then deletes it",
            obj.kind(),
            obj.name()
        ),
        Step::Pause { seconds, during } => match during {
            Some((field, value)) => format!(
                "stop the operator for {seconds} s, changing {field} in ECS to {} meanwhile",
                compact(value)
            ),
            None => format!("stop the operator for {seconds} s"),
        },
        Step::Delete { order } => match order {
            DeleteOrder::File => {
                "delete the stack with kubectl delete -f (all at once, file order)".into()
            }
            DeleteOrder::ArgoPrune => {
                "delete the stack as Argo CD prunes (all at once, reverse order)".into()
            }
            DeleteOrder::OneByOne(objs) => format!(
                "delete the stack one object at a time: {}",
                objs.iter()
                    .map(|o| format!("{} {}", o.kind(), o.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The removal defects hide on these paths: a field taken to `[]` or left out must have had a filled value just
    /// before, with someone else's neighbouring object already there.
    #[test]
    fn every_removal_comes_from_a_filled_value_with_the_neighbour_in_place() {
        for seed in 0..50 {
            for field in table::walked() {
                let steps = life(&field, &mut Rng::new(seed));
                let (mut current, mut neighbour_seen) = (initial(&field), false);
                let (mut emptied, mut removed) = (false, false);
                for step in &steps {
                    match step {
                        Step::Spec { value, .. } => {
                            if value.as_ref().is_none_or(is_empty_list) {
                                let filled = current.as_ref().is_some_and(|c| !is_empty_list(c));
                                assert!(filled, "{}: removed from {current:?}", field.name());
                                assert!(
                                    neighbour_seen || field.neighbour.is_none(),
                                    "{}: removed before the neighbour came",
                                    field.name()
                                );
                                emptied |= value.is_some();
                                removed |= value.is_none();
                            }
                            current = value.clone();
                        }
                        Step::ForeignTag { .. } | Step::ForeignPolicy | Step::ForeignProvider => {
                            neighbour_seen = true
                        }
                        _ => {}
                    }
                }
                assert_eq!(
                    emptied,
                    field.samples.iter().any(is_empty_list),
                    "{}",
                    field.name()
                );
                assert_eq!(
                    removed,
                    field.removal != Some(Removal::Required),
                    "{}",
                    field.name()
                );
            }
        }
    }

    #[test]
    fn a_seed_always_generates_the_same_walk() {
        assert_eq!(generate(7), generate(7));
        assert_ne!(generate(7), generate(8));
    }
}
