//! Numbers in notes, written as Rust's `Display` writes an `f64`, without
//! its cost under wasm.
//!
//! `format!("{x}")` of an `f64` finds the shortest digits with Grisu (and
//! 128-bit products that wasm32 emulates), then lays them out through the
//! formatter's padding machinery: in a batch of time-bonus records the two
//! notes' numbers took about a seventh of the guest's time. [`Num`] writes
//! a whole number by integer division and any other with
//! [`zmij`](https://docs.rs/zmij), which finds the same shortest digits,
//! then lays them out as `Display` does: never an exponent, `-0` for
//! negative zero.

use std::fmt;

/// Whole numbers below this are written as integers: every one is exact in
/// an `f64` and in an `i64`.
const WHOLE_BELOW: f64 = 1e15;

/// An `f64` that formats exactly as `f64`'s `Display` does, only faster;
/// use it in notes: `card.note(format_args!("time bonus {}", Num(bonus)))`.
///
/// ```
/// use muster_guest::Num;
///
/// for x in [12.5, -0.0, 1e21, 1.0 / 3.0, 5e-324, f64::NAN] {
///     assert_eq!(Num(x).to_string(), x.to_string());
/// }
/// assert_eq!(format!("{:>6}", Num(2.5)), "   2.5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl Num {
    /// Appends the number to `out` as `Display` would write it, without
    /// going through `core::fmt` at all: for [`ScoreCard::note_with`],
    /// where a note is built from pieces.
    ///
    /// ```
    /// use muster_guest::Num;
    ///
    /// let mut note = String::from("time bonus ");
    /// Num(12.5).push_to(&mut note);
    /// Num(3.0).push_to(&mut note);
    /// assert_eq!(note, "time bonus 12.53");
    /// ```
    ///
    /// [`ScoreCard::note_with`]: crate::ScoreCard::note_with
    pub fn push_to(self, out: &mut String) {
        // Writing into a String cannot fail.
        let _ = write_plain(self.0, out);
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        // Padding, precision and a forced sign are left to `f64` itself:
        // notes rarely ask for them.
        if f.width().is_some() || f.precision().is_some() || f.sign_plus() || f.alternate() {
            return fmt::Display::fmt(&x, f);
        }
        write_plain(x, f)
    }
}

/// Writes `x` with no flags, exactly as `f64`'s `Display` does.
fn write_plain<W: fmt::Write>(x: f64, w: &mut W) -> fmt::Result {
    if !x.is_finite() {
        return write!(w, "{x}");
    }
    let whole = x.trunc() == x;
    if whole && x.abs() < WHOLE_BELOW {
        if x == 0.0 && x.is_sign_negative() {
            return w.write_str("-0");
        }
        // Exact: |x| < 1e15 is whole, so the cast loses nothing.
        return w.write_str(itoa::Buffer::new().format(x as i64));
    }
    if may_tie(x) {
        return write!(w, "{x}");
    }
    let mut buffer = zmij::Buffer::new();
    let shortest = buffer.format_finite(x);
    if !whole && !shortest.contains('e') {
        // A number with a fraction and no exponent is written as
        // `Display` writes it: the shortest digits, no trailing zero
        // (a whole one would end in `.0`).
        return w.write_str(shortest);
    }
    lay_out(shortest, w)
}

/// Whether two shortest decimals could be equally near `x`, where the two
/// digit searches may choose differently (`zmij` the even digit, `Display`
/// the one above: 1658206780088562.25 is `…562.2` to one and `…562.3` to
/// the other).
///
/// A tie needs `x`'s exact decimal to end one digit past the shortest, in
/// a 5. `x` = m·2^t with m odd has an exact decimal of m·5^−t with −t
/// digits after the point; shortest digits are at most 17, and for two of
/// them to be near enough to round back to `x` the exact decimal must be
/// at least 17 digits long. So only an `x` with a fraction whose exact
/// decimal has 16 to 18 digits is left to `Display` (one digit of margin
/// below): values of that shape are rare in scores.
fn may_tie(x: f64) -> bool {
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (m, t) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), exponent - 1075)
    };
    if m == 0 {
        return false;
    }
    let shift = m.trailing_zeros();
    let (m, t) = (m >> shift, t + shift as i32);
    if !(-25..0).contains(&t) {
        return false;
    }
    let exact = u128::from(m) * 5u128.pow(t.unsigned_abs());
    (10u128.pow(15)..10u128.pow(18)).contains(&exact)
}

/// Writes `shortest` (`[-]d[.ddd]e±x`, or any decimal the digit search
/// writes) without an exponent, as `Display` does.
fn lay_out<W: fmt::Write>(shortest: &str, f: &mut W) -> fmt::Result {
    let (negative, rest) = match shortest.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, shortest),
    };
    let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().map_err(|_| fmt::Error)?),
        None => (rest, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The value is 0.DIGITS × 10^point once leading zeros are dropped.
    let mut point = whole.len() as i32 + exponent;
    let mut digits = [0u8; 40];
    let mut n = 0;
    for &d in whole.as_bytes().iter().chain(fraction.as_bytes()) {
        if n == 0 && d == b'0' {
            point -= 1;
            continue;
        }
        if n == digits.len() {
            return Err(fmt::Error);
        }
        digits[n] = d;
        n += 1;
    }
    while n > 0 && digits[n - 1] == b'0' {
        n -= 1;
    }
    if negative {
        f.write_str("-")?;
    }
    if n == 0 {
        return f.write_str("0");
    }
    // ASCII digits only, so the slices are UTF-8.
    let digits = std::str::from_utf8(&digits[..n]).map_err(|_| fmt::Error)?;
    let zeros = |f: &mut W, k: i32| -> fmt::Result {
        for _ in 0..k {
            f.write_str("0")?;
        }
        Ok(())
    };
    let len = n as i32;
    if point <= 0 {
        f.write_str("0.")?;
        zeros(f, -point)?;
        f.write_str(digits)
    } else if point < len {
        let (a, b) = digits.split_at(point as usize);
        f.write_str(a)?;
        f.write_str(".")?;
        f.write_str(b)
    } else {
        f.write_str(digits)?;
        zeros(f, point - len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(x: f64) {
        let want = x.to_string();
        assert_eq!(Num(x).to_string(), want, "bits {:#x}", x.to_bits());
        let mut pushed = String::from("<");
        Num(x).push_to(&mut pushed);
        assert_eq!(pushed[1..], want, "pushed, bits {:#x}", x.to_bits());
    }

    #[test]
    fn awkward_values_are_written_as_display_writes_them() {
        let awkward = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.3,
            1.0 / 3.0,
            2.0 / 3.0,
            12.366666666666667,
            1e15 - 1.0,
            1e15,
            1e15 + 0.5,
            1e16,
            1e21,
            1e22,
            1e23,
            123456789012345680000.0,
            9007199254740992.0,
            9007199254740993.0,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            5e-324,
            -5e-324,
            1e-5,
            1e-7,
            0.000123,
            1.5e-300,
            17976931348623157e292,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in awkward {
            same(x);
        }
        for k in -330..=310 {
            same(10f64.powi(k));
            same(-(7.0 * 10f64.powi(k)));
        }
        for k in 0..20_000 {
            same(f64::from(k) / 30.0);
            same(f64::from(k) / 7.0 - 1000.0);
            same(f64::from(k) * 1.1);
        }
    }

    #[test]
    fn random_bit_patterns_are_written_as_display_writes_them() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..400_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            same(f64::from_bits(state));
            // Values of the size scores have, with random low bits.
            same(f64::from_bits(0x4000_0000_0000_0000 | (state >> 12)));
        }
    }

    #[test]
    fn ties_between_two_shortest_decimals_are_written_as_display_writes_them() {
        // 1658206780088562.25, exactly: 2^50 ≤ x < 2^51, a quarter apart.
        let tie = f64::from_bits(0x4317_9085_685d_83c9);
        assert_eq!(tie.fract(), 0.25);
        same(tie);
        same(100.0 + 2f64.powi(-15));
        assert!(may_tie(tie) && may_tie(100.0 + 2f64.powi(-15)));
        assert!(!may_tie(12.5) && !may_tie(1.0 / 3.0) && !may_tie(4e15));
        // Values with a short binary fraction, where ties live.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let m = (state >> 11) as f64;
            let t = -((state % 26) as i32);
            same(m * 2f64.powi(t));
            same((m / 1024.0).trunc() * 2f64.powi(t));
        }
    }

    #[test]
    fn flags_are_left_to_f64() {
        for (got, want) in [
            (format!("{:8}", Num(1.5)), format!("{:8}", 1.5)),
            (format!("{:.2}", Num(1.0 / 3.0)), "0.33".to_string()),
            (format!("{:+}", Num(2.0)), "+2".to_string()),
            (format!("{:<5}|", Num(-0.0)), "-0   |".to_string()),
        ] {
            assert_eq!(got, want);
        }
    }
}
