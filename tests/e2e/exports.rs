//! `spec.exportTo`: AWS identities in a ConfigMap shared by several objects, beside the user's own keys, written
//! only when they change, and gone with the field or the object (and the ConfigMap, when only we wrote it).

use std::collections::BTreeMap;
use std::time::Duration;

use ecs_bridge::api::{EcsCluster, TaskDefinition};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::cluster::is_ready as cluster_ready;
use crate::harness::{Env, eventually, eventually_some, unique};
use crate::task_definition::{manifest as td_manifest, ready_at, web_spec};

const WAIT: Duration = Duration::from_secs(60);

fn cluster_yaml(ecs_name: &str, export: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: main}}\nspec:\n  clusterName: {ecs_name}\n{export}"
    )
}

async fn data(env: &Env, name: &str) -> Option<BTreeMap<String, String>> {
    let config_map = env
        .api::<ConfigMap>()
        .get_opt(name)
        .await
        .expect("get ConfigMap")?;
    Some(config_map.data.unwrap_or_default())
}

fn keys_of<'a>(data: &'a BTreeMap<String, String>, prefix: &str) -> Vec<&'a str> {
    data.keys()
        .map(String::as_str)
        .filter(|k| k.starts_with(prefix))
        .collect()
}

#[tokio::test]
async fn two_objects_share_a_config_map_beside_the_users_keys_and_take_their_keys_with_them() {
    let env = Env::new("exports").await;
    let (cluster_name, family) = (unique("c"), unique("td"));
    let export = "  exportTo: {configMapName: ecs-ids}\n";
    env.apply::<EcsCluster>(&cluster_yaml(&cluster_name, export))
        .await;
    let mut td_spec = web_spec("nginx:1.27", json!([]));
    td_spec["exportTo"] = json!({"configMapName": "ecs-ids"});
    env.apply::<TaskDefinition>(&td_manifest("web", &family, td_spec.clone()))
        .await;
    let cluster = env
        .wait_for::<EcsCluster>("main", WAIT, cluster_ready)
        .await;
    let td = env
        .wait_for::<TaskDefinition>("web", WAIT, |t| ready_at(t).is_some())
        .await;

    let shared = eventually_some(WAIT, "both objects' keys in ecs-ids", || async {
        data(&env, "ecs-ids").await.filter(|d| {
            d.contains_key("ecscluster.main.arn") && d.contains_key("taskdefinition.web.latestArn")
        })
    })
    .await;
    let cluster_status = cluster.status.clone().unwrap();
    assert_eq!(
        shared.get("ecscluster.main.arn"),
        cluster_status.arn.as_ref()
    );
    assert_eq!(shared["ecscluster.main.clusterName"], cluster_name);
    let td_status = td.status.clone().unwrap();
    assert_eq!(shared["taskdefinition.web.family"], family);
    assert_eq!(shared["taskdefinition.web.revision"], "1");
    assert_eq!(
        shared.get("taskdefinition.web.latestArn"),
        td_status.latest_arn.as_ref()
    );
    assert_eq!(cluster_status.exported_to.as_deref(), Some("ecs-ids"));

    // The user's own key beside ours, by their own field manager.
    let user = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ecs-ids"}, "data": {"team": "shop"}});
    env.api::<ConfigMap>()
        .patch(
            "ecs-ids",
            &PatchParams::apply("someone"),
            &Patch::Apply(&user),
        )
        .await
        .expect("the user's key");
    let before = env
        .api::<ConfigMap>()
        .get("ecs-ids")
        .await
        .unwrap()
        .metadata
        .resource_version;
    // A reconcile of both (annotations wake them) writes nothing when nothing changed.
    for (kind, name) in [("cluster", "main"), ("td", "web")] {
        let poke = json!({"metadata": {"annotations": {"e2e/poke": "1"}}});
        match kind {
            "cluster" => env.patch::<EcsCluster>(name, poke).await,
            _ => env.patch::<TaskDefinition>(name, poke).await,
        }
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = env
        .api::<ConfigMap>()
        .get("ecs-ids")
        .await
        .unwrap()
        .metadata
        .resource_version;
    assert_eq!(
        before, after,
        "no ConfigMap write when the identities did not change"
    );

    // The field goes from the cluster (as GitOps removes it): only its keys go.
    env.apply::<EcsCluster>(&cluster_yaml(&cluster_name, ""))
        .await;
    eventually(WAIT, "the cluster's keys to go", || async {
        data(&env, "ecs-ids")
            .await
            .is_some_and(|d| keys_of(&d, "ecscluster.").is_empty())
    })
    .await;
    let left = data(&env, "ecs-ids").await.unwrap();
    assert_eq!(keys_of(&left, "taskdefinition.web.").len(), 3, "{left:?}");
    assert_eq!(left["team"], "shop");

    // The task definition goes: its keys go, the user's key and so the ConfigMap stay.
    env.delete::<TaskDefinition>("web").await;
    env.wait_gone::<TaskDefinition>("web", WAIT).await;
    let left = data(&env, "ecs-ids")
        .await
        .expect("the user's ConfigMap stays");
    assert_eq!(left.keys().collect::<Vec<_>>(), ["team"]);

    // A ConfigMap only the operator wrote goes with the last object exporting into it.
    env.apply::<EcsCluster>(&cluster_yaml(
        &cluster_name,
        "  exportTo: {configMapName: only-ours}\n",
    ))
    .await;
    eventually(WAIT, "the cluster's keys in only-ours", || async {
        data(&env, "only-ours")
            .await
            .is_some_and(|d| d.contains_key("ecscluster.main.arn"))
    })
    .await;
    env.delete::<EcsCluster>("main").await;
    env.wait_gone::<EcsCluster>("main", WAIT).await;
    assert!(
        data(&env, "only-ours").await.is_none(),
        "an emptied ConfigMap of ours is deleted"
    );
}

#[tokio::test]
async fn a_key_someone_else_writes_is_not_taken_over() {
    let env = Env::new("exports-conflict").await;
    let theirs = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ids"}, "data": {"ecscluster.main.arn": "theirs"}});
    env.api::<ConfigMap>()
        .patch(
            "ids",
            &PatchParams::apply("someone"),
            &Patch::Apply(&theirs),
        )
        .await
        .expect("their key");
    env.apply::<EcsCluster>(&cluster_yaml(
        &unique("c"),
        "  exportTo: {configMapName: ids}\n",
    ))
    .await;
    let refused = env
        .wait_for::<EcsCluster>("main", WAIT, |c| {
            c.status.as_ref().is_some_and(|s| {
                s.conditions.iter().any(|c| {
                    c.type_ == "Synced" && c.status == "False" && c.reason == "InvalidSpec"
                })
            })
        })
        .await;
    let message = &refused
        .status
        .unwrap()
        .conditions
        .iter()
        .find(|c| c.type_ == "Synced")
        .unwrap()
        .message
        .clone();
    assert!(
        message.contains("spec.exportTo") && message.contains("ids"),
        "{message}"
    );
    assert_eq!(
        data(&env, "ids").await.unwrap()["ecscluster.main.arn"],
        "theirs"
    );
}
