//! Runs one scenario against each backend it holds on: names and tags everything it creates with a run id, and
//! deletes all of it at the end, also after a failure. Against AWS it first prints what it will create.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_ecs::Client;
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{Tag, TaskDefinitionStatus};

use crate::backend::{Backend, Kind};

/// What a scenario concludes: `Err` says which documented behaviour did not hold.
pub type Outcome = Result<(), String>;
/// A scenario: written once against the ECS API, run against every backend it holds on.
pub type Scenario = for<'a> fn(&'a Run) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// The tag key every object of a conformance run carries.
pub const RUN_TAG: &str = "ecsbridge.dev/conformance-run";

/// One run of one scenario on one backend, with what it created.
pub struct Run {
    pub backend: Backend,
    pub id: String,
    created: Mutex<Created>,
}

#[derive(Default)]
struct Created {
    clusters: Vec<String>,
    services: Vec<(String, String)>,
    families: Vec<String>,
    express_services: Vec<String>,
    gateways: Vec<String>,
    /// Daemons (ARNs), daemon task definition families and capacity providers (names).
    daemons: Vec<String>,
    daemon_families: Vec<String>,
    capacity_providers: Vec<(String, String)>,
}

impl Run {
    pub fn new(backend: Backend) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        Self {
            backend,
            id: format!("{:x}", nanos % 0xff_ffff_ffff),
            created: Mutex::new(Created::default()),
        }
    }

    pub fn ecs(&self) -> &Client {
        &self.backend.ecs
    }

    pub fn kind(&self) -> Kind {
        self.backend.kind
    }

    /// A name unique to this run.
    pub fn name(&self, base: &str) -> String {
        format!("ecsb-conf-{}-{base}", self.id)
    }

    /// The run tag, for every object created.
    pub fn tags(&self) -> Vec<Tag> {
        vec![Tag::builder().key(RUN_TAG).value(&self.id).build()]
    }

    fn created(&self) -> std::sync::MutexGuard<'_, Created> {
        self.created.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates a cluster for this run and returns its name.
    pub async fn cluster(&self, base: &str) -> Result<String, String> {
        let name = self.name(base);
        self.ecs()
            .create_cluster()
            .cluster_name(&name)
            .set_tags(Some(self.tags()))
            .send()
            .await
            .map_err(|e| format!("CreateCluster {name}: {}", describe(&e)))?;
        self.created().clusters.push(name.clone());
        Ok(name)
    }

    /// Records a service for cleanup.
    pub fn track_service(&self, cluster: &str, service: &str) {
        self.created()
            .services
            .push((cluster.to_owned(), service.to_owned()));
    }

    /// Records an Express service (by ARN) for cleanup.
    pub fn track_express_service(&self, arn: &str) {
        self.created().express_services.push(arn.to_owned());
    }

    /// Records a gateway (by name) for cleanup.
    pub fn track_gateway(&self, name: &str) {
        self.created().gateways.push(name.to_owned());
    }

    /// Records a daemon (by ARN) for cleanup.
    pub fn track_daemon(&self, arn: &str) {
        self.created().daemons.push(arn.to_owned());
    }

    /// Records a daemon task definition family for cleanup.
    pub fn track_daemon_family(&self, family: &str) {
        self.created().daemon_families.push(family.to_owned());
    }

    /// Records a capacity provider of `cluster` for cleanup.
    pub fn track_capacity_provider(&self, cluster: &str, name: &str) {
        self.created()
            .capacity_providers
            .push((cluster.to_owned(), name.to_owned()));
    }

    /// Records a task definition family for cleanup.
    pub fn track_family(&self, family: &str) {
        self.created().families.push(family.to_owned());
    }

    /// Polls `check` until it returns `Some`, for at most the backend's patience.
    pub async fn eventually<T, F, Fut>(&self, what: &str, mut check: F) -> Result<T, String>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, String>>,
    {
        let deadline = Instant::now() + self.backend.patience;
        loop {
            if let Some(value) = check().await? {
                return Ok(value);
            }
            if Instant::now() > deadline {
                return Err(format!("timed out waiting for {what}"));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Deletes what the run created: Express services, services (forced), task definition revisions, then
    /// clusters.
    async fn clean_up(&self) -> Vec<String> {
        let created = std::mem::take(&mut *self.created());
        let ecs = self.ecs();
        let mut leaks = Vec::new();
        for arn in &created.express_services {
            let _ = ecs
                .delete_express_gateway_service()
                .service_arn(arn)
                .send()
                .await;
        }
        for gateway in &created.gateways {
            crate::gateways::remove(self, gateway).await;
        }
        leaks.extend(
            crate::daemons::clean_up(self, &created.daemons, &created.daemon_families).await,
        );
        for (cluster, provider) in &created.capacity_providers {
            let _ = ecs
                .delete_capacity_provider()
                .cluster(cluster)
                .capacity_provider(provider)
                .send()
                .await;
        }
        for (cluster, service) in &created.services {
            let _ = ecs
                .delete_service()
                .cluster(cluster)
                .service(service)
                .force(true)
                .send()
                .await;
        }
        for family in &created.families {
            for status in [TaskDefinitionStatus::Active, TaskDefinitionStatus::Inactive] {
                let listed = ecs
                    .list_task_definitions()
                    .family_prefix(family)
                    .status(status.clone())
                    .send()
                    .await;
                let arns = listed
                    .map(|l| l.task_definition_arns().to_vec())
                    .unwrap_or_default();
                for arn in arns.iter().filter(|a| a.contains(&format!("/{family}:"))) {
                    let _ = ecs
                        .deregister_task_definition()
                        .task_definition(arn)
                        .send()
                        .await;
                }
                if !arns.is_empty() && self.kind() != Kind::Moto {
                    for chunk in arns.chunks(10) {
                        let _ = ecs
                            .delete_task_definitions()
                            .set_task_definitions(Some(chunk.to_vec()))
                            .send()
                            .await;
                    }
                }
            }
        }
        for cluster in &created.clusters {
            let deleted = self
                .eventually(&format!("deletion of cluster {cluster}"), || async {
                    match ecs.delete_cluster().cluster(cluster).send().await {
                        Ok(_) => Ok(Some(())),
                        Err(e) if e.code() == Some("ClusterNotFoundException") => Ok(Some(())),
                        Err(_) => Ok(None),
                    }
                })
                .await;
            if let Err(e) = deleted {
                leaks.push(e);
            }
        }
        leaks
    }
}

/// The error code and message of an SDK error.
pub fn describe<E: ProvideErrorMetadata>(err: &E) -> String {
    format!(
        "{}: {}",
        err.code().unwrap_or("no code"),
        err.message().unwrap_or("no message")
    )
}

/// Runs `scenario` on one backend and cleans up after it.
pub async fn run_on(backend: Backend, scenario: Scenario) -> Outcome {
    let run = Run::new(backend);
    if run.kind() == Kind::Aws {
        println!(
            "conformance run {} on AWS: creates clusters, task definitions, services and tasks named ecsb-conf-{}-*, \
             tagged {RUN_TAG}={}; Fargate tasks run for about a minute each (well under USD 0.01 per scenario); \
             everything is deleted at the end",
            run.id, run.id, run.id
        );
    }
    let outcome = scenario(&run).await;
    let leaks = run.clean_up().await;
    match (outcome, leaks.is_empty()) {
        (Ok(()), true) => Ok(()),
        (Ok(()), false) => Err(format!("left behind: {}", leaks.join("; "))),
        (Err(e), _) => Err(e),
    }
}

/// Runs `scenario` against every backend of `kinds` available in this run; panics with every difference found.
pub async fn check(kinds: &[Kind], scenario: Scenario) {
    let mut failures = Vec::new();
    let backends = Backend::all_for(kinds).await;
    assert!(!backends.is_empty(), "no backend for {kinds:?}");
    for backend in backends {
        let kind = backend.kind;
        if let Err(e) = run_on(backend, scenario).await {
            failures.push(format!("{kind:?}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Fails with `message` unless `condition` holds.
pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Outcome {
    if condition { Ok(()) } else { Err(message()) }
}

/// One `#[tokio::test]` per scenario of a module, run on the listed backends:
/// `conformance! { module; scenario on [Double, Aws]; ... }`.
#[macro_export]
macro_rules! conformance {
    ($module:ident; $($name:ident on [$($kind:ident),+];)+) => {
        mod on_backends {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::harness::check(
                        &[$($crate::backend::Kind::$kind),+],
                        |run| Box::pin($crate::$module::$name(run)),
                    )
                    .await;
                }
            )+
        }
    };
}
