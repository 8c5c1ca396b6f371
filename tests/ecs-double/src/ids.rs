//! Identifiers: deployment ids (`ecs-svc/N`), event and request ids (UUID-shaped) and task ids, from counters so
//! that a run is reproducible.

/// Spreads a counter over 64 bits (splitmix64), so ids look random but are deterministic.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A UUID-shaped (version 4 layout) id made from `n`.
pub fn uuid(n: u64) -> String {
    let (a, b) = (mix(n), mix(n ^ 0xA5A5_A5A5_A5A5_A5A5));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// The counters behind the ids of the ECS model.
#[derive(Debug, Default)]
pub struct Ids {
    deployments: u64,
    events: u64,
    tasks: u64,
}

impl Ids {
    /// A new deployment id, `ecs-svc/N`.
    pub fn deployment(&mut self) -> String {
        self.deployments += 1;
        format!("ecs-svc/{}", self.deployments)
    }

    /// A new service event id.
    pub fn event(&mut self) -> String {
        self.events += 1;
        uuid(self.events ^ 0x4556_454E_5453_0000)
    }

    /// A new task id (32 hex digits, like ECS's).
    pub fn task(&mut self) -> String {
        self.tasks += 1;
        format!(
            "{:016x}{:016x}",
            mix(self.tasks ^ 0x5441_534B_0000_0000),
            mix(self.tasks.rotate_left(32))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut ids = Ids::default();
        assert_eq!(ids.deployment(), "ecs-svc/1");
        assert_eq!(ids.deployment(), "ecs-svc/2");
        let (a, b) = (ids.event(), ids.event());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_eq!(ids.task().len(), 32);
        assert_ne!(ids.task(), ids.task());
    }
}
