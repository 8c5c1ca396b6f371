//! Deleting an `EcsCluster`'s ECS cluster without leaking anything: the cluster named in status (name and ARN)
//! is deleted only once no `EcsService` here uses it and ECS lists no service (managed here or not) and no
//! capacity provider that must go first; the finalizer goes only when ECS reports it INACTIVE or gone.

use kube::api::ListParams;
use kube::{Api, ResourceExt};

use super::validate::cluster_name;
use crate::api::{EcsCluster, EcsService};
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
    fn services_and_capacity_providers_block_and_are_named_with_the_cluster() {
        let services = vec!["legacy".to_owned()];
        let message = blockers(&cluster(&["FARGATE", "asg-1"]), &services).unwrap();
        for part in ["web", "cluster/web", "legacy", "asg-1"] {
            assert!(message.contains(part), "{message}");
        }
        assert!(!message.contains("FARGATE"), "{message}");
    }
}
