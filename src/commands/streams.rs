//! Stream commands (Redis 7.0's `t_stream.c` command layer): XADD, XRANGE, XREVRANGE, XLEN,
//! XDEL, XTRIM, XREAD, XREADGROUP, XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO, XSETID.
//!
//! Handlers parse arguments in Redis's order (so the same input fails with the same error),
//! call [`crate::storage::stream`] and write the reply. Stream IDs are parsed the way Redis
//! parses them: as C strings (a NUL ends them), with `string2ull`'s leniency (`+5`, `05`).
//!
//! Blocking XREAD/XREADGROUP wait through [`Ctx::block`]; a `$` ID is replaced by the
//! stream's last ID before waiting, so the rerun on new data serves what arrived since. A
//! rerun serves one ready stream, as Redis serves blocked stream clients key by key.
//!
//! XADD, XTRIM, XREADGROUP, XCLAIM and XAUTOCLAIM are recorded in the AOF as deterministic
//! equivalents (generated IDs, exact trims, XCLAIMs of the pending entries they changed):
//! see `streams/propagate.rs`.

use super::Ctx;
use super::args::{int, is};
use super::error::{CmdError, CmdResult};
use super::server::reply_help;
use super::table::{Command, Group, cmd, container, flags::*};
use crate::config::notify::STREAM as NOTIFY;
use crate::protocol::Reply;
use crate::storage::Db;
use crate::storage::stream::{
    AddError, Entry, Group as CGroup, INVALID_ENTRIES_READ, Nack, NodeLimits, Stream, StreamId,
    Trim, TrimStrategy,
};
use crate::storage::value::Value;
use crate::util::numbers::parse_i64;

mod propagate;

const X: Group = Group::Stream;

static XGROUP: &[Command] = &[
    cmd("xgroup|create", -5, WRITE | DENYOOM, (2, 2, 1), X, xgroup),
    cmd("xgroup|setid", -5, WRITE, (2, 2, 1), X, xgroup),
    cmd("xgroup|destroy", 4, WRITE, (2, 2, 1), X, xgroup),
    cmd(
        "xgroup|createconsumer",
        5,
        WRITE | DENYOOM,
        (2, 2, 1),
        X,
        xgroup,
    ),
    cmd("xgroup|delconsumer", 5, WRITE, (2, 2, 1), X, xgroup),
    cmd("xgroup|help", 2, LOADING | STALE, (0, 0, 0), X, xgroup_help),
];

static XINFO: &[Command] = &[
    cmd("xinfo|consumers", 4, READONLY, (2, 2, 1), X, xinfo),
    cmd("xinfo|groups", 3, READONLY, (2, 2, 1), X, xinfo),
    cmd("xinfo|stream", -3, READONLY, (2, 2, 1), X, xinfo),
    cmd("xinfo|help", 2, LOADING | STALE, (0, 0, 0), X, xinfo_help),
];

pub static COMMANDS: &[Command] = &[
    cmd("xadd", -5, WRITE | DENYOOM | FAST, (1, 1, 1), X, xadd),
    cmd("xrange", -4, READONLY, (1, 1, 1), X, xrange),
    cmd("xrevrange", -4, READONLY, (1, 1, 1), X, xrevrange),
    cmd("xlen", 2, READONLY | FAST, (1, 1, 1), X, xlen),
    cmd("xdel", -3, WRITE | FAST, (1, 1, 1), X, xdel),
    cmd("xtrim", -4, WRITE, (1, 1, 1), X, xtrim),
    cmd(
        "xread",
        -4,
        READONLY | BLOCKING | MOVABLE_KEYS,
        (0, 0, 0),
        X,
        xread,
    ),
    cmd(
        "xreadgroup",
        -7,
        WRITE | BLOCKING | MOVABLE_KEYS,
        (0, 0, 0),
        X,
        xreadgroup,
    ),
    container("xgroup", -2, 0, X, XGROUP),
    cmd("xack", -4, WRITE | FAST, (1, 1, 1), X, xack),
    cmd("xpending", -3, READONLY, (1, 1, 1), X, xpending),
    cmd("xclaim", -6, WRITE | FAST, (1, 1, 1), X, xclaim),
    cmd("xautoclaim", -6, WRITE | FAST, (1, 1, 1), X, xautoclaim),
    container("xinfo", -2, 0, X, XINFO),
    cmd("xsetid", -3, WRITE | DENYOOM | FAST, (1, 1, 1), X, xsetid),
];

fn invalid_id() -> CmdError {
    CmdError::msg("ERR Invalid stream ID specified as stream command argument")
}

/// `arg` up to its first NUL, as C code comparing it with `strcmp` sees it.
fn cstr(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(i) => &arg[..i],
        None => arg,
    }
}

/// Redis's `string2ull`: `string2ll` first, then `strtoull`'s leniency (leading spaces,
/// a sign, leading zeros; `-n` wraps around).
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return (v >= 0).then_some(v as u64);
    }
    if s.is_empty() {
        return None;
    }
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        neg = s[i] == b'-';
        i += 1;
    }
    if i >= s.len() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in &s[i..] {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Redis's `streamGenericParseIDOrReply`: `<ms>[-<seq>]`, `-`/`+` unless `strict`, and
/// `<ms>-*` when `seq_star` (XADD). Returns the ID and whether its sequence was given.
fn parse_id_full(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    seq_star: bool,
) -> Option<(StreamId, bool)> {
    if arg.len() > 127 {
        return None;
    }
    let buf = cstr(arg);
    if buf == b"-" {
        return (!strict).then_some((StreamId::MIN, true));
    }
    if buf == b"+" {
        return (!strict).then_some((StreamId::MAX, true));
    }
    let (ms_part, seq_part) = match buf.iter().position(|&b| b == b'-') {
        Some(d) => (&buf[..d], Some(&buf[d + 1..])),
        None => (buf, None),
    };
    let ms = string2ull(ms_part)?;
    match seq_part {
        Some(b"*") if seq_star => Some((StreamId::new(ms, 0), false)),
        Some(p) => Some((StreamId::new(ms, string2ull(p)?), true)),
        None => Some((StreamId::new(ms, missing_seq), true)),
    }
}

/// A strict ID (no `-`/`+`), incomplete ones completed with sequence 0.
fn parse_strict(arg: &[u8]) -> Result<StreamId, CmdError> {
    parse_id_full(arg, 0, true, false)
        .map(|(id, _)| id)
        .ok_or_else(invalid_id)
}

/// A range bound: `(` makes it exclusive (and strict).
fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), CmdError> {
    let exclusive = arg.len() > 1 && arg[0] == b'(';
    let parsed = if exclusive {
        parse_id_full(&arg[1..], missing_seq, true, false)
    } else {
        parse_id_full(arg, missing_seq, false, false)
    };
    parsed.map(|(id, _)| (id, exclusive)).ok_or_else(invalid_id)
}

/// A range start, exclusive bounds moved to the next ID.
fn parse_start(arg: &[u8]) -> Result<StreamId, CmdError> {
    let (id, ex) = parse_interval(arg, 0)?;
    if ex {
        return id
            .incr()
            .ok_or_else(|| CmdError::msg("ERR invalid start ID for the interval"));
    }
    Ok(id)
}

fn parse_end(arg: &[u8]) -> Result<StreamId, CmdError> {
    let (id, ex) = parse_interval(arg, u64::MAX)?;
    if ex {
        return id
            .decr()
            .ok_or_else(|| CmdError::msg("ERR invalid end ID for the interval"));
    }
    Ok(id)
}

/// Text of a key or name inside an error, as Redis's `%s` prints it (up to a NUL).
fn shown(b: &[u8]) -> String {
    String::from_utf8_lossy(cstr(b)).into_owned()
}

fn subcommand_syntax(a: &[&[u8]]) -> CmdError {
    CmdError::msg(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        super::trunc(a[1], 128),
        String::from_utf8_lossy(a[0]).to_ascii_uppercase()
    ))
}

fn limits(ctx: &Ctx) -> NodeLimits {
    NodeLimits {
        max_bytes: ctx.srv.config.stream_node_max_bytes,
        max_entries: ctx.srv.config.stream_node_max_entries,
    }
}

/// The stream under `key` for a read (counts a keyspace hit or miss).
fn lookup_read<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a mut Stream>, CmdError> {
    match db.lookup(key, now) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Stream(s) => Ok(Some(s)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// The stream under `key` for a write (Redis's `lookupKeyWrite`: no hit/miss stats).
fn lookup_write<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a mut Stream>, CmdError> {
    match db.lookup_write(key, now) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Stream(s) => Ok(Some(s)),
            _ => Err(CmdError::WrongType),
        },
    }
}

fn reply_id(r: &mut Reply, id: StreamId) {
    let mut b = Vec::with_capacity(24);
    id.write(&mut b);
    r.bulk(&b);
}

/// `[id, [field, value, ...]]`.
fn reply_entry(r: &mut Reply, e: &Entry<'_>) {
    r.array(2);
    reply_id(r, e.id);
    r.array(e.nfields * 2);
    for (f, v) in e.fields() {
        f.with_bytes(|b| r.bulk(b));
        v.with_bytes(|b| r.bulk(b));
    }
}

// ---------------------------------------------------------------------------------------
// XADD, XTRIM
// ---------------------------------------------------------------------------------------

/// Options shared by XADD and XTRIM (Redis's `streamAddTrimArgs`).
struct AddTrim {
    /// Explicit ID and whether its sequence was given.
    id: Option<(StreamId, bool)>,
    no_mkstream: bool,
    trim: Option<Trim>,
    /// Position of the ID argument (XADD).
    idpos: usize,
    /// Positions of the trim threshold and of its `~` (when approximate), and of each
    /// LIMIT keyword: what the recorded form rewrites.
    threshold_at: usize,
    approx_at: Option<usize>,
    limits_at: Vec<usize>,
}

/// `obey`: the command comes from the AOF, whose exact trims may carry the LIMIT Redis
/// leaves in place when it rewrites `~` to `=` (Redis's `mustObeyClient`).
fn parse_add_trim(
    a: &[&[u8]],
    xadd: bool,
    node_max_entries: u64,
    obey: bool,
) -> Result<AddTrim, CmdError> {
    let mut strategy: Option<TrimStrategy> = None;
    let mut approx = false;
    let mut approx_at = None;
    let mut threshold_at = 0;
    let mut limits_at = Vec::new();
    let mut limit: i64 = 0;
    let mut limit_given = false;
    let mut id = None;
    let mut no_mkstream = false;
    let mut i = 2;
    let incompatible = || {
        CmdError::msg(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
        )
    };
    while i < a.len() {
        let more = a.len() - 1 - i;
        let opt = cstr(a[i]);
        if xadd && opt == b"*" {
            break;
        } else if is(opt, "maxlen") && more > 0 {
            if strategy.is_some() {
                return Err(incompatible());
            }
            approx = false;
            approx_at = None;
            let next = cstr(a[i + 1]);
            if more >= 2 && next == b"~" {
                approx = true;
                approx_at = Some(i + 1);
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            threshold_at = i + 1;
            let n = int(a[i + 1])?;
            if n < 0 {
                return Err(CmdError::msg("ERR The MAXLEN argument must be >= 0."));
            }
            i += 1;
            strategy = Some(TrimStrategy::MaxLen(n as u64));
        } else if is(opt, "minid") && more > 0 {
            if strategy.is_some() {
                return Err(incompatible());
            }
            approx = false;
            approx_at = None;
            let next = cstr(a[i + 1]);
            if more >= 2 && next == b"~" {
                approx = true;
                approx_at = Some(i + 1);
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            threshold_at = i + 1;
            let min = parse_strict(a[i + 1])?;
            i += 1;
            strategy = Some(TrimStrategy::MinId(min));
        } else if is(opt, "limit") && more > 0 {
            limit = int(a[i + 1])?;
            if limit < 0 {
                return Err(CmdError::msg("ERR The LIMIT argument must be >= 0."));
            }
            limit_given = true;
            limits_at.push(i);
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            no_mkstream = true;
        } else if xadd {
            id = Some(parse_id_full(a[i], 0, true, true).ok_or_else(invalid_id)?);
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if limit != 0 && strategy.is_none() {
        return Err(CmdError::msg(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && strategy.is_none() {
        return Err(CmdError::msg(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if limit_given && !approx && obey {
        limit = 0;
    } else if limit_given {
        if !approx {
            return Err(CmdError::msg(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if approx {
        limit = (node_max_entries as i64).saturating_mul(100);
        if limit <= 0 {
            limit = 10000;
        }
        if limit > 1_000_000 {
            limit = 1_000_000;
        }
    } else {
        limit = 0;
    }
    Ok(AddTrim {
        id,
        no_mkstream,
        trim: strategy.map(|strategy| Trim {
            strategy,
            approx,
            limit: limit as u64,
        }),
        idpos: i,
        threshold_at,
        approx_at,
        limits_at,
    })
}

fn xadd(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let lim = limits(ctx);
    let opts = parse_add_trim(a, true, lim.max_entries, ctx.client.fake)?;
    let field_pos = opts.idpos + 1;
    let nfields = a.len().saturating_sub(field_pos);
    if field_pos > a.len() || nfields < 2 || !nfields.is_multiple_of(2) {
        return Err(CmdError::msg(
            "ERR wrong number of arguments for 'xadd' command",
        ));
    }
    if let Some((id, true)) = opts.id
        && id.is_zero()
    {
        return Err(CmdError::msg(
            "ERR The ID specified in XADD must be greater than 0-0",
        ));
    }
    let key = a[1];
    let propagating = ctx.propagating();
    let (db, reply, now) = ctx.db_and_reply();
    if lookup_write(db, key, now)?.is_none() {
        if opts.no_mkstream {
            reply.null();
            return Ok(());
        }
        db.insert(key.into(), Value::Stream(Box::default()), None, now);
    }
    let Some(s) = lookup_write(db, key, now)? else {
        return Ok(());
    };
    if s.last_id == StreamId::MAX {
        return Err(CmdError::msg(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let added = s
        .next_id(now.max(0) as u64, opts.id)
        .and_then(|id| s.append(id, &a[field_pos..], lim).map(|_| id));
    let id = match added {
        Ok(id) => id,
        Err(AddError::IdTooSmall) => {
            return Err(CmdError::msg(
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            ));
        }
        Err(AddError::TooLarge) => {
            return Err(CmdError::msg("ERR Elements are too large to be stored"));
        }
    };
    reply_id(reply, id);
    let trimmed = opts.trim.is_some_and(|t| s.trim(&t) > 0);
    let recorded = if propagating {
        propagate::xadd_argv(a, &opts, id, s)
    } else {
        None
    };
    db.touch(key);
    db.signal_key_ready(key);
    ctx.notify(NOTIFY, "xadd", key);
    if trimmed {
        ctx.notify(NOTIFY, "xtrim", key);
    }
    if let Some(argv) = recorded {
        ctx.propagate_as(argv);
    }
    Ok(())
}

fn xtrim(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let lim = limits(ctx);
    let opts = parse_add_trim(a, false, lim.max_entries, ctx.client.fake)?;
    let propagating = ctx.propagating();
    let (db, reply, now) = ctx.db_and_reply();
    let Some(s) = lookup_write(db, a[1], now)? else {
        reply.int(0);
        return Ok(());
    };
    let deleted = match opts.trim {
        Some(t) => s.trim(&t),
        None => 0,
    };
    let recorded = if propagating && deleted > 0 {
        propagate::xtrim_argv(a, &opts, s)
    } else {
        None
    };
    reply.int(deleted as i64);
    if deleted > 0 {
        db.touch(a[1]);
        ctx.notify(NOTIFY, "xtrim", a[1]);
    }
    if let Some(argv) = recorded {
        ctx.propagate_as(argv);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// XRANGE, XREVRANGE, XLEN, XDEL
// ---------------------------------------------------------------------------------------

fn xrange(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    range_generic(ctx, a, false)
}

fn xrevrange(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    range_generic(ctx, a, true)
}

fn range_generic(ctx: &mut Ctx, a: &[&[u8]], rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev { (a[3], a[2]) } else { (a[2], a[3]) };
    let start = parse_start(start_arg)?;
    let end = parse_end(end_arg)?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < a.len() {
        if is(cstr(a[j]), "count") && j + 1 < a.len() {
            count = int(a[j + 1])?.max(0);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let (db, reply, now) = ctx.db_and_reply();
    let Some(s) = lookup_read(db, a[1], now)? else {
        reply.array(0);
        return Ok(());
    };
    if count == 0 {
        reply.null_array();
        return Ok(());
    }
    let count = if count < 0 { 0 } else { count as usize };
    let mut body = Reply {
        buf: Vec::new(),
        resp3: reply.resp3,
    };
    let n = s.range(start, end, rev, count, |e| {
        reply_entry(&mut body, e);
        true
    });
    reply.array(n);
    reply.raw(&body.buf);
    Ok(())
}

fn xlen(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let n = lookup_read(db, a[1], now)?.map_or(0, |s| s.len());
    reply.int(n as i64);
    Ok(())
}

fn xdel(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let Some(s) = lookup_write(db, a[1], now)? else {
        reply.int(0);
        return Ok(());
    };
    let ids = a[2..]
        .iter()
        .map(|x| parse_strict(x))
        .collect::<Result<Vec<_>, _>>()?;
    let n = s.delete_ids(&ids);
    reply.int(n as i64);
    if n > 0 {
        db.touch(a[1]);
        ctx.notify(NOTIFY, "xdel", a[1]);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// XREAD, XREADGROUP
// ---------------------------------------------------------------------------------------

/// What a reader wants from one stream.
#[derive(Clone, Copy)]
enum Want {
    /// Entries after this ID (history for XREADGROUP).
    After(StreamId),
    /// XREADGROUP `>`: entries never delivered to the group.
    New,
}

struct ReadArgs<'a> {
    /// `None`: no BLOCK; `Some(None)`: forever; `Some(Some(t))`: deadline in unix ms.
    block: Option<Option<i64>>,
    count: usize,
    keys: &'a [&'a [u8]],
    id_args: &'a [&'a [u8]],
    group: Option<(&'a [u8], &'a [u8])>,
    noack: bool,
}

fn parse_read_args<'a>(
    a: &'a [&'a [u8]],
    xreadgroup: bool,
    now: i64,
    in_script: bool,
) -> Result<ReadArgs<'a>, CmdError> {
    let mut block = None;
    let mut count = 0usize;
    let mut streams_arg = 0;
    let mut group = None;
    let mut noack = false;
    let mut i = 1;
    while i < a.len() {
        let more = a.len() - i - 1;
        let o = cstr(a[i]);
        if is(o, "block") && more > 0 {
            if in_script {
                return Err(CmdError::msg(format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(a[0])
                )));
            }
            i += 1;
            let t = parse_i64(a[i])
                .ok_or_else(|| CmdError::msg("ERR timeout is not an integer or out of range"))?;
            if t < 0 {
                return Err(CmdError::msg("ERR timeout is negative"));
            }
            // Redis 7.0 adds the clock without an overflow check: a huge timeout wraps
            // into the past and times out at once.
            block = Some((t > 0).then(|| now.wrapping_add(t)));
        } else if is(o, "count") && more > 0 {
            i += 1;
            count = int(a[i])?.max(0) as usize;
        } else if is(o, "streams") && more > 0 {
            streams_arg = i + 1;
            if !(a.len() - streams_arg).is_multiple_of(2) {
                return Err(CmdError::msg(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            break;
        } else if is(o, "group") && more >= 2 {
            if !xreadgroup {
                return Err(CmdError::msg(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            group = Some((a[i + 1], a[i + 2]));
            i += 2;
        } else if is(o, "noack") {
            if !xreadgroup {
                return Err(CmdError::msg(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            noack = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if streams_arg == 0 {
        return Err(CmdError::Syntax);
    }
    if xreadgroup && group.is_none() {
        return Err(CmdError::msg("ERR Missing GROUP option for XREADGROUP"));
    }
    let n = (a.len() - streams_arg) / 2;
    Ok(ReadArgs {
        block,
        count,
        keys: &a[streams_arg..streams_arg + n],
        id_args: &a[streams_arg + n..],
        group,
        noack,
    })
}

fn nogroup_read(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::msg(format!(
        "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
        shown(key),
        shown(group)
    ))
}

fn xread(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    read_generic(ctx, a, false)
}

fn xreadgroup(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    read_generic(ctx, a, true)
}

fn read_generic(ctx: &mut Ctx, a: &[&[u8]], xreadgroup: bool) -> CmdResult {
    let now = ctx.now();
    let args = parse_read_args(a, xreadgroup, now, ctx.in_script())?;
    // XREADGROUP is never recorded itself: what it changed in the groups is (below).
    if xreadgroup {
        ctx.no_propagate();
    }
    if ctx.is_retry() {
        return read_retry(ctx, &args);
    }
    let propagating = ctx.propagating();
    let mut changes: Vec<propagate::GroupChanges<'_>> = Vec::new();
    let (db, reply, now) = ctx.db_and_reply();
    // Resolve each ID, checking types and groups in argument order.
    let mut wants = Vec::with_capacity(args.keys.len());
    for (key, id_arg) in args.keys.iter().zip(args.id_args) {
        let s = lookup_read(db, key, now)?;
        if let Some((g, _)) = args.group
            && s.as_ref().is_none_or(|s| !s.groups.contains_key(g))
        {
            return Err(nogroup_read(key, g));
        }
        let id_arg = cstr(id_arg);
        let want = if id_arg == b"$" {
            if xreadgroup {
                return Err(CmdError::msg(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ));
            }
            Want::After(s.map_or(StreamId::MIN, |s| s.last_id))
        } else if id_arg == b">" {
            if !xreadgroup {
                return Err(CmdError::msg(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ));
            }
            Want::New
        } else {
            Want::After(parse_strict(id_arg)?)
        };
        wants.push(want);
    }
    // Serve synchronously what can be served.
    let mut body = Reply {
        buf: Vec::new(),
        resp3: reply.resp3,
    };
    let mut served = 0;
    let mut created: Vec<&[u8]> = Vec::new();
    for (key, want) in args.keys.iter().zip(&wants) {
        let Ok(Some(s)) = lookup_read(db, key, now) else {
            continue;
        };
        let mut created_here = false;
        let (from, history) = match (args.group, *want) {
            (Some((g, consumer)), want) => {
                let Some(last) = s.groups.get(g).map(|group| group.last_id) else {
                    continue;
                };
                let (from, history) = match want {
                    Want::After(id) => (Some(id), true),
                    Want::New => {
                        let serve = s.length > 0 && s.last_valid_id() > last;
                        (serve.then_some(last), false)
                    }
                };
                // Redis 7.0 creates (or refreshes) the consumer only when it serves it.
                if from.is_some()
                    && let Some(group) = s.groups.get_mut(g)
                    && group.consumer_seen(consumer, now)
                {
                    created.push(key);
                    created_here = true;
                }
                (from, history)
            }
            (None, Want::After(id)) => {
                let serve = s.length > 0 && s.last_valid_id() > id;
                (serve.then_some(id), false)
            }
            (None, Want::New) => (None, false),
        };
        let Some(from) = from else {
            continue;
        };
        served += 1;
        if !body.resp3 {
            body.array(2);
        }
        body.bulk(key);
        let start = from.incr().unwrap_or(StreamId::MIN);
        match args.group {
            Some((g, consumer)) => {
                let claimed = if history {
                    serve_history(s, g, consumer, start, args.count, now, &mut body)
                } else {
                    serve_group(
                        s, g, consumer, start, args.count, args.noack, now, &mut body,
                    )
                };
                if propagating {
                    changes.push(propagate::GroupChanges {
                        key,
                        group: g,
                        created: created_here.then_some(consumer),
                        claimed,
                        acked: Vec::new(),
                        setid: !history,
                    });
                }
            }
            None => {
                let mut entries = Reply {
                    buf: Vec::new(),
                    resp3: body.resp3,
                };
                let n = s.range(start, StreamId::MAX, false, args.count, |e| {
                    reply_entry(&mut entries, e);
                    true
                });
                body.array(n);
                body.raw(&entries.buf);
            }
        }
    }
    if served > 0 {
        if reply.resp3 {
            reply.map(served);
        } else {
            reply.array(served);
        }
        reply.raw(&body.buf);
        if args.group.is_some() {
            db.dirty += 1;
        }
        for key in created {
            ctx.notify(NOTIFY, "xgroup-createconsumer", key);
            ctx.db().dirty += 1;
        }
        for c in &changes {
            propagate::record(ctx, c);
        }
        return Ok(());
    }
    let Some(deadline) = args.block else {
        reply.null_array();
        return Ok(());
    };
    if !ctx.blocking_allowed() {
        ctx.reply().null_array();
        return Ok(());
    }
    // Wait with `$` replaced by the IDs it meant now, so the rerun serves what arrives.
    let first_id = a.len() - args.id_args.len();
    let rewritten: Vec<Vec<u8>> = a
        .iter()
        .enumerate()
        .map(|(i, arg)| match wants.get(i.wrapping_sub(first_id)) {
            Some(Want::After(id)) if i >= first_id && cstr(arg) == b"$" => id.to_bytes(),
            _ => arg.to_vec(),
        })
        .collect();
    let argv: Vec<&[u8]> = rewritten.iter().map(|v| v.as_slice()).collect();
    crate::server::blocking::register(ctx.srv, ctx.client, args.keys, deadline, &argv);
    Ok(())
}

/// A blocked XREAD/XREADGROUP runs again after a key became ready: serve the first stream
/// with entries past the waited ID (Redis's `serveClientsBlockedOnStreamKey`), else wait on.
fn read_retry(ctx: &mut Ctx, args: &ReadArgs<'_>) -> CmdResult {
    // A blocked reader without COUNT gets at most 1000 entries (XREAD_BLOCKED_DEFAULT_COUNT).
    let count = if args.count == 0 { 1000 } else { args.count };
    let propagating = ctx.propagating();
    let (db, reply, now) = ctx.db_and_reply();
    for (key, id_arg) in args.keys.iter().zip(args.id_args) {
        let s = match db.lookup(key, now) {
            Some(e) => match &mut e.value {
                Value::Stream(s) => s,
                _ => continue,
            },
            None if args.group.is_some() => {
                return Err(CmdError::msg("UNBLOCKED the stream key no longer exists"));
            }
            None => continue,
        };
        let gt = match args.group {
            Some((g, _)) => match s.groups.get(g) {
                Some(group) => group.last_id,
                None => {
                    return Err(CmdError::msg(
                        "NOGROUP the consumer group this client was blocked on no longer exists",
                    ));
                }
            },
            None => match parse_strict(id_arg) {
                Ok(id) => id,
                Err(_) => continue,
            },
        };
        if s.last_id <= gt {
            continue;
        }
        let start = gt.incr().unwrap_or(StreamId::MIN);
        if reply.resp3 {
            reply.map(1);
        } else {
            reply.array(1);
            reply.array(2);
        }
        reply.bulk(key);
        match args.group {
            Some((g, consumer)) => {
                let created = s
                    .groups
                    .get_mut(g)
                    .is_some_and(|group| group.consumer_seen(consumer, now));
                let claimed = serve_group(s, g, consumer, start, count, args.noack, now, reply);
                db.dirty += 1;
                if created {
                    ctx.notify(NOTIFY, "xgroup-createconsumer", key);
                    ctx.db().dirty += 1;
                }
                if propagating {
                    let changes = propagate::GroupChanges {
                        key,
                        group: g,
                        created: created.then_some(consumer),
                        claimed,
                        acked: Vec::new(),
                        setid: true,
                    };
                    propagate::record(ctx, &changes);
                }
            }
            None => {
                let mut entries = Reply {
                    buf: Vec::new(),
                    resp3: reply.resp3,
                };
                let n = s.range(start, StreamId::MAX, false, count, |e| {
                    reply_entry(&mut entries, e);
                    true
                });
                reply.array(n);
                reply.raw(&entries.buf);
            }
        }
        return Ok(());
    }
    ctx.block(args.keys, None);
    Ok(())
}

/// Deliver new entries from `start` to `consumer` of group `g` (which must exist), moving
/// the group forward and (unless NOACK) recording them as pending. Returns the IDs that
/// became pending.
#[allow(clippy::too_many_arguments)]
fn serve_group(
    s: &mut Stream,
    g: &[u8],
    consumer: &[u8],
    start: StreamId,
    count: usize,
    noack: bool,
    now: i64,
    out: &mut Reply,
) -> Vec<StreamId> {
    let Some(mut group) = s.groups.remove(g) else {
        out.array(0);
        return Vec::new();
    };
    let mut entries = Reply {
        buf: Vec::new(),
        resp3: out.resp3,
    };
    let stream: &Stream = s;
    let mut delivered = Vec::new();
    let n = stream.range(start, StreamId::MAX, false, count, |e| {
        stream.advance_group(&mut group, e.id);
        reply_entry(&mut entries, e);
        delivered.push(e.id);
        true
    });
    if noack {
        delivered.clear();
    }
    for &id in &delivered {
        deliver(&mut group, id, consumer, now);
    }
    s.groups.insert(g.into(), group);
    out.array(n);
    out.raw(&entries.buf);
    delivered
}

/// Record `id` as pending for `consumer` (taking it from another consumer if needed).
fn deliver(group: &mut CGroup, id: StreamId, consumer: &[u8], now: i64) {
    match group.pel.get_mut(&id) {
        None => {
            group.pel.insert(
                id,
                Nack {
                    delivery_time: now,
                    delivery_count: 1,
                    consumer: consumer.into(),
                },
            );
        }
        Some(n) => {
            n.delivery_time = now;
            n.delivery_count = 1;
        }
    }
    group.reassign(id, consumer);
}

/// XREADGROUP with an ID: the consumer's own pending entries from `start`. Returns the
/// IDs delivered again (those whose message still exists).
#[allow(clippy::too_many_arguments)]
fn serve_history(
    s: &mut Stream,
    g: &[u8],
    consumer: &[u8],
    start: StreamId,
    count: usize,
    now: i64,
    out: &mut Reply,
) -> Vec<StreamId> {
    let Some(mut group) = s.groups.remove(g) else {
        out.array(0);
        return Vec::new();
    };
    let mut redelivered = Vec::new();
    let ids: Vec<StreamId> = group
        .consumers
        .get(consumer)
        .map(|c| {
            c.pel
                .range(start..)
                .take(if count == 0 { usize::MAX } else { count })
                .copied()
                .collect()
        })
        .unwrap_or_default();
    out.array(ids.len());
    for id in ids {
        match s.get(id) {
            Some(e) => {
                reply_entry(out, &e);
                if let Some(n) = group.pel.get_mut(&id) {
                    n.delivery_time = now;
                    n.delivery_count = n.delivery_count.wrapping_add(1);
                    redelivered.push(id);
                }
            }
            None => {
                out.array(2);
                reply_id(out, id);
                out.null_array();
            }
        }
    }
    s.groups.insert(g.into(), group);
    redelivered
}

// ---------------------------------------------------------------------------------------
// XGROUP, XSETID
// ---------------------------------------------------------------------------------------

fn xgroup_help(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    reply_help(
        ctx.reply(),
        &[
            "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}

fn xgroup(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let opt = cstr(a[1]);
    let create = is(opt, "create");
    let setid = is(opt, "setid");
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let mut i = 5;
    while i < a.len() {
        let o = cstr(a[i]);
        if create && is(o, "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && is(o, "entriesread") && i + 1 < a.len() {
            entries_read = int(a[i + 1])?;
            if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                return Err(CmdError::msg(
                    "ERR value for ENTRIESREAD must be positive or -1",
                ));
            }
            i += 2;
        } else {
            return Err(subcommand_syntax(a));
        }
    }
    let (key, gname) = (a[2], a[3]);
    let (db, reply, now) = ctx.db_and_reply();
    let exists = lookup_write(db, key, now)?.is_some();
    if !mkstream {
        let Some(s) = lookup_write(db, key, now)? else {
            return Err(CmdError::msg(
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
            ));
        };
        if !s.groups.contains_key(gname)
            && (setid || is(opt, "createconsumer") || is(opt, "delconsumer"))
        {
            return Err(CmdError::msg(format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                shown(gname),
                shown(key)
            )));
        }
    }
    if create && (5..=8).contains(&a.len()) {
        let id = if cstr(a[4]) == b"$" {
            lookup_write(db, key, now)?.map_or(StreamId::MIN, |s| s.last_id)
        } else {
            parse_strict(a[4])?
        };
        if !exists {
            db.insert(key.into(), Value::Stream(Box::default()), None, now);
        }
        let Some(s) = lookup_write(db, key, now)? else {
            return Ok(());
        };
        if s.groups.contains_key(gname) {
            return Err(CmdError::msg(
                "BUSYGROUP Consumer Group name already exists",
            ));
        }
        s.groups.insert(gname.into(), CGroup::new(id, entries_read));
        reply.ok();
        ctx.notify(NOTIFY, "xgroup-create", key);
        // Redis counts the change (server.dirty) without touching WATCHed keys.
        ctx.db().dirty += 1;
        return Ok(());
    }
    let Some(s) = lookup_write(db, key, now)? else {
        return Err(subcommand_syntax(a));
    };
    if setid && (a.len() == 5 || a.len() == 7) {
        let id = if cstr(a[4]) == b"$" {
            s.last_id
        } else {
            parse_id_full(a[4], 0, false, false)
                .map(|(id, _)| id)
                .ok_or_else(invalid_id)?
        };
        if let Some(g) = s.groups.get_mut(gname) {
            g.last_id = id;
            g.entries_read = entries_read;
        }
        reply.ok();
        ctx.notify(NOTIFY, "xgroup-setid", key);
        // Redis counts the change (server.dirty) without touching WATCHed keys.
        ctx.db().dirty += 1;
    } else if is(opt, "destroy") && a.len() == 4 {
        if s.groups.remove(gname).is_some() {
            reply.int(1);
            // Readers blocked on the group get their NOGROUP error.
            db.signal_key_ready(key);
            ctx.notify(NOTIFY, "xgroup-destroy", key);
            // Redis counts the change (server.dirty) without touching WATCHed keys.
            ctx.db().dirty += 1;
        } else {
            reply.int(0);
        }
    } else if is(opt, "createconsumer") && a.len() == 5 {
        let created = match s.groups.get_mut(gname) {
            Some(g) if !g.consumers.contains_key(a[4]) => g.consumer_seen(a[4], now),
            _ => false,
        };
        reply.int(created as i64);
        if created {
            ctx.notify(NOTIFY, "xgroup-createconsumer", key);
            ctx.db().dirty += 1;
        }
    } else if is(opt, "delconsumer") && a.len() == 5 {
        let pending = s
            .groups
            .get_mut(gname)
            .and_then(|g| g.delete_consumer(a[4]));
        reply.int(pending.unwrap_or(0) as i64);
        if pending.is_some() {
            ctx.notify(NOTIFY, "xgroup-delconsumer", key);
            // Redis counts the change (server.dirty) without touching WATCHed keys.
            ctx.db().dirty += 1;
        }
    } else {
        return Err(subcommand_syntax(a));
    }
    Ok(())
}

fn xsetid(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let id = parse_strict(a[2])?;
    let mut entries_added: i64 = -1;
    let mut max_xdel = StreamId::MIN;
    let mut i = 3;
    while i < a.len() {
        let more = a.len() - 1 - i;
        let o = cstr(a[i]);
        if is(o, "entriesadded") && more > 0 {
            entries_added = int(a[i + 1])?;
            if entries_added < 0 {
                return Err(CmdError::msg("ERR entries_added must be positive"));
            }
            i += 2;
        } else if is(o, "maxdeletedid") && more > 0 {
            max_xdel = parse_strict(a[i + 1])?;
            if id < max_xdel {
                return Err(CmdError::msg(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let (db, reply, now) = ctx.db_and_reply();
    let Some(s) = lookup_write(db, a[1], now)? else {
        return Err(CmdError::NoSuchKey);
    };
    if s.length > 0 {
        if id < s.last_valid_id() {
            return Err(CmdError::msg(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added != -1 && s.length > entries_added as u64 {
            return Err(CmdError::msg(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if !max_xdel.is_zero() {
        s.max_deleted_entry_id = max_xdel;
    }
    reply.ok();
    ctx.notify(NOTIFY, "xsetid", a[1]);
    // Redis counts the change (server.dirty) without touching WATCHed keys.
    ctx.db().dirty += 1;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// XACK, XPENDING, XCLAIM, XAUTOCLAIM
// ---------------------------------------------------------------------------------------

fn nogroup(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::msg(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        shown(key),
        shown(group)
    ))
}

fn xack(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let Some(group) = lookup_read(db, a[1], now)?.and_then(|s| s.groups.get_mut(a[2])) else {
        reply.int(0);
        return Ok(());
    };
    let ids = a[3..]
        .iter()
        .map(|x| parse_strict(x))
        .collect::<Result<Vec<_>, _>>()?;
    let n = ids.into_iter().filter(|id| group.ack(*id)).count();
    reply.int(n as i64);
    db.dirty += n as u64;
    Ok(())
}

fn xpending(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let argc = a.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CmdError::Syntax);
    }
    let mut range = None;
    let mut minidle = 0;
    let mut consumer_name = None;
    if argc >= 6 {
        let mut start_idx = 3;
        if is(cstr(a[3]), "idle") {
            minidle = int(a[4])?;
            if argc < 8 {
                return Err(CmdError::Syntax);
            }
            start_idx += 2;
        }
        let count = int(a[start_idx + 2])?.max(0);
        let start = parse_start(a[start_idx])?;
        let end = parse_end(a[start_idx + 1])?;
        if start_idx + 3 < argc {
            consumer_name = Some(a[start_idx + 3]);
        }
        range = Some((start, end, count));
    }
    let (db, reply, now) = ctx.db_and_reply();
    let Some(group) = lookup_read(db, a[1], now)?.and_then(|s| s.groups.get(a[2])) else {
        return Err(nogroup(a[1], a[2]));
    };
    let Some((start, end, mut count)) = range else {
        reply.array(4);
        reply.int(group.pel.len() as i64);
        match (group.pel.first_key_value(), group.pel.last_key_value()) {
            (Some((first, _)), Some((last, _))) => {
                reply_id(reply, *first);
                reply_id(reply, *last);
                let owners: Vec<_> = group
                    .consumers
                    .iter()
                    .filter(|(_, c)| !c.pel.is_empty())
                    .collect();
                reply.array(owners.len());
                for (name, c) in owners {
                    reply.array(2);
                    reply.bulk(name);
                    reply.bulk_i64(c.pel.len() as i64);
                }
            }
            _ => {
                reply.null();
                reply.null();
                reply.null_array();
            }
        }
        return Ok(());
    };
    let ids: Vec<StreamId> = match consumer_name {
        Some(name) => match group.consumers.get(name) {
            Some(c) => c
                .pel
                .range(start..)
                .take_while(|id| **id <= end)
                .copied()
                .collect(),
            None => {
                reply.array(0);
                return Ok(());
            }
        },
        None => group
            .pel
            .range(start..)
            .take_while(|(id, _)| **id <= end)
            .map(|(id, _)| *id)
            .collect(),
    };
    let mut body = Reply {
        buf: Vec::new(),
        resp3: reply.resp3,
    };
    let mut n = 0;
    for id in ids {
        if count == 0 {
            break;
        }
        let Some(nack) = group.pel.get(&id) else {
            continue;
        };
        let idle = now.wrapping_sub(nack.delivery_time);
        if minidle != 0 && idle < minidle {
            continue;
        }
        n += 1;
        count -= 1;
        body.array(4);
        reply_id(&mut body, id);
        body.bulk(&nack.consumer);
        body.int(idle.max(0));
        body.int(nack.delivery_count as i64);
    }
    reply.array(n);
    reply.raw(&body.buf);
    Ok(())
}

fn xclaim(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    // Recorded as what it changed (see `propagate`): min-idle-time and IDLE depend on
    // the clock.
    ctx.no_propagate();
    let propagating = ctx.propagating();
    let mut changes = propagate::GroupChanges {
        key: a[1],
        group: a[2],
        ..Default::default()
    };
    let (db, reply, now) = ctx.db_and_reply();
    let Some(s) = lookup_read(db, a[1], now)? else {
        return Err(nogroup(a[1], a[2]));
    };
    if !s.groups.contains_key(a[2]) {
        return Err(nogroup(a[1], a[2]));
    }
    let minidle = parse_i64(a[4])
        .ok_or_else(|| CmdError::msg("ERR Invalid min-idle-time argument for XCLAIM"))?
        .max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < a.len() {
        match parse_id_full(a[j], 0, true, false) {
            Some((id, _)) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let mut force = false;
    let mut justid = false;
    let mut retrycount: i64 = -1;
    let mut deliverytime: i64 = -1;
    let mut last_id = StreamId::MIN;
    while j < a.len() {
        let more = a.len() - 1 - j;
        let opt = cstr(a[j]);
        let num = |arg: &[u8], what: &str| {
            parse_i64(arg).ok_or_else(|| {
                CmdError::msg(format!("ERR Invalid {what} option argument for XCLAIM"))
            })
        };
        if is(opt, "force") {
            force = true;
        } else if is(opt, "justid") {
            justid = true;
        } else if is(opt, "idle") && more > 0 {
            j += 1;
            deliverytime = now.wrapping_sub(num(a[j], "IDLE")?);
        } else if is(opt, "time") && more > 0 {
            j += 1;
            deliverytime = num(a[j], "TIME")?;
        } else if is(opt, "retrycount") && more > 0 {
            j += 1;
            retrycount = num(a[j], "RETRYCOUNT")?;
        } else if is(opt, "lastid") && more > 0 {
            j += 1;
            last_id = parse_strict(a[j])?;
        } else {
            return Err(CmdError::msg(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                shown(opt)
            )));
        }
        j += 1;
    }
    let Some(mut group) = s.groups.remove(a[2]) else {
        return Err(nogroup(a[1], a[2]));
    };
    let mut dirty = group.pel.len() as u64;
    let moved_last_id = last_id > group.last_id;
    if moved_last_id {
        group.last_id = last_id;
        dirty += 1;
    }
    if deliverytime == -1 || deliverytime < 0 || deliverytime > now {
        deliverytime = now;
    }
    let name = a[3];
    let mut created = false;
    let mut body = Reply {
        buf: Vec::new(),
        resp3: reply.resp3,
    };
    let mut n = 0;
    for id in ids {
        let exists = s.contains(id);
        if !exists {
            if group.ack(id) && propagating {
                changes.acked.push(id);
            }
            continue;
        }
        let forced = force && !group.pel.contains_key(&id);
        if forced {
            group.pel.insert(
                id,
                Nack {
                    delivery_time: now,
                    delivery_count: 1,
                    consumer: Box::default(),
                },
            );
        }
        let Some(nack) = group.pel.get(&id) else {
            continue;
        };
        if !forced && minidle != 0 && now.wrapping_sub(nack.delivery_time) < minidle {
            continue;
        }
        created |= group.consumer_seen(name, now);
        if let Some(nack) = group.pel.get_mut(&id) {
            nack.delivery_time = deliverytime;
            if retrycount >= 0 {
                nack.delivery_count = retrycount as u64;
            } else if !justid {
                nack.delivery_count = nack.delivery_count.wrapping_add(1);
            }
        }
        group.reassign(id, name);
        n += 1;
        if propagating {
            changes.claimed.push(id);
        }
        if justid {
            reply_id(&mut body, id);
        } else if let Some(e) = s.get(id) {
            reply_entry(&mut body, &e);
        }
    }
    // Claims plus PEL entries dropped for deleted messages (Redis's dirty count).
    dirty = dirty.saturating_sub(group.pel.len() as u64) + n as u64;
    s.groups.insert(a[2].into(), group);
    reply.array(n);
    reply.raw(&body.buf);
    db.dirty += dirty;
    if created {
        ctx.notify(NOTIFY, "xgroup-createconsumer", a[1]);
        ctx.db().dirty += 1;
    }
    if propagating {
        // A LASTID that moved the group is carried by the XCLAIMs, else recorded alone.
        changes.setid = moved_last_id && changes.claimed.is_empty();
        propagate::record(ctx, &changes);
    }
    Ok(())
}

fn xautoclaim(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let minidle = parse_i64(a[4])
        .ok_or_else(|| CmdError::msg("ERR Invalid min-idle-time argument for XAUTOCLAIM"))?
        .max(0);
    let start = parse_start(a[5])?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < a.len() {
        let more = a.len() - 1 - j;
        let opt = cstr(a[j]);
        if is(opt, "count") && more > 0 {
            let max = i64::MAX / 16;
            count = parse_i64(a[j + 1])
                .filter(|c| (1..=max).contains(c))
                .ok_or_else(|| CmdError::msg("ERR COUNT must be > 0"))?;
            j += 1;
        } else if is(opt, "justid") {
            justid = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    // Recorded as what it changed (see `propagate`).
    ctx.no_propagate();
    let propagating = ctx.propagating();
    let mut changes = propagate::GroupChanges {
        key: a[1],
        group: a[2],
        ..Default::default()
    };
    let (db, reply, now) = ctx.db_and_reply();
    let Some(s) = lookup_read(db, a[1], now)? else {
        return Err(nogroup(a[1], a[2]));
    };
    if !s.groups.contains_key(a[2]) {
        return Err(nogroup(a[1], a[2]));
    }
    // Redis allocates COUNT stream IDs up front; past what the address space can map
    // (observed between 2^46 and 2^46.7 bytes with jemalloc on x86-64) it refuses.
    if (count as u64).saturating_mul(16) > 1 << 46 {
        return Err(CmdError::msg(
            "ERR Insufficient memory, failed allocating transient memory, COUNT too high.",
        ));
    }
    let Some(mut group) = s.groups.remove(a[2]) else {
        return Err(nogroup(a[1], a[2]));
    };
    let name = a[3];
    let mut created = false;
    let mut attempts = count.saturating_mul(10);
    let mut body = Reply {
        buf: Vec::new(),
        resp3: reply.resp3,
    };
    let mut claimed = 0;
    let mut deleted = Vec::new();
    let mut cursor = start;
    let mut visited_last: Option<StreamId> = None;
    loop {
        if attempts == 0 {
            break;
        }
        attempts -= 1;
        if count == 0 {
            break;
        }
        let next = match visited_last {
            None => group.pel.range(cursor..).next(),
            Some(last) => group
                .pel
                .range((std::ops::Bound::Excluded(last), std::ops::Bound::Unbounded))
                .next(),
        };
        let Some((&id, nack)) = next else {
            visited_last = None;
            cursor = StreamId::MAX;
            break;
        };
        let delivery_time = nack.delivery_time;
        visited_last = Some(id);
        if !s.contains(id) {
            group.ack(id);
            deleted.push(id);
            count -= 1;
            continue;
        }
        if minidle != 0 && now.wrapping_sub(delivery_time) < minidle {
            continue;
        }
        created |= group.consumer_seen(name, now);
        if let Some(nack) = group.pel.get_mut(&id) {
            nack.delivery_time = now;
            if !justid {
                nack.delivery_count = nack.delivery_count.wrapping_add(1);
            }
        }
        group.reassign(id, name);
        if propagating {
            changes.claimed.push(id);
        }
        if justid {
            reply_id(&mut body, id);
        } else if let Some(e) = s.get(id) {
            reply_entry(&mut body, &e);
        }
        claimed += 1;
        count -= 1;
    }
    // The cursor is the PEL entry after the last one looked at, 0-0 at the end.
    let next_cursor = match visited_last {
        Some(last) => group
            .pel
            .range((std::ops::Bound::Excluded(last), std::ops::Bound::Unbounded))
            .next()
            .map(|(id, _)| *id),
        None if cursor == StreamId::MAX => None,
        None => group.pel.range(cursor..).next().map(|(id, _)| *id),
    };
    s.groups.insert(a[2].into(), group);
    db.dirty += (claimed + deleted.len()) as u64;
    reply.array(3);
    reply_id(reply, next_cursor.unwrap_or(StreamId::MIN));
    reply.array(claimed);
    reply.raw(&body.buf);
    reply.array(deleted.len());
    for &id in &deleted {
        reply_id(reply, id);
    }
    if created {
        ctx.notify(NOTIFY, "xgroup-createconsumer", a[1]);
        ctx.db().dirty += 1;
    }
    if propagating {
        changes.acked = deleted;
        propagate::record(ctx, &changes);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// XINFO
// ---------------------------------------------------------------------------------------

fn xinfo_help(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    reply_help(
        ctx.reply(),
        &[
            "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}

fn reply_lag(r: &mut Reply, s: &Stream, g: &CGroup) {
    match s.lag(g) {
        Some(l) => r.int(l),
        None => r.null(),
    }
}

fn reply_entries_read(r: &mut Reply, g: &CGroup) {
    if g.entries_read != INVALID_ENTRIES_READ {
        r.int(g.entries_read);
    } else {
        r.null();
    }
}

fn xinfo(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let opt = cstr(a[1]);
    let (db, reply, now) = ctx.db_and_reply();
    let Some(s) = lookup_read(db, a[2], now)? else {
        return Err(CmdError::NoSuchKey);
    };
    if is(opt, "consumers") && a.len() == 4 {
        let Some(g) = s.groups.get(a[3]) else {
            return Err(CmdError::msg(format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                shown(a[3]),
                shown(a[2])
            )));
        };
        reply.array(g.consumers.len());
        for (name, c) in &g.consumers {
            reply.map(3);
            reply.bulk(b"name");
            reply.bulk(name);
            reply.bulk(b"pending");
            reply.int(c.pel.len() as i64);
            reply.bulk(b"idle");
            reply.int(now - c.seen_time);
        }
    } else if is(opt, "groups") && a.len() == 3 {
        reply.array(s.groups.len());
        for (name, g) in &s.groups {
            reply.map(6);
            reply.bulk(b"name");
            reply.bulk(name);
            reply.bulk(b"consumers");
            reply.int(g.consumers.len() as i64);
            reply.bulk(b"pending");
            reply.int(g.pel.len() as i64);
            reply.bulk(b"last-delivered-id");
            reply_id(reply, g.last_id);
            reply.bulk(b"entries-read");
            reply_entries_read(reply, g);
            reply.bulk(b"lag");
            reply_lag(reply, s, g);
        }
    } else if is(opt, "stream") {
        xinfo_stream(s, a, reply)?;
    } else {
        return Err(subcommand_syntax(a));
    }
    Ok(())
}

fn xinfo_stream(s: &Stream, a: &[&[u8]], reply: &mut Reply) -> CmdResult {
    let opts = &a[3..];
    let mut full = false;
    let mut count: i64 = 10;
    if !opts.is_empty() {
        if (opts.len() != 1 && opts.len() != 3) || !is(cstr(opts[0]), "full") {
            return Err(subcommand_syntax(a));
        }
        full = true;
        if opts.len() == 3 {
            if !is(cstr(opts[1]), "count") {
                return Err(subcommand_syntax(a));
            }
            count = int(opts[2])?;
            if count < 0 {
                count = 10;
            }
        }
    }
    let count = count as usize;
    reply.map(if full { 9 } else { 10 });
    reply.bulk(b"length");
    reply.int(s.length as i64);
    reply.bulk(b"radix-tree-keys");
    reply.int(s.node_count() as i64);
    reply.bulk(b"radix-tree-nodes");
    reply.int(s.rax_nodes() as i64);
    reply.bulk(b"last-generated-id");
    reply_id(reply, s.last_id);
    reply.bulk(b"max-deleted-entry-id");
    reply_id(reply, s.max_deleted_entry_id);
    reply.bulk(b"entries-added");
    reply.int(s.entries_added as i64);
    reply.bulk(b"recorded-first-entry-id");
    reply_id(reply, s.first_id);
    if !full {
        reply.bulk(b"groups");
        reply.int(s.groups.len() as i64);
        for (label, rev) in [(&b"first-entry"[..], false), (b"last-entry", true)] {
            reply.bulk(label);
            let n = s.range(StreamId::MIN, StreamId::MAX, rev, 1, |e| {
                reply_entry(reply, e);
                false
            });
            if n == 0 {
                reply.null();
            }
        }
        return Ok(());
    }
    reply.bulk(b"entries");
    let mut body = Reply {
        buf: Vec::new(),
        resp3: reply.resp3,
    };
    let n = s.range(StreamId::MIN, StreamId::MAX, false, count, |e| {
        reply_entry(&mut body, e);
        true
    });
    reply.array(n);
    reply.raw(&body.buf);
    reply.bulk(b"groups");
    reply.array(s.groups.len());
    let limit = if count == 0 { usize::MAX } else { count };
    for (name, g) in &s.groups {
        reply.map(7);
        reply.bulk(b"name");
        reply.bulk(name);
        reply.bulk(b"last-delivered-id");
        reply_id(reply, g.last_id);
        reply.bulk(b"entries-read");
        reply_entries_read(reply, g);
        reply.bulk(b"lag");
        reply_lag(reply, s, g);
        reply.bulk(b"pel-count");
        reply.int(g.pel.len() as i64);
        reply.bulk(b"pending");
        let shown_pel: Vec<_> = g.pel.iter().take(limit).collect();
        reply.array(shown_pel.len());
        for (id, nack) in shown_pel {
            reply.array(4);
            reply_id(reply, *id);
            reply.bulk(&nack.consumer);
            reply.int(nack.delivery_time);
            reply.int(nack.delivery_count as i64);
        }
        reply.bulk(b"consumers");
        reply.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            reply.map(4);
            reply.bulk(b"name");
            reply.bulk(cname);
            reply.bulk(b"seen-time");
            reply.int(c.seen_time);
            reply.bulk(b"pel-count");
            reply.int(c.pel.len() as i64);
            reply.bulk(b"pending");
            let ids: Vec<_> = c.pel.iter().take(limit).collect();
            reply.array(ids.len());
            for id in ids {
                let nack = g.pel.get(id);
                reply.array(3);
                reply_id(reply, *id);
                reply.int(nack.map_or(0, |n| n.delivery_time));
                reply.int(nack.map_or(0, |n| n.delivery_count as i64));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_parsing_follows_redis() {
        let p = |s: &[u8]| parse_id_full(s, 0, true, true);
        assert_eq!(p(b"1-2"), Some((StreamId::new(1, 2), true)));
        assert_eq!(p(b"5"), Some((StreamId::new(5, 0), true)));
        assert_eq!(p(b"05-1"), Some((StreamId::new(5, 1), true)));
        assert_eq!(p(b"+7-1"), Some((StreamId::new(7, 1), true)));
        assert_eq!(p(b"-01-1"), None);
        assert_eq!(p(b"1--2"), None);
        assert_eq!(p(b"1-*"), Some((StreamId::new(1, 0), false)));
        assert_eq!(p(b"-"), None);
        assert_eq!(
            parse_id_full(b"-", 0, false, false),
            Some((StreamId::MIN, true))
        );
        assert_eq!(
            parse_id_full(b"+", 7, false, false),
            Some((StreamId::MAX, true))
        );
        assert_eq!(p(b"1-2\0junk"), Some((StreamId::new(1, 2), true)));
        assert_eq!(
            p(b"18446744073709551615-18446744073709551615"),
            Some((StreamId::MAX, true))
        );
        assert_eq!(p(b"18446744073709551616"), None);
        assert_eq!(p(b""), None);
        assert_eq!(p(&[b'1'; 128]), None);
        assert_eq!(string2ull(b"-0"), Some(0));
        assert_eq!(string2ull(b" 7"), Some(7));
        assert_eq!(string2ull(b"7 "), None);
        assert_eq!(string2ull(b"-1"), None);
        assert_eq!(string2ull(b"-01"), Some(u64::MAX));
    }
}
