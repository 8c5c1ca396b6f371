//! Deleting an `EcsCluster`'s ECS cluster without leaking anything: the cluster named in status (name and ARN)
//! is deleted only once no `EcsService` here uses it and ECS lists no service (managed here or not) and no
//! capacity provider that must go first; the finalizer goes only when ECS reports it INACTIVE or gone.
//!
//! The Auto Scaling group providers on the cluster are released first with PutClusterCapacityProviders: those it
//! associated itself (its references' and, when the spec manages the whole list, `capacityProviders`), so that
//! their `CapacityProvider` objects, deleted at the same time, can go, and those others associated, which stay
//! ACTIVE and free for another cluster: an association cannot outlive the cluster, and whether DeleteCluster would
//! release them itself is not documented the same way everywhere (catalogue entry 21). Managed Instances
//! providers (deleted with their `CapacityProvider`, or someone else's) still block with a message.

use kube::api::ListParams;
use kube::{Api, ResourceExt};

use super::validate::cluster_name;
use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::{EcsCluster, EcsService};
use crate::ecs::AwsErrorKind;
use crate::ecs::cluster::ObservedCluster;
use crate::reconcile::ownership::{Ownership, classify};
use crate::reconcile::{Cleanup, Context, Error, Note};

/// Capacity providers that every cluster may use and that need no deleting before the cluster.
const BUILT_IN_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// Removes the ECS cluster of a deleted `EcsCluster`, or says what it waits for.
pub async fn cleanup(cluster: &EcsCluster, ctx: &Context) -> Result<Cleanup, Error> {
    let users = services_using(cluster, ctx).await?;
    if !users.is_empty() {
        return Ok(Cleanup::Waiting(format!(
            "waiting for the EcsService objects that use this cluster to be deleted: {}",
            users.join(", ")
        )));
    }
    let status = cluster.status.as_ref();
    let name = status
        .and_then(|s| s.cluster_name.clone())
        .unwrap_or_else(|| cluster_name(cluster));
    let target = status.and_then(|s| s.arn.clone()).unwrap_or(name.clone());
    let Some(found) = ctx.ecs.describe_cluster(&target).await? else {
        return Ok(done("Deleted", format!("ECS cluster {name} is gone")));
    };
    if classify(cluster, &found.tags) != Ownership::Ours {
        return Ok(done(
            "LeftInPlace",
            format!("ECS cluster {name} is not owned by this object; left in place"),
        ));
    }
    let services = ctx.ecs.services_on(&found.cluster_arn).await?;
    if !services.is_empty() {
        return Ok(Cleanup::Waiting(
            blockers(&found, &services).unwrap_or_default(),
        ));
    }
    let others = others_group_providers(cluster, &found, ctx).await?;
    let mut found = found;
    if let Some((providers, strategy)) = release(cluster, &found, &others) {
        match ctx
            .ecs
            .put_cluster_capacity_providers(&found.cluster_arn, &providers, &strategy)
            .await
        {
            Ok(()) => {
                found.capacity_providers = providers;
                found.default_capacity_provider_strategy = strategy;
            }
            // Tasks still run on them: ECS stops them with their services; wait.
            Err(refused) if refused.code.as_deref() == Some("ResourceInUseException") => {
                return Ok(Cleanup::Waiting(format!(
                    "releasing the capacity providers of ECS cluster {name} ({}): {refused}; waiting for the \
                     tasks that use them to stop",
                    found.cluster_arn
                )));
            }
            Err(other) => return Err(other.into()),
        }
    }
    if let Some(waiting) = blockers(&found, &services) {
        return Ok(Cleanup::Waiting(waiting));
    }
    match ctx.ecs.delete_cluster(&found.cluster_arn).await {
        Ok(None) => Ok(done("Deleted", format!("deleted ECS cluster {name}"))),
        Ok(Some(state)) if state == "INACTIVE" => {
            Ok(done("Deleted", format!("deleted ECS cluster {name}")))
        }
        Ok(Some(state)) => Ok(Cleanup::Waiting(format!(
            "deleting ECS cluster {name} ({}); ECS reports it {state}",
            found.cluster_arn
        ))),
        // ECS found something on the cluster that it did not list a moment ago (tasks, instances).
        Err(refused)
            if refused
                .code
                .as_deref()
                .is_some_and(|c| c.starts_with("ClusterContains")) =>
        {
            Ok(Cleanup::Waiting(format!(
                "ECS cluster {name} ({}) cannot be deleted yet: {refused}",
                found.cluster_arn
            )))
        }
        Err(other) => Err(other.into()),
    }
}

/// Whether the cluster associated the provider itself: `status.associatedCapacityProviders`, and the whole
/// `spec.capacityProviders` list when the spec sets it. FARGATE and FARGATE_SPOT need no releasing.
fn associated_here(cluster: &EcsCluster, provider: &str) -> bool {
    let associated = cluster
        .status
        .as_ref()
        .map(|s| s.associated_capacity_providers.as_slice())
        .unwrap_or_default();
    !BUILT_IN_PROVIDERS.contains(&provider)
        && (associated.iter().any(|p| p == provider)
            || cluster
                .spec
                .capacity_providers
                .iter()
                .flatten()
                .any(|p| p == provider))
}

/// The providers on the cluster that others associated and that ECS describes as Auto Scaling group providers
/// (a Managed Instances provider belongs to its cluster and is not found without it: it is not released).
async fn others_group_providers(
    cluster: &EcsCluster,
    found: &ObservedCluster,
    ctx: &Context,
) -> Result<Vec<String>, Error> {
    let mut groups = Vec::new();
    for name in &found.capacity_providers {
        if BUILT_IN_PROVIDERS.contains(&name.as_str()) || associated_here(cluster, name) {
            continue;
        }
        // A provider ECS does not describe without its cluster (Managed Instances) is not released: it blocks with
        // a message below instead of failing the cleanup on every attempt.
        let described = match ctx.ecs.describe_capacity_provider(None, name).await {
            Ok(described) => described,
            Err(err) if matches!(err.kind, AwsErrorKind::Rejected | AwsErrorKind::NotFound) => None,
            Err(err) => return Err(err.into()),
        };
        if described.is_some_and(|p| p.auto_scaling_group_provider.is_some()) {
            groups.push(name.clone());
        }
    }
    Ok(groups)
}

/// The capacity providers and default strategy the cluster keeps once it releases the providers it associated
/// itself and `others` (Auto Scaling group providers others associated); `None` when ECS lists none of them.
pub fn release(
    cluster: &EcsCluster,
    found: &ObservedCluster,
    others: &[String],
) -> Option<(Vec<String>, Vec<CapacityProviderStrategyItem>)> {
    let leaving = |p: &String| associated_here(cluster, p) || others.contains(p);
    if !found.capacity_providers.iter().any(leaving) {
        return None;
    }
    let kept: Vec<String> = found
        .capacity_providers
        .iter()
        .filter(|p| !leaving(p))
        .cloned()
        .collect();
    let strategy = found
        .default_capacity_provider_strategy
        .iter()
        .filter(|item| kept.contains(&item.capacity_provider))
        .cloned()
        .collect();
    Some((kept, strategy))
}

fn done(reason: &str, message: String) -> Cleanup {
    Cleanup::Done(vec![Note::normal(reason, message)])
}

/// What ECS still has on the cluster that must go before it: the services it lists and the capacity providers
/// that are not built in. `None` when nothing blocks the deletion.
pub fn blockers(cluster: &ObservedCluster, services: &[String]) -> Option<String> {
    let providers: Vec<&str> = cluster
        .capacity_providers
        .iter()
        .map(String::as_str)
        .filter(|p| !BUILT_IN_PROVIDERS.contains(p))
        .collect();
    let mut blocking = Vec::new();
    if !services.is_empty() {
        blocking.push(format!(
            "services {} (managed here or not)",
            services.join(", ")
        ));
    }
    if !providers.is_empty() {
        blocking.push(format!("capacity providers {}", providers.join(", ")));
    }
    (!blocking.is_empty()).then(|| {
        format!(
            "waiting to delete ECS cluster {} ({}): ECS still lists {} on it; delete them first",
            cluster.cluster_name,
            cluster.cluster_arn,
            blocking.join(" and ")
        )
    })
}

/// Names of the `EcsService` objects in the namespace that run on this cluster.
async fn services_using(cluster: &EcsCluster, ctx: &Context) -> Result<Vec<String>, Error> {
    let namespace = cluster.namespace().unwrap_or_default();
    let services: Api<EcsService> = Api::namespaced(ctx.client.clone(), &namespace);
    let name = cluster_name(cluster);
    let arn = cluster.status.as_ref().and_then(|s| s.arn.clone());
    let users = services
        .list(&ListParams::default())
        .await?
        .into_iter()
        .filter(|s| {
            let by_ref = s
                .spec
                .cluster_ref
                .as_ref()
                .is_some_and(|r| Some(&r.name) == cluster.metadata.name.as_ref());
            let by_name = s
                .spec
                .cluster
                .as_ref()
                .is_some_and(|c| *c == name || Some(c) == arn.as_ref());
            by_ref || by_name
        })
        .map(|s| s.name_any())
        .collect();
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(providers: &[&str]) -> ObservedCluster {
        ObservedCluster {
            cluster_arn: "arn:aws:ecs:us-east-1:123:cluster/web".into(),
            cluster_name: "web".into(),
            status: "ACTIVE".into(),
            capacity_providers: providers.iter().map(|p| p.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn an_empty_cluster_or_one_with_only_fargate_can_go() {
        assert_eq!(blockers(&cluster(&[]), &[]), None);
        assert_eq!(blockers(&cluster(&["FARGATE", "FARGATE_SPOT"]), &[]), None);
    }

    #[test]
    fn a_deleted_cluster_releases_the_providers_it_associated_and_only_those() {
        let mut ours: EcsCluster = serde_yaml::from_str(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {name: web}\nspec:\n  capacityProviderRefs: [{name: ec2}]\n",
        )
        .unwrap();
        ours.status = Some(crate::api::EcsClusterStatus {
            associated_capacity_providers: vec!["web-ec2".into()],
            ..Default::default()
        });
        let mut found = cluster(&["FARGATE", "web-ec2", "team-b"]);
        found.default_capacity_provider_strategy = ["web-ec2", "FARGATE"]
            .map(|p| CapacityProviderStrategyItem {
                capacity_provider: p.into(),
                weight: Some(1),
                base: None,
            })
            .to_vec();
        let (kept, strategy) = release(&ours, &found, &[]).expect("something to release");
        assert_eq!(kept, vec!["FARGATE".to_owned(), "team-b".to_owned()]);
        assert_eq!(strategy.len(), 1);
        assert_eq!(strategy[0].capacity_provider, "FARGATE");
        // What others associated and is no Auto Scaling group provider (Managed Instances) still blocks, named.
        let message = blockers(
            &cluster(&kept.iter().map(String::as_str).collect::<Vec<_>>()),
            &[],
        )
        .unwrap();
        assert!(message.contains("team-b"), "{message}");
        // Nothing of ours left: nothing to release.
        assert_eq!(release(&ours, &cluster(&["FARGATE", "team-b"]), &[]), None);
        // A spec that manages the whole list associated all of it.
        ours.spec.capacity_providers = Some(vec!["team-b".into()]);
        let (kept, _) = release(&ours, &found, &[]).unwrap();
        assert_eq!(kept, vec!["FARGATE".to_owned()]);
    }

    #[test]
    fn a_deleted_cluster_releases_the_group_providers_others_associated_too() {
        let ours: EcsCluster = serde_yaml::from_str(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {name: web}\nspec: {}\n",
        )
        .unwrap();
        let found = cluster(&["FARGATE", "team-b-asg", "team-c-managed"]);
        let (kept, _) =
            release(&ours, &found, &["team-b-asg".into()]).expect("team-b's group leaves");
        assert_eq!(
            kept,
            vec!["FARGATE".to_owned(), "team-c-managed".to_owned()]
        );
    }

    #[test]
    fn services_and_capacity_providers_block_and_are_named_with_the_cluster() {
        let services = vec!["legacy".to_owned()];
        let message = blockers(&cluster(&["FARGATE", "asg-1"]), &services).unwrap();
        for part in ["web", "cluster/web", "legacy", "asg-1"] {
            assert!(message.contains(part), "{message}");
        }
        assert!(!message.contains("FARGATE"), "{message}");
    }
}
