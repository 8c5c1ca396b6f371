//! `ecs-bridge import`: prints manifests of the clusters, services, task definitions and capacity providers of an
//! account and region (or writes one file per cluster), which change nothing in AWS when applied as printed:
//! before printing, the operator's own plan functions (`ecs-bridge diff`) check them against ECS.

pub mod clean;
pub mod read;
pub mod render;

use std::path::PathBuf;
use std::sync::Arc;

use crate::diff::manifests::Manifests;
use crate::diff::plan_all;
use crate::ecs::{Ecs, EcsSettings};
use crate::metrics::Metrics;
use read::Filters;
use render::{Options, to_yaml};

/// Settings of `ecs-bridge import`.
#[derive(clap::Args, Debug, Clone)]
pub struct ImportSettings {
    /// AWS region; the standard AWS settings (AWS_REGION, profile) apply when unset.
    #[arg(long, env = "ECSB_REGION")]
    pub region: Option<String>,
    /// Import only this cluster (name or ARN); repeatable. All clusters when unset.
    #[arg(long = "cluster")]
    pub clusters: Vec<String>,
    /// Import only these services (names), comma-separated or repeated.
    #[arg(long = "service", value_delimiter = ',')]
    pub services: Vec<String>,
    /// Import only services carrying this tag (`key=value`); repeatable: all of them.
    #[arg(long = "tag", value_parser = parse_tag)]
    pub tags: Vec<(String, String)>,
    /// Write one file per cluster (`<cluster>.yaml`) into this directory instead of printing.
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// `metadata.namespace` of the manifests; none when unset (`kubectl apply -n` decides).
    #[arg(long)]
    pub namespace: Option<String>,
    /// Leave out `ecsbridge.dev/read-only`: once applied, the operator adopts and manages the objects.
    #[arg(long)]
    pub manage: bool,
}

/// Parses `key=value`.
pub fn parse_tag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!(
            "--tag \"{text}\": expected key=value, such as team=web"
        )),
    }
}

/// Runs `import`: reads, renders, checks that the manifests match ECS, prints or writes them.
pub async fn run(settings: &ImportSettings) -> Result<(), String> {
    let ecs_settings = EcsSettings {
        region: settings.region.clone(),
        ..EcsSettings::default()
    };
    let ecs = Ecs::from_env(&ecs_settings, Arc::new(Metrics::default())).await;
    let filters = Filters {
        clusters: settings.clusters.clone(),
        services: settings.services.clone(),
        tags: settings.tags.clone(),
    };
    let estate = read::read(&ecs, &filters).await?;
    let options = Options {
        namespace: settings.namespace.clone(),
        manage: settings.manage,
    };
    let rendered = render::render(&estate, &options)?;
    for note in &rendered.notes {
        eprintln!("ecs-bridge import: {note}");
    }
    check(&ecs, &rendered, &options).await?;
    match &settings.out_dir {
        None => {
            let objects: Vec<_> = rendered
                .files
                .iter()
                .flat_map(|f| f.objects.clone())
                .collect();
            print!("{}", to_yaml(&objects));
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("--out-dir {}: {e}", dir.display()))?;
            for file in &rendered.files {
                let path = dir.join(format!("{}.yaml", file.name));
                std::fs::write(&path, to_yaml(&file.objects))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                eprintln!("ecs-bridge import: wrote {}", path.display());
            }
        }
    }
    Ok(())
}

/// Plans the rendered manifests against ECS with the operator's own plan functions: any drift means that applying
/// them would change something, and is an error (with what differs) rather than a silent change.
async fn check(ecs: &Ecs, rendered: &render::Rendered, options: &Options) -> Result<(), String> {
    let mut manifests = Manifests::default();
    let namespace = options
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    for file in &rendered.files {
        manifests.add_documents(&to_yaml(&file.objects), &namespace)?;
    }
    crate::diff::validate(&manifests)?;
    let diffs = plan_all(ecs, &manifests).await?;
    let drifting: Vec<String> = diffs
        .iter()
        .filter(|d| !d.drift.is_empty() || d.refusal.is_some())
        .map(|d| {
            let fields: Vec<String> = d
                .drift
                .iter()
                .map(|f| format!("{}: ECS {} -> spec {}", f.path, f.ecs, f.spec))
                .chain(d.refusal.clone())
                .collect();
            format!("{}: {}", d.object, fields.join("; "))
        })
        .collect();
    if drifting.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the imported manifests would not match ECS (please report this): {}",
        drifting.join(" | ")
    ))
}
