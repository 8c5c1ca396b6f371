//! Client-side token buckets per ECS (and Application Auto Scaling) throttle category, sized from AWS's defaults and scaled by a budget (the
//! share of each bucket the operator may use). A ThrottlingException still received halves the category's rate;
//! successes restore it step by step (additive increase, multiplicative decrease). A user's change (the urgent
//! reconcile lane) takes the next token of a bucket ahead of background calls already waiting for it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

pub use super::priority::Priority;
use super::priority::UrgentWaiter;

/// ECS's throttle categories: actions of one category share a token bucket per account and Region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    ClusterModify,
    ClusterRead,
    /// "Capacity provider modify actions": CreateCapacityProvider, UpdateCapacityProvider, DeleteCapacityProvider.
    CapacityProviderModify,
    /// "Capacity provider read actions": DescribeCapacityProviders.
    CapacityProviderRead,
    TaskDefinitionModify,
    TaskDefinitionRead,
    DeleteTaskDefinitions,
    ServiceModify,
    ServiceRead,
    ServiceDeploymentRead,
    TagModify,
    TagRead,
    /// "Cluster resource modify actions": RunTask, StopTask, ...
    TaskModify,
    /// "Cluster resource read actions": DescribeTasks, ListTasks, ...
    TaskRead,
    /// Fargate's own limit on RunTask calls, taken besides `TaskModify` by a RunTask that may launch on Fargate.
    FargateRunTask,
    /// Application Auto Scaling: register/deregister targets, put/delete policies and scheduled actions.
    ScalingModify,
    /// Application Auto Scaling: Describe* calls.
    ScalingRead,
}

impl Category {
    pub const ALL: [Category; 17] = [
        Category::ClusterModify,
        Category::ClusterRead,
        Category::CapacityProviderModify,
        Category::CapacityProviderRead,
        Category::TaskDefinitionModify,
        Category::TaskDefinitionRead,
        Category::DeleteTaskDefinitions,
        Category::ServiceModify,
        Category::ServiceRead,
        Category::ServiceDeploymentRead,
        Category::TagModify,
        Category::TagRead,
        Category::TaskModify,
        Category::TaskRead,
        Category::FargateRunTask,
        Category::ScalingModify,
        Category::ScalingRead,
    ];

    /// The category of an ECS operation.
    pub fn of(operation: &str) -> Category {
        match operation {
            "CreateCluster"
            | "DeleteCluster"
            | "UpdateCluster"
            | "UpdateClusterSettings"
            | "PutClusterCapacityProviders"
            // The gateway calls are in no documented bucket: they share the cluster buckets.
            | "CreateGateway"
            | "UpdateGateway"
            | "DeleteGateway"
            | "AssociateGatewayWithCluster"
            | "DisassociateGatewayFromCluster" => Category::ClusterModify,
            "DescribeClusters"
            | "ListClusters"
            | "DescribeGateway"
            | "ListGatewayClusterAssociations"
            | "ListGatewayRoutes"
            | "DescribeGatewayResources" => Category::ClusterRead,
            "CreateCapacityProvider" | "UpdateCapacityProvider" | "DeleteCapacityProvider" => {
                Category::CapacityProviderModify
            }
            "DescribeCapacityProviders" => Category::CapacityProviderRead,
            "RegisterTaskDefinition" | "DeregisterTaskDefinition" => Category::TaskDefinitionModify,
            "DeleteTaskDefinitions" => Category::DeleteTaskDefinitions,
            // StopServiceDeployment and ContinueServiceDeployment are in no documented bucket: they share
            // UpdateService's, to be safe. The Express Mode calls are in no documented bucket either: they
            // share the service buckets.
            "CreateService"
            | "UpdateService"
            | "DeleteService"
            | "StopServiceDeployment"
            | "ContinueServiceDeployment"
            | "CreateExpressGatewayService"
            | "UpdateExpressGatewayService"
            | "DeleteExpressGatewayService" => Category::ServiceModify,
            "ListServiceDeployments" | "DescribeServiceDeployments" => {
                Category::ServiceDeploymentRead
            }
            "DescribeServices" | "ListServices" | "DescribeExpressGatewayService" => {
                Category::ServiceRead
            }
            "TagResource" | "UntagResource" => Category::TagModify,
            "ListTagsForResource" => Category::TagRead,
            "RunTask" | "StopTask" => Category::TaskModify,
            "DescribeTasks" | "ListTasks" => Category::TaskRead,
            "RegisterScalableTarget"
            | "DeregisterScalableTarget"
            | "PutScalingPolicy"
            | "DeleteScalingPolicy"
            | "PutScheduledAction"
            | "DeleteScheduledAction" => Category::ScalingModify,
            "DescribeScalableTargets"
            | "DescribeScalingPolicies"
            | "DescribeScheduledActions"
            | "DescribeScalingActivities" => Category::ScalingRead,
            // The managed daemon calls are in no documented bucket: the daemon calls share the service
            // buckets, the daemon task definition calls the task definition ones.
            "CreateDaemon" | "UpdateDaemon" | "DeleteDaemon" => Category::ServiceModify,
            "DescribeDaemon" | "ListDaemons" | "DescribeDaemonRevisions" => Category::ServiceRead,
            "DescribeDaemonDeployments" => Category::ServiceDeploymentRead,
            "RegisterDaemonTaskDefinition" | "DeleteDaemonTaskDefinition" => {
                Category::TaskDefinitionModify
            }
            _ => Category::TaskDefinitionRead,
        }
    }

    /// The name used in settings and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Category::ClusterModify => "cluster-modify",
            Category::ClusterRead => "cluster-read",
            Category::CapacityProviderModify => "capacity-provider-modify",
            Category::CapacityProviderRead => "capacity-provider-read",
            Category::TaskDefinitionModify => "task-definition-modify",
            Category::TaskDefinitionRead => "task-definition-read",
            Category::DeleteTaskDefinitions => "delete-task-definitions",
            Category::ServiceModify => "service-modify",
            Category::ServiceRead => "service-read",
            Category::ServiceDeploymentRead => "service-deployment-read",
            Category::TagModify => "tag-modify",
            Category::TagRead => "tag-read",
            Category::TaskModify => "task-modify",
            Category::TaskRead => "task-read",
            Category::FargateRunTask => "fargate-run-task",
            Category::ScalingModify => "scaling-modify",
            Category::ScalingRead => "scaling-read",
        }
    }

    /// Whether the category is Application Auto Scaling's rather than ECS's.
    pub fn is_scaling(self) -> bool {
        matches!(self, Category::ScalingModify | Category::ScalingRead)
    }

    /// AWS's default bucket: (burst, refill per second), catalogue entries 29 and 67. Application Auto Scaling
    /// publishes no per-action buckets: its categories get cautious sizes (override them with `--aws-rate-limit`).
    pub fn aws_default(self) -> (f64, f64) {
        match self {
            Category::ClusterModify | Category::TaskDefinitionModify => (20.0, 1.0),
            Category::CapacityProviderModify => (10.0, 1.0),
            Category::FargateRunTask => (20.0, 20.0),
            Category::ClusterRead
            | Category::CapacityProviderRead
            | Category::TaskDefinitionRead
            | Category::TagRead
            | Category::ServiceDeploymentRead => (50.0, 20.0),
            Category::DeleteTaskDefinitions => (5.0, 1.0),
            Category::ServiceModify => (50.0, 5.0),
            Category::ServiceRead | Category::TaskRead => (100.0, 20.0),
            Category::TaskModify => (100.0, 40.0),
            Category::TagModify => (20.0, 10.0),
            Category::ScalingModify => (10.0, 1.0),
            Category::ScalingRead => (40.0, 10.0),
        }
    }
}

/// Bucket sizes: AWS's defaults with per-category overrides, scaled by `budget`.
#[derive(Clone, Debug)]
pub struct LimitSettings {
    /// The share of each bucket the operator may use (0 < budget <= 1).
    pub budget: f64,
    /// (burst, refill per second) per category, replacing AWS's default.
    pub overrides: BTreeMap<Category, (f64, f64)>,
    /// Switches client-side limiting off (tests against an emulator that does not throttle).
    pub disabled: bool,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            budget: 0.8,
            overrides: BTreeMap::new(),
            disabled: false,
        }
    }
}

impl LimitSettings {
    /// Parses `category=burst/refill` overrides, such as `service-read=100/20`.
    pub fn parse_override(text: &str) -> Result<(Category, (f64, f64)), String> {
        let (name, sizes) = text
            .split_once('=')
            .ok_or_else(|| format!("\"{text}\": use category=burst/refill"))?;
        let category = Category::ALL
            .into_iter()
            .find(|c| c.name() == name.trim())
            .ok_or_else(|| {
                format!(
                    "\"{name}\" is not a throttle category; use one of {}",
                    category_names()
                )
            })?;
        let (burst, refill) = sizes
            .split_once('/')
            .ok_or_else(|| format!("\"{text}\": use category=burst/refill"))?;
        let number = |s: &str| s.trim().parse::<f64>().ok().filter(|n| *n > 0.0);
        match (number(burst), number(refill)) {
            (Some(burst), Some(refill)) => Ok((category, (burst, refill))),
            _ => Err(format!(
                "\"{text}\": burst and refill must be positive numbers"
            )),
        }
    }
}

fn category_names() -> String {
    Category::ALL
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) struct Bucket {
    capacity: f64,
    refill: f64,
    tokens: f64,
    /// Multiplier of the refill rate after throttling (0.05..=1).
    pace: f64,
    updated: Instant,
    /// Urgent calls waiting for a token: background calls leave that many tokens to them.
    pub(super) urgent_waiting: usize,
}

impl Bucket {
    fn refill_now(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.refill * self.pace).min(self.capacity);
        self.updated = now;
    }
}

/// The token buckets of all categories.
pub struct RateLimits {
    buckets: BTreeMap<Category, Mutex<Bucket>>,
}

impl RateLimits {
    pub fn new(settings: &LimitSettings) -> Self {
        let now = Instant::now();
        let budget = settings.budget.clamp(0.01, 1.0);
        let buckets = Category::ALL
            .into_iter()
            .filter(|_| !settings.disabled)
            .map(|category| {
                let (burst, refill) = settings
                    .overrides
                    .get(&category)
                    .copied()
                    .unwrap_or(category.aws_default());
                let capacity = (burst * budget).max(1.0);
                let bucket = Bucket {
                    capacity,
                    refill: refill * budget,
                    tokens: capacity,
                    pace: 1.0,
                    updated: now,
                    urgent_waiting: 0,
                };
                (category, Mutex::new(bucket))
            })
            .collect();
        Self { buckets }
    }

    /// Takes one token of the category, waiting for it; returns how long it waited. An urgent call takes the
    /// next token that comes: background calls take one only when no urgent call is waiting for it.
    pub async fn acquire(&self, category: Category, priority: Priority) -> Duration {
        let Some(bucket) = self.buckets.get(&category) else {
            return Duration::ZERO;
        };
        let start = Instant::now();
        let _urgent = (priority == Priority::Urgent).then(|| UrgentWaiter::enter(bucket));
        loop {
            let wait = {
                let mut bucket = bucket.lock().unwrap_or_else(|p| p.into_inner());
                bucket.refill_now(Instant::now());
                let left_to_urgent = match priority {
                    Priority::Urgent => 0.0,
                    Priority::Background => bucket.urgent_waiting as f64,
                };
                if bucket.tokens >= 1.0 + left_to_urgent {
                    bucket.tokens -= 1.0;
                    return start.elapsed();
                }
                Duration::from_secs_f64(
                    (1.0 + left_to_urgent - bucket.tokens) / (bucket.refill * bucket.pace),
                )
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// The calls a second the category sustains now (its refill at the current pace); None when not limited.
    pub fn sustained(&self, category: Category) -> Option<f64> {
        let bucket = self.buckets.get(&category)?;
        let bucket = bucket.lock().unwrap_or_else(|p| p.into_inner());
        Some(bucket.refill * bucket.pace)
    }

    /// ECS throttled a call of this category: halve its pace and drain it.
    pub fn throttled(&self, category: Category) {
        if let Some(bucket) = self.buckets.get(&category) {
            let mut bucket = bucket.lock().unwrap_or_else(|p| p.into_inner());
            bucket.pace = (bucket.pace / 2.0).max(0.05);
            bucket.tokens = bucket.tokens.min(0.0);
        }
    }

    /// A call of this category went through: recover pace step by step.
    pub fn succeeded(&self, category: Category) {
        if let Some(bucket) = self.buckets.get(&category) {
            let mut bucket = bucket.lock().unwrap_or_else(|p| p.into_inner());
            bucket.pace = (bucket.pace + 0.02).min(1.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_the_door_uses_has_its_category() {
        assert_eq!(Category::of("DescribeServices"), Category::ServiceRead);
        assert_eq!(Category::of("UpdateService"), Category::ServiceModify);
        assert_eq!(
            Category::of("RegisterTaskDefinition"),
            Category::TaskDefinitionModify
        );
        assert_eq!(
            Category::of("ListTaskDefinitions"),
            Category::TaskDefinitionRead
        );
        assert_eq!(
            Category::of("DeleteTaskDefinitions"),
            Category::DeleteTaskDefinitions
        );
        assert_eq!(
            Category::of("PutClusterCapacityProviders"),
            Category::ClusterModify
        );
        assert_eq!(Category::of("ListTagsForResource"), Category::TagRead);
        assert_eq!(Category::of("UpdateDaemon"), Category::ServiceModify);
        assert_eq!(
            Category::of("DescribeDaemonDeployments"),
            Category::ServiceDeploymentRead
        );
        assert_eq!(
            Category::of("DeleteDaemonTaskDefinition"),
            Category::TaskDefinitionModify
        );
        assert_eq!(Category::of("RunTask"), Category::TaskModify);
        assert_eq!(Category::of("StopTask"), Category::TaskModify);
        assert_eq!(Category::of("DescribeTasks"), Category::TaskRead);
        assert_eq!(
            Category::of("UpdateCapacityProvider"),
            Category::CapacityProviderModify
        );
        assert_eq!(
            Category::of("DescribeCapacityProviders"),
            Category::CapacityProviderRead
        );
        assert_eq!(Category::of("PutScalingPolicy"), Category::ScalingModify);
        assert_eq!(
            Category::of("DescribeScalingActivities"),
            Category::ScalingRead
        );
        assert!(Category::ScalingRead.is_scaling() && !Category::ServiceRead.is_scaling());
        assert_eq!(
            Category::of("DescribeServiceDeployments"),
            Category::ServiceDeploymentRead
        );
        assert_eq!(
            Category::of("StopServiceDeployment"),
            Category::ServiceModify
        );
    }

    /// Catalogue entries 29 and 67: capacity providers have buckets of their own (modify 10/1, read 50/20), not
    /// the cluster's; Fargate limits RunTask calls to 20 a second, burst and sustained.
    #[test]
    fn capacity_providers_and_fargate_run_tasks_have_their_own_buckets() {
        let sizes = |operation: &str| {
            let category = Category::of(operation);
            (category.name(), category.aws_default())
        };
        for operation in [
            "CreateCapacityProvider",
            "UpdateCapacityProvider",
            "DeleteCapacityProvider",
        ] {
            assert_eq!(sizes(operation), ("capacity-provider-modify", (10.0, 1.0)));
        }
        assert_eq!(
            sizes("DescribeCapacityProviders"),
            ("capacity-provider-read", (50.0, 20.0))
        );
        assert_eq!(
            sizes("PutClusterCapacityProviders"),
            ("cluster-modify", (20.0, 1.0))
        );
        let fargate = Category::ALL
            .into_iter()
            .find(|c| c.name() == "fargate-run-task")
            .expect("a bucket for Fargate's RunTask limit");
        assert_eq!(fargate.aws_default(), (20.0, 20.0));
    }

    #[test]
    fn parses_overrides_and_explains_mistakes() {
        assert_eq!(
            LimitSettings::parse_override("service-read=200/40"),
            Ok((Category::ServiceRead, (200.0, 40.0)))
        );
        assert!(
            LimitSettings::parse_override("services=1/1")
                .unwrap_err()
                .contains("service-read")
        );
        assert!(LimitSettings::parse_override("service-read=1").is_err());
        assert!(LimitSettings::parse_override("service-read=0/1").is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn bursts_then_paces_at_the_budgeted_refill() {
        let limits = RateLimits::new(&LimitSettings {
            budget: 0.5,
            ..Default::default()
        });
        // Cluster modify: burst 20, refill 1/s; half of it: 10 at once, then one every 2 s.
        for _ in 0..10 {
            assert_eq!(
                limits
                    .acquire(Category::ClusterModify, Priority::Background)
                    .await,
                Duration::ZERO
            );
        }
        let waited = limits
            .acquire(Category::ClusterModify, Priority::Background)
            .await;
        assert!((1.9..=2.1).contains(&waited.as_secs_f64()), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn fargate_run_tasks_burst_and_sustain_twenty_a_second() {
        let limits = RateLimits::new(&LimitSettings {
            budget: 1.0,
            ..Default::default()
        });
        for _ in 0..20 {
            assert_eq!(
                limits
                    .acquire(Category::FargateRunTask, Priority::Background)
                    .await,
                Duration::ZERO
            );
        }
        let waited = limits
            .acquire(Category::FargateRunTask, Priority::Background)
            .await;
        assert!(
            (0.045..=0.055).contains(&waited.as_secs_f64()),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_halves_the_pace() {
        let limits = RateLimits::new(&LimitSettings {
            budget: 1.0,
            ..Default::default()
        });
        limits.throttled(Category::ServiceModify);
        // Drained, refill 5/s at half pace: one token takes 0.4 s.
        let waited = limits
            .acquire(Category::ServiceModify, Priority::Background)
            .await;
        assert!((0.35..=0.45).contains(&waited.as_secs_f64()), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn disabled_limits_never_wait() {
        let limits = RateLimits::new(&LimitSettings {
            disabled: true,
            ..Default::default()
        });
        for _ in 0..100 {
            assert_eq!(
                limits
                    .acquire(Category::ClusterModify, Priority::Background)
                    .await,
                Duration::ZERO
            );
        }
    }
}
