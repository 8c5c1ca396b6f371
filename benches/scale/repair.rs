//! A user's change during a mass drift repair: `repaired` services are changed in ECS behind the operator's back,
//! so the next drift tick repairs them all at once; as soon as the repair has begun, `users` other services get a
//! new desired count through Kubernetes. Measures how long each user change takes to reach ECS, and how long the
//! whole repair takes.

use std::time::{Duration, Instant};

use ecs_bridge::api::EcsService;
use futures::{StreamExt, stream};
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use serde_json::json;

use super::counters::EcsCalls;
use super::objects::CLUSTERS;

/// What one repair phase measured.
pub struct Repair {
    pub repaired: usize,
    /// Latency of each user change, from the patch to ECS showing the new desired count.
    pub users: Vec<Duration>,
    /// From the first repair call to the last.
    pub repair_took: Duration,
}

async fn desired_count(ecs: &aws_sdk_ecs::Client, run: &str, i: usize) -> i32 {
    let out = ecs
        .describe_services()
        .cluster(format!("{run}-c{}", i % CLUSTERS))
        .services(format!("svc{i}"))
        .send()
        .await
        .expect("describe a user's service");
    out.services()[0].desired_count()
}

/// Runs the phase on services svc0..svc{repaired} (repaired) and the last `users` of `n` (users' changes).
pub async fn measure(
    client: &Client,
    ecs: &aws_sdk_ecs::Client,
    double_url: &str,
    run: &str,
    n: usize,
    repaired: usize,
    users: usize,
) -> Repair {
    stream::iter(0..repaired)
        .map(|i| async move {
            // Our changes share the service-modify bucket with the operator: wait out its throttling.
            while let Err(e) = ecs
                .update_service()
                .cluster(format!("{run}-c{}", i % CLUSTERS))
                .service(format!("svc{i}"))
                .desired_count(4)
                .send()
                .await
            {
                assert!(
                    format!("{e:?}").contains("ThrottlingException"),
                    "out-of-band change: {e:?}"
                );
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    // The repair begins at the next drift tick: wait for the operator's first UpdateService beyond ours.
    let before = EcsCalls::read(double_url)
        .calls
        .get("UpdateService")
        .copied()
        .unwrap_or(0);
    let started = loop {
        let now = EcsCalls::read(double_url)
            .calls
            .get("UpdateService")
            .copied()
            .unwrap_or(0);
        if now > before {
            break Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let api: Api<EcsService> = Api::namespaced(client.clone(), run);
    let mut pending: Vec<(usize, Instant)> = Vec::new();
    for k in 0..users {
        let i = n - 1 - k;
        api.patch(
            &format!("svc{i}"),
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"desiredCount": 2}})),
        )
        .await
        .expect("a user's change");
        pending.push((i, Instant::now()));
    }
    let mut latencies = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (i, at) in pending {
            if desired_count(ecs, run, i).await == 2 {
                latencies.push(at.elapsed());
            } else {
                still.push((i, at));
            }
        }
        pending = still;
        assert!(Instant::now() < deadline, "user changes never reached ECS");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The repair is over when every changed service is back at its spec's count of 1.
    let mut last = 0;
    loop {
        let counts = stream::iter(last..repaired)
            .map(|i| async move { (i, desired_count(ecs, run, i).await) })
            .buffered(8)
            .collect::<Vec<_>>()
            .await;
        match counts.iter().find(|(_, count)| *count != 1) {
            Some((i, _)) => last = *i,
            None => break,
        }
        assert!(Instant::now() < deadline, "the repair never ended");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Repair {
        repaired,
        users: latencies,
        repair_took: started.elapsed(),
    }
}
