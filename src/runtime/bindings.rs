//! Watches the `EcsAccount`s and the namespaces' labels (metadata only), which decide each namespace's account,
//! and wakes the objects of a namespace whose binding changed (an account bound to it or unbound, a bound
//! account's spec changed or its object replaced), so that a fixed binding takes effect at once, not at the next
//! retry or drift check.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Namespace;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Api, Resource, ResourceExt};
use tokio::sync::broadcast;

use crate::api::EcsAccount;
use crate::reconcile::{Context, Managed};

/// How many changed namespaces may wait for a slow controller before it misses some.
const PENDING_WAKES: usize = 1024;

/// The namespaces whose binding changed, told to every controller.
pub struct BindingChanges {
    sender: broadcast::Sender<String>,
    /// A digest of each namespace's binding, once both lists arrived.
    digests: Mutex<Option<HashMap<String, u64>>>,
}

impl Default for BindingChanges {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(PENDING_WAKES).0,
            digests: Mutex::default(),
        }
    }
}

impl BindingChanges {
    /// The objects of `store` in a namespace whose binding changed, as they change.
    pub fn woken<K: Managed>(
        &self,
        store: Store<K>,
    ) -> impl Stream<Item = ObjectRef<K>> + Send + 'static {
        let changed = futures::stream::unfold(self.sender.subscribe(), |mut receiver| async {
            loop {
                match receiver.recv().await {
                    Ok(namespace) => return Some((namespace, receiver)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        changed.flat_map(move |namespace| {
            let objects: Vec<ObjectRef<K>> = store
                .state()
                .iter()
                .filter(|o| o.namespace().as_deref() == Some(namespace.as_str()))
                .map(|o| ObjectRef::from_obj(&**o))
                .collect();
            futures::stream::iter(objects)
        })
    }

    /// Compares every namespace's binding with what it was and tells the namespaces whose binding changed; nothing
    /// until both lists arrived (`listed`; the first comparison only remembers). It never polls the stores'
    /// readiness: that would take the wake-up of their one waiter (see `Bindings::listed`).
    fn notice(
        &self,
        listed: bool,
        accounts: &Store<EcsAccount>,
        namespaces: &Store<PartialObjectMeta<Namespace>>,
    ) {
        if !listed {
            return;
        }
        let accounts = accounts.state();
        let now: HashMap<String, u64> = namespaces
            .state()
            .iter()
            .map(|ns| {
                (
                    ns.name_any(),
                    binding_digest(&ns.name_any(), ns.labels(), &accounts),
                )
            })
            .collect();
        let mut known = self.digests.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(before) = known.as_ref() {
            for (namespace, digest) in &now {
                if before.get(namespace).is_some_and(|b| b != digest) {
                    // No receiver (no controller yet) is not an error: nothing is there to wake.
                    let _ = self.sender.send(namespace.clone());
                }
            }
        }
        *known = Some(now);
    }
}

/// What decides the namespace's binding: the live accounts that select it, each with its identity and spec
/// generation.
fn binding_digest(
    namespace: &str,
    labels: &std::collections::BTreeMap<String, String>,
    accounts: &[Arc<EcsAccount>],
) -> u64 {
    let mut bound: Vec<(String, Option<String>, Option<i64>)> = accounts
        .iter()
        .filter(|a| a.meta().deletion_timestamp.is_none())
        .filter(|a| a.spec.namespace_selector.binds(namespace, labels))
        .map(|a| (a.name_any(), a.uid(), a.meta().generation))
        .collect();
    bound.sort();
    let mut hasher = DefaultHasher::new();
    bound.hash(&mut hasher);
    hasher.finish()
}

/// Whether a watch event changed a store (or completed its first list).
fn changed<K>(event: &Result<watcher::Event<K>, watcher::Error>) -> bool {
    matches!(
        event,
        Ok(watcher::Event::Apply(_) | watcher::Event::Delete(_) | watcher::Event::InitDone)
    )
}

/// Fills the context's bindings and keeps them current until the process stops, telling `changes`.
pub async fn watch(ctx: &Arc<Context>, changes: Arc<BindingChanges>) {
    let (accounts, account_writer) = reflector::store::<EcsAccount>();
    let (namespaces, namespace_writer) = reflector::store();
    ctx.bindings.watch(accounts.clone(), namespaces.clone());
    let bindings = &ctx.bindings;
    let notice = |event: bool| {
        if event {
            changes.notice(bindings.is_listed(), &accounts, &namespaces);
        }
        async {}
    };
    // The first comparison as soon as both lists arrived.
    let first = async {
        bindings.listed().await;
        changes.notice(true, &accounts, &namespaces);
    };
    let account_events = watcher(Api::<EcsAccount>::all(ctx.client.clone()), config())
        .default_backoff()
        .modify(|a| a.managed_fields_mut().clear())
        .reflect(account_writer)
        .for_each(|event| notice(changed(&event)));
    let namespace_events = watcher(
        Api::<PartialObjectMeta<Namespace>>::all(ctx.client.clone()),
        config(),
    )
    .default_backoff()
    .modify(|n| n.managed_fields_mut().clear())
    .reflect(namespace_writer)
    .for_each(|event| notice(changed(&event)));
    futures::future::join3(first, account_events, namespace_events).await;
}

fn config() -> watcher::Config {
    watcher::Config::default().any_semantic()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::EcsAccountSpec;
    use crate::api::account::NamespaceSelector;
    use std::collections::BTreeMap;

    fn account(name: &str, namespaces: &[&str], generation: i64) -> Arc<EcsAccount> {
        let mut account = EcsAccount::new(
            name,
            EcsAccountSpec {
                namespace_selector: NamespaceSelector {
                    match_names: namespaces.iter().map(|n| n.to_string()).collect(),
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        account.metadata.generation = Some(generation);
        Arc::new(account)
    }

    #[test]
    fn a_binding_changes_with_the_accounts_that_select_the_namespace_and_their_specs() {
        let labels = BTreeMap::new();
        let digest = |accounts: &[Arc<EcsAccount>]| binding_digest("team-a", &labels, accounts);
        let one = digest(&[account("a", &["team-a"], 1), account("b", &["team-b"], 1)]);
        // Another namespace's account changing leaves team-a's binding alone.
        assert_eq!(
            one,
            digest(&[account("a", &["team-a"], 1), account("b", &["team-b"], 2)])
        );
        // Its own account's spec changing, a second account selecting it, or its account going change it.
        assert_ne!(one, digest(&[account("a", &["team-a"], 2)]));
        assert_ne!(
            one,
            digest(&[account("a", &["team-a"], 1), account("b", &["team-a"], 1)])
        );
        assert_ne!(one, digest(&[account("b", &["team-b"], 1)]));
    }
}
