//! Running a cron walk (cron_walk.rs) against its own ECS double: its steps, with the invariants of
//! cron_checks.rs after each; no run created while suspended; the fired run owned by the cron task; after deletion
//! the runs are gone (Delete) or left in place (Retain), someone else's EcsTask kept.

use std::collections::BTreeSet;
use std::time::Duration;

use ecs_bridge::api::{EcsCluster, EcsCronTask, EcsTask, TaskDefinition};
use kube::api::ListParams;
use serde_json::{Value, json};

use crate::coverage::Covered;
use crate::cron_walk::{CronStep, CronWalk, LABELS, manifest};
use crate::harness::{Env, unique};
use crate::walk::DRIFT;

/// The cron walk's double: a run's task lives 3 s (60 s sped up 20 times).
const DOUBLE: [&str; 6] = [
    "--throttle",
    "off",
    "--speedup",
    "20",
    "--task-seconds",
    "60",
];
pub(crate) const SETTLE: Duration = Duration::from_secs(30);
/// A firing waits for the next minute (and one more when the first was past startingDeadlineSeconds).
const FIRING: Duration = Duration::from_secs(130);
const NAME: &str = "nightly";
pub(crate) const FOREIGN: &str = "foreign-run";
const LABEL: &str = "ecsbridge.dev/cron-task";

pub(crate) struct CronWorld {
    pub(crate) env: Env,
    _double: ecs_double::Running,
    pub(crate) spec: std::collections::BTreeMap<String, Value>,
    pub(crate) retain: bool,
    pub(crate) uid: String,
    /// The run the firing created, with its uid and the labels its template had.
    pub(crate) fired: Option<(String, String, Value)>,
    /// A run someone else deleted.
    pub(crate) deleted_run: Option<String>,
    pub(crate) foreign: bool,
    pub(crate) covered: Covered,
    pub(crate) checks: u64,
}

pub(crate) async fn cron(env: &Env) -> Value {
    let found = env
        .api::<EcsCronTask>()
        .get_opt(NAME)
        .await
        .expect("get the cron task");
    found.map_or(Value::Null, |o| serde_json::to_value(o).unwrap())
}

/// Every EcsTask with the cron task's label (its runs and someone else's).
pub(crate) async fn labelled(env: &Env) -> Vec<Value> {
    let params = ListParams::default().labels(&format!("{LABEL}={NAME}"));
    let list = env.api::<EcsTask>().list(&params).await.expect("list runs");
    list.items
        .into_iter()
        .map(|t| serde_json::to_value(t).unwrap())
        .collect()
}

pub(crate) fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

pub(crate) fn terminating(object: &Value) -> bool {
    !object["metadata"]["deletionTimestamp"].is_null()
}

impl CronWorld {
    async fn new(retain: bool) -> Result<Self, String> {
        let double = ecs_double::spawn(&DOUBLE);
        let env = Env::against_with_drift_interval(&unique("cron-walk"), &double.url, DRIFT).await;
        crate::run_world::stack(&env).await?;
        Ok(CronWorld {
            env,
            _double: double,
            spec: Default::default(),
            retain,
            uid: String::new(),
            fired: None,
            deleted_run: None,
            foreign: false,
            covered: Covered::new(),
            checks: 0,
        })
    }

    fn suspended(&self) -> bool {
        self.spec.get("suspend") == Some(&json!(true))
    }

    async fn apply(&mut self) -> Result<(), String> {
        let yaml = serde_yaml::to_string(&manifest(&self.spec, self.retain)).unwrap();
        let applied = self.env.try_apply::<EcsCronTask>(&yaml).await;
        let applied = applied.map_err(|e| format!("apply the cron task: {e}"))?;
        self.uid = applied.metadata.uid.unwrap_or_default();
        Ok(())
    }

    /// The runs (owned by the cron task), terminating ones too.
    pub(crate) async fn runs(&self) -> Vec<Value> {
        let uid = json!(self.uid);
        let owned = |t: &Value| {
            let refs = t["metadata"]["ownerReferences"].as_array();
            refs.into_iter()
                .flatten()
                .any(|r| r["uid"] == uid && r["controller"] == true)
        };
        labelled(&self.env)
            .await
            .into_iter()
            .filter(owned)
            .collect()
    }

    pub(crate) async fn run_names(&self) -> BTreeSet<String> {
        self.runs()
            .await
            .iter()
            .map(|r| name(r).to_owned())
            .collect()
    }

    fn cover(&mut self, field: &str, class: &str) {
        self.covered
            .insert(("EcsCronTask".into(), field.into(), class.into()));
    }

    async fn step(&mut self, step: &CronStep) -> Result<Vec<String>, String> {
        let (names, suspended) = (self.run_names().await, self.suspended());
        let mut fired = Vec::new();
        match step {
            CronStep::Edit { field, value } => {
                let class = match (value, self.spec.contains_key(field)) {
                    (None, _) => "remove",
                    (Some(_), true) => "change",
                    (Some(_), false) => "add",
                };
                match value {
                    Some(v) => self.spec.insert(field.clone(), v.clone()),
                    None => self.spec.remove(field),
                };
                self.apply().await?;
                self.cover(field, class);
            }
            CronStep::Fire => fired = self.fire().await?,
            CronStep::EditRun | CronStep::DeleteRun => {
                let Some((run, _, _)) = self.fired.clone() else {
                    return Ok(Vec::new());
                };
                if !self.run_names().await.contains(&run) {
                    return Ok(Vec::new());
                }
                if *step == CronStep::EditRun {
                    let patch = json!({"metadata": {"labels": {"someone": "else"}}});
                    self.env.patch::<EcsTask>(&run, patch).await;
                } else {
                    self.env.delete::<EcsTask>(&run).await;
                    self.env.wait_gone::<EcsTask>(&run, SETTLE).await;
                    self.deleted_run = Some(run);
                }
                self.cover(LABELS, "out-of-band");
            }
            CronStep::ForeignRun => {
                let yaml = format!(
                    "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsTask\nmetadata: {{name: {FOREIGN}, labels: \
                     {{{LABEL}: {NAME}}}}}\nspec: {{clusterRef: {{name: main}}, taskDefinitionRef: {{name: job}}, \
                     launchType: EC2}}\n"
                );
                self.env
                    .try_apply::<EcsTask>(&yaml)
                    .await
                    .map_err(|e| format!("someone's EcsTask: {e}"))?;
                self.foreign = true;
                self.cover(LABELS, "out-of-band");
            }
        }
        let mut wrong = fired;
        wrong.extend(self.status_true().await);
        if suspended && self.suspended() && *step != CronStep::Fire {
            self.checks += 1;
            let created: Vec<String> = self.run_names().await.difference(&names).cloned().collect();
            if !created.is_empty() {
                wrong.push(format!("runs created while suspended: {created:?}"));
            }
        }
        wrong.extend(self.history().await);
        wrong.extend(self.runs_true().await);
        Ok(wrong)
    }

    /// The schedule set to every minute until a run appears (when suspended, a minute passes first without one), then
    /// set back.
    async fn fire(&mut self) -> Result<Vec<String>, String> {
        let saved = (
            self.spec.get("schedule").cloned(),
            self.spec.get("suspend").cloned(),
        );
        let labels = self.spec.get(LABELS).cloned().unwrap_or(json!({}));
        let before = self.run_names().await;
        self.spec.insert("schedule".into(), json!("* * * * *"));
        let mut wrong = Vec::new();
        if self.suspended() {
            // Suspended, a minute passes without a run; resumed, its run starts (within startingDeadlineSeconds).
            self.apply().await?;
            let second = jiff::Timestamp::now().as_second().rem_euclid(60);
            tokio::time::sleep(Duration::from_secs((63 - second).unsigned_abs())).await;
            self.checks += 1;
            let created: Vec<String> = self
                .run_names()
                .await
                .difference(&before)
                .cloned()
                .collect();
            if !created.is_empty() {
                wrong.push(format!(
                    "runs created while suspended (schedule every minute): {created:?}"
                ));
            }
        }
        self.spec.insert("suspend".into(), json!(false));
        self.apply().await?;
        let deadline = tokio::time::Instant::now() + FIRING;
        let run = loop {
            let runs = self.runs().await;
            if let Some(run) = runs.into_iter().find(|r| !before.contains(name(r))) {
                break run;
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "no run within {FIRING:?} of an every-minute schedule"
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        for (field, value) in [("schedule", saved.0), ("suspend", saved.1)] {
            match value {
                Some(v) => self.spec.insert(field.into(), v),
                None => self.spec.remove(field),
            };
        }
        self.apply().await?;
        let uid = run["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.fired = Some((name(&run).to_owned(), uid, labels));
        // The history limits are checked once the run ended (its task lives 3 s).
        self.until_no_run_active().await?;
        Ok(wrong)
    }

    /// Waits until the cron task counts no active run.
    pub(crate) async fn until_no_run_active(&self) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            let c = cron(&self.env).await;
            if c["status"]["activeCount"].as_u64().unwrap_or(0) == 0 {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "a run is still active after {SETTLE:?}: {}",
                    c["status"]
                ));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    async fn delete(&mut self, with_stack: bool) -> Result<Vec<String>, String> {
        for path in self.spec.keys().cloned().collect::<Vec<_>>() {
            self.cover(&path, "delete");
        }
        let runs = self.run_names().await;
        if with_stack {
            self.env.delete::<EcsCluster>("main").await;
            self.env.delete::<TaskDefinition>("job").await;
        }
        self.env.delete::<EcsCronTask>(NAME).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !cron(&self.env).await.is_null() {
            if tokio::time::Instant::now() > deadline {
                return Err("the cron task is stuck in deletion".into());
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let mut wrong = Vec::new();
        let ours = |left: Vec<Value>| -> Vec<(String, bool)> {
            left.iter()
                .filter(|t| runs.contains(name(t)))
                .map(|t| (name(t).to_owned(), terminating(t)))
                .collect()
        };
        if self.retain {
            // Left in place, and not by a garbage collector following an ownerReference a moment later.
            tokio::time::sleep(DRIFT * 3).await;
            let kept: Vec<String> = ours(labelled(&self.env).await)
                .into_iter()
                .filter(|(_, terminating)| !terminating)
                .map(|(n, _)| n)
                .collect();
            if kept.len() != runs.len() {
                wrong.push(format!("Retain: runs {runs:?} should stay, {kept:?} do"));
            }
        } else {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            loop {
                let left = ours(labelled(&self.env).await);
                if left.is_empty() {
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    wrong.push(format!(
                        "Delete: runs {left:?} are left (name, terminating)"
                    ));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        self.checks += 2;
        wrong.extend(
            self.runs_true()
                .await
                .into_iter()
                .filter(|w| w.contains("someone else")),
        );
        Ok(wrong)
    }
}

/// Walks one schedule; what it covered, its invariant checks and the failures found (empty: the walk held).
pub async fn run(walk: &CronWalk) -> (Covered, u64, Vec<String>) {
    let mut world = match CronWorld::new(walk.deletion.retain).await {
        Ok(w) => w,
        Err(e) => return (Covered::new(), 0, vec![e]),
    };
    let outcome = walk_in(&mut world, walk).await;
    let failures = outcome.unwrap_or_else(|e| vec![e]);
    (world.covered, world.checks, failures)
}

async fn walk_in(world: &mut CronWorld, walk: &CronWalk) -> Result<Vec<String>, String> {
    world.spec = walk.start.clone();
    world.apply().await?;
    for path in walk.start.keys() {
        world.cover(path, "add");
    }
    let mut wrong = world.status_true().await;
    for step in &walk.steps {
        wrong.extend(world.step(step).await?);
    }
    wrong.extend(world.quiet().await);
    wrong.extend(world.delete(walk.deletion.with_stack).await?);
    Ok(wrong)
}
