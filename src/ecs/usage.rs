//! Which task definition revisions the ECS services of the account and region run: every deployment and task set
//! of every service of every cluster (ListClusters, ListServices, DescribeServices in batches of 10).

use std::collections::BTreeMap;

use super::service::DESCRIBE_SERVICES_BATCH;
use super::{AwsError, AwsErrorKind, Ecs};

/// Something that runs or names a revision.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    /// Where, for a message ("service web in cluster prod").
    pub name: String,
    /// It is going away by itself (a DRAINING service, an object being deleted): waiting for it frees the revision.
    pub leaving: bool,
    /// The cluster ARN and name of the ECS service it is, if it is one.
    pub service: Option<(String, String)>,
}

/// Task definition ARN -> where it runs, for every revision a service uses.
pub type RevisionUsers = BTreeMap<String, Vec<User>>;

impl Ecs {
    /// The task definition revisions every service deployment and task set in the account and region runs.
    pub async fn task_definitions_in_services(&self) -> Result<RevisionUsers, AwsError> {
        let mut users = RevisionUsers::new();
        for cluster in self.list_cluster_arns().await? {
            let Some(services) = unless_gone(self.list_service_arns(&cluster).await)? else {
                continue;
            };
            for batch in services.chunks(DESCRIBE_SERVICES_BATCH) {
                let request = self
                    .client
                    .describe_services()
                    .cluster(&cluster)
                    .set_services(Some(batch.to_vec()));
                let described = self.call("DescribeServices", || request.clone().send());
                let Some(out) = unless_gone(described.await)? else {
                    break;
                };
                for service in out.services() {
                    // An INACTIVE service runs nothing: deleted (catalogue entry 9), though some emulators
                    // still list it.
                    if service.status() == Some("INACTIVE") {
                        continue;
                    }
                    let user = User {
                        name: format!(
                            "service {} in cluster {}",
                            service.service_name().unwrap_or_default(),
                            name_of(&cluster)
                        ),
                        // ListServices hides DRAINING services (catalogue entry 9); should one be listed anyway,
                        // it is going away.
                        leaving: service.status() == Some("DRAINING"),
                        service: Some((
                            cluster.clone(),
                            service.service_name().unwrap_or_default().to_owned(),
                        )),
                    };
                    let deployments = service.deployments().iter().map(|d| d.task_definition());
                    let task_sets = service.task_sets().iter().map(|t| t.task_definition());
                    let arns = deployments
                        .chain(task_sets)
                        .chain([service.task_definition()])
                        .flatten();
                    for arn in arns {
                        let listed = users.entry(arn.to_owned()).or_default();
                        if !listed.contains(&user) {
                            listed.push(user.clone());
                        }
                    }
                }
            }
        }
        Ok(users)
    }

    /// The ARNs of every cluster of the account and region (ListClusters, page by page).
    pub async fn list_cluster_arns(&self) -> Result<Vec<String>, AwsError> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let request = self
                .client
                .list_clusters()
                .set_next_token(token)
                .max_results(100);
            let out = self.call("ListClusters", || request.clone().send()).await?;
            arns.extend(out.cluster_arns().iter().cloned());
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(arns);
            }
        }
    }

    /// The ARNs of the services ListServices shows on `cluster`, page by page.
    pub async fn list_service_arns(&self, cluster: &str) -> Result<Vec<String>, AwsError> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let request = self
                .client
                .list_services()
                .cluster(cluster)
                .set_next_token(token)
                .max_results(100);
            let out = self.call("ListServices", || request.clone().send()).await?;
            arns.extend(out.service_arns().iter().cloned());
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(arns);
            }
        }
    }
}

/// `None` for a cluster that is gone: one deleted since ListClusters listed it, or an INACTIVE one still listed
/// (catalogue entry 22), answers ListServices and DescribeServices with `ClusterNotFoundException`; it runs nothing,
/// so the account's other clusters are still read.
fn unless_gone<T>(answer: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match answer {
        Err(error) if error.kind == AwsErrorKind::NotFound => Ok(None),
        other => other.map(Some),
    }
}

/// The name at the end of an ARN (`...:cluster/prod` -> `prod`).
fn name_of(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str) -> Result<Vec<String>, AwsError> {
        Err(AwsError::from_code(
            "ListServices",
            Some(code),
            "says why".into(),
            None,
        ))
    }

    /// ListServices answers ClusterNotFoundException for a cluster deleted since ListClusters ("The specified
    /// cluster wasn't found"): it runs nothing, and the revisions other clusters run are still found.
    #[test]
    fn a_cluster_gone_since_it_was_listed_runs_nothing() {
        assert_eq!(unless_gone(error("ClusterNotFoundException")), Ok(None));
        assert_eq!(
            unless_gone(error("ThrottlingException")).unwrap_err().kind,
            AwsErrorKind::Throttled
        );
        assert_eq!(
            unless_gone(Ok(vec!["a".to_owned()])),
            Ok(Some(vec!["a".to_owned()]))
        );
    }
}
