//! Differential tests of the hash commands: the same requests go to ferrokv and to a real
//! Redis 7.0 `redis-server`, in RESP2 and RESP3, and the raw reply bytes must be equal.
//!
//! Only what Redis itself leaves unspecified is normalised: the order of a hashtable's
//! fields (HKEYS/HVALS/HGETALL compared sorted), HSCAN cursors over a hashtable (the scan is
//! run to completion and the sets of pairs compared), and HRANDFIELD's choice (compared by
//! shape and count, and every returned field/value must belong to the hash).
//!
//! When redis-server is not installed the tests print a notice and pass, unless CI or
//! FERROKV_REQUIRE_REDIS=1 is set (then they fail).

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Norm {
    Exact,
    /// An array whose order is unspecified (HKEYS/HVALS of a hashtable).
    Sorted,
    /// Field/value pairs in a flat array or a map, order unspecified (HGETALL).
    Pairs,
    /// HRANDFIELD: shape and count; membership is checked separately.
    Random,
    /// HSCAN run to completion: the set of pairs.
    ScanAll,
}

fn canonical(norm: Norm, reply: &[u8]) -> String {
    if norm == Norm::Exact || reply.first() == Some(&b'-') {
        return show(reply);
    }
    let v = parse(reply);
    match (norm, v) {
        (Norm::Sorted, Resp::Array(mut items)) => {
            items.sort_by_key(|i| format!("{i:?}"));
            format!("{:?}", Resp::Array(items))
        }
        (Norm::Pairs, Resp::Map(m)) => {
            let mut p: Vec<String> = m.iter().map(|kv| format!("{kv:?}")).collect();
            p.sort();
            format!("map{p:?}")
        }
        (Norm::Pairs, Resp::Array(mut a)) if a.iter().all(|i| matches!(i, Resp::Array(_))) => {
            a.sort_by_key(|i| format!("{i:?}"));
            format!("{:?}", Resp::Array(a))
        }
        (Norm::Pairs, Resp::Array(a)) => {
            let mut p: Vec<String> = a
                .chunks(2)
                .map(|kv| format!("{:?}", (&kv[0], kv.get(1))))
                .collect();
            p.sort();
            format!("flat{p:?}")
        }
        (Norm::Random, v) => shape(&v),
        (_, v) => format!("{v:?}"),
    }
}

/// The type structure of a reply, without its strings.
fn shape(v: &Resp) -> String {
    match v {
        Resp::Bulk(_) => "bulk".into(),
        Resp::Array(items) => format!(
            "[{}]",
            items.iter().map(shape).collect::<Vec<_>>().join(",")
        ),
        other => format!("{other:?}"),
    }
}

/// Every field (and value) in an HRANDFIELD reply must be in `hash` (field → value).
fn check_membership(
    args: &[&[u8]],
    reply: &[u8],
    hash: &[(Vec<u8>, Vec<u8>)],
) -> Result<(), String> {
    if reply.first() == Some(&b'-') {
        return Ok(());
    }
    let withvalues = args.len() == 4;
    let get = |f: &[u8]| hash.iter().find(|(k, _)| k == f).map(|(_, v)| v.clone());
    let check = |f: &Resp, v: Option<&Resp>| -> Result<(), String> {
        let f = f.bytes();
        let Some(val) = get(f) else {
            return Err(format!("field {} is not in the hash", show(f)));
        };
        if let Some(v) = v
            && v.bytes() != val.as_slice()
        {
            return Err(format!(
                "value {} is not the value of {}",
                show(v.bytes()),
                show(f)
            ));
        }
        Ok(())
    };
    let v = parse(reply);
    match &v {
        Resp::Nil => Ok(()),
        Resp::Bulk(_) => check(&v, None),
        Resp::Array(items) => {
            let mut fields = Vec::new();
            if withvalues && items.first().is_some_and(|i| matches!(i, Resp::Array(_))) {
                for p in items {
                    let p = p.array();
                    check(&p[0], Some(&p[1]))?;
                    fields.push(p[0].bytes().to_vec());
                }
            } else if withvalues {
                for p in items.chunks(2) {
                    check(&p[0], Some(&p[1]))?;
                    fields.push(p[0].bytes().to_vec());
                }
            } else {
                for f in items {
                    check(f, None)?;
                    fields.push(f.bytes().to_vec());
                }
            }
            // A positive count returns distinct fields.
            let positive = args.get(2).is_some_and(|c| !c.starts_with(b"-"));
            let n = fields.len();
            fields.sort();
            fields.dedup();
            if positive && fields.len() != n {
                return Err("repeated field for a positive count".into());
            }
            Ok(())
        }
        other => Err(format!("unexpected reply {other:?}")),
    }
}

fn hash_contents(c: &mut RespClient, key: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let reply = c.cmd_b(&[b"HGETALL", key]);
    if reply.first() == Some(&b'-') {
        return Vec::new();
    }
    match parse(&reply) {
        Resp::Map(m) => m
            .iter()
            .map(|(k, v)| (k.bytes().to_vec(), v.bytes().to_vec()))
            .collect(),
        Resp::Array(a) => a
            .chunks(2)
            .map(|p| (p[0].bytes().to_vec(), p[1].bytes().to_vec()))
            .collect(),
        _ => Vec::new(),
    }
}

/// HSCAN to completion: the sorted, deduplicated pairs, or the first error reply.
fn scan_all(c: &mut RespClient, args: &[&[u8]]) -> Vec<u8> {
    let mut args: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
    let mut pairs = Vec::new();
    for _ in 0..10_000 {
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let reply = c.cmd_b(&refs);
        if reply.starts_with(b"-") {
            return reply;
        }
        let v = parse(&reply);
        let parts = v.array();
        for p in parts[1].array().chunks(2) {
            pairs.push((p[0].bytes().to_vec(), p[1].bytes().to_vec()));
        }
        let cursor = parts[0].bytes().to_vec();
        if cursor == b"0" {
            pairs.sort();
            pairs.dedup();
            let items: Vec<Vec<u8>> = pairs.iter().flat_map(|(f, v)| [bulk(f), bulk(v)]).collect();
            return array(&items);
        }
        args[2] = cursor;
    }
    panic!(
        "HSCAN did not finish within 10,000 calls on port {}",
        c.port
    );
}

struct Pair {
    ferro: RespClient,
    redis: RespClient,
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
        let line = args.iter().map(|a| show(a)).collect::<Vec<_>>().join(" ");
        if norm == Norm::Random {
            let key = args.get(1).copied().unwrap_or(b"");
            for (name, c, reply) in [
                ("ferrokv", &mut self.ferro, &f),
                ("redis", &mut self.redis, &r),
            ] {
                let contents = hash_contents(c, key);
                if let Err(e) = check_membership(args, reply, &contents) {
                    return Some(format!("{line}\n    {name}: {e}: {}", show(reply)));
                }
            }
        }
        if f == r || canonical(norm, &f) == canonical(norm, &r) {
            return None;
        }
        Some(format!(
            "{line}\n    redis:   {}\n    ferrokv: {}",
            show(&r),
            show(&f)
        ))
    }

    /// Both servers' OBJECT ENCODING of `key` (compared), Redis's returned.
    fn encoding(&mut self, key: &[u8]) -> Result<Vec<u8>, String> {
        let (f, r) = (
            self.ferro.cmd_b(&[b"OBJECT", b"ENCODING", key]),
            self.redis.cmd_b(&[b"OBJECT", b"ENCODING", key]),
        );
        if f != r {
            return Err(format!(
                "OBJECT ENCODING {}\n    redis:   {}\n    ferrokv: {}",
                show(key),
                show(&r),
                show(&f)
            ));
        }
        Ok(r)
    }
}

fn parse_script_line(line: &str) -> (Norm, Vec<Vec<u8>>) {
    let (norm, rest) = match line.strip_prefix('[') {
        Some(r) => {
            let (tag, rest) = r.split_once(']').expect("closing ]");
            let norm = match tag {
                "sort" => Norm::Sorted,
                "pairs" => Norm::Pairs,
                "random" => Norm::Random,
                "scan" => Norm::ScanAll,
                other => panic!("unknown normaliser [{other}]"),
            };
            (norm, rest)
        }
        None => (Norm::Exact, line),
    };
    (norm, split_line(rest))
}

/// Every hash command, option and error path. Hashes stay listpacks (exact order) unless
/// a line says otherwise.
const SCRIPT: &str = r#"
FLUSHALL
# --- HSET / HMSET / HGET
HSET h a 1
HSET h a 2 b 3
HSET h a 2 a 4
HSET h a
HSET h a 1 b
HSET h
HSET
HMSET h c 5 d 6
HMSET h c 5 d
HMSET h c
HGET h a
HGET h zz
HGET nokey a
HGET h
HGET h a b
HSET h "" ""
HGET h ""
HSET h "bin\x00field" "bin\x00value\r\n"
HGET h "bin\x00field"
HGETALL h
HKEYS h
HVALS h
HLEN h
HLEN nokey
HLEN
HKEYS nokey
HVALS nokey
HGETALL nokey
HKEYS h x
# --- integers in a listpack
HSET n 1 -1 01 +1 -0 0 9223372036854775807 -9223372036854775808 9223372036854775808 x 1.0 2
HGETALL n
HGET n 01
HGET n 1
HEXISTS n +1
HSTRLEN n 9223372036854775807
HSTRLEN n -0
HSTRLEN n 1
HSTRLEN n 1.0
# --- HSETNX
HSETNX h a 100
HSETNX h new 100
HGET h new
HSETNX h a
HSETNX h a 1 2
HSETNX nx f v
HGETALL nx
# --- HMGET / HEXISTS / HSTRLEN
HMGET h a zz b a
HMGET nokey a b
HMGET h
HEXISTS h a
HEXISTS h zz
HEXISTS nokey a
HEXISTS h
HSTRLEN h a
HSTRLEN h zz
HSTRLEN nokey a
HSTRLEN h
# --- HDEL
HDEL h a zz a
HDEL h zz
HDEL nokey a
HDEL h
HSET d a 1 b 2
HDEL d a b c
EXISTS d
# --- HINCRBY
HINCRBY c n 5
HINCRBY c n -10
HINCRBY c n 0
HGET c n
HSET c s abc sp " 1" f 1.5 max 9223372036854775807 min -9223372036854775808 e ""
HINCRBY c s 1
HINCRBY c sp 1
HINCRBY c f 1
HINCRBY c e 1
HINCRBY c max 1
HINCRBY c max 0
HINCRBY c min -1
HINCRBY c min 1
HINCRBY c n -9223372036854775808
HINCRBY c n 9223372036854775807
HINCRBY c n 1.5
HINCRBY c n 9223372036854775808
HINCRBY c n ""
HINCRBY c n " 1"
HINCRBY c n abc
HINCRBY c n
HINCRBY nokey2 n x
EXISTS nokey2
# --- HINCRBYFLOAT
HINCRBYFLOAT fl f 1.5
HINCRBYFLOAT fl f 0.1
HINCRBYFLOAT fl f -1.6
HINCRBYFLOAT fl f 5.0e3
HINCRBYFLOAT fl f 1e-20
HINCRBYFLOAT fl f 1e400
HINCRBYFLOAT fl f 1e5000
HINCRBYFLOAT fl f inf
HINCRBYFLOAT fl f -inf
HINCRBYFLOAT fl f nan
HINCRBYFLOAT fl f abc
HINCRBYFLOAT fl f ""
HINCRBYFLOAT fl f " 1"
HINCRBYFLOAT fl f 0x10
HSET fl s abc i 10 e "" big 1e400
HINCRBYFLOAT fl s 1
HINCRBYFLOAT fl e 1
HINCRBYFLOAT fl i 0.5
HINCRBYFLOAT fl i -0.5
HINCRBYFLOAT fl big 1
HSET fl m 1.7976931348623157e308
HINCRBYFLOAT fl m 1.7976931348623157e308
HINCRBYFLOAT fl f
HINCRBYFLOAT nokey3 f x
EXISTS nokey3
OBJECT ENCODING fl
# --- wrong type
SET s v
HSET s a 1
HSETNX s a 1
HMSET s a 1
HGET s a
HMGET s a
HDEL s a
HLEN s
HSTRLEN s a
HEXISTS s a
HKEYS s
HVALS s
HGETALL s
HINCRBY s a 1
HINCRBY s a x
HINCRBYFLOAT s a 1
HINCRBYFLOAT s a x
HINCRBYFLOAT s a inf
HRANDFIELD s
HRANDFIELD s 1
HRANDFIELD s 0
HRANDFIELD s -1 WITHVALUES
HRANDFIELD s x
HRANDFIELD s 1 foo
HSCAN s 0
HSCAN s x
HSCAN s 0 COUNT 0
GET h
# --- HRANDFIELD arguments
HRANDFIELD nokey
HRANDFIELD nokey 5
HRANDFIELD nokey -5 WITHVALUES
HRANDFIELD nokey 0
HRANDFIELD nokey x
HRANDFIELD nokey 1.5
HRANDFIELD nokey 1 foo
HRANDFIELD nokey 1 withvalues x
HRANDFIELD nokey -9223372036854775808
HRANDFIELD nokey 9223372036854775807
HRANDFIELD nokey -9223372036854775807
HRANDFIELD nokey 4611686018427387904 WITHVALUES
HRANDFIELD nokey -4611686018427387904 WITHVALUES
HRANDFIELD nokey 4611686018427387903 WITHVALUES
HRANDFIELD nokey -4611686018427387903 WITHVALUES
HRANDFIELD
HSET one f v
HRANDFIELD one
HRANDFIELD one 0
HRANDFIELD one 0 WITHVALUES
HRANDFIELD one 1
HRANDFIELD one 5
HRANDFIELD one -3
HRANDFIELD one 2 WITHVALUES
HRANDFIELD one -2 withvalues
HRANDFIELD one 1 WITHVALUES
# --- HRANDFIELD on bigger listpacks (random choices)
HSET r f1 v1 f2 v2 f3 v3 f4 v4 f5 v5 f6 v6 f7 v7 f8 v8 f9 v9 f10 v10
[random] HRANDFIELD r
[random] HRANDFIELD r 1
[random] HRANDFIELD r 2
[random] HRANDFIELD r 3 WITHVALUES
[random] HRANDFIELD r 4
[random] HRANDFIELD r 9 WITHVALUES
HRANDFIELD r 10
HRANDFIELD r 11 WITHVALUES
HRANDFIELD r 100
[random] HRANDFIELD r -1
[random] HRANDFIELD r -5 WITHVALUES
[random] HRANDFIELD r -20
[random] HRANDFIELD r -100 WITHVALUES
# --- HSCAN on listpacks: everything, cursor 0
HSCAN h 0
HSCAN h 17
HSCAN h 0 COUNT 1
HSCAN h 0 MATCH a*
HSCAN h 0 MATCH *
HSCAN h 0 MATCH "bin\x00*"
HSCAN h 0 match zz* count 100
HSCAN h 0 MATCH a* MATCH b*
HSCAN h 0 COUNT 5 COUNT 1
HSCAN nokey 0
HSCAN nokey 0 COUNT 0
HSCAN nokey x
HSCAN h x
HSCAN h -1
HSCAN h 18446744073709551615
HSCAN h 18446744073709551616
HSCAN h 0 COUNT 0
HSCAN h 0 COUNT -1
HSCAN h 0 COUNT x
HSCAN h 0 COUNT
HSCAN h 0 MATCH
HSCAN h 0 TYPE string
HSCAN h 0 NOVALUES
HSCAN h
HSCAN n 0 MATCH 9*
# --- conversions
CONFIG SET hash-max-listpack-entries 4
HSET cv a 1 b 2 c 3 d 4
OBJECT ENCODING cv
HSET cv e 5
OBJECT ENCODING cv
HDEL cv a b c d
OBJECT ENCODING cv
HGETALL cv
HSCAN cv 0
CONFIG SET hash-max-listpack-entries 512
HSET cw a xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING cw
HSET cw b xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING cw
HSET cx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 1
OBJECT ENCODING cx
HSET cy a 1
HSETNX cy a xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING cy
HSETNX cy b xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING cy
HSET cz a 1
HINCRBY cz xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 1
OBJECT ENCODING cz
HSET cq a 1
HINCRBYFLOAT cq b 1e100
OBJECT ENCODING cq
CONFIG SET hash-max-listpack-value 0
HSET c0 a 1
OBJECT ENCODING c0
HSET c1 "" ""
OBJECT ENCODING c1
CONFIG SET hash-max-listpack-value 64
CONFIG SET hash-max-listpack-entries 0
HSET c2 a 1
OBJECT ENCODING c2
HSETNX c3 a 1
OBJECT ENCODING c3
HINCRBY c4 a 1
OBJECT ENCODING c4
HINCRBYFLOAT c5 a 1
OBJECT ENCODING c5
# --- hashtables: order-free comparisons
HSET t f1 v1 f2 v2 f3 v3 f4 v4 f5 v5 f6 v6 f7 v7 f8 v8 f9 v9 f10 v10 f11 11 f12 -12
OBJECT ENCODING t
[pairs] HGETALL t
[sort] HKEYS t
[sort] HVALS t
HLEN t
HGET t f11
HMGET t f1 f12 nope
HSTRLEN t f12
HINCRBY t f11 1
HINCRBYFLOAT t f12 0.5
HDEL t f1 f2 nope
[scan] HSCAN t 0
[scan] HSCAN t 0 COUNT 1
[scan] HSCAN t 0 COUNT 3 MATCH f1*
[scan] HSCAN t 0 MATCH nomatch
[random] HRANDFIELD t
[random] HRANDFIELD t 1
[random] HRANDFIELD t 2 WITHVALUES
[random] HRANDFIELD t 3
[random] HRANDFIELD t 4 WITHVALUES
[random] HRANDFIELD t 9
[pairs] HRANDFIELD t 10 WITHVALUES
[sort] HRANDFIELD t 10
[sort] HRANDFIELD t 1000
[random] HRANDFIELD t -50 WITHVALUES
[random] HRANDFIELD t -3
HDEL t f3 f4 f5 f6 f7 f8 f9 f10 f11 f12
EXISTS t
CONFIG SET hash-max-listpack-entries 512
"#;

fn run_script(pair: &mut Pair, script: &str, label: &str) -> (Vec<String>, usize) {
    let mut mismatches = Vec::new();
    let mut n = 0;
    for (i, line) in script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .enumerate()
    {
        let (norm, args) = parse_script_line(line);
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        n += 1;
        if let Some(m) = pair.compare(&refs, norm) {
            mismatches.push(format!("[{label} #{i}] {m}"));
        }
    }
    (mismatches, n)
}

#[test]
fn curated_hash_commands_match_redis() {
    let Some(redis) = start_redis() else { return };
    let ferro = start_server();
    let mut all = Vec::new();
    let mut total = 0;
    for resp3 in [false, true] {
        let mut pair = Pair::new(&ferro, &redis);
        let label = if resp3 { "RESP3" } else { "RESP2" };
        if resp3 {
            pair.ferro.cmd(&["HELLO", "3"]);
            pair.redis.cmd(&["HELLO", "3"]);
        }
        let (m, n) = run_script(&mut pair, SCRIPT, label);
        all.extend(m);
        total += n;
    }
    eprintln!("hashes: compared {total} replies");
    assert!(
        all.is_empty(),
        "{} of {total} replies differ from Redis:\n{}",
        all.len(),
        all.join("\n")
    );
}

/// A random command over a small keyspace: a few hashes, one string, small field and
/// value alphabets with integers and occasional long values (so conversions happen).
struct Workload {
    rng: StdRng,
}

impl Workload {
    fn key(&mut self) -> Vec<u8> {
        match self.rng.random_range(0..10) {
            0 => b"str".to_vec(),
            1 => b"missing".to_vec(),
            n => format!("h{}", n % 4).into_bytes(),
        }
    }

    fn field(&mut self) -> Vec<u8> {
        match self.rng.random_range(0..10) {
            0 => self.rng.random_range(-5i64..20).to_string().into_bytes(),
            1 => vec![b'F'; self.rng.random_range(60..70)],
            2 => Vec::new(),
            _ => format!("f{}", self.rng.random_range(0..25)).into_bytes(),
        }
    }

    fn value(&mut self) -> Vec<u8> {
        match self.rng.random_range(0..10) {
            0..=2 => self
                .rng
                .random_range(-1000i64..1000)
                .to_string()
                .into_bytes(),
            3 => vec![b'v'; self.rng.random_range(60..70)],
            4 => format!(
                "{}.{}",
                self.rng.random_range(0..100),
                self.rng.random_range(0..100)
            )
            .into_bytes(),
            5 => b"abc".to_vec(),
            _ => format!("v{}", self.rng.random_range(0..100)).into_bytes(),
        }
    }

    /// The command, and whether its reply's order depends on the encoding.
    fn command(&mut self) -> (Vec<Vec<u8>>, Norm) {
        let key = self.key();
        let mut a: Vec<Vec<u8>> = Vec::new();
        let mut norm = Norm::Exact;
        let pick = self.rng.random_range(0..100);
        match pick {
            0..=19 => {
                a.push(if pick < 16 {
                    b"HSET".to_vec()
                } else {
                    b"HMSET".to_vec()
                });
                a.push(key);
                for _ in 0..self.rng.random_range(1..4) {
                    a.push(self.field());
                    a.push(self.value());
                }
                if self.rng.random_range(0..30) == 0 {
                    a.pop();
                }
            }
            20..=24 => {
                a = vec![b"HSETNX".to_vec(), key, self.field(), self.value()];
            }
            25..=34 => a = vec![b"HGET".to_vec(), key, self.field()],
            35..=38 => {
                a = vec![b"HMGET".to_vec(), key];
                for _ in 0..self.rng.random_range(1..5) {
                    a.push(self.field());
                }
            }
            39..=46 => {
                a = vec![b"HDEL".to_vec(), key];
                for _ in 0..self.rng.random_range(1..4) {
                    a.push(self.field());
                }
            }
            47..=49 => a = vec![b"HLEN".to_vec(), key],
            50..=52 => a = vec![b"HSTRLEN".to_vec(), key, self.field()],
            53..=55 => a = vec![b"HEXISTS".to_vec(), key, self.field()],
            56..=57 => {
                a = vec![b"HKEYS".to_vec(), key];
                norm = Norm::Sorted;
            }
            58..=59 => {
                a = vec![b"HVALS".to_vec(), key];
                norm = Norm::Sorted;
            }
            60..=62 => {
                a = vec![b"HGETALL".to_vec(), key];
                norm = Norm::Pairs;
            }
            63..=69 => {
                let incr = match self.rng.random_range(0..8) {
                    0 => b"x".to_vec(),
                    1 => b"9223372036854775807".to_vec(),
                    2 => b"-9223372036854775808".to_vec(),
                    _ => self.rng.random_range(-100i64..100).to_string().into_bytes(),
                };
                a = vec![b"HINCRBY".to_vec(), key, self.field(), incr];
            }
            70..=75 => {
                let incr = match self.rng.random_range(0..8) {
                    0 => b"x".to_vec(),
                    1 => b"inf".to_vec(),
                    2 => b"1e300".to_vec(),
                    _ => format!(
                        "{}.{}",
                        self.rng.random_range(-100i64..100),
                        self.rng.random_range(0..1000)
                    )
                    .into_bytes(),
                };
                a = vec![b"HINCRBYFLOAT".to_vec(), key, self.field(), incr];
            }
            76..=83 => {
                a = vec![b"HRANDFIELD".to_vec(), key];
                norm = Norm::Random;
                if self.rng.random_range(0..4) > 0 {
                    a.push(self.rng.random_range(-40i64..40).to_string().into_bytes());
                    if self.rng.random_range(0..2) == 0 {
                        a.push(b"WITHVALUES".to_vec());
                    }
                }
            }
            84..=89 => {
                a = vec![b"HSCAN".to_vec(), key, b"0".to_vec()];
                norm = Norm::ScanAll;
                if self.rng.random_range(0..2) == 0 {
                    a.push(b"COUNT".to_vec());
                    a.push(self.rng.random_range(0..20).to_string().into_bytes());
                }
                if self.rng.random_range(0..2) == 0 {
                    a.push(b"MATCH".to_vec());
                    a.push(b"f1*".to_vec());
                }
            }
            90..=91 => a = vec![b"DEL".to_vec(), key],
            92..=93 => a = vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), key],
            // Not SET: ferrokv's SET over a hash key answers WRONGTYPE (a strings bug,
            // reported); APPEND exercises the same type check both ways.
            94 => a = vec![b"APPEND".to_vec(), key, b"x".to_vec()],
            95..=96 => a = vec![b"TYPE".to_vec(), key],
            _ => a = vec![b"EXISTS".to_vec(), key],
        }
        (a, norm)
    }
}

type Coverage = std::collections::BTreeMap<String, (usize, usize)>;

fn run_workload(
    pair: &mut Pair,
    seed: u64,
    ops: usize,
    resp3: bool,
    entries: &str,
    coverage: &mut Coverage,
) -> Result<(), String> {
    let mut w = Workload {
        rng: StdRng::seed_from_u64(seed),
    };
    let proto: &[u8] = if resp3 { b"3" } else { b"2" };
    for c in [&mut pair.ferro, &mut pair.redis] {
        c.cmd_b(&[b"HELLO", proto]);
        c.cmd_b(&[b"FLUSHALL"]);
        c.cmd_b(&[b"SET", b"str", b"a string"]);
        c.cmd_b(&[
            b"CONFIG",
            b"SET",
            b"hash-max-listpack-entries",
            entries.as_bytes(),
        ]);
    }
    let mut history: Vec<String> = Vec::new();
    for i in 0..ops {
        let (args, mut norm) = w.command();
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        // A listpack's order is Redis's insertion order: compare it exactly.
        if matches!(norm, Norm::Sorted | Norm::Pairs | Norm::ScanAll) {
            let enc = pair
                .encoding(refs[1])
                .map_err(|e| format!("seed {seed}, op {i}: {e}"))?;
            if enc == bulk("listpack") {
                norm = Norm::Exact;
            }
        }
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
    let ops = 1_500;
    let mut failures = Vec::new();
    let mut coverage = Coverage::new();
    let runs = [
        (1, false, "512"),
        (2, false, "8"),
        (3, true, "512"),
        (4, true, "8"),
        (5, false, "0"),
        (6, true, "3"),
    ];
    for (seed, resp3, entries) in runs {
        if let Err(e) = run_workload(&mut pair, seed, ops, resp3, entries, &mut coverage) {
            failures.push(e);
        }
    }
    for c in [&mut pair.ferro, &mut pair.redis] {
        c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "512"]);
    }
    eprintln!(
        "random workload: {} operations; (errors, others) per command: {coverage:?}",
        ops * runs.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    for (name, (_, ok)) in &coverage {
        assert!(*ok > 0, "{name} never succeeded in the random workload");
    }
}
