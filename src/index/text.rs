//! The text index behind `q`: which stations have each character, so that a search which matches few
//! stations never walks them all.
//!
//! A station has a character when its case-folded name or address holds it (the caller folds; see
//! [`crate::domain::query::lower_chars`]). A station whose text contains the query holds every character of
//! the query, so the stations holding all of them are a superset of the matches: the caller checks each with
//! the exact matcher. Postings are sorted `u32` lists for rare characters and bitmaps (one bit per station)
//! for those held by more than 1/32 of the stations, whichever is smaller: at most 4 bytes a posting, and a
//! common character costs `n / 8` bytes however common it is.

/// Query characters whose candidates exceed this share of the stations are not worth answering from the
/// candidates: the ordinary walk meets matches soon enough.
pub const FEW_SHARE: usize = 16;

/// Characters held by more than `n / DENSE_SHARE` stations are stored as bitmaps (cheaper than 4 bytes each).
const DENSE_SHARE: usize = 32;

/// Per character, the stations that hold it.
pub struct TextIndex {
    n: usize,
    /// Sorted by character; the posting's slot in `postings`.
    chars: Vec<(char, u32)>,
    postings: Vec<Postings>,
}

enum Postings {
    /// Station indices, ascending.
    List(Box<[u32]>),
    Bits(Bitmap),
}

impl Postings {
    fn len(&self) -> usize {
        match self {
            Postings::List(l) => l.len(),
            Postings::Bits(b) => b.count,
        }
    }

    fn contains(&self, i: u32) -> bool {
        match self {
            Postings::List(l) => l.binary_search(&i).is_ok(),
            Postings::Bits(b) => b.contains(i),
        }
    }
}

/// One bit per station.
#[derive(Clone)]
pub struct Bitmap {
    words: Box<[u64]>,
    count: usize,
}

impl Bitmap {
    fn empty(n: usize) -> Bitmap {
        Bitmap {
            words: vec![0u64; n.div_ceil(64)].into_boxed_slice(),
            count: 0,
        }
    }

    fn set(&mut self, i: u32) {
        let (w, b) = (i as usize / 64, i % 64);
        self.count += usize::from(self.words[w] & (1 << b) == 0);
        self.words[w] |= 1 << b;
    }

    pub fn contains(&self, i: u32) -> bool {
        self.words
            .get(i as usize / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn and(&mut self, o: &Bitmap) {
        for (a, b) in self.words.iter_mut().zip(o.words.iter()) {
            *a &= b;
        }
        self.count = self.words.iter().map(|w| w.count_ones() as usize).sum();
    }

    fn indices(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.count);
        for (k, &w) in self.words.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                out.push(k as u32 * 64 + w.trailing_zeros());
                w &= w - 1;
            }
        }
        out
    }
}

/// The stations that may match a query, by what its characters allow.
pub enum Candidates {
    /// Every station may match (an empty query).
    All,
    /// At most `n / FEW_SHARE` stations, ascending: answer from these.
    Few(Vec<u32>),
    /// More than that: walk as usual, but skip stations outside the set without loading them.
    Many(Bitmap),
}

impl Candidates {
    /// Whether station `i` may match.
    pub fn contains(&self, i: u32) -> bool {
        match self {
            Candidates::All => true,
            Candidates::Few(v) => v.binary_search(&i).is_ok(),
            Candidates::Many(b) => b.contains(i),
        }
    }
}

impl TextIndex {
    /// `texts(i, out)` must push (in any order, repeats allowed) the characters of station `i`'s folded
    /// texts, for `i` in `0..n`; it is called twice per station (counting, then filling), so that the build
    /// never holds more than the postings themselves.
    pub fn build(n: usize, mut texts: impl FnMut(u32, &mut Vec<char>)) -> TextIndex {
        let mut buf = Vec::new();
        let mut each = |f: &mut dyn FnMut(u32, &[char])| {
            for i in 0..n as u32 {
                buf.clear();
                texts(i, &mut buf);
                buf.sort_unstable();
                buf.dedup();
                f(i, &buf);
            }
        };
        let mut counts: std::collections::HashMap<char, usize> = Default::default();
        each(&mut |_, cs| {
            for &c in cs {
                *counts.entry(c).or_default() += 1;
            }
        });
        let mut chars: Vec<(char, usize)> = counts.into_iter().collect();
        chars.sort_unstable();
        let dense = |count: usize| count * DENSE_SHARE > n;
        let mut lists: Vec<Vec<u32>> = chars
            .iter()
            .map(|&(_, count)| Vec::with_capacity(if dense(count) { 0 } else { count }))
            .collect();
        let mut bits: Vec<Option<Bitmap>> = chars
            .iter()
            .map(|&(_, count)| dense(count).then(|| Bitmap::empty(n)))
            .collect();
        let slot = |c: char| chars.binary_search_by_key(&c, |&(c, _)| c).ok();
        each(&mut |i, cs| {
            for &c in cs {
                let Some(s) = slot(c) else { continue };
                match &mut bits[s] {
                    Some(b) => b.set(i),
                    None => lists[s].push(i),
                }
            }
        });
        let postings = lists
            .into_iter()
            .zip(bits)
            .map(|(l, b)| match b {
                Some(b) => Postings::Bits(b),
                None => Postings::List(l.into_boxed_slice()),
            })
            .collect();
        TextIndex {
            n,
            chars: chars
                .into_iter()
                .enumerate()
                .map(|(s, (c, _))| (c, s as u32))
                .collect(),
            postings,
        }
    }

    /// The stations holding every character of `needle` (already folded as the texts were).
    pub fn candidates(&self, needle: &str) -> Candidates {
        let mut want: Vec<char> = needle.chars().collect();
        want.sort_unstable();
        want.dedup();
        if want.is_empty() {
            return Candidates::All;
        }
        let mut lists = Vec::with_capacity(want.len());
        for c in want {
            match self.chars.binary_search_by_key(&c, |&(c, _)| c) {
                Ok(k) => lists.push(&self.postings[self.chars[k].1 as usize]),
                Err(_) => return Candidates::Few(Vec::new()),
            }
        }
        lists.sort_by_key(|p| p.len());
        let (first, rest) = (lists[0], &lists[1..]);
        let few = self.n / FEW_SHARE;
        match first {
            Postings::List(l) => Candidates::Few(
                l.iter()
                    .copied()
                    .filter(|&i| rest.iter().all(|p| p.contains(i)))
                    .collect(),
            ),
            Postings::Bits(b) => {
                // Every list is a bitmap here (lists are the shortest postings).
                let mut acc = b.clone();
                for p in rest {
                    if let Postings::Bits(o) = p {
                        acc.and(o);
                    }
                }
                if acc.count <= few {
                    Candidates::Few(acc.indices())
                } else {
                    Candidates::Many(acc)
                }
            }
        }
    }

    /// Heap bytes held (postings and the character table), for the figures in docs/BENCHMARKS.md.
    pub fn heap_bytes(&self) -> usize {
        let postings: usize = self
            .postings
            .iter()
            .map(|p| match p {
                Postings::List(l) => l.len() * 4,
                Postings::Bits(b) => b.words.len() * 8,
            })
            .sum();
        postings
            + self.chars.capacity() * std::mem::size_of::<(char, u32)>()
            + self.postings.capacity() * std::mem::size_of::<Postings>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn index(texts: &[String]) -> TextIndex {
        TextIndex::build(texts.len(), |i, out| out.extend(texts[i as usize].chars()))
    }

    proptest! {
        /// The candidates are exactly the stations that hold every character of the query, whichever form
        /// the postings take (few stations: all lists; many: bitmaps).
        #[test]
        fn candidates_hold_every_character(
            texts in prop::collection::vec("[abcdé北京站]{0,6}", 0..200),
            q in "[abcdé北京站x]{0,4}",
        ) {
            let ix = index(&texts);
            let got = ix.candidates(&q);
            for (i, t) in texts.iter().enumerate() {
                let want = q.chars().all(|c| t.contains(c));
                prop_assert_eq!(got.contains(i as u32), want, "{:?} {:?}", t, q);
            }
            if let Candidates::Few(v) = &got {
                prop_assert!(v.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }
}
