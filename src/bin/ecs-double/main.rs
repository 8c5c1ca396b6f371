//! `ecs-double`: an Amazon ECS test double for what moto cannot do — throttling, rollouts over time and faults.
//!
//! It speaks ECS's awsJson1_1 protocol (`POST /` with `X-Amz-Target`), so aws-sdk-ecs talks to it unchanged with
//! `AWS_ENDPOINT_URL_ECS=http://127.0.0.1:PORT`; it ignores request signatures. At start it prints one line,
//! `listening on http://ADDRESS:PORT`, to stdout. The admin API is under `/_double/` (see [`admin`]).
#![forbid(unsafe_code)]

mod admin;
mod app;
mod clock;
mod dispatch;
mod faults;
mod ids;
mod ops_cluster;
mod ops_service;
mod ops_tags;
mod ops_task_definition;
mod paginate;
mod prng;
mod protocol;
mod request;
mod rollout;
mod settings;
mod state;
mod stats;
mod tags;
mod throttle;
mod validate;

use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use clap::{Parser, ValueEnum};
use tracing_subscriber::EnvFilter;

use app::App;
use settings::Settings;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Switch {
    On,
    Off,
}

/// An Amazon ECS test double: the ECS JSON protocol with throttling, rollouts over time and injected faults.
#[derive(Parser, Debug)]
#[command(name = "ecs-double", version)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "ECS_DOUBLE_BIND", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Port to listen on; 0 picks a free one (see the `listening on` line).
    #[arg(long, env = "ECS_DOUBLE_PORT", default_value_t = 0)]
    port: u16,
    /// AWS Region shown in ARNs.
    #[arg(long, env = "ECS_DOUBLE_REGION", default_value = "us-east-1")]
    region: String,
    /// Time runs this many times faster: token refills, rollouts, drains, task definition deletions.
    #[arg(long, env = "ECS_DOUBLE_SPEEDUP", default_value_t = 1.0, value_parser = speedup)]
    speedup: f64,
    /// ECS's token-bucket throttling.
    #[arg(long, env = "ECS_DOUBLE_THROTTLE", value_enum, default_value_t = Switch::On)]
    throttle: Switch,
    /// How long a rollout (and a drain) takes, before the speed-up.
    #[arg(long, env = "ECS_DOUBLE_ROLLOUT_SECONDS", default_value_t = 10.0, value_parser = seconds)]
    rollout_seconds: f64,
    /// Share (0 to 1) of new deployments whose tasks fail to start.
    #[arg(long, env = "ECS_DOUBLE_ROLLOUT_FAILURE_RATE", default_value_t = 0.0, value_parser = share)]
    rollout_failure_rate: f64,
    /// Share (0 to 1) of calls that fail: half answer HTTP 500 at once, half hang first.
    #[arg(long, env = "ECS_DOUBLE_FAULT_RATE", default_value_t = 0.0, value_parser = share)]
    fault_rate: f64,
    /// How long a hanging call hangs before its 500 (real seconds, not sped up).
    #[arg(long, env = "ECS_DOUBLE_TIMEOUT_SECONDS", default_value_t = 30.0, value_parser = seconds)]
    timeout_seconds: f64,
    /// Faults strike after the call had its effect (to test idempotency), not before.
    #[arg(long, env = "ECS_DOUBLE_FAULT_AFTER_EFFECT")]
    fault_after_effect: bool,
    /// Milliseconds added to every ECS call (real time, not sped up).
    #[arg(long, env = "ECS_DOUBLE_LATENCY_MS", default_value_t = 0)]
    latency_ms: u64,
    /// Seed of the generators that choose faults and failing rollouts.
    #[arg(long, env = "ECS_DOUBLE_SEED", default_value_t = 1)]
    seed: u64,
}

fn share(text: &str) -> Result<f64, String> {
    let value: f64 = text.parse().map_err(|e| format!("{e}"))?;
    settings::share("the value", value)
}

fn seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text.parse().map_err(|e| format!("{e}"))?;
    settings::non_negative("the value", value)
}

fn speedup(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
        _ => Err(format!("the speed-up must be a number > 0, not {text:?}")),
    }
}

impl Cli {
    fn settings(&self) -> Settings {
        Settings {
            region: self.region.clone(),
            speedup: self.speedup,
            rollout_seconds: self.rollout_seconds,
            rollout_failure_rate: self.rollout_failure_rate,
            fault_rate: self.fault_rate,
            timeout_seconds: self.timeout_seconds,
            fault_after_effect: self.fault_after_effect,
            latency_ms: self.latency_ms,
            throttle: self.throttle == Switch::On,
            seed: self.seed,
        }
    }
}

async fn ecs(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    app.handle(&headers, &body).await
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", post(ecs))
        .route("/_double/stats", get(admin::stats))
        .route("/_double/reset", post(admin::reset))
        .route("/_double/config", get(admin::config).post(admin::configure))
        .with_state(app)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_env("ECS_DOUBLE_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .init();
    let app = Arc::new(App::new(cli.settings()));
    let listener = match tokio::net::TcpListener::bind((cli.bind, cli.port)).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!(
                "ecs-double: cannot listen on {}:{}: {err}",
                cli.bind, cli.port
            );
            return ExitCode::FAILURE;
        }
    };
    let address = match listener.local_addr() {
        Ok(address) => address,
        Err(err) => {
            eprintln!("ecs-double: no local address: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "listening on http://{address}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("ecs-double: cannot write to stdout");
        return ExitCode::FAILURE;
    }
    match axum::serve(listener, router(app)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ecs-double: {err}");
            ExitCode::FAILURE
        }
    }
}
