//! Routes an ECS operation name to its implementation.

use crate::protocol::OpResult;
use crate::request::Request;
use crate::settings::{Broken, PlacementReason, TaskOutcome};
use crate::state::Model;
use crate::task_life::Timing;
use crate::task_memory::Memory;
use crate::{
    ops_capacity_provider, ops_cluster, ops_express, ops_gateway, ops_gateway_links, ops_run_task,
    ops_scaling, ops_service, ops_service_deployment, ops_tags, ops_task, ops_task_definition,
};

/// What an operation needs besides the model and the request.
pub struct Ctx {
    /// Now, in epoch seconds.
    pub now: f64,
    /// How long rollouts, drains and task definition deletions take (seconds, speed-up applied).
    pub duration: f64,
    /// How long a minute of a bake time lasts (seconds, speed-up applied).
    pub minute: f64,
    /// Share of new deployments that fail.
    pub failure_rate: f64,
    /// Container instances per cluster (DAEMON services run one task on each).
    pub container_instances: i32,
    /// Behaviours broken on purpose.
    pub broken: Vec<Broken>,
    /// How long the stages of a new task's life take.
    pub task_timing: Timing,
    /// How new tasks end.
    pub task_outcome: TaskOutcome,
    /// How long a new service deployment stays out of ListServiceDeployments.
    pub list_lag: f64,
    /// How long STOPPED tasks and RunTask client tokens are remembered.
    pub memory: Memory,
    /// Share of the tasks RunTask is asked for that cannot be placed.
    pub placement_failure_rate: f64,
    /// The reason a task that cannot be placed gets.
    pub placement_failure_reason: PlacementReason,
    /// The exit code of a non-essential container ECS stops when an essential one exits.
    pub sidecar_exit_code: i32,
}

impl Ctx {
    /// Whether the documented behaviour `which` holds (it does unless broken on purpose).
    pub fn holds(&self, which: Broken) -> bool {
        !self.broken.contains(&which)
    }
}

/// An ECS operation.
pub type Op = fn(&mut Model, &Ctx, &Request) -> OpResult;

/// The implementation of `operation`, if the double has one.
pub fn find(operation: &str) -> Option<Op> {
    Some(match operation {
        "CreateCluster" => ops_cluster::create,
        "DescribeClusters" => ops_cluster::describe,
        "UpdateCluster" => ops_cluster::update,
        "PutClusterCapacityProviders" => ops_cluster::put_capacity_providers,
        "DeleteCluster" => ops_cluster::delete,
        "ListClusters" => ops_cluster::list,
        "CreateCapacityProvider" => ops_capacity_provider::create,
        "DescribeCapacityProviders" => ops_capacity_provider::describe,
        "UpdateCapacityProvider" => ops_capacity_provider::update,
        "DeleteCapacityProvider" => ops_capacity_provider::delete,
        "RegisterDaemonTaskDefinition" => crate::ops_daemon_task_definition::register,
        "DescribeDaemonTaskDefinition" => crate::ops_daemon_task_definition::describe,
        "ListDaemonTaskDefinitions" => crate::ops_daemon_task_definition::list,
        "DeleteDaemonTaskDefinition" => crate::ops_daemon_task_definition::delete,
        "CreateDaemon" => crate::ops_daemon::create,
        "DescribeDaemon" => crate::ops_daemon::describe,
        "UpdateDaemon" => crate::ops_daemon::update,
        "DeleteDaemon" => crate::ops_daemon::delete,
        "ListDaemons" => crate::ops_daemon::list,
        "DescribeDaemonDeployments" => crate::ops_daemon_deployment::describe_deployments,
        "DescribeDaemonRevisions" => crate::ops_daemon_deployment::describe_revisions,
        "CreateExpressGatewayService" => ops_express::create,
        "DescribeExpressGatewayService" => ops_express::describe,
        "UpdateExpressGatewayService" => ops_express::update,
        "DeleteExpressGatewayService" => ops_express::delete,
        "CreateGateway" => ops_gateway::create,
        "DescribeGateway" => ops_gateway::describe,
        "UpdateGateway" => ops_gateway::update,
        "DeleteGateway" => ops_gateway::delete,
        "AssociateGatewayWithCluster" => ops_gateway_links::associate,
        "DisassociateGatewayFromCluster" => ops_gateway_links::disassociate,
        "ListGatewayClusterAssociations" => ops_gateway_links::list_associations,
        "ListGatewayRoutes" => ops_gateway_links::list_routes,
        "DescribeGatewayResources" => ops_gateway_links::describe_resources,
        "RegisterTaskDefinition" => ops_task_definition::register,
        "DescribeTaskDefinition" => ops_task_definition::describe,
        "ListTaskDefinitions" => ops_task_definition::list,
        "DeregisterTaskDefinition" => ops_task_definition::deregister,
        "DeleteTaskDefinitions" => ops_task_definition::delete,
        "CreateService" => ops_service::create,
        "DescribeServices" => ops_service::describe,
        "UpdateService" => ops_service::update,
        "DeleteService" => ops_service::delete,
        "ListServices" => ops_service::list,
        "RunTask" => ops_run_task::run,
        "DescribeTasks" => ops_task::describe,
        "StopTask" => ops_task::stop,
        "ListTasks" => ops_task::list,
        "ListServiceDeployments" => ops_service_deployment::list,
        "DescribeServiceDeployments" => ops_service_deployment::describe,
        "StopServiceDeployment" => ops_service_deployment::stop,
        "ContinueServiceDeployment" => ops_service_deployment::continue_paused,
        "TagResource" => ops_tags::tag,
        "UntagResource" => ops_tags::untag,
        "ListTagsForResource" => ops_tags::list,
        // Application Auto Scaling, on the same endpoint (`AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING`).
        "RegisterScalableTarget" => ops_scaling::register,
        "DescribeScalableTargets" => ops_scaling::describe_targets,
        "DeregisterScalableTarget" => ops_scaling::deregister,
        "PutScalingPolicy" => ops_scaling::put_policy,
        "DescribeScalingPolicies" => ops_scaling::describe_policies,
        "DeleteScalingPolicy" => ops_scaling::delete_policy,
        "PutScheduledAction" => ops_scaling::put_scheduled,
        "DescribeScheduledActions" => ops_scaling::describe_scheduled,
        "DeleteScheduledAction" => ops_scaling::delete_scheduled,
        "DescribeScalingActivities" => ops_scaling::describe_activities,
        _ => return None,
    })
}

/// Runs one operation on a model at time `now`, with 10 s rollouts that never fail and tasks that run 5 s and
/// exit 0, all placed, stopped ones describable for an hour (unit tests of the operations).
#[cfg(test)]
pub fn call_at(op: Op, model: &mut Model, body: serde_json::Value, now: f64) -> OpResult {
    call_with(op, model, body, &test_ctx(now, 10.0, 60.0))
}

/// Runs one operation on a model in the context `ctx` (unit tests of the operations).
#[cfg(test)]
pub fn call_with(op: Op, model: &mut Model, body: serde_json::Value, ctx: &Ctx) -> OpResult {
    let request = Request::parse(body.to_string().as_bytes()).expect("a JSON request body");
    op(model, ctx, &request)
}

/// A context for unit tests: rollouts of `duration` seconds that never fail, minutes of `minute` seconds, tasks
/// that run 5 s and exit 0.
#[cfg(test)]
pub fn test_ctx(now: f64, duration: f64, minute: f64) -> Ctx {
    Ctx {
        now,
        duration,
        minute,
        failure_rate: 0.0,
        container_instances: 2,
        broken: Vec::new(),
        task_timing: Timing {
            step: 1.0,
            run: 5.0,
        },
        task_outcome: TaskOutcome::Exit(0),
        list_lag: 0.0,
        memory: Memory {
            stopped_task: 3600.0,
            client_token: 86400.0,
        },
        placement_failure_rate: 0.0,
        placement_failure_reason: PlacementReason::Memory,
        sidecar_exit_code: 137,
    }
}
