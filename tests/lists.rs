//! List commands over TCP with exact reply bytes: every command, option and error, empty
//! and huge values, node-size and compression settings, and the blocking commands (served
//! in blocking order, woken by pushes and moves, timeouts, wrong types while waiting).
//!
//! Most tests run against ferrokv and then, when it is installed, against a real
//! redis-server with the same expectations, so the expectations are Redis's.

mod common;

use std::io::ErrorKind;
use std::time::Duration;

use common::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";

fn bulks(items: &[&str]) -> Vec<u8> {
    array(&items.iter().map(bulk).collect::<Vec<_>>())
}

/// Run `test` with a way to open clients, on ferrokv and then on redis-server (if any).
fn on_both_servers(test: impl Fn(&dyn Fn() -> RespClient)) {
    let ferro = start_server();
    test(&|| ferro.client());
    if let Some(redis) = start_redis_if_installed() {
        test(&|| redis.client());
    }
}

/// Whether a reply arrives on `c` within `wait` (without consuming it).
fn reply_within(c: &mut RespClient, wait: Duration) -> bool {
    c.stream.set_read_timeout(Some(wait)).unwrap();
    let mut b = [0u8; 1];
    let got = match c.stream.peek(&mut b) {
        Ok(n) => n > 0,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(e) => panic!("peek: {e}"),
    };
    c.stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    got
}

/// Wait until the server reports `n` blocked clients (so blocking order is known).
fn wait_blocked(c: &mut RespClient, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    let ok = wait_until(Duration::from_secs(10), || {
        let info = c.val(&["INFO", "clients"]);
        String::from_utf8_lossy(info.bytes()).contains(&want)
    });
    assert!(ok, "[{}] never saw {want:?}", c.name);
}

#[test]
fn pushes_and_lengths() {
    on_both(|c| {
        c.expect(&["LPUSH", "l", "a"], int(1));
        c.expect(&["LPUSH", "l", "b", "c"], int(3));
        c.expect(&["RPUSH", "l", "d", "e"], int(5));
        c.expect(
            &["LRANGE", "l", "0", "-1"],
            bulks(&["c", "b", "a", "d", "e"]),
        );
        c.expect(&["LLEN", "l"], int(5));
        c.expect(&["LLEN", "nokey"], int(0));
        c.expect(&["LPUSHX", "l", "x", "y"], int(7));
        c.expect(&["RPUSHX", "l", "z"], int(8));
        c.expect(&["LPUSHX", "nokey", "x"], int(0));
        c.expect(&["RPUSHX", "nokey", "x"], int(0));
        c.expect(&["EXISTS", "nokey"], int(0));
        c.expect(&["LRANGE", "l", "0", "1"], bulks(&["y", "x"]));
        c.expect(&["TYPE", "l"], b"+list\r\n");
        c.expect(&["OBJECT", "ENCODING", "l"], bulk("quicklist"));
        c.expect_err(
            &["LPUSH", "l"],
            "ERR wrong number of arguments for 'lpush' command",
        );
        c.expect_err(
            &["RPUSHX", "l"],
            "ERR wrong number of arguments for 'rpushx' command",
        );
    });
}

#[test]
fn wrong_type_everywhere() {
    on_both(|c| {
        c.expect(&["SET", "s", "x"], OK);
        let wt = err(WRONGTYPE);
        for args in [
            &["LPUSH", "s", "a"][..],
            &["RPUSH", "s", "a"],
            &["LPUSHX", "s", "a"],
            &["RPUSHX", "s", "a"],
            &["LPOP", "s"],
            &["RPOP", "s", "2"],
            &["LPOP", "s", "0"],
            &["LRANGE", "s", "0", "-1"],
            &["LINDEX", "s", "0"],
            &["LINDEX", "s", "notanumber"],
            &["LSET", "s", "0", "x"],
            &["LSET", "s", "notanumber", "x"],
            &["LINSERT", "s", "BEFORE", "a", "b"],
            &["LLEN", "s"],
            &["LREM", "s", "0", "a"],
            &["LTRIM", "s", "0", "1"],
            &["LPOS", "s", "a"],
            &["LMOVE", "s", "d", "LEFT", "LEFT"],
            &["RPOPLPUSH", "s", "d"],
            &["LMPOP", "1", "s", "LEFT"],
            &["BLPOP", "s", "0"],
            &["BRPOP", "nokey", "s", "0"],
            &["BLMOVE", "s", "d", "LEFT", "LEFT", "0"],
            &["BRPOPLPUSH", "s", "d", "0"],
            &["BLMPOP", "0", "1", "s", "LEFT"],
        ] {
            c.expect(args, &wt);
        }
        // A destination of another type is checked before anything moves.
        c.expect(&["RPUSH", "l", "a"], int(1));
        c.expect(&["LMOVE", "l", "s", "LEFT", "LEFT"], &wt);
        c.expect(&["RPOPLPUSH", "l", "s"], &wt);
        c.expect(&["LLEN", "l"], int(1));
        // Argument errors that come before the type check.
        c.expect(&["LRANGE", "s", "a", "0"], err(NOT_INT));
        c.expect(&["LTRIM", "s", "0", "b"], err(NOT_INT));
        c.expect(&["LREM", "s", "x", "a"], err(NOT_INT));
        c.expect(
            &["LINSERT", "s", "MIDDLE", "a", "b"],
            err("ERR syntax error"),
        );
        c.expect(
            &["LPOP", "s", "-1"],
            err("ERR value is out of range, must be positive"),
        );
        c.expect(&["LMOVE", "s", "d", "UP", "LEFT"], err("ERR syntax error"));
        c.expect(
            &["BLPOP", "s", "x"],
            err("ERR timeout is not a float or out of range"),
        );
        c.expect(&["GET", "s"], bulk("x"));
    });
}

#[test]
fn pops_with_and_without_count() {
    on_both(|c| {
        c.expect(&["RPUSH", "l", "a", "b", "c", "d", "e"], int(5));
        c.expect(&["LPOP", "l"], bulk("a"));
        c.expect(&["RPOP", "l"], bulk("e"));
        c.expect(&["LPOP", "l", "0"], EMPTY_ARRAY);
        c.expect(&["LPOP", "l", "1"], bulks(&["b"]));
        c.expect(&["RPOP", "l", "5"], bulks(&["d", "c"]));
        c.expect(&["EXISTS", "l"], int(0));
        // Missing key: nil bulk without count, nil array with any count (even 0).
        c.expect(&["LPOP", "l"], NIL);
        c.expect(&["RPOP", "l", "0"], b"*-1\r\n");
        c.expect(&["LPOP", "l", "3"], b"*-1\r\n");
        let out_of_range = err("ERR value is out of range, must be positive");
        c.expect(&["LPOP", "l", "-1"], &out_of_range);
        c.expect(&["LPOP", "l", "x"], &out_of_range);
        c.expect(&["RPOP", "l", "1.0"], &out_of_range);
        c.expect(
            &["LPOP", "l", "1", "2"],
            err("ERR wrong number of arguments for 'lpop' command"),
        );
        c.expect(
            &["RPOP", "l", "1", "2"],
            err("ERR wrong number of arguments for 'rpop' command"),
        );
        c.expect(&["RPUSH", "l", "1", "2", "3"], int(3));
        c.expect(
            &["RPOP", "l", "9223372036854775807"],
            bulks(&["3", "2", "1"]),
        );
        // RESP3: nil is `_` for both shapes.
        c.cmd(&["HELLO", "3"]);
        c.expect(&["LPOP", "l"], NIL3);
        c.expect(&["LPOP", "l", "2"], NIL3);
        c.expect(&["RPUSH", "l", "x"], int(1));
        c.expect(&["LPOP", "l", "2"], bulks(&["x"]));
    });
}

#[test]
fn indexes_ranges_and_sets() {
    on_both(|c| {
        c.expect(&["RPUSH", "l", "0", "1", "2", "3", "4"], int(5));
        c.expect(&["LINDEX", "l", "0"], bulk("0"));
        c.expect(&["LINDEX", "l", "-1"], bulk("4"));
        c.expect(&["LINDEX", "l", "5"], NIL);
        c.expect(&["LINDEX", "l", "-6"], NIL);
        c.expect(&["LINDEX", "l", "x"], err(NOT_INT));
        // A missing key answers nil before the index is parsed.
        c.expect(&["LINDEX", "nokey", "x"], NIL);
        c.expect(&["LRANGE", "l", "1", "2"], bulks(&["1", "2"]));
        c.expect(&["LRANGE", "l", "-2", "100"], bulks(&["3", "4"]));
        c.expect(&["LRANGE", "l", "3", "1"], EMPTY_ARRAY);
        c.expect(&["LRANGE", "l", "5", "10"], EMPTY_ARRAY);
        c.expect(&["LRANGE", "nokey", "0", "-1"], EMPTY_ARRAY);
        c.expect(&["LRANGE", "nokey", "x", "0"], err(NOT_INT));
        c.expect(&["LSET", "l", "1", "one"], OK);
        c.expect(&["LSET", "l", "-1", "four"], OK);
        c.expect(&["LSET", "l", "5", "x"], err("ERR index out of range"));
        c.expect(&["LSET", "l", "x", "x"], err(NOT_INT));
        c.expect(&["LSET", "nokey", "0", "x"], err("ERR no such key"));
        c.expect(&["LSET", "nokey", "x", "x"], err("ERR no such key"));
        c.expect(
            &["LRANGE", "l", "0", "-1"],
            bulks(&["0", "one", "2", "3", "four"]),
        );
    });
}

#[test]
fn linsert_lrem_ltrim() {
    on_both(|c| {
        c.expect(&["RPUSH", "l", "a", "b", "a", "c"], int(4));
        c.expect(&["LINSERT", "l", "BEFORE", "a", "x"], int(5));
        c.expect(&["LINSERT", "l", "after", "c", "y"], int(6));
        c.expect(&["LINSERT", "l", "AFTER", "zz", "y"], int(-1));
        c.expect(&["LINSERT", "nokey", "AFTER", "a", "y"], int(0));
        c.expect(
            &["LINSERT", "l", "UNDER", "a", "y"],
            err("ERR syntax error"),
        );
        c.expect(
            &["LRANGE", "l", "0", "-1"],
            bulks(&["x", "a", "b", "a", "c", "y"]),
        );
        c.expect(&["LREM", "l", "-1", "a"], int(1));
        c.expect(
            &["LRANGE", "l", "0", "-1"],
            bulks(&["x", "a", "b", "c", "y"]),
        );
        c.expect(&["RPUSH", "l", "a", "a"], int(7));
        c.expect(&["LREM", "l", "2", "a"], int(2));
        c.expect(
            &["LRANGE", "l", "0", "-1"],
            bulks(&["x", "b", "c", "y", "a"]),
        );
        c.expect(&["LREM", "l", "0", "nothere"], int(0));
        c.expect(&["LREM", "nokey", "0", "a"], int(0));
        c.expect(&["LTRIM", "l", "1", "-2"], OK);
        c.expect(&["LRANGE", "l", "0", "-1"], bulks(&["b", "c", "y"]));
        c.expect(&["LTRIM", "nokey", "0", "1"], OK);
        c.expect(&["LTRIM", "l", "2", "1"], OK);
        c.expect(&["EXISTS", "l"], int(0));
        c.expect(&["RPUSH", "l", "a", "a"], int(2));
        c.expect(&["LREM", "l", "0", "a"], int(2));
        c.expect(&["EXISTS", "l"], int(0));
    });
}

#[test]
fn lpos_options_and_errors() {
    on_both(|c| {
        c.expect(
            &["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"],
            int(8),
        );
        c.expect(&["LPOS", "l", "c"], int(2));
        c.expect(&["LPOS", "l", "c", "RANK", "2"], int(6));
        c.expect(&["LPOS", "l", "c", "RANK", "-1"], int(7));
        c.expect(&["LPOS", "l", "c", "RANK", "-3"], int(2));
        c.expect(&["LPOS", "l", "c", "RANK", "4"], NIL);
        c.expect(
            &["LPOS", "l", "c", "COUNT", "0"],
            array(&[int(2), int(6), int(7)]),
        );
        c.expect(
            &["LPOS", "l", "c", "COUNT", "2", "RANK", "-1"],
            array(&[int(7), int(6)]),
        );
        c.expect(
            &["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7"],
            array(&[int(2), int(6)]),
        );
        c.expect(&["LPOS", "l", "c", "MAXLEN", "2"], NIL);
        c.expect(&["LPOS", "l", "x", "COUNT", "5"], EMPTY_ARRAY);
        c.expect(&["LPOS", "nokey", "x"], NIL);
        c.expect(&["LPOS", "nokey", "x", "COUNT", "1"], EMPTY_ARRAY);
        c.expect(&["LPOS", "l", "1"], int(3));
        c.expect(
            &["LPOS", "l", "c", "RANK", "0"],
            err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"),
        );
        // LLONG_MIN stays negative when C negates it: the first match from the tail.
        c.expect(&["LPOS", "l", "c", "RANK", "-9223372036854775808"], int(7));
        c.expect(
            &["LPOS", "l", "c", "COUNT", "-1"],
            err("ERR COUNT can't be negative"),
        );
        c.expect(
            &["LPOS", "l", "c", "COUNT", "x"],
            err("ERR COUNT can't be negative"),
        );
        c.expect(
            &["LPOS", "l", "c", "MAXLEN", "-1"],
            err("ERR MAXLEN can't be negative"),
        );
        c.expect(&["LPOS", "l", "c", "RANK", "x"], err(NOT_INT));
        c.expect(&["LPOS", "l", "c", "COUNT"], err("ERR syntax error"));
        c.expect(&["LPOS", "l", "c", "FOO", "1"], err("ERR syntax error"));
        // Options are checked before the key.
        c.expect(&["SET", "s", "x"], OK);
        c.expect(&["LPOS", "s", "c", "RANK", "0"], err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"));
    });
}

#[test]
fn moves_and_rotation() {
    on_both(|c| {
        c.expect(&["RPUSH", "src", "a", "b", "c"], int(3));
        c.expect(&["LMOVE", "src", "dst", "LEFT", "RIGHT"], bulk("a"));
        c.expect(&["LMOVE", "src", "dst", "RIGHT", "LEFT"], bulk("c"));
        c.expect(&["LRANGE", "dst", "0", "-1"], bulks(&["c", "a"]));
        c.expect(&["RPOPLPUSH", "src", "dst"], bulk("b"));
        c.expect(&["EXISTS", "src"], int(0));
        c.expect(&["LMOVE", "src", "dst", "LEFT", "RIGHT"], NIL);
        c.expect(&["RPOPLPUSH", "src", "dst"], NIL);
        // Same key: rotation, also with one element.
        c.expect(&["LRANGE", "dst", "0", "-1"], bulks(&["b", "c", "a"]));
        c.expect(&["RPOPLPUSH", "dst", "dst"], bulk("a"));
        c.expect(&["LMOVE", "dst", "dst", "LEFT", "RIGHT"], bulk("a"));
        c.expect(&["LRANGE", "dst", "0", "-1"], bulks(&["b", "c", "a"]));
        c.expect(&["RPUSH", "one", "x"], int(1));
        c.expect(&["LMOVE", "one", "one", "LEFT", "LEFT"], bulk("x"));
        c.expect(&["LRANGE", "one", "0", "-1"], bulks(&["x"]));
        c.expect(
            &["LMOVE", "one", "dst", "LEFT", "SIDEWAYS"],
            err("ERR syntax error"),
        );
        c.expect(
            &["LMOVE", "nokey", "dst", "SIDEWAYS", "LEFT"],
            err("ERR syntax error"),
        );
    });
}

#[test]
fn lmpop_shapes_and_errors() {
    on_both(|c| {
        c.expect(&["RPUSH", "b", "1", "2", "3"], int(3));
        c.expect(
            &["LMPOP", "2", "a", "b", "LEFT"],
            array(&[bulk("b"), bulks(&["1"])]),
        );
        c.expect(
            &["LMPOP", "2", "a", "b", "RIGHT", "COUNT", "10"],
            array(&[bulk("b"), bulks(&["3", "2"])]),
        );
        c.expect(&["EXISTS", "b"], int(0));
        c.expect(&["LMPOP", "2", "a", "b", "LEFT"], b"*-1\r\n");
        let numkeys = err("ERR numkeys should be greater than 0");
        c.expect(&["LMPOP", "0", "a", "LEFT"], &numkeys);
        c.expect(&["LMPOP", "x", "a", "LEFT"], &numkeys);
        let count = err("ERR count should be greater than 0");
        c.expect(&["LMPOP", "1", "a", "LEFT", "COUNT", "0"], &count);
        c.expect(&["LMPOP", "1", "a", "LEFT", "COUNT", "x"], &count);
        c.expect(
            &["LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"],
            err("ERR syntax error"),
        );
        c.expect(&["LMPOP", "3", "a", "LEFT"], err("ERR syntax error"));
        c.expect(
            &["LMPOP", "9223372036854775807", "a", "LEFT"],
            err("ERR syntax error"),
        );
        c.expect(&["LMPOP", "1", "a", "UP"], err("ERR syntax error"));
        c.cmd(&["HELLO", "3"]);
        c.expect(&["LMPOP", "1", "a", "LEFT"], NIL3);
        c.expect(&["RPUSH", "a", "x"], int(1));
        // RESP3 keeps the array shape (not a map) in 7.0.
        c.expect(
            &["LMPOP", "1", "a", "LEFT"],
            array(&[bulk("a"), bulks(&["x"])]),
        );
    });
}

#[test]
fn binary_empty_integer_and_huge_elements() {
    on_both(|c| {
        c.expect_b(
            &[b"RPUSH", b"l", b"", b"\x00\r\n\xff", b"-0", b"007", b"12"],
            int(5),
        );
        c.expect_b(&[b"LINDEX", b"l", b"0"], bulk(""));
        c.expect_b(&[b"LINDEX", b"l", b"1"], bulk(b"\x00\r\n\xff"));
        c.expect_b(&[b"LPOS", b"l", b"\x00\r\n\xff"], int(1));
        c.expect(&["LPOS", "l", "7"], NIL);
        c.expect(&["LPOS", "l", "12"], int(4));
        c.expect(&["LREM", "l", "0", "-0"], int(1));
        c.expect(
            &["LRANGE", "l", "1", "-1"],
            array(&[bulk(b"\x00\r\n\xff"), bulk("007"), bulk("12")]),
        );
        c.expect(
            &[
                "RPUSH",
                "n",
                "9223372036854775807",
                "-9223372036854775808",
                "9223372036854775808",
            ],
            int(3),
        );
        c.expect(
            &["LRANGE", "n", "0", "-1"],
            bulks(&[
                "9223372036854775807",
                "-9223372036854775808",
                "9223372036854775808",
            ]),
        );
        // Elements larger than a node's byte limit get a node of their own.
        let big = vec![b'x'; 3 << 20];
        c.expect_b(&[b"RPUSH", b"big", &big, b"small", &big], int(3));
        c.expect_b(&[b"LINDEX", b"big", b"2"], bulk(&big));
        c.expect_b(&[b"LINSERT", b"big", b"BEFORE", b"small", &big], int(4));
        c.expect(&["LINDEX", "big", "2"], bulk("small"));
        c.expect_b(&[b"LREM", b"big", b"0", &big], int(3));
        c.expect(&["LRANGE", "big", "0", "-1"], bulks(&["small"]));
    });
}

/// Every node size setting and compression depth gives the same replies; big lists work
/// through index, insert and trim at node boundaries.
#[test]
fn node_sizes_and_compression_settings() {
    for (size, depth) in [
        ("-2", "0"),
        ("-5", "1"),
        ("1", "0"),
        ("7", "2"),
        ("-1", "4"),
        ("0", "1"),
    ] {
        let server = start_server_with(&[
            ("list-max-listpack-size", size),
            ("list-compress-depth", depth),
        ]);
        let mut c = server.client();
        let n = 3000;
        let mut push: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"l".to_vec()];
        for i in 0..n {
            push.push(format!("element {i} with some repeated text to compress").into_bytes());
        }
        let refs: Vec<&[u8]> = push.iter().map(|v| v.as_slice()).collect();
        c.expect_b(&refs, int(n));
        c.expect(&["OBJECT", "ENCODING", "l"], bulk("quicklist"));
        c.expect(
            &["LINDEX", "l", "1500"],
            bulk("element 1500 with some repeated text to compress"),
        );
        c.expect(&["LSET", "l", "1501", "changed"], OK);
        c.expect(
            &["LINSERT", "l", "AFTER", "changed", "inserted"],
            int(n + 1),
        );
        c.expect(
            &["LRANGE", "l", "1500", "1503"],
            bulks(&[
                "element 1500 with some repeated text to compress",
                "changed",
                "inserted",
                "element 1502 with some repeated text to compress",
            ]),
        );
        c.expect(&["LPOS", "l", "inserted"], int(1502));
        c.expect(&["LREM", "l", "1", "changed"], int(1));
        c.expect(&["LTRIM", "l", "1000", "-1000"], OK);
        c.expect(&["LLEN", "l"], int(1001));
        c.expect(
            &["LINDEX", "l", "0"],
            bulk("element 1000 with some repeated text to compress"),
        );
        c.expect(
            &["RPOP", "l", "2"],
            bulks(&[
                "element 2000 with some repeated text to compress",
                "element 1999 with some repeated text to compress",
            ]),
        );
        let all = c.val(&["LRANGE", "l", "0", "-1"]);
        assert_eq!(all.array().len(), 999, "size {size} depth {depth}");
        // A list keeps the settings it was created with; new ones take the new values.
        c.expect(&["CONFIG", "SET", "list-max-listpack-size", "2"], OK);
        c.expect(&["RPUSH", "l2", "a", "b", "c"], int(3));
        c.expect(&["LRANGE", "l2", "0", "-1"], bulks(&["a", "b", "c"]));
    }
}

#[test]
fn config_names_and_aliases() {
    on_both(|c| {
        c.expect(&["CONFIG", "SET", "list-max-ziplist-size", "5"], OK);
        c.expect(
            &["CONFIG", "GET", "list-max-listpack-size"],
            bulks(&["list-max-listpack-size", "5"]),
        );
        c.expect(&["CONFIG", "SET", "list-compress-depth", "3"], OK);
        c.expect(
            &["CONFIG", "GET", "list-compress-depth"],
            bulks(&["list-compress-depth", "3"]),
        );
        c.expect(&["RPUSH", "l", "a"], int(1));
        c.expect(&["OBJECT", "ENCODING", "l"], bulk("quicklist"));
    });
}

// ---------------------------------------------------------------------------------------
// Blocking commands
// ---------------------------------------------------------------------------------------

#[test]
fn blocking_pops_serve_immediately_when_data_exists() {
    on_both(|c| {
        c.expect(&["RPUSH", "b", "1", "2"], int(2));
        c.expect(&["BLPOP", "a", "b", "0"], bulks(&["b", "1"]));
        c.expect(&["BRPOP", "a", "b", "0"], bulks(&["b", "2"]));
        c.expect(&["EXISTS", "b"], int(0));
        c.expect(&["RPUSH", "b", "1", "2", "3"], int(3));
        c.expect(
            &["BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2"],
            array(&[bulk("b"), bulks(&["3", "2"])]),
        );
        c.expect(&["BLMOVE", "b", "c", "LEFT", "RIGHT", "0"], bulk("1"));
        c.expect(&["BRPOPLPUSH", "c", "c", "0"], bulk("1"));
        c.expect(
            &["BLPOP", "a", "x"],
            err("ERR timeout is not a float or out of range"),
        );
        c.expect(&["BLPOP", "a", "-1"], err("ERR timeout is negative"));
        c.expect(
            &["BLMPOP", "0", "0", "a", "LEFT"],
            err("ERR numkeys should be greater than 0"),
        );
        c.expect(
            &["BLMPOP", "x", "0", "a", "LEFT"],
            err("ERR numkeys should be greater than 0"),
        );
        c.expect(
            &["BLMPOP", "x", "1", "a", "LEFT"],
            err("ERR timeout is not a float or out of range"),
        );
        c.expect(
            &["BLMOVE", "a", "c", "UP", "LEFT", "x"],
            err("ERR syntax error"),
        );
    });
}

#[test]
fn timeouts_reply_null_arrays() {
    on_both_servers(|client| {
        let mut c = client();
        // Fractional timeouts; a null array in RESP2 for every blocking command, BLMOVE
        // and BRPOPLPUSH included.
        c.expect(&["BLPOP", "a", "0.05"], b"*-1\r\n");
        c.expect(&["BRPOP", "a", "b", "0.01"], b"*-1\r\n");
        c.expect(&["BLMOVE", "a", "b", "LEFT", "LEFT", "0.02"], b"*-1\r\n");
        c.expect(&["BRPOPLPUSH", "a", "b", "0.02"], b"*-1\r\n");
        c.expect(&["BLMPOP", "0.02", "1", "a", "LEFT"], b"*-1\r\n");
        c.cmd(&["HELLO", "3"]);
        c.expect(&["BLPOP", "a", "0.02"], NIL3);
        c.expect(&["BLMOVE", "a", "b", "LEFT", "LEFT", "0.02"], NIL3);
        c.expect(&["BLMPOP", "0.02", "1", "a", "LEFT"], NIL3);
        // A timeout does not break the connection: later requests are answered.
        c.expect(&["PING"], b"+PONG\r\n");
    });
}

#[test]
fn woken_by_a_push_from_another_client() {
    on_both_servers(|client| {
        let mut waiter = client();
        let mut pusher = client();
        waiter.send(&[b"BLPOP", b"k1", b"k2", b"0"]);
        wait_blocked(&mut pusher, 1);
        // Timeout 0 waits as long as needed.
        assert!(!reply_within(&mut waiter, Duration::from_millis(200)));
        pusher.expect(&["RPUSH", "k2", "a", "b"], int(2));
        assert_eq!(waiter.read_reply(), bulks(&["k2", "a"]));
        pusher.expect(&["LRANGE", "k2", "0", "-1"], bulks(&["b"]));
        // The waiter's connection goes on normally.
        waiter.expect(&["PING"], b"+PONG\r\n");
        wait_blocked(&mut pusher, 0);
    });
}

#[test]
fn served_in_blocking_order() {
    on_both_servers(|client| {
        let mut admin = client();
        let mut w: Vec<RespClient> = (0..3).map(|_| client()).collect();
        for (i, c) in w.iter_mut().enumerate() {
            c.send(&[b"BRPOP", b"q", b"0"]);
            wait_blocked(&mut admin, i + 1);
        }
        // One push of three elements serves all three, first blocked first.
        admin.expect(&["LPUSH", "q", "x", "y", "z"], int(3));
        assert_eq!(w[0].read_reply(), bulks(&["q", "x"]));
        assert_eq!(w[1].read_reply(), bulks(&["q", "y"]));
        assert_eq!(w[2].read_reply(), bulks(&["q", "z"]));
        admin.expect(&["EXISTS", "q"], int(0));
        // One element at a time: the first waiter gets it, the others keep waiting.
        for c in w.iter_mut() {
            c.send(&[b"BLPOP", b"q", b"0"]);
        }
        wait_blocked(&mut admin, 3);
        admin.expect(&["RPUSH", "q", "1"], int(1));
        let mut got: Vec<Vec<u8>> = Vec::new();
        assert!(wait_until(Duration::from_secs(10), || {
            for c in w.iter_mut() {
                if reply_within(c, Duration::from_millis(1)) {
                    got.push(c.read_reply());
                }
            }
            !got.is_empty()
        }));
        assert_eq!(got, vec![bulks(&["q", "1"])]);
        wait_blocked(&mut admin, 2);
        admin.expect(&["RPUSH", "q", "2", "3"], int(2));
        assert_eq!(w[1].read_reply(), bulks(&["q", "2"]));
        assert_eq!(w[2].read_reply(), bulks(&["q", "3"]));
    });
}

#[test]
fn woken_by_lmove_and_chained_blmoves() {
    on_both_servers(|client| {
        let mut admin = client();
        let mut a = client();
        let mut b = client();
        // a waits on "mid" to move into "end"; b waits on "end".
        a.send(&[b"BLMOVE", b"mid", b"end", b"RIGHT", b"LEFT", b"0"]);
        wait_blocked(&mut admin, 1);
        b.send(&[b"BLPOP", b"end", b"0"]);
        wait_blocked(&mut admin, 2);
        admin.expect(&["RPUSH", "src", "v1"], int(1));
        // LMOVE into the waited key wakes a, whose push into "end" wakes b.
        admin.expect(&["LMOVE", "src", "mid", "LEFT", "LEFT"], bulk("v1"));
        assert_eq!(a.read_reply(), bulk("v1"));
        assert_eq!(b.read_reply(), bulks(&["end", "v1"]));
        admin.expect(&["EXISTS", "src", "mid", "end"], int(0));
        // BRPOPLPUSH served by RPOPLPUSH from another client.
        a.send(&[b"BRPOPLPUSH", b"mid", b"out", b"0"]);
        wait_blocked(&mut admin, 1);
        admin.expect(&["RPUSH", "src", "v2"], int(1));
        admin.expect(&["RPOPLPUSH", "src", "mid"], bulk("v2"));
        assert_eq!(a.read_reply(), bulk("v2"));
        admin.expect(&["LRANGE", "out", "0", "-1"], bulks(&["v2"]));
        admin.expect(&["EXISTS", "mid"], int(0));
    });
}

#[test]
fn blmpop_served_with_count() {
    on_both_servers(|client| {
        let mut admin = client();
        let mut w = client();
        w.send(&[b"BLMPOP", b"0", b"2", b"m1", b"m2", b"LEFT", b"COUNT", b"2"]);
        wait_blocked(&mut admin, 1);
        admin.expect(&["RPUSH", "m2", "a", "b", "c"], int(3));
        assert_eq!(w.read_reply(), array(&[bulk("m2"), bulks(&["a", "b"])]));
        admin.expect(&["LRANGE", "m2", "0", "-1"], bulks(&["c"]));
        // RESP3 client: same array shapes.
        w.cmd(&["HELLO", "3"]);
        w.send(&[b"BLMPOP", b"0", b"1", b"m3", b"RIGHT"]);
        wait_blocked(&mut admin, 1);
        admin.expect(&["RPUSH", "m3", "x", "y"], int(2));
        assert_eq!(w.read_reply(), array(&[bulk("m3"), bulks(&["y"])]));
    });
}

#[test]
fn wrong_type_while_waiting_keeps_waiting() {
    on_both_servers(|client| {
        let mut admin = client();
        let mut w = client();
        w.send(&[b"BLPOP", b"k", b"0"]);
        wait_blocked(&mut admin, 1);
        admin.expect(&["SET", "k", "string"], OK);
        assert!(!reply_within(&mut w, Duration::from_millis(200)));
        wait_blocked(&mut admin, 1);
        admin.expect(&["DEL", "k"], int(1));
        admin.expect(&["RPUSH", "k", "v"], int(1));
        assert_eq!(w.read_reply(), bulks(&["k", "v"]));
    });
}

#[test]
fn timeout_while_waiting_then_push_goes_to_the_list() {
    on_both_servers(|client| {
        let mut admin = client();
        let mut w = client();
        w.send(&[b"BRPOP", b"k", b"0.2"]);
        assert_eq!(w.read_reply(), b"*-1\r\n");
        wait_blocked(&mut admin, 0);
        admin.expect(&["RPUSH", "k", "v"], int(1));
        admin.expect(&["LLEN", "k"], int(1));
    });
}

#[test]
fn a_waiter_that_disconnects_does_not_take_data() {
    on_both_servers(|client| {
        let mut admin = client();
        let gone = {
            let mut g = client();
            g.send(&[b"BLPOP", b"k", b"0"]);
            g
        };
        wait_blocked(&mut admin, 1);
        let mut w = client();
        w.send(&[b"BLPOP", b"k", b"0"]);
        wait_blocked(&mut admin, 2);
        drop(gone);
        wait_blocked(&mut admin, 1);
        admin.expect(&["RPUSH", "k", "v"], int(1));
        assert_eq!(w.read_reply(), bulks(&["k", "v"]));
    });
}

#[test]
fn blmove_into_a_wrong_type_destination_fails_when_served() {
    on_both_servers(|client| {
        let mut admin = client();
        let mut w = client();
        admin.expect(&["SET", "dst", "x"], OK);
        w.send(&[b"BLMOVE", b"src", b"dst", b"LEFT", b"LEFT", b"0"]);
        wait_blocked(&mut admin, 1);
        admin.expect(&["RPUSH", "src", "v"], int(1));
        assert_eq!(w.read_reply(), err(WRONGTYPE));
        admin.expect(&["LRANGE", "src", "0", "-1"], bulks(&["v"]));
    });
}

#[test]
fn wrong_type_on_one_waited_key_does_not_stop_another() {
    on_both_servers(|client| {
        let mut admin = client();
        let mut w = client();
        w.send(&[b"BLPOP", b"k1", b"k2", b"0"]);
        wait_blocked(&mut admin, 1);
        admin.expect(&["SET", "k1", "string"], OK);
        admin.expect(&["RPUSH", "k2", "v"], int(1));
        assert_eq!(w.read_reply(), bulks(&["k2", "v"]));
        // BLMOVE whose source appears with another type keeps waiting too.
        w.send(&[b"BLMOVE", b"s", b"d", b"LEFT", b"LEFT", b"0"]);
        wait_blocked(&mut admin, 1);
        admin.expect(&["SET", "s", "v"], OK);
        assert!(!reply_within(&mut w, Duration::from_millis(200)));
        admin.expect(&["DEL", "s"], int(1));
        admin.expect(&["RPUSH", "s", "x"], int(1));
        assert_eq!(w.read_reply(), bulk("x"));
    });
}
