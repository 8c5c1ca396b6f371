//! The tasks of an ECS service (catalogue entries 95-97): ListTasks by `serviceName`, and what DescribeTasks
//! shows of a task's network: the ENI's private IPv4 and IPv6 addresses and the Availability Zone.

use serde::Deserialize;

use super::{AwsErrorKind, Ecs};
use crate::ecs::AwsError;
use crate::ecs::task::ObservedTask;

/// An attachment of a task (`ElasticNetworkInterface` for awsvpc tasks) with its name/value details.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservedAttachment {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub status: Option<String>,
    pub details: Vec<KeyValue>,
}

/// One `KeyValuePair` of an attachment's details.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default)]
pub struct KeyValue {
    pub name: Option<String>,
    pub value: Option<String>,
}

/// A container's `networkInterfaces[]` entry: the task's ENI addresses (catalogue entry 98).
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservedNetworkInterface {
    pub private_ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
}

impl ObservedTask {
    /// The private IPv4 address of the task's ENI (awsvpc tasks only): the attachment's detail, else a
    /// container's network interface.
    pub fn private_ipv4(&self) -> Option<&str> {
        self.attachments
            .iter()
            .filter(|a| a.type_.as_deref() == Some("ElasticNetworkInterface"))
            .flat_map(|a| &a.details)
            .find(|d| d.name.as_deref() == Some("privateIPv4Address"))
            .and_then(|d| d.value.as_deref())
            .or_else(|| {
                self.interfaces()
                    .find_map(|n| n.private_ipv4_address.as_deref())
            })
    }

    /// The IPv6 address of the task's ENI (awsvpc tasks in a subnet with IPv6 addresses).
    pub fn private_ipv6(&self) -> Option<&str> {
        self.interfaces().find_map(|n| n.ipv6_address.as_deref())
    }

    fn interfaces(&self) -> impl Iterator<Item = &ObservedNetworkInterface> {
        self.containers.iter().flat_map(|c| &c.network_interfaces)
    }
}

impl Ecs {
    /// The ARNs of the tasks of service `service` in `cluster` that ECS keeps running (desired status RUNNING);
    /// none when the cluster is gone.
    pub async fn list_service_tasks(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Vec<String>, AwsError> {
        let mut arns = Vec::new();
        let mut next = None;
        loop {
            let request = self
                .client
                .list_tasks()
                .cluster(cluster)
                .service_name(service)
                .set_next_token(next.clone());
            let out = match self.call("ListTasks", || request.clone().send()).await {
                Err(e) if e.kind == AwsErrorKind::NotFound => return Ok(arns),
                other => other?,
            };
            arns.extend(out.task_arns().iter().cloned());
            next = out.next_token().map(str::to_owned);
            if next.is_none() {
                return Ok(arns);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::bridge::{from_sdk, to_sdk};
    use aws_sdk_ecs::types as sdk;
    use serde_json::json;

    #[test]
    fn reads_the_eni_address_zone_and_health_of_a_task() {
        let task = to_sdk(
            &json!({"taskArn": "arn:t", "lastStatus": "RUNNING", "healthStatus": "HEALTHY",
                    "availabilityZone": "us-east-1b",
                    "attachments": [{"id": "a", "type": "ElasticNetworkInterface", "status": "ATTACHED",
                                     "details": [{"name": "subnetId", "value": "subnet-1"},
                                                 {"name": "privateIPv4Address", "value": "10.0.3.7"}]}],
                    "containers": [{"name": "app", "networkInterfaces": [{"attachmentId": "a",
                        "privateIpv4Address": "10.0.3.7", "ipv6Address": "2600:1f18:1:2::7"}]}]}),
            sdk::Task::deserialize,
        )
        .unwrap();
        let observed: ObservedTask = from_sdk(&task).unwrap();
        assert_eq!(observed.private_ipv4(), Some("10.0.3.7"));
        assert_eq!(observed.private_ipv6(), Some("2600:1f18:1:2::7"));
        assert_eq!(observed.availability_zone.as_deref(), Some("us-east-1b"));
        assert_eq!(observed.health_status.as_deref(), Some("HEALTHY"));
    }
}
