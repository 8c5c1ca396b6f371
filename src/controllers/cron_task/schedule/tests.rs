//! Unit tests of the schedule arithmetic: fields, time zones, missed times and the changes of daylight saving
//! time.

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
