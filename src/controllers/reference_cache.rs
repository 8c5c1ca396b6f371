//! The clusters and task definitions services refer to, read from the caches their own controllers keep instead
//! of a GET for each service reconcile (at 10,000 services, two GETs a reconcile were almost half of the API
//! server's requests).
//!
//! A cache is fed by another watch than the one that wakes services, so it may still show an older version of an
//! object at the moment its change wakes a service. Its answer is used only when it shows the facts (ARN, revision,
//! readiness, deletion) of the version that last woke the services; otherwise the service reads the object from the
//! API server, as it does for any object the caches do not hold.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use kube::runtime::reflector::{ObjectRef, Store};

use crate::api::{EcsCluster, TaskDefinition};
use crate::reconcile::Managed;

/// What a change of an object must change for the objects referring to it to be woken.
pub type Facts<K> = fn(&K) -> Option<u64>;

/// The objects of one kind as their controller's caches hold them (one cache per watched namespace or one for
/// all), with the facts of the version of each that last woke the objects referring to it.
pub struct ReferenceCache<K: Managed> {
    /// By the namespace their controllers watch (`None`: all); a namespace's controllers started again replace
    /// their store.
    stores: Mutex<HashMap<Option<String>, Store<K>>>,
    facts: OnceLock<Facts<K>>,
    woken_by: Mutex<HashMap<ObjectRef<K>, u64>>,
    /// When `woken_by` was last rid of the objects deleted since.
    forgotten_at: Mutex<Option<Instant>>,
}

/// How often what woke the services is forgotten for objects deleted since.
const FORGET_EVERY: Duration = Duration::from_secs(60);

impl<K: Managed> Default for ReferenceCache<K> {
    fn default() -> Self {
        Self {
            stores: Mutex::default(),
            facts: OnceLock::new(),
            woken_by: Mutex::default(),
            forgotten_at: Mutex::default(),
        }
    }
}

impl<K: Managed> ReferenceCache<K> {
    /// Reads the objects of `scope` (a namespace, or all) from `store`; `facts` is what the watch that wakes the
    /// referring objects compares.
    pub fn add_store(&self, scope: Option<&str>, store: Store<K>, facts: Facts<K>) {
        let _ = self.facts.set(facts);
        lock(&self.stores).insert(scope.map(str::to_owned), store);
    }

    /// Notes that this version of `obj` woke the objects referring to it.
    pub fn woke(&self, obj: &K) {
        let Some(facts) = self.facts.get().and_then(|facts| facts(obj)) else {
            return;
        };
        lock(&self.woken_by).insert(ObjectRef::from_obj(obj), facts);
        let due = {
            let mut forgotten_at = lock(&self.forgotten_at);
            let due = forgotten_at.is_none_or(|at| at.elapsed() >= FORGET_EVERY);
            if due {
                *forgotten_at = Some(Instant::now());
            }
            due
        };
        if due {
            self.forget_the_deleted();
        }
    }

    /// Forgets what woke the services for objects no cache holds any longer (deleted), so that the map does not
    /// grow with every object ever seen; an object forgotten too early (not in its cache yet) costs one GET.
    fn forget_the_deleted(&self) {
        let stores = lock(&self.stores);
        lock(&self.woken_by).retain(|key, _| {
            store_of(&stores, &key.namespace).is_some_and(|store| store.get(key).is_some())
        });
    }

    /// The object named `name` in `namespace`, when a cache holds the version that last woke the objects referring
    /// to it; `None` when no cache holds it or a cache may still be behind.
    pub fn current(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        let key = ObjectRef::new(name).within(namespace);
        let woken = *lock(&self.woken_by).get(&key)?;
        let facts = *self.facts.get()?;
        let stores = lock(&self.stores);
        let store = store_of(&stores, &key.namespace)?;
        store.get(&key).filter(|obj| facts(obj) == Some(woken))
    }
}

/// The store that holds the objects of `namespace`: its own controllers', else the one of all namespaces.
fn store_of<'a, K: Managed>(
    stores: &'a HashMap<Option<String>, Store<K>>,
    namespace: &Option<String>,
) -> Option<&'a Store<K>> {
    stores.get(namespace).or_else(|| stores.get(&None))
}

/// The references of services, as [`crate::reconcile::shared::Shared`] keeps them.
#[derive(Default)]
pub struct ServiceReferences {
    pub clusters: ReferenceCache<EcsCluster>,
    pub task_definitions: ReferenceCache<TaskDefinition>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::runtime::watcher;

    fn task_definition(name: &str, arn: &str) -> TaskDefinition {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "ecsbridge.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": name, "namespace": "team-a"},
            "spec": {"family": name, "containerDefinitions": [{"name": "app", "image": "nginx"}]},
            "status": {"latestArn": arn},
        }))
        .unwrap()
    }

    fn arn_facts(td: &TaskDefinition) -> Option<u64> {
        let arn = td.status.as_ref()?.latest_arn.as_deref()?;
        Some(arn.bytes().map(u64::from).sum())
    }

    #[test]
    fn the_cache_answers_only_with_the_version_that_woke_the_services() {
        let (store, mut writer) = kube::runtime::reflector::store::<TaskDefinition>();
        let cache = ReferenceCache::default();
        cache.add_store(Some("team-a"), store, arn_facts);
        let first = task_definition("web", "arn:td/web:1");
        writer.apply_watcher_event(&watcher::Event::Apply(first.clone()));
        assert!(
            cache.current("team-a", "web").is_none(),
            "no wake seen yet: read from the API server"
        );
        cache.woke(&first);
        assert_eq!(
            cache
                .current("team-a", "web")
                .unwrap()
                .status
                .as_ref()
                .unwrap()
                .latest_arn
                .as_deref(),
            Some("arn:td/web:1")
        );
        // Revision 2 woke the services before the cache saw it: the cache is behind and is not used.
        let second = task_definition("web", "arn:td/web:2");
        cache.woke(&second);
        assert!(cache.current("team-a", "web").is_none());
        writer.apply_watcher_event(&watcher::Event::Apply(second));
        assert!(cache.current("team-a", "web").is_some());
        assert!(cache.current("team-b", "web").is_none());
    }

    #[test]
    fn what_woke_the_services_is_forgotten_once_no_cache_holds_the_object() {
        let (store, mut writer) = kube::runtime::reflector::store::<TaskDefinition>();
        let cache = ReferenceCache::default();
        cache.add_store(Some("team-a"), store, arn_facts);
        let (kept, deleted) = (
            task_definition("web", "arn:td/web:1"),
            task_definition("worker", "arn:td/worker:1"),
        );
        for td in [&kept, &deleted] {
            writer.apply_watcher_event(&watcher::Event::Apply(td.clone()));
            cache.woke(td);
        }
        writer.apply_watcher_event(&watcher::Event::Delete(deleted));
        cache.forget_the_deleted();
        assert_eq!(lock(&cache.woken_by).len(), 1, "only web is remembered");
        assert!(cache.current("team-a", "web").is_some());
    }
}
