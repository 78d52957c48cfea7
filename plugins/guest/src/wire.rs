//! The byte layout of ABI v3 (see `plugins/ABI.md`): little-endian numbers
//! and length-prefixed UTF-8 strings, read and written by the guest SDK and
//! by the Muster host alike.
//!
//! ```
//! use muster_guest::wire::{Reader, Writer};
//!
//! let mut w = Writer::default();
//! w.f64(2.5);
//! w.str("knockdown");
//! let bytes = w.into_bytes();
//! let mut r = Reader::new(&bytes, "the record");
//! assert_eq!(r.f64().unwrap(), 2.5);
//! assert_eq!(r.str().unwrap(), "knockdown");
//! r.finish().unwrap();
//! ```

/// Tag of a result that is a score card.
pub const CARD: u8 = 0;
/// Tag of a result that is an error message.
pub const ERROR: u8 = 1;

/// A task's status: done.
pub const TASK_DONE: u8 = 0;
/// A task's status: failed.
pub const TASK_FAILED: u8 = 1;
/// A task's status: skipped.
pub const TASK_SKIPPED: u8 = 2;

/// No rating given.
pub const RATING_NONE: u8 = 0;
/// Rating `P`.
pub const RATING_P: u8 = 1;
/// Rating `S`.
pub const RATING_S: u8 = 2;
/// Rating `M`.
pub const RATING_M: u8 = 3;
/// Rating `U`.
pub const RATING_U: u8 = 4;

/// A card's status: valid.
pub const STATUS_VALID: u8 = 0;
/// A card's status: did not finish.
pub const STATUS_DNF: u8 = 1;
/// A card's status: disqualified.
pub const STATUS_DQ: u8 = 2;

/// A record's context flag: the scenario id and version follow.
pub const CONTEXT_SCENARIO: u8 = 1;
/// A record's context flag: the critical task ids follow.
pub const CONTEXT_CRITICAL: u8 = 2;
/// A record's context flag: the task ids follow.
pub const CONTEXT_TASK_IDS: u8 = 4;
/// Every context flag.
pub const CONTEXT_ALL: u8 = CONTEXT_SCENARIO | CONTEXT_CRITICAL | CONTEXT_TASK_IDS;

/// A card's per-task entry carries points.
pub const HAS_POINTS: u8 = 1;
/// A card's per-task entry carries a note.
pub const HAS_NOTE: u8 = 2;

/// Writes numbers and strings in the ABI v3 layout.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// A writer that appends to `buf` (cleared first), so a caller can reuse
    /// its allocation.
    pub fn reuse(mut buf: Vec<u8>) -> Writer {
        buf.clear();
        Writer { buf }
    }

    /// One byte.
    #[inline]
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// A little-endian `u32`.
    #[inline]
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A little-endian IEEE 754 double.
    #[inline]
    pub fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A count or length as a `u32`, saturating (a longer list is refused by
    /// the reader's size checks, never wrapped).
    #[inline]
    pub fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }

    /// A string: its length in bytes as a `u32`, then its UTF-8 bytes.
    #[inline]
    pub fn str(&mut self, s: &str) {
        self.len(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// Raw bytes, with no length.
    #[inline]
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// Overwrites the `u32` at `at` (written earlier as a placeholder).
    pub fn patch_u32(&mut self, at: usize, v: u32) {
        if let Some(slot) = self.buf.get_mut(at..at + 4) {
            slot.copy_from_slice(&v.to_le_bytes());
        }
    }

    /// Bytes written so far.
    pub fn position(&self) -> usize {
        self.buf.len()
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// The bytes written, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }
}

/// Whether two byte strings are equal, compared eight bytes at a time.
///
/// On wasm32 a slice comparison is a call to `memcmp`, a loop over single
/// bytes: it was 8% of a batch record's time, comparing strings the guest
/// already holds with the ones the next record brings. Here a string of 8
/// bytes or more is compared in 8-byte words (the last word overlapping
/// the one before it), a shorter one in a word of 4, 2 and 1 bytes.
#[inline(always)]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    if n >= 8 {
        let mut at = 0;
        while at + 8 <= n {
            if word(a, at) != word(b, at) {
                return false;
            }
            at += 8;
        }
        return at == n || word(a, n - 8) == word(b, n - 8);
    }
    let mut at = 0;
    if n & 4 != 0 {
        let x = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        if x(a) != x(b) {
            return false;
        }
        at = 4;
    }
    if n & 2 != 0 {
        if a[at] != b[at] || a[at + 1] != b[at + 1] {
            return false;
        }
        at += 2;
    }
    n & 1 == 0 || a[at] == b[at]
}

/// Whether every byte is ASCII, checked eight bytes at a time.
///
/// `std::str::from_utf8` checks a string as short as a record's ids and
/// codes a byte at a time, with a branch for each. ASCII is UTF-8, so a
/// string that passes needs no other check.
#[inline(always)]
fn is_ascii(b: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    let mut any = 0u64;
    for c in &mut chunks {
        any |= u64::from_le_bytes(c.try_into().unwrap_or([0xff; 8]));
    }
    let mut tail = 0u8;
    for &x in chunks.remainder() {
        tail |= x;
    }
    any & HIGH == 0 && tail < 0x80
}

/// `b` as text: ASCII, checked a word at a time, or else whatever
/// `std::str::from_utf8` says of it.
#[inline(always)]
fn utf8(b: &[u8]) -> Result<&str, std::str::Utf8Error> {
    if is_ascii(b) {
        // SAFETY: every byte is below 0x80, and ASCII text is UTF-8.
        Ok(unsafe { std::str::from_utf8_unchecked(b) })
    } else {
        std::str::from_utf8(b)
    }
}

/// Reads the ABI v3 layout from bytes it does not trust: every read is
/// bounds-checked, and an error names what was being read and the byte
/// offset where it went wrong.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`; `what` ("the record", "the result") starts
    /// every error message.
    pub fn new(bytes: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader {
            bytes,
            pos: 0,
            what,
        }
    }

    #[inline(always)]
    fn take(&mut self, n: usize, item: &str) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let out = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(out)
            }
            None => Err(self.short(n, item)),
        }
    }

    // The messages are built out of line, so that the reads that succeed
    // stay small enough to inline.
    #[cold]
    #[inline(never)]
    fn short(&self, n: usize, item: &str) -> String {
        format!(
            "{} ends at byte {} in the middle of {item} ({n} bytes wanted, {} left)",
            self.what,
            self.pos,
            self.bytes.len() - self.pos
        )
    }

    #[cold]
    #[inline(never)]
    fn not_utf8(&self, at: usize, e: std::str::Utf8Error) -> String {
        format!(
            "{} has a string at byte {at} that is not UTF-8 ({e})",
            self.what
        )
    }

    /// One byte.
    #[inline(always)]
    pub fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1, "a byte")?[0])
    }

    /// A little-endian `u32`.
    #[inline(always)]
    pub fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4, "a 4-byte number")?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A little-endian IEEE 754 double.
    #[inline(always)]
    pub fn f64(&mut self) -> Result<f64, String> {
        let b = self.take(8, "an 8-byte number")?;
        let mut a = [0; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }

    /// The next `N` bytes, with one bounds check for a fixed-size group of
    /// fields (`item` names it in the error).
    #[inline(always)]
    pub fn array<const N: usize>(&mut self, item: &str) -> Result<&'a [u8; N], String> {
        let b = self.take(N, item)?;
        b.try_into().map_err(|_| self.short(N, item))
    }

    /// A count of items that are each at least `min_size` bytes, checked
    /// against the bytes left and against `max`, so a bad count can never
    /// make the reader allocate more than the input could hold.
    pub fn count(&mut self, item: &str, max: usize, min_size: usize) -> Result<usize, String> {
        let at = self.pos;
        let n = self.u32()? as usize;
        let left = self.bytes.len() - self.pos;
        if n > max {
            return Err(format!(
                "{} gives {n} {item} at byte {at}; at most {max} are allowed",
                self.what
            ));
        }
        if n.saturating_mul(min_size.max(1)) > left {
            return Err(format!(
                "{} gives {n} {item} at byte {at}, but only {left} bytes follow",
                self.what
            ));
        }
        Ok(n)
    }

    /// A string: a `u32` length and that many bytes of UTF-8.
    #[inline]
    pub fn str(&mut self) -> Result<&'a str, String> {
        let at = self.pos;
        let n = self.u32()? as usize;
        let b = self.take(n, "a string")?;
        utf8(b).map_err(|e| self.not_utf8(at, e))
    }

    /// Reads a string into `s`, keeping its allocation. A string with the
    /// same bytes as `s` already holds is neither checked nor copied again:
    /// bytes equal to a `String`'s are UTF-8.
    #[inline]
    pub fn str_into(&mut self, s: &mut String) -> Result<(), String> {
        let at = self.pos;
        let n = self.u32()? as usize;
        let b = self.take(n, "a string")?;
        if !same_bytes(b, s.as_bytes()) {
            let new = utf8(b).map_err(|e| self.not_utf8(at, e))?;
            s.clear();
            s.push_str(new);
        }
        Ok(())
    }

    /// Reads the next string if its bytes are `s`'s and says so; otherwise
    /// reads nothing (the position is unchanged) and returns false.
    #[inline]
    pub fn str_is(&mut self, s: &str) -> Result<bool, String> {
        let start = self.pos;
        let n = self.u32()? as usize;
        let b = self.take(n, "a string")?;
        if same_bytes(b, s.as_bytes()) {
            Ok(true)
        } else {
            self.pos = start;
            Ok(false)
        }
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.bytes[self.pos..];
        self.pos = self.bytes.len();
        out
    }

    /// The offset of the next byte to read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Checks that every byte was read.
    pub fn finish(self) -> Result<(), String> {
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(format!(
                "{} goes on past its end at byte {} ({} more bytes)",
                self.what,
                self.pos,
                self.bytes.len() - self.pos
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_as_written() {
        let mut w = Writer::default();
        w.u8(7);
        w.u32(70_000);
        w.f64(-0.125);
        w.str("悬挂 rope");
        w.bytes(b"{}");
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes, "the record");
        assert_eq!(r.u8().unwrap(), 7);
        assert_eq!(r.u32().unwrap(), 70_000);
        assert_eq!(r.f64().unwrap(), -0.125);
        assert_eq!(r.str().unwrap(), "悬挂 rope");
        assert_eq!(r.rest(), b"{}");
        r.finish().unwrap();
    }

    #[test]
    fn a_short_input_says_where_it_ends() {
        let mut r = Reader::new(&[1, 0, 0], "the result");
        assert_eq!(
            r.u32().unwrap_err(),
            "the result ends at byte 0 in the middle of a 4-byte number (4 bytes wanted, 3 left)"
        );
        let mut w = Writer::default();
        w.u32(10);
        w.bytes(b"abc");
        let bytes = w.into_bytes();
        assert_eq!(
            Reader::new(&bytes, "the result").str().unwrap_err(),
            "the result ends at byte 4 in the middle of a string (10 bytes wanted, 3 left)"
        );
    }

    #[test]
    fn a_count_cannot_ask_for_more_than_the_input_holds() {
        let mut w = Writer::default();
        w.u32(1_000_000);
        w.bytes(&[0; 16]);
        let bytes = w.into_bytes();
        assert_eq!(
            Reader::new(&bytes, "the result")
                .count("notes", 256, 4)
                .unwrap_err(),
            "the result gives 1000000 notes at byte 0; at most 256 are allowed"
        );
        assert_eq!(
            Reader::new(&bytes, "the result")
                .count("notes", usize::MAX, 4)
                .unwrap_err(),
            "the result gives 1000000 notes at byte 0, but only 16 bytes follow"
        );
    }

    #[test]
    fn bad_utf8_and_left_over_bytes_are_named() {
        let mut w = Writer::default();
        w.u32(2);
        w.bytes(&[0xff, 0xfe]);
        let bytes = w.into_bytes();
        let err = Reader::new(&bytes, "the record").str().unwrap_err();
        assert!(
            err.starts_with("the record has a string at byte 0 that is not UTF-8"),
            "{err}"
        );
        let mut r = Reader::new(&[1, 2], "the result");
        r.u8().unwrap();
        assert_eq!(
            r.finish().unwrap_err(),
            "the result goes on past its end at byte 1 (1 more bytes)"
        );
    }

    #[test]
    fn a_string_read_into_another_is_checked_only_when_it_differs() {
        let mut w = Writer::default();
        w.str("knockdown");
        w.str("muster");
        w.u32(2);
        w.bytes(&[0xff, 0xfe]);
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes, "the record");
        let mut s = String::from("knockdown");
        let before = s.as_ptr();
        r.str_into(&mut s).unwrap();
        assert_eq!((s.as_str(), s.as_ptr()), ("knockdown", before));
        r.str_into(&mut s).unwrap();
        assert_eq!(s, "muster");
        let err = r.str_into(&mut s).unwrap_err();
        assert!(
            err.starts_with("the record has a string at byte 23 that is not UTF-8"),
            "{err}"
        );
        assert_eq!(s, "muster", "a refused string leaves the old one");
    }

    #[test]
    fn str_is_reads_only_the_string_it_names() {
        let mut w = Writer::default();
        w.str("recon");
        w.u8(9);
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes, "the record");
        assert!(!r.str_is("safety").unwrap());
        assert_eq!(r.position(), 0);
        assert!(r.str_is("recon").unwrap());
        assert_eq!(r.u8().unwrap(), 9);
        r.finish().unwrap();
        let mut short = Reader::new(&[5, 0, 0, 0, b'r'], "the record");
        assert_eq!(
            short.str_is("recon").unwrap_err(),
            "the record ends at byte 4 in the middle of a string (5 bytes wanted, 1 left)"
        );
    }

    #[test]
    fn utf8_agrees_with_the_standard_check() {
        let ascii: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for n in 0..=ascii.len() {
            let base = &ascii[..n];
            assert_eq!(utf8(base), std::str::from_utf8(base), "{n} bytes");
            // One byte that is not ASCII, in every place: alone it is not
            // UTF-8, and with a second byte it makes `é`.
            for at in 0..n {
                let mut bad = base.to_vec();
                bad[at] = 0xc3;
                assert_eq!(utf8(&bad), std::str::from_utf8(&bad), "{n} bytes, {at}");
                assert!(utf8(&bad).is_err());
                bad.insert(at + 1, 0xa9);
                assert_eq!(utf8(&bad), std::str::from_utf8(&bad), "{n} bytes, {at}");
                assert!(utf8(&bad).is_ok_and(|s| s.contains('é')));
            }
        }
    }

    #[test]
    fn same_bytes_agrees_with_slice_equality() {
        let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for n in 0..=base.len() {
            let a = &base[..n];
            assert!(same_bytes(a, a), "length {n}");
            let mut copy = a.to_vec();
            assert!(same_bytes(a, &copy), "length {n}, a copy");
            for at in 0..n {
                copy[at] ^= 0x20;
                assert!(!same_bytes(a, &copy), "length {n}, byte {at} differs");
                assert!(
                    !same_bytes(&copy, a),
                    "length {n}, byte {at} differs, swapped"
                );
                copy[at] ^= 0x20;
            }
            if n > 0 {
                assert!(!same_bytes(a, &base[..n - 1]), "lengths {n} and {}", n - 1);
            }
        }
    }
}
