//! Revision history: which ACTIVE revisions have outlived `revisionHistoryLimit`; pure.

use std::collections::BTreeSet;

/// Of the ACTIVE revisions older than `current`, all but the newest `limit`, leaving out those in use.
pub fn expired_revisions(
    active: &[i32],
    current: i32,
    limit: usize,
    in_use: &BTreeSet<i32>,
) -> Vec<i32> {
    let mut older: Vec<i32> = active
        .iter()
        .copied()
        .filter(|rev| *rev < current)
        .collect();
    older.sort_unstable();
    let expired = older.len().saturating_sub(limit);
    older
        .into_iter()
        .take(expired)
        .filter(|rev| !in_use.contains(rev))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_older_revisions_up_to_the_limit() {
        let active: Vec<i32> = (1..=6).collect();
        assert_eq!(
            expired_revisions(&active, 6, 2, &BTreeSet::new()),
            vec![1, 2, 3]
        );
        assert_eq!(
            expired_revisions(&active, 6, 10, &BTreeSet::new()),
            Vec::<i32>::new()
        );
        assert_eq!(
            expired_revisions(&active, 6, 0, &BTreeSet::new()),
            vec![1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn never_expires_a_revision_a_service_still_runs() {
        let active: Vec<i32> = (1..=6).collect();
        assert_eq!(
            expired_revisions(&active, 6, 2, &BTreeSet::from([2])),
            vec![1, 3]
        );
    }

    #[test]
    fn the_current_revision_and_newer_ones_stay() {
        assert_eq!(
            expired_revisions(&[3, 4, 9], 4, 0, &BTreeSet::new()),
            vec![3]
        );
    }
}
