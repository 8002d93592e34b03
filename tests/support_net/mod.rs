//! Helpers for the network-level tests (`protocol`, `connection`, `server_cmds`, `tools`):
//! an in-process ferrokv, the release binary as a child process, a real `redis-server`,
//! and a raw client that returns each reply's exact bytes.
//!
//! Every wait has a generous deadline so a loaded CI machine slows the tests down instead
//! of failing them; nothing here asserts on how fast the server is.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long one reply may take before the test fails instead of hanging.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------------------

/// The server under test: ferrokv on a thread of this process, or, when the environment
/// variable `FERROKV_TEST_AGAINST_REDIS` is set, a real redis-server child process. The
/// second mode checks that the tests' expectations are Redis's own behaviour.
pub struct Srv {
    pub port: u16,
    kind: Kind,
}

enum Kind {
    InProcess(JoinHandle<()>),
    Redis(Proc),
}

/// Whether the tests run against a real redis-server (see [`Srv`]).
pub fn against_redis() -> bool {
    std::env::var("FERROKV_TEST_AGAINST_REDIS").is_ok_and(|v| !v.is_empty() && v != "0")
}

impl Srv {
    pub fn conn(&self) -> Conn {
        Conn::new(self.port)
    }

    /// Whether the server has stopped (after SHUTDOWN).
    pub fn stopped(&mut self) -> bool {
        match &mut self.kind {
            Kind::InProcess(t) => t.is_finished(),
            Kind::Redis(p) => matches!(p.child.try_wait(), Ok(Some(_))),
        }
    }

    /// Resident memory of the server process, in bytes (for an in-process server, that of
    /// the test process, which the test's own buffers barely touch).
    pub fn rss(&self) -> u64 {
        let path = match &self.kind {
            Kind::InProcess(_) => "/proc/self/status".to_string(),
            Kind::Redis(p) => format!("/proc/{}/status", p.child.id()),
        };
        let status = std::fs::read_to_string(&path).expect("read process status");
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("VmRSS");
        kb * 1024
    }
}

/// Start the server under test with extra `--name value` arguments, e.g.
/// `&["--timeout", "1"]`.
pub fn start(args: &[&str]) -> Srv {
    if against_redis() {
        let bin = tool("redis-server").expect("FERROKV_TEST_AGAINST_REDIS needs redis-server");
        let p = Proc::spawn(&bin, args);
        return Srv {
            port: p.port,
            kind: Kind::Redis(p),
        };
    }
    let mut v: Vec<String> = vec!["--port".into(), "0".into()];
    v.extend(args.iter().map(|s| s.to_string()));
    let cfg = ferrokv::config::Config::from_args(&v)
        .unwrap_or_else(|e| panic!("config {v:?} rejected: {e}"));
    let server = ferrokv::server::Server::bind(cfg).expect("bind in-process ferrokv");
    let port = server.port();
    let thread = std::thread::Builder::new()
        .name(format!("ferrokv-{port}"))
        .spawn(move || {
            let _ = server.run();
        })
        .expect("spawn server thread");
    Srv {
        port,
        kind: Kind::InProcess(thread),
    }
}

/// For tests of ferrokv-only behaviour: true (with a notice) when running against Redis.
pub fn skip_on_redis(why: &str) -> bool {
    if against_redis() {
        eprintln!("NOTICE: skipped against redis-server: {why}");
    }
    against_redis()
}

/// A port that was free a moment ago (for servers started as child processes).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr").port()
}

/// A server process (ferrokv's release binary or redis-server), killed on drop.
pub struct Proc {
    pub port: u16,
    pub child: Child,
    pub name: String,
}

impl Proc {
    /// Start `program --port P args...` on a free port and wait until it answers.
    /// Retries on another port if the first one was taken in the meantime.
    pub fn spawn(program: &str, args: &[&str]) -> Proc {
        let mut last_err = String::new();
        for _ in 0..5 {
            let port = free_port();
            let port_s = port.to_string();
            let mut cmd = Command::new(program);
            cmd.arg("--port").arg(&port_s);
            if program.ends_with("redis-server") {
                // No persistence side effects in the working directory.
                cmd.args(["--save", "", "--appendonly", "no", "--daemonize", "no"]);
            }
            cmd.args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let child = match cmd.spawn() {
                Ok(c) => c,
                Err(e) => panic!("cannot start {program}: {e}"),
            };
            let mut p = Proc {
                port,
                child,
                name: program.to_string(),
            };
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = p.child.try_wait() {
                    last_err = format!("{program} exited with {status} on port {port}");
                    break;
                }
                if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                    // Any reply will do: with requirepass it is -NOAUTH.
                    let mut b = [0u8; 1];
                    if s.write_all(b"PING\r\n").is_ok()
                        && s.read_exact(&mut b).is_ok()
                        && matches!(b[0], b'+' | b'-')
                    {
                        return p;
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if last_err.is_empty() {
                last_err = format!("{program} did not answer PING on port {port}");
            }
        }
        panic!("{last_err}");
    }

    pub fn conn(&self) -> Conn {
        Conn::new(self.port)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Path of an external tool (`redis-server`, `redis-cli`...), or None with a notice when it
/// is missing. In CI (env `CI` or `FERROKV_REQUIRE_REDIS` set) a missing tool fails the test.
pub fn tool(name: &str) -> Option<String> {
    match which(name) {
        Some(p) => Some(p),
        None if std::env::var_os("CI").is_some()
            || std::env::var_os("FERROKV_REQUIRE_REDIS").is_some() =>
        {
            panic!("{name} not found in PATH; CI must install redis-tools/redis-server 7.0")
        }
        None => {
            eprintln!("NOTICE: {name} not found in PATH; skipping this test (set CI=1 to fail)");
            None
        }
    }
}

/// Path of `name` in PATH, if any.
pub fn which(name: &str) -> Option<String> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
}

/// A real Redis 7.0 for differential checks, if installed.
pub fn real_redis(args: &[&str]) -> Option<Proc> {
    let bin = tool("redis-server")?;
    Some(Proc::spawn(&bin, args))
}

// ---------------------------------------------------------------------------------------
// Raw client
// ---------------------------------------------------------------------------------------

/// How a read ended without a complete reply.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    Eof,
    Timeout,
}

/// A TCP connection that writes bytes as given and reads replies frame by frame, returning
/// each reply's exact bytes.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub fn new(port: u16) -> Conn {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        let stream = loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => panic!("connect to {port}: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("write {} bytes: {e}", bytes.len()));
    }

    /// Send one multibulk request and read its reply.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send(&enc(args));
        self.reply()
    }

    /// `cmd` with the arguments given as one space-separated string (no quoting).
    pub fn call(&mut self, line: &str) -> Vec<u8> {
        let args: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
        self.cmd(&args)
    }

    /// Send `line` (space-separated) and assert the reply's exact bytes.
    #[track_caller]
    pub fn check(&mut self, line: &str, want: &[u8]) {
        let got = self.call(line);
        assert_bytes(&got, want, line);
    }

    /// Read one complete reply, failing the test on EOF or after [`REPLY_TIMEOUT`].
    #[track_caller]
    pub fn reply(&mut self) -> Vec<u8> {
        match self.try_reply(REPLY_TIMEOUT) {
            Ok(r) => r,
            Err(e) => panic!(
                "no complete reply ({e:?}); buffered so far: {}",
                show(&self.buf)
            ),
        }
    }

    /// Read one complete reply within `timeout`.
    pub fn try_reply(&mut self, timeout: Duration) -> Result<Vec<u8>, End> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(n) = frame_len(&self.buf, 0) {
                let rest = self.buf.split_off(n);
                return Ok(std::mem::replace(&mut self.buf, rest));
            }
            self.fill(deadline)?;
        }
    }

    /// Read exactly `n` bytes.
    #[track_caller]
    pub fn read_n(&mut self, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        while self.buf.len() < n {
            if let Err(e) = self.fill(deadline) {
                panic!(
                    "wanted {n} bytes, got {} then {e:?}: {}",
                    self.buf.len(),
                    show(&self.buf)
                );
            }
        }
        let rest = self.buf.split_off(n);
        std::mem::replace(&mut self.buf, rest)
    }

    /// Read `want.len()` bytes and compare them with `want`.
    #[track_caller]
    pub fn expect(&mut self, want: &[u8]) {
        let got = self.read_n(want.len());
        assert_bytes(&got, want, "raw read");
    }

    /// Assert the server closes the connection (within [`REPLY_TIMEOUT`]) without sending
    /// anything more.
    #[track_caller]
    pub fn expect_eof(&mut self) {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            if !self.buf.is_empty() {
                panic!("expected EOF, got more bytes: {}", show(&self.buf));
            }
            match self.fill(deadline) {
                Ok(()) => {}
                Err(End::Eof) => return,
                Err(End::Timeout) => panic!("expected EOF, connection still open"),
            }
        }
    }

    /// Assert nothing arrives (no bytes, no EOF) for `ms` milliseconds.
    #[track_caller]
    pub fn expect_silence(&mut self, ms: u64) {
        let deadline = Instant::now() + Duration::from_millis(ms);
        loop {
            if !self.buf.is_empty() {
                panic!("expected no reply, got: {}", show(&self.buf));
            }
            match self.fill(deadline) {
                Ok(()) => {}
                Err(End::Timeout) => return,
                Err(End::Eof) => panic!("expected the connection to stay open, got EOF"),
            }
        }
    }

    /// Whether the connection was closed by the server (EOF or reset) within `timeout`.
    /// Replies that arrive in the meantime are discarded.
    pub fn closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            self.buf.clear();
            match self.fill(deadline) {
                Ok(()) => {}
                Err(End::Eof) => return true,
                Err(End::Timeout) => return false,
            }
        }
    }

    pub fn shutdown_write(&mut self) {
        self.stream
            .shutdown(Shutdown::Write)
            .expect("shutdown(Write)");
    }

    /// Read whatever arrives before `deadline` into the buffer (at least one byte).
    fn fill(&mut self, deadline: Instant) -> Result<(), End> {
        let now = Instant::now();
        if now >= deadline {
            return Err(End::Timeout);
        }
        let wait = (deadline - now).max(Duration::from_millis(1));
        self.stream
            .set_read_timeout(Some(wait))
            .expect("set_read_timeout");
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(End::Eof),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(End::Timeout);
                }
                // A reset after the server closed with unread input still means "closed".
                Err(_) => return Err(End::Eof),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// RESP helpers
// ---------------------------------------------------------------------------------------

/// A multibulk request.
pub fn enc(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// `enc` of a space-separated line.
pub fn enc_line(line: &str) -> Vec<u8> {
    let args: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
    enc(&args)
}

/// Length of the complete RESP2/RESP3 frame starting at `at`, or None if incomplete.
pub fn frame_len(buf: &[u8], at: usize) -> Option<usize> {
    let nl = buf[at..].windows(2).position(|w| w == b"\r\n")? + at;
    let head = &buf[at..nl];
    let line_end = nl + 2;
    let num = || -> i64 {
        std::str::from_utf8(&head[1..])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad RESP header {}", show(head)))
    };
    match head.first()? {
        b'+' | b'-' | b':' | b'_' | b'#' | b',' | b'(' => Some(line_end - at),
        b'$' | b'=' | b'!' => {
            let n = num();
            if n < 0 {
                return Some(line_end - at);
            }
            let end = line_end + n as usize + 2;
            (buf.len() >= end).then_some(end - at)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = num();
            let items = if matches!(head[0], b'%' | b'|') {
                n * 2
            } else {
                n
            };
            let mut pos = line_end;
            for _ in 0..items.max(0) {
                pos += frame_len(buf, pos)?;
            }
            if head[0] == b'|' {
                // An attribute is followed by the reply it annotates.
                pos += frame_len(buf, pos)?;
            }
            Some(pos - at)
        }
        _ => panic!("not a RESP reply: {}", show(&buf[at..])),
    }
}

/// Split a RESP2 array of bulk strings (e.g. a CONFIG GET or COMMAND LIST reply) into its
/// elements. Panics on anything else.
pub fn bulks(reply: &[u8]) -> Vec<Vec<u8>> {
    let nl = reply.windows(2).position(|w| w == b"\r\n").expect("header");
    assert!(
        matches!(reply[0], b'*' | b'%' | b'~'),
        "not an aggregate: {}",
        show(reply)
    );
    let n: usize = std::str::from_utf8(&reply[1..nl])
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("bad count in {}", show(reply)));
    let n = if reply[0] == b'%' { n * 2 } else { n };
    let mut pos = nl + 2;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        assert_eq!(reply[pos], b'$', "not a bulk at {pos}: {}", show(reply));
        let len = frame_len(reply, pos).expect("complete");
        let item = &reply[pos..pos + len];
        let hnl = item.windows(2).position(|w| w == b"\r\n").unwrap();
        out.push(item[hnl + 2..item.len() - 2].to_vec());
        pos += len;
    }
    assert_eq!(pos, reply.len(), "trailing bytes in {}", show(reply));
    out
}

/// The payload of a bulk (`$`) or verbatim (`=`, without its `txt:` prefix) reply.
pub fn bulk_text(reply: &[u8]) -> String {
    assert!(
        matches!(reply.first(), Some(b'$') | Some(b'=')),
        "not a bulk: {}",
        show(reply)
    );
    let nl = reply.windows(2).position(|w| w == b"\r\n").unwrap();
    let mut body = &reply[nl + 2..reply.len() - 2];
    if reply[0] == b'=' {
        body = &body[4..];
    }
    String::from_utf8_lossy(body).into_owned()
}

/// The integer of a `:N` reply.
#[track_caller]
pub fn int(reply: &[u8]) -> i64 {
    assert_eq!(
        reply.first(),
        Some(&b':'),
        "not an integer: {}",
        show(reply)
    );
    std::str::from_utf8(&reply[1..reply.len() - 2])
        .unwrap()
        .parse()
        .unwrap()
}

/// `field:value` from an INFO reply's text.
pub fn info_field(info: &str, field: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .map(str::to_string)
}

/// Printable form of raw bytes for failure messages.
pub fn show(b: &[u8]) -> String {
    let cut = b.len() > 2000;
    let mut s = format!("\"{}\"", b[..b.len().min(2000)].escape_ascii());
    if cut {
        s.push_str(&format!("... ({} bytes)", b.len()));
    }
    s
}

#[track_caller]
pub fn assert_bytes(got: &[u8], want: &[u8], what: &str) {
    assert!(
        got == want,
        "{what}:\n  got:  {}\n  want: {}",
        show(got),
        show(want)
    );
}

// ---------------------------------------------------------------------------------------
// Misc
// ---------------------------------------------------------------------------------------

/// Poll `f` every 20 ms until it returns true or `secs` pass; returns the last result.
pub fn wait_until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A numeric knob from the environment, with a default (e.g. connection counts).
pub fn env_knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
