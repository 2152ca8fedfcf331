//! The demand counts in the data directory: `insights.txt`, written whole through [`super::write_atomic`] at
//! each flush (a crash leaves the previous minute's counts). Bytes only; the insights module encodes them.
//! A shared (PostgreSQL) store would instead add each flush's delta to its rows, so replicas add up; the
//! flush hands over the delta for that reason.

use std::path::{Path, PathBuf};

use super::{write_atomic, StoreError};

pub fn path(dir: &Path) -> PathBuf {
    dir.join("insights.txt")
}

/// The stored counts, or `None` before the first flush.
pub fn read(dir: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    super::read_if_present(&path(dir))
}

/// Replaces the stored counts, durably, before returning.
pub fn write(dir: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    write_atomic(&path(dir), bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_until_written_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        write(dir.path(), b"yizhan-insights 1 0 0\n").unwrap();
        assert_eq!(
            read(dir.path()).unwrap().as_deref(),
            Some(&b"yizhan-insights 1 0 0\n"[..])
        );
    }
}
