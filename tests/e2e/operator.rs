//! The operator as a process: leader election between two replicas (hand-over after a crash and after SIGTERM,
//! no double action in ECS), a standby that is ready and ends cleanly on SIGTERM, and the Prometheus metrics it
//! serves. A standby polls the Lease when it expires, so
//! hand-over takes up to the Lease duration (15 s) either way; SIGTERM additionally ends the leader cleanly.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ecs_bridge::api::EcsCluster;
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;

use crate::harness::{Env, condition, eventually, unique};

const WAIT: Duration = Duration::from_secs(60);

/// One `ecs-bridge run` process for the test's namespace.
struct Operator {
    child: Child,
    identity: String,
    metrics_port: u16,
    health_port: u16,
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_operator(env: &Env, identity: &str, leader_election: bool) -> Operator {
    let metrics_port = free_port();
    let health_port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecs-bridge"));
    command
        .args([
            "run",
            "--namespaces",
            &env.namespace,
            "--lease-namespace",
            &env.namespace,
        ])
        .args(["--health-addr", &format!("127.0.0.1:{health_port}")])
        .args(["--metrics-addr", &format!("127.0.0.1:{metrics_port}")])
        .env("POD_NAME", identity)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if leader_election {
        command.arg("--leader-election");
    }
    let child = command.spawn().expect("start ecs-bridge");
    Operator {
        child,
        identity: identity.to_owned(),
        metrics_port,
        health_port,
    }
}

/// Whether the operator's `/readyz` answers 200.
fn is_ready_to_serve(operator: &Operator) -> bool {
    let url = format!("http://127.0.0.1:{}/readyz", operator.health_port);
    Command::new("curl")
        .args(["-sf", &url])
        .output()
        .is_ok_and(|o| o.status.success())
}

async fn holder(env: &Env) -> Option<String> {
    let leases: Api<Lease> = Api::namespaced(env.client.clone(), &env.namespace);
    leases
        .get_opt("ecs-bridge")
        .await
        .ok()??
        .spec?
        .holder_identity
}

fn cluster_yaml(name: &str, ecs_name: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: {name}}}\nspec: {{clusterName: {ecs_name}}}\n"
    )
}

fn is_ready(c: &EcsCluster) -> bool {
    c.status
        .as_ref()
        .and_then(|s| condition(&s.conditions, "Ready"))
        .is_some_and(|r| r.status == "True")
}

async fn created_events(env: &Env, name: &str) -> usize {
    env.event_reasons(name)
        .await
        .iter()
        .filter(|(_, reason)| reason == "Created")
        .count()
}

/// Kills the leader with `signal` and returns how long the standby took to hold the Lease.
async fn hand_over(env: &Env, operators: &mut Vec<Operator>, signal: &str) -> Duration {
    let leader = holder(env).await.expect("a leader");
    let index = operators
        .iter()
        .position(|o| o.identity == leader)
        .expect("the leader is one of ours");
    let mut old = operators.remove(index);
    let started = Instant::now();
    let status = Command::new("kill")
        .args([signal, &old.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let standbys: Vec<String> = operators.iter().map(|o| o.identity.clone()).collect();
    eventually(
        Duration::from_secs(30),
        "a standby to take the Lease",
        || async { holder(env).await.is_some_and(|h| standbys.contains(&h)) },
    )
    .await;
    let took = started.elapsed();
    let exit = old.child.wait().unwrap();
    if signal == "-TERM" {
        assert!(
            exit.success(),
            "SIGTERM ends the leader cleanly, after releasing the Lease: {exit:?}"
        );
    }
    took
}

#[tokio::test]
async fn two_replicas_elect_one_leader_and_hand_over_within_20s() {
    let mut env = Env::new("leader").await;
    env.stop_operator();
    let mut operators = vec![
        spawn_operator(&env, "replica-a", true),
        spawn_operator(&env, "replica-b", true),
    ];
    eventually(WAIT, "a leader", || async { holder(&env).await.is_some() }).await;

    let first = unique("first");
    env.apply::<EcsCluster>(&cluster_yaml("first", &first))
        .await;
    env.wait_for::<EcsCluster>("first", WAIT, is_ready).await;
    operators.push(spawn_operator(&env, "replica-c", true));
    let crash = hand_over(&env, &mut operators, "-KILL").await;
    println!(
        "hand-over after the leader was killed: {:.1} s",
        crash.as_secs_f64()
    );
    assert!(crash < Duration::from_secs(20), "took {crash:?}");

    let second = unique("second");
    env.apply::<EcsCluster>(&cluster_yaml("second", &second))
        .await;
    env.wait_for::<EcsCluster>("second", WAIT, is_ready).await;
    let graceful = hand_over(&env, &mut operators, "-TERM").await;
    println!("hand-over after SIGTERM: {:.1} s", graceful.as_secs_f64());
    assert!(graceful < Duration::from_secs(20), "took {graceful:?}");

    let third = unique("third");
    env.apply::<EcsCluster>(&cluster_yaml("third", &third))
        .await;
    env.wait_for::<EcsCluster>("third", WAIT, is_ready).await;
    for name in ["first", "second", "third"] {
        assert_eq!(
            created_events(&env, name).await,
            1,
            "{name} was created exactly once"
        );
    }
}

#[tokio::test]
async fn a_standby_is_ready_and_ends_cleanly_on_sigterm() {
    let mut env = Env::new("standby").await;
    env.stop_operator();
    let leader = spawn_operator(&env, "leader", true);
    eventually(WAIT, "the first replica to lead", || async {
        holder(&env).await.as_deref() == Some("leader")
    })
    .await;
    eventually(WAIT, "the leader's caches to sync", || async {
        is_ready_to_serve(&leader)
    })
    .await;
    let mut standby = spawn_operator(&env, "standby", true);
    eventually(WAIT, "the standby to be ready to take over", || async {
        is_ready_to_serve(&standby)
    })
    .await;
    let status = Command::new("kill")
        .args(["-TERM", &standby.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    let exit = loop {
        if let Some(exit) = standby.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "the standby ignored SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(exit.success(), "SIGTERM ends a standby cleanly: {exit:?}");
    assert_eq!(holder(&env).await.as_deref(), Some("leader"));
}

#[tokio::test]
async fn metrics_show_reconciles_and_aws_calls() {
    let mut env = Env::new("metrics").await;
    env.stop_operator();
    let operator = spawn_operator(&env, "solo", false);
    let ecs_name = unique("metered");
    env.apply::<EcsCluster>(&cluster_yaml("metered", &ecs_name))
        .await;
    env.wait_for::<EcsCluster>("metered", WAIT, is_ready).await;
    let url = format!("http://127.0.0.1:{}/metrics", operator.metrics_port);
    let output = Command::new("curl")
        .args(["-sf", &url])
        .output()
        .expect("run curl");
    assert!(output.status.success(), "curl {url} failed");
    let text = String::from_utf8(output.stdout).unwrap();
    let value = |prefix: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} missing in:\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(value(r#"ecsbridge_reconciles_total{kind="EcsCluster",result="ok"}"#) >= 1.0);
    assert_eq!(
        value(
            r#"ecsbridge_aws_calls_total{operation="CreateCluster",outcome="ok",account="(operator)",region="us-east-1"}"#
        ),
        1.0
    );
    assert!(
        value(
            r#"ecsbridge_aws_calls_total{operation="DescribeClusters",outcome="ok",account="(operator)",region="us-east-1"}"#
        ) >= 1.0
    );
    assert_eq!(
        value(r#"ecsbridge_objects{kind="EcsCluster",ready="True"}"#),
        1.0
    );
    assert!(
        text.contains("ecsbridge_reconcile_duration_seconds_bucket"),
        "{text}"
    );
}
