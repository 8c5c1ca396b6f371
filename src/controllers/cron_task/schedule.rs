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
            AmbiguousOffset::Fold { .. } => vec![ambiguous.earlier(), ambiguous.later()],
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
mod tests;
