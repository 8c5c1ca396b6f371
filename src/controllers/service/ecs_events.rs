//! Which ECS service events are new since the last one reported as a Kubernetes Event; pure.

use crate::ecs::service::{ObservedServiceEvent, newer_first};

/// At most this many ECS events become Kubernetes Events in one pass (ECS keeps the last 100, the operator the
/// newest of them).
const MAX_NEW_EVENTS: usize = crate::ecs::service::NEWEST_EVENTS;

/// The events newer than `last_seen`, oldest first; ECS lists events newest first.
pub fn unseen<'a>(
    events: &'a [ObservedServiceEvent],
    last_seen: Option<&str>,
) -> Vec<&'a ObservedServiceEvent> {
    let mut newest_first: Vec<&ObservedServiceEvent> = events.iter().collect();
    newest_first.sort_by(|a, b| newer_first(a, b));
    let mut fresh: Vec<_> = newest_first
        .into_iter()
        .take_while(|e| last_seen.is_none() || e.id.as_deref() != last_seen)
        .take(MAX_NEW_EVENTS)
        .collect();
    fresh.reverse();
    fresh
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, at: f64) -> ObservedServiceEvent {
        ObservedServiceEvent {
            id: Some(id.into()),
            created_at: Some(at),
            message: Some(format!("m{id}")),
        }
    }

    #[test]
    fn reports_only_events_after_the_last_seen_oldest_first() {
        let events = vec![event("3", 30.0), event("2", 20.0), event("1", 10.0)];
        let ids = |v: Vec<&ObservedServiceEvent>| {
            v.iter().map(|e| e.id.clone().unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(ids(unseen(&events, Some("1"))), vec!["2", "3"]);
        assert_eq!(ids(unseen(&events, Some("3"))), Vec::<String>::new());
        assert_eq!(ids(unseen(&events, None)), vec!["1", "2", "3"]);
    }

    #[test]
    fn caps_a_burst() {
        let events: Vec<_> = (0..20)
            .map(|i| event(&i.to_string(), f64::from(i)))
            .collect();
        assert_eq!(unseen(&events, None).len(), MAX_NEW_EVENTS);
    }
}
