//! Unit tests of the rendering of imported objects.

use serde_json::{Value, json};

use super::*;
use crate::import::read::ClusterEstate;

fn cluster(name: &str) -> ObservedCluster {
    ObservedCluster {
        cluster_arn: format!("arn:aws:ecs:us-east-1:1:cluster/{name}"),
        cluster_name: name.into(),
        status: "ACTIVE".into(),
        ..Default::default()
    }
}

fn service(name: &str, task_definition: &str) -> ObservedService {
    serde_json::from_value(json!({
        "serviceName": name, "status": "ACTIVE", "desiredCount": 2, "taskDefinition": task_definition,
        "schedulingStrategy": "REPLICA", "deploymentController": {"type": "ECS"}, "launchType": "FARGATE",
        "tags": [{"key": "ecsbridge.dev/owner", "value": "x/y"}, {"key": "team", "value": "a"}],
    }))
    .unwrap()
}

fn revision(family: &str, number: i32) -> ObservedRevision {
    ObservedRevision {
        arn: format!("arn:aws:ecs:us-east-1:1:task-definition/{family}:{number}"),
        family: family.into(),
        revision: number,
        status: "ACTIVE".into(),
        content: json!({"family": family, "revision": number,
            "containerDefinitions": [{"name": "app", "image": format!("img:{number}"), "essential": true}],
            "executionRoleArn": "arn:aws:iam::1:role/path/exec"}),
        tags: Default::default(),
    }
}

/// Two clusters with a service `web` each; the one in `Prod_EU` runs revision 1 of `api` while 2 is the newest.
fn estate() -> Estate {
    let old = revision("api", 1);
    let new = revision("api", 2);
    Estate {
        clusters: vec![
            ClusterEstate {
                cluster: cluster("Prod_EU"),
                services: vec![service("web", &old.arn)],
            },
            ClusterEstate {
                cluster: cluster("staging"),
                services: vec![service("web", &new.arn)],
            },
        ],
        revisions: [(old.arn.clone(), old), (new.arn.clone(), new.clone())].into(),
        newest: [("api".to_owned(), new)].into(),
        providers: Vec::new(),
    }
}

fn find<'a>(rendered: &'a Rendered, kind: &str, name: &str) -> &'a Value {
    rendered
        .files
        .iter()
        .flat_map(|f| &f.objects)
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {rendered:#?}"))
}

#[test]
fn names_are_kubernetes_names_with_the_ecs_name_in_the_spec() {
    let rendered = render(&estate(), &Options::default()).unwrap();
    let prod = find(&rendered, "EcsCluster", "prod-eu");
    assert_eq!(prod["spec"]["clusterName"], "Prod_EU");
    assert!(
        find(&rendered, "EcsCluster", "staging")["spec"]
            .get("clusterName")
            .is_none()
    );
    // A service name used in two clusters: the object names carry the cluster.
    let web = find(&rendered, "EcsService", "prod-eu-web");
    assert_eq!(web["spec"]["serviceName"], "web");
    assert_eq!(web["spec"]["clusterRef"]["name"], "prod-eu");
    find(&rendered, "EcsService", "staging-web");
    assert_eq!(rendered.files.len(), 2);
}

#[test]
fn a_service_on_an_older_revision_names_it_and_the_family_follows_the_newest() {
    let rendered = render(&estate(), &Options::default()).unwrap();
    let pinned = find(&rendered, "EcsService", "prod-eu-web");
    assert_eq!(pinned["spec"]["taskDefinition"], "api:1");
    assert!(pinned["spec"].get("taskDefinitionRef").is_none());
    assert!(
        rendered.notes.iter().any(|n| n.contains("api:1")),
        "{:?}",
        rendered.notes
    );
    let following = find(&rendered, "EcsService", "staging-web");
    assert_eq!(following["spec"]["taskDefinitionRef"]["name"], "api");
    let td = find(&rendered, "TaskDefinition", "api");
    assert_eq!(td["spec"]["containerDefinitions"][0]["image"], "img:2");
    // ECS's defaults out, the role as ECS reports it (not the name normalization compares).
    assert!(
        td["spec"]["containerDefinitions"][0]
            .get("essential")
            .is_none()
    );
    assert_eq!(
        td["spec"]["executionRoleArn"],
        "arn:aws:iam::1:role/path/exec"
    );
}

#[test]
fn objects_are_adopted_retained_and_read_only_unless_managed() {
    let options = Options {
        namespace: Some("team".into()),
        manage: false,
    };
    let rendered = render(&estate(), &options).unwrap();
    let web = find(&rendered, "EcsService", "staging-web");
    assert_eq!(web["metadata"]["namespace"], "team");
    assert_eq!(
        web["metadata"]["annotations"]["ecsbridge.dev/adopt"],
        "true"
    );
    assert_eq!(
        web["metadata"]["annotations"]["ecsbridge.dev/read-only"],
        "true"
    );
    assert_eq!(web["spec"]["deletionPolicy"], "Retain");
    assert_eq!(web["spec"]["tags"], json!({"team": "a"}));
    for default in ["schedulingStrategy", "deploymentController"] {
        assert!(web["spec"].get(default).is_none(), "{default}: {web}");
    }
    let managed = render(
        &estate(),
        &Options {
            manage: true,
            ..options
        },
    )
    .unwrap();
    let web = find(&managed, "EcsService", "staging-web");
    assert!(
        web["metadata"]["annotations"]
            .get("ecsbridge.dev/read-only")
            .is_none()
    );
}
