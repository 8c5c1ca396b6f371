//! Every ECS call goes through [`Ecs::call`]: it waits for a rate-limit token, sends, counts the outcome, slows a
//! throttled category down, and retries throttling and passing failures with jittered exponential backoff.

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response;

use super::limits::{Category, Priority};
use super::{AwsError, AwsErrorKind, Core};

/// Attempts per call after throttling, the first included: the bucket paces them.
const MAX_THROTTLED_ATTEMPTS: u32 = 4;
/// Attempts per call after a 5xx or time-out; past them the reconcile shows the failure and requeues.
const MAX_TRANSIENT_ATTEMPTS: u32 = 2;

/// Whether an operation may be sent again after an answer that leaves its effect unknown (a 5xx or a time-out).
/// RegisterTaskDefinition has no idempotency token: a repeat could register a duplicate revision, so its
/// reconcile looks at ECS again instead.
fn safe_to_repeat(operation: &str) -> bool {
    // A repeated create would find the first one's service and be refused as a name already taken.
    !matches!(
        operation,
        "RegisterTaskDefinition"
            | "CreateExpressGatewayService"
            | "RegisterDaemonTaskDefinition"
            | "CreateDaemon"
    )
}

/// A random factor in [0.5, 1.5) for backoff jitter.
fn jitter() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    0.5 + (hasher.finish() % 1000) as f64 / 1000.0
}

/// The delay before retry number `attempt` (1-based).
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    base.mul_f64(f64::from(1u32 << attempt.min(6)) * jitter())
}

impl Core {
    /// Sends one ECS request built by `send` (called again for each attempt).
    pub(crate) async fn call<T, E, F, Fut>(
        &self,
        operation: &'static str,
        send: F,
    ) -> Result<T, AwsError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, Response>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.call_with(operation, safe_to_repeat(operation), None, send)
            .await
    }

    /// Like [`Core::call`], but a 5xx or time-out is not repeated: the effect of the request is unknown and a
    /// repeat would act twice (an UpdateService with `forceNewDeployment`, a RunTask).
    pub(crate) async fn call_once<T, E, F, Fut>(
        &self,
        operation: &'static str,
        send: F,
    ) -> Result<T, AwsError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, Response>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.call_with(operation, false, None, send).await
    }

    /// Like [`Core::call_once`], and each attempt also takes a token of `also`, a second bucket the request
    /// counts against (Fargate's RunTask limit besides the cluster resource bucket).
    pub(crate) async fn call_once_also<T, E, F, Fut>(
        &self,
        operation: &'static str,
        also: Option<Category>,
        send: F,
    ) -> Result<T, AwsError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, Response>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.call_with(operation, false, also, send).await
    }

    async fn call_with<T, E, F, Fut>(
        &self,
        operation: &'static str,
        repeatable: bool,
        also: Option<Category>,
        send: F,
    ) -> Result<T, AwsError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, Response>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let categories: Vec<Category> = std::iter::once(Category::of(operation))
            .chain(also)
            .collect();
        let priority = Priority::current();
        let mut attempt = 1;
        loop {
            for &category in &categories {
                let waited = self.limits.acquire(category, priority).await;
                self.metrics
                    .rate_limit_waited(self.place(), category.name(), waited);
            }
            let result = send().await.map_err(|e| AwsError::from_sdk(operation, e));
            let outcome = match &result {
                Ok(_) => "ok",
                Err(err) => err.code.as_deref().unwrap_or(kind_name(err.kind)),
            };
            self.metrics.aws_call(self.place(), operation, outcome);
            let attempts = match &result {
                Ok(_) => {
                    categories.iter().for_each(|c| self.limits.succeeded(*c));
                    0
                }
                // Which of the buckets ECS found empty is not said: both slow down.
                Err(err) if err.kind == AwsErrorKind::Throttled => {
                    categories.iter().for_each(|c| self.limits.throttled(*c));
                    MAX_THROTTLED_ATTEMPTS
                }
                Err(err) if err.kind == AwsErrorKind::Transient && repeatable => {
                    MAX_TRANSIENT_ATTEMPTS
                }
                Err(_) => 0,
            };
            if attempt >= attempts {
                return result;
            }
            tokio::time::sleep(backoff(self.retry_base_delay, attempt)).await;
            attempt += 1;
        }
    }
}

fn kind_name(kind: AwsErrorKind) -> &'static str {
    match kind {
        AwsErrorKind::Throttled => "Throttled",
        AwsErrorKind::AccessDenied => "AccessDenied",
        AwsErrorKind::NotFound => "NotFound",
        AwsErrorKind::Rejected => "Rejected",
        AwsErrorKind::Transient => "Transient",
        AwsErrorKind::Conversion => "Conversion",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4 {
            let delay = backoff(base, attempt).as_secs_f64();
            let nominal = 0.1 * f64::from(1u32 << attempt);
            assert!(
                delay >= nominal * 0.5 && delay < nominal * 1.5,
                "{attempt}: {delay}"
            );
        }
    }

    #[test]
    fn only_register_task_definition_is_not_repeated_blindly() {
        assert!(!safe_to_repeat("RegisterTaskDefinition"));
        assert!(safe_to_repeat("CreateService"));
        assert!(safe_to_repeat("DescribeServices"));
    }
}
