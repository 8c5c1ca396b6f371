//! Shards: several operators in one cluster, each owning the namespaces its label selector selects. A shard
//! records its name and selector on its own Lease (label `ecsbridge.dev/shard`, annotation
//! `ecsbridge.dev/namespace-selector`) and watches the records of the others, so that an object of a namespace
//! two shards select is refused by both (`ShardConflict`) instead of being reconciled twice.

pub mod selector;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{Patch, PatchParams};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};

pub use selector::LabelSelector;

/// The label that names the shard on its Lease.
pub const SHARD_LABEL: &str = "ecsbridge.dev/shard";
/// The annotation that holds the shard's namespace selector on its Lease.
pub const SELECTOR_ANNOTATION: &str = "ecsbridge.dev/namespace-selector";
/// The field manager of the shard record.
const RECORD_MANAGER: &str = "ecs-bridge-shard";

/// What makes an operator a shard.
#[derive(Clone, Debug)]
pub struct ShardSettings {
    pub name: String,
    pub selector: LabelSelector,
    /// The Lease that holds the record (the leader election Lease when there is one).
    pub lease_namespace: String,
    pub lease_name: String,
    /// The ServiceAccount (in the Lease's namespace) that owns the record: deleting it, as uninstalling the
    /// release does, deletes the record, so the other shards stop counting this shard's selector.
    pub record_owner: Option<String>,
}

/// Whether this shard reconciles the objects of a namespace.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Owned,
    NotOwned,
    /// Another shard selects the namespace too; the message names it and says what to do.
    Conflict(String),
}

/// Why a shard could not start.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error(
        "Lease {0} already records shard \"{1}\": give each shard its own lease name (--lease-name, ECSB_LEASE_NAME)"
    )]
    LeaseTaken(String, String),
    #[error(
        "ServiceAccount {0}, which is to own the shard's Lease record (--lease-owner-service-account, \
         ECSB_LEASE_OWNER_SERVICE_ACCOUNT), does not exist: name the operator's own ServiceAccount"
    )]
    OwnerMissing(String),
    #[error("cannot record the shard on its Lease: {0}")]
    Kubernetes(#[from] kube::Error),
}

/// A running shard: its settings, the namespaces it selects and the records of all shards.
pub struct Shard {
    pub settings: ShardSettings,
    namespaces: Store<Namespace>,
    records: Store<Lease>,
    records_watch: tokio::task::JoinHandle<()>,
}

impl Drop for Shard {
    fn drop(&mut self) {
        self.records_watch.abort();
    }
}

/// What the runtime drives for a shard: the namespaces it selects, as watch events (kept in the shard's store).
pub type NamespaceEvents =
    futures::stream::BoxStream<'static, Result<watcher::Event<Namespace>, watcher::Error>>;

impl Shard {
    /// Records the shard on its Lease and starts following the other shards' records. The namespace events are
    /// the caller's to drive (they start and stop the controllers of each namespace).
    pub async fn start(
        client: Client,
        settings: ShardSettings,
    ) -> Result<(Arc<Self>, NamespaceEvents), ShardError> {
        record(&client, &settings).await?;
        let (records, writer) = reflector::store();
        let all_records = watcher(
            Api::<Lease>::all(client.clone()),
            watcher::Config::default().labels(SHARD_LABEL),
        )
        .default_backoff()
        .reflect(writer)
        .for_each(|_| async {});
        let records_watch = tokio::spawn(all_records);
        let (namespaces, writer) = reflector::store();
        let events = watcher(
            Api::<Namespace>::all(client),
            watcher::Config::default().labels(settings.selector.text()),
        )
        .default_backoff()
        .reflect(writer)
        .boxed();
        let _ = records.wait_until_ready().await;
        let shard = Arc::new(Self {
            settings,
            namespaces,
            records,
            records_watch,
        });
        Ok((shard, events))
    }

    /// Whether this shard reconciles the objects of `namespace`.
    pub fn verdict(&self, namespace: &str) -> Verdict {
        let Some(found) = self.namespaces.get(&ObjectRef::new(namespace)) else {
            return Verdict::NotOwned;
        };
        if !self.settings.selector.matches(found.labels()) {
            return Verdict::NotOwned;
        }
        let records = self.records.state();
        let others = others_selecting(&self.settings, found.labels(), &records);
        if others.is_empty() {
            return Verdict::Owned;
        }
        Verdict::Conflict(format!(
            "namespace {namespace} is selected by this shard \"{}\" ({}) and by {}: change the namespace's labels or \
             a shard's namespace selector so that exactly one shard selects it; until then no shard reconciles it",
            self.settings.name,
            self.settings.selector.text(),
            others.join(", ")
        ))
    }

    /// Whether this shard's selector still selects `namespace` (its watch has not reported it gone).
    pub fn selects(&self, namespace: &str) -> bool {
        self.namespaces.get(&ObjectRef::new(namespace)).is_some()
    }
}

/// The other shards (`shard "b" (selector)`) whose records select a namespace with these labels. A record is
/// another shard's when it is on another Lease; a record whose selector does not parse selects nothing.
pub fn others_selecting(
    own: &ShardSettings,
    labels: &BTreeMap<String, String>,
    records: &[Arc<Lease>],
) -> Vec<String> {
    records
        .iter()
        .filter(|lease| {
            lease.name_any() != own.lease_name
                || lease.namespace().as_deref() != Some(own.lease_namespace.as_str())
        })
        .filter_map(|lease| {
            let name = lease.labels().get(SHARD_LABEL)?;
            let text = lease.annotations().get(SELECTOR_ANNOTATION)?;
            let selector = LabelSelector::parse(text).ok()?;
            selector.matches(labels).then(|| {
                format!(
                    "shard \"{name}\" ({text}, Lease {}/{})",
                    lease.namespace().unwrap_or_default(),
                    lease.name_any()
                )
            })
        })
        .collect()
}

/// Writes the shard's name and selector onto its Lease (creating it when missing), unless the Lease records
/// another shard.
async fn record(client: &Client, settings: &ShardSettings) -> Result<(), ShardError> {
    let api: Api<Lease> = Api::namespaced(client.clone(), &settings.lease_namespace);
    let existing = api.get_opt(&settings.lease_name).await?;
    let recorded = existing.as_ref().and_then(|l| l.labels().get(SHARD_LABEL));
    if let Some(other) = recorded.filter(|other| **other != settings.name) {
        let lease = format!("{}/{}", settings.lease_namespace, settings.lease_name);
        return Err(ShardError::LeaseTaken(lease, other.clone()));
    }
    let mut body = serde_json::json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": settings.lease_name,
            "labels": {SHARD_LABEL: settings.name},
            "annotations": {SELECTOR_ANNOTATION: settings.selector.text()},
        },
    });
    if let Some(owner) = &settings.record_owner {
        let accounts: Api<ServiceAccount> =
            Api::namespaced(client.clone(), &settings.lease_namespace);
        let account = accounts.get_opt(owner).await?.ok_or_else(|| {
            ShardError::OwnerMissing(format!("{}/{owner}", settings.lease_namespace))
        })?;
        body["metadata"]["ownerReferences"] = serde_json::json!([{
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "name": owner,
            "uid": account.uid(),
        }]);
    }
    let params = PatchParams::apply(RECORD_MANAGER).force();
    api.patch(&settings.lease_name, &params, &Patch::Apply(body))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(name: &str, selector: &str) -> ShardSettings {
        ShardSettings {
            name: name.into(),
            selector: LabelSelector::parse(selector).unwrap(),
            lease_namespace: "ops".into(),
            lease_name: format!("ecs-bridge-{name}"),
            record_owner: None,
        }
    }

    fn record_of(shard: &ShardSettings) -> Arc<Lease> {
        Arc::new(
            serde_json::from_value(serde_json::json!({
                "metadata": {
                    "name": shard.lease_name, "namespace": shard.lease_namespace,
                    "labels": {SHARD_LABEL: shard.name},
                    "annotations": {SELECTOR_ANNOTATION: shard.selector.text()},
                },
            }))
            .unwrap(),
        )
    }

    #[test]
    fn a_namespace_two_shards_select_names_the_other_and_only_it() {
        let a = settings("a", "team in (x,both)");
        let b = settings("b", "team in (y,both)");
        let records = [record_of(&a), record_of(&b)];
        let team = |t: &str| BTreeMap::from([("team".to_owned(), t.to_owned())]);
        assert!(others_selecting(&a, &team("x"), &records).is_empty());
        let conflict = others_selecting(&a, &team("both"), &records);
        assert_eq!(conflict.len(), 1);
        assert!(conflict[0].contains("shard \"b\""), "{conflict:?}");
        assert!(
            conflict[0].contains("Lease ops/ecs-bridge-b"),
            "{conflict:?}"
        );
        let back = others_selecting(&b, &team("both"), &records);
        assert!(back[0].contains("shard \"a\""), "{back:?}");
    }

    #[test]
    fn a_record_without_a_valid_selector_selects_nothing() {
        let a = settings("a", "team=x");
        let mut broken = (*record_of(&settings("b", "team=x"))).clone();
        broken
            .metadata
            .annotations
            .as_mut()
            .unwrap()
            .insert(SELECTOR_ANNOTATION.into(), "team in x".into());
        let labels = BTreeMap::from([("team".to_owned(), "x".to_owned())]);
        assert!(others_selecting(&a, &labels, &[Arc::new(broken)]).is_empty());
    }
}
