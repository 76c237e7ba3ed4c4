//! PDF dates (§7.9.4), always written in UTC.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Error, Result};

/// `D:YYYYMMDDHHmmSS+00'00'`.
pub(crate) fn pdf_date(t: SystemTime) -> Result<String> {
    // 9999-12-31T23:59:59Z: PDF dates have four year digits.
    const MAX_SECS: u64 = 253_402_300_799;
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Error::InvalidOptions("signing time is before 1970".into()))?
        .as_secs();
    if secs > MAX_SECS {
        return Err(Error::InvalidOptions("signing time is after 9999".into()));
    }
    // Bounded above, so the casts below are exact.
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    Ok(format!(
        "D:{y:04}{m:02}{d:02}{:02}{:02}{:02}+00'00'",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ))
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm), which
/// spares a date-time dependency for one conversion.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn known_dates() {
        let at = |s| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(
            pdf_date(at(0)).ok().as_deref(),
            Some("D:19700101000000+00'00'")
        );
        // 2000-02-29T12:34:56Z
        assert_eq!(
            pdf_date(at(951_827_696)).ok().as_deref(),
            Some("D:20000229123456+00'00'")
        );
        // 2024-12-31T23:59:59Z
        assert_eq!(
            pdf_date(at(1_735_689_599)).ok().as_deref(),
            Some("D:20241231235959+00'00'")
        );
        assert!(pdf_date(UNIX_EPOCH - Duration::from_secs(1)).is_err());
    }
}
