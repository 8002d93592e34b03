//! Persistence commands: SAVE, BGSAVE [SCHEDULE], LASTSAVE, DUMP, RESTORE, and DEBUG
//! RELOAD (called from DEBUG's handler). The work is in [`crate::persistence`]; these
//! parse arguments and reply with Redis's texts.

use super::Ctx;
use super::args::{int, is};
use super::error::{CmdError, CmdResult};
use super::rewrite;
use super::table::{Command, Group, cmd, flags::*};
use crate::config::notify;
use crate::persistence::{self, BgsaveError, rdb};

const SV: Group = Group::Server;
const KS: Group = Group::Generic;

pub static COMMANDS: &[Command] = &[
    cmd("save", 1, ADMIN | NOSCRIPT | NO_MULTI, (0, 0, 0), SV, save),
    cmd("bgsave", -1, ADMIN | NOSCRIPT, (0, 0, 0), SV, bgsave),
    cmd(
        "lastsave",
        1,
        LOADING | STALE | FAST,
        (0, 0, 0),
        SV,
        lastsave,
    ),
    cmd(
        "bgrewriteaof",
        1,
        ADMIN | NOSCRIPT,
        (0, 0, 0),
        SV,
        bgrewriteaof,
    ),
    cmd("dump", 2, READONLY, (1, 1, 1), KS, dump),
    cmd("restore", -4, WRITE | DENYOOM, (1, 1, 1), KS, restore),
];

const IN_PROGRESS: &str = "ERR Background save already in progress";

fn save(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    if ctx.srv.persist.child.is_some() {
        return Err(CmdError::msg(IN_PROGRESS));
    }
    ctx.srv.persist.saves += 1;
    match persistence::save(ctx.srv) {
        Ok(()) => ctx.reply().ok(),
        // Redis answers a bare "-ERR" (shared.err); the log says why.
        Err(_) => return Err(CmdError::msg("ERR")),
    }
    Ok(())
}

fn bgsave(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let schedule = match a.len() {
        1 => false,
        2 if is(a[1], "schedule") => true,
        _ => return Err(CmdError::Syntax),
    };
    if ctx.srv.persist.child.is_some() {
        return Err(CmdError::msg(IN_PROGRESS));
    }
    // Inside MULTI/EXEC, or while an AOF rewrite runs, Redis defers the fork to the cron.
    if ctx.client.in_exec || ctx.srv.aof.child.is_some() {
        if !(schedule || ctx.client.in_exec) {
            return Err(CmdError::msg(
                "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
            ));
        }
        ctx.srv.persist.bgsave_scheduled = true;
        ctx.reply().simple("Background saving scheduled");
        return Ok(());
    }
    match persistence::bgsave(ctx.srv) {
        Ok(_) => ctx.reply().simple("Background saving started"),
        Err(BgsaveError::InProgress) => return Err(CmdError::msg(IN_PROGRESS)),
        Err(BgsaveError::OtherChild) | Err(BgsaveError::Fork(_)) => {
            return Err(CmdError::msg("ERR"));
        }
    }
    Ok(())
}

fn bgrewriteaof(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    use crate::persistence::aof::{self, RewriteError};
    if ctx.srv.aof.child.is_some() {
        return Err(CmdError::msg(
            "ERR Background append only file rewriting already in progress",
        ));
    }
    if ctx.client.in_exec || ctx.srv.persist.child.is_some() {
        ctx.srv.aof.rewrite_scheduled = true;
        ctx.srv.aof.consecutive_failures = 0;
        ctx.reply()
            .simple("Background append only file rewriting scheduled");
        return Ok(());
    }
    match aof::rewrite_start(ctx.srv) {
        Ok(()) => ctx
            .reply()
            .simple("Background append only file rewriting started"),
        Err(RewriteError::Scheduled) => ctx
            .reply()
            .simple("Background append only file rewriting scheduled"),
        Err(RewriteError::InProgress) => {
            return Err(CmdError::msg(
                "ERR Background append only file rewriting already in progress",
            ));
        }
        Err(RewriteError::Failed) => {
            return Err(CmdError::msg(
                "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
            ));
        }
    }
    Ok(())
}

fn lastsave(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let t = ctx.srv.persist.lastsave;
    ctx.reply().int(t);
    Ok(())
}

fn dump(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let compress = ctx.srv.config.rdbcompression;
    let (db, reply, now) = ctx.db_and_reply();
    let Some(e) = db.lookup(a[1], now) else {
        reply.null();
        return Ok(());
    };
    let payload = rdb::dump(&e.value, compress).map_err(|e| CmdError::msg(format!("ERR {e}")))?;
    reply.bulk(&payload);
    Ok(())
}

fn restore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let mut idle: Option<i64> = None;
    let mut freq: Option<i64> = None;
    let mut j = 4;
    while j < a.len() {
        let more = a.len() - j - 1;
        if is(a[j], "replace") {
            replace = true;
        } else if is(a[j], "absttl") {
            absttl = true;
        } else if is(a[j], "idletime") && more >= 1 && freq.is_none() {
            let v = int(a[j + 1])?;
            if v < 0 {
                return Err(CmdError::msg("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v);
            j += 1;
        } else if is(a[j], "freq") && more >= 1 && idle.is_none() {
            let v = int(a[j + 1])?;
            if !(0..=255).contains(&v) {
                return Err(CmdError::msg(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            freq = Some(v);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let key = a[1];
    let now = ctx.now();
    if !replace && ctx.db().exists(key, now) {
        return Err(CmdError::msg("BUSYKEY Target key name already exists."));
    }
    let mut ttl = int(a[2])?;
    if ttl < 0 {
        return Err(CmdError::msg("ERR Invalid TTL value, must be >= 0"));
    }
    let skip_checksum = false;
    if !rdb::verify_payload(a[3], skip_checksum) {
        return Err(CmdError::msg(
            "ERR DUMP payload version or checksum are wrong",
        ));
    }
    let limits = rdb::Limits::from_config(&ctx.srv.config);
    let value = match rdb::restore(a[3], &limits) {
        Ok(Some(v)) => v,
        _ => return Err(CmdError::msg("ERR Bad data format")),
    };
    let deleted = replace && ctx.db().delete(key);
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(now);
    }
    // While loading, a past deadline is kept rather than applied (`checkAlreadyExpired`).
    if ttl != 0 && ttl <= now && !ctx.srv.aof.loading {
        // Already expired: the key ends up absent (deleted if it was replaced), which is
        // recorded as DEL, as Redis does.
        if deleted {
            ctx.notify(notify::GENERIC, "del", key);
            if ctx.propagating() {
                ctx.propagate_as(rewrite::del(false, key));
            }
        }
        ctx.reply().ok();
        return Ok(());
    }
    let db = ctx.db();
    db.insert(key.into(), value, (ttl != 0).then_some(ttl), now);
    // Both were range-checked above.
    db.restore_access(key, idle.map(|s| s as u64), freq.map(|f| f as u8), now);
    ctx.notify(notify::GENERIC, "restore", key);
    // A relative TTL is recorded as the absolute deadline plus ABSTTL (as Redis).
    if ttl != 0 && !absttl && ctx.propagating() {
        let mut argv = rewrite::argv(a);
        argv[2] = rewrite::int(ttl);
        argv.push(b"ABSTTL".to_vec());
        ctx.propagate_as(argv);
    }
    ctx.reply().ok();
    Ok(())
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the dataset, load the file back.
pub fn debug_reload(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for o in &a[2..] {
        if is(o, "merge") {
            merge = true;
        } else if is(o, "noflush") {
            flush = false;
        } else if is(o, "nosave") {
            save = false;
        } else {
            return Err(CmdError::msg(
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    if save && persistence::save(ctx.srv).is_err() {
        return Err(CmdError::msg("ERR"));
    }
    if persistence::load_now(ctx.srv, flush, merge).is_err() {
        return Err(CmdError::msg(
            "ERR Error trying to load the RDB dump, check server logs.",
        ));
    }
    ctx.srv.log.warning("DB reloaded by DEBUG RELOAD");
    ctx.reply().ok();
    Ok(())
}
