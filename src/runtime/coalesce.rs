//! Wakes gathered over a short window and passed on once each: thousands of services created in a burst wake
//! their one cluster a few times, not once per service.

use std::collections::HashSet;
use std::hash::Hash;
use std::time::Duration;

use futures::{Stream, StreamExt, stream};

/// The items of `items`, each passed on at most once per `window`: the first item of a quiet stream opens a
/// window, every item until it closes joins it, and then the distinct items go on in the order they came.
pub fn coalesce<T, S>(items: S, window: Duration) -> impl Stream<Item = T> + Send + 'static
where
    T: Clone + Eq + Hash + Send + 'static,
    S: Stream<Item = T> + Send + 'static,
{
    let start = (items.boxed(), false);
    stream::unfold(start, move |(mut items, ended)| async move {
        if ended {
            return None;
        }
        let first = items.next().await?;
        let mut seen = HashSet::from([first.clone()]);
        let mut batch = vec![first];
        let closes = tokio::time::sleep(window);
        tokio::pin!(closes);
        let ended = loop {
            tokio::select! {
                () = &mut closes => break false,
                next = items.next() => match next {
                    Some(item) => {
                        if seen.insert(item.clone()) {
                            batch.push(item);
                        }
                    }
                    None => break true,
                },
            }
        };
        Some((stream::iter(batch), (items, ended)))
    })
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_passes_each_item_on_once_after_the_window() {
        let (sender, receiver) = futures::channel::mpsc::unbounded();
        let mut out = Box::pin(coalesce(receiver, Duration::from_secs(2)));
        for item in ["a", "b", "a", "a", "b", "c"] {
            sender.unbounded_send(item).unwrap();
        }
        let started = tokio::time::Instant::now();
        let first: Vec<_> = (&mut out).take(3).collect().await;
        assert_eq!(first, ["a", "b", "c"]);
        assert!(started.elapsed() >= Duration::from_secs(2));
        // A later wake of the same item opens a new window: nothing is lost.
        sender.unbounded_send("a").unwrap();
        drop(sender);
        assert_eq!(out.next().await, Some("a"));
        assert_eq!(out.next().await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_that_ends_mid_window_still_passes_its_items_on() {
        let out = coalesce(stream::iter([1, 2, 1]), Duration::from_secs(60));
        let started = tokio::time::Instant::now();
        assert_eq!(out.collect::<Vec<_>>().await, [1, 2]);
        assert!(started.elapsed() < Duration::from_secs(60));
    }
}
