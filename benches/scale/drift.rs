//! Drift detection latency: services changed behind the operator's back, and how long until it repaired each one.

use std::time::{Duration, Instant, SystemTime};

use k8s_openapi::api::events::v1::Event;
use k8s_openapi::jiff::Timestamp;
use kube::api::ListParams;
use kube::{Api, Client};

/// Changes the desired count of `count` services spread over `spread`, straight in ECS, and returns the
/// repair latency of each (time from the change to the operator's DriftRepaired event).
pub async fn measure(
    client: &Client,
    ecs: &aws_sdk_ecs::Client,
    namespace: &str,
    run: &str,
    count: usize,
    spread: Duration,
) -> Vec<Duration> {
    let mut changes = Vec::new();
    let started = Instant::now();
    for i in 0..count {
        let due = spread.mul_f64(i as f64 / count as f64);
        tokio::time::sleep(due.saturating_sub(started.elapsed())).await;
        let cluster = format!("{run}-c{}", i % super::objects::CLUSTERS);
        let service = format!("svc{i}");
        ecs.update_service()
            .cluster(&cluster)
            .service(&service)
            .desired_count(3)
            .send()
            .await
            .expect("out-of-band change");
        changes.push((
            service,
            Timestamp::try_from(SystemTime::now()).expect("now"),
        ));
    }
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let list = events
            .list(&ListParams::default())
            .await
            .expect("list events");
        let latencies: Vec<Duration> = changes
            .iter()
            .filter_map(|(service, changed)| {
                list.items
                    .iter()
                    .filter(|e| e.reason.as_deref() == Some("DriftRepaired"))
                    .filter(|e| {
                        e.regarding.as_ref().and_then(|r| r.name.as_deref())
                            == Some(service.as_str())
                    })
                    .filter_map(|e| e.event_time.as_ref().map(|t| t.0))
                    .filter(|t| t >= changed)
                    .min()
                    .map(|t| {
                        Duration::from_micros(
                            u64::try_from(t.duration_since(*changed).as_micros()).unwrap_or(0),
                        )
                    })
            })
            .collect();
        if latencies.len() == changes.len() {
            return latencies;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {} drifts repaired",
            latencies.len(),
            changes.len()
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The `p`-th percentile (0..=100) of durations.
pub fn percentile(values: &[Duration], p: f64) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    let index = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}
