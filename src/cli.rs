//! Command-line settings: every flag has an environment fallback.

use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::ecs::EcsSettings;
use crate::ecs::limits::{Category, LimitSettings};
use crate::shard::{LabelSelector, ShardSettings};

#[derive(Parser, Debug)]
#[command(
    name = "ecs-bridge",
    version,
    about = "Manage Amazon ECS clusters, task definitions and services from Kubernetes"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the controllers.
    Run(Box<RunSettings>),
    /// Print the CustomResourceDefinitions of all kinds as YAML.
    Crds {
        /// Write one file per CRD into this folder instead of printing them.
        #[arg(long)]
        out_dir: Option<std::path::PathBuf>,
    },
    /// Print manifests of the clusters, services, task definitions and capacity providers of an account and
    /// region: adopted, read-only unless --manage, and changing nothing in AWS when applied as printed.
    Import(Box<crate::import::ImportSettings>),
    /// Show what the operator would change in AWS for the manifests of a file or directory: exit 0 when
    /// nothing, 1 when something, 2 on an error. Needs no cluster and no CRDs.
    Diff(crate::diff::DiffSettings),
}

/// Settings of `ecs-bridge run`.
#[derive(clap::Args, Debug, Clone)]
pub struct RunSettings {
    /// AWS region; the standard AWS settings (AWS_REGION, profile) apply when unset.
    #[arg(long, env = "ECSB_REGION")]
    pub region: Option<String>,
    /// Namespaces to watch, comma-separated; all namespaces when empty.
    #[arg(long, env = "ECSB_NAMESPACES", value_delimiter = ',')]
    pub namespaces: Vec<String>,
    /// Makes this operator a shard of this name (a label value): it owns the namespaces --namespace-selector
    /// selects, records itself on its Lease (--lease-namespace, --lease-name: one per shard) and refuses the
    /// objects of a namespace another shard selects too.
    #[arg(long, env = "ECSB_SHARD_NAME")]
    pub shard_name: Option<String>,
    /// Label selector of the namespaces this shard owns, e.g. `ecsbridge.dev/shard=a` (with --shard-name).
    #[arg(long, env = "ECSB_NAMESPACE_SELECTOR")]
    pub namespace_selector: Option<String>,
    /// Namespaces whose objects may adopt existing ECS objects (`ecsbridge.dev/adopt`), comma-separated; all
    /// namespaces when empty.
    #[arg(long, env = "ECSB_ADOPT_NAMESPACES", value_delimiter = ',')]
    pub adopt_namespaces: Vec<String>,
    /// How often every managed object is compared with ECS (e.g. 60s, 5m).
    #[arg(long, env = "ECSB_DRIFT_INTERVAL", default_value = "60s", value_parser = parse_duration)]
    pub drift_interval: Duration,
    /// Address of the Prometheus metrics endpoint (/metrics).
    #[arg(long, env = "ECSB_METRICS_ADDR", default_value = "0.0.0.0:8080")]
    pub metrics_addr: std::net::SocketAddr,
    /// Address of the health endpoints (/healthz, /readyz).
    #[arg(long, env = "ECSB_HEALTH_ADDR", default_value = "0.0.0.0:8081")]
    pub health_addr: std::net::SocketAddr,
    /// Log format.
    #[arg(long, env = "ECSB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Share of each ECS throttle bucket (AWS's default sizes) the operator may use, 0 < budget <= 1.
    #[arg(long, env = "ECSB_AWS_BUDGET", default_value_t = 0.8, value_parser = parse_budget)]
    pub aws_budget: f64,
    /// Bucket size of a throttle category, replacing AWS's default: `category=burst/refill`, repeatable or
    /// comma-separated (e.g. `service-read=200/40`, when AWS raised the account's limit).
    #[arg(long, env = "ECSB_AWS_RATE_LIMITS", value_delimiter = ',', value_parser = LimitSettings::parse_override)]
    pub aws_rate_limit: Vec<(Category, (f64, f64))>,
    /// Only the holder of a coordination.k8s.io Lease reconciles (run two or more replicas).
    #[arg(long, env = "ECSB_LEADER_ELECTION", default_value_t = false)]
    pub leader_election: bool,
    /// Namespace of the leader election Lease.
    #[arg(long, env = "ECSB_LEASE_NAMESPACE", default_value = "default")]
    pub lease_namespace: String,
    /// Name of the leader election Lease.
    #[arg(long, env = "ECSB_LEASE_NAME", default_value = "ecs-bridge")]
    pub lease_name: String,
    /// The operator's own ServiceAccount (in --lease-namespace), made the owner of a shard's Lease record, so that
    /// deleting the release (and with it the ServiceAccount) deletes the record and the other shards stop counting
    /// this shard's selector. The chart sets it.
    #[arg(long, env = "ECSB_LEASE_OWNER_SERVICE_ACCOUNT")]
    pub lease_owner_service_account: Option<String>,
    /// How long a leader's Lease stays valid without renewal; a standby takes over after it (e.g. 15s; at least
    /// 10s). A leader that has not renewed within its renew deadline stops reconciling before that.
    #[arg(long, env = "ECSB_LEASE_DURATION", default_value = "15s", value_parser = parse_duration)]
    pub lease_duration: Duration,
}

impl RunSettings {
    /// The ECS client settings these flags describe.
    pub fn ecs_settings(&self) -> EcsSettings {
        EcsSettings {
            region: self.region.clone(),
            limits: LimitSettings {
                budget: self.aws_budget,
                overrides: self.aws_rate_limit.iter().copied().collect(),
                disabled: false,
            },
            ..EcsSettings::default()
        }
    }
}

impl RunSettings {
    /// The shard this operator is, if any; the error names the flag to fix.
    pub fn shard_settings(&self) -> Result<Option<ShardSettings>, String> {
        let (name, selector) = match (&self.shard_name, &self.namespace_selector) {
            (None, None) => return Ok(None),
            (Some(name), Some(selector)) => (name, selector),
            _ => {
                return Err(
                    "--shard-name (ECSB_SHARD_NAME) and --namespace-selector (ECSB_NAMESPACE_SELECTOR) go together"
                        .into(),
                );
            }
        };
        if !self.namespaces.is_empty() {
            return Err(
                "a shard picks its namespaces by --namespace-selector: leave --namespaces (ECSB_NAMESPACES) empty"
                    .into(),
            );
        }
        let label_value = name.len() <= 63
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name.ends_with(|c: char| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !label_value {
            return Err(format!(
                "--shard-name \"{name}\" must be a label value: at most 63 letters, digits, '-', '_' or '.', \
                 starting and ending with a letter or digit"
            ));
        }
        let selector =
            LabelSelector::parse(selector).map_err(|err| format!("--namespace-selector: {err}"))?;
        Ok(Some(ShardSettings {
            name: name.clone(),
            selector,
            lease_namespace: self.lease_namespace.clone(),
            lease_name: self.lease_name.clone(),
            record_owner: self.lease_owner_service_account.clone(),
        }))
    }
}

/// Parses a budget share in (0, 1].
pub fn parse_budget(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(share) if share > 0.0 && share <= 1.0 => Ok(share),
        _ => Err(format!(
            "\"{text}\" is not a share between 0 (exclusive) and 1, such as 0.8"
        )),
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Parses `90`, `90s`, `5m` or `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let value: u64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a duration such as 30s, 5m or 1h"))?;
    let seconds = match unit {
        "" | "s" => value,
        "m" => value * 60,
        "h" => value * 3600,
        _ => return Err(format!("\"{text}\" has an unknown unit; use s, m or h")),
    };
    if seconds == 0 {
        return Err("a duration must be at least 1s".into());
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_with_units() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn budget_must_be_a_share() {
        assert_eq!(parse_budget("0.5"), Ok(0.5));
        assert!(parse_budget("0").is_err());
        assert!(parse_budget("1.5").is_err());
    }

    fn run(args: &[&str]) -> RunSettings {
        let cli = Cli::parse_from(["ecs-bridge", "run"].iter().chain(args));
        let Command::Run(run) = cli.command else {
            panic!("run")
        };
        *run
    }

    #[test]
    fn a_shard_needs_a_name_a_selector_and_no_namespace_list() {
        assert!(run(&[]).shard_settings().unwrap().is_none());
        let shard = run(&[
            "--shard-name",
            "a",
            "--namespace-selector",
            "team in (x,y)",
            "--lease-name",
            "la",
        ])
        .shard_settings()
        .unwrap()
        .unwrap();
        assert_eq!(
            (shard.name.as_str(), shard.lease_name.as_str()),
            ("a", "la")
        );
        assert_eq!(shard.selector.text(), "team in (x,y)");
        let alone = run(&["--shard-name", "a"]).shard_settings().unwrap_err();
        assert!(alone.contains("go together"), "{alone}");
        let listed = run(&[
            "--shard-name",
            "a",
            "--namespace-selector",
            "t=x",
            "--namespaces",
            "n",
        ]);
        assert!(
            listed
                .shard_settings()
                .unwrap_err()
                .contains("--namespaces")
        );
        let bad_name = run(&["--shard-name", "a/b", "--namespace-selector", "t=x"]);
        assert!(
            bad_name
                .shard_settings()
                .unwrap_err()
                .contains("--shard-name")
        );
        let bad_selector = run(&["--shard-name", "a", "--namespace-selector", "t in x"]);
        assert!(
            bad_selector
                .shard_settings()
                .unwrap_err()
                .contains("--namespace-selector")
        );
    }

    #[test]
    fn flags_become_ecs_settings() {
        let cli = Cli::parse_from([
            "ecs-bridge",
            "run",
            "--aws-budget",
            "0.5",
            "--aws-rate-limit",
            "service-read=200/40",
        ]);
        let Command::Run(run) = cli.command else {
            panic!("run")
        };
        let ecs = run.ecs_settings();
        assert_eq!(ecs.limits.budget, 0.5);
        assert_eq!(ecs.limits.overrides[&Category::ServiceRead], (200.0, 40.0));
    }
}
