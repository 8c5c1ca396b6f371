//! One ECS task as a Kubernetes endpoint (catalogue entries 96-98): its ENI's addresses, its Availability Zone,
//! and `ready` / `serving` / `terminating` from the task's state and health.

use crate::ecs::task::ObservedTask;

/// How the endpoints are to be judged: whether the task definition has a health check on an essential
/// container (None: not known, e.g. a task definition not managed here).
#[derive(Clone, Copy, Debug, Default)]
pub struct Judge {
    pub health_checked: Option<bool>,
}

/// One task as an endpoint: its ENI's private IPv4 address and, in a dual-stack subnet, its IPv6 address.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskEndpoint {
    pub task_id: String,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub zone: Option<String>,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
}

/// The endpoint of a task, or None when it has no address (not awsvpc, or no ENI yet) or has stopped.
pub fn endpoint(task: &ObservedTask, judge: Judge) -> Option<TaskEndpoint> {
    let last = task.last_status.as_deref().unwrap_or_default();
    if matches!(last, "DEPROVISIONING" | "STOPPED") {
        return None;
    }
    let ipv4 = task.private_ipv4().map(str::to_owned);
    let ipv6 = task.private_ipv6().map(str::to_owned);
    if ipv4.is_none() && ipv6.is_none() {
        return None;
    }
    let terminating = task.desired_status.as_deref() == Some("STOPPED");
    let healthy = match task.health_status.as_deref() {
        Some("HEALTHY") => true,
        Some("UNHEALTHY") => false,
        // UNKNOWN: still being evaluated when there is a health check; always UNKNOWN without one (and when the
        // task definition is not known here, UNKNOWN is taken as "no health check").
        _ => judge.health_checked != Some(true),
    };
    let serving = matches!(last, "RUNNING" | "DEACTIVATING") && healthy;
    Some(TaskEndpoint {
        task_id: task
            .task_arn
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned(),
        ipv4,
        ipv6,
        zone: task.availability_zone.clone(),
        ready: serving && !terminating,
        serving,
        terminating,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub fn task(id: &str, last: &str, desired: &str, health: &str) -> ObservedTask {
        serde_json::from_value(json!({
            "taskArn": format!("arn:aws:ecs:us-east-1:1:task/main/{id}"), "lastStatus": last,
            "desiredStatus": desired, "healthStatus": health, "availabilityZone": "us-east-1a",
            "attachments": [{"type": "ElasticNetworkInterface",
                             "details": [{"name": "privateIPv4Address", "value": "10.0.0.1"}]}]}))
        .unwrap()
    }

    fn conditions(t: &ObservedTask, checked: Option<bool>) -> Option<(bool, bool, bool)> {
        endpoint(
            t,
            Judge {
                health_checked: checked,
            },
        )
        .map(|e| (e.ready, e.serving, e.terminating))
    }

    #[test]
    fn conditions_follow_the_task_state_and_health() {
        let checked = Some(true);
        assert_eq!(
            conditions(&task("a", "RUNNING", "RUNNING", "HEALTHY"), checked),
            Some((true, true, false))
        );
        assert_eq!(
            conditions(&task("a", "RUNNING", "RUNNING", "UNHEALTHY"), checked),
            Some((false, false, false))
        );
        // UNKNOWN: being evaluated with a health check; without one it stays UNKNOWN and the task is ready.
        assert_eq!(
            conditions(&task("a", "RUNNING", "RUNNING", "UNKNOWN"), checked),
            Some((false, false, false))
        );
        assert_eq!(
            conditions(&task("a", "RUNNING", "RUNNING", "UNKNOWN"), Some(false)),
            Some((true, true, false))
        );
        assert_eq!(
            conditions(&task("a", "PENDING", "RUNNING", "UNKNOWN"), Some(false)),
            Some((false, false, false))
        );
        // ECS drains it: still serving while DEACTIVATING, terminating and not ready; gone once it deprovisions.
        assert_eq!(
            conditions(&task("a", "DEACTIVATING", "STOPPED", "HEALTHY"), checked),
            Some((false, true, true))
        );
        assert_eq!(
            conditions(&task("a", "STOPPING", "STOPPED", "HEALTHY"), checked),
            Some((false, false, true))
        );
        assert_eq!(
            conditions(&task("a", "DEPROVISIONING", "STOPPED", "HEALTHY"), checked),
            None
        );
        let mut bridge = task("a", "RUNNING", "RUNNING", "HEALTHY");
        bridge.attachments.clear();
        assert_eq!(conditions(&bridge, checked), None, "no ENI, no address");
    }

    /// Entry 98: a task in a dual-stack subnet also has an IPv6 address (its container's network interface); an
    /// IPv6-only task has no IPv4 address and is still an endpoint.
    #[test]
    fn a_task_has_its_ipv6_address_beside_the_ipv4_one() {
        let dual: ObservedTask = serde_json::from_value(json!({
            "taskArn": "arn:aws:ecs:us-east-1:1:task/main/d", "lastStatus": "RUNNING", "desiredStatus": "RUNNING",
            "attachments": [{"type": "ElasticNetworkInterface",
                             "details": [{"name": "privateIPv4Address", "value": "10.0.0.2"}]}],
            "containers": [{"name": "app", "networkInterfaces": [{"attachmentId": "a",
                "privateIpv4Address": "10.0.0.2", "ipv6Address": "2600:1f18::2"}]}]}))
        .unwrap();
        let e = endpoint(&dual, Judge::default()).unwrap();
        assert_eq!(
            (e.ipv4.as_deref(), e.ipv6.as_deref()),
            (Some("10.0.0.2"), Some("2600:1f18::2"))
        );
        let mut v6_only = dual.clone();
        v6_only.attachments.clear();
        v6_only.containers[0].network_interfaces[0].private_ipv4_address = None;
        let e = endpoint(&v6_only, Judge::default()).unwrap();
        assert_eq!((e.ipv4, e.ipv6.as_deref()), (None, Some("2600:1f18::2")));
    }
}
