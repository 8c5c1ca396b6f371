//! The drift check of an unchanged `TaskDefinition` asks ECS about its own family only (one ListTaskDefinitions
//! page, however many task definitions the region holds), and learns of revisions the operator registers or
//! deregisters without asking again; measured with the call counters of the ECS test double.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use ecs_bridge::api::Tags;
use ecs_bridge::ecs::{Ecs, EcsSettings};
use ecs_bridge::metrics::Metrics;
use serde_json::{Value, json};

use crate::harness::unique;

/// How many `operation` calls the double answered so far.
fn calls(double: &ecs_double::Running, operation: &str) -> u64 {
    let out = Command::new("curl")
        .args(["-sf", &format!("{}/_double/stats", double.url)])
        .output()
        .unwrap();
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    stats["calls"][operation].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn drift_checks_list_only_their_family_and_learn_from_registrations() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let settings = EcsSettings {
        endpoint_url: Some(double.url.clone()),
        region: Some("us-east-1".into()),
        ..Default::default()
    };
    let ecs = Ecs::from_env(&settings, Arc::new(Metrics::default())).await;
    let content =
        json!({"containerDefinitions": [{"name": "app", "image": "busybox", "memory": 64}]});
    let no_tags = Tags::new();
    let (family, noise) = (unique("mine"), unique("others"));
    // Other task definitions of the region, more than one page of them, registered past the operator's rate limits.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&double.url)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    let others = aws_sdk_ecs::Client::new(&config);
    let container = aws_sdk_ecs::types::ContainerDefinition::builder()
        .name("app")
        .image("busybox")
        .memory(64)
        .build();
    for _ in 0..120 {
        others
            .register_task_definition()
            .family(&noise)
            .container_definitions(container.clone())
            .send()
            .await
            .unwrap();
    }
    let first = ecs
        .register_task_definition(&family, &content, &no_tags)
        .await
        .unwrap();
    let max_age = Duration::from_secs(60);

    let before = calls(&double, "ListTaskDefinitions");
    assert!(ecs.is_active(&first.arn, max_age).await.unwrap());
    assert_eq!(
        calls(&double, "ListTaskDefinitions") - before,
        1,
        "one page of the family, not every task definition of the region"
    );

    let second = ecs
        .register_task_definition(&family, &content, &no_tags)
        .await
        .unwrap();
    ecs.deregister_task_definition(&first.arn).await.unwrap();
    let before = calls(&double, "ListTaskDefinitions");
    assert!(
        ecs.is_active(&second.arn, max_age).await.unwrap(),
        "a new revision is known at once"
    );
    assert!(
        !ecs.is_active(&first.arn, max_age).await.unwrap(),
        "a deregistered one is gone at once"
    );
    assert_eq!(
        calls(&double, "ListTaskDefinitions"),
        before,
        "answered from the cache"
    );
}
