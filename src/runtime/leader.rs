//! Leader election with a coordination.k8s.io Lease: only the holder runs the controllers; a standby takes the
//! Lease once the holder stops renewing it; on shutdown the holder releases it at once.

use std::future::Future;
use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};

/// Where the Lease lives and how long it lasts.
pub struct LeaseSettings {
    pub namespace: String,
    pub name: String,
    pub identity: String,
    pub duration: Duration,
}

/// Why leading failed.
#[derive(Debug, thiserror::Error)]
#[error("leader election failed: {0}")]
pub struct LeaderError(#[from] kube_lease_manager::LeaseManagerError);

/// Waits for the Lease, then runs `work` while holding it. Returns when `work` ends (after releasing the Lease)
/// or when the Lease is lost (so that nothing reconciles without it).
pub async fn run_as_leader(
    client: Client,
    lease: &LeaseSettings,
    work: impl Future<Output = ()>,
) -> Result<(), LeaderError> {
    let seconds = lease.duration.as_secs().max(3);
    let manager = LeaseManagerBuilder::new(client, &lease.name)
        .with_namespace(&lease.namespace)
        .with_identity(&lease.identity)
        .with_duration(seconds)
        .with_grace((seconds / 3).max(1))
        .build()
        .await?;
    tracing::info!(lease = %lease.name, identity = %lease.identity, "waiting to become the leader");
    while !manager.changed().await? {}
    tracing::info!(lease = %lease.name, identity = %lease.identity, "became the leader");
    let lost = tokio::select! {
        () = work => false,
        result = hold(&manager) => { result?; true }
    };
    manager.release().await?;
    if lost {
        tracing::error!(lease = %lease.name, "lost the Lease; stopped reconciling");
    }
    Ok(())
}

/// Keeps renewing the Lease; returns once it is no longer held.
async fn hold(manager: &LeaseManager) -> Result<(), LeaderError> {
    while manager.changed().await? {}
    Ok(())
}
