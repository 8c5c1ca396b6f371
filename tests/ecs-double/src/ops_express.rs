//! ECS Express Mode operations: CreateExpressGatewayService, DescribeExpressGatewayService,
//! UpdateExpressGatewayService and DeleteExpressGatewayService (docs/ecs-behaviour.md, entries 153-160).
//!
//! - Create makes the `default` cluster when it is named (or implied) and missing; another cluster must be
//!   ACTIVE. A name an ACTIVE or DRAINING Express service, or a live ordinary service, of the cluster has is
//!   refused.
//! - The service is ACTIVE from its creation; its configuration gets its public HTTPS endpoint, security group
//!   and task definition once provisioning is over (one rollout duration).
//! - Update adds a configuration: two are active until the deployment is over (one rollout duration), then the
//!   old one goes. `infrastructureRoleArn`, `serviceName`, `cluster` and `tags` are not in the update's shape.
//! - A task definition of one's own (`taskDefinitionArn`, entry 196) replaces the primary container: it must be
//!   an ACTIVE revision with a container named `Main` with one TCP port mapping that has a container port and a
//!   name, compatible with FARGATE; `primaryContainer`, the roles, `cpu`, `memory` and `cpuArchitecture` are
//!   refused with it. An update with neither keeps what the service runs.
//! - The service is an ECS service of its cluster: DescribeServices and the tag operations see it by its ARN
//!   (entries 197, 199; `ops_express_view`).
//! - Delete puts the service in DRAINING; after one rollout duration it is INACTIVE and what ECS made for it
//!   (load balancer, target groups, security groups, scaling) is gone. A service is named by ARN only.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::dispatch::Ctx;
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::state::{ACCOUNT, Cluster, Model};
use crate::tags::Tags;

/// The members of a configuration UpdateExpressGatewayService changes.
const UPDATABLE: [&str; 10] = [
    "executionRoleArn",
    "taskRoleArn",
    "primaryContainer",
    "cpu",
    "memory",
    "cpuArchitecture",
    "healthCheckPath",
    "scalingTarget",
    "networkConfiguration",
    "taskDefinitionArn",
];

/// What a task definition of one's own already sets: refused next to `taskDefinitionArn`, dropped from a
/// configuration that switches to one.
const FROM_OWN_TASK_DEFINITION: [&str; 6] = [
    "primaryContainer",
    "executionRoleArn",
    "taskRoleArn",
    "cpu",
    "memory",
    "cpuArchitecture",
];

/// One configuration (service revision) of an Express service.
pub struct Configuration {
    pub settings: Map<String, Value>,
    pub revision_arn: String,
    pub task_definition_arn: String,
    pub created_at: f64,
    /// When provisioning (or the deployment to it) is over.
    pub ready_at: f64,
}

/// One Express service.
pub struct ExpressService {
    pub name: String,
    pub cluster: String,
    pub arn: String,
    pub infrastructure_role_arn: String,
    pub configurations: Vec<Configuration>,
    pub tags: Tags,
    pub created_at: f64,
    /// When DeleteExpressGatewayService was called; INACTIVE one rollout duration later.
    pub deleted_at: Option<f64>,
}

/// The Express services of the account and Region, by ARN.
#[derive(Default)]
pub struct ExpressServices(pub BTreeMap<String, ExpressService>);

impl ExpressService {
    pub fn status(&self, ctx: &Ctx) -> &'static str {
        match self.deleted_at {
            None => "ACTIVE",
            Some(at) if ctx.now < at + ctx.duration => "DRAINING",
            Some(_) => "INACTIVE",
        }
    }

    /// The configurations ECS reports as active now: the newest, and the one before it while it deploys.
    fn active(&self, ctx: &Ctx) -> Vec<&Configuration> {
        let Some(newest) = self.configurations.last() else {
            return Vec::new();
        };
        let mut active = Vec::new();
        let previous = self.configurations.len().checked_sub(2);
        if ctx.now < newest.ready_at
            && let Some(previous) = previous.and_then(|i| self.configurations.get(i))
        {
            active.push(previous);
        }
        active.push(newest);
        active
    }

    fn render(&self, ctx: &Ctx, model: &Model, tags: bool) -> Value {
        let status = self.status(ctx);
        let configurations: Vec<Value> = if status == "INACTIVE" {
            Vec::new()
        } else {
            self.active(ctx)
                .into_iter()
                .map(|c| self.render_configuration(c, ctx, model))
                .collect()
        };
        let mut out = json!({
            "serviceArn": self.arn,
            "serviceName": self.name,
            "cluster": model.cluster_arn(&self.cluster),
            "infrastructureRoleArn": self.infrastructure_role_arn,
            "status": {"statusCode": status},
            "currentDeployment": self.configurations.last().map(|c| c.revision_arn.clone()),
            "activeConfigurations": configurations,
            "createdAt": self.created_at,
        });
        if tags {
            out["tags"] = self.tags.to_json();
        }
        out
    }

    fn render_configuration(&self, c: &Configuration, ctx: &Ctx, model: &Model) -> Value {
        let mut out = Value::Object(c.settings.clone());
        out["serviceRevisionArn"] = json!(c.revision_arn);
        out["createdAt"] = json!(c.created_at);
        if ctx.now >= c.ready_at {
            out["taskDefinitionArn"] = json!(c.task_definition_arn);
            let endpoint = format!("{}.ecs.{}.on.aws", self.name, model.region);
            out["ingressPaths"] = json!([{"accessType": "PUBLIC", "endpoint": endpoint}]);
            let network = out["networkConfiguration"]
                .as_object_mut()
                .expect("networkConfiguration is filled in at creation");
            network.entry("securityGroups").or_insert_with(|| {
                json!([format!(
                    "sg-{}",
                    &crate::ids::uuid(hash(&self.arn))[..17].replace('-', "")
                )])
            });
        }
        out
    }
}

fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        "ServiceNotFoundException",
        format!("The Express service {arn} does not exist."),
    )
}

/// The updatable members of a request, with ECS's defaults for what a create leaves out.
fn settings(
    model: &Model,
    req: &Request,
    base: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>, ApiError> {
    let own = req.str("taskDefinitionArn")?;
    if let Some(arn) = own {
        for member in FROM_OWN_TASK_DEFINITION {
            if req.value(member).is_some_and(|v| !v.is_null()) {
                return Err(ApiError::invalid(format!(
                    "If you provide a task definition ARN, you cannot also specify {member}."
                )));
            }
        }
        check_own_task_definition(model, arn)?;
    }
    let mut settings = base.cloned().unwrap_or_else(|| {
        let defaults = json!({"cpu": "1024", "memory": "2048", "healthCheckPath": "/ping",
            "networkConfiguration": {"subnets": ["subnet-0default0a", "subnet-0default0b"]},
            "scalingTarget": {"minTaskCount": 1, "maxTaskCount": 20, "autoScalingMetric": "AVERAGE_CPU",
                "autoScalingTargetValue": 60}});
        defaults.as_object().cloned().unwrap_or_default()
    });
    let switches_to_container = req.value("primaryContainer").is_some_and(|v| !v.is_null());
    if own.is_some() {
        for member in FROM_OWN_TASK_DEFINITION {
            settings.remove(member);
        }
    } else if switches_to_container {
        settings.remove("taskDefinitionArn");
    }
    for key in UPDATABLE {
        if let Some(value) = req.value(key).filter(|v| !v.is_null()) {
            settings.insert(key.to_owned(), value.clone());
        }
    }
    if settings.contains_key("taskDefinitionArn") {
        return Ok(settings);
    }
    if base.is_none() && req.str("executionRoleArn")?.is_none() {
        return Err(ApiError::invalid("executionRoleArn is required."));
    }
    let container = settings
        .get_mut("primaryContainer")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| ApiError::invalid("primaryContainer is required."))?;
    if !container.get("image").is_some_and(Value::is_string) {
        return Err(ApiError::invalid("primaryContainer.image is required."));
    }
    container.entry("containerPort").or_insert(json!(80));
    if let Some(path) = settings.get("healthCheckPath").and_then(Value::as_str)
        && !path.starts_with('/')
    {
        return Err(ApiError::invalid(
            "healthCheckPath must start with a forward slash.",
        ));
    }
    Ok(settings)
}

/// A task definition of one's own: an ACTIVE revision, FARGATE-compatible, with a container named `Main` that has
/// one TCP port mapping with a container port and a name.
fn check_own_task_definition(model: &Model, arn: &str) -> Result<(), ApiError> {
    let body = &model.active_revision(arn)?.body;
    let fargate = body
        .get("requiresCompatibilities")
        .and_then(Value::as_array)
        .is_some_and(|list| list.iter().any(|c| c == "FARGATE"));
    if !fargate {
        return Err(ApiError::invalid(
            "The task definition must have FARGATE compatibility.",
        ));
    }
    let main = body
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .and_then(|list| list.iter().find(|c| c["name"] == "Main"));
    let mappings = main
        .and_then(|c| c.get("portMappings"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let one_named_tcp_port = matches!(mappings, [only] if only.get("containerPort").is_some()
        && only.get("name").is_some_and(Value::is_string)
        && only.get("protocol").is_none_or(|p| p == "tcp"));
    if !one_named_tcp_port {
        return Err(ApiError::invalid(
            "The task definition must have a container named Main with a single TCP port mapping that includes \
             a container port and port name.",
        ));
    }
    Ok(())
}

fn configuration(
    model: &mut Model,
    service: &str,
    cluster: &str,
    settings: Map<String, Value>,
    ctx: &Ctx,
) -> Configuration {
    let id = model.ids.deployment();
    let task_definition_arn = match settings.get("taskDefinitionArn").and_then(Value::as_str) {
        Some(own) => own.to_owned(),
        None => format!(
            "arn:aws:ecs:{}:{ACCOUNT}:task-definition/{cluster}-{service}:1",
            model.region
        ),
    };
    Configuration {
        settings,
        revision_arn: format!(
            "arn:aws:ecs:{}:{ACCOUNT}:service-revision/{cluster}/{service}/{id}",
            model.region
        ),
        task_definition_arn,
        created_at: ctx.now,
        ready_at: ctx.now + ctx.duration,
    }
}

/// CreateExpressGatewayService.
pub fn create(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    req.required_str("infrastructureRoleArn")?;
    let cluster = Model::cluster_name(req.str("cluster")?).to_owned();
    if cluster == crate::state::DEFAULT_CLUSTER
        && !model.clusters.get(&cluster).is_some_and(|c| c.active)
    {
        let arn = model.cluster_arn(&cluster);
        model.clusters.insert(
            cluster.clone(),
            Cluster {
                name: cluster.clone(),
                arn,
                active: true,
                settings: Vec::new(),
                configuration: None,
                capacity_providers: vec!["FARGATE".into()],
                default_strategy: Vec::new(),
                service_connect_defaults: None,
                tags: Tags::default(),
            },
        );
    }
    model.active_cluster(Some(&cluster))?;
    let name = match req.str("serviceName")? {
        Some(name) => name.to_owned(),
        None => format!("express-{}", model.ids.deployment()),
    };
    crate::validate::name("Service", &name)?;
    let arn = model.service_arn(&cluster, &name);
    let taken = model
        .express
        .0
        .get(&arn)
        .is_some_and(|s| s.status(ctx) != "INACTIVE");
    if taken || model.live_services(&cluster).any(|s| s.name == name) {
        return Err(ApiError::invalid("Creation of service was not idempotent."));
    }
    let settings = settings(model, req, None)?;
    let first = configuration(model, &name, &cluster, settings, ctx);
    let service = ExpressService {
        name,
        cluster,
        arn: arn.clone(),
        infrastructure_role_arn: req.required_str("infrastructureRoleArn")?.to_owned(),
        configurations: vec![first],
        tags: Tags::from_request(req, "tags")?,
        created_at: ctx.now,
        deleted_at: None,
    };
    let out = service.render(ctx, model, true);
    model.express.0.insert(arn, service);
    Ok(json!({"service": out}))
}

/// DescribeExpressGatewayService.
pub fn describe(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let arn = req.required_str("serviceArn")?;
    let tags = req.includes("TAGS")?;
    let service = model.express.0.get(arn).ok_or_else(|| not_found(arn))?;
    Ok(json!({"service": service.render(ctx, model, tags)}))
}

/// UpdateExpressGatewayService.
pub fn update(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let arn = req.required_str("serviceArn")?.to_owned();
    let service = model.express.0.get(&arn).ok_or_else(|| not_found(&arn))?;
    if service.status(ctx) != "ACTIVE" {
        return Err(ApiError::invalid(format!(
            "The Express service {arn} is not ACTIVE."
        )));
    }
    let base = service.configurations.last().map(|c| c.settings.clone());
    let (name, cluster) = (service.name.clone(), service.cluster.clone());
    let settings = settings(model, req, base.as_ref())?;
    let next = configuration(model, &name, &cluster, settings, ctx);
    let target = Value::Object(next.settings.clone());
    let service = model
        .express
        .0
        .get_mut(&arn)
        .ok_or_else(|| not_found(&arn))?;
    service.configurations.push(next);
    Ok(
        json!({"service": {"serviceArn": arn, "serviceName": name, "status": {"statusCode": "ACTIVE"},
        "targetConfiguration": target}}),
    )
}

/// DeleteExpressGatewayService.
pub fn delete(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let arn = req.required_str("serviceArn")?.to_owned();
    let service = model.express.0.get(&arn).ok_or_else(|| not_found(&arn))?;
    if service.status(ctx) == "INACTIVE" {
        return Err(not_found(&arn));
    }
    let service = model
        .express
        .0
        .get_mut(&arn)
        .ok_or_else(|| not_found(&arn))?;
    service.deleted_at.get_or_insert(ctx.now);
    let out = model.express.0[&arn].render(ctx, model, false);
    Ok(json!({"service": out}))
}

#[cfg(test)]
#[path = "ops_express_tests.rs"]
mod tests;
