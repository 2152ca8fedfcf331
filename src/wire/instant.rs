//! Instants as the API writes them, fast: a read answer writes one or two per station.

/// Appends `YYYY-MM-DDThh:mm:ss±hh:mm` (`Z` for UTC when `zulu`) as chrono's `to_rfc3339_opts(Secs, zulu)`
/// writes it, from the Unix second by integer arithmetic. One writer for both of a feature's instants:
/// `next_change_at` (local, with its offset) and `verified_at` (UTC), which went through chrono's formatter
/// and a `String` for each feature. Returns false, writing nothing, for a year outside 0000–9999 or an
/// offset that is not whole minutes (the caller falls back to chrono).
pub fn write_instant(out: &mut Vec<u8>, unix: i64, offset_secs: i32, zulu: bool) -> bool {
    let local = unix + i64::from(offset_secs);
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    if !(0..=9999).contains(&y) || offset_secs % 60 != 0 {
        return false;
    }
    let sod = local.rem_euclid(86_400) as u32;
    let mut b = *b"0000-00-00T00:00:00+00:00";
    let two = |b: &mut [u8; 25], at: usize, n: u32| {
        b[at] = b'0' + (n / 10) as u8;
        b[at + 1] = b'0' + (n % 10) as u8;
    };
    let y = y as u32;
    two(&mut b, 0, y / 100);
    two(&mut b, 2, y % 100);
    two(&mut b, 5, m);
    two(&mut b, 8, d);
    two(&mut b, 11, sod / 3600);
    two(&mut b, 14, sod / 60 % 60);
    two(&mut b, 17, sod % 60);
    if zulu && offset_secs == 0 {
        b[19] = b'Z';
        out.extend_from_slice(&b[..20]);
        return true;
    }
    if offset_secs < 0 {
        b[19] = b'-';
    }
    let m = offset_secs.unsigned_abs() / 60;
    two(&mut b, 20, m / 60);
    two(&mut b, 23, m % 60);
    out.extend_from_slice(&b);
    true
}

/// The proleptic Gregorian (year, month, day) of a day number counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, FixedOffset, SecondsFormat};

    /// The calendar's edges (year 0 and 9999, century leap rules, offsets either side) against chrono; the
    /// property test below covers random instants.
    #[test]
    fn write_instant_matches_chrono_at_the_edges() {
        let edges = [
            -62_167_219_200, // 0000-01-01T00:00:00Z
            253_402_300_799, // 9999-12-31T23:59:59Z
            951_782_400,     // 2000-02-29
            -2_203_891_200,  // 1900-03-01 (1900 is not a leap year)
            4_107_456_000,   // 2100-02-28
            0,
            -1,
        ];
        for unix in edges {
            for off in [0, 8 * 3600, -(9 * 3600 + 30 * 60), 14 * 3600] {
                let t = DateTime::from_timestamp(unix, 0).unwrap();
                let zone = FixedOffset::east_opt(off).unwrap();
                for zulu in [false, true] {
                    let mut got = Vec::new();
                    let written = write_instant(&mut got, unix, off, zulu);
                    let want = t
                        .with_timezone(&zone)
                        .to_rfc3339_opts(SecondsFormat::Secs, zulu);
                    if written {
                        assert_eq!(String::from_utf8(got).unwrap(), want, "{unix} {off} {zulu}");
                    } else {
                        let year = chrono::Datelike::year(&t.with_timezone(&zone));
                        assert!(got.is_empty() && !(0..=9999).contains(&year), "{want}");
                    }
                }
            }
        }
        assert!(
            !write_instant(&mut Vec::new(), 253_402_300_800, 0, true),
            "year 10000"
        );
        assert!(
            !write_instant(&mut Vec::new(), 0, 8 * 3600 + 1, false),
            "an offset with seconds"
        );
    }
}
