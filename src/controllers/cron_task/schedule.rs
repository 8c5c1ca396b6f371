//! Cron schedules (pure): the five fields of Vixie cron (minute, hour, day of month, month, day of week, with
//! lists, ranges, steps and names) and the `@hourly` ... `@yearly` shorthands, evaluated in a time zone.

use jiff::civil::{Date, DateTime, date};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// A parsed schedule: the allowed values of each field as bit sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// Whether day of month and day of week were both restricted: then either may match (cron's rule).
    either_day: bool,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// How far ahead a schedule is searched (a `30 2 31 2 *` never matches).
const SEARCH_YEARS: i16 = 5;

fn value(text: &str, min: u32, max: u32, names: &[&str]) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return Ok(min + i as u32);
    }
    match text.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("\"{text}\" is not a value from {min} to {max}")),
    }
}

/// One field: `*`, `N`, `A-B`, each with an optional `/STEP`, comma-separated.
fn field(text: &str, min: u32, max: u32, names: &[&str]) -> Result<u64, String> {
    let mut bits = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => match step.parse::<u32>() {
                Ok(step) if step > 0 => (range, step),
                _ => return Err(format!("\"{item}\": the step must be a number above 0")),
            },
            None => (item, 1),
        };
        let (low, high) = match range.split_once('-') {
            _ if range == "*" => (min, max),
            Some((a, b)) => (value(a, min, max, names)?, value(b, min, max, names)?),
            None if step > 1 => (value(range, min, max, names)?, max),
            None => {
                let n = value(range, min, max, names)?;
                (n, n)
            }
        };
        if low > high {
            return Err(format!("\"{item}\": the range runs backwards"));
        }
        for n in (low..=high).step_by(step as usize) {
            bits |= 1 << n;
        }
    }
    Ok(bits)
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Self, String> {
        let expanded = match text.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields[..] else {
            return Err(format!(
                "\"{text}\" has {} fields; use five (minute hour day-of-month month day-of-week) or @hourly, \
                 @daily, @weekly, @monthly, @yearly",
                fields.len()
            ));
        };
        // 7 is Sunday too.
        let sunday_seven = field(weekday, 0, 7, &WEEKDAYS)?;
        let weekdays = (sunday_seven & 0x7f) | ((sunday_seven >> 7) & 1);
        Ok(Self {
            minutes: field(minute, 0, 59, &[])?,
            hours: field(hour, 0, 23, &[])?,
            days: field(day, 1, 31, &[])?,
            months: field(month, 1, 12, &MONTHS)?,
            weekdays,
            either_day: !day.starts_with('*') && !weekday.starts_with('*'),
        })
    }

    fn day_matches(&self, day: Date) -> bool {
        let by_month_day = self.days & (1 << day.day()) != 0;
        let by_weekday = self.weekdays & (1 << day.weekday().to_sunday_zero_offset()) != 0;
        if self.either_day {
            by_month_day || by_weekday
        } else {
            by_month_day && by_weekday
        }
    }

    /// The first scheduled time strictly after `after`, in `tz`.
    pub fn next_after(&self, after: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let start = after.to_zoned(tz.clone()).datetime();
        let mut day = start.date();
        let limit = day.year() + SEARCH_YEARS;
        while day.year() <= limit {
            if self.months & (1 << day.month()) == 0 {
                day = date(day.year(), day.month(), 1)
                    .checked_add(1.month())
                    .ok()?;
                continue;
            }
            if self.day_matches(day) {
                for hour in 0..24i8 {
                    if self.hours & (1 << hour) == 0 {
                        continue;
                    }
                    for minute in 0..60i8 {
                        if self.minutes & (1 << minute) == 0 {
                            continue;
                        }
                        let at = DateTime::from_parts(day, jiff::civil::time(hour, minute, 0, 0));
                        if at <= start {
                            continue;
                        }
                        let instant = tz.to_ambiguous_zoned(at).compatible().ok()?.timestamp();
                        if instant > after {
                            return Some(instant);
                        }
                    }
                }
            }
            day = day.tomorrow().ok()?;
        }
        None
    }

    /// The newest scheduled time in `(after, until]`, if any.
    pub fn latest_between(
        &self,
        after: Timestamp,
        until: Timestamp,
        tz: &TimeZone,
    ) -> Option<Timestamp> {
        let mut latest = None;
        let mut at = after;
        while let Some(next) = self.next_after(at, tz).filter(|n| *n <= until) {
            latest = Some(next);
            at = next;
        }
        latest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn next(schedule: &str, after: &str) -> String {
        Schedule::parse(schedule)
            .unwrap()
            .next_after(at(after), &TimeZone::UTC)
            .unwrap()
            .to_string()
    }

    #[test]
    fn finds_the_next_time() {
        assert_eq!(
            next("*/1 * * * *", "2026-01-01T10:00:30Z"),
            "2026-01-01T10:01:00Z"
        );
        assert_eq!(
            next("*/15 * * * *", "2026-01-01T10:00:00Z"),
            "2026-01-01T10:15:00Z"
        );
        assert_eq!(
            next("@hourly", "2026-01-01T10:00:00Z"),
            "2026-01-01T11:00:00Z"
        );
        assert_eq!(
            next("@daily", "2026-01-01T10:00:00Z"),
            "2026-01-02T00:00:00Z"
        );
        assert_eq!(
            next("0 9 * * MON-FRI", "2026-01-02T10:00:00Z"),
            "2026-01-05T09:00:00Z"
        );
        assert_eq!(
            next("0 0 1 JAN *", "2026-03-01T00:00:00Z"),
            "2027-01-01T00:00:00Z"
        );
        assert_eq!(
            next("0 0 29 2 *", "2026-03-01T00:00:00Z"),
            "2028-02-29T00:00:00Z"
        );
        // Day of month and day of week both restricted: either matches.
        assert_eq!(
            next("0 0 13 * 5", "2026-02-01T00:00:00Z"),
            "2026-02-06T00:00:00Z"
        );
        assert_eq!(
            next("0 0 * * 7", "2026-01-01T00:00:00Z"),
            "2026-01-04T00:00:00Z"
        );
        assert_eq!(
            next("0 0 * * 6-7", "2026-01-01T00:00:00Z"),
            "2026-01-03T00:00:00Z"
        );
    }

    #[test]
    fn follows_the_time_zone() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let s = Schedule::parse("0 9 * * *").unwrap();
        let next = s.next_after(at("2026-07-01T00:00:00Z"), &berlin).unwrap();
        assert_eq!(next.to_string(), "2026-07-01T07:00:00Z");
    }

    #[test]
    fn finds_the_latest_missed_time() {
        let s = Schedule::parse("*/5 * * * *").unwrap();
        let latest = s.latest_between(
            at("2026-01-01T10:00:00Z"),
            at("2026-01-01T10:17:00Z"),
            &TimeZone::UTC,
        );
        assert_eq!(latest.unwrap().to_string(), "2026-01-01T10:15:00Z");
        let none = s.latest_between(
            at("2026-01-01T10:00:00Z"),
            at("2026-01-01T10:04:00Z"),
            &TimeZone::UTC,
        );
        assert!(none.is_none());
    }

    #[test]
    fn refuses_malformed_schedules() {
        for bad in [
            "* * * *",
            "61 * * * *",
            "*/0 * * * *",
            "5-1 * * * *",
            "* * * FOO *",
            "@often",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
        assert!(
            Schedule::parse("0 0 31 2 *")
                .unwrap()
                .next_after(at("2026-01-01T00:00:00Z"), &TimeZone::UTC)
                .is_none()
        );
    }
}
