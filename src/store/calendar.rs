//! The calendar file in the data directory: `calendar.json`, written whole through [`super::write_atomic`], so
//! a crash leaves the old calendar or the new one. Bytes only; what they mean is the domain's business.

use std::path::{Path, PathBuf};

use super::{write_atomic, StoreError};

/// The calendar file: absent until an admin first changes the calendar (then the built-in one is in force).
pub fn path(dir: &Path) -> PathBuf {
    dir.join("calendar.json")
}

/// The stored calendar, or `None` if none was ever stored.
pub fn read(dir: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    super::read_if_present(&path(dir))
}

/// Replaces the stored calendar, durably (fsynced file and directory) before returning.
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
        write(dir.path(), b"{\"years\":{}}").unwrap();
        assert_eq!(
            read(dir.path()).unwrap().as_deref(),
            Some(&b"{\"years\":{}}"[..])
        );
    }
}
