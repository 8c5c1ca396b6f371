//! Writes Kubernetes Events (events.k8s.io/v1). The same note about the same object again within
//! [`SERIES_WINDOW`] updates the first Event's series instead of adding an Event, as kube's `Recorder` does; unlike
//! it, only a digest, the Event's name and the count are remembered (not the whole Event, which at 10,000 objects
//! was the operator's largest use of memory), old entries are dropped once a minute (not on every publish), and a
//! different message about the same object is an Event of its own.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

/// How long a repeat of an Event counts into its series (kube's `Recorder` and client-go use 6 minutes).
pub const SERIES_WINDOW: Duration = Duration::from_secs(6 * 60);
/// How often entries older than [`SERIES_WINDOW`] are dropped.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// One Event to write.
pub struct Occurrence<'a> {
    pub warning: bool,
    pub reason: &'a str,
    pub note: &'a str,
}

/// An Event written recently: where it is and how often it happened.
struct Recent {
    name: String,
    count: i32,
    last: Instant,
}

/// Writes the operator's Events.
pub struct Publisher {
    client: Client,
    controller: String,
    instance: String,
    recent: Mutex<Recents>,
}

/// The Events written within the window, by digest.
#[derive(Default)]
struct Recents {
    by_digest: HashMap<u64, Recent>,
    pruned: Option<Instant>,
}

impl Recents {
    /// The name of the Event this one repeats and its next count, if it was written within the window; drops old
    /// entries once a minute.
    fn repeat_of(&mut self, digest: u64, now: Instant) -> Option<(String, i32)> {
        if self
            .pruned
            .is_none_or(|at| now.duration_since(at) >= PRUNE_EVERY)
        {
            self.by_digest
                .retain(|_, r| now.duration_since(r.last) < SERIES_WINDOW);
            self.pruned = Some(now);
        }
        self.by_digest
            .get(&digest)
            .filter(|r| now.duration_since(r.last) < SERIES_WINDOW)
            .map(|r| (r.name.clone(), r.count + 1))
    }

    /// Remembers the Event written as `name`, `count` times so far (1 for a new one).
    fn record(&mut self, digest: u64, name: String, count: i32, now: Instant) {
        let recent = Recent {
            name,
            count,
            last: now,
        };
        self.by_digest.insert(digest, recent);
    }
}

impl Publisher {
    /// A publisher that names `controller` (and its `instance`, the controller's name when `None`) as the reporter.
    pub fn new(client: Client, controller: &str, instance: Option<String>) -> Self {
        Self {
            client,
            controller: controller.to_owned(),
            instance: instance.unwrap_or_else(|| controller.to_owned()),
            recent: Mutex::default(),
        }
    }

    /// Writes `occurrence` about `regarding`: a new Event, or the next count of the same Event's series.
    pub async fn publish(
        &self,
        occurrence: &Occurrence<'_>,
        regarding: &ObjectReference,
    ) -> Result<(), kube::Error> {
        let namespace = regarding.namespace.as_deref().unwrap_or("default");
        let events: Api<Event> = Api::namespaced(self.client.clone(), namespace);
        let digest = digest(occurrence, regarding);
        let now = Instant::now();
        let repeat = self
            .recent
            .lock()
            .expect("events cache")
            .repeat_of(digest, now);
        let timestamp = MicroTime(Timestamp::now());
        let (name, count) = match repeat {
            Some((name, count)) => {
                let series = EventSeries {
                    count,
                    last_observed_time: timestamp,
                };
                let patch = json!({ "series": series });
                events
                    .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await?;
                (name, count)
            }
            None => {
                let event = self.event(occurrence, regarding, timestamp);
                let created = events.create(&PostParams::default(), &event).await?;
                (created.metadata.name.unwrap_or_default(), 1)
            }
        };
        let mut recent = self.recent.lock().expect("events cache");
        recent.record(digest, name, count, now);
        Ok(())
    }

    fn event(
        &self,
        occurrence: &Occurrence<'_>,
        regarding: &ObjectReference,
        timestamp: MicroTime,
    ) -> Event {
        let object = regarding.name.as_deref().unwrap_or(&self.controller);
        Event {
            action: Some(occurrence.reason.to_owned()),
            reason: Some(occurrence.reason.to_owned()),
            note: Some(occurrence.note.to_owned()),
            metadata: ObjectMeta {
                namespace: regarding.namespace.clone(),
                name: Some(format!("{object}.{:x}", timestamp.0.as_nanosecond())),
                ..ObjectMeta::default()
            },
            event_time: Some(timestamp),
            regarding: Some(regarding.clone()),
            reporting_controller: Some(self.controller.clone()),
            reporting_instance: Some(self.instance.clone()),
            type_: Some(
                if occurrence.warning {
                    "Warning"
                } else {
                    "Normal"
                }
                .to_owned(),
            ),
            ..Event::default()
        }
    }
}

/// What makes two Events the same: the object (by identity, not by version), the type, the reason and the note.
fn digest(occurrence: &Occurrence<'_>, regarding: &ObjectReference) -> u64 {
    let mut hasher = DefaultHasher::new();
    (
        &regarding.api_version,
        &regarding.kind,
        &regarding.namespace,
        &regarding.name,
        &regarding.uid,
        occurrence.warning,
        occurrence.reason,
        occurrence.note,
    )
        .hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regarding(name: &str, resource_version: &str) -> ObjectReference {
        ObjectReference {
            api_version: Some("ecsbridge.dev/v1alpha1".into()),
            kind: Some("EcsService".into()),
            namespace: Some("team-a".into()),
            name: Some(name.into()),
            uid: Some(format!("uid-{name}")),
            resource_version: Some(resource_version.into()),
            ..ObjectReference::default()
        }
    }

    fn occurrence<'a>(reason: &'a str, note: &'a str) -> Occurrence<'a> {
        Occurrence {
            warning: false,
            reason,
            note,
        }
    }

    #[test]
    fn a_repeat_within_the_window_counts_into_the_first_events_series_and_old_ones_are_dropped() {
        let mut recents = Recents::default();
        let start = Instant::now();
        assert_eq!(recents.repeat_of(7, start), None);
        recents.record(7, "web.1".into(), 1, start);
        let soon = start + Duration::from_secs(10);
        assert_eq!(recents.repeat_of(7, soon), Some(("web.1".into(), 2)));
        recents.record(7, "web.1".into(), 2, soon);
        assert_eq!(recents.repeat_of(7, soon), Some(("web.1".into(), 3)));
        assert_eq!(recents.repeat_of(8, soon), None);
        let late = soon + SERIES_WINDOW;
        assert_eq!(recents.repeat_of(7, late), None);
        assert!(recents.by_digest.is_empty(), "old entries are dropped");
    }

    #[test]
    fn an_event_written_again_after_the_window_starts_a_series_of_its_own() {
        let mut recents = Recents::default();
        let start = Instant::now();
        assert_eq!(recents.repeat_of(7, start), None);
        recents.record(7, "web.1".into(), 1, start);
        // Looked at shortly before the window ends, so not pruned when it has.
        let before_end = start + SERIES_WINDOW - Duration::from_secs(10);
        assert!(recents.repeat_of(7, before_end).is_some());
        let after_end = start + SERIES_WINDOW + Duration::from_secs(1);
        assert_eq!(recents.repeat_of(7, after_end), None);
        recents.record(7, "web.2".into(), 1, after_end);
        let soon = after_end + Duration::from_secs(1);
        assert_eq!(recents.repeat_of(7, soon), Some(("web.2".into(), 2)));
    }

    #[test]
    fn the_same_note_about_the_same_object_is_the_same_event_whatever_its_version() {
        let created = occurrence("Created", "created web");
        assert_eq!(
            digest(&created, &regarding("web", "1")),
            digest(&created, &regarding("web", "2"))
        );
        assert_ne!(
            digest(&created, &regarding("web", "1")),
            digest(&created, &regarding("api", "1"))
        );
        assert_ne!(
            digest(&created, &regarding("web", "1")),
            digest(
                &occurrence("Created", "created web again"),
                &regarding("web", "1")
            )
        );
    }
}
