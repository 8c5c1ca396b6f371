//! The custom resource types of ecs-bridge: one file per kind, plus what they share.

pub mod autoscaling;
pub mod cluster;
pub mod common;
pub mod service;
pub mod task_definition;

pub use cluster::{EcsCluster, EcsClusterSpec, EcsClusterStatus};
pub use common::{Condition, DeletionPolicy, LocalRef, Tags};
pub use service::{EcsService, EcsServiceSpec, EcsServiceStatus};
pub use task_definition::{TaskDefinition, TaskDefinitionSpec, TaskDefinitionStatus};
