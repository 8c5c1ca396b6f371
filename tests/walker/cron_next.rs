//! The walker's own cron evaluator, independent of the operator's: the next time after a moment that a simple
//! five-field schedule (`*`, `*/N` or a number in each field, as the table samples) names in an IANA time zone,
//! found by stepping minute by minute in absolute time.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Whether one cron field (`*`, `*/N`, `N`) allows `value`.
fn allows(field: &str, value: i64) -> bool {
    match (field, field.strip_prefix("*/")) {
        ("*", _) => true,
        (_, Some(step)) => value % step.parse::<i64>().expect("a step the table samples") == 0,
        _ => field.parse::<i64>().expect("a value the table samples") == value,
    }
}

/// The first minute after `now` that `schedule` names in `zone` (None: UTC), within eight days.
pub fn next_after(schedule: &str, zone: Option<&str>, now: Timestamp) -> Option<Timestamp> {
    let tz = match zone {
        Some(name) => TimeZone::get(name).expect("a time zone the table samples"),
        None => TimeZone::UTC,
    };
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    assert_eq!(fields.len(), 5, "a five-field schedule: {schedule}");
    let mut at = Timestamp::from_second(now.as_second().div_euclid(60) * 60).ok()?;
    for _ in 0..8 * 24 * 60 {
        at = at.checked_add(SignedDuration::from_mins(1)).ok()?;
        let local = at.to_zoned(tz.clone());
        let values = [
            i64::from(local.minute()),
            i64::from(local.hour()),
            i64::from(local.day()),
            i64::from(local.month()),
            i64::from(local.weekday().to_sunday_zero_offset()),
        ];
        if fields.iter().zip(values).all(|(f, v)| allows(f, v)) {
            return Some(at);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn next_times_of_the_sampled_schedules() {
        let now = at("2026-12-05T10:07:30Z");
        assert_eq!(
            next_after("*/5 * * * *", None, now),
            Some(at("2026-12-05T10:10:00Z"))
        );
        assert_eq!(
            next_after("* * * * *", None, now),
            Some(at("2026-12-05T10:08:00Z"))
        );
        assert_eq!(
            next_after("30 */2 * * *", None, now),
            Some(at("2026-12-05T10:30:00Z"))
        );
        // 03:00 in Berlin (UTC+1 in December) is 02:00 UTC, the next day.
        assert_eq!(
            next_after("0 3 * * *", Some("Europe/Berlin"), now),
            Some(at("2026-12-06T02:00:00Z"))
        );
        // Kolkata is UTC+5:30: 30 minutes past an even hour there is on the hour in UTC.
        assert_eq!(
            next_after("30 */2 * * *", Some("Asia/Kolkata"), now),
            Some(at("2026-12-05T11:00:00Z"))
        );
    }
}
