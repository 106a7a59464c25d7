//! Timestamps are stored as fixed-width RFC 3339 strings in UTC so that they sort the same way
//! as text on every database backend.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn now() -> DateTime<Utc> {
    // Microsecond precision: what both SQLite text and PostgreSQL round-trip without loss.
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

pub fn to_db(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn from_db(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// German civil time (what publishers type into a form) as UTC: CET, and CEST from the last
/// Sunday of March to the last Sunday of October, switching at 01:00 UTC (the EU rule). A time
/// in the hour that does not exist or exists twice at a switch is read as winter time.
pub fn from_german_local(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    use chrono::{Datelike, Duration, NaiveDate};
    let last_sunday = |month: u32| {
        let mut d = NaiveDate::from_ymd_opt(t.year(), month, 31).unwrap_or_default();
        while d.weekday() != chrono::Weekday::Sun {
            d -= Duration::days(1);
        }
        d.and_hms_opt(1, 0, 0).unwrap_or_default()
    };
    let (start, end) = (last_sunday(3), last_sunday(10));
    let summer = t - Duration::hours(2);
    let utc = if summer >= start && summer < end - Duration::hours(1) {
        summer
    } else {
        t - Duration::hours(1)
    };
    utc.and_utc()
}

/// UTC as German civil time (the inverse of [`from_german_local`]).
pub fn to_german_local(t: &DateTime<Utc>) -> chrono::NaiveDateTime {
    let naive = t.naive_utc();
    let summer = naive + chrono::Duration::hours(2);
    if from_german_local(summer) == *t {
        summer
    } else {
        naive + chrono::Duration::hours(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_time() {
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        // Winter (CET, +1) and summer (CEST, +2), and the days around the switches of 2026
        // (29 March, 25 October).
        for (local, utc) in [
            ("2026-01-15 09:00", "2026-01-15T08:00:00Z"),
            ("2026-07-01 09:00", "2026-07-01T07:00:00Z"),
            ("2026-03-28 12:00", "2026-03-28T11:00:00Z"),
            ("2026-03-29 12:00", "2026-03-29T10:00:00Z"),
            ("2026-10-24 12:00", "2026-10-24T10:00:00Z"),
            ("2026-10-25 12:00", "2026-10-25T11:00:00Z"),
        ] {
            let u = from_german_local(at(local));
            assert_eq!(u.to_rfc3339_opts(SecondsFormat::Secs, true), utc, "{local}");
            assert_eq!(to_german_local(&u), at(local), "{local}");
        }
    }
}
