//! The AOF manifest of Redis 7.0's multi-part AOF: which files in `appenddirname` make up
//! the log, in order. One line per file, `file <name> seq <n> type <b|h|i>`: one base
//! (`b`, a snapshot: RDB with the preamble, or commands), incremental files (`i`,
//! commands appended since, replayed in sequence order) and history files (`h`, replaced
//! by a rewrite, deleted once the new manifest is on disk).
//!
//! The text we write is the text Redis writes, so a Redis 7.0 pointed at our directory
//! reads it, and the parser accepts what Redis accepts (comments, quoted names).

use std::fmt::Write as _;

/// One file of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub seq: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<FileInfo>,
    /// Incremental files, by increasing sequence.
    pub incrs: Vec<FileInfo>,
    /// Files no longer part of the log, to delete.
    pub history: Vec<FileInfo>,
    /// Highest sequence used for a base / an incremental file.
    pub base_seq: u64,
    pub incr_seq: u64,
}

/// Redis reads manifest lines into a buffer of this many bytes, newline included.
const MAX_LINE: usize = 1024;

impl Manifest {
    /// Parse a manifest as Redis 7.0's aofLoadManifestFromFile does, so a directory one
    /// server refuses the other refuses too. Errors are Redis's texts, followed by the
    /// line (as Redis logs them): a blank line, keys in any case and a type spelled out
    /// (`type base`) are Redis's behaviour too. One difference, on purpose: a manifest of
    /// nothing but comments is refused as empty, where Redis would start a new log over
    /// the files it no longer lists.
    pub fn parse(text: &[u8]) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        let mut saw_any = false;
        let mut rest = text;
        let mut linenum = 0;
        while !rest.is_empty() {
            let (raw, complete) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let line = &rest[..i];
                    rest = &rest[i + 1..];
                    (line, true)
                }
                None => (std::mem::take(&mut rest), false),
            };
            linenum += 1;
            if raw.first() == Some(&b'#') {
                continue;
            }
            let at = |e: &str| {
                format!(
                    "{e}, at line {linenum}: '{}'",
                    String::from_utf8_lossy(raw).trim_matches([' ', '\t', '\r'])
                )
            };
            // Redis finds no newline in its buffer: the line is too long, or the file
            // ends without one.
            if !complete || raw.len() >= MAX_LINE {
                return Err("The AOF manifest file contains too long line".into());
            }
            let Some(args) = crate::util::split_args::split_args(raw) else {
                return Err(at("Invalid AOF manifest file format"));
            };
            if args.len() < 6 || args.len() % 2 != 0 {
                return Err(at("Invalid AOF manifest file format"));
            }
            let (mut name, mut seq, mut kind) = (None, 0u64, None);
            for pair in args.chunks(2) {
                let key = pair[0].to_ascii_lowercase();
                match key.as_slice() {
                    b"file" => {
                        if pair[1].contains(&b'/') || pair[1].contains(&b'\\') {
                            return Err(at("File can't be a path, just a filename"));
                        }
                        name = Some(String::from_utf8_lossy(&pair[1]).into_owned());
                    }
                    // Redis's atoll: 0 (or garbage) is refused below; we refuse negative
                    // numbers as well.
                    b"seq" => {
                        seq = std::str::from_utf8(&pair[1])
                            .ok()
                            .and_then(|s| s.parse::<u64>().ok())
                            .unwrap_or(0)
                    }
                    // The first character, as Redis.
                    b"type" => kind = pair[1].first().copied(),
                    // Unknown keys are skipped, for forward compatibility (as Redis).
                    _ => {}
                }
            }
            let (Some(name), Some(kind)) = (name.filter(|n| !n.is_empty()), kind) else {
                return Err(at("Invalid AOF manifest file format"));
            };
            if seq == 0 {
                return Err(at("Invalid AOF manifest file format"));
            }
            let info = FileInfo { name, seq };
            match kind {
                b'b' => {
                    if m.base.is_some() {
                        return Err(at("Found duplicate base file information"));
                    }
                    m.base_seq = seq;
                    m.base = Some(info);
                }
                b'h' => m.history.push(info),
                b'i' => {
                    if seq <= m.incr_seq {
                        return Err(at("Found a non-monotonic sequence number"));
                    }
                    m.incr_seq = seq;
                    m.incrs.push(info);
                }
                _ => return Err(at("Unknown AOF file type")),
            }
            saw_any = true;
        }
        if !saw_any {
            return Err("Found an empty AOF manifest".into());
        }
        Ok(m)
    }

    /// The manifest's text (Redis's getAofManifestAsString: base, history, incrementals).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let mut line = |f: &FileInfo, t: char| {
            let _ = writeln!(s, "file {} seq {} type {}", repr(&f.name), f.seq, t);
        };
        if let Some(b) = &self.base {
            line(b, 'b');
        }
        for h in &self.history {
            line(h, 'h');
        }
        for i in &self.incrs {
            line(i, 'i');
        }
        s
    }

    /// Every file the log is made of, in replay order.
    pub fn files(&self) -> impl Iterator<Item = &FileInfo> {
        self.base.iter().chain(self.incrs.iter())
    }

    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incrs.is_empty()
    }
}

/// A name as Redis writes it: bare when it needs no quoting, else a quoted string.
fn repr(name: &str) -> String {
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\');
    if plain && !name.is_empty() {
        return name.to_string();
    }
    let mut s = String::from("\"");
    for b in name.bytes() {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.base.rdb seq 1 type h\nfile appendonly.aof.3.incr.aof seq 3 type i\nfile appendonly.aof.4.incr.aof seq 4 type i\n";
        let m = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(m.base_seq, 2);
        assert_eq!(m.incr_seq, 4);
        assert_eq!(m.incrs.len(), 2);
        assert_eq!(m.history.len(), 1);
        assert_eq!(m.to_text(), text);
        let names: Vec<&str> = m.files().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "appendonly.aof.2.base.rdb",
                "appendonly.aof.3.incr.aof",
                "appendonly.aof.4.incr.aof"
            ]
        );
    }

    #[test]
    fn errors() {
        for (text, err) in [
            (
                "file a seq 1\n",
                "Invalid AOF manifest file format, at line 1: 'file a seq 1'",
            ),
            ("file a seq 1 type x\n", "Unknown AOF file type"),
            (
                "file a seq 1 type b\nfile b seq 1 type b\n",
                "Found duplicate base file information, at line 2",
            ),
            (
                "file a seq 2 type i\nfile b seq 1 type i\n",
                "Found a non-monotonic sequence number",
            ),
            ("# only a comment\n", "Found an empty AOF manifest"),
            ("", "Found an empty AOF manifest"),
            (
                "file a/b seq 1 type b\n",
                "File can't be a path, just a filename",
            ),
            (
                "file a\\b seq 1 type b\n",
                "File can't be a path, just a filename",
            ),
            // What Redis 7.0.15 refuses too (checked with its redis-check-aof).
            (
                "file a seq 1 type b\n\nfile b seq 1 type i\n",
                "Invalid AOF manifest file format, at line 2: ''",
            ),
            (
                "file a seq 1 type b\n  \n",
                "Invalid AOF manifest file format, at line 2",
            ),
            ("file a seq 0 type b\n", "Invalid AOF manifest file format"),
            (
                "file a seq abc type b\n",
                "Invalid AOF manifest file format",
            ),
            (
                "file a seq 1 type b",
                "The AOF manifest file contains too long line",
            ),
            (
                "file \"a seq 1 type b\n",
                "Invalid AOF manifest file format",
            ),
        ] {
            let got = Manifest::parse(text.as_bytes()).unwrap_err();
            assert!(got.starts_with(err), "{text:?}: {got}");
        }
        // Redis's buffer holds 1024 bytes with the newline.
        let line = |n: usize| {
            let head = "file ";
            let tail = " seq 1 type b";
            format!("{head}{}{tail}\n", "a".repeat(n - head.len() - tail.len()))
        };
        assert!(Manifest::parse(line(1023).as_bytes()).is_ok());
        assert_eq!(
            Manifest::parse(line(1024).as_bytes()).unwrap_err(),
            "The AOF manifest file contains too long line"
        );
    }

    #[test]
    fn accepted_like_redis() {
        // Keys in any case, a spelled-out type, unknown keys, comments, CRLF.
        let text = "# comment\r\nFILE a.1.base.rdb SEQ 1 TYPE base extra x\r\nfile a.1.incr.aof seq 1 type incr\n#";
        let m = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(
            m.base.as_ref().map(|b| b.name.as_str()),
            Some("a.1.base.rdb")
        );
        assert_eq!(m.incrs.len(), 1);
        assert_eq!(
            m.to_text(),
            "file a.1.base.rdb seq 1 type b\nfile a.1.incr.aof seq 1 type i\n"
        );
    }

    #[test]
    fn quoted_names() {
        let m = Manifest {
            base: Some(FileInfo {
                name: "my file.1.base.rdb".into(),
                seq: 1,
            }),
            base_seq: 1,
            ..Default::default()
        };
        let text = m.to_text();
        assert_eq!(text, "file \"my file.1.base.rdb\" seq 1 type b\n");
        assert_eq!(Manifest::parse(text.as_bytes()).unwrap(), m);
    }
}
