//! Injected faults: a share of calls answers HTTP 500 `ServerException` (half of the faults) or hangs before
//! answering it (the other half), chosen by the seeded generator so a run can be repeated.

use std::time::Duration;

use crate::prng::XorShift;
use crate::protocol::ApiError;

/// What goes wrong with one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answers 500 at once.
    ServerError,
    /// Answers 500 after the time-out.
    Hang,
}

/// Picks a fault for a call with probability `rate`, or none.
pub fn pick(rng: &mut XorShift, rate: f64) -> Option<Fault> {
    if !rng.chance(rate) {
        return None;
    }
    Some(if rng.next_u64() & 1 == 0 {
        Fault::ServerError
    } else {
        Fault::Hang
    })
}

/// Carries out `fault` (a hang waits `timeout`) and gives the error to answer.
pub async fn inflict(fault: Fault, timeout: Duration) -> ApiError {
    match fault {
        Fault::ServerError => ApiError::server("Service encountered an internal error (injected)."),
        Fault::Hang => {
            tokio::time::sleep(timeout).await;
            ApiError::server(format!(
                "The request hung for {} s (injected).",
                timeout.as_secs_f64()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_follow_the_rate_and_split_in_halves() {
        let mut rng = XorShift::new(42);
        let picks: Vec<Option<Fault>> = (0..4000).map(|_| pick(&mut rng, 0.5)).collect();
        let errors = picks
            .iter()
            .filter(|f| **f == Some(Fault::ServerError))
            .count();
        let hangs = picks.iter().filter(|f| **f == Some(Fault::Hang)).count();
        assert!(
            (1800..2200).contains(&(errors + hangs)),
            "{errors} + {hangs}"
        );
        assert!(errors.abs_diff(hangs) < 200, "{errors} vs {hangs}");
        assert!((0..100).all(|_| pick(&mut rng, 0.0).is_none()));
    }

    #[tokio::test]
    async fn both_faults_answer_a_server_exception() {
        let err = inflict(Fault::Hang, Duration::from_millis(1)).await;
        assert_eq!((err.status.as_u16(), err.code), (500, "ServerException"));
        let err = inflict(Fault::ServerError, Duration::from_secs(100)).await;
        assert_eq!(err.code, "ServerException");
    }
}
