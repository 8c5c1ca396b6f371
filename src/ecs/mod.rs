//! The one door to AWS: every ECS and Application Auto Scaling call goes through [`Ecs`], which owns the SDK
//! clients, maps errors and converts between our ECS-shaped types and the SDK's. No other module uses the SDK.

pub mod accounts;
pub mod active;
pub mod autoscaling;
pub mod batch;
pub mod bridge;
pub mod call;
pub mod capacity_provider;
pub mod cluster;
pub mod daemon;
pub mod daemon_task_definition;
pub mod error;
pub mod express_service;
pub mod gateway;
pub mod limits;
mod prefetched;
pub mod priority;
pub mod service;
pub mod service_deployment;
mod service_observed;
pub mod service_tasks;
pub mod tags;
pub mod task;
pub mod task_definition;
pub mod usage;

#[cfg(test)]
mod express_inputs;
#[cfg(test)]
mod gateway_inputs;
#[cfg(test)]
mod permissions;
#[cfg(test)]
mod service_inputs;

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
use crate::reconcile::placement::OWN_ACCOUNT;

/// The ECS client of the operator: the door itself, plus batchers that coalesce lookups of many objects.
#[derive(Clone)]
pub struct Ecs {
    core: Arc<Core>,
    services: Arc<Batcher<service::ObservedService>>,
    clusters: Arc<Batcher<cluster::ObservedCluster>>,
    tasks: Arc<Batcher<task::ObservedTask>>,
    capacity_providers: Arc<Batcher<capacity_provider::ObservedCapacityProvider>>,
}

/// The SDK clients with their rate limits and metrics; every call goes through [`Core::call`].
pub struct Core {
    client: aws_sdk_ecs::Client,
    /// Application Auto Scaling, for the desired count of services.
    scaling: aws_sdk_applicationautoscaling::Client,
    limits: RateLimits,
    metrics: Arc<Metrics>,
    /// The account (an `EcsAccount`'s name, or the operator's own) and region of this door, for the metrics.
    account: String,
    region: String,
    retry_base_delay: Duration,
    /// The ACTIVE task definition revisions listed for drift checks, and when.
    active_revisions: active::ActiveRevisions,
    /// Application Auto Scaling read once per drift pass, and when each object last read its target.
    scaling_state: autoscaling::ScalingState,
}

impl Core {
    /// The region this door's calls go to.
    pub fn region(&self) -> Option<String> {
        self.client.config().region().map(ToString::to_string)
    }

    /// The account and region this door's calls are counted under.
    pub(crate) fn place(&self) -> (&str, &str) {
        (&self.account, &self.region)
    }
}

impl Deref for Ecs {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

/// How long a background lookup (a drift check) waits for others to share its batched call; a user's waits less
/// (`batch::URGENT_WINDOW`).
const BATCH_WINDOW: Duration = Duration::from_millis(300);

/// How the ECS client is set up beyond the standard AWS settings (environment, profiles, web identity).
#[derive(Clone, Debug)]
pub struct EcsSettings {
    /// AWS region; the standard AWS settings decide when unset.
    pub region: Option<String>,
    /// ECS endpoint; the standard AWS settings (such as `AWS_ENDPOINT_URL_ECS`) decide when unset. Application
    /// Auto Scaling always follows the standard settings (`AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING`, then
    /// `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// Application Auto Scaling endpoint (tests point it at the ECS test double); the standard AWS settings
    /// decide when unset.
    pub scaling_endpoint_url: Option<String>,
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
            scaling_endpoint_url: None,
            retry_base_delay: Duration::from_millis(500),
            attempt_timeout: Duration::from_secs(20),
            limits: LimitSettings::default(),
        }
    }
}

impl Ecs {
    /// Builds the clients from the standard AWS settings (`AWS_ENDPOINT_URL_ECS`, profiles, IRSA, ...).
    pub async fn from_env(settings: &EcsSettings, metrics: Arc<Metrics>) -> Self {
        Self::from_config(&base_config(settings).await, settings, metrics)
    }

    /// The operator's own door, from a loaded AWS configuration (credentials, region).
    pub fn from_config(
        config: &aws_config::SdkConfig,
        settings: &EcsSettings,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self::for_account(OWN_ACCOUNT, config, settings, metrics)
    }

    /// The door of `account` (an `EcsAccount`'s name, or the operator's own), from a loaded AWS configuration
    /// (credentials, region), with the door's own settings and token buckets.
    pub fn for_account(
        account: &str,
        config: &aws_config::SdkConfig,
        settings: &EcsSettings,
        metrics: Arc<Metrics>,
    ) -> Self {
        let mut ecs_config = aws_sdk_ecs::config::Builder::from(config);
        if let Some(url) = &settings.endpoint_url {
            // Only ECS's: Application Auto Scaling keeps the endpoint the standard settings give it.
            ecs_config.set_endpoint_url(Some(url.clone()));
        }
        let mut scaling_config = aws_sdk_applicationautoscaling::config::Builder::from(config);
        if let Some(url) = &settings.scaling_endpoint_url {
            scaling_config.set_endpoint_url(Some(url.clone()));
        }
        let core = Arc::new(Core {
            client: aws_sdk_ecs::Client::from_conf(ecs_config.build()),
            scaling: aws_sdk_applicationautoscaling::Client::from_conf(scaling_config.build()),
            limits: RateLimits::new(&settings.limits),
            metrics,
            account: account.to_owned(),
            region: config.region().map(ToString::to_string).unwrap_or_default(),
            retry_base_delay: settings.retry_base_delay,
            active_revisions: active::ActiveRevisions::default(),
            scaling_state: autoscaling::ScalingState::default(),
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
        let tasks_core = core.clone();
        let tasks: Fetch<task::ObservedTask> = Arc::new(move |cluster, arns| {
            let core = tasks_core.clone();
            Box::pin(async move { core.describe_tasks(&cluster, &arns).await })
        });
        let providers_core = core.clone();
        let providers: Fetch<capacity_provider::ObservedCapacityProvider> =
            Arc::new(move |cluster, names| {
                let core = providers_core.clone();
                Box::pin(async move { core.describe_capacity_providers(&cluster, &names).await })
            });
        Self {
            core,
            services: Batcher::new(BATCH_WINDOW, service::DESCRIBE_SERVICES_BATCH, services),
            clusters: Batcher::new(BATCH_WINDOW, cluster::DESCRIBE_CLUSTERS_BATCH, clusters),
            tasks: Batcher::new(BATCH_WINDOW, task::DESCRIBE_TASKS_BATCH, tasks),
            capacity_providers: Batcher::new(
                BATCH_WINDOW,
                capacity_provider::DESCRIBE_CAPACITY_PROVIDERS_BATCH,
                providers,
            ),
        }
    }
}

/// The AWS configuration of the operator's own identity, from the standard AWS settings.
pub async fn base_config(settings: &EcsSettings) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &settings.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    // Retries are the door's own (see `call`), so that each attempt passes the rate limiter.
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(settings.attempt_timeout)
        .connect_timeout(Duration::from_secs(5))
        .build();
    loader
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts)
        .load()
        .await
}
