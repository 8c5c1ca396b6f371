//! The drift checks of unchanged `TaskDefinition`s share one listing of ACTIVE revisions per pass: the whole
//! account in pages of 100 when that is cheaper than one listing per family (many families, few revisions each),
//! each family's own when other families' revisions would make the account dearer; revisions the operator
//! registers or deregisters are known without asking again, and changes made outside it are seen in the next
//! pass. Measured with the call counters of the ECS test double.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use ecs_bridge::api::Tags;
use ecs_bridge::ecs::{Ecs, EcsSettings};
use ecs_bridge::metrics::Metrics;
use ecs_bridge::reconcile::next_drift_check;
use futures::future::join_all;
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

async fn operator_ecs(double: &ecs_double::Running) -> Ecs {
    let settings = EcsSettings {
        endpoint_url: Some(double.url.clone()),
        region: Some("us-east-1".into()),
        ..Default::default()
    };
    Ecs::from_env(&settings, Arc::new(Metrics::default())).await
}

/// A client of the account that is not the operator (changes made outside Kubernetes), past its rate limits.
async fn outside_client(double: &ecs_double::Running) -> aws_sdk_ecs::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&double.url)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    aws_sdk_ecs::Client::new(&config)
}

async fn register_outside(ecs: &aws_sdk_ecs::Client, family: &str) -> String {
    let container = aws_sdk_ecs::types::ContainerDefinition::builder()
        .name("app")
        .image("busybox")
        .memory(64)
        .build();
    let out = ecs
        .register_task_definition()
        .family(family)
        .container_definitions(container)
        .send()
        .await
        .unwrap();
    out.task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_owned()
}

/// The drift interval of these tests: a pass every 2.7 s.
const INTERVAL: Duration = Duration::from_secs(3);

/// Waits for the next drift tick, when a pass begins.
async fn next_tick() {
    tokio::time::sleep(next_drift_check(INTERVAL)).await;
}

/// One drift pass: every object asks about its revision at about the same time.
async fn pass(ecs: &Ecs, arns: &[String]) -> Vec<bool> {
    join_all(
        arns.iter()
            .map(|arn| async move { ecs.is_active(arn, INTERVAL).await.unwrap() }),
    )
    .await
}

#[tokio::test]
async fn a_drift_pass_of_many_families_lists_the_account_in_pages_of_100() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let ecs = operator_ecs(&double).await;
    let outside = outside_client(&double).await;
    let run = unique("many");
    let mut arns = Vec::new();
    for i in 0..150 {
        arns.push(register_outside(&outside, &format!("{run}-{i}")).await);
    }

    next_tick().await;
    let before = calls(&double, "ListTaskDefinitions");
    assert!(pass(&ecs, &arns).await.iter().all(|a| *a));
    assert_eq!(
        calls(&double, "ListTaskDefinitions") - before,
        2,
        "150 ACTIVE revisions: two pages, not one listing per family"
    );

    // Outside Kubernetes: one revision deregistered, a new revision of another family registered.
    outside
        .deregister_task_definition()
        .task_definition(&arns[7])
        .send()
        .await
        .unwrap();
    let newer = register_outside(&outside, &format!("{run}-9")).await;
    next_tick().await;
    let before = calls(&double, "ListTaskDefinitions");
    let mut next = arns.clone();
    next.push(newer);
    let answers = pass(&ecs, &next).await;
    assert!(
        !answers[7],
        "the deregistered revision is seen in the next pass"
    );
    assert!(answers[150], "so is the new revision");
    assert_eq!(answers.iter().filter(|a| !**a).count(), 1);
    assert_eq!(calls(&double, "ListTaskDefinitions") - before, 2);
}

/// A pass of thousands of families outlasts half the drift interval (the lanes admit its checks a few at a
/// time): its later checks are answered by the listing it began with, not by a second one.
#[tokio::test]
async fn a_pass_that_outlasts_half_the_drift_interval_lists_once() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let ecs = operator_ecs(&double).await;
    let outside = outside_client(&double).await;
    let run = unique("long");
    let mut arns = Vec::new();
    for i in 0..120 {
        arns.push(register_outside(&outside, &format!("{run}-{i}")).await);
    }

    next_tick().await;
    let before = calls(&double, "ListTaskDefinitions");
    assert!(pass(&ecs, &arns[..60]).await.iter().all(|a| *a));
    tokio::time::sleep(INTERVAL.mul_f64(0.6)).await;
    assert!(pass(&ecs, &arns[60..]).await.iter().all(|a| *a));
    assert_eq!(
        calls(&double, "ListTaskDefinitions") - before,
        2,
        "120 ACTIVE revisions: two pages for the whole pass"
    );
}

#[tokio::test]
async fn a_family_among_many_other_revisions_is_listed_alone_and_learns_from_registrations() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let ecs = operator_ecs(&double).await;
    let outside = outside_client(&double).await;
    let content =
        json!({"containerDefinitions": [{"name": "app", "image": "busybox", "memory": 64}]});
    let no_tags = Tags::new();
    let (family, noise) = (unique("mine"), unique("others"));
    // Other task definitions of the region, more than one page of them.
    for _ in 0..250 {
        register_outside(&outside, &noise).await;
    }
    let first = ecs
        .register_task_definition(&family, &content, &no_tags)
        .await
        .unwrap();

    next_tick().await;
    let before = calls(&double, "ListTaskDefinitions");
    assert!(ecs.is_active(&first.arn, INTERVAL).await.unwrap());
    assert!(
        calls(&double, "ListTaskDefinitions") - before <= 2,
        "at most one page of the account before the family's own listing"
    );
    next_tick().await;
    let before = calls(&double, "ListTaskDefinitions");
    assert!(ecs.is_active(&first.arn, INTERVAL).await.unwrap());
    assert_eq!(
        calls(&double, "ListTaskDefinitions") - before,
        1,
        "then one page of the family, not the three of the account"
    );

    let second = ecs
        .register_task_definition(&family, &content, &no_tags)
        .await
        .unwrap();
    ecs.deregister_task_definition(&first.arn).await.unwrap();
    let before = calls(&double, "ListTaskDefinitions");
    assert!(
        ecs.is_active(&second.arn, INTERVAL).await.unwrap(),
        "a new revision is known at once"
    );
    assert!(
        !ecs.is_active(&first.arn, INTERVAL).await.unwrap(),
        "a deregistered one is gone at once"
    );
    assert_eq!(
        calls(&double, "ListTaskDefinitions"),
        before,
        "answered from the listing"
    );
}
