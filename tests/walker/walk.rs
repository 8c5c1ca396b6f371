//! One walk: a fresh namespace, operator and ECS double; the stack created, then each step applied, settled and
//! checked; the walk's counts and coverage.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::check::{self, settle};
use crate::failure::Broken;
use crate::harness::{Env, unique};
use crate::model::Model;
use crate::plan::{self, DeleteOrder, Step};
use crate::snapshot::{self, Clients};
use crate::stack::{self, Names, Obj};
use crate::table::{self, Field};
use crate::{coverage, deletion, oob};

/// The operator's drift interval in walks (short, for the CI budget): a quiet window is a little longer.
pub const DRIFT: Duration = Duration::from_secs(1);
const QUIET: Duration = Duration::from_millis(1300);
/// The double: rollouts of 2 s, a bake-time minute of 3 s.
const DOUBLE: [&str; 6] = [
    "--throttle",
    "off",
    "--rollout-seconds",
    "40",
    "--speedup",
    "20",
];

/// What a walk did.
#[derive(Debug, Default)]
pub struct Tally {
    pub steps: u64,
    pub checks: u64,
    /// (kind, field, step class).
    pub covered: crate::coverage::Covered,
}

pub struct World {
    pub env: Env,
    pub double: ecs_double::Running,
    pub clients: Clients,
    pub names: Names,
    pub model: Model,
    pub fields: Vec<Field>,
    pub live: Vec<Obj>,
    other: Option<Env>,
    pub tally: Tally,
}

impl World {
    pub async fn new() -> Self {
        let double = ecs_double::spawn(&DOUBLE);
        let env = Env::against_with_drift_interval(&unique("walk"), &double.url, DRIFT).await;
        let clients = Clients::new(&double.url).await;
        let names = Names {
            prefix: unique("w"),
        };
        World {
            env,
            double,
            clients,
            names,
            model: Model::default(),
            fields: table::walked(),
            live: Obj::FILE_ORDER.to_vec(),
            other: None,
            tally: Tally::default(),
        }
    }

    fn field(&self, name: &str) -> Field {
        self.fields
            .iter()
            .find(|f| f.name() == name)
            .cloned()
            .unwrap_or_else(|| panic!("no row {name}"))
    }

    fn values(&self, obj: Obj) -> BTreeMap<String, Value> {
        self.fields
            .iter()
            .filter(|f| Obj::walked(&f.kind) == obj)
            .filter_map(|f| Some((f.path.clone(), self.model.value(&f.name())?.clone())))
            .collect()
    }

    async fn apply(&self, obj: Obj) -> Result<(), String> {
        let manifest = stack::manifest(obj, &self.names, &self.values(obj));
        stack::apply(&self.env, &manifest)
            .await
            .map_err(|e| format!("apply {} {}: {e}", obj.kind(), obj.name()))
    }

    /// Creates the stack with every field's first value and someone else's task definition family.
    pub async fn create(&mut self) -> Result<(), Broken> {
        for field in self.fields.clone() {
            let value = plan::initial(&field);
            if value.is_some() {
                self.cover(&field.kind, &field.path, "add");
            }
            self.model.spec.insert(field.name(), value);
        }
        let foreign = aws_sdk_ecs::types::ContainerDefinition::builder()
            .name("x")
            .image("x")
            .memory(64)
            .build();
        self.clients
            .ecs
            .register_task_definition()
            .family(format!("{}-foreign", self.names.prefix))
            .container_definitions(foreign)
            .send()
            .await
            .expect("someone else's task definition");
        for obj in Obj::FILE_ORDER {
            self.apply(obj).await?;
        }
        settle(&self.env, &self.live).await?;
        let snap = self.snapshot().await;
        for field in &self.fields {
            if self.model.value(&field.name()).is_none() {
                let shown = snap.pointer(&field.shows).cloned().unwrap_or(Value::Null);
                self.model.baseline.insert(field.name(), shown);
            }
        }
        self.verify(false).await
    }

    pub async fn snapshot(&self) -> Value {
        snapshot::take(&self.clients, &self.names).await
    }

    /// Settles, waits for quiet, and compares ECS with the model.
    async fn verify(&mut self, after_change_in_aws: bool) -> Result<(), Broken> {
        if after_change_in_aws {
            tokio::time::sleep(DRIFT * 3 / 2).await;
        }
        settle(&self.env, &self.live).await?;
        self.tally.checks += self.live.len() as u64;
        check::quiet(&self.env, &self.double.url, &self.live, QUIET).await?;
        self.tally.checks += 1;
        let snap = self.snapshot().await;
        let mut wrong = self
            .model
            .differences(&self.fields, &snap, &mut self.tally.checks);
        wrong.extend(self.model.held(&snap, &self.live, &mut self.tally.checks));
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(Broken::values(wrong))
        }
    }

    fn cover(&mut self, kind: &str, field: &str, class: &str) {
        self.tally
            .covered
            .insert((kind.to_owned(), field.to_owned(), class.to_owned()));
    }

    /// An out-of-band change of a field (what a change means for tags: new values for the spec's keys; for
    /// capacityProviderRefs: some of the spec's providers taken off, as a provider associated out of band that no
    /// reference names is someone else's association, which the operator leaves).
    async fn change_in_aws(&mut self, name: &str, value: &Value) {
        let field = self.field(name);
        let value = if field.path == "capacityProviderRefs" {
            let spec = self.model.value(name).cloned().unwrap_or(json!([]));
            let kept: Vec<&Value> = spec
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| value.as_array().unwrap().contains(r))
                .collect();
            json!(kept)
        } else if field.path == "tags" {
            let Some(Value::Object(spec)) = self.model.value(name) else {
                return;
            };
            json!(
                spec.keys()
                    .map(|k| (k.clone(), json!("changed-out-of-band")))
                    .collect::<serde_json::Map<_, _>>()
            )
        } else {
            value.clone()
        };
        if self.model.value(name).is_none() && field.removal != Some(table::Removal::Keeps) {
            return;
        }
        let snap = self.snapshot().await;
        if !oob::change(&self.clients, &self.names, &snap, name, &value).await {
            return;
        }
        self.model.out_of_band(&field, &value);
        self.cover(&field.kind, &field.path, "out-of-band");
    }

    /// Runs one step and checks the invariants once it settled.
    pub async fn step(&mut self, step: &Step) -> Result<(), Broken> {
        self.tally.steps += 1;
        match step {
            Step::Spec {
                field,
                value,
                kill_after_ms,
            } => {
                let row = self.field(field);
                let class = coverage::class(step, self.model.value(field));
                self.cover(&row.kind, &row.path, class);
                self.model.set(&row, value.clone());
                self.apply(Obj::walked(&row.kind)).await?;
                if let Some(ms) = kill_after_ms {
                    tokio::time::sleep(Duration::from_millis(*ms)).await;
                    self.env.stop_operator();
                    self.env.start_operator().await;
                    self.cover(&row.kind, &row.path, "killed");
                }
                self.verify(false).await
            }
            Step::OutOfBand { field, value } => {
                self.change_in_aws(field, value).await;
                self.verify(true).await
            }
            Step::ForeignTag { obj } => {
                let snap = self.snapshot().await;
                oob::foreign_tag(&self.clients, &snap, *obj).await;
                self.model.foreign_tags.insert(*obj);
                self.cover(obj.kind(), "*", "foreign-tag");
                self.verify(true).await
            }
            Step::ForeignPolicy => {
                oob::foreign_policy(&self.clients, &self.names).await;
                self.model.foreign_policy = true;
                self.cover("EcsService", "autoScaling", "foreign-policy");
                self.verify(true).await
            }
            Step::ForeignProvider => {
                let n = self.model.foreign_providers.len();
                let name = oob::foreign_provider(&self.clients, &self.names, n).await;
                self.model.foreign_association(&name);
                self.cover("EcsCluster", "capacityProviders", "foreign-provider");
                self.verify(true).await
            }
            Step::Claim { obj } => {
                self.claim(*obj).await?;
                self.cover(obj.kind(), "*", "claim");
                self.verify(false).await
            }
            Step::Pause { seconds, during } => {
                self.env.stop_operator();
                if let Some((field, value)) = during {
                    self.change_in_aws(field, value).await;
                }
                tokio::time::sleep(Duration::from_secs(*seconds)).await;
                self.env.start_operator().await;
                self.cover("*", "*", "pause");
                self.verify(true).await
            }
            Step::Delete { order } => {
                for (obj, field) in self.fields.iter().map(|f| (Obj::walked(&f.kind), f)) {
                    if self.model.value(&field.name()).is_some() && self.live.contains(&obj) {
                        self.tally.covered.insert((
                            field.kind.clone(),
                            field.path.clone(),
                            "delete".into(),
                        ));
                    }
                }
                self.cover("*", "*", &format!("delete {}", order_name(order)));
                Ok(deletion::delete(self, order).await?)
            }
        }
    }

    /// Another namespace applies an object with our ECS name: refused (OwnedByAnother), and deleted without
    /// touching ours.
    async fn claim(&mut self, obj: Obj) -> Result<(), String> {
        if self.other.is_none() {
            self.other = Some(
                Env::against_with_drift_interval(&unique("walk-claim"), &self.double.url, DRIFT)
                    .await,
            );
        }
        let other = self.other.as_ref().unwrap();
        let n = &self.names;
        let spec = match obj {
            Obj::Cluster => json!({"clusterName": n.ecs(obj)}),
            Obj::Service => json!({"serviceName": n.ecs(obj), "cluster": n.ecs(Obj::Cluster),
                "taskDefinition": n.family(), "launchType": "EC2", "desiredCount": 1}),
            _ => stack::base(obj, n),
        };
        let manifest = json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": obj.kind(),
            "metadata": {"name": obj.name()}, "spec": spec});
        stack::apply(other, &manifest)
            .await
            .map_err(|e| format!("claim: {e}"))?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let seen = stack::get(other, obj.kind(), obj.name())
                .await
                .unwrap_or_default();
            let conditions = seen["status"]["conditions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if conditions
                .iter()
                .any(|c| c["type"] == "Synced" && c["reason"] == "OwnedByAnother")
            {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "another namespace's {} with our ECS name is not refused as OwnedByAnother: {}",
                    obj.kind(),
                    serde_json::to_string(&conditions).unwrap()
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        stack::delete(other, obj.kind(), obj.name()).await;
        deletion::wait_gone(other, obj, Duration::from_secs(30)).await
    }
}

fn order_name(order: &DeleteOrder) -> &'static str {
    match order {
        DeleteOrder::File => "kubectl -f",
        DeleteOrder::ArgoPrune => "argo prune",
        DeleteOrder::OneByOne(_) => "one by one",
    }
}
