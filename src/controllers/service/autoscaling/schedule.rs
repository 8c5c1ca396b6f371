//! Application Auto Scaling's schedule expressions: `at()`, `rate()` and `cron()`, checked without any AWS call.

/// Parses an Application Auto Scaling schedule; the error says what is wrong.
pub fn parse_schedule(schedule: &str) -> Result<(), String> {
    let inner = |prefix: &str| {
        schedule
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(')'))
    };
    if let Some(at) = inner("at(") {
        return k8s_openapi::jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M:%S", at)
            .map(drop)
            .map_err(|_| "has no valid date and time in at()".to_owned());
    }
    if let Some(rate) = inner("rate(") {
        let (value, unit) = rate
            .split_once(' ')
            .ok_or_else(|| "needs a value and a unit in rate()".to_owned())?;
        let value: u32 = value
            .parse()
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| "needs a positive whole number in rate()".to_owned())?;
        let unit_ok = match unit {
            "minute" | "hour" | "day" => value == 1,
            "minutes" | "hours" | "days" => value > 1,
            _ => false,
        };
        return unit_ok.then_some(()).ok_or_else(|| {
            "has no valid unit in rate() (minute for 1, minutes above, ...)".to_owned()
        });
    }
    if let Some(cron) = inner("cron(") {
        let fields: Vec<_> = cron.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(format!("has {} fields in cron(), not 6", fields.len()));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || ",-*/?LW#".contains(c);
        if let Some(bad) = fields.iter().find(|f| !f.chars().all(allowed)) {
            return Err(format!("has an invalid cron field \"{bad}\""));
        }
        if fields[2] != "?" && fields[4] != "?" {
            return Err("needs ? in day-of-month or day-of-week of cron()".into());
        }
        return Ok(());
    }
    Err("is not at(), rate() or cron()".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_three_forms_and_explains_the_rest() {
        for ok in [
            "at(2030-01-01T08:00:00)",
            "rate(1 hour)",
            "rate(15 minutes)",
            "cron(0/5 8-17 ? * MON-FRI *)",
        ] {
            assert_eq!(parse_schedule(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("at(tomorrow)", "at()"),
            ("rate(1 minutes)", "unit"),
            ("rate(x days)", "positive whole number"),
            ("cron(0 8 * * ? * *)", "7 fields"),
            ("cron(0 8 % * ? *)", "invalid cron field"),
            ("daily", "not at(), rate() or cron()"),
        ] {
            let err = parse_schedule(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
