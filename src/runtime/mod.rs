//! Wires the controllers to the Kubernetes API and ECS, with health endpoints and logging.

pub mod bindings;
mod coalesce;
pub mod daemons;
pub mod leader;
pub mod logging;
pub mod prefetch;
pub mod rollout_watch;
mod rounds;
pub mod server;
pub mod sharded;
pub mod task_watch;
pub mod wake;
mod watches;

use std::sync::Arc;

use futures::future::{BoxFuture, join_all};
use futures::{FutureExt, StreamExt};
use kube::Client;
use kube::runtime::Controller;

use crate::api::{EcsCronTask, EcsTask, TaskDefinition};
use crate::cli::RunSettings;
use crate::controllers::reference_cache::ServiceReferences;
use crate::ecs::Ecs;
use crate::ecs::accounts::Accounts;
use crate::metrics::Metrics;
use crate::reconcile::{self, Context, Managed};
use crate::shard::Shard;
use leader::LeaseSettings;
use tokio::task::JoinHandle;
use watches::{
    api, cluster_controller, config, controller, express_service_controller, gateway_controller,
    provider_controller, service_controller, wait_until_ready,
};

/// Why the operator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "cannot reach the Kubernetes API (check KUBECONFIG or the in-cluster service account): {0}"
    )]
    Kubernetes(#[from] kube::Error),
    #[error(transparent)]
    Leader(#[from] leader::LeaderError),
    #[error("{0}")]
    Settings(String),
    #[error(transparent)]
    Shard(#[from] crate::shard::ShardError),
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
    let shard_settings = settings.shard_settings().map_err(StartError::Settings)?;
    let client = Client::try_default().await?;
    let metrics = Arc::new(Metrics::default());
    let ecs_settings = settings.ecs_settings();
    let base = crate::ecs::base_config(&ecs_settings).await;
    let ecs = Ecs::from_config(&base, &ecs_settings, metrics.clone());
    let accounts = Accounts::new(ecs.clone(), base, ecs_settings, metrics.clone());
    let identity = std::env::var("POD_NAME").ok();
    let mut ctx = Context::new(
        client.clone(),
        ecs,
        metrics.clone(),
        settings.drift_interval,
        identity.clone(),
    )
    .with_adopt_namespaces(settings.adopt_namespaces.clone())
    .with_accounts(accounts);
    let mut shard_namespaces = None;
    if let Some(shard) = shard_settings {
        tracing::info!(shard = %shard.name, selector = %shard.selector.text(), "running as a shard");
        let (shard, namespaces) = Shard::start(client.clone(), shard).await?;
        ctx = ctx.with_shard(shard);
        shard_namespaces = Some(namespaces);
    }
    let ctx = Arc::new(ctx);
    let readiness = ctx.readiness.clone();
    let servers = server::serve(
        settings.health_addr,
        settings.metrics_addr,
        metrics,
        readiness.clone(),
    )
    .await?;
    tracing::info!(namespaces = ?settings.namespaces, drift_interval = ?settings.drift_interval, "ecs-bridge started");
    let controllers = match shard_namespaces {
        Some(namespaces) => {
            sharded::run_shard_controllers(ctx, namespaces, settings.lease_duration).boxed()
        }
        None => run_controllers(ctx, &settings.namespaces).boxed(),
    };
    if settings.leader_election {
        let lease = LeaseSettings {
            namespace: settings.lease_namespace.clone(),
            name: settings.lease_name.clone(),
            identity: identity.unwrap_or_else(default_identity),
            duration: settings.lease_duration,
        };
        leader::run_as_leader(client, &lease, &readiness, controllers).await?;
    } else {
        controllers.await;
    }
    servers.iter().for_each(JoinHandle::abort);
    tracing::info!("ecs-bridge stopped");
    Ok(())
}

/// A unique identity outside a pod: host name and process id.
fn default_identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("{}-{}", host.trim(), std::process::id())
}

/// Runs the controllers of all kinds for the namespaces (all when empty) until a shutdown signal.
pub async fn run_controllers(ctx: Arc<Context>, namespaces: &[String]) {
    let scopes: Vec<Option<&str>> = if namespaces.is_empty() {
        vec![None]
    } else {
        namespaces.iter().map(|ns| Some(ns.as_str())).collect()
    };
    // One watch of the accounts and namespaces' bindings for all the scopes, waking their objects.
    let changes = Arc::new(bindings::BindingChanges::default());
    let watch_bindings = bindings::watch(&ctx, changes.clone()).boxed();
    let (controllers, caches): (Vec<_>, Vec<_>) = scopes
        .into_iter()
        .map(|namespace| {
            let scope = scope(&ctx, namespace, &changes);
            (scope.controllers, scope.synced)
        })
        .unzip();
    let controllers = futures::future::select(join_all(controllers), watch_bindings);
    let readiness = ctx.readiness.clone();
    let synced = async move {
        if join_all(caches).await.into_iter().all(|synced| synced) {
            readiness.set(true);
            tracing::info!("caches synced; ready");
        }
        std::future::pending::<()>().await;
    };
    futures::future::select(controllers, synced.boxed()).await;
}

/// The controllers of all kinds for one namespace (or all).
pub struct Scope {
    /// Runs them until a shutdown signal.
    pub controllers: BoxFuture<'static, ()>,
    /// Ends once their caches have their first full list: true, or false when they were dropped first.
    pub synced: BoxFuture<'static, bool>,
}

/// The controllers of all kinds for the namespace `scope` (all namespaces when `None`); their objects are also
/// woken when their namespace's binding changes (`changes`).
pub fn scope(ctx: &Arc<Context>, scope: Option<&str>, changes: &bindings::BindingChanges) -> Scope {
    let mut controllers = Vec::new();
    let mut caches = Vec::new();
    let client = &ctx.client;
    let clusters = cluster_controller(client, scope);
    let task_definitions = controller(api::<TaskDefinition>(client, scope));
    let providers = provider_controller(client, scope);
    let tasks = controller(api::<EcsTask>(client, scope));
    // Services read the clusters and task definitions they refer to from these controllers' caches.
    let references = ctx.shared.get::<ServiceReferences>();
    references
        .clusters
        .add_store(scope, clusters.store(), wake::cluster_facts);
    references.task_definitions.add_store(
        scope,
        task_definitions.store(),
        wake::task_definition_facts,
    );
    let services = service_controller(client, scope, references);
    // Tasks are followed in one loop that wakes an EcsTask when its tasks change, and an EcsService when the
    // tasks it publishes as endpoints change.
    let (service_wakes, woken_services) = futures::channel::mpsc::unbounded();
    let endpoint_services = task_watch::EndpointServices {
        store: services.store(),
        namespace: scope.map(str::to_owned),
        wakes: service_wakes,
    };
    let task_store = tasks.store();
    let tasks = tasks.reconcile_on(task_watch::task_changes(
        task_store,
        endpoint_services,
        ctx.clone(),
    ));
    // Rolling deployments are followed in one loop that wakes a service when ECS shows its rollout otherwise.
    let rollouts =
        rollout_watch::rollout_changes(services.store(), scope.map(str::to_owned), ctx.clone());
    let services = services.reconcile_on(woken_services).reconcile_on(rollouts);
    // A cron task is woken when one of its runs changes (a Forbid run waits for the active one to finish).
    let cron_tasks =
        controller(api::<EcsCronTask>(client, scope)).owns(api::<EcsTask>(client, scope), config());
    let express_services = express_service_controller(client, scope);
    caches.push(wait_until_ready(express_services.store()).boxed());
    controllers.push(drive(express_services, ctx.clone(), changes).boxed());
    let gateways = gateway_controller(client, scope);
    caches.push(wait_until_ready(gateways.store()).boxed());
    controllers.push(drive(gateways, ctx.clone(), changes).boxed());
    let (daemon_controllers, daemon_caches) = daemons::controllers(ctx, scope, changes);
    controllers.extend(daemon_controllers);
    caches.extend(daemon_caches);
    caches.push(wait_until_ready(providers.store()).boxed());
    caches.push(wait_until_ready(tasks.store()).boxed());
    caches.push(wait_until_ready(cron_tasks.store()).boxed());
    controllers.push(drive(providers, ctx.clone(), changes).boxed());
    controllers.push(drive(tasks, ctx.clone(), changes).boxed());
    controllers.push(drive(cron_tasks, ctx.clone(), changes).boxed());
    caches.push(wait_until_ready(clusters.store()).boxed());
    caches.push(wait_until_ready(task_definitions.store()).boxed());
    caches.push(wait_until_ready(services.store()).boxed());
    controllers.push(drive(clusters, ctx.clone(), changes).boxed());
    controllers.push(drive(task_definitions, ctx.clone(), changes).boxed());
    let prefetch =
        prefetch::services_before_each_drift_check(services.store(), ctx.clone()).boxed();
    let services = drive(services, ctx.clone(), changes).boxed();
    // The prefetcher ends with the controller.
    controllers.push(
        futures::future::select(services, prefetch)
            .map(|_| ())
            .boxed(),
    );
    Scope {
        controllers: join_all(controllers).map(|_| ()).boxed(),
        synced: join_all(caches)
            .map(|synced| synced.into_iter().all(|ok| ok))
            .boxed(),
    }
}

/// Runs a controller until a shutdown signal; its objects are also woken when their namespace's binding changes.
fn drive<K: Managed>(
    controller: Controller<K>,
    ctx: Arc<Context>,
    changes: &bindings::BindingChanges,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let store = controller.store();
    let controller = controller
        .reconcile_on(changes.woken(store.clone()))
        .reconcile_on(ctx.lanes.woken(store));
    controller
        .shutdown_on_signal()
        .run(reconcile::reconcile::<K>, reconcile::error_policy::<K>, ctx)
        .for_each(|result| async move {
            if let Err(err) = result {
                tracing::debug!(error = %err, "reconcile loop");
            }
        })
}
