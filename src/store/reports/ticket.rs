//! Tickets: the rider's key to a case. 60 random bits from the OS (one rider cannot guess another's case, even
//! by trying millions), written in Crockford base32 so that it survives being read aloud or typed on a phone.

/// Crockford's base32: no I, L, O or U, which are misread as 1, 1, 0 or V.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a ticket (5 bits each), shown in groups of four.
pub const TICKET_CHARS: usize = 12;

/// A new random ticket, `XXXX-XXXX-XXXX`.
pub fn new_ticket() -> std::io::Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| std::io::Error::other(format!("no randomness from the OS: {e}")))?;
    let mut n = u64::from_le_bytes(bytes);
    let mut out = String::with_capacity(TICKET_CHARS + 2);
    for i in 0..TICKET_CHARS {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[(n & 31) as usize]));
        n >>= 5;
    }
    Ok(out)
}

/// The lookup key of a ticket as a person may type it: any case, with or without dashes or spaces, and the
/// letters Crockford reads as digits (`O` → 0, `I`/`L` → 1). `None` if it cannot be a ticket.
pub fn normalize(s: &str) -> Option<String> {
    let mut out = String::with_capacity(TICKET_CHARS);
    for c in s.chars().filter(|c| !matches!(c, '-' | ' ')) {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || out.len() == TICKET_CHARS {
            return None;
        }
        out.push(c);
    }
    (out.len() == TICKET_CHARS).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_are_random_and_typed_loosely() {
        let a = new_ticket().unwrap();
        let b = new_ticket().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 14, "{a}");
        assert_eq!(a.as_bytes()[4], b'-');
        let key = normalize(&a).unwrap();
        assert_eq!(normalize(&a.to_lowercase()), Some(key.clone()));
        assert_eq!(normalize(&key), Some(key.clone()));
        assert_eq!(normalize("O1L0-abcd-efgh"), Some("0110ABCDEFGH".into()));
        for bad in [
            "",
            "ABCD",
            "ABCD-EFGH-JKMNP",
            "ABCD-EFGH-JKMU",
            "ABCD-EFGH-JKM名",
            "../../etc",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }
}
