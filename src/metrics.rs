//! Prometheus metrics: reconciles by kind and result, reconcile durations, AWS calls by operation and outcome,
//! time spent waiting on rate limits, and objects by their Ready condition. AWS calls and rate-limit waits also
//! carry the account (the `EcsAccount`'s name, or `(operator)`) and region whose door made them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReconcileLabels {
    kind: String,
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AwsCallLabels {
    operation: String,
    outcome: String,
    account: String,
    region: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CategoryLabels {
    category: String,
    account: String,
    region: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ObjectLabels {
    kind: String,
    ready: String,
}

/// The operator's metrics, shared by the reconcilers and the ECS door.
pub struct Metrics {
    registry: Registry,
    reconciles: Family<ReconcileLabels, Counter>,
    reconcile_seconds: Family<KindLabels, Histogram>,
    aws_calls: Family<AwsCallLabels, Counter>,
    rate_limit_wait: Family<CategoryLabels, Counter<f64>>,
    objects: Family<ObjectLabels, Gauge>,
    /// The last Ready status counted per object, so that `objects` moves with changes.
    ready_by_object: Mutex<HashMap<(String, String), String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ecsbridge");
        let reconciles = Family::<ReconcileLabels, Counter>::default();
        registry.register(
            "reconciles",
            "Reconciles by kind and result (ok or the error reason)",
            reconciles.clone(),
        );
        let reconcile_seconds = Family::<KindLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.005, 2.0, 14))
        });
        registry.register(
            "reconcile_duration_seconds",
            "Reconcile duration by kind",
            reconcile_seconds.clone(),
        );
        let aws_calls = Family::<AwsCallLabels, Counter>::default();
        registry.register(
            "aws_calls",
            "ECS calls by operation, outcome, account and region",
            aws_calls.clone(),
        );
        let rate_limit_wait = Family::<CategoryLabels, Counter<f64>>::default();
        registry.register(
            "rate_limit_wait_seconds",
            "Time ECS calls waited for a rate-limit token, by throttle category, account and region",
            rate_limit_wait.clone(),
        );
        let objects = Family::<ObjectLabels, Gauge>::default();
        registry.register(
            "objects",
            "Managed objects by kind and Ready status",
            objects.clone(),
        );
        Self {
            registry,
            reconciles,
            reconcile_seconds,
            aws_calls,
            rate_limit_wait,
            objects,
            ready_by_object: Mutex::default(),
        }
    }
}

impl Metrics {
    /// Counts one reconcile and its duration.
    pub fn reconciled(&self, kind: &str, result: &str, took: Duration) {
        let labels = ReconcileLabels {
            kind: kind.to_owned(),
            result: result.to_owned(),
        };
        self.reconciles.get_or_create(&labels).inc();
        self.reconcile_seconds
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Counts one ECS call attempt of the door of `place` (account, region).
    pub fn aws_call(&self, place: (&str, &str), operation: &str, outcome: &str) {
        let labels = AwsCallLabels {
            operation: operation.to_owned(),
            outcome: outcome.to_owned(),
            account: place.0.to_owned(),
            region: place.1.to_owned(),
        };
        self.aws_calls.get_or_create(&labels).inc();
    }

    /// Adds time the door of `place` (account, region) spent waiting for a rate-limit token.
    pub fn rate_limit_waited(&self, place: (&str, &str), category: &str, waited: Duration) {
        if !waited.is_zero() {
            let labels = CategoryLabels {
                category: category.to_owned(),
                account: place.0.to_owned(),
                region: place.1.to_owned(),
            };
            self.rate_limit_wait
                .get_or_create(&labels)
                .inc_by(waited.as_secs_f64());
        }
    }

    /// Records an object's Ready status (`None` once it is gone).
    pub fn object_ready(&self, kind: &str, key: &str, ready: Option<&str>) {
        let mut known = self
            .ready_by_object
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let id = (kind.to_owned(), key.to_owned());
        let previous = match ready {
            Some(ready) => known.insert(id, ready.to_owned()),
            None => known.remove(&id),
        };
        if previous.as_deref() == ready {
            return;
        }
        if let Some(previous) = previous {
            self.objects
                .get_or_create(&ObjectLabels {
                    kind: kind.to_owned(),
                    ready: previous,
                })
                .dec();
        }
        if let Some(ready) = ready {
            self.objects
                .get_or_create(&ObjectLabels {
                    kind: kind.to_owned(),
                    ready: ready.to_owned(),
                })
                .inc();
        }
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_object_gauges() {
        let metrics = Metrics::default();
        metrics.reconciled("EcsCluster", "ok", Duration::from_millis(20));
        metrics.aws_call(("(operator)", "us-east-1"), "DescribeClusters", "ok");
        metrics.aws_call(("team-a", "eu-west-1"), "DescribeClusters", "ok");
        metrics.rate_limit_waited(
            ("team-a", "eu-west-1"),
            "describe",
            Duration::from_millis(500),
        );
        metrics.object_ready("EcsCluster", "ns/a", Some("False"));
        metrics.object_ready("EcsCluster", "ns/a", Some("True"));
        metrics.object_ready("EcsCluster", "ns/b", Some("True"));
        let text = metrics.render();
        assert!(
            text.contains(r#"ecsbridge_reconciles_total{kind="EcsCluster",result="ok"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"ecsbridge_aws_calls_total{operation="DescribeClusters",outcome="ok",account="(operator)",region="us-east-1"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"ecsbridge_aws_calls_total{operation="DescribeClusters",outcome="ok",account="team-a",region="eu-west-1"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"ecsbridge_rate_limit_wait_seconds_total{category="describe",account="team-a",region="eu-west-1"} 0.5"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"ecsbridge_objects{kind="EcsCluster",ready="True"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"ecsbridge_objects{kind="EcsCluster",ready="False"} 0"#),
            "{text}"
        );
        metrics.object_ready("EcsCluster", "ns/b", None);
        assert!(
            metrics
                .render()
                .contains(r#"ecsbridge_objects{kind="EcsCluster",ready="True"} 1"#)
        );
    }
}
