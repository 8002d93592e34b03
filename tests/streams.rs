//! Stream commands over TCP: blocking reads and their wake-ups, types and encodings, large
//! and binary data. Each test runs against ferrokv, then against a real Redis 7.0 when one
//! is installed, with the same expected bytes. (Every command, option and error is also
//! compared with Redis in tests/diff_streams.rs.)

mod common;

use std::time::Duration;

use common::{RespClient, on_both, wait_until};

fn second(c: &RespClient) -> RespClient {
    RespClient::connect(c.port)
}

/// Wait until `n` clients are blocked (INFO `blocked_clients`).
fn wait_blocked(c: &mut RespClient, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    let ok = wait_until(Duration::from_secs(10), || {
        let info = c.cmd(&["INFO", "clients"]);
        String::from_utf8_lossy(&info).contains(&want)
    });
    assert!(ok, "[{}] never saw {n} blocked clients", c.name);
}

fn entry(id: &str, fields: &[&str]) -> String {
    let mut s = format!("*2\r\n${}\r\n{id}\r\n*{}\r\n", id.len(), fields.len());
    for f in fields {
        s.push_str(&format!("${}\r\n{f}\r\n", f.len()));
    }
    s
}

#[test]
fn xread_block_dollar_is_woken_by_xadd_with_only_new_entries() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["XADD", "s", "1-1", "a", "1"], "$3\r\n1-1\r\n");
        let mut r = second(c);
        r.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"]);
        wait_blocked(c, 1);
        c.expect(&["XADD", "s", "2-1", "b", "2"], "$3\r\n2-1\r\n");
        let want = format!("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n{}", entry("2-1", &["b", "2"]));
        assert_eq!(String::from_utf8_lossy(&r.read_reply()), want);
        wait_blocked(c, 0);
    });
}

#[test]
fn xread_block_on_missing_key_and_on_an_id_ahead() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        let mut r = second(c);
        r.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"new", b"5-0"]);
        wait_blocked(c, 1);
        // Created, but nothing after 5-0 yet: still waiting.
        c.expect(&["XADD", "new", "3-0", "a", "1"], "$3\r\n3-0\r\n");
        c.expect(&["XADD", "new", "5-0", "a", "1"], "$3\r\n5-0\r\n");
        wait_blocked(c, 1);
        c.expect(&["XADD", "new", "6-0", "a", "2"], "$3\r\n6-0\r\n");
        let want = format!(
            "*1\r\n*2\r\n$3\r\nnew\r\n*1\r\n{}",
            entry("6-0", &["a", "2"])
        );
        assert_eq!(String::from_utf8_lossy(&r.read_reply()), want);
    });
}

#[test]
fn xread_block_on_several_keys_serves_the_ready_one() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["XADD", "a", "1-1", "x", "1"], "$3\r\n1-1\r\n");
        let mut r = second(c);
        r.cmd(&["HELLO", "3"]);
        r.send(&[
            b"XREAD", b"COUNT", b"5", b"BLOCK", b"0", b"STREAMS", b"a", b"b", b"$", b"$",
        ]);
        wait_blocked(c, 1);
        c.expect(&["XADD", "b", "7-7", "y", "2"], "$3\r\n7-7\r\n");
        let want = format!("%1\r\n$1\r\nb\r\n*1\r\n{}", entry("7-7", &["y", "2"]));
        assert_eq!(String::from_utf8_lossy(&r.read_reply()), want);
    });
}

#[test]
fn xread_block_times_out_with_null() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["XREAD", "BLOCK", "50", "STREAMS", "s", "$"], "*-1\r\n");
        c.cmd(&["HELLO", "3"]);
        c.expect(&["XREAD", "BLOCK", "50", "STREAMS", "s", "0"], "_\r\n");
        c.cmd(&["HELLO", "2"]);
        c.expect(
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "BLOCK",
                "50",
                "STREAMS",
                "s",
                ">",
            ],
            "-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n",
        );
        c.expect(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], "+OK\r\n");
        c.expect(
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "BLOCK",
                "50",
                "STREAMS",
                "s",
                ">",
            ],
            "*-1\r\n",
        );
        // A timed-out XREADGROUP did not create its consumer (Redis 7.0).
        c.expect(&["XINFO", "CONSUMERS", "s", "g"], "*0\r\n");
        // History reads never block.
        c.expect(
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "BLOCK",
                "0",
                "STREAMS",
                "s",
                "0",
            ],
            "*1\r\n*2\r\n$1\r\ns\r\n*0\r\n",
        );
    });
}

#[test]
fn xread_block_inside_multi_acts_as_timeout() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], "+QUEUED\r\n");
        c.expect(&["XADD", "s", "1-1", "a", "1"], "+QUEUED\r\n");
        c.expect(&["XREAD", "BLOCK", "0", "STREAMS", "s", "0"], "+QUEUED\r\n");
        let want = format!(
            "*3\r\n*-1\r\n$3\r\n1-1\r\n*1\r\n*2\r\n$1\r\ns\r\n*1\r\n{}",
            entry("1-1", &["a", "1"])
        );
        c.expect(&["EXEC"], want);
    });
}

#[test]
fn xreadgroup_block_is_served_and_records_pending() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], "+OK\r\n");
        let mut r = second(c);
        r.send(&[
            b"XREADGROUP",
            b"GROUP",
            b"g",
            b"alice",
            b"BLOCK",
            b"0",
            b"STREAMS",
            b"s",
            b">",
        ]);
        let mut r2 = second(c);
        r2.send(&[
            b"XREADGROUP",
            b"GROUP",
            b"g",
            b"bob",
            b"NOACK",
            b"BLOCK",
            b"0",
            b"STREAMS",
            b"s",
            b">",
        ]);
        wait_blocked(c, 2);
        c.expect(&["XADD", "s", "1-1", "f", "v"], "$3\r\n1-1\r\n");
        let want = format!("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n{}", entry("1-1", &["f", "v"]));
        assert_eq!(String::from_utf8_lossy(&r.read_reply()), want);
        // bob waited for entries after the group's last ID, which alice just moved.
        wait_blocked(c, 1);
        c.expect(&["XADD", "s", "2-1", "f", "w"], "$3\r\n2-1\r\n");
        let want = format!("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n{}", entry("2-1", &["f", "w"]));
        assert_eq!(String::from_utf8_lossy(&r2.read_reply()), want);
        let pending = c.val(&["XPENDING", "s", "g"]);
        assert_eq!(pending.array()[0], common::Resp::Int(1));
        c.expect(
            &["XINFO", "GROUPS", "s"],
            "*1\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:2\r\n$7\r\npending\r\n:1\r\n$17\r\nlast-delivered-id\r\n$3\r\n2-1\r\n$12\r\nentries-read\r\n:2\r\n$3\r\nlag\r\n:0\r\n",
        );
    });
}

#[test]
fn xreadgroup_block_released_by_destroy_and_delete() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], "+OK\r\n");
        let mut r = second(c);
        r.send(&[
            b"XREADGROUP",
            b"GROUP",
            b"g",
            b"c",
            b"BLOCK",
            b"0",
            b"STREAMS",
            b"s",
            b">",
        ]);
        wait_blocked(c, 1);
        c.expect(&["XGROUP", "DESTROY", "s", "g"], ":1\r\n");
        assert_eq!(
            r.read_reply(),
            b"-NOGROUP the consumer group this client was blocked on no longer exists\r\n"
        );
        c.expect(&["XGROUP", "CREATE", "s", "g", "$"], "+OK\r\n");
        r.send(&[
            b"XREADGROUP",
            b"GROUP",
            b"g",
            b"c",
            b"BLOCK",
            b"0",
            b"STREAMS",
            b"s",
            b">",
        ]);
        wait_blocked(c, 1);
        c.expect(&["DEL", "s"], ":1\r\n");
        assert_eq!(
            r.read_reply(),
            b"-UNBLOCKED the stream key no longer exists\r\n"
        );
        // A plain XREAD keeps waiting when its key goes away.
        r.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"]);
        wait_blocked(c, 1);
        c.expect(&["XADD", "s", "1-1", "a", "1"], "$3\r\n1-1\r\n");
        c.expect(&["DEL", "s"], ":1\r\n");
        let want = format!("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n{}", entry("1-1", &["a", "1"]));
        assert_eq!(String::from_utf8_lossy(&r.read_reply()), want);
    });
}

#[test]
fn types_encodings_and_wrong_type() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["XADD", "s", "1-1", "a", "1"], "$3\r\n1-1\r\n");
        c.expect(&["TYPE", "s"], "+stream\r\n");
        c.expect(&["OBJECT", "ENCODING", "s"], "$6\r\nstream\r\n");
        let wrong = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
        c.expect(&["GET", "s"], wrong);
        c.expect(&["SET", "str", "x"], "+OK\r\n");
        for cmd in [
            &["XADD", "str", "1-1", "a", "1"][..],
            &["XLEN", "str"],
            &["XRANGE", "str", "-", "+"],
            &["XREVRANGE", "str", "+", "-"],
            &["XDEL", "str", "1-1"],
            &["XTRIM", "str", "MAXLEN", "0"],
            &["XREAD", "STREAMS", "str", "0"],
            &["XGROUP", "CREATE", "str", "g", "0"],
            &["XACK", "str", "g", "1-1"],
            &["XPENDING", "str", "g"],
            &["XCLAIM", "str", "g", "c", "0", "1-1"],
            &["XAUTOCLAIM", "str", "g", "c", "0", "0"],
            &["XINFO", "STREAM", "str"],
            &["XSETID", "str", "1-1"],
        ] {
            c.expect(cmd, wrong);
        }
        // An emptied stream stays (unlike other collections).
        c.expect(&["XDEL", "s", "1-1"], ":1\r\n");
        c.expect(&["EXISTS", "s"], ":1\r\n");
        c.expect(&["XLEN", "s"], ":0\r\n");
    });
}

#[test]
fn binary_and_large_values_round_trip() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        let big = vec![b'x'; 100_000];
        let bin: &[u8] = b"\x00\xff\r\n\x01";
        c.expect_b(
            &[b"XADD", b"s", b"1-1", bin, &big, b"n", b"-42"],
            "$3\r\n1-1\r\n",
        );
        let mut want = b"*1\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$5\r\n\x00\xff\r\n\x01\r\n".to_vec();
        want.extend_from_slice(b"$100000\r\n");
        want.extend_from_slice(&big);
        want.extend_from_slice(b"\r\n$1\r\nn\r\n$3\r\n-42\r\n");
        c.expect_b(&[b"XRANGE", b"s", b"-", b"+"], want);
    });
}

#[test]
fn many_entries_across_nodes() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        for i in 1..=2500u32 {
            let id = format!("{i}-0");
            let v = format!("v{i}");
            let mut cmd = vec!["XADD", "s", &id, "a", "1", "b", &v];
            if i % 7 == 0 {
                cmd.extend(["c", "extra"]);
            }
            c.cmd(&cmd);
        }
        c.expect(&["XLEN", "s"], ":2500\r\n");
        let info = c.val(&["XINFO", "STREAM", "s"]);
        let items = info.array();
        assert_eq!(items[3], common::Resp::Int(25), "radix-tree-keys");
        let r = c.val(&["XRANGE", "s", "1200", "1202"]);
        assert_eq!(r.array().len(), 3);
        let r = c.val(&["XREVRANGE", "s", "+", "-", "COUNT", "3"]);
        assert_eq!(r.array()[0].array()[0].bytes(), b"2500-0");
        c.expect(&["XTRIM", "s", "MAXLEN", "~", "1000"], ":1500\r\n");
        c.expect(&["XTRIM", "s", "MAXLEN", "999"], ":1\r\n");
        c.expect(&["XTRIM", "s", "MINID", "2000"], ":498\r\n");
        c.expect(&["XLEN", "s"], ":501\r\n");
        let r = c.val(&["XRANGE", "s", "-", "+", "COUNT", "1"]);
        assert_eq!(r.array()[0].array()[0].bytes(), b"2000-0");
    });
}

#[test]
fn watch_is_touched_only_by_entry_changes() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["XADD", "s", "1-1", "f", "v"], "$3\r\n1-1\r\n");
        c.expect(&["XGROUP", "CREATE", "s", "g", "0"], "+OK\r\n");
        let mut other = second(c);
        // Group bookkeeping does not invalidate a WATCH (Redis signals only entry changes).
        for (op, aborted) in [
            (
                &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"][..],
                false,
            ),
            (&["XACK", "s", "g", "1-1"], false),
            (&["XGROUP", "CREATECONSUMER", "s", "g", "z"], false),
            (&["XGROUP", "SETID", "s", "g", "0"], false),
            (&["XCLAIM", "s", "g", "c", "0", "1-1", "FORCE"], false),
            (&["XSETID", "s", "5-5"], false),
            (&["XTRIM", "s", "MAXLEN", "5"], false),
            (&["XDEL", "s", "9-9"], false),
            (&["XADD", "s", "6-6", "a", "1"], true),
            (&["XDEL", "s", "6-6"], true),
        ] {
            c.expect(&["WATCH", "s"], "+OK\r\n");
            other.cmd(op);
            c.expect(&["MULTI"], "+OK\r\n");
            c.expect(&["PING"], "+QUEUED\r\n");
            let want: &[u8] = if aborted {
                b"*-1\r\n"
            } else {
                b"*1\r\n+PONG\r\n"
            };
            c.expect(&["EXEC"], want);
        }
    });
}
