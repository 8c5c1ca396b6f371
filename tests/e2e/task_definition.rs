//! `TaskDefinition` end to end: pasted AWS examples, revisions only on content changes, history, delete, adopt.

use std::time::Duration;

use aws_sdk_ecs::types::TaskDefinitionStatus as EcsStatus;
use ecs_bridge::api::TaskDefinition;
use serde_json::{Value, json};

use crate::harness::{Env, condition, unique};

pub(crate) const WAIT: Duration = Duration::from_secs(60);

/// A TaskDefinition object named `name` whose spec is `spec` with `family` set.
pub(crate) fn manifest(name: &str, family: &str, mut spec: Value) -> String {
    spec["family"] = json!(family);
    let object = json!({
        "apiVersion": "ecsbridge.dev/v1alpha1",
        "kind": "TaskDefinition",
        "metadata": {"name": name},
        "spec": spec,
    });
    serde_json::to_string(&object).unwrap()
}

pub(crate) fn web_spec(image: &str, env: Value) -> Value {
    json!({
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [{
            "name": "web",
            "image": image,
            "portMappings": [{"containerPort": 80}],
            "environment": env,
        }],
    })
}

pub(crate) fn ready_at(td: &TaskDefinition) -> Option<i32> {
    let status = td.status.as_ref()?;
    let ready = condition(&status.conditions, "Ready")?;
    (ready.status == "True" && ready.observed_generation == td.metadata.generation)
        .then_some(status.revision?)
}

/// Revision numbers of a family with the given status in ECS.
pub(crate) async fn revisions(env: &Env, family: &str, status: EcsStatus) -> Vec<i32> {
    let out = env
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(status)
        .send()
        .await
        .expect("list task definitions");
    let mut revs: Vec<i32> = out
        .task_definition_arns()
        .iter()
        .filter(|arn| {
            arn.rsplit_once('/')
                .is_some_and(|(_, name)| name.split(':').next() == Some(family))
        })
        .filter_map(|arn| arn.rsplit(':').next()?.parse().ok())
        .collect();
    revs.sort_unstable();
    revs
}

#[tokio::test]
async fn pasted_aws_examples_register_and_become_ready() {
    let env = Env::new("td-paste").await;
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/task-definitions"
    );
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let spec: Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let family = unique(&name.replace('-', "_"));
        env.apply::<TaskDefinition>(&manifest(&name, &family, spec.clone()))
            .await;
        names.push((name, family, spec));
    }
    assert!(names.len() >= 3, "at least three examples");
    for (name, family, spec) in names {
        let td = env
            .wait_for::<TaskDefinition>(&name, WAIT, |td| ready_at(td).is_some())
            .await;
        assert_eq!(ready_at(&td), Some(1), "{name} registered revision 1");
        let described = env
            .ecs
            .describe_task_definition()
            .task_definition(&family)
            .send()
            .await
            .unwrap();
        let registered = described.task_definition().unwrap();
        let expected: Vec<&str> = spec["containerDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        let actual: Vec<&str> = registered
            .container_definitions()
            .iter()
            .filter_map(|c| c.name())
            .collect();
        assert_eq!(actual, expected, "{name}: containers as pasted");
        assert_eq!(
            td.status.unwrap().latest_arn.as_deref(),
            registered.task_definition_arn()
        );
    }
}

#[tokio::test]
async fn revisions_follow_content_not_order_or_restarts() {
    let mut env = Env::new("td-revisions").await;
    let family = unique("web");
    let env_a = json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]);
    env.apply::<TaskDefinition>(&manifest(
        "web",
        &family,
        web_spec("nginx:1.27", env_a.clone()),
    ))
    .await;
    let first = env
        .wait_for::<TaskDefinition>("web", WAIT, |td| ready_at(td).is_some())
        .await;
    assert_eq!(ready_at(&first), Some(1));
    let hash = first
        .status
        .as_ref()
        .unwrap()
        .spec_hash
        .clone()
        .expect("specHash in status");

    env.apply::<TaskDefinition>(&manifest("web", &family, web_spec("nginx:1.28", env_a)))
        .await;
    let second = env
        .wait_for::<TaskDefinition>("web", WAIT, |td| ready_at(td) == Some(2))
        .await;
    let status = second.status.clone().unwrap();
    assert!(
        status
            .latest_arn
            .as_deref()
            .unwrap()
            .ends_with(&format!("{family}:2"))
    );
    assert_ne!(status.spec_hash.as_deref(), Some(hash.as_str()));
    assert_eq!(status.active_revisions, vec![1, 2]);

    let reordered = json!([{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]);
    env.apply::<TaskDefinition>(&manifest("web", &family, web_spec("nginx:1.28", reordered)))
        .await;
    env.wait_for::<TaskDefinition>("web", WAIT, |td| ready_at(td).is_some())
        .await;
    env.stop_operator();
    env.start_operator().await;
    env.patch::<TaskDefinition>(
        "web",
        json!({"metadata": {"annotations": {"e2e/nudge": "yes"}}}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = env
        .wait_for::<TaskDefinition>("web", WAIT, |td| ready_at(td).is_some())
        .await;
    assert_eq!(
        ready_at(&after),
        Some(2),
        "no new revision for reordered variables or a restart"
    );
    assert_eq!(
        revisions(&env, &family, EcsStatus::Active).await,
        vec![1, 2]
    );
}

#[tokio::test]
async fn history_limit_deregisters_older_revisions_and_delete_deregisters_the_rest() {
    let env = Env::new("td-history").await;
    let family = unique("hist");
    let with_limit = |image: &str| {
        let mut spec = web_spec(image, json!([]));
        spec["revisionHistoryLimit"] = json!(1);
        manifest("hist", &family, spec)
    };
    for (i, image) in ["app:1", "app:2", "app:3", "app:4"].iter().enumerate() {
        env.apply::<TaskDefinition>(&with_limit(image)).await;
        let want = i32::try_from(i).unwrap() + 1;
        env.wait_for::<TaskDefinition>("hist", WAIT, |td| ready_at(td) == Some(want))
            .await;
    }
    let td = env
        .wait_for::<TaskDefinition>("hist", WAIT, |td| ready_at(td) == Some(4))
        .await;
    assert_eq!(td.status.unwrap().active_revisions, vec![3, 4]);
    assert_eq!(
        revisions(&env, &family, EcsStatus::Active).await,
        vec![3, 4]
    );
    assert_eq!(
        revisions(&env, &family, EcsStatus::Inactive).await,
        vec![1, 2]
    );
    env.wait_event("hist", "Normal", "Deregistered", WAIT).await;

    env.delete::<TaskDefinition>("hist").await;
    env.wait_gone::<TaskDefinition>("hist", WAIT).await;
    assert!(
        revisions(&env, &family, EcsStatus::Active).await.is_empty(),
        "delete deregisters every revision"
    );
}

#[tokio::test]
async fn retain_keeps_revisions() {
    let env = Env::new("td-retain").await;
    let family = unique("kept");
    let mut spec = web_spec("app:1", json!([]));
    spec["deletionPolicy"] = json!("Retain");
    env.apply::<TaskDefinition>(&manifest("kept", &family, spec))
        .await;
    env.wait_for::<TaskDefinition>("kept", WAIT, |td| ready_at(td).is_some())
        .await;
    env.delete::<TaskDefinition>("kept").await;
    env.wait_gone::<TaskDefinition>("kept", WAIT).await;
    assert_eq!(revisions(&env, &family, EcsStatus::Active).await, vec![1]);
}

#[tokio::test]
async fn adopting_a_family_reuses_a_revision_with_the_same_content() {
    let env = Env::new("td-adopt").await;
    let family = unique("legacy");
    let container = aws_sdk_ecs::types::ContainerDefinition::builder()
        .name("web")
        .image("nginx:1.27")
        .port_mappings(
            aws_sdk_ecs::types::PortMapping::builder()
                .container_port(80)
                .build(),
        )
        .build();
    env.ecs
        .register_task_definition()
        .family(&family)
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(container)
        .send()
        .await
        .expect("register a foreign revision");

    env.apply::<TaskDefinition>(&manifest(
        "legacy",
        &family,
        web_spec("nginx:1.27", json!([])),
    ))
    .await;
    let refused = env
        .wait_for::<TaskDefinition>("legacy", WAIT, |td| {
            td.status
                .as_ref()
                .and_then(|s| condition(&s.conditions, "Synced"))
                .is_some_and(|c| c.reason == "AlreadyExists")
        })
        .await;
    assert!(refused.status.unwrap().revision.is_none());
    assert_eq!(
        revisions(&env, &family, EcsStatus::Active).await,
        vec![1],
        "nothing registered without adopt"
    );

    env.patch::<TaskDefinition>(
        "legacy",
        json!({"metadata": {"annotations": {"ecsbridge.dev/adopt": "true"}}}),
    )
    .await;
    let adopted = env
        .wait_for::<TaskDefinition>("legacy", WAIT, |td| ready_at(td).is_some())
        .await;
    assert_eq!(
        ready_at(&adopted),
        Some(1),
        "the existing revision is reused, not duplicated"
    );
    assert_eq!(revisions(&env, &family, EcsStatus::Active).await, vec![1]);
}

#[tokio::test]
async fn an_invalid_fargate_size_is_refused_before_any_aws_call() {
    let env = Env::new("td-invalid").await;
    let family = unique("badsize");
    let mut spec = web_spec("nginx", json!([]));
    spec["memory"] = json!("4096");
    env.apply::<TaskDefinition>(&manifest("bad", &family, spec))
        .await;
    let bad = env
        .wait_for::<TaskDefinition>("bad", WAIT, |td| {
            td.status
                .as_ref()
                .and_then(|s| condition(&s.conditions, "Synced"))
                .is_some_and(|c| c.reason == "InvalidSpec")
        })
        .await;
    let message = condition(&bad.status.unwrap().conditions, "Synced")
        .unwrap()
        .message
        .clone();
    assert!(
        message.contains("spec.memory") || message.contains("spec.cpu"),
        "{message}"
    );
    env.wait_event("bad", "Warning", "InvalidSpec", WAIT).await;
    assert!(
        revisions(&env, &family, EcsStatus::Active).await.is_empty(),
        "nothing registered"
    );
}
