//! Differential tests: the same requests go to ferrokv and to a real Redis 7.0
//! `redis-server`, and the raw reply bytes must be equal. Replies that depend on time or
//! chance (TTLs, RANDOMKEY, SCAN cursors, HELLO's client id) are normalised explicitly.
//!
//! When redis-server is not installed the tests print a notice and pass, unless CI or
//! FERROKV_REQUIRE_REDIS=1 is set (then they fail).

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// How a reply is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Norm {
    /// Byte for byte.
    Exact,
    /// A TTL-like integer: positive values compare equal to each other (-1, -2, 0 exact).
    Ttl,
    /// An array whose order is unspecified (KEYS): compared sorted.
    Sorted,
    /// RANDOMKEY: nil vs. some key.
    Random,
    /// HELLO: the `id` field is ignored.
    Hello,
    /// OBJECT IDLETIME: any value 0..=2 counts as "just used".
    Idle,
    /// `SCAN cursor [opts]` run to completion on both servers: the sorted union of keys is
    /// compared (cursor values are implementation details).
    ScanAll,
}

/// One side's reply, normalised for comparison.
fn normalise(norm: Norm, reply: &[u8]) -> Vec<u8> {
    if norm == Norm::Exact || reply.first() == Some(&b'-') {
        return reply.to_vec();
    }
    let v = parse(reply);
    let out = match (norm, v) {
        (Norm::Ttl, Resp::Int(n)) if n > 0 => Resp::Int(1),
        (Norm::Idle, Resp::Int(n)) if (0..=2).contains(&n) => Resp::Int(0),
        (Norm::Sorted, Resp::Array(mut items)) => {
            items.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
            Resp::Array(items)
        }
        (Norm::Random, Resp::Bulk(_)) => Resp::Bulk(b"<some key>".to_vec()),
        (Norm::Hello, Resp::Map(items)) => Resp::Map(
            items
                .into_iter()
                .map(|(k, v)| {
                    if k == Resp::Bulk(b"id".to_vec()) {
                        (k, Resp::Int(0))
                    } else {
                        (k, v)
                    }
                })
                .collect(),
        ),
        (Norm::Hello, Resp::Array(mut items)) => {
            for i in (0..items.len()).step_by(2) {
                if items[i] == Resp::Bulk(b"id".to_vec()) {
                    items[i + 1] = Resp::Int(0);
                }
            }
            Resp::Array(items)
        }
        (_, v) => v,
    };
    format!("{out:?}").into_bytes()
}

/// A connection to each server.
struct Pair {
    ferro: RespClient,
    redis: RespClient,
    /// Type byte of Redis's last reply, for coverage statistics.
    last_kind: u8,
}

impl Pair {
    fn new(ferro: &TestServer, redis: &RedisServer) -> Pair {
        Pair {
            ferro: ferro.client(),
            redis: redis.client(),
            last_kind: b'?',
        }
    }

    /// Run `args` on both and return the mismatch, if any, as a report line.
    fn compare(&mut self, args: &[&[u8]], norm: Norm) -> Option<String> {
        let (f, r) = if norm == Norm::ScanAll {
            (
                scan_all(&mut self.ferro, args),
                scan_all(&mut self.redis, args),
            )
        } else {
            (self.ferro.cmd_b(args), self.redis.cmd_b(args))
        };
        self.last_kind = r.first().copied().unwrap_or(b'?');
        if f == r || normalise(norm, &f) == normalise(norm, &r) {
            return None;
        }
        Some(format!(
            "{}\n    redis:   {}\n    ferrokv: {}",
            args.iter().map(|a| show(a)).collect::<Vec<_>>().join(" "),
            show(&r),
            show(&f)
        ))
    }
}

/// Iterate a SCAN to completion (at most 10,000 calls) and return a reply made of the
/// sorted keys found, or the first error reply.
fn scan_all(c: &mut RespClient, args: &[&[u8]]) -> Vec<u8> {
    let mut args: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
    let mut keys = Vec::new();
    for _ in 0..10_000 {
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let reply = c.cmd_b(&refs);
        if reply.starts_with(b"-") {
            return reply;
        }
        let v = parse(&reply);
        let parts = v.array();
        keys.extend(parts[1].array().iter().map(|k| k.bytes().to_vec()));
        let cursor = parts[0].bytes().to_vec();
        if cursor == b"0" {
            keys.sort();
            keys.dedup();
            return array(&keys.iter().map(bulk).collect::<Vec<_>>());
        }
        args[1] = cursor;
    }
    panic!("SCAN did not finish within 10,000 calls on port {}", c.port);
}

/// A line of the curated script: an optional `[norm]` prefix, then a command in redis-cli
/// syntax (see [`split_line`]).
fn parse_script_line(line: &str) -> (Norm, Vec<Vec<u8>>) {
    let line = line.trim();
    let (norm, rest) = match line.strip_prefix('[') {
        Some(r) => {
            let (tag, rest) = r.split_once(']').expect("closing ]");
            let norm = match tag {
                "ttl" => Norm::Ttl,
                "sort" => Norm::Sorted,
                "random" => Norm::Random,
                "hello" => Norm::Hello,
                "idle" => Norm::Idle,
                "scan" => Norm::ScanAll,
                other => panic!("unknown normaliser [{other}]"),
            };
            (norm, rest)
        }
        None => (Norm::Exact, line),
    };
    (norm, split_line(rest))
}

fn script_lines(script: &str) -> impl Iterator<Item = &str> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Run a script on both servers and return every mismatch plus the number of commands.
fn run_script(pair: &mut Pair, script: &str, label: &str) -> (Vec<String>, usize) {
    let mut mismatches = Vec::new();
    let mut n = 0;
    for (i, line) in script_lines(script).enumerate() {
        let (norm, args) = parse_script_line(line);
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        n += 1;
        if let Some(m) = pair.compare(&refs, norm) {
            mismatches.push(format!("[{label} #{i}] {m}"));
        }
    }
    (mismatches, n)
}

/// Every string command, option and error path.
const STRINGS_SCRIPT: &str = r#"
FLUSHALL
# --- GET / SET basics
GET k
SET k v
GET k
get k
GET k extra
GET
SET k
SET
SET "" ""
GET ""
SET "bin\x00key" "va\x00lue\r\n"
GET "bin\x00key"
STRLEN "bin\x00key"
# --- SET NX / XX / GET
SET k v2 NX
SET k v2 XX
GET k
SET nx1 v NX
SET xx1 v XX
GET xx1
SET nx1 v nx xx
SET nx1 v xx nx
SET nx1 v NX NX
SET nx1 v XX XX
SET k v3 GET
SET k v4 GET GET
SET nokey v GET
SET k v5 NX GET
SET newget v NX GET
GET newget
SET xxget v XX GET
EXISTS xxget
SET k v6 XX GET
# --- SET expiry options and conflicts
SET t v EX 100
[ttl] TTL t
[ttl] PTTL t
SET t v PX 100000
[ttl] PTTL t
SET t v EXAT 4102444800
EXPIRETIME t
PEXPIRETIME t
SET t v PXAT 4102444800123
PEXPIRETIME t
EXPIRETIME t
SET t v PXAT 4102444800500
EXPIRETIME t
SET t v PXAT 4102444800499
EXPIRETIME t
SET t v2 KEEPTTL
PEXPIRETIME t
GET t
SET t v3
TTL t
SET t v EX 10 PX 10
SET t v PX 10 EX 10
SET t v EX 10 EXAT 10
SET t v EXAT 10 PXAT 10
SET t v EX 10 KEEPTTL
SET t v KEEPTTL EX 10
SET t v KEEPTTL KEEPTTL
SET t v KEEPTTL PXAT 10
SET t v EX 10 EX 20
[ttl] TTL t
SET t v EX
SET t v PX
SET t v EX 0
SET t v EX -1
SET t v PX 0
SET t v PX -100
SET t v EXAT 0
SET t v PXAT -1
SET t v EX abc
SET t v EX 1.5
SET t v EX ""
SET t v EX 9223372036854775807
SET t v EX 9223372036854775
SET t v EX 9223372036854776
SET t v PX 9223372036854775807
SET t v EXAT 9223372036854775
SET t v EXAT 9223372036854776
SET t v PXAT 9223372036854775807
EXPIRETIME t
SET t v EX 99999999999999999999
SET t v FOO
SET t v EX 10 FOO
SET t v PERSIST
SET t v NX EX 100 GET
[ttl] TTL t
SET t v PXAT 1
GET t
EXISTS t
SET t v EXAT 1 GET
# --- SETNX / SETEX / PSETEX
SETNX sn v
SETNX sn w
GET sn
SETNX sn
SETEX se 100 v
[ttl] TTL se
GET se
SETEX se 0 v
SETEX se -5 v
SETEX se abc v
SETEX se 9223372036854775807 v
SETEX se 100
PSETEX pse 100000 v
[ttl] PTTL pse
PSETEX pse 0 v
PSETEX pse -1 v
PSETEX pse 9223372036854775807 v
PSETEX pse x v
# --- GETSET / GETDEL / GETEX
GETSET gs v1
GETSET gs v2
GET gs
SET gs v EX 100
GETSET gs v3
TTL gs
GETSET gs
GETDEL gs
GETDEL gs
EXISTS gs
GETDEL
SET ge v
GETEX ge
GETEX ge EX 100
[ttl] TTL ge
GETEX ge PX 200000
[ttl] PTTL ge
GETEX ge EXAT 4102444800
EXPIRETIME ge
GETEX ge PXAT 4102444800999
PEXPIRETIME ge
GETEX ge PERSIST
TTL ge
GETEX ge PERSIST PERSIST
GETEX ge EX 10 EX 20
[ttl] TTL ge
GETEX ge EX 10 PX 20
GETEX ge EX 10 PERSIST
GETEX ge PERSIST EX 10
GETEX ge KEEPTTL
GETEX ge NX
GETEX ge GET
GETEX ge EX
GETEX ge EX 0
GETEX ge EX -1
GETEX ge PX abc
GETEX ge EX 9223372036854775807
GETEX ge FOO
GETEX nokey EX 0
GETEX nokey PX abc
GETEX nokey FOO
GETEX nokey
GETEX ge EXAT 1
EXISTS ge
GETEX
# --- MGET / MSET / MSETNX
MSET m1 a m2 b m3 c
MGET m1 m2 m3 nokey m1
MGET nokey
MGET
MSET m1
MSET m1 a m2
MSET
MSET m1 x m1 y
GET m1
MSETNX m4 d m5 e
MSETNX m5 x m6 y
EXISTS m6
MSETNX m7 a m7 b
GET m7
MSETNX m8
MSETNX m8 a m9
MSET m1 v EX 10
# --- APPEND / STRLEN
APPEND ap hello
APPEND ap " world"
GET ap
STRLEN ap
APPEND ap ""
APPEND apnew ""
EXISTS apnew
STRLEN apnew
APPEND ap
STRLEN nokey
STRLEN
SET apint 12
APPEND apint 34
GET apint
STRLEN apint
SET sl 12345
STRLEN sl
SET sl -9223372036854775808
STRLEN sl
APPEND "bin\x00" "\x00\x01\x02"
GET "bin\x00"
# --- INCR / DECR / INCRBY / DECRBY
INCR c
INCR c
DECR c
DECR c
DECR c
INCRBY c 10
INCRBY c -20
DECRBY c 5
DECRBY c -5
GET c
INCR
INCR c extra
INCRBY c
INCRBY c abc
INCRBY c 1.5
INCRBY c ""
INCRBY c 9223372036854775808
INCRBY c -9223372036854775809
SET c 9223372036854775807
INCR c
INCRBY c 0
INCRBY c -1
SET c -9223372036854775808
DECR c
DECRBY c 1
DECRBY c -9223372036854775808
DECRBY c 9223372036854775807
INCRBY c -1
SET c 0
DECRBY c -9223372036854775808
INCRBY c -9223372036854775808
GET c
SET c abc
INCR c
DECR c
SET c ""
INCR c
SET c " 1"
INCR c
SET c "1 "
INCR c
SET c +1
INCR c
SET c 007
INCR c
SET c -0
INCR c
SET c 1e3
INCR c
SET c 10.0
INCR c
SET c 9223372036854775808
INCR c
SET c "1\x00"
INCR c
SET c 0
INCR c
SET c -1
INCR c
GET c
# --- INCRBYFLOAT
SET f 10.5
INCRBYFLOAT f 0.1
INCRBYFLOAT f -5
INCRBYFLOAT f 1e2
INCRBYFLOAT f 2.0e2
INCRBYFLOAT nf 3
INCRBYFLOAT nf 3.0
INCRBYFLOAT nf -6
GET nf
INCRBYFLOAT nf 0.0000001
INCRBYFLOAT nf 1e-20
SET f 5.0e3
INCRBYFLOAT f 2.0e2
SET f 1.7976931348623157e308
INCRBYFLOAT f 1.7976931348623157e308
INCRBYFLOAT f inf
INCRBYFLOAT f -inf
INCRBYFLOAT f nan
INCRBYFLOAT f abc
INCRBYFLOAT f ""
INCRBYFLOAT f " 1"
INCRBYFLOAT f "1 "
INCRBYFLOAT f 0x10
INCRBYFLOAT f 1e400
SET f abc
INCRBYFLOAT f 1
SET f ""
INCRBYFLOAT f 1
SET f 1e400
INCRBYFLOAT f 1
SET f 3
INCRBYFLOAT f 1.5
INCRBYFLOAT f 0.5
INCRBYFLOAT f
INCRBYFLOAT f 1 2
SET f 0.1
INCRBYFLOAT f 0.2
SET f 1
INCRBYFLOAT f 1e17
INCRBYFLOAT f 123456789.123456789
SET f 9223372036854775807
INCRBYFLOAT f 1
SET f -0
INCRBYFLOAT f 0
SET f 5
INCRBYFLOAT f -5
INCRBYFLOAT f -0.0
# --- GETRANGE / SUBSTR
SET r "Hello, World"
GETRANGE r 0 4
GETRANGE r -5 -1
GETRANGE r 0 -1
GETRANGE r 5 3
GETRANGE r -1 -5
GETRANGE r -100 100
GETRANGE r 100 200
GETRANGE r 0 0
GETRANGE r -1 -1
GETRANGE r 11 11
GETRANGE r 12 12
GETRANGE r 9223372036854775807 9223372036854775807
GETRANGE r -9223372036854775808 -9223372036854775808
GETRANGE r -9223372036854775808 9223372036854775807
GETRANGE r 0 -100
GETRANGE r a 1
GETRANGE r 1 b
GETRANGE r 1.0 2
GETRANGE nokey 0 -1
GETRANGE nokey 0 5
GETRANGE r 0
SUBSTR r 0 4
SUBSTR r -3 -1
SUBSTR r 0
SET r 12345
GETRANGE r 1 3
GETRANGE r -2 -1
SET r ""
GETRANGE r 0 -1
GETRANGE r 0 0
# --- SETRANGE
SETRANGE sr 0 hello
SETRANGE sr 6 world
GET sr
SETRANGE sr 0 J
GET sr
SETRANGE sr 20 ""
GET sr
SETRANGE sr -1 x
SETRANGE sr abc x
SETRANGE sr 536870912 x
SETRANGE sr 536870911 xy
SETRANGE sr 9223372036854775807 ""
SETRANGE srnew 3 ""
EXISTS srnew
SETRANGE srnew 536870912 x
SETRANGE srnew 536870912 ""
SETRANGE srnew -1 ""
EXISTS srnew
SETRANGE srnew 3 abc
GET srnew
SETRANGE srint 0 1
SET srint 12345
SETRANGE srint 1 ab
GET srint
SETRANGE sr 0
SETRANGE "bin\x00" 1 "\x00\xff"
GET "bin\x00"
# --- LCS
SET l1 ohmytext
SET l2 mynewtext
LCS l1 l2
LCS l1 l2 LEN
LCS l1 l2 len
LCS l1 l2 IDX
LCS l1 l2 IDX MINMATCHLEN 4
LCS l1 l2 IDX MINMATCHLEN 4 WITHMATCHLEN
LCS l1 l2 IDX WITHMATCHLEN
LCS l1 l2 IDX MINMATCHLEN -5
LCS l1 l2 IDX MINMATCHLEN 0
LCS l1 l2 IDX MINMATCHLEN 100
LCS l1 l2 LEN IDX
LCS l1 l2 IDX LEN
LCS l1 l2 LEN MINMATCHLEN 2
LCS l1 l2 WITHMATCHLEN
LCS l1 l2 MINMATCHLEN
LCS l1 l2 MINMATCHLEN abc
LCS l1 l2 IDX MINMATCHLEN abc
LCS l1 l2 FOO
LCS l1 l2 IDX IDX
LCS l1 l2 LEN LEN
LCS l1 nokey
LCS nokey l2
LCS nokey nokey2
LCS nokey nokey2 IDX
LCS nokey nokey2 LEN
LCS l1 l1
LCS l1
SET l3 "a\x00b\x00c"
SET l4 "\x00b\x00"
LCS l3 l4
LCS l3 l4 IDX WITHMATCHLEN
SET l5 ""
LCS l5 l1 IDX
SET l6 12345
SET l7 2x4
LCS l6 l7 IDX WITHMATCHLEN
SET l8 AAAABBBBCCCC
SET l9 CCCCBBBBAAAA
LCS l8 l9 IDX WITHMATCHLEN
SET l10 abcabcabcabc
SET l11 cbacbacbacba
LCS l10 l11 IDX WITHMATCHLEN MINMATCHLEN 2
LCS l10 l11
# --- Encodings (OBJECT ENCODING) across transitions
SET e 123
OBJECT ENCODING e
SET e -123
OBJECT ENCODING e
SET e 0123
OBJECT ENCODING e
SET e 9223372036854775807
OBJECT ENCODING e
SET e 9223372036854775808
OBJECT ENCODING e
SET e -9223372036854775808
OBJECT ENCODING e
SET e 12345678901234567890
OBJECT ENCODING e
SET e "1 "
OBJECT ENCODING e
SET e abc
OBJECT ENCODING e
SET e 12345678901234567890123456789012345678901234
OBJECT ENCODING e
SET e 123456789012345678901234567890123456789012345
OBJECT ENCODING e
SET e aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
OBJECT ENCODING e
SET e aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
OBJECT ENCODING e
SET e abc
APPEND e d
OBJECT ENCODING e
SET e 12
APPEND e 3
OBJECT ENCODING e
INCR e
OBJECT ENCODING e
APPEND enew 123
OBJECT ENCODING enew
APPEND enew2 abc
OBJECT ENCODING enew2
SETRANGE e 0 9
OBJECT ENCODING e
SETRANGE enew3 0 5
OBJECT ENCODING enew3
INCR enew3
OBJECT ENCODING enew3
SET e 1
INCRBYFLOAT e 1
OBJECT ENCODING e
INCRBYFLOAT e 0.5
OBJECT ENCODING e
INCRBYFLOAT efl 1
OBJECT ENCODING efl
INCR efl
OBJECT ENCODING efl
SET e 5
SETNX en 5
OBJECT ENCODING en
MSET em1 1 em2 abc em3 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
OBJECT ENCODING em1
OBJECT ENCODING em2
OBJECT ENCODING em3
SETEX ese 100 77
OBJECT ENCODING ese
GETSET e 99
OBJECT ENCODING e
GETEX e EX 100
OBJECT ENCODING e
SET e 10
OBJECT REFCOUNT e
SET e 9999
OBJECT REFCOUNT e
SET e 10000
OBJECT REFCOUNT e
SET e -1
OBJECT REFCOUNT e
SET e abc
OBJECT REFCOUNT e
INCRBY e2 5
OBJECT REFCOUNT e2
INCRBY e2 100000
OBJECT REFCOUNT e2
OBJECT ENCODING e2
# --- command-level errors
FOOBAR
FOOBAR a b
foobar "x\x00y"
""
SETX k v
GETRANGE
SETRANGE k 1
LCS
"GET k"
"SET" "k" "v" "EX" "100" ""
"#;

/// Every key-space command, option and error path.
const KEYS_SCRIPT: &str = r#"
FLUSHALL
# --- DEL / UNLINK / EXISTS / TOUCH / TYPE
MSET a 1 b 2 c 3 d 4
DEL a
DEL a
DEL b c nokey b
EXISTS d
EXISTS d d d nokey
EXISTS nokey
DEL
EXISTS
UNLINK d
UNLINK d
MSET a 1 b 2
UNLINK a b a
TOUCH nokey
SET a 1
TOUCH a a nokey
TOUCH
TYPE a
TYPE nokey
TYPE
TYPE a b
DEL "" "\x00"
SET "" empty
EXISTS ""
TYPE ""
DEL ""
# --- KEYS and glob patterns
FLUSHDB
MSET hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5 "h*llo" 6 "h?llo" 7 "h[a]llo" 8 "h\\llo" 9 "a-b" 10 "]x" 11 "^x" 12 "-x" 13
[sort] KEYS *
[sort] KEYS h?llo
[sort] KEYS h*llo
[sort] KEYS h[ae]llo
[sort] KEYS h[^e]llo
[sort] KEYS h[!e]llo
[sort] KEYS h[a-b]llo
[sort] KEYS h[b-a]llo
[sort] KEYS "h\\*llo"
[sort] KEYS "h\\?llo"
[sort] KEYS "h\\[a\\]llo"
[sort] KEYS "h\\\\llo"
[sort] KEYS "h\\llo"
[sort] KEYS "h[\\]]llo"
[sort] KEYS [
[sort] KEYS [a
[sort] KEYS "[a-"
[sort] KEYS "h[a-"
[sort] KEYS "*\\"
[sort] KEYS "h[]llo"
[sort] KEYS "[]]x"
[sort] KEYS "[\\]]x"
[sort] KEYS "[-]x"
[sort] KEYS "[a-]x"
[sort] KEYS "[-a]*"
[sort] KEYS "[^]x"
[sort] KEYS "[\\^]x"
[sort] KEYS ?
[sort] KEYS ????
[sort] KEYS ?????
[sort] KEYS **
[sort] KEYS *o
[sort] KEYS H*
[sort] KEYS ""
[sort] KEYS nomatch*
[sort] KEYS a-b
[sort] KEYS [a-b]-b
KEYS
KEYS a b
# --- SCAN
[scan] SCAN 0
[scan] SCAN 0 COUNT 1
[scan] SCAN 0 COUNT 1000
[scan] SCAN 0 MATCH h*
[scan] SCAN 0 MATCH h[ae]llo COUNT 2
[scan] SCAN 0 match * count 5
[scan] SCAN 0 TYPE string
[scan] SCAN 0 TYPE STRING
[scan] SCAN 0 TYPE list
[scan] SCAN 0 TYPE nosuchtype
[scan] SCAN 0 MATCH nomatch*
[scan] SCAN 0 COUNT 3 MATCH * TYPE string
SCAN abc
SCAN -abc
SCAN " 1"
SCAN "1 "
SCAN 0x10
SCAN 18446744073709551616
SCAN 1.5
SCAN 0 COUNT 0
SCAN 0 COUNT -1
SCAN 0 COUNT abc
SCAN 0 COUNT
SCAN 0 MATCH
SCAN 0 TYPE
SCAN 0 FOO bar
SCAN 0 COUNT 10 FOO
SCAN
SCAN 0 COUNT 9223372036854775808
# --- RANDOMKEY
[random] RANDOMKEY
RANDOMKEY extra
FLUSHDB
RANDOMKEY
SET only v
RANDOMKEY
# --- RENAME / RENAMENX
SET r1 v EX 1000
RENAME r1 r2
EXISTS r1
GET r2
[ttl] TTL r2
RENAME r1 r2
RENAME nokey nokey
RENAME r2 r2
[ttl] TTL r2
SET r3 other
RENAME r2 r3
GET r3
[ttl] TTL r3
RENAMENX r3 r4
RENAMENX r4 r4
RENAMENX nokey r4
SET r5 x
RENAMENX r4 r5
GET r5
RENAMENX r5 r5
RENAME r5
RENAMENX r5
RENAME "" x
SET "" v
RENAME "" "\x00"
GET "\x00"
SET pexpk v PXAT 4102444800123
RENAME pexpk pexpk2
PEXPIRETIME pexpk2
# --- MOVE / SELECT
FLUSHALL
SET mv v
MOVE mv 1
EXISTS mv
SELECT 1
GET mv
MOVE mv 0
SELECT 0
GET mv
SET mv2 v EX 1000
MOVE mv2 2
SELECT 2
[ttl] TTL mv2
SELECT 0
SET mv3 here
SELECT 3
SET mv3 there
SELECT 0
MOVE mv3 3
GET mv3
MOVE mv3 0
MOVE nokey 0
MOVE nokey 1
MOVE mv3 16
MOVE mv3 -1
MOVE mv3 abc
MOVE mv3 4294967296
MOVE mv3 2147483648
MOVE mv3 1.0
MOVE mv3
SELECT 16
SELECT -1
SELECT abc
# --- COPY
FLUSHALL
SET cp v EX 1000
COPY cp cp2
GET cp2
[ttl] TTL cp2
COPY cp cp2
COPY cp cp2 REPLACE
COPY cp cp
COPY cp cp DB 0
COPY cp cp DB 1
SELECT 1
GET cp
[ttl] TTL cp
SELECT 0
COPY nokey x
COPY nokey nokey
COPY cp x DB 16
COPY cp x DB -1
COPY cp x DB abc
COPY cp x DB 4294967296
COPY cp x DB
COPY cp x REPLACE REPLACE
COPY cp x replace db 2
COPY cp x FOO
COPY cp
SET cpi 5
COPY cpi cpi2
OBJECT ENCODING cpi2
SET cpr aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
COPY cpr cpr2
OBJECT ENCODING cpr2
APPEND cpr2 x
STRLEN cpr
# --- EXPIRE family
FLUSHALL
SET x v
EXPIRE x 100
[ttl] TTL x
EXPIRE x 100 NX
EXPIRE x 100 XX
[ttl] TTL x
EXPIRE x 200 GT
EXPIRE x 50 GT
EXPIRE x 10 LT
EXPIRE x 500 LT
EXPIRE x 10 NX XX
EXPIRE x 10 XX NX
EXPIRE x 10 NX GT
EXPIRE x 10 NX LT
EXPIRE x 10 GT LT
EXPIRE x 10 LT GT
EXPIRE x 5 XX GT
EXPIRE x 20 XX GT
EXPIRE x 10 XX XX
EXPIRE x 10 FOO
EXPIRE x 10 nx FOO
EXPIRE x abc FOO
EXPIRE x abc
EXPIRE x 1.5
EXPIRE x ""
EXPIRE x
EXPIRE nokey 100
EXPIRE nokey 100 FOO
PERSIST x
EXPIRE x 100 XX
EXPIRE x 100 GT
EXPIRE x 100 LT
TTL x
EXPIRE x 100 NX
EXPIRE x 9223372036854775807
EXPIRE x 9223372036854775
EXPIRE x 9223372036854776
EXPIRE x -9223372036854775808
EXPIRE x -9223372036854776
PEXPIRE x 9223372036854775807
PEXPIRE x -9223372036854775808
EXPIREAT x 9223372036854775807
EXPIREAT x 9223372036854775
PEXPIREAT x 9223372036854775807
EXPIRETIME x
PEXPIREAT x 4102444800000
EXPIRETIME x
PEXPIRETIME x
EXPIREAT x 4102444801 GT
EXPIRETIME x
EXPIREAT x 4102444801 GT
EXPIREAT x 4102444800 LT
EXPIRETIME x
PEXPIREAT x 4102444800000 LT
PEXPIREAT x 4102444800001 LT
PEXPIREAT x 4102444799999 LT
PEXPIRETIME x
EXPIRE x 0
EXISTS x
SET x v
EXPIRE x -1
EXISTS x
SET x v
PEXPIRE x 0
EXISTS x
SET x v
EXPIREAT x 1
EXISTS x
SET x v
PEXPIREAT x 0
EXISTS x
SET x v
EXPIRE x -5 LT
EXISTS x
SET x v EX 100
EXPIRE x -5 GT
EXISTS x
EXPIRE x -5 LT
EXISTS x
SET x v
EXPIREAT x 100 XX
EXISTS x
EXPIREAT x 100 NX
EXISTS x
PEXPIRE x abc
PEXPIREAT x abc
EXPIREAT x
PEXPIRE
# --- TTL family
SET y v
TTL y
PTTL y
EXPIRETIME y
PEXPIRETIME y
TTL nokey
PTTL nokey
EXPIRETIME nokey
PEXPIRETIME nokey
TTL
TTL a b
PEXPIRETIME
SETEX y 100 v
[ttl] TTL y
[ttl] PTTL y
PERSIST y
PERSIST y
PERSIST nokey
PERSIST
TTL y
# --- OBJECT
SET o 12
OBJECT ENCODING o
OBJECT ENCODING nokey
OBJECT REFCOUNT o
OBJECT REFCOUNT nokey
OBJECT FREQ o
OBJECT FREQ nokey
[idle] OBJECT IDLETIME o
OBJECT IDLETIME nokey
OBJECT HELP
OBJECT help
OBJECT HELP extra
OBJECT
OBJECT FOO
OBJECT FOO o
OBJECT ENCODING
OBJECT ENCODING o extra
OBJECT REFCOUNT
OBJECT IDLETIME o o
OBJECT "" o
# --- keys whose deadline has passed behave as missing for every command
FLUSHALL
SET e v PXAT 1
GET e
SET e v PXAT 1
SET e w XX
SET e v PXAT 1
SET e w NX GET
GET e
SET e v PXAT 1
SETNX e w
SET e v PXAT 1
MSETNX e w f x
SET e v PXAT 1
GETSET e w
SET e v PXAT 1
GETDEL e
SET e v PXAT 1
GETEX e PERSIST
SET e 5 PXAT 1
INCR e
TTL e
SET e v PXAT 1
INCRBYFLOAT e 1.5
SET e v PXAT 1
APPEND e w
TTL e
SET e v PXAT 1
STRLEN e
SET e v PXAT 1
SETRANGE e 2 x
GET e
SET e v PXAT 1
GETRANGE e 0 -1
SET e v PXAT 1
LCS e f
SET e v PXAT 1
MGET e f
SET e v PXAT 1
EXISTS e
SET e v PXAT 1
TYPE e
SET e v PXAT 1
DEL e
SET e v PXAT 1
TOUCH e
SET e v PXAT 1
RENAME e g
SET e v PXAT 1
RENAMENX f e
GET e
SET e v PXAT 1
MOVE e 1
SELECT 1
SET mvx there PXAT 1
SELECT 0
SET mvx here
MOVE mvx 1
SELECT 1
GET mvx
SELECT 0
SET e v PXAT 1
COPY e h
SET e v PXAT 1
COPY f e
GET e
SET e v PXAT 1
EXPIRE e 100
SET e v PXAT 1
PERSIST e
SET e v PXAT 1
TTL e
PTTL e
SET e v PXAT 1
EXPIRETIME e
SET e v PXAT 1
OBJECT ENCODING e
SET e v PXAT 1
[sort] KEYS *
SET e v PXAT 1
[scan] SCAN 0
GET e
DBSIZE
# SCAN deletes the expired keys it meets (KEYS only hides them)
SET e v PXAT 1
[sort] KEYS *
[scan] SCAN 0 MATCH e
[scan] SCAN 0 TYPE string
DBSIZE
# --- DBSIZE, FLUSHDB and multiple databases
FLUSHALL
MSET a 1 b 2 c 3
DBSIZE
SELECT 5
DBSIZE
SET a 5
SELECT 0
FLUSHDB
DBSIZE
SELECT 5
GET a
SELECT 0
"#;

fn run_both_protocols(script: &str, name: &str) {
    let Some(redis) = start_redis() else { return };
    let ferro = start_server();
    let mut all = Vec::new();
    let mut total = 0;
    for resp3 in [false, true] {
        let mut pair = Pair::new(&ferro, &redis);
        let label = if resp3 { "RESP3" } else { "RESP2" };
        if resp3 && let Some(m) = pair.compare(&[b"HELLO", b"3"], Norm::Hello) {
            all.push(format!("[{label} HELLO] {m}"));
        }
        let (m, n) = run_script(&mut pair, script, &format!("{name} {label}"));
        all.extend(m);
        total += n;
    }
    eprintln!("{name}: compared {total} replies");
    assert!(
        all.is_empty(),
        "{} of {total} replies differ from Redis:\n{}",
        all.len(),
        all.join("\n")
    );
}

#[test]
fn curated_string_commands_match_redis() {
    run_both_protocols(STRINGS_SCRIPT, "strings");
}

#[test]
fn curated_key_commands_match_redis() {
    run_both_protocols(KEYS_SCRIPT, "keys");
}

/// Differences found in code outside the string and key command files, kept here so they
/// can be checked with `--run-ignored all` once fixed (then move them into the scripts).
/// Differences found outside strings.rs/keys.rs and since fixed.
const FIXED_BUGS_SCRIPT: &str = r#"
FLUSHALL
# SELECT reads its index with getIntFromObjectOrReply
SELECT 4294967296
SELECT 2147483648
SELECT -1
# the DEBUG refusal always says "local", whatever the setting
DEBUG foo
"#;

#[test]
fn fixed_differences_match_redis() {
    run_both_protocols(FIXED_BUGS_SCRIPT, "fixed-bugs");
}

const KNOWN_BUGS_SCRIPT: &str = r#"
FLUSHALL
# storage/value.rs: COPY of a shared small integer makes an unshared copy (refcount 1)
SET cpi 5
COPY cpi cpi2
OBJECT REFCOUNT cpi2
# commands/table.rs: ACL categories in Redis's order, key-spec flags
COMMAND INFO get
COMMAND INFO set
"#;

#[test]
#[ignore = "known ferrokv differences outside strings.rs/keys.rs; see KNOWN_BUGS_SCRIPT"]
fn known_differences_outside_owned_files() {
    run_both_protocols(KNOWN_BUGS_SCRIPT, "known-bugs");
}

// ---------------------------------------------------------------------------------------
// Seeded random workload
// ---------------------------------------------------------------------------------------

/// Random commands over a small keyspace, with valid and invalid arguments.
struct Workload {
    rng: StdRng,
    /// A base for absolute deadlines, far beyond any relative TTL the workload sets, so
    /// GT/LT comparisons never depend on when a command ran.
    abs_base_s: i64,
}

const KEYS: &[&[u8]] = &[
    b"k0", b"k1", b"k2", b"k3", b"k4", b"k5", b"k6", b"k7", b"k8", b"k9", b"k10", b"k11", b"k12",
    b"k13", b"k14", b"k15", b"", b"b\x00k", b"k?x", b"K0",
];

impl Workload {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.random_range(0..items.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn key(&mut self) -> Vec<u8> {
        self.pick(KEYS).to_vec()
    }

    fn value(&mut self) -> Vec<u8> {
        match self.rng.random_range(0..12) {
            0 => self.rng.random_range(-5i64..100).to_string().into_bytes(),
            1 => self
                .pick(&[
                    "9223372036854775807",
                    "-9223372036854775808",
                    "9223372036854775806",
                    "-9223372036854775807",
                    "9223372036854775808",
                    "0",
                    "-0",
                ])
                .as_bytes()
                .to_vec(),
            2 => self
                .pick(&[
                    "1.5", "-0.25", "3e2", "10.5", "0.1", "1e308", "inf", "5.0e3",
                ])
                .as_bytes()
                .to_vec(),
            3 => self
                .pick(&["007", "+1", " 1", "1 ", "1e3", "0x10", "1\x00"])
                .as_bytes()
                .to_vec(),
            4 => Vec::new(),
            5 => b"\x00\xff\r\n".to_vec(),
            6 => vec![b'a'; self.rng.random_range(40..50)],
            7 => {
                let n = self.rng.random_range(0..120);
                (0..n).map(|_| self.rng.random_range(b'a'..=b'e')).collect()
            }
            8 => self
                .rng
                .random_range(10_000i64..1_000_000)
                .to_string()
                .into_bytes(),
            _ => self
                .pick(&["abc", "hello world", "ohmytext", "mynewtext", "x"])
                .as_bytes()
                .to_vec(),
        }
    }

    fn int_arg(&mut self) -> Vec<u8> {
        match self.rng.random_range(0..10) {
            0 => self
                .pick(&[
                    "9223372036854775807",
                    "-9223372036854775808",
                    "9223372036854775808",
                    "abc",
                    "",
                    "1.5",
                    " 1",
                ])
                .as_bytes()
                .to_vec(),
            1 => self
                .rng
                .random_range(i64::MIN..i64::MAX)
                .to_string()
                .into_bytes(),
            _ => self.rng.random_range(-100i64..100).to_string().into_bytes(),
        }
    }

    fn float_arg(&mut self) -> Vec<u8> {
        match self.rng.random_range(0..6) {
            0 => self
                .pick(&[
                    "inf", "-inf", "nan", "abc", "", "1e400", "0x10", " 1", "1e308",
                ])
                .as_bytes()
                .to_vec(),
            1 => self.rng.random_range(-100i64..100).to_string().into_bytes(),
            2 => format!("{:e}", self.rng.random_range(-1e10..1e10)).into_bytes(),
            _ => format!("{:.3}", self.rng.random_range(-1000.0..1000.0)).into_bytes(),
        }
    }

    /// A relative expire value (seconds or ms), sometimes invalid or non-positive.
    fn rel_time(&mut self, millis: bool) -> Vec<u8> {
        match self.rng.random_range(0..10) {
            0 => self
                .pick(&[
                    "0",
                    "-1",
                    "abc",
                    "9223372036854775807",
                    "-9223372036854775808",
                ])
                .as_bytes()
                .to_vec(),
            _ => {
                let s = self.rng.random_range(1000i64..100_000);
                (if millis {
                    s * 1000 + self.rng.random_range(0..1000)
                } else {
                    s
                })
                .to_string()
                .into_bytes()
            }
        }
    }

    /// An absolute deadline (unix s or ms): far in the future, or in the past.
    fn abs_time(&mut self, millis: bool) -> Vec<u8> {
        match self.rng.random_range(0..10) {
            0 => self.pick(&["0", "1", "-5", "abc"]).as_bytes().to_vec(),
            _ => {
                let s = self.abs_base_s + self.rng.random_range(0..1000);
                (if millis {
                    s * 1000 + self.rng.random_range(0..1000)
                } else {
                    s
                })
                .to_string()
                .into_bytes()
            }
        }
    }

    /// SET/GETEX options: a random mix, valid or not.
    fn ext_opts(&mut self, out: &mut Vec<Vec<u8>>, for_set: bool) {
        for _ in 0..self.rng.random_range(0..3) {
            match self.rng.random_range(0..9) {
                0 => out.push(b"NX".to_vec()),
                1 => out.push(b"XX".to_vec()),
                2 => out.push(b"GET".to_vec()),
                3 => out.push(b"KEEPTTL".to_vec()),
                4 => out.push(if for_set {
                    b"keepttl".to_vec()
                } else {
                    b"PERSIST".to_vec()
                }),
                5 => {
                    out.push(b"EX".to_vec());
                    out.push(self.rel_time(false));
                }
                6 => {
                    out.push(b"PX".to_vec());
                    out.push(self.rel_time(true));
                }
                7 => {
                    out.push(b"EXAT".to_vec());
                    out.push(self.abs_time(false));
                }
                _ => {
                    out.push(b"PXAT".to_vec());
                    out.push(self.abs_time(true));
                }
            }
        }
    }

    /// EXPIRE-family flags: NX/XX with relative times; any flags (GT/LT too) with absolute
    /// ones. Invalid combinations are errors before any time is read.
    fn expire_flags(&mut self, out: &mut Vec<Vec<u8>>, absolute: bool) {
        let choices: &[&str] = if absolute {
            &["NX", "XX", "GT", "LT", "gt", "FOO"]
        } else {
            &["NX", "XX", "xx", "FOO"]
        };
        for _ in 0..self.rng.random_range(0..3) {
            out.push(self.pick(choices).as_bytes().to_vec());
        }
    }

    /// The next command and how to compare its reply.
    fn command(&mut self) -> (Vec<Vec<u8>>, Norm) {
        let mut a: Vec<Vec<u8>> = Vec::new();
        let mut norm = Norm::Exact;
        let name = *self.pick(&[
            "GET",
            "SET",
            "SET",
            "SET",
            "SETNX",
            "SETEX",
            "PSETEX",
            "GETSET",
            "GETDEL",
            "GETEX",
            "MGET",
            "MSET",
            "MSETNX",
            "APPEND",
            "STRLEN",
            "INCR",
            "DECR",
            "INCRBY",
            "DECRBY",
            "INCRBYFLOAT",
            "GETRANGE",
            "SUBSTR",
            "SETRANGE",
            "LCS",
            "DEL",
            "UNLINK",
            "EXISTS",
            "TYPE",
            "KEYS",
            "SCAN",
            "RANDOMKEY",
            "RENAME",
            "RENAMENX",
            "MOVE",
            "COPY",
            "EXPIRE",
            "PEXPIRE",
            "EXPIREAT",
            "PEXPIREAT",
            "TTL",
            "PTTL",
            "EXPIRETIME",
            "PEXPIRETIME",
            "PERSIST",
            "TOUCH",
            "OBJECT",
            "SELECT",
            "DBSIZE",
            "INCR",
            "GET",
        ]);
        a.push(name.as_bytes().to_vec());
        match name {
            "GET" | "GETDEL" | "STRLEN" | "INCR" | "DECR" | "TYPE" | "PERSIST" => {
                a.push(self.key())
            }
            "TTL" | "PTTL" | "EXPIRETIME" | "PEXPIRETIME" => {
                a.push(self.key());
                norm = Norm::Ttl;
            }
            "SET" => {
                a.push(self.key());
                a.push(self.value());
                self.ext_opts(&mut a, true);
            }
            "GETEX" => {
                a.push(self.key());
                self.ext_opts(&mut a, false);
            }
            "SETNX" | "GETSET" | "APPEND" => {
                a.push(self.key());
                a.push(self.value());
            }
            "SETEX" | "PSETEX" => {
                a.push(self.key());
                a.push(self.rel_time(name == "PSETEX"));
                a.push(self.value());
            }
            "MGET" | "DEL" | "UNLINK" | "EXISTS" | "TOUCH" => {
                for _ in 0..self.rng.random_range(1..5) {
                    a.push(self.key());
                }
            }
            "MSET" | "MSETNX" => {
                for _ in 0..self.rng.random_range(1..4) {
                    a.push(self.key());
                    a.push(self.value());
                }
                if self.chance(0.1) {
                    a.pop();
                }
            }
            "INCRBY" | "DECRBY" => {
                a.push(self.key());
                a.push(self.int_arg());
            }
            "INCRBYFLOAT" => {
                a.push(self.key());
                a.push(self.float_arg());
            }
            "GETRANGE" | "SUBSTR" => {
                a.push(self.key());
                a.push(self.int_arg());
                a.push(self.int_arg());
            }
            "SETRANGE" => {
                a.push(self.key());
                a.push(match self.rng.random_range(0..10) {
                    0 => self.pick(&["-1", "abc", "536870912"]).as_bytes().to_vec(),
                    _ => self.rng.random_range(0..60).to_string().into_bytes(),
                });
                let v = self.value();
                a.push(v.into_iter().take(20).collect());
            }
            "LCS" => {
                a.push(self.key());
                a.push(self.key());
                for _ in 0..self.rng.random_range(0..3) {
                    match self.rng.random_range(0..5) {
                        0 => a.push(b"LEN".to_vec()),
                        1 => a.push(b"IDX".to_vec()),
                        2 => a.push(b"WITHMATCHLEN".to_vec()),
                        3 => {
                            a.push(b"MINMATCHLEN".to_vec());
                            a.push(self.rng.random_range(-1i64..5).to_string().into_bytes());
                        }
                        _ => a.push(b"FOO".to_vec()),
                    }
                }
            }
            "KEYS" => {
                let p = self.pick(&["*", "k*", "k?", "k1*", "[a-k]*", "*\\?*", "k[^1]", "", "K*"]);
                a.push(p.as_bytes().to_vec());
                norm = Norm::Sorted;
            }
            "SCAN" => {
                a.push(b"0".to_vec());
                if self.chance(0.5) {
                    a.push(b"MATCH".to_vec());
                    a.push(self.pick(&["*", "k*", "k1?", "[k]*"]).as_bytes().to_vec());
                }
                if self.chance(0.5) {
                    a.push(b"COUNT".to_vec());
                    a.push(self.rng.random_range(1..30).to_string().into_bytes());
                }
                if self.chance(0.3) {
                    a.push(b"TYPE".to_vec());
                    a.push(self.pick(&["string", "list", "hash"]).as_bytes().to_vec());
                }
                norm = Norm::ScanAll;
            }
            "RANDOMKEY" => norm = Norm::Random,
            "RENAME" | "RENAMENX" => {
                a.push(self.key());
                a.push(self.key());
            }
            "MOVE" => {
                a.push(self.key());
                a.push(
                    self.pick(&["0", "1", "2", "16", "-1", "x"])
                        .as_bytes()
                        .to_vec(),
                );
            }
            "COPY" => {
                a.push(self.key());
                a.push(self.key());
                if self.chance(0.3) {
                    a.push(b"DB".to_vec());
                    a.push(self.pick(&["0", "1", "2", "99"]).as_bytes().to_vec());
                }
                if self.chance(0.4) {
                    a.push(b"REPLACE".to_vec());
                }
            }
            "EXPIRE" | "PEXPIRE" => {
                a.push(self.key());
                a.push(self.rel_time(name == "PEXPIRE"));
                self.expire_flags(&mut a, false);
            }
            "EXPIREAT" | "PEXPIREAT" => {
                a.push(self.key());
                a.push(self.abs_time(name == "PEXPIREAT"));
                self.expire_flags(&mut a, true);
            }
            "OBJECT" => {
                a.push(b"ENCODING".to_vec());
                a.push(self.key());
            }
            "SELECT" => a.push(self.pick(&["0", "0", "1", "2"]).as_bytes().to_vec()),
            _ => {} // DBSIZE
        }
        (a, norm)
    }
}

/// Run `ops` random commands from `seed` on both servers; `Err` describes the first
/// mismatch (later replies would only repeat its consequences).
/// Per command name: (replies that were errors, replies that were not).
type Coverage = std::collections::BTreeMap<String, (usize, usize)>;

fn run_workload(
    pair: &mut Pair,
    seed: u64,
    ops: usize,
    resp3: bool,
    coverage: &mut Coverage,
) -> Result<(), String> {
    let mut w = Workload {
        rng: StdRng::seed_from_u64(seed),
        abs_base_s: now_ms() / 1000 + 10_000_000,
    };
    for setup in [
        &[b"HELLO" as &[u8], if resp3 { b"3" } else { b"2" }][..],
        &[b"SELECT", b"0"],
        &[b"FLUSHALL"],
    ] {
        if let Some(m) = pair.compare(setup, Norm::Hello) {
            return Err(format!("seed {seed}: setup differs: {m}"));
        }
    }
    let mut history: Vec<String> = Vec::new();
    for i in 0..ops {
        let (args, norm) = w.command();
        if args[0] == b"DBSIZE" {
            // Keys whose deadline passed (SET ... PXAT 1) stay counted until something
            // touches them or the active cycle, whose timing differs between the servers,
            // removes them. A full SCAN deletes them all first, in both.
            let scan: [&[u8]; 4] = [b"SCAN", b"0", b"COUNT", b"1000"];
            if let Some(m) = pair.compare(&scan, Norm::ScanAll) {
                return Err(format!("seed {seed}, op {i} (SCAN before DBSIZE): {m}"));
            }
        }
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let line = refs.iter().map(|a| show(a)).collect::<Vec<_>>().join(" ");
        if let Some(m) = pair.compare(&refs, norm) {
            let from = history.len().saturating_sub(15);
            return Err(format!(
                "seed {seed} ({}), op {i}: {m}\n  preceding commands:\n    {}",
                if resp3 { "RESP3" } else { "RESP2" },
                history[from..].join("\n    ")
            ));
        }
        history.push(line);
        let c = coverage
            .entry(String::from_utf8_lossy(&args[0]).into_owned())
            .or_default();
        if pair.last_kind == b'-' {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    }
    Ok(())
}

#[test]
fn random_workload_matches_redis() {
    let Some(redis) = start_redis() else { return };
    let ferro = start_server();
    let mut pair = Pair::new(&ferro, &redis);
    let ops = 2_000;
    let mut failures = Vec::new();
    let mut total = 0;
    let mut coverage = Coverage::new();
    for (seed, resp3) in [
        (1, false),
        (2, false),
        (3, false),
        (4, false),
        (5, false),
        (6, true),
        (7, true),
    ] {
        total += ops;
        if let Err(e) = run_workload(&mut pair, seed, ops, resp3, &mut coverage) {
            failures.push(e);
        }
    }
    eprintln!("random workload: {total} operations over 7 seeds");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The generator must exercise both success and error paths of every command.
    let errors: usize = coverage.values().map(|c| c.0).sum();
    eprintln!("replies (errors, others) per command: {coverage:?}");
    assert!(
        errors * 20 > total && errors * 3 < total,
        "error replies should be 5%..33% of the workload, got {errors} of {total}"
    );
    for (name, (_, ok)) in &coverage {
        assert!(*ok > 0, "{name} never succeeded in the random workload");
    }
    assert!(
        coverage.len() >= 45,
        "only {} commands exercised",
        coverage.len()
    );
}

/// Commands whose effect on INFO's keyspace statistics is compared.
const STATS_SCRIPT: &str = r#"
SET a 1
SET b abc
GET a
GET nokey
MGET a b nokey
EXISTS a nokey a
TOUCH a nokey
TYPE a
TYPE nokey
TTL a
PTTL nokey
EXPIRETIME a
OBJECT ENCODING a
OBJECT ENCODING nokey
STRLEN b
STRLEN nokey
GETRANGE b 0 1
APPEND b x
INCR a
INCRBYFLOAT a 1
SETRANGE b 0 z
GETSET b 1
GETDEL b
GETEX a
SETNX a 2
SET a 3 NX
SET a 3 XX GET
LCS a nokey
RENAME a c
COPY c d
MOVE d 1
EXPIRE c 100
PERSIST c
DEL c nokey
KEYS *
RANDOMKEY
SET t v PXAT 1
GET t
SET x v
EXPIRE x -1
SET x v
GETEX x EXAT 1
SET x v
PEXPIREAT x 1
SET t v EX 100
GETDEL t
"#;

/// INFO's (keyspace_hits, keyspace_misses).
fn keyspace_stats(c: &mut RespClient) -> (i64, i64) {
    let info = c.val(&["INFO", "stats"]);
    let text = String::from_utf8_lossy(info.bytes()).into_owned();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in INFO stats of {}", c.name))
    };
    (field("keyspace_hits:"), field("keyspace_misses:"))
}

#[test]
fn keyspace_hit_and_miss_counts_match_redis() {
    let Some(redis) = start_redis() else { return };
    let ferro = start_server();
    let mut pair = Pair::new(&ferro, &redis);
    let mut mismatches = Vec::new();
    let mut before = (
        keyspace_stats(&mut pair.ferro),
        keyspace_stats(&mut pair.redis),
    );
    // Compare each command's effect, so a difference names the command that caused it.
    for line in script_lines(STATS_SCRIPT) {
        let (norm, args) = parse_script_line(line);
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        if let Some(m) = pair.compare(&refs, norm) {
            mismatches.push(m);
        }
        let after = (
            keyspace_stats(&mut pair.ferro),
            keyspace_stats(&mut pair.redis),
        );
        let delta = |a: (i64, i64), b: (i64, i64)| (a.0 - b.0, a.1 - b.1);
        let (f, r) = (delta(after.0, before.0), delta(after.1, before.1));
        if f != r {
            mismatches.push(format!(
                "{line}: (hits, misses) +{r:?} in redis, +{f:?} in ferrokv"
            ));
        }
        before = after;
    }
    // Keys found expired (lazily or by the active cycle) count in expired_keys; keys deleted
    // by a command because of a past deadline do not. Compared once, at the end, since the
    // active cycle may take a key before the command that would have.
    let expired = |c: &mut RespClient| {
        let info = c.val(&["INFO", "stats"]);
        String::from_utf8_lossy(info.bytes())
            .lines()
            .find(|l| l.starts_with("expired_keys:"))
            .map(str::to_string)
    };
    let (f, r) = (expired(&mut pair.ferro), expired(&mut pair.redis));
    assert!(r.is_some());
    if f != r {
        mismatches.push(format!("at the end: redis {r:?}, ferrokv {f:?}"));
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Both scripts sent in one write per server (a deep pipeline), replies compared in order.
#[test]
fn curated_scripts_pipelined_match_redis() {
    let Some(redis) = start_redis() else { return };
    let ferro = start_server();
    let mut pair = Pair::new(&ferro, &redis);
    let mut lines: Vec<(Norm, Vec<Vec<u8>>)> = Vec::new();
    for script in [STRINGS_SCRIPT, KEYS_SCRIPT] {
        lines.extend(
            script_lines(script)
                .map(parse_script_line)
                .filter(|(norm, _)| *norm != Norm::ScanAll),
        );
    }
    let mut batch = Vec::new();
    for (_, args) in &lines {
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        batch.extend(encode_request(&refs));
    }
    pair.ferro.send_raw(&batch);
    pair.redis.send_raw(&batch);
    let mut mismatches = Vec::new();
    for (norm, args) in &lines {
        let (f, r) = (pair.ferro.read_reply(), pair.redis.read_reply());
        if normalise(*norm, &f) != normalise(*norm, &r) {
            mismatches.push(format!(
                "{}\n    redis:   {}\n    ferrokv: {}",
                args.iter().map(|a| show(a)).collect::<Vec<_>>().join(" "),
                show(&r),
                show(&f)
            ));
        }
    }
    eprintln!("pipelined: compared {} replies", lines.len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// redis-cli's own rendering of replies (types, nesting, nil, errors) must be identical.
#[test]
fn redis_cli_output_matches_redis() {
    let Some(redis) = start_redis() else { return };
    let Some(cli) = require_tool("redis-cli") else {
        return;
    };
    let ferro = start_server();
    // redis-cli reads one command per line with its own quoting rules.
    let script = r#"
SET k v
GET k
GET nokey
SET k v NX
MSET a 1 b 2
MGET a b nokey
INCR a
INCRBYFLOAT a 1.5
INCR nokey
INCRBY k 1
APPEND k "\x00\r\n"
GET k
STRLEN k
GETRANGE k 0 -1
SETRANGE k 1 "x y"
LCS a b IDX WITHMATCHLEN
SET l1 ohmytext
SET l2 mynewtext
LCS l1 l2 IDX MINMATCHLEN 2 WITHMATCHLEN
EXISTS a b c
TYPE a
RENAME nokey x
EXPIRE a 100 NX XX
EXPIREAT a 4102444800
EXPIRETIME a
OBJECT ENCODING a
OBJECT HELP
SET "" ""
GET ""
FOOBAR x
SET
"#;
    let run = |port: u16, extra: &[&str]| -> String {
        use std::io::Write as _;
        let mut child = std::process::Command::new(&cli)
            .args(["-p", &port.to_string(), "--no-raw"])
            .args(extra)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn redis-cli");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.trim_start().as_bytes())
            .unwrap();
        let out = child.wait_with_output().expect("redis-cli output");
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    for extra in [&[][..], &["-3"]] {
        let (f, r) = (run(ferro.port, extra), run(redis.port, extra));
        let _ = pair_flush(&ferro, &redis);
        assert!(r.contains("mytext") || r.contains("matches"), "{r}");
        if f != r {
            let diff: Vec<String> = f
                .lines()
                .zip(r.lines())
                .filter(|(a, b)| a != b)
                .map(|(a, b)| format!("  redis:   {b}\n  ferrokv: {a}"))
                .collect();
            panic!(
                "redis-cli {extra:?} output differs ({} vs {} lines):\n{}",
                r.lines().count(),
                f.lines().count(),
                diff.join("\n")
            );
        }
    }
}

/// FLUSHALL on both servers.
fn pair_flush(ferro: &TestServer, redis: &RedisServer) -> (Vec<u8>, Vec<u8>) {
    (
        ferro.client().cmd(&["FLUSHALL"]),
        redis.client().cmd(&["FLUSHALL"]),
    )
}

/// Size limits: proto-max-bulk-len for SETRANGE/APPEND and LCS's transient table.
#[test]
fn size_limits_match_redis() {
    let Some(redis) = start_redis() else { return };
    let ferro = start_server();
    let mut pair = Pair::new(&ferro, &redis);
    let a12k = "a".repeat(12_000);
    let b12k = "b".repeat(12_000);
    let x300: String = (0..300)
        .map(|i| (b'a' + (i * 7 % 26) as u8) as char)
        .collect();
    let y300: String = (0..300)
        .map(|i| (b'a' + (i * 11 % 26) as u8) as char)
        .collect();
    let script: Vec<Vec<&str>> = vec![
        vec!["SET", "lb1", &a12k],
        vec!["SET", "lb2", &b12k],
        // (12001 × 12001) u32 cells exceed 512 MB.
        vec!["LCS", "lb1", "lb2"],
        vec!["LCS", "lb1", "lb2", "LEN"],
        vec!["LCS", "lb1", "nokey"],
        vec!["SET", "x", &x300],
        vec!["SET", "y", &y300],
        vec!["LCS", "x", "y"],
        vec!["LCS", "x", "y", "IDX", "MINMATCHLEN", "3", "WITHMATCHLEN"],
        vec!["CONFIG", "SET", "proto-max-bulk-len", "1mb"],
        vec!["SETRANGE", "s", "1048576", "a"],
        vec!["SETRANGE", "s", "1048575", "ab"],
        vec!["SETRANGE", "s", "1048575", "a"],
        vec!["APPEND", "s", "b"],
        vec!["STRLEN", "s"],
        vec!["LCS", "lb1", "x"],
        vec!["LCS", "x", "y", "LEN"],
        vec!["CONFIG", "SET", "proto-max-bulk-len", "512mb"],
        vec!["APPEND", "s", "b"],
        vec!["DEL", "s"],
    ];
    let mut mismatches = Vec::new();
    for args in &script {
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        if let Some(m) = pair.compare(&refs, Norm::Exact) {
            mismatches.push(m);
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
