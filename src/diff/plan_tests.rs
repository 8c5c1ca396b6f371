//! Unit tests of the plan summaries of `ecs-bridge diff`.

use super::*;

fn td(image: &str, annotations: &str) -> TaskDefinition {
    serde_yaml::from_str(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web, namespace: apps{annotations}}}\n\
         spec: {{containerDefinitions: [{{name: app, image: \"{image}\", memory: 128}}]}}\n"
    ))
    .unwrap()
}

fn revision(image: &str) -> ObservedRevision {
    let tags: Tags = [(OWNER_TAG, "apps/web"), (UID_TAG, "u-1")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ObservedRevision {
        arn: "arn:aws:ecs:us-east-1:1:task-definition/web:3".into(),
        family: "web".into(),
        revision: 3,
        status: "ACTIVE".into(),
        content: json!({"family": "web", "revision": 3, "status": "ACTIVE",
            "containerDefinitions": [{"name": "app", "image": image, "memory": 128, "essential": true,
                "cpu": 0, "portMappings": [], "environment": []}]}),
        tags,
    }
}

fn service(annotations: &str) -> EcsService {
    serde_yaml::from_str(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web, namespace: apps{annotations}}}\n\
         spec: {{clusterRef: {{name: main}}, taskDefinitionRef: {{name: web}}, desiredCount: 2}}\n"
    ))
    .unwrap()
}

fn observed_service() -> ObservedService {
    ObservedService {
        service_name: "web".into(),
        status: "ACTIVE".into(),
        desired_count: 2,
        task_definition: Some("arn:aws:ecs:us-east-1:1:task-definition/web:3".into()),
        tags: revision("x").tags,
        ..Default::default()
    }
}

#[test]
fn an_unchanged_manifest_plans_nothing() {
    let (diff, runs) = task_definition(
        &td("nginx:1", ""),
        "web",
        "apps/web",
        Some(&revision("nginx:1")),
    );
    assert_eq!(
        (diff.headline.as_str(), diff.changes()),
        (NOTHING, false),
        "{diff:?}"
    );
    assert!(
        diff.drift.is_empty(),
        "ECS's defaults are no drift: {diff:?}"
    );
    let svc = service("");
    let diff = super::service(
        &svc,
        String::new(),
        "apps/web",
        &runs,
        false,
        Some(&observed_service()),
    );
    assert_eq!(
        (diff.headline.as_str(), diff.changes()),
        (NOTHING, false),
        "{diff:?}"
    );
}

#[test]
fn a_changed_image_is_a_new_revision_and_a_deployment() {
    let (diff, runs) = task_definition(
        &td("nginx:2", ""),
        "web",
        "apps/web",
        Some(&revision("nginx:1")),
    );
    assert_eq!(diff.headline, "new revision");
    assert_eq!(runs, "web:4");
    assert!(
        diff.drift
            .iter()
            .any(|d| d.path.contains("containerDefinitions")),
        "{diff:?}"
    );
    let diff = super::service(
        &service(""),
        String::new(),
        "apps/web",
        &runs,
        true,
        Some(&observed_service()),
    );
    assert_eq!(diff.headline, "new revision + deployment", "{diff:?}");
    assert!(
        diff.calls[0].starts_with("UpdateService taskDefinition"),
        "{diff:?}"
    );
    assert!(diff.changes());
}

#[test]
fn a_missing_object_is_created_and_an_unowned_one_is_adopted() {
    let (diff, runs) = task_definition(&td("nginx:1", ""), "web", "apps/web", None);
    assert_eq!((diff.headline.as_str(), runs.as_str()), ("create", "web:1"));
    let diff = super::service(&service(""), String::new(), "apps/web", &runs, true, None);
    assert_eq!(diff.calls, vec!["CreateService".to_owned()]);
    let mut unowned = revision("nginx:1");
    unowned.tags.clear();
    let (diff, _) = task_definition(&td("nginx:1", ""), "web", "apps/web", Some(&unowned));
    assert_eq!(diff.headline, "tags");
    assert!(diff.calls[0].contains("(adoption)"), "{diff:?}");
}

#[test]
fn a_read_only_object_shows_drift_and_calls_nothing() {
    let read_only = ", annotations: {ecsbridge.dev/read-only: \"true\"}";
    let (diff, _) = task_definition(
        &td("nginx:2", read_only),
        "web",
        "apps/web",
        Some(&revision("nginx:1")),
    );
    assert!(
        diff.read_only && diff.calls.is_empty() && !diff.changes(),
        "{diff:?}"
    );
    assert!(!diff.drift.is_empty());
}

#[test]
fn a_read_only_service_is_compared_without_the_ownership_tags() {
    let read_only = ", annotations: {ecsbridge.dev/read-only: \"true\"}";
    let mut unowned = observed_service();
    unowned.tags.clear();
    let arn = "arn:aws:ecs:us-east-1:1:task-definition/web:3";
    let diff = super::service(
        &service(read_only),
        String::new(),
        "apps/web",
        arn,
        false,
        Some(&unowned),
    );
    assert!(diff.drift.is_empty(), "{diff:?}");
    assert_eq!(diff.headline, NOTHING);
}

#[test]
fn an_adoption_tags_a_managed_service_without_showing_drift() {
    let mut unowned = observed_service();
    unowned.tags.clear();
    let arn = "arn:aws:ecs:us-east-1:1:task-definition/web:3";
    let diff = super::service(
        &service(""),
        String::new(),
        "apps/web",
        arn,
        false,
        Some(&unowned),
    );
    assert!(diff.drift.is_empty(), "{diff:?}");
    assert_eq!(diff.headline, "tags");
    assert!(diff.changes());
}
