//! The controllers of the managed daemon kinds: `DaemonTaskDefinition`, and `EcsDaemon`, which is also woken by
//! changes of the daemon task definitions, capacity providers and clusters it refers to, so that a new daemon
//! task definition revision starts its rollout at once.

use futures::FutureExt;
use futures::future::BoxFuture;
use kube::Client;
use kube::runtime::Controller;

use super::drive;
use super::watches::{api, config, controller, dependency_changes, referring, wait_until_ready};
use crate::api::{CapacityProvider, DaemonTaskDefinition, EcsCluster, EcsDaemon};
use crate::reconcile::Context;

/// The two controllers (to run) and their caches (to wait for), for the namespace `scope`.
pub fn controllers(
    ctx: &std::sync::Arc<Context>,
    scope: Option<&str>,
    changes: &super::bindings::BindingChanges,
) -> (Vec<BoxFuture<'static, ()>>, Vec<BoxFuture<'static, bool>>) {
    let client = &ctx.client;
    let definitions = controller(api::<DaemonTaskDefinition>(client, scope));
    let daemons = daemon_controller(client, scope);
    let caches = vec![
        wait_until_ready(definitions.store()).boxed(),
        wait_until_ready(daemons.store()).boxed(),
    ];
    let controllers = vec![
        drive(definitions, ctx.clone(), changes).boxed(),
        drive(daemons, ctx.clone(), changes).boxed(),
    ];
    (controllers, caches)
}

fn daemon_controller(client: &Client, scope: Option<&str>) -> Controller<EcsDaemon> {
    let controller = controller(api::<EcsDaemon>(client, scope));
    let by_definition = controller.store();
    let by_provider = controller.store();
    let by_cluster = controller.store();
    controller
        .watches_stream(
            dependency_changes(api::<DaemonTaskDefinition>(client, scope), definition_facts),
            move |dtd| {
                referring(&by_definition, &dtd, |d| {
                    d.spec.daemon_task_definition_ref.iter().collect()
                })
            },
        )
        .watches(
            api::<CapacityProvider>(client, scope),
            config(),
            move |provider| {
                referring(&by_provider, &provider, |d| {
                    d.spec.capacity_provider_refs.iter().collect()
                })
            },
        )
        .watches(api::<EcsCluster>(client, scope), config(), move |cluster| {
            referring(&by_cluster, &cluster, |d| {
                d.spec.cluster_ref.iter().collect()
            })
        })
}

/// The facts of a `DaemonTaskDefinition` its daemons use: newest revision, readiness, deletion.
fn definition_facts(dtd: &DaemonTaskDefinition) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let status = dtd.status.as_ref();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (
        status.and_then(|s| s.latest_arn.as_deref()),
        status.map(|s| {
            crate::reconcile::conditions::is_true_for(
                &s.conditions,
                crate::reconcile::conditions::READY,
                dtd.metadata.generation,
            )
        }),
        dtd.metadata.deletion_timestamp.is_some(),
    )
        .hash(&mut hasher);
    Some(hasher.finish())
}
