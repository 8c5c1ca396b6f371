//! The custom resource types of ecs-bridge: one file per kind, plus what they share.

pub mod account;
pub mod admission;
pub mod autoscaling;
pub mod capacity_provider;
pub mod cluster;
pub mod common;
pub mod cron_task;
pub mod daemon;
pub mod daemon_task_definition;
pub mod express_service;
pub mod gateway;
pub mod kubernetes_service;
pub mod managed_instances;
pub mod region;
pub mod service;
pub mod service_connect;
pub mod service_deployment;
pub mod service_network;
pub mod service_pause;
pub mod service_revision_fields;
pub mod service_status;
pub mod task;
pub mod task_definition;
pub mod task_definition_container;
pub mod task_definition_linux;
pub mod task_definition_logging;
pub mod task_definition_volume;
pub mod task_status;

pub use account::{EcsAccount, EcsAccountSpec};
pub use capacity_provider::{CapacityProvider, CapacityProviderSpec, CapacityProviderStatus};
pub use cluster::{EcsCluster, EcsClusterSpec, EcsClusterStatus};
pub use common::{Condition, DeletionPolicy, LocalRef, Tags};
pub use cron_task::{EcsCronTask, EcsCronTaskSpec, EcsCronTaskStatus};
pub use daemon::{EcsDaemon, EcsDaemonSpec, EcsDaemonStatus};
pub use daemon_task_definition::{
    DaemonTaskDefinition, DaemonTaskDefinitionSpec, DaemonTaskDefinitionStatus,
};
pub use express_service::{EcsExpressService, EcsExpressServiceSpec, EcsExpressServiceStatus};
pub use gateway::{EcsGateway, EcsGatewaySpec, EcsGatewayStatus};
pub use service::{EcsService, EcsServiceSpec, EcsServiceStatus};
pub use task::{EcsTask, EcsTaskSpec, EcsTaskStatus};
pub use task_definition::{TaskDefinition, TaskDefinitionSpec, TaskDefinitionStatus};
