//! `ecs-bridge import` on moto, the account seeded by boto3 (not by the operator): the import applied with kubectl
//! makes every object Ready, and moto shows nothing written: no new revision, no ownership tag, no deployment
//! (moto keeps no request log unless started with recording, so its state is the witness).

use std::process::Command;
use std::time::Duration;

use ecs_bridge::api::{CapacityProvider, EcsCluster, EcsService, TaskDefinition};

use crate::harness::{Env, eventually_some, unique};
use crate::import_apply::all_ready;
use crate::tools::{kubectl, must, tools_dir};

/// The revisions, tags and deployments of the account's services: what any write would change.
async fn footprint(ecs: &aws_sdk_ecs::Client, prefix: &str, clusters: &[String]) -> Vec<String> {
    let mut seen = Vec::new();
    for cluster in clusters {
        let names: Vec<String> = (0..20)
            .map(|s| format!("svc{s}"))
            .filter(|s| {
                let index: usize = s[3..].parse().unwrap();
                clusters[index % 3] == *cluster
            })
            .collect();
        let out = ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(names))
            .include(aws_sdk_ecs::types::ServiceField::Tags)
            .send()
            .await
            .unwrap();
        for service in out.services() {
            let tags: Vec<String> = service
                .tags()
                .iter()
                .map(|t| format!("{:?}={:?}", t.key(), t.value()))
                .collect();
            seen.push(format!(
                "{} {:?} {} deployments {:?}",
                service.service_name().unwrap_or_default(),
                service.task_definition(),
                service.deployments().len(),
                tags
            ));
        }
    }
    // Only this test's families: moto is shared with the other tests.
    let listed = ecs
        .list_task_definitions()
        .family_prefix(prefix)
        .send()
        .await
        .unwrap();
    seen.push(format!("{:?}", listed.task_definition_arns()));
    seen
}

#[tokio::test]
async fn boto3_seeded_account_imports_and_diffs_clean_on_moto() {
    let mut env = Env::with_drift_interval("imp-moto", Duration::from_secs(5)).await;
    let prefix = unique("moto");
    let python = tools_dir().parent().unwrap().join("moto-venv/bin/python");
    let seeded = Command::new(&python)
        .arg(crate::tools::repo().join("tests/fixtures/import/seed_estate.py"))
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let clusters: Vec<String> = String::from_utf8_lossy(&seeded.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let dir = std::env::temp_dir().join(unique("import-moto"));
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
    let out = Command::new(env!("CARGO_BIN_EXE_ecs-bridge"))
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diff = Command::new(env!("CARGO_BIN_EXE_ecs-bridge"))
        .args(["diff", "-f", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );
    let before = footprint(&env.ecs, &prefix, &clusters).await;

    must(
        "kubectl apply",
        kubectl(&["apply", "-f", dir.to_str().unwrap()], None),
    );
    let counts = eventually_some(
        Duration::from_secs(90),
        "every imported object Ready on moto",
        || async {
            Some((
                all_ready::<EcsCluster>(&env, |o| o.status.clone().unwrap_or_default().conditions)
                    .await?,
                all_ready::<CapacityProvider>(&env, |o| {
                    o.status.clone().unwrap_or_default().conditions
                })
                .await?,
                all_ready::<TaskDefinition>(&env, |o| {
                    o.status.clone().unwrap_or_default().conditions
                })
                .await?,
                all_ready::<EcsService>(&env, |o| o.status.clone().unwrap_or_default().conditions)
                    .await?,
            ))
        },
    )
    .await;
    assert_eq!(counts, (3, 1, 5, 20));
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(
        footprint(&env.ecs, &prefix, &clusters).await,
        before,
        "applying the import changed moto's ECS"
    );
    env.stop_operator();
}
