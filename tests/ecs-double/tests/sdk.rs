//! Drives the ECS test double with the real aws-sdk-ecs client: rollouts over time, throttling, pagination,
//! injected faults, idempotency and ECS's refusals, plus the admin API over plain HTTP. Tasks are in
//! `sdk_tasks.rs`.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_ecs::Client;
use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ecs::operation::RequestId;
use aws_sdk_ecs::types::{
    ContainerDefinition, Deployment, DeploymentCircuitBreaker, DeploymentConfiguration, Service,
};
use serde_json::{Value, json};

use common::{Double, eventually};

async fn setup_cluster_and_family(ecs: &Client, revisions: usize) {
    ecs.create_cluster()
        .cluster_name("main")
        .send()
        .await
        .expect("create cluster");
    for i in 0..revisions {
        register(ecs, "web", &format!("nginx:{i}")).await;
    }
}

async fn register(ecs: &Client, family: &str, image: &str) -> String {
    let out = ecs
        .register_task_definition()
        .family(family)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image(image)
                .build(),
        )
        .send()
        .await
        .expect("register task definition");
    out.task_definition()
        .and_then(|td| td.task_definition_arn())
        .expect("an ARN")
        .to_owned()
}

async fn describe(ecs: &Client, name: &str) -> Service {
    let out = ecs
        .describe_services()
        .cluster("main")
        .services(name)
        .send()
        .await
        .expect("describe services");
    out.services().first().cloned().expect("the service")
}

fn primary(service: &Service) -> &Deployment {
    service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .expect("a PRIMARY deployment")
}

fn rollout_state(d: &Deployment) -> &str {
    d.rollout_state().map_or("", |s| s.as_str())
}

fn breaker(rollback: bool) -> DeploymentConfiguration {
    DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(true)
                .rollback(rollback)
                .build(),
        )
        .build()
}

#[tokio::test]
async fn a_rollout_completes_and_a_new_revision_rolls_out() {
    let double = Double::start(&["--speedup", "20", "--throttle", "off"]);
    let ecs = double.client(true);
    setup_cluster_and_family(&ecs, 2).await;
    let created = ecs
        .create_service()
        .cluster("main")
        .service_name("web")
        .task_definition("web:1")
        .desired_count(3)
        .send()
        .await
        .expect("create service");
    let service = created.service().expect("a service");
    let first = primary(service);
    assert_eq!(rollout_state(first), "IN_PROGRESS");
    assert_eq!((first.running_count(), first.pending_count()), (0, 3));
    let first_id = first.id().expect("a deployment id").to_owned();

    let done = eventually(Duration::from_secs(10), "the first rollout", || async {
        let s = describe(&ecs, "web").await;
        (rollout_state(primary(&s)) == "COMPLETED").then_some(s)
    })
    .await;
    assert_eq!((done.running_count(), done.pending_count()), (3, 0));
    assert_eq!(
        primary(&done).rollout_state_reason(),
        Some(format!("ECS deployment {first_id} completed.").as_str())
    );
    let newest = done.events().first().and_then(|e| e.message());
    assert_eq!(newest, Some("(service web) has reached a steady state."));

    let updated = ecs
        .update_service()
        .cluster("main")
        .service("web")
        .task_definition("web:2")
        .send()
        .await
        .expect("update service");
    let service = updated.service().expect("a service");
    assert_eq!(service.deployments().len(), 2);
    let second = primary(service);
    assert!(
        second
            .task_definition()
            .is_some_and(|td| td.ends_with("task-definition/web:2"))
    );
    assert_eq!(rollout_state(second), "IN_PROGRESS");
    let second_id = second.id().expect("a deployment id").to_owned();
    assert_ne!(second_id, first_id);
    let old = &service.deployments()[1];
    assert_eq!(
        (old.status(), old.id()),
        (Some("ACTIVE"), Some(first_id.as_str()))
    );

    let done = eventually(Duration::from_secs(10), "the second rollout", || async {
        let s = describe(&ecs, "web").await;
        (s.deployments().len() == 1 && rollout_state(primary(&s)) == "COMPLETED").then_some(s)
    })
    .await;
    assert_eq!(primary(&done).id(), Some(second_id.as_str()));
    assert!(
        done.task_definition()
            .is_some_and(|td| td.ends_with("web:2"))
    );
    assert_eq!(done.running_count(), 3);
    let completed = format!("(service web) (deployment {second_id}) deployment completed.");
    assert!(
        done.events()
            .iter()
            .any(|e| e.message() == Some(completed.as_str()))
    );

    // A new desired count alone scales the current deployment.
    ecs.update_service()
        .cluster("main")
        .service("web")
        .desired_count(5)
        .send()
        .await
        .expect("scale");
    let scaled = eventually(Duration::from_secs(10), "the scale", || async {
        let s = describe(&ecs, "web").await;
        (s.running_count() == 5).then_some(s)
    })
    .await;
    assert_eq!(scaled.deployments().len(), 1);
    assert_eq!(primary(&scaled).id(), Some(second_id.as_str()));
}

#[tokio::test]
async fn a_burst_beyond_the_bucket_is_throttled() {
    let double = Double::start(&["--throttle", "on", "--speedup", "1"]);
    let ecs = double.client(false);
    let calls: Vec<_> = (0..60)
        .map(|_| {
            let ecs = ecs.clone();
            tokio::spawn(async move { ecs.describe_clusters().clusters("main").send().await })
        })
        .collect();
    let mut throttled = 0;
    for call in calls {
        match call.await.expect("the call task") {
            Ok(_) => {}
            Err(err) => {
                assert_eq!(err.code(), Some("ThrottlingException"), "{err:?}");
                assert_eq!(err.message(), Some("Rate exceeded"));
                assert!(
                    err.request_id().is_some(),
                    "a request id on a throttled answer"
                );
                let status = err.raw_response().map(|r| r.status().as_u16());
                assert_eq!(status, Some(400));
                throttled += 1;
            }
        }
    }
    // 50 at once, then 20 per second: a quick burst of 60 loses about 10.
    assert!((1..=10).contains(&throttled), "{throttled} throttled");
    let stats = double.stats();
    assert_eq!(stats["throttled"]["DescribeClusters"], throttled);
    assert_eq!(stats["calls"]["DescribeClusters"], 60);
    // Another category has its own bucket.
    ecs.list_task_definitions()
        .send()
        .await
        .expect("a separate bucket");
}

#[tokio::test]
async fn list_task_definitions_pages_through_250_revisions() {
    let double = Double::start(&["--throttle", "off"]);
    let ecs = double.client(true);
    for i in 0..250 {
        register(&ecs, "big", &format!("app:{i}")).await;
    }
    register(&ecs, "big-other", "app").await;
    let mut arns = Vec::new();
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = ecs
            .list_task_definitions()
            .family_prefix("big")
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("list task definitions");
        pages.push(out.task_definition_arns().len());
        arns.extend(out.task_definition_arns().iter().cloned());
        match out.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, [100, 100, 50]);
    let expected: Vec<String> = (1..=250)
        .map(|n| format!("arn:aws:ecs:us-east-1:123456789012:task-definition/big:{n}"))
        .collect();
    assert_eq!(arns, expected);

    let mut stream = ecs.list_task_definitions().into_paginator().items().send();
    let mut all = 0;
    while let Some(item) = stream.next().await {
        item.expect("a page");
        all += 1;
    }
    assert_eq!(all, 251);

    let newest = ecs
        .list_task_definitions()
        .family_prefix("big")
        .sort(aws_sdk_ecs::types::SortOrder::Desc)
        .max_results(1)
        .send()
        .await
        .expect("newest first");
    assert_eq!(newest.task_definition_arns(), [expected[249].clone()]);
    assert!(newest.next_token().is_some());
}

#[tokio::test]
async fn injected_server_errors_reach_the_sdk() {
    let double = Double::start(&[
        "--fault-rate",
        "1.0",
        "--timeout-seconds",
        "0",
        "--throttle",
        "off",
    ]);
    let ecs = double.client(false);
    let err = ecs
        .create_cluster()
        .cluster_name("before")
        .send()
        .await
        .expect_err("a fault");
    assert_eq!(err.code(), Some("ServerException"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));
    assert_eq!(double.stats()["faults"], 1);
    double.configure(json!({"faultRate": 0}));
    let listed = ecs.list_clusters().send().await.expect("list clusters");
    assert!(
        listed.cluster_arns().is_empty(),
        "a fault before the effect leaves nothing behind"
    );

    // With --fault-after-effect the call takes effect, then fails.
    double.configure(json!({"faultRate": 1, "faultAfterEffect": true}));
    let err = ecs
        .create_cluster()
        .cluster_name("after")
        .send()
        .await
        .expect_err("a fault");
    assert_eq!(err.code(), Some("ServerException"));
    double.configure(json!({"faultRate": 0}));
    let out = ecs
        .describe_clusters()
        .clusters("after")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        out.clusters().first().and_then(|c| c.status()),
        Some("ACTIVE")
    );

    // The SDK's retries get through a share of faults.
    double.configure(json!({"faultRate": 0.5, "faultAfterEffect": false}));
    let patient = double.client(true);
    let mut ok = 0;
    for _ in 0..10 {
        if patient.list_clusters().send().await.is_ok() {
            ok += 1;
        }
    }
    assert!(ok >= 5, "{ok} of 10 calls got through with retries");
}

#[tokio::test]
async fn a_hanging_call_times_out_in_the_sdk() {
    let double = Double::start(&[
        "--fault-rate",
        "1.0",
        "--timeout-seconds",
        "5",
        "--throttle",
        "off",
    ]);
    let ecs = double.client_with(false, Duration::from_millis(500));
    let (mut timeouts, mut errors) = (0, 0);
    for _ in 0..8 {
        let start = Instant::now();
        match ecs.list_clusters().send().await {
            Err(SdkError::TimeoutError(_)) => {
                assert!(start.elapsed() >= Duration::from_millis(450));
                timeouts += 1;
            }
            Err(err) => {
                assert_eq!(err.code(), Some("ServerException"), "{err:?}");
                errors += 1;
            }
            Ok(_) => panic!("every call must fail at fault rate 1"),
        }
    }
    assert!(
        timeouts > 0 && errors > 0,
        "{timeouts} time-outs, {errors} 500s"
    );
    assert_eq!(double.stats()["faults"], 8);
}

#[tokio::test]
async fn delete_cluster_is_refused_while_services_exist() {
    let double = Double::start(&["--speedup", "20", "--throttle", "off"]);
    let ecs = double.client(false);
    setup_cluster_and_family(&ecs, 1).await;
    ecs.create_service()
        .cluster("main")
        .service_name("web")
        .task_definition("web")
        .desired_count(1)
        .send()
        .await
        .expect("create service");
    let err = ecs
        .delete_cluster()
        .cluster("main")
        .send()
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Some("ClusterContainsServicesException"));
    let err = ecs
        .delete_service()
        .cluster("main")
        .service("web")
        .send()
        .await
        .expect_err("scaled above 0");
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let out = ecs
        .delete_service()
        .cluster("main")
        .service("web")
        .force(true)
        .send()
        .await
        .expect("forced delete");
    assert_eq!(out.service().and_then(|s| s.status()), Some("DRAINING"));
    let err = ecs
        .delete_cluster()
        .cluster("main")
        .send()
        .await
        .expect_err("still draining");
    assert_eq!(err.code(), Some("ClusterContainsServicesException"));
    eventually(Duration::from_secs(10), "the drain", || async {
        (describe(&ecs, "web").await.status() == Some("INACTIVE")).then_some(())
    })
    .await;
    let out = ecs
        .delete_cluster()
        .cluster("main")
        .send()
        .await
        .expect("delete cluster");
    assert_eq!(out.cluster().and_then(|c| c.status()), Some("INACTIVE"));
    let err = ecs
        .describe_services()
        .cluster("main")
        .services("web")
        .send()
        .await
        .expect_err("the cluster is gone");
    assert_eq!(err.code(), Some("ClusterNotFoundException"));
}

#[tokio::test]
async fn create_service_is_idempotent_with_its_client_token() {
    let double = Double::start(&["--throttle", "off"]);
    let ecs = double.client(false);
    setup_cluster_and_family(&ecs, 1).await;
    let create = |token: &'static str| {
        ecs.create_service()
            .cluster("main")
            .service_name("web")
            .task_definition("web:1")
            .desired_count(1)
            .client_token(token)
            .send()
    };
    let first = create("token-1").await.expect("create");
    let again = create("token-1").await.expect("the same token");
    let id = |s: &aws_sdk_ecs::operation::create_service::CreateServiceOutput| {
        s.service().map(|s| primary(s).id().map(str::to_owned))
    };
    assert_eq!(id(&first), id(&again));
    let err = create("token-2").await.expect_err("another token");
    assert_eq!(err.code(), Some("InvalidParameterException"));
    assert_eq!(
        err.message(),
        Some("Creation of service was not idempotent.")
    );
    let out = ecs
        .list_services()
        .cluster("main")
        .send()
        .await
        .expect("list services");
    assert_eq!(out.service_arns().len(), 1);
}

#[tokio::test]
async fn a_failed_rollout_rolls_back_with_the_circuit_breaker() {
    let double = Double::start(&["--speedup", "20", "--throttle", "off"]);
    let ecs = double.client(true);
    setup_cluster_and_family(&ecs, 2).await;
    ecs.create_service()
        .cluster("main")
        .service_name("web")
        .task_definition("web:1")
        .desired_count(2)
        .deployment_configuration(breaker(true))
        .send()
        .await
        .expect("create service");
    eventually(Duration::from_secs(10), "the first rollout", || async {
        (rollout_state(primary(&describe(&ecs, "web").await)) == "COMPLETED").then_some(())
    })
    .await;
    double.configure(json!({"rolloutFailureRate": 1}));
    ecs.update_service()
        .cluster("main")
        .service("web")
        .task_definition("web:2")
        .send()
        .await
        .expect("update");
    let rolling_back = eventually(Duration::from_secs(10), "the rollback", || async {
        let s = describe(&ecs, "web").await;
        s.deployments()
            .iter()
            .any(|d| rollout_state(d) == "FAILED")
            .then_some(s)
    })
    .await;
    let failed = rolling_back
        .deployments()
        .iter()
        .find(|d| rollout_state(d) == "FAILED")
        .expect("the failed deployment");
    assert!(
        failed
            .task_definition()
            .is_some_and(|td| td.ends_with("web:2"))
    );
    assert_eq!(
        failed.rollout_state_reason(),
        Some("ECS deployment circuit breaker: tasks failed to start.")
    );
    let rollback = primary(&rolling_back);
    assert!(
        rollback
            .task_definition()
            .is_some_and(|td| td.ends_with("web:1"))
    );
    assert!(
        rollback
            .rollout_state_reason()
            .is_some_and(|r| r.contains("rolling back"))
    );

    let settled = eventually(
        Duration::from_secs(10),
        "the end of the rollback",
        || async {
            let s = describe(&ecs, "web").await;
            (s.deployments().len() == 1 && rollout_state(primary(&s)) == "COMPLETED").then_some(s)
        },
    )
    .await;
    assert!(
        settled
            .task_definition()
            .is_some_and(|td| td.ends_with("web:1"))
    );
    assert_eq!(settled.running_count(), 2);
}

#[tokio::test]
async fn unknown_operations_and_the_admin_api() {
    let double = Double::start(&["--throttle", "off"]);
    let target = (
        "X-Amz-Target",
        "AmazonEC2ContainerServiceV20141113.FlyToTheMoon",
    );
    let json_type = ("Content-Type", "application/x-amz-json-1.1");
    let (status, head, body) = double.http("POST", "/", &[target, json_type], "{}");
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "UnknownOperationException");
    assert!(head.contains("x-amzn-requestid: "), "{head}");
    let list = (
        "X-Amz-Target",
        "AmazonEC2ContainerServiceV20141113.ListClusters",
    );
    let (status, _, body) = double.http("POST", "/", &[list, json_type], "{\"maxResults\": \"x\"}");
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("ClientException"))
    );

    let ecs = double.client(false);
    ecs.create_cluster()
        .cluster_name("main")
        .send()
        .await
        .expect("create");
    let stats = double.stats();
    assert_eq!(stats["calls"]["CreateCluster"], 1);
    assert_eq!(stats["calls"]["FlyToTheMoon"], 1);
    assert_eq!(stats["objects"]["clusters"], 1);
    double.admin("POST", "/_double/reset", Value::Null);
    let stats = double.stats();
    assert_eq!(stats["objects"]["clusters"], 0);
    assert_eq!(stats["calls"], json!({}));
    let (status, _, _) = double.http("POST", "/_double/config", &[], "{\"faultRate\": 3}");
    assert_eq!(status, 400);
    let config = double.admin("GET", "/_double/config", Value::Null);
    assert_eq!(config["faultRate"], 0.0);
}
#[tokio::test]
async fn service_deployments_page_oldest_first_and_the_list_may_lag_behind_describe_services() {
    let double = Double::start(&["--throttle", "off", "--rollout-seconds", "1"]);
    let ecs = double.client(true);
    setup_cluster_and_family(&ecs, 1).await;
    let blue_green = DeploymentConfiguration::builder()
        .strategy(aws_sdk_ecs::types::DeploymentStrategy::BlueGreen)
        .bake_time_in_minutes(0)
        .build();
    ecs.create_service()
        .cluster("main")
        .service_name("web")
        .task_definition("web")
        .desired_count(1)
        .deployment_configuration(blue_green)
        .send()
        .await
        .expect("create service");
    for _ in 0..24 {
        ecs.update_service()
            .cluster("main")
            .service("web")
            .force_new_deployment(true)
            .send()
            .await
            .expect("a forced deployment");
    }
    let current = describe(&ecs, "web")
        .await
        .current_service_deployment()
        .expect("currentServiceDeployment")
        .to_owned();
    let (mut pages, mut listed, mut token) = (Vec::new(), Vec::new(), None::<String>);
    loop {
        let out = ecs
            .list_service_deployments()
            .cluster("main")
            .service("web")
            .set_next_token(token.clone())
            .send()
            .await
            .expect("list service deployments");
        pages.push(out.service_deployments().len());
        listed.extend(out.service_deployments().iter().map(|d| {
            (
                d.created_at().map(|t| t.as_secs_f64()).unwrap_or_default(),
                d.service_deployment_arn().unwrap_or_default().to_owned(),
            )
        }));
        match out.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, [20, 5], "20 per page by default");
    assert!(listed.windows(2).all(|w| w[0].0 <= w[1].0), "oldest first");
    assert_eq!(listed.last().map(|(_, arn)| arn), Some(&current));
    assert_ne!(listed[19].1, current, "the first page lacks the newest");

    // With a lag, a new service deployment is current at once but listed only later.
    double.configure(json!({"listLagSeconds": 1.5}));
    ecs.update_service()
        .cluster("main")
        .service("web")
        .force_new_deployment(true)
        .send()
        .await
        .expect("a forced deployment");
    let newest = describe(&ecs, "web")
        .await
        .current_service_deployment()
        .expect("currentServiceDeployment")
        .to_owned();
    let listed_now = |ecs: Client| async move {
        ecs.list_service_deployments()
            .cluster("main")
            .service("web")
            .max_results(100)
            .send()
            .await
            .expect("list")
            .service_deployments()
            .iter()
            .filter_map(|d| d.service_deployment_arn().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    assert!(!listed_now(ecs.clone()).await.contains(&newest));
    let described = ecs
        .describe_service_deployments()
        .service_deployment_arns(&newest)
        .send()
        .await
        .expect("describe service deployments");
    assert_eq!(
        described.service_deployments().len(),
        1,
        "described at once"
    );
    eventually(Duration::from_secs(5), "the listed deployment", || {
        let ecs = ecs.clone();
        let newest = newest.clone();
        async move { listed_now(ecs).await.contains(&newest).then_some(()) }
    })
    .await;
}
