//! Set commands, differential against a real Redis 7.0: a curated list of edge cases and
//! seeded random workloads, in RESP2 and RESP3.
//!
//! Replies are compared byte for byte, except:
//! - the members of a `hashtable`-encoded set come in an unspecified order, so replies
//!   listing them (SMEMBERS, SINTER, SUNION, SDIFF) are compared as sorted multisets
//!   **unless** Redis answers from an intset, which both must list ascending, byte for
//!   byte. Which case applies is asked of both servers (OBJECT ENCODING of the key that
//!   drives the reply, or of the result stored by the STORE form of the same command);
//! - SSCAN over a hashtable is run to completion on both and the member sets compared;
//! - SPOP and SRANDMEMBER are random: their replies are checked for shape, size and
//!   membership, and after an SPOP the two servers are brought back to the same members
//!   (each removes what the other popped).

mod common;

use std::collections::BTreeSet;

use common::*;

/// How the replies to one request are compared.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cmp {
    Exact,
    /// A list of members whose order depends on the encoding (see the module doc).
    Members,
    Scan,
    Pop,
    RandMember,
}

fn classify(args: &[Vec<u8>]) -> Cmp {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
    match name.as_str() {
        "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" => Cmp::Members,
        "SSCAN" => Cmp::Scan,
        "SPOP" => Cmp::Pop,
        "SRANDMEMBER" => Cmp::RandMember,
        _ => Cmp::Exact,
    }
}

struct Diff {
    ferro: RespClient,
    redis: RespClient,
    _servers: (TestServer, RedisServer),
    /// Requests Redis answered with an error, to check a workload mostly succeeds.
    errors: usize,
    /// The `set-max-intset-entries` both servers run with.
    intset_limit: usize,
    /// How often each comparison path ran: [intset-ordered exact, unordered, full scans,
    /// SPOP resyncs that had to rebuild a key].
    stats: [usize; 4],
}

fn show_args(args: &[Vec<u8>]) -> String {
    args.iter().map(|a| show(a)).collect::<Vec<_>>().join(" ")
}

fn members_of(v: &Resp) -> Vec<Vec<u8>> {
    let mut m: Vec<Vec<u8>> = v.array().iter().map(|r| r.bytes().to_vec()).collect();
    m.sort();
    m
}

/// Same RESP type (array vs set) and same members, ignoring order.
fn same_members(a: &[u8], b: &[u8]) -> bool {
    if a.first() != b.first() {
        return false;
    }
    let (pa, pb) = (parse(a), parse(b));
    match (&pa, &pb) {
        (Resp::Array(_) | Resp::Set(_), Resp::Array(_) | Resp::Set(_)) => {
            members_of(&pa) == members_of(&pb)
        }
        _ => a == b,
    }
}

impl Diff {
    fn new() -> Option<Diff> {
        let redis = start_redis()?;
        let ferro = start_server();
        Some(Diff {
            ferro: ferro.client(),
            redis: redis.client(),
            _servers: (ferro, redis),
            errors: 0,
            intset_limit: 512,
            stats: [0; 4],
        })
    }

    /// Send to both; return (ferrokv, redis) replies.
    fn both(&mut self, args: &[Vec<u8>]) -> (Vec<u8>, Vec<u8>) {
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        (self.ferro.cmd_b(&refs), self.redis.cmd_b(&refs))
    }

    fn both_str(&mut self, args: &[&str]) -> (Vec<u8>, Vec<u8>) {
        let v: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        self.both(&v)
    }

    /// Send to both and require identical bytes.
    fn exact(&mut self, args: &[Vec<u8>], ctx: &str) -> Vec<u8> {
        let (f, r) = self.both(args);
        assert!(
            f == r,
            "{ctx}: {}\n    redis:   {}\n    ferrokv: {}",
            show_args(args),
            show(&r),
            show(&f)
        );
        r
    }

    fn exact_str(&mut self, args: &[&str], ctx: &str) -> Vec<u8> {
        let v: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        self.exact(&v, ctx)
    }

    fn encoding(&mut self, key: &[u8], ctx: &str) -> Vec<u8> {
        self.exact(
            &[b"OBJECT".to_vec(), b"ENCODING".to_vec(), key.to_vec()],
            ctx,
        )
    }

    /// Whether Redis answers `args` (SMEMBERS/SINTER/SUNION/SDIFF) from an intset, asked
    /// of both servers the same way (so their state and statistics stay in step).
    fn intset_ordered(&mut self, args: &[Vec<u8>], ctx: &str) -> bool {
        let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
        let keys = &args[1..];
        match name.as_str() {
            "SMEMBERS" => self.encoding(&keys[0], ctx).ends_with(b"intset\r\n"),
            "SINTER" => {
                // Keys sorted by size, stably; the first one drives the reply order.
                let mut sized = Vec::new();
                for k in keys {
                    let n = self.exact(&[b"SCARD".to_vec(), k.clone()], ctx);
                    sized.push((parse(&n), k.clone()));
                }
                sized.sort_by_key(|(n, _)| match n {
                    Resp::Int(n) => *n,
                    _ => 0,
                });
                let first = sized[0].1.clone();
                self.encoding(&first, ctx).ends_with(b"intset\r\n")
            }
            _ => {
                let mut store = vec![format!("{name}STORE").into_bytes(), b"__probe".to_vec()];
                store.extend_from_slice(keys);
                self.exact(&store, ctx);
                let enc = self.encoding(b"__probe", ctx);
                self.exact_str(&["DEL", "__probe"], ctx);
                enc.ends_with(b"intset\r\n")
            }
        }
    }

    /// Every member of `key` on each server (sorted), read the same way on both.
    fn smembers(&mut self, key: &[u8]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let (f, r) = self.both(&[b"SMEMBERS".to_vec(), key.to_vec()]);
        let get = |b: &[u8]| match parse(b) {
            Resp::Error(_) => Vec::new(),
            v => members_of(&v),
        };
        (get(&f), get(&r))
    }

    /// Run one request and compare as its kind requires.
    fn check(&mut self, args: &[Vec<u8>], ctx: &str) {
        match classify(args) {
            Cmp::Exact => {
                let r = self.exact(args, ctx);
                self.errors += usize::from(r.starts_with(b"-"));
            }
            Cmp::Members => self.check_members(args, ctx),
            Cmp::Scan => self.check_scan(args, ctx),
            Cmp::Pop => self.check_pop(args, ctx),
            Cmp::RandMember => self.check_randmember(args, ctx),
        }
    }

    fn check_members(&mut self, args: &[Vec<u8>], ctx: &str) {
        let (f, r) = self.both(args);
        let report = |what: &str| {
            format!(
                "{ctx} ({what}): {}\n    redis:   {}\n    ferrokv: {}",
                show_args(args),
                show(&r),
                show(&f)
            )
        };
        if r.starts_with(b"-") || f.starts_with(b"-") {
            self.errors += 1;
            assert!(f == r, "{}", report("error"));
            return;
        }
        assert!(same_members(&f, &r), "{}", report("members"));
        if self.intset_ordered(args, ctx) {
            self.stats[0] += 1;
            assert!(f == r, "{}", report("intset order"));
        } else {
            self.stats[1] += 1;
        }
    }

    fn check_scan(&mut self, args: &[Vec<u8>], ctx: &str) {
        let (f, r) = self.both(args);
        if r.starts_with(b"-") || f.starts_with(b"-") {
            self.errors += 1;
            assert!(
                f == r,
                "{ctx}: {}: {} vs {}",
                show_args(args),
                show(&r),
                show(&f)
            );
            return;
        }
        let key = args[1].clone();
        let enc = self.encoding(&key, ctx);
        if enc.ends_with(b"intset\r\n") || !enc.starts_with(b"$") {
            // An intset (or a missing key) answers whole, with cursor 0.
            assert!(
                f == r,
                "{ctx}: {}: {} vs {}",
                show_args(args),
                show(&r),
                show(&f)
            );
            return;
        }
        let finish = |c: &mut RespClient, first: &[u8]| {
            let mut seen = BTreeSet::new();
            let mut reply = parse(first);
            for _ in 0..100_000 {
                let parts = reply.array().to_vec();
                for m in parts[1].array() {
                    seen.insert(m.bytes().to_vec());
                }
                let cursor = parts[0].bytes().to_vec();
                if cursor == b"0" {
                    return seen;
                }
                let mut next = args.to_vec();
                next[2] = cursor;
                let refs: Vec<&[u8]> = next.iter().map(|a| a.as_slice()).collect();
                reply = parse(&c.cmd_b(&refs));
            }
            panic!("SSCAN did not finish");
        };
        self.stats[2] += 1;
        let fs = finish(&mut self.ferro, &f);
        let rs = finish(&mut self.redis, &r);
        assert_eq!(fs, rs, "{ctx}: {} (full scan)", show_args(args));
    }

    fn check_randmember(&mut self, args: &[Vec<u8>], ctx: &str) {
        let key = args[1].clone();
        let (fm, rm) = self.smembers(&key);
        assert_eq!(fm, rm, "{ctx}: members before {}", show_args(args));
        let (f, r) = self.both(args);
        let what = format!(
            "{ctx}: {}\n    redis:   {}\n    ferrokv: {}",
            show_args(args),
            show(&r),
            show(&f)
        );
        let (pf, pr) = (parse(&f), parse(&r));
        match (&pf, &pr) {
            (Resp::Bulk(a), Resp::Bulk(b)) => {
                assert!(rm.contains(a) && rm.contains(b), "{what}");
            }
            (Resp::Array(a), Resp::Array(b)) => {
                assert_eq!(a.len(), b.len(), "{what}");
                let count = parse_count(args);
                let got = members_of(&pf);
                assert!(got.iter().all(|m| rm.contains(m)), "{what}");
                if count > 0 {
                    let distinct: BTreeSet<_> = got.iter().collect();
                    assert_eq!(distinct.len(), got.len(), "distinct: {what}");
                    assert_eq!(got.len() as i64, count.min(rm.len() as i64), "{what}");
                }
            }
            _ => {
                self.errors += usize::from(r.starts_with(b"-"));
                assert!(f == r, "{what}");
            }
        }
    }

    fn check_pop(&mut self, args: &[Vec<u8>], ctx: &str) {
        let key = args[1].clone();
        let (fm, rm) = self.smembers(&key);
        assert_eq!(fm, rm, "{ctx}: members before {}", show_args(args));
        let (f, r) = self.both(args);
        let what = format!(
            "{ctx}: {}\n    redis:   {}\n    ferrokv: {}",
            show_args(args),
            show(&r),
            show(&f)
        );
        let (pf, pr) = (parse(&f), parse(&r));
        let (popped_f, popped_r) = match (&pf, &pr) {
            (Resp::Bulk(a), Resp::Bulk(b)) => (vec![a.clone()], vec![b.clone()]),
            (Resp::Array(_), Resp::Array(_)) | (Resp::Set(_), Resp::Set(_)) => {
                (members_of(&pf), members_of(&pr))
            }
            _ => {
                self.errors += usize::from(r.starts_with(b"-"));
                assert!(f == r, "{what}");
                return;
            }
        };
        assert_eq!(popped_f.len(), popped_r.len(), "{what}");
        for p in popped_f.iter().chain(&popped_r) {
            assert!(rm.contains(p), "{what}: {} was not a member", show(p));
        }
        if popped_r.len() == rm.len() {
            // Everything popped: the reply is the whole set, built as SUNION builds it.
            assert!(same_members(&f, &r), "{what}");
            let all_ints = rm.iter().all(|m| is_canonical_int(m));
            if all_ints && rm.len() <= self.intset_limit {
                assert!(f == r, "ascending intset order: {what}");
            }
        }
        // Bring both back to the same members: each removes what the other popped.
        let srem = |k: &[u8], ms: Vec<&Vec<u8>>| {
            let mut v = vec![b"SREM".to_vec(), k.to_vec()];
            v.extend(ms.into_iter().cloned());
            v
        };
        let only_r: Vec<&Vec<u8>> = popped_r.iter().filter(|m| !popped_f.contains(m)).collect();
        let only_f: Vec<&Vec<u8>> = popped_f.iter().filter(|m| !popped_r.contains(m)).collect();
        if !only_r.is_empty() {
            let refs_v = srem(&key, only_r);
            let refs: Vec<&[u8]> = refs_v.iter().map(|a| a.as_slice()).collect();
            self.ferro.cmd_b(&refs);
            let refs_v = srem(&key, only_f);
            let refs: Vec<&[u8]> = refs_v.iter().map(|a| a.as_slice()).collect();
            self.redis.cmd_b(&refs);
        }
        let (fm, rm) = self.smembers(&key);
        assert_eq!(fm, rm, "{ctx}: members after resync of {}", show_args(args));
        // SPOP's rebuild strategy picks the encoding from the members that stayed, which
        // differ: rebuild the key the same way on both when the encodings differ.
        let (fe, re) = self.both(&[b"OBJECT".to_vec(), b"ENCODING".to_vec(), key.clone()]);
        if fe != re {
            self.stats[3] += 1;
            self.both(&[b"DEL".to_vec(), key.clone()]);
            let mut sadd = vec![b"SADD".to_vec(), key.clone()];
            sadd.extend(rm);
            self.exact(&sadd, ctx);
        }
    }
}

fn parse_count(args: &[Vec<u8>]) -> i64 {
    args.get(2)
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| c.parse().ok())
        .unwrap_or(1)
}

fn is_canonical_int(m: &[u8]) -> bool {
    std::str::from_utf8(m)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .is_some_and(|v| v.to_string().as_bytes() == m)
}

const CURATED: &str = r#"
SADD s1 3 1 2
SADD s1 2 4
SMEMBERS s1
SCARD s1
SISMEMBER s1 2
SISMEMBER s1 02
SISMEMBER s1 -0
SMISMEMBER s1 1 5 2
SMISMEMBER nosuch 1
OBJECT ENCODING s1
SADD s2 a b c 1
OBJECT ENCODING s2
SMEMBERS s2
SADD s3 9223372036854775807 -9223372036854775808 0
SMEMBERS s3
SADD s3 9223372036854775808
OBJECT ENCODING s3
SREM s3 9223372036854775808
OBJECT ENCODING s3
SMEMBERS s3
SREM s1 1 9 1
SREM nosuch a
SREM s1
SADD s1
SINTER s1 s2
SINTER s1 s1 s1
SINTER s1 nosuch
SINTER nosuch s1
SINTERCARD 2 s1 s2
SINTERCARD 1 s1 LIMIT 2
SINTERCARD 1 s1 LIMIT 0
SINTERCARD 0 s1
SINTERCARD 3 s1 s2
SINTERCARD 1 s1 LIMIT -2
SINTERCARD 1 s1 LIMIT x
SINTERCARD 1 s1 LIMIT
SINTERCARD 1 s1 FOO 1
SINTERCARD abc s1
SINTERSTORE d s1 s2
SINTERSTORE d s1 s3
SMEMBERS d
OBJECT ENCODING d
SINTERSTORE d s1 nosuch
EXISTS d
SUNION s1 s3
SUNION s1 s2
SUNION nosuch
SUNIONSTORE d s1 s3
OBJECT ENCODING d
SMEMBERS d
SUNIONSTORE d s1 s2
OBJECT ENCODING d
SCARD d
SDIFF s1 s3
SDIFF s2 s1
SDIFF nosuch s1
SDIFF s1 nosuch
SDIFFSTORE d s1 s1
EXISTS d
SDIFFSTORE d s2 s1
OBJECT ENCODING d
SET str v
SADD str a
SCARD str
SINTER s1 str
SINTER nosuch str
SINTERSTORE d nosuch str
SUNION str
SDIFF str s1
SMOVE str s1 a
SMOVE s1 str 2
SMOVE nosuch str 2
SMOVE s1 s1 2
SMOVE s1 s1 99
SMOVE s1 new 2
OBJECT ENCODING new
SMOVE s2 new a
OBJECT ENCODING new
SMEMBERS new
SPOP nosuch
SPOP nosuch 3
SPOP s1 0
SPOP s1 -1
SPOP s1 x
SPOP s1 1 2
SRANDMEMBER nosuch
SRANDMEMBER nosuch 3
SRANDMEMBER nosuch -3
SRANDMEMBER s1 0
SRANDMEMBER s1 x
SRANDMEMBER s1 -9223372036854775808
SRANDMEMBER s1 9223372036854775808
SRANDMEMBER s1 1 2
SRANDMEMBER s3 10
SSCAN nosuch 0
SSCAN nosuch 0 JUNK
SSCAN s3 0
SSCAN s3 0 COUNT 1
SSCAN s3 0 MATCH 9*
SSCAN s3 x
SSCAN s3 0 COUNT 0
SSCAN s3 0 COUNT x
SSCAN s3 0 MATCH
SSCAN s3 0 TYPE set
SSCAN str 0
SADD e ""
SISMEMBER e ""
SMEMBERS e
SADD bin "\x00\xff" "a\r\nb"
SISMEMBER bin "a\r\nb"
SREM bin "\x00\xff" "a\r\nb"
EXISTS bin
TYPE s1
"#;

fn check_script(d: &mut Diff, script: &str, label: &str) {
    for (i, line) in script.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        d.check(&split_line(line), &format!("{label} line {i}: {line}"));
    }
}

#[test]
fn curated_set_commands_match_redis() {
    let Some(mut d) = Diff::new() else {
        return;
    };
    check_script(&mut d, CURATED, "resp2");
    d.exact_str(&["FLUSHALL"], "flush");
    d.both_str(&["HELLO", "3"]);
    check_script(&mut d, CURATED, "resp3");
}

#[test]
fn keyspace_statistics_match_redis() {
    // Reads count hits and misses, writes (SADD, SPOP, the STORE forms, SMOVE) do not.
    let Some(mut d) = Diff::new() else {
        return;
    };
    let script = r#"
CONFIG RESETSTAT
SADD a 1 2 3
SADD b x y
SISMEMBER a 1
SISMEMBER nosuch 1
SMISMEMBER a 1 2
SCARD nosuch
SMEMBERS a
SINTER a b nosuch
SINTERCARD 2 a b
SUNION a nosuch b
SDIFF nosuch a
SINTERSTORE d a b
SUNIONSTORE d a nosuch
SDIFFSTORE d nosuch a
SMOVE a b 1
SMOVE nosuch b 1
SPOP nosuch
SPOP a 1
SREM nosuch x
SRANDMEMBER nosuch
SSCAN nosuch 0
SSCAN b 0
"#;
    check_script(&mut d, script, "stats");
    let stat = |c: &mut RespClient| {
        let info = c.val(&["INFO", "stats"]);
        let text = String::from_utf8_lossy(info.bytes()).into_owned();
        text.lines()
            .filter(|l| l.starts_with("keyspace_hits") || l.starts_with("keyspace_misses"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let f = stat(&mut d.ferro);
    let r = stat(&mut d.redis);
    assert_eq!(f, r);
}

/// xorshift64*, fixed seeds: the same workload every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

const KEYS: [&str; 5] = ["s1", "s2", "s3", "s4", "str"];

fn key(rng: &mut Rng) -> Vec<u8> {
    // The string key is picked rarely: WRONGTYPE paths, not the bulk of the workload.
    let i = if rng.below(20) == 0 {
        4
    } else {
        rng.below(4) as usize
    };
    KEYS[i].as_bytes().to_vec()
}

/// What members a workload draws from.
#[derive(Clone, Copy)]
struct Space {
    /// Mix in strings (else integers, with a few non-canonical ones).
    strings: bool,
    /// Many distinct members, so sets outgrow the packed form into a dict.
    wide: bool,
}

fn member(rng: &mut Rng, sp: Space) -> Vec<u8> {
    let hi = if sp.wide { 400 } else { 25 };
    match rng.below(if sp.strings { 12 } else { 8 }) {
        0..=5 => rng.int(-5, hi).to_string().into_bytes(),
        6 => (rng.next() as i64).to_string().into_bytes(),
        7 => ["-0", "01", "+1", "1.0", ""][rng.below(5) as usize]
            .as_bytes()
            .to_vec(),
        8..=10 if sp.wide => format!("m{}", rng.below(300)).into_bytes(),
        8..=10 => vec![b'a' + rng.below(6) as u8],
        _ => format!("long-member-{:040}", rng.below(4)).into_bytes(),
    }
}

fn random_op(rng: &mut Rng, sp: Space) -> Vec<Vec<u8>> {
    let s = |v: &str| v.as_bytes().to_vec();
    let n = |v: i64| v.to_string().into_bytes();
    let keys = |rng: &mut Rng, min: u64| -> Vec<Vec<u8>> {
        (0..min + rng.below(3)).map(|_| key(rng)).collect()
    };
    match rng.below(20) {
        0..=4 => {
            let mut v = vec![s("SADD"), key(rng)];
            for _ in 0..1 + rng.below(if sp.wide { 12 } else { 4 }) {
                v.push(member(rng, sp));
            }
            v
        }
        5 | 6 => {
            let mut v = vec![s("SREM"), key(rng)];
            for _ in 0..1 + rng.below(3) {
                v.push(member(rng, sp));
            }
            v
        }
        7 => vec![s("SMOVE"), key(rng), key(rng), member(rng, sp)],
        8 => vec![s("SISMEMBER"), key(rng), member(rng, sp)],
        9 => {
            let mut v = vec![s("SMISMEMBER"), key(rng)];
            for _ in 0..1 + rng.below(3) {
                v.push(member(rng, sp));
            }
            v
        }
        10 => vec![s("SCARD"), key(rng)],
        11 => {
            let mut v = vec![s("SPOP"), key(rng)];
            if rng.below(2) == 0 {
                v.push(n(rng.int(0, 12)));
            }
            v
        }
        12 => {
            let mut v = vec![s("SRANDMEMBER"), key(rng)];
            if rng.below(3) > 0 {
                v.push(n(rng.int(-8, 12)));
            }
            v
        }
        13 => vec![s("SMEMBERS"), key(rng)],
        14 => {
            let cmd = ["SINTER", "SUNION", "SDIFF"][rng.below(3) as usize];
            let mut v = vec![s(cmd)];
            v.extend(keys(rng, 1));
            v
        }
        15 => {
            let cmd = ["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"][rng.below(3) as usize];
            let mut v = vec![s(cmd), key(rng)];
            v.extend(keys(rng, 1));
            v
        }
        16 => {
            let ks = keys(rng, 1);
            let mut v = vec![s("SINTERCARD"), n(ks.len() as i64)];
            v.extend(ks);
            if rng.below(2) == 0 {
                v.push(s("LIMIT"));
                v.push(n(rng.int(0, 4)));
            }
            v
        }
        17 => {
            let mut v = vec![s("SSCAN"), key(rng), s("0")];
            if rng.below(2) == 0 {
                v.push(s("MATCH"));
                v.push(s(["*1*", "a*", "-*", "?"][rng.below(4) as usize]));
            }
            if rng.below(2) == 0 {
                v.push(s("COUNT"));
                v.push(n(rng.int(1, 5)));
            }
            v
        }
        18 => vec![s("OBJECT"), s("ENCODING"), key(rng)],
        _ => {
            if rng.below(4) == 0 {
                vec![s("DEL"), key(rng)]
            } else {
                vec![s("TYPE"), key(rng)]
            }
        }
    }
}

fn random_workloads(resp3: bool) {
    let Some(mut d) = Diff::new() else {
        return;
    };
    if resp3 {
        d.both_str(&["HELLO", "3"]);
    }
    for seed in 1..=4u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(resp3));
        d.exact_str(&["FLUSHALL"], "flush");
        d.exact_str(&["SET", "str", "v"], "setup");
        // Half the seeds use a tiny intset limit, so size conversions happen too.
        let limit = if seed % 2 == 0 { "8" } else { "512" };
        d.exact_str(&["CONFIG", "SET", "set-max-intset-entries", limit], "setup");
        d.intset_limit = limit.parse().unwrap();
        // Seed 1 draws integers (intsets, ascending replies), the others mix in strings;
        // seeds 3 and 4 draw from hundreds of members, so sets grow large.
        let sp = Space {
            strings: seed != 1,
            wide: seed >= 3,
        };
        d.errors = 0;
        d.stats = [0; 4];
        let ops = 2500;
        for i in 0..ops {
            let op = random_op(&mut rng, sp);
            d.check(&op, &format!("resp3={resp3} seed {seed} op {i}"));
        }
        eprintln!(
            "resp3={resp3} seed {seed}: {} errors, {:?}",
            d.errors, d.stats
        );
        assert!(
            d.errors < ops / 5,
            "seed {seed}: {} of {ops} ops were errors",
            d.errors
        );
        // The final state is the same.
        for k in &KEYS[..4] {
            let kb = k.as_bytes().to_vec();
            let (f, r) = d.smembers(&kb);
            assert_eq!(f, r, "seed {seed}: final members of {k}");
            d.encoding(&kb, &format!("seed {seed}: final encoding of {k}"));
        }
    }
}

#[test]
fn random_set_workloads_match_redis_resp2() {
    random_workloads(false);
}

#[test]
fn random_set_workloads_match_redis_resp3() {
    random_workloads(true);
}
