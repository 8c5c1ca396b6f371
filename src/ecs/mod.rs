//! The one door to AWS: every ECS call goes through [`Ecs`], which owns the SDK client, maps errors and converts
//! between our ECS-shaped types and the SDK's. No other module uses the SDK.

pub mod batch;
pub mod bridge;
mod call;
pub mod cluster;
pub mod error;
pub mod limits;
pub mod service;
pub mod service_deployment;
pub mod tags;
pub mod task_definition;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

use batch::{Batcher, Fetch};
pub use error::{AwsError, AwsErrorKind};
use limits::{LimitSettings, RateLimits};

use crate::metrics::Metrics;

/// The ECS client of the operator: the door itself, plus batchers that coalesce lookups of many objects.
#[derive(Clone)]
pub struct Ecs {
    core: Arc<Core>,
    services: Arc<Batcher<service::ObservedService>>,
    clusters: Arc<Batcher<cluster::ObservedCluster>>,
}

/// The SDK client with its rate limits and metrics; every call goes through [`Core::call`].
pub struct Core {
    client: aws_sdk_ecs::Client,
    limits: RateLimits,
    metrics: Arc<Metrics>,
    retry_base_delay: Duration,
    /// The shared listing of ACTIVE task definition revisions and when it was made.
    active_revisions:
        tokio::sync::Mutex<Option<(std::time::Instant, std::collections::HashSet<String>)>>,
}

impl Deref for Ecs {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

/// How long a lookup waits for others to share its batched call.
const BATCH_WINDOW: Duration = Duration::from_millis(300);

/// How the ECS client is set up beyond the standard AWS settings (environment, profiles, web identity).
#[derive(Clone, Debug)]
pub struct EcsSettings {
    /// AWS region; the standard AWS settings decide when unset.
    pub region: Option<String>,
    /// ECS endpoint; the standard AWS settings (such as `AWS_ENDPOINT_URL_ECS`) decide when unset.
    pub endpoint_url: Option<String>,
    /// Base delay of the retry backoff.
    pub retry_base_delay: Duration,
    /// Time limit of one attempt of one call.
    pub attempt_timeout: Duration,
    /// Client-side rate limits per throttle category.
    pub limits: LimitSettings,
}

impl Default for EcsSettings {
    fn default() -> Self {
        Self {
            region: None,
            endpoint_url: None,
            retry_base_delay: Duration::from_millis(500),
            attempt_timeout: Duration::from_secs(20),
            limits: LimitSettings::default(),
        }
    }
}

impl Ecs {
    /// Builds the client from the standard AWS settings (`AWS_ENDPOINT_URL_ECS`, profiles, IRSA, ...).
    pub async fn from_env(settings: &EcsSettings, metrics: Arc<Metrics>) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &settings.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        // Retries are the door's own (see `call`), so that each attempt passes the rate limiter.
        let timeouts = TimeoutConfig::builder()
            .operation_attempt_timeout(settings.attempt_timeout)
            .connect_timeout(Duration::from_secs(5))
            .build();
        let config = loader
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts)
            .load()
            .await;
        let core = Arc::new(Core {
            client: aws_sdk_ecs::Client::new(&config),
            limits: RateLimits::new(&settings.limits),
            metrics,
            retry_base_delay: settings.retry_base_delay,
            active_revisions: tokio::sync::Mutex::default(),
        });
        let services_core = core.clone();
        let services: Fetch<service::ObservedService> = Arc::new(move |cluster, names| {
            let core = services_core.clone();
            Box::pin(async move { core.describe_services(&cluster, &names).await })
        });
        let clusters_core = core.clone();
        let clusters: Fetch<cluster::ObservedCluster> = Arc::new(move |_, names| {
            let core = clusters_core.clone();
            Box::pin(async move { core.describe_clusters(&names).await })
        });
        Self {
            core,
            services: Batcher::new(BATCH_WINDOW, service::DESCRIBE_SERVICES_BATCH, services),
            clusters: Batcher::new(BATCH_WINDOW, cluster::DESCRIBE_CLUSTERS_BATCH, clusters),
        }
    }
}
