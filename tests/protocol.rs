//! The request protocol over real TCP: multibulk and inline requests, pipelining, requests
//! split into tiny writes, binary safety, every protocol error Redis 7.0 replies (each
//! followed by the server closing the connection), inputs Redis accepts silently, memory
//! safety against huge announced lengths, unauthenticated limits, inline quoting, RESP3.
//!
//! Expected bytes were taken from redis-server 7.0.15. The case tables are also run
//! against a real redis-server (`case_tables_match_real_redis`) so they stay honest.

mod support_net;

use std::time::{Duration, Instant};

use support_net::*;

/// What the connection does after the expected reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum After {
    /// The server closes the connection.
    Close,
    /// Nothing more arrives and the connection stays open.
    Open,
}

struct Case {
    send: &'static [u8],
    reply: &'static [u8],
    after: After,
}

const fn case(send: &'static [u8], reply: &'static [u8], after: After) -> Case {
    Case { send, reply, after }
}

const INVALID_MBULK: &[u8] = b"-ERR Protocol error: invalid multibulk length\r\n";
const INVALID_BULK: &[u8] = b"-ERR Protocol error: invalid bulk length\r\n";

/// Each of these replies one protocol error and then the connection is closed.
const PROTOCOL_ERRORS: &[Case] = &[
    case(b"*999999999999\r\n", INVALID_MBULK, After::Close),
    case(b"*2147483648\r\n", INVALID_MBULK, After::Close),
    case(b"*abc\r\n", INVALID_MBULK, After::Close),
    case(b"*\r\n", INVALID_MBULK, After::Close),
    case(b"*-0\r\n", INVALID_MBULK, After::Close),
    case(b"*+1\r\n$4\r\nPING\r\n", INVALID_MBULK, After::Close),
    case(b"*01\r\n$4\r\nPING\r\n", INVALID_MBULK, After::Close),
    case(b"* 1\r\n", INVALID_MBULK, After::Close),
    case(b"*1x\r\n", INVALID_MBULK, After::Close),
    // 512 MB + 1: over the default proto-max-bulk-len.
    case(b"*1\r\n$536870913\r\n", INVALID_BULK, After::Close),
    case(b"*1\r\n$600000000\r\n", INVALID_BULK, After::Close),
    case(b"*1\r\n$-5\r\n", INVALID_BULK, After::Close),
    case(b"*1\r\n$-1\r\n", INVALID_BULK, After::Close),
    case(b"*1\r\n$-0\r\n", INVALID_BULK, After::Close),
    case(b"*1\r\n$+4\r\nPING\r\n", INVALID_BULK, After::Close),
    case(b"*1\r\n$04\r\nPING\r\n", INVALID_BULK, After::Close),
    case(b"*1\r\n$ 4\r\n", INVALID_BULK, After::Close),
    case(b"*1\r\n$4x\r\n", INVALID_BULK, After::Close),
    case(b"*1\r\n$\r\n", INVALID_BULK, After::Close),
    // The error comes after the replies of the complete requests before it.
    case(
        b"*1\r\n$4\r\nPING\r\n*1\r\n$-1\r\n",
        b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n",
        After::Close,
    ),
    case(
        b"*1\r\n*1\r\n",
        b"-ERR Protocol error: expected '$', got '*'\r\n",
        After::Close,
    ),
    case(
        b"*1\r\nPING\r\n",
        b"-ERR Protocol error: expected '$', got 'P'\r\n",
        After::Close,
    ),
    // The CR in the message becomes a space, as in every Redis error reply.
    case(
        b"*1\r\n\r\n",
        b"-ERR Protocol error: expected '$', got ' '\r\n",
        After::Close,
    ),
    case(
        b"\"abc\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
        After::Close,
    ),
    case(
        b"ECHO 'abc\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
        After::Close,
    ),
    // A closing quote must be followed by a space or the end of the line.
    case(
        b"ECHO \"a\"b\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
        After::Close,
    ),
    case(
        b"ECHO 'a'b\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
        After::Close,
    ),
    case(
        b"ECHO a\"b\"c\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
        After::Close,
    ),
];

/// Inputs Redis accepts without a reply (or with an ordinary reply), keeping the connection.
const ACCEPTED: &[Case] = &[
    case(b"*0\r\nPING\r\n", b"+PONG\r\n", After::Open),
    case(b"*-5\r\nPING\r\n", b"+PONG\r\n", After::Open),
    case(b"*-1\r\nPING\r\n", b"+PONG\r\n", After::Open),
    // Empty and blank inline lines are skipped.
    case(b"\r\n\n   \r\nPING\r\n", b"+PONG\r\n", After::Open),
    // An inline line starting with NUL: no reply, no error.
    case(b"\x00PING\r\n", b"", After::Open),
    // The two bytes after a bulk payload are not checked.
    case(
        b"*1\r\n$4\r\nPINGxxPING\r\n",
        b"+PONG\r\n+PONG\r\n",
        After::Open,
    ),
    // `$-2` outside a multibulk is an inline command.
    case(
        b"$-2\r\n",
        b"-ERR unknown command '$-2', with args beginning with: \r\n",
        After::Open,
    ),
    // An empty command name.
    case(
        b"*1\r\n$0\r\n\r\n",
        b"-ERR unknown command '', with args beginning with: \r\n",
        After::Open,
    ),
    // LF-only line ends are fine for inline requests.
    case(b"PING\nPING\n", b"+PONG\r\n+PONG\r\n", After::Open),
    // Incomplete requests wait for the rest.
    case(b"*3\r\n$3\r\nSET\r\n$1\r\n", b"", After::Open),
    case(b"*1\r\n$4\r\nPI", b"", After::Open),
    case(b"*1\n$4\nPING\n", b"", After::Open),
    case(b"*10\r\n", b"", After::Open),
    case(b"PING", b"", After::Open),
];

/// Inline requests are split like `sdssplitargs`: double quotes with C escapes (`\x41`),
/// single quotes with only `\'`, and quotes may start in the middle of an argument.
const INLINE_QUOTING: &[Case] = &[
    case(
        b"SET \"\\x41\" 'single'\r\nGET A\r\n",
        b"+OK\r\n$6\r\nsingle\r\n",
        After::Open,
    ),
    case(
        b"ECHO \"a\\tb\\n\\x00c\\\"d\"\r\n",
        b"$8\r\na\tb\n\x00c\"d\r\n",
        After::Open,
    ),
    case(b"ECHO 'it\\'s'\r\n", b"$4\r\nit's\r\n", After::Open),
    // In single quotes other escapes stay as typed.
    case(b"ECHO 'a\\nb'\r\n", b"$4\r\na\\nb\r\n", After::Open),
    case(b"ECHO 'a\\\\b'\r\n", b"$4\r\na\\\\b\r\n", After::Open),
    case(b"ECHO \"a\\\\b\"\r\n", b"$3\r\na\\b\r\n", After::Open),
    case(
        b"ECHO \"\\a\\b\\r\"\r\n",
        b"$3\r\n\x07\x08\r\r\n",
        After::Open,
    ),
    case(b"ECHO \"\\x41\\x42\"\r\n", b"$2\r\nAB\r\n", After::Open),
    case(
        b"ECHO \"\\xFF\\x00\"\r\n",
        b"$2\r\n\xff\x00\r\n",
        After::Open,
    ),
    // Not a valid hex escape: the backslash is dropped, the rest kept.
    case(b"ECHO \"\\xzz\"\r\n", b"$3\r\nxzz\r\n", After::Open),
    case(b"ECHO \"\\x4\"\r\n", b"$2\r\nx4\r\n", After::Open),
    case(b"ECHO \"\\X41\"\r\n", b"$3\r\nX41\r\n", After::Open),
    case(b"ECHO \"\\q\"\r\n", b"$1\r\nq\r\n", After::Open),
    case(b"ECHO \"\"\r\n", b"$0\r\n\r\n", After::Open),
    case(b"ECHO ''\r\n", b"$0\r\n\r\n", After::Open),
    case(b"ECHO a\"b\"\r\n", b"$2\r\nab\r\n", After::Open),
    case(b"\"ECHO\" x\r\n", b"$1\r\nx\r\n", After::Open),
    case(b"ECHO \"a\" \r\n", b"$1\r\na\r\n", After::Open),
    case(
        b"ECHO \"a\" \"b\"\r\n",
        b"-ERR wrong number of arguments for 'echo' command\r\n",
        After::Open,
    ),
    // Tabs, CR and runs of spaces separate arguments.
    case(b"ECHO\ta\r\n", b"$1\r\na\r\n", After::Open),
    case(b"  ECHO   a  \r\n", b"$1\r\na\r\n", After::Open),
    case(b"ECHO x\r\r\n", b"$1\r\nx\r\n", After::Open),
    case(
        b"ECHO a\rb\r\n",
        b"-ERR wrong number of arguments for 'echo' command\r\n",
        After::Open,
    ),
    case(
        b"ECHO \"a\"\tb\r\n",
        b"-ERR wrong number of arguments for 'echo' command\r\n",
        After::Open,
    ),
];

/// A NUL byte in an inline request hides its newline from Redis (it searches with
/// `strchr`): the request never runs, nor does anything after it on that connection.
/// Running the part before the NUL instead would store `a` for `SET k a\0b`.
const INLINE_NUL: &[Case] = &[
    case(b"PING\x00abc\r\nPING\r\n", b"", After::Open),
    case(b"SET k a\x00b\r\n", b"", After::Open),
    case(b"\x00PING\r\nPING\r\n", b"", After::Open),
];

/// Run every case on its own connection, in parallel; return the failures.
fn run_cases(port: u16, cases: &[Case]) -> Vec<String> {
    std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|c| s.spawn(move || run_case(port, c)))
            .collect();
        handles
            .into_iter()
            .zip(cases)
            .filter_map(|(h, c)| {
                let r = h.join().unwrap_or_else(|_| Err("panicked".into()));
                r.err().map(|e| format!("{}: {e}", show(c.send)))
            })
            .collect()
    })
}

fn run_case(port: u16, c: &Case) -> Result<(), String> {
    let mut conn = Conn::new(port);
    conn.send(c.send);
    // First the expected number of bytes (a slow server gets plenty of time), then either
    // EOF or a quiet spell in which nothing more arrives.
    let mut got = Vec::new();
    let mut closed = false;
    let until = Instant::now() + REPLY_TIMEOUT;
    while got.len() < c.reply.len() && !closed {
        match conn.try_reply(until.saturating_duration_since(Instant::now())) {
            Ok(r) => got.extend_from_slice(&r),
            Err(End::Eof) => closed = true,
            Err(End::Timeout) => break,
        }
    }
    let quiet = Duration::from_millis(if c.after == After::Close { 10_000 } else { 300 });
    let until = Instant::now() + quiet;
    while !closed {
        match conn.try_reply(until.saturating_duration_since(Instant::now())) {
            Ok(r) => got.extend_from_slice(&r),
            Err(End::Eof) => closed = true,
            Err(End::Timeout) => break,
        }
    }
    let want_closed = c.after == After::Close;
    if got != c.reply || closed != want_closed {
        return Err(format!(
            "got {} {}, want {} {}",
            show(&got),
            if closed { "then EOF" } else { "(open)" },
            show(c.reply),
            if want_closed { "then EOF" } else { "(open)" },
        ));
    }
    Ok(())
}

#[track_caller]
fn assert_cases(cases: &[Case]) {
    let srv = start(&[]);
    let failures = run_cases(srv.port, cases);
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Redis:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn protocol_errors_reply_then_close() {
    assert_cases(PROTOCOL_ERRORS);
}

#[test]
fn silently_accepted_and_incomplete_requests() {
    assert_cases(ACCEPTED);
}

#[test]
fn inline_quoting_rules() {
    assert_cases(INLINE_QUOTING);
}

#[test]
fn inline_nul_byte_hides_the_newline() {
    assert_cases(INLINE_NUL);
}

/// The tables above, run against a real redis-server: proof that they describe Redis.
#[test]
fn case_tables_match_real_redis() {
    let Some(redis) = real_redis(&[]) else {
        return;
    };
    let mut failures = Vec::new();
    for table in [PROTOCOL_ERRORS, ACCEPTED, INLINE_QUOTING, INLINE_NUL] {
        failures.extend(run_cases(redis.port, table));
    }
    assert!(
        failures.is_empty(),
        "the tables disagree with redis-server:\n{}",
        failures.join("\n")
    );
}

#[test]
fn multibulk_requests() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
    c.expect(b"+OK\r\n");
    c.send(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    c.expect(b"$5\r\nhello\r\n");
    // Command names are case-insensitive.
    c.send(b"*2\r\n$3\r\ngEt\r\n$1\r\nk\r\n");
    c.expect(b"$5\r\nhello\r\n");
    c.send(b"*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n");
    c.expect(b"$-1\r\n");
    c.send(b"*1\r\n$4\r\nPING\r\n");
    c.expect(b"+PONG\r\n");
    c.expect_silence(100);
}

#[test]
fn inline_requests() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
    c.send(b"SET k v\r\n");
    c.expect(b"+OK\r\n");
    c.send(b"get k\n");
    c.expect(b"$1\r\nv\r\n");
    // Inline and multibulk mixed in one write.
    c.send(b"INCR n\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\nINCR n\n");
    c.expect(b":1\r\n:2\r\n:3\r\n");
}

/// 10,000 commands in one write, all answered, in order.
#[test]
fn pipeline_of_10000_commands_in_one_write() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let n = 10_000;
    let mut req = Vec::new();
    let mut want = Vec::new();
    for i in 0..n {
        if i % 2 == 0 {
            req.extend(enc_line(&format!("ECHO e{i}")));
            let v = format!("e{i}");
            want.extend(format!("${}\r\n{v}\r\n", v.len()).into_bytes());
        } else {
            req.extend(enc_line("INCR counter"));
            want.extend(format!(":{}\r\n", i / 2 + 1).into_bytes());
        }
    }
    let mut writer = c.stream.try_clone().unwrap();
    let t = std::thread::spawn(move || {
        use std::io::Write;
        writer.write_all(&req).unwrap();
    });
    let got = c.read_n(want.len());
    t.join().unwrap();
    assert!(got == want, "replies differ from the expected sequence");
    c.expect_silence(100);
}

/// Every request split into one-byte writes still runs once, when its last byte arrives.
#[test]
fn requests_split_byte_by_byte() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let mut req = enc(&[b"SET", b"k\x00\r\n", b"v\r\nv"]);
    req.extend_from_slice(b"ECHO inline\r\n");
    req.extend(enc(&[b"GET", b"k\x00\r\n"]));
    req.extend(enc(&[b"ECHO", b"12345678901234567890"]));
    let (body, last) = req.split_at(req.len() - 1);
    for b in body {
        c.send(std::slice::from_ref(b));
        std::thread::sleep(Duration::from_micros(300));
    }
    // Everything but the ECHO's final LF has arrived; the ECHO must not run yet.
    c.expect(b"+OK\r\n$6\r\ninline\r\n$4\r\nv\r\nv\r\n");
    c.expect_silence(200);
    c.send(last);
    c.expect(b"$20\r\n12345678901234567890\r\n");
}

#[test]
fn binary_safe_arguments() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let key = b"\x00key\r\nwith\r\n\x00";
    let all: Vec<u8> = (0..=255u8).collect();
    c.send(&enc(&[b"SET", key, &all]));
    c.expect(b"+OK\r\n");
    let mut want = b"$256\r\n".to_vec();
    want.extend_from_slice(&all);
    want.extend_from_slice(b"\r\n");
    assert_bytes(&c.cmd(&[b"GET", key]), &want, "GET of a binary key");
    assert_bytes(&c.cmd(&[b"ECHO", &all]), &want, "ECHO of all bytes");
    // A payload that looks like a request does not run.
    assert_bytes(
        &c.cmd(&[b"ECHO", b"*1\r\n$4\r\nPING\r\n"]),
        b"$14\r\n*1\r\n$4\r\nPING\r\n\r\n",
        "ECHO of a request",
    );
    c.expect_silence(100);
}

#[test]
fn too_big_count_strings_and_inline_requests() {
    let srv = start(&[]);
    // A 70 KB count line without CR.
    let mut c = srv.conn();
    let mut req = b"*".to_vec();
    req.extend(std::iter::repeat_n(b'1', 70_000));
    c.send(&req);
    c.expect(b"-ERR Protocol error: too big mbulk count string\r\n");
    c.expect_eof();

    let mut c = srv.conn();
    let mut req = b"*1\r\n$".to_vec();
    req.extend(std::iter::repeat_n(b'1', 70_000));
    c.send(&req);
    c.expect(b"-ERR Protocol error: too big bulk count string\r\n");
    c.expect_eof();

    let mut c = srv.conn();
    c.send(&[b'x'; 70_000]);
    c.expect(b"-ERR Protocol error: too big inline request\r\n");
    c.expect_eof();
}

/// 64 KB without a newline is still fine; a 70 KB line that arrives with its CRLF runs as
/// an ordinary (unknown) command and the connection goes on.
#[test]
fn long_inline_line_with_newline_runs() {
    let srv = start(&[]);
    let unknown_x = format!(
        "-ERR unknown command '{}', with args beginning with: \r\n",
        "x".repeat(128)
    );

    let mut c = srv.conn();
    c.send(&[b'x'; 65_536]);
    c.expect_silence(300);
    c.send(b"\r\nPING\r\n");
    c.expect(unknown_x.as_bytes());
    c.expect(b"+PONG\r\n");

    let mut c = srv.conn();
    let mut line = vec![b'x'; 70_000];
    line.extend_from_slice(b"\r\nPING\r\n");
    c.send(&line);
    c.expect(unknown_x.as_bytes());
    c.expect(b"+PONG\r\n");

    // A 70 KB argument of an inline ECHO comes back whole.
    let mut c = srv.conn();
    let mut line = b"ECHO ".to_vec();
    line.extend(std::iter::repeat_n(b'y', 70_000));
    line.extend_from_slice(b"\r\n");
    c.send(&line);
    let mut want = b"$70000\r\n".to_vec();
    want.extend(std::iter::repeat_n(b'y', 70_000));
    want.extend_from_slice(b"\r\n");
    c.expect(&want);
}

/// `*2000000` and a 512 MB bulk header make the server wait for the bytes without
/// allocating them: memory stays flat and other clients are served.
#[test]
fn huge_announced_lengths_do_not_allocate() {
    let srv = start(&[]);
    let mut probe = srv.conn();
    probe.check("PING", b"+PONG\r\n");
    let before = srv.rss();

    let mut many_args = srv.conn();
    many_args.send(b"*2000000\r\n$4\r\nECHO\r\n");
    let mut big_bulk = srv.conn();
    big_bulk.send(b"*2\r\n$4\r\nECHO\r\n$536870912\r\n");
    big_bulk.send(&[b'z'; 100_000]);
    // Several more like it, so a server that reserves up front is sure to be caught.
    let mut more = Vec::new();
    for _ in 0..4 {
        let mut c = srv.conn();
        c.send(b"*1\r\n$536870000\r\nabc");
        more.push(c);
    }

    many_args.expect_silence(300);
    big_bulk.expect_silence(100);
    for c in &mut more {
        c.expect_silence(10);
    }
    for _ in 0..10 {
        probe.check("PING", b"+PONG\r\n");
    }
    let after = srv.rss();
    let grown = after.saturating_sub(before);
    assert!(
        grown < 100 * 1024 * 1024,
        "RSS grew by {} MB while clients announced huge lengths",
        grown / (1024 * 1024)
    );
    // A large bulk sent in two parts runs when its last bytes arrive.
    let mut c = srv.conn();
    c.send(b"*2\r\n$4\r\nECHO\r\n$100000\r\n");
    c.send(&[b'q'; 99_999]);
    c.expect_silence(100);
    c.send(b"q\r\n");
    let r = c.reply();
    assert_eq!(r.len(), "$100000\r\n".len() + 100_000 + 2);
}

/// A configured proto-max-bulk-len is enforced on the bulk header.
#[test]
fn proto_max_bulk_len_is_enforced() {
    let srv = start(&["--proto-max-bulk-len", "1048576"]);
    let mut c = srv.conn();
    c.send(&enc(&[b"SET", b"k", &vec![b'a'; 1_048_576]]));
    c.expect(b"+OK\r\n");
    c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n");
    c.expect(INVALID_BULK);
    c.expect_eof();
}

#[test]
fn unauthenticated_request_limits() {
    let srv = start(&["--requirepass", "secret"]);
    let mut c = srv.conn();
    c.send(b"*11\r\n");
    c.expect(b"-ERR Protocol error: unauthenticated multibulk length\r\n");
    c.expect_eof();

    let mut c = srv.conn();
    c.send(b"*1\r\n$16385\r\n");
    c.expect(b"-ERR Protocol error: unauthenticated bulk length\r\n");
    c.expect_eof();

    // At the limits: the server waits for the rest.
    let mut c = srv.conn();
    c.send(b"*10\r\n");
    c.expect_silence(200);
    let mut c = srv.conn();
    c.send(b"*1\r\n$16384\r\n");
    c.expect_silence(200);

    // Inline requests have no such limit; they get NOAUTH.
    let mut c = srv.conn();
    let line = format!("PING {}\r\n", "a ".repeat(20));
    c.send(line.as_bytes());
    c.expect(b"-NOAUTH Authentication required.\r\n");

    // Once authenticated, both limits are gone.
    let mut c = srv.conn();
    c.check("AUTH secret", b"+OK\r\n");
    c.check("MSET a 1 b 2 c 3 d 4 e 5", b"+OK\r\n");
    c.send(&enc(&[b"SET", b"big", &[b'b'; 16_385]]));
    c.expect(b"+OK\r\n");
    c.check("STRLEN big", b":16385\r\n");
}

// ---------------------------------------------------------------------------------------
// RESP3
// ---------------------------------------------------------------------------------------

fn hello_map(proto: u8, id: i64) -> Vec<u8> {
    let head = if proto == 3 { "%7\r\n" } else { "*14\r\n" };
    format!(
        "{head}$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n\
         $5\r\nproto\r\n:{proto}\r\n$2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n\
         $4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
    )
    .into_bytes()
}

#[test]
fn resp3_encodings() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let id = int(&c.call("CLIENT ID"));
    assert_bytes(&c.call("HELLO 3"), &hello_map(3, id), "HELLO 3");
    c.check("GET missing", b"_\r\n");
    c.check("MGET missing other", b"*2\r\n_\r\n_\r\n");
    c.check("CLIENT GETNAME", b"_\r\n");
    c.check("SET a b GET", b"_\r\n");
    c.check("COMMAND INFO nosuch", b"*1\r\n_\r\n");
    c.check("COMMAND DOCS nosuch", b"%0\r\n");
    // Text replies of INFO and CLIENT are verbatim strings.
    c.check(
        "INFO keyspace",
        b"=48\r\ntxt:# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n\r\n",
    );
    let info = c.call("CLIENT INFO");
    assert!(info.starts_with(b"="), "CLIENT INFO: {}", show(&info));
    assert!(bulk_text(&info).ends_with(" resp=3\n"), "{}", show(&info));
    c.check("CLIENT LIST ID 999999", b"=4\r\ntxt:\r\n");
    // Maps.
    c.check("SET k1 ohmytext", b"+OK\r\n");
    c.check("SET k2 mynewtext", b"+OK\r\n");
    c.check(
        "LCS k1 k2 IDX",
        b"%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
    );
    // Going back to RESP2.
    assert_bytes(&c.call("HELLO 2"), &hello_map(2, id), "HELLO 2");
    c.check("GET missing", b"$-1\r\n");
    c.check("MGET missing", b"*1\r\n$-1\r\n");
}

#[test]
fn resp3_config_get_is_a_map() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.call("HELLO 3");
    c.check(
        "CONFIG GET maxmemory",
        b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n",
    );
    c.check("CONFIG GET nonexistent", b"%0\r\n");
    let r = c.call("CONFIG GET maxmemory hz");
    assert!(r.starts_with(b"%2\r\n"), "{}", show(&r));
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = bulks(&r)
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        vec![
            (b"hz".to_vec(), b"10".to_vec()),
            (b"maxmemory".to_vec(), b"0".to_vec()),
        ]
    );
}
