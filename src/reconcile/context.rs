//! What every reconcile shares: the Kubernetes client, the ECS door, the Event publisher and the settings.

use std::time::Duration;

use kube::Client;

use std::sync::Arc;

use super::backoff::Backoff;
use super::bindings::{Bindings, Placed};
use super::exports::Published;
use super::lanes::Lanes;
use super::placement::Placement;
use super::publisher::Publisher;
use super::shared::Shared;
use crate::ecs::accounts::Accounts;
use crate::ecs::{Ecs, EcsSettings};
use crate::health::Readiness;
use crate::metrics::Metrics;
use crate::shard::Shard;

/// The field manager of every server-side apply the operator makes.
pub const FIELD_MANAGER: &str = "ecs-bridge";

/// Shared by all reconciles, as `Arc<Context>`; a reconcile sees a copy whose `ecs` is its object's door.
#[derive(Clone)]
pub struct Context {
    pub client: Client,
    /// The door of the object being reconciled (its account and region); the operator's own elsewhere.
    pub ecs: Ecs,
    /// Where the object being reconciled lives; `None` outside a reconcile.
    pub placement: Option<Placement>,
    /// The AWS account ID of that placement, when known.
    pub account_id: Option<String>,
    /// The doors of all accounts and regions.
    pub accounts: Arc<Accounts>,
    /// Which account each namespace is bound to.
    pub bindings: Arc<Bindings>,
    /// Writes the Kubernetes Events.
    pub events: Arc<Publisher>,
    pub metrics: Arc<Metrics>,
    /// How often every managed object is compared with ECS.
    pub drift_interval: Duration,
    /// The namespaces whose objects may adopt ECS objects (all when empty).
    pub adopt_namespaces: Vec<String>,
    /// Failures in a row per object, for the retry delays.
    pub backoff: Arc<Backoff>,
    /// Set once the controllers' caches have synced (`/readyz`).
    pub readiness: Readiness,
    /// The background lane of each kind: drift checks and repairs take at most half the reconcile slots.
    pub lanes: Arc<Lanes>,
    /// What each object last exported (`spec.exportTo`).
    pub exports: Arc<Published>,
    /// State a kind's controller shares with the loops that serve it, one value per type.
    pub shared: Arc<Shared>,
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
        let events = Arc::new(Publisher::new(client.clone(), FIELD_MANAGER, instance));
        let accounts = Accounts::own_only(ecs.clone(), EcsSettings::default(), metrics.clone());
        Self {
            client,
            ecs,
            placement: None,
            account_id: None,
            accounts: Arc::new(accounts),
            bindings: Arc::default(),
            events,
            metrics,
            drift_interval,
            adopt_namespaces: Vec::new(),
            backoff: Arc::default(),
            readiness: Readiness::default(),
            lanes: Arc::default(),
            exports: Arc::default(),
            shared: Arc::default(),
            shard: None,
        }
    }

    /// Allows adoption only to objects of `namespaces` (all when empty).
    pub fn with_adopt_namespaces(mut self, namespaces: Vec<String>) -> Self {
        self.adopt_namespaces = namespaces;
        self
    }

    /// Reaches other accounts through `accounts` (the operator's own door stays `ecs`).
    pub fn with_accounts(mut self, accounts: Accounts) -> Self {
        self.accounts = Arc::new(accounts);
        self
    }

    /// The context of one object's reconcile: its placement and door.
    pub fn placed(&self, placed: Placed) -> Self {
        Self {
            ecs: placed.ecs,
            placement: Some(placed.placement),
            account_id: placed.account_id,
            ..self.clone()
        }
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
