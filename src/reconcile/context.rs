//! What every reconcile shares: the Kubernetes client, the ECS door, the event recorder and the settings.

use std::time::Duration;

use kube::Client;
use kube::runtime::events::{Recorder, Reporter};

use std::sync::Arc;

use crate::ecs::Ecs;
use crate::metrics::Metrics;

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
        }
    }
}
