//! Which revisions of a family something still runs or names: ECS service deployments and task sets of the whole
//! account and region (the truth), plus every `EcsService` of the cluster (spec and status), looked up once per
//! reconcile pass.

use std::collections::{BTreeMap, BTreeSet};

use kube::api::ListParams;
use kube::{Api, ResourceExt};

use crate::api::EcsService;
use crate::ecs::task_definition::{family_of, revision_of};
use crate::ecs::usage::User;
use crate::reconcile::{Context, Error};

/// Revision -> what uses it, for one family.
#[derive(Debug, Default, PartialEq)]
pub struct InUse(BTreeMap<i32, Vec<User>>);

impl InUse {
    /// Scans ECS and the `EcsService` objects; an error means the revisions in use are unknown.
    pub async fn scan(ctx: &Context, family: &str, namespace: &str) -> Result<Self, Error> {
        let mut in_use = Self::default();
        let services = list_services(ctx, namespace).await?;
        let deleting = being_deleted(&services);
        for (arn, users) in ctx.ecs.task_definitions_in_services().await? {
            for mut user in users {
                // The ECS service of an EcsService being deleted is going away too.
                user.leaving |= user.service.as_ref().is_some_and(|s| deleting.contains(s));
                in_use.add(family, &arn, user);
            }
        }
        for service in services {
            let user = User {
                name: service_object(
                    &service.namespace().unwrap_or_default(),
                    &service.name_any(),
                ),
                leaving: service.metadata.deletion_timestamp.is_some(),
                service: None,
            };
            for named in names_in(&service) {
                in_use.add(family, &named, user.clone());
            }
        }
        Ok(in_use)
    }

    /// Records that `user` runs or names `task_definition` (an ARN or `family:revision`) if it is of `family`.
    fn add(&mut self, family: &str, task_definition: &str, user: User) {
        if family_of(task_definition) != family {
            return;
        }
        if let Some(revision) = revision_of(task_definition) {
            let users = self.0.entry(revision).or_default();
            match users.iter_mut().find(|u| u.name == user.name) {
                // An object being deleted whose ECS service still runs: leaving if either says so.
                Some(known) => known.leaving |= user.leaving,
                None => users.push(user),
            }
        }
    }

    pub fn revisions(&self) -> BTreeSet<i32> {
        self.0.keys().copied().collect()
    }

    pub fn contains(&self, revision: i32) -> bool {
        self.0.contains_key(&revision)
    }

    /// What uses `revision`, for a message.
    pub fn users(&self, revision: i32) -> String {
        self.0
            .get(&revision)
            .map(|users| {
                let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
                names.join(", ")
            })
            .unwrap_or_default()
    }

    /// Whether an `EcsService` of `namespace` that is not being deleted uses `revision`. Deleted together with
    /// the task definition (its namespace being deleted, `kubectl delete -f` of one file), it may simply not have
    /// been reached yet.
    pub fn used_by_staying_neighbour(&self, revision: i32, namespace: &str) -> bool {
        let prefix = service_object(namespace, "");
        self.0.get(&revision).is_some_and(|users| {
            users
                .iter()
                .any(|u| !u.leaving && u.name.starts_with(&prefix))
        })
    }

    /// Whether everything that uses `revision` is going away by itself.
    pub fn only_leaving(&self, revision: i32) -> bool {
        self.0
            .get(&revision)
            .is_some_and(|users| users.iter().all(|u| u.leaving))
    }
}

/// How an `EcsService` object is named as a user.
fn service_object(namespace: &str, name: &str) -> String {
    format!("EcsService {namespace}/{name}")
}

/// Every `EcsService` of the cluster, or of `namespace` when the operator may only read its watched namespaces
/// (ECS's own answer covers services wherever they run).
async fn list_services(ctx: &Context, namespace: &str) -> Result<Vec<EcsService>, Error> {
    let all: Api<EcsService> = Api::all(ctx.client.clone());
    match all.list(&ListParams::default()).await {
        Err(kube::Error::Api(e)) if e.code == 403 => {
            let own: Api<EcsService> = Api::namespaced(ctx.client.clone(), namespace);
            Ok(own.list(&ListParams::default()).await?.items)
        }
        listed => Ok(listed?.items),
    }
}

/// The cluster ARN and ECS name of every `EcsService` being deleted.
fn being_deleted(services: &[EcsService]) -> BTreeSet<(String, String)> {
    services
        .iter()
        .filter(|s| s.metadata.deletion_timestamp.is_some())
        .filter_map(|s| {
            let status = s.status.as_ref()?;
            Some((status.cluster_arn.clone()?, status.service_name.clone()?))
        })
        .collect()
}

/// The task definitions an `EcsService` names in its spec or runs according to its status.
fn names_in(service: &EcsService) -> Vec<String> {
    let status = service.status.iter().flat_map(|s| {
        let deployments = s
            .deployments
            .iter()
            .filter_map(|d| d.task_definition.clone());
        deployments.chain(s.task_definition.clone())
    });
    service
        .spec
        .task_definition
        .clone()
        .into_iter()
        .chain(status)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, leaving: bool) -> User {
        User {
            name: name.into(),
            leaving,
            service: None,
        }
    }

    #[test]
    fn only_revisions_of_the_family_count() {
        let mut in_use = InUse::default();
        in_use.add(
            "web",
            "arn:aws:ecs:us-east-1:1:task-definition/web:3",
            user("a", false),
        );
        in_use.add("web", "web:4", user("b", false));
        in_use.add("web", "web:4", user("b", false));
        in_use.add(
            "web",
            "arn:aws:ecs:us-east-1:1:task-definition/web-a:5",
            user("c", false),
        );
        in_use.add("web", "web", user("follows the newest", false));
        assert!(in_use.contains(3) && in_use.contains(4));
        assert!(!in_use.contains(5));
        assert_eq!(in_use.users(4), "b");
    }

    #[test]
    fn a_revision_is_freed_by_waiting_only_when_all_its_users_are_leaving() {
        let mut in_use = InUse::default();
        in_use.add("web", "web:3", user("service a in cluster c", true));
        in_use.add("web", "web:4", user("service a in cluster c", true));
        in_use.add("web", "web:4", user("service b in cluster c", false));
        in_use.add("web", "web:5", user("EcsService ns/x", false));
        in_use.add("web", "web:5", user("EcsService ns/x", true));
        assert!(in_use.only_leaving(3));
        assert!(!in_use.only_leaving(4), "b stays");
        assert!(in_use.only_leaving(5), "the object is being deleted");
        assert!(!in_use.only_leaving(6), "nothing uses it");
    }

    #[test]
    fn only_a_staying_service_object_of_the_same_namespace_is_a_neighbour() {
        let mut in_use = InUse::default();
        in_use.add("web", "web:3", user("EcsService ns/a", false));
        in_use.add("web", "web:4", user("EcsService ns/b", true));
        in_use.add("web", "web:5", user("EcsService other/c", false));
        in_use.add("web", "web:6", user("service d in cluster c", false));
        assert!(in_use.used_by_staying_neighbour(3, "ns"));
        assert!(
            !in_use.used_by_staying_neighbour(4, "ns"),
            "already leaving"
        );
        assert!(
            !in_use.used_by_staying_neighbour(5, "ns"),
            "another namespace"
        );
        assert!(
            !in_use.used_by_staying_neighbour(5, "n"),
            "a namespace whose name is a prefix"
        );
        assert!(!in_use.used_by_staying_neighbour(6, "ns"), "not an object");
    }
}
