//! Cron schedules (pure): the five fields of Vixie cron (minute, hour, day of month, month, day of week, with
//! lists, ranges, steps and names) and the `@hourly` ... `@yearly` shorthands, evaluated in a time zone, with
//! cron(8)'s rules for the changes of daylight saving time: a schedule with `*` in its minute or hour field steps
//! in absolute time (it runs in the repeated autumn hour too); one of particular times of day runs once a day.

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

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
    /// Whether it runs at particular times of day (no `*` in the minute or hour field): cron(8)'s rule for the
    /// changes of daylight saving time (see [`Schedule::instants`]).
    wall_clock: bool,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// How far ahead (or back) a schedule is searched (a `30 2 31 2 *` never matches).
const SEARCH_YEARS: i16 = 5;

/// More than any change of a time zone's offset (daylight saving moves clocks by one hour, rarely two).
const CHANGE_MARGIN: SignedDuration = SignedDuration::from_hours(3);

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
            wall_clock: !minute.contains('*') && !hour.contains('*'),
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

    /// The scheduled wall-clock times (in no time zone) from `origin` on, forward or backward, within
    /// [`SEARCH_YEARS`].
    fn wall_times(&self, origin: DateTime, forward: bool) -> impl Iterator<Item = DateTime> + '_ {
        let step = move |day: &Date| match forward {
            true => day.tomorrow().ok(),
            false => day.yesterday().ok(),
        };
        let years = origin.year() - SEARCH_YEARS..=origin.year() + SEARCH_YEARS;
        std::iter::successors(Some(origin.date()), step)
            .take_while(move |day| years.contains(&day.year()))
            .filter(|day| self.months & (1 << day.month()) != 0 && self.day_matches(*day))
            .flat_map(move |day| {
                let times = (0..24i8)
                    .filter(|h| self.hours & (1 << h) != 0)
                    .flat_map(|h| {
                        (0..60i8)
                            .filter(|m| self.minutes & (1 << m) != 0)
                            .map(move |m| (h, m))
                    });
                let times: Box<dyn Iterator<Item = (i8, i8)>> = match forward {
                    true => Box::new(times),
                    false => Box::new(times.rev()),
                };
                times.map(move |(h, m)| DateTime::from_parts(day, jiff::civil::time(h, m, 0, 0)))
            })
            .filter(move |at| {
                if forward {
                    *at >= origin
                } else {
                    *at <= origin
                }
            })
    }

    /// The instants at which wall-clock time `at` runs in `tz`. Where `at` is not ambiguous, its one instant. In
    /// the autumn's repeated hour, a wall-clock schedule runs once, at the first occurrence, and a wildcard one
    /// at both. In the spring's skipped hour, a wall-clock schedule runs at the instant an unchanged clock would
    /// have shown `at` (02:30 becomes 03:30 summer time), a wildcard one not at all: its next time exists.
    fn instants(&self, at: DateTime, tz: &TimeZone) -> Vec<Timestamp> {
        let ambiguous = tz.to_ambiguous_timestamp(at);
        let (wall_clock, offset) = (self.wall_clock, ambiguous.offset());
        let instants = match offset {
            AmbiguousOffset::Unambiguous { .. } => vec![ambiguous.compatible()],
            AmbiguousOffset::Gap { .. } if wall_clock => vec![ambiguous.compatible()],
            AmbiguousOffset::Gap { .. } => vec![],
            AmbiguousOffset::Fold { .. } if wall_clock => vec![ambiguous.earlier()],
            AmbiguousOffset::Fold { .. } => vec![ambiguous.clone().earlier(), ambiguous.later()],
        };
        instants.into_iter().filter_map(Result::ok).collect()
    }

    /// The first scheduled time strictly after `after`, in `tz`.
    pub fn next_after(&self, after: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        // Wall-clock order is instant order except around a change of offset: the search starts and ends
        // CHANGE_MARGIN wider and keeps the earliest instant.
        let origin = after
            .checked_sub(CHANGE_MARGIN)
            .ok()?
            .to_zoned(tz.clone())
            .datetime();
        let mut best: Option<(Timestamp, DateTime)> = None;
        for at in self.wall_times(origin, true) {
            if best.is_some_and(|(_, limit)| at > limit) {
                break;
            }
            for instant in self.instants(at, tz).into_iter().filter(|i| *i > after) {
                if best.is_none_or(|(b, _)| instant < b) {
                    let limit = instant
                        .checked_add(CHANGE_MARGIN)
                        .ok()?
                        .to_zoned(tz.clone())
                        .datetime();
                    best = Some((instant, limit));
                }
            }
        }
        best.map(|(instant, _)| instant)
    }

    /// The newest scheduled time at or before `until`, in `tz`.
    fn latest_until(&self, until: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let origin = until
            .checked_add(CHANGE_MARGIN)
            .ok()?
            .to_zoned(tz.clone())
            .datetime();
        let mut best: Option<(Timestamp, DateTime)> = None;
        for at in self.wall_times(origin, false) {
            if best.is_some_and(|(_, limit)| at < limit) {
                break;
            }
            for instant in self.instants(at, tz).into_iter().filter(|i| *i <= until) {
                if best.is_none_or(|(b, _)| instant > b) {
                    let limit = instant
                        .checked_sub(CHANGE_MARGIN)
                        .ok()?
                        .to_zoned(tz.clone())
                        .datetime();
                    best = Some((instant, limit));
                }
            }
        }
        best.map(|(instant, _)| instant)
    }

    /// The newest scheduled time in `(after, until]`, if any.
    pub fn latest_between(
        &self,
        after: Timestamp,
        until: Timestamp,
        tz: &TimeZone,
    ) -> Option<Timestamp> {
        self.latest_until(until, tz).filter(|t| *t > after)
    }

    /// How many scheduled times fall in `(after, until]`, counted up to `cap`.
    pub fn count_between(
        &self,
        after: Timestamp,
        until: Timestamp,
        tz: &TimeZone,
        cap: usize,
    ) -> usize {
        std::iter::successors(self.next_after(after, tz), |t| self.next_after(*t, tz))
            .take_while(|t| *t <= until)
            .take(cap)
            .count()
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

    /// Every scheduled time in `(from, until]`, in UTC.
    fn times_in(schedule: &str, zone: &str, from: &str, until: &str) -> Vec<String> {
        let s = Schedule::parse(schedule).unwrap();
        let tz = TimeZone::get(zone).unwrap();
        let mut times = Vec::new();
        let mut after = at(from);
        while let Some(next) = s.next_after(after, &tz).filter(|n| *n <= at(until)) {
            times.push(next.to_string());
            after = next;
        }
        times
    }

    /// Whether `times` are `step` minutes apart in absolute time, from `first` to `last`.
    fn every(times: &[String], step: i64, first: &str, last: &str) -> bool {
        let seconds: Vec<i64> = times.iter().map(|t| at(t).as_second()).collect();
        times.first().map(String::as_str) == Some(first)
            && times.last().map(String::as_str) == Some(last)
            && seconds.windows(2).all(|w| w[1] - w[0] == step * 60)
    }

    // New York: 2026-03-08 02:00 EST becomes 03:00 EDT; 2026-11-01 02:00 EDT becomes 01:00 EST.
    // Berlin: 2026-03-29 02:00 CET becomes 03:00 CEST; 2026-10-25 03:00 CEST becomes 02:00 CET.
    const NEW_YORK: &str = "America/New_York";
    const BERLIN: &str = "Europe/Berlin";

    #[test]
    fn hourly_and_more_often_step_in_absolute_time_across_spring_forward() {
        assert_eq!(
            times_in(
                "0 * * * *",
                NEW_YORK,
                "2026-03-08T05:00:00Z",
                "2026-03-08T09:00:00Z"
            ),
            [
                "2026-03-08T06:00:00Z",
                "2026-03-08T07:00:00Z",
                "2026-03-08T08:00:00Z",
                "2026-03-08T09:00:00Z"
            ],
            "01:00 EST, then 03:00, 04:00, 05:00 EDT: the hour 02:00 does not exist"
        );
        assert_eq!(
            times_in(
                "0 * * * *",
                BERLIN,
                "2026-03-28T23:00:00Z",
                "2026-03-29T03:00:00Z"
            ),
            [
                "2026-03-29T00:00:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-29T02:00:00Z",
                "2026-03-29T03:00:00Z"
            ]
        );
        let quarters = times_in(
            "*/15 * * * *",
            NEW_YORK,
            "2026-03-08T05:00:00Z",
            "2026-03-08T09:00:00Z",
        );
        assert!(
            every(
                &quarters,
                15,
                "2026-03-08T05:15:00Z",
                "2026-03-08T09:00:00Z"
            ),
            "{quarters:?}"
        );
        let quarters = times_in(
            "*/15 * * * *",
            BERLIN,
            "2026-03-28T23:00:00Z",
            "2026-03-29T03:00:00Z",
        );
        assert!(
            every(
                &quarters,
                15,
                "2026-03-28T23:15:00Z",
                "2026-03-29T03:00:00Z"
            ),
            "{quarters:?}"
        );
    }

    #[test]
    fn hourly_and_more_often_run_in_the_repeated_autumn_hour() {
        assert_eq!(
            times_in(
                "0 * * * *",
                NEW_YORK,
                "2026-11-01T04:00:00Z",
                "2026-11-01T08:00:00Z"
            ),
            [
                "2026-11-01T05:00:00Z",
                "2026-11-01T06:00:00Z",
                "2026-11-01T07:00:00Z",
                "2026-11-01T08:00:00Z"
            ],
            "01:00 EDT, 01:00 EST, 02:00 EST, 03:00 EST"
        );
        assert_eq!(
            times_in(
                "0 * * * *",
                BERLIN,
                "2026-10-24T22:00:00Z",
                "2026-10-25T03:00:00Z"
            ),
            [
                "2026-10-24T23:00:00Z",
                "2026-10-25T00:00:00Z",
                "2026-10-25T01:00:00Z",
                "2026-10-25T02:00:00Z",
                "2026-10-25T03:00:00Z"
            ],
            "01:00 CEST, 02:00 CEST, 02:00 CET, 03:00 CET, 04:00 CET"
        );
        let quarters = times_in(
            "*/15 * * * *",
            NEW_YORK,
            "2026-11-01T04:00:00Z",
            "2026-11-01T08:00:00Z",
        );
        assert!(
            every(
                &quarters,
                15,
                "2026-11-01T04:15:00Z",
                "2026-11-01T08:00:00Z"
            ),
            "{quarters:?}"
        );
        let quarters = times_in(
            "*/15 * * * *",
            BERLIN,
            "2026-10-24T22:00:00Z",
            "2026-10-25T03:00:00Z",
        );
        assert!(
            every(
                &quarters,
                15,
                "2026-10-24T22:15:00Z",
                "2026-10-25T03:00:00Z"
            ),
            "{quarters:?}"
        );
        // Found from inside the repeated hour too, and as the newest missed time.
        let new_york = TimeZone::get(NEW_YORK).unwrap();
        let s = Schedule::parse("*/15 * * * *").unwrap();
        assert_eq!(
            s.next_after(at("2026-11-01T05:50:00Z"), &new_york)
                .unwrap()
                .to_string(),
            "2026-11-01T06:00:00Z",
            "01:50 EDT is followed by 01:00 EST"
        );
        assert_eq!(
            s.latest_between(
                at("2026-11-01T05:00:00Z"),
                at("2026-11-01T06:20:00Z"),
                &new_york
            )
            .unwrap()
            .to_string(),
            "2026-11-01T06:15:00Z"
        );
    }

    #[test]
    fn a_fixed_time_runs_once_a_day_across_both_changes() {
        // cron(8): a time skipped in spring runs after the change (02:30 is 03:30 summer time, the instant an
        // unchanged clock would have shown 02:30); a repeated time in autumn runs once, at its first occurrence.
        let day = |zone, from, until| times_in("30 2 * * *", zone, from, until);
        assert_eq!(
            day(NEW_YORK, "2026-03-08T05:00:00Z", "2026-03-09T05:00:00Z"),
            ["2026-03-08T07:30:00Z"]
        );
        assert_eq!(
            day(NEW_YORK, "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z"),
            ["2026-11-01T07:30:00Z"]
        );
        assert_eq!(
            day(BERLIN, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"),
            ["2026-03-29T01:30:00Z"]
        );
        assert_eq!(
            day(BERLIN, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"),
            ["2026-10-25T00:30:00Z"],
            "02:30 CEST only, not again at 02:30 CET"
        );
        assert_eq!(
            times_in(
                "30 1 * * *",
                NEW_YORK,
                "2026-11-01T04:00:00Z",
                "2026-11-02T05:00:00Z"
            ),
            ["2026-11-01T05:30:00Z"],
            "01:30 EDT only, not again at 01:30 EST"
        );
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
