//! The walk's stack: two capacity providers, a cluster, a task definition and a BLUE_GREEN service, as manifests
//! rendered from the base below plus the walked fields' current values; and kind-generic access to the objects.

use std::collections::BTreeMap;

use ecs_bridge::api::{CapacityProvider, EcsCluster, EcsService, TaskDefinition};
use serde_json::{Value, json};

use crate::harness::{Env, Kind as ApiKind};

pub const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1";
pub const GREEN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2";
const RULE: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/3";
const ROLE: &str = "arn:aws:iam::123456789012:role/ecs-infrastructure";

/// An Auto Scaling group ARN of the double's account.
pub fn group_arn(name: &str) -> String {
    format!(
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f:autoScalingGroupName/{name}"
    )
}

/// One object of the stack: its kind (as in the table) and metadata.name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Obj {
    ProviderA,
    ProviderB,
    Cluster,
    TaskDef,
    Service,
}

impl Obj {
    /// In the order of the stack's file (what `kubectl delete -f` follows).
    pub const FILE_ORDER: [Obj; 5] = [
        Obj::ProviderA,
        Obj::ProviderB,
        Obj::Cluster,
        Obj::TaskDef,
        Obj::Service,
    ];

    pub fn kind(self) -> &'static str {
        match self {
            Obj::ProviderA | Obj::ProviderB => "CapacityProvider",
            Obj::Cluster => "EcsCluster",
            Obj::TaskDef => "TaskDefinition",
            Obj::Service => "EcsService",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Obj::ProviderA => "cpa",
            Obj::ProviderB => "cpb",
            Obj::Cluster => "main",
            Obj::TaskDef | Obj::Service => "web",
        }
    }

    /// The object whose fields the table's rows of `kind` walk.
    pub fn walked(kind: &str) -> Obj {
        match kind {
            "CapacityProvider" => Obj::ProviderA,
            "EcsCluster" => Obj::Cluster,
            "TaskDefinition" => Obj::TaskDef,
            "EcsService" => Obj::Service,
            other => panic!("the walker has no object of kind {other}"),
        }
    }

    /// Where the snapshot (snapshot.rs) keeps this object.
    pub fn snapshot_key(self) -> &'static str {
        match self {
            Obj::ProviderA => "provider",
            Obj::ProviderB => "providerB",
            Obj::Cluster => "cluster",
            Obj::TaskDef => "taskDefinition",
            Obj::Service => "service",
        }
    }
}

/// The ECS names of one walk's objects (unique in the shared double and apiserver).
#[derive(Clone, Debug)]
pub struct Names {
    pub prefix: String,
}

impl Names {
    pub fn ecs(&self, obj: Obj) -> String {
        format!("{}-{}", self.prefix, obj.name())
    }

    pub fn family(&self) -> String {
        self.ecs(Obj::TaskDef)
    }

    pub fn group(&self, obj: Obj) -> String {
        format!("{}-asg-{}", self.prefix, obj.name())
    }
}

/// The base spec of each object: what the walk never changes.
pub fn base(obj: Obj, names: &Names) -> Value {
    match obj {
        Obj::ProviderA | Obj::ProviderB => json!({
            "name": names.ecs(obj),
            "autoScalingGroupProvider": {"autoScalingGroupArn": group_arn(&names.group(obj))},
        }),
        Obj::Cluster => json!({"clusterName": names.ecs(obj)}),
        Obj::TaskDef => json!({"family": names.family()}),
        Obj::Service => json!({
            "serviceName": names.ecs(obj),
            "clusterRef": {"name": "main"},
            "taskDefinitionRef": {"name": "web"},
            "launchType": "EC2",
            "loadBalancers": [{
                "targetGroupArn": BLUE, "containerName": "web", "containerPort": 80,
                "advancedConfiguration": {
                    "alternateTargetGroupArn": GREEN, "productionListenerRule": RULE, "roleArn": ROLE
                }
            }],
        }),
    }
}

/// Sets `value` at the dotted `path` of `spec` (None removes it).
pub fn set_path(spec: &mut Value, path: &str, value: Option<&Value>) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap();
    let mut at = spec;
    for part in parts {
        if !at[part].is_object() {
            at[part] = json!({});
        }
        at = &mut at[part];
    }
    let map = at.as_object_mut().unwrap();
    match value {
        Some(v) => {
            map.insert(last.to_owned(), v.clone());
        }
        None => {
            map.remove(last);
        }
    }
}

/// The manifest of `obj`: its base with the walked fields' values (`values`: path → value of this object).
pub fn manifest(obj: Obj, names: &Names, values: &BTreeMap<String, Value>) -> Value {
    let mut spec = base(obj, names);
    for (path, value) in values {
        set_path(&mut spec, path, Some(value));
    }
    json!({
        "apiVersion": "ecsbridge.dev/v1alpha1",
        "kind": obj.kind(),
        "metadata": {"name": obj.name()},
        "spec": spec,
    })
}

/// Server-side applies a manifest of any of the stack's kinds.
pub async fn apply(env: &Env, manifest: &Value) -> Result<(), kube::Error> {
    let yaml = serde_yaml::to_string(manifest).unwrap();
    match manifest["kind"].as_str().unwrap() {
        "CapacityProvider" => env.try_apply::<CapacityProvider>(&yaml).await.map(drop),
        "EcsCluster" => env.try_apply::<EcsCluster>(&yaml).await.map(drop),
        "TaskDefinition" => env.try_apply::<TaskDefinition>(&yaml).await.map(drop),
        "EcsService" => env.try_apply::<EcsService>(&yaml).await.map(drop),
        other => panic!("no such kind {other}"),
    }
}

async fn get_as<K: ApiKind>(env: &Env, name: &str) -> Option<Value> {
    let found = env.api::<K>().get_opt(name).await.expect("get object");
    found.map(|o| serde_json::to_value(o).unwrap())
}

/// The object as JSON, if it exists.
pub async fn get(env: &Env, kind: &str, name: &str) -> Option<Value> {
    match kind {
        "CapacityProvider" => get_as::<CapacityProvider>(env, name).await,
        "EcsCluster" => get_as::<EcsCluster>(env, name).await,
        "TaskDefinition" => get_as::<TaskDefinition>(env, name).await,
        "EcsService" => get_as::<EcsService>(env, name).await,
        other => panic!("no such kind {other}"),
    }
}

async fn delete_as<K: ApiKind>(env: &Env, name: &str) {
    let params = kube::api::DeleteParams::default();
    // Already gone is fine: deletion orders may name an object twice.
    let _ = env.api::<K>().delete(name, &params).await;
}

/// Deletes the object (foreground finalizers run in the operator).
pub async fn delete(env: &Env, kind: &str, name: &str) {
    match kind {
        "CapacityProvider" => delete_as::<CapacityProvider>(env, name).await,
        "EcsCluster" => delete_as::<EcsCluster>(env, name).await,
        "TaskDefinition" => delete_as::<TaskDefinition>(env, name).await,
        "EcsService" => delete_as::<EcsService>(env, name).await,
        other => panic!("no such kind {other}"),
    }
}
