//! Follows the rolling deployments of every `EcsService` in one loop instead of one reconcile per service every
//! few seconds (`controllers::service::rolling`): each round reads the services whose rollout has not settled and
//! is due to be read (each second while young, less often as it ages), per cluster in DescribeServices calls of 10
//! (the clusters read side by side), keeps each answer for the reconcile it wakes, and wakes only the services ECS
//! shows otherwise than their last reconcile saw them, or no longer shows.
//! Rounds are paced as the task loop's (`rounds`): at most half of what each account's service-read bucket
//! sustains, and at least a second apart. A service waiting out its error backoff is not woken early.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use kube::runtime::reflector::{ObjectRef, Store};

use super::rounds::{self, CLUSTERS_AT_ONCE, Loads, Rounds, backoff_key, due};
use crate::api::EcsService;
use crate::controllers::service::rolling::{Rolling, changed};
use crate::ecs::AwsErrorKind;
use crate::ecs::service::DESCRIBE_SERVICES_BATCH;
use crate::reconcile::Context;

/// How long a round's answer serves the reconcile it wakes (a later round's answer replaces it).
const ANSWER_LIFE: Duration = Duration::from_secs(10);

struct Watch {
    store: Store<EcsService>,
    /// The namespace of the controller's scope; all when None.
    namespace: Option<String>,
    ctx: Arc<Context>,
}

/// The services to reconcile because ECS shows their rollout in a new state; runs as long as it is polled.
pub fn rollout_changes(
    store: Store<EcsService>,
    namespace: Option<String>,
    ctx: Arc<Context>,
) -> impl Stream<Item = ObjectRef<EcsService>> + Send + 'static {
    let watch = Watch {
        store,
        namespace,
        ctx,
    };
    rounds::woken(watch)
}

impl Rounds for Watch {
    type Woken = ObjectRef<EcsService>;
    const READS: &'static str = "rolling services";

    fn round(&self) -> impl Future<Output = (Vec<ObjectRef<EcsService>>, Loads)> + Send {
        self.read_once()
    }
}

impl Watch {
    fn in_scope(&self, owner: &ObjectRef<EcsService>) -> bool {
        self.namespace.is_none() || owner.namespace == self.namespace
    }

    /// Reads the followed services due to be read; returns the services to wake, each once, and the
    /// DescribeServices calls the round made in each account and region.
    async fn read_once(&self) -> (Vec<ObjectRef<EcsService>>, Loads) {
        let rolling = self.ctx.shared.get::<Rolling>();
        // A service deleted, or being deleted, is no longer followed: its deletion is its own reconcile's.
        rolling.retain(|owner| {
            !self.in_scope(owner)
                || self
                    .store
                    .get(owner)
                    .is_some_and(|s| s.metadata.deletion_timestamp.is_none())
        });
        let reads = rolling
            .due(|owner| self.in_scope(owner))
            .into_iter()
            .map(|(cluster, followed)| async move {
                let names = followed.services.iter().map(|(_, f)| f.name.clone());
                let found = (followed.ecs)
                    .prefetch_services(&cluster, names.collect(), ANSWER_LIFE)
                    .await;
                (cluster, followed, found)
            })
            .collect::<Vec<_>>();
        let answers: Vec<_> = futures::stream::iter(reads)
            .buffer_unordered(CLUSTERS_AT_ONCE)
            .collect()
            .await;
        let mut woken = Vec::new();
        let mut loads = Loads::new();
        for (cluster, followed, found) in answers {
            let (account, region) = followed.ecs.place();
            let load = loads
                .entry((account.to_owned(), region.to_owned()))
                .or_default();
            load.calls += followed.services.len().div_ceil(DESCRIBE_SERVICES_BATCH);
            load.sustained = followed.ecs.service_reads_per_second();
            match found {
                Ok(found) => {
                    for (owner, shown) in changed(&followed.services, &found) {
                        if let Some(shown) = shown {
                            rolling.woken(&owner, shown);
                        }
                        woken.push(owner);
                    }
                }
                // The cluster is gone and its services with it: their reconciles say so.
                Err(err) if err.kind == AwsErrorKind::NotFound => {
                    woken.extend(followed.services.into_iter().map(|(owner, _)| owner));
                }
                Err(err) => {
                    tracing::warn!(cluster = %cluster, error = %err, "could not read the rolling services");
                }
            }
        }
        let calls: usize = loads.values().map(|l| l.calls).sum();
        let woken = due(woken, |o| self.ctx.backoff.waiting(&backoff_key(o)));
        tracing::debug!(calls, woken = woken.len(), "read the rolling services");
        (woken, loads)
    }
}
