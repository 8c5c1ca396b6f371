//! `TaskDefinition` against what ECS really holds, on moto and on the ECS test double (which fills in ECS's
//! defaults): adopting an identical family registers nothing, also after a restart; an empty variable reaches ECS
//! whether ECS keeps it (moto) or drops it (the double), without churn; a revision an unmanaged ECS
//! service runs stays ACTIVE through history trimming and through deletion of the object; deleting a service and
//! its task definition at once leaves no revision ACTIVE.

use std::time::Duration;

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, HealthCheck, KeyValuePair, LaunchType, NetworkMode,
    PortMapping, TaskDefinitionStatus as EcsStatus,
};
use ecs_bridge::api::{EcsCluster, EcsService, TaskDefinition};
use serde_json::{Value, json};

use crate::harness::configure;
use crate::harness::{Env, unique};
use crate::task_definition::{WAIT, manifest, ready_at, revisions, web_spec};

/// The spec of the adopted family: what ECS fills in is left out (health check timing, host port, protocol), and
/// one variable has no value (ECS drops it). An empty variable is another matter (entry 38, see below).
fn spec_with_defaults_left_out() -> Value {
    let mut spec = web_spec(
        "nginx:1.27",
        json!([{"name": "A", "value": "1"}, {"name": "UNSET"}]),
    );
    spec["containerDefinitions"][0]["healthCheck"] = json!({"command": ["CMD-SHELL", "true"]});
    spec
}

/// Registers the content of [`spec_with_defaults_left_out`] directly in ECS, as someone else did before.
async fn register_by_hand(env: &Env, family: &str) {
    let container = ContainerDefinition::builder()
        .name("web")
        .image("nginx:1.27")
        .port_mappings(PortMapping::builder().container_port(80).build())
        .health_check(
            HealthCheck::builder()
                .command("CMD-SHELL")
                .command("true")
                .build()
                .unwrap(),
        )
        .environment(KeyValuePair::builder().name("A").value("1").build())
        .environment(KeyValuePair::builder().name("UNSET").build())
        .build();
    env.ecs
        .register_task_definition()
        .family(family)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(container)
        .send()
        .await
        .expect("register a revision by hand");
}

async fn adopting_an_identical_family_registers_nothing(mut env: Env) {
    let family = unique("same");
    register_by_hand(&env, &family).await;
    let mut object: Value =
        serde_json::from_str(&manifest("same", &family, spec_with_defaults_left_out())).unwrap();
    object["metadata"]["annotations"] = json!({"ecsbridge.dev/adopt": "true"});
    env.apply::<TaskDefinition>(&object.to_string()).await;
    let adopted = env
        .wait_for::<TaskDefinition>("same", WAIT, |td| ready_at(td).is_some())
        .await;
    assert_eq!(
        ready_at(&adopted),
        Some(1),
        "the identical revision is adopted"
    );

    env.stop_operator();
    env.start_operator().await;
    env.patch::<TaskDefinition>(
        "same",
        json!({"metadata": {"annotations": {"e2e/nudge": "after-restart"}}}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = env
        .wait_for::<TaskDefinition>("same", WAIT, |td| ready_at(td).is_some())
        .await;
    assert_eq!(
        ready_at(&after),
        Some(1),
        "nothing registered after a restart"
    );
    assert_eq!(revisions(&env, &family, EcsStatus::Active).await, vec![1]);
    assert!(
        revisions(&env, &family, EcsStatus::Inactive)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn adopting_an_identical_family_registers_nothing_on_moto() {
    adopting_an_identical_family_registers_nothing(Env::new("td-same-moto").await).await;
}

#[tokio::test]
async fn adopting_an_identical_family_registers_nothing_on_the_double() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    adopting_an_identical_family_registers_nothing(
        Env::against("td-same-double", &double.url).await,
    )
    .await;
}

/// The variable names of the newest ACTIVE revision of `family` in ECS.
async fn newest_variables(env: &Env, family: &str) -> Vec<String> {
    let out = env
        .ecs
        .describe_task_definition()
        .task_definition(family)
        .send()
        .await
        .expect("describe the newest revision");
    let td = out.task_definition().expect("a task definition");
    let mut names: Vec<String> = td.container_definitions()[0]
        .environment()
        .iter()
        .filter_map(|v| v.name().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// Entry 38: whether ECS keeps a variable whose value is `""` is disputed; moto keeps it, the double drops it.
/// Adding or removing one is a change of the spec either way: it is sent to ECS, and once registered it never
/// causes another registration (a restart included). `kept` says which kind of backend this is.
async fn an_empty_variable_reaches_ecs_without_churn(mut env: Env, kept: bool) {
    let family = unique("empty");
    let spec = |vars: Value| manifest("empty", &family, web_spec("nginx:1.27", vars));
    let with_empty = json!([{"name": "A", "value": "1"}, {"name": "EMPTY", "value": ""}]);
    let as_ecs_holds_it = |empty: bool| match empty && kept {
        true => vec!["A".to_owned(), "EMPTY".to_owned()],
        false => vec!["A".to_owned()],
    };
    env.apply::<TaskDefinition>(&spec(with_empty.clone())).await;
    let first = env
        .wait_for::<TaskDefinition>("empty", WAIT, |td| ready_at(td).is_some())
        .await;
    assert_eq!(ready_at(&first), Some(1));
    assert_eq!(newest_variables(&env, &family).await, as_ecs_holds_it(true));

    env.stop_operator();
    env.start_operator().await;
    env.patch::<TaskDefinition>(
        "empty",
        json!({"metadata": {"annotations": {"e2e/nudge": "after-restart"}}}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        revisions(&env, &family, EcsStatus::Active).await,
        vec![1],
        "no churn"
    );

    // Removing the empty variable: a backend that kept it gets a revision without it.
    let removed = env
        .apply::<TaskDefinition>(&spec(json!([{"name": "A", "value": "1"}])))
        .await;
    let generation = removed.metadata.generation;
    let after_removal = env
        .wait_for::<TaskDefinition>("empty", WAIT, |td| {
            ready_at(td).is_some() && td.metadata.generation == generation
        })
        .await;
    let expected = if kept { 2 } else { 1 };
    assert_eq!(ready_at(&after_removal), Some(expected));
    assert_eq!(
        newest_variables(&env, &family).await,
        as_ecs_holds_it(false)
    );

    // Adding it again is never "no change": it is sent, whatever the backend makes of it.
    let added = env.apply::<TaskDefinition>(&spec(with_empty)).await;
    let generation = added.metadata.generation;
    let after_adding = env
        .wait_for::<TaskDefinition>("empty", WAIT, |td| {
            ready_at(td).is_some() && td.metadata.generation == generation
        })
        .await;
    assert_eq!(
        ready_at(&after_adding),
        Some(expected + 1),
        "EMPTY was sent"
    );
    assert_eq!(newest_variables(&env, &family).await, as_ecs_holds_it(true));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        revisions(&env, &family, EcsStatus::Active).await.last(),
        Some(&(expected + 1)),
        "no churn"
    );
}

#[tokio::test]
async fn an_empty_variable_reaches_ecs_without_churn_on_moto() {
    an_empty_variable_reaches_ecs_without_churn(Env::new("td-empty-moto").await, true).await;
}

#[tokio::test]
async fn an_empty_variable_reaches_ecs_without_churn_on_the_double() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    an_empty_variable_reaches_ecs_without_churn(
        Env::against("td-empty-double", &double.url).await,
        false,
    )
    .await;
}

async fn a_revision_an_unmanaged_service_runs_stays_active(env: Env) {
    let family = unique("used");
    let spec = |image: &str| {
        let mut spec = web_spec(image, json!([]));
        spec["revisionHistoryLimit"] = json!(0);
        manifest("used", &family, spec)
    };
    env.apply::<TaskDefinition>(&spec("app:1")).await;
    let first = env
        .wait_for::<TaskDefinition>("used", WAIT, |td| ready_at(td) == Some(1))
        .await;
    let arn = first.status.unwrap().latest_arn.unwrap();
    let cluster = unique("unmanaged");
    env.ecs
        .create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .expect("create a cluster by hand");
    env.ecs
        .create_service()
        .cluster(&cluster)
        .service_name("legacy")
        .task_definition(&arn)
        .desired_count(0)
        .launch_type(LaunchType::Ec2)
        .send()
        .await
        .expect("create a service by hand");

    for (image, revision) in [("app:2", 2), ("app:3", 3)] {
        env.apply::<TaskDefinition>(&spec(image)).await;
        env.wait_for::<TaskDefinition>("used", WAIT, |td| ready_at(td) == Some(revision))
            .await;
    }
    assert_eq!(
        revisions(&env, &family, EcsStatus::Active).await,
        vec![1, 3],
        "revision 2 trimmed, revision 1 kept for the service"
    );
    assert_eq!(revisions(&env, &family, EcsStatus::Inactive).await, vec![2]);

    env.delete::<TaskDefinition>("used").await;
    env.wait_gone::<TaskDefinition>("used", WAIT).await;
    assert_eq!(
        revisions(&env, &family, EcsStatus::Active).await,
        vec![1],
        "deletion keeps the revision the service runs"
    );
    env.wait_event("used", "Warning", "RevisionsKept", WAIT)
        .await;

    let _ = env
        .ecs
        .delete_service()
        .cluster(&cluster)
        .service("legacy")
        .force(true)
        .send()
        .await;
}

#[tokio::test]
async fn a_revision_an_unmanaged_service_runs_stays_active_on_moto() {
    a_revision_an_unmanaged_service_runs_stays_active(Env::new("td-used-moto").await).await;
}

#[tokio::test]
async fn a_revision_an_unmanaged_service_runs_stays_active_on_the_double() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    a_revision_an_unmanaged_service_runs_stays_active(
        Env::against("td-used-double", &double.url).await,
    )
    .await;
}

/// ECS calls fail now and then (before they take effect): every spec change still registers exactly one revision,
/// because a registration is written to status at once and a failure after it is retried without registering.
#[tokio::test]
async fn failures_around_a_registration_register_nothing_twice() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let env = Env::against("td-faults", &double.url).await;
    let family = unique("flaky");
    configure(&double, r#"{"faultRate": 0.3, "timeoutSeconds": 0.2}"#);
    for (image, revision) in [("app:1", 1), ("app:2", 2), ("app:3", 3)] {
        env.apply::<TaskDefinition>(&manifest("flaky", &family, web_spec(image, json!([]))))
            .await;
        env.wait_for::<TaskDefinition>("flaky", WAIT, |td| ready_at(td) == Some(revision))
            .await;
    }
    configure(&double, r#"{"faultRate": 0}"#);
    assert_eq!(
        revisions(&env, &family, EcsStatus::Active).await,
        vec![1, 2, 3]
    );
    assert!(
        revisions(&env, &family, EcsStatus::Inactive)
            .await
            .is_empty()
    );
}

/// Revisions deregistered while `deleteDeregisteredRevisions` was off are deleted once it is turned on.
#[tokio::test]
async fn turning_on_deletion_deletes_revisions_deregistered_before() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let env = Env::against("td-sweep", &double.url).await;
    let family = unique("sweep");
    let spec = |image: &str, delete: bool| {
        let mut spec = web_spec(image, json!([]));
        spec["revisionHistoryLimit"] = json!(0);
        spec["deleteDeregisteredRevisions"] = json!(delete);
        manifest("sweep", &family, spec)
    };
    for (image, revision) in [("app:1", 1), ("app:2", 2)] {
        env.apply::<TaskDefinition>(&spec(image, false)).await;
        env.wait_for::<TaskDefinition>("sweep", WAIT, |td| ready_at(td) == Some(revision))
            .await;
    }
    assert_eq!(revisions(&env, &family, EcsStatus::Inactive).await, vec![1]);

    env.apply::<TaskDefinition>(&spec("app:2", true)).await;
    env.wait_event("sweep", "Normal", "DeletedRevisions", WAIT)
        .await;
    assert!(
        revisions(&env, &family, EcsStatus::Inactive)
            .await
            .is_empty()
    );
    assert_eq!(
        revisions(&env, &family, EcsStatus::DeleteInProgress).await,
        vec![1]
    );
    assert_eq!(revisions(&env, &family, EcsStatus::Active).await, vec![2]);
}

#[tokio::test]
async fn deleting_a_service_and_its_task_definition_at_once_leaves_no_active_revision() {
    // A drain of 10 s: the task definition's deletion comes while the service still runs its revision.
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let env = Env::against("td-with-service", &double.url).await;
    let (cluster, family) = (unique("c"), unique("both"));
    let [cluster_yaml, td_yaml, service_yaml] =
        crate::rollout::manifests(&cluster, &family, "registry.example/web:1");
    env.apply::<EcsCluster>(&cluster_yaml).await;
    env.apply::<TaskDefinition>(&td_yaml).await;
    env.apply::<EcsService>(&service_yaml).await;
    env.wait_for::<EcsService>("web", WAIT, |s| crate::rollout::is(s, "Ready", "True"))
        .await;
    env.delete::<EcsService>("web").await;
    env.delete::<TaskDefinition>("web").await;
    // The revision is in use by the draining service for a while: the task definition waits and says so.
    env.wait_gone::<EcsService>("web", WAIT).await;
    env.wait_gone::<TaskDefinition>("web", WAIT).await;
    assert_eq!(
        revisions(&env, &family, EcsStatus::Active).await,
        Vec::<i32>::new()
    );
    assert_eq!(revisions(&env, &family, EcsStatus::Inactive).await, vec![1]);
}
