//! Replaying the AOF at start-up (Redis's loadAppendOnlyFiles): the base file — an RDB
//! snapshot when it starts with `REDIS`, possibly followed by commands, as old single-file
//! AOFs with a preamble are — then every incremental file, each through a fresh fake
//! client (so each file starts in database 0), executing the commands as a client would.
//!
//! Damage is handled as Redis does. A tail cut short in the last file (a crash in the
//! middle of a write), or a MULTI without its EXEC there, is dropped when
//! `aof-load-truncated` is on: the file is truncated to the last complete command and a
//! warning says how many bytes went. Anywhere else, or when the option is off, and for
//! any malformed content, start-up stops with an error naming the file and the offset,
//! and no file is modified.

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;

use crate::persistence::rdb::{self, format::Reader};
use crate::server::{Client, ServerState};

/// What loading one file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileLoad {
    Ok,
    /// The file is empty (a freshly created incremental file).
    Empty,
    /// The tail after `valid` bytes was incomplete and has been cut off.
    Truncated {
        valid: u64,
        size: u64,
    },
}

/// Totals for the log line and INFO.
#[derive(Debug, Default, Clone, Copy)]
pub struct Loaded {
    pub commands: u64,
    pub rdb_keys: u64,
    pub rdb_expired: u64,
}

/// Replay every file of `manifest` from `dir`. Err is the fatal message (logged by the
/// caller, then the process exits).
pub fn load_all(
    srv: &mut ServerState,
    dir: &Path,
    manifest: &super::manifest::Manifest,
) -> Result<Loaded, String> {
    for db in srv.dbs.iter_mut() {
        db.expiry_paused = true;
    }
    let r = load_all_files(srv, dir, manifest);
    for db in srv.dbs.iter_mut() {
        db.expiry_paused = false;
    }
    r
}

fn load_all_files(
    srv: &mut ServerState,
    dir: &Path,
    manifest: &super::manifest::Manifest,
) -> Result<Loaded, String> {
    let files: Vec<_> = manifest.files().cloned().collect();
    let mut total = Loaded::default();
    for (i, f) in files.iter().enumerate() {
        let last = i + 1 == files.len();
        let path = dir.join(&f.name);
        if !path.exists() {
            // A base that is listed but missing is fatal; so is a missing incremental file.
            return Err(format!(
                "Fatal error: can't open the append log file {} for reading: No such file or directory",
                f.name
            ));
        }
        let is_base = manifest.base.as_ref() == Some(f);
        let started = std::time::Instant::now();
        match load_file(srv, &path, &f.name, last, &mut total)? {
            FileLoad::Truncated { valid, size } => {
                srv.log.warning(&format!(
                    "!!! Truncating the AOF {} at offset {valid}, dropping {} bytes of incomplete commands !!!",
                    f.name,
                    size - valid
                ));
                srv.log.warning(&format!(
                    "AOF {} loaded anyway because aof-load-truncated is enabled",
                    f.name
                ));
            }
            FileLoad::Ok | FileLoad::Empty => {
                srv.log.notice(&format!(
                    "DB loaded from {} file {}: {:.3} seconds",
                    if is_base { "base" } else { "incr" },
                    f.name,
                    started.elapsed().as_secs_f64()
                ));
            }
        }
    }
    Ok(total)
}

/// Errors while reading commands.
enum Fault {
    /// The input ends inside a command.
    Eof,
    /// The bytes are not the protocol.
    Format,
    Io(std::io::Error),
}

/// A reader that counts the offset of what it consumed.
struct Input<R> {
    r: R,
    offset: u64,
    line: Vec<u8>,
}

/// Longest line: a count, a length or an annotation (Redis's AOF_ANNOTATION_LINE_MAX_LEN).
const MAX_LINE: u64 = 1024;

impl<R: BufRead> Input<R> {
    /// One `\n`-terminated line (without the `\r\n`). `Ok(None)` at a clean end of file.
    fn line(&mut self) -> Result<Option<&[u8]>, Fault> {
        self.line.clear();
        // Lines are bounded, unlike bulk payloads: garbage costs no more than this.
        let n = (&mut self.r)
            .take(MAX_LINE)
            .read_until(b'\n', &mut self.line)
            .map_err(Fault::Io)?;
        if n == 0 {
            return Ok(None);
        }
        self.offset += n as u64;
        if self.line.last() != Some(&b'\n') {
            return if n as u64 == MAX_LINE {
                Err(Fault::Format)
            } else {
                Err(Fault::Eof)
            };
        }
        self.line.pop();
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        Ok(Some(&self.line))
    }

    fn exact(&mut self, out: &mut [u8]) -> Result<(), Fault> {
        match self.r.read_exact(out) {
            Ok(()) => {
                self.offset += out.len() as u64;
                Ok(())
            }
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => Err(Fault::Eof),
            Err(e) => Err(Fault::Io(e)),
        }
    }
}

fn parse_num(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Longest argument accepted while loading (proto-max-bulk-len's ceiling).
const MAX_ARG: i64 = 1 << 40;

/// A line, where a last line cut short is a torn tail only if it starts as a line here
/// may (`leads`): other bytes are garbage, as Redis judges them by their first byte.
fn line_led_by<'a, R: BufRead>(
    inp: &'a mut Input<R>,
    leads: &[u8],
) -> Result<Option<&'a [u8]>, Fault> {
    let complete = match inp.line() {
        Ok(Some(_)) => true,
        Ok(None) => return Ok(None),
        Err(Fault::Eof) => false,
        Err(e) => return Err(e),
    };
    if complete {
        Ok(Some(&inp.line))
    } else if inp.line.first().is_some_and(|b| !leads.contains(b)) {
        Err(Fault::Format)
    } else {
        Err(Fault::Eof)
    }
}

/// Read one command's arguments. `Ok(None)` at a clean end of file.
fn read_command<R: BufRead>(inp: &mut Input<R>) -> Result<Option<Vec<Vec<u8>>>, Fault> {
    let argc = loop {
        let Some(line) = line_led_by(inp, b"*#")? else {
            return Ok(None);
        };
        match line.first() {
            // Annotations (`#TS:` timestamps) are skipped.
            Some(b'#') => continue,
            Some(b'*') => {
                let n = parse_num(&line[1..]).ok_or(Fault::Format)?;
                if n < 1 || n > i32::MAX as i64 {
                    return Err(Fault::Format);
                }
                break n as usize;
            }
            _ => return Err(Fault::Format),
        }
    };
    let mut argv = Vec::with_capacity(argc.min(1024));
    for _ in 0..argc {
        let line = line_led_by(inp, b"$")?.ok_or(Fault::Eof)?;
        if line.first() != Some(&b'$') {
            return Err(Fault::Format);
        }
        let len = parse_num(&line[1..]).ok_or(Fault::Format)?;
        if !(0..=MAX_ARG).contains(&len) {
            return Err(Fault::Format);
        }
        let mut arg = Vec::new();
        // Grow as the bytes arrive: a corrupt length costs no more than the file holds.
        let mut left = len as usize;
        while left > 0 {
            let chunk = left.min(1 << 20);
            let at = arg.len();
            arg.resize(at + chunk, 0);
            inp.exact(&mut arg[at..])?;
            left -= chunk;
        }
        let mut crlf = [0u8; 2];
        inp.exact(&mut crlf)?;
        if &crlf != b"\r\n" {
            return Err(Fault::Format);
        }
        argv.push(arg);
    }
    Ok(Some(argv))
}

/// Load one file into the live databases.
fn load_file(
    srv: &mut ServerState,
    path: &Path,
    name: &str,
    last: bool,
    total: &mut Loaded,
) -> Result<FileLoad, String> {
    let open = |p: &Path| {
        File::open(p).map_err(|e| {
            format!("Fatal error: can't open the append log file {name} for reading: {e}")
        })
    };
    let mut file = open(path)?;
    let size = file
        .metadata()
        .map_err(|e| format!("Unable to obtain the AOF file {name} length. stat: {e}"))?
        .len();
    if size == 0 {
        return Ok(FileLoad::Empty);
    }
    let mut sig = [0u8; 5];
    let has_preamble = file.read_exact(&mut sig).is_ok() && &sig == b"REDIS";
    let mut start = 0u64;
    if has_preamble {
        file.seek(SeekFrom::Start(0))
            .map_err(|e| format!("Unrecoverable error reading the append only file {name}: {e}"))?;
        // A file named like `appendfilename` is an old-style AOF moved into the directory.
        if name == srv.config.appendfilename {
            srv.log.notice("Reading RDB preamble from AOF file...");
        } else {
            srv.log.notice("Reading RDB base file on AOF loading...");
        }
        let logger = srv.log.clone();
        let mut opts = super::super::load_options(srv, Some(&logger), None);
        // A base keeps keys whose TTL passed, as Redis (RDBFLAGS_AOF_PREAMBLE): commands
        // after it ran while they were alive. They expire once the replay is done.
        opts.skip_expired = false;
        let mut r = Reader::new(&mut file);
        let outcome = rdb::load::load_snapshot(&mut r, &mut srv.dbs, &opts).map_err(|e| {
            format!(
                "Bad file format reading the append only file {name} at offset {}: {} (RDB preamble). Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
                e.offset, e.msg
            )
        })?;
        start = r.offset();
        drop(r);
        super::super::load_functions(srv, &outcome.functions, false)
            .map_err(|e| format!("{e} (RDB preamble of {name})"))?;
        total.rdb_keys += outcome.keys_loaded;
        total.rdb_expired += outcome.keys_expired;
        srv.log.notice(&format!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            outcome.keys_loaded, outcome.keys_expired
        ));
        if start == size {
            return Ok(FileLoad::Ok);
        }
        srv.log.notice("Reading the remaining AOF tail...");
    }
    file.seek(SeekFrom::Start(start))
        .map_err(|e| format!("Unrecoverable error reading the append only file {name}: {e}"))?;
    let mut inp = Input {
        r: BufReader::with_capacity(1 << 16, file),
        offset: start,
        line: Vec::new(),
    };
    let mut client =
        Client::fake().map_err(|e| format!("Can't create the client replaying the AOF: {e}"))?;
    // Offset after the last complete command, and before an open MULTI.
    let mut valid = start;
    let mut before_multi: Option<u64> = None;
    let mut last_serve = std::time::Instant::now();
    loop {
        // Clients connecting during a long replay get -LOADING (and INFO) rather than
        // silence, as Redis's processEventsWhileBlocked (every 2 ms, checked every 64 commands).
        if srv.aof.serve_while_loading
            && total.commands.is_multiple_of(64)
            && last_serve.elapsed() >= std::time::Duration::from_millis(2)
        {
            crate::server::busy::process_events_while_busy(srv);
            last_serve = std::time::Instant::now();
        }
        let cmd_start = inp.offset;
        match read_command(&mut inp) {
            Ok(None) => break,
            Ok(Some(argv)) => {
                let is_multi = argv[0].eq_ignore_ascii_case(b"multi");
                let is_exec = argv[0].eq_ignore_ascii_case(b"exec");
                if crate::commands::table::table().lookup(&argv[0]).is_none() {
                    return Err(format!(
                        "Unknown command '{}' reading the append only file {name} at offset {cmd_start}",
                        crate::commands::trunc(&argv[0], 128)
                    ));
                }
                if is_multi {
                    before_multi = Some(cmd_start);
                }
                if srv.config.key_load_delay > 0 {
                    // A test hook, as Redis's: slow the replay down to observe loading.
                    std::thread::sleep(std::time::Duration::from_micros(
                        srv.config.key_load_delay as u64,
                    ));
                }
                srv.refresh_clock();
                let args: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
                crate::commands::execute(srv, &mut client, &args);
                client.reply.buf.clear();
                total.commands += 1;
                if is_exec {
                    before_multi = None;
                }
                valid = inp.offset;
            }
            Err(Fault::Format) => {
                return Err(format!(
                    "Bad file format reading the append only file {name} at offset {cmd_start}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
                ));
            }
            Err(Fault::Io(e)) => {
                return Err(format!(
                    "Unrecoverable error reading the append only file {name} at offset {cmd_start}: {e}"
                ));
            }
            Err(Fault::Eof) => {
                return truncated(srv, path, name, last, valid, size, before_multi);
            }
        }
    }
    if let Some(at) = before_multi {
        srv.log.warning(&format!(
            "Revert incomplete MULTI/EXEC transaction in AOF file {name}"
        ));
        // The queued commands never ran; the fake client is dropped with them.
        return truncated(srv, path, name, last, at, size, None);
    }
    let _ = valid;
    Ok(FileLoad::Ok)
}

/// The file ends inside a command (or a transaction): cut it at `valid` when allowed.
fn truncated(
    srv: &mut ServerState,
    path: &Path,
    name: &str,
    last: bool,
    valid: u64,
    size: u64,
    before_multi: Option<u64>,
) -> Result<FileLoad, String> {
    // Commands of an unfinished transaction were only queued, never run.
    let valid = before_multi.unwrap_or(valid);
    srv.log.warning(&format!(
        "!!! Warning: short read while loading the AOF file {name}!!!"
    ));
    if !last {
        return Err(format!(
            "Fatal error: the truncated file {name} (valid up to offset {valid} of {size} bytes) is not the last file"
        ));
    }
    if !srv.config.aof_load_truncated {
        return Err(format!(
            "Unexpected end of file reading the append only file {name} at offset {valid} of {size} bytes. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
        ));
    }
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(valid).and_then(|_| f.sync_all()));
    if let Err(e) = f {
        return Err(format!(
            "Error truncating the AOF file {name}: {e}. Exiting."
        ));
    }
    Ok(FileLoad::Truncated { valid, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command of `bytes`, then how reading ended.
    fn read_all(bytes: &[u8]) -> (Vec<Vec<Vec<u8>>>, &'static str, u64) {
        let mut inp = Input {
            r: std::io::BufReader::new(bytes),
            offset: 0,
            line: Vec::new(),
        };
        let mut cmds = Vec::new();
        let mut valid = 0;
        loop {
            match read_command(&mut inp) {
                Ok(Some(c)) => {
                    cmds.push(c);
                    valid = inp.offset;
                }
                Ok(None) => return (cmds, "end", valid),
                Err(Fault::Eof) => return (cmds, "eof", valid),
                Err(Fault::Format) => return (cmds, "format", valid),
                Err(Fault::Io(_)) => return (cmds, "io", valid),
            }
        }
    }

    fn cmd(args: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        crate::persistence::aof::encode_command(&mut out, args);
        out
    }

    #[test]
    fn commands_and_annotations() {
        let mut f = b"#TS:1700000000\r\n".to_vec();
        f.extend(cmd(&["SET", "k", "a\r\nb"]));
        f.extend(format!("#{}\r\n", "x".repeat(1000)).as_bytes());
        f.extend(cmd(&["DEL", ""]));
        let (cmds, how, valid) = read_all(&f);
        assert_eq!(how, "end");
        assert_eq!(valid, f.len() as u64);
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0][2], b"a\r\nb");
        assert_eq!(cmds[1][1], b"");
        assert_eq!(read_all(b"").1, "end");
    }

    #[test]
    fn every_cut_of_a_file_is_a_torn_tail_at_the_last_command() {
        let mut f = cmd(&["SET", "key", "value"]);
        let first = f.len() as u64;
        f.extend(b"#TS:1700000001\r\n");
        let annotated = f.len() as u64;
        f.extend(cmd(&["RPUSH", "list", "a", "bb"]));
        for cut in 1..f.len() {
            let (cmds, how, valid) = read_all(&f[..cut]);
            if cut as u64 == first || cut as u64 == annotated {
                assert_eq!((how, cmds.len()), ("end", 1), "cut at {cut}");
            } else {
                assert_eq!(how, "eof", "cut at {cut}");
                assert_eq!(
                    valid,
                    if (cut as u64) < first { 0 } else { first },
                    "cut {cut}"
                );
            }
        }
    }

    #[test]
    fn garbage_is_a_format_error_even_at_the_end() {
        for (bytes, why) in [
            (&b"*0\r\n"[..], "no arguments"),
            (b"*-1\r\n", "negative count"),
            (b"*x\r\n", "not a number"),
            (b"+OK\r\n", "not a command"),
            (b"*1\r\n:1\r\n", "not a bulk"),
            (b"*1\r\n$-1\r\n", "negative length"),
            (b"*1\r\n$1\r\nab\r\n", "length too short"),
            (b"*1\r\n$3\r\nab\r\n*1\r\n$4\r\nPING\r\n", "length too long"),
            (b"hello", "garbage cut short"),
            (b"*1\r\nhello", "garbage instead of a length, cut short"),
        ] {
            let mut f = cmd(&["PING"]);
            f.extend_from_slice(bytes);
            let (cmds, how, valid) = read_all(&f);
            assert_eq!((cmds.len(), how), (1, "format"), "{why}");
            assert_eq!(valid, 14, "{why}");
        }
        // A line longer than any count, length or annotation.
        let long = format!("*{}", "1".repeat(2000));
        assert_eq!(read_all(long.as_bytes()).1, "format");
    }

    #[test]
    fn lengths_do_not_allocate_ahead_of_the_data() {
        // A corrupt length of 1 TB at the end of a file: a torn tail, not an allocation.
        let f = b"*1\r\n$1099511627776\r\nab";
        assert_eq!(read_all(f).1, "eof");
    }
}
