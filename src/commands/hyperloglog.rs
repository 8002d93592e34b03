//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG. The data format and the
//! estimator are in [`crate::storage::hll`]; an HLL is an ordinary string value.
//! Keyspace events as Redis 7.0: `pfadd` (class `$`) from PFADD when it changed the HLL
//! (or created it) and from every successful PFMERGE.

use super::Ctx;
use super::args::is;
use super::error::{CmdError, CmdResult};
use super::table::{Command, Group, cmd, flags::*};
use crate::config::notify;
use crate::storage::Db;
use crate::storage::hll::{self, Corrupt};
use crate::storage::value::{Str, Value};

const H: Group = Group::HyperLogLog;

pub static COMMANDS: &[Command] = &[
    cmd("pfadd", -2, WRITE | DENYOOM | FAST, (1, 1, 1), H, pfadd),
    cmd(
        "pfcount",
        -2,
        READONLY | MAY_REPLICATE,
        (1, -1, 1),
        H,
        pfcount,
    ),
    cmd("pfmerge", -2, WRITE | DENYOOM, (1, -1, 1), H, pfmerge),
    cmd("pfdebug", 3, WRITE | DENYOOM | ADMIN, (2, 2, 1), H, pfdebug),
];

fn invalid_hll() -> CmdError {
    CmdError::msg("WRONGTYPE Key is not a valid HyperLogLog string value.")
}

fn corrupt(_: Corrupt) -> CmdError {
    CmdError::msg("INVALIDOBJ Corrupted HLL object detected")
}

/// The HLL bytes under `key` for modification (raw, as Redis's `dbUnshareStringValue`).
/// `Ok(None)` when absent; errors for other types and malformed HLLs.
fn hll_mut<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a mut Vec<u8>>, CmdError> {
    match db.peek(key, now).map(|e| &mut e.value) {
        None => Ok(None),
        Some(Value::Str(s)) => {
            // Validate before converting: a failed command leaves the value as it was.
            if !matches!(s, Str::Raw(v) if hll::is_hll(v)) {
                let mut scratch = Vec::new();
                if !hll::is_hll(s.as_bytes(&mut scratch)) {
                    return Err(invalid_hll());
                }
            }
            Ok(Some(s.make_raw()))
        }
        Some(_) => Err(CmdError::WrongType),
    }
}

/// A copy of the HLL under `key` for reading; `None` when absent.
fn hll_read(db: &mut Db, key: &[u8], now: i64) -> Result<Option<Vec<u8>>, CmdError> {
    match db.lookup(key, now).map(|e| &e.value) {
        None => Ok(None),
        Some(Value::Str(s)) => {
            let v = s.to_vec();
            if !hll::is_hll(&v) {
                return Err(invalid_hll());
            }
            Ok(Some(v))
        }
        Some(_) => Err(CmdError::WrongType),
    }
}

fn pfadd(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let sparse_max = ctx.srv.config.hll_sparse_max_bytes;
    let (db, _, now) = ctx.db_and_reply();
    let mut updated = false;
    if hll_mut(db, a[1], now)?.is_none() {
        db.insert(
            a[1].into(),
            Value::Str(Str::Raw(Box::new(hll::new_sparse()))),
            None,
            now,
        );
        updated = true;
    }
    let Some(v) = hll_mut(db, a[1], now)? else {
        return Err(invalid_hll());
    };
    for e in &a[2..] {
        updated |= hll::add(v, e, sparse_max).map_err(corrupt)?;
    }
    if updated {
        hll::invalidate(v);
        db.touch(a[1]);
    }
    if updated {
        ctx.notify(notify::STRING, "pfadd", a[1]);
    }
    ctx.reply().int(updated as i64);
    Ok(())
}

fn pfcount(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    if a.len() > 2 {
        let mut max = vec![0u8; hll::REGISTERS];
        for key in &a[1..] {
            if let Some(v) = hll_read(db, key, now)? {
                hll::merge_into(&mut max, &v).map_err(corrupt)?;
            }
        }
        reply.int(hll::count_raw(&max) as i64);
        return Ok(());
    }
    if hll_read(db, a[1], now)?.is_none() {
        reply.int(0);
        return Ok(());
    }
    let Some(v) = hll_mut(db, a[1], now)? else {
        return Err(invalid_hll());
    };
    // The cached cardinality lives in the value itself, as in Redis.
    let card = match hll::cached(v) {
        Some(c) => c,
        None => {
            let c = hll::count(v).map_err(corrupt)?;
            hll::store_cache(v, c);
            // Caching rewrites the value, so Redis signals the key as modified.
            db.touch(a[1]);
            c
        }
    };
    reply.int(card as i64);
    Ok(())
}

fn pfmerge(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let sparse_max = ctx.srv.config.hll_sparse_max_bytes;
    let (db, _, now) = ctx.db_and_reply();
    // The destination takes part in the union too.
    let mut max = vec![0u8; hll::REGISTERS];
    let mut use_dense = false;
    for key in &a[1..] {
        if let Some(v) = hll_read(db, key, now)? {
            use_dense |= v[4] == 0;
            hll::merge_into(&mut max, &v).map_err(corrupt)?;
        }
    }
    if hll_mut(db, a[1], now)?.is_none() {
        db.insert(
            a[1].into(),
            Value::Str(Str::Raw(Box::new(hll::new_sparse()))),
            None,
            now,
        );
    }
    let Some(v) = hll_mut(db, a[1], now)? else {
        return Err(invalid_hll());
    };
    if use_dense {
        hll::to_dense(v).map_err(corrupt)?;
    }
    for (i, &m) in max.iter().enumerate() {
        if m > 0 {
            hll::set(v, i, m, sparse_max).map_err(corrupt)?;
        }
    }
    hll::invalidate(v);
    db.touch(a[1]);
    ctx.notify(notify::STRING, "pfadd", a[1]);
    ctx.reply().ok();
    Ok(())
}

/// PFDEBUG GETREG|ENCODING|TODENSE key: inspection as Redis's test suite uses it.
fn pfdebug(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let Some(v) = hll_mut(db, a[2], now)? else {
        return Err(CmdError::msg("ERR The specified key does not exist"));
    };
    if is(a[1], "getreg") {
        let regs = hll::registers(v).map_err(corrupt)?;
        reply.array(regs.len());
        for r in regs {
            reply.int(r as i64);
        }
    } else if is(a[1], "encoding") {
        reply.simple(if v[4] == 0 { "dense" } else { "sparse" });
    } else if is(a[1], "todense") {
        let was_sparse = v[4] != 0;
        hll::to_dense(v).map_err(corrupt)?;
        reply.int(was_sparse as i64);
    } else {
        return Err(CmdError::msg(format!(
            "ERR Unknown PFDEBUG subcommand '{}'",
            super::trunc(a[1], 128)
        )));
    }
    Ok(())
}
