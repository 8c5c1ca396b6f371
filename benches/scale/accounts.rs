//! The accounts phase: A accounts × N services, each account's namespace bound to an `EcsAccount` of its own,
//! against the double, which keeps objects and AWS's token buckets per account (it tells the account by the
//! access key STS handed out), sped up like the other phases. Every account has its own door, buckets and
//! reconcile lanes in the operator, so all its services are Ready in about one account's token-bucket floor,
//! not A times it. Prints its figures and writes target/bench/accounts.{json,md}.

use std::time::{Duration, Instant};

use ecs_bridge::api::EcsAccount;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use serde_json::{Value, json};

use super::processes::{free_port_pair, http, start_double, start_operator};
use super::{BUDGET, floor, new_namespace, objects, rate_limits};

/// The claim: time to all Ready at most this many times the slowest account's own floor.
const CLAIM: f64 = 1.1;

/// One account's figures.
pub struct AccountFigures {
    pub account_id: String,
    pub ready_seconds: f64,
    pub calls: u64,
    pub throttled: u64,
    /// The operations called most, with their calls.
    pub most_called: Vec<(String, u64)>,
}

pub struct AccountsRun {
    pub accounts: Vec<AccountFigures>,
    pub services_each: usize,
    /// The token-bucket floor of one account's N services (all accounts have the same load).
    pub floor: Duration,
    /// From the operator's start until every object of every account is Ready.
    pub all_ready: Duration,
}

impl AccountsRun {
    pub fn ratio(&self) -> f64 {
        self.all_ready.as_secs_f64() / self.floor.as_secs_f64().max(0.001)
    }

    pub fn holds(&self) -> bool {
        self.ratio() <= CLAIM
    }
}

/// The account ID of the `a`th account.
fn account_id(a: usize) -> String {
    format!("{:012}", 100_000_000_001 + a as u64 * 111_111_111_111)
}

async fn bind_account(client: &Client, name: &str, account_id: &str, namespace: &str) {
    let account = json!({
        "apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsAccount", "metadata": {"name": name},
        "spec": {"roleArn": format!("arn:aws:iam::{account_id}:role/ecs-bridge"), "regions": ["us-east-1"],
                 "namespaceSelector": {"matchNames": [namespace]}},
    });
    Api::<EcsAccount>::all(client.clone())
        .patch(
            name,
            &PatchParams::apply("bench").force(),
            &Patch::Apply(&account),
        )
        .await
        .expect("create EcsAccount");
}

/// Operations named in an account's figures.
const MOST_CALLED: usize = 5;

/// Calls and ThrottlingExceptions the double counted in one account, and its most called operations.
fn account_calls(double_url: &str, account_id: &str) -> (u64, u64, Vec<(String, u64)>) {
    let stats: Value = serde_json::from_str(&http(
        "GET",
        &format!("{double_url}/_double/accounts/{account_id}/stats"),
        None,
    ))
    .unwrap_or_default();
    let sum = |key: &str| -> u64 {
        stats[key]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0)
    };
    let mut most_called: Vec<(String, u64)> = stats["calls"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(op, n)| Some((op.clone(), n.as_u64()?)))
                .collect()
        })
        .unwrap_or_default();
    most_called.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    most_called.truncate(MOST_CALLED);
    (sum("calls"), sum("throttled"), most_called)
}

pub async fn measure(client: &Client, accounts: usize, n: usize, speedup: f64) -> AccountsRun {
    let double = start_double(speedup);
    let run = format!("acct-{n}-{}", std::process::id());
    let namespaces: Vec<String> = (0..accounts).map(|a| format!("{run}-a{a}")).collect();
    for (a, namespace) in namespaces.iter().enumerate() {
        new_namespace(client, namespace).await;
        bind_account(client, namespace, &account_id(a), namespace).await;
        objects::create_all(client, namespace, namespace, n).await;
    }
    let floor = floor(n, BUDGET, speedup);
    let operator = start_operator(
        &namespaces.join(","),
        &double.url,
        &rate_limits(speedup),
        free_port_pair(),
    );
    let started = Instant::now();
    let timeout = floor * 10 + Duration::from_secs(300);
    let waits = namespaces.iter().map(|namespace| async move {
        objects::wait_all_ready(client, namespace, objects::CLUSTERS + 2 * n, timeout).await;
        started.elapsed()
    });
    let ready = futures::future::join_all(waits).await;
    let all_ready = started.elapsed();
    drop(operator);
    let figures = ready
        .iter()
        .enumerate()
        .map(|(a, took)| {
            let id = account_id(a);
            let (calls, throttled, most_called) = account_calls(&double.url, &id);
            AccountFigures {
                account_id: id,
                ready_seconds: took.as_secs_f64(),
                calls,
                throttled,
                most_called,
            }
        })
        .collect();
    AccountsRun {
        accounts: figures,
        services_each: n,
        floor,
        all_ready,
    }
}

/// Prints the figures and writes them to target/bench/accounts.{json,md}.
pub fn write(run: &AccountsRun, speedup: f64) {
    let mut md = format!(
        "# {} accounts × {} services\n\nAgainst the ECS test double (objects and AWS's token buckets per account, \
         sped up {speedup}x; the operator's limits scaled alike, budget {BUDGET}). One account's token-bucket floor: \
         {:.1} s. All {} accounts Ready in {:.1} s: {:.2}× the floor (claim ≤ {CLAIM}×: {}).\n\n\
         | account | Ready after (s) | ECS calls | throttled | most called |\n|---|---|---|---|---|\n",
        run.accounts.len(),
        run.services_each,
        run.floor.as_secs_f64(),
        run.accounts.len(),
        run.all_ready.as_secs_f64(),
        run.ratio(),
        if run.holds() {
            "holds"
        } else {
            "does not hold"
        },
    );
    for a in &run.accounts {
        let most_called: Vec<String> = a
            .most_called
            .iter()
            .map(|(op, n)| format!("{op} {n}"))
            .collect();
        md.push_str(&format!(
            "| {} | {:.1} | {} | {} | {} |\n",
            a.account_id,
            a.ready_seconds,
            a.calls,
            a.throttled,
            most_called.join(", ")
        ));
    }
    let json = json!({
        "accounts": run.accounts.iter().map(|a| json!({
            "accountId": a.account_id, "readySeconds": (a.ready_seconds * 10.0).round() / 10.0,
            "calls": a.calls, "throttled": a.throttled, "mostCalled": a.most_called,
        })).collect::<Vec<_>>(),
        "servicesEach": run.services_each,
        "floorSeconds": (run.floor.as_secs_f64() * 10.0).round() / 10.0,
        "allReadySeconds": (run.all_ready.as_secs_f64() * 10.0).round() / 10.0,
        "ratio": (run.ratio() * 100.0).round() / 100.0,
        "claim": CLAIM,
        "holds": run.holds(),
    });
    println!("{md}");
    let dir = std::path::Path::new("target/bench");
    std::fs::create_dir_all(dir).expect("create target/bench");
    std::fs::write(dir.join("accounts.md"), &md).expect("write accounts.md");
    std::fs::write(
        dir.join("accounts.json"),
        serde_json::to_string_pretty(&json).unwrap(),
    )
    .expect("write accounts.json");
}
