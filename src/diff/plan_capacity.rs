//! What the operator would do for a cluster or a capacity provider manifest, from the operator's own pure plan
//! functions (the cluster's capacity provider references resolved among the manifests given and the account).

use serde_json::json;

use super::plan::{ObjectDiff, tag_call, wanted_tags};
use crate::api::{CapacityProvider, EcsCluster, Tags};
use crate::controllers::capacity_provider::observe::drift as provider_drift;
use crate::controllers::capacity_provider::plan::{ProviderAction, plan as provider_plan};
use crate::controllers::cluster::capacity::{Referenced, with_references};
use crate::controllers::cluster::plan::{ClusterAction, Desired, plan as cluster_plan};
use crate::controllers::cluster::status::drift as cluster_drift;
use crate::ecs::capacity_provider::ObservedCapacityProvider;
use crate::ecs::cluster::ObservedCluster;
use crate::reconcile::read_only::is_read_only;

/// A cluster's plan; `referenced` are its capacity provider references, resolved.
pub fn cluster(
    cluster: &EcsCluster,
    name: &str,
    owner: &str,
    referenced: &[Referenced],
    observed: Option<&ObservedCluster>,
) -> ObjectDiff {
    let mut diff = ObjectDiff {
        object: format!(
            "EcsCluster {}",
            cluster.metadata.name.clone().unwrap_or_default()
        ),
        ecs: format!("cluster {name}"),
        ..Default::default()
    };
    let resolved = match with_references(&cluster.spec, referenced, &[]) {
        Ok(resolved) => resolved,
        Err(refusal) => {
            diff.headline = "refused".to_owned();
            diff.refusal = Some(refusal);
            return diff.finish(is_read_only(cluster));
        }
    };
    let empty = Tags::new();
    let tags = wanted_tags(
        &cluster.spec.tags,
        observed.map_or(&empty, |o| &o.tags),
        owner,
    );
    let desired = Desired {
        spec: &resolved.spec,
        capacity: &resolved.capacity,
        tags: &tags,
        applied_tag_keys: &[],
        generation_changed: false,
    };
    if let Some(observed) = observed {
        diff.drift = cluster_drift(&cluster.spec, observed);
    }
    for action in cluster_plan(&desired, observed) {
        let line = match action {
            ClusterAction::Create => {
                diff.headline = "create".to_owned();
                "CreateCluster".to_owned()
            }
            ClusterAction::Update(update) => {
                let fields = [
                    ("settings", update.settings.is_some()),
                    ("configuration", update.configuration.is_some()),
                    (
                        "serviceConnectDefaults",
                        update.service_connect_defaults.is_some(),
                    ),
                ];
                let fields: Vec<&str> = fields.iter().filter(|f| f.1).map(|f| f.0).collect();
                format!("UpdateCluster {}", fields.join(", "))
            }
            ClusterAction::PutCapacityProviders {
                providers,
                strategy,
            } => format!(
                "PutClusterCapacityProviders [{}] with default strategy {}",
                providers.join(", "),
                json!(strategy)
            ),
            ClusterAction::Tag(set) => tag_line(&set, observed.map(|o| o.cluster_arn.as_str())),
            ClusterAction::Untag(keys) => format!("UntagResource: {}", keys.join(", ")),
        };
        diff.calls.push(line);
    }
    if diff.headline.is_empty() && diff.calls.iter().all(|c| c.starts_with("TagResource")) {
        diff.headline = "tags".to_owned();
    }
    diff.finish(is_read_only(cluster))
}

fn tag_line(set: &Tags, arn: Option<&str>) -> String {
    tag_call(set, &Tags::new(), arn.unwrap_or_default()).unwrap_or_default()
}

/// A capacity provider's plan.
pub fn provider(
    provider: &CapacityProvider,
    name: &str,
    owner: &str,
    observed: Option<&ObservedCapacityProvider>,
) -> ObjectDiff {
    let mut diff = ObjectDiff {
        object: format!(
            "CapacityProvider {}",
            provider.metadata.name.clone().unwrap_or_default()
        ),
        ecs: format!("capacity provider {name}"),
        ..Default::default()
    };
    let empty = Tags::new();
    let tags = wanted_tags(
        &provider.spec.tags,
        observed.map_or(&empty, |o| &o.tags),
        owner,
    );
    if let Some(observed) = observed {
        diff.drift = provider_drift(&provider.spec, observed);
    }
    match provider_plan(&provider.spec, &tags, &[], observed) {
        Err(refusal) => {
            diff.headline = "refused".to_owned();
            diff.refusal = Some(refusal);
        }
        Ok(actions) => {
            for action in actions {
                let line = match action {
                    ProviderAction::Create => {
                        diff.headline = "create".to_owned();
                        "CreateCapacityProvider".to_owned()
                    }
                    ProviderAction::Update(_) => "UpdateCapacityProvider".to_owned(),
                    ProviderAction::Tag(set) => {
                        tag_line(&set, observed.map(|o| o.capacity_provider_arn.as_str()))
                    }
                    ProviderAction::Untag(keys) => {
                        format!("UntagResource: {}", keys.join(", "))
                    }
                };
                diff.calls.push(line);
            }
        }
    }
    if diff.headline.is_empty() && diff.calls.iter().all(|c| c.starts_with("TagResource")) {
        diff.headline = "tags".to_owned();
    }
    diff.finish(is_read_only(provider))
}
