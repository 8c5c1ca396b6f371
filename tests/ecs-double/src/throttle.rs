//! ECS's request throttling: one token bucket per throttle category for the whole server (one account and
//! Region), with the bursts and refill rates of the ECS documentation; `speedup` multiplies the refill rate.

/// The pseudo-operation of Fargate's RunTask limit (catalogue entry 67): a RunTask that launches on Fargate
/// takes a token of it besides one of the cluster resource bucket.
pub const FARGATE_RUN_TASK: &str = "RunTask on Fargate";

/// A throttle category: the actions sharing one bucket, its burst and its refill per second.
struct Category {
    operations: &'static [&'static str],
    burst: f64,
    refill: f64,
}

const CATEGORIES: &[Category] = &[
    Category {
        operations: &[
            "CreateCluster",
            "DeleteCluster",
            "UpdateCluster",
            "UpdateClusterSettings",
            "PutClusterCapacityProviders",
        ],
        burst: 20.0,
        refill: 1.0,
    },
    Category {
        operations: &["DescribeClusters", "ListClusters"],
        burst: 50.0,
        refill: 20.0,
    },
    Category {
        operations: &["RegisterTaskDefinition", "DeregisterTaskDefinition"],
        burst: 20.0,
        refill: 1.0,
    },
    Category {
        operations: &[
            "DescribeTaskDefinition",
            "ListTaskDefinitions",
            "ListTaskDefinitionFamilies",
        ],
        burst: 50.0,
        refill: 20.0,
    },
    Category {
        operations: &["DeleteTaskDefinitions"],
        burst: 5.0,
        refill: 1.0,
    },
    Category {
        operations: &["CreateService", "UpdateService", "DeleteService"],
        burst: 50.0,
        refill: 5.0,
    },
    Category {
        operations: &["DescribeServices", "ListServices"],
        burst: 100.0,
        refill: 20.0,
    },
    Category {
        operations: &["DescribeServiceDeployments", "ListServiceDeployments"],
        burst: 50.0,
        refill: 20.0,
    },
    Category {
        operations: &["TagResource", "UntagResource"],
        burst: 20.0,
        refill: 10.0,
    },
    Category {
        operations: &["ListTagsForResource"],
        burst: 50.0,
        refill: 20.0,
    },
    // "Cluster resource read actions" (catalogue entry 67).
    Category {
        operations: &[
            "DescribeTasks",
            "ListTasks",
            "DescribeContainerInstances",
            "ListContainerInstances",
            "ListAttributes",
        ],
        burst: 100.0,
        refill: 20.0,
    },
    // "Cluster resource modify actions" (catalogue entry 67).
    Category {
        operations: &[
            "RunTask",
            "StartTask",
            "StopTask",
            "ExecuteCommand",
            "PutAttributes",
            "DeleteAttributes",
            "DeregisterContainerInstance",
            "UpdateContainerAgent",
            "UpdateContainerInstancesState",
        ],
        burst: 100.0,
        refill: 40.0,
    },
    // "Capacity provider modify actions" and "Capacity provider read actions" (catalogue entry 29).
    Category {
        operations: &[
            "CreateCapacityProvider",
            "DeleteCapacityProvider",
            "UpdateCapacityProvider",
        ],
        burst: 10.0,
        refill: 1.0,
    },
    Category {
        operations: &["DescribeCapacityProviders"],
        burst: 50.0,
        refill: 20.0,
    },
    // Fargate's RunTask calls: 20 a second, burst and sustained (catalogue entry 67).
    Category {
        operations: &[FARGATE_RUN_TASK],
        burst: 20.0,
        refill: 20.0,
    },
    // Application Auto Scaling publishes no buckets (catalogue entry 72d, Unsourced): the operator's cautious
    // guesses, so that a run shows whether it keeps to them.
    Category {
        operations: &[
            "RegisterScalableTarget",
            "DeregisterScalableTarget",
            "PutScalingPolicy",
            "DeleteScalingPolicy",
            "PutScheduledAction",
            "DeleteScheduledAction",
        ],
        burst: 10.0,
        refill: 1.0,
    },
    Category {
        operations: &[
            "DescribeScalableTargets",
            "DescribeScalingPolicies",
            "DescribeScheduledActions",
            "DescribeScalingActivities",
        ],
        burst: 40.0,
        refill: 10.0,
    },
];

/// One bucket: tokens left and when they were last counted (seconds).
#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: f64,
}

/// The buckets of all categories.
#[derive(Debug)]
pub struct Throttle {
    buckets: Vec<Bucket>,
}

impl Throttle {
    /// Full buckets at time `now`.
    pub fn new(now: f64) -> Self {
        Self {
            buckets: CATEGORIES
                .iter()
                .map(|c| Bucket {
                    tokens: c.burst,
                    updated: now,
                })
                .collect(),
        }
    }

    /// Takes a token for `operation` at time `now` (seconds); false when its bucket is empty (throttled).
    /// Operations outside every category are never throttled.
    pub fn admit(&mut self, operation: &str, now: f64, speedup: f64) -> bool {
        let Some(index) = CATEGORIES
            .iter()
            .position(|c| c.operations.contains(&operation))
        else {
            return true;
        };
        let category = &CATEGORIES[index];
        let bucket = &mut self.buckets[index];
        let elapsed = (now - bucket.updated).max(0.0);
        bucket.tokens = (bucket.tokens + elapsed * category.refill * speedup).min(category.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(throttle: &mut Throttle, op: &str, n: usize, now: f64, speedup: f64) -> usize {
        (0..n).filter(|_| throttle.admit(op, now, speedup)).count()
    }

    #[test]
    fn the_burst_is_served_then_the_refill_rate() {
        let mut t = Throttle::new(0.0);
        assert_eq!(admitted(&mut t, "DescribeClusters", 60, 0.0, 1.0), 50);
        // 20 per second: half a second later, 10 more.
        assert_eq!(admitted(&mut t, "ListClusters", 60, 0.5, 1.0), 10);
        // The bucket never holds more than the burst.
        assert_eq!(admitted(&mut t, "DescribeClusters", 100, 1000.0, 1.0), 50);
    }

    #[test]
    fn categories_are_separate_and_share_within() {
        let mut t = Throttle::new(0.0);
        assert_eq!(admitted(&mut t, "CreateCluster", 20, 0.0, 1.0), 20);
        assert!(!t.admit("DeleteCluster", 0.0, 1.0));
        assert!(t.admit("DescribeClusters", 0.0, 1.0));
        assert_eq!(admitted(&mut t, "DeleteTaskDefinitions", 10, 0.0, 1.0), 5);
        assert_eq!(admitted(&mut t, "RegisterTaskDefinition", 30, 0.0, 1.0), 20);
        assert!(t.admit("SomethingElse", 0.0, 1.0));
        assert_eq!(admitted(&mut t, "RunTask", 60, 0.0, 1.0), 60);
        assert_eq!(admitted(&mut t, "StopTask", 60, 0.0, 1.0), 40);
        assert_eq!(admitted(&mut t, "ListTasks", 60, 0.0, 1.0), 60);
        assert_eq!(admitted(&mut t, "DescribeTasks", 60, 0.0, 1.0), 40);
    }

    /// Catalogue entries 29 and 67: capacity provider actions have buckets of their own (modify 10/1, read
    /// 50/20), and Fargate limits RunTask calls to 20 a second, burst and sustained, besides the cluster resource
    /// bucket.
    #[test]
    fn capacity_providers_and_fargate_run_tasks_have_their_own_buckets() {
        let mut t = Throttle::new(0.0);
        assert_eq!(admitted(&mut t, "CreateCapacityProvider", 8, 0.0, 1.0), 8);
        assert_eq!(admitted(&mut t, "UpdateCapacityProvider", 8, 0.0, 1.0), 2);
        assert!(!t.admit("DeleteCapacityProvider", 0.0, 1.0));
        assert_eq!(admitted(&mut t, "CreateCluster", 20, 0.0, 1.0), 20);
        assert_eq!(
            admitted(&mut t, "DescribeCapacityProviders", 60, 0.0, 1.0),
            50
        );
        assert!(t.admit("DescribeClusters", 0.0, 1.0));
        assert_eq!(admitted(&mut t, FARGATE_RUN_TASK, 30, 0.0, 1.0), 20);
        assert_eq!(admitted(&mut t, FARGATE_RUN_TASK, 30, 0.5, 1.0), 10);
        assert_eq!(admitted(&mut t, "RunTask", 30, 0.5, 1.0), 30);
    }

    #[test]
    fn speedup_multiplies_the_refill() {
        let mut t = Throttle::new(0.0);
        assert_eq!(
            admitted(&mut t, "RegisterTaskDefinition", 20, 0.0, 10.0),
            20
        );
        // 1 per second, ten times faster: 5 tokens after half a second.
        assert_eq!(admitted(&mut t, "RegisterTaskDefinition", 20, 0.5, 10.0), 5);
    }
}
