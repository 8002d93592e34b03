//! Helpers shared by the integration tests: an in-process ferrokv server, a raw RESP client
//! for exact-byte assertions, a reply parser, and a real `redis-server` for differential
//! tests.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a test waits for one reply before failing (instead of hanging).
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// ferrokv, in process
// ---------------------------------------------------------------------------------------

/// A ferrokv server running on a thread of the test process, on an ephemeral port. The
/// thread lives until the test process exits.
pub struct TestServer {
    pub port: u16,
}

impl TestServer {
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A new raw connection.
    pub fn client(&self) -> RespClient {
        RespClient::connect(self.port)
    }

    /// `redis://127.0.0.1:PORT/` for the `redis` crate.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

/// Start ferrokv in process on an ephemeral port.
pub fn start_server() -> TestServer {
    start_server_with(&[])
}

/// Start ferrokv with extra `--name value` options, e.g. `&[("hz", "100")]`.
pub fn start_server_with(opts: &[(&str, &str)]) -> TestServer {
    let mut args: Vec<String> = vec!["--port".into(), "0".into()];
    for (name, value) in opts {
        args.push(format!("--{name}"));
        args.push((*value).to_string());
    }
    let cfg = ferrokv::config::Config::from_args(&args)
        .unwrap_or_else(|e| panic!("bad test config {args:?}: {e}"));
    let server = ferrokv::server::Server::bind(cfg).expect("bind ferrokv test server");
    let port = server.port();
    std::thread::Builder::new()
        .name(format!("ferrokv-{port}"))
        .spawn(move || {
            let _ = server.run();
        })
        .expect("spawn server thread");
    TestServer { port }
}

// ---------------------------------------------------------------------------------------
// Raw RESP client
// ---------------------------------------------------------------------------------------

/// A plain TCP connection that writes requests as given and reads replies frame by frame,
/// returning each reply's exact bytes.
pub struct RespClient {
    pub stream: TcpStream,
    buf: Vec<u8>,
    pub port: u16,
    /// Which server this talks to, for failure messages.
    pub name: String,
}

impl RespClient {
    pub fn connect(port: u16) -> RespClient {
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => break s,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("cannot connect to 127.0.0.1:{port}: {e}"),
            }
        };
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        RespClient {
            stream,
            buf: Vec::new(),
            port,
            name: format!("ferrokv:{port}"),
        }
    }

    /// Send one request as a multibulk.
    pub fn send(&mut self, args: &[&[u8]]) {
        self.send_raw(&encode_request(args));
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("write to port {}: {e}", self.port));
    }

    /// Read exactly one complete reply (RESP2 or RESP3) and return its bytes.
    pub fn read_reply(&mut self) -> Vec<u8> {
        loop {
            match frame_len(&self.buf, 0) {
                Ok(Some(n)) => return self.buf.drain(..n).collect(),
                Ok(None) => {}
                Err(e) => panic!("malformed reply ({e}): {}", show(&self.buf)),
            }
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => panic!(
                    "connection closed by port {} while waiting for a reply; buffered: {}",
                    self.port,
                    show(&self.buf)
                ),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!(
                    "no reply from port {} ({e}); buffered: {}",
                    self.port,
                    show(&self.buf)
                ),
            }
        }
    }

    /// Like [`RespClient::read_reply`], but `None` when no complete reply arrives within
    /// `wait` (for a subscriber that may or may not receive something).
    pub fn try_read_reply(&mut self, wait: Duration) -> Option<Vec<u8>> {
        let deadline = Instant::now() + wait;
        let got = loop {
            match frame_len(&self.buf, 0) {
                Ok(Some(n)) => break Some(self.buf.drain(..n).collect()),
                Ok(None) => {}
                Err(e) => panic!("malformed reply ({e}): {}", show(&self.buf)),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break None;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => panic!("connection closed by port {}", self.port),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break None;
                }
                Err(e) => panic!("no reply from port {} ({e})", self.port),
            }
        };
        self.stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        got
    }

    /// Read one reply and parse it.
    pub fn read_value(&mut self) -> Resp {
        parse(&self.read_reply())
    }

    /// True when the server closed the connection (reading returns EOF) within `wait`.
    pub fn is_closed(&mut self, wait: Duration) -> bool {
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut chunk = [0u8; 1024];
        let r = self.stream.read(&mut chunk);
        self.stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        match r {
            Ok(0) => true,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                false
            }
            Err(e) => e.kind() == ErrorKind::ConnectionReset,
        }
    }

    /// Send a request of string arguments, read its reply.
    pub fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.cmd_b(&a)
    }

    /// Send a request of byte arguments, read its reply.
    pub fn cmd_b(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send(args);
        self.read_reply()
    }

    /// Send a request, parse its reply.
    pub fn val(&mut self, args: &[&str]) -> Resp {
        parse(&self.cmd(args))
    }

    /// Send `args` and assert the reply bytes equal `expected`.
    #[track_caller]
    pub fn expect(&mut self, args: &[&str], expected: impl AsRef<[u8]>) {
        let got = self.cmd(args);
        let expected = expected.as_ref();
        assert!(
            got == expected,
            "[{}] {args:?}\n  expected {}\n       got {}",
            self.name,
            show(expected),
            show(&got)
        );
    }

    /// Like [`RespClient::expect`] with byte arguments.
    #[track_caller]
    pub fn expect_b(&mut self, args: &[&[u8]], expected: impl AsRef<[u8]>) {
        let got = self.cmd_b(args);
        let expected = expected.as_ref();
        assert!(
            got == expected,
            "[{}] {:?}\n  expected {}\n       got {}",
            self.name,
            args.iter().map(|a| show(a)).collect::<Vec<_>>(),
            show(expected),
            show(&got)
        );
    }

    /// Send `args` and assert the reply is an error starting with `prefix`.
    #[track_caller]
    pub fn expect_err(&mut self, args: &[&str], prefix: &str) {
        let got = self.cmd(args);
        assert!(
            got.starts_with(format!("-{prefix}").as_bytes()),
            "[{}] {args:?}\n  expected an error starting with -{prefix}\n       got {}",
            self.name,
            show(&got)
        );
    }

    /// Assert `TTL key` is `secs`, or one less: a relative TTL set just before may have lost
    /// its rounding by the time it is read on a loaded machine.
    #[track_caller]
    pub fn expect_ttl(&mut self, key: &str, secs: i64) {
        let ttl = self.int(&["TTL", key]);
        assert!(
            ttl == secs || ttl == secs - 1,
            "[{}] TTL {key}: expected {secs} (or {}), got {ttl}",
            self.name,
            secs - 1
        );
    }

    /// Send `args`, expect an integer reply, return it.
    #[track_caller]
    pub fn int(&mut self, args: &[&str]) -> i64 {
        match self.val(args) {
            Resp::Int(n) => n,
            other => panic!(
                "[{}] {args:?}: expected an integer, got {other:?}",
                self.name
            ),
        }
    }
}

/// A request as a RESP multibulk.
pub fn encode_request(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

// RESP reply-building helpers, for readable expectations.

pub fn bulk(s: impl AsRef<[u8]>) -> Vec<u8> {
    let s = s.as_ref();
    let mut out = format!("${}\r\n", s.len()).into_bytes();
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
    out
}

pub fn int(n: i64) -> Vec<u8> {
    format!(":{n}\r\n").into_bytes()
}

pub fn err(msg: &str) -> Vec<u8> {
    format!("-{msg}\r\n").into_bytes()
}

pub fn array(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", items.len()).into_bytes();
    for i in items {
        out.extend_from_slice(i);
    }
    out
}

pub const OK: &[u8] = b"+OK\r\n";
pub const NIL: &[u8] = b"$-1\r\n";
pub const NIL3: &[u8] = b"_\r\n";
pub const EMPTY_ARRAY: &[u8] = b"*0\r\n";

/// Printable form of protocol bytes: CR/LF and non-printables escaped.
pub fn show(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b.iter().take(600) {
        match c {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    if b.len() > 600 {
        s.push_str(&format!("...({} bytes)", b.len()));
    }
    s.push('"');
    s
}

// ---------------------------------------------------------------------------------------
// RESP framing and parsing
// ---------------------------------------------------------------------------------------

/// Position just past the CRLF that ends the line starting at `pos`.
fn line_end(buf: &[u8], pos: usize) -> Option<usize> {
    buf.get(pos..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|i| pos + i + 2)
}

fn header_num(buf: &[u8], pos: usize, end: usize) -> Result<i64, String> {
    let text = std::str::from_utf8(&buf[pos + 1..end - 2]).map_err(|e| e.to_string())?;
    text.parse::<i64>()
        .map_err(|_| format!("bad length {text:?} at {pos}"))
}

/// Length of the complete RESP2/RESP3 frame starting at `pos`: `Ok(None)` while more bytes
/// are needed, `Err` for bytes that are not RESP.
pub fn frame_len(buf: &[u8], pos: usize) -> Result<Option<usize>, String> {
    frame_end(buf, pos).map(|e| e.map(|e| e - pos))
}

fn frame_end(buf: &[u8], pos: usize) -> Result<Option<usize>, String> {
    let Some(&kind) = buf.get(pos) else {
        return Ok(None);
    };
    let Some(end) = line_end(buf, pos) else {
        return Ok(None);
    };
    match kind {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Ok(Some(end)),
        b'$' | b'=' | b'!' => {
            let n = header_num(buf, pos, end)?;
            if n < 0 {
                return Ok(Some(end));
            }
            let total = end + n as usize + 2;
            if buf.len() < total {
                return Ok(None);
            }
            if &buf[total - 2..total] != b"\r\n" {
                return Err(format!("bulk at {pos} not followed by CRLF"));
            }
            Ok(Some(total))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = header_num(buf, pos, end)?;
            if n < 0 {
                return Ok(Some(end));
            }
            let items = if kind == b'%' || kind == b'|' {
                n * 2
            } else {
                n
            };
            let mut at = end;
            for _ in 0..items {
                match frame_end(buf, at)? {
                    Some(e) => at = e,
                    None => return Ok(None),
                }
            }
            if kind == b'|' {
                // An attribute precedes the reply it describes.
                return frame_end(buf, at);
            }
            Ok(Some(at))
        }
        other => Err(format!("unknown type byte {:?} at {pos}", other as char)),
    }
}

/// A parsed reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    /// RESP2 `$-1`/`*-1` or RESP3 `_`.
    Nil,
    Array(Vec<Resp>),
    Map(Vec<(Resp, Resp)>),
    Set(Vec<Resp>),
    Push(Vec<Resp>),
    Double(String),
    Bool(bool),
    BigNumber(String),
    Verbatim(String, Vec<u8>),
}

impl Resp {
    /// The bytes of a bulk or simple string.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Resp::Bulk(b) => b,
            Resp::Simple(s) => s.as_bytes(),
            other => panic!("not a string reply: {other:?}"),
        }
    }

    pub fn array(&self) -> &[Resp] {
        match self {
            Resp::Array(v) | Resp::Set(v) | Resp::Push(v) => v,
            other => panic!("not an array reply: {other:?}"),
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Resp::Error(_))
    }
}

/// Parse one complete reply.
pub fn parse(buf: &[u8]) -> Resp {
    let (v, used) = parse_at(buf, 0);
    assert_eq!(used, buf.len(), "trailing bytes after reply: {}", show(buf));
    v
}

fn parse_at(buf: &[u8], pos: usize) -> (Resp, usize) {
    let end = line_end(buf, pos).unwrap_or_else(|| panic!("incomplete reply {}", show(buf)));
    let line = || String::from_utf8_lossy(&buf[pos + 1..end - 2]).into_owned();
    match buf[pos] {
        b'+' => (Resp::Simple(line()), end),
        b'-' => (Resp::Error(line()), end),
        b':' => (Resp::Int(line().parse().expect("integer reply")), end),
        b'_' => (Resp::Nil, end),
        b',' => (Resp::Double(line()), end),
        b'(' => (Resp::BigNumber(line()), end),
        b'#' => (Resp::Bool(line() == "t"), end),
        b'$' | b'=' | b'!' => {
            let n: i64 = line().parse().expect("bulk length");
            if n < 0 {
                return (Resp::Nil, end);
            }
            let data = buf[end..end + n as usize].to_vec();
            let next = end + n as usize + 2;
            match buf[pos] {
                b'$' => (Resp::Bulk(data), next),
                b'!' => (
                    Resp::Error(String::from_utf8_lossy(&data).into_owned()),
                    next,
                ),
                _ => {
                    let fmt = String::from_utf8_lossy(&data[..3]).into_owned();
                    (Resp::Verbatim(fmt, data[4..].to_vec()), next)
                }
            }
        }
        b'*' | b'~' | b'>' => {
            let n: i64 = line().parse().expect("array length");
            if n < 0 {
                return (Resp::Nil, end);
            }
            let mut at = end;
            let mut items = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let (v, next) = parse_at(buf, at);
                items.push(v);
                at = next;
            }
            let v = match buf[pos] {
                b'*' => Resp::Array(items),
                b'~' => Resp::Set(items),
                _ => Resp::Push(items),
            };
            (v, at)
        }
        b'%' | b'|' => {
            let n: i64 = line().parse().expect("map length");
            let mut at = end;
            let mut items = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let (k, next) = parse_at(buf, at);
                let (v, next) = parse_at(buf, next);
                items.push((k, v));
                at = next;
            }
            if buf[pos] == b'|' {
                return parse_at(buf, at);
            }
            (Resp::Map(items), at)
        }
        other => panic!("unknown reply type {:?} in {}", other as char, show(buf)),
    }
}

// ---------------------------------------------------------------------------------------
// Command-line splitting, for readable command lists
// ---------------------------------------------------------------------------------------

/// Split a line into arguments the way redis-cli does: whitespace separates, `"..."` takes
/// `\n \r \t \" \\ \xHH` escapes, `'...'` is literal (`''` is the empty argument).
pub fn split_line(line: &str) -> Vec<Vec<u8>> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let mut arg = Vec::new();
        if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                    match b[i] {
                        b'n' => arg.push(b'\n'),
                        b'r' => arg.push(b'\r'),
                        b't' => arg.push(b'\t'),
                        b'x' => {
                            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                            arg.push(u8::from_str_radix(hex, 16).unwrap());
                            i += 2;
                        }
                        c => arg.push(c),
                    }
                } else {
                    arg.push(b[i]);
                }
                i += 1;
            }
            assert!(i < b.len(), "unbalanced quotes in {line:?}");
            i += 1;
        } else if b[i] == b'\'' {
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                arg.push(b[i]);
                i += 1;
            }
            assert!(i < b.len(), "unbalanced quotes in {line:?}");
            i += 1;
        } else {
            while i < b.len() && !b[i].is_ascii_whitespace() {
                arg.push(b[i]);
                i += 1;
            }
        }
        out.push(arg);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Real redis-server, for differential tests
// ---------------------------------------------------------------------------------------

/// A `redis-server` child process on a free port, killed on drop.
pub struct RedisServer {
    pub port: u16,
    child: Child,
}

impl RedisServer {
    pub fn client(&self) -> RespClient {
        let mut c = RespClient::connect(self.port);
        c.name = format!("redis-server:{}", self.port);
        c
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn redis_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
        || std::env::var("FERROKV_REQUIRE_REDIS").is_ok_and(|v| v == "1")
}

/// The path of a tool from the Redis distribution, if it is installed (looked up in PATH:
/// not every tool answers `--version`, redis-check-aof takes it for a file name).
fn find_tool(name: &str) -> Option<String> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|p| p.join(name))
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
}

/// `None` (after printing a notice) when `name` is missing and Redis is not required;
/// panics when it is required (CI, `FERROKV_REQUIRE_REDIS=1`).
pub fn require_tool(name: &str) -> Option<String> {
    match find_tool(name) {
        Some(p) => Some(p),
        None if redis_required() => panic!(
            "`{name}` was not found in PATH, and CI or FERROKV_REQUIRE_REDIS=1 requires it: \
             install Redis 7.0 (apt-get install redis-server redis-tools)"
        ),
        None => {
            eprintln!("NOTICE: `{name}` not found; skipping this differential test");
            None
        }
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().unwrap().port()
}

/// Start a real `redis-server` (no persistence) on a free port. `None` when it is not
/// installed and not required.
pub fn start_redis() -> Option<RedisServer> {
    start_redis_with(&[])
}

/// [`start_redis`] with extra `--name value` options.
pub fn start_redis_with(opts: &[(&str, &str)]) -> Option<RedisServer> {
    let bin = require_tool("redis-server")?;
    for _attempt in 0..5 {
        let port = free_port();
        let mut child = Command::new(&bin)
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--daemonize", "no"])
            .args(["--dir", &std::env::temp_dir().display().to_string()])
            .args(
                opts.iter()
                    .flat_map(|(k, v)| [format!("--{k}"), v.to_string()]),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break; // port taken meanwhile: try another
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
                let _ = s.write_all(b"PING\r\n");
                let mut b = [0u8; 64];
                if let Ok(n) = s.read(&mut b)
                    && b[..n].starts_with(b"+PONG")
                {
                    return Some(RedisServer { port, child });
                }
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("redis-server did not answer PING on port {port} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("could not start redis-server on a free port after 5 attempts");
}

/// A real redis-server when one is installed, else `None` without any notice: for tests
/// whose expectations are written out and only double-checked against Redis.
pub fn start_redis_if_installed() -> Option<RedisServer> {
    find_tool("redis-server")?;
    start_redis()
}

/// Run `test` against a fresh ferrokv, then against a fresh redis-server when one is
/// installed: the expectations in `test` are checked against the source of truth too.
pub fn on_both(test: impl Fn(&mut RespClient)) {
    on_both_with(&[], test);
}

/// [`on_both`] with extra `--name value` options for both servers.
pub fn on_both_with(opts: &[(&str, &str)], test: impl Fn(&mut RespClient)) {
    let ferro = start_server_with(opts);
    test(&mut ferro.client());
    if find_tool("redis-server").is_some()
        && let Some(redis) = start_redis_with(opts)
    {
        test(&mut redis.client());
    }
}

/// Poll `f` until it returns true or `timeout` passes; returns whether it succeeded.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Current unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// ferrokv and a real redis-server side by side, for differential tests: each command goes
/// to both and the raw replies must be identical.
pub struct DiffPair {
    pub ferro: RespClient,
    pub redis: RespClient,
    _servers: (TestServer, RedisServer),
}

impl DiffPair {
    /// `None` when redis-server is not installed and not required.
    pub fn new() -> Option<DiffPair> {
        let redis = start_redis()?;
        let ferro = start_server();
        Some(DiffPair {
            ferro: ferro.client(),
            redis: redis.client(),
            _servers: (ferro, redis),
        })
    }

    /// Send `args` to both servers and assert identical replies; returns whether Redis
    /// answered with an error (so workloads can check they exercise successful paths).
    pub fn check(&mut self, args: &[Vec<u8>], context: &str) -> bool {
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let f = self.ferro.cmd_b(&refs);
        let r = self.redis.cmd_b(&refs);
        assert_eq!(
            show(&f),
            show(&r),
            "{context}: {:?}",
            args.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
        );
        r.starts_with(b"-")
    }

    /// Run each non-empty line of `script` (redis-cli quoting) through [`DiffPair::check`].
    pub fn check_script(&mut self, script: &str) {
        for (i, line) in script.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            self.check(&split_line(line), &format!("line {i}: {line}"));
        }
    }
}
