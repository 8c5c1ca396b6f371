//! Shards (issue 24): two operators in one cluster, each owning the namespaces its label selector selects. Each
//! reconciles only its own; a namespace both select is refused by both (ShardConflict, naming the other); one
//! no shard selects is touched by none; a namespace relabelled from one shard to the other is taken over without
//! AWS writes beyond those its changes need; an uninstalled shard's record goes with its ServiceAccount.

use std::sync::Arc;
use std::time::Duration;

use ecs_bridge::api::EcsCluster;
use ecs_bridge::ecs::{Ecs, EcsSettings};
use ecs_bridge::metrics::Metrics;
use ecs_bridge::reconcile::Context;
use ecs_bridge::shard::{LabelSelector, Shard, ShardSettings};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event, Namespace, ServiceAccount};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;
use tokio::task::JoinHandle;

use crate::cluster::{is_ready, manifest};
use crate::harness::{Env, condition, eventually, unique};

const WAIT: Duration = Duration::from_secs(60);
/// The label the test's shards select namespaces by.
const LABEL: &str = "e2e.ecsbridge.dev/shard";
/// How long a shard waits before taking over a namespace that enters its selection (the lease duration).
const HANDOVER: Duration = Duration::from_secs(3);

/// A shard operator running in this process against the double.
struct RunningShard {
    metrics: Arc<Metrics>,
    task: JoinHandle<()>,
}

impl Drop for RunningShard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RunningShard {
    /// Reconciles of EcsCluster objects this shard has made, whatever their result.
    fn cluster_reconciles(&self) -> u64 {
        self.metrics
            .render()
            .lines()
            .filter(|l| l.starts_with(r#"ecsbridge_reconciles_total{kind="EcsCluster""#))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

/// Starts shard `name` selecting `selector`, its record on a Lease in `lease_namespace`, owned by
/// `record_owner` (a ServiceAccount there) if given.
async fn start_shard(
    env: &Env,
    url: &str,
    name: &str,
    selector: &str,
    lease_namespace: &str,
    record_owner: Option<&str>,
) -> RunningShard {
    let metrics = Arc::new(Metrics::default());
    let settings = EcsSettings {
        retry_base_delay: Duration::from_millis(50),
        endpoint_url: Some(url.to_owned()),
        scaling_endpoint_url: Some(url.to_owned()),
        ..Default::default()
    };
    let ecs = Ecs::from_env(&settings, metrics.clone()).await;
    let shard = ShardSettings {
        name: name.to_owned(),
        selector: LabelSelector::parse(selector).unwrap(),
        lease_namespace: lease_namespace.to_owned(),
        lease_name: format!("shard-{name}"),
        record_owner: record_owner.map(str::to_owned),
    };
    let (shard, namespaces) = Shard::start(env.client.clone(), shard)
        .await
        .expect("start the shard");
    let ctx = Context::new(
        env.client.clone(),
        ecs,
        metrics.clone(),
        Duration::from_secs(60),
        Some(name.to_owned()),
    )
    .with_shard(shard);
    let task = tokio::spawn(ecs_bridge::runtime::sharded::run_shard_controllers(
        Arc::new(ctx),
        namespaces,
        HANDOVER,
    ));
    RunningShard { metrics, task }
}

/// Sets the test label of the env's namespace.
async fn label(env: &Env, value: &str) {
    let namespaces: Api<Namespace> = Api::all(env.client.clone());
    namespaces
        .patch(
            &env.namespace,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {LABEL: value}}})),
        )
        .await
        .expect("label the namespace");
}

/// The messages of the Warning events with `reason` about object `name`.
async fn warnings(env: &Env, name: &str, reason: &str) -> Vec<String> {
    let events: Api<Event> = Api::namespaced(env.client.clone(), &env.namespace);
    let list = events
        .list(&ListParams::default())
        .await
        .expect("list events");
    list.items
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(name))
        .filter(|e| e.type_.as_deref() == Some("Warning") && e.reason.as_deref() == Some(reason))
        .filter_map(|e| e.message)
        .collect()
}

/// ECS writes the double has answered: every call but the reads.
fn writes(double: &ecs_double::Running) -> u64 {
    let out = std::process::Command::new("curl")
        .args(["-sf", &format!("{}/_double/stats", double.url)])
        .output()
        .expect("curl the double's stats");
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stats as JSON");
    stats["calls"]
        .as_object()
        .expect("calls by operation")
        .iter()
        .filter(|(op, _)| {
            !["Describe", "List", "Get"]
                .iter()
                .any(|read| op.starts_with(read))
        })
        .filter_map(|(_, count)| count.as_u64())
        .sum()
}

fn synced(c: &EcsCluster) -> Option<(String, String)> {
    let s = condition(&c.status.as_ref()?.conditions, "Synced")?;
    Some((s.reason.clone(), s.message.clone()))
}

#[tokio::test]
async fn each_shard_reconciles_only_its_namespaces_and_both_refuse_one_they_share() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let run = unique("shards");
    let (a, b) = (format!("{run}-a"), format!("{run}-b"));
    let mut envs = Vec::new();
    for value in ["a", "b", "both", "none"] {
        let env = Env::without_operator(&format!("shard-{value}")).await;
        label(&env, &format!("{run}-{value}")).await;
        envs.push(env);
    }
    let [only_a, only_b, both, none] = &envs[..] else {
        unreachable!()
    };
    let _shard_a = start_shard(
        only_a,
        &double.url,
        &a,
        &format!("{LABEL} in ({a},{run}-both)"),
        &only_a.namespace,
        None,
    )
    .await;
    let _shard_b = start_shard(
        only_b,
        &double.url,
        &b,
        &format!("{LABEL} in ({b},{run}-both)"),
        &only_b.namespace,
        None,
    )
    .await;
    for (env, value) in [(only_a, "a"), (only_b, "b"), (both, "both"), (none, "none")] {
        env.apply::<EcsCluster>(&manifest("main", &format!("{run}-{value}"), ""))
            .await;
    }
    only_a.wait_for::<EcsCluster>("main", WAIT, is_ready).await;
    only_b.wait_for::<EcsCluster>("main", WAIT, is_ready).await;
    let refused = both
        .wait_for::<EcsCluster>("main", WAIT, |c| {
            synced(c).is_some_and(|(reason, _)| reason == "ShardConflict")
        })
        .await;
    let (_, message) = synced(&refused).unwrap();
    assert!(
        message.contains(&format!("namespace {}", both.namespace)),
        "{message}"
    );
    // Both shards refuse it, each naming the other.
    eventually(WAIT, "a ShardConflict warning from each shard", || async {
        let messages = warnings(both, "main", "ShardConflict").await;
        let names = |shard: &str| {
            messages
                .iter()
                .any(|m| m.contains(&format!("shard \"{shard}\" (")))
        };
        names(&a) && names(&b)
    })
    .await;
    assert!(
        refused.metadata.finalizers.is_none(),
        "a refused object gets no finalizer"
    );
    // No shard touched the object nobody selects, nor ECS for either of the two.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let untouched: EcsCluster = none.api().get("main").await.unwrap();
    assert!(
        untouched.status.is_none() && untouched.metadata.finalizers.is_none(),
        "{untouched:?}"
    );
    assert_eq!(
        writes(&double),
        2,
        "one CreateCluster per owned namespace, none for the others"
    );
}

#[tokio::test]
async fn a_namespace_relabelled_to_another_shard_is_taken_over_without_extra_writes() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let run = unique("moved");
    let (a, b) = (format!("{run}-a"), format!("{run}-b"));
    let env = Env::without_operator("shard-moved").await;
    label(&env, &a).await;
    let shard_a = start_shard(
        &env,
        &double.url,
        &a,
        &format!("{LABEL}={a}"),
        &env.namespace,
        None,
    )
    .await;
    let shard_b = start_shard(
        &env,
        &double.url,
        &b,
        &format!("{LABEL}={b}"),
        &env.namespace,
        None,
    )
    .await;
    env.apply::<EcsCluster>(&manifest("main", &run, "")).await;
    env.wait_for::<EcsCluster>("main", WAIT, is_ready).await;
    assert_eq!(
        shard_b.cluster_reconciles(),
        0,
        "B does not own the namespace yet"
    );
    let writes_before = writes(&double);
    label(&env, &b).await;
    eventually(WAIT, "shard B reconciles the moved cluster", || async {
        shard_b.cluster_reconciles() > 0
    })
    .await;
    let by_a = shard_a.cluster_reconciles();
    assert_eq!(
        writes(&double),
        writes_before,
        "taking over an unchanged cluster writes nothing"
    );
    // A change after the move is B's: one write (the tags), and A stays out.
    env.patch::<EcsCluster>("main", json!({"spec": {"tags": {"team": "b"}}}))
        .await;
    env.wait_for::<EcsCluster>("main", WAIT, is_ready).await;
    eventually(WAIT, "the new tag reached ECS", || async {
        writes(&double) == writes_before + 1
    })
    .await;
    assert_eq!(
        shard_a.cluster_reconciles(),
        by_a,
        "A reconciled after the namespace left it"
    );
    let cluster: EcsCluster = env.api().get("main").await.unwrap();
    assert_eq!(synced(&cluster).unwrap().0, "Applied");
}

/// Uninstalling a shard's release deletes its ServiceAccount, which owns the shard's Lease record; Kubernetes'
/// garbage collector then deletes the record ("dependents are deleted when their owner is"), so the other shards
/// stop counting its selector: a namespace both selected is taken up by the one left, with no Lease to delete by hand.
#[tokio::test]
async fn an_uninstalled_shards_record_goes_with_its_service_account() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let run = unique("gone");
    let (a, b) = (format!("{run}-a"), format!("{run}-b"));
    let env = Env::without_operator("shard-gone").await;
    label(&env, &format!("{run}-both")).await;
    let accounts: Api<ServiceAccount> = Api::namespaced(env.client.clone(), &env.namespace);
    let account: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "shard-b"}})).unwrap();
    accounts
        .create(&PostParams::default(), &account)
        .await
        .expect("create shard B's ServiceAccount");
    let _shard_a = start_shard(
        &env,
        &double.url,
        &a,
        &format!("{LABEL} in ({a},{run}-both)"),
        &env.namespace,
        None,
    )
    .await;
    let shard_b = start_shard(
        &env,
        &double.url,
        &b,
        &format!("{LABEL} in ({b},{run}-both)"),
        &env.namespace,
        Some("shard-b"),
    )
    .await;
    env.apply::<EcsCluster>(&manifest("main", &run, "")).await;
    env.wait_for::<EcsCluster>("main", WAIT, |c| {
        synced(c).is_some_and(|(reason, _)| reason == "ShardConflict")
    })
    .await;
    // Uninstalled: its operator stops, its ServiceAccount is deleted.
    drop(shard_b);
    accounts
        .delete("shard-b", &DeleteParams::default())
        .await
        .expect("delete shard B's ServiceAccount");
    let leases: Api<Lease> = Api::namespaced(env.client.clone(), &env.namespace);
    eventually(
        WAIT,
        "shard B's Lease record deleted with its owner",
        || async {
            leases
                .get_opt(&format!("shard-{b}"))
                .await
                .unwrap()
                .is_none()
        },
    )
    .await;
    // Shard A takes the namespace up at its next retry of the refused object (30 s).
    env.wait_for::<EcsCluster>("main", Duration::from_secs(90), is_ready)
        .await;
}
