//! Wires the controllers to the Kubernetes API and ECS, with health endpoints and logging.

pub mod health;
pub mod logging;

use std::sync::Arc;

use futures::future::join_all;
use futures::{FutureExt, StreamExt};
use kube::runtime::{Controller, watcher};
use kube::{Api, Client};

use crate::api::{EcsCluster, TaskDefinition};
use crate::cli::RunSettings;
use crate::ecs::{Ecs, EcsSettings};
use crate::reconcile::{self, Context, Managed};

/// Why the operator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "cannot reach the Kubernetes API (check KUBECONFIG or the in-cluster service account): {0}"
    )]
    Kubernetes(#[from] kube::Error),
    #[error("cannot serve {what} on {addr}: {source}")]
    Listen {
        what: &'static str,
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// Runs the controllers until SIGTERM or Ctrl-C.
pub async fn run(settings: RunSettings) -> Result<(), StartError> {
    logging::init(settings.log_format);
    let client = Client::try_default().await?;
    let ecs = Ecs::from_env(&EcsSettings {
        region: settings.region.clone(),
        ..Default::default()
    })
    .await;
    let instance = std::env::var("POD_NAME").ok();
    let ctx = Arc::new(Context::new(client, ecs, settings.drift_interval, instance));
    let health = health::serve(settings.health_addr).await?;
    tracing::info!(namespaces = ?settings.namespaces, drift_interval = ?settings.drift_interval, "ecs-bridge started");
    run_controllers(ctx, &settings.namespaces).await;
    health.abort();
    tracing::info!("ecs-bridge stopped");
    Ok(())
}

/// Runs the controllers of all kinds for the namespaces (all when empty) until a shutdown signal.
pub async fn run_controllers(ctx: Arc<Context>, namespaces: &[String]) {
    let clusters = apis::<EcsCluster>(&ctx.client, namespaces)
        .into_iter()
        .map(|api| run_controller(api, ctx.clone()).boxed());
    let task_definitions = apis::<TaskDefinition>(&ctx.client, namespaces)
        .into_iter()
        .map(|api| run_controller(api, ctx.clone()).boxed());
    join_all(clusters.chain(task_definitions)).await;
}

/// One API per watched namespace, or one for all namespaces.
fn apis<K: Managed>(client: &Client, namespaces: &[String]) -> Vec<Api<K>> {
    if namespaces.is_empty() {
        vec![Api::all(client.clone())]
    } else {
        namespaces
            .iter()
            .map(|ns| Api::namespaced(client.clone(), ns))
            .collect()
    }
}

async fn run_controller<K: Managed>(api: Api<K>, ctx: Arc<Context>) {
    Controller::new(api, watcher::Config::default().any_semantic())
        .shutdown_on_signal()
        .run(reconcile::reconcile::<K>, reconcile::error_policy::<K>, ctx)
        .for_each(|result| async move {
            if let Err(err) = result {
                tracing::debug!(error = %err, "reconcile loop");
            }
        })
        .await;
}
