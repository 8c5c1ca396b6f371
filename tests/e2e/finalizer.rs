//! The operator's finalizer on an object older than the API server's copy, as a reconcile holds it when the watch
//! that brings changes lags (at 10,000 services it lagged by over 15 s, and every reconcile of a new service then
//! failed with a conflict): it is added and removed all the same, and another controller's finalizer stays.

use ecs_bridge::api::EcsCluster;
use ecs_bridge::api::common::FINALIZER;
use ecs_bridge::reconcile::finalizer;
use kube::ResourceExt;
use serde_json::json;

use crate::harness::Env;

const OTHERS: &str = "example.com/keep";

#[tokio::test]
async fn the_finalizer_is_added_and_removed_on_an_object_the_watch_has_not_caught_up_with() {
    let env = Env::without_operator("finalizer").await;
    let api = env.api::<EcsCluster>();
    let held = env
        .apply::<EcsCluster>(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {name: main}\nspec: {}\n",
        )
        .await;
    // Someone else changes the object after the reconcile read it: what it holds is older than the server's.
    env.patch::<EcsCluster>("main", json!({"metadata": {"finalizers": [OTHERS]}}))
        .await;

    finalizer::add(&api, &held)
        .await
        .expect("add on an older copy");
    let now = api.get("main").await.unwrap();
    assert_eq!(now.finalizers(), [OTHERS.to_owned(), FINALIZER.to_owned()]);

    env.patch::<EcsCluster>("main", json!({"metadata": {"labels": {"team": "web"}}}))
        .await;
    finalizer::remove(&api, &now)
        .await
        .expect("remove on an older copy");
    assert_eq!(
        api.get("main").await.unwrap().finalizers(),
        [OTHERS.to_owned()]
    );
    // Its namespace can go.
    env.patch::<EcsCluster>("main", json!({"metadata": {"finalizers": null}}))
        .await;
}
