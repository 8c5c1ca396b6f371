//! Which EndpointSlice holds which endpoint, with minimal churn (as Kubernetes' own EndpointSlice controller
//! does): an endpoint stays in the slice that holds it while that slice exists, new endpoints fill the slices
//! that have room (lowest index first) before a new slice is made, and a slice left empty goes, so a task that
//! starts or stops rewrites one slice, not every slice after it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The slices of one address family and what they hold: slice index → the endpoints' keys, each list sorted.
pub type Placement = BTreeMap<usize, Vec<String>>;

/// Places `keys` (the endpoints of one address family) in slices of at most `max`, given the slices that exist
/// (`held`: index → the keys it holds now). Always at least one slice (an empty one states "no endpoints").
pub fn place(keys: &BTreeSet<String>, held: &Placement, max: usize) -> Placement {
    let holder: HashMap<&str, usize> = held
        .iter()
        .flat_map(|(index, keys)| keys.iter().map(move |k| (k.as_str(), *index)))
        .collect();
    let mut placed: Placement = held.keys().map(|index| (*index, Vec::new())).collect();
    let mut homeless = Vec::new();
    for key in keys {
        match holder.get(key.as_str()).and_then(|i| placed.get_mut(i)) {
            Some(slice) if slice.len() < max => slice.push(key.clone()),
            _ => homeless.push(key.clone()),
        }
    }
    for key in homeless {
        let free = placed
            .iter()
            .find(|(_, slice)| slice.len() < max)
            .map(|(index, _)| *index);
        let index = free.unwrap_or_else(|| (0..).find(|i| !placed.contains_key(i)).unwrap_or(0));
        placed.entry(index).or_default().push(key);
    }
    placed.retain(|_, slice| !slice.is_empty());
    if placed.is_empty() {
        placed.insert(held.keys().next().copied().unwrap_or(0), Vec::new());
    }
    for slice in placed.values_mut() {
        slice.sort();
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(range: std::ops::Range<usize>) -> BTreeSet<String> {
        range.map(|i| format!("t{i:03}")).collect()
    }

    fn sizes(p: &Placement) -> Vec<(usize, usize)> {
        p.iter().map(|(i, s)| (*i, s.len())).collect()
    }

    /// Issue 27: slices of at most 100 endpoints, updated in place. A new task whose ID sorts first must not shift
    /// every other endpoint into the next slice (which would rewrite all slices).
    #[test]
    fn a_new_endpoint_goes_where_there_is_room_and_no_other_endpoint_moves() {
        let first = place(&keys(0..250), &Placement::new(), 100);
        assert_eq!(sizes(&first), [(0, 100), (1, 100), (2, 50)]);
        let mut now = keys(0..250);
        now.insert("a-first".into());
        let second = place(&now, &first, 100);
        for index in [0, 1] {
            assert_eq!(
                second[&index], first[&index],
                "slice {index} is not rewritten"
            );
        }
        assert!(second[&2].contains(&"a-first".to_owned()));
        assert_eq!(second[&2].len(), 51);
    }

    #[test]
    fn gone_endpoints_leave_their_slice_and_an_emptied_slice_goes() {
        let first = place(&keys(0..250), &Placement::new(), 100);
        // The tasks of slice 1 stopped, and one of slice 0.
        let mut now = keys(0..100);
        now.remove("t005");
        now.extend(keys(200..250));
        let second = place(&now, &first, 100);
        assert_eq!(sizes(&second), [(0, 99), (2, 50)]);
        // Then more tasks: the room in slice 0 first, then the free index 1.
        now.extend(keys(300..360));
        let third = place(&now, &second, 100);
        assert_eq!(sizes(&third), [(0, 100), (1, 9), (2, 100)]);
        assert!(third[&0].contains(&"t300".to_owned()));
    }

    #[test]
    fn no_endpoints_is_one_empty_slice() {
        let none = place(&BTreeSet::new(), &Placement::new(), 100);
        assert_eq!(sizes(&none), [(0, 0)]);
        let first = place(&keys(0..3), &Placement::new(), 100);
        let emptied = place(&BTreeSet::new(), &first, 100);
        assert_eq!(sizes(&emptied), [(0, 0)]);
    }
}
