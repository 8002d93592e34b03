//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! While a client is in MULTI, [`super::execute`] queues its commands (after the checks that
//! Redis makes at queue time: unknown command, arity, auth; a failure flags the transaction
//! and EXEC answers EXECABORT). EXEC runs the queue through the same `execute`, so each
//! command's reply lands in the EXEC array and runtime errors do not roll anything back.
//! WATCH records each key's modification version in its database (`Db::watch`); every
//! modification bumps it (`Db::touch`), and EXEC fails with a null reply if any version
//! moved or a watched key expired since.

use super::Ctx;
use super::error::{CmdError, CmdResult};
use super::table::{Command, Group, cmd, flags::*};
use crate::server::{Client, ServerState};

const T: Group = Group::Transaction;

pub static COMMANDS: &[Command] = &[
    cmd(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (0, 0, 0),
        T,
        multi,
    ),
    cmd(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        (0, 0, 0),
        T,
        exec,
    ),
    cmd(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (0, 0, 0),
        T,
        discard_cmd,
    ),
    cmd(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (1, -1, 1),
        T,
        watch,
    ),
    cmd(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (0, 0, 0),
        T,
        unwatch_cmd,
    ),
];

/// Commands that run immediately even inside MULTI.
pub fn runs_inside_multi(cmd: &Command) -> bool {
    let root = cmd.name.split('|').next().unwrap_or(cmd.name);
    matches!(
        root,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

pub fn queue(client: &mut Client, args: &[&[u8]]) {
    if let Some(q) = client.multi.as_mut() {
        q.push(args.iter().map(|a| a.to_vec()).collect());
    }
    client.reply.simple("QUEUED");
}

/// Leave MULTI and forget watched keys.
pub fn discard(srv: &mut ServerState, client: &mut Client) {
    client.multi = None;
    client.multi_error = false;
    unwatch_all(srv, client);
}

pub fn unwatch_all(srv: &mut ServerState, client: &mut Client) {
    for (db, key, _, _) in client.watched.drain(..) {
        if let Some(d) = srv.dbs.get_mut(db) {
            d.unwatch(&key);
        }
    }
}

/// Whether a watched key was modified, or expired, since WATCH.
fn watch_broken(srv: &ServerState, client: &Client) -> bool {
    client
        .watched
        .iter()
        .any(|(db, key, version, was_expired)| {
            let d = &srv.dbs[*db];
            d.watch_version(key) != *version || (!was_expired && d.is_expired(key, srv.now_ms))
        })
}

fn multi(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::msg("ERR MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(Vec::new());
    ctx.client.multi_error = false;
    ctx.reply().ok();
    Ok(())
}

fn exec(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    // The queued commands record themselves, wrapped in MULTI/EXEC when several wrote.
    ctx.no_propagate();
    let Some(queued) = ctx.client.multi.take() else {
        return Err(CmdError::msg("ERR EXEC without MULTI"));
    };
    let aborted = std::mem::take(&mut ctx.client.multi_error);
    let broken = watch_broken(ctx.srv, ctx.client);
    unwatch_all(ctx.srv, ctx.client);
    if aborted {
        return Err(CmdError::msg(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if broken {
        ctx.reply().null_array();
        return Ok(());
    }
    ctx.reply().array(queued.len());
    ctx.client.in_exec = true;
    for argv in &queued {
        let args: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
        super::execute(ctx.srv, ctx.client, &args);
    }
    ctx.client.in_exec = false;
    Ok(())
}

fn discard_cmd(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    if ctx.client.multi.is_none() {
        return Err(CmdError::msg("ERR DISCARD without MULTI"));
    }
    discard(ctx.srv, ctx.client);
    ctx.reply().ok();
    Ok(())
}

fn watch(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::msg("ERR WATCH inside MULTI is not allowed"));
    }
    let db = ctx.client.db;
    let now = ctx.now();
    for key in &a[1..] {
        if ctx
            .client
            .watched
            .iter()
            .any(|(d, k, _, _)| *d == db && &**k == *key)
        {
            continue;
        }
        let d = &mut ctx.srv.dbs[db];
        let version = d.watch(key);
        let expired = d.is_expired(key, now);
        ctx.client
            .watched
            .push((db, (*key).into(), version, expired));
    }
    ctx.reply().ok();
    Ok(())
}

fn unwatch_cmd(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    unwatch_all(ctx.srv, ctx.client);
    ctx.reply().ok();
    Ok(())
}
