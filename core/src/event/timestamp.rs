//! `occurredAt` as an instant: milliseconds since the Unix epoch, UTC, so two
//! events compare (and will be ordered) without parsing text again.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A UTC instant with millisecond precision; orders as time does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Text that is not an RFC 3339 time with an offset (`Z` or `±hh:mm`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an RFC 3339 time like 2026-11-30T09:00:00Z")]
pub struct InvalidTimestamp(pub String);

impl Timestamp {
    /// The instant this many milliseconds after 1970-01-01T00:00:00Z.
    pub fn from_millis(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    /// Milliseconds since 1970-01-01T00:00:00Z (negative before).
    pub fn millis(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 (`2026-11-30T09:00:00Z`, `2026-11-30T10:00:00.250+01:00`).
    /// The offset is required; digits past the millisecond are dropped.
    pub fn parse(text: &str) -> Result<Timestamp, InvalidTimestamp> {
        // The `time` parser also takes the space RFC 3339 allows "by mutual
        // agreement"; the grammar itself says `T`, and so does our contract.
        if !matches!(text.as_bytes().get(10), Some(b'T' | b't')) {
            return Err(InvalidTimestamp(text.to_string()));
        }
        let at = OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|_| InvalidTimestamp(text.to_string()))?;
        let ms = at.unix_timestamp_nanos().div_euclid(1_000_000);
        i64::try_from(ms)
            .map(Timestamp)
            .map_err(|_| InvalidTimestamp(text.to_string()))
    }

    /// RFC 3339 in UTC with three fractional digits, e.g. `2026-11-30T09:00:00.000Z`.
    pub fn format(self) -> String {
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .ok()
            .and_then(|t| t.format(&format).ok())
            .unwrap_or_else(|| self.0.to_string())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format())
    }
}

impl std::str::FromStr for Timestamp {
    type Err = InvalidTimestamp;

    fn from_str(s: &str) -> Result<Timestamp, InvalidTimestamp> {
        Timestamp::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse_request;
    use serde_json::json;

    const NINE_UTC: i64 = 1_796_029_200_000; // 2026-11-30T09:00:00Z

    #[test]
    fn parses_utc_and_offsets_to_the_same_instant() {
        assert_eq!(
            Timestamp::parse("2026-11-30T09:00:00Z").unwrap().millis(),
            NINE_UTC
        );
        for same in [
            "2026-11-30T10:00:00+01:00",
            "2026-11-30T04:30:00-04:30",
            "2026-11-30T09:00:00+00:00",
            "2026-11-30T09:00:00.000Z",
        ] {
            assert_eq!(
                Timestamp::parse(same).unwrap(),
                Timestamp::from_millis(NINE_UTC),
                "{same}"
            );
        }
        assert_eq!(
            Timestamp::parse("2026-11-30T09:00:00.250Z")
                .unwrap()
                .millis(),
            NINE_UTC + 250
        );
        // Sub-millisecond digits are dropped, never rounded up.
        assert_eq!(
            Timestamp::parse("2026-11-30T09:00:00.999999Z")
                .unwrap()
                .millis(),
            NINE_UTC + 999
        );
    }

    #[test]
    fn orders_as_time_does_and_formats_in_utc() {
        let early = Timestamp::parse("2026-11-30T09:30:00+01:00").unwrap();
        let late = Timestamp::parse("2026-11-30T09:00:00Z").unwrap();
        assert!(early < late);
        assert_eq!(early.format(), "2026-11-30T08:30:00.000Z");
        assert_eq!(Timestamp::parse(&late.to_string()).unwrap(), late);
        assert_eq!(
            Timestamp::parse("1969-12-31T23:59:59.999Z")
                .unwrap()
                .millis(),
            -1
        );
    }

    #[test]
    fn refuses_what_is_not_rfc_3339() {
        for bad in [
            "yesterday",
            "",
            "2026-11-30",
            "2026-11-30T09:00:00",
            "2026-11-30 09:00:00Z",
            "2026-11-30T09:00Z",
            "2026-13-01T09:00:00Z",
            "2026-02-30T09:00:00Z",
            "2026-11-30T25:00:00Z",
            "2026-11-30T09:00:00+0100",
            "2026-11-30T09:00:00+01",
            " 2026-11-30T09:00:00Z",
            "2026-11-30T09:00:00Z ",
            "1764493200000",
        ] {
            let e = Timestamp::parse(bad).expect_err(bad);
            assert!(e.to_string().contains("RFC 3339"), "{bad}: {e}");
        }
    }

    fn event(occurred_at: serde_json::Value) -> serde_json::Value {
        json!({"schemaVersion": "1", "eventId": "e", "lifecycle": "leaver",
            "occurredAt": occurred_at, "worker": {"hrId": "E1"}})
    }

    #[test]
    fn events_carry_it_and_name_the_field_when_it_is_wrong() {
        let r = parse_request(&event(json!("2026-11-30T10:00:00+01:00"))).unwrap();
        assert_eq!(r.occurred_at, Some(Timestamp::from_millis(NINE_UTC)));
        let mut absent = event(json!(null));
        absent.as_object_mut().unwrap().remove("occurredAt");
        assert_eq!(parse_request(&absent).unwrap().occurred_at, None);
        for bad in [json!("2026-11-30T09:00:00"), json!("30/11/2026"), json!(3)] {
            let e = parse_request(&event(bad.clone())).unwrap_err();
            assert_eq!(e.field, "occurredAt", "{bad}: {e}");
        }
    }
}
