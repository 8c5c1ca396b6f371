//! Which cluster associations an `EcsGateway` makes and removes: it associates every cluster the spec names
//! that has no association yet, and removes only associations it made itself (recorded in
//! `status.associatedClusters`) once the spec no longer names their cluster. An association someone else made
//! is never removed, also when the spec names its cluster and later stops naming it.

use kube::{Api, ResourceExt};

use super::validate::cluster_short_name;
use crate::api::{EcsCluster, EcsGateway};
use crate::controllers::references::{arn_in_place, not_ready, ready_object, same_place};
use crate::ecs::gateway::ObservedAssociation;
use crate::reconcile::{Context, Error};

/// Whether an association of ECS's keeps the gateway tied to its cluster (ACTIVE or DISASSOCIATING).
pub fn holds(association: &ObservedAssociation) -> bool {
    matches!(association.status.as_str(), "ACTIVE" | "DISASSOCIATING")
}

/// Whether two cluster identifiers (names or ARNs) name the same cluster of one account and region.
pub fn same_cluster(a: &str, b: &str) -> bool {
    cluster_short_name(a) == cluster_short_name(b)
}

/// The calls that bring the associations to the spec.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Clusters (as the spec names them) to associate.
    pub associate: Vec<String>,
    /// Cluster ARNs of this object's associations to remove.
    pub disassociate: Vec<String>,
    /// Clusters of the spec without an ACTIVE association (also those being associated now).
    pub missing: Vec<String>,
}

/// Plans the association calls: `wanted` are the spec's clusters, `ours` the associations this object made.
pub fn plan(wanted: &[String], observed: &[ObservedAssociation], ours: &[String]) -> Plan {
    let mut plan = Plan::default();
    for cluster in wanted {
        let found = observed
            .iter()
            .find(|a| holds(a) && same_cluster(&a.cluster_arn, cluster));
        match found {
            Some(a) if a.status == "ACTIVE" => {}
            // A removal under way is waited for, then the cluster is associated again.
            Some(_) => plan.missing.push(cluster.clone()),
            None => {
                plan.associate.push(cluster.clone());
                plan.missing.push(cluster.clone());
            }
        }
    }
    for cluster in ours {
        let named = wanted.iter().any(|w| same_cluster(w, cluster));
        let active = observed
            .iter()
            .any(|a| a.status == "ACTIVE" && same_cluster(&a.cluster_arn, cluster));
        if !named && active {
            plan.disassociate.push(cluster.clone());
        }
    }
    plan
}

/// This object's associations that ECS still holds (the others are gone and forgotten), plus `made`.
pub fn still_ours(
    ours: &[String],
    observed: &[ObservedAssociation],
    made: &[String],
) -> Vec<String> {
    let mut kept: Vec<String> = ours
        .iter()
        .filter(|c| {
            observed
                .iter()
                .any(|a| holds(a) && same_cluster(&a.cluster_arn, c))
        })
        .cloned()
        .collect();
    for cluster in made {
        if !kept.iter().any(|c| same_cluster(c, cluster)) {
            kept.push(cluster.clone());
        }
    }
    kept
}

/// The clusters the spec names, resolved: `clusterRefs` to their ARNs (waiting while one is not Ready), then
/// `clusters` as given.
pub async fn wanted(gateway: &EcsGateway, ctx: &Context) -> Result<Vec<String>, Error> {
    let namespace = gateway.namespace().unwrap_or_default();
    let api: Api<EcsCluster> = Api::namespaced(ctx.client.clone(), &namespace);
    let mut clusters = Vec::new();
    for reference in &gateway.spec.cluster_refs {
        let cluster = ready_object(&api, &reference.name, "spec.clusterRefs").await?;
        same_place(ctx, &cluster, "spec.clusterRefs")?;
        let arn = cluster
            .status
            .and_then(|s| s.arn)
            .ok_or_else(|| not_ready("EcsCluster", &reference.name, "spec.clusterRefs"))?;
        clusters.push(arn);
    }
    for cluster in &gateway.spec.clusters {
        arn_in_place(ctx, "spec.clusters", cluster)?;
        if clusters.iter().any(|c| same_cluster(c, cluster)) {
            return Err(Error::InvalidSpec(format!(
                "spec.clusters: {cluster} is also named by spec.clusterRefs; name each cluster once"
            )));
        }
        clusters.push(cluster.clone());
    }
    Ok(clusters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn association(cluster: &str, status: &str) -> ObservedAssociation {
        ObservedAssociation {
            cluster_arn: format!("arn:aws:ecs:us-east-1:1:cluster/{cluster}"),
            status: status.into(),
        }
    }

    fn arn(cluster: &str) -> String {
        format!("arn:aws:ecs:us-east-1:1:cluster/{cluster}")
    }

    #[test]
    fn associates_what_is_missing_and_removes_only_its_own() {
        let observed = [
            association("apps", "ACTIVE"),
            association("theirs", "ACTIVE"),
            association("old", "ACTIVE"),
        ];
        let planned = plan(
            &["apps".into(), "new".into()],
            &observed,
            &[arn("apps"), arn("old")],
        );
        assert_eq!(planned.associate, vec!["new".to_owned()]);
        assert_eq!(planned.disassociate, vec![arn("old")]);
        assert_eq!(planned.missing, vec!["new".to_owned()]);
    }

    #[test]
    fn someone_elses_association_is_never_removed_even_after_the_spec_named_it() {
        let observed = [association("theirs", "ACTIVE")];
        let named = plan(&["theirs".into()], &observed, &[]);
        assert_eq!(named, Plan::default());
        let unnamed = plan(&[], &observed, &[]);
        assert_eq!(unnamed, Plan::default());
    }

    #[test]
    fn a_removal_under_way_is_waited_for() {
        let observed = [association("apps", "DISASSOCIATING")];
        let planned = plan(&["apps".into()], &observed, &[arn("apps")]);
        assert!(planned.associate.is_empty());
        assert_eq!(planned.missing, vec!["apps".to_owned()]);
        assert_eq!(
            still_ours(&[arn("apps")], &observed, &[]),
            vec![arn("apps")]
        );
        assert!(still_ours(&[arn("apps")], &[association("apps", "INACTIVE")], &[]).is_empty());
    }
}
