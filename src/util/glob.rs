//! Glob-style pattern matching with exactly the semantics of Redis 7.0's
//! `stringmatchlen` (util.c), as used by KEYS, SCAN MATCH, PSUBSCRIBE,
//! CONFIG GET, COMMAND LIST FILTERBY PATTERN, ...
//!
//! Redis's matcher is recursive; since 7.0.9 it carries a `skipLongerMatches`
//! flag that, once the part after a `*` has failed at every later position,
//! aborts all enclosing `*` loops. With that flag an enclosing `*` loop can
//! never resume after an inner `*` was reached, so the recursion is exactly
//! "backtrack only to the most recent `*`", which is what this iterative
//! version does. That keeps the worst case at O(pattern * string) (no
//! exponential blow-up) and the stack depth constant for any pattern.
//!
//! Redis's quirks are reproduced on purpose (the tests pin them against a
//! real server):
//! - bytes, not characters; `nocase` folds ASCII `A-Z` only;
//! - range ends are compared as C `char`, which is *signed* on x86_64, so a
//!   range with a byte >= 0x80 at one end behaves "wrongly": `[a-\xff]` is
//!   swapped to -1..=97 and matches bytes 0x00..=b'a' plus 0xff. With
//!   `nocase` the ends are then passed through glibc's `tolower`, which maps
//!   -128..=-2 to 128..=254 (but keeps -1), so `[a-\xfe]` and `[\x80-z]`
//!   match nothing at all while `[\xff-z]` still matches 0x00..=b'z' and
//!   0xff; see `c_tolower`;
//! - inside `[...]` an escaped byte is compared case-sensitively even when
//!   `nocase` is set;
//! - an unclosed `[` behaves as if closed at the end of the pattern, and
//!   `[a-]` is the range `a`..`]`;
//! - a trailing `\` matches a literal `\`;
//! - the empty string is matched only by the empty pattern: even `*` does
//!   NOT match "". KEYS and SCAN special-case the exact pattern `*` before
//!   calling the matcher, so callers must do the same (`KEYS *` returns the
//!   empty key, `KEYS **` does not).

/// Pattern byte at `i`, or 0 past the end: the C code reads the sds NUL
/// terminator there and some quirks (unclosed `[`, `[a-]`) depend on it.
#[inline]
fn at(p: &[u8], i: usize) -> u8 {
    p.get(i).copied().unwrap_or(0)
}

/// A byte as C's (signed) `char` promoted to `int`, as Redis's range
/// comparison and `tolower` see it.
#[inline]
fn as_c_char(b: u8) -> i32 {
    i32::from(b as i8)
}

/// glibc's `tolower` in the "C" locale (Redis never sets LC_CTYPE) for the
/// values Redis passes it (signed chars, -128..=127): ASCII `A-Z` are
/// folded, and - a glibc detail that changes which ranges match - negative
/// values other than EOF (-1) come back as their unsigned-char value
/// (c + 256), so folding can move a range end from below 0 to above 127.
#[inline]
fn c_tolower(c: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else if (-128..=-2).contains(&c) {
        c + 256
    } else {
        c
    }
}

/// Does `string` match the glob `pattern`? Exactly Redis 7.0's
/// `stringmatchlen(pattern, plen, string, slen, nocase)`.
///
/// `*` matches any run of bytes (but see the module note about the empty
/// string), `?` any single byte, `[...]` a class with `^` negation and
/// `a-z` ranges (reversed ranges are swapped), and `\x` a literal `x`
/// inside or outside classes.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let plen = pattern.len();
    let slen = string.len();
    // Position in pattern / string; "patternLen" in the C code is always
    // plen - p and "stringLen" is slen - s.
    let mut p = 0usize;
    let mut s = 0usize;
    // The most recent `*`: index just after it, and the string position
    // its loop is currently trying. This is the innermost live recursion
    // frame of the C code; older ones can never resume (see module doc).
    let mut star: Option<(usize, usize)> = None;

    loop {
        // One activation of the C function body, starting at (p, s).
        // `break 'body false` is a C "return 0", falling out of the loop
        // evaluates the final length check.
        let matched = 'body: {
            while p < plen && s < slen {
                match pattern[p] {
                    b'*' => {
                        // Consecutive stars are one star.
                        while at(pattern, p + 1) == b'*' {
                            p += 1;
                        }
                        if plen - p == 1 {
                            return true; // trailing star eats the rest
                        }
                        // Recurse on the rest of the pattern from here.
                        p += 1;
                        star = Some((p, s));
                        continue;
                    }
                    b'?' => s += 1,
                    b'[' => {
                        let c = string[s];
                        p += 1;
                        let negate = at(pattern, p) == b'^';
                        if negate {
                            p += 1;
                        }
                        let mut hit = false;
                        loop {
                            let rest = plen - p;
                            let pc = at(pattern, p);
                            if pc == b'\\' && rest >= 2 {
                                // Escaped byte: always compared exactly.
                                p += 1;
                                if pattern[p] == c {
                                    hit = true;
                                }
                            } else if pc == b']' {
                                break;
                            } else if rest == 0 {
                                // Unclosed class: step back onto the last
                                // byte so the outer `p += 1` ends the
                                // pattern.
                                p -= 1;
                                break;
                            } else if rest >= 3 && pattern[p + 1] == b'-' {
                                let mut start = as_c_char(pc);
                                let mut end = as_c_char(pattern[p + 2]);
                                let mut ch = as_c_char(c);
                                if start > end {
                                    std::mem::swap(&mut start, &mut end);
                                }
                                if nocase {
                                    start = c_tolower(start);
                                    end = c_tolower(end);
                                    ch = c_tolower(ch);
                                }
                                p += 2;
                                if ch >= start && ch <= end {
                                    hit = true;
                                }
                            } else if nocase {
                                if c_tolower(as_c_char(pc)) == c_tolower(as_c_char(c)) {
                                    hit = true;
                                }
                            } else if pc == c {
                                hit = true;
                            }
                            p += 1;
                        }
                        if negate {
                            hit = !hit;
                        }
                        if !hit {
                            break 'body false;
                        }
                        s += 1;
                    }
                    first => {
                        // `\x` is a literal x; a trailing `\` is itself.
                        let mut pc = first;
                        if first == b'\\' && plen - p >= 2 {
                            p += 1;
                            pc = pattern[p];
                        }
                        let c = string[s];
                        let same = if nocase {
                            c_tolower(as_c_char(pc)) == c_tolower(as_c_char(c))
                        } else {
                            pc == c
                        };
                        if !same {
                            break 'body false;
                        }
                        s += 1;
                    }
                }
                p += 1;
                if s == slen {
                    // String used up: only stars may remain.
                    while at(pattern, p) == b'*' {
                        p += 1;
                    }
                    break;
                }
            }
            p == plen && s == slen
        };
        if matched {
            return true;
        }
        // This activation failed: the innermost `*` loop tries one byte
        // further. When it runs out of string, Redis sets
        // skipLongerMatches and every enclosing loop gives up too.
        let Some((star_p, star_s)) = star else {
            return false;
        };
        let next = star_s + 1;
        if next >= slen {
            return false;
        }
        star = Some((star_p, next));
        p = star_p;
        s = next;
    }
}

/// True when `pattern` has no glob metacharacter (`*`, `?`, `[`, `\`), so
/// it matches exactly the one string equal to it and KEYS can do a direct
/// lookup instead of a scan.
pub fn is_plain_pattern(p: &[u8]) -> bool {
    !p.iter().any(|&c| matches!(c, b'*' | b'?' | b'[' | b'\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line-by-line port of Redis 7.0.15's recursive `stringmatchlen_impl`
    /// (including the skipLongerMatches flag), used as the reference for
    /// differential testing of the iterative version.
    fn reference(
        pat: &[u8],
        p0: usize,
        s: &[u8],
        s0: usize,
        nocase: bool,
        skip: &mut bool,
    ) -> bool {
        let (mut p, mut si) = (p0, s0);
        let pl = pat.len();
        let sl = s.len();
        while p < pl && si < sl {
            match pat[p] {
                b'*' => {
                    while at(pat, p + 1) == b'*' {
                        p += 1;
                    }
                    if pl - p == 1 {
                        return true;
                    }
                    while si < sl {
                        if reference(pat, p + 1, s, si, nocase, skip) {
                            return true;
                        }
                        if *skip {
                            return false;
                        }
                        si += 1;
                    }
                    *skip = true;
                    return false;
                }
                b'?' => si += 1,
                b'[' => {
                    p += 1;
                    let not = at(pat, p) == b'^';
                    if not {
                        p += 1;
                    }
                    let mut m = false;
                    loop {
                        if at(pat, p) == b'\\' && pl - p >= 2 {
                            p += 1;
                            if pat[p] == s[si] {
                                m = true;
                            }
                        } else if at(pat, p) == b']' {
                            break;
                        } else if pl == p {
                            p -= 1;
                            break;
                        } else if pl - p >= 3 && pat[p + 1] == b'-' {
                            let (mut a, mut b) = (as_c_char(pat[p]), as_c_char(pat[p + 2]));
                            let mut c = as_c_char(s[si]);
                            if a > b {
                                std::mem::swap(&mut a, &mut b);
                            }
                            if nocase {
                                a = c_tolower(a);
                                b = c_tolower(b);
                                c = c_tolower(c);
                            }
                            p += 2;
                            if c >= a && c <= b {
                                m = true;
                            }
                        } else if !nocase {
                            if pat[p] == s[si] {
                                m = true;
                            }
                        } else if c_tolower(as_c_char(pat[p])) == c_tolower(as_c_char(s[si])) {
                            m = true;
                        }
                        p += 1;
                    }
                    if not {
                        m = !m;
                    }
                    if !m {
                        return false;
                    }
                    si += 1;
                }
                _ => {
                    if pat[p] == b'\\' && pl - p >= 2 {
                        p += 1;
                    }
                    if !nocase {
                        if pat[p] != s[si] {
                            return false;
                        }
                    } else if c_tolower(as_c_char(pat[p])) != c_tolower(as_c_char(s[si])) {
                        return false;
                    }
                    si += 1;
                }
            }
            p += 1;
            if si == sl {
                while at(pat, p) == b'*' {
                    p += 1;
                }
                break;
            }
        }
        p == pl && si == sl
    }

    fn reference_match(pat: &[u8], s: &[u8], nocase: bool) -> bool {
        let mut skip = false;
        reference(pat, 0, s, 0, nocase, &mut skip)
    }

    // Cases checked with KEYS against redis-server 7.0.15 holding exactly
    // the listed keys (case-sensitive), as (pattern, key, matches).
    const KEYS_CASES: &[(&[u8], &[u8], bool)] = &[
        (b"*", b"abc", true),
        (b"**", b"", false), // KEYS ** skips the empty key; KEYS * special-cases
        (b"", b"", true),
        (b"?", b"", false),
        (b"a*", b"a", true),
        (b"a*", b"ab", true),
        (b"*a", b"ba", true),
        (b"*a", b"ab", false),
        (b"a?c", b"abc", true),
        (b"a?c", b"ac", false),
        (b"h[ae]llo", b"hello", true),
        (b"h[ae]llo", b"hillo", false),
        (b"h[^e]llo", b"hallo", true),
        (b"h[^e]llo", b"hello", false),
        (b"h[a-b]llo", b"hbllo", true),
        (b"h[b-a]llo", b"hbllo", true), // reversed range swapped
        (b"h[a-b]llo", b"hcllo", false),
        (b"a\\*b", b"a*b", true),
        (b"a\\*b", b"axb", false),
        (b"\\", b"\\", true),   // trailing backslash is literal
        (b"a\\", b"a\\", true), // trailing backslash is literal
        (b"[\\]]", b"]", true), // escaped ] inside class
        (b"[\\-]", b"-", true),
        (b"[]", b"]", false),  // "[]" closes immediately: empty class
        (b"[abc", b"b", true), // unclosed class
        (b"[abc", b"d", false),
        (b"[", b"[", false),
        (b"[^", b"x", true),   // unclosed negated empty class
        (b"[a-]", b"]", true), // range a..] (swapped to ]..a)
        (b"[a-]", b"_", true),
        (b"[a-]", b"-", false),
        (b"[a-]", b"b", false),
        (b"[a-", b"-", true), // too short for a range: literals a, -
        (b"[a-", b"a", true),
        // Signed char: \xff is -1, so [a-\xff] is the range -1..=97.
        (b"[a-\xff]", b"\x80", false),
        (b"[a-\xff]", b"b", false),
        (b"[a-\xff]", b"a", true),
        (b"[a-\xff]", b"\x00", true),
        (b"[a-\xff]", b"\xff", true),
        (b"[a-\xff]", b"\xfe", false),
        (b"[\x01-\xfe]", b"\xff", true), // -2..=1 after the swap
        (b"[\x01-\xfe]", b"\x02", false),
        (b"[\x01-\xfe]", b"\x00", true),
        (b"a*b*c", b"aXbYc", true),
        (b"a*b*c", b"aXbYcZ", false),
        (b"*?", b"a", true),
        (b"?*", b"", false),
        (b"\\?", b"?", true),
        (b"\\?", b"a", false),
        (b"[\\", b"\\", true),
        (b"a\0b", b"a\0b", true),
        (b"*[", b"x[", false),
        (b"*\\", b"x\\", true),
    ];

    #[test]
    fn keys_table_matches_redis() {
        for &(pat, s, want) in KEYS_CASES {
            assert_eq!(
                glob_match(pat, s, false),
                want,
                "{:?} vs {:?}",
                pat.escape_ascii().to_string(),
                s.escape_ascii().to_string()
            );
            assert_eq!(
                reference_match(pat, s, false),
                want,
                "reference {:?}",
                pat.escape_ascii().to_string()
            );
        }
    }

    // Checked with COMMAND LIST FILTERBY PATTERN (which matches with
    // nocase=1 against lowercase command names) on redis-server 7.0.15.
    const NOCASE_CASES: &[(&[u8], &[u8], bool)] = &[
        (b"GE?", b"get", true),
        (b"G*", b"get", true),
        (b"[G]et", b"get", true),
        (b"[\\G]et", b"get", false), // escapes in classes ignore nocase
        (b"\\Get", b"get", true),    // escapes outside classes do not
        (b"[A-H]et", b"get", true),
        (b"[a-h]ET", b"get", true),
        (b"[^G]et", b"get", false),
        // Range -128..'H' folds to 128..'h' (glibc tolower), which is empty.
        (b"[F-\x80]et", b"get", false),
        (b"[H-\x80]et", b"get", false),
        (b"[\x80-z]et", b"get", false),
        // ...but EOF (-1, byte 0xff) is left alone: -1..'z' contains 'g'.
        (b"[\xff-z]et", b"get", true),
        (b"[\xfe-z]et", b"get", false),
    ];

    #[test]
    fn nocase_table_matches_redis() {
        for &(pat, s, want) in NOCASE_CASES {
            assert_eq!(
                glob_match(pat, s, true),
                want,
                "{:?}",
                pat.escape_ascii().to_string()
            );
            assert_eq!(reference_match(pat, s, true), want);
        }
        assert!(!glob_match(b"GET", b"get", false));
    }

    #[test]
    fn no_exponential_backtracking() {
        let s = vec![b'a'; 10 * 1024];
        let start = std::time::Instant::now();
        assert!(!glob_match(b"*a*a*a*a*a*a*a*a*a*a*b", &s, false));
        assert!(!glob_match(
            b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
            &s,
            true
        ));
        assert!(glob_match(b"*a*a*a*a*a*a*a*a*a*a*a", &s, false));
        // Deep star chains use no stack.
        let pat = b"*a".repeat(100_000);
        assert!(!glob_match(&pat, &s[..5000], false));
        assert!(glob_match(&pat, &vec![b'a'; 100_000], false));
        assert!(start.elapsed().as_secs() < 5);
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
        fn pick(&mut self, from: &[u8], max_len: u64) -> Vec<u8> {
            let n = self.next() % (max_len + 1);
            (0..n)
                .map(|_| from[(self.next() % from.len() as u64) as usize])
                .collect()
        }
    }

    #[test]
    fn iterative_equals_recursive_reference() {
        let mut rng = Rng(0xdead_beef_cafe_f00d);
        let pat_alpha = b"ab*?[]^-\\A\xff\x80\0";
        let str_alpha = b"abAB]-^\\*\xff\x80\0";
        for _ in 0..200_000 {
            let pat = rng.pick(pat_alpha, 8);
            let s = rng.pick(str_alpha, 6);
            for nocase in [false, true] {
                assert_eq!(
                    glob_match(&pat, &s, nocase),
                    reference_match(&pat, &s, nocase),
                    "{:?} vs {:?} nocase={nocase}",
                    pat.escape_ascii().to_string(),
                    s.escape_ascii().to_string()
                );
            }
        }
    }

    #[test]
    fn plain_patterns() {
        assert!(is_plain_pattern(b"foo:bar"));
        assert!(is_plain_pattern(b""));
        assert!(is_plain_pattern(b"a]b^c-d"));
        for p in [&b"a*"[..], b"a?", b"[a", b"a\\b"] {
            assert!(!is_plain_pattern(p));
        }
        // A plain pattern matches exactly itself.
        assert!(glob_match(b"a]b^c-d", b"a]b^c-d", false));
        assert!(!glob_match(b"a]b^c-d", b"a]b^c-dx", false));
    }
}
