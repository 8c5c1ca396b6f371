//! The `EcsAccount`s and namespace labels the operator sees (two watches shared by all kinds), and the door of
//! an object's placement: its account's (assumed-role) ECS client in its region.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use k8s_openapi::api::core::v1::Namespace;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Resource, ResourceExt};

use super::Error;
use super::placement::{Binding, OWN_ACCOUNT, Placement, Request, place};
use crate::api::EcsAccount;
use crate::api::common::ConditionedStatus;
use crate::ecs::Ecs;
use crate::ecs::accounts::Accounts;

/// The watched accounts and namespaces; without them (tests of one account) every namespace uses the
/// operator's own account.
pub struct Bindings {
    stores: OnceLock<(Store<EcsAccount>, Store<PartialObjectMeta<Namespace>>)>,
    /// Whether both stores hold their first full list. kube's `Store::wait_until_ready` wakes only the last of
    /// several waiters (the others would wait forever), so one task waits for the stores and tells every
    /// reconcile through this channel.
    listed: tokio::sync::watch::Sender<bool>,
}

impl Default for Bindings {
    fn default() -> Self {
        Self {
            stores: OnceLock::new(),
            listed: tokio::sync::watch::channel(false).0,
        }
    }
}

/// Where one object lives, with the door to it.
pub struct Placed {
    pub placement: Placement,
    /// The AWS account ID, when known (an `EcsAccount`'s, from its role ARN).
    pub account_id: Option<String>,
    pub ecs: Ecs,
}

impl Bindings {
    /// Uses these stores from now on (set once, by the runtime).
    pub fn watch(
        &self,
        accounts: Store<EcsAccount>,
        namespaces: Store<PartialObjectMeta<Namespace>>,
    ) {
        if self
            .stores
            .set((accounts.clone(), namespaces.clone()))
            .is_err()
        {
            return;
        }
        // The one waiter of each store.
        let listed = self.listed.clone();
        tokio::spawn(async move {
            let _ = accounts.wait_until_ready().await;
            let _ = namespaces.wait_until_ready().await;
            listed.send_replace(true);
        });
    }

    /// Whether both stores hold their first full list.
    pub fn is_listed(&self) -> bool {
        *self.listed.borrow()
    }

    /// Waits until both stores hold their first full list (at once without stores).
    pub async fn listed(&self) {
        if self.stores.get().is_some() {
            let _ = self.listed.subscribe().wait_for(|listed| *listed).await;
        }
    }

    /// The namespace's binding, once both stores have their first list.
    pub async fn binding(&self, namespace: &str) -> Binding {
        let Some((accounts, namespaces)) = self.stores.get() else {
            return Binding::Own;
        };
        // Until both lists arrived no binding is known; deciding without them could record the wrong account.
        self.listed().await;
        let labels: BTreeMap<String, String> = namespaces
            .get(&ObjectRef::new(namespace))
            .map(|ns| ns.labels().clone())
            .unwrap_or_default();
        Binding::of(namespace, &labels, &accounts.state())
    }

    /// The live `EcsAccount` named `name`.
    fn account(&self, name: &str) -> Option<Arc<EcsAccount>> {
        let (accounts, _) = self.stores.get()?;
        accounts
            .get(&ObjectRef::new(name))
            .filter(|a| a.meta().deletion_timestamp.is_none())
    }

    /// Decides where `status`'s object lives and opens the door to it; `Err` says why it cannot be used.
    pub async fn place<S: ConditionedStatus>(
        &self,
        namespace: &str,
        status: Option<&S>,
        spec_region: Option<&str>,
        accounts: &Accounts,
    ) -> Result<Placed, Error> {
        let (recorded_account, recorded_region) = status.map(|s| s.placement()).unwrap_or_default();
        let request = Request {
            namespace,
            recorded_account,
            recorded_region,
            reconciled_before: status.is_some_and(|s| s.observed_generation().is_some()),
            spec_region,
        };
        let binding = self.binding(namespace).await;
        let own_region = accounts.own().region().unwrap_or_default();
        let placement = place(&request, &binding, &own_region)?;
        self.open(placement, accounts).await
    }

    /// The door of a recorded placement, for the cleanup of a deleted object whatever its namespace's binding is
    /// now; `Err` when its `EcsAccount` is gone.
    pub async fn recorded<S: ConditionedStatus>(
        &self,
        status: Option<&S>,
        accounts: &Accounts,
    ) -> Result<Placed, Error> {
        let own_region = accounts.own().region().unwrap_or_default();
        let (account, region) = status.map(|s| s.placement()).unwrap_or_default();
        let placement = Placement {
            account: account.unwrap_or(OWN_ACCOUNT).to_owned(),
            region: region.map_or(own_region, str::to_owned),
        };
        self.open(placement, accounts).await
    }

    async fn open(&self, placement: Placement, accounts: &Accounts) -> Result<Placed, Error> {
        if placement.account == OWN_ACCOUNT {
            return Ok(Placed {
                placement,
                account_id: accounts.own_account_id().await,
                ecs: accounts.own().clone(),
            });
        }
        let Some(account) = self.account(&placement.account) else {
            return Err(Error::Account(
                "AccountNotFound",
                format!(
                    "this object lives in account {} (status.account), and that EcsAccount no longer exists: a \
                     cluster administrator must create it again",
                    placement.account
                ),
            ));
        };
        if let Err(message) = account.spec.validate() {
            return Err(Error::Account(
                "InvalidAccount",
                format!("EcsAccount {}: {message}", placement.account),
            ));
        }
        let ecs = accounts
            .door(&placement.account, &account.spec, &placement.region)
            .await;
        Ok(Placed {
            account_id: account.spec.account_id().map(str::to_owned),
            placement,
            ecs,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use kube::runtime::{reflector, watcher};

    use super::*;

    /// Every reconcile that asks for a binding before the first lists of accounts and namespaces arrived goes on
    /// once they did: none is left waiting (kube's `Store::wait_until_ready` wakes only the last of several
    /// waiters; the others would never run again, and their objects, such as a cluster deleted meanwhile, would
    /// stay stuck).
    #[tokio::test]
    async fn every_reconcile_waiting_for_the_first_lists_goes_on_once_they_arrived() {
        let bindings = Arc::new(Bindings::default());
        let (accounts, mut account_writer) = reflector::store::<EcsAccount>();
        let (namespaces, mut namespace_writer) = reflector::store::<PartialObjectMeta<Namespace>>();
        bindings.watch(accounts, namespaces);
        let waiting: Vec<_> = (0..3)
            .map(|_| {
                let bindings = bindings.clone();
                tokio::spawn(async move { bindings.binding("team-a").await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        for event in [watcher::Event::Init, watcher::Event::InitDone] {
            account_writer.apply_watcher_event(&event);
        }
        for event in [watcher::Event::Init, watcher::Event::InitDone] {
            namespace_writer.apply_watcher_event(&event);
        }
        for reconcile in waiting {
            let binding = tokio::time::timeout(Duration::from_secs(2), reconcile)
                .await
                .expect("a reconcile still waits for the first lists after they arrived")
                .unwrap();
            assert!(matches!(binding, Binding::Own));
        }
    }
}
