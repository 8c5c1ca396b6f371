//! Adding and removing the operator's finalizer, guarded by the object's resourceVersion (a merge patch replaces
//! the whole list, so it must not overwrite another controller's change to it). The object a reconcile holds may
//! be older than the API server's (the watch that brings changes can lag by seconds under load): on a conflict the
//! object is read again and the change made on what it shows now.

use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;

use super::Managed;
use crate::api::common::FINALIZER;

/// Whether the object carries the operator's finalizer.
pub fn has<K: Managed>(obj: &K) -> bool {
    carries(obj.finalizers())
}

/// Whether the operator's finalizer is among `finalizers`.
fn carries(finalizers: &[String]) -> bool {
    finalizers.iter().any(|f| f == FINALIZER)
}

/// Adds the finalizer, keeping any others.
pub async fn add<K: Managed>(api: &Api<K>, obj: &K) -> Result<(), kube::Error> {
    change(api, obj, |finalizers| {
        (!carries(finalizers)).then(|| {
            let mut with_ours = finalizers.to_vec();
            with_ours.push(FINALIZER.to_owned());
            with_ours
        })
    })
    .await
}

/// Removes the finalizer, keeping any others.
pub async fn remove<K: Managed>(api: &Api<K>, obj: &K) -> Result<(), kube::Error> {
    change(api, obj, |finalizers| {
        carries(finalizers).then(|| {
            finalizers
                .iter()
                .filter(|f| *f != FINALIZER)
                .cloned()
                .collect()
        })
    })
    .await
}

/// Writes the finalizers `edit` makes of the object's (`None`: nothing to change); on a conflict, once more on the
/// object as the API server has it now.
async fn change<K: Managed>(
    api: &Api<K>,
    obj: &K,
    edit: impl Fn(&[String]) -> Option<Vec<String>>,
) -> Result<(), kube::Error> {
    let Some(finalizers) = edit(obj.finalizers()) else {
        return Ok(());
    };
    match patch(api, obj, finalizers).await {
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let now = api.get(&obj.name_any()).await?;
            match edit(now.finalizers()) {
                Some(finalizers) => patch(api, &now, finalizers).await,
                None => Ok(()),
            }
        }
        written => written,
    }
}

async fn patch<K: Managed>(
    api: &Api<K>,
    obj: &K,
    finalizers: Vec<String>,
) -> Result<(), kube::Error> {
    let body =
        json!({"metadata": {"finalizers": finalizers, "resourceVersion": obj.resource_version()}});
    api.patch(
        &obj.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&body),
    )
    .await?;
    Ok(())
}
