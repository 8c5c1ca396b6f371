//! Chaos: the operator as a process, killed with SIGKILL at random points (seeded, printed) and restarted at once,
//! one restart of the kube-apiserver, and 10% of ECS calls failing (500s and 2 s hangs) while 100 objects are
//! created, half of the services updated and a third of everything deleted (services before their task
//! definitions: a revision still in use is kept ACTIVE by design). Once the faults stop, everything
//! converges: every remaining object Ready, nothing stuck in deletion, exactly one ECS service per EcsService,
//! no task definition revision registered twice for one spec, nothing left in ECS for what was deleted.
//! The figures go to target/bench/chaos.json. Set `CHAOS_SEED` to replay a run's kill points.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ecs_bridge::api::{EcsCluster, EcsService, TaskDefinition};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use crate::harness::configure;
use crate::harness::{Env, Kind, unique};

const CLUSTERS: usize = 4;
const SERVICES: usize = 48;
/// Services (and their task definitions) deleted: those of the deleted cluster `c3`, and two more.
const DELETED_CLUSTER: usize = 3;
const CONVERGE: Duration = Duration::from_secs(240);
const MIN_KILLS: u32 = 5;

/// A small seeded generator (xorshift64*), so that a run's kill points can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A duration between `low` and `high` milliseconds.
    fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low))
    }
}

/// The operator process, restarted by whoever kills it.
struct Operator {
    child: Option<Child>,
    namespace: String,
    ecs_url: String,
}

impl Operator {
    fn start(namespace: &str, ecs_url: &str) -> Self {
        let mut operator = Operator {
            child: None,
            namespace: namespace.to_owned(),
            ecs_url: ecs_url.to_owned(),
        };
        operator.spawn();
        operator
    }

    fn spawn(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_ecs-bridge"))
            .args(["run", "--namespaces", &self.namespace])
            .args(["--lease-namespace", &self.namespace])
            .args(["--health-addr", "127.0.0.1:0"])
            .args(["--metrics-addr", "127.0.0.1:0"])
            .env("AWS_ENDPOINT_URL_ECS", &self.ecs_url)
            .env("POD_NAME", "chaos")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ecs-bridge");
        self.child = Some(child);
    }

    /// SIGKILL, then a new process at once.
    fn kill_and_restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.spawn();
    }

    /// Restarts the process when it ended by itself; returns whether it had.
    fn revive(&mut self) -> bool {
        let ended = self
            .child
            .as_mut()
            .is_none_or(|c| c.try_wait().ok().flatten().is_some());
        if ended {
            self.spawn();
        }
        ended
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Retries a Kubernetes call through transient failures (such as the apiserver restarting).
async fn retry<T, F, Fut>(what: &str, call: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let mut last = None;
    for _ in 0..120 {
        match call().await {
            Ok(value) => return value,
            Err(kube::Error::Api(e)) if e.code == 404 => panic!("{what}: {e}"),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{what}: {last:?}");
}

async fn apply<K: Kind>(env: &Env, value: Value) {
    let name = value["metadata"]["name"].as_str().unwrap().to_owned();
    let api = env.api::<K>();
    let params = PatchParams::apply("e2e-chaos").force();
    let patch = Patch::Apply(&value);
    retry(&format!("apply {name}"), || {
        api.patch(&name, &params, &patch)
    })
    .await;
}

async fn delete<K: Kind>(env: &Env, name: &str) {
    let api = env.api::<K>();
    retry(&format!("delete {name}"), || async {
        match api.delete(name, &DeleteParams::default()).await {
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            other => other.map(|_| ()),
        }
    })
    .await;
}

fn cluster(run: &str, c: usize) -> Value {
    json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": format!("c{c}")},
           "spec": {"clusterName": format!("{run}-c{c}")}})
}

fn task_definition(run: &str, i: usize, image: &str) -> Value {
    json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": format!("td{i}")},
           "spec": {"family": format!("{run}-td{i}"), "containerDefinitions": [
               {"name": "app", "image": image, "memory": 128}]}})
}

fn service(i: usize, desired: u32) -> Value {
    json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsService", "metadata": {"name": format!("svc{i}")},
           "spec": {"serviceName": format!("svc{i}"), "clusterRef": {"name": format!("c{}", i % CLUSTERS)},
                    "taskDefinitionRef": {"name": format!("td{i}")}, "desiredCount": desired, "launchType": "EC2"}})
}

/// Whether an object's status says Ready=True for its current generation.
fn ready(object: &Value) -> bool {
    let status = &object["status"];
    let current = status["observedGeneration"]
        .as_i64()
        .is_none_or(|g| Some(g) == object["metadata"]["generation"].as_i64());
    current
        && status["conditions"].as_array().is_some_and(|conds| {
            conds
                .iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// The objects of kind `K` in the namespace: name → (ready, being deleted).
async fn objects<K: Kind>(env: &Env) -> Option<BTreeMap<String, (bool, bool)>> {
    let list = env.api::<K>().list(&ListParams::default()).await.ok()?;
    Some(
        list.items
            .iter()
            .map(|o| {
                let value = serde_json::to_value(o).unwrap();
                let name = value["metadata"]["name"].as_str().unwrap().to_owned();
                let deleting = value["metadata"]["deletionTimestamp"].is_string();
                (name, (ready(&value), deleting))
            })
            .collect(),
    )
}

/// Restarts the kube-apiserver of the local control plane: SIGKILL, then tests/control-plane/up.sh (which starts
/// what is not running, with the same flags, and waits until it is ready).
fn restart_apiserver() {
    let kubeconfig = std::env::var("KUBECONFIG").expect("KUBECONFIG");
    let state = Path::new(&kubeconfig).parent().unwrap().to_path_buf();
    let pid =
        std::fs::read_to_string(state.join("kube-apiserver.pid")).expect("apiserver pid file");
    let pid = pid.trim();
    let killed = Command::new("kill").args(["-9", pid]).status().unwrap();
    assert!(killed.success(), "kill the kube-apiserver ({pid})");
    // Wait until it is gone, or up.sh would take it as alive.
    for _ in 0..100 {
        let alive = Command::new("kill")
            .args(["-0", pid])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        if !alive {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/control-plane/up.sh");
    let up = Command::new("bash")
        .arg(script)
        .env("ECSB_STATE", &state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(up.success(), "up.sh restarts the kube-apiserver");
}

fn double_faults(url: &str) -> u64 {
    let out = Command::new("curl")
        .args(["-sf", &format!("{url}/_double/stats")])
        .output()
        .unwrap();
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    stats["faults"].as_u64().unwrap_or(0)
}

/// What ECS holds, against what Kubernetes says should remain.
#[derive(Debug, Default)]
struct Findings {
    duplicates: usize,
    leaks: usize,
    notes: Vec<String>,
}

async fn look_at_ecs(
    env: &Env,
    run: &str,
    remaining_services: &BTreeSet<usize>,
    specs_per_family: &BTreeMap<usize, usize>,
) -> Option<Findings> {
    let ecs = &env.ecs;
    let mut found = Findings::default();
    for c in 0..CLUSTERS {
        let name = format!("{run}-c{c}");
        let described = ecs.describe_clusters().clusters(&name).send().await.ok()?;
        let active = described
            .clusters()
            .iter()
            .any(|cl| cl.status() == Some("ACTIVE"));
        if c == DELETED_CLUSTER {
            if active {
                found.leaks += 1;
                found.notes.push(format!("cluster {name} still ACTIVE"));
            }
            continue;
        }
        let mut live = BTreeMap::<String, usize>::new();
        let mut token = None;
        loop {
            let page = ecs
                .list_services()
                .cluster(&name)
                .set_next_token(token)
                .send()
                .await
                .ok()?;
            for arn in page.service_arns() {
                let service = arn.rsplit('/').next().unwrap_or(arn).to_owned();
                *live.entry(service).or_default() += 1;
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        for i in (0..SERVICES).filter(|i| i % CLUSTERS == c) {
            let service = format!("svc{i}");
            let count = live.remove(&service).unwrap_or(0);
            if remaining_services.contains(&i) {
                if count > 1 {
                    found.duplicates += count - 1;
                    found.notes.push(format!("{service}: {count} ECS services"));
                }
            } else if count > 0 {
                found.leaks += count;
                found
                    .notes
                    .push(format!("{service} deleted but live in ECS"));
            }
        }
        for (service, count) in live {
            found.duplicates += count;
            found
                .notes
                .push(format!("unexpected ECS service {service} in {name}"));
        }
    }
    for (&i, &specs) in specs_per_family {
        let family = format!("{run}-td{i}");
        let mut revisions = BTreeMap::<&str, usize>::new();
        for status in ["ACTIVE", "INACTIVE"] {
            let page = ecs
                .list_task_definitions()
                .family_prefix(&family)
                .status(status.into())
                .send()
                .await
                .ok()?;
            revisions.insert(status, page.task_definition_arns().len());
        }
        let total = revisions["ACTIVE"] + revisions["INACTIVE"];
        if total > specs {
            found.duplicates += total - specs;
            found
                .notes
                .push(format!("{family}: {total} revisions for {specs} specs"));
        }
        if !remaining_services.contains(&i) && revisions["ACTIVE"] > 0 {
            found.leaks += revisions["ACTIVE"];
            found
                .notes
                .push(format!("{family} deleted but has ACTIVE revisions"));
        }
    }
    Some(found)
}

#[tokio::test]
async fn chaos_kills_faults_and_an_api_server_restart_leave_nothing_behind() {
    let started = Instant::now();
    let seed = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("chaos seed: {seed} (CHAOS_SEED={seed} replays the kill points)");
    let double = ecs_double::spawn(&[
        "--fault-rate",
        "0.1",
        "--timeout-seconds",
        "2",
        "--speedup",
        "20",
        "--rollout-seconds",
        "2",
    ]);
    let mut env = Env::against(&unique("chaos"), &double.url).await;
    env.stop_operator();
    let run = unique("chaos");
    let operator = Arc::new(Mutex::new(Operator::start(&env.namespace, &double.url)));

    // The killer: SIGKILL at random points, a new process at once.
    let kills = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let killer = {
        let (operator, kills, stop) = (operator.clone(), kills.clone(), stop.clone());
        let mut rng = Rng(seed);
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(rng.millis(1_000, 4_000)).await;
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                operator.lock().unwrap().kill_and_restart();
                kills.fetch_add(1, Ordering::SeqCst);
            }
        })
    };

    // Create the clusters, a task definition per service, and the services.
    for c in 0..CLUSTERS {
        apply::<EcsCluster>(&env, cluster(&run, c)).await;
    }
    let mut specs_per_family = BTreeMap::new();
    for i in 0..SERVICES {
        apply::<TaskDefinition>(&env, task_definition(&run, i, &format!("app:{i}"))).await;
        specs_per_family.insert(i, 1);
    }
    for i in 0..SERVICES {
        apply::<EcsService>(&env, service(i, 1)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(4)).await;

    // Update half of the services: a desired count on the even ones, a new image on the odd ones.
    for i in 0..SERVICES / 2 {
        if i % 2 == 0 {
            apply::<EcsService>(&env, service(i, 2)).await;
        } else {
            apply::<TaskDefinition>(&env, task_definition(&run, i, &format!("app:{i}-v2"))).await;
            *specs_per_family.get_mut(&i).unwrap() += 1;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    // The kube-apiserver goes down and comes back, with the operator running (or being killed) meanwhile.
    let apiserver_restarts = {
        let began = Instant::now();
        tokio::task::spawn_blocking(restart_apiserver)
            .await
            .unwrap();
        println!(
            "kube-apiserver restarted in {:.1} s",
            began.elapsed().as_secs_f64()
        );
        1
    };

    // Delete a third: cluster c3, its services and two more, and those services' task definitions.
    let deleted: BTreeSet<usize> = (0..SERVICES)
        .filter(|i| i % CLUSTERS == DELETED_CLUSTER || *i >= SERVICES - 2)
        .collect();
    // Services first: a task definition deleted while a service still uses its revision keeps that revision
    // ACTIVE by design (RevisionsKept), so its deletion waits until the services are gone (bounded).
    for &i in &deleted {
        delete::<EcsService>(&env, &format!("svc{i}")).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let waiting = Instant::now();
    while waiting.elapsed() < Duration::from_secs(60) {
        let services = objects::<EcsService>(&env).await;
        if services.is_some_and(|s| deleted.iter().all(|i| !s.contains_key(&format!("svc{i}")))) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for &i in &deleted {
        delete::<TaskDefinition>(&env, &format!("td{i}")).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    delete::<EcsCluster>(&env, &format!("c{DELETED_CLUSTER}")).await;
    while kills.load(Ordering::SeqCst) < MIN_KILLS {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::SeqCst);
    killer.await.unwrap();

    // Faults off, the operator left alone: everything converges.
    configure(&double, r#"{"faultRate": 0.0}"#);
    let faults = double_faults(&double.url);
    let converging = Instant::now();
    let remaining: BTreeSet<usize> = (0..SERVICES).filter(|i| !deleted.contains(i)).collect();
    let objects_total = CLUSTERS + 2 * SERVICES;
    let mut exits = 0;
    let (mut findings, mut stuck, mut not_ready);
    loop {
        if operator.lock().unwrap().revive() {
            exits += 1;
        }
        let (clusters, tds, services) = (
            objects::<EcsCluster>(&env).await,
            objects::<TaskDefinition>(&env).await,
            objects::<EcsService>(&env).await,
        );
        let ecs = look_at_ecs(&env, &run, &remaining, &specs_per_family).await;
        if let (Some(clusters), Some(tds), Some(services), Some(ecs)) =
            (clusters, tds, services, ecs)
        {
            let expected: BTreeSet<String> = (0..CLUSTERS)
                .filter(|&c| c != DELETED_CLUSTER)
                .map(|c| format!("c{c}"))
                .chain(
                    remaining
                        .iter()
                        .flat_map(|i| [format!("td{i}"), format!("svc{i}")]),
                )
                .collect();
            let all: BTreeMap<String, (bool, bool)> =
                clusters.into_iter().chain(tds).chain(services).collect();
            stuck = all
                .keys()
                .filter(|n| !expected.contains(*n))
                .cloned()
                .collect::<Vec<_>>();
            not_ready = expected
                .iter()
                .filter(|n| {
                    all.get(*n)
                        .is_none_or(|(ready, deleting)| !ready || *deleting)
                })
                .cloned()
                .collect::<Vec<_>>();
            findings = ecs;
            if (stuck.is_empty() && not_ready.is_empty() && findings.leaks == 0)
                || converging.elapsed() > CONVERGE
            {
                break;
            }
        } else if converging.elapsed() > CONVERGE {
            panic!("Kubernetes or ECS did not answer while converging");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let seconds = converging.elapsed().as_secs_f64();
    let kills = kills.load(Ordering::SeqCst);
    let figures = json!({
        "seed": seed,
        "kills": kills,
        "operatorExits": exits,
        "apiserverRestarts": apiserver_restarts,
        "ecsFaults": faults,
        "objects": objects_total,
        "deleted": 2 * deleted.len() + 1,
        "duplicates": findings.duplicates,
        "leaks": findings.leaks,
        "stuck": stuck.len(),
        "notReady": not_ready.len(),
        "secondsToConverge": (seconds * 10.0).round() / 10.0,
        "totalSeconds": started.elapsed().as_secs(),
    });
    println!(
        "chaos: kills={kills} apiserver_restarts={apiserver_restarts} ecs_faults={faults} objects={objects_total} \
         duplicates={} leaks={} stuck={} not_ready={} converged_in={seconds:.1}s (seed {seed})",
        findings.duplicates,
        findings.leaks,
        stuck.len(),
        not_ready.len()
    );
    let dir = PathBuf::from(
        std::env::var("CARGO_TARGET_DIR")
            .unwrap_or_else(|_| format!("{}/target", env!("CARGO_MANIFEST_DIR"))),
    )
    .join("bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("chaos.json"),
        serde_json::to_string_pretty(&figures).unwrap(),
    )
    .unwrap();
    drop(operator);

    assert!(kills >= MIN_KILLS);
    assert_eq!(
        findings.duplicates, 0,
        "duplicates in ECS: {:?}",
        findings.notes
    );
    assert_eq!(findings.leaks, 0, "left in ECS: {:?}", findings.notes);
    assert!(stuck.is_empty(), "stuck in deletion: {stuck:?}");
    assert!(not_ready.is_empty(), "not Ready: {not_ready:?}");
}
