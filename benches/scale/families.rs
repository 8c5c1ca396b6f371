//! What a TaskDefinition's drift check costs, and whether other families in the account change it: `families`
//! managed task definitions are measured over a steady window, then again after `others` revisions of unmanaged
//! families were registered in the same account and Region.

use std::time::Duration;

use aws_sdk_ecs::types::ContainerDefinition;
use futures::{StreamExt, stream};
use kube::Client;

use super::counters::EcsCalls;
use super::processes::{free_port_pair, start_operator};

/// Task definition read calls (ListTaskDefinitions, DescribeTaskDefinition) per family per drift pass.
pub struct FamilyCost {
    pub families: usize,
    pub others: usize,
    pub alone: f64,
    pub among_others: f64,
}

const TD_READS: [&str; 3] = [
    "ListTaskDefinitions",
    "DescribeTaskDefinition",
    "ListTaskDefinitionFamilies",
];

fn reads(calls: &EcsCalls) -> u64 {
    TD_READS
        .iter()
        .map(|op| calls.calls.get(*op).copied().unwrap_or(0))
        .sum()
}

/// Reads per family per drift pass over whole drift periods at least `at_least` long.
async fn per_pass(double_url: &str, families: usize, at_least: Duration) -> f64 {
    let (window, passes) = super::drift_window(at_least).await;
    let before = EcsCalls::read(double_url);
    tokio::time::sleep(window).await;
    let made = reads(&EcsCalls::read(double_url)) - reads(&before);
    made as f64 / families as f64 / f64::from(passes)
}

/// Runs the phase on a double of its own without throttling, so that registering the other families is quick.
pub async fn measure(
    client: &Client,
    rate_limits: &str,
    families: usize,
    others: usize,
    window: Duration,
) -> FamilyCost {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let double_url = double.url.as_str();
    let ecs = &super::ecs_client(double_url).await;
    let run = format!("families-{}", std::process::id());
    super::new_namespace(client, &run).await;
    super::objects::create_task_definitions(client, &run, &run, families).await;
    let _operator = start_operator(&run, double_url, rate_limits, free_port_pair());
    super::objects::wait_all_ready(client, &run, families, Duration::from_secs(300)).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    let alone = per_pass(double_url, families, window).await;
    let run = run.as_str();
    stream::iter(0..others)
        .map(|i| async move {
            ecs.register_task_definition()
                .family(format!("{run}-other{}", i % 50))
                .container_definitions(
                    ContainerDefinition::builder()
                        .name("app")
                        .image(format!("registry.example/other:{i}"))
                        .memory(128)
                        .build(),
                )
                .send()
                .await
                .expect("register another family's revision");
        })
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await;
    let among_others = per_pass(double_url, families, window).await;
    FamilyCost {
        families,
        others,
        alone,
        among_others,
    }
}
