//! The demand counts in the store: the blob `insights.txt` of a data directory, or on PostgreSQL one blob per
//! replica (`insights/<replica>.txt`, the replica named by a random id kept in its data directory), each
//! written whole at the replica's flush (a crash leaves the previous minute's counts). The reports add the
//! replicas' blobs up. Bytes only; the insights module encodes them.

use super::backend::Backend;
use super::StoreError;

/// The blob of this process's counts.
pub fn own_name(b: &dyn Backend) -> Result<String, StoreError> {
    if !b.shared() {
        return Ok("insights.txt".to_owned());
    }
    let p = b.local_dir().join("replica-id");
    let id = match super::read_if_present(&p)? {
        Some(id) if !id.trim_ascii().is_empty() => {
            String::from_utf8_lossy(id.trim_ascii()).into_owned()
        }
        _ => {
            let mut r = [0u8; 8];
            getrandom::fill(&mut r).map_err(|e| StoreError::Config(format!("random: {e}")))?;
            let id = super::hex::encode(&r);
            super::write_atomic(&p, id.as_bytes())?;
            id
        }
    };
    Ok(format!("insights/{id}.txt"))
}

/// The stored counts of `name`, or `None` before its first flush.
pub fn read(b: &dyn Backend, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
    b.get(name)
}

/// The other replicas' stored counts (none on a data directory).
pub fn others(b: &dyn Backend, own: &str) -> Result<Vec<Vec<u8>>, StoreError> {
    if !b.shared() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for name in b.list("insights/")? {
        if name != own {
            out.extend(b.get(&name)?);
        }
    }
    Ok(out)
}

/// Replaces the stored counts, durably, before returning.
pub fn write(b: &dyn Backend, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    b.put(name, bytes, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_until_written_then_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = super::super::backend::Dir::open(tmp.path()).unwrap();
        let name = own_name(&dir).unwrap();
        assert_eq!(name, "insights.txt");
        assert_eq!(read(&dir, &name).unwrap(), None);
        write(&dir, &name, b"yizhan-insights 1 0 0\n").unwrap();
        assert_eq!(
            read(&dir, &name).unwrap().as_deref(),
            Some(&b"yizhan-insights 1 0 0\n"[..])
        );
        assert!(others(&dir, &name).unwrap().is_empty());
    }
}
