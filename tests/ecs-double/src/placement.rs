//! Placement of the tasks RunTask asks for (catalogue entry 59): some of `count` may not fit, and come back in
//! `failures[]` instead of `tasks[]`. Which ones is decided by a counter set through the admin API (the next N
//! tasks asked for) and then by a share drawn from a seeded generator, so runs are reproducible.

use serde_json::{Value, json};

use crate::prng::XorShift;
use crate::settings::PlacementReason;

/// What decides whether a task can be placed.
#[derive(Debug)]
pub struct Placement {
    /// The next this many tasks asked for cannot be placed (counts down as they are refused).
    pub unplaceable: u32,
    rng: XorShift,
}

impl Placement {
    pub fn new(seed: u64) -> Self {
        Self {
            unplaceable: 0,
            rng: XorShift::new(seed ^ 0x706C_6163_656D_656E),
        }
    }

    /// Whether the next task asked for can be placed, when a share `failure_rate` of them cannot.
    pub fn fits(&mut self, failure_rate: f64) -> bool {
        if self.unplaceable > 0 {
            self.unplaceable -= 1;
            return false;
        }
        !self.rng.chance(failure_rate)
    }
}

/// The failure ECS answers for a task it could not place: the ARN of the container instance it tried (ECS names
/// the resource the failure is about; for a placement that is a container instance) and the reason. The double
/// leaves out `detail`, which the API marks optional.
pub fn failure(container_instance_arn: &str, reason: PlacementReason) -> Value {
    json!({"arn": container_instance_arn, "reason": reason.as_str()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_refuses_first_then_the_share_decides_reproducibly() {
        let mut placement = Placement::new(1);
        placement.unplaceable = 2;
        let first: Vec<bool> = (0..4).map(|_| placement.fits(0.0)).collect();
        assert_eq!(first, [false, false, true, true]);
        assert_eq!(placement.unplaceable, 0);
        let draw = |seed| {
            let mut p = Placement::new(seed);
            (0..1000).filter(|_| !p.fits(0.1)).count()
        };
        assert_eq!(draw(7), draw(7));
        assert!((60..140).contains(&draw(7)), "{}", draw(7));
        let failure = failure("arn:ci", PlacementReason::Memory);
        assert_eq!(
            failure,
            json!({"arn": "arn:ci", "reason": "RESOURCE:MEMORY"})
        );
    }
}
