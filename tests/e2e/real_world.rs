//! The real-world corpus end to end (issue 28): every public task definition ECS accepts is Ready with exactly one
//! revision, keeps it across a re-apply and an operator restart, and reads back from DescribeTaskDefinition with
//! every field it was given; every one ECS refuses (`refused.txt`) is refused with a message naming a field. The
//! service definitions, each on the task definition it names, are accepted the same way. Prints the counts and fails
//! on any false refusal.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ecs::types::TaskDefinitionStatus as EcsStatus;
use ecs_bridge::api::{EcsCluster, EcsService, TaskDefinition};
use futures::future::join_all;
use kube::ResourceExt;
use kube::api::ListParams;
use serde_json::{Value, json};

use crate::corpus::{self, Document};
use crate::harness::{Env, condition, eventually_some, unique};
use crate::task_definition::revisions;

const SETTLE: Duration = Duration::from_secs(180);

/// How an object ended up: accepted (Ready or, for a service, Synced), refused by the operator before any call, or
/// sent to ECS and refused there, with the message.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Accepted,
    Refused(String),
    RejectedByEcs(String),
}

/// The outcome of an object whose conditions say it settled, or `None` while it works.
fn outcome(
    conditions: &[ecs_bridge::api::Condition],
    generation: Option<i64>,
    accepted: &str,
) -> Option<Outcome> {
    let current =
        |type_: &str| condition(conditions, type_).filter(|c| c.observed_generation == generation);
    if current(accepted).is_some_and(|c| c.status == "True") {
        return Some(Outcome::Accepted);
    }
    let synced = current("Synced").filter(|c| c.status == "False")?;
    match synced.reason.as_str() {
        "InvalidSpec" => Some(Outcome::Refused(synced.message.clone())),
        "RejectedByEcs" => Some(Outcome::RejectedByEcs(synced.message.clone())),
        _ => None,
    }
}

/// Waits until every object of kind `K` in the namespace settled; returns the outcome by object name.
async fn settled<K>(
    env: &Env,
    count: usize,
    accepted: &'static str,
    status: fn(&K) -> Option<&[ecs_bridge::api::Condition]>,
) -> BTreeMap<String, Outcome>
where
    K: crate::harness::Kind,
{
    let api = env.api::<K>();
    eventually_some(SETTLE, "every corpus object to settle", || {
        let api = api.clone();
        async move {
            let list = api.list(&ListParams::default()).await.ok()?;
            let done: BTreeMap<String, Outcome> = list
                .items
                .iter()
                .filter_map(|obj| {
                    let conditions = status(obj)?;
                    let found = outcome(conditions, obj.meta().generation, accepted)?;
                    Some((obj.name_any(), found))
                })
                .collect();
            (list.items.len() == count && done.len() == count).then_some(done)
        }
    })
    .await
}

fn td_conditions(td: &TaskDefinition) -> Option<&[ecs_bridge::api::Condition]> {
    td.status.as_ref().map(|s| s.conditions.as_slice())
}

fn service_conditions(svc: &EcsService) -> Option<&[ecs_bridge::api::Condition]> {
    svc.status.as_ref().map(|s| s.conditions.as_slice())
}

/// One task definition of the corpus as applied: its object name, family and manifest.
struct Applied {
    file: String,
    name: String,
    family: String,
    doc: Document,
    manifest: Value,
}

/// Applies the manifests in parallel; the API server's refusals by object name.
async fn apply_all<K: crate::harness::Kind>(
    env: &Env,
    manifests: &[Value],
) -> BTreeMap<String, Outcome> {
    let texts: Vec<String> = manifests.iter().map(Value::to_string).collect();
    let results = join_all(texts.iter().map(|text| env.try_apply::<K>(text))).await;
    manifests
        .iter()
        .zip(results)
        .filter_map(|(manifest, result)| {
            let name = manifest["metadata"]["name"].as_str()?.to_owned();
            result.err().map(|e| {
                (
                    name,
                    Outcome::Refused(format!("the API server refused it: {e}")),
                )
            })
        })
        .collect()
}

/// The fields of `doc` that DescribeTaskDefinition does not give back.
async fn lost_fields(env: &Env, family: &str, doc: &Document) -> Vec<String> {
    let out = env
        .ecs
        .describe_task_definition()
        .task_definition(family)
        .send()
        .await
        .expect("describe task definition");
    let described: Value =
        ecs_bridge::ecs::bridge::from_sdk(out.task_definition().expect("a task definition"))
            .expect("task definition as JSON");
    let mut lost = Vec::new();
    corpus::missing("", &corpus::request_content(doc), &described, &mut lost);
    lost
}

#[tokio::test]
async fn every_public_task_definition_ecs_accepts_is_accepted() {
    let mut env = Env::new("real-world").await;
    let refused = corpus::refused();
    let suffix = unique("rw");
    let mut families = BTreeMap::new();
    let applied: Vec<Applied> = corpus::documents("task-definitions")
        .into_iter()
        .map(|doc| {
            let name = corpus::object_name("td", &doc.stem);
            // Documents of one family (two versions of an example) register apart.
            let taken: &mut usize = families.entry(corpus::family_of(&doc)).or_default();
            *taken += 1;
            let family = format!("{}-{taken}-{suffix}", corpus::family_of(&doc));
            let manifest = corpus::task_definition(&name, &doc, &family);
            Applied {
                file: format!("task-definitions/{}", doc.stem),
                name,
                family,
                doc,
                manifest,
            }
        })
        .collect();
    assert!(applied.len() >= 50, "{} task definitions", applied.len());
    let manifests: Vec<Value> = applied.iter().map(|a| a.manifest.clone()).collect();
    let mut outcomes = apply_all::<TaskDefinition>(&env, &manifests).await;
    let admitted = applied.len() - outcomes.len();
    outcomes.extend(settled::<TaskDefinition>(&env, admitted, "Ready", td_conditions).await);

    let mut failures = Vec::new();
    let (mut accepted, mut refused_as_ecs, mut false_refusals) = (Vec::new(), 0, 0);
    for a in &applied {
        match (&outcomes[&a.name], refused.get(&a.file)) {
            (Outcome::Accepted, None) => accepted.push(a),
            (Outcome::Refused(message), Some(_)) if message.contains("spec.") => refused_as_ecs += 1,
            (Outcome::Refused(message), Some(reason)) => failures.push(format!(
                "{}: refused as ECS refuses it ({reason}), but the message names no field: {message}",
                a.file
            )),
            (Outcome::Refused(message), None) => {
                false_refusals += 1;
                failures.push(format!("{}: FALSE REFUSAL: {message}", a.file));
            }
            (Outcome::RejectedByEcs(message), _) => failures.push(format!(
                "{}: sent to ECS and refused there: {message}",
                a.file
            )),
            (Outcome::Accepted, Some(reason)) => failures.push(format!(
                "{}: accepted, but ECS refuses it: {reason}",
                a.file
            )),
        }
    }
    for a in &accepted {
        let revs = revisions(&env, &a.family, EcsStatus::Active).await;
        if revs != [1] {
            failures.push(format!("{}: revisions {revs:?}, not exactly one", a.file));
        }
        for lost in lost_fields(&env, &a.family, &a.doc).await {
            failures.push(format!("{}: field lost: {lost}", a.file));
        }
    }

    let services = services_of(&env, &applied, &outcomes, &refused, &mut failures).await;

    // Re-apply everything, restart the operator and nudge every object: nothing new is registered.
    apply_all::<TaskDefinition>(&env, &manifests).await;
    env.stop_operator();
    env.start_operator().await;
    let nudge = json!({"metadata": {"annotations": {"e2e/nudge": "after-restart"}}});
    join_all(
        applied
            .iter()
            .map(|a| env.patch::<TaskDefinition>(&a.name, nudge.clone())),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    settled::<TaskDefinition>(&env, admitted, "Ready", td_conditions).await;
    for a in &accepted {
        let revs = revisions(&env, &a.family, EcsStatus::Active).await;
        if revs != [1] {
            failures.push(format!(
                "{}: after re-apply and a restart revisions are {revs:?}",
                a.file
            ));
        }
    }

    println!(
        "real-world corpus: {} task definitions: {} accepted, {refused_as_ecs} refused as ECS refuses them, \
         {false_refusals} false refusals; {services}",
        applied.len(),
        accepted.len(),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Applies the service definitions, each on the task definition of its file name or of the family it names, and
/// checks that those whose task definition was accepted are accepted too. Returns the counts as text.
async fn services_of(
    env: &Env,
    applied: &[Applied],
    outcomes: &BTreeMap<String, Outcome>,
    refused: &BTreeMap<String, String>,
    failures: &mut Vec<String>,
) -> String {
    let cluster = unique("rw-cluster");
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: corpus}}\nspec: {{clusterName: {cluster}}}\n"
    ))
    .await;
    env.wait_for::<EcsCluster>("corpus", SETTLE, |c| {
        c.status
            .as_ref()
            .and_then(|s| condition(&s.conditions, "Ready"))
            .is_some_and(|r| r.status == "True")
    })
    .await;
    let docs = corpus::documents("services");
    assert!(docs.len() >= 15, "{} service definitions", docs.len());
    let network = corpus::account_network();
    let mut manifests = Vec::new();
    for doc in &docs {
        let named = doc.body["taskDefinition"]
            .as_str()
            .map(corpus::family_of_reference);
        let td = applied
            .iter()
            .find(|a| a.doc.stem == doc.stem)
            .or_else(|| {
                applied
                    .iter()
                    .find(|a| Some(corpus::family_of(&a.doc)) == named)
            })
            .unwrap_or_else(|| {
                panic!(
                    "services/{}: no task definition of the corpus to run",
                    doc.stem
                )
            });
        let name = corpus::object_name("svc", &doc.stem);
        manifests.push((
            doc,
            td,
            corpus::service(&name, doc, "corpus", &td.name, &network),
        ));
    }
    // A service on a task definition ECS refuses cannot start; it is counted, not applied.
    let on_refused_td = manifests
        .iter()
        .filter(|(_, td, _)| outcomes[&td.name] != Outcome::Accepted)
        .count();
    manifests.retain(|(_, td, _)| outcomes[&td.name] == Outcome::Accepted);
    let objects: Vec<Value> = manifests.iter().map(|(_, _, m)| m.clone()).collect();
    let at_admission = apply_all::<EcsService>(env, &objects).await;
    let mut waiting = BTreeMap::new();
    let settled_services = eventually_some(SETTLE, "every corpus service to settle", || async {
        let list = env
            .api::<EcsService>()
            .list(&ListParams::default())
            .await
            .ok()?;
        let done: BTreeMap<String, Option<Outcome>> = list
            .items
            .iter()
            .filter_map(|svc| {
                let conditions = service_conditions(svc)?;
                let found = outcome(conditions, svc.metadata.generation, "Synced")?;
                Some((svc.name_any(), Some(found)))
            })
            .collect();
        (done.len() == objects.len() - at_admission.len()).then_some(done)
    })
    .await;
    let (mut accepted, mut refused_as_ecs) = (0, 0);
    for (doc, _, manifest) in &manifests {
        let file = format!("services/{}", doc.stem);
        let name = manifest["metadata"]["name"].as_str().unwrap();
        let found = at_admission
            .get(name)
            .cloned()
            .or_else(|| settled_services.get(name).cloned().flatten());
        match (found, refused.get(&file)) {
            (Some(Outcome::Accepted), None) => accepted += 1,
            (Some(Outcome::Refused(m)), Some(_)) if m.contains("spec.") => refused_as_ecs += 1,
            (found, reason) => {
                waiting.insert(file.clone(), format!("{found:?} (ECS: {reason:?})"));
            }
        }
    }
    for (file, what) in waiting {
        failures.push(format!(
            "{file}: FALSE REFUSAL or unexpected outcome: {what}"
        ));
    }
    format!(
        "{} service definitions: {accepted} accepted, {refused_as_ecs} refused as ECS refuses them, \
         {on_refused_td} on a task definition ECS refuses",
        docs.len()
    )
}
