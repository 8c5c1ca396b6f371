//! Drives the tasks of the ECS test double with the real aws-sdk-ecs client: Fargate's RunTask bucket, partial
//! placement, stopped tasks that expire, RunTask tokens that end or conflict, non-essential containers, and a
//! deleted cluster.

mod common;

use std::time::Duration;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{ContainerDefinition, Task};
use serde_json::json;

use common::{Double, eventually};

/// A cluster `main` and a family `job` of the containers named (`essential` as given).
async fn setup(ecs: &Client, containers: &[(&str, bool)]) {
    ecs.create_cluster()
        .cluster_name("main")
        .send()
        .await
        .expect("create cluster");
    let mut register = ecs.register_task_definition().family("job");
    for (name, essential) in containers {
        register = register.container_definitions(
            ContainerDefinition::builder()
                .name(*name)
                .image("busybox")
                .essential(*essential)
                .build(),
        );
    }
    register.send().await.expect("register");
}

/// The task `arn` once it is STOPPED.
async fn stopped(ecs: &Client, arn: &str) -> Task {
    eventually(Duration::from_secs(10), "the task to stop", || async {
        let out = ecs
            .describe_tasks()
            .cluster("main")
            .tasks(arn)
            .send()
            .await
            .expect("describe tasks");
        out.tasks()
            .first()
            .filter(|t| t.last_status() == Some("STOPPED"))
            .cloned()
    })
    .await
}

/// Catalogue entry 67: Fargate allows 20 RunTask calls a second, burst and sustained, besides the cluster resource
/// bucket (100/40): a burst of 30 Fargate launches loses about 10.
#[tokio::test]
async fn fargate_run_tasks_beyond_twenty_at_once_are_throttled() {
    use aws_sdk_ecs::types::{
        AwsVpcConfiguration, Compatibility, LaunchType, NetworkConfiguration, NetworkMode,
    };
    let double = Double::start(&["--throttle", "on", "--speedup", "1"]);
    let ecs = double.client(false);
    ecs.create_cluster()
        .cluster_name("main")
        .send()
        .await
        .expect("create cluster");
    ecs.register_task_definition()
        .family("job")
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(
            ContainerDefinition::builder()
                .name("job")
                .image("busybox")
                .build(),
        )
        .send()
        .await
        .expect("register");
    let network = NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .subnets("subnet-1")
                .build()
                .expect("a subnet"),
        )
        .build();
    let calls: Vec<_> = (0..30)
        .map(|_| {
            let (ecs, network) = (ecs.clone(), network.clone());
            tokio::spawn(async move {
                ecs.run_task()
                    .cluster("main")
                    .task_definition("job")
                    .launch_type(LaunchType::Fargate)
                    .network_configuration(network)
                    .send()
                    .await
            })
        })
        .collect();
    let mut throttled = 0;
    for call in calls {
        if let Err(err) = call.await.expect("the call task") {
            assert_eq!(err.code(), Some("ThrottlingException"), "{err:?}");
            throttled += 1;
        }
    }
    assert!((5..=10).contains(&throttled), "{throttled} throttled");
    assert_eq!(double.stats()["throttled"]["RunTask"], throttled);
}

/// Catalogue entry 59: with `unplaceableTasks` 2, RunTask of `count` 3 places one task and answers two failures
/// that name a container instance and the reason; the counter is used up.
#[tokio::test]
async fn run_task_places_what_fits_and_answers_failures_for_the_rest() {
    let double = Double::start(&["--throttle", "off"]);
    let ecs = double.client(false);
    setup(&ecs, &[("app", true)]).await;
    double.configure(json!({"unplaceableTasks": 2, "placementFailureReason": "RESOURCE:CPU"}));
    assert_eq!(
        double.admin("GET", "/_double/config", json!(null))["unplaceableTasks"],
        2
    );
    let out = ecs
        .run_task()
        .cluster("main")
        .task_definition("job")
        .count(3)
        .send()
        .await
        .expect("run task");
    assert_eq!(out.tasks().len(), 1);
    assert_eq!(out.failures().len(), 2);
    let failure = &out.failures()[0];
    assert_eq!(failure.reason(), Some("RESOURCE:CPU"));
    assert!(
        failure
            .arn()
            .is_some_and(|arn| arn.contains(":container-instance/main/")),
        "{failure:?}"
    );
    assert_eq!(
        double.admin("GET", "/_double/config", json!(null))["unplaceableTasks"],
        0
    );
}

/// Catalogue entries 58 and 62: a STOPPED task is describable for `stoppedTaskSeconds` (sped up), then
/// DescribeTasks answers it as a MISSING failure; a repeat of its RunTask after that starts a new task.
#[tokio::test]
async fn a_stopped_task_expires_and_its_token_with_it() {
    let double = Double::start(&["--throttle", "off", "--speedup", "100"]);
    let ecs = double.client(false);
    setup(&ecs, &[("app", true)]).await;
    double.configure(json!({"taskSeconds": 10, "stoppedTaskSeconds": 100}));
    let run = || {
        ecs.run_task()
            .cluster("main")
            .task_definition("job")
            .client_token("t1")
            .send()
    };
    let first = run().await.expect("run task");
    let arn = first.tasks()[0].task_arn().expect("an ARN").to_owned();
    stopped(&ecs, &arn).await;
    let again = run().await.expect("repeat");
    assert_eq!(
        again.tasks()[0].task_arn(),
        Some(arn.as_str()),
        "the token still holds"
    );
    let failure = eventually(Duration::from_secs(10), "the task to expire", || async {
        let out = ecs
            .describe_tasks()
            .cluster("main")
            .tasks(&arn)
            .send()
            .await
            .expect("describe tasks");
        out.failures().first().cloned()
    })
    .await;
    assert_eq!(
        (failure.arn(), failure.reason()),
        (Some(arn.as_str()), Some("MISSING"))
    );
    let listed = ecs
        .list_tasks()
        .cluster("main")
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
        .send()
        .await
        .expect("list tasks");
    assert!(listed.task_arns().is_empty());
    let after = run().await.expect("a repeat after the token's lifetime");
    assert_ne!(after.tasks()[0].task_arn(), Some(arn.as_str()));
}

/// Catalogue entry 79: the essential container exits 0 (`taskOutcome` exit:0); ECS stops the non-essential one,
/// which shows `sidecarExitCode` (here 1); the stop code is EssentialContainerExited.
#[tokio::test]
async fn the_sidecar_is_stopped_when_the_essential_container_exits() {
    let double = Double::start(&["--throttle", "off", "--speedup", "100"]);
    let ecs = double.client(false);
    setup(&ecs, &[("app", true), ("sidecar", false)]).await;
    double.configure(json!({"taskOutcome": "exit:0", "sidecarExitCode": 1}));
    let out = ecs
        .run_task()
        .cluster("main")
        .task_definition("job")
        .send()
        .await
        .expect("run task");
    let task = stopped(&ecs, out.tasks()[0].task_arn().expect("an ARN")).await;
    assert_eq!(
        task.stop_code().map(|c| c.as_str()),
        Some("EssentialContainerExited")
    );
    let codes: Vec<_> = task
        .containers()
        .iter()
        .map(|c| (c.name().unwrap_or_default(), c.exit_code()))
        .collect();
    assert_eq!(codes, [("app", Some(0)), ("sidecar", Some(1))]);
}

/// Catalogue entry 62: DescribeTasks in a cluster that was deleted is a ClusterNotFoundException.
#[tokio::test]
async fn describe_tasks_of_a_deleted_cluster_is_cluster_not_found() {
    let double = Double::start(&["--throttle", "off"]);
    let ecs = double.client(false);
    setup(&ecs, &[("app", true)]).await;
    let out = ecs
        .run_task()
        .cluster("main")
        .task_definition("job")
        .send()
        .await
        .expect("run task");
    let arn = out.tasks()[0].task_arn().expect("an ARN");
    ecs.delete_cluster()
        .cluster("main")
        .send()
        .await
        .expect("delete cluster");
    let err = ecs
        .describe_tasks()
        .cluster("main")
        .tasks(arn)
        .send()
        .await
        .expect_err("the cluster is gone");
    assert_eq!(err.code(), Some("ClusterNotFoundException"));
}

/// Catalogue entry 58: the same client token with another request is a ConflictException whose `resourceIds`
/// are the tasks the token started, as the SDK reads them.
#[tokio::test]
async fn a_token_reused_with_another_request_names_its_tasks() {
    let double = Double::start(&["--throttle", "off"]);
    let ecs = double.client(false);
    setup(&ecs, &[("app", true)]).await;
    let run = |group: &str| {
        ecs.run_task()
            .cluster("main")
            .task_definition("job")
            .client_token("token-1")
            .group(group)
            .send()
    };
    let first = run("first").await.expect("run task");
    let arn = first.tasks()[0].task_arn().unwrap().to_owned();
    let err = run("second").await.expect_err("another request");
    let service = err.as_service_error().expect("a service error");
    assert_eq!(service.code(), Some("ConflictException"));
    let aws_sdk_ecs::operation::run_task::RunTaskError::ConflictException(conflict) = service
    else {
        panic!("{service:?}");
    };
    assert_eq!(conflict.resource_ids(), [arn]);
}
