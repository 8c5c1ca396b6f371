//! `ecs-bridge diff -f FILE|DIR`: for each manifest, where ECS differs from it and the AWS calls the operator would
//! make, from the operator's own pure plan functions; reads manifests from files only (no cluster, no CRDs) and ECS
//! with read calls only. Exit code 0: nothing would change; 1: something would; 2: an error (like `kubectl diff`).

pub mod manifests;
pub mod plan;
pub mod plan_capacity;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use futures::future::try_join_all;
use kube::ResourceExt;

use crate::controllers::capacity_provider::validate::provider_name;
use crate::controllers::cluster::capacity::Referenced;
use crate::controllers::cluster::validate::cluster_name;
use crate::controllers::service::validate::service_name;
use crate::controllers::task_definition::validate::family;
use crate::ecs::{Ecs, EcsSettings};
use crate::metrics::Metrics;
use crate::reconcile::Managed;
use manifests::Manifests;
use plan::ObjectDiff;

/// Settings of `ecs-bridge diff`.
#[derive(clap::Args, Debug, Clone)]
pub struct DiffSettings {
    /// A manifest file, or a directory of them (`*.yaml`, `*.yml`, `*.json`, read recursively).
    #[arg(short = 'f', long = "filename")]
    pub filename: PathBuf,
    /// Namespace of the manifests that name none.
    #[arg(long, default_value = "default")]
    pub namespace: String,
    /// AWS region; the standard AWS settings (AWS_REGION, profile) apply when unset.
    #[arg(long, env = "ECSB_REGION")]
    pub region: Option<String>,
}

/// Runs `diff` and returns its exit code.
pub async fn run(settings: &DiffSettings) -> u8 {
    let manifests = match Manifests::read(&settings.filename, &settings.namespace) {
        Ok(manifests) => manifests,
        Err(err) => {
            eprintln!("ecs-bridge diff: {err}");
            return 2;
        }
    };
    if let Err(err) = validate(&manifests) {
        eprintln!("ecs-bridge diff: {err}");
        return 2;
    }
    let ecs_settings = EcsSettings {
        region: settings.region.clone(),
        ..EcsSettings::default()
    };
    let ecs = Ecs::from_env(&ecs_settings, Arc::new(Metrics::default())).await;
    match plan_all(&ecs, &manifests).await {
        Ok(diffs) => {
            print!("{}", report(&diffs, &manifests.skipped));
            u8::from(diffs.iter().any(|d| d.changes() || d.refusal.is_some()))
        }
        Err(err) => {
            eprintln!("ecs-bridge diff: {err}");
            2
        }
    }
}

/// The operator's own validation of every manifest, before any AWS call.
pub fn validate(manifests: &Manifests) -> Result<(), String> {
    fn check<K: Managed>(objects: &[K]) -> Result<(), String> {
        objects.iter().try_for_each(|obj| {
            obj.validate()
                .map_err(|e| format!("{} {}: {e}", K::kind(&()), obj.name_any()))
        })
    }
    check(&manifests.providers)?;
    check(&manifests.clusters)?;
    check(&manifests.task_definitions)?;
    check(&manifests.services)
}

fn owner<K: kube::Resource>(obj: &K) -> String {
    format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}

/// Plans every manifest against the live account: providers, clusters, task definitions, then services (which
/// follow the revision their task definition would have).
pub async fn plan_all(ecs: &Ecs, manifests: &Manifests) -> Result<Vec<ObjectDiff>, String> {
    let aws = |e: crate::ecs::AwsError| e.to_string();
    let mut diffs = Vec::new();
    let mut providers = BTreeMap::new();
    // Each kind's lookups are made at once, so that the door's batches fill (one call for many objects).
    let found = try_join_all(manifests.providers.iter().map(|p| async move {
        ecs.describe_capacity_provider(p.spec.cluster.as_deref(), &provider_name(p))
            .await
    }))
    .await
    .map_err(aws)?;
    for (provider, observed) in manifests.providers.iter().zip(found) {
        let name = provider_name(provider);
        let key = (
            provider.namespace().unwrap_or_default(),
            provider.name_any(),
        );
        providers.insert(
            key,
            Referenced {
                object: provider.name_any(),
                ecs_name: name.clone(),
                managed_instances: provider.spec.managed_instances_provider.is_some(),
                exists: observed.is_some(),
            },
        );
        diffs.push(plan_capacity::provider(
            provider,
            &name,
            &owner(provider),
            observed.as_ref(),
        ));
    }
    let mut cluster_names = BTreeMap::new();
    let found = try_join_all(
        manifests
            .clusters
            .iter()
            .map(|c| async move { ecs.describe_cluster(&cluster_name(c)).await }),
    )
    .await
    .map_err(aws)?;
    for (cluster, observed) in manifests.clusters.iter().zip(found) {
        let name = cluster_name(cluster);
        let namespace = cluster.namespace().unwrap_or_default();
        cluster_names.insert((namespace.clone(), cluster.name_any()), name.clone());
        let mut referenced = Vec::new();
        for reference in &cluster.spec.capacity_provider_refs {
            let found = providers.get(&(namespace.clone(), reference.name.clone()));
            referenced.push(found.cloned().ok_or_else(|| {
                format!(
                    "EcsCluster {}: spec.capacityProviderRefs names CapacityProvider {}, which is not among the \
                     manifests given; add its file",
                    cluster.name_any(),
                    reference.name
                )
            })?);
        }
        diffs.push(plan_capacity::cluster(
            cluster,
            &name,
            &owner(cluster),
            &referenced,
            observed.as_ref(),
        ));
    }
    let mut revisions = BTreeMap::new();
    let found = try_join_all(
        manifests
            .task_definitions
            .iter()
            .map(|td| async move { ecs.describe_task_definition(&family(td)).await }),
    )
    .await
    .map_err(aws)?;
    for (td, latest) in manifests.task_definitions.iter().zip(found) {
        let family = family(td);
        let (diff, runs) = plan::task_definition(td, &family, &owner(td), latest.as_ref());
        let new_revision = diff
            .calls
            .iter()
            .any(|c| c.starts_with("RegisterTaskDefinition"));
        revisions.insert(
            (td.namespace().unwrap_or_default(), td.name_any()),
            (runs, new_revision && !diff.read_only),
        );
        diffs.push(diff);
    }
    let mut resolved = Vec::new();
    for svc in &manifests.services {
        let namespace = svc.namespace().unwrap_or_default();
        let missing = |field: &str, kind: &str, name: &str| {
            format!(
                "EcsService {}: spec.{field} names {kind} {name}, which is not among the manifests given; add its \
                 file",
                svc.name_any()
            )
        };
        let cluster = match (&svc.spec.cluster_ref, &svc.spec.cluster) {
            (Some(r), _) => cluster_names
                .get(&(namespace.clone(), r.name.clone()))
                .cloned()
                .ok_or_else(|| missing("clusterRef", "EcsCluster", &r.name))?,
            (None, Some(cluster)) => cluster.clone(),
            (None, None) => "default".to_owned(),
        };
        let (task_definition, new_revision) =
            match (&svc.spec.task_definition_ref, &svc.spec.task_definition) {
                (Some(r), _) => revisions
                    .get(&(namespace.clone(), r.name.clone()))
                    .cloned()
                    .ok_or_else(|| missing("taskDefinitionRef", "TaskDefinition", &r.name))?,
                (None, Some(td)) => (td.clone(), false),
                (None, None) => (String::new(), false),
            };
        resolved.push((svc, cluster, task_definition, new_revision));
    }
    let found = try_join_all(resolved.iter().map(|(svc, cluster, _, _)| async move {
        ecs.describe_service(cluster, &service_name(svc)).await
    }))
    .await
    .map_err(aws)?;
    for ((svc, cluster, task_definition, new_revision), observed) in resolved.into_iter().zip(found)
    {
        let name = service_name(svc);
        diffs.push(plan::service(
            svc,
            format!("service {name} in cluster {cluster}"),
            &owner(svc),
            &task_definition,
            new_revision,
            observed.as_ref(),
        ));
    }
    Ok(diffs)
}

/// The printed report: one block per object, then a summary line.
pub fn report(diffs: &[ObjectDiff], skipped: &[String]) -> String {
    let mut out = String::new();
    for diff in diffs {
        out.push_str(&format!(
            "{} ({}): {}\n",
            diff.object, diff.ecs, diff.headline
        ));
        for drift in &diff.drift {
            out.push_str(&format!(
                "  ~ {}: ECS {} -> spec {}\n",
                drift.path, drift.ecs, drift.spec
            ));
        }
        for call in &diff.calls {
            out.push_str(&format!("  call: {call}\n"));
        }
        if let Some(refusal) = &diff.refusal {
            out.push_str(&format!("  refused: {refusal}\n"));
        }
    }
    for object in skipped {
        out.push_str(&format!("{object}: not planned by diff\n"));
    }
    let changing: Vec<String> = diffs
        .iter()
        .filter(|d| d.changes() || d.refusal.is_some())
        .map(|d| format!("{} ({})", d.object, d.headline))
        .collect();
    if changing.is_empty() {
        out.push_str(&format!("{} objects: nothing would change\n", diffs.len()));
    } else {
        out.push_str(&format!(
            "{} of {} objects would change: {}\n",
            changing.len(),
            diffs.len(),
            changing.join(", ")
        ));
    }
    out
}
