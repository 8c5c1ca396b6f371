//! One controller per kind: each supplies validation and planning (pure) and status, on the shared skeleton.

pub mod capacity_provider;
pub mod cluster;
pub mod compare;
pub mod cron_task;
pub mod daemon;
pub mod daemon_task_definition;
pub mod express_service;
pub mod gateway;
pub mod launch;
pub mod reference_cache;
pub mod references;
pub mod service;
pub mod task;
pub mod task_definition;
pub mod validation;
