//! A shard's controllers: one set per namespace its selector selects, started when the namespace enters the
//! selection and stopped when it leaves, without a restart. A namespace that enters while the shard runs is
//! started only after a handover delay (the lease duration): by then the shard that owned it before has seen it
//! leave and stopped its controllers, and a shard cut off from the API server has stopped reconciling at its
//! renew deadline, so no object has two owners at once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use kube::ResourceExt;
use kube::runtime::watcher::Event;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::bindings::BindingChanges;
use super::leader::shutdown_signal;
use crate::reconcile::Context;
use crate::shard::NamespaceEvents;

/// Runs the controllers of each namespace the shard selects until a shutdown signal; `events` are the shard's
/// namespace watch (see [`crate::shard::Shard::start`]).
pub async fn run_shard_controllers(
    ctx: Arc<Context>,
    mut events: NamespaceEvents,
    handover: Duration,
) {
    let mut running = Running::default();
    // One watch of the accounts and namespaces' bindings for all the namespaces' controllers, waking their objects.
    let changes = Arc::new(BindingChanges::default());
    let watch_ctx = ctx.clone();
    let watch_changes = changes.clone();
    running.others.push(tokio::spawn(async move {
        super::bindings::watch(&watch_ctx, watch_changes).await;
    }));
    let mut listed = HashSet::new();
    let mut first_list = true;
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            () = &mut shutdown => break,
        };
        match event {
            None => break,
            Some(Ok(Event::Init)) => listed.clear(),
            Some(Ok(Event::InitApply(namespace))) => {
                listed.insert(namespace.name_any());
            }
            Some(Ok(Event::InitDone)) => {
                running.keep_only(&listed);
                let delay = if first_list { Duration::ZERO } else { handover };
                let new: Vec<String> = listed
                    .iter()
                    .filter(|namespace| !running.has(namespace))
                    .cloned()
                    .collect();
                let synced: Vec<_> = new
                    .iter()
                    .map(|namespace| {
                        let (synced, is_synced) = oneshot::channel();
                        running.start(&ctx, &changes, namespace, delay, Some(synced));
                        is_synced.map(|synced| synced.unwrap_or(false))
                    })
                    .collect();
                if first_list {
                    first_list = false;
                    let readiness = ctx.readiness.clone();
                    running.others.push(tokio::spawn(async move {
                        let all = futures::future::join_all(synced).await;
                        if all.into_iter().all(|ok| ok) {
                            readiness.set(true);
                            tracing::info!("caches of the selected namespaces synced; ready");
                        }
                    }));
                }
            }
            Some(Ok(Event::Apply(namespace))) => {
                let name = namespace.name_any();
                if !running.has(&name) {
                    running.start(&ctx, &changes, &name, handover, None);
                }
            }
            Some(Ok(Event::Delete(namespace))) => running.stop(&namespace.name_any()),
            Some(Err(err)) => tracing::warn!(error = %err, "watching the shard's namespaces"),
        }
    }
    running.finish().await;
}

/// The controllers running per namespace; all are aborted when dropped.
#[derive(Default)]
struct Running {
    scopes: HashMap<String, JoinHandle<()>>,
    others: Vec<JoinHandle<()>>,
}

impl Running {
    fn has(&self, namespace: &str) -> bool {
        self.scopes.contains_key(namespace)
    }

    /// Starts the controllers of `namespace` after `delay` (unless a shutdown signal comes first); `synced` is
    /// told whether their caches synced.
    fn start(
        &mut self,
        ctx: &Arc<Context>,
        changes: &Arc<BindingChanges>,
        namespace: &str,
        delay: Duration,
        synced: Option<oneshot::Sender<bool>>,
    ) {
        let ctx = ctx.clone();
        let changes = changes.clone();
        let name = namespace.to_owned();
        let handle = tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = shutdown_signal() => return,
            }
            tracing::info!(namespace = %name, "namespace selected: reconciling its objects");
            let scope = super::scope(&ctx, Some(&name), &changes);
            let synced = async move {
                let ok = scope.synced.await;
                if let Some(synced) = synced {
                    let _ = synced.send(ok);
                }
                std::future::pending::<()>().await;
            };
            futures::future::select(scope.controllers, synced.boxed()).await;
        });
        self.scopes.insert(namespace.to_owned(), handle);
    }

    /// Stops the controllers of a namespace the shard no longer selects.
    fn stop(&mut self, namespace: &str) {
        if let Some(handle) = self.scopes.remove(namespace) {
            handle.abort();
            tracing::info!(namespace = %namespace, "namespace no longer selected: stopped reconciling its objects");
        }
    }

    /// Stops the controllers of the namespaces not in `selected`.
    fn keep_only(&mut self, selected: &HashSet<String>) {
        let gone: Vec<String> = self
            .scopes
            .keys()
            .filter(|namespace| !selected.contains(*namespace))
            .cloned()
            .collect();
        gone.iter().for_each(|namespace| self.stop(namespace));
    }

    /// Waits for the controllers to end after a shutdown signal (they finish their reconciles).
    async fn finish(mut self) {
        let scopes: Vec<_> = self.scopes.drain().map(|(_, handle)| handle).collect();
        futures::future::join_all(scopes).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.scopes
            .values()
            .chain(&self.others)
            .for_each(JoinHandle::abort);
    }
}
