//! The date-time and duration formats kafka-consumer-groups.sh accepts for
//! `--to-datetime` and `--by-duration`.

use regex::Regex;

/// Parses `YYYY-MM-DDTHH:mm:SS[.sss][Z|±hh:mm|±hhmm]` into epoch milliseconds. Without a zone
/// the time is local, as in Kafka.
pub fn parse_datetime(s: &str) -> Result<i64, String> {
    let re = Regex::new(
        r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}:?\d{2})?$",
    )
    .expect("valid regex");
    let bad = || {
        format!("Error parsing timestamp '{s}': expected the format 'YYYY-MM-DDTHH:mm:SS.sss' with an optional time zone ('Z', '+hh:mm')")
    };
    let c = re.captures(s).ok_or_else(bad)?;
    let n = |i: usize| {
        c.get(i)
            .map_or(0, |m| m.as_str().parse::<i64>().unwrap_or(0))
    };
    let (year, month, day, hour, minute, second) = (n(1), n(2), n(3), n(4), n(5), n(6));
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(bad());
    }
    let millis = c.get(7).map_or(0, |m| {
        let digits = m.as_str();
        digits.parse::<i64>().unwrap_or(0) * 10i64.pow(3 - digits.len() as u32)
    });
    let seconds = match c.get(8).map(|m| m.as_str()) {
        Some(zone) => {
            let offset = if zone == "Z" {
                0
            } else {
                let sign = if zone.starts_with('-') { -1 } else { 1 };
                let digits: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
                let (h, m) = digits.split_at(2);
                sign * (h.parse::<i64>().unwrap_or(0) * 3600 + m.parse::<i64>().unwrap_or(0) * 60)
            };
            days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        }
        None => local_epoch_seconds(year, month, day, hour, minute, second).ok_or_else(bad)?,
    };
    Ok(seconds * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Epoch seconds of a wall-clock time in the local time zone.
fn local_epoch_seconds(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    // SAFETY: `tm` is a plain C struct fully initialised here; mktime only reads and
    // normalises it.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        tm.tm_year = (y - 1900) as i32;
        tm.tm_mon = (mo - 1) as i32;
        tm.tm_mday = d as i32;
        tm.tm_hour = h as i32;
        tm.tm_min = mi as i32;
        tm.tm_sec = s as i32;
        tm.tm_isdst = -1;
        let t = libc::mktime(&mut tm);
        (t != -1).then_some(t as i64)
    }
}

/// Parses an ISO-8601 duration as Java's `Duration.parse` does (`PnDTnHnMn.nS`, e.g. `PT15M`,
/// `P1DT12H`) into milliseconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let re = Regex::new(
        r"(?i)^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$",
    )
    .expect("valid regex");
    let bad =
        || format!("Text cannot be parsed to a Duration: '{s}' (expected e.g. PT15M or P1DT2H)");
    let c = re.captures(s).ok_or_else(bad)?;
    if (2..=5).all(|i| c.get(i).is_none()) || s.to_ascii_uppercase().ends_with('T') {
        return Err(bad());
    }
    let n = |i: usize| -> Result<i64, String> {
        c.get(i)
            .map_or(Ok(0), |m| m.as_str().parse::<i64>().map_err(|_| bad()))
    };
    let seconds = n(2)? * 86_400 + n(3)? * 3600 + n(4)? * 60 + n(5)?;
    let fraction_ms = c.get(6).map_or(0, |m| {
        let digits = format!("{:0<3}", m.as_str());
        digits[..3].parse::<i64>().unwrap_or(0)
    });
    let sign_of_seconds = if c.get(5).is_some_and(|m| m.as_str().starts_with('-')) {
        -1
    } else {
        1
    };
    let total = seconds * 1000 + sign_of_seconds * fraction_ms;
    Ok(if &c[1] == "-" { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_with_zones() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00.000Z"), Ok(0));
        assert_eq!(
            parse_datetime("2026-06-21T00:00:00.000Z"),
            Ok(1_782_000_000_000)
        );
        assert_eq!(
            parse_datetime("2026-06-21T02:00:00.5+02:00"),
            Ok(1_782_000_000_500)
        );
        assert_eq!(
            parse_datetime("2026-06-20T22:00:00-0200"),
            Ok(1_782_000_000_000)
        );
        assert!(parse_datetime("2026-13-01T00:00:00").is_err());
        assert!(parse_datetime("yesterday").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT15M"), Ok(900_000));
        assert_eq!(parse_duration("P1DT2H"), Ok(93_600_000));
        assert_eq!(parse_duration("PT0.5S"), Ok(500));
        assert_eq!(parse_duration("-PT1S"), Ok(-1000));
        assert!(parse_duration("P").is_err());
        assert!(parse_duration("PT").is_err());
        assert!(parse_duration("15m").is_err());
    }
}
