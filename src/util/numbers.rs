//! Number parsing and formatting with exactly Redis 7.0's rules.
//!
//! Integers follow `string2ll` (util.c) and are handled in pure Rust. Floats
//! are parsed by glibc's `strtod`/`strtold` and INCRBYFLOAT arithmetic is done
//! in C `long double`, through the small C helper `csrc/longdouble.c` (built
//! by `build.rs`), because that is the only way to accept exactly the same
//! strings (hex floats, "infinity", denormals, ...) and to produce exactly the
//! same digits as Redis. Float replies (`%.17g`) are formatted in Rust; the
//! tests check them against the C library's `snprintf`.

use std::fmt::Write as _;

/// Largest output of Redis's `ld2string` (`MAX_LONG_DOUBLE_CHARS` in util.h).
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

// Return codes of `ferrokv_incrbyfloat` (see csrc/longdouble.c).
const LD_OK: i32 = 0;
const LD_CUR_NOT_FLOAT: i32 = 1;
const LD_INCR_NOT_FLOAT: i32 = 2;
const LD_NAN_OR_INF: i32 = 3;

unsafe extern "C" {
    fn ferrokv_parse_long_double(s: *const u8, slen: usize, finite: *mut i32) -> i32;
    fn ferrokv_incrbyfloat(
        cur: *const u8,
        curlen: usize,
        incr: *const u8,
        incrlen: usize,
        out: *mut u8,
        outcap: usize,
        outlen: *mut usize,
    ) -> i32;
    fn ferrokv_string2d(s: *const u8, slen: usize, d: *mut f64) -> i32;
    fn ferrokv_strtod_range(s: *const u8, slen: usize, d: *mut f64) -> i32;
}

/// Parses a signed 64-bit integer exactly like Redis's `string2ll`: optional
/// `-`, then digits with no leading zero (except the string "0" itself), no
/// `+`, no whitespace, nothing else. `-0` is rejected. Full range including
/// `i64::MIN`. Used wherever Redis calls `getLongLongFromObject` (INCR,
/// EXPIRE, LRANGE indexes, ...), whose error is
/// "ERR value is not an integer or out of range".
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    // string2ll also rejects inputs of 21+ bytes (LONG_STR_SIZE); any such
    // input overflows anyway, so the digit loop below covers it.
    let (neg, digits) = match s.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, s),
    };
    let (&first, rest) = digits.split_first()?;
    if first == b'0' {
        // "0" is the only number allowed to start with a zero ("-0" is not).
        return (s.len() == 1).then_some(0);
    }
    if !first.is_ascii_digit() {
        return None;
    }
    let mut v = u64::from(first - b'0');
    for &c in rest {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if neg {
        // -(2^63) is representable, hence the unsigned accumulator.
        if v > i64::MIN.unsigned_abs() {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Parses a float exactly like Redis's `string2d` (via glibc `strtod`), the
/// rule for ZADD / ZINCRBY scores and other `getDoubleFromObject` users
/// (error "ERR value is not a valid float").
///
/// Accepted: decimal and hex (`0x1p3`) floats, optional sign (`+` allowed),
/// `.5`, `5.`, `inf`/`infinity` in any case with optional sign, denormals.
/// Rejected: empty, leading whitespace, trailing garbage or whitespace,
/// embedded NUL, NaN, overflow (`1e400`), underflow to zero (`1e-400`).
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let mut d = 0.0f64;
    // SAFETY: the C function reads exactly `s.len()` bytes from `s` and
    // writes one f64 to `d`.
    let ok = unsafe { ferrokv_string2d(s.as_ptr(), s.len(), &mut d) };
    (ok != 0).then_some(d)
}

/// Parses a score-range bound the way `zslParseRange` (ZRANGEBYSCORE,
/// ZCOUNT, ZREMRANGEBYSCORE, ...) does after the caller has removed an
/// optional leading `(`: plain `strtod` that must end at a NUL and must not
/// give NaN. Much laxer than [`parse_f64`]: `""` is 0, leading whitespace is
/// allowed, `1e400` is `inf`, and bytes after an embedded NUL are ignored.
/// Redis's error for a failure is "ERR min or max is not a float".
pub fn parse_f64_range_bound(s: &[u8]) -> Option<f64> {
    let mut d = 0.0f64;
    // SAFETY: as in `parse_f64`.
    let ok = unsafe { ferrokv_strtod_range(s.as_ptr(), s.len(), &mut d) };
    (ok != 0).then_some(d)
}

/// Checks a string with Redis's `string2ld` (the `long double` parser used
/// by INCRBYFLOAT/HINCRBYFLOAT): `None` if invalid, otherwise
/// `Some(is_finite)`. Note `inf` is valid (and not finite).
pub fn parse_long_double_ok(s: &[u8]) -> Option<bool> {
    let mut finite = 0i32;
    // SAFETY: reads `s.len()` bytes from `s`, writes one int to `finite`.
    let ok = unsafe { ferrokv_parse_long_double(s.as_ptr(), s.len(), &mut finite) };
    (ok != 0).then_some(finite != 0)
}

/// Why INCRBYFLOAT failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatIncrError {
    /// The stored value or the increment is not a valid float. Redis uses
    /// the same message for both: "ERR value is not a valid float".
    NotAFloat,
    /// The sum is NaN or infinite (including an `inf` increment):
    /// "ERR increment would produce NaN or Infinity".
    NanOrInf,
}

impl FloatIncrError {
    /// The exact Redis error line, without the leading `-`.
    pub fn message(self) -> &'static str {
        match self {
            FloatIncrError::NotAFloat => "ERR value is not a valid float",
            FloatIncrError::NanOrInf => "ERR increment would produce NaN or Infinity",
        }
    }
}

/// Why HINCRBYFLOAT failed; its messages differ from INCRBYFLOAT's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashFloatIncrError {
    /// Increment fails `string2ld`: "ERR value is not a valid float".
    IncrNotAFloat,
    /// Increment is `inf`/`-inf`: "ERR value is NaN or Infinity".
    IncrNanOrInf,
    /// Stored field value fails `string2ld`: "ERR hash value is not a float".
    HashValueNotAFloat,
    /// Sum is NaN or infinite: "ERR increment would produce NaN or Infinity".
    NanOrInf,
}

impl HashFloatIncrError {
    /// The exact Redis error line, without the leading `-`.
    pub fn message(self) -> &'static str {
        match self {
            HashFloatIncrError::IncrNotAFloat => "ERR value is not a valid float",
            HashFloatIncrError::IncrNanOrInf => "ERR value is NaN or Infinity",
            HashFloatIncrError::HashValueNotAFloat => "ERR hash value is not a float",
            HashFloatIncrError::NanOrInf => "ERR increment would produce NaN or Infinity",
        }
    }
}

/// INCRBYFLOAT: `current` (None when the key does not exist, counting as 0)
/// plus `incr`, computed in C `long double` and rendered like Redis's
/// `ld2string(..., LD_STR_HUMAN)`: `%.17Lf` with trailing zeros and dot
/// removed, `-0` shown as `0`. E.g. "10.5" + "0.1" = "10.6",
/// nothing + "1e400" = a 401-digit integer (finite as `long double`).
///
/// The caller checks WRONGTYPE first (Redis does it before parsing).
pub fn incr_by_float(current: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, FloatIncrError> {
    match raw_incr_by_float(current, incr) {
        Ok(v) => Ok(v),
        Err(LD_CUR_NOT_FLOAT | LD_INCR_NOT_FLOAT) => Err(FloatIncrError::NotAFloat),
        // LD_NAN_OR_INF, and LD_NO_ROOM which cannot happen with a
        // MAX_LONG_DOUBLE_CHARS buffer (Redis would store "" there).
        Err(_) => Err(FloatIncrError::NanOrInf),
    }
}

/// HINCRBYFLOAT's first step, which Redis runs before even looking up the
/// key (so a bad increment wins over WRONGTYPE): the increment must be a
/// valid, finite long double.
pub fn check_hincr_increment(incr: &[u8]) -> Result<(), HashFloatIncrError> {
    match parse_long_double_ok(incr) {
        None => Err(HashFloatIncrError::IncrNotAFloat),
        Some(false) => Err(HashFloatIncrError::IncrNanOrInf),
        Some(true) => Ok(()),
    }
}

/// HINCRBYFLOAT: `current` is the field's value (None when the field or key
/// does not exist). Same arithmetic and formatting as [`incr_by_float`];
/// errors in Redis's order: increment, then stored value, then result. The
/// caller should run [`check_hincr_increment`] before its WRONGTYPE check to
/// get Redis's error precedence; doing it again here is harmless.
pub fn hincr_by_float(current: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, HashFloatIncrError> {
    check_hincr_increment(incr)?;
    match raw_incr_by_float(current, incr) {
        Ok(v) => Ok(v),
        Err(LD_CUR_NOT_FLOAT) => Err(HashFloatIncrError::HashValueNotAFloat),
        Err(LD_INCR_NOT_FLOAT) => Err(HashFloatIncrError::IncrNotAFloat),
        Err(_) => Err(HashFloatIncrError::NanOrInf),
    }
}

/// Calls the C helper; `Err` carries its return code.
fn raw_incr_by_float(current: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, i32> {
    let mut buf = [0u8; MAX_LONG_DOUBLE_CHARS];
    let mut len = 0usize;
    let (cur_ptr, cur_len) = match current {
        Some(c) => (c.as_ptr(), c.len()),
        None => (std::ptr::null(), 0),
    };
    // SAFETY: the C function reads `cur_len` bytes from `cur_ptr` (or
    // nothing if it is null), `incr.len()` bytes from `incr`, writes at most
    // `buf.len()` bytes into `buf` and one usize into `len`.
    let rc = unsafe {
        ferrokv_incrbyfloat(
            cur_ptr,
            cur_len,
            incr.as_ptr(),
            incr.len(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut len,
        )
    };
    if rc != LD_OK {
        return Err(rc);
    }
    buf.get(..len).map(<[u8]>::to_vec).ok_or(LD_NAN_OR_INF)
}

/// Two-digit lookup table for [`fmt_i64`]: halves the number of divisions.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends the decimal form of `v` to `out` (same text as Redis's
/// `ll2string`), without any temporary allocation.
pub fn fmt_i64(v: i64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    // Work on the magnitude as u64 so i64::MIN needs no special case.
    let mut n = v.unsigned_abs();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

/// A fixed-size `fmt::Write` sink on the stack, so formatting a double does
/// not allocate.
struct StackBuf {
    buf: [u8; 40],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Appends `v` formatted as C's `printf("%.17g")`, which is how Redis 7.0
/// replies with doubles (ZSCORE, ZINCRBY, WITHSCORES, ...), except that
/// infinities are spelled `inf`/`-inf` as Redis does. Examples: 0.1 →
/// `0.10000000000000001`, 1e20 → `1e+20`, 1e16 → `10000000000000000`,
/// -0.0 → `-0`, 1.5e-7 → `1.4999999999999999e-07`. NaN (which Redis never
/// replies with) gives `nan`/`-nan` like glibc.
pub fn fmt_f64_17g(v: f64, out: &mut Vec<u8>) {
    if v.is_nan() {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    // Fast path: integral values below 1e17 print as plain integers under
    // %.17g (the exponent is < 17), and 2^53 bounds make the cast exact.
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 && !(v == 0.0 && v.is_sign_negative())
    {
        fmt_i64(v as i64, out);
        return;
    }

    // Rust's `{:.16e}` is correctly rounded (ties to even, like glibc), and
    // gives the 17 significant digits and the decimal exponent X that %e
    // would; %g then picks fixed notation when -4 <= X < 17.
    let mut sb = StackBuf {
        buf: [0; 40],
        len: 0,
    };
    if write!(sb, "{:.16e}", v.abs()).is_err() {
        return; // cannot happen: the longest output is 23 bytes
    }
    let text = &sb.buf[..sb.len];
    let Some(epos) = text.iter().position(|&c| c == b'e') else {
        return;
    };
    let (mantissa, exp_text) = (&text[..epos], &text[epos + 1..]);
    let Some(exp) = std::str::from_utf8(exp_text)
        .ok()
        .and_then(|e| e.parse::<i32>().ok())
    else {
        return;
    };
    // mantissa is "d.dddddddddddddddd": collect the 17 digits.
    let mut digits = [0u8; 17];
    let mut nd = 0;
    for &c in mantissa {
        if c.is_ascii_digit() && nd < digits.len() {
            digits[nd] = c;
            nd += 1;
        }
    }
    // %g removes trailing zeros (no '#' flag).
    while nd > 1 && digits[nd - 1] == b'0' {
        nd -= 1;
    }
    let digits = &digits[..nd];

    if v.is_sign_negative() {
        out.push(b'-');
    }
    if (-4..17).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.extend_from_slice(digits);
                out.resize(out.len() + (int_len - digits.len()), b'0');
            } else {
                out.extend_from_slice(&digits[..int_len]);
                out.push(b'.');
                out.extend_from_slice(&digits[int_len..]);
            }
        } else {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (-exp - 1) as usize, b'0');
            out.extend_from_slice(digits);
        }
    } else {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        fmt_i64(i64::from(e), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s17g(v: f64) -> String {
        let mut out = Vec::new();
        fmt_f64_17g(v, &mut out);
        String::from_utf8(out).expect("ascii")
    }

    /// Reference: the C library's own "%.17g" (with Redis's inf spelling).
    fn libc_17g(v: f64) -> String {
        if v.is_infinite() {
            return if v > 0.0 { "inf" } else { "-inf" }.to_string();
        }
        let mut buf = [0u8; 64];
        // SAFETY: buffer and length match; the format takes one double.
        let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%.17g".as_ptr(), v) };
        let n = usize::try_from(n).expect("snprintf ok");
        String::from_utf8(buf[..n].to_vec()).expect("ascii")
    }

    fn incr(cur: Option<&str>, by: &str) -> Result<String, FloatIncrError> {
        incr_by_float(cur.map(str::as_bytes), by.as_bytes())
            .map(|v| String::from_utf8(v).expect("ascii"))
    }

    /// Tiny xorshift PRNG so the tests need no extra crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn parse_i64_matches_string2ll() {
        // All verified against redis-server 7.0.15 with SET k <s>; INCRBY k 0.
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("1", 1),
            ("-1", -1),
            ("10", 10),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
            ("-9223372036854775807", -i64::MAX),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_i64(s.as_bytes()), Some(v), "{s}");
        }
        let bad = [
            "",
            "-",
            "-0",
            "00",
            "01",
            "-01",
            "+1",
            " 1",
            "1 ",
            "1a",
            "0x10",
            "1.0",
            "9223372036854775808",
            "-9223372036854775809",
            "18446744073709551616",
            "99999999999999999999999",
            "1\0",
            "--1",
        ];
        for s in bad {
            assert_eq!(parse_i64(s.as_bytes()), None, "{s:?}");
        }
    }

    #[test]
    fn fmt_i64_roundtrip() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut vals = vec![0, 1, -1, 9, 10, 99, 100, -100, i64::MAX, i64::MIN];
        for _ in 0..2000 {
            let r = rng.next();
            vals.push((r >> (r % 64)) as i64);
            vals.push(r as i64);
        }
        for v in vals {
            let mut out = b"x".to_vec();
            fmt_i64(v, &mut out);
            assert_eq!(out, format!("x{v}").into_bytes());
        }
    }

    #[test]
    fn parse_f64_matches_string2d() {
        // Verified against redis-server 7.0.15 with ZADD z <s> m; ZSCORE z m.
        let ok: &[(&str, f64)] = &[
            ("0.1", 0.1),
            ("3", 3.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("+.5", 0.5),
            ("1e16", 1e16),
            ("0x10", 16.0),
            ("0x1p-3", 0.125),
            ("inf", f64::INFINITY),
            ("+inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("Inf", f64::INFINITY),
            ("infinity", f64::INFINITY),
            ("4e-320", 4e-320),
            ("5e-324", 5e-324),
            ("1e-310", 1e-310),
            ("-1.7976931348623157e308", f64::MIN),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_f64(s.as_bytes()), Some(v), "{s}");
        }
        assert!(
            parse_f64(b"-0").is_some_and(|v| v == 0.0 && v.is_sign_negative()),
            "-0 keeps its sign"
        );
        let bad = [
            "", " 1", "1 ", "nan", "NaN", "-nan", "1e400", "-1e400", "1e-400", "-", "e5", "1e",
            "1e+", "1_0", "1\0", "\t1", "0x", "abc",
        ];
        for s in bad {
            assert_eq!(parse_f64(s.as_bytes()), None, "{s:?}");
        }
        // Long inputs go through the heap copy.
        let long = format!("1.{}", "0".repeat(500));
        assert_eq!(parse_f64(long.as_bytes()), Some(1.0));
    }

    #[test]
    fn range_bound_is_lax_strtod() {
        // Verified with ZRANGEBYSCORE z <s> +inf on redis-server 7.0.15.
        assert_eq!(parse_f64_range_bound(b""), Some(0.0));
        assert_eq!(parse_f64_range_bound(b" 1"), Some(1.0));
        assert_eq!(parse_f64_range_bound(b" 2"), Some(2.0));
        assert_eq!(parse_f64_range_bound(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_f64_range_bound(b"-1e400"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64_range_bound(b"1e-400"), Some(0.0));
        assert_eq!(parse_f64_range_bound(b"+1"), Some(1.0));
        assert_eq!(parse_f64_range_bound(b"0x2"), Some(2.0));
        assert_eq!(parse_f64_range_bound(b"1\0junk"), Some(1.0));
        assert_eq!(parse_f64_range_bound(b"nan"), None);
        assert_eq!(parse_f64_range_bound(b"1 "), None);
        assert_eq!(parse_f64_range_bound(b"(2"), None);
    }

    #[test]
    fn fmt_17g_known_replies() {
        // ZSCORE replies from redis-server 7.0.15.
        let cases: &[(f64, &str)] = &[
            (0.1, "0.10000000000000001"),
            (1e20, "1e+20"),
            (3.0, "3"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1.5e-7, "1.4999999999999999e-07"),
            (4e-320, "3.999955468730732e-320"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (0.5, "0.5"),
            (1e17, "1e+17"),
            (1e16, "10000000000000000"),
            (12345678901234567.0, "12345678901234568"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (123456.789, "123456.789"),
            // Exact ties at the 17th digit round to even, like glibc.
            (1e15 + 0.25, "1000000000000000.2"),
            (1e15 + 0.75, "1000000000000000.8"),
            (f64::MIN, "-1.7976931348623157e+308"),
            (5e-324, "4.9406564584124654e-324"),
            (1e-310, "9.9999999999999694e-311"),
            (1e22, "1e+22"),
            (100.0, "100"),
            (3377699720527872.0, "3377699720527872"),
        ];
        for &(v, want) in cases {
            assert_eq!(s17g(v), want, "{v:e}");
            assert_eq!(libc_17g(v), want, "libc {v:e}");
        }
    }

    #[test]
    fn fmt_17g_matches_libc_snprintf() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        let check = |v: f64| assert_eq!(s17g(v), libc_17g(v), "{v:e} bits {:#x}", v.to_bits());
        for _ in 0..100_000 {
            // Arbitrary bit patterns cover every exponent.
            let v = f64::from_bits(rng.next());
            if !v.is_nan() {
                check(v);
            }
        }
        for _ in 0..50_000 {
            // "Human" numbers: short decimals of various magnitudes, and
            // numbers with few fraction bits (which produce exact ties).
            let m = (rng.next() % 1_000_000) as f64;
            let e = (rng.next() % 40) as i32 - 20;
            check(m * 10f64.powi(e));
            check(-(m / 1000.0));
            let int = (rng.next() % (1 << 52)) as f64;
            let frac = (rng.next() % 16) as f64 / 16.0;
            check(int + frac);
        }
    }

    #[test]
    fn incrbyfloat_matches_redis() {
        // Verified against redis-server 7.0.15 (SET k <cur>; INCRBYFLOAT k <by>).
        use FloatIncrError::*;
        let cases: &[(Option<&str>, &str, Result<&str, FloatIncrError>)] = &[
            (Some("10.5"), "0.1", Ok("10.6")),
            (Some("10.5"), "5.0e3", Ok("5010.5")),
            (None, "-0", Ok("0")),
            (Some("-0"), "-0", Ok("0")),
            (Some("0.1"), "0.2", Ok("0.3")),
            (Some("5.0e3"), "2.0e2", Ok("5200")),
            (Some("1"), "-1", Ok("0")),
            (Some("3"), ".5", Ok("3.5")),
            (Some("3"), "5.", Ok("8")),
            (Some("3"), "+.5", Ok("3.5")),
            (Some("1"), "0x10", Ok("17")),
            (Some("1"), "0x1p3", Ok("9")),
            (Some("1"), "1e-4940", Ok("1")),
            (None, "3.6e-4951", Ok("0")), // denormal long double: accepted
            (None, "1e-4951", Err(NotAFloat)), // underflows to zero: rejected
            (None, "0x", Err(NotAFloat)),
            (None, "1\0", Err(NotAFloat)),
            (Some("1\0"), "1", Err(NotAFloat)),
            (None, "\0", Err(NotAFloat)),
            (Some("9223372036854775807"), "1", Ok("9223372036854775808")),
            (Some("1"), "1.0000000000000000001", Ok("2")),
            (Some("1"), "1e20", Ok("100000000000000000000")),
            (Some("1"), "1e17", Ok("100000000000000001")),
            (
                Some("1"),
                "123456789.123456789",
                Ok("123456790.12345678899873747"),
            ),
            (Some("1"), "1e-17", Ok("1.00000000000000001")),
            (Some("1"), "1e-18", Ok("1")),
            (Some("1"), "-1e-18", Ok("1")),
            (Some("1"), " 1", Err(NotAFloat)),
            (Some("1"), "1 ", Err(NotAFloat)),
            (Some(" 1"), "1", Err(NotAFloat)),
            (Some(""), "1", Err(NotAFloat)),
            (Some("abc"), "1", Err(NotAFloat)),
            (Some("1"), "nan", Err(NotAFloat)),
            (Some("1"), "1e-5000", Err(NotAFloat)),
            (Some("3"), "", Err(NotAFloat)),
            (Some("3"), "-", Err(NotAFloat)),
            (Some("1"), "inf", Err(NanOrInf)),
            (Some("1"), "+inf", Err(NanOrInf)),
            (Some("1"), "infinity", Err(NanOrInf)),
            (None, "inf", Err(NanOrInf)),
            (Some("1.1e4932"), "1e4932", Err(NanOrInf)),
        ];
        for &(cur, by, want) in cases {
            let got = incr(cur, by);
            assert_eq!(got.as_deref().map_err(|e| *e), want, "{cur:?} + {by:?}");
        }
        // 1e400 is finite as a long double: a 401-digit integer.
        let big = incr(None, "1e400").expect("finite");
        assert_eq!(big.len(), 401);
        assert!(big.starts_with("10000000000000000000281880683947586514586"));
        assert!(big.ends_with("221946880"));
        // Length limit of string2ld: 5119 bytes ok, 5120 rejected.
        let ok_len = format!("1.{}", "0".repeat(5117));
        assert_eq!(incr(None, &ok_len).as_deref(), Ok("1"));
        let too_long = format!("1.{}", "0".repeat(5118));
        assert_eq!(incr(None, &too_long), Err(NotAFloat));
        // Largest finite long doubles format into ~4950 digits and fit.
        let huge = incr(Some("1e4932"), "1").expect("finite");
        assert_eq!(huge.len(), 4933);
        assert_eq!(
            FloatIncrError::NanOrInf.message(),
            "ERR increment would produce NaN or Infinity"
        );
    }

    #[test]
    fn hincrbyfloat_error_order() {
        // Verified against redis-server 7.0.15 HINCRBYFLOAT.
        use HashFloatIncrError::*;
        assert_eq!(hincr_by_float(None, b"abc"), Err(IncrNotAFloat));
        assert_eq!(hincr_by_float(Some(b"abc"), b"abc"), Err(IncrNotAFloat));
        assert_eq!(hincr_by_float(None, b"inf"), Err(IncrNanOrInf));
        assert_eq!(hincr_by_float(Some(b"abc"), b"1"), Err(HashValueNotAFloat));
        assert_eq!(hincr_by_float(Some(b"1e4932"), b"1e4932"), Err(NanOrInf));
        assert_eq!(
            hincr_by_float(Some(b"10.5"), b"0.1").as_deref(),
            Ok(&b"10.6"[..])
        );
        assert_eq!(hincr_by_float(None, b"-0").as_deref(), Ok(&b"0"[..]));
        assert_eq!(check_hincr_increment(b"nan"), Err(IncrNotAFloat));
        assert_eq!(check_hincr_increment(b"-inf"), Err(IncrNanOrInf));
        assert_eq!(check_hincr_increment(b"1.5"), Ok(()));
        assert_eq!(IncrNanOrInf.message(), "ERR value is NaN or Infinity");
        assert_eq!(
            HashValueNotAFloat.message(),
            "ERR hash value is not a float"
        );
    }

    #[test]
    fn parse_long_double_ok_flags() {
        assert_eq!(parse_long_double_ok(b"1"), Some(true));
        assert_eq!(parse_long_double_ok(b"1e400"), Some(true));
        assert_eq!(parse_long_double_ok(b"inf"), Some(false));
        assert_eq!(parse_long_double_ok(b"nan"), None);
        assert_eq!(parse_long_double_ok(b""), None);
        // An embedded NUL is rejected (strtold must consume every byte).
        assert_eq!(parse_long_double_ok(b"1\0abc"), None);
        assert_eq!(parse_long_double_ok(b"\0"), None);
    }
}
