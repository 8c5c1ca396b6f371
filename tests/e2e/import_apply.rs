//! The output of `ecs-bridge import`, applied with kubectl to a namespace the operator watches: every object
//! Ready without a single AWS write or new revision; then one service handed over (read-only removed) takes a
//! new desired count to ECS.

use std::time::Duration;

use ecs_bridge::api::{CapacityProvider, EcsCluster, EcsService, TaskDefinition};
use kube::api::ListParams;

use crate::harness::{Env, Kind, condition, eventually_some, unique};
use crate::import_diff::{client, ecs_bridge, seed_estate, text, writes};
use crate::tools::{kubectl, must};

/// The names of the objects of kind `K` that are not Ready yet (None: some are not).
pub(crate) async fn all_ready<K>(
    env: &Env,
    conditions: impl Fn(&K) -> Vec<ecs_bridge::api::Condition>,
) -> Option<usize>
where
    K: Kind,
{
    let objects = env
        .api::<K>()
        .list(&ListParams::default())
        .await
        .ok()?
        .items;
    let ready = objects
        .iter()
        .all(|o| condition(&conditions(o), "Ready").is_some_and(|c| c.status == "True"));
    ready.then_some(objects.len())
}

#[tokio::test]
async fn applying_the_import_makes_every_object_ready_without_a_write_and_a_handed_over_service_scales()
 {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let env =
        Env::against_with_drift_interval("imp-apply", &double.url, Duration::from_secs(5)).await;
    let ecs = client(&double).await;
    let clusters = seed_estate(&ecs, &unique("app")).await;
    let dir = std::env::temp_dir().join(unique("import-apply"));
    let mut args = vec![
        "import",
        "--out-dir",
        dir.to_str().unwrap(),
        "--namespace",
        env.namespace.as_str(),
    ];
    for cluster in &clusters {
        args.extend(["--cluster", cluster.as_str()]);
    }
    let out = ecs_bridge(&double, &args);
    assert!(out.status.success(), "{}", text(&out));
    let before = writes(&double);
    must(
        "kubectl apply",
        kubectl(&["apply", "-f", dir.to_str().unwrap()], None),
    );

    let wait = Duration::from_secs(90);
    let counts = eventually_some(wait, "every imported object Ready", || async {
        Some((
            all_ready::<EcsCluster>(&env, |o| o.status.clone().unwrap_or_default().conditions)
                .await?,
            all_ready::<CapacityProvider>(&env, |o| {
                o.status.clone().unwrap_or_default().conditions
            })
            .await?,
            all_ready::<TaskDefinition>(&env, |o| o.status.clone().unwrap_or_default().conditions)
                .await?,
            all_ready::<EcsService>(&env, |o| o.status.clone().unwrap_or_default().conditions)
                .await?,
        ))
    })
    .await;
    assert_eq!(counts, (3, 1, 5, 20));
    // Two drift passes later, still nothing written: no tag, no revision, no deployment.
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(writes(&double), before, "applying the import wrote to AWS");

    let ns = env.namespace.as_str();
    must(
        "hand over",
        kubectl(
            &[
                "-n",
                ns,
                "annotate",
                "ecsservice",
                "svc7",
                "ecsbridge.dev/read-only-",
            ],
            None,
        ),
    );
    must(
        "scale",
        kubectl(
            &[
                "-n",
                ns,
                "patch",
                "ecsservice",
                "svc7",
                "--type=merge",
                "-p",
                r#"{"spec":{"desiredCount":5}}"#,
            ],
            None,
        ),
    );
    // svc7 runs on the second cluster (7 % 3 = 1).
    let cluster = clusters[1].clone();
    eventually_some(wait, "ECS runs svc7 with 5 tasks desired", || async {
        let out = ecs
            .describe_services()
            .cluster(&cluster)
            .services("svc7")
            .send()
            .await
            .ok()?;
        (out.services()[0].desired_count() == 5).then_some(())
    })
    .await;
}
