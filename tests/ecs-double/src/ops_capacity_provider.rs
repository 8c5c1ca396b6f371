//! Capacity provider operations: CreateCapacityProvider, DescribeCapacityProviders, UpdateCapacityProvider and
//! DeleteCapacityProvider, for Auto Scaling group and ECS Managed Instances providers (docs/ecs-behaviour.md,
//! entries 69-71c).
//!
//! - An Auto Scaling group is given by ARN or by name; the double reports the ARN, as ECS resolves the group
//!   (moto echoes what it was given, so the two between them show both answers the catalogue allows).
//! - A Managed Instances provider belongs to one ACTIVE cluster (`cluster`), needs its infrastructure role and its
//!   launch template (instance profile and network configuration), and is associated with that cluster from its
//!   creation; PutClusterCapacityProviders neither adds nor removes it.
//! - DeleteCapacityProvider refuses an Auto Scaling group provider that a cluster has or a service's strategy
//!   names; a deleted provider is described as INACTIVE.
//! - An update of a provider whose Auto Scaling group name ends in `.invalid` (RFC 2606's reserved top-level
//!   domain, as for images no registry serves) ends in `UPDATE_FAILED` with a reason, and changes nothing.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::dispatch::Ctx;
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::state::{ACCOUNT, Model, short_name};
use crate::tags::Tags;

/// The capacity providers every cluster may use without creating them.
pub const BUILT_IN: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// One capacity provider.
pub struct Provider {
    pub name: String,
    pub arn: String,
    /// False once deleted (ECS still describes it, as INACTIVE).
    pub active: bool,
    /// The cluster a Managed Instances provider belongs to.
    pub cluster: Option<String>,
    pub auto_scaling_group: Option<Map<String, Value>>,
    pub managed_instances: Option<Map<String, Value>>,
    pub update_status: Option<&'static str>,
    pub update_status_reason: Option<String>,
    pub tags: Tags,
}

impl Provider {
    fn render(&self, tags: bool) -> Value {
        let mut out = json!({
            "capacityProviderArn": self.arn,
            "name": self.name,
            "status": if self.active { "ACTIVE" } else { "INACTIVE" },
            "type": if self.managed_instances.is_some() { "MANAGED_INSTANCES" } else { "EC2_AUTOSCALING" },
        });
        if let Some(asg) = &self.auto_scaling_group {
            out["autoScalingGroupProvider"] = Value::Object(asg.clone());
        }
        if let Some(managed) = &self.managed_instances {
            out["managedInstancesProvider"] = Value::Object(managed.clone());
        }
        if let Some(cluster) = &self.cluster {
            out["cluster"] = json!(cluster);
        }
        if let Some(status) = self.update_status {
            out["updateStatus"] = json!(status);
        }
        if let Some(reason) = &self.update_status_reason {
            out["updateStatusReason"] = json!(reason);
        }
        if tags {
            out["tags"] = self.tags.to_json();
        }
        out
    }

    /// The Auto Scaling group's name, from its ARN.
    fn group_name(&self) -> Option<&str> {
        self.auto_scaling_group
            .as_ref()?
            .get("autoScalingGroupArn")?
            .as_str()?
            .rsplit_once(":autoScalingGroupName/")
            .map(|(_, name)| name)
    }
}

/// The capacity providers of the account and Region, by name.
#[derive(Default)]
pub struct Providers(pub BTreeMap<String, Provider>);

impl Providers {
    /// The ACTIVE provider a name or ARN names.
    pub fn active(&self, ident: &str) -> Option<&Provider> {
        self.0.get(short_name(ident)).filter(|p| p.active)
    }

    /// Whether `name` is a Managed Instances provider of `cluster`.
    pub fn is_managed_instances_of(&self, name: &str, cluster: &str) -> bool {
        self.active(name)
            .is_some_and(|p| p.cluster.as_deref() == Some(cluster))
    }
}

fn not_found(ident: &str) -> ApiError {
    ApiError::client(format!(
        "The specified capacity provider does not exist: {ident}"
    ))
}

fn arn(model: &Model, name: &str) -> String {
    format!(
        "arn:aws:ecs:{}:{ACCOUNT}:capacity-provider/{name}",
        model.region
    )
}

/// The ARN of the Auto Scaling group `given` names (an ARN stays as it is).
fn group_arn(model: &Model, given: &str) -> String {
    if given.starts_with("arn:") {
        return given.to_owned();
    }
    let id = crate::ids::uuid(
        given
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31) ^ u64::from(b)),
    );
    format!(
        "arn:aws:autoscaling:{}:{ACCOUNT}:autoScalingGroup:{id}:autoScalingGroupName/{given}",
        model.region
    )
}

/// Copies the managed settings of an Auto Scaling group provider (create or update shape) over `into`.
fn merge_asg(into: &mut Map<String, Value>, given: &Map<String, Value>) {
    for key in [
        "managedTerminationProtection",
        "managedDraining",
        "managedScaling",
    ] {
        match (key, given.get(key)) {
            ("managedScaling", Some(Value::Object(scaling))) => {
                let target = into.entry("managedScaling").or_insert_with(|| json!({}));
                if let Value::Object(target) = target {
                    target.extend(scaling.clone());
                }
            }
            (_, Some(value)) => {
                into.insert(key.to_owned(), value.clone());
            }
            (_, None) => {}
        }
    }
}

/// ECS's defaults for what an Auto Scaling group provider leaves out.
fn asg_defaults() -> Map<String, Value> {
    let defaults = json!({
        "managedScaling": {"status": "DISABLED", "targetCapacity": 100, "minimumScalingStepSize": 1,
            "maximumScalingStepSize": 10000, "instanceWarmupPeriod": 300},
        "managedTerminationProtection": "DISABLED",
        "managedDraining": "ENABLED",
    });
    match defaults {
        Value::Object(map) => map,
        _ => unreachable!("an object literal"),
    }
}

/// Checks what CreateManagedInstancesProviderConfiguration requires: the infrastructure role and the launch
/// template with its instance profile and network configuration.
fn check_managed_instances(managed: &Map<String, Value>) -> Result<(), ApiError> {
    let present = |value: Option<&Value>| value.is_some_and(|v| !v.is_null());
    let required = |member: &str| {
        ApiError::client(format!(
            "Member managedInstancesProvider.{member} is required."
        ))
    };
    if !present(managed.get("infrastructureRoleArn")) {
        return Err(required("infrastructureRoleArn"));
    }
    let Some(template) = managed
        .get("instanceLaunchTemplate")
        .filter(|t| !t.is_null())
    else {
        return Err(required("instanceLaunchTemplate"));
    };
    for member in ["ec2InstanceProfileArn", "networkConfiguration"] {
        if !present(template.get(member)) {
            return Err(required(&format!("instanceLaunchTemplate.{member}")));
        }
    }
    Ok(())
}

/// CreateCapacityProvider.
pub fn create(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let name = req.required_str("name")?.to_owned();
    crate::validate::name("Capacity provider", &name)?;
    let lower = name.to_ascii_lowercase();
    if ["aws", "ecs", "fargate"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return Err(ApiError::client(
            "The capacity provider name cannot start with 'aws', 'ecs' or 'fargate'.",
        ));
    }
    if model.capacity_providers.active(&name).is_some() {
        return Err(ApiError::client(format!(
            "The specified capacity provider already exists: {name}"
        )));
    }
    let asg = req.object("autoScalingGroupProvider")?.cloned();
    let managed = req.object("managedInstancesProvider")?.cloned();
    let cluster = req.str("cluster")?.map(str::to_owned);
    let (auto_scaling_group, managed_instances, cluster) = match (asg, managed) {
        (Some(asg), None) => {
            let group = asg
                .get("autoScalingGroupArn")
                .and_then(Value::as_str)
                .filter(|g| !g.is_empty())
                .ok_or_else(|| {
                    ApiError::client(
                        "Member autoScalingGroupProvider.autoScalingGroupArn is required.",
                    )
                })?;
            let mut shown = asg_defaults();
            merge_asg(&mut shown, &asg);
            shown.insert("autoScalingGroupArn".into(), json!(group_arn(model, group)));
            (Some(shown), None, None)
        }
        (None, Some(managed)) => {
            let cluster = cluster.ok_or_else(|| {
                ApiError::client(
                    "A Managed Instances capacity provider needs the cluster it belongs to.",
                )
            })?;
            let cluster = model.active_cluster(Some(&cluster))?.name.clone();
            check_managed_instances(&managed)?;
            (None, Some(managed), Some(cluster))
        }
        _ => {
            return Err(ApiError::client(
                "Specify exactly one of autoScalingGroupProvider and managedInstancesProvider.",
            ));
        }
    };
    let provider = Provider {
        arn: arn(model, &name),
        name: name.clone(),
        active: true,
        cluster: cluster.clone(),
        auto_scaling_group,
        managed_instances,
        update_status: None,
        update_status_reason: None,
        tags: Tags::from_request(req, "tags")?,
    };
    let out = json!({"capacityProvider": provider.render(true)});
    model.capacity_providers.0.insert(name.clone(), provider);
    // A Managed Instances provider is available in its cluster from the start.
    if let Some(cluster) = cluster.and_then(|c| model.clusters.get_mut(&c))
        && !cluster.capacity_providers.contains(&name)
    {
        cluster.capacity_providers.push(name);
    }
    Ok(out)
}

/// DescribeCapacityProviders: the providers named (all when none is), FARGATE and FARGATE_SPOT among them;
/// unknown ones are failures with reason MISSING.
pub fn describe(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let tags = req.includes("TAGS")?;
    let names = req.strings("capacityProviders")?.unwrap_or_default();
    let built_in = |name: &str| json!({"capacityProviderArn": arn(model, name), "name": name, "status": "ACTIVE", "type": "FARGATE"});
    let (mut found, mut failures) = (Vec::new(), Vec::new());
    if names.is_empty() {
        found.extend(BUILT_IN.iter().map(|n| built_in(n)));
        found.extend(model.capacity_providers.0.values().map(|p| p.render(tags)));
    }
    for ident in &names {
        let name = short_name(ident);
        if BUILT_IN.contains(&name) {
            found.push(built_in(name));
            continue;
        }
        match model.capacity_providers.0.get(name) {
            Some(provider) => found.push(provider.render(tags)),
            None => failures.push(json!({"arn": arn(model, name), "reason": "MISSING"})),
        }
    }
    Ok(json!({"capacityProviders": found, "failures": failures}))
}

/// UpdateCapacityProvider: the managed settings of an Auto Scaling group provider, or the configuration of a
/// Managed Instances provider.
pub fn update(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let ident = req.required_str("name")?;
    let asg = req.object("autoScalingGroupProvider")?.cloned();
    let managed = req.object("managedInstancesProvider")?.cloned();
    let name = short_name(ident).to_owned();
    let provider = model
        .capacity_providers
        .0
        .get_mut(&name)
        .filter(|p| p.active)
        .ok_or_else(|| not_found(ident))?;
    match (asg, managed) {
        (Some(asg), None) => {
            if provider.auto_scaling_group.is_none() {
                return Err(ApiError::client(
                    "The capacity provider does not use an Auto Scaling group.",
                ));
            }
            if let Some(group) = provider
                .group_name()
                .filter(|g| g.ends_with(".invalid"))
                .map(str::to_owned)
            {
                provider.update_status = Some("UPDATE_FAILED");
                provider.update_status_reason = Some(format!(
                    "The Auto Scaling group {group} could not be updated: it cannot be found."
                ));
            } else if let Some(current) = &mut provider.auto_scaling_group {
                merge_asg(current, &asg);
                provider.update_status = Some("UPDATE_COMPLETE");
                provider.update_status_reason = None;
            }
        }
        (None, Some(managed)) => {
            if provider.managed_instances.is_none() {
                return Err(ApiError::client(
                    "The capacity provider is not a Managed Instances capacity provider.",
                ));
            }
            if let Some(current) = &mut provider.managed_instances {
                current.extend(managed);
            }
            provider.update_status = Some("UPDATE_COMPLETE");
            provider.update_status_reason = None;
        }
        _ => {
            return Err(ApiError::client(
                "Specify exactly one of autoScalingGroupProvider and managedInstancesProvider.",
            ));
        }
    }
    Ok(json!({"capacityProvider": provider.render(false)}))
}

/// DeleteCapacityProvider: refused while a cluster has the (Auto Scaling group) provider or a service's
/// strategy names it; a Managed Instances provider leaves its cluster with it.
pub fn delete(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let ident = req.required_str("capacityProvider")?;
    let name = short_name(ident).to_owned();
    if BUILT_IN.contains(&name.as_str()) {
        return Err(ApiError::client(
            "The FARGATE and FARGATE_SPOT capacity providers are reserved and cannot be deleted.",
        ));
    }
    let provider = model
        .capacity_providers
        .active(&name)
        .ok_or_else(|| not_found(ident))?;
    let own_cluster = provider.cluster.clone();
    let strategy_names = |strategy: &Value| {
        strategy
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["capacityProvider"] == name.as_str()))
    };
    let in_strategy = model.services.values().any(|s| {
        s.run.status() != crate::rollout::ServiceStatus::Inactive
            && s.config
                .get("capacityProviderStrategy")
                .is_some_and(strategy_names)
    });
    let associated = model.clusters.values().any(|c| {
        c.active && Some(&c.name) != own_cluster.as_ref() && c.capacity_providers.contains(&name)
    });
    if associated || in_strategy {
        return Err(ApiError::new(
            "ResourceInUseException",
            "The specified capacity provider is in use and cannot be removed.",
        ));
    }
    if let Some(cluster) = own_cluster.and_then(|c| model.clusters.get_mut(&c)) {
        cluster.capacity_providers.retain(|p| *p != name);
        cluster
            .default_strategy
            .retain(|i| i["capacityProvider"] != name.as_str());
    }
    let provider = model
        .capacity_providers
        .0
        .get_mut(&name)
        .ok_or_else(|| not_found(ident))?;
    provider.active = false;
    provider.update_status = Some("DELETE_COMPLETE");
    provider.update_status_reason = None;
    Ok(json!({"capacityProvider": provider.render(false)}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops_cluster;

    fn call(op: crate::dispatch::Op, model: &mut Model, body: Value) -> OpResult {
        crate::dispatch::call_at(op, model, body, 100.0)
    }

    const MANAGED: &str = r#"{"infrastructureRoleArn": "arn:aws:iam::1:role/r", "instanceLaunchTemplate":
        {"ec2InstanceProfileArn": "arn:aws:iam::1:instance-profile/p", "networkConfiguration": {"subnets": ["s-1"]}}}"#;

    #[test]
    fn a_group_name_is_reported_as_its_arn_and_an_invalid_group_fails_its_update() {
        let mut model = Model::new("eu-west-1", 1);
        let out = call(
            create,
            &mut model,
            json!({"name": "ec2", "autoScalingGroupProvider": {"autoScalingGroupArn": "web.invalid"}}),
        )
        .unwrap();
        let group = out["capacityProvider"]["autoScalingGroupProvider"]["autoScalingGroupArn"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            group.starts_with("arn:aws:autoscaling:eu-west-1:"),
            "{group}"
        );
        assert!(
            group.ends_with(":autoScalingGroupName/web.invalid"),
            "{group}"
        );
        let update = json!({"name": "ec2", "autoScalingGroupProvider": {"managedScaling": {"targetCapacity": 50}}});
        let out = call(crate::ops_capacity_provider::update, &mut model, update).unwrap();
        assert_eq!(out["capacityProvider"]["updateStatus"], "UPDATE_FAILED");
        assert_eq!(
            out["capacityProvider"]["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"],
            100,
            "a failed update changes nothing"
        );
    }

    #[test]
    fn managed_instances_need_their_cluster_and_launch_template_and_join_the_cluster() {
        let mut model = Model::new("eu-west-1", 1);
        let managed: Value = serde_json::from_str(MANAGED).unwrap();
        let request = json!({"name": "mi", "cluster": "main", "managedInstancesProvider": managed});
        let err = call(create, &mut model, request.clone()).unwrap_err();
        assert_eq!(err.code, "ClusterNotFoundException");
        call(
            ops_cluster::create,
            &mut model,
            json!({"clusterName": "main"}),
        )
        .unwrap();
        let mut without = request.clone();
        without["managedInstancesProvider"]
            .as_object_mut()
            .unwrap()
            .remove("instanceLaunchTemplate");
        let err = call(create, &mut model, without).unwrap_err();
        assert!(err.message.contains("instanceLaunchTemplate"), "{err:?}");
        call(create, &mut model, request).unwrap();
        let out = call(
            ops_cluster::describe,
            &mut model,
            json!({"clusters": ["main"]}),
        )
        .unwrap();
        assert_eq!(out["clusters"][0]["capacityProviders"], json!(["mi"]));
        // PutClusterCapacityProviders cannot take it away; deleting the provider does.
        let put = json!({"cluster": "main", "capacityProviders": ["FARGATE"],
                         "defaultCapacityProviderStrategy": [{"capacityProvider": "mi", "weight": 1}]});
        let out = call(ops_cluster::put_capacity_providers, &mut model, put).unwrap();
        assert_eq!(
            out["cluster"]["capacityProviders"],
            json!(["FARGATE", "mi"])
        );
        let err = call(ops_cluster::delete, &mut model, json!({"cluster": "main"})).unwrap_err();
        assert_eq!(err.code, "ClusterContainsCapacityProviderException");
        call(
            delete,
            &mut model,
            json!({"capacityProvider": "mi", "cluster": "main"}),
        )
        .unwrap();
        let out = call(describe, &mut model, json!({"capacityProviders": ["mi"]})).unwrap();
        assert_eq!(out["capacityProviders"][0]["status"], "INACTIVE");
        call(ops_cluster::delete, &mut model, json!({"cluster": "main"})).unwrap();
    }

    #[test]
    fn an_associated_group_provider_is_not_deleted_and_not_shared() {
        let mut model = Model::new("eu-west-1", 1);
        call(
            create,
            &mut model,
            json!({"name": "ec2", "autoScalingGroupProvider": {"autoScalingGroupArn": "asg"}}),
        )
        .unwrap();
        for cluster in ["a", "b"] {
            call(
                ops_cluster::create,
                &mut model,
                json!({"clusterName": cluster}),
            )
            .unwrap();
        }
        let put = |cluster: &str| json!({"cluster": cluster, "capacityProviders": ["ec2"], "defaultCapacityProviderStrategy": []});
        call(ops_cluster::put_capacity_providers, &mut model, put("a")).unwrap();
        let err = call(ops_cluster::put_capacity_providers, &mut model, put("b")).unwrap_err();
        assert_eq!(err.code, "InvalidParameterException");
        let err = call(delete, &mut model, json!({"capacityProvider": "ec2"})).unwrap_err();
        assert_eq!(err.code, "ResourceInUseException");
        let err = call(ops_cluster::delete, &mut model, json!({"cluster": "a"})).unwrap_err();
        assert_eq!(err.code, "ClusterContainsCapacityProviderException");
        let release =
            json!({"cluster": "a", "capacityProviders": [], "defaultCapacityProviderStrategy": []});
        call(ops_cluster::put_capacity_providers, &mut model, release).unwrap();
        call(delete, &mut model, json!({"capacityProvider": "ec2"})).unwrap();
        let err = call(ops_cluster::put_capacity_providers, &mut model, put("b")).unwrap_err();
        assert_eq!(
            err.code, "InvalidParameterException",
            "a deleted provider is not associated"
        );
    }
}
