//! A namespace's binding fixed by a cluster administrator takes effect at once: the objects of a namespace wake
//! when an `EcsAccount` that selects it changes, not at their next retry (a minute for an account error) or drift
//! check.

use std::time::{Duration, Instant};

use ecs_bridge::api::EcsCluster;

use crate::accounts::{create_account, delete_account};
use crate::harness::{Env, condition, unique};

const WAIT: Duration = Duration::from_secs(60);
/// Well under the first retry of an account error (60 s) and the drift interval of this test.
const AT_ONCE: Duration = Duration::from_secs(20);

#[tokio::test]
async fn an_ambiguous_binding_fixed_by_removing_an_account_takes_effect_at_once() {
    let env = Env::with_drift_interval("acct-wake", Duration::from_secs(600)).await;
    let (kept, extra) = (unique("kept"), unique("extra"));
    for (name, account_id) in [(&kept, "555555555555"), (&extra, "666666666666")] {
        create_account(
            &env.client,
            name,
            account_id,
            &["us-east-1"],
            &[&env.namespace],
        )
        .await;
    }
    let cluster = unique("wake");
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: main}}\nspec: {{clusterName: {cluster}}}\n"
    ))
    .await;
    env.wait_for::<EcsCluster>("main", WAIT, |c| {
        c.status
            .as_ref()
            .and_then(|s| condition(&s.conditions, "Synced"))
            .is_some_and(|s| s.status == "False" && s.reason == "AmbiguousAccount")
    })
    .await;

    // The administrator removes the second account: the cluster is created in the one left, at once.
    let fixed = Instant::now();
    delete_account(&env.client, &extra).await;
    let ready = env
        .wait_for::<EcsCluster>("main", AT_ONCE, |c| {
            c.status.as_ref().is_some_and(|s| {
                condition(&s.conditions, "Ready").is_some_and(|r| {
                    r.status == "True" && r.observed_generation == c.metadata.generation
                })
            })
        })
        .await;
    println!(
        "Ready {:.1} s after the binding was fixed",
        fixed.elapsed().as_secs_f64()
    );
    assert_eq!(
        ready.status.as_ref().unwrap().account.as_deref(),
        Some(kept.as_str())
    );

    env.delete::<EcsCluster>("main").await;
    env.wait_gone::<EcsCluster>("main", WAIT).await;
    delete_account(&env.client, &kept).await;
}
