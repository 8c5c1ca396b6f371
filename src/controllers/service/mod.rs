//! The `EcsService` controller: validate the spec, plan the ECS calls, follow the rollout, report status.

pub mod plan;
pub mod rollout;
pub mod status;
pub mod validate;
