//! Watches the `EcsAccount`s and the namespaces' labels (metadata only), which decide each namespace's account.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::core::PartialObjectMeta;
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Api, ResourceExt};

use crate::api::EcsAccount;
use crate::reconcile::Context;

/// Fills the context's bindings and keeps them current until the process stops.
pub async fn watch(ctx: &Arc<Context>) {
    let (accounts, account_writer) = reflector::store::<EcsAccount>();
    let (namespaces, namespace_writer) = reflector::store();
    ctx.bindings.watch(accounts, namespaces);
    let accounts = watcher(Api::<EcsAccount>::all(ctx.client.clone()), config())
        .default_backoff()
        .modify(|a| a.managed_fields_mut().clear())
        .reflect(account_writer)
        .for_each(|_| async {});
    let namespaces = watcher(
        Api::<PartialObjectMeta<Namespace>>::all(ctx.client.clone()),
        config(),
    )
    .default_backoff()
    .modify(|n| n.managed_fields_mut().clear())
    .reflect(namespace_writer)
    .for_each(|_| async {});
    futures::future::join(accounts, namespaces).await;
}

fn config() -> watcher::Config {
    watcher::Config::default().any_semantic()
}
