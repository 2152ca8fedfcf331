//! The secret behind the hosts' confirmation links (未诉先办), and the keys derived from it.
//!
//! A link's key is HMAC-SHA256(secret, station id), so no per-station key has to be stored, printed QR codes
//! stay valid across restarts and uploads, and replacing the secret (`yizhan rotate-confirm-secret`)
//! invalidates every link at once. The secret is made once, on first start, from the OS's random source and
//! kept in the data directory as `confirm-secret` (64 hex digits, mode 0600). A damaged file stops the start:
//! quietly making a new secret would silently break every printed link.

use std::path::PathBuf;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::backend::Backend;
use super::StoreError;

/// The file in the data directory.
pub const FILE: &str = "confirm-secret";

/// Bytes of the HMAC kept in a key: 120 bits, far beyond guessing (the contract asks ≥ 80), and exactly 24
/// base32 characters, short enough for a small QR code.
const KEY_BYTES: usize = 15;

/// Characters of a key in a link.
pub const KEY_CHARS: usize = KEY_BYTES * 8 / 5;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("confirmation secret {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the confirmation secret {path} is damaged (it must hold exactly 64 hex digits); restore it from a backup, or delete it and run `yizhan rotate-confirm-secret` to make a new one, which invalidates every printed confirmation link")]
    Damaged { path: PathBuf },
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

/// The secret, in memory only. No `Debug`, so it cannot end up in a log.
pub struct ConfirmSecret([u8; 32]);

impl ConfirmSecret {
    /// Loads the store's secret, making and storing one on first start (under the writers' lock: replicas
    /// starting together agree on one).
    pub fn load_or_create(b: &dyn Backend) -> Result<ConfirmSecret, SecretError> {
        let path = b.local_dir().join(FILE);
        let io = |e: StoreError| SecretError::Io {
            path: path.clone(),
            source: e.into(),
        };
        if let Some(bytes) = b.get(FILE).map_err(io)? {
            return parse(&bytes).ok_or(SecretError::Damaged { path });
        }
        let _held = b.lock().map_err(io)?;
        if let Some(bytes) = b.get(FILE).map_err(io)? {
            return parse(&bytes).ok_or(SecretError::Damaged { path });
        }
        let secret = Self::random()?;
        secret.store(b)?;
        tracing::info!(store = b.kind(), "made a new confirmation-link secret");
        Ok(secret)
    }

    /// Replaces the store's secret with a new one (whether or not the old one is readable). Every link made
    /// before is refused from the next start of the server on.
    pub fn rotate(b: &dyn Backend) -> Result<ConfirmSecret, SecretError> {
        let secret = Self::random()?;
        secret.store(b)?;
        Ok(secret)
    }

    fn random() -> Result<ConfirmSecret, SecretError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| SecretError::Random(e.to_string()))?;
        Ok(ConfirmSecret(bytes))
    }

    fn store(&self, b: &dyn Backend) -> Result<(), SecretError> {
        let mut text = super::hex::encode(&self.0);
        text.push('\n');
        b.put(FILE, text.as_bytes(), true)
            .map_err(|e| SecretError::Io {
                path: b.local_dir().join(FILE),
                source: e.into(),
            })
    }

    /// The key of station `id`: 24 lowercase base32 characters (letters and digits 2–7, safe in a URL as is).
    pub fn key_for(&self, id: &str) -> String {
        base32(&self.mac(id)[..KEY_BYTES])
    }

    /// Whether `key` is the key of station `id`, in time that does not depend on where they differ.
    /// Case-insensitive: some QR readers upper-case what they read.
    pub fn verify(&self, id: &str, key: &str) -> bool {
        let want = self.key_for(id);
        let given = key.trim().to_ascii_lowercase();
        given.len() == want.len() && bool::from(given.as_bytes().ct_eq(want.as_bytes()))
    }

    fn mac(&self, id: &str) -> [u8; 32] {
        // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC accepts keys of every length"),
        };
        mac.update(id.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// Exactly 64 hex digits, optionally followed by one line end.
fn parse(bytes: &[u8]) -> Option<ConfirmSecret> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    super::hex::decode_32(text).map(ConfirmSecret)
}

/// RFC 4648 base32, lowercase, without padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc_4648() {
        // The RFC's test vectors, lowercased and without padding.
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "my");
        assert_eq!(base32(b"fo"), "mzxq");
        assert_eq!(base32(b"foobar"), "mzxw6ytboi");
    }

    #[test]
    fn keys_are_hmac_sha256_truncated() {
        // Computed independently: Python's hmac.new(bytes(range(32)), b"bj-chy-00042", sha256).
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = i as u8;
        }
        let s = ConfirmSecret(k);
        let mac = s.mac("bj-chy-00042");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "87de673690ff59cba5337f7b5fd4e89e555bb20357b8d07ac6461b63e70689a0"
        );
        let key = s.key_for("bj-chy-00042");
        assert_eq!(key.len(), KEY_CHARS);
        assert_eq!(key, base32(&mac[..KEY_BYTES]));
        assert!(s.verify("bj-chy-00042", &key));
        assert!(s.verify("bj-chy-00042", &key.to_ascii_uppercase()));
        assert!(!s.verify("bj-chy-00043", &key));
        assert!(!s.verify("bj-chy-00042", &key[..KEY_CHARS - 1]));
        assert!(!s.verify("bj-chy-00042", ""));
    }

    #[test]
    fn the_secret_is_made_once_kept_private_and_a_damaged_one_stops_the_start() {
        use std::fs;
        let tmp = tempfile::tempdir().unwrap();
        let dir = crate::store::backend::Dir::open(tmp.path()).unwrap();
        let other_tmp = tempfile::tempdir().unwrap();
        let other = crate::store::backend::Dir::open(other_tmp.path()).unwrap();
        let a = ConfirmSecret::load_or_create(&dir).unwrap();
        let b = ConfirmSecret::load_or_create(&dir).unwrap();
        assert_eq!(a.key_for("x"), b.key_for("x"), "loaded, not made anew");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(tmp.path().join(FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let c = ConfirmSecret::load_or_create(&other).unwrap();
        assert_ne!(a.key_for("x"), c.key_for("x"));

        fs::write(tmp.path().join(FILE), "abc123\n").unwrap();
        let err = ConfirmSecret::load_or_create(&dir).err().unwrap();
        assert!(matches!(err, SecretError::Damaged { .. }), "{err}");
        let text = fs::read_to_string(tmp.path().join(FILE)).unwrap();
        assert_eq!(
            text, "abc123\n",
            "a damaged secret is left for the operator"
        );

        let d = ConfirmSecret::rotate(&dir).unwrap();
        let e = ConfirmSecret::load_or_create(&dir).unwrap();
        assert_eq!(d.key_for("x"), e.key_for("x"));
        assert_ne!(d.key_for("x"), a.key_for("x"));
    }
}
