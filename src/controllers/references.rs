//! Looking up an object another one refers to in its namespace, waiting while it is missing or not Ready.

use kube::Api;

use crate::api::common::ConditionedStatus;
use crate::reconcile::conditions::{READY, is_true_for};
use crate::reconcile::{Error, Managed};

/// The object if it exists and is Ready for its current generation; `DependencyNotReady` names what `field`
/// waits for otherwise.
pub async fn ready_object<K>(api: &Api<K>, name: &str, field: &str) -> Result<K, Error>
where
    K: Managed,
{
    let kind = K::kind(&());
    let obj = api.get_opt(name).await?.ok_or_else(|| {
        Error::DependencyNotReady(format!(
            "waiting for {kind} {name} ({field}), which does not exist yet"
        ))
    })?;
    let ready = obj
        .status()
        .is_some_and(|s| is_true_for(s.conditions(), READY, obj.meta().generation));
    if !ready {
        return Err(not_ready(&kind, name, field));
    }
    Ok(obj)
}

/// The error of a reference that exists but is not Ready.
pub fn not_ready(kind: &str, name: &str, field: &str) -> Error {
    Error::DependencyNotReady(format!("waiting for {kind} {name} ({field}) to be Ready"))
}
