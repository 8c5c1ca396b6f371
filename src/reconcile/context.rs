//! What every reconcile shares: the Kubernetes client, the ECS door, the event recorder and the settings.

use std::time::Duration;

use kube::Client;
use kube::runtime::events::{Recorder, Reporter};

use std::sync::Arc;

use super::backoff::Backoff;
use super::exports::Published;
use super::lanes::Lanes;
use crate::controllers::service::endpoints::followed::Followed;
use crate::ecs::Ecs;
use crate::health::Readiness;
use crate::metrics::Metrics;
use crate::shard::Shard;

/// The field manager of every server-side apply the operator makes.
pub const FIELD_MANAGER: &str = "ecs-bridge";

/// Shared by all reconciles, as `Arc<Context>`.
pub struct Context {
    pub client: Client,
    pub ecs: Ecs,
    pub recorder: Recorder,
    pub metrics: Arc<Metrics>,
    /// How often every managed object is compared with ECS.
    pub drift_interval: Duration,
    /// The namespaces whose objects may adopt ECS objects (all when empty).
    pub adopt_namespaces: Vec<String>,
    /// Failures in a row per object, for the retry delays.
    pub backoff: Backoff,
    /// Set once the controllers' caches have synced (`/readyz`).
    pub readiness: Readiness,
    /// The background lane of each kind: drift checks and repairs take at most half the reconcile slots.
    pub lanes: Lanes,
    /// What each object last exported (`spec.exportTo`).
    pub exports: Published,
    /// The tasks of the services published as Kubernetes endpoints, read by the task-following loop.
    pub endpoint_tasks: Followed,
    /// The shard this operator is, when it is one: only the objects of the namespaces it owns are reconciled.
    pub shard: Option<Arc<Shard>>,
}

impl Context {
    pub fn new(
        client: Client,
        ecs: Ecs,
        metrics: Arc<Metrics>,
        drift_interval: Duration,
        instance: Option<String>,
    ) -> Self {
        let reporter = Reporter {
            controller: FIELD_MANAGER.to_owned(),
            instance,
        };
        let recorder = Recorder::new(client.clone(), reporter);
        Self {
            client,
            ecs,
            recorder,
            metrics,
            drift_interval,
            adopt_namespaces: Vec::new(),
            backoff: Backoff::default(),
            readiness: Readiness::default(),
            lanes: Lanes::default(),
            exports: Published::default(),
            endpoint_tasks: Followed::default(),
            shard: None,
        }
    }

    /// Allows adoption only to objects of `namespaces` (all when empty).
    pub fn with_adopt_namespaces(mut self, namespaces: Vec<String>) -> Self {
        self.adopt_namespaces = namespaces;
        self
    }

    /// Makes the operator a shard that reconciles only the namespaces `shard` owns.
    pub fn with_shard(mut self, shard: Arc<Shard>) -> Self {
        self.shard = Some(shard);
        self
    }

    /// Whether objects of `namespace` may adopt ECS objects.
    pub fn adoption_allowed(&self, namespace: &str) -> bool {
        self.adopt_namespaces.is_empty() || self.adopt_namespaces.iter().any(|n| n == namespace)
    }
}
