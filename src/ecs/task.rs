//! ECS task calls: RunTask (sent once, never repeated blindly: its client token makes a later repeat safe),
//! DescribeTasks (lookups of many objects batched up to 100 tasks per cluster), StopTask and ListTasks.

use std::collections::HashMap;

use aws_sdk_ecs::error::SdkError;
use aws_sdk_ecs::operation::RequestId;
use aws_sdk_ecs::operation::run_task::{RunTaskError, RunTaskInput};
use aws_sdk_ecs::types::DesiredStatus;
use serde::Deserialize;

use super::batch::Found;
use super::bridge::{from_sdk, to_sdk};
use super::limits::Category;
use super::{AwsError, AwsErrorKind, Core, Ecs};
use crate::api::Tags;
use crate::api::task::EcsTaskSpec;

/// DescribeTasks answers for at most this many tasks per call.
pub const DESCRIBE_TASKS_BATCH: usize = 100;

/// StopTask reasons longer than this were refused until 2024 (catalogue entry 64): cut to be safe.
const MAX_STOP_REASON: usize = 255;

/// A task as ECS reports it; timestamps are epoch seconds.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservedTask {
    pub task_arn: String,
    pub task_definition_arn: Option<String>,
    pub last_status: Option<String>,
    pub desired_status: Option<String>,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    pub created_at: Option<f64>,
    pub started_at: Option<f64>,
    pub stopped_at: Option<f64>,
    pub containers: Vec<ObservedContainer>,
    /// `HEALTHY`, `UNHEALTHY` or `UNKNOWN` (catalogue entry 97).
    pub health_status: Option<String>,
    pub availability_zone: Option<String>,
    /// The ENI of an awsvpc task (catalogue entry 96), ...
    pub attachments: Vec<super::service_tasks::ObservedAttachment>,
}

/// One container of a task as ECS reports it.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservedContainer {
    pub name: String,
    pub last_status: Option<String>,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    /// The task's ENI as the container sees it (awsvpc tasks; catalogue entry 98).
    pub network_interfaces: Vec<super::service_tasks::ObservedNetworkInterface>,
}

/// What RunTask answered: the tasks it started and why others could not be placed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Started {
    pub tasks: Vec<ObservedTask>,
    /// One per task that was not started.
    pub failures: Vec<Failure>,
}

/// Why RunTask did not start one task.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Failure {
    /// `RESOURCE:MEMORY`, `AGENT`, `ATTRIBUTE`, ...
    pub reason: String,
    pub detail: Option<String>,
}

impl Failure {
    /// Whether the task could not be placed for now (catalogue entry 59: `RESOURCE:*` and `AGENT`), which a
    /// later RunTask may place: not a failure of the task.
    pub fn is_placement(&self) -> bool {
        self.reason.starts_with("RESOURCE:") || self.reason == "AGENT"
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "{}: {detail}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// One RunTask call of a run.
pub struct RunRequest<'a> {
    pub cluster: &'a str,
    pub task_definition: &'a str,
    /// The run's recorded request: see [`request_json`].
    pub request: &'a str,
    pub count: i32,
    pub client_token: &'a str,
    pub started_by: &'a str,
}

/// What a ConflictException to RunTask says: the client token is in use with another request, and these are
/// the tasks it started (`resourceIds`, catalogue entry 58).
pub const RUN_TASK_CONFLICT: &str = "ConflictException";

/// Spec fields that are the operator's own or passed resolved; never sent as they are.
const NOT_SENT_FROM_SPEC: [&str; 12] = [
    "region",
    "exportTo",
    "clusterRef",
    "cluster",
    "taskDefinitionRef",
    "taskDefinition",
    "tags",
    "backoffLimit",
    "activeDeadlineSeconds",
    "ttlSecondsAfterFinished",
    "deletionPolicy",
    "count",
];

/// The RunTask fields of a run as ECS JSON (the ECS fields of the spec and the tags; not the cluster, the task
/// definition, `count` or the client token): recorded when the run starts and sent by every attempt.
pub fn request_json(spec: &EcsTaskSpec, tags: &Tags) -> Result<String, AwsError> {
    let mut fields = serde_json::to_value(spec).map_err(|e| AwsError::conversion(e.to_string()))?;
    if let Some(map) = fields.as_object_mut() {
        for key in NOT_SENT_FROM_SPEC {
            map.remove(key);
        }
        let tags: Vec<serde_json::Value> = tags
            .iter()
            .map(|(key, value)| serde_json::json!({"key": key, "value": value}))
            .collect();
        map.insert("tags".into(), tags.into());
    }
    Ok(fields.to_string())
}

/// A recorded request as a `RunTask` input.
fn run_input(request: &str) -> Result<RunTaskInput, AwsError> {
    let fields: serde_json::Value =
        serde_json::from_str(request).map_err(|e| AwsError::conversion(e.to_string()))?;
    to_sdk(&fields, RunTaskInput::deserialize)
}

/// Whether a task from a RunTask answer is a stopped one described by its ARN and statuses only, as ECS answers a
/// repeated RunTask (catalogue entry 58): a task ECS describes in full has its containers.
fn is_trimmed(task: &ObservedTask) -> bool {
    task.last_status.as_deref() == Some("STOPPED") && task.containers.is_empty()
}

/// Fargate's own limit of RunTask calls (catalogue entry 67) for a launch that may be on Fargate: the FARGATE
/// launch type, a strategy naming FARGATE or FARGATE_SPOT, or neither (the cluster's default strategy may).
fn fargate_limit(input: &RunTaskInput) -> Option<Category> {
    let strategy = input
        .capacity_provider_strategy
        .as_deref()
        .unwrap_or_default();
    let fargate = match &input.launch_type {
        Some(launch_type) => *launch_type == aws_sdk_ecs::types::LaunchType::Fargate,
        None if strategy.is_empty() => true,
        None => strategy
            .iter()
            .any(|item| item.capacity_provider.starts_with("FARGATE")),
    };
    fargate.then_some(Category::FargateRunTask)
}

impl Ecs {
    /// Starts `spec.count` tasks. Sent once: after a 5xx or a time-out the effect is unknown, and the reconcile
    /// sends the same request with the same client token again, which returns the tasks already started. A
    /// launch that may be on Fargate also waits for Fargate's RunTask bucket.
    pub async fn run_task(&self, run: &RunRequest<'_>) -> Result<Started, AwsError> {
        let input = run_input(run.request)?;
        let fargate = fargate_limit(&input);
        let request = self
            .client
            .run_task()
            .cluster(run.cluster)
            .task_definition(run.task_definition)
            .count(run.count)
            .client_token(run.client_token)
            .started_by(run.started_by)
            .set_tags(input.tags)
            .set_launch_type(input.launch_type)
            .set_capacity_provider_strategy(input.capacity_provider_strategy)
            .set_network_configuration(input.network_configuration)
            .set_overrides(input.overrides)
            .set_platform_version(input.platform_version)
            .set_group(input.group)
            .set_propagate_tags(input.propagate_tags)
            .set_enable_execute_command(input.enable_execute_command);
        let conflicting = std::sync::Mutex::new(Vec::new());
        let sent = self
            .call_once_also("RunTask", fargate, || {
                let answer = request.clone().send();
                async {
                    let answer = answer.await;
                    if let Err(SdkError::ServiceError(service)) = &answer
                        && let RunTaskError::ConflictException(conflict) = service.err()
                    {
                        *conflicting.lock().unwrap_or_else(|e| e.into_inner()) =
                            conflict.resource_ids().to_vec();
                    }
                    answer
                }
            })
            .await;
        let out = match sent {
            Ok(out) => out,
            Err(err) if err.code.as_deref() == Some(RUN_TASK_CONFLICT) => {
                let arns = conflicting.into_inner().unwrap_or_else(|e| e.into_inner());
                if arns.is_empty() {
                    return Err(err);
                }
                let described = self.describe_tasks(run.cluster, &arns).await?;
                let tasks = arns
                    .iter()
                    .map(|arn| {
                        described.get(arn).cloned().unwrap_or_else(|| ObservedTask {
                            task_arn: arn.clone(),
                            ..Default::default()
                        })
                    })
                    .collect();
                return Ok(Started {
                    tasks,
                    failures: Vec::new(),
                });
            }
            Err(err) => return Err(err),
        };
        let mut tasks: Vec<ObservedTask> = out
            .tasks()
            .iter()
            .map(|t| from_sdk(t))
            .collect::<Result<_, _>>()?;
        // Catalogue entry 58: a repeat answers a task stopped since with its ARN and statuses only; its outcome
        // (stop code, exit codes) is read with DescribeTasks, never judged from the trimmed answer.
        let trimmed: Vec<String> = tasks
            .iter()
            .filter(|t| is_trimmed(t))
            .map(|t| t.task_arn.clone())
            .collect();
        if !trimmed.is_empty() {
            let described = self.describe_tasks(run.cluster, &trimmed).await?;
            for task in &mut tasks {
                if let Some(full) = described.get(&task.task_arn) {
                    *task = full.clone();
                }
            }
        }
        let failures = out
            .failures()
            .iter()
            .map(|f| Failure {
                reason: f.reason().unwrap_or("unknown").to_owned(),
                detail: f.detail().map(str::to_owned),
            })
            .collect();
        Ok(Started { tasks, failures })
    }

    /// The task `arn` of `cluster`, or `None` when ECS does not know it (yet, or any more); lookups made at about
    /// the same time share DescribeTasks calls of up to 100 tasks per cluster.
    pub async fn describe_task(
        &self,
        cluster: &str,
        arn: &str,
    ) -> Result<Option<ObservedTask>, AwsError> {
        self.tasks.lookup(cluster, arn).await
    }

    /// Reads tasks of `cluster` now, in DescribeTasks calls of 100, for the reconciles that follow (each takes its
    /// task's answer once, while it is fresh); returns the tasks ECS showed, by ARN.
    pub async fn prefetch_tasks(
        &self,
        cluster: &str,
        arns: Vec<String>,
    ) -> Result<HashMap<String, ObservedTask>, AwsError> {
        self.tasks.prefetch(cluster, arns).await
    }

    /// The DescribeTasks calls a second the task-read bucket sustains now; None when calls are not limited.
    pub fn task_reads_per_second(&self) -> Option<f64> {
        self.limits.sustained(Category::TaskRead)
    }

    /// Stops a task with `reason`; a task or cluster that is gone counts as stopped.
    pub async fn stop_task(&self, cluster: &str, arn: &str, reason: &str) -> Result<(), AwsError> {
        let reason: String = reason.chars().take(MAX_STOP_REASON).collect();
        let result = self
            .call("StopTask", || {
                self.client
                    .stop_task()
                    .cluster(cluster)
                    .task(arn)
                    .reason(&reason)
                    .send()
            })
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.kind == AwsErrorKind::NotFound => Ok(()),
            // Unsourced: a task that already stopped or expired may be refused (catalogue entry 64).
            Err(e) if e.message.contains("not found") => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl Ecs {
    /// The ARNs of the tasks of `cluster` that `started_by` started and that are to keep running (ListTasks'
    /// desired status RUNNING), or with `stopped` those that are to stop or stopped (STOPPED; ECS lists them for
    /// about an hour, catalogue entry 62); none when the cluster is gone.
    pub async fn list_tasks_started_by(
        &self,
        cluster: &str,
        started_by: &str,
        stopped: bool,
    ) -> Result<Vec<String>, AwsError> {
        let desired = if stopped {
            DesiredStatus::Stopped
        } else {
            DesiredStatus::Running
        };
        let mut arns = Vec::new();
        let mut next = None;
        loop {
            let request = self
                .client
                .list_tasks()
                .cluster(cluster)
                .started_by(started_by)
                .desired_status(desired.clone())
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

impl Core {
    /// One DescribeTasks call for up to 100 tasks of a cluster: the ones ECS knows, by ARN. MISSING ones are left
    /// out (right after RunTask a task may not be visible yet).
    pub async fn describe_tasks(&self, cluster: &str, arns: &[String]) -> Found<ObservedTask> {
        let request = self
            .client
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(arns.to_vec()));
        let out = self
            .call("DescribeTasks", || request.clone().send())
            .await?;
        super::batch::refuse_failures(
            "DescribeTasks",
            cluster,
            "task",
            out.failures(),
            out.request_id(),
        )?;
        let mut found = HashMap::new();
        for task in out.tasks() {
            let task: ObservedTask = from_sdk(task)?;
            found.insert(task.task_arn.clone(), task);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types as sdk;
    use serde_json::json;

    #[test]
    fn reads_a_stopped_task() {
        let task = to_sdk(
            &json!({"taskArn": "arn:t", "lastStatus": "STOPPED", "stopCode": "EssentialContainerExited",
                    "stoppedAt": 1700000000.5,
                    "containers": [{"name": "app", "exitCode": 3, "reason": "boom"}]}),
            sdk::Task::deserialize,
        )
        .unwrap();
        let observed: ObservedTask = from_sdk(&task).unwrap();
        assert_eq!(
            observed.stop_code.as_deref(),
            Some("EssentialContainerExited")
        );
        assert_eq!(observed.containers[0].exit_code, Some(3));
        assert_eq!(observed.stopped_at, Some(1_700_000_000.5));
    }

    #[test]
    fn a_stopped_task_without_containers_is_a_trimmed_answer() {
        let task = |value: serde_json::Value| -> ObservedTask {
            from_sdk(&to_sdk(&value, sdk::Task::deserialize).unwrap()).unwrap()
        };
        let arn = "arn:aws:ecs:us-east-1:1:task/main/t1";
        assert!(is_trimmed(&task(json!({
            "taskArn": arn, "lastStatus": "STOPPED", "desiredStatus": "STOPPED"
        }))));
        assert!(!is_trimmed(&task(json!({
            "taskArn": arn, "lastStatus": "STOPPED", "desiredStatus": "STOPPED",
            "stopCode": "EssentialContainerExited", "containers": [{"name": "app", "exitCode": 0}]
        }))));
        assert!(!is_trimmed(&task(json!({
            "taskArn": arn, "lastStatus": "PROVISIONING", "desiredStatus": "RUNNING"
        }))));
    }

    #[test]
    fn a_launch_that_may_be_on_fargate_takes_fargates_run_task_bucket() {
        let limit = |spec: serde_json::Value| {
            let mut spec = spec;
            spec["cluster"] = json!("main");
            spec["taskDefinition"] = json!("job");
            let spec: EcsTaskSpec = serde_json::from_value(spec).unwrap();
            fargate_limit(&run_input(&request_json(&spec, &Tags::default()).unwrap()).unwrap())
        };
        let fargate = Some(Category::FargateRunTask);
        assert_eq!(limit(json!({"launchType": "FARGATE"})), fargate);
        assert_eq!(
            limit(json!({})),
            fargate,
            "the cluster's default may be Fargate"
        );
        let spot = json!({"capacityProviderStrategy": [{"capacityProvider": "ec2-cp", "weight": 1},
                                                       {"capacityProvider": "FARGATE_SPOT", "weight": 1}]});
        assert_eq!(limit(spot), fargate);
        assert_eq!(limit(json!({"launchType": "EC2"})), None);
        assert_eq!(limit(json!({"launchType": "EXTERNAL"})), None);
        let ec2 =
            json!({"capacityProviderStrategy": [{"capacityProvider": "ec2-cp", "weight": 1}]});
        assert_eq!(limit(ec2), None);
    }

    #[test]
    fn sends_the_ecs_fields_of_the_spec_only() {
        let spec: EcsTaskSpec = serde_json::from_value(json!({
            "cluster": "main", "taskDefinition": "job", "count": 2, "backoffLimit": 3, "launchType": "FARGATE",
            "overrides": {"containerOverrides": [{"name": "app", "command": ["true"]}]},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"]}}
        }))
        .unwrap();
        let tags: Tags = [("team".to_owned(), "data".to_owned())]
            .into_iter()
            .collect();
        let input = run_input(&request_json(&spec, &tags).unwrap()).unwrap();
        assert_eq!(input.launch_type, Some(sdk::LaunchType::Fargate));
        assert_eq!(input.tags()[0].key(), Some("team"));
        let overrides = input.overrides.unwrap();
        assert_eq!(overrides.container_overrides()[0].command(), ["true"]);
        assert!(input.cluster.is_none() && input.count.is_none());
    }
}
