//! Writing status: server-side apply on the status subresource under one field manager, only when it changed.

use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;

use super::Managed;
use super::context::FIELD_MANAGER;

/// Applies `status` unless it equals `shown`, what the object already shows. Returns whether it wrote.
pub async fn apply<K: Managed>(
    api: &Api<K>,
    obj: &K,
    shown: Option<&K::Status>,
    status: &K::Status,
) -> Result<bool, kube::Error> {
    if shown == Some(status) {
        return Ok(false);
    }
    write(api, obj, status).await?;
    Ok(true)
}

/// Applies `status` to the object.
pub async fn write<K: Managed>(
    api: &Api<K>,
    obj: &K,
    status: &K::Status,
) -> Result<(), kube::Error> {
    let body = json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch_status(&obj.name_any(), &params, &Patch::Apply(&body))
        .await?;
    Ok(())
}
