//! `EcsGateway` end to end against the ECS test double: a gateway goes Ready associated with the cluster of an
//! `EcsCluster`; a change of its settings and of its clusters reaches ECS, an association someone else made is
//! left alone (and keeps the gateway from being deleted until they remove it); deletion removes this object's
//! associations and the gateway, leaving nothing. A bad spec is refused with the field named before any AWS call,
//! a gateway of the same name that this object did not create is refused and left alone, and deletion protection
//! keeps the gateway until the spec turns it off; `deletionPolicy: Retain` leaves it. A connected service shows as a
//! route, and its route goes when its connectors are removed; the gateway goes together with its cluster.

use std::time::Duration;

use aws_sdk_ecs::error::ProvideErrorMetadata;
use ecs_bridge::api::{EcsCluster, EcsGateway, EcsService, TaskDefinition};
use serde_json::json;

use crate::capacity_provider::ready;
use crate::harness::{Env, condition, eventually, unique};

const WAIT: Duration = Duration::from_secs(60);
const ROLE: &str = "arn:aws:iam::123456789012:role/ecs-bridge/gateway-infrastructure";

fn manifest(object: &str, gateway: &str, extra: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsGateway\nmetadata: {{name: {object}}}\nspec:\n  \
         name: {gateway}\n  infrastructureRoleArn: {ROLE}\n  \
         configuration: {{hostSharedAlb: {{maxAlbCount: 2}}}}\n{extra}"
    )
}

fn is_ready(gateway: &EcsGateway) -> bool {
    ready(gateway.status.as_ref().map(|s| &s.conditions[..]), gateway)
}

fn synced_false_with(gateway: &EcsGateway, reason: &str, words: &str) -> bool {
    gateway
        .status
        .as_ref()
        .and_then(|st| condition(&st.conditions, "Synced"))
        .is_some_and(|c| c.status == "False" && c.reason == reason && c.message.contains(words))
}

/// The clusters ECS reports the gateway associated with, as (cluster name, status).
async fn associations(env: &Env, gateway: &str) -> Vec<(String, String)> {
    let out = env
        .ecs
        .list_gateway_cluster_associations()
        .gateway(gateway)
        .send()
        .await
        .expect("ListGatewayClusterAssociations");
    let mut found: Vec<(String, String)> = out
        .gateway_cluster_associations()
        .iter()
        .map(|a| {
            let arn = a.cluster_arn().unwrap_or_default();
            let name = arn.rsplit('/').next().unwrap_or(arn).to_owned();
            (
                name,
                a.status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    found.sort();
    found
}

async fn gateway_exists(env: &Env, gateway: &str) -> bool {
    match env.ecs.describe_gateway().gateway(gateway).send().await {
        Ok(out) => out.gateway.is_some(),
        Err(e) if e.code() == Some("GatewayNotFoundException") => false,
        Err(e) => panic!("DescribeGateway: {e:?}"),
    }
}

async fn ecs_cluster(env: &Env, name: &str) {
    env.ecs
        .create_cluster()
        .cluster_name(name)
        .send()
        .await
        .expect("CreateCluster");
}

#[tokio::test]
async fn a_gateway_goes_ready_associated_changes_reach_ecs_and_it_is_deleted_leaving_others_alone()
{
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "2"]);
    let env = Env::against(&unique("gateway"), &double.url).await;
    let (apps, third, other) = (unique("apps"), unique("third"), unique("other"));
    let name = unique("edge");
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: apps}}\nspec: {{clusterName: {apps}}}\n"
    ))
    .await;
    ecs_cluster(&env, &third).await;
    ecs_cluster(&env, &other).await;
    env.apply::<EcsGateway>(&manifest(
        "edge",
        &name,
        "  deletionProtection: false\n  clusterRefs: [{name: apps}]\n",
    ))
    .await;
    let first = env.wait_for::<EcsGateway>("edge", WAIT, is_ready).await;
    let status = first.status.expect("a status");
    assert_eq!(status.ecs_status.as_deref(), Some("ACTIVE"));
    assert_eq!(status.associated_clusters.len(), 1, "{status:?}");
    assert_eq!(
        associations(&env, &name).await,
        vec![(apps.clone(), "ACTIVE".into())]
    );

    // Someone else associates the gateway with their cluster.
    env.ecs
        .associate_gateway_with_cluster()
        .gateway(&name)
        .cluster(&other)
        .send()
        .await
        .expect("AssociateGatewayWithCluster");
    // The spec moves from the EcsCluster to a cluster named directly, and asks for more load balancers.
    env.patch::<EcsGateway>(
        "edge",
        json!({"spec": {"clusterRefs": null, "clusters": [third.clone()],
            "configuration": {"hostSharedAlb": {"maxAlbCount": 4}}}}),
    )
    .await;
    let changed = env
        .wait_for::<EcsGateway>("edge", WAIT, |g| {
            is_ready(g) && g.metadata.generation == Some(2)
        })
        .await;
    let mut expected = vec![
        (other.clone(), "ACTIVE".to_owned()),
        (third.clone(), "ACTIVE".to_owned()),
    ];
    expected.sort();
    assert_eq!(
        associations(&env, &name).await,
        expected,
        "ours moved, theirs stayed"
    );
    let shown = changed.status.expect("a status");
    let theirs = shown
        .associations
        .iter()
        .find(|a| a.cluster_arn.ends_with(&other))
        .expect("their association is shown");
    assert!(!theirs.made_by_this_object);
    let described = env
        .ecs
        .describe_gateway()
        .gateway(&name)
        .send()
        .await
        .expect("DescribeGateway");
    let alb = described
        .gateway()
        .and_then(|g| g.configuration())
        .and_then(|c| c.as_host_shared_alb().ok())
        .expect("a hostSharedAlb configuration");
    assert_eq!(alb.max_alb_count(), Some(4));

    // Deleting removes our association and waits for theirs, which it never removes.
    env.delete::<EcsGateway>("edge").await;
    eventually(WAIT, "our association removed, theirs kept", || async {
        associations(&env, &name).await == vec![(other.clone(), "ACTIVE".to_owned())]
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        gateway_exists(&env, &name).await,
        "kept while their association holds it"
    );
    env.ecs
        .disassociate_gateway_from_cluster()
        .gateway(&name)
        .cluster(&other)
        .send()
        .await
        .expect("DisassociateGatewayFromCluster");
    env.wait_gone::<EcsGateway>("edge", WAIT).await;
    assert!(!gateway_exists(&env, &name).await, "nothing left");
    env.delete::<EcsCluster>("apps").await;
    env.wait_gone::<EcsCluster>("apps", WAIT).await;
}

#[tokio::test]
async fn a_bad_spec_and_a_gateway_someone_else_made_are_refused_and_protection_keeps_it() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "2"]);
    let env = Env::against(&unique("gateway-refused"), &double.url).await;
    let bad_name = unique("edge");
    let bad = manifest("bad", &bad_name, "").replace("maxAlbCount: 2", "maxAlbCount: 2, port: 80");
    env.apply::<EcsGateway>(&bad).await;
    env.wait_for::<EcsGateway>("bad", WAIT, |g| {
        synced_false_with(g, "InvalidSpec", "spec.configuration.hostSharedAlb.port")
    })
    .await;
    assert!(
        !gateway_exists(&env, &bad_name).await,
        "no AWS call for a bad spec"
    );

    let taken = unique("edge");
    env.ecs
        .create_gateway()
        .name(&taken)
        .infrastructure_role_arn(ROLE)
        .configuration(aws_sdk_ecs::types::GatewayConfiguration::HostSharedAlb(
            aws_sdk_ecs::types::HostSharedAlbConfiguration::builder().build(),
        ))
        .send()
        .await
        .expect("CreateGateway");
    env.apply::<EcsGateway>(&manifest("theirs", &taken, ""))
        .await;
    env.wait_for::<EcsGateway>("theirs", WAIT, |g| {
        synced_false_with(g, "AlreadyExists", &taken)
    })
    .await;
    env.delete::<EcsGateway>("theirs").await;
    env.wait_gone::<EcsGateway>("theirs", WAIT).await;
    assert!(
        gateway_exists(&env, &taken).await,
        "someone else's gateway is left alone"
    );

    // ECS's default deletion protection keeps the gateway until the spec turns it off.
    let kept = unique("edge");
    env.apply::<EcsGateway>(&manifest("kept", &kept, "")).await;
    env.wait_for::<EcsGateway>("kept", WAIT, is_ready).await;
    env.delete::<EcsGateway>("kept").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        gateway_exists(&env, &kept).await,
        "deletion protection holds it"
    );
    env.patch::<EcsGateway>("kept", json!({"spec": {"deletionProtection": false}}))
        .await;
    env.wait_gone::<EcsGateway>("kept", WAIT).await;
    assert!(!gateway_exists(&env, &kept).await);
    // deletionPolicy: Retain leaves the gateway in ECS.
    let retained = unique("edge");
    env.apply::<EcsGateway>(&manifest(
        "retained",
        &retained,
        "  deletionProtection: false\n  deletionPolicy: Retain\n",
    ))
    .await;
    env.wait_for::<EcsGateway>("retained", WAIT, is_ready).await;
    env.delete::<EcsGateway>("retained").await;
    env.wait_gone::<EcsGateway>("retained", WAIT).await;
    assert!(
        gateway_exists(&env, &retained).await,
        "Retain leaves the gateway"
    );
    env.delete::<EcsGateway>("bad").await;
    env.wait_gone::<EcsGateway>("bad", WAIT).await;
}

#[tokio::test]
async fn a_connected_service_shows_as_a_route_and_the_gateway_goes_with_its_cluster() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "2"]);
    let env = Env::against_with_drift_interval(
        &unique("gateway-routes"),
        &double.url,
        Duration::from_secs(2),
    )
    .await;
    let (apps, family, name) = (unique("apps"), unique("web"), unique("edge"));
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: apps}}\nspec: {{clusterName: {apps}}}\n"
    ))
    .await;
    env.apply::<TaskDefinition>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  family: {family}\n  \
         networkMode: awsvpc\n  requiresCompatibilities: [FARGATE]\n  cpu: \"256\"\n  memory: \"512\"\n  \
         containerDefinitions:\n  - {{name: web, image: nginx, portMappings: [{{containerPort: 8080, name: http}}]}}\n"
    ))
    .await;
    env.apply::<EcsGateway>(&manifest(
        "edge",
        &name,
        "  deletionProtection: false\n  clusterRefs: [{name: apps}]\n",
    ))
    .await;
    env.wait_for::<EcsGateway>("edge", WAIT, is_ready).await;
    env.apply::<EcsService>(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {name: web}\nspec:\n  clusterRef: {name: apps}\n  \
         taskDefinitionRef: {name: web}\n  desiredCount: 1\n  launchType: FARGATE\n  networkConfiguration:\n    \
         awsvpcConfiguration: {subnets: [subnet-0a1]}\n  gatewayConnectors: [{portName: http}]\n",
    )
    .await;
    let routed = env
        .wait_for::<EcsGateway>("edge", WAIT, |g| {
            g.status.as_ref().and_then(|s| s.route_count) == Some(1)
        })
        .await;
    let status = routed.status.expect("a status");
    assert_eq!(
        status.routes[0].service_container_port_name.as_deref(),
        Some("http")
    );
    assert_eq!(status.load_balancers.len(), 1, "{status:?}");
    // The service's connectors removed ([]): ECS removes its route.
    env.patch::<EcsService>("web", json!({"spec": {"gatewayConnectors": []}}))
        .await;
    env.wait_for::<EcsGateway>("edge", WAIT, |g| {
        g.status.as_ref().and_then(|s| s.route_count) == Some(0)
    })
    .await;
    // The gateway, its cluster and the service go together: nothing is left in ECS.
    env.delete::<EcsService>("web").await;
    env.delete::<EcsGateway>("edge").await;
    env.delete::<EcsCluster>("apps").await;
    env.wait_gone::<EcsService>("web", WAIT).await;
    env.wait_gone::<EcsGateway>("edge", WAIT).await;
    env.wait_gone::<EcsCluster>("apps", WAIT).await;
    assert!(!gateway_exists(&env, &name).await, "the gateway is gone");
    env.delete::<TaskDefinition>("web").await;
    env.wait_gone::<TaskDefinition>("web", WAIT).await;
}

/// A gateway applied before the EcsCluster it names waits for it (DependencyNotReady, retried after 5 minutes), and
/// is woken when the cluster changes: it is associated and Ready within seconds of the cluster, not at the retry.
#[tokio::test]
async fn a_gateway_waiting_for_its_cluster_is_woken_when_the_cluster_is_ready() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let env = Env::against(&unique("gateway-wake"), &double.url).await;
    let (apps, name) = (unique("apps"), unique("edge"));
    env.apply::<EcsGateway>(&manifest(
        "edge",
        &name,
        "  deletionProtection: false\n  clusterRefs: [{name: apps}]\n",
    ))
    .await;
    env.wait_for::<EcsGateway>("edge", WAIT, |g| {
        synced_false_with(g, "DependencyNotReady", "apps")
    })
    .await;
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: apps}}\nspec: {{clusterName: {apps}}}\n"
    ))
    .await;
    env.wait_for::<EcsCluster>("apps", WAIT, |c| {
        c.status
            .as_ref()
            .and_then(|s| condition(&s.conditions, "Ready"))
            .is_some_and(|r| r.status == "True")
    })
    .await;
    env.wait_for::<EcsGateway>("edge", Duration::from_secs(15), is_ready)
        .await;
    assert_eq!(
        associations(&env, &name).await,
        vec![(apps, "ACTIVE".into())]
    );
}
