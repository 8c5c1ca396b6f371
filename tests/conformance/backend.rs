//! The ECS endpoints the conformance scenarios run against: the ECS test double (always), moto (when
//! `AWS_ENDPOINT_URL_ECS` points at it, as `tests/control-plane/up.sh` arranges) and a real AWS account (only with
//! `ECSB_CONFORMANCE_AWS=1`, the standard AWS credentials and a region).

use std::time::Duration;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::config::retry::RetryConfig;
use aws_sdk_ecs::config::{BehaviorVersion, Credentials, Region};

/// Which kind of ECS a scenario runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Double,
    Moto,
    Aws,
}

/// One ECS endpoint with a client for it.
pub struct Backend {
    pub kind: Kind,
    pub ecs: Client,
    /// Kept alive while the scenario runs (the in-process double).
    _double: Option<ecs_double::Running>,
    /// How much faster than real time the backend runs rollouts and task lives: waits scale with it.
    pub patience: Duration,
}

/// A client for an emulator at `url`: dummy credentials (moto routes on the signature), quick retries.
fn emulator_client(url: &str) -> Client {
    let config = aws_sdk_ecs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(url)
        .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(20)))
        .build();
    Client::from_conf(config)
}

impl Backend {
    /// The ECS test double with `args` (such as `["--rollout-seconds", "2"]`), 2 s rollouts and task runs;
    /// throttling off so that scenarios only see the behaviour under test.
    pub fn double(args: &[&str]) -> Self {
        let mut all = vec![
            "--throttle",
            "off",
            "--rollout-seconds",
            "2",
            "--task-seconds",
            "2",
        ];
        all.extend_from_slice(args);
        let running = ecs_double::spawn(&all);
        Self {
            kind: Kind::Double,
            ecs: emulator_client(&running.url),
            _double: Some(running),
            patience: Duration::from_secs(30),
        }
    }

    /// moto, when `AWS_ENDPOINT_URL_ECS` names it (the local control plane's env file sets it).
    pub fn moto() -> Option<Self> {
        let url = std::env::var("AWS_ENDPOINT_URL_ECS").ok()?;
        Some(Self {
            kind: Kind::Moto,
            ecs: emulator_client(&url),
            _double: None,
            patience: Duration::from_secs(10),
        })
    }

    /// A real AWS account, only when `ECSB_CONFORMANCE_AWS=1`.
    pub async fn aws() -> Option<Self> {
        if std::env::var("ECSB_CONFORMANCE_AWS").as_deref() != Ok("1") {
            return None;
        }
        let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
        Some(Self {
            kind: Kind::Aws,
            ecs: Client::new(&config),
            _double: None,
            patience: Duration::from_secs(600),
        })
    }

    /// The backends a scenario that holds on `kinds` runs against in this run.
    pub async fn all_for(kinds: &[Kind]) -> Vec<Self> {
        let mut backends = Vec::new();
        if kinds.contains(&Kind::Double) {
            backends.push(Self::double(&[]));
        }
        if kinds.contains(&Kind::Moto) {
            match Self::moto() {
                Some(moto) => backends.push(moto),
                // CI (tests/run-all.sh) always has moto: a scenario that holds on moto must run there.
                None => assert!(
                    std::env::var("ECSB_REQUIRE_MOTO").as_deref() != Ok("1"),
                    "ECSB_REQUIRE_MOTO=1 but AWS_ENDPOINT_URL_ECS does not name moto"
                ),
            }
        }
        if kinds.contains(&Kind::Aws)
            && let Some(aws) = Self::aws().await
        {
            backends.push(aws);
        }
        backends
    }
}
