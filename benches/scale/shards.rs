//! Two shards of N services each, each shard two `ecs-bridge run` processes (a leader and a standby) on its own
//! Lease and its own ECS double (two accounts): once both have converged, shard A's leader is killed (SIGKILL, so
//! its Lease is not released). Measures how long A's standby takes to hold the Lease and to apply users' changes
//! again, against the lease duration, and shard B's reconcile latency for users' changes before and during A's
//! takeover. Prints the figures and writes target/bench/shards.{md,json}.

use std::time::{Duration, Instant};

use ecs_bridge::api::EcsService;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

use super::drift::percentile;
use super::objects;
use super::processes::{Process, free_port_pair, start_double};

/// The lease duration of both shards.
const LEASE: Duration = Duration::from_secs(15);
/// Users' changes measured per shard and phase.
const CHANGES: usize = 10;

/// What the run showed.
pub struct ShardRun {
    pub services: usize,
    pub converged: [Duration; 2],
    /// From the kill to the standby holding A's Lease.
    pub lease_taken: Duration,
    /// From the moment A's Lease lapsed (the dead leader's last renewal plus the lease duration) to the standby's
    /// acquisition, in ms (by the Lease's own times).
    pub after_lapse_ms: i64,
    /// From the kill to each of A's users' changes made right after it being applied.
    pub a_after_kill: Vec<Duration>,
    /// B's users' changes: before the kill, and made right after it.
    pub b_before: Vec<Duration>,
    pub b_during: Vec<Duration>,
    pub claims: Vec<(String, bool)>,
}

/// One shard: its namespace, its double and its two processes (the leader first once elected).
struct RunningShard {
    namespace: String,
    processes: Vec<Process>,
    _double: ecs_double::Running,
}

pub async fn measure(client: &Client, n: usize, rate_limits: &str, speedup: f64) -> ShardRun {
    let run = format!("shards-{}", std::process::id());
    let mut shards = Vec::new();
    for name in ["a", "b"] {
        let namespace = format!("{run}-{name}");
        let double = start_double(speedup);
        labelled_namespace(client, &namespace, &run).await;
        objects::create_all(client, &namespace, &namespace, n).await;
        let processes = (0..2)
            .map(|_| start_shard(&namespace, &run, &double.url, rate_limits))
            .collect();
        shards.push(RunningShard {
            namespace,
            processes,
            _double: double,
        });
    }
    let expected = objects::CLUSTERS + 2 * n;
    let timeout = Duration::from_secs(3600);
    let (a, b) = tokio::join!(
        objects::wait_all_ready(client, &shards[0].namespace, expected, timeout),
        objects::wait_all_ready(client, &shards[1].namespace, expected, timeout),
    );
    let converged = [a.0, b.0];
    eprintln!("benchmark: shards converged in {:?} and {:?}", a.0, b.0);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let b_ns = shards[1].namespace.clone();
    let b_before = users_changes(client, &b_ns, 0, Instant::now()).await;
    let a_ns = shards[0].namespace.clone();
    let before = lease_spec(client, &a_ns).await.expect("shard A's Lease");
    let holder = before
        .holder_identity
        .clone()
        .expect("shard A has a leader");
    let leader = shards[0]
        .processes
        .iter()
        .position(|p| holder.ends_with(&format!("-{}", p.child.id())))
        .expect("the holder is one of shard A's processes");
    let killed = Instant::now();
    shards[0].processes[leader]
        .child
        .kill()
        .expect("kill shard A's leader");
    let (lease_taken, a_after_kill, b_during) = tokio::join!(
        lease_taken_over(client, &a_ns, &holder, killed),
        users_changes(client, &a_ns, 0, killed),
        users_changes(client, &b_ns, CHANGES, Instant::now()),
    );
    let after = lease_spec(client, &a_ns).await.expect("shard A's Lease");
    let after_lapse_ms = match (before.renew_time, after.acquire_time) {
        (Some(renewed), Some(acquired)) => {
            let lapsed = renewed.0.as_millisecond() + LEASE.as_millis() as i64;
            acquired.0.as_millisecond() - lapsed
        }
        _ => i64::MAX,
    };
    let slowest = |v: &[Duration]| v.iter().max().copied().unwrap_or_default();
    let claims = vec![
        // The Lease lapses one lease duration after the dead leader's last renewal, which may come just
        // before the kill; the standby sees the lapse at its next look at the Lease.
        (
            format!("A's standby holds the Lease within the lease duration ({LEASE:?}) plus 1 s"),
            lease_taken <= LEASE + Duration::from_secs(1),
        ),
        (
            "A's standby takes the Lease within 1 s after it lapsed".into(),
            after_lapse_ms <= 1000,
        ),
        (
            "A applies users' changes again within the lease duration plus 10 s".into(),
            slowest(&a_after_kill) <= LEASE + Duration::from_secs(10),
        ),
        (
            "B's slowest change during A's takeover is within 1 s of its slowest before".into(),
            slowest(&b_during) <= slowest(&b_before) + Duration::from_secs(1),
        ),
    ];
    let result = ShardRun {
        services: n,
        converged,
        lease_taken,
        after_lapse_ms,
        a_after_kill,
        b_before,
        b_during,
        claims,
    };
    write(&result);
    result
}

async fn labelled_namespace(client: &Client, name: &str, run: &str) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns = serde_json::from_value(json!({"metadata": {"name": name, "labels": {"bench-shard": format!("{run}-{}", &name[name.len() - 1..])}}}))
        .unwrap();
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .expect("create namespace");
}

/// Starts one process of the shard that owns `namespace` (its Lease in that namespace).
fn start_shard(namespace: &str, run: &str, double_url: &str, rate_limits: &str) -> Process {
    let port = free_port_pair();
    let shard = &namespace[namespace.len() - 1..];
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ecs-bridge"))
        .args(["run", "--shard-name", shard])
        .args([
            "--namespace-selector",
            &format!("bench-shard={run}-{shard}"),
        ])
        .args(["--leader-election", "--lease-namespace", namespace])
        .args(["--lease-name", "ecs-bridge", "--lease-duration"])
        .arg(format!("{}s", LEASE.as_secs()))
        .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
        .args(["--health-addr", &format!("127.0.0.1:{}", port + 1)])
        .env("AWS_ENDPOINT_URL_ECS", double_url)
        .env("AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING", double_url)
        .env("ECSB_AWS_RATE_LIMITS", rate_limits)
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start ecs-bridge");
    Process { child }
}

async fn lease_spec(client: &Client, namespace: &str) -> Option<LeaseSpec> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), namespace);
    leases.get_opt("ecs-bridge").await.ok()??.spec
}

/// Time from `since` until another identity than `old` holds the Lease.
async fn lease_taken_over(client: &Client, namespace: &str, old: &str, since: Instant) -> Duration {
    loop {
        let holder = lease_spec(client, namespace)
            .await
            .and_then(|s| s.holder_identity);
        if holder.is_some_and(|holder| holder != old) {
            return since.elapsed();
        }
        assert!(since.elapsed() < LEASE * 4, "nobody took over the Lease");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Raises the desired count of `CHANGES` services (from index `first`) and returns, for each, the time from
/// `since` until the operator reported it applied (`Synced=True` for the new generation).
async fn users_changes(
    client: &Client,
    namespace: &str,
    first: usize,
    since: Instant,
) -> Vec<Duration> {
    let api: Api<EcsService> = Api::namespaced(client.clone(), namespace);
    let mut pending = Vec::new();
    for i in first..first + CHANGES {
        let name = format!("svc{i}");
        let patched = api
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"desiredCount": 2}})),
            )
            .await
            .expect("a user's change");
        pending.push((name, patched.metadata.generation));
    }
    let mut took = Vec::new();
    while !pending.is_empty() {
        assert!(
            since.elapsed() < Duration::from_secs(300),
            "changes not applied: {pending:?}"
        );
        let mut still = Vec::new();
        for (name, generation) in pending {
            let service = api.get(&name).await.expect("get service");
            let applied = service.status.as_ref().is_some_and(|s| {
                s.conditions.iter().any(|c| {
                    c.type_ == "Synced" && c.status == "True" && c.observed_generation == generation
                })
            });
            match applied {
                true => took.push(since.elapsed()),
                false => still.push((name, generation)),
            }
        }
        pending = still;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    took
}

fn write(run: &ShardRun) {
    let ms = |d: Duration| d.as_millis();
    let stats = |v: &[Duration]| {
        format!(
            "p50 {} ms, max {} ms",
            ms(percentile(v, 50.0)),
            ms(percentile(v, 100.0))
        )
    };
    let mut md = format!(
        "## Two shards of {} services each, shard A's leader killed\n\n\
         | figure | value |\n|---|---|\n\
         | converged (A, B) | {:.1} s, {:.1} s |\n\
         | A's Lease taken by the standby after the kill (lease {} s) | {} ms |\n\
         | ... after the Lease lapsed (last renewal + lease) | {} ms |\n\
         | A's users' changes applied, from the kill | {} |\n\
         | B's users' changes, before the kill | {} |\n\
         | B's users' changes, during A's takeover | {} |\n\n",
        run.services,
        run.converged[0].as_secs_f64(),
        run.converged[1].as_secs_f64(),
        LEASE.as_secs(),
        ms(run.lease_taken),
        run.after_lapse_ms,
        stats(&run.a_after_kill),
        stats(&run.b_before),
        stats(&run.b_during),
    );
    for (claim, holds) in &run.claims {
        md.push_str(&format!("- [{}] {claim}\n", if *holds { "x" } else { " " }));
    }
    println!("{md}");
    let millis = |v: &[Duration]| v.iter().map(|d| d.as_millis() as u64).collect::<Vec<_>>();
    let json = json!({
        "services_per_shard": run.services,
        "converged_seconds": [run.converged[0].as_secs_f64(), run.converged[1].as_secs_f64()],
        "lease_seconds": LEASE.as_secs(),
        "lease_taken_ms": ms(run.lease_taken) as u64,
        "lease_taken_after_lapse_ms": run.after_lapse_ms,
        "a_after_kill_ms": millis(&run.a_after_kill),
        "b_before_ms": millis(&run.b_before),
        "b_during_ms": millis(&run.b_during),
        "claims": run.claims.iter().map(|(c, h)| json!({"claim": c, "holds": h})).collect::<Vec<_>>(),
    });
    std::fs::create_dir_all("target/bench").expect("create target/bench");
    std::fs::write("target/bench/shards.md", &md).expect("write shards.md");
    std::fs::write(
        "target/bench/shards.json",
        serde_json::to_string_pretty(&json).unwrap(),
    )
    .expect("write shards.json");
}
