//! Reads the services of every cluster in DescribeServices calls of 10 a few seconds before each drift check, so
//! that the reconciles of the check (which a bounded number of workers runs one after another, for as long as the
//! pass takes) find their service already read instead of each asking ECS; and, at the same time, the scalable targets of the autoscaled services
//! with what is on them (Application Auto Scaling's batched reads, see `ecs::autoscaling`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kube::runtime::reflector::Store;

use crate::api::{EcsService, EcsServiceStatus};
use crate::ecs::autoscaling::resource_id;
use crate::reconcile::placement::OWN_ACCOUNT;
use crate::reconcile::{Context, drift_period, next_drift_check};

/// How long before a drift check the services are read.
const LEAD: Duration = Duration::from_secs(3);

/// Runs until the process stops.
pub async fn services_before_each_drift_check(services: Store<EcsService>, ctx: Arc<Context>) {
    loop {
        let until_check = next_drift_check(ctx.drift_interval);
        let lead = LEAD.min(until_check);
        tokio::time::sleep(until_check - lead).await;
        // The answers serve the pass about to begin, however long its reconciles take, until the next pass's.
        let valid_for = next_drift_check(ctx.drift_interval) + drift_period(ctx.drift_interval);
        let services_read = async {
            for (cluster, (status, names)) in by_cluster(&services) {
                // A cluster ARN names one account and region: the door of its first service reaches it.
                let Ok(door) = ctx.bindings.recorded(Some(&status), &ctx.accounts).await else {
                    continue;
                };
                match door
                    .ecs
                    .read_services_ahead(&cluster, names, valid_for)
                    .await
                {
                    Ok(found) => {
                        tracing::debug!(cluster = %cluster, found, "read services ahead of the drift check")
                    }
                    Err(err) => {
                        tracing::warn!(cluster = %cluster, error = %err, "could not read services ahead of the drift check")
                    }
                }
            }
        };
        let targets_read = async {
            let targets = autoscaled(&services);
            if targets.is_empty() {
                return;
            }
            if let Err(err) = ctx.ecs.prefetch_scaling(targets).await {
                tracing::warn!(error = %err, "could not read Application Auto Scaling ahead of the drift check");
            }
        };
        tokio::join!(services_read, targets_read);
        // Past the check, so the next round aims at the one after it.
        tokio::time::sleep(lead + Duration::from_secs(1)).await;
    }
}

/// The scalable targets of the created services that have `autoScaling` or had it (status remembers it), not
/// being deleted.
fn autoscaled(services: &Store<EcsService>) -> Vec<String> {
    services
        .state()
        .iter()
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .filter_map(|s| {
            let status = s.status.as_ref()?;
            // Other accounts' services read their targets themselves: one listing reaches one account.
            if status.account.as_deref().is_some_and(|a| a != OWN_ACCOUNT) {
                return None;
            }
            if s.spec.auto_scaling.is_none() && status.auto_scaling.is_none() {
                return None;
            }
            let (cluster, name) = (status.cluster_arn.as_ref()?, status.service_name.as_ref()?);
            Some(resource_id(cluster, name))
        })
        .collect()
}

/// The names of the created services that are not being deleted, by cluster ARN, with the status of the first
/// (which says the account and region of the cluster).
fn by_cluster(services: &Store<EcsService>) -> BTreeMap<String, (EcsServiceStatus, Vec<String>)> {
    let mut grouped: BTreeMap<String, (EcsServiceStatus, Vec<String>)> = BTreeMap::new();
    for service in services.state() {
        if service.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let Some(status) = &service.status else {
            continue;
        };
        if let (Some(cluster), Some(name)) = (&status.cluster_arn, &status.service_name) {
            grouped
                .entry(cluster.clone())
                .or_insert_with(|| (status.clone(), Vec::new()))
                .1
                .push(name.clone());
        }
    }
    grouped
}
