//! The end-to-end harness: a namespace of its own per test on the real kube-apiserver, the operator running
//! in-process for that namespace, and an independent SDK client to look at moto's ECS.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ecs_bridge::ecs::accounts::Accounts;
use ecs_bridge::ecs::{Ecs, EcsSettings};
use ecs_bridge::metrics::Metrics;
use ecs_bridge::reconcile::Context;
use k8s_openapi::api::core::v1::{Event, Namespace};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::task::JoinHandle;

/// What the harness needs of a namespaced kind.
pub trait Kind:
    Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
    + Clone
    + DeserializeOwned
    + serde::Serialize
    + std::fmt::Debug
{
}

impl<K> Kind for K where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug
{
}

/// One test's world.
pub struct Env {
    pub client: Client,
    /// An SDK client of our own, to check ECS independently of the operator's door.
    pub ecs: aws_sdk_ecs::Client,
    pub namespace: String,
    operator: Option<JoinHandle<()>>,
    drift_interval: Duration,
    ecs_endpoint: Option<String>,
}

/// The tests need the local control plane's settings in the environment (tests/run-all.sh provides them).
fn require_control_plane_env() {
    // Against a real account (tests/real-aws.sh) there is no emulator endpoint.
    let real_aws = std::env::var("ECSB_E2E_AWS").as_deref() == Ok("1");
    let needed: &[&str] = if real_aws {
        &["KUBECONFIG"]
    } else {
        &["KUBECONFIG", "AWS_ENDPOINT_URL_ECS"]
    };
    for var in needed.iter().copied() {
        assert!(
            std::env::var(var).is_ok(),
            "{var} is not set: start the local control plane with tests/control-plane/up.sh and \
             `source target/control-plane/env`, or run tests/run-all.sh"
        );
    }
}

/// A short unique suffix for names in the shared apiserver and moto.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{:x}",
        (nanos & 0xffff_ffff) as u32 ^ std::process::id()
    )
}

impl Env {
    /// A fresh namespace with the CRDs installed and the operator running for it.
    pub async fn new(test: &str) -> Self {
        Self::with_drift_interval(test, Duration::from_secs(60)).await
    }

    pub async fn with_drift_interval(test: &str, drift_interval: Duration) -> Self {
        Self::build(test, drift_interval, None).await
    }

    /// Like `new`, but the operator and `ecs` talk to the ECS endpoint at `url` (the ECS test double).
    pub async fn against(test: &str, url: &str) -> Self {
        Self::against_with_drift_interval(test, url, Duration::from_secs(60)).await
    }

    /// Like `against`, with drift checks every `drift_interval`.
    pub async fn against_with_drift_interval(
        test: &str,
        url: &str,
        drift_interval: Duration,
    ) -> Self {
        Self::build(test, drift_interval, Some(url.to_owned())).await
    }

    /// A fresh namespace with the CRDs installed and no operator: what the API server alone does.
    pub async fn without_operator(test: &str) -> Self {
        Self::prepare(test, Duration::from_secs(60), None).await
    }

    async fn build(test: &str, drift_interval: Duration, ecs_endpoint: Option<String>) -> Self {
        let mut env = Self::prepare(test, drift_interval, ecs_endpoint).await;
        env.start_operator().await;
        env
    }

    async fn prepare(test: &str, drift_interval: Duration, ecs_endpoint: Option<String>) -> Self {
        require_control_plane_env();
        let client = Client::try_default()
            .await
            .expect("kube client from KUBECONFIG");
        install_crds(&client).await;
        let namespace = unique(test);
        let namespaces: Api<Namespace> = Api::all(client.clone());
        namespaces
            .create(
                &PostParams::default(),
                &serde_json::from_value(json!({"metadata": {"name": namespace}})).unwrap(),
            )
            .await
            .expect("create namespace");
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(url) = &ecs_endpoint {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        let ecs = aws_sdk_ecs::Client::new(&config);
        Env {
            client,
            ecs,
            namespace,
            operator: None,
            drift_interval,
            ecs_endpoint,
        }
    }

    /// Starts (or restarts) the operator for this namespace.
    pub async fn start_operator(&mut self) {
        self.stop_operator();
        let metrics = Arc::new(Metrics::default());
        let settings = EcsSettings {
            retry_base_delay: Duration::from_millis(50),
            endpoint_url: self.ecs_endpoint.clone(),
            // Against the ECS test double, Application Auto Scaling is the double's too.
            scaling_endpoint_url: self.ecs_endpoint.clone(),
            ..Default::default()
        };
        let base = ecs_bridge::ecs::base_config(&settings).await;
        let ecs = Ecs::from_config(&base, &settings, metrics.clone());
        let accounts = Accounts::new(ecs.clone(), base, settings, metrics.clone());
        let ctx = Arc::new(
            Context::new(self.client.clone(), ecs, metrics, self.drift_interval, None)
                .with_accounts(accounts),
        );
        let namespaces = vec![self.namespace.clone()];
        self.operator = Some(tokio::spawn(async move {
            ecs_bridge::runtime::run_controllers(ctx, &namespaces).await
        }));
    }

    pub fn stop_operator(&mut self) {
        if let Some(handle) = self.operator.take() {
            handle.abort();
        }
    }

    pub fn api<K>(&self) -> Api<K>
    where
        K: Kind,
    {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// Server-side applies a manifest (YAML) of kind `K` in this namespace.
    pub async fn apply<K>(&self, yaml: &str) -> K
    where
        K: Kind,
    {
        self.try_apply::<K>(yaml).await.expect("apply manifest")
    }

    pub async fn try_apply<K>(&self, yaml: &str) -> Result<K, kube::Error>
    where
        K: Kind,
    {
        let value: serde_json::Value = serde_yaml::from_str(yaml).expect("valid YAML");
        let name = value["metadata"]["name"]
            .as_str()
            .expect("metadata.name")
            .to_owned();
        self.api::<K>()
            .patch(
                &name,
                &PatchParams::apply("e2e").force(),
                &Patch::Apply(&value),
            )
            .await
    }

    /// Merge-patches metadata or spec of an object.
    pub async fn patch<K>(&self, name: &str, patch: serde_json::Value)
    where
        K: Kind,
    {
        self.api::<K>()
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .expect("patch");
    }

    pub async fn delete<K>(&self, name: &str)
    where
        K: Kind,
    {
        self.api::<K>()
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete");
    }

    /// Waits until the object satisfies `check`, returning it; panics with the last state after `timeout`.
    pub async fn wait_for<K>(&self, name: &str, timeout: Duration, check: impl Fn(&K) -> bool) -> K
    where
        K: Kind,
    {
        let api = self.api::<K>();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let current = api.get_opt(name).await.expect("get object");
            if let Some(obj) = current.as_ref().filter(|obj| check(obj)) {
                return obj.clone();
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "{name} did not reach the expected state within {timeout:?}; last seen: {current:#?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Waits until the object is gone (its finalizer removed).
    pub async fn wait_gone<K>(&self, name: &str, timeout: Duration)
    where
        K: Kind,
    {
        let api = self.api::<K>();
        eventually(timeout, &format!("{name} to be deleted"), || async {
            api.get_opt(name).await.unwrap().is_none()
        })
        .await;
    }

    /// The reasons of the Events about object `name`.
    pub async fn event_reasons(&self, name: &str) -> Vec<(String, String)> {
        let events: Api<Event> = Api::namespaced(self.client.clone(), &self.namespace);
        let list = events
            .list(&ListParams::default())
            .await
            .expect("list events");
        list.items
            .into_iter()
            .filter(|e| e.involved_object.name.as_deref() == Some(name))
            .map(|e| {
                (
                    e.type_.clone().unwrap_or_default(),
                    e.reason.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Waits for an Event with this type and reason about `name`.
    pub async fn wait_event(&self, name: &str, type_: &str, reason: &str, timeout: Duration) {
        eventually(
            timeout,
            &format!("a {type_} event {reason} about {name}"),
            || async {
                self.event_reasons(name)
                    .await
                    .iter()
                    .any(|(t, r)| t == type_ && r == reason)
            },
        )
        .await;
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        self.stop_operator();
    }
}

/// Polls `check` until it holds, or panics after `timeout`.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually_some(timeout, what, || {
        let holds = check();
        async move { holds.await.then_some(()) }
    })
    .await
}

/// Polls `probe` until it finds something and returns it, or panics after `timeout`.
pub async fn eventually_some<T, F, Fut>(timeout: Duration, what: &str, probe: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Installs the generated CRDs by server-side apply and waits until they are Established.
pub async fn install_crds(client: &Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in ecs_bridge::crdgen::all() {
        let name = crd.name_any();
        crds.patch(
            &name,
            &PatchParams::apply("e2e").force(),
            &Patch::Apply(&crd),
        )
        .await
        .expect("apply CRD");
    }
    for crd in ecs_bridge::crdgen::all() {
        let name = crd.name_any();
        eventually(
            Duration::from_secs(30),
            &format!("CRD {name} Established"),
            || async {
                crds.get(&name)
                    .await
                    .ok()
                    .and_then(|c| c.status)
                    .and_then(|s| s.conditions)
                    .is_some_and(|conds| {
                        conds
                            .iter()
                            .any(|c| c.type_ == "Established" && c.status == "True")
                    })
            },
        )
        .await;
    }
}

/// The status of a condition type of a status with `conditions`.
pub fn condition<'a>(
    conditions: &'a [ecs_bridge::api::Condition],
    type_: &str,
) -> Option<&'a ecs_bridge::api::Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Changes the settings of a running double (`POST /_double/config`).
pub fn configure(double: &ecs_double::Running, body: &str) {
    let status = std::process::Command::new("curl")
        .args([
            "-sf",
            "-X",
            "POST",
            &format!("{}/_double/config", double.url),
            "-d",
            body,
        ])
        .args(["-H", "content-type: application/json"])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "configure the double");
}
