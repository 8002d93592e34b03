//! The harness of tests/rdb.rs: server processes (ferrokv's binary, redis-server) working
//! in temporary directories, a canonical description of a keyspace that can be compared
//! across servers and restarts, and the data sets the tests write.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::{Resp, RespClient, parse, require_tool};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rdb");

// ---------------------------------------------------------------------------------------
// Processes and directories
// ---------------------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
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

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .unwrap()
        .port()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Ferrokv,
    Redis,
}

/// A server process working in `dir`, logging to `dir/<kind>.log`.
pub struct Proc {
    pub child: Option<Child>,
    pub port: u16,
    pub log: PathBuf,
    pub kind: Kind,
}

pub fn spawn(kind: Kind, dir: &Path, opts: &[(&str, &str)]) -> Proc {
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
    pub fn ready(&mut self) -> &mut Self {
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

    pub fn client(&self) -> RespClient {
        let mut c = RespClient::connect(self.port);
        c.name = format!("{:?}:{}", self.kind, self.port);
        c
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait for the process to exit on its own.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
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
    pub fn shutdown(&mut self, how: &[&str]) {
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

    pub fn signal(&self, sig: i32) {
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

pub fn redis_available() -> bool {
    require_tool("redis-server").is_some()
}

pub fn info_field(c: &mut RespClient, section: &str, field: &str) -> String {
    let info = c.val(&["INFO", section]);
    let text = String::from_utf8_lossy(info.bytes()).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}: {text}"))
        .to_string()
}

/// Poll until a BGSAVE finishes; returns rdb_last_bgsave_status.
pub fn wait_bgsave(c: &mut RespClient) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(c, "persistence", "rdb_bgsave_in_progress") != "0" {
        assert!(Instant::now() < deadline, "BGSAVE still running after 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    info_field(c, "persistence", "rdb_last_bgsave_status")
}

pub fn file_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

pub fn copy_fixture(name: &str, dir: &TempDir, as_name: &str) {
    std::fs::copy(Path::new(FIXTURES).join(name), dir.file(as_name))
        .unwrap_or_else(|e| panic!("copy fixture {name}: {e}"));
}

// ---------------------------------------------------------------------------------------
// A canonical description of a keyspace, comparable across servers and restarts
// ---------------------------------------------------------------------------------------

pub fn esc(b: &[u8]) -> String {
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

pub fn render(r: &Resp) -> String {
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
pub fn sorted_chunks(r: &Resp, chunk: usize) -> String {
    let items: Vec<String> = r.array().iter().map(render).collect();
    let mut groups: Vec<String> = items.chunks(chunk).map(|c| c.join("=")).collect();
    groups.sort();
    format!("{{{}}}", groups.join(","))
}

/// Every key of the listed databases: type, encoding, absolute expiry and contents.
pub fn describe(c: &mut RespClient, dbs: &[usize]) -> BTreeMap<String, String> {
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

pub fn describe_key(c: &mut RespClient, k: &[u8]) -> String {
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

pub fn loose_one(v: &str) -> String {
    match v.split_once(" enc=") {
        Some((t, rest)) => format!("{t} {}", rest.split_once(' ').map_or("", |x| x.1)),
        None => v.to_string(),
    }
}

pub fn without_ttl(v: &str) -> String {
    match v.split_once(" pexpiretime=") {
        Some((head, rest)) => format!("{head} {}", rest.split_once(' ').map_or("", |x| x.1)),
        None => v.to_string(),
    }
}

/// Without encodings: an encoding legitimately changes across a reload, in Redis too (an
/// APPENDed `raw` string loads as `embstr` or `int`, a hashtable hash whose long values
/// are gone loads as a listpack). Tests compare encodings strictly between two servers
/// that loaded the same file.
pub fn loose(m: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    m.iter().map(|(k, v)| (k.clone(), loose_one(v))).collect()
}

pub trait ValB {
    fn val_b(&mut self, args: &[&[u8]]) -> Resp;
}

impl ValB for RespClient {
    fn val_b(&mut self, args: &[&[u8]]) -> Resp {
        parse(&self.cmd_b(args))
    }
}

pub fn diff(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>, what: &str) {
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

pub fn trim(s: &str) -> String {
    if s.len() > 400 {
        format!("{}...({} chars)", &s[..400], s.len())
    } else {
        s.to_string()
    }
}

// ---------------------------------------------------------------------------------------
// Data sets
// ---------------------------------------------------------------------------------------

pub fn run(c: &mut RespClient, lines: &[String]) {
    for l in lines {
        let args = crate::common::split_line(l);
        let a: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
        let r = c.val_b(&a);
        assert!(!r.is_error(), "{}: {l} -> {r:?}", c.name);
    }
}

/// Commands creating keys of the types ferrokv supports, in every encoding.
pub fn curated() -> Vec<String> {
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
pub fn random_workload(seed: u64, n: usize) -> Vec<String> {
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

pub const ALL_DBS: &[usize] = &[0, 1, 2, 3, 15];

/// Server settings the interop tests run under: compressed and plain strings, and small
/// LZF-compressed list nodes (written by both servers as compressed blobs).
pub const CONFIGS: &[&[(&str, &str)]] = &[
    &[("rdbcompression", "yes")],
    &[("rdbcompression", "no")],
    &[
        ("list-compress-depth", "1"),
        ("list-max-listpack-size", "4"),
    ],
];

/// DUMP `k` on one server, RESTORE it as `x:k` on the other.
pub fn cross(from: &mut RespClient, to: &mut RespClient, k: &[u8]) {
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
pub fn forge_payload(body: &[u8]) -> Vec<u8> {
    let mut v = body.to_vec();
    v.extend_from_slice(&10u16.to_le_bytes());
    let crc = ferrokv::persistence::crc64::crc64(0, &v);
    v.extend_from_slice(&crc.to_le_bytes());
    v
}

pub trait ExpectErrB {
    fn expect_err_b(&mut self, args: &[&[u8]], msg: &str);
}

impl ExpectErrB for RespClient {
    #[track_caller]
    fn expect_err_b(&mut self, args: &[&[u8]], msg: &str) {
        let r = self.val_b(args);
        assert_eq!(r, Resp::Error(msg.to_string()));
    }
}

pub fn check_rdb(path: &Path) {
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
