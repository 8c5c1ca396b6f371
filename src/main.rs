//! The `ecs-bridge` binary: `run` starts the controllers, `crds` prints the CRDs, `import` prints manifests of
//! existing ECS objects, `diff` shows what applying manifests would change in AWS.
#![forbid(unsafe_code)]

use clap::Parser;
use ecs_bridge::cli::{Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crds { out_dir: None } => {
            print!("{}", ecs_bridge::crdgen::all_yaml());
            std::process::ExitCode::SUCCESS
        }
        Command::Crds { out_dir: Some(dir) } => match ecs_bridge::crdgen::write_all(&dir) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("ecs-bridge: cannot write CRDs to {}: {err}", dir.display());
                std::process::ExitCode::FAILURE
            }
        },
        Command::Import(settings) => match ecs_bridge::import::run(&settings).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("ecs-bridge import: {err}");
                std::process::ExitCode::FAILURE
            }
        },
        Command::Diff(settings) => {
            std::process::ExitCode::from(ecs_bridge::diff::run(&settings).await)
        }
        Command::Run(settings) => match ecs_bridge::runtime::run(*settings).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("ecs-bridge: {err}");
                std::process::ExitCode::FAILURE
            }
        },
    }
}
