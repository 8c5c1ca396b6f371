//! Command-line settings: every flag has an environment fallback.

use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

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
    Run(RunSettings),
    /// Print the CustomResourceDefinitions of all kinds as YAML.
    Crds {
        /// Write one file per CRD into this folder instead of printing them.
        #[arg(long)]
        out_dir: Option<std::path::PathBuf>,
    },
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
}
