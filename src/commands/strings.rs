//! String commands (Redis's t_string.c): GET/SET and their variants, counters, ranges, LCS.
//!
//! Keyspace events are Redis 7.0's, published only when the key changed: `set` (SET and its
//! variants, GETSET, MSET per key), then `expire` when SET gave a TTL; `append`, `incrby`
//! (INCR/DECR/INCRBY/DECRBY), `incrbyfloat`, `setrange`; GETDEL's and GETEX's `del`,
//! GETEX's `expire` and `persist`. Events come before the reply, except for the commands
//! that reply with the old value first (SET ... GET, GETSET, GETDEL, GETEX), as Redis 7.0
//! orders them (visible to a RESP3 client subscribed to its own events).

use super::Ctx;
use super::args::{self, TimeUnit, expire_deadline, is};
use super::error::{CmdError, CmdResult};
use super::rewrite;
use super::table::{Command, Group, cmd, flags::*};
use crate::config::notify;
use crate::protocol::Reply;
use crate::storage::Db;
use crate::storage::value::{EMBSTR_MAX, Str, Value};
use crate::util::numbers::{FloatIncrError, incr_by_float};

const S: Group = Group::String;

pub static COMMANDS: &[Command] = &[
    cmd("get", 2, READONLY | FAST, (1, 1, 1), S, get),
    cmd("set", -3, WRITE | DENYOOM, (1, 1, 1), S, set),
    cmd("setnx", 3, WRITE | DENYOOM | FAST, (1, 1, 1), S, setnx),
    cmd("setex", 4, WRITE | DENYOOM, (1, 1, 1), S, setex),
    cmd("psetex", 4, WRITE | DENYOOM, (1, 1, 1), S, psetex),
    cmd("getset", 3, WRITE | DENYOOM | FAST, (1, 1, 1), S, getset),
    cmd("getdel", 2, WRITE | FAST, (1, 1, 1), S, getdel),
    cmd("getex", -2, WRITE | FAST, (1, 1, 1), S, getex),
    cmd("mget", -2, READONLY | FAST, (1, -1, 1), S, mget),
    cmd("mset", -3, WRITE | DENYOOM, (1, -1, 2), S, mset),
    cmd("msetnx", -3, WRITE | DENYOOM, (1, -1, 2), S, msetnx),
    cmd("append", 3, WRITE | DENYOOM | FAST, (1, 1, 1), S, append),
    cmd("strlen", 2, READONLY | FAST, (1, 1, 1), S, strlen),
    cmd("incr", 2, WRITE | DENYOOM | FAST, (1, 1, 1), S, incr),
    cmd("decr", 2, WRITE | DENYOOM | FAST, (1, 1, 1), S, decr),
    cmd("incrby", 3, WRITE | DENYOOM | FAST, (1, 1, 1), S, incrby),
    cmd("decrby", 3, WRITE | DENYOOM | FAST, (1, 1, 1), S, decrby),
    cmd(
        "incrbyfloat",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        S,
        incrbyfloat,
    ),
    cmd("getrange", 4, READONLY, (1, 1, 1), S, getrange),
    cmd("substr", 4, READONLY, (1, 1, 1), S, getrange),
    cmd("setrange", 4, WRITE | DENYOOM, (1, 1, 1), S, setrange),
    cmd("lcs", -3, READONLY, (1, 2, 1), S, lcs),
];

/// The string under `key`, `None` when absent, WRONGTYPE for other types.
pub fn lookup_str<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a mut Str>, CmdError> {
    match db.lookup(key, now) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Str(s) => Ok(Some(s)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// Like [`lookup_str`] for commands that write the key (Redis's `lookupKeyWrite`): the key
/// counts as accessed, but not as a keyspace hit or miss.
pub fn lookup_str_write<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a mut Str>, CmdError> {
    match db.lookup_write(key, now) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Str(s) => Ok(Some(s)),
            _ => Err(CmdError::WrongType),
        },
    }
}

pub fn reply_str(reply: &mut Reply, s: &Str) {
    match s {
        Str::Int(n) => reply.bulk_i64(*n),
        Str::Emb(b) => reply.bulk(b),
        Str::Raw(v) => reply.bulk(v),
    }
}

fn get(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    match lookup_str(db, a[1], now)? {
        Some(s) => reply_str(reply, s),
        None => reply.null(),
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cond {
    Always,
    Nx,
    Xx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ttl {
    /// Clear any TTL (plain SET).
    Clear,
    Keep,
    At(i64),
}

/// The options shared by SET and GETEX, as Redis's `parseExtendedStringArgumentsOrReply`
/// accepts them: NX/XX/GET/KEEPTTL only for SET, PERSIST only for GETEX; an option may be
/// repeated (`NX NX`, `EX 1 EX 2`: the last value wins) but NX/XX, and KEEPTTL/PERSIST and
/// the four expire forms, exclude each other. The expire value is not checked here.
#[derive(Default)]
struct ExtArgs<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    /// The expire value and its option's name (`ex`, `px`, `exat` or `pxat`).
    expire: Option<(&'a [u8], &'static str)>,
}

fn parse_extended<'a>(a: &[&'a [u8]], for_set: bool) -> Result<ExtArgs<'a>, CmdError> {
    let mut o = ExtArgs::default();
    let mut i = if for_set { 3 } else { 2 };
    while i < a.len() {
        let opt = a[i];
        let next = a.get(i + 1).copied();
        let expire_kind = ["ex", "px", "exat", "pxat"]
            .into_iter()
            .find(|k| is(opt, k));
        if for_set && is(opt, "nx") && !o.xx {
            o.nx = true;
        } else if for_set && is(opt, "xx") && !o.nx {
            o.xx = true;
        } else if for_set && is(opt, "get") {
            o.get = true;
        } else if for_set && is(opt, "keepttl") && o.expire.is_none() {
            o.keep_ttl = true;
        } else if !for_set && is(opt, "persist") && o.expire.is_none() {
            o.persist = true;
        } else if let (Some(kind), Some(value)) = (expire_kind, next)
            && !o.keep_ttl
            && !o.persist
            && o.expire.is_none_or(|(_, k)| k == kind)
        {
            o.expire = Some((value, kind));
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok(o)
}

/// The deadline of a parsed EX/PX/EXAT/PXAT value (`getExpireMillisecondsOrReply`).
fn ext_deadline(expire: (&[u8], &str), now: i64, cmd: &'static str) -> Result<i64, CmdError> {
    let (value, kind) = expire;
    let (unit, relative) = expire_option(kind.as_bytes()).ok_or(CmdError::Syntax)?;
    expire_deadline(value, unit, relative, now, cmd)
}

struct SetArgs {
    cond: Cond,
    get: bool,
    ttl: Ttl,
}

/// SET's options: syntax first, then the expire value.
fn parse_set(a: &[&[u8]], now: i64) -> Result<SetArgs, CmdError> {
    let o = parse_extended(a, true)?;
    let cond = if o.nx {
        Cond::Nx
    } else if o.xx {
        Cond::Xx
    } else {
        Cond::Always
    };
    let ttl = match o.expire {
        Some(e) => Ttl::At(ext_deadline(e, now, "set")?),
        None if o.keep_ttl => Ttl::Keep,
        None => Ttl::Clear,
    };
    Ok(SetArgs {
        cond,
        get: o.get,
        ttl,
    })
}

/// EX/PX/EXAT/PXAT → (unit, relative).
fn expire_option(o: &[u8]) -> Option<(TimeUnit, bool)> {
    if is(o, "ex") {
        Some((TimeUnit::Seconds, true))
    } else if is(o, "px") {
        Some((TimeUnit::Millis, true))
    } else if is(o, "exat") {
        Some((TimeUnit::Seconds, false))
    } else if is(o, "pxat") {
        Some((TimeUnit::Millis, false))
    } else {
        None
    }
}

/// Store a string with Redis's SET semantics.
fn store(db: &mut Db, key: &[u8], value: &[u8], ttl: Ttl, now: i64) {
    let value = Value::string(value);
    match ttl {
        Ttl::Clear => db.set(key, value, false, now),
        Ttl::Keep => db.set(key, value, true, now),
        Ttl::At(when) => {
            db.set(key, value, false, now);
            db.set_expire(key, when);
        }
    }
}

/// A SET that gave a TTL (and SETEX, PSETEX) is recorded as `SET key value PXAT ms`, as
/// Redis 7.0 records it: the deadline does not move on replay. NX/XX/GET held when it ran
/// and are dropped.
fn propagate_set_pxat(ctx: &mut Ctx, key: &[u8], value: &[u8], when: i64) {
    if ctx.propagating() {
        let w = rewrite::int(when);
        ctx.propagate_as(rewrite::argv(&[b"SET", key, value, b"PXAT", &w]));
    }
}

/// The events of a stored SET: `set`, then `expire` when it gave the key a TTL.
fn notify_set(ctx: &mut Ctx, key: &[u8], ttl: Ttl) {
    ctx.notify(notify::STRING, "set", key);
    if let Ttl::At(_) = ttl {
        ctx.notify(notify::GENERIC, "expire", key);
    }
}

fn set(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let now = ctx.now();
    let opts = parse_set(a, now)?;
    let max = ctx.srv.config.proto_max_bulk_len as usize;
    let (db, reply, now) = ctx.db_and_reply();
    let _ = max;
    // SET ... GET reads the old value as GET does (a keyspace hit or miss); a plain SET
    // only writes.
    // SET overwrites a key of any type; only SET ... GET needs the old value to be a string.
    let (exists, old_value) = if opts.get {
        let old = lookup_str(db, a[1], now)?;
        (old.is_some(), old.map(|s| s.clone()))
    } else {
        (db.exists(a[1], now), None)
    };
    let blocked = match opts.cond {
        Cond::Always => false,
        Cond::Nx => exists,
        Cond::Xx => !exists,
    };
    if opts.get {
        match old_value {
            Some(s) => reply_str(reply, &s),
            None => reply.null(),
        }
    } else if blocked {
        reply.null();
        return Ok(());
    }
    if !blocked {
        store(db, a[1], a[2], opts.ttl, now);
        notify_set(ctx, a[1], opts.ttl);
        if let Ttl::At(when) = opts.ttl {
            propagate_set_pxat(ctx, a[1], a[2], when);
        }
    }
    if !opts.get {
        ctx.reply().ok();
    }
    Ok(())
}

fn setnx(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    if db.exists(a[1], now) {
        reply.int(0);
    } else {
        store(db, a[1], a[2], Ttl::Clear, now);
        notify_set(ctx, a[1], Ttl::Clear);
        ctx.reply().int(1);
    }
    Ok(())
}

fn setex_generic(ctx: &mut Ctx, a: &[&[u8]], unit: TimeUnit, name: &'static str) -> CmdResult {
    let now = ctx.now();
    let db = ctx.db();
    let when = expire_deadline(a[2], unit, true, now, name)?;
    store(db, a[1], a[3], Ttl::At(when), now);
    notify_set(ctx, a[1], Ttl::At(when));
    propagate_set_pxat(ctx, a[1], a[3], when);
    ctx.reply().ok();
    Ok(())
}

fn setex(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    setex_generic(ctx, a, TimeUnit::Seconds, "setex")
}

fn psetex(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    setex_generic(ctx, a, TimeUnit::Millis, "psetex")
}

fn getset(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    match lookup_str(db, a[1], now)? {
        Some(s) => reply_str(reply, s),
        None => reply.null(),
    }
    store(db, a[1], a[2], Ttl::Clear, now);
    notify_set(ctx, a[1], Ttl::Clear);
    // Recorded as the SET it amounts to (as Redis).
    if ctx.propagating() {
        ctx.propagate_as(rewrite::argv(&[b"SET", a[1], a[2]]));
    }
    Ok(())
}

fn getdel(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    match lookup_str(db, a[1], now)? {
        Some(s) => {
            reply_str(reply, s);
            db.delete(a[1]);
            ctx.notify(notify::GENERIC, "del", a[1]);
            if ctx.propagating() {
                let lazy = ctx.srv.config.lazyfree_lazy_user_del;
                ctx.propagate_as(rewrite::del(lazy, a[1]));
            }
        }
        None => reply.null(),
    }
    Ok(())
}

fn getex(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    // As Redis: options' syntax, then the key (a missing key is nil whatever the expire
    // value), then its type, then the expire value.
    let opts = parse_extended(a, false)?;
    let (db, reply, now) = ctx.db_and_reply();
    let Some(s) = lookup_str(db, a[1], now)? else {
        reply.null();
        return Ok(());
    };
    let deadline = match opts.expire {
        Some(e) => Some(ext_deadline(e, now, "getex")?),
        None => None,
    };
    reply_str(reply, s);
    // GETEX itself is never recorded: its effect is, as DEL/UNLINK, PEXPIREAT or PERSIST.
    // A deadline already past deletes the key, except while loading (Redis's
    // `checkAlreadyExpired`): the key then keeps the past deadline.
    let loading = ctx.srv.aof.loading;
    let (db, _, _) = ctx.db_and_reply();
    let event = match deadline {
        Some(when) if when <= now && !loading => {
            db.delete(a[1]);
            Some("del")
        }
        Some(when) => {
            db.set_expire(a[1], when);
            Some("expire")
        }
        None if opts.persist => db.persist(a[1]).then_some("persist"),
        None => None,
    };
    if let Some(event) = event {
        ctx.notify(notify::GENERIC, event, a[1]);
        if ctx.propagating() {
            let argv = match (event, deadline) {
                ("del", _) => rewrite::del(ctx.srv.config.lazyfree_lazy_expire, a[1]),
                ("expire", Some(when)) => rewrite::pexpireat(a[1], when),
                _ => rewrite::argv(&[b"PERSIST", a[1]]),
            };
            ctx.propagate_as(argv);
        }
    }
    Ok(())
}

fn mget(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    reply.array(a.len() - 1);
    for key in &a[1..] {
        // MGET answers nil for keys of other types rather than failing.
        match db.lookup(key, now).map(|e| &e.value) {
            Some(Value::Str(s)) => reply_str(reply, s),
            _ => reply.null(),
        }
    }
    Ok(())
}

fn mset_pairs<'a>(
    ctx: &Ctx,
    a: &'a [&'a [u8]],
) -> Result<std::slice::ChunksExact<'a, &'a [u8]>, CmdError> {
    if a.len().is_multiple_of(2) {
        return Err(CmdError::msg(format!(
            "ERR wrong number of arguments for '{}' command",
            ctx.cmd.name
        )));
    }
    Ok(a[1..].chunks_exact(2))
}

fn mset(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let pairs = mset_pairs(ctx, a)?;
    let now = ctx.now();
    // Each key's `set` follows its own `new`, as Redis stores and notifies key by key.
    for kv in pairs {
        store(ctx.db(), kv[0], kv[1], Ttl::Clear, now);
        notify_set(ctx, kv[0], Ttl::Clear);
    }
    ctx.reply().ok();
    Ok(())
}

fn msetnx(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let pairs = mset_pairs(ctx, a)?;
    let (db, reply, now) = ctx.db_and_reply();
    if pairs.clone().any(|kv| db.exists(kv[0], now)) {
        reply.int(0);
        return Ok(());
    }
    for kv in pairs {
        store(ctx.db(), kv[0], kv[1], Ttl::Clear, now);
        notify_set(ctx, kv[0], Ttl::Clear);
    }
    ctx.reply().int(1);
    Ok(())
}

fn check_len(ctx_max: u64, len: u64) -> CmdResult {
    if len > ctx_max {
        return Err(CmdError::StringTooLong);
    }
    Ok(())
}

fn append(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let max = ctx.srv.config.proto_max_bulk_len;
    let (db, _, now) = ctx.db_and_reply();
    let len = match lookup_str_write(db, a[1], now)? {
        Some(s) => {
            check_len(max, (s.len() + a[2].len()) as u64)?;
            let v = s.make_raw();
            v.extend_from_slice(a[2]);
            v.len()
        }
        None => {
            db.set(a[1], Value::string(a[2]), false, now);
            a[2].len()
        }
    };
    db.touch(a[1]);
    ctx.notify(notify::STRING, "append", a[1]);
    ctx.reply().int(len as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let n = lookup_str(db, a[1], now)?.map_or(0, |s| s.len());
    reply.int(n as i64);
    Ok(())
}

/// Add `by` to the integer under `key` (created as 0), keeping its TTL.
fn incr_generic(ctx: &mut Ctx, key: &[u8], by: i64) -> CmdResult {
    let (db, _, now) = ctx.db_and_reply();
    let result = match lookup_str_write(db, key, now)? {
        Some(s) => {
            let cur = s.as_i64().ok_or(CmdError::NotInteger)?;
            let n = cur.checked_add(by).ok_or(CmdError::Overflow)?;
            *s = Str::Int(n);
            n
        }
        None => {
            db.set(key, Value::Str(Str::Int(by)), false, now);
            by
        }
    };
    db.touch(key);
    ctx.notify(notify::STRING, "incrby", key);
    ctx.reply().int(result);
    Ok(())
}

fn incr(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    incr_generic(ctx, a[1], 1)
}

fn decr(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    incr_generic(ctx, a[1], -1)
}

fn incrby(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let by = args::int(a[2])?;
    incr_generic(ctx, a[1], by)
}

fn decrby(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let by = args::int(a[2])?;
    if by == i64::MIN {
        return Err(CmdError::msg("ERR decrement would overflow"));
    }
    incr_generic(ctx, a[1], -by)
}

fn incrbyfloat(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, _, now) = ctx.db_and_reply();
    let mut scratch = Vec::new();
    let current = lookup_str_write(db, a[1], now)?.map(|s| s.as_bytes(&mut scratch).to_vec());
    let result = incr_by_float(current.as_deref(), a[2]).map_err(|e| match e {
        FloatIncrError::NotAFloat => CmdError::NotFloat,
        FloatIncrError::NanOrInf => CmdError::msg("ERR increment would produce NaN or Infinity"),
    })?;
    // Redis stores the formatted result as a plain string (embstr/raw), never as `int`.
    let value = if result.len() <= EMBSTR_MAX {
        Str::Emb(result.as_slice().into())
    } else {
        Str::Raw(Box::new(result.clone()))
    };
    db.set(a[1], Value::Str(value), true, now);
    ctx.notify(notify::STRING, "incrbyfloat", a[1]);
    // Recorded as the value it produced, so float formatting never matters on replay.
    if ctx.propagating() {
        ctx.propagate_as(rewrite::argv(&[b"SET", a[1], &result, b"KEEPTTL"]));
    }
    ctx.reply().bulk(&result);
    Ok(())
}

fn getrange(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let start = args::int(a[2])?;
    let end = args::int(a[3])?;
    let (db, reply, now) = ctx.db_and_reply();
    let mut scratch = Vec::new();
    let Some(s) = lookup_str(db, a[1], now)? else {
        reply.bulk(b"");
        return Ok(());
    };
    let bytes = s.as_bytes(&mut scratch);
    match clamp_range(start, end, bytes.len()) {
        Some((s, e)) => reply.bulk(&bytes[s..=e]),
        None => reply.bulk(b""),
    }
    Ok(())
}

/// GETRANGE's index rules: negative from the end, clamped; `None` for an empty result.
fn clamp_range(mut start: i64, mut end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

fn setrange(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let offset = args::int(a[2])?;
    if offset < 0 {
        return Err(CmdError::msg("ERR offset is out of range"));
    }
    let max = ctx.srv.config.proto_max_bulk_len;
    let value = a[3];
    let (db, reply, now) = ctx.db_and_reply();
    let len = match lookup_str_write(db, a[1], now)? {
        Some(s) => {
            if value.is_empty() {
                reply.int(s.len() as i64);
                return Ok(());
            }
            check_len(max, offset as u64 + value.len() as u64)?;
            let v = s.make_raw();
            let end = offset as usize + value.len();
            if v.len() < end {
                v.resize(end, 0);
            }
            v[offset as usize..end].copy_from_slice(value);
            v.len()
        }
        None => {
            if value.is_empty() {
                reply.int(0);
                return Ok(());
            }
            check_len(max, offset as u64 + value.len() as u64)?;
            let mut v = vec![0u8; offset as usize];
            v.extend_from_slice(value);
            let len = v.len();
            db.set(a[1], Value::Str(Str::Raw(Box::new(v))), false, now);
            len
        }
    };
    db.touch(a[1]);
    ctx.notify(notify::STRING, "setrange", a[1]);
    ctx.reply().int(len as i64);
    Ok(())
}

fn lcs(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let max = ctx.srv.config.proto_max_bulk_len;
    // Redis reads both keys (and reports a wrong type) before looking at the options.
    let (db, reply, now) = ctx.db_and_reply();
    let mut fetch = |key: &[u8]| -> Result<Vec<u8>, CmdError> {
        match db.lookup(key, now).map(|e| &e.value) {
            None => Ok(Vec::new()),
            Some(Value::Str(s)) => Ok(s.to_vec()),
            Some(_) => Err(CmdError::msg(
                "ERR The specified keys must contain string values",
            )),
        }
    };
    let x = fetch(a[1])?;
    let y = fetch(a[2])?;
    let mut get_len = false;
    let mut get_idx = false;
    let mut with_match_len = false;
    let mut min_match_len: i64 = 0;
    let mut i = 3;
    while i < a.len() {
        if is(a[i], "idx") {
            get_idx = true;
        } else if is(a[i], "len") {
            get_len = true;
        } else if is(a[i], "withmatchlen") {
            with_match_len = true;
        } else if is(a[i], "minmatchlen") && i + 1 < a.len() {
            min_match_len = args::int(a[i + 1])?.max(0);
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if get_idx && get_len {
        return Err(CmdError::msg(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    // The table is (|x|+1)(|y|+1) u32s; Redis refuses one larger than proto-max-bulk-len.
    let cells = (x.len() as u64 + 1) * (y.len() as u64 + 1);
    if cells.saturating_mul(4) > max {
        return Err(CmdError::msg(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let out = crate::util::lcs::lcs(&x, &y);
    if get_len {
        reply.int(out.len as i64);
        return Ok(());
    }
    if !get_idx {
        reply.bulk(&out.sequence);
        return Ok(());
    }
    let matches: Vec<_> = out
        .matches
        .iter()
        .filter(|m| m.len as i64 >= min_match_len)
        .collect();
    reply.map(2);
    reply.bulk(b"matches");
    reply.array(matches.len());
    for m in matches {
        reply.array(if with_match_len { 3 } else { 2 });
        reply.array(2);
        reply.int(m.a.0 as i64);
        reply.int(m.a.1 as i64);
        reply.array(2);
        reply.int(m.b.0 as i64);
        reply.int(m.b.1 as i64);
        if with_match_len {
            reply.int(m.len as i64);
        }
    }
    reply.bulk(b"len");
    reply.int(out.len as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::clamp_range;

    #[test]
    fn getrange_index_rules() {
        assert_eq!(clamp_range(0, -1, 5), Some((0, 4)));
        assert_eq!(clamp_range(-3, -1, 5), Some((2, 4)));
        assert_eq!(clamp_range(-1, -3, 5), None);
        assert_eq!(clamp_range(3, 100, 5), Some((3, 4)));
        assert_eq!(clamp_range(0, 0, 0), None);
        assert_eq!(clamp_range(-100, 1, 5), Some((0, 1)));
    }
}
