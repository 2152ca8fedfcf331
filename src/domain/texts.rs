//! How a station's five strings are laid out: one slice of a text block shared with other stations, with the
//! byte lengths packed into one `u64`. A million stations then cost their text bytes plus 48 bytes each, instead
//! of a heap block (with its malloc header and rounding) per station.

use std::sync::Arc;

/// Bits of the id's length: ids are at most [`super::station::StationId::MAX_LEN`] bytes.
pub(super) const ID_BITS: u32 = 8;
/// Bits of each other text's length: 16,383 bytes, far more than validation allows (500 characters).
pub(super) const TEXT_BITS: u32 = 14;

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(super) fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The largest block [`pack_texts`] makes: offsets into it must fit a `u32`.
const MAX_BLOCK: usize = u32::MAX as usize;

/// A value whose texts are a slice of a shared block (a station).
pub trait InBlock {
    /// All its texts, concatenated: the bytes it needs in a block.
    fn text(&self) -> &str;
    fn block(&self) -> &Arc<Box<str>>;
    /// Points it at `block[start..]`, which holds exactly its [`InBlock::text`].
    fn move_to(&mut self, block: Arc<Box<str>>, start: u32);
}

/// Moves the texts of `stations` into shared blocks, in order (one block up to 4 GiB of text), unless they
/// already are: each station built by `Station::new` has a block of its own (a heap block and an `Arc` per
/// station), and stations cloned from another dataset keep that dataset's whole block alive.
pub fn pack_texts<T: InBlock>(stations: &mut [T]) {
    let used: usize = stations.iter().map(|s| s.text().len()).sum();
    let mut held = 0usize;
    let mut last: Option<&Arc<Box<str>>> = None;
    for s in stations.iter() {
        if !last.is_some_and(|b| Arc::ptr_eq(b, s.block())) {
            held += s.block().len();
            last = Some(s.block());
        }
    }
    // Packed already (blocks in runs, holding little else): a restart or a PUT builds them this way.
    if count_runs(stations) <= used / MAX_BLOCK + 1 && held <= used + used / 16 {
        return;
    }
    let mut from = 0;
    while from < stations.len() {
        let mut buf = String::with_capacity(used.min(MAX_BLOCK));
        let mut starts = Vec::new();
        let mut to = from;
        while let Some(s) = stations.get(to) {
            let t = s.text();
            if !buf.is_empty() && buf.len() + t.len() > MAX_BLOCK {
                break;
            }
            starts.push(buf.len() as u32);
            buf.push_str(t);
            to += 1;
        }
        let block = Arc::new(buf.into_boxed_str());
        for (s, start) in stations[from..to].iter_mut().zip(starts) {
            s.move_to(block.clone(), start);
        }
        from = to;
    }
}

/// The number of runs of consecutive stations that share a block.
fn count_runs<T: InBlock>(stations: &[T]) -> usize {
    stations
        .windows(2)
        .filter(|w| !Arc::ptr_eq(w[0].block(), w[1].block()))
        .count()
        + usize::from(!stations.is_empty())
}
