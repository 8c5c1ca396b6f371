//! Users first at the AWS limiter (issue 24 item 5): `repaired` task definitions' revisions are deregistered
//! behind the operator's back, so the next drift tick registers them all again through the registration bucket;
//! as soon as that repair has begun, `users` new TaskDefinitions are applied. Measures how long each user's
//! TaskDefinition waits for its revision (from the create to status showing it), and how long the repair takes.

use std::time::{Duration, Instant};

use ecs_bridge::api::TaskDefinition;
use kube::{Api, Client};
use serde_json::json;

use super::DRIFT_PERIOD;
use super::counters::EcsCalls;
use super::objects::create;

/// What the phase measured.
pub struct UrgentRepair {
    pub repaired: usize,
    /// Each user's wait, from the create to a revision in status, sorted.
    pub waits: Vec<Duration>,
    /// From the first repair registration to the last registration.
    pub repair_took: Duration,
}

impl UrgentRepair {
    fn quantile(&self, q: f64) -> f64 {
        let i = ((self.waits.len() as f64 - 1.0) * q).round() as usize;
        self.waits.get(i).map_or(0.0, Duration::as_secs_f64)
    }

    pub fn line(&self) -> String {
        format!(
            "\n{} new TaskDefinitions applied during a repair of {} families (repaired in {:.1} s) waited for their \
             revision p50 {:.2} s, p99 {:.2} s, max {:.2} s.\n",
            self.waits.len(),
            self.repaired,
            self.repair_took.as_secs_f64(),
            self.quantile(0.5),
            self.quantile(0.99),
            self.quantile(1.0),
        )
    }

    pub fn json(&self) -> serde_json::Value {
        json!({"repaired": self.repaired, "repair_seconds": self.repair_took.as_secs_f64(),
               "user_waits_seconds": self.waits.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
               "p50": self.quantile(0.5), "p99": self.quantile(0.99), "max": self.quantile(1.0)})
    }
}

fn registrations(url: &str) -> u64 {
    EcsCalls::read(url).of("RegisterTaskDefinition")
}

/// Waits until just after a drift tick, so that the deregistrations end well before the next one.
async fn just_after_a_tick() {
    let period = DRIFT_PERIOD.as_millis() as u64;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    tokio::time::sleep(Duration::from_millis(
        (period + 2000 - now % period) % period,
    ))
    .await;
}

/// Runs the phase on td0..td{repaired} of `run` (families `{run}-td{i}`, revision 1).
pub async fn measure(
    client: &Client,
    ecs: &aws_sdk_ecs::Client,
    url: &str,
    run: &str,
    repaired: usize,
    users: usize,
) -> UrgentRepair {
    eprintln!(
        "benchmark: {repaired} task definitions repaired while {users} users apply theirs ..."
    );
    just_after_a_tick().await;
    for i in 0..repaired {
        // Our deregistrations share the registration bucket with the operator: wait out its throttling.
        while let Err(e) = ecs
            .deregister_task_definition()
            .task_definition(format!("{run}-td{i}:1"))
            .send()
            .await
        {
            assert!(
                format!("{e:?}").contains("ThrottlingException"),
                "out-of-band deregistration: {e:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let before = registrations(url);
    let started = loop {
        if registrations(url) > before {
            break Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let api: Api<TaskDefinition> = Api::namespaced(client.clone(), run);
    let mut pending = Vec::new();
    for k in 0..users {
        let td = json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": format!("user{k}")},
            "spec": {"family": format!("{run}-user{k}"), "containerDefinitions": [
                {"name": "app", "image": format!("registry.example/user:{k}"), "memory": 128}]}});
        create::<TaskDefinition>(client, run, vec![td]).await;
        pending.push((format!("user{k}"), Instant::now()));
    }
    let mut waits = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (name, at) in pending {
            let td = api.get(&name).await.expect("a user's TaskDefinition");
            match td.status.and_then(|s| s.revision) {
                Some(_) => waits.push(at.elapsed()),
                None => still.push((name, at)),
            }
        }
        pending = still;
        assert!(
            Instant::now() < deadline,
            "users' task definitions never registered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    waits.sort();
    let all = before + (repaired + users) as u64;
    while registrations(url) < all {
        assert!(Instant::now() < deadline, "the repair never ended");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    UrgentRepair {
        repaired,
        waits,
        repair_took: started.elapsed(),
    }
}
