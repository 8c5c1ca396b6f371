//! Leader election with a coordination.k8s.io Lease: only the holder runs the controllers; a standby takes the
//! Lease once the holder stops renewing it; on shutdown the holder releases it at once. A holder that has not
//! seen its own renewal within the renew deadline stops reconciling before the Lease expires, so two replicas
//! never reconcile at once even when the API server is unreachable; SIGTERM ends a standby too.

use std::future::Future;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::{Api, Client};
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};
use tokio::time::Instant;

use crate::health::Readiness;

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

/// How often the holder reads its Lease to see its renewals.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Whole seconds of the Lease (at least 10, so that a renewal round and the deadline fit in it), and the grace
/// before expiry at which the holder renews (half of it).
fn timings(duration: Duration) -> (u64, u64) {
    let seconds = duration.as_secs().max(10);
    (seconds, seconds / 2)
}

/// How long the holder may go without seeing a renewal of its Lease: longer than a renewal round (renewals
/// come every `seconds - grace`, seen within `CHECK_EVERY`), shorter than the Lease itself minus a margin, so
/// the holder stops before any standby may take the Lease.
pub fn renew_deadline(duration: Duration) -> Duration {
    let (seconds, grace) = timings(duration);
    Duration::from_secs(seconds)
        .saturating_sub(Duration::from_secs(grace).mul_f64(0.5) + CHECK_EVERY)
}

/// Waits for the Lease (or a shutdown signal), then runs `work` while holding it. Returns when `work` ends
/// (after releasing the Lease), or when the Lease is lost or not renewed in time (so that nothing reconciles
/// without it). `readiness` stays ready while standing by: a standby is ready to take over.
pub async fn run_as_leader(
    client: Client,
    lease: &LeaseSettings,
    readiness: &Readiness,
    work: impl Future<Output = ()>,
) -> Result<(), LeaderError> {
    let (seconds, grace) = timings(lease.duration);
    let manager = LeaseManagerBuilder::new(client.clone(), &lease.name)
        .with_namespace(&lease.namespace)
        .with_identity(&lease.identity)
        .with_duration(seconds)
        .with_grace(grace)
        .build()
        .await?;
    tracing::info!(lease = %lease.name, identity = %lease.identity, "waiting to become the leader");
    readiness.set(true);
    tokio::select! {
        acquired = acquire(&manager) => acquired?,
        () = shutdown_signal() => {
            tracing::info!("stopped while standing by");
            return Ok(());
        }
    }
    readiness.set(false);
    tracing::info!(lease = %lease.name, identity = %lease.identity, "became the leader");
    let api: Api<Lease> = Api::namespaced(client, &lease.namespace);
    let lost = tokio::select! {
        () = work => None,
        result = hold(&manager) => { result?; Some("lost the Lease") }
        () = renewals_stop(&api, lease, renew_deadline(lease.duration)) => {
            Some("could not renew the Lease within the renew deadline")
        }
    };
    if let Some(why) = lost {
        tracing::error!(lease = %lease.name, "{why}; stopped reconciling");
    }
    manager.release().await?;
    Ok(())
}

async fn acquire(manager: &LeaseManager) -> Result<(), LeaderError> {
    while !manager.changed().await? {}
    Ok(())
}

/// Keeps renewing the Lease; returns once it is no longer held.
async fn hold(manager: &LeaseManager) -> Result<(), LeaderError> {
    while manager.changed().await? {}
    Ok(())
}

/// Returns once the holder has not seen a renewal of its Lease (a new `renewTime` under its identity) for
/// `deadline`, whether the renewals fail or the Lease cannot be read.
async fn renewals_stop(api: &Api<Lease>, lease: &LeaseSettings, deadline: Duration) {
    let mut last_renewal = Instant::now();
    let mut seen = None;
    while last_renewal.elapsed() < deadline {
        tokio::time::sleep(CHECK_EVERY).await;
        let Ok(Some(current)) = api.get_opt(&lease.name).await else {
            continue;
        };
        let spec = current.spec.unwrap_or_default();
        if spec.holder_identity.as_deref() != Some(lease.identity.as_str()) {
            continue;
        }
        let renewed = spec.renew_time.map(|t| t.0);
        if renewed != seen {
            seen = renewed;
            last_renewal = Instant::now();
        }
    }
}

/// SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_stops_before_a_standby_may_take_over_but_not_between_renewals() {
        for seconds in [1, 10, 15, 30, 60] {
            let duration = Duration::from_secs(seconds);
            let (lease, grace) = timings(duration);
            let deadline = renew_deadline(duration);
            let renewal_round = Duration::from_secs(lease - grace) + CHECK_EVERY;
            assert!(
                deadline < Duration::from_secs(lease),
                "{seconds}s: {deadline:?}"
            );
            assert!(
                deadline > renewal_round,
                "{seconds}s: {deadline:?} vs {renewal_round:?}"
            );
        }
    }
}
