//! Redis's `sdssplitargs` and `sdscatrepr`, byte for byte.
//!
//! `split_args` tokenizes inline-protocol commands and configuration-file lines:
//! whitespace separates arguments; `"..."` understands `\n \r \t \b \a \\ \"` and
//! `\xHH` escapes (any other escaped byte stands for itself); `'...'` only
//! understands `\'`. A closing quote must be followed by whitespace or the end of
//! the line, otherwise the line is "unbalanced" and `None` is returned, exactly
//! like Redis. `repr` is the inverse: it quotes an argument so that `split_args`
//! gives it back unchanged (Redis uses it to turn `--name value` command-line
//! options into config lines and to write values in CONFIG REWRITE).

/// C `isspace` in the "C" locale. Redis skips these between arguments, although
/// only space, `\n`, `\r`, `\t` (and NUL) end an unquoted argument.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits `line` into arguments with `sdssplitargs` semantics.
///
/// Returns `None` for unbalanced quotes (or a closing quote not followed by
/// whitespace), `Some(vec![])` for an empty or all-blank line. Redis works on C
/// strings, so a NUL byte ends the line: everything after it is ignored.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    // Reading past the end yields NUL, mirroring the C terminator the original
    // code relies on for its look-ahead.
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        let mut done = false;
        while !done {
            let c = at(p);
            if in_dq {
                if c == b'\\' && at(p + 1) == b'x' {
                    if let (Some(hi), Some(lo)) = (hex_value(at(p + 2)), hex_value(at(p + 3))) {
                        current.push(hi * 16 + lo);
                        p += 3;
                    } else {
                        // Not a valid \xHH: like any other escape, 'x' stands for itself.
                        p += 1;
                        current.push(b'x');
                    }
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    // The closing quote must be followed by a space or nothing at all.
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None; // unterminated quotes
                } else {
                    current.push(c);
                }
            } else if in_sq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    _ => current.push(c),
                }
            }
            if p < line.len() {
                p += 1;
            }
        }
        args.push(current);
    }
}

/// Redis's `sdscatrepr`: `s` in double quotes, with `\\ \" \n \r \t \a \b`
/// escaped and every other non-printable byte written as `\xHH`.
pub fn repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &[u8]) -> Option<Vec<Vec<u8>>> {
        split_args(s)
    }

    fn v(items: &[&[u8]]) -> Option<Vec<Vec<u8>>> {
        Some(items.iter().map(|s| s.to_vec()).collect())
    }

    #[test]
    fn empty_and_blank() {
        assert_eq!(split(b""), Some(vec![]));
        assert_eq!(split(b"   \t \r\n"), Some(vec![]));
        // \v and \f are skipped between arguments ...
        assert_eq!(split(b"\x0b a \x0c"), v(&[b"a"]));
        // ... but do not end an unquoted argument.
        assert_eq!(split(b"a\x0bb c"), v(&[b"a\x0bb", b"c"]));
    }

    #[test]
    fn plain_words() {
        assert_eq!(split(b"set key value"), v(&[b"set", b"key", b"value"]));
        assert_eq!(
            split(b"  set\tkey \r\n value  "),
            v(&[b"set", b"key", b"value"])
        );
    }

    #[test]
    fn double_quotes_and_escapes() {
        assert_eq!(split(b"\"hello world\""), v(&[b"hello world"]));
        assert_eq!(
            split(br#""a\nb\rc\td\be\af\\g\"h\qi""#),
            v(&[b"a\nb\rc\td\x08e\x07f\\g\"hqi"])
        );
        assert_eq!(split(br#""\x41\x7a\xff\x00""#), v(&[b"Az\xff\x00"]));
        // Invalid hex escapes keep the 'x' like any unknown escape.
        assert_eq!(split(br#""\xZZ""#), v(&[b"xZZ"]));
        assert_eq!(split(br#""\x4""#), v(&[b"x4"]));
        assert_eq!(split(b"\"\""), v(&[b""]));
        assert_eq!(split(b"set \"\" x"), v(&[b"set", b"", b"x"]));
    }

    #[test]
    fn single_quotes() {
        assert_eq!(split(b"'hello world'"), v(&[b"hello world"]));
        assert_eq!(split(br"'it\'s'"), v(&[b"it's"]));
        // Only \' is an escape inside single quotes.
        assert_eq!(split(br"'a\nb\\ '"), v(&[b"a\\nb\\\\ "]));
        // A backslash before the closing quote escapes it: unterminated.
        assert_eq!(split(br"'a\'"), None);
        assert_eq!(split(b"''"), v(&[b""]));
    }

    #[test]
    fn quote_inside_word_joins() {
        assert_eq!(split(b"ab\"cd\""), v(&[b"abcd"]));
        assert_eq!(split(b"ab'cd' e"), v(&[b"abcd", b"e"]));
    }

    #[test]
    fn unbalanced() {
        assert_eq!(split(b"\"abc"), None);
        assert_eq!(split(b"'abc"), None);
        assert_eq!(split(b"\"a\"b"), None);
        assert_eq!(split(b"'a'b"), None);
        assert_eq!(split(b"\"abc\\"), None);
        assert_eq!(split(b"\"a\"\"b\""), None);
        // A closing quote followed by any whitespace is fine.
        assert_eq!(split(b"\"a\"\x0bb"), v(&[b"a", b"b"]));
    }

    #[test]
    fn nul_ends_the_line() {
        assert_eq!(split(b"a b\0c d"), v(&[b"a", b"b"]));
        assert_eq!(split(b"\"a\0\""), None);
    }

    #[test]
    fn repr_round_trips() {
        assert_eq!(repr(b"abc"), "\"abc\"");
        assert_eq!(
            repr(b"a\"b\\c\n\r\t\x07\x08\x01\xff "),
            r#""a\"b\\c\n\r\t\a\b\x01\xff ""#
        );
        let samples: [&[u8]; 5] = [b"", b"hello world", b"\x00\x01\xfe", b"'\"\\", b"\n\t x"];
        for s in samples {
            assert_eq!(split_args(repr(s).as_bytes()), Some(vec![s.to_vec()]));
        }
    }

    #[test]
    fn never_panics_on_any_short_input() {
        let alphabet = [b'a', b' ', b'"', b'\'', b'\\', b'x', b'4', b'\0', b'\n'];
        let mut buf = Vec::new();
        for n in 0..5u32 {
            let total = alphabet.len().pow(n);
            for mut idx in 0..total {
                buf.clear();
                for _ in 0..n {
                    buf.push(alphabet[idx % alphabet.len()]);
                    idx /= alphabet.len();
                }
                let _ = split_args(&buf);
            }
        }
    }
}
