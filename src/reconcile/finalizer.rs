//! Adding and removing the operator's finalizer, guarded by the object's resourceVersion.

use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;

use super::Managed;
use crate::api::common::FINALIZER;

/// Whether the object carries the operator's finalizer.
pub fn has<K: Managed>(obj: &K) -> bool {
    obj.finalizers().iter().any(|f| f == FINALIZER)
}

/// Adds the finalizer, keeping any others.
pub async fn add<K: Managed>(api: &Api<K>, obj: &K) -> Result<(), kube::Error> {
    let mut finalizers = obj.finalizers().to_vec();
    finalizers.push(FINALIZER.to_owned());
    patch(api, obj, finalizers).await
}

/// Removes the finalizer, keeping any others.
pub async fn remove<K: Managed>(api: &Api<K>, obj: &K) -> Result<(), kube::Error> {
    let finalizers = obj
        .finalizers()
        .iter()
        .filter(|f| *f != FINALIZER)
        .cloned()
        .collect();
    patch(api, obj, finalizers).await
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
