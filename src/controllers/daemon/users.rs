//! Which `EcsDaemon` objects run on a capacity provider, so that a `CapacityProvider` deleted together with its
//! daemons waits for them (whether ECS refuses to delete a provider a daemon runs on is not documented).

use kube::api::ListParams;
use kube::{Api, ResourceExt};

use crate::api::{CapacityProvider, EcsDaemon};
use crate::reconcile::{Context, Error};

/// The `EcsDaemon` objects of the provider's namespace that name it (by reference, ECS name or ARN), as
/// `<name>`; those being deleted count until their finalizer goes, i.e. until ECS no longer reports the daemon.
pub async fn daemons_on(
    provider: &CapacityProvider,
    ecs_name: &str,
    ctx: &Context,
) -> Result<Vec<String>, Error> {
    let namespace = provider.namespace().unwrap_or_default();
    let api: Api<EcsDaemon> = Api::namespaced(ctx.client.clone(), &namespace);
    let arn = provider.status.as_ref().and_then(|s| s.arn.clone());
    let object = provider.name_any();
    Ok(api
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|d| {
            d.spec
                .capacity_provider_refs
                .iter()
                .any(|r| r.name == object)
                || d.spec
                    .capacity_providers
                    .iter()
                    .any(|p| p == ecs_name || Some(p) == arn.as_ref())
        })
        .map(|d| d.name_any())
        .collect())
}
