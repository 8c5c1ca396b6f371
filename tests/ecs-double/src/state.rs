//! The in-memory ECS of one account and Region: clusters, task definition families, services and tasks, and how
//! names and ARNs find them.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::ids::{self, Ids};
use crate::placement::Placement;
use crate::prng::XorShift;
use crate::protocol::ApiError;
use crate::rollout::{Run, ServiceStatus};
use crate::strategies::{self, ServiceDeployment};
use crate::tags::Tags;
use crate::task_life::Task;
use crate::task_memory::TokenRecord;

/// The account of every ARN.
pub const ACCOUNT: &str = "123456789012";

/// The cluster ECS assumes when a request names none.
pub const DEFAULT_CLUSTER: &str = "default";

pub struct Cluster {
    pub name: String,
    pub arn: String,
    /// False once deleted (ECS still describes it, as INACTIVE).
    pub active: bool,
    pub settings: Vec<Value>,
    pub configuration: Option<Value>,
    pub capacity_providers: Vec<String>,
    pub default_strategy: Vec<Value>,
    pub service_connect_defaults: Option<Value>,
    pub tags: Tags,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TdStatus {
    Active,
    Inactive,
    DeleteInProgress,
}

impl TdStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
            Self::DeleteInProgress => "DELETE_IN_PROGRESS",
        }
    }
}

/// One task definition revision.
pub struct Revision {
    /// The RegisterTaskDefinition request without its tags.
    pub body: Map<String, Value>,
    pub arn: String,
    pub revision: i32,
    pub status: TdStatus,
    pub registered_at: f64,
    pub deregistered_at: Option<f64>,
    pub delete_requested_at: Option<f64>,
    pub tags: Tags,
}

impl Revision {
    /// Whether every image can be pulled: the double cannot pull from a registry under the reserved `.invalid`
    /// top-level domain (RFC 2606), so tasks of such a revision fail to start, like an image that does not exist.
    pub fn images_pull(&self) -> bool {
        let containers = self
            .body
            .get("containerDefinitions")
            .and_then(Value::as_array);
        containers.into_iter().flatten().all(|c| {
            let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
            image
                .split('/')
                .next()
                .is_none_or(|host| !host.ends_with(".invalid"))
        })
    }

    /// The revision as ECS shows it: the registered body and ECS's own members.
    pub fn to_json(&self) -> Value {
        let mut out = self.body.clone();
        out.insert("taskDefinitionArn".into(), json!(self.arn));
        out.insert("revision".into(), json!(self.revision));
        out.insert("status".into(), json!(self.status.as_str()));
        out.insert("registeredAt".into(), json!(self.registered_at));
        if let Some(at) = self.deregistered_at {
            out.insert("deregisteredAt".into(), json!(at));
        }
        if let Some(at) = self.delete_requested_at {
            out.insert("deleteRequestedAt".into(), json!(at));
        }
        Value::Object(out)
    }
}

/// The revisions of one family; numbers are never reused, even after deletion.
#[derive(Default)]
pub struct Family {
    pub last_revision: i32,
    pub revisions: BTreeMap<i32, Revision>,
}

pub struct Service {
    pub name: String,
    pub cluster: String,
    pub cluster_arn: String,
    pub arn: String,
    /// The service's members as ECS shows them (launchType, networkConfiguration, deploymentConfiguration, ...).
    pub config: Map<String, Value>,
    pub client_token: Option<String>,
    pub created_at: f64,
    pub tags: Tags,
    pub run: Run,
    /// Service deployments of a BLUE_GREEN, LINEAR or CANARY service, oldest first.
    pub service_deployments: Vec<ServiceDeployment>,
}

/// Everything the double knows.
pub struct Model {
    pub region: String,
    pub clusters: BTreeMap<String, Cluster>,
    pub families: BTreeMap<String, Family>,
    /// Services by (cluster name, service name).
    pub services: BTreeMap<(String, String), Service>,
    /// Tasks by ARN (STOPPED ones stay).
    pub tasks: BTreeMap<String, Task>,
    /// RunTask client tokens (with the cluster's ARN, as tokens are per cluster) and what they remember.
    pub task_tokens: BTreeMap<String, TokenRecord>,
    /// Which of the tasks RunTask is asked for can be placed.
    pub placement: Placement,
    /// Capacity providers by name.
    pub capacity_providers: crate::ops_capacity_provider::Providers,
    /// Express Mode services, by ARN.
    pub express: crate::ops_express::ExpressServices,
    /// Gateways, their cluster associations, and the gateway connectors of services.
    pub gateway: crate::ops_gateway::Gateways,
    /// Managed daemons, by ARN.
    pub daemons: crate::ops_daemon::Daemons,
    /// Daemon task definition families.
    pub daemon_task_definitions: crate::ops_daemon_task_definition::DaemonTaskDefinitions,
    pub ids: Ids,
    /// Decides which rollouts fail.
    pub rng: XorShift,
    /// Application Auto Scaling's scalable targets of ECS services.
    pub scaling: crate::ops_scaling::Scaling,
}

/// The name part of a name or an ARN (`arn:aws:ecs:...:cluster/NAME`, `...:service/CLUSTER/NAME`).
pub fn short_name(ident: &str) -> &str {
    if ident.starts_with("arn:") {
        ident.rsplit('/').next().unwrap_or(ident)
    } else {
        ident
    }
}

/// Family and revision from `family`, `family:revision` or a task definition ARN.
pub fn parse_task_definition(ident: &str) -> Result<(&str, Option<i32>), ApiError> {
    let name = if ident.starts_with("arn:") {
        ident
            .split_once(":task-definition/")
            .map(|(_, rest)| rest)
            .ok_or_else(|| ApiError::client("Invalid task definition ARN."))?
    } else {
        ident
    };
    match name.split_once(':') {
        None => Ok((name, None)),
        Some((family, revision)) => match revision.parse::<i32>() {
            Ok(revision) if revision > 0 => Ok((family, Some(revision))),
            _ => Err(ApiError::client(format!(
                "Invalid revision number. Number: {revision}"
            ))),
        },
    }
}

impl Model {
    pub fn new(region: &str, seed: u64) -> Self {
        Self {
            region: region.to_owned(),
            clusters: BTreeMap::new(),
            families: BTreeMap::new(),
            services: BTreeMap::new(),
            tasks: BTreeMap::new(),
            task_tokens: BTreeMap::new(),
            placement: Placement::new(seed),
            capacity_providers: Default::default(),
            express: Default::default(),
            gateway: Default::default(),
            daemons: Default::default(),
            daemon_task_definitions: Default::default(),
            ids: Ids::default(),
            rng: XorShift::new(seed ^ 0x726F_6C6C_6F75_7473),
            scaling: crate::ops_scaling::Scaling::default(),
        }
    }

    pub fn arn(&self, resource: &str) -> String {
        format!("arn:aws:ecs:{}:{ACCOUNT}:{resource}", self.region)
    }

    pub fn cluster_arn(&self, name: &str) -> String {
        self.arn(&format!("cluster/{name}"))
    }

    pub fn service_arn(&self, cluster: &str, name: &str) -> String {
        self.arn(&format!("service/{cluster}/{name}"))
    }

    pub fn task_arn(&self, cluster: &str, id: &str) -> String {
        self.arn(&format!("task/{cluster}/{id}"))
    }

    /// The container instance of `cluster` that RunTask's placement failures name (one per cluster: the double
    /// has no container instances of its own).
    pub fn container_instance_arn(&self, cluster: &str) -> String {
        let seed = cluster.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let id = ids::uuid(seed).replace('-', "");
        self.arn(&format!("container-instance/{cluster}/{id}"))
    }

    pub fn task_definition_arn(&self, family: &str, revision: i32) -> String {
        self.arn(&format!("task-definition/{family}:{revision}"))
    }

    /// Brings every service up to `now` and forgets task definitions whose deletion (which takes `deletion`
    /// seconds) is over.
    pub fn settle(&mut self, now: f64, deletion: f64) {
        for service in self.services.values_mut() {
            strategies::settle(service, now, &mut self.ids);
        }
        for family in self.families.values_mut() {
            family
                .revisions
                .retain(|_, r| r.delete_requested_at.is_none_or(|at| at + deletion > now));
        }
    }

    /// The name of the cluster a request names (a name or an ARN; `default` when absent).
    pub fn cluster_name(ident: Option<&str>) -> &str {
        ident
            .filter(|s| !s.is_empty())
            .map_or(DEFAULT_CLUSTER, short_name)
    }

    /// The ACTIVE cluster a request names.
    pub fn active_cluster(&self, ident: Option<&str>) -> Result<&Cluster, ApiError> {
        self.clusters
            .get(Self::cluster_name(ident))
            .filter(|c| c.active)
            .ok_or_else(ApiError::cluster_not_found)
    }

    pub fn active_cluster_mut(&mut self, ident: Option<&str>) -> Result<&mut Cluster, ApiError> {
        self.clusters
            .get_mut(Self::cluster_name(ident))
            .filter(|c| c.active)
            .ok_or_else(ApiError::cluster_not_found)
    }

    /// The revision `ident` names: an exact revision, or the newest ACTIVE one of a family.
    pub fn revision(&self, ident: &str) -> Result<Option<&Revision>, ApiError> {
        let (family, revision) = parse_task_definition(ident)?;
        let Some(family) = self.families.get(family) else {
            return Ok(None);
        };
        Ok(match revision {
            Some(n) => family.revisions.get(&n),
            None => family
                .revisions
                .values()
                .rev()
                .find(|r| r.status == TdStatus::Active),
        })
    }

    /// The ACTIVE revision a request names (a family names its newest ACTIVE revision).
    pub fn active_revision(&self, ident: &str) -> Result<&Revision, ApiError> {
        match self.revision(ident)? {
            None => Err(ApiError::client("TaskDefinition not found.")),
            Some(r) if r.status != TdStatus::Active => {
                Err(ApiError::client("TaskDefinition is inactive"))
            }
            Some(r) => Ok(r),
        }
    }

    pub fn revision_mut(&mut self, family: &str, revision: i32) -> Option<&mut Revision> {
        self.families.get_mut(family)?.revisions.get_mut(&revision)
    }

    /// Services of `cluster` that are not INACTIVE.
    pub fn live_services<'a>(&'a self, cluster: &'a str) -> impl Iterator<Item = &'a Service> + 'a {
        self.services
            .values()
            .filter(move |s| s.cluster == cluster && s.run.status() != ServiceStatus::Inactive)
    }

    /// How many clusters, services and task definition revisions exist (deleted ones not counted).
    pub fn object_counts(&self) -> Value {
        json!({
            "clusters": self.clusters.values().filter(|c| c.active).count(),
            "services": self.services.values().filter(|s| s.run.status() != ServiceStatus::Inactive).count(),
            "taskDefinitions": self.families.values().map(|f| f.revisions.len()).sum::<usize>(),
            "tasks": self.tasks.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_arns() {
        assert_eq!(short_name("arn:aws:ecs:us-east-1:1:cluster/main"), "main");
        assert_eq!(
            short_name("arn:aws:ecs:us-east-1:1:service/main/web"),
            "web"
        );
        assert_eq!(short_name("web"), "web");
        assert_eq!(Model::cluster_name(None), "default");
        assert_eq!(parse_task_definition("web").unwrap(), ("web", None));
        assert_eq!(parse_task_definition("web:3").unwrap(), ("web", Some(3)));
        assert_eq!(
            parse_task_definition("arn:aws:ecs:us-east-1:1:task-definition/web:12").unwrap(),
            ("web", Some(12))
        );
        assert!(parse_task_definition("web:x").is_err());
        assert!(parse_task_definition("arn:aws:ecs:us-east-1:1:cluster/x").is_err());
    }

    #[test]
    fn a_family_names_its_newest_active_revision() {
        let mut model = Model::new("us-east-1", 1);
        let family = model.families.entry("web".into()).or_default();
        for (n, status) in [
            (1, TdStatus::Active),
            (2, TdStatus::Active),
            (3, TdStatus::Inactive),
        ] {
            family.revisions.insert(
                n,
                Revision {
                    body: Map::new(),
                    arn: format!("web:{n}"),
                    revision: n,
                    status,
                    registered_at: 0.0,
                    deregistered_at: None,
                    delete_requested_at: None,
                    tags: Tags::default(),
                },
            );
        }
        assert_eq!(model.revision("web").unwrap().map(|r| r.revision), Some(2));
        assert_eq!(
            model.revision("web:3").unwrap().map(|r| r.revision),
            Some(3)
        );
        assert!(model.revision("other").unwrap().is_none());
        if let Some(r) = model.revision_mut("web", 3) {
            r.delete_requested_at = Some(10.0);
        }
        model.settle(12.0, 5.0);
        assert!(model.revision("web:3").unwrap().is_some());
        model.settle(15.0, 5.0);
        assert!(model.revision("web:3").unwrap().is_none());
        assert_eq!(model.object_counts()["taskDefinitions"], 2);
    }
}
