//! Which revisions of a daemon task definition family daemons still run or name: for every `EcsDaemon` object,
//! the revision it last sent and the revisions ECS reports its daemon running (DescribeDaemon's current
//! revisions, through DescribeDaemonRevisions), whether the object is being deleted, and whether ECS is
//! deleting its daemon; then every other daemon of the account's clusters (ListClusters, ListDaemons), which
//! only ECS knows.

use std::collections::BTreeMap;

use kube::api::ListParams;
use kube::{Api, ResourceExt};

use crate::api::EcsDaemon;
use crate::ecs::task_definition::{family_of, revision_of};
use crate::reconcile::{Context, Error};

/// One daemon that runs or names a revision.
#[derive(Clone, Debug, PartialEq)]
pub struct DaemonUser {
    /// `EcsDaemon <namespace>/<name>`.
    pub name: String,
    pub namespace: String,
    /// Going away by itself: its object or its ECS daemon is being deleted.
    pub leaving: bool,
}

/// Revision -> the daemons that use it, for one family.
#[derive(Debug, Default, PartialEq)]
pub struct DaemonsInUse(BTreeMap<i32, Vec<DaemonUser>>);

impl DaemonsInUse {
    /// Looks at every `EcsDaemon` object and its ECS daemon; an error means the revisions in use are unknown.
    pub async fn scan(ctx: &Context, family: &str, namespace: &str) -> Result<Self, Error> {
        let mut in_use = Self::default();
        let mut seen = std::collections::BTreeSet::new();
        for daemon in list_daemons(ctx, namespace).await? {
            let mut user = DaemonUser {
                name: format!(
                    "EcsDaemon {}/{}",
                    daemon.namespace().unwrap_or_default(),
                    daemon.name_any()
                ),
                namespace: daemon.namespace().unwrap_or_default(),
                leaving: daemon.metadata.deletion_timestamp.is_some(),
            };
            let status = daemon.status.clone().unwrap_or_default();
            let mut named: Vec<String> = status.daemon_task_definition_arn.into_iter().collect();
            if let Some(arn) = status.daemon_arn.as_deref() {
                seen.insert(arn.to_owned());
                let (running, deleting) = running_in_ecs(ctx, arn).await?;
                user.leaving |= deleting;
                named.extend(running);
            }
            for arn in named {
                in_use.add(family, &arn, &user);
            }
        }
        for cluster in ctx.ecs.list_cluster_arns().await? {
            for arn in ctx.ecs.list_daemons(Some(&cluster)).await? {
                if !seen.insert(arn.clone()) {
                    continue;
                }
                let (running, deleting) = running_in_ecs(ctx, &arn).await?;
                let user = DaemonUser {
                    name: format!("ECS daemon {arn}"),
                    namespace: String::new(),
                    leaving: deleting,
                };
                for definition in running {
                    in_use.add(family, &definition, &user);
                }
            }
        }
        Ok(in_use)
    }

    fn add(&mut self, family: &str, arn: &str, user: &DaemonUser) {
        if family_of(arn) != family {
            return;
        }
        let Some(revision) = revision_of(arn) else {
            return;
        };
        let users = self.0.entry(revision).or_default();
        match users.iter_mut().find(|u| u.name == user.name) {
            Some(known) => known.leaving |= user.leaving,
            None => users.push(user.clone()),
        }
    }

    pub fn revisions(&self) -> std::collections::BTreeSet<i32> {
        self.0.keys().copied().collect()
    }

    pub fn contains(&self, revision: i32) -> bool {
        self.0.contains_key(&revision)
    }

    /// Whether every daemon that uses `revision` is going away by itself.
    pub fn only_leaving(&self, revision: i32) -> bool {
        self.0
            .get(&revision)
            .is_some_and(|users| users.iter().all(|u| u.leaving))
    }

    /// Whether a daemon of `namespace` that is not going away uses `revision`.
    pub fn used_by_staying_neighbour(&self, revision: i32, namespace: &str) -> bool {
        self.0
            .get(&revision)
            .is_some_and(|users| users.iter().any(|u| !u.leaving && u.namespace == namespace))
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
}

/// The daemon task definitions ECS reports the daemon of `arn` running, and whether ECS is deleting it.
async fn running_in_ecs(ctx: &Context, arn: &str) -> Result<(Vec<String>, bool), Error> {
    let Some(found) = ctx.ecs.describe_daemon(arn).await? else {
        return Ok((Vec::new(), false));
    };
    let revisions: Vec<String> = found
        .current_revisions
        .iter()
        .filter_map(|r| r.arn.clone())
        .collect();
    let running = if revisions.is_empty() {
        Vec::new()
    } else {
        ctx.ecs.daemon_revision_task_definitions(&revisions).await?
    };
    Ok((running, found.status_code() == "DELETE_IN_PROGRESS"))
}

/// Every `EcsDaemon` of the cluster, or of `namespace` when the operator may only read its watched namespaces.
async fn list_daemons(ctx: &Context, namespace: &str) -> Result<Vec<EcsDaemon>, Error> {
    let all: Api<EcsDaemon> = Api::all(ctx.client.clone());
    match all.list(&ListParams::default()).await {
        Err(kube::Error::Api(e)) if e.code == 403 => {
            let own: Api<EcsDaemon> = Api::namespaced(ctx.client.clone(), namespace);
            Ok(own.list(&ListParams::default()).await?.items)
        }
        listed => Ok(listed?.items),
    }
}
