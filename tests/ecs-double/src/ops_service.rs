//! Service operations: CreateService, DescribeServices, UpdateService, DeleteService and ListServices.

use serde_json::{Map, Value, json};

use crate::dispatch::Ctx;
use crate::paginate::{self, Entry};
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::rollout::{Breaker, NewDeployment, Run, ServiceStatus};
use crate::service_rules::{
    DAEMON_WITH_STRATEGY, check_controller, check_daemon, desired_count, fill_defaults, shown,
    strategy_in_use,
};
use crate::settings::Broken;
use crate::state::{ACCOUNT, Model, Service, short_name};
use crate::strategies;
use crate::tags::Tags;
use crate::validate;

/// DescribeServices takes at most this many services.
const MAX_DESCRIBE: usize = 10;

/// Members of a service that requests set and ECS shows on the service as they were given.
const SERVICE_MEMBERS: [&str; 16] = [
    "loadBalancers",
    "serviceRegistries",
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "deploymentConfiguration",
    "placementConstraints",
    "placementStrategy",
    "networkConfiguration",
    "healthCheckGracePeriodSeconds",
    "schedulingStrategy",
    "deploymentController",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
];

/// Members that ECS shows on each deployment (the last three only there).
const DEPLOYMENT_MEMBERS: [&str; 7] = [
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "networkConfiguration",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
];

/// UpdateService members that start a new deployment when they change (the API reference says which).
const REDEPLOY_MEMBERS: [&str; 7] = [
    "networkConfiguration",
    "platformVersion",
    "loadBalancers",
    "serviceRegistries",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
];

fn not_found() -> ApiError {
    ApiError::new("ServiceNotFoundException", "Service not found.")
}

fn breaker(config: &Map<String, Value>) -> Breaker {
    let breaker = config
        .get("deploymentConfiguration")
        .and_then(|d| d.get("deploymentCircuitBreaker"));
    let flag = |name: &str| {
        breaker
            .and_then(|b| b.get(name))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    Breaker {
        enable: flag("enable"),
        rollback: flag("rollback"),
    }
}

fn new_deployment(
    model: &mut Model,
    ctx: &Ctx,
    config: &Map<String, Value>,
    td: String,
    desired: i32,
) -> NewDeployment {
    let unpullable = model
        .revision(&td)
        .ok()
        .flatten()
        .is_some_and(|r| !r.images_pull());
    let extra = DEPLOYMENT_MEMBERS
        .iter()
        .filter_map(|m| shown(config, m).map(|v| ((*m).to_owned(), v.clone())))
        .collect();
    NewDeployment {
        task_definition: td,
        desired,
        fails: unpullable || model.rng.chance(ctx.failure_rate),
        breaker: breaker(config),
        extra,
        hold_until: crate::timeline::Timeline::of(config, ctx, ctx.now).map_or(0.0, |t| t.finish),
    }
}

fn render(service: &Service, include_tags: bool, now: f64) -> Value {
    let run = &service.run;
    let mut out = json!({
        "serviceArn": service.arn,
        "serviceName": service.name,
        "clusterArn": service.cluster_arn,
        "status": run.status().as_str(),
        "desiredCount": run.desired(),
        "runningCount": run.running(now),
        "pendingCount": run.pending(now),
        "deployments": run.deployments_json(now),
        "events": run.events_json(),
        "createdAt": service.created_at,
        "createdBy": format!("arn:aws:iam::{ACCOUNT}:root"),
    });
    if let Some(td) = run.task_definition() {
        out["taskDefinition"] = json!(td);
    }
    if let Some(current) = service.service_deployments.last() {
        out["currentServiceDeployment"] = json!(current.arn);
    }
    for member in SERVICE_MEMBERS.into_iter().chain(["roleArn"]) {
        if let Some(value) = shown(&service.config, member) {
            out[member] = value.clone();
        }
    }
    if include_tags {
        out["tags"] = service.tags.to_json();
    }
    out
}

/// CreateService. The same `clientToken` for the same name returns the service already created.
pub fn create(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let cluster = model.active_cluster(req.str("cluster")?)?;
    let (cluster_name, cluster_arn) = (cluster.name.clone(), cluster.arn.clone());
    let default_strategy = cluster.default_strategy.clone();
    let name = req.required_str("serviceName")?.to_owned();
    validate::name("Service", &name)?;
    let token = req.str("clientToken")?;
    let key = (cluster_name.clone(), name.clone());
    if let Some(existing) = model.services.get(&key) {
        match existing.run.status() {
            ServiceStatus::Active
                if token.is_some() && existing.client_token.as_deref() == token =>
            {
                return Ok(json!({"service": render(existing, true, ctx.now)}));
            }
            ServiceStatus::Active => {
                return Err(ApiError::invalid("Creation of service was not idempotent."));
            }
            ServiceStatus::Draining => {
                return Err(ApiError::invalid(
                    "Unable to Start a service that is still Draining.",
                ));
            }
            ServiceStatus::Inactive => {}
        }
    }
    let daemon = req.str("schedulingStrategy")? == Some("DAEMON");
    if daemon {
        check_daemon(req, ctx)?;
        if req.value("launchType").is_none() && !default_strategy.is_empty() {
            return Err(ApiError::invalid(DAEMON_WITH_STRATEGY));
        }
    }
    let desired = match desired_count(req)? {
        Some(_) | None if daemon => ctx.container_instances,
        Some(n) => n,
        None => {
            return Err(ApiError::invalid(
                "desiredCount is required for a REPLICA service.",
            ));
        }
    };
    if req.value("launchType").is_some() && req.value("capacityProviderStrategy").is_some() {
        return Err(ApiError::invalid(
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
        ));
    }
    let external = req
        .object("deploymentController")?
        .and_then(|c| c.get("type"))
        .is_some_and(|t| t != "ECS");
    let task_definition = match req.str("taskDefinition")? {
        Some(ident) => Some(model.active_revision(ident).map(|r| r.arn.clone())?),
        None if external => None,
        None => return Err(ApiError::invalid("A task definition must be given.")),
    };
    let tags = Tags::from_request(req, "tags")?;
    let mut config: Map<String, Value> = SERVICE_MEMBERS
        .iter()
        .chain(&DEPLOYMENT_MEMBERS)
        .filter_map(|m| req.value(m).map(|v| ((*m).to_owned(), v.clone())))
        .collect();
    if let Some(role) = req.str("role")? {
        config.insert("roleArn".into(), json!(role));
    }
    fill_defaults(&mut config, &default_strategy);
    let mut run = Run::new(&name, desired);
    if let Some(td) = task_definition {
        let new = new_deployment(model, ctx, &config, td, desired);
        run.deploy(new, ctx.now, ctx.duration, &mut model.ids);
    }
    let mut service = Service {
        arn: model.service_arn(&cluster_name, &name),
        name,
        cluster: cluster_name,
        cluster_arn,
        config,
        client_token: token.map(str::to_owned),
        created_at: ctx.now,
        tags,
        run,
        service_deployments: Vec::new(),
    };
    if let Some(id) = service.run.primary_id().map(str::to_owned) {
        strategies::begin(&mut service, ctx, &id);
    }
    let out = json!({"service": render(&service, true, ctx.now)});
    crate::ops_gateway_links::record_connectors(model, &key, req);
    model.services.insert(key, service);
    Ok(out)
}

/// DescribeServices: 1 to 10 names or ARNs; unknown ones are failures with reason MISSING.
pub fn describe(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let cluster = model.active_cluster(req.str("cluster")?)?.name.clone();
    let idents = req.strings("services")?.unwrap_or_default();
    if idents.is_empty() || idents.len() > MAX_DESCRIBE {
        return Err(ApiError::invalid(format!(
            "services must hold 1 to {MAX_DESCRIBE} service names or ARNs."
        )));
    }
    let include_tags = req.includes("TAGS")?;
    let (mut services, mut failures) = (Vec::new(), Vec::new());
    for ident in &idents {
        let name = short_name(ident);
        match model.services.get(&(cluster.clone(), name.to_owned())) {
            Some(service) => services.push(render(service, include_tags, ctx.now)),
            None => {
                match crate::ops_express_view::as_service(model, ctx, &cluster, name, include_tags)
                {
                    Some(express) => services.push(express),
                    None => failures.push(
                        json!({"arn": model.service_arn(&cluster, name), "reason": "MISSING"}),
                    ),
                }
            }
        }
    }
    Ok(json!({"services": services, "failures": failures}))
}

/// UpdateService: stores the members given; a new task definition, a changed deployment member or
/// `forceNewDeployment` starts a new deployment, a new desired count alone scales the current one.
pub fn update(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let cluster = model.active_cluster(req.str("cluster")?)?.name.clone();
    let key = (cluster, short_name(req.required_str("service")?).to_owned());
    let desired = desired_count(req)?;
    let force = req.bool("forceNewDeployment")?.unwrap_or(false);
    let new_td = req
        .str("taskDefinition")?
        .map(|ident| model.active_revision(ident).map(|r| r.arn.clone()))
        .transpose()?;
    let service = model.services.get(&key).ok_or_else(not_found)?;
    if service.run.status() != ServiceStatus::Active {
        return Err(ApiError::new(
            "ServiceNotActiveException",
            "Service was not ACTIVE.",
        ));
    }
    check_controller(service, req)?;
    let daemon = service.config.get("schedulingStrategy") == Some(&json!("DAEMON"));
    if daemon && desired.is_some() && ctx.holds(Broken::DaemonDesiredCount) {
        return Err(ApiError::invalid(
            "The daemon scheduling strategy does not support a desired count for services.",
        ));
    }
    let strategy_changes = req
        .value("capacityProviderStrategy")
        .is_some_and(|s| service.config.get("capacityProviderStrategy") != Some(s));
    if strategy_changes && !force {
        return Err(ApiError::invalid(
            "When switching from launch type to capacity provider strategy on an existing service, or making a \
             change to a capacity provider strategy on a service that is already using one, you must force a new \
             deployment.",
        ));
    }
    let mut config = service.config.clone();
    let mut redeploy = force
        || new_td
            .as_deref()
            .is_some_and(|td| Some(td) != service.run.task_definition());
    for member in REDEPLOY_MEMBERS {
        if let Some(value) = req.value(member) {
            redeploy |= config.get(member) != Some(value);
        }
    }
    let updatable = SERVICE_MEMBERS
        .iter()
        .chain(&DEPLOYMENT_MEMBERS)
        .filter(|m| !matches!(**m, "launchType" | "schedulingStrategy"));
    for member in updatable {
        if let Some(value) = req.value(member) {
            config.insert((*member).to_owned(), value.clone());
        }
    }
    // An empty strategy moves the service back to its launch type.
    if !strategy_in_use(&config) {
        config.remove("capacityProviderStrategy");
    }
    fill_defaults(&mut config, &[]);
    let td = new_td.or_else(|| service.run.task_definition().map(str::to_owned));
    let count = desired.unwrap_or(service.run.desired());
    let new = match (redeploy, td) {
        (true, Some(td)) => Some(new_deployment(model, ctx, &config, td, count)),
        _ => None,
    };
    crate::ops_gateway_links::record_connectors(model, &key, req);
    let service = model.services.get_mut(&key).ok_or_else(not_found)?;
    service.config = config;
    match (new, desired) {
        (Some(new), _) => {
            service
                .run
                .deploy(new, ctx.now, ctx.duration, &mut model.ids);
            let id = service.run.primary_id().unwrap_or_default().to_owned();
            strategies::begin(service, ctx, &id);
        }
        (None, Some(n)) => service.run.scale(n, ctx.now, ctx.duration, &mut model.ids),
        (None, None) => {}
    }
    Ok(json!({"service": render(service, true, ctx.now)}))
}

/// DeleteService: refused while a REPLICA service is scaled above 0 unless `force`; the service drains, then
/// is INACTIVE. Deleting it again answers with it as it is (catalogue entry 31).
pub fn delete(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let cluster = model.active_cluster(req.str("cluster")?)?.name.clone();
    let key = (cluster, short_name(req.required_str("service")?).to_owned());
    let force = req.bool("force")?.unwrap_or(false);
    let service = model.services.get_mut(&key).ok_or_else(not_found)?;
    if service.run.status() != ServiceStatus::Active {
        // Catalogue entry 31: deleting a deleted service answers with the service as it is.
        return Ok(json!({"service": render(service, true, ctx.now)}));
    }
    let daemon = service.config.get("schedulingStrategy") == Some(&json!("DAEMON"));
    if !force && !daemon && service.run.desired() > 0 {
        return Err(ApiError::invalid(
            "The service cannot be stopped while it is scaled above 0.",
        ));
    }
    service.run.delete(ctx.now, ctx.duration, &mut model.ids);
    Ok(json!({"service": render(service, true, ctx.now)}))
}

/// ListServices: the ARNs of the cluster's ACTIVE services by name (DRAINING ones are hidden, catalogue entry 9),
/// 10 per page unless `maxResults` says otherwise, filtered by launch type and scheduling strategy.
pub fn list(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let cluster = model.active_cluster(req.str("cluster")?)?.name.clone();
    let launch_type = req.str("launchType")?.map(|t| json!(t));
    let scheduling = req.str("schedulingStrategy")?.map(|s| json!(s));
    let entries = model
        .live_services(&cluster)
        .filter(|s| s.run.status() == ServiceStatus::Active)
        .filter(|s| {
            launch_type
                .as_ref()
                .is_none_or(|t| shown(&s.config, "launchType") == Some(t))
        })
        .filter(|s| {
            scheduling
                .as_ref()
                .is_none_or(|t| s.config.get("schedulingStrategy") == Some(t))
        })
        .map(|s| Entry {
            key: s.name.clone(),
            arn: s.arn.clone(),
        })
        .collect();
    paginate::page(req, entries, false, 10, "serviceArns")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(op: crate::dispatch::Op, model: &mut Model, now: f64, body: Value) -> OpResult {
        model.settle(now, 10.0);
        crate::dispatch::call_at(op, model, body, now)
    }

    fn setup() -> Model {
        let mut model = Model::new("us-east-1", 1);
        call(
            crate::ops_cluster::create,
            &mut model,
            0.0,
            json!({"clusterName": "main"}),
        )
        .unwrap();
        for _ in 0..2 {
            let td = json!({"family": "web", "containerDefinitions": [{"name": "app"}]});
            call(crate::ops_task_definition::register, &mut model, 0.0, td).unwrap();
        }
        model
    }

    fn create_web(model: &mut Model, token: &str) -> OpResult {
        let body = json!({"cluster": "main", "serviceName": "web", "taskDefinition": "web:1", "desiredCount": 2,
                          "clientToken": token, "launchType": "FARGATE",
                          "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}}});
        call(create, model, 0.0, body)
    }

    #[test]
    fn create_is_idempotent_with_the_same_token_only() {
        let mut model = setup();
        let first = create_web(&mut model, "t1").unwrap();
        let service = &first["service"];
        assert_eq!(service["deployments"][0]["rolloutState"], "IN_PROGRESS");
        assert_eq!(service["platformVersion"], "LATEST");
        assert_eq!(service["deploymentConfiguration"]["maximumPercent"], 200);
        assert_eq!(
            service["deploymentConfiguration"]["deploymentCircuitBreaker"]["rollback"],
            true
        );
        let again = create_web(&mut model, "t1").unwrap();
        assert_eq!(
            again["service"]["deployments"][0]["id"],
            service["deployments"][0]["id"]
        );
        let err = create_web(&mut model, "t2").unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            (
                "InvalidParameterException",
                "Creation of service was not idempotent."
            )
        );
    }

    #[test]
    fn update_deploys_or_scales() {
        let mut model = setup();
        create_web(&mut model, "t").unwrap();
        let out = call(
            update,
            &mut model,
            20.0,
            json!({"cluster": "main", "service": "web", "desiredCount": 4}),
        )
        .unwrap();
        assert_eq!(out["service"]["deployments"].as_array().unwrap().len(), 1);
        let out = call(
            update,
            &mut model,
            40.0,
            json!({"cluster": "main", "service": "web", "taskDefinition": "web"}),
        )
        .unwrap();
        let deployments = out["service"]["deployments"].as_array().unwrap();
        assert_eq!(deployments.len(), 2);
        assert!(
            deployments[0]["taskDefinition"]
                .as_str()
                .unwrap()
                .ends_with("web:2")
        );
        assert_eq!(deployments[0]["launchType"], "FARGATE");
        // The same task definition again: nothing new.
        let out = call(
            update,
            &mut model,
            41.0,
            json!({"cluster": "main", "service": "web", "taskDefinition": "web:2"}),
        )
        .unwrap();
        assert_eq!(out["service"]["deployments"].as_array().unwrap().len(), 2);
        let out = call(
            update,
            &mut model,
            60.0,
            json!({"cluster": "main", "service": "web", "forceNewDeployment": true}),
        )
        .unwrap();
        assert_eq!(out["service"]["deployments"][0]["id"], "ecs-svc/3");
        let out = call(update, &mut model, 80.0,
            json!({"cluster": "main", "service": "web", "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"]}}})).unwrap();
        assert_eq!(out["service"]["deployments"][0]["id"], "ecs-svc/4");
        assert_eq!(out["service"]["runningCount"], 4);
        let err = call(
            update,
            &mut model,
            80.0,
            json!({"cluster": "main", "service": "nope"}),
        )
        .unwrap_err();
        assert_eq!(err.code, "ServiceNotFoundException");
    }

    #[test]
    fn delete_needs_zero_tasks_or_force_then_drains() {
        let mut model = setup();
        create_web(&mut model, "t").unwrap();
        let err = call(
            delete,
            &mut model,
            20.0,
            json!({"cluster": "main", "service": "web"}),
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidParameterException");
        let out = call(
            delete,
            &mut model,
            20.0,
            json!({"cluster": "main", "service": "web", "force": true}),
        )
        .unwrap();
        assert_eq!(out["service"]["status"], "DRAINING");
        // Catalogue entry 9: a DRAINING service is no longer visible in ListServices.
        let out = call(list, &mut model, 20.0, json!({"cluster": "main"})).unwrap();
        assert!(out["serviceArns"].as_array().unwrap().is_empty());
        let out = call(
            describe,
            &mut model,
            30.0,
            json!({"cluster": "main", "services": ["web", "gone"]}),
        )
        .unwrap();
        assert_eq!(out["services"][0]["status"], "INACTIVE");
        assert_eq!(out["failures"][0]["reason"], "MISSING");
        let out = call(list, &mut model, 30.0, json!({"cluster": "main"})).unwrap();
        assert!(out["serviceArns"].as_array().unwrap().is_empty());
        // The name can be used again.
        create_web(&mut model, "t").unwrap();
    }

    /// Catalogue entry 8: a DAEMON service takes no capacity provider strategy, also not the cluster's default;
    /// with `launchType: EC2` it is created.
    #[test]
    fn a_daemon_service_refuses_the_clusters_default_strategy() {
        let mut model = Model::new("us-east-1", 1);
        let cluster = json!({"clusterName": "main", "capacityProviders": ["FARGATE"],
                             "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]});
        call(crate::ops_cluster::create, &mut model, 0.0, cluster).unwrap();
        let td = json!({"family": "agent", "containerDefinitions": [{"name": "app"}]});
        call(crate::ops_task_definition::register, &mut model, 0.0, td).unwrap();
        let daemon = json!({"cluster": "main", "serviceName": "agent", "taskDefinition": "agent",
                            "schedulingStrategy": "DAEMON"});
        let err = call(create, &mut model, 0.0, daemon.clone()).unwrap_err();
        assert_eq!(err.code, "InvalidParameterException");
        assert!(
            err.message
                .contains("Specifying a capacity provider strategy is not supported"),
            "{}",
            err.message
        );
        let mut on_ec2 = daemon;
        on_ec2["launchType"] = json!("EC2");
        let out = call(create, &mut model, 0.0, on_ec2).unwrap();
        assert_eq!(out["service"]["launchType"], "EC2");
    }

    /// Catalogue entry 31: a repeated DeleteService answers with the service as it is (DRAINING, then INACTIVE).
    #[test]
    fn a_repeated_delete_answers_with_the_service() {
        let mut model = setup();
        create_web(&mut model, "t").unwrap();
        let delete_web = |model: &mut Model, now: f64| {
            call(
                delete,
                model,
                now,
                json!({"cluster": "main", "service": "web", "force": true}),
            )
        };
        assert_eq!(
            delete_web(&mut model, 20.0).unwrap()["service"]["status"],
            "DRAINING"
        );
        let again = delete_web(&mut model, 20.0).unwrap();
        assert_eq!(again["service"]["status"], "DRAINING");
        assert_eq!(again["service"]["serviceName"], "web");
        let later = delete_web(&mut model, 30.0).unwrap();
        assert_eq!(later["service"]["status"], "INACTIVE");
    }

    #[test]
    fn describe_takes_at_most_ten() {
        let mut model = setup();
        let names: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
        let err = call(
            describe,
            &mut model,
            0.0,
            json!({"cluster": "main", "services": names}),
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidParameterException");
    }
}
