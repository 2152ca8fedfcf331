//! The admins' tokens: the blob `tokens.json` of the [`Backend`] (in a data directory a file written whole
//! through `write_atomic_mode`, 0600), so a crash leaves the old list or the new one and a reader never sees
//! half of it. Changes take the backend's writers' lock: two `token add` runs never lose one another's token.
//!
//! Only SHA-256 hashes of the secrets are kept: a copy of the data directory does not let anyone act as an
//! admin. The secret is printed once by `yizhan token add` and is then gone. Revoking keeps the entry (with
//! `revoked_at`), so `token list` still says who the name was and a name is never silently reused.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::backend::Backend;
use super::StoreError;

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

/// What identifies the tokens' content cheaply (`None` when absent): the server re-reads them when it changes.
pub fn stamp(b: &dyn Backend) -> Option<u64> {
    b.stamp(FILE)
}

/// Every token, revoked ones included; none when there are none.
pub fn read(b: &dyn Backend) -> Result<Vec<TokenRecord>, TokenError> {
    let Some(bytes) = b.get(FILE)? else {
        return Ok(Vec::new());
    };
    serde_json::from_slice(&bytes).map_err(|e| TokenError::Damaged {
        path: PathBuf::from(FILE),
        reason: e.to_string(),
    })
}

fn write(b: &dyn Backend, tokens: &[TokenRecord]) -> Result<(), TokenError> {
    let mut bytes = serde_json::to_vec_pretty(tokens).map_err(|e| TokenError::Damaged {
        path: PathBuf::from(FILE),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    b.put(FILE, &bytes, true)?;
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
    b: &dyn Backend,
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
    let _held = b.lock()?;
    let mut all = read(b)?;
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
    write(b, &all)?;
    Ok(secret)
}

/// Marks the token `name` revoked (it keeps its entry); the server refuses it within a second.
pub fn revoke(b: &dyn Backend, name: &str) -> Result<TokenRecord, TokenError> {
    let _held = b.lock()?;
    let mut all = read(b)?;
    let t = all
        .iter_mut()
        .find(|t| t.name == name)
        .ok_or_else(|| TokenError::Unknown(name.to_owned()))?;
    if t.revoked_at.is_some() {
        return Err(TokenError::AlreadyRevoked(name.to_owned()));
    }
    t.revoked_at = Some(super::now_rfc3339());
    let done = t.clone();
    write(b, &all)?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_backend(p: &std::path::Path) -> crate::store::backend::Dir {
        crate::store::backend::Dir::open(p).unwrap()
    }

    #[test]
    fn add_stores_only_the_hash_and_revoke_keeps_the_entry() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = dir_backend(tmp.path());
        assert!(read(&dir).unwrap().is_empty());
        let secret = add(&dir, "chaoyang", &["朝阳区".into()], false).unwrap();
        assert!(secret.starts_with("yz_") && secret.len() == 51, "{secret}");
        assert!(secret[3..].bytes().all(|b| b.is_ascii_hexdigit()));
        let text = std::fs::read_to_string(tmp.path().join(FILE)).unwrap();
        assert!(!text.contains(&secret[3..]), "the secret is on disk");
        let all = read(&dir).unwrap();
        assert_eq!(all[0].sha256, hash_hex(secret.as_bytes()));
        assert_eq!(all[0].districts, ["朝阳区"]);
        assert!(matches!(
            add(&dir, "chaoyang", &[], true),
            Err(TokenError::Exists(_))
        ));
        revoke(&dir, "chaoyang").unwrap();
        assert!(read(&dir).unwrap()[0].revoked_at.is_some());
        assert!(matches!(
            revoke(&dir, "chaoyang"),
            Err(TokenError::AlreadyRevoked(_))
        ));
        assert!(matches!(
            revoke(&dir, "nobody"),
            Err(TokenError::Unknown(_))
        ));
    }

    #[test]
    fn names_are_plain_and_admin_is_reserved() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = dir_backend(tmp.path());
        for bad in ["", "admin", "a b", "host:x", &"x".repeat(65)] {
            assert!(
                matches!(add(&dir, bad, &[], false), Err(TokenError::BadName(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            add(&dir, "ok", &[" ".into()], false),
            Err(TokenError::BadDistrict(_))
        ));
    }
}
