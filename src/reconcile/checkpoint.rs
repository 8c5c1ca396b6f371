//! Bookkeeping written to status in the middle of a reconcile, at once: what ECS did on a call that cannot be
//! repeated safely (a registered revision, a started task, a forced deployment) must survive a failure later in
//! the same reconcile, or the next attempt would do it again.

use std::sync::Mutex;

use kube::{Api, ResourceExt};

use super::{Error, Managed, status};

/// The status as last written during this reconcile; the skeleton builds its final status on it.
pub struct Checkpoint<'a, K: Managed> {
    api: &'a Api<K>,
    obj: &'a K,
    written: Mutex<Option<K::Status>>,
}

impl<'a, K: Managed> Checkpoint<'a, K> {
    pub fn new(api: &'a Api<K>, obj: &'a K) -> Self {
        Self {
            api,
            obj,
            written: Mutex::new(None),
        }
    }

    /// The status the object shows now: the last checkpoint, or what the object was read with.
    pub fn current(&self) -> K::Status {
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .or_else(|| self.obj.status().cloned())
            .unwrap_or_default()
    }

    /// Changes the status with `update` and writes it before returning.
    pub async fn save(&self, update: impl FnOnce(&mut K::Status)) -> Result<(), Error> {
        let before = self.current();
        let mut next = before.clone();
        update(&mut next);
        if next != before {
            if tracing::enabled!(tracing::Level::DEBUG) {
                let fields = status::changed_fields(Some(&before), &next);
                let (kind, name) = (K::kind(&()), self.obj.name_any());
                tracing::debug!(%kind, %name, ?fields, "status checkpoint");
            }
            status::write(self.api, self.obj, &next).await?;
            *self.written.lock().unwrap_or_else(|e| e.into_inner()) = Some(next);
        }
        Ok(())
    }
}
