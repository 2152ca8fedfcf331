//! The stored calendar: the blob `calendar.json` of the [`Backend`], replaced whole, so a crash leaves the old
//! calendar or the new one. Bytes only; what they mean is the domain's business.

use super::backend::Backend;
use super::StoreError;

/// Absent until an admin first changes the calendar (then the built-in one is in force).
pub const NAME: &str = "calendar.json";

/// The stored calendar, or `None` if none was ever stored.
pub fn read(b: &dyn Backend) -> Result<Option<Vec<u8>>, StoreError> {
    b.get(NAME)
}

/// Replaces the stored calendar, durably, before returning.
pub fn write(b: &dyn Backend, bytes: &[u8]) -> Result<(), StoreError> {
    b.put(NAME, bytes, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_until_written_then_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = super::super::backend::Dir::open(tmp.path()).unwrap();
        assert_eq!(read(&dir).unwrap(), None);
        write(&dir, b"{\"years\":{}}").unwrap();
        assert_eq!(read(&dir).unwrap().as_deref(), Some(&b"{\"years\":{}}"[..]));
    }
}
