//! The `ecs-double` binary: parses the command line, starts the server and prints the address it listens on.
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use ecs_double::Cli;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_env("ECS_DOUBLE_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .init();
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
    match ecs_double::serve(listener, cli.settings()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ecs-double: {err}");
            ExitCode::FAILURE
        }
    }
}
