//! The append-only file over real processes: the ferrokv binary and, when installed,
//! Debian's redis-server 7.0 and redis-check-aof.
//!
//! - Recovery: a torn tail or an unfinished MULTI in the last incremental file is cut
//!   off under `aof-load-truncated yes` (logged, the file truncated to the last complete
//!   command, later writes appended cleanly); every other damage — the same tail with
//!   the option off, garbage inside a file, a short file that is not the last, a bad
//!   manifest, a missing file, a corrupt RDB base, an unknown command — stops start-up
//!   with exit status 1 and a message naming the file (and offset), every file
//!   byte-identical afterwards.
//! - Interop both ways: directories Redis 7.0 writes (RDB base, command base, old-style
//!   single files with and without an RDB preamble) load into ferrokv with identical
//!   data; directories ferrokv writes load into Redis and pass redis-check-aof.
//! - Behaviour side by side with Redis 7.0: BGREWRITEAOF replies, BGSAVE during a
//!   rewrite, CONFIG SET appendonly, INFO fields, manifests and file names through
//!   start-up and rewrites, appendfsync at run time, SHUTDOWN.
//! - Write failures, provoked with RLIMIT_FSIZE: MISCONF and recovery under everysec,
//!   exit under always — as Redis.
//!
//! Every wait has a generous deadline; nothing asserts how fast anything is.

mod common;
mod rdb_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{RespClient, encode_request};
use rdb_support::*;

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

const AOF_ON: &[(&str, &str)] = &[("appendonly", "yes")];

fn aof_dir(d: &TempDir) -> PathBuf {
    d.file("appendonlydir")
}

fn manifest_text(d: &TempDir) -> String {
    std::fs::read_to_string(aof_dir(d).join("appendonly.aof.manifest")).unwrap_or_default()
}

/// Names of the files in the AOF directory, sorted.
fn aof_files(d: &TempDir) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(aof_dir(d))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Every file under `dir` (recursively) but logs: path → bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_none_or(|x| x != "log") {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// An installed tool from the Redis distribution (redis-check-aof has no --version, so
/// PATH is searched), or None after a notice; a panic when Redis is required.
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        common::require_tool(name)?;
    }
    found
}

/// Start ferrokv on `dir`, expecting it to refuse: exit status 1 within 30 s. Returns
/// the log.
fn start_must_fail(dir: &TempDir, opts: &[(&str, &str)]) -> String {
    let mut all = AOF_ON.to_vec();
    all.extend_from_slice(opts);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &all);
    let st: ExitStatus = p.wait_exit(Duration::from_secs(30));
    let log = p.log_text();
    assert_eq!(st.code(), Some(1), "expected exit status 1; log:\n{log}");
    assert!(!log.contains("panicked"), "{log}");
    log
}

/// Start-up refuses `dir` with a log line containing every piece of `expect`, and
/// leaves every file as it was.
fn refused(dir: &TempDir, opts: &[(&str, &str)], expect: &[&str]) -> String {
    let before = snapshot(dir.path());
    let log = start_must_fail(dir, opts);
    let line = log
        .lines()
        .find(|l| expect.iter().all(|e| l.contains(e)))
        .unwrap_or_else(|| panic!("no log line with {expect:?}:\n{log}"));
    assert!(
        snapshot(dir.path()) == before,
        "a refused start-up modified files; log:\n{log}"
    );
    if std::env::var_os("AOF_SHOW").is_some() {
        eprintln!("REFUSED {expect:?}: {line}");
    }
    line.to_string()
}

/// A ferrokv directory with some data in base and incremental files, shut down cleanly.
/// Returns the keyspace.
fn make_dir(dir: &TempDir, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut opts = AOF_ON.to_vec();
    opts.extend_from_slice(extra);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &opts);
    p.ready();
    let mut c = p.client();
    run(&mut c, &random_workload(3, 200));
    let before = describe(&mut c, ALL_DBS);
    p.shutdown(&[]);
    before
}

fn incr_path(dir: &TempDir, seq: u64) -> PathBuf {
    aof_dir(dir).join(format!("appendonly.aof.{seq}.incr.aof"))
}

fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    f.write_all(bytes).unwrap();
}

fn cmd_bytes(line: &str) -> Vec<u8> {
    let args = common::split_line(line);
    let a: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
    encode_request(&a)
}

fn len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn ferro(dir: &TempDir, opts: &[(&str, &str)]) -> Proc {
    let mut all = AOF_ON.to_vec();
    all.extend_from_slice(opts);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &all);
    p.ready();
    p
}

// ---------------------------------------------------------------------------------------
// Recovery
// ---------------------------------------------------------------------------------------

#[test]
fn torn_tail_is_cut_when_allowed_and_later_writes_append_cleanly() {
    let dir = TempDir::new("aof-torn");
    let before = make_dir(&dir, &[]);
    let incr = incr_path(&dir, 1);
    let good = len(&incr);
    // A crash in the middle of writing a command: its header and part of an argument.
    let torn = cmd_bytes("SET torn:key some-value");
    append(&incr, &torn[..torn.len() - 7]);
    let dropped = torn.len() - 7;

    let mut p = ferro(&dir, &[]);
    let log = p.log_text();
    assert!(
        log.contains(&format!(
            "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset {good}, dropping {dropped} bytes of incomplete commands !!!"
        )) && log.contains("AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled")
            && log.contains("!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!"),
        "{log}"
    );
    assert_eq!(
        len(&incr),
        good,
        "the file is cut at the last complete command"
    );
    let mut c = p.client();
    diff(
        &loose(&before),
        &loose(&describe(&mut c, ALL_DBS)),
        "after the torn tail",
    );
    // Writes after the cut follow the last complete command.
    c.expect(&["SET", "after", "1"], b"+OK\r\n");
    c.expect(&["RPUSH", "after:list", "a", "b"], b":2\r\n");
    let expected = describe(&mut c, ALL_DBS);
    // SIGKILL: nothing but the log itself keeps these.
    p.signal(libc::SIGKILL);
    p.wait_exit(Duration::from_secs(10));
    let log_len = p.log_text().len();

    let mut p = ferro(&dir, &[]);
    let log = p.log_text();
    assert!(
        !log[log_len..].contains("Truncating"),
        "{}",
        &log[log_len..]
    );
    diff(
        &loose(&expected),
        &loose(&describe(&mut p.client(), ALL_DBS)),
        "after restart",
    );
    p.shutdown(&[]);
}

#[test]
fn unfinished_multi_at_the_tail_is_reverted() {
    let dir = TempDir::new("aof-multi");
    let before = make_dir(&dir, &[]);
    let incr = incr_path(&dir, 1);
    let good = len(&incr);
    let mut tail = cmd_bytes("MULTI");
    tail.extend(cmd_bytes("SET multi:a 1"));
    tail.extend(cmd_bytes("INCR multi:b"));
    append(&incr, &tail);

    let mut p = ferro(&dir, &[]);
    let log = p.log_text();
    assert!(
        log.contains(
            "Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof"
        ) && log.contains(&format!(
            "Truncating the AOF appendonly.aof.1.incr.aof at offset {good}, dropping {} bytes",
            tail.len()
        )),
        "{log}"
    );
    assert_eq!(len(&incr), good);
    let mut c = p.client();
    c.expect(&["EXISTS", "multi:a", "multi:b"], b":0\r\n");
    diff(
        &loose(&before),
        &loose(&describe(&mut c, ALL_DBS)),
        "after the revert",
    );
    // A transaction cut in the middle of a queued command is the same case.
    c.expect(&["SET", "later", "x"], b"+OK\r\n");
    p.shutdown(&[]);
    let good = len(&incr);
    let mut tail = cmd_bytes("MULTI");
    tail.extend(cmd_bytes("SET multi:c 1"));
    let cut = cmd_bytes("SET multi:d 2");
    tail.extend(&cut[..5]);
    append(&incr, &tail);
    let mut p = ferro(&dir, &[]);
    assert_eq!(len(&incr), good);
    let mut c = p.client();
    c.expect(&["EXISTS", "multi:c", "multi:d"], b":0\r\n");
    c.expect(&["GET", "later"], b"$1\r\nx\r\n");
    p.shutdown(&[]);
}

#[test]
fn torn_tail_is_fatal_when_not_allowed() {
    let dir = TempDir::new("aof-torn-no");
    make_dir(&dir, &[]);
    let incr = incr_path(&dir, 1);
    let good = len(&incr);
    let torn = cmd_bytes("SET torn:key some-value");
    append(&incr, &torn[..torn.len() - 3]);
    let line = refused(
        &dir,
        &[("aof-load-truncated", "no")],
        &["appendonly.aof.1.incr.aof", &format!("offset {good}")],
    );
    assert!(line.contains("Unexpected end of file"), "{line}");
    // The unfinished MULTI too.
    let dir = TempDir::new("aof-multi-no");
    make_dir(&dir, &[]);
    let incr = incr_path(&dir, 1);
    let good = len(&incr);
    let mut tail = cmd_bytes("MULTI");
    tail.extend(cmd_bytes("SET multi:a 1"));
    append(&incr, &tail);
    refused(
        &dir,
        &[("aof-load-truncated", "no")],
        &["appendonly.aof.1.incr.aof", &format!("offset {good}")],
    );
}

#[test]
fn garbage_inside_a_file_is_fatal_even_with_truncation_allowed() {
    let dir = TempDir::new("aof-garbage");
    make_dir(&dir, &[]);
    let incr = incr_path(&dir, 1);
    let mut bytes = std::fs::read(&incr).unwrap();
    // Break the header of the third command: offset of its start.
    let mut at = 0;
    let mut starts = Vec::new();
    while let Some(i) = bytes[at..].windows(2).position(|w| w == b"\n*") {
        starts.push(at + i + 1);
        at += i + 1;
    }
    let off = starts[2];
    bytes[off] = b'!';
    std::fs::write(&incr, &bytes).unwrap();
    let line = refused(
        &dir,
        &[("aof-load-truncated", "yes")],
        &[
            "Bad file format",
            "appendonly.aof.1.incr.aof",
            &format!("offset {off}"),
        ],
    );
    assert!(line.contains("redis-check-aof --fix"), "{line}");

    // A length that does not match its bulk.
    let dir = TempDir::new("aof-badlen");
    make_dir(&dir, &[]);
    let incr = incr_path(&dir, 1);
    let good = len(&incr);
    let mut bad = b"*2\r\n$3\r\nDEL\r\n$2\r\nabc\r\n".to_vec();
    bad.extend(cmd_bytes("SET x y"));
    append(&incr, &bad);
    refused(
        &dir,
        &[],
        &[
            "Bad file format",
            "appendonly.aof.1.incr.aof",
            &format!("offset {good}"),
        ],
    );

    // An unknown command.
    let dir = TempDir::new("aof-unknown");
    make_dir(&dir, &[]);
    let incr = incr_path(&dir, 1);
    let good = len(&incr);
    append(&incr, &cmd_bytes("NOSUCHCOMMAND a b"));
    refused(
        &dir,
        &[],
        &[
            "Unknown command 'NOSUCHCOMMAND'",
            "appendonly.aof.1.incr.aof",
            &format!("offset {good}"),
        ],
    );
}

/// A directory whose manifest lists a base and two incremental files, the first ending
/// short.
#[test]
fn a_short_file_that_is_not_the_last_is_fatal() {
    let dir = TempDir::new("aof-short-mid");
    make_dir(&dir, &[]);
    let d = aof_dir(&dir);
    let incr1 = incr_path(&dir, 1);
    let good = len(&incr1);
    let torn = cmd_bytes("SET torn 1");
    append(&incr1, &torn[..torn.len() - 2]);
    std::fs::write(
        d.join("appendonly.aof.2.incr.aof"),
        cmd_bytes("SET later 1"),
    )
    .unwrap();
    std::fs::write(
        d.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
    )
    .unwrap();
    let line = refused(
        &dir,
        &[],
        &["appendonly.aof.1.incr.aof", "not the last file"],
    );
    assert!(line.contains(&format!("{good}")), "{line}");
    // An unfinished MULTI in a file that is not the last is the same.
    std::fs::write(&incr1, cmd_bytes("MULTI")).unwrap();
    refused(
        &dir,
        &[],
        &["appendonly.aof.1.incr.aof", "not the last file"],
    );
}

#[test]
fn bad_manifests_are_fatal() {
    let cases: &[(&str, &str)] = &[
        ("", "Found an empty AOF manifest"),
        (
            "file appendonly.aof.1.base.rdb seq 1\n",
            "Invalid AOF manifest file format",
        ),
        (
            "file appendonly.aof.1.base.rdb seq 1 type x\n",
            "Unknown AOF file type",
        ),
        (
            "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.base.rdb seq 1 type b\n",
            "Found duplicate base file information",
        ),
        (
            "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 2 type i\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
            "Found a non-monotonic sequence number",
        ),
        (
            "file ../appendonly.aof.1.base.rdb seq 1 type b\n",
            "File can't be a path, just a filename",
        ),
        (
            "file \"unbalanced seq 1 type b\n",
            "Invalid AOF manifest file format",
        ),
    ];
    for (text, err) in cases {
        let dir = TempDir::new("aof-manifest");
        make_dir(&dir, &[]);
        std::fs::write(aof_dir(&dir).join("appendonly.aof.manifest"), text).unwrap();
        refused(&dir, &[], &[err]);
        let log = std::fs::read_to_string(dir.file("ferrokv.log")).unwrap();
        assert!(
            log.contains("appendonly.aof.manifest"),
            "{err}: the manifest is named:\n{log}"
        );
    }
}

#[test]
fn a_missing_file_is_fatal() {
    let dir = TempDir::new("aof-missing");
    make_dir(&dir, &[]);
    std::fs::remove_file(incr_path(&dir, 1)).unwrap();
    refused(
        &dir,
        &[],
        &["appendonly.aof.1.incr.aof", "No such file or directory"],
    );
    let dir = TempDir::new("aof-missing-base");
    make_dir(&dir, &[]);
    std::fs::remove_file(aof_dir(&dir).join("appendonly.aof.1.base.rdb")).unwrap();
    refused(
        &dir,
        &[],
        &["appendonly.aof.1.base.rdb", "No such file or directory"],
    );
}

#[test]
fn a_corrupt_rdb_base_is_fatal() {
    let dir = TempDir::new("aof-badbase");
    // Enough data in the base for a flipped byte to land inside a value.
    make_dir(&dir, &[]);
    let mut p = ferro(&dir, &[]);
    let mut c = p.client();
    run(&mut c, &curated());
    c.expect(
        &["BGREWRITEAOF"],
        b"+Background append only file rewriting started\r\n",
    );
    wait_rewrite(&mut c);
    p.shutdown(&[]);
    let base = aof_dir(&dir).join("appendonly.aof.2.base.rdb");
    let orig = std::fs::read(&base).unwrap();
    // Cut short: the RDB ends inside a value. Not a torn tail: the base is never cut.
    std::fs::write(&base, &orig[..orig.len() / 2]).unwrap();
    let line = refused(&dir, &[], &["appendonly.aof.2.base.rdb", "offset"]);
    assert!(!line.contains("Truncating"), "{line}");
    // A flipped byte: the checksum (or the format) catches it.
    let mut flipped = orig.clone();
    flipped[orig.len() / 2] ^= 0x5a;
    std::fs::write(&base, &flipped).unwrap();
    refused(&dir, &[], &["appendonly.aof.2.base.rdb", "offset"]);
    // Put back, it loads.
    std::fs::write(&base, &orig).unwrap();
    let mut p = ferro(&dir, &[]);
    p.shutdown(&[]);
}

/// Wait for a running rewrite to finish; returns aof_last_bgrewrite_status.
fn wait_rewrite(c: &mut RespClient) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let busy = info_field(c, "persistence", "aof_rewrite_in_progress") == "1"
            || info_field(c, "persistence", "aof_rewrite_scheduled") == "1";
        if !busy {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "rewrite still running after 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    info_field(c, "persistence", "aof_last_bgrewrite_status")
}

// ---------------------------------------------------------------------------------------
// Interop
// ---------------------------------------------------------------------------------------

const LIB: &str = "#!lua name=aoflib\nredis.register_function('twice', function(keys, args) return args[1] * 2 end)\nredis.register_function('setit', function(keys, args) return redis.call('SET', keys[1], args[1]) end)";

/// Commands whose effect a server must record in a replayable form: relative TTLs,
/// random picks, blocking pops served at once, consumer-group moves, scripts,
/// transactions, several databases, a key that expires lazily.
fn propagation_workload() -> Vec<String> {
    [
        "SET rel:ex v EX 100000",
        "SET rel:px v PX 100000000",
        "SETEX rel:setex 100000 v",
        "PSETEX rel:psetex 100000000 v",
        "SET rel:expire v",
        "EXPIRE rel:expire 100000",
        "SET rel:getex v",
        "GETEX rel:getex EX 200000",
        "SET rel:keepttl v EX 100000",
        "SET rel:keepttl w KEEPTTL",
        "INCRBYFLOAT float 1.5",
        "INCRBYFLOAT float 0.1",
        "HINCRBYFLOAT hfloat f 2.5",
        "SADD spop a b c d e f g h i j",
        "SPOP spop",
        "SPOP spop 3",
        "RPUSH blist a b c d",
        "BLPOP blist 0",
        "BRPOP blist 0",
        "LMOVE blist blist2 LEFT RIGHT",
        "BLMOVE blist blist2 LEFT LEFT 0",
        "ZADD bz 1 a 2 b 3 c 4 d",
        "BZPOPMAX bz 0",
        "ZPOPMIN bz",
        "XADD xs 1-1 a 1",
        "XADD xs 2-1 b 2",
        "XADD xs 3-1 c 3",
        "XGROUP CREATE xs g 0",
        "XREADGROUP GROUP g alice COUNT 2 STREAMS xs >",
        "XCLAIM xs g bob 0 1-1",
        "XAUTOCLAIM xs g carol 0 0 COUNT 1",
        "XACK xs g 2-1",
        "XGROUP CREATECONSUMER xs g dave",
        "XREADGROUP GROUP g dave STREAMS xs >",
        "SETBIT bits 7 1",
        "PFADD hll a b c",
        "GEOADD geo 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
        "COPY rel:ex copied",
        "SET tomove v",
        "MOVE tomove 1",
        "EVAL \"redis.call('SET', KEYS[1], 'x'); return redis.call('INCR', KEYS[2])\" 2 ev:a ev:b",
        "EVAL \"return redis.call('SRANDMEMBER', KEYS[1])\" 1 spop",
        "MULTI",
        "SET tx:a 1",
        "INCR tx:b",
        "LPUSH tx:c x",
        "EXEC",
        "FCALL setit 1 fc:key fc:value",
        "SELECT 5",
        "SET db5:key v",
        "SADD db5:set a b",
        "SELECT 0",
        "SET gone v PX 1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Send each line, not asserting success (the queued replies of MULTI are +QUEUED).
fn run_lines(c: &mut RespClient, lines: &[String]) {
    for l in lines {
        let args = common::split_line(l);
        let a: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
        let r = c.val_b(&a);
        assert!(!r.is_error(), "{}: {l} -> {r:?}", c.name);
    }
}

/// A RESTORE of a DUMP, and a key that expired and was removed lazily.
fn finish_workload(c: &mut RespClient) {
    let payload = c.val(&["DUMP", "spop"]).bytes().to_vec();
    assert_eq!(
        c.cmd_b(&[b"RESTORE", b"restored", b"0", &payload]),
        b"+OK\r\n"
    );
    std::thread::sleep(Duration::from_millis(5));
    c.expect(&["GET", "gone"], b"$-1\r\n");
}

/// Each library's name, code and function names (in a stable order: Redis lists them in
/// its dictionary's order).
fn functions_of(c: &mut RespClient) -> Vec<String> {
    let list = c.val(&["FUNCTION", "LIST", "WITHCODE"]);
    let mut out = Vec::new();
    for lib in list.array() {
        let fields = lib.array();
        let mut desc = Vec::new();
        for kv in fields.chunks(2) {
            if kv[0].bytes() == b"functions" {
                let mut names: Vec<String> = kv[1].array().iter().map(render).collect();
                names.sort();
                desc.push(names.join(","));
            } else {
                desc.push(format!("{}={}", render(&kv[0]), render(&kv[1])));
            }
        }
        out.push(desc.join(" "));
    }
    out.sort();
    out
}

/// Redis 7.0 writes an AOF directory (RDB base, rewrite, incremental writes of every
/// kind); ferrokv loads the same data and functions.
#[test]
fn redis_directory_loads_into_ferrokv() {
    if !redis_available() {
        return;
    }
    for preamble in ["yes", "no"] {
        let dir = TempDir::new("aof-from-redis");
        let opts = [("appendonly", "yes"), ("aof-use-rdb-preamble", preamble)];
        let mut r = spawn(Kind::Redis, dir.path(), &opts);
        r.ready();
        let mut c = r.client();
        run(&mut c, &curated());
        assert_eq!(c.cmd(&["FUNCTION", "LOAD", LIB]), b"$6\r\naoflib\r\n");
        c.expect(
            &["BGREWRITEAOF"],
            b"+Background append only file rewriting started\r\n",
        );
        wait_rewrite(&mut c);
        run(&mut c, &random_workload(11, 400));
        run_lines(&mut c, &propagation_workload());
        finish_workload(&mut c);
        let live = describe(&mut c, ALL_DBS_AND_5);
        let funcs = functions_of(&mut c);
        r.shutdown(&[]);
        let ext = if preamble == "yes" { "rdb" } else { "aof" };
        assert_eq!(
            manifest_text(&dir),
            format!(
                "file appendonly.aof.2.base.{ext} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
            )
        );
        // The truth is what Redis itself rebuilds from these files: its log does not
        // keep everything (a group's entries-read, consumers' seen-time).
        let copy = copy_dir(&dir);
        let mut r = spawn(Kind::Redis, copy.path(), AOF_ON);
        r.ready();
        let reloaded = describe(&mut r.client(), ALL_DBS_AND_5);
        r.shutdown(&[]);
        assert!(reloaded.len() > 50);
        assert_eq!(
            live.keys().collect::<Vec<_>>(),
            reloaded.keys().collect::<Vec<_>>()
        );
        let mut p = ferro(&dir, &[]);
        let mut c = p.client();
        diff(
            &timeless(&reloaded),
            &timeless(&describe(&mut c, ALL_DBS_AND_5)),
            &format!("preamble {preamble}: Redis's reload, then ferrokv's"),
        );
        assert_eq!(functions_of(&mut c), funcs);
        let log = p.log_text();
        assert!(
            log.contains(&format!(
                "DB loaded from base file appendonly.aof.2.base.{ext}"
            )),
            "{log}"
        );
        p.shutdown(&[]);
    }
}

/// A copy of a test directory.
fn copy_dir(dir: &TempDir) -> TempDir {
    let to = TempDir::new("copy");
    let st = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", dir.path().display()))
        .arg(to.path())
        .status()
        .expect("cp");
    assert!(st.success());
    to
}

/// Without times the clock gives while a log replays: in the XINFO STREAM FULL part of a
/// stream's description (a consumer's seen-time, a pending entry's delivery time when a
/// replayed XREADGROUP sets it), unix-ms values within two days of now. Everything else,
/// entry IDs and TTLs included, stays exact.
fn timeless(m: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let now = common::now_ms();
    let mask = |v: &str| {
        let mut out = String::new();
        let mut num = String::new();
        for ch in v.chars().chain(std::iter::once(' ')) {
            if ch.is_ascii_digit() {
                num.push(ch);
                continue;
            }
            if num.len() == 13
                && num
                    .parse::<i64>()
                    .is_ok_and(|n| (n - now).abs() < 2 * 86_400_000)
            {
                out.push_str("<now>");
            } else {
                out.push_str(&num);
            }
            num.clear();
            out.push(ch);
        }
        out.pop();
        out
    };
    m.iter()
        .map(|(k, v)| {
            let v = match (v.starts_with("stream "), xinfo_start(v)) {
                (true, Some(at)) => format!("{}{}", &v[..at], mask(&v[at..])),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// Where the XINFO part of a stream's description starts: after the XRANGE array that
/// follows `pexpiretime=N `.
fn xinfo_start(v: &str) -> Option<usize> {
    let from = v.find("pexpiretime=")?;
    let open = from + v[from..].find(' ')? + 1;
    let (mut depth, mut in_str, mut esc) = (0, false, false);
    for (i, ch) in v[open..].char_indices() {
        match (in_str, esc, ch) {
            (true, true, _) => esc = false,
            (true, false, '\\') => esc = true,
            (true, false, '"') => in_str = false,
            (true, false, _) => {}
            (false, _, '"') => in_str = true,
            (false, _, '[') => depth += 1,
            (false, _, ']') => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

pub const ALL_DBS_AND_5: &[usize] = &[0, 1, 2, 3, 5, 7, 8, 9, 15];

/// The commands of `lines` as an AOF: RESP, with the SELECTs the lines contain.
fn as_aof(lines: &[String]) -> Vec<u8> {
    let mut out = cmd_bytes("SELECT 0");
    for l in lines {
        out.extend(cmd_bytes(l));
    }
    out
}

/// An AOF of Redis before 7.0: one `appendonly.aof` in `dir`, commands only or an RDB
/// preamble followed by commands. Both servers migrate it into a directory the same way
/// and load the same data.
#[test]
fn old_style_single_file_is_migrated_like_redis() {
    let Some(_) = tool("redis-server") else {
        return;
    };
    // An RDB snapshot for the preamble, from Redis itself.
    let src = TempDir::new("aof-old-src");
    let mut r = spawn(Kind::Redis, src.path(), &[]);
    r.ready();
    let mut c = r.client();
    run(&mut c, &curated());
    c.expect(&["SAVE"], b"+OK\r\n");
    r.shutdown(&["NOSAVE"]);
    let rdb = std::fs::read(src.file("dump.rdb")).unwrap();
    let tail = as_aof(&random_workload(21, 300));
    let mut with_preamble = rdb.clone();
    with_preamble.extend_from_slice(&tail);
    // XADD * picks a new ID at each replay.
    let curated: Vec<String> = curated()
        .into_iter()
        .filter(|l| !l.contains(" * "))
        .collect();
    for (what, bytes) in [("commands", as_aof(&curated)), ("preamble", with_preamble)] {
        let mut keyspaces = Vec::new();
        let mut layouts = Vec::new();
        for kind in [Kind::Redis, Kind::Ferrokv] {
            let dir = TempDir::new("aof-old");
            std::fs::write(dir.file("appendonly.aof"), &bytes).unwrap();
            let mut p = spawn(kind, dir.path(), AOF_ON);
            p.ready();
            keyspaces.push(describe(&mut p.client(), ALL_DBS));
            p.shutdown(&[]);
            assert!(
                !dir.file("appendonly.aof").exists(),
                "{kind:?} {what}: moved"
            );
            let base = std::fs::read(aof_dir(&dir).join("appendonly.aof")).unwrap();
            assert!(
                base == bytes,
                "{kind:?} {what}: the old file is the base, unchanged"
            );
            layouts.push((manifest_text(&dir), aof_files(&dir)));
            if kind == Kind::Ferrokv {
                let log = p.log_text();
                assert!(
                    log.contains("Successfully migrated an old-style AOF"),
                    "{log}"
                );
            }
        }
        diff(&timeless(&keyspaces[0]), &timeless(&keyspaces[1]), what);
        assert!(
            keyspaces[0].len() > 20,
            "{what}: {} keys",
            keyspaces[0].len()
        );
        assert_eq!(
            layouts[0], layouts[1],
            "{what}: Redis's directory, then ours"
        );
    }
}

/// ferrokv writes a directory (base, rewrite, incremental writes); redis-check-aof
/// accepts it and Redis 7.0 loads the same data and functions.
#[test]
fn ferrokv_directory_loads_into_redis() {
    if !redis_available() {
        return;
    }
    for opt in [
        ("aof-disable-auto-gc", "no"),
        ("aof-disable-auto-gc", "yes"),
        ("aof-timestamp-enabled", "yes"),
    ] {
        let dir = TempDir::new("aof-to-redis");
        let mut p = ferro(&dir, &[opt]);
        let mut c = p.client();
        run(&mut c, &curated());
        assert_eq!(c.cmd(&["FUNCTION", "LOAD", LIB]), b"$6\r\naoflib\r\n");
        c.expect(
            &["BGREWRITEAOF"],
            b"+Background append only file rewriting started\r\n",
        );
        assert_eq!(wait_rewrite(&mut c), "ok");
        run(&mut c, &random_workload(12, 400));
        if opt.0 == "aof-timestamp-enabled" {
            // A new second: the next write is annotated.
            std::thread::sleep(Duration::from_millis(1100));
        }
        run_lines(&mut c, &deterministic_lines());
        let before = describe(&mut c, ALL_DBS_AND_5);
        let funcs = functions_of(&mut c);
        p.shutdown(&[]);
        let manifest = manifest_text(&dir);
        if opt == ("aof-disable-auto-gc", "yes") {
            // The replaced files stay, listed as history.
            assert!(manifest.contains("type h"), "{manifest}");
        }
        if opt.0 == "aof-timestamp-enabled" {
            let incr = std::fs::read(incr_path(&dir, 2)).unwrap();
            assert!(
                incr.windows(6).any(|w| w == b"\n#TS:1"),
                "{}",
                String::from_utf8_lossy(&incr)
            );
            // ferrokv reads its own annotations too.
            let mut p = ferro(&dir, &[]);
            diff(
                &loose(&before),
                &loose(&describe(&mut p.client(), ALL_DBS_AND_5)),
                "restart",
            );
            p.shutdown(&[]);
        }
        check_aof(&dir);
        let mut r = spawn(Kind::Redis, dir.path(), AOF_ON);
        r.ready();
        let mut c = r.client();
        diff(
            &loose(&before),
            &loose(&describe(&mut c, ALL_DBS_AND_5)),
            &format!("{opt:?}"),
        );
        assert_eq!(functions_of(&mut c), funcs);
        r.shutdown(&[]);
    }
}

/// Writes a replay reproduces whatever the server records them as: absolute TTLs,
/// transactions, scripts, functions, several databases.
fn deterministic_lines() -> Vec<String> {
    [
        "SET abs:px v PXAT 4102444800000",
        "SET abs:expire v",
        "PEXPIREAT abs:expire 4102444800123",
        "MULTI",
        "SET tx:a 1",
        "INCR tx:b",
        "LPUSH tx:c x",
        "EXEC",
        "EVAL \"redis.call('SET', KEYS[1], 'x'); return redis.call('INCR', KEYS[2])\" 2 ev:a ev:b",
        "FCALL setit 1 fc:key fc:value",
        "SELECT 5",
        "SET db5:key v",
        "SADD db5:set a b",
        "SELECT 0",
        "RPUSH dl a b c",
        "LPOP dl",
        "ZADD dz 1 a 2 b",
        "ZREM dz a",
        "XADD dx 5-1 a 1",
        "XADD dx 5-2 b 2",
        "XGROUP CREATE dx g 0",
        "XGROUP CREATECONSUMER dx g c1",
        "XDEL dx 5-1",
        "DEL abs:none",
        "SELECT 3",
        "FLUSHALL",
        "SET after:flush 1",
        "SELECT 0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// redis-check-aof accepts the directory's manifest and files.
fn check_aof(dir: &TempDir) {
    let Some(t) = tool("redis-check-aof") else {
        return;
    };
    let out = Command::new(t)
        .arg(aof_dir(dir).join("appendonly.aof.manifest"))
        .stderr(Stdio::null())
        .output()
        .expect("run redis-check-aof");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("All AOF files and manifest are valid"),
        "redis-check-aof:\n{text}"
    );
}

// ---------------------------------------------------------------------------------------
// Behaviour side by side with Redis 7.0
// ---------------------------------------------------------------------------------------

/// What a scenario saw, to compare across servers.
#[derive(Default)]
struct Transcript(Vec<String>);

impl Transcript {
    fn note(&mut self, what: &str, v: impl std::fmt::Display) {
        self.0.push(format!("{what}: {v}"));
    }

    fn reply(&mut self, c: &mut RespClient, args: &[&str]) {
        let r = c.val(args);
        self.note(&args.join(" "), render(&r));
    }

    /// The manifest and the files next to it (temporary files carry a pid: left out).
    fn layout(&mut self, what: &str, d: &TempDir) {
        self.note(
            &format!("{what}: manifest"),
            manifest_text(d).replace('\n', " | "),
        );
        let files: Vec<String> = aof_files(d)
            .into_iter()
            .filter(|f| !f.starts_with("temp-"))
            .collect();
        self.note(&format!("{what}: files"), files.join(" "));
    }
}

/// Wait until no child runs and none is scheduled, twice in a row a cron tick or more
/// apart (Redis starts a scheduled BGSAVE, which INFO does not show, from its cron).
fn wait_idle(c: &mut RespClient) {
    wait_idle_once(c);
    std::thread::sleep(Duration::from_millis(250));
    wait_idle_once(c);
}

fn wait_idle_once(c: &mut RespClient) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let busy = [
            "aof_rewrite_in_progress",
            "aof_rewrite_scheduled",
            "rdb_bgsave_in_progress",
        ]
        .iter()
        .any(|f| info_field(c, "persistence", f) != "0");
        if !busy {
            return;
        }
        assert!(Instant::now() < deadline, "a child still runs after 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The names of the `aof_*` fields of INFO persistence, in order.
fn aof_info_names(c: &mut RespClient) -> String {
    let info = c.val(&["INFO", "persistence"]);
    String::from_utf8_lossy(info.bytes())
        .lines()
        .filter_map(|l| l.split_once(':').map(|x| x.0.to_string()))
        .filter(|n| n.starts_with("aof_"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Run `scenario` on ferrokv and on Redis (in parallel, each in its own directory) and
/// require the same transcript.
fn side_by_side(
    opts: &'static [(&'static str, &'static str)],
    scenario: fn(&mut Proc, &TempDir, &mut Transcript),
) {
    if !redis_available() {
        return;
    }
    let run = move |kind: Kind| {
        let dir = TempDir::new("aof-side");
        let mut p = spawn(kind, dir.path(), opts);
        p.ready();
        let mut t = Transcript::default();
        scenario(&mut p, &dir, &mut t);
        (t.0, p.log_text())
    };
    let redis = std::thread::spawn(move || run(Kind::Redis));
    let (ours, our_log) = run(Kind::Ferrokv);
    let (theirs, their_log) = redis.join().expect("Redis scenario");
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(
            a, b,
            "step {i} differs (left ferrokv, right Redis)\nferrokv log:\n{our_log}\nRedis log:\n{their_log}"
        );
    }
    assert_eq!(ours.len(), theirs.len());
}

/// 100 keys and a save delay of `ms` per key: a child that runs for a while.
fn slow_children(c: &mut RespClient, us_per_key: &str) {
    let mut args = vec!["MSET".to_string()];
    for i in 0..100 {
        args.push(format!("slow:{i}"));
        args.push(i.to_string());
    }
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    c.expect(&a, b"+OK\r\n");
    c.expect(
        &["CONFIG", "SET", "rdb-key-save-delay", us_per_key],
        b"+OK\r\n",
    );
}

#[test]
fn rewrite_and_bgsave_replies_and_manifests_match_redis() {
    side_by_side(&[("appendonly", "yes")], |p, d, t| {
        let mut c = p.client();
        t.layout("start-up", d);
        t.note("INFO names", aof_info_names(&mut c));
        slow_children(&mut c, "20000");
        t.reply(&mut c, &["BGREWRITEAOF"]);
        t.note(
            "in progress",
            info_field(&mut c, "persistence", "aof_rewrite_in_progress"),
        );
        t.layout("during the rewrite", d);
        t.reply(&mut c, &["BGREWRITEAOF"]);
        t.reply(&mut c, &["BGSAVE"]);
        t.reply(&mut c, &["BGSAVE", "SCHEDULE"]);
        t.note("INFO names while rewriting", aof_info_names(&mut c));
        c.expect(&["SET", "during", "rewrite"], b"+OK\r\n");
        wait_idle(&mut c);
        t.note(
            "last status",
            info_field(&mut c, "persistence", "aof_last_bgrewrite_status"),
        );
        t.note(
            "rewrites",
            info_field(&mut c, "persistence", "aof_rewrites"),
        );
        t.layout("after the rewrite", d);
        // A rewrite asked for while a BGSAVE runs waits for it.
        t.reply(&mut c, &["BGSAVE"]);
        c.expect(&["CONFIG", "SET", "rdb-key-save-delay", "0"], b"+OK\r\n");
        t.reply(&mut c, &["BGREWRITEAOF"]);
        t.note(
            "scheduled",
            info_field(&mut c, "persistence", "aof_rewrite_scheduled"),
        );
        t.reply(&mut c, &["BGREWRITEAOF"]);
        t.layout("while scheduled", d);
        wait_idle(&mut c);
        t.note(
            "rewrites",
            info_field(&mut c, "persistence", "aof_rewrites"),
        );
        t.layout("after the scheduled rewrite", d);
        // Inside MULTI it is scheduled too.
        c.expect(&["MULTI"], b"+OK\r\n");
        c.expect(&["BGREWRITEAOF"], b"+QUEUED\r\n");
        t.reply(&mut c, &["EXEC"]);
        wait_idle(&mut c);
        t.layout("after the rewrite from EXEC", d);
        c.expect(&["SET", "last", "1"], b"+OK\r\n");
        p.shutdown(&[]);
        t.layout("after SHUTDOWN", d);
        let log = p.log_text();
        t.note(
            "fsync at shutdown",
            log.contains("Calling fsync() on the AOF file."),
        );
        let mut p2 = spawn(p.kind, d.path(), &[("appendonly", "yes")]);
        p2.ready();
        let mut c = p2.client();
        t.reply(&mut c, &["DBSIZE"]);
        t.reply(&mut c, &["MGET", "during", "last", "slow:99"]);
        t.layout("after restart", d);
        p2.shutdown(&[]);
    });
}

#[test]
fn appendonly_and_appendfsync_at_run_time_match_redis() {
    side_by_side(&[("appendonly", "no")], |p, d, t| {
        let mut c = p.client();
        c.expect(&["SET", "before", "1"], b"+OK\r\n");
        c.expect(&["RPUSH", "list", "a", "b"], b":2\r\n");
        t.note("dir before", aof_dir(d).exists());
        t.reply(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
        wait_idle(&mut c);
        t.note("enabled", info_field(&mut c, "persistence", "aof_enabled"));
        t.note("INFO names", aof_info_names(&mut c));
        t.layout("after turning on", d);
        c.expect(&["SET", "on:always", "1"], b"+OK\r\n");
        for policy in ["everysec", "no", "always"] {
            t.reply(&mut c, &["CONFIG", "SET", "appendfsync", policy]);
            t.reply(&mut c, &["CONFIG", "GET", "appendfsync"]);
            c.expect(&["SET", &format!("on:{policy}"), "1"], b"+OK\r\n");
        }
        t.reply(&mut c, &["CONFIG", "SET", "appendonly", "no"]);
        t.note("enabled", info_field(&mut c, "persistence", "aof_enabled"));
        t.note("INFO names off", aof_info_names(&mut c));
        c.expect(&["SET", "off", "1"], b"+OK\r\n");
        t.layout("after turning off", d);
        // On again: the new base holds everything, "off" included.
        t.reply(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
        wait_idle(&mut c);
        t.layout("on again", d);
        c.expect(&["SET", "last", "1"], b"+OK\r\n");
        // SIGKILL: only the log keeps the data.
        p.signal(libc::SIGKILL);
        p.wait_exit(Duration::from_secs(10));
        let mut p2 = spawn(p.kind, d.path(), &[("appendonly", "yes")]);
        p2.ready();
        let mut c = p2.client();
        t.reply(&mut c, &["DBSIZE"]);
        let mut keys: Vec<String> = c
            .val(&["KEYS", "on:*"])
            .array()
            .iter()
            .map(render)
            .collect();
        keys.sort();
        t.note("KEYS on:*", keys.join(","));
        t.reply(&mut c, &["MGET", "before", "off", "last"]);
        t.reply(&mut c, &["LRANGE", "list", "0", "-1"]);
        p2.shutdown(&[]);
    });
}

// ---------------------------------------------------------------------------------------
// Write failures
// ---------------------------------------------------------------------------------------

/// [`spawn`] with RLIMIT_FSIZE at `limit` bytes and SIGXFSZ ignored (inherited through
/// exec): a write past `limit` in any file fails with EFBIG, a full disk without root.
fn spawn_limited(kind: Kind, dir: &Path, opts: &[(&str, &str)], limit: u64) -> Proc {
    use std::os::unix::process::CommandExt;
    let port = free_port();
    let log = dir.join(match kind {
        Kind::Ferrokv => "ferrokv.log",
        Kind::Redis => "redis.log",
    });
    let bin = match kind {
        Kind::Ferrokv => env!("CARGO_BIN_EXE_ferrokv-server").to_string(),
        Kind::Redis => "redis-server".to_string(),
    };
    let mut cmd = Command::new(bin);
    cmd.args([
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
    ])
    .args(["--dir", &dir.display().to_string()])
    .args(["--logfile", &log.display().to_string()]);
    if kind == Kind::Redis {
        cmd.args(["--daemonize", "no"]);
    }
    for (k, v) in opts {
        cmd.arg(format!("--{k}")).arg(v);
    }
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: libc::RLIM_INFINITY,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut p = Proc {
        child: Some(child),
        port,
        log,
        kind,
    };
    p.ready();
    p
}

/// Lift the file size limit of a running process.
fn unlimit(p: &Proc) {
    let pid = p.child.as_ref().expect("running").id() as i32;
    let lim = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: prlimit on our own child, reading nothing back.
    let r = unsafe { libc::prlimit(pid, libc::RLIMIT_FSIZE, &lim, std::ptr::null_mut()) };
    assert_eq!(r, 0, "prlimit: {}", std::io::Error::last_os_error());
}

const LIMIT: u64 = 32 * 1024;

/// SETs of 1000-byte values until one is refused; returns the replies.
fn fill(c: &mut RespClient, t: &mut Transcript) -> usize {
    let value = "x".repeat(1000);
    for i in 0..100 {
        let r = c.val(&["SET", &format!("k{i}"), &value]);
        if r.is_error() {
            t.note(&format!("SET k{i}"), render(&r));
            return i;
        }
    }
    panic!("the file size limit never bit");
}

#[test]
fn write_errors_under_everysec_refuse_writes_until_solved_like_redis() {
    if !redis_available() {
        return;
    }
    let run = |kind: Kind| {
        let dir = TempDir::new("aof-efbig");
        let opts = [("appendonly", "yes"), ("appendfsync", "everysec")];
        let mut p = spawn_limited(kind, dir.path(), &opts, LIMIT);
        let mut c = p.client();
        let mut t = Transcript::default();
        let ok = fill(&mut c, &mut t);
        t.note("acknowledged", ok);
        t.note(
            "write status",
            info_field(&mut c, "persistence", "aof_last_write_status"),
        );
        t.reply(&mut c, &["GET", "k0"]);
        t.reply(&mut c, &["SET", "another", "1"]);
        unlimit(&p);
        assert!(
            common::wait_until(Duration::from_secs(10), || info_field(
                &mut c,
                "persistence",
                "aof_last_write_status"
            ) == "ok"),
            "{kind:?}: the write error was never solved"
        );
        t.reply(&mut c, &["SET", "after", "1"]);
        p.shutdown(&[]);
        let log = p.log_text();
        t.note(
            "solved",
            log.contains("AOF write error looks solved, Redis can write again."),
        );
        let mut p = spawn(kind, dir.path(), AOF_ON);
        p.ready();
        let mut c = p.client();
        t.reply(&mut c, &["DBSIZE"]);
        t.reply(&mut c, &["EXISTS", "after"]);
        p.shutdown(&[]);
        (t.0, log)
    };
    let redis = std::thread::spawn(move || run(Kind::Redis));
    let (ours, our_log) = run(Kind::Ferrokv);
    let (theirs, their_log) = redis.join().unwrap();
    assert_eq!(
        ours, theirs,
        "\nferrokv log:\n{our_log}\nRedis log:\n{their_log}"
    );
}

#[test]
fn write_errors_under_always_exit_and_lose_nothing_acknowledged_like_redis() {
    if !redis_available() {
        return;
    }
    let run = |kind: Kind| {
        let dir = TempDir::new("aof-efbig-always");
        let opts = [("appendonly", "yes"), ("appendfsync", "always")];
        let mut p = spawn_limited(kind, dir.path(), &opts, LIMIT);
        let mut c = p.client();
        let value = "x".repeat(1000);
        let mut ok = 0;
        for i in 0..100 {
            c.send(&[b"SET", format!("k{i}").as_bytes(), value.as_bytes()]);
            // The server exits instead of answering a write it could not log.
            if c.is_closed(Duration::from_secs(10)) {
                break;
            }
            let r = c.read_value();
            assert!(!r.is_error(), "{r:?}");
            ok += 1;
        }
        let st = p.wait_exit(Duration::from_secs(10));
        let log = p.log_text();
        assert_eq!(st.code(), Some(1), "{kind:?}:\n{log}");
        assert!(
            log.contains(
                "Can't recover from AOF write error when the AOF fsync policy is 'always'"
            ),
            "{kind:?}:\n{log}"
        );
        // The partial command was cut before exiting (a strict start-up accepts the
        // file); everything acknowledged is there, nothing else.
        let mut p = spawn(
            kind,
            dir.path(),
            &[("appendonly", "yes"), ("aof-load-truncated", "no")],
        );
        p.ready();
        let mut c = p.client();
        let n = c.int(&["DBSIZE"]);
        p.shutdown(&[]);
        (ok, n)
    };
    let redis = std::thread::spawn(move || run(Kind::Redis));
    let (ok, n) = run(Kind::Ferrokv);
    assert_eq!(
        n as usize, ok,
        "ferrokv: every acknowledged SET and nothing else"
    );
    assert_eq!(
        redis.join().unwrap(),
        (ok, n),
        "Redis (acknowledged, loaded)"
    );
}

/// Commands that would block a client run on the loading client as if their timeout
/// had passed (Redis's CLIENT_DENY_BLOCKING); commands that fail are skipped; the
/// replay goes on either way.
#[test]
fn blocking_and_failing_commands_replay_without_stopping() {
    let dir = TempDir::new("aof-blocking");
    make_dir(&dir, &[]);
    let incr = incr_path(&dir, 1);
    let mut tail = Vec::new();
    for l in [
        "BLPOP nolist 0",
        "BRPOP nolist 1",
        "BLMOVE nolist other LEFT RIGHT 0",
        "BZPOPMIN nozset 0",
        "XREAD BLOCK 0 STREAMS nostream $",
        "XREADGROUP GROUP g c BLOCK 0 STREAMS nostream >",
        "SET str v",
        "LPUSH str x",
        "EXEC",
        "DISCARD",
        "SELECT 99",
        "INCR str",
        "MULTI",
        "BLPOP nolist2 0",
        "SET in:tx 1",
        "EXEC",
        "SET last 1",
    ] {
        tail.extend(cmd_bytes(l));
    }
    append(&incr, &tail);
    let mut p = ferro(&dir, &[("aof-load-truncated", "no")]);
    let mut c = p.client();
    c.expect(
        &["MGET", "str", "in:tx", "last"],
        b"*3\r\n$1\r\nv\r\n$1\r\n1\r\n$1\r\n1\r\n",
    );
    c.expect(
        &["EXISTS", "nolist", "other", "nozset", "nostream"],
        b":0\r\n",
    );
    p.shutdown(&[]);
    if redis_available() {
        let mut r = spawn(Kind::Redis, dir.path(), AOF_ON);
        r.ready();
        r.client().expect(
            &["MGET", "str", "in:tx", "last"],
            b"*3\r\n$1\r\nv\r\n$1\r\n1\r\n$1\r\n1\r\n",
        );
        r.shutdown(&[]);
    }
}

/// What ferrokv records for commands whose effect depends on the moment, on chance or
/// on state (relative TTLs, SPOP, XADD *, blocking pops, consumer groups, FLUSHDB on one
/// database...) replays to the same data, in ferrokv and in Redis 7.0.
#[test]
fn replay_reproduces_what_each_command_did() {
    let dir = TempDir::new("aof-replay");
    let mut p = ferro(&dir, &[]);
    let mut c = p.client();
    run(&mut c, &curated());
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", LIB]), b"$6\r\naoflib\r\n");
    run_lines(&mut c, &propagation_workload());
    finish_workload(&mut c);
    run_lines(
        &mut c,
        &[
            "XADD xstar * a 1",
            "XADD xstar MAXLEN 1 * b 2",
            "SELECT 7",
            "SET flushed v",
            "FLUSHDB",
            "SWAPDB 8 9",
            "SELECT 0",
        ]
        .map(String::from),
    );
    let live = describe(&mut c, ALL_DBS_AND_5);
    p.signal(libc::SIGKILL);
    p.wait_exit(Duration::from_secs(10));
    let mut p = ferro(&dir, &[]);
    let after = describe(&mut p.client(), ALL_DBS_AND_5);
    p.shutdown(&[]);
    diff(&timeless(&live), &timeless(&after), "ferrokv's replay");
    if redis_available() {
        check_aof(&dir);
        let mut r = spawn(Kind::Redis, dir.path(), AOF_ON);
        r.ready();
        let theirs = describe(&mut r.client(), ALL_DBS_AND_5);
        r.shutdown(&[]);
        diff(&timeless(&live), &timeless(&theirs), "Redis's replay");
    }
}

/// A rewrite child that cannot write its base (the file size limit, again): the rewrite
/// fails, the incremental file it opened stays listed, writes go on; once the disk has
/// room a rewrite replaces everything. As Redis.
#[test]
fn failed_rewrites_keep_the_log_whole_like_redis() {
    if !redis_available() {
        return;
    }
    let run = |kind: Kind| {
        let dir = TempDir::new("aof-rw-fail");
        // Uncompressed, a 40 kB string of zeros is a 40 kB base; its log is 50 bytes.
        let opts = [("appendonly", "yes"), ("rdbcompression", "no")];
        let mut p = spawn_limited(kind, dir.path(), &opts, LIMIT);
        let mut c = p.client();
        let mut t = Transcript::default();
        t.reply(&mut c, &["SETRANGE", "big", "40000", "x"]);
        for i in 0..2 {
            t.reply(&mut c, &["BGREWRITEAOF"]);
            t.note("status", wait_rewrite(&mut c));
            t.note(
                "failures",
                info_field(&mut c, "persistence", "aof_rewrites_consecutive_failures"),
            );
            t.note(
                "rewrites",
                info_field(&mut c, "persistence", "aof_rewrites"),
            );
            t.layout(&format!("after failure {i}"), &dir);
            t.reply(&mut c, &["INCR", "counter"]);
        }
        unlimit(&p);
        t.reply(&mut c, &["BGREWRITEAOF"]);
        t.note("status", wait_rewrite(&mut c));
        t.note(
            "failures",
            info_field(&mut c, "persistence", "aof_rewrites_consecutive_failures"),
        );
        t.layout("after success", &dir);
        t.reply(&mut c, &["INCR", "counter"]);
        p.signal(libc::SIGKILL);
        p.wait_exit(Duration::from_secs(10));
        let log = p.log_text();
        let mut p = spawn(kind, dir.path(), AOF_ON);
        p.ready();
        let mut c = p.client();
        t.reply(&mut c, &["STRLEN", "big"]);
        t.reply(&mut c, &["GET", "counter"]);
        p.shutdown(&[]);
        (t.0, log)
    };
    let redis = std::thread::spawn(move || run(Kind::Redis));
    let (ours, our_log) = run(Kind::Ferrokv);
    let (theirs, their_log) = redis.join().unwrap();
    if std::env::var_os("AOF_SHOW").is_some() {
        eprintln!("{ours:#?}");
    }
    assert_eq!(
        ours, theirs,
        "\nferrokv log:\n{our_log}\nRedis log:\n{their_log}"
    );
}

/// CONFIG SET appendonly while a BGSAVE runs (the first rewrite waits for it) and while
/// a rewrite runs (turning it off stops the rewrite).
#[test]
fn appendonly_switched_while_children_run_matches_redis() {
    side_by_side(&[("appendonly", "no")], |p, d, t| {
        let mut c = p.client();
        slow_children(&mut c, "20000");
        t.reply(&mut c, &["BGSAVE"]);
        t.reply(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
        t.note(
            "scheduled",
            info_field(&mut c, "persistence", "aof_rewrite_scheduled"),
        );
        t.note("enabled", info_field(&mut c, "persistence", "aof_enabled"));
        c.expect(&["SET", "while:bgsave", "1"], b"+OK\r\n");
        c.expect(&["CONFIG", "SET", "rdb-key-save-delay", "0"], b"+OK\r\n");
        wait_idle(&mut c);
        t.layout("on after the BGSAVE", d);
        // Off in the middle of a rewrite: the child is stopped, its file removed.
        c.expect(
            &["CONFIG", "SET", "rdb-key-save-delay", "20000"],
            b"+OK\r\n",
        );
        t.reply(&mut c, &["BGREWRITEAOF"]);
        t.layout("rewriting", d);
        t.reply(&mut c, &["CONFIG", "SET", "appendonly", "no"]);
        t.note(
            "in progress",
            info_field(&mut c, "persistence", "aof_rewrite_in_progress"),
        );
        c.expect(&["CONFIG", "SET", "rdb-key-save-delay", "0"], b"+OK\r\n");
        c.expect(&["SET", "while:off", "1"], b"+OK\r\n");
        std::thread::sleep(Duration::from_millis(200));
        t.layout("off", d);
        t.reply(&mut c, &["BGREWRITEAOF"]);
        wait_idle(&mut c);
        t.layout("rewritten while off", d);
        t.reply(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
        wait_idle(&mut c);
        t.layout("on again", d);
        c.expect(&["SET", "last", "1"], b"+OK\r\n");
        p.signal(libc::SIGKILL);
        p.wait_exit(Duration::from_secs(10));
        let mut p2 = spawn(p.kind, d.path(), &[("appendonly", "yes")]);
        p2.ready();
        let mut c = p2.client();
        t.reply(&mut c, &["DBSIZE"]);
        t.reply(&mut c, &["MGET", "while:bgsave", "while:off", "last"]);
        p2.shutdown(&[]);
    });
}

/// SHUTDOWN while the first base after `appendonly yes` is written is refused (the log
/// does not hold the dataset yet), SHUTDOWN FORCE is not; once written it goes through.
#[test]
fn shutdown_waits_for_the_initial_rewrite_like_redis() {
    side_by_side(&[("appendonly", "no")], |p, d, t| {
        let mut c = p.client();
        slow_children(&mut c, "20000");
        t.reply(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
        t.reply(&mut c, &["SHUTDOWN"]);
        t.note(
            "refused",
            p.log_text().contains("Writing initial AOF, can't exit."),
        );
        wait_idle(&mut c);
        t.layout("written", d);
        c.expect(&["SET", "after", "1"], b"+OK\r\n");
        p.shutdown(&[]);
        let mut p2 = spawn(p.kind, d.path(), &[("appendonly", "yes")]);
        p2.ready();
        let mut c = p2.client();
        t.reply(&mut c, &["DBSIZE"]);
        // And FORCE exits at once, leaving the previous log as it was.
        c.expect(&["CONFIG", "SET", "appendonly", "no"], b"+OK\r\n");
        c.expect(
            &["CONFIG", "SET", "rdb-key-save-delay", "20000"],
            b"+OK\r\n",
        );
        t.reply(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
        c.send(&[b"SHUTDOWN", b"FORCE"]);
        let st = p2.wait_exit(Duration::from_secs(10));
        t.note("FORCE exit status", st.code().unwrap_or(-1));
        t.layout("after FORCE", d);
        let mut p3 = spawn(p.kind, d.path(), &[("appendonly", "yes")]);
        p3.ready();
        t.reply(&mut p3.client(), &["DBSIZE"]);
        p3.shutdown(&[]);
    });
}

/// Whether the server starts on `dir` (true) or refuses it with exit status 1 (false).
fn starts(kind: Kind, dir: &TempDir) -> bool {
    let mut p = spawn(kind, dir.path(), AOF_ON);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(st) = p.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
            p.child = None;
            assert_eq!(st.code(), Some(1), "{}", p.log_text());
            return false;
        }
        // Redis listens before it loads: only an answer to PING says it started.
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", p.port)) {
            use std::io::{Read, Write};
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut b = [0u8; 64];
            if s.write_all(b"PING\r\n").is_ok()
                && s.read(&mut b).is_ok_and(|n| b[..n].starts_with(b"+PONG"))
            {
                p.shutdown(&[]);
                return true;
            }
        }
        assert!(Instant::now() < deadline, "neither started nor exited");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The manifest parser accepts exactly what Redis 7.0.15's accepts.
#[test]
fn manifests_are_accepted_exactly_when_redis_accepts_them() {
    if !redis_available() {
        return;
    }
    let template = TempDir::new("aof-manifests");
    make_dir(&template, &[]);
    let (b, i) = ("appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof");
    let cases = [
        format!("file {b} seq 1 type b\nfile {i} seq 1 type i\n"),
        format!("file {b} seq 1 type b\n\nfile {i} seq 1 type i\n"),
        format!("file {b} seq 1 type b\n \t \nfile {i} seq 1 type i\n"),
        format!("FILE {b} SEQ 1 TYPE b\nFile {i} Seq 1 Type i\n"),
        format!("file {b} seq 1 type base\nfile {i} seq 1 type incr\n"),
        format!("file {b} seq abc type b\nfile {i} seq 1 type i\n"),
        format!("file {b} seq 0 type b\nfile {i} seq 1 type i\n"),
        format!("file {b} seq 1 type b\nfile {i} seq 1 type i"),
        format!("file {b} seq 1 type b owner me\nfile {i} seq 1 type i\n"),
        format!("# comment\nfile {b} seq 1 type b\n#\nfile {i} seq 1 type i\n"),
        format!("file {b} seq 1 type b\r\nfile {i} seq 1 type i\r\n"),
        format!("file {b} seq 1 type b x\nfile {i} seq 1 type i\n"),
        format!("file \"{b}\" seq 1 type b\nfile '{i}' seq 1 type i\n"),
        format!("file \"{b}\nfile {i} seq 1 type i\n"),
        format!("  file {b}   seq 1 type b  \nfile {i} seq 1 type i\n"),
        format!("file {b} seq 1 type b\nfile {b} seq 2 type b\nfile {i} seq 1 type i\n"),
        format!("file {b} seq 1 type b\nfile {i} seq 2 type i\nfile {i} seq 1 type i\n"),
        format!("file {b} seq 1 type b\nfile {i} seq 1 type z\n"),
        format!("file {b} seq 1 type b\nfile x\\y seq 1 type h\nfile {i} seq 1 type i\n"),
        format!("file {b} seq 1 type b\nfile gone seq 1 type h\nfile {i} seq 1 type i\n"),
        format!("file {i} seq 1 type i\n"),
        String::new(),
    ];
    for text in &cases {
        let verdicts: Vec<bool> = [Kind::Ferrokv, Kind::Redis]
            .into_iter()
            .map(|kind| {
                let dir = copy_dir(&template);
                std::fs::write(aof_dir(&dir).join("appendonly.aof.manifest"), text).unwrap();
                starts(kind, &dir)
            })
            .collect();
        if std::env::var_os("AOF_SHOW").is_some() {
            eprintln!("{verdicts:?} {text:?}");
        }
        assert_eq!(
            verdicts[0], verdicts[1],
            "manifest {text:?}: ferrokv, then Redis"
        );
    }
}

/// With `aof-use-rdb-preamble no` the base is commands: ferrokv reloads its own, Redis
/// loads it, redis-check-aof accepts it.
#[test]
fn ferrokv_command_base_reloads_and_loads_into_redis() {
    let dir = TempDir::new("aof-cmd-base");
    let mut p = ferro(&dir, &[("aof-use-rdb-preamble", "no")]);
    let mut c = p.client();
    run(&mut c, &curated());
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", LIB]), b"$6\r\naoflib\r\n");
    c.expect(
        &["BGREWRITEAOF"],
        b"+Background append only file rewriting started\r\n",
    );
    assert_eq!(wait_rewrite(&mut c), "ok");
    run(&mut c, &random_workload(13, 300));
    let before = describe(&mut c, ALL_DBS_AND_5);
    let funcs = functions_of(&mut c);
    p.signal(libc::SIGKILL);
    p.wait_exit(Duration::from_secs(10));
    assert_eq!(
        manifest_text(&dir),
        "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    let mut p = ferro(&dir, &[("aof-use-rdb-preamble", "no")]);
    let mut c = p.client();
    diff(
        &timeless(&before),
        &timeless(&describe(&mut c, ALL_DBS_AND_5)),
        "ferrokv's reload",
    );
    assert_eq!(functions_of(&mut c), funcs);
    p.shutdown(&[]);
    if redis_available() {
        check_aof(&dir);
        let mut r = spawn(Kind::Redis, dir.path(), AOF_ON);
        r.ready();
        let mut c = r.client();
        diff(
            &timeless(&before),
            &timeless(&describe(&mut c, ALL_DBS_AND_5)),
            "Redis's load",
        );
        assert_eq!(functions_of(&mut c), funcs);
        r.shutdown(&[]);
    }
}

/// A long replay at start-up answers clients meanwhile: `-LOADING` for commands, INFO
/// with `loading:1`, as Redis does (slowed down with the `key-load-delay` test hook).
#[test]
fn clients_get_loading_while_the_aof_replays() {
    let dir = TempDir::new("aof-loading");
    std::fs::create_dir_all(aof_dir(&dir)).unwrap();
    let mut bytes = Vec::new();
    for i in 0..3000 {
        bytes.extend_from_slice(&cmd_bytes(&format!("SET key:{i} value")));
    }
    std::fs::write(incr_path(&dir, 1), &bytes).unwrap();
    std::fs::write(
        aof_dir(&dir).join("appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    // 3000 commands × 300 µs: about a second of replay.
    let mut p = spawn(
        Kind::Ferrokv,
        dir.path(),
        &[("appendonly", "yes"), ("key-load-delay", "300")],
    );
    let mut c = RespClient::connect(p.port);
    let reply = c.cmd(&["PING"]);
    assert!(
        reply.starts_with(b"-LOADING Redis is loading the dataset in memory"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
    assert!(info.contains("loading:1\r\n"), "{info}");
    p.ready();
    c.expect(&["DBSIZE"], b":3000\r\n");
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
    assert!(info.contains("loading:0\r\n"), "{info}");
    p.shutdown(&[]);
}

/// Under `appendfsync always` replies wait for the fsync, and a client is not read while
/// it waits: pipelined clients stopped in the middle of their batch must be resumed once
/// released, or they would wait forever for replies to requests still in their buffer.
#[test]
fn pipelined_clients_under_always_get_every_reply() {
    let dir = TempDir::new("aof-pipeline");
    let mut p = ferro(&dir, &[("appendfsync", "always")]);
    let port = p.port;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                let mut c = RespClient::connect(port);
                for round in 0..30 {
                    let mut batch = Vec::new();
                    for i in 0..40 {
                        let k = format!("p:{t}:{round}:{i}");
                        batch.extend_from_slice(&encode_request(&[b"SET", k.as_bytes(), b"v"]));
                    }
                    c.send_raw(&batch);
                    for i in 0..40 {
                        let r = c.try_read_reply(Duration::from_secs(20));
                        assert_eq!(
                            r.as_deref(),
                            Some(&b"+OK\r\n"[..]),
                            "thread {t} round {round} reply {i}"
                        );
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a pipelined client failed");
    }
    let mut c = p.client();
    c.expect(&["DBSIZE"], b":9600\r\n");
    p.shutdown(&[]);
}
