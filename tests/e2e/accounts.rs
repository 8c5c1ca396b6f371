//! Many accounts from one Kubernetes cluster, on moto (whose STS AssumeRole hands out credentials that act in the
//! role's account): `EcsAccount`s bound to namespaces keep same-named ECS objects apart in their accounts, a
//! namespace bound to none stays in the operator's own account and cannot reach theirs, a region the account does
//! not allow is refused, and an object whose binding changes keeps its recorded account.

use std::time::Duration;

use aws_config::sts::AssumeRoleProvider;
use ecs_bridge::api::{EcsAccount, EcsCluster, EcsService, TaskDefinition};
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::{Api, Client};
use serde_json::json;

use crate::harness::{Env, condition, unique};

const WAIT: Duration = Duration::from_secs(60);

/// Creates an `EcsAccount` for the role of `account_id`, bound to `namespaces`.
pub async fn create_account(
    client: &Client,
    name: &str,
    account_id: &str,
    regions: &[&str],
    namespaces: &[&str],
) {
    let account = json!({
        "apiVersion": "ecsbridge.dev/v1alpha1",
        "kind": "EcsAccount",
        "metadata": {"name": name},
        "spec": {
            "roleArn": format!("arn:aws:iam::{account_id}:role/ecs-bridge"),
            "sessionTags": {"team": name},
            "regions": regions,
            "namespaceSelector": {"matchNames": namespaces},
        },
    });
    Api::<EcsAccount>::all(client.clone())
        .patch(
            name,
            &PatchParams::apply("e2e").force(),
            &Patch::Apply(&account),
        )
        .await
        .expect("create EcsAccount");
}

pub async fn delete_account(client: &Client, name: &str) {
    let _ = Api::<EcsAccount>::all(client.clone())
        .delete(name, &DeleteParams::default())
        .await;
}

/// An SDK client of our own acting in `account_id`, through moto's STS.
async fn ecs_in(account_id: &str) -> aws_sdk_ecs::Client {
    let base = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let role = AssumeRoleProvider::builder(format!("arn:aws:iam::{account_id}:role/ecs-bridge"))
        .configure(&base)
        .session_name("e2e")
        .build()
        .await;
    let config = base
        .into_builder()
        .credentials_provider(aws_sdk_ecs::config::SharedCredentialsProvider::new(role))
        .build();
    aws_sdk_ecs::Client::new(&config)
}

/// The owner tag of the ACTIVE cluster `name` that `ecs` sees, if any.
async fn cluster_owner(ecs: &aws_sdk_ecs::Client, name: &str) -> Option<String> {
    let out = ecs
        .describe_clusters()
        .clusters(name)
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .send()
        .await
        .expect("DescribeClusters");
    let cluster = out
        .clusters()
        .iter()
        .find(|c| c.status() == Some("ACTIVE"))?;
    cluster
        .tags()
        .iter()
        .find(|t| t.key() == Some("ecsbridge.dev/owner"))
        .and_then(|t| t.value().map(str::to_owned))
}

fn stack(cluster: &str, family: &str, service: &str) -> [String; 3] {
    [
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: main}}\nspec: {{clusterName: {cluster}}}\n"
        ),
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  family: {family}\n  containerDefinitions:\n  - {{name: web, image: nginx, memory: 256}}\n"
        ),
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec:\n  serviceName: {service}\n  clusterRef: {{name: main}}\n  taskDefinitionRef: {{name: web}}\n  desiredCount: 2\n  launchType: EC2\n"
        ),
    ]
}

fn synced(conditions: &[ecs_bridge::api::Condition]) -> Option<(String, String, String)> {
    condition(conditions, "Synced").map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
}

fn ready(conditions: &[ecs_bridge::api::Condition], generation: Option<i64>) -> bool {
    condition(conditions, "Ready")
        .is_some_and(|c| c.status == "True" && c.observed_generation == generation)
}

/// Applies the cluster, task definition and service and waits until the service is Ready.
async fn converge(env: &Env, cluster: &str, family: &str, service: &str) -> EcsService {
    let [c, td, svc] = stack(cluster, family, service);
    env.apply::<EcsCluster>(&c).await;
    env.apply::<TaskDefinition>(&td).await;
    env.apply::<EcsService>(&svc).await;
    env.wait_for::<EcsService>("web", WAIT, |s| {
        s.status
            .as_ref()
            .is_some_and(|st| ready(&st.conditions, s.metadata.generation))
    })
    .await
}

#[tokio::test]
async fn two_accounts_hold_same_named_objects_apart_and_an_unbound_namespace_cannot_reach_them() {
    let a = Env::new("acct-a").await;
    let b = Env::new("acct-b").await;
    let c = Env::new("acct-c").await;
    let (name_a, name_b) = (unique("team-a"), unique("team-b"));
    create_account(
        &a.client,
        &name_a,
        "111111111111",
        &["us-east-1", "us-west-2"],
        &[&a.namespace],
    )
    .await;
    create_account(
        &a.client,
        &name_b,
        "222222222222",
        &["us-east-1"],
        &[&b.namespace],
    )
    .await;
    let (cluster, family, service) = (unique("acl"), unique("acf"), unique("acs"));

    for (env, account, id) in [(&a, &name_a, "111111111111"), (&b, &name_b, "222222222222")] {
        let svc = converge(env, &cluster, &family, &service).await;
        let status = svc.status.expect("status");
        assert_eq!(status.account.as_deref(), Some(account.as_str()));
        assert_eq!(status.region.as_deref(), Some("us-east-1"));
        let td = env.api::<TaskDefinition>().get("web").await.unwrap();
        let latest = td.status.and_then(|s| s.latest_arn).expect("a revision");
        assert!(
            latest.contains(&format!(":{id}:task-definition/{family}:1")),
            "{latest}"
        );
        let arn = status.cluster_arn.expect("cluster ARN");
        assert!(arn.contains(&format!(":{id}:cluster/{cluster}")), "{arn}");
        // Seen independently, in that account: the cluster is this namespace's.
        let owner = cluster_owner(&ecs_in(id).await, &cluster).await;
        assert_eq!(owner, Some(format!("{}/main", env.namespace)));
    }
    // Not in the operator's own account.
    assert_eq!(cluster_owner(&c.ecs, &cluster).await, None);

    // The unbound namespace: its own task definition of the same family lands in the operator's account, and a
    // service naming team A's cluster by ARN is refused before any call.
    let [_, td, _] = stack(&cluster, &family, &service);
    c.apply::<TaskDefinition>(&td).await;
    let own = c
        .wait_for::<TaskDefinition>("web", WAIT, |t| {
            t.status.as_ref().is_some_and(|s| s.latest_arn.is_some())
        })
        .await;
    let own_status = own.status.unwrap();
    assert_eq!(own_status.account.as_deref(), Some("(operator)"));
    let own_arn = own_status.latest_arn.unwrap();
    assert!(
        !own_arn.contains(":111111111111:") && !own_arn.contains(":222222222222:"),
        "{own_arn}"
    );
    let a_cluster = a
        .api::<EcsCluster>()
        .get("main")
        .await
        .unwrap()
        .status
        .unwrap()
        .arn
        .unwrap();
    c.apply::<EcsService>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: reach}}\nspec:\n  cluster: \"{a_cluster}\"\n  taskDefinition: {family}\n  desiredCount: 1\n  launchType: EC2\n"
    ))
    .await;
    let refused = c
        .wait_for::<EcsService>("reach", WAIT, |s| {
            s.status
                .as_ref()
                .and_then(|st| synced(&st.conditions))
                .is_some_and(|c| c.0 == "False")
        })
        .await;
    let (_, reason, message) = synced(&refused.status.unwrap().conditions).unwrap();
    assert_eq!(reason, "InvalidSpec", "{message}");
    assert!(
        message.contains("same account and region") && message.contains("111111111111"),
        "{message}"
    );
    // Team A's revision is still its only one.
    let a_td = a.api::<TaskDefinition>().get("web").await.unwrap();
    assert_eq!(a_td.status.unwrap().revision, Some(1));

    for env in [&a, &b] {
        env.delete::<EcsService>("web").await;
        env.wait_gone::<EcsService>("web", WAIT).await;
        env.delete::<EcsCluster>("main").await;
        env.wait_gone::<EcsCluster>("main", WAIT).await;
    }
    c.delete::<EcsService>("reach").await;
    delete_account(&a.client, &name_a).await;
    delete_account(&a.client, &name_b).await;
}

#[tokio::test]
async fn a_region_not_allowed_is_refused_and_a_changed_binding_moves_nothing() {
    let env = Env::with_drift_interval("acct-move", Duration::from_secs(5)).await;
    let (first, second) = (unique("first"), unique("second"));
    create_account(
        &env.client,
        &first,
        "333333333333",
        &["us-east-1"],
        &[&env.namespace],
    )
    .await;
    let cluster = unique("mv");

    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: far}}\nspec: {{clusterName: {cluster}, region: eu-north-1}}\n"
    ))
    .await;
    let far = env
        .wait_for::<EcsCluster>("far", WAIT, |c| {
            c.status
                .as_ref()
                .and_then(|s| synced(&s.conditions))
                .is_some_and(|s| s.0 == "False")
        })
        .await;
    let (_, reason, message) = synced(&far.status.unwrap().conditions).unwrap();
    assert_eq!(reason, "InvalidSpec");
    assert!(
        message.contains("spec.region \"eu-north-1\"") && message.contains("us-east-1"),
        "{message}"
    );

    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: main}}\nspec: {{clusterName: {cluster}}}\n"
    ))
    .await;
    let placed = env
        .wait_for::<EcsCluster>("main", WAIT, |c| {
            c.status
                .as_ref()
                .is_some_and(|s| ready(&s.conditions, c.metadata.generation))
        })
        .await;
    assert_eq!(
        placed.status.as_ref().unwrap().account.as_deref(),
        Some(first.as_str())
    );

    // The namespace is bound to another account now: the cluster stays where it is and says so.
    Api::<EcsAccount>::all(env.client.clone())
        .patch(
            &first,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"namespaceSelector": {"matchNames": []}}})),
        )
        .await
        .expect("unbind");
    create_account(
        &env.client,
        &second,
        "444444444444",
        &["us-east-1"],
        &[&env.namespace],
    )
    .await;
    let moved = env
        .wait_for::<EcsCluster>("main", WAIT, |c| {
            c.status
                .as_ref()
                .and_then(|s| synced(&s.conditions))
                // Unbound from the first before bound to the second, it may say the operator's own account first.
                .is_some_and(|s| {
                    s.1 == "AccountChanged" && s.2.contains(&format!("EcsAccount {second}"))
                })
        })
        .await;
    let status = moved.status.unwrap();
    assert_eq!(status.account.as_deref(), Some(first.as_str()));
    let (_, _, message) = synced(&status.conditions).unwrap();
    assert!(
        message.contains(&format!("EcsAccount {second}")),
        "{message}"
    );
    assert_eq!(
        cluster_owner(&ecs_in("444444444444").await, &cluster).await,
        None
    );
    assert_eq!(
        cluster_owner(&ecs_in("333333333333").await, &cluster).await,
        Some(format!("{}/main", env.namespace))
    );

    // Deleting it cleans up in its recorded account.
    env.delete::<EcsCluster>("main").await;
    env.wait_gone::<EcsCluster>("main", WAIT).await;
    assert_eq!(
        cluster_owner(&ecs_in("333333333333").await, &cluster).await,
        None
    );
    env.delete::<EcsCluster>("far").await;
    delete_account(&env.client, &first).await;
    delete_account(&env.client, &second).await;
}
