//! The one door to AWS: every ECS call goes through [`Ecs`], which owns the SDK client, maps errors and converts
//! between our ECS-shaped types and the SDK's. No other module uses the SDK.

pub mod bridge;
pub mod cluster;
pub mod error;
pub mod service;
pub mod tags;
pub mod task_definition;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

pub use error::{AwsError, AwsErrorKind};

/// The ECS client of the operator.
#[derive(Clone)]
pub struct Ecs {
    client: aws_sdk_ecs::Client,
}

/// How the ECS client is set up beyond the standard AWS settings (environment, profiles, web identity).
#[derive(Clone, Debug, Default)]
pub struct EcsSettings {
    /// AWS region; the standard AWS settings decide when unset.
    pub region: Option<String>,
    /// Base delay of the SDK's retry backoff; the SDK's default (1 s) when unset.
    pub retry_base_delay: Option<Duration>,
}

impl Ecs {
    /// Builds the client from the standard AWS settings (`AWS_ENDPOINT_URL_ECS`, profiles, IRSA, ...).
    pub async fn from_env(settings: &EcsSettings) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &settings.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        let mut retry = RetryConfig::standard().with_max_attempts(3);
        if let Some(delay) = settings.retry_base_delay {
            retry = retry.with_initial_backoff(delay);
        }
        let timeouts = TimeoutConfig::builder()
            .operation_attempt_timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(5))
            .build();
        let config = loader
            .retry_config(retry)
            .timeout_config(timeouts)
            .load()
            .await;
        Self {
            client: aws_sdk_ecs::Client::new(&config),
        }
    }

    /// Wraps an SDK client that is already set up (tests).
    pub fn from_client(client: aws_sdk_ecs::Client) -> Self {
        Self { client }
    }
}
