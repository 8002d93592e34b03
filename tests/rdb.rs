//! RDB persistence over real processes: the ferrokv binary and, when installed, Debian's
//! redis-server 7.0 and redis-check-rdb.
//!
//! - Round trips: data written, saved (SAVE, BGSAVE, SHUTDOWN, SIGTERM, save points),
//!   the server restarted on the same directory, every key compared (type, encoding,
//!   absolute expiry, contents).
//! - Interop both ways: a file ferrokv writes passes redis-check-rdb and loads into
//!   redis-server with identical data; a file redis-server writes loads into ferrokv with
//!   identical data. DUMP payloads cross between the two as well.
//! - Files from Redis's own test suite (tests/fixtures/rdb), including the corrupt ones,
//!   and truncated and bit-flipped files: a clean error naming file and offset, exit
//!   status 1, the file untouched; in process, every truncation and every bit flip of a
//!   small file is refused without a panic.
//!
//! Every wait has a generous deadline; nothing asserts how fast anything is.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Resp, RespClient, parse, require_tool};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rdb");

// ---------------------------------------------------------------------------------------
// Processes and directories
// ---------------------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "ferrokv-rdb-{}-{}-{tag}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .unwrap()
        .port()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Ferrokv,
    Redis,
}

/// A server process working in `dir`, logging to `dir/<kind>.log`.
struct Proc {
    child: Option<Child>,
    port: u16,
    log: PathBuf,
    kind: Kind,
}

fn spawn(kind: Kind, dir: &Path, opts: &[(&str, &str)]) -> Proc {
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
    cmd.args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1"])
        .args(["--dir", &dir.display().to_string()])
        .args(["--logfile", &log.display().to_string()]);
    if kind == Kind::Redis {
        cmd.args(["--daemonize", "no", "--appendonly", "no"]);
    }
    // Default: no automatic snapshots; tests that want save points pass `save`.
    if !opts.iter().any(|(k, _)| *k == "save") {
        cmd.args(["--save", ""]);
    }
    for (k, v) in opts {
        cmd.arg(format!("--{k}")).arg(v);
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {kind:?}: {e}"));
    Proc {
        child: Some(child),
        port,
        log,
        kind,
    }
}

impl Proc {
    /// Wait until the server answers PING with PONG (not -LOADING). Panics if it exits.
    fn ready(&mut self) -> &mut Self {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(st) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "{:?} exited with {st} during start-up; log:\n{}",
                    self.kind,
                    self.log_text()
                );
            }
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let _ = s.write_all(b"PING\r\n");
                let mut b = [0u8; 64];
                if let Ok(n) = s.read(&mut b)
                    && b[..n].starts_with(b"+PONG")
                {
                    return self;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{:?} not ready within 30 s; log:\n{}",
                self.kind,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn client(&self) -> RespClient {
        let mut c = RespClient::connect(self.port);
        c.name = format!("{:?}:{}", self.kind, self.port);
        c
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait for the process to exit on its own.
    fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        let child = self.child.as_mut().expect("process already reaped");
        loop {
            if let Some(st) = child.try_wait().expect("try_wait") {
                self.child = None;
                return st;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "{:?} did not exit within {within:?}; log:\n{}",
                    self.kind,
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SHUTDOWN with the given modifiers and wait for a clean exit.
    fn shutdown(&mut self, how: &[&str]) {
        let mut c = self.client();
        let mut args = vec!["SHUTDOWN"];
        args.extend_from_slice(how);
        c.send(&args.iter().map(|s| s.as_bytes()).collect::<Vec<_>>());
        let st = self.wait_exit(Duration::from_secs(30));
        assert!(
            st.success(),
            "{:?} exit {st}; log:\n{}",
            self.kind,
            self.log_text()
        );
    }

    fn signal(&self, sig: i32) {
        let pid = self.child.as_ref().expect("running").id() as i32;
        // SAFETY: signalling our own child process.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn redis_available() -> bool {
    require_tool("redis-server").is_some()
}

fn info_field(c: &mut RespClient, section: &str, field: &str) -> String {
    let info = c.val(&["INFO", section]);
    let text = String::from_utf8_lossy(info.bytes()).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}: {text}"))
        .to_string()
}

/// Poll until a BGSAVE finishes; returns rdb_last_bgsave_status.
fn wait_bgsave(c: &mut RespClient) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(c, "persistence", "rdb_bgsave_in_progress") != "0" {
        assert!(Instant::now() < deadline, "BGSAVE still running after 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    info_field(c, "persistence", "rdb_last_bgsave_status")
}

fn file_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn copy_fixture(name: &str, dir: &TempDir, as_name: &str) {
    std::fs::copy(Path::new(FIXTURES).join(name), dir.file(as_name))
        .unwrap_or_else(|e| panic!("copy fixture {name}: {e}"));
}

// ---------------------------------------------------------------------------------------
// A canonical description of a keyspace, comparable across servers and restarts
// ---------------------------------------------------------------------------------------

fn esc(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 2);
    s.push('"');
    for &c in b {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('"');
    s
}

fn render(r: &Resp) -> String {
    match r {
        Resp::Bulk(b) => esc(b),
        Resp::Simple(s) => format!("+{s}"),
        Resp::Error(e) => format!("-{e}"),
        Resp::Int(n) => n.to_string(),
        Resp::Nil => "nil".into(),
        Resp::Array(v) | Resp::Set(v) | Resp::Push(v) => {
            format!("[{}]", v.iter().map(render).collect::<Vec<_>>().join(","))
        }
        other => format!("{other:?}"),
    }
}

/// Sorted rendering of a flat reply taken `chunk` items at a time (pairs for HGETALL).
fn sorted_chunks(r: &Resp, chunk: usize) -> String {
    let items: Vec<String> = r.array().iter().map(render).collect();
    let mut groups: Vec<String> = items.chunks(chunk).map(|c| c.join("=")).collect();
    groups.sort();
    format!("{{{}}}", groups.join(","))
}

/// Every key of the listed databases: type, encoding, absolute expiry and contents.
fn describe(c: &mut RespClient, dbs: &[usize]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for &db in dbs {
        assert_eq!(c.cmd(&["SELECT", &db.to_string()]), b"+OK\r\n");
        let keys = c.val(&["KEYS", "*"]);
        for k in keys.array() {
            let k = k.bytes().to_vec();
            out.insert(format!("db{db} {}", esc(&k)), describe_key(c, &k));
        }
    }
    assert_eq!(c.cmd(&["SELECT", "0"]), b"+OK\r\n");
    out
}

fn describe_key(c: &mut RespClient, k: &[u8]) -> String {
    let t = String::from_utf8_lossy(c.val_b(&[b"TYPE", k]).bytes()).into_owned();
    let enc = render(&c.val_b(&[b"OBJECT", b"ENCODING", k]));
    let exp = render(&c.val_b(&[b"PEXPIRETIME", k]));
    let v = match t.as_str() {
        "string" => render(&c.val_b(&[b"GET", k])),
        "list" => render(&c.val_b(&[b"LRANGE", k, b"0", b"-1"])),
        "hash" => sorted_chunks(&c.val_b(&[b"HGETALL", k]), 2),
        "set" => sorted_chunks(&c.val_b(&[b"SMEMBERS", k]), 1),
        "zset" => render(&c.val_b(&[b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"])),
        "stream" => format!(
            "{} {}",
            render(&c.val_b(&[b"XRANGE", k, b"-", b"+"])),
            render(&c.val_b(&[b"XINFO", b"STREAM", k, b"FULL"]))
        ),
        other => format!("<{other}>"),
    };
    format!("{t} enc={enc} pexpiretime={exp} {v}")
}

fn loose_one(v: &str) -> String {
    match v.split_once(" enc=") {
        Some((t, rest)) => format!("{t} {}", rest.split_once(' ').map_or("", |x| x.1)),
        None => v.to_string(),
    }
}

fn without_ttl(v: &str) -> String {
    match v.split_once(" pexpiretime=") {
        Some((head, rest)) => format!("{head} {}", rest.split_once(' ').map_or("", |x| x.1)),
        None => v.to_string(),
    }
}

/// Without encodings: an encoding legitimately changes across a reload, in Redis too (an
/// APPENDed `raw` string loads as `embstr` or `int`, a hashtable hash whose long values
/// are gone loads as a listpack). Tests compare encodings strictly between two servers
/// that loaded the same file.
fn loose(m: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    m.iter().map(|(k, v)| (k.clone(), loose_one(v))).collect()
}

trait ValB {
    fn val_b(&mut self, args: &[&[u8]]) -> Resp;
}

impl ValB for RespClient {
    fn val_b(&mut self, args: &[&[u8]]) -> Resp {
        parse(&self.cmd_b(args))
    }
}

fn diff(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>, what: &str) {
    if a == b {
        return;
    }
    let mut msg = format!("{what}: keyspaces differ\n");
    for (k, v) in a {
        match b.get(k) {
            None => {
                let _ = writeln!(msg, "  only in first: {k} = {}", trim(v));
            }
            Some(w) if w != v => {
                let _ = writeln!(
                    msg,
                    "  {k}:\n    first:  {}\n    second: {}",
                    trim(v),
                    trim(w)
                );
            }
            _ => {}
        }
    }
    for (k, v) in b {
        if !a.contains_key(k) {
            let _ = writeln!(msg, "  only in second: {k} = {}", trim(v));
        }
    }
    panic!("{msg}");
}

fn trim(s: &str) -> String {
    if s.len() > 400 {
        format!("{}...({} chars)", &s[..400], s.len())
    } else {
        s.to_string()
    }
}

// ---------------------------------------------------------------------------------------
// Data sets
// ---------------------------------------------------------------------------------------

fn run(c: &mut RespClient, lines: &[String]) {
    for l in lines {
        let args = common::split_line(l);
        let a: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
        let r = c.val_b(&a);
        assert!(!r.is_error(), "{}: {l} -> {r:?}", c.name);
    }
}

/// Commands creating keys of the types ferrokv supports, in every encoding.
fn curated() -> Vec<String> {
    let mut v: Vec<String> = [
        "SET int:small 12",
        "SET int:neg -123456",
        "SET int:big 9223372036854775807",
        "SET int:min -9223372036854775808",
        "SET int:lead 0123",
        "SET str:emb hello",
        "SET str:empty ''",
        "SET str:bin \"a\\x00b\\xffc\\r\\n\"",
        "SET 12345 \"a key that is an integer\"",
        "SET -1 minus-one",
        "SET str:ttl value PXAT 4102444800000",
        "SET str:ttl2 value2 PXAT 4102444800123",
        "SET str:float 3.14",
        "APPEND str:appended 99",
        "SADD set:ints 1 2 3 -5 100000 9223372036854775807 -9223372036854775808",
        "SADD set:strs a b c hello 1",
        "SADD set:one x",
        "SADD set:ttl 1 2",
        "PEXPIREAT set:ttl 4102444800000",
        "HSET hash:small f1 v1 f2 2 f3 -3 f4 9223372036854775807 empty ''",
        "HSET hash:ttl a 1",
        "PEXPIREAT hash:ttl 4102444800000",
        "RPUSH list:small a b c 1 2 3 -7 9223372036854775807 ''",
        "LPUSH list:ttl x",
        "PEXPIREAT list:ttl 4102444800000",
        "ZADD zset:small 1 a 2.5 b -3 c inf d -inf e 0 f 0.1 g 1e300 h",
        "ZADD zset:ints 1 1 2 2 3 -3 12345678901 big",
        "ZADD zset:ttl 1 a",
        "PEXPIREAT zset:ttl 4102444800000",
        "XADD stream:s 1700000000000-1 f v1 n 1",
        "XADD stream:s 1700000000000-2 f v2 n 2",
        "XADD stream:s 1700000000000-3 other x",
        "XADD stream:s 1700000000000-4 f v4 n 4",
        "XADD stream:s 1700000000001-0 f v5 n 5",
        "XDEL stream:s 1700000000000-2",
        "XGROUP CREATE stream:s g1 0",
        "XGROUP CREATE stream:s g2 $ ENTRIESREAD 4",
        "XGROUP CREATE stream:s g3 1700000000000-1",
        "XREADGROUP GROUP g1 alice COUNT 2 STREAMS stream:s >",
        "XREADGROUP GROUP g1 bob COUNT 1 STREAMS stream:s >",
        "XACK stream:s g1 1700000000000-1",
        "XGROUP CREATECONSUMER stream:s g2 carol",
        "XADD stream:empty 1-1 a b",
        "XDEL stream:empty 1-1",
        "XGROUP CREATE stream:empty g 0",
        "XADD stream:trimmed MAXLEN 2 * a 1",
        "XADD stream:ttl 5-5 a 1",
        "PEXPIREAT stream:ttl 4102444800000",
        "SELECT 3",
        "SET db3:key v3",
        "SADD db3:set a",
        "SELECT 15",
        "SET db15:key last",
        "SELECT 0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("SET str:raw {}", "abcdefghij".repeat(30)));
    v.push(format!("SET str:long {}", "z".repeat(100_000)));
    let noise: String = (0..300u32)
        .map(|i| char::from(b'!' + ((i * 7919 + 13) % 90) as u8))
        .filter(|c| !matches!(c, '"' | '\'' | '\\'))
        .collect();
    v.push(format!("SET str:noise \"{noise}\""));
    let fields: Vec<String> = (0..600).map(|i| format!("field:{i} value:{i}")).collect();
    v.push(format!("HSET hash:big {}", fields.join(" ")));
    v.push(format!("HSET hash:longval f {} g 1", "L".repeat(100)));
    for i in 0..60 {
        v.push(format!(
            "RPUSH list:big element-{i}-{} {i}",
            "y".repeat(120)
        ));
    }
    v.push(format!("LPUSH list:small {}", "x".repeat(70)));
    let members: Vec<String> = (0..200)
        .map(|i| format!("{}.25 member:{i}", i * 7 % 101))
        .collect();
    v.push(format!("ZADD zset:big {}", members.join(" ")));
    v.push(format!("ZADD zset:longmember 1 {} 2 short", "M".repeat(80)));
    for i in 0..300 {
        v.push(format!(
            "XADD stream:big {}-{} field {i} other y{}",
            1000 + i / 3,
            i % 3,
            "y".repeat(i % 50)
        ));
    }
    v.push("XTRIM stream:big MINID 1010".to_string());
    v.push("XDEL stream:big 1050-1 1099-2".to_string());
    let big: Vec<String> = (0..700).map(|i| i.to_string()).collect();
    v.push(format!("SADD set:bigints {}", big.join(" ")));
    let strs: Vec<String> = (0..300).map(|i| format!("member:{i}")).collect();
    v.push(format!("SADD set:bigstrs {}", strs.join(" ")));
    v
}

/// A seeded random workload of the supported types over a small keyspace.
fn random_workload(seed: u64, n: usize) -> Vec<String> {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut out = Vec::new();
    for _ in 0..n {
        let k = next() % 60;
        let val = match next() % 5 {
            0 => (next() as i64 >> (next() % 60)).to_string(),
            1 => format!("v{}", next() % 1000),
            2 => "x".repeat((next() % 200) as usize),
            3 => format!("{}", (next() % 100) as f64 / 8.0),
            _ => String::new(),
        };
        let val = if val.is_empty() { "''".into() } else { val };
        out.push(match next() % 15 {
            0 | 1 => format!("SET s:{k} {val}"),
            6 => format!("HSET h:{k} f{} {val}", next() % 30),
            8 => format!(
                "ZADD z:{k} {} m{}",
                (next() % 2000) as f64 / 16.0 - 50.0,
                next() % 40
            ),
            9 => format!("ZADD z:{k} {} {val}", next() % 7),
            10 => format!("ZREM z:{k} m{}", next() % 40),
            11 | 12 => format!("RPUSH l:{k} {val}"),
            13 => format!("LPUSH l:{k} {val} {}", next() % 100),
            14 => format!("LPOP l:{k}"),
            7 => format!("HDEL h:{k} f{}", next() % 30),
            2 => format!("SADD t:{k} {val}"),
            3 => format!("SADD t:{k} {}", next() % 50),
            4 => format!(
                "SET e:{k} {val} PXAT {}",
                4102444800000u64 + next() % 100000
            ),
            _ => format!("APPEND s:{k} {val}"),
        });
    }
    out
}

const ALL_DBS: &[usize] = &[0, 1, 2, 3, 15];

/// Server settings the interop tests run under: compressed and plain strings, and small
/// LZF-compressed list nodes (written by both servers as compressed blobs).
const CONFIGS: &[&[(&str, &str)]] = &[
    &[("rdbcompression", "yes")],
    &[("rdbcompression", "no")],
    &[
        ("list-compress-depth", "1"),
        ("list-max-listpack-size", "4"),
    ],
];

// ---------------------------------------------------------------------------------------
// Round trips through ferrokv alone
// ---------------------------------------------------------------------------------------

fn restart_and_compare(dir: &TempDir, before: &BTreeMap<String, String>, what: &str) {
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let after = describe(&mut p.client(), ALL_DBS);
    diff(&loose(before), &loose(&after), what);
    let log = p.log_text();
    assert!(
        log.contains("Loading RDB produced by version 7.0.15")
            && log.contains("Done loading RDB, keys loaded:"),
        "{log}"
    );
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn save_and_restart_keeps_every_key() {
    let dir = TempDir::new("save");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated());
    run(&mut c, &random_workload(7, 1500));
    let before = describe(&mut c, ALL_DBS);
    assert!(before.len() > 30);
    let t0 = c.val(&["LASTSAVE"]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    assert!(matches!((t0, c.val(&["LASTSAVE"])), (Resp::Int(a), Resp::Int(b)) if b >= a));
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert_eq!(info_field(&mut c, "persistence", "rdb_saves"), "1");
    assert!(p.log_text().contains("DB saved on disk"));
    p.shutdown(&["NOSAVE"]);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("temp-")), "{names:?}");
    restart_and_compare(&dir, &before, "SAVE then restart");
}

#[test]
fn bgsave_and_restart_keeps_every_key() {
    let dir = TempDir::new("bgsave");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated());
    run(&mut c, &random_workload(11, 1000));
    let before = describe(&mut c, ALL_DBS);
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    assert_eq!(wait_bgsave(&mut c), "ok");
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    let log = p.log_text();
    assert!(log.contains("Background saving started by pid"), "{log}");
    assert!(
        log.contains("Background saving terminated with success"),
        "{log}"
    );
    assert!(
        log.contains(":C ") && log.contains("DB saved on disk"),
        "{log}"
    );
    // Writes after the fork are counted as changes since the save.
    c.cmd(&["SET", "after", "fork"]);
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "1"
    );
    c.cmd(&["DEL", "after"]);
    p.shutdown(&["NOSAVE"]);
    restart_and_compare(&dir, &before, "BGSAVE then restart");
}

#[test]
fn bgsave_errors_and_schedule() {
    let dir = TempDir::new("bgsave-errors");
    let mut p = spawn(
        Kind::Ferrokv,
        dir.path(),
        &[("rdb-key-save-delay", "200000")],
    );
    p.ready();
    let mut c = p.client();
    c.expect_err(&["BGSAVE", "foo"], "ERR syntax error");
    c.expect_err(&["BGSAVE", "SCHEDULE", "x"], "ERR syntax error");
    for i in 0..10 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_bgsave_in_progress"),
        "1"
    );
    c.expect_err(&["BGSAVE"], "ERR Background save already in progress");
    c.expect_err(
        &["BGSAVE", "SCHEDULE"],
        "ERR Background save already in progress",
    );
    c.expect_err(&["SAVE"], "ERR Background save already in progress");
    // SHUTDOWN kills the child and removes its temporary file.
    p.shutdown(&["NOSAVE"]);
    let log = p.log_text();
    assert!(
        log.contains("There is a child saving an .rdb. Killing it!"),
        "{log}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!dir.file("dump.rdb").exists());

    // Inside MULTI, BGSAVE is scheduled for the cron.
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["BGSAVE"]);
    let r = c.val(&["EXEC"]);
    assert_eq!(
        r.array()[0],
        Resp::Simple("Background saving scheduled".into())
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dir.file("dump.rdb").exists() {
        assert!(Instant::now() < deadline, "scheduled BGSAVE never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(wait_bgsave(&mut c), "ok");
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn shutdown_and_sigterm_save_when_save_points_are_set() {
    let dir = TempDir::new("shutdown");
    // SHUTDOWN with save points: saves.
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("save", "3600 1")]);
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated());
    let before = describe(&mut c, ALL_DBS);
    p.shutdown(&[]);
    assert!(
        p.log_text()
            .contains("Saving the final RDB snapshot before exiting.")
    );
    restart_and_compare(&dir, &before, "SHUTDOWN then restart");

    // SIGTERM with save points: saves.
    std::fs::remove_file(dir.file("dump.rdb")).unwrap();
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("save", "3600 1")]);
    p.ready();
    let mut c = p.client();
    c.cmd(&["SET", "by", "sigterm"]);
    p.signal(libc::SIGTERM);
    let st = p.wait_exit(Duration::from_secs(30));
    assert!(st.success(), "{st}");
    assert!(
        p.log_text()
            .contains("Received SIGTERM scheduling shutdown...")
    );
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    assert_eq!(p.client().cmd(&["GET", "by"]), b"$7\r\nsigterm\r\n");
    // SHUTDOWN NOSAVE: the file stays as it was.
    let old = file_bytes(&dir.file("dump.rdb"));
    p.client().cmd(&["SET", "by", "changed"]);
    p.shutdown(&["NOSAVE"]);
    assert_eq!(file_bytes(&dir.file("dump.rdb")), old);
    // Without save points nothing is saved; SHUTDOWN SAVE forces it.
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    p.client().cmd(&["SET", "by", "changed"]);
    p.shutdown(&[]);
    assert_eq!(file_bytes(&dir.file("dump.rdb")), old);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    p.client().cmd(&["SET", "by", "forced"]);
    p.shutdown(&["SAVE"]);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    assert_eq!(p.client().cmd(&["GET", "by"]), b"$6\r\nforced\r\n");
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn save_points_trigger_a_background_save() {
    let dir = TempDir::new("savepoints");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("save", "1 2")]);
    p.ready();
    let mut c = p.client();
    c.cmd(&["SET", "a", "1"]);
    // One change is below the threshold of two.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(!dir.file("dump.rdb").exists());
    c.cmd(&["SET", "b", "2"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !p
        .log_text()
        .contains("Background saving terminated with success")
    {
        assert!(
            Instant::now() < deadline,
            "no automatic save: {}",
            p.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(p.log_text().contains("2 changes in 1 seconds. Saving..."));
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    p.shutdown(&["NOSAVE"]);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    assert_eq!(
        p.client().cmd(&["MGET", "a", "b"]),
        b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn failed_bgsave_stops_writes_with_misconf() {
    let dir = TempDir::new("misconf");
    let gone = dir.file("gone");
    std::fs::create_dir(&gone).unwrap();
    let mut p = spawn(
        Kind::Ferrokv,
        &gone,
        &[
            ("save", "3600 1"),
            ("logfile", &dir.file("ferrokv.log").display().to_string()),
        ],
    );
    p.log = dir.file("ferrokv.log");
    p.ready();
    let mut c = p.client();
    c.cmd(&["SET", "k", "v"]);
    std::fs::remove_dir(&gone).unwrap();
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    assert_eq!(wait_bgsave(&mut c), "err");
    let misconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
    c.expect_err(&["SET", "k", "w"], misconf);
    c.expect_err(&["PING"], misconf);
    assert_eq!(c.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    assert!(p.log_text().contains("Background saving error"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd(&["SET", "k", "w"]), b"+OK\r\n");
    // A successful save clears the error.
    std::fs::create_dir(&gone).unwrap();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    assert_eq!(wait_bgsave(&mut c), "ok");
    assert_eq!(c.cmd(&["SET", "k", "x"]), b"+OK\r\n");
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn flushall_saves_the_empty_dataset_with_save_points() {
    let dir = TempDir::new("flushall");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("save", "3600 1")]);
    p.ready();
    let mut c = p.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "2"]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    c.cmd(&["SET", "c", "3"]);
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "1"
    );
    assert_eq!(c.cmd(&["FLUSHALL"]), b"+OK\r\n");
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    p.shutdown(&["NOSAVE"]);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    assert_eq!(c.cmd(&["DBSIZE"]), b":0\r\n");
    // Without save points the removed keys count as changes.
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "2"]);
    assert_eq!(c.cmd(&["FLUSHALL"]), b"+OK\r\n");
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "4"
    );
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn debug_reload_keeps_data() {
    let dir = TempDir::new("reload");
    let mut p = spawn(
        Kind::Ferrokv,
        dir.path(),
        &[("enable-debug-command", "yes")],
    );
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated());
    let before = describe(&mut c, ALL_DBS);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    let before = loose(&before);
    diff(&before, &loose(&describe(&mut c, ALL_DBS)), "DEBUG RELOAD");
    c.cmd(&["SET", "extra", "1"]);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["EXISTS", "extra"]), b":0\r\n");
    c.expect_err(
        &["DEBUG", "RELOAD", "BOGUS"],
        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
    );
    // NOFLUSH without MERGE fails on the duplicate keys.
    c.expect_err(
        &["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"],
        "ERR Error trying to load the RDB dump, check server logs.",
    );
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]),
        b"+OK\r\n"
    );
    diff(
        &before,
        &loose(&describe(&mut c, ALL_DBS)),
        "DEBUG RELOAD MERGE",
    );
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn expired_keys_are_not_loaded() {
    let dir = TempDir::new("expired");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("hz", "1")]);
    p.ready();
    let mut c = p.client();
    c.cmd(&["SET", "short", "x", "PX", "300"]);
    c.cmd(&["SET", "long", "y", "EX", "1000"]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    p.shutdown(&["NOSAVE"]);
    std::thread::sleep(Duration::from_millis(400));
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    assert_eq!(c.cmd(&["KEYS", "*"]), b"*1\r\n$4\r\nlong\r\n");
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_last_load_keys_loaded"),
        "1"
    );
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_last_load_keys_expired"),
        "1"
    );
    assert!(
        p.log_text()
            .contains("Done loading RDB, keys loaded: 1, keys expired: 1.")
    );
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn loading_is_visible_and_refuses_commands() {
    let dir = TempDir::new("loading");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    for i in 0..200 {
        c.cmd(&["SET", &format!("key:{i}"), "value"]);
    }
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    p.shutdown(&["NOSAVE"]);
    // 200 keys × 10 ms: about two seconds of loading.
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("key-load-delay", "10000")]);
    let mut c = p.client();
    assert_eq!(info_field(&mut c, "persistence", "loading"), "1");
    assert!(
        info_field(&mut c, "persistence", "loading_total_bytes")
            .parse::<u64>()
            .unwrap()
            > 0
    );
    c.expect_err(
        &["GET", "key:1"],
        "LOADING Redis is loading the dataset in memory",
    );
    c.expect_err(&["PING"], "LOADING Redis is loading the dataset in memory");
    p.ready();
    assert_eq!(info_field(&mut c, "persistence", "loading"), "0");
    assert_eq!(c.cmd(&["DBSIZE"]), b":200\r\n");
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn dump_and_restore() {
    let dir = TempDir::new("dump");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated());
    // DUMP then RESTORE under another name gives the same value.
    let keys = c.val(&["KEYS", "*"]);
    for k in keys.array() {
        let k = k.bytes().to_vec();
        let payload = c.val_b(&[b"DUMP", &k]);
        let payload = payload.bytes().to_vec();
        let mut copy = b"copy:".to_vec();
        copy.extend_from_slice(&k);
        assert_eq!(c.cmd_b(&[b"RESTORE", &copy, b"0", &payload]), b"+OK\r\n");
        // A restored key has no TTL here, and a string's encoding may change (as in Redis).
        let a = without_ttl(&loose_one(&describe_key(&mut c, &k)));
        let b = without_ttl(&loose_one(&describe_key(&mut c, &copy)));
        assert_eq!(a, b, "{}", esc(&k));
        c.cmd_b(&[b"DEL", &copy]);
    }
    assert_eq!(c.cmd(&["DUMP", "nosuchkey"]), b"$-1\r\n");
    let payload = c.val(&["DUMP", "str:emb"]).bytes().to_vec();
    let pl = |c: &mut RespClient, args: &[&str]| {
        let mut a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        a.insert(3, &payload);
        parse(&c.cmd_b(&a))
    };
    assert_eq!(
        pl(&mut c, &["RESTORE", "str:emb", "0"]),
        Resp::Error("BUSYKEY Target key name already exists.".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "str:emb", "0", "REPLACE"]),
        Resp::Simple("OK".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "n", "-1"]),
        Resp::Error("ERR Invalid TTL value, must be >= 0".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "n", "x"]),
        Resp::Error("ERR value is not an integer or out of range".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "n", "0", "IDLETIME", "-1"]),
        Resp::Error("ERR Invalid IDLETIME value, must be >= 0".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "n", "0", "FREQ", "256"]),
        Resp::Error("ERR Invalid FREQ value, must be >= 0 and <= 255".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "n", "0", "IDLETIME", "1", "FREQ", "1"]),
        Resp::Error("ERR syntax error".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "n", "0", "BOGUS"]),
        Resp::Error("ERR syntax error".into())
    );
    // IDLETIME sets the idle time.
    assert_eq!(
        pl(&mut c, &["RESTORE", "idle", "0", "IDLETIME", "1000"]),
        Resp::Simple("OK".into())
    );
    let idle = c.val(&["OBJECT", "IDLETIME", "idle"]);
    assert!(
        matches!(idle, Resp::Int(n) if (1000..1100).contains(&n)),
        "{idle:?}"
    );
    // TTL relative and ABSTTL.
    assert_eq!(
        pl(&mut c, &["RESTORE", "ttl", "100000"]),
        Resp::Simple("OK".into())
    );
    let pttl = c.val(&["PTTL", "ttl"]);
    assert!(
        matches!(pttl, Resp::Int(n) if n > 90000 && n <= 100000),
        "{pttl:?}"
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "abs", "4102444800000", "ABSTTL"]),
        Resp::Simple("OK".into())
    );
    assert_eq!(c.cmd(&["PEXPIRETIME", "abs"]), b":4102444800000\r\n");
    // An absolute TTL in the past: OK, and the key is not created (or is removed).
    assert_eq!(
        pl(&mut c, &["RESTORE", "past", "1", "ABSTTL"]),
        Resp::Simple("OK".into())
    );
    assert_eq!(c.cmd(&["EXISTS", "past"]), b":0\r\n");
    assert_eq!(
        pl(&mut c, &["RESTORE", "abs", "1", "ABSTTL", "REPLACE"]),
        Resp::Simple("OK".into())
    );
    assert_eq!(c.cmd(&["EXISTS", "abs"]), b":0\r\n");
    // Corrupt payloads.
    let mut bad = payload.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    c.expect_err_b(
        &[b"RESTORE", b"n", b"0", &bad],
        "ERR DUMP payload version or checksum are wrong",
    );
    let mut newer = payload.clone();
    newer[n - 10] = 11;
    c.expect_err_b(
        &[b"RESTORE", b"n", b"0", &newer],
        "ERR DUMP payload version or checksum are wrong",
    );
    c.expect_err_b(
        &[b"RESTORE", b"n", b"0", b"short"],
        "ERR DUMP payload version or checksum are wrong",
    );
    // A valid footer around a bad body.
    let body = [200u8, 1, 2];
    let forged = forge_payload(&body);
    c.expect_err_b(&[b"RESTORE", b"n", b"0", &forged], "ERR Bad data format");
    c.expect_err(
        &["RESTORE", "n", "0"],
        "ERR wrong number of arguments for 'restore' command",
    );
    p.shutdown(&["NOSAVE"]);
}

/// DUMP `k` on one server, RESTORE it as `x:k` on the other.
fn cross(from: &mut RespClient, to: &mut RespClient, k: &[u8]) {
    let payload = from.val_b(&[b"DUMP", k]).bytes().to_vec();
    let mut copy = b"x:".to_vec();
    copy.extend_from_slice(k);
    assert_eq!(
        to.cmd_b(&[b"RESTORE", &copy, b"0", &payload, b"REPLACE"]),
        b"+OK\r\n",
        "{} from {}",
        esc(k),
        from.name
    );
}

/// A DUMP payload around `body` with a correct version and checksum.
fn forge_payload(body: &[u8]) -> Vec<u8> {
    let mut v = body.to_vec();
    v.extend_from_slice(&10u16.to_le_bytes());
    let crc = ferrokv::persistence::crc64::crc64(0, &v);
    v.extend_from_slice(&crc.to_le_bytes());
    v
}

trait ExpectErrB {
    fn expect_err_b(&mut self, args: &[&[u8]], msg: &str);
}

impl ExpectErrB for RespClient {
    #[track_caller]
    fn expect_err_b(&mut self, args: &[&[u8]], msg: &str) {
        let r = self.val_b(args);
        assert_eq!(r, Resp::Error(msg.to_string()));
    }
}

// ---------------------------------------------------------------------------------------
// Interop with redis-server
// ---------------------------------------------------------------------------------------

fn check_rdb(path: &Path) {
    let Some(tool) = require_tool("redis-check-rdb") else {
        return;
    };
    let out = Command::new(tool)
        .arg(path)
        .output()
        .expect("run redis-check-rdb");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("RDB looks OK"),
        "redis-check-rdb refused {}:\n{text}",
        path.display()
    );
}

#[test]
fn ferrokv_file_loads_into_redis() {
    if !redis_available() {
        return;
    }
    for &opts in CONFIGS {
        let dir = TempDir::new("to-redis");
        let mut p = spawn(Kind::Ferrokv, dir.path(), opts);
        p.ready();
        let mut c = p.client();
        run(&mut c, &curated());
        run(&mut c, &random_workload(23, 2000));
        let ours = describe(&mut c, ALL_DBS);
        assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
        p.shutdown(&["NOSAVE"]);
        check_rdb(&dir.file("dump.rdb"));
        let mut r = spawn(Kind::Redis, dir.path(), opts);
        r.ready();
        let theirs = describe(&mut r.client(), ALL_DBS);
        r.shutdown(&["NOSAVE"]);
        let what = format!("ferrokv → redis ({opts:?})");
        diff(&loose(&ours), &loose(&theirs), &what);
        // Both servers loading the same file agree on every encoding too.
        let mut p = spawn(Kind::Ferrokv, dir.path(), opts);
        p.ready();
        let reloaded = describe(&mut p.client(), ALL_DBS);
        p.shutdown(&["NOSAVE"]);
        diff(&reloaded, &theirs, &format!("{what}, both loaded"));
    }
}

#[test]
fn redis_file_loads_into_ferrokv() {
    if !redis_available() {
        return;
    }
    for &opts in CONFIGS {
        let dir = TempDir::new("from-redis");
        let mut r = spawn(Kind::Redis, dir.path(), opts);
        r.ready();
        let mut c = r.client();
        run(&mut c, &curated());
        run(&mut c, &random_workload(29, 2000));
        let theirs = describe(&mut c, ALL_DBS);
        assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
        r.shutdown(&["NOSAVE"]);
        let mut p = spawn(Kind::Ferrokv, dir.path(), opts);
        p.ready();
        let ours = describe(&mut p.client(), ALL_DBS);
        let what = format!("redis → ferrokv ({opts:?})");
        diff(&loose(&theirs), &loose(&ours), &what);
        let mut r = spawn(Kind::Redis, dir.path(), opts);
        r.ready();
        let reloaded = describe(&mut r.client(), ALL_DBS);
        r.shutdown(&["NOSAVE"]);
        diff(&reloaded, &ours, &format!("{what}, both loaded"));
        // And back: what ferrokv saves from it, Redis reads the same.
        assert_eq!(p.client().cmd(&["SAVE"]), b"+OK\r\n");
        p.shutdown(&["NOSAVE"]);
        check_rdb(&dir.file("dump.rdb"));
    }
}

#[test]
fn dump_payloads_cross_between_servers() {
    if !redis_available() {
        return;
    }
    let dir = TempDir::new("dump-x");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut r = spawn(Kind::Redis, dir.path(), &[]);
    r.ready();
    let (mut fc, mut rc) = (p.client(), r.client());
    run(&mut fc, &curated());
    run(&mut rc, &curated());
    let keys = fc.val(&["KEYS", "*"]);
    for k in keys.array() {
        let k = k.bytes().to_vec();
        cross(&mut fc, &mut rc, &k);
        cross(&mut rc, &mut fc, &k);
        // Compact encodings are Redis's bytes: the payloads are identical. (Hashtable
        // encodings list their members in each server's table order; streams hold the
        // delivery and seen times of each server's own reads.)
        let enc = render(&fc.val_b(&[b"OBJECT", b"ENCODING", &k]));
        if !enc.contains("hashtable") && !enc.contains("skiplist") && !enc.contains("stream") {
            let a = fc.val_b(&[b"DUMP", &k]);
            let b = rc.val_b(&[b"DUMP", &k]);
            assert_eq!(render(&a), render(&b), "DUMP {} ({enc})", esc(&k));
        }
    }
    // Each server's `x:k` came from the other's `k`.
    for k in keys.array() {
        let k = k.bytes().to_vec();
        let mut xk = b"x:".to_vec();
        xk.extend_from_slice(&k);
        let same = |a: &mut RespClient, b: &mut RespClient| {
            let orig = without_ttl(&loose_one(&describe_key(a, &k)));
            let copy = without_ttl(&loose_one(&describe_key(b, &xk)));
            assert_eq!(orig, copy, "{} from {} to {}", esc(&k), a.name, b.name);
        };
        same(&mut fc, &mut rc);
        same(&mut rc, &mut fc);
    }
    p.shutdown(&["NOSAVE"]);
    r.shutdown(&["NOSAVE"]);
}

// ---------------------------------------------------------------------------------------
// Fixture files from Redis's test suite
// ---------------------------------------------------------------------------------------

/// Load `fixture` into ferrokv and, when available, redis-server: same keyspace.
fn fixture_matches_redis(fixture: &str, dbs: &[usize]) -> BTreeMap<String, String> {
    let dir = TempDir::new("fixture");
    copy_fixture(fixture, &dir, "dump.rdb");
    let original = file_bytes(&dir.file("dump.rdb"));
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let ours = describe(&mut p.client(), dbs);
    p.shutdown(&["NOSAVE"]);
    assert_eq!(
        file_bytes(&dir.file("dump.rdb")),
        original,
        "loading changed the file"
    );
    if redis_available() {
        let mut r = spawn(Kind::Redis, dir.path(), &[]);
        r.ready();
        let theirs = describe(&mut r.client(), dbs);
        r.shutdown(&["NOSAVE"]);
        diff(&theirs, &ours, fixture);
    }
    ours
}

#[test]
fn fixture_encodings() {
    let ks = fixture_matches_redis("encodings.rdb", &[0]);
    assert_eq!(ks.len(), 13, "{ks:#?}");
}

#[test]
fn fixture_hash_zipmap() {
    let ks = fixture_matches_redis("hash-zipmap.rdb", &[0]);
    assert_eq!(ks.len(), 1);
}

#[test]
fn fixture_hash_ziplist() {
    fixture_matches_redis("hash-ziplist.rdb", &[0]);
}

#[test]
fn fixture_zset_ziplist() {
    fixture_matches_redis("zset-ziplist.rdb", &[0]);
}

#[test]
fn fixture_list_quicklist() {
    fixture_matches_redis("list-quicklist.rdb", &[0]);
}

#[test]
fn fixture_script_aux_field() {
    let ks = fixture_matches_redis("scriptbackup.rdb", &[0]);
    assert!(ks.is_empty());
}

#[test]
fn fixture_all_types_written_by_redis_7() {
    let ks = fixture_matches_redis("all-types-7.0.rdb", &[0, 2, 15]);
    assert_eq!(ks.len(), 26);
}

#[test]
fn fixture_empty_keys_are_skipped() {
    let dir = TempDir::new("empty-keys");
    copy_fixture("corrupt_empty_keys.rdb", &dir, "dump.rdb");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    assert_eq!(p.client().cmd(&["DBSIZE"]), b":0\r\n");
    p.shutdown(&["NOSAVE"]);
    let log = p.log_text();
    for key in [
        "set",
        "hash",
        "list_ziplist",
        "zset",
        "zset_listpack",
        "hash_ziplist",
        "list_quicklist",
        "zset_ziplist",
        "list_quicklist_empty_ziplist",
    ] {
        assert!(
            log.contains(&format!("rdbLoadObject skipping empty key: {key}\n")),
            "{key} not skipped:\n{log}"
        );
    }
    assert!(
        log.contains("Done loading RDB, keys loaded: 0, keys expired: 0, empty keys skipped: 9.")
    );
}

/// Start ferrokv on a file that must not load: exit status 1, an error naming the file and
/// an offset, the file untouched.
fn refuses(bytes: &[u8], expect: &str) -> String {
    let dir = TempDir::new("refuse");
    std::fs::write(dir.file("dump.rdb"), bytes).unwrap();
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("save", "3600 1")]);
    let st = p.wait_exit(Duration::from_secs(30));
    let log = p.log_text();
    assert_eq!(st.code(), Some(1), "{log}");
    assert!(
        log.contains("Error loading RDB file '") && log.contains("dump.rdb' at offset "),
        "{log}"
    );
    assert!(log.contains(expect), "expected {expect:?} in:\n{log}");
    assert_eq!(
        file_bytes(&dir.file("dump.rdb")),
        bytes,
        "the file was modified"
    );
    log
}

#[test]
fn fixture_corrupt_ziplist_is_refused() {
    let bytes = std::fs::read(Path::new(FIXTURES).join("corrupt_ziplist.rdb")).unwrap();
    refuses(&bytes, "Hash ziplist integrity check failed");
}

fn small_file() -> Vec<u8> {
    let dir = TempDir::new("small");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated()[..20]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    p.shutdown(&["NOSAVE"]);
    file_bytes(&dir.file("dump.rdb"))
}

#[test]
fn truncated_and_flipped_files_are_refused() {
    let good = small_file();
    refuses(&good[..good.len() / 2], "Unexpected EOF reading RDB file");
    refuses(&good[..good.len() - 3], "Unexpected EOF reading RDB file");
    refuses(&good[..5], "Wrong signature trying to load DB from file");
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x10;
    refuses(&flipped, "");
    let mut bad_crc = good.clone();
    let n = bad_crc.len();
    bad_crc[n - 1] ^= 1;
    let log = refuses(&bad_crc, "RDB CRC error");
    assert!(log.contains("Wrong RDB checksum expected: ("), "{log}");
}

/// In process: every truncation and every single-bit flip of a real file is refused, and
/// nothing panics.
#[test]
fn every_truncation_and_bit_flip_fails_cleanly() {
    use ferrokv::persistence::rdb::{self, Limits, LoadOptions};
    let good = small_file();
    let cfg = ferrokv::config::Config::from_args(&[]).unwrap();
    let opts = LoadOptions {
        limits: Limits::from_config(&cfg),
        now_ms: 0,
        skip_expired: false,
        verify_checksum: true,
        allow_dup: false,
        log: None,
        progress: None,
        size_hint: Some(good.len() as u64),
        key_load_delay_us: 0,
    };
    let load = |bytes: &[u8]| {
        let mut dbs: Vec<ferrokv::storage::Db> = (0..16).map(|_| Default::default()).collect();
        let mut r = rdb::format::Reader::new(bytes);
        rdb::load::load_snapshot(&mut r, &mut dbs, &opts).map(|o| o.keys_loaded)
    };
    assert!(load(&good).is_ok());
    for n in 0..good.len() {
        assert!(load(&good[..n]).is_err(), "truncated to {n} bytes loaded");
    }
    for i in 0..good.len() {
        for bit in 0..8 {
            let mut b = good.clone();
            b[i] ^= 1 << bit;
            assert!(load(&b).is_err(), "flip of bit {bit} at {i} loaded");
        }
    }
    // Fixtures: random corruption of Redis's own files never panics either.
    for name in [
        "encodings.rdb",
        "hash-zipmap.rdb",
        "hash-ziplist.rdb",
        "zset-ziplist.rdb",
        "list-quicklist.rdb",
        "all-types-7.0.rdb",
    ] {
        let orig = std::fs::read(Path::new(FIXTURES).join(name)).unwrap();
        let mut s = 0x9e3779b97f4a7c15u64;
        for _ in 0..400 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let mut b = orig.clone();
            let i = (s % b.len() as u64) as usize;
            b[i] ^= (s >> 32) as u8 | 1;
            let _ = load(&b);
            let _ = load(&orig[..i]);
        }
    }
}

/// In process: DUMP payloads of every type and encoding (from Redis's all-types file),
/// mutated at random and given a correct footer again, are refused or restored, never a
/// panic; and every restored value can be dumped again.
#[test]
fn corrupt_restore_payloads_never_panic() {
    use ferrokv::persistence::rdb::{self, Limits, LoadOptions};
    let cfg = ferrokv::config::Config::from_args(&[]).unwrap();
    let limits = Limits::from_config(&cfg);
    let opts = LoadOptions {
        limits,
        now_ms: 0,
        skip_expired: false,
        verify_checksum: true,
        allow_dup: false,
        log: None,
        progress: None,
        size_hint: None,
        key_load_delay_us: 0,
    };
    let bytes = std::fs::read(Path::new(FIXTURES).join("all-types-7.0.rdb")).unwrap();
    let mut dbs: Vec<ferrokv::storage::Db> = (0..16).map(|_| Default::default()).collect();
    let mut r = rdb::format::Reader::new(&bytes[..]);
    rdb::load::load_snapshot(&mut r, &mut dbs, &opts).expect("fixture loads");
    let mut s = 0x2545f4914f6cdd1du64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut restored = 0;
    for db in &dbs {
        for (_, e) in db.keys_iter() {
            for compress in [true, false] {
                let payload = rdb::dump(&e.value, compress).unwrap();
                assert!(rdb::verify_payload(&payload, false));
                let v = rdb::restore(&payload, &limits).unwrap().unwrap();
                assert_eq!(v.type_name(), e.value.type_name());
                for _ in 0..150 {
                    let mut body = payload[..payload.len() - 10].to_vec();
                    for _ in 0..1 + next() % 3 {
                        let i = (next() % body.len() as u64) as usize;
                        body[i] ^= (next() >> 8) as u8 | 1;
                    }
                    if next() % 4 == 0 {
                        body.truncate((next() % body.len() as u64) as usize);
                    }
                    let forged = forge_payload(&body);
                    if let Ok(Some(v)) = rdb::restore(&forged, &limits) {
                        restored += 1;
                        rdb::dump(&v, compress).unwrap();
                    }
                }
            }
        }
    }
    assert!(restored > 0);
}

/// Function libraries are saved by their code (FUNCTION2 records) and created again on
/// load, in both directions with redis-server.
#[test]
fn functions_survive_restart_and_cross_with_redis() {
    let lib = "#!lua name=mylib\nredis.register_function('twice', function(keys, args) return args[1] * 2 end)";
    let lib2 = "#!lua name=other\nredis.register_function{function_name='hello', callback=function() return 'hi' end, flags={'no-writes'}}";
    let dir = TempDir::new("functions");
    let mut p = spawn(
        Kind::Ferrokv,
        dir.path(),
        &[("enable-debug-command", "yes")],
    );
    p.ready();
    let mut c = p.client();
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", lib]), b"$5\r\nmylib\r\n");
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", lib2]), b"$5\r\nother\r\n");
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["FCALL", "twice", "0", "21"]), b":42\r\n");
    p.shutdown(&["NOSAVE"]);
    let check = |c: &mut RespClient| {
        assert_eq!(
            c.cmd(&["FCALL", "twice", "0", "21"]),
            b":42\r\n",
            "{}",
            c.name
        );
        assert_eq!(
            c.cmd(&["FCALL_RO", "hello", "0"]),
            b"$2\r\nhi\r\n",
            "{}",
            c.name
        );
        assert_eq!(c.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    };
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    check(&mut p.client());
    p.shutdown(&["NOSAVE"]);
    check_rdb(&dir.file("dump.rdb"));
    if !redis_available() {
        return;
    }
    // ferrokv's file into Redis, Redis's save back into ferrokv.
    let mut r = spawn(Kind::Redis, dir.path(), &[]);
    r.ready();
    check(&mut r.client());
    assert_eq!(r.client().cmd(&["SAVE"]), b"+OK\r\n");
    r.shutdown(&["NOSAVE"]);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    check(&mut p.client());
    p.shutdown(&["NOSAVE"]);
}
