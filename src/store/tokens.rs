//! The admins' tokens: `tokens.json` in the data directory, written whole through [`write_atomic_mode`]
//! (0600), so a crash leaves the old list or the new one and a reader never sees half a file.
//!
//! Only SHA-256 hashes of the secrets are kept: a copy of the data directory does not let anyone act as an
//! admin. The secret is printed once by `yizhan token add` and is then gone. Revoking keeps the entry (with
//! `revoked_at`), so `token list` still says who the name was and a name is never silently reused.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{read_if_present, write_atomic_mode, StoreError};

/// The file, beside the dataset versions.
pub const FILE: &str = "tokens.json";

/// Random bytes in a secret: 24 bytes = 48 hex digits (192 bits) after the `yz_` prefix.
const SECRET_BYTES: usize = 24;

/// The prefix of every secret, so that a leaked one is recognisable (secret scanners, logs).
pub const SECRET_PREFIX: &str = "yz_";

/// Longest token name, in bytes.
pub const MAX_NAME_LEN: usize = 64;

/// One token as stored: never the secret itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenRecord {
    pub name: String,
    /// SHA-256 of the secret, 64 lowercase hex digits.
    pub sha256: String,
    /// The districts it may change; empty = all of them.
    #[serde(default)]
    pub districts: Vec<String>,
    #[serde(default)]
    pub read_only: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path} is damaged ({reason}); fix or remove it (every token in it stops working)")]
    Damaged { path: PathBuf, reason: String },
    #[error("a token name is 1 to {MAX_NAME_LEN} letters, digits, '.', '_' or '-', and not \"admin\"; got {0:?}")]
    BadName(String),
    #[error("a district is a non-empty name such as 朝阳区; got {0:?}")]
    BadDistrict(String),
    #[error("there is already a token named {0:?} (revoked names are not reused)")]
    Exists(String),
    #[error("no token named {0:?}")]
    Unknown(String),
    #[error("the token {0:?} is already revoked")]
    AlreadyRevoked(String),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// What identifies the file's content cheaply: its length and modification time (`None` when absent). The
/// server re-reads the file when this changes.
pub fn stamp(dir: &Path) -> Option<(u64, SystemTime)> {
    let m = std::fs::metadata(path(dir)).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// Every token, revoked ones included; none when the file is absent.
pub fn read(dir: &Path) -> Result<Vec<TokenRecord>, TokenError> {
    let p = path(dir);
    let Some(bytes) = read_if_present(&p)? else {
        return Ok(Vec::new());
    };
    serde_json::from_slice(&bytes).map_err(|e| TokenError::Damaged {
        path: p,
        reason: e.to_string(),
    })
}

fn write(dir: &Path, tokens: &[TokenRecord]) -> Result<(), TokenError> {
    let mut bytes = serde_json::to_vec_pretty(tokens).map_err(|e| TokenError::Damaged {
        path: path(dir),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    write_atomic_mode(&path(dir), &bytes, 0o600)?;
    Ok(())
}

/// The hex SHA-256 of a secret as sent (surrounding whitespace removed).
pub fn hash_hex(secret: &[u8]) -> String {
    super::hex::encode(&Sha256::digest(secret.trim_ascii()))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name != "admin"
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Adds a token and returns its secret (`yz_` + 48 hex digits from the OS RNG), which is not stored.
pub fn add(
    dir: &Path,
    name: &str,
    districts: &[String],
    read_only: bool,
) -> Result<String, TokenError> {
    if !valid_name(name) {
        return Err(TokenError::BadName(name.to_owned()));
    }
    let mut clean: Vec<String> = Vec::new();
    for d in districts {
        let d = d.trim();
        if d.is_empty() || d.chars().any(char::is_control) {
            return Err(TokenError::BadDistrict(d.to_owned()));
        }
        if !clean.iter().any(|c| c == d) {
            clean.push(d.to_owned());
        }
    }
    let mut all = read(dir)?;
    if all.iter().any(|t| t.name == name) {
        return Err(TokenError::Exists(name.to_owned()));
    }
    let mut random = [0u8; SECRET_BYTES];
    getrandom::fill(&mut random).map_err(|e| TokenError::Random(e.to_string()))?;
    let secret = format!("{SECRET_PREFIX}{}", super::hex::encode(&random));
    all.push(TokenRecord {
        name: name.to_owned(),
        sha256: hash_hex(secret.as_bytes()),
        districts: clean,
        read_only,
        created_at: super::now_rfc3339(),
        revoked_at: None,
    });
    write(dir, &all)?;
    Ok(secret)
}

/// Marks the token `name` revoked (it keeps its entry); the server refuses it within a second.
pub fn revoke(dir: &Path, name: &str) -> Result<TokenRecord, TokenError> {
    let mut all = read(dir)?;
    let t = all
        .iter_mut()
        .find(|t| t.name == name)
        .ok_or_else(|| TokenError::Unknown(name.to_owned()))?;
    if t.revoked_at.is_some() {
        return Err(TokenError::AlreadyRevoked(name.to_owned()));
    }
    t.revoked_at = Some(super::now_rfc3339());
    let done = t.clone();
    write(dir, &all)?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_stores_only_the_hash_and_revoke_keeps_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).unwrap().is_empty());
        let secret = add(dir.path(), "chaoyang", &["朝阳区".into()], false).unwrap();
        assert!(secret.starts_with("yz_") && secret.len() == 51, "{secret}");
        assert!(secret[3..].bytes().all(|b| b.is_ascii_hexdigit()));
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(!text.contains(&secret[3..]), "the secret is on disk");
        let all = read(dir.path()).unwrap();
        assert_eq!(all[0].sha256, hash_hex(secret.as_bytes()));
        assert_eq!(all[0].districts, ["朝阳区"]);
        assert!(matches!(
            add(dir.path(), "chaoyang", &[], true),
            Err(TokenError::Exists(_))
        ));
        revoke(dir.path(), "chaoyang").unwrap();
        assert!(read(dir.path()).unwrap()[0].revoked_at.is_some());
        assert!(matches!(
            revoke(dir.path(), "chaoyang"),
            Err(TokenError::AlreadyRevoked(_))
        ));
        assert!(matches!(
            revoke(dir.path(), "nobody"),
            Err(TokenError::Unknown(_))
        ));
    }

    #[test]
    fn names_are_plain_and_admin_is_reserved() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", "admin", "a b", "host:x", &"x".repeat(65)] {
            assert!(
                matches!(
                    add(dir.path(), bad, &[], false),
                    Err(TokenError::BadName(_))
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            add(dir.path(), "ok", &[" ".into()], false),
            Err(TokenError::BadDistrict(_))
        ));
    }
}
