//! Checks of where and how tasks run, shared by services and tasks (pure, no AWS call): exactly one cluster and one
//! task definition, launch type or capacity providers, the awsvpc network of Fargate, and what a referenced task
//! definition requires.

use std::collections::BTreeSet;

use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::service::{LaunchType, NetworkConfiguration};
use crate::controllers::references::{References, TaskTraits};

/// ECS allows this many subnets and security groups in an `awsvpcConfiguration`.
const MAX_SUBNETS: usize = 16;
const MAX_SECURITY_GROUPS: usize = 5;
/// The capacity providers that run tasks on Fargate.
pub const FARGATE_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// The launch fields of a spec.
pub struct Launch<'a> {
    pub launch_type: Option<LaunchType>,
    pub strategy: &'a [CapacityProviderStrategyItem],
    pub platform_version: Option<&'a str>,
    pub network: Option<&'a NetworkConfiguration>,
}

impl Launch<'_> {
    /// Whether the tasks run on Fargate: the FARGATE launch type or a Fargate capacity provider.
    pub fn on_fargate(&self) -> bool {
        self.launch_type == Some(LaunchType::Fargate)
            || self
                .strategy
                .iter()
                .any(|i| FARGATE_PROVIDERS.contains(&i.capacity_provider.as_str()))
    }

    /// Launch type or capacity provider strategy, platform version and network configuration.
    pub fn check(&self) -> Result<(), String> {
        self.check_capacity()?;
        self.check_network()
    }

    fn check_capacity(&self) -> Result<(), String> {
        let strategy = self.strategy;
        if self.launch_type.is_some() && !strategy.is_empty() {
            return Err(
                "spec.launchType and spec.capacityProviderStrategy are mutually exclusive; remove one of them".into(),
            );
        }
        let mut named = BTreeSet::new();
        for (i, item) in strategy.iter().enumerate() {
            if !named.insert(item.capacity_provider.as_str()) {
                return Err(format!(
                    "spec.capacityProviderStrategy[{i}]: capacity provider \"{}\" is listed twice",
                    item.capacity_provider
                ));
            }
        }
        if strategy.iter().filter(|i| i.base.unwrap_or(0) > 0).count() > 1 {
            return Err(
                "spec.capacityProviderStrategy: only one capacity provider may have a base above 0"
                    .into(),
            );
        }
        let fargate = named
            .iter()
            .filter(|p| FARGATE_PROVIDERS.contains(p))
            .count();
        if fargate > 0 && fargate < named.len() {
            return Err("spec.capacityProviderStrategy: FARGATE and FARGATE_SPOT cannot be mixed with Auto Scaling group \
                        capacity providers; use one kind"
                .into());
        }
        // A strategy of EC2 capacity providers only runs nothing on Fargate, like the EC2 launch type.
        let on_ec2_providers = !strategy.is_empty() && fargate == 0;
        if self.platform_version.is_some()
            && (on_ec2_providers
                || matches!(
                    self.launch_type,
                    Some(LaunchType::Ec2 | LaunchType::External)
                ))
        {
            return Err(
                "spec.platformVersion applies to Fargate only; remove it or use launchType FARGATE"
                    .into(),
            );
        }
        Ok(())
    }

    fn check_network(&self) -> Result<(), String> {
        const FIELD: &str = "spec.networkConfiguration.awsvpcConfiguration";
        let awsvpc = match self.network {
            Some(network) => match &network.awsvpc_configuration {
                Some(awsvpc) => Some(awsvpc),
                None => {
                    return Err(format!(
                        "{FIELD} is required when spec.networkConfiguration is set; give the subnets of the tasks"
                    ));
                }
            },
            None => None,
        };
        match awsvpc {
            None if self.on_fargate() => Err(format!(
                "{FIELD} is required on Fargate (its tasks use the awsvpc network mode); give the subnets \
                 (and securityGroups) of the tasks"
            )),
            None => Ok(()),
            Some(awsvpc) if awsvpc.subnets.is_empty() => {
                Err(format!("{FIELD}.subnets: give at least one subnet"))
            }
            Some(awsvpc) if awsvpc.subnets.len() > MAX_SUBNETS => Err(format!(
                "{FIELD}.subnets: {} subnets given; ECS allows at most {MAX_SUBNETS}",
                awsvpc.subnets.len()
            )),
            Some(awsvpc) if awsvpc.security_groups.len() > MAX_SECURITY_GROUPS => Err(format!(
                "{FIELD}.securityGroups: {} security groups given; ECS allows at most {MAX_SECURITY_GROUPS}",
                awsvpc.security_groups.len()
            )),
            Some(_) => Ok(()),
        }
    }

    /// Checks the spec against the launch types a referenced task definition runs on and its `networkMode`;
    /// `refs` names the task definition in the message.
    pub fn check_compatibility(
        &self,
        refs: &References<'_>,
        traits: &TaskTraits,
    ) -> Result<(), String> {
        let (field, task_definition) = match (refs.task_definition_ref, refs.task_definition) {
            (Some(reference), _) => ("spec.taskDefinitionRef", reference.name.as_str()),
            (None, named) => ("spec.taskDefinition", named.map_or("", String::as_str)),
        };
        let compatibilities = &traits.compatibilities;
        if self.on_fargate() && !compatibilities.iter().any(|c| c == "FARGATE") {
            return Err(format!(
                "{field}: task definition {task_definition} is not compatible with FARGATE (it runs on: {}); \
                 give it networkMode awsvpc and task-level cpu and memory (and FARGATE in requiresCompatibilities \
                 if it lists any), or run the tasks on EC2",
                compatibilities.join(", ")
            ));
        }
        let awsvpc = self.network.and_then(|n| n.awsvpc_configuration.as_ref());
        match traits.network_mode.as_deref() {
            Some("awsvpc") if awsvpc.is_none() => Err(format!(
                "spec.networkConfiguration.awsvpcConfiguration is required: task definition {task_definition} uses the \
                 awsvpc network mode; give the subnets (and securityGroups) of its tasks"
            )),
            Some(mode) if mode != "awsvpc" && self.network.is_some() => Err(format!(
                "spec.networkConfiguration: task definition {task_definition} uses the {mode} network mode, which takes no \
                 network configuration; remove spec.networkConfiguration or switch the task definition to awsvpc"
            )),
            _ => Ok(()),
        }
    }
}

/// Exactly one of `clusterRef` and `cluster`, and one of `taskDefinitionRef` and `taskDefinition`, none empty.
pub fn check_references(refs: &References<'_>) -> Result<(), String> {
    match (refs.cluster_ref, refs.cluster) {
        (Some(_), Some(_)) | (None, None) => {
            return Err("set exactly one of spec.clusterRef and spec.cluster: clusterRef names an EcsCluster in \
                        this namespace, cluster the name or ARN of a cluster not managed here"
                .into());
        }
        (Some(reference), None) if reference.name.is_empty() => {
            return Err("spec.clusterRef.name must not be empty".into());
        }
        (None, Some(cluster)) if cluster.is_empty() => {
            return Err("spec.cluster must not be empty".into());
        }
        _ => {}
    }
    match (refs.task_definition_ref, refs.task_definition) {
        (None, None) if refs.task_definition_optional => Ok(()),
        (Some(_), Some(_)) | (None, None) => {
            Err("set exactly one of spec.taskDefinitionRef and spec.taskDefinition: taskDefinitionRef names \
                 a TaskDefinition in this namespace, taskDefinition a family, family:revision or ARN"
                .into())
        }
        (Some(reference), None) if reference.name.is_empty() => {
            Err("spec.taskDefinitionRef.name must not be empty".into())
        }
        (None, Some(task_definition)) if task_definition.is_empty() => {
            Err("spec.taskDefinition must not be empty".into())
        }
        _ => Ok(()),
    }
}
