//! Crash consistency of the append-only file, over the real binary and real TCP.
//!
//! Several seeded cycles run on one directory. Each starts `ferrokv-server --appendonly
//! yes --appendfsync always`, lets client threads write (strings, counters, lists,
//! hashes, sets, sorted sets, streams, TTLs, MULTI/EXEC transactions, scripts, pipelined
//! batches), and SIGKILLs the server at a seeded moment — in some cycles while a
//! BGREWRITEAOF, a rewrite scheduled behind a BGSAVE, or automatic rewrites run, in one
//! while the rewrite child is still writing the new base. Every thread owns its keys and
//! remembers each write whose reply it received; the writes it sent without a reply are
//! "in flight". After the restart on the same directory, each thread's keys must be
//! exactly its acknowledged writes followed by a prefix of its in-flight ones: nothing
//! acknowledged lost, nothing half-applied (a transaction or a script is all or nothing),
//! nothing invented. Which prefix the server kept becomes the truth the next restarts must
//! still show, so data written in one cycle is checked again after every later crash and
//! rewrite.
//!
//! A SIGKILL loses no page cache, so this proves the ordering (a reply only after its
//! write reached the file) and the recovery, not the fsync itself.
//!
//! `FERROKV_CRASH_SEED=<n>` replays another seed.

mod common;
mod rdb_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Resp, frame_len, parse};
use rdb_support::{Kind, Proc, TempDir, esc, spawn};

// ---------------------------------------------------------------------------------------
// A connection that reports a dead server instead of panicking
// ---------------------------------------------------------------------------------------

struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.set_nodelay(true).unwrap();
        Conn { s, buf: Vec::new() }
    }

    fn send(&mut self, cmds: &[Vec<Vec<u8>>]) -> Result<(), ()> {
        let mut out = Vec::new();
        for c in cmds {
            let a: Vec<&[u8]> = c.iter().map(|x| x.as_slice()).collect();
            out.extend_from_slice(&common::encode_request(&a));
        }
        self.s.write_all(&out).map_err(|_| ())
    }

    /// One reply; Err when the connection is gone (the server was killed).
    fn read(&mut self) -> Result<Resp, ()> {
        loop {
            if let Ok(Some(n)) = frame_len(&self.buf, 0) {
                let frame: Vec<u8> = self.buf.drain(..n).collect();
                return Ok(parse(&frame));
            }
            let mut chunk = [0u8; 16384];
            match self.s.read(&mut chunk) {
                Ok(0) | Err(_) => return Err(()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    fn call(&mut self, args: &[&str]) -> Resp {
        let c: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        self.send(&[c]).expect("send");
        self.read().expect("reply")
    }
}

// ---------------------------------------------------------------------------------------
// Operations and a model of what they do
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Exp {
    None,
    /// An absolute expiry the client chose (PXAT).
    Abs(i64),
    /// A relative one (EX, EXPIRE): about this unix ms time.
    About(i64),
}

#[derive(Clone, Debug, PartialEq)]
enum Val {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    Zset(BTreeMap<Vec<u8>, i64>),
    /// Entries: ID (None: sent but never acknowledged, any ID), field, value.
    Stream(Vec<(Option<String>, Vec<u8>, Vec<u8>)>),
}

#[derive(Clone, Debug)]
struct Entry {
    val: Val,
    exp: Exp,
}

type Model = BTreeMap<Vec<u8>, Entry>;

#[derive(Clone, Debug)]
enum Op {
    Set(Vec<u8>, Vec<u8>, Exp),
    Incr(Vec<u8>),
    Rpush(Vec<u8>, Vec<u8>),
    Hset(Vec<u8>, Vec<u8>, Vec<u8>),
    Sadd(Vec<u8>, Vec<u8>),
    Zadd(Vec<u8>, i64, Vec<u8>),
    /// The ID is filled in from the reply.
    Xadd(Vec<u8>, Vec<u8>, Vec<u8>, Option<String>),
    Expire(Vec<u8>, i64),
    /// MULTI ... EXEC around these.
    Multi(Vec<Op>),
    /// EVAL of a script doing INCR, RPUSH, HSET on three keys.
    Script(Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>),
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

const SCRIPT: &str = "redis.call('INCR', KEYS[1]); redis.call('RPUSH', KEYS[2], ARGV[1]); redis.call('HSET', KEYS[3], ARGV[1], ARGV[1]); return 1";

impl Op {
    /// The commands sent for it.
    fn wire(&self, now_ms: i64) -> Vec<Vec<Vec<u8>>> {
        let one = |v: Vec<Vec<u8>>| vec![v];
        match self {
            Op::Set(k, v, Exp::None) => one(vec![b("SET"), k.clone(), v.clone()]),
            Op::Set(k, v, Exp::Abs(t)) => one(vec![
                b("SET"),
                k.clone(),
                v.clone(),
                b("PXAT"),
                t.to_string().into_bytes(),
            ]),
            Op::Set(k, v, Exp::About(t)) => one(vec![
                b("SET"),
                k.clone(),
                v.clone(),
                b("EX"),
                ((t - now_ms) / 1000).to_string().into_bytes(),
            ]),
            Op::Incr(k) => one(vec![b("INCR"), k.clone()]),
            Op::Rpush(k, v) => one(vec![b("RPUSH"), k.clone(), v.clone()]),
            Op::Hset(k, f, v) => one(vec![b("HSET"), k.clone(), f.clone(), v.clone()]),
            Op::Sadd(k, m) => one(vec![b("SADD"), k.clone(), m.clone()]),
            Op::Zadd(k, s, m) => one(vec![
                b("ZADD"),
                k.clone(),
                s.to_string().into_bytes(),
                m.clone(),
            ]),
            Op::Xadd(k, f, v, id) => one(vec![
                b("XADD"),
                k.clone(),
                id.clone().map_or(b("*"), String::into_bytes),
                f.clone(),
                v.clone(),
            ]),
            Op::Expire(k, t) => one(vec![
                b("EXPIRE"),
                k.clone(),
                ((t - now_ms) / 1000).to_string().into_bytes(),
            ]),
            Op::Multi(ops) => {
                let mut v = vec![vec![b("MULTI")]];
                for o in ops {
                    v.extend(o.wire(now_ms));
                }
                v.push(vec![b("EXEC")]);
                v
            }
            Op::Script(c, l, h, arg) => one(vec![
                b("EVAL"),
                b(SCRIPT),
                b("3"),
                c.clone(),
                l.clone(),
                h.clone(),
                arg.clone(),
            ]),
        }
    }

    /// Check the replies of [`Op::wire`]'s commands; fill in what they tell (stream IDs).
    fn take_replies(&mut self, replies: &[Resp]) {
        let what = format!("{self:?}");
        let bad = |r: &Resp| panic!("unexpected reply {r:?} to {what}");
        match self {
            Op::Xadd(_, _, _, id) => match &replies[0] {
                Resp::Bulk(x) => *id = Some(String::from_utf8_lossy(x).into_owned()),
                r => bad(r),
            },
            Op::Multi(ops) => {
                let Resp::Array(results) = &replies[replies.len() - 1] else {
                    bad(&replies[replies.len() - 1]);
                    return;
                };
                assert_eq!(results.len(), ops.len(), "EXEC of {ops:?}");
                for (o, r) in ops.iter_mut().zip(results) {
                    o.take_replies(std::slice::from_ref(r));
                }
            }
            _ => {
                if replies.iter().any(|r| r.is_error()) {
                    bad(&replies[0]);
                }
            }
        }
    }

    fn apply(&self, m: &mut Model) {
        let fresh = |val| Entry {
            val,
            exp: Exp::None,
        };
        match self {
            Op::Set(k, v, e) => {
                m.insert(
                    k.clone(),
                    Entry {
                        val: Val::Str(v.clone()),
                        exp: *e,
                    },
                );
            }
            Op::Incr(k) => {
                let e = m
                    .entry(k.clone())
                    .or_insert_with(|| fresh(Val::Str(b"0".to_vec())));
                if let Val::Str(s) = &mut e.val {
                    let n: i64 = String::from_utf8_lossy(s).parse().unwrap();
                    *s = (n + 1).to_string().into_bytes();
                }
            }
            Op::Rpush(k, v) => {
                if let Val::List(l) = &mut m
                    .entry(k.clone())
                    .or_insert_with(|| fresh(Val::List(vec![])))
                    .val
                {
                    l.push(v.clone());
                }
            }
            Op::Hset(k, f, v) => {
                if let Val::Hash(h) = &mut m
                    .entry(k.clone())
                    .or_insert_with(|| fresh(Val::Hash(BTreeMap::new())))
                    .val
                {
                    h.insert(f.clone(), v.clone());
                }
            }
            Op::Sadd(k, x) => {
                if let Val::Set(s) = &mut m
                    .entry(k.clone())
                    .or_insert_with(|| fresh(Val::Set(BTreeSet::new())))
                    .val
                {
                    s.insert(x.clone());
                }
            }
            Op::Zadd(k, score, x) => {
                if let Val::Zset(z) = &mut m
                    .entry(k.clone())
                    .or_insert_with(|| fresh(Val::Zset(BTreeMap::new())))
                    .val
                {
                    z.insert(x.clone(), *score);
                }
            }
            Op::Xadd(k, f, v, id) => {
                if let Val::Stream(s) = &mut m
                    .entry(k.clone())
                    .or_insert_with(|| fresh(Val::Stream(vec![])))
                    .val
                {
                    s.push((id.clone(), f.clone(), v.clone()));
                }
            }
            Op::Expire(k, t) => {
                if let Some(e) = m.get_mut(k) {
                    e.exp = Exp::About(*t);
                }
            }
            Op::Multi(ops) => ops.iter().for_each(|o| o.apply(m)),
            Op::Script(c, l, h, arg) => {
                Op::Incr(c.clone()).apply(m);
                Op::Rpush(l.clone(), arg.clone()).apply(m);
                Op::Hset(h.clone(), arg.clone(), arg.clone()).apply(m);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Far enough that nothing expires while the test runs.
const FAR_MS: i64 = 4_102_444_800_000;

/// What one writer thread did in one cycle.
struct ThreadLog {
    db: usize,
    prefix: String,
    acked: Vec<Op>,
    /// Sent, no reply (the server died): each may or may not have been applied, in order.
    inflight: Vec<Op>,
    /// Commands acknowledged (a transaction counts each command it ran).
    commands: usize,
}

/// Writer kinds: 0 single commands, 1 with transactions, 2 transactions and scripts,
/// 3 pipelined batches.
fn gen_op(rng: &mut Rng, kind: usize, p: &str, seq: u64, sent: &Model, now: i64) -> Op {
    let k = |s: String| format!("{p}{s}").into_bytes();
    let v = format!("v{seq}").into_bytes();
    let single = |rng: &mut Rng| -> Op {
        match rng.below(13) {
            0 | 1 => Op::Set(k(format!("s:{}", rng.below(16))), v.clone(), Exp::None),
            2 => Op::Set(
                k(format!("e:{}", rng.below(8))),
                v.clone(),
                Exp::Abs(FAR_MS + seq as i64),
            ),
            3 => Op::Set(
                k(format!("e:{}", rng.below(8))),
                v.clone(),
                Exp::About(now + 1_000_000_000 + rng.below(1000) as i64 * 1000),
            ),
            4 | 5 => Op::Incr(k(format!("c:{}", rng.below(4)))),
            6 => Op::Rpush(k(format!("l:{}", rng.below(2))), v.clone()),
            7 => Op::Hset(
                k("h".into()),
                format!("f{}", rng.below(32)).into_bytes(),
                v.clone(),
            ),
            8 => Op::Sadd(k("set".into()), format!("m{}", rng.below(64)).into_bytes()),
            9 => Op::Zadd(
                k("z".into()),
                rng.below(1000) as i64 - 500,
                format!("m{}", rng.below(48)).into_bytes(),
            ),
            // Explicit IDs: XADD * is recorded as sent so far, and replays with new IDs.
            10 => Op::Xadd(k("x".into()), b("f"), v.clone(), Some(format!("{seq}-1"))),
            11 => {
                let target = k(["h", "l:0", "z"][rng.below(3) as usize].into());
                if sent.contains_key(&target) {
                    Op::Expire(target, now + 2_000_000_000 + rng.below(1000) as i64 * 1000)
                } else {
                    Op::Rpush(k("l:0".into()), v.clone())
                }
            }
            _ => Op::Incr(k("c:0".into())),
        }
    };
    let tx = |rng: &mut Rng| {
        Op::Multi(vec![
            Op::Incr(k("tx:c".into())),
            Op::Rpush(k("tx:l".into()), v.clone()),
            Op::Hset(
                k("tx:h".into()),
                format!("f{}", rng.below(8)).into_bytes(),
                v.clone(),
            ),
        ])
    };
    match (kind, rng.below(4)) {
        (1, 0) | (2, 0) | (2, 1) => tx(rng),
        (2, 2) => Op::Script(
            k("sc:c".into()),
            k("sc:l".into()),
            k("sc:h".into()),
            v.clone(),
        ),
        _ => single(rng),
    }
}

fn writer(
    port: u16,
    kind: usize,
    db: usize,
    prefix: String,
    seed: u64,
    stop: Arc<AtomicBool>,
) -> ThreadLog {
    let mut log = ThreadLog {
        db,
        prefix: prefix.clone(),
        acked: Vec::new(),
        inflight: Vec::new(),
        commands: 0,
    };
    let mut rng = Rng::new(seed);
    let mut c = Conn::open(port);
    if c.call(&["SELECT", &db.to_string()]) != Resp::Simple("OK".into()) {
        panic!("SELECT {db}");
    }
    let mut sent = Model::new();
    let mut seq = 0u64;
    let deadline = Instant::now() + Duration::from_secs(15);
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let n = if kind == 3 { 1 + rng.below(8) } else { 1 };
        let now = common::now_ms();
        let mut batch = Vec::new();
        for _ in 0..n {
            seq += 1;
            let op = gen_op(&mut rng, kind, &prefix, seq, &sent, now);
            op.apply(&mut sent);
            batch.push(op);
        }
        let wires: Vec<_> = batch.iter().map(|o| o.wire(now)).collect();
        let all: Vec<Vec<Vec<u8>>> = wires.iter().flatten().cloned().collect();
        if c.send(&all).is_err() {
            log.inflight = batch;
            return log;
        }
        let mut ops = batch.into_iter();
        for w in &wires {
            let mut replies = Vec::new();
            for _ in 0..w.len() {
                match c.read() {
                    Ok(r) => replies.push(r),
                    Err(()) => {
                        // This op and the rest of the batch may or may not have run.
                        log.inflight = ops.collect();
                        return log;
                    }
                }
            }
            let mut op = ops.next().unwrap();
            op.take_replies(&replies);
            log.commands += match &op {
                Op::Multi(v) => v.len(),
                _ => 1,
            };
            log.acked.push(op);
        }
    }
    log
}

// ---------------------------------------------------------------------------------------
// Reading the server's state back
// ---------------------------------------------------------------------------------------

fn bulks(r: &Resp) -> Vec<Vec<u8>> {
    r.array().iter().map(|x| x.bytes().to_vec()).collect()
}

/// The keys of `prefix` in `db` and their values and PEXPIRETIME.
fn fetch(c: &mut Conn, db: usize, prefix: &str) -> BTreeMap<Vec<u8>, (Val, i64)> {
    assert_eq!(
        c.call(&["SELECT", &db.to_string()]),
        Resp::Simple("OK".into())
    );
    let keys = bulks(&c.call(&["KEYS", &format!("{prefix}*")]));
    let mut out = BTreeMap::new();
    for k in keys {
        let ks = String::from_utf8(k.clone()).unwrap();
        let t = c.call(&["TYPE", &ks]);
        let exp = match c.call(&["PEXPIRETIME", &ks]) {
            Resp::Int(n) => n,
            r => panic!("PEXPIRETIME {ks}: {r:?}"),
        };
        let val = match t.bytes() {
            b"string" => Val::Str(c.call(&["GET", &ks]).bytes().to_vec()),
            b"list" => Val::List(bulks(&c.call(&["LRANGE", &ks, "0", "-1"]))),
            b"hash" => {
                let v = bulks(&c.call(&["HGETALL", &ks]));
                Val::Hash(v.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect())
            }
            b"set" => Val::Set(bulks(&c.call(&["SMEMBERS", &ks])).into_iter().collect()),
            b"zset" => {
                let v = bulks(&c.call(&["ZRANGE", &ks, "0", "-1", "WITHSCORES"]));
                Val::Zset(
                    v.chunks(2)
                        .map(|p| {
                            (
                                p[0].clone(),
                                String::from_utf8_lossy(&p[1]).parse().unwrap(),
                            )
                        })
                        .collect(),
                )
            }
            b"stream" => {
                let r = c.call(&["XRANGE", &ks, "-", "+"]);
                Val::Stream(
                    r.array()
                        .iter()
                        .map(|e| {
                            let e = e.array();
                            let fv = bulks(&e[1]);
                            (
                                Some(String::from_utf8_lossy(e[0].bytes()).into_owned()),
                                fv[0].clone(),
                                fv[1].clone(),
                            )
                        })
                        .collect(),
                )
            }
            other => panic!("TYPE {ks}: {}", String::from_utf8_lossy(other)),
        };
        out.insert(k, (val, exp));
    }
    out
}

/// Why `actual` is not `model` (None: it is).
fn mismatch(actual: &BTreeMap<Vec<u8>, (Val, i64)>, model: &Model) -> Option<String> {
    let keys: BTreeSet<&Vec<u8>> = actual.keys().chain(model.keys()).collect();
    for k in keys {
        let (a, m) = match (actual.get(k), model.get(k)) {
            (Some(a), Some(m)) => (a, m),
            (a, m) => {
                return Some(format!("{}: server has {a:?}, expected {m:?}", esc(k)));
            }
        };
        let exp_ok = match m.exp {
            Exp::None => a.1 == -1,
            Exp::Abs(t) => a.1 == t,
            // The relative TTL was computed by the server from its own clock.
            Exp::About(t) => (a.1 - t).abs() < 15_000,
        };
        if !exp_ok {
            return Some(format!(
                "{}: PEXPIRETIME {} but expected {:?}",
                esc(k),
                a.1,
                m.exp
            ));
        }
        let val_ok = match (&a.0, &m.val) {
            (Val::Stream(x), Val::Stream(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|(p, q)| (q.0.is_none() || p.0 == q.0) && p.1 == q.1 && p.2 == q.2)
            }
            (x, y) => x == y,
        };
        if !val_ok {
            return Some(format!(
                "{}: server has {:?}\n   expected {:?}",
                esc(k),
                a.0,
                m.val
            ));
        }
    }
    None
}

/// One thread's writes of one cycle, checked at every later start.
struct Record {
    cycle: usize,
    db: usize,
    prefix: String,
    /// What the server must hold: the acknowledged writes, plus what it is known to have
    /// kept of the in-flight ones once a restart showed it.
    model: Model,
    inflight: Vec<Op>,
}

/// Compare every record with the server; settle the in-flight writes.
fn verify(port: u16, records: &mut [Record], seed: u64) -> usize {
    let mut c = Conn::open(port);
    let mut keys = 0;
    for r in records.iter_mut() {
        let actual = fetch(&mut c, r.db, &r.prefix);
        keys += actual.len();
        let mut candidate = r.model.clone();
        let mut why = mismatch(&actual, &candidate);
        let mut kept = 0;
        if why.is_some() {
            for (i, op) in r.inflight.iter().enumerate() {
                op.apply(&mut candidate);
                if mismatch(&actual, &candidate).is_none() {
                    why = None;
                    kept = i + 1;
                    break;
                }
            }
        }
        if let Some(why) = why {
            let last = mismatch(&actual, &candidate).unwrap_or_default();
            panic!(
                "seed {seed}: cycle {} thread {} (db {}): the server's data is not the acknowledged writes plus a prefix of the {} in flight:\n  {why}\n  with all in flight: {last}",
                r.cycle,
                r.prefix,
                r.db,
                r.inflight.len(),
            );
        }
        // From now on the server must keep exactly this.
        let mut settled = r.model.clone();
        for op in &r.inflight[..kept] {
            op.apply(&mut settled);
        }
        // Stream IDs of in-flight XADDs are now known.
        for (k, e) in settled.iter_mut() {
            if let (Val::Stream(s), Some((Val::Stream(a), _))) = (&mut e.val, actual.get(k)) {
                for (x, y) in s.iter_mut().zip(a) {
                    x.0 = y.0.clone();
                }
            }
        }
        r.model = settled;
        r.inflight.clear();
    }
    keys
}

// ---------------------------------------------------------------------------------------
// Cycles
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Plan {
    /// Writes only.
    Plain,
    /// A BGREWRITEAOF at a random moment.
    Rewrite,
    /// A BGSAVE, then BGREWRITEAOF (scheduled until the BGSAVE ends).
    RewriteAfterBgsave,
    /// auto-aof-rewrite-min-size small: rewrites keep starting by themselves.
    AutoRewrite,
    /// The kill lands while the rewrite child is writing the new base.
    KillDuringRewrite,
    /// CONFIG SET appendfsync everysec / no / always every few hundred ms: writes reach
    /// the file before their replies whatever the policy (a SIGKILL loses no page cache).
    FsyncChanges,
    /// `aof-use-rdb-preamble no`: [`Plan::Rewrite`] with a base of commands.
    CommandBaseRewrite,
    /// `aof-use-rdb-preamble no`: [`Plan::KillDuringRewrite`] with a base of commands.
    CommandBaseKillDuringRewrite,
}

impl Plan {
    fn rewrites(self) -> bool {
        matches!(
            self,
            Plan::Rewrite
                | Plan::KillDuringRewrite
                | Plan::CommandBaseRewrite
                | Plan::CommandBaseKillDuringRewrite
        )
    }

    fn kills_during_rewrite(self) -> bool {
        matches!(
            self,
            Plan::KillDuringRewrite | Plan::CommandBaseKillDuringRewrite
        )
    }
}

const PLANS: &[Plan] = &[
    Plan::Plain,
    Plan::Rewrite,
    Plan::AutoRewrite,
    Plan::KillDuringRewrite,
    Plan::RewriteAfterBgsave,
    Plan::FsyncChanges,
    Plan::CommandBaseRewrite,
    Plan::AutoRewrite,
    Plan::CommandBaseKillDuringRewrite,
    Plan::KillDuringRewrite,
    Plan::Plain,
];

fn start(dir: &Path, plan: Plan) -> Proc {
    let mut opts = vec![("appendonly", "yes"), ("appendfsync", "always")];
    if matches!(
        plan,
        Plan::CommandBaseRewrite | Plan::CommandBaseKillDuringRewrite
    ) {
        opts.push(("aof-use-rdb-preamble", "no"));
    }
    if plan == Plan::AutoRewrite {
        opts.push(("auto-aof-rewrite-min-size", "16kb"));
        opts.push(("auto-aof-rewrite-percentage", "30"));
    }
    let mut p = spawn(Kind::Ferrokv, dir, &opts);
    p.ready();
    p
}

/// Rewrite children the log says were started (they outlive a SIGKILLed parent).
fn rewrite_pids(log: &str) -> Vec<i32> {
    log.lines()
        .filter_map(|l| l.split("rewriting started by pid ").nth(1))
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}

/// SIGKILL `pid` if it is still a ferrokv process (a whole-machine crash kills it too).
fn kill_if_ferrokv(pid: i32) {
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if String::from_utf8_lossy(&cmd).contains("ferrokv-server") {
        // SAFETY: signalling a child of a process this test started.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let seed: u64 = std::env::var("FERROKV_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_240_606);
    let t0 = Instant::now();
    let dir = TempDir::new("aof-crash");
    // FERROKV_KEEP=1 leaves the directory for a post-mortem (TempDir removes it on drop).
    let keep = std::env::var_os("FERROKV_KEEP").map(|_| KeepDir(dir.path().to_path_buf()));
    let mut rng = Rng::new(seed);
    let mut records: Vec<Record> = Vec::new();
    let mut figures = Vec::new();
    for (cycle, &plan) in PLANS.iter().enumerate() {
        let log_before = std::fs::metadata(dir.file("ferrokv.log")).map_or(0, |m| m.len()) as usize;
        let mut p = start(dir.path(), plan);
        let verified = verify(p.port, &mut records, seed);
        let mut ctl = Conn::open(p.port);
        if plan.kills_during_rewrite() {
            // A slow child: the base takes a few seconds to write.
            assert_eq!(
                ctl.call(&["CONFIG", "SET", "rdb-key-save-delay", "5000"]),
                Resp::Simple("OK".into())
            );
        }
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let prefix = format!("c{cycle}:t{t}:");
                let db = [0, 2, 0, 1][t];
                let (port, stop) = (p.port, stop.clone());
                let s = seed ^ ((cycle as u64) << 32) ^ (t as u64 + 1);
                std::thread::spawn(move || writer(port, t, db, prefix, s, stop))
            })
            .collect();
        let run_ms = 600 + rng.below(1400);
        let action_at = rng.below(run_ms);
        std::thread::sleep(Duration::from_millis(action_at));
        match plan {
            _ if plan.rewrites() => {
                let r = ctl.call(&["BGREWRITEAOF"]);
                assert_eq!(
                    r,
                    Resp::Simple("Background append only file rewriting started".into())
                );
            }
            Plan::RewriteAfterBgsave => {
                assert_eq!(
                    ctl.call(&["BGSAVE"]),
                    Resp::Simple("Background saving started".into())
                );
                let r = ctl.call(&["BGREWRITEAOF"]);
                assert!(
                    r == Resp::Simple("Background append only file rewriting scheduled".into())
                        || r == Resp::Simple(
                            "Background append only file rewriting started".into()
                        ),
                    "{r:?}"
                );
            }
            Plan::FsyncChanges => {
                for _ in 0..6 {
                    let policy = ["everysec", "no", "always"][rng.below(3) as usize];
                    assert_eq!(
                        ctl.call(&["CONFIG", "SET", "appendfsync", policy]),
                        Resp::Simple("OK".into())
                    );
                    std::thread::sleep(Duration::from_millis(run_ms / 6));
                }
            }
            _ => {}
        }
        if plan.kills_during_rewrite() {
            std::thread::sleep(Duration::from_millis(100 + rng.below(500)));
            assert_eq!(info_field_conn(&mut ctl, "aof_rewrite_in_progress"), "1");
        } else if plan != Plan::FsyncChanges {
            std::thread::sleep(Duration::from_millis(run_ms - action_at));
        }
        let rewrites = info_field_conn(&mut ctl, "aof_rewrites");
        p.signal(libc::SIGKILL);
        p.wait_exit(Duration::from_secs(10));
        stop.store(true, Ordering::Relaxed);
        let log = p.log_text();
        let log = log.get(log_before..).unwrap_or("");
        for pid in rewrite_pids(log) {
            kill_if_ferrokv(pid);
        }
        let mut acked = 0;
        let mut inflight = 0;
        for t in threads {
            let l = t.join().expect("writer thread");
            acked += l.commands;
            inflight += l.inflight.len();
            let mut model = Model::new();
            for op in &l.acked {
                op.apply(&mut model);
            }
            records.push(Record {
                cycle,
                db: l.db,
                prefix: l.prefix,
                model,
                inflight: l.inflight,
            });
        }
        assert!(!log.contains("panicked"), "{log}");
        figures.push(format!(
            "cycle {cycle} {plan:?}: {acked} acknowledged writes, {inflight} in flight at the kill, {rewrites} rewrites started, {verified} keys verified at start"
        ));
    }
    // A last start checks the last cycle; then a clean SHUTDOWN and one more start.
    let mut p = start(dir.path(), Plan::Plain);
    let keys = verify(p.port, &mut records, seed);
    p.shutdown(&[]);
    let mut p = start(dir.path(), Plan::Plain);
    assert_eq!(verify(p.port, &mut records, seed), keys);
    p.shutdown(&[]);
    check_aof_with_redis(&dir.file("appendonlydir/appendonly.aof.manifest"));
    drop(keep);
    for f in &figures {
        eprintln!("{f}");
    }
    eprintln!(
        "{} cycles, {keys} keys verified at the end, {:.1} s",
        PLANS.len(),
        t0.elapsed().as_secs_f64()
    );
}

/// Copies the test directory aside when dropped (also while unwinding from a failure).
struct KeepDir(std::path::PathBuf);

impl Drop for KeepDir {
    fn drop(&mut self) {
        let to = self.0.with_extension("kept");
        let _ = std::process::Command::new("cp")
            .arg("-a")
            .arg(&self.0)
            .arg(&to)
            .status();
        eprintln!("test directory copied to {}", to.display());
    }
}

fn info_field_conn(c: &mut Conn, field: &str) -> String {
    let info = c.call(&["INFO", "persistence"]);
    let text = String::from_utf8_lossy(info.bytes()).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO: {text}"))
        .to_string()
}

/// redis-check-aof accepts the directory the crashes left.
fn check_aof_with_redis(manifest: &Path) {
    let Some(tool) = common::require_tool("redis-check-aof") else {
        return;
    };
    let out = std::process::Command::new(tool)
        .arg(manifest)
        .output()
        .expect("run redis-check-aof");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("All AOF files and manifest are valid"),
        "redis-check-aof:\n{text}"
    );
}
