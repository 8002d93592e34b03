//! Streams, differential against a real Redis 7.0: a curated script covering every command,
//! option and error, and seeded random workloads over a few keys, in RESP2 and RESP3.
//!
//! Replies are compared byte for byte, except fields that depend on the clock: idle times
//! (XPENDING's extended form, XINFO CONSUMERS) and unix-ms timestamps (XINFO STREAM FULL)
//! are compared in 10-second buckets, so a wrong value still shows. Auto-generated IDs are
//! checked in their own test, by shape and order.

mod common;

use common::{DiffPair, Resp, now_ms, parse, split_line};

/// Replace clock-dependent numbers so both servers' replies compare equal when each is
/// within a bucket of the other.
fn normalize(cmd: &[Vec<u8>], r: Resp) -> Resp {
    let name = String::from_utf8_lossy(&cmd[0]).to_ascii_lowercase();
    let sub = cmd
        .get(1)
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .unwrap_or_default();
    let now = now_ms();
    match (name.as_str(), sub.as_str()) {
        ("xpending", _) if cmd.len() >= 6 => match r {
            Resp::Array(items) => Resp::Array(
                items
                    .into_iter()
                    .map(|it| match it {
                        Resp::Array(mut f) if f.len() == 4 => {
                            if let Resp::Int(idle) = f[2] {
                                f[2] = Resp::Int(idle / 10_000);
                            }
                            Resp::Array(f)
                        }
                        other => other,
                    })
                    .collect(),
            ),
            other => other,
        },
        ("xinfo", "consumers") => bucket_after(r, "idle", &mut |v| v / 10_000),
        ("xinfo", "stream") => timestamps(r, now),
        _ => r,
    }
}

/// In maps (or RESP2 flat pairs) apply `f` to the integer following the key `key`.
fn bucket_after(r: Resp, key: &str, f: &mut dyn FnMut(i64) -> i64) -> Resp {
    match r {
        Resp::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut prev_key = false;
            for it in items {
                let it = match it {
                    Resp::Int(v) if prev_key => Resp::Int(f(v)),
                    other => bucket_after(other, key, f),
                };
                prev_key = matches!(&it, Resp::Bulk(b) if b == key.as_bytes());
                out.push(it);
            }
            Resp::Array(out)
        }
        Resp::Map(pairs) => Resp::Map(
            pairs
                .into_iter()
                .map(|(k, v)| {
                    let is_key = matches!(&k, Resp::Bulk(b) if b == key.as_bytes());
                    let v = match v {
                        Resp::Int(x) if is_key => Resp::Int(f(x)),
                        other => bucket_after(other, key, f),
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

/// Every integer within a few hours of `now` becomes its age in 10-second buckets.
fn timestamps(r: Resp, now: i64) -> Resp {
    match r {
        Resp::Int(v) if (now - v).abs() < 10_000_000 => Resp::Int(-((now - v) / 10_000) - 1),
        Resp::Array(items) => Resp::Array(items.into_iter().map(|i| timestamps(i, now)).collect()),
        Resp::Map(pairs) => Resp::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (timestamps(k, now), timestamps(v, now)))
                .collect(),
        ),
        other => other,
    }
}

/// Send `args` to both servers; compare normalised replies. Returns Redis's reply.
fn check(pair: &mut DiffPair, args: &[Vec<u8>], context: &str) -> Vec<u8> {
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    let f = pair.ferro.cmd_b(&refs);
    let r = pair.redis.cmd_b(&refs);
    if f != r {
        let (nf, nr) = (normalize(args, parse(&f)), normalize(args, parse(&r)));
        assert_eq!(
            nf,
            nr,
            "{context}: {:?}\n ferrokv {}\n   redis {}",
            args.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>(),
            String::from_utf8_lossy(&f),
            String::from_utf8_lossy(&r)
        );
    }
    r
}

/// Switch both connections to RESP3 (the replies differ in the client id).
fn hello3(pair: &mut DiffPair) {
    pair.ferro.cmd(&["HELLO", "3"]);
    pair.redis.cmd(&["HELLO", "3"]);
}

fn run_script(pair: &mut DiffPair, script: &str, tag: &str) {
    for (i, line) in script.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        check(pair, &split_line(line), &format!("{tag} line {i}: {line}"));
    }
}

const CURATED: &str = r#"
# XADD: IDs, options, errors
XADD s 1-1 a 1
XADD s 1-1 a 1
XADD s 1-0 a 1
XADD s 0-0 a 1
XADD s 0-1 a 1
XADD s 1-* b 2
XADD s 2 c 3 d 4
XADD s 2-* c 3
XADD s 05-1 a 1
XADD s +6-1 a 1
XADD s -01-1 a 1
XADD s abc a 1
XADD s 7-1 a
XADD s 7-1 a 1 b
XADD s MAXLEN
XADD s MAXLEN 5
XADD s MAXLEN -1 7-1 a 1
XADD s MAXLEN abc 7-1 a 1
XADD s MAXLEN 1 MINID 1 7-1 a 1
XADD s MINID 1 MAXLEN 1 7-1 a 1
XADD s LIMIT 5 7-1 a 1
XADD s LIMIT 0 7-1 a 1
XADD s MAXLEN 5 LIMIT 5 7-1 a 1
XADD s MAXLEN ~ 5 LIMIT -1 7-1 a 1
XADD s MAXLEN ~ 5 LIMIT x 7-1 a 1
XADD s MINID ~ bad 7-1 a 1
XADD s MINID - 7-1 a 1
XADD s NOMKSTREAM 7-1 a 1
XADD nokey NOMKSTREAM 1-1 a 1
EXISTS nokey
XADD nokey NOMKSTREAM MAXLEN 5 1-1 a
XADD s MAXLEN = 100 8-1 x 1
XADD s MAXLEN ~ 100 LIMIT 10 8-2 x 1
XADD s 18446744073709551615-18446744073709551614 a 1
XADD s 18446744073709551615-* a 1
XADD s 18446744073709551615-* a 1
XADD s * a 1
XLEN s
XRANGE s - +
XREVRANGE s + -
XINFO STREAM s
DEL s
XADD s "1-1\x00junk" a 1
XADD s 2-1 "" ""
XADD s 3-1 "\x00bin\xff" "\r\n"
XADD s 4-1 12345 -17 f 9223372036854775807 g -9223372036854775808 h 3.14
XRANGE s - +
SET str x
XADD str 1-1 a 1
XLEN str
XRANGE str - +
XLEN nokey
# XRANGE / XREVRANGE
DEL r
XADD r 1-1 a 1
XADD r 1-2 b 2
XADD r 2-0 c 3
XADD r 3-5 d 4 e 5
XADD r 5-0 a 1
XRANGE r - +
XRANGE r 1 1
XRANGE r 1-2 3
XRANGE r (1-1 +
XRANGE r - (3-5
XRANGE r (1 (3
XRANGE r (- +
XRANGE r - (+
XRANGE r ( +
XRANGE r (18446744073709551615-18446744073709551615 +
XRANGE r - (0-0
XRANGE r - (0
XRANGE r 3 2
XRANGE r - + COUNT 2
XRANGE r - + COUNT 0
XRANGE r - + COUNT -1
XRANGE r - + COUNT
XRANGE r - + COUNT x
XRANGE r - + FOO 1
XRANGE r - + COUNT 1 COUNT 3
XRANGE r x +
XRANGE nokey - +
XRANGE nokey - + COUNT 0
XRANGE nokey x +
XREVRANGE r + -
XREVRANGE r + - COUNT 2
XREVRANGE r (5 (1-1
XREVRANGE r 3 -
XREVRANGE r - +
XREVRANGE r + - COUNT 0
# XDEL / XTRIM
XDEL r 1-2 9-9 1-2
XDEL r bad
XDEL r 1-1 bad
XDEL nokey bad
XDEL str 1-1
XRANGE r - +
XINFO STREAM r
XTRIM r
XTRIM r FOO 1
XTRIM r MAXLEN
XTRIM r MAXLEN 1 junk
XTRIM r MAXLEN 10 LIMIT 1
XTRIM r MINID ~ 1 LIMIT 0
XTRIM nokey MAXLEN 0
XTRIM str MAXLEN 0
XTRIM r MAXLEN ~ 1
XTRIM r MINID 3
XRANGE r - +
XTRIM r MAXLEN 0
XLEN r
EXISTS r
XINFO STREAM r
XADD r 5-0 a 1
XADD r 6-0 a 1
XINFO STREAM r
# groups
DEL g
XGROUP CREATE g grp $
XGROUP CREATE g grp $ MKSTREAM
XGROUP CREATE g grp $ MKSTREAM
XGROUP CREATE g grp2 0 ENTRIESREAD 0
XGROUP CREATE g grp3 0 ENTRIESREAD -2
XGROUP CREATE g grp3 0 ENTRIESREAD x
XGROUP CREATE g grp3 0 ENTRIESREAD
XGROUP CREATE g grp3 0 FOO
XGROUP CREATE g grp3 bad
XGROUP CREATE g grp3 -
XGROUP CREATE g grp3 0 MKSTREAM ENTRIESREAD 5 MKSTREAM
XGROUP CREATE str grp 0
XGROUP CREATE str grp 0 MKSTREAM
XGROUP CREATE
XGROUP CREATE g
XGROUP FOO g grp
XGROUP HELP
XGROUP HELP extra
XGROUP SETID g nogrp 0
XGROUP SETID nokey grp 0
XGROUP SETID g grp 0 ENTRIESREAD
XGROUP SETID g grp 0 MKSTREAM
XGROUP SETID g grp -
XGROUP SETID g grp +
XGROUP SETID g grp $ ENTRIESREAD 3
XGROUP SETID g grp bad
XGROUP DESTROY g nogrp
XGROUP DESTROY nokey grp
XGROUP CREATECONSUMER g grp alice
XGROUP CREATECONSUMER g grp alice
XGROUP CREATECONSUMER g nogrp alice
XGROUP DELCONSUMER g grp bob
XGROUP DELCONSUMER g nogrp bob
XINFO GROUPS g
XGROUP DESTROY g grp3
XGROUP DESTROY g grp
XINFO GROUPS g
XADD g 1-1 f 1
XADD g 2-1 f 2
XADD g 3-1 f 3
XADD g 4-1 f 4
XGROUP CREATE g grp 0
XINFO GROUPS g
XREADGROUP GROUP grp alice COUNT 2 STREAMS g >
XINFO GROUPS g
XREADGROUP GROUP grp bob STREAMS g >
XREADGROUP GROUP grp bob STREAMS g >
XREADGROUP GROUP grp alice STREAMS g 0
XREADGROUP GROUP grp alice COUNT 1 STREAMS g 0
XREADGROUP GROUP grp alice STREAMS g 1-1
XREADGROUP GROUP grp carol STREAMS g 0
XREADGROUP GROUP grp alice STREAMS g $
XREADGROUP GROUP nogrp alice STREAMS g >
XREADGROUP GROUP grp alice STREAMS nokey >
XREADGROUP GROUP grp alice STREAMS str >
XREADGROUP GROUP grp alice STREAMS g bad
XREADGROUP GROUP grp alice STREAMS g
XREADGROUP STREAMS g > x
XREADGROUP COUNT 1 STREAMS g >
XREADGROUP GROUP grp alice NOACK FOO STREAMS g >
XREADGROUP GROUP grp alice COUNT x STREAMS g >
XREADGROUP GROUP grp alice BLOCK x STREAMS g >
XREADGROUP GROUP grp alice BLOCK -1 STREAMS g >
XPENDING g grp
XPENDING g grp - + 10
XPENDING g grp - + 10 alice
XPENDING g grp - + 10 nobody
XPENDING g grp IDLE 0 - + 10
XPENDING g grp IDLE 0 - + 10 bob
XPENDING g grp IDLE 100000 - + 10
XPENDING g grp (1-1 (4-1 10
XPENDING g grp - + 1
XPENDING g grp - + 0
XPENDING g grp - + -3
XPENDING g grp - + x
XPENDING g grp IDLE x - + 10
XPENDING g grp IDLE 5 - +
XPENDING g grp - +
XPENDING g grp - + 10 alice extra
XPENDING g grp bad + 10
XPENDING g grp (+ + 10
XPENDING g nogrp
XPENDING nokey grp
XPENDING str grp
XPENDING g grp a b c d e f g
XACK g grp 1-1 9-9 1-1
XACK g grp bad
XACK g nogrp bad
XACK nokey grp bad
XACK str grp 1-1
XPENDING g grp
XINFO CONSUMERS g grp
XINFO CONSUMERS g nogrp
XINFO CONSUMERS nokey grp
XINFO GROUPS g
XINFO STREAM g
XINFO STREAM g FULL
XINFO STREAM g FULL COUNT 1
XINFO STREAM g FULL COUNT 0
XINFO STREAM g FULL COUNT -5
XINFO STREAM g FULL COUNT x
XINFO STREAM g FULL COUNT
XINFO STREAM g FOO
XINFO STREAM g FULL FOO 1
XINFO STREAM str
XINFO STREAM nokey
XINFO FOO g
XINFO HELP
XINFO GROUPS
XINFO GROUPS str
# XCLAIM / XAUTOCLAIM
XCLAIM g grp carol 0 2-1
XPENDING g grp - + 10
XCLAIM g grp carol 0 3-1 4-1 JUSTID
XCLAIM g grp dave 100000 2-1
XINFO CONSUMERS g grp
XCLAIM g grp dave 0 2-1 IDLE 50000 RETRYCOUNT 7
XPENDING g grp - + 10
XCLAIM g grp dave 0 2-1 TIME 1000 JUSTID
XPENDING g grp - + 10
XCLAIM g grp erin 0 9-9 1-1 FORCE
XADD g 5-1 f 5
XCLAIM g grp erin 0 5-1 FORCE JUSTID
XCLAIM g grp erin 0 5-1 LASTID 5-1 JUSTID
XINFO GROUPS g
XCLAIM g grp erin 0 2-1 RETRYCOUNT -4
XCLAIM g grp erin x 2-1
XCLAIM g grp erin 0 2-1 IDLE x
XCLAIM g grp erin 0 2-1 TIME x
XCLAIM g grp erin 0 2-1 RETRYCOUNT x
XCLAIM g grp erin 0 2-1 LASTID x
XCLAIM g grp erin 0 2-1 FOO
XCLAIM g grp erin 0 2-1 IDLE
XCLAIM g grp erin 0 bad
XCLAIM g nogrp erin 0 2-1
XCLAIM nokey grp erin 0 2-1
XCLAIM str grp erin 0 2-1
XCLAIM g grp erin -5 2-1 TIME 99999999999999
XPENDING g grp - + 10
XDEL g 3-1
XCLAIM g grp frank 0 3-1 4-1
XPENDING g grp
XAUTOCLAIM g grp gina 0 0
XAUTOCLAIM g grp gina 0 0 COUNT 1
XAUTOCLAIM g grp gina 0 (2-1 COUNT 1 JUSTID
XAUTOCLAIM g grp gina 100000 0
XAUTOCLAIM g grp gina 0 0 COUNT 0
XAUTOCLAIM g grp gina 0 0 COUNT 4398046511104
XAUTOCLAIM g grp gina 0 0 COUNT 8796093022208
XAUTOCLAIM g grp gina 0 0 COUNT 576460752303423487
XAUTOCLAIM g grp gina 0 0 COUNT 576460752303423488
XAUTOCLAIM g grp gina 0 0 COUNT x
XAUTOCLAIM g grp gina 0 0 FOO
XAUTOCLAIM g grp gina x 0
XAUTOCLAIM g grp gina 0 bad
XAUTOCLAIM g grp gina 0 (+
XAUTOCLAIM g nogrp gina 0 0
XAUTOCLAIM nokey grp gina 0 0
XAUTOCLAIM str grp gina 0 0
XINFO CONSUMERS g grp
XGROUP DELCONSUMER g grp gina
XPENDING g grp
XINFO STREAM g FULL
# entries_read and lag
DEL l
XADD l 1-1 a 1
XADD l 2-1 a 1
XADD l 3-1 a 1
XADD l 4-1 a 1
XGROUP CREATE l g1 0
XGROUP CREATE l g2 $
XGROUP CREATE l g3 2-1
XGROUP CREATE l g4 2-1 ENTRIESREAD 2
XINFO GROUPS l
XREADGROUP GROUP g1 c COUNT 1 STREAMS l >
XREADGROUP GROUP g3 c NOACK STREAMS l >
XINFO GROUPS l
XDEL l 2-1
XINFO GROUPS l
XREADGROUP GROUP g1 c COUNT 1 STREAMS l >
XINFO GROUPS l
XREADGROUP GROUP g1 c STREAMS l >
XINFO GROUPS l
XADD l 5-1 a 1
XDEL l 1-1
XINFO GROUPS l
XGROUP SETID l g1 0
XINFO GROUPS l
XTRIM l MAXLEN 1
XINFO GROUPS l
XDEL l 5-1
XINFO GROUPS l
XINFO STREAM l
XGROUP SETID l g2 - ENTRIESREAD 0
XINFO GROUPS l
# XSETID
DEL x
XADD x 5-5 a 1
XADD x 6-0 a 1
XDEL x 6-0
XSETID x 1-1
XSETID x 5-5
XINFO STREAM x
XSETID x 9-9 MAXDELETEDID 10-0
XSETID x 9-9 MAXDELETEDID 3-0
XINFO STREAM x
XSETID x 9-9 ENTRIESADDED 0
XSETID x 9-9 ENTRIESADDED -1
XSETID x 9-9 ENTRIESADDED x
XSETID x 9-9 ENTRIESADDED 50
XINFO STREAM x
XSETID x 9-9 FOO
XSETID x 9-9 ENTRIESADDED
XSETID x bad
XSETID x -
XSETID nokey 1-1
XSETID str 1-1
XADD x 9-9 a 1
XADD x 10-0 a 1
DEL x
XADD x 1-1 a 1
XDEL x 1-1
XSETID x 0-0
XINFO STREAM x
# XREAD
XREAD STREAMS r g
XREAD STREAMS r 0
XREAD STREAMS r g 0 0
XREAD COUNT 1 STREAMS r g 0 0
XREAD COUNT -1 STREAMS r 0
XREAD STREAMS r g $ 0
XREAD STREAMS r $
XREAD STREAMS r 99
XREAD STREAMS nokey 0
XREAD STREAMS nokey $
XREAD STREAMS str 0
XREAD STREAMS r >
XREAD STREAMS r bad
XREAD STREAMS r +
XREAD GROUP g c STREAMS r 0
XREAD NOACK STREAMS r 0
XREAD FOO STREAMS r 0
XREAD COUNT 1
XREAD BLOCK 1.5 STREAMS r 0
XREAD BLOCK -1 STREAMS r 0
XREAD BLOCK 9223372036854775807 STREAMS r 0
XREAD BLOCK 10 STREAMS r 0
XREAD STREAMS r r 0 0
XREAD STREAMS a b c
XREADGROUP GROUP g c STREAMS a b c
# history with deleted entries, odd values, wide entries, copies with groups
DEL h
XADD h 1-1 a 1
XADD h 2-1 a 2
XADD h 3-1 a -0 b 007 c 1e3 d " 1" e 9223372036854775808 f -9223372036854775809
XGROUP CREATE h grp 0
XREADGROUP GROUP grp c STREAMS h >
XDEL h 1-1
XREADGROUP GROUP grp c STREAMS h 0
XREADGROUP GROUP grp c COUNT 1 STREAMS h 1-1
XREADGROUP GROUP grp c2 STREAMS h 0
XPENDING h grp - + 10
XREAD STREAMS h h $ 0
XADD w 1-1 f1 1 f2 2 f3 3 f4 4 f5 5 f6 6 f7 7 f8 8 f9 9 f10 10 f11 11 f12 12 f13 13 f14 14 f15 15 f16 16 f17 17 f18 18 f19 19 f20 20 f21 21 f22 22 f23 23 f24 24 f25 25 f26 26 f27 27 f28 28 f29 29 f30 30 f31 31 f32 32 f33 33 f34 34 f35 35 f36 36 f37 37 f38 38 f39 39 f40 40 f41 41 f42 42 f43 43 f44 44 f45 45 f46 46 f47 47 f48 48 f49 49 f50 50 f51 51 f52 52 f53 53 f54 54 f55 55 f56 56 f57 57 f58 58 f59 59 f60 60 f61 61 f62 62 f63 63 f64 64 f65 65 f66 66 f67 67 f68 68 f69 69 f70 70
XADD w 1-2 g1 1 g2 2 g3 3 g4 4 g5 5 g6 6 g7 7 g8 8 g9 9 g10 10 g11 11 g12 12 g13 13 g14 14 g15 15 g16 16 g17 17 g18 18 g19 19 g20 20 g21 21 g22 22 g23 23 g24 24 g25 25 g26 26 g27 27 g28 28 g29 29 g30 30 g31 31 g32 32 g33 33 g34 34 g35 35 g36 36 g37 37 g38 38 g39 39 g40 40 g41 41 g42 42 g43 43 g44 44 g45 45 g46 46 g47 47 g48 48 g49 49 g50 50 g51 51 g52 52 g53 53 g54 54 g55 55 g56 56 g57 57 g58 58 g59 59 g60 60 g61 61 g62 62 g63 63 g64 64 g65 65 g66 66 g67 67 g68 68 g69 69 g70 70
XREVRANGE w + -
XRANGE w - +
XDEL w 1-1
XREVRANGE w + -
XGROUP CREATE h grp2 $
COPY h h2
XINFO STREAM h2
XINFO GROUPS h2
XREADGROUP GROUP grp c STREAMS h2 0
# other types and generic commands
TYPE r
OBJECT ENCODING r
XADD big 1-1 a 1
COPY big big2
XRANGE big2 - +
RENAME big big3
XRANGE big3 - +
"#;

#[test]
fn curated_stream_commands_match_redis() {
    for resp3 in [false, true] {
        let Some(mut pair) = DiffPair::new() else {
            return;
        };
        if resp3 {
            hello3(&mut pair);
        }
        run_script(&mut pair, CURATED, if resp3 { "resp3" } else { "resp2" });
    }
}

/// Small nodes, so that node splits, whole-node trimming and the radix tree counts show.
#[test]
fn small_nodes_match_redis() {
    let Some(mut pair) = DiffPair::new() else {
        return;
    };
    run_script(
        &mut pair,
        r#"
CONFIG SET stream-node-max-entries 3
XADD s 1-1 a 1
XADD s 1-2 a 1
XADD s 1-3 b 1
XADD s 1-4 a 1 b 2
XADD s 2-1 a 1
XADD s 256-1 a 1
XADD s 65536-0 a 1
XADD s 4294967296-7 a 1
XADD s 4294967297-0 a 1
XADD s 4294967297-1 a 1
XINFO STREAM s
XDEL s 1-3 2-1
XINFO STREAM s
XRANGE s - +
XREVRANGE s + -
XTRIM s MAXLEN ~ 8
XINFO STREAM s
XTRIM s MAXLEN ~ 5
XINFO STREAM s
XTRIM s MINID ~ 4294967297
XINFO STREAM s
XTRIM s MINID 4294967297-1
XINFO STREAM s
XRANGE s - +
CONFIG SET stream-node-max-entries 0
CONFIG SET stream-node-max-bytes 60
XADD t 1-1 field value
XADD t 1-2 field value
XADD t 1-3 field value
XADD t 1-4 longer-field-name some-longer-value
XINFO STREAM t
XRANGE t - +
CONFIG SET stream-node-max-bytes 4096
CONFIG SET stream-node-max-entries 100
"#,
        "small",
    );
}

/// Auto-generated IDs: same shape and order on both servers.
#[test]
fn auto_ids_have_redis_shape() {
    let Some(mut pair) = DiffPair::new() else {
        return;
    };
    for c in [&mut pair.ferro, &mut pair.redis] {
        let before = now_ms() as u64;
        let a = c.val(&["XADD", "auto", "*", "f", "v"]);
        let b = c.val(&["XADD", "auto", "*", "f", "v"]);
        let parse_id = |r: &Resp| -> (u64, u64) {
            let s = String::from_utf8(r.bytes().to_vec()).unwrap();
            let (ms, seq) = s.split_once('-').unwrap();
            (ms.parse().unwrap(), seq.parse().unwrap())
        };
        let (ia, ib) = (parse_id(&a), parse_id(&b));
        assert!(
            ia.0 + 1000 >= before && ia.0 <= now_ms() as u64 + 1000,
            "{ia:?}"
        );
        assert!(ib > ia);
        let c3 = c.val(&["XADD", "auto", &format!("{}-*", ib.0), "f", "v"]);
        assert_eq!(parse_id(&c3), (ib.0, ib.1 + 1));
        c.expect(&["XADD", "auto", "1-*", "f", "v"], b"-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n");
        c.expect(&["XADD", "fresh", "7-*", "f", "v"], b"$3\r\n7-0\r\n");
        c.expect(&["XADD", "fresh", "7-*", "f", "v"], b"$3\r\n7-1\r\n");
        c.expect(&["XADD", "fresh", "0-*", "f", "v"], b"-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n");
        c.expect(&["XADD", "fresh2", "0-*", "f", "v"], b"$3\r\n0-1\r\n");
        assert_eq!(c.cmd(&["XLEN", "fresh"]), b":2\r\n");
    }
}

/// Seeded random workloads: many commands over a few keys, explicit IDs.
#[test]
fn random_workloads_match_redis() {
    for (seed, resp3) in [(7u64, false), (1234u64, true), (99u64, false), (5u64, true)] {
        let Some(mut pair) = DiffPair::new() else {
            return;
        };
        if resp3 {
            hello3(&mut pair);
        }
        let entries = if seed == 99 { "4" } else { "10" };
        check(
            &mut pair,
            &[
                b"CONFIG".to_vec(),
                b"SET".to_vec(),
                b"stream-node-max-entries".to_vec(),
                entries.as_bytes().to_vec(),
            ],
            "config",
        );
        if seed == 5 {
            // Tiny nodes by size: many splits and whole-node trims.
            check(
                &mut pair,
                &[
                    b"CONFIG".to_vec(),
                    b"SET".to_vec(),
                    b"stream-node-max-bytes".to_vec(),
                    b"80".to_vec(),
                ],
                "config",
            );
        }
        let mut w = Workload::new(seed);
        for step in 0..2500 {
            let cmd = w.next_cmd();
            check(&mut pair, &cmd, &format!("seed {seed} step {step}"));
            // Group state after every step: catches a consumer created or a counter moved
            // by a command whose own reply looked the same.
            let key = cmd[1].clone();
            if cmd[0].starts_with(b"X") && cmd[0] != b"XGROUP" {
                check(
                    &mut pair,
                    &[b"XINFO".to_vec(), b"GROUPS".to_vec(), key],
                    &format!("seed {seed} after step {step}"),
                );
            }
        }
    }
}

struct Workload {
    s: u64,
    ms: u64,
}

impl Workload {
    fn new(seed: u64) -> Self {
        Workload {
            s: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            ms: 1,
        }
    }

    fn rnd(&mut self) -> u64 {
        self.s ^= self.s << 13;
        self.s ^= self.s >> 7;
        self.s ^= self.s << 17;
        self.s
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.rnd() % xs.len() as u64) as usize]
    }

    fn id(&mut self) -> String {
        let ms = 1 + self.rnd() % (self.ms + 2);
        match self.rnd() % 6 {
            0 => format!("{ms}"),
            1 => "-".into(),
            2 => "+".into(),
            3 => format!("({ms}-{}", self.rnd() % 3),
            _ => format!("{ms}-{}", self.rnd() % 3),
        }
    }

    fn strict_id(&mut self) -> String {
        let ms = 1 + self.rnd() % (self.ms + 2);
        format!("{ms}-{}", self.rnd() % 3)
    }

    fn next_cmd(&mut self) -> Vec<Vec<u8>> {
        let key = self.pick(&["s1", "s1", "s2", "s3", "str"]).to_string();
        let group = self.pick(&["g1", "g2", "g3"]).to_string();
        let consumer = self.pick(&["c1", "c2", "c3"]).to_string();
        let line: String = match self.rnd() % 26 {
            0..=6 => {
                if !self.rnd().is_multiple_of(5) {
                    self.ms += self.rnd() % 2;
                }
                let ms = self.ms;
                let seq = self.rnd() % 4;
                let id = match self.rnd() % 8 {
                    0 => format!("{ms}-*"),
                    1 => self.strict_id(),
                    _ => format!("{ms}-{seq}"),
                };
                let trim = match self.rnd() % 8 {
                    0 => format!("MAXLEN {} ", self.rnd() % 12),
                    1 => format!("MAXLEN ~ {} ", self.rnd() % 30),
                    2 => format!("MINID {} ", self.strict_id()),
                    3 => format!("MINID ~ {} LIMIT {} ", self.strict_id(), self.rnd() % 20),
                    4 => "NOMKSTREAM ".into(),
                    _ => String::new(),
                };
                let nf = 1 + self.rnd() % 3;
                let fields: Vec<String> = (0..nf)
                    .map(|i| format!("f{} {}", i + self.rnd() % 2, self.rnd() % 100))
                    .collect();
                format!("XADD {key} {trim}{id} {}", fields.join(" "))
            }
            7 => format!("XDEL {key} {} {}", self.strict_id(), self.strict_id()),
            8 => match self.rnd() % 3 {
                0 => format!("XTRIM {key} MAXLEN {}", self.rnd() % 15),
                1 => format!("XTRIM {key} MAXLEN ~ {}", self.rnd() % 15),
                _ => format!("XTRIM {key} MINID {}", self.strict_id()),
            },
            9 => format!(
                "XRANGE {key} {} {} COUNT {}",
                self.id(),
                self.id(),
                self.rnd() % 5
            ),
            10 => format!("XREVRANGE {key} {} {}", self.id(), self.id()),
            11 => format!("XLEN {key}"),
            12 => {
                let k2 = self.pick(&["s1", "s2", "s3"]);
                format!(
                    "XREAD COUNT {} STREAMS {key} {k2} {} {}",
                    self.rnd() % 4,
                    self.strict_id(),
                    self.pick(&["$", "0", "1-1"])
                )
            }
            13 => match self.rnd() % 5 {
                0 => format!(
                    "XGROUP CREATE {key} {group} {} MKSTREAM",
                    self.pick(&["0", "$", "2-0"])
                ),
                1 => format!(
                    "XGROUP SETID {key} {group} {} ENTRIESREAD {}",
                    self.pick(&["0", "$", "3"]),
                    self.pick(&["-1", "0", "2"])
                ),
                2 => format!("XGROUP DESTROY {key} {group}"),
                3 => format!("XGROUP CREATECONSUMER {key} {group} {consumer}"),
                _ => format!("XGROUP DELCONSUMER {key} {group} {consumer}"),
            },
            14 | 15 => format!("XGROUP CREATE {key} {group} 0 MKSTREAM"),
            16..=18 => format!(
                "XREADGROUP GROUP {group} {consumer} COUNT {} {}STREAMS {key} {}",
                self.rnd() % 4,
                self.pick(&["", "", "NOACK "]),
                self.pick(&[">", ">", "0", "2-0"])
            ),
            19 => format!(
                "XACK {key} {group} {} {}",
                self.strict_id(),
                self.strict_id()
            ),
            20 => match self.rnd() % 3 {
                0 => format!("XPENDING {key} {group}"),
                1 => format!("XPENDING {key} {group} - + {}", self.rnd() % 5),
                _ => format!(
                    "XPENDING {key} {group} IDLE {} {} + 10 {consumer}",
                    self.pick(&["0", "0", "3600000"]),
                    self.id()
                ),
            },
            21 => format!(
                "XCLAIM {key} {group} {consumer} {} {} {} {}",
                self.pick(&["0", "0", "3600000"]),
                self.strict_id(),
                self.strict_id(),
                self.pick(&[
                    "",
                    "JUSTID",
                    "FORCE",
                    "RETRYCOUNT 3",
                    "TIME 1000",
                    "LASTID 3-0",
                    "IDLE 7200000",
                    "FORCE JUSTID RETRYCOUNT 0"
                ])
            ),
            22 => format!(
                "XAUTOCLAIM {key} {group} {consumer} {} {} COUNT {} {}",
                self.pick(&["0", "0", "3600000"]),
                self.pick(&["0", "2-0", "(1-1"]),
                1 + self.rnd() % 4,
                self.pick(&["", "JUSTID"])
            ),
            23 => match self.rnd() % 4 {
                0 => format!("XINFO STREAM {key}"),
                1 => format!("XINFO STREAM {key} FULL COUNT {}", self.rnd() % 4),
                2 => format!("XINFO GROUPS {key}"),
                _ => format!("XINFO CONSUMERS {key} {group}"),
            },
            24 => format!("XSETID {key} {}", self.strict_id()),
            _ => match self.rnd() % 4 {
                0 => format!("DEL {key}"),
                1 => "SET str x".into(),
                _ => format!("XINFO STREAM {key}"),
            },
        };
        split_line(&line)
    }
}

/// Keyspace notifications (`t` class and `new`): the same events, in the same order.
#[test]
fn keyspace_events_match_redis() {
    let Some(mut pair) = DiffPair::new() else {
        return;
    };
    let mut subs = Vec::new();
    for c in [&mut pair.ferro, &mut pair.redis] {
        c.expect(
            &["CONFIG", "SET", "notify-keyspace-events", "Ent"],
            b"+OK\r\n",
        );
        let mut s = common::RespClient::connect(c.port);
        s.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
        subs.push(s);
    }
    run_script(
        &mut pair,
        r#"
XADD s 1-1 a 1
XADD s MAXLEN 1 2-1 a 1
XADD s MAXLEN 5 3-1 a 1
XTRIM s MAXLEN 0
XTRIM s MAXLEN 0
XADD s 4-1 a 1
XDEL s 9-9
XDEL s 4-1
XGROUP CREATE t g $ MKSTREAM
XGROUP CREATE t g $ MKSTREAM
XGROUP SETID t g 0
XGROUP CREATECONSUMER t g c
XGROUP CREATECONSUMER t g c
XADD t 1-1 a 1
XREADGROUP GROUP g c2 STREAMS t >
XREADGROUP GROUP g c3 STREAMS t >
XCLAIM t g c4 0 1-1
XAUTOCLAIM t g c5 0 0
XGROUP DELCONSUMER t g c9
XGROUP DELCONSUMER t g c
XSETID t 5-5
XGROUP DESTROY t g
XGROUP DESTROY t g
SET done 1
"#,
        "events",
    );
    let mut got = Vec::new();
    for s in &mut subs {
        let mut events = Vec::new();
        loop {
            let v = s.read_value();
            let items = v.array().to_vec();
            let event = String::from_utf8_lossy(items[2].bytes()).into_owned();
            let key = String::from_utf8_lossy(items[3].bytes()).into_owned();
            events.push(format!("{event} {key}"));
            if key == "done" {
                break;
            }
        }
        got.push(events);
    }
    assert!(got[1].len() > 15, "{:?}", got[1]);
    assert_eq!(got[0], got[1]);
}
