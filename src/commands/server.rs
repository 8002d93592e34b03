//! Server commands: INFO, CONFIG, COMMAND, DBSIZE, FLUSHDB/FLUSHALL, SWAPDB, TIME,
//! SHUTDOWN and DEBUG.

use super::Ctx;
use super::args::{self, is};
use super::error::{CmdError, CmdResult};
use super::table::{Command, Group, cmd, container, flags, flags::*, table};
use crate::protocol::Reply;
use crate::server::{FERROKV_VERSION, REDIS_VERSION, ServerState, Shutdown, unix_us};
use crate::util::glob::glob_match;

const SV: Group = Group::Server;
/// Server commands that Redis files under @keyspace.
const KS: Group = Group::Generic;

pub static COMMANDS: &[Command] = &[
    cmd("info", -1, LOADING | STALE | DANGEROUS, (0, 0, 0), SV, info),
    cmd("dbsize", 1, READONLY | FAST, (0, 0, 0), KS, dbsize),
    cmd("flushdb", -1, WRITE | DANGEROUS, (0, 0, 0), KS, flushdb),
    cmd("flushall", -1, WRITE | DANGEROUS, (0, 0, 0), KS, flushall),
    cmd("swapdb", 3, WRITE | FAST | DANGEROUS, (0, 0, 0), KS, swapdb),
    cmd("time", 1, LOADING | STALE | FAST, (0, 0, 0), SV, time),
    cmd(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        (0, 0, 0),
        SV,
        shutdown,
    ),
    cmd(
        "debug",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        SV,
        debug,
    ),
    container("config", -2, 0, SV, CONFIG),
    container("memory", -2, 0, SV, super::memory::MEMORY),
    Command {
        name: "command",
        arity: -1,
        flags: LOADING | STALE,
        first_key: 0,
        last_key: 0,
        step: 0,
        group: SV,
        handler: Some(command),
        subcommands: COMMAND,
    },
];

static CONFIG: &[Command] = &[
    cmd(
        "config|get",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        SV,
        config_get,
    ),
    cmd(
        "config|set",
        -4,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        SV,
        config_set,
    ),
    cmd(
        "config|resetstat",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        SV,
        config_resetstat,
    ),
    cmd(
        "config|rewrite",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        SV,
        config_rewrite,
    ),
    cmd(
        "config|help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        SV,
        config_help,
    ),
];

static COMMAND: &[Command] = &[
    cmd(
        "command|count",
        2,
        LOADING | STALE,
        (0, 0, 0),
        SV,
        command_count,
    ),
    cmd(
        "command|info",
        -2,
        LOADING | STALE,
        (0, 0, 0),
        SV,
        command_info,
    ),
    cmd(
        "command|list",
        -2,
        LOADING | STALE,
        (0, 0, 0),
        SV,
        command_list,
    ),
    cmd(
        "command|getkeys",
        -4,
        LOADING | STALE,
        (0, 0, 0),
        SV,
        command_getkeys,
    ),
    cmd(
        "command|docs",
        -2,
        LOADING | STALE,
        (0, 0, 0),
        SV,
        command_docs,
    ),
    cmd(
        "command|help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        SV,
        command_help,
    ),
];

/// The HELP reply of container commands: one status line each, as Redis's addReplyHelp.
pub fn reply_help(reply: &mut Reply, lines: &[&str]) {
    reply.array(lines.len());
    for l in lines {
        reply.simple(l);
    }
}

fn dbsize(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let n = ctx.db().len() as i64;
    ctx.reply().int(n);
    Ok(())
}

/// FLUSHDB/FLUSHALL accept ASYNC or SYNC; both free synchronously for now.
fn flush_mode(a: &[&[u8]]) -> CmdResult {
    match a.len() {
        1 => Ok(()),
        2 if is(a[1], "async") || is(a[1], "sync") => Ok(()),
        _ => Err(CmdError::Syntax),
    }
}

fn flushdb(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    flush_mode(a)?;
    let removed = ctx.db().len() as u64;
    ctx.db().clear();
    // Each key removed is a change (save points); the command is recorded in the AOF even
    // when the database was empty already, as Redis's forceCommandPropagation.
    ctx.srv.dirty_base += removed;
    ctx.force_propagate();
    ctx.reply().ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    flush_mode(a)?;
    let removed: u64 = ctx.srv.dbs.iter().map(|d| d.len() as u64).sum();
    for db in ctx.srv.dbs.iter_mut() {
        db.clear();
    }
    crate::persistence::after_flushall(ctx.srv, removed);
    ctx.force_propagate();
    ctx.reply().ok();
    Ok(())
}

fn swapdb(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let first = args::int(a[1]).map_err(|_| CmdError::msg("ERR invalid first DB index"))?;
    let second = args::int(a[2]).map_err(|_| CmdError::msg("ERR invalid second DB index"))?;
    let n = ctx.srv.dbs.len() as i64;
    if !(0..n).contains(&first) || !(0..n).contains(&second) {
        return Err(CmdError::DbIndexOutOfRange);
    }
    let (a, b) = (first as usize, second as usize);
    if a != b {
        // Watched keys that exist in either database count as modified.
        ctx.srv.dbs[a].touch_existing();
        ctx.srv.dbs[b].touch_existing();
        let (lo, hi) = (a.min(b), a.max(b));
        let (left, right) = ctx.srv.dbs.split_at_mut(hi);
        crate::storage::Db::swap_data(&mut left[lo], &mut right[0]);
        ctx.srv.dbs[a].touch_existing();
        ctx.srv.dbs[b].touch_existing();
        ctx.srv.dbs[a].signal_existing_blocking_keys();
        ctx.srv.dbs[b].signal_existing_blocking_keys();
    }
    // A change (Redis's `server.dirty++`), recorded in the AOF: moving data between
    // databases touches no key's counter.
    ctx.srv.dirty_base += 1;
    ctx.force_propagate();
    ctx.reply().ok();
    Ok(())
}

fn time(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let us = unix_us();
    let r = ctx.reply();
    r.array(2);
    r.bulk((us / 1_000_000).to_string().as_bytes());
    r.bulk((us % 1_000_000).to_string().as_bytes());
    Ok(())
}

fn shutdown(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (mut nosave, mut save, mut abort, mut other) = (false, false, false, false);
    for o in &a[1..] {
        if is(o, "nosave") {
            nosave = true;
        } else if is(o, "save") {
            save = true;
        } else if is(o, "now") || is(o, "force") {
            other = true;
        } else if is(o, "abort") {
            abort = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if (nosave && save) || (abort && (nosave || save || other)) {
        return Err(CmdError::Syntax);
    }
    if abort {
        return Err(CmdError::msg("ERR No shutdown in progress."));
    }
    let save_choice = if nosave {
        Some(false)
    } else if save {
        Some(true)
    } else {
        None
    };
    let force = a[1..].iter().any(|o| is(o, "force"));
    if crate::persistence::prepare_shutdown(ctx.srv, save_choice, force).is_err() {
        return Err(CmdError::msg("ERR Errors trying to SHUTDOWN. Check logs."));
    }
    // The connection closes without a reply.
    ctx.srv.shutdown = Some(Shutdown::Requested);
    ctx.client.close_asap = true;
    Ok(())
}

fn debug(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let local = ctx.client.addr.ip().is_loopback();
    let allowed = ctx.srv.config.enable_debug_command.allows(local);
    if !allowed {
        return Err(CmdError::msg(
            "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
        ));
    }
    if is(a[1], "sleep") && a.len() == 3 {
        let secs = args::float(a[2])?;
        if secs > 0.0 {
            std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(3600.0)));
        }
        ctx.reply().ok();
    } else if is(a[1], "reload") {
        return super::persistence::debug_reload(ctx, a);
    } else if is(a[1], "loadaof") && a.len() == 2 {
        ctx.no_propagate();
        if let Err(e) = crate::persistence::aof::debug_loadaof(ctx.srv) {
            // A log that cannot be replayed is fatal, as in Redis.
            ctx.srv.log.warning(&e);
            std::process::exit(1);
        }
        ctx.reply().ok();
    } else if is(a[1], "log") && a.len() >= 3 {
        let msg = a[2..]
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        ctx.srv.log.warning(&format!("DEBUG LOG: {msg}"));
        ctx.reply().ok();
    } else {
        return Err(CmdError::msg(format!(
            "ERR Unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            super::trunc(a[1], 128)
        )));
    }
    Ok(())
}

fn config_get(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let pairs = ctx.srv.config.get(&a[2..], glob_match);
    let r = ctx.reply();
    r.map(pairs.len());
    for (k, v) in pairs {
        r.bulk(k.as_bytes());
        r.bulk(&v);
    }
    Ok(())
}

fn config_set(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if !a.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let pairs: Vec<(&[u8], &[u8])> = a[2..].chunks_exact(2).map(|p| (p[0], p[1])).collect();
    let local = ctx.client.addr.ip().is_loopback();
    let before = ctx.srv.config.clone();
    let changed = ctx
        .srv
        .config
        .set_ext(&pairs, local)
        .map_err(CmdError::Msg)?;
    if let Err(e) = apply_config_changes(ctx.srv, &changed) {
        // All or nothing, as Redis: undo the values when applying one fails.
        ctx.srv.config = before;
        return Err(e);
    }
    ctx.reply().ok();
    Ok(())
}

/// React to options that have effects beyond the value itself.
fn apply_config_changes(srv: &mut ServerState, changed: &[&str]) -> CmdResult {
    for name in changed {
        match *name {
            "notify-keyspace-events" => crate::server::notify::sync_flags(srv),
            "loglevel" | "logfile" => {
                srv.log = crate::server::log::Logger::from_config(&srv.config);
            }
            "dir" => std::env::set_current_dir(&srv.config.dir).map_err(|e| {
                CmdError::msg(format!(
                    "ERR CONFIG SET failed (possibly related to argument 'dir') - {e}"
                ))
            })?,
            "maxmemory" => crate::server::maxmemory::on_maxmemory_changed(srv),
            // Replies held for `always` must not wait for a policy that no longer syncs.
            "appendfsync" => crate::persistence::aof::flush(srv, true),
            "appendonly" => {
                if srv.config.appendonly {
                    crate::persistence::aof::turn_on(srv).map_err(|e| {
                        CmdError::msg(format!(
                            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - {e}"
                        ))
                    })?;
                } else {
                    crate::persistence::aof::turn_off(srv);
                }
            }
            "maxmemory-policy" | "lfu-log-factor" | "lfu-decay-time" => {
                crate::server::maxmemory::apply_access_policy(srv)
            }
            // Listeners belong to the event loop; rebinding at runtime is not done yet,
            // so refuse rather than report a port we do not listen on.
            "port" | "bind" => {
                return Err(CmdError::msg(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - changing it at runtime is not supported by ferrokv yet"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

fn config_resetstat(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    ctx.srv.stats = Default::default();
    crate::alloc::reset_peak();
    for s in ctx.srv.cmd_stats.iter_mut() {
        *s = Default::default();
    }
    for db in ctx.srv.dbs.iter_mut() {
        db.hits = 0;
        db.misses = 0;
        db.expired = 0;
    }
    ctx.reply().ok();
    Ok(())
}

fn config_rewrite(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let Some(path) = ctx.srv.config.config_file.clone() else {
        return Err(CmdError::msg(
            "ERR The server is running without a config file",
        ));
    };
    ctx.srv
        .config
        .rewrite(&path)
        .map_err(|e| CmdError::msg(format!("ERR Rewriting config file: {e}")))?;
    ctx.reply().ok();
    Ok(())
}

fn config_help(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let lines = [
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ];
    reply_help(ctx.reply(), &lines);
    Ok(())
}

/// COMMAND INFO's 10-element description of one command.
fn describe(r: &mut Reply, c: &Command) {
    r.array(10);
    r.bulk(c.name.as_bytes());
    r.int(c.arity as i64);
    let names: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(f, _)| c.flags & f != 0)
        .map(|(_, n)| *n)
        .collect();
    r.set(names.len());
    for n in names {
        r.simple(n);
    }
    r.int(c.first_key as i64);
    r.int(c.last_key as i64);
    r.int(c.step as i64);
    let cats = c.acl_categories();
    r.set(cats.len());
    for cat in cats {
        r.simple(cat);
    }
    r.array(0);
    // One key spec per command with keys, from first/last/step.
    if c.first_key > 0 {
        r.array(1);
        r.map(3);
        r.bulk(b"flags");
        r.array(0);
        r.bulk(b"begin_search");
        r.map(2);
        r.bulk(b"type");
        r.bulk(b"index");
        r.bulk(b"spec");
        r.map(1);
        r.bulk(b"index");
        r.int(c.first_key as i64);
        r.bulk(b"find_keys");
        r.map(2);
        r.bulk(b"type");
        r.bulk(b"range");
        r.bulk(b"spec");
        r.map(3);
        r.bulk(b"lastkey");
        r.int(if c.last_key < 0 {
            c.last_key as i64
        } else {
            (c.last_key - c.first_key) as i64
        });
        r.bulk(b"keystep");
        r.int(c.step as i64);
        r.bulk(b"limit");
        r.int(0);
    } else {
        r.array(0);
    }
    r.array(c.subcommands.len());
    for s in c.subcommands {
        describe(r, s);
    }
}

fn command(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if a.len() > 1 {
        return Err(CmdError::msg(format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            super::trunc(a[1], 128)
        )));
    }
    let all = &table().commands;
    let r = ctx.reply();
    r.array(all.len());
    for c in all {
        describe(r, c);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let n = table().commands.len() as i64;
    ctx.reply().int(n);
    Ok(())
}

/// A command or `container|sub` looked up by its full name.
fn find_by_fullname(name: &[u8]) -> Option<&'static Command> {
    let mut parts = name.splitn(2, |&b| b == b'|');
    let top = parts.next()?;
    let (_, c) = table().lookup(top)?;
    match parts.next() {
        None => Some(c),
        Some(sub) => super::table::find_subcommand(c, sub),
    }
}

fn command_info(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let r = ctx.reply();
    if a.len() == 2 {
        let all = &table().commands;
        r.array(all.len());
        for c in all {
            describe(r, c);
        }
        return Ok(());
    }
    r.array(a.len() - 2);
    for name in &a[2..] {
        match find_by_fullname(name) {
            Some(c) => describe(r, c),
            None => r.null(),
        }
    }
    Ok(())
}

fn command_list(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let mut names: Vec<&'static Command> = table().all.clone();
    if a.len() > 2 {
        if a.len() != 5 || !is(a[2], "filterby") {
            return Err(CmdError::Syntax);
        }
        let v = a[4];
        if is(a[3], "pattern") {
            names.retain(|c| glob_match(v, c.name.as_bytes(), true));
        } else if is(a[3], "aclcat") {
            let cat = format!("@{}", String::from_utf8_lossy(v).to_ascii_lowercase());
            names.retain(|c| c.acl_categories().contains(&cat.as_str()));
        } else if is(a[3], "module") {
            names.clear();
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let r = ctx.reply();
    r.array(names.len());
    for c in names {
        r.bulk(c.name.as_bytes());
    }
    Ok(())
}

fn command_getkeys(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let args = &a[2..];
    let Some((_, mut c)) = table().lookup(args[0]) else {
        return Err(CmdError::msg("ERR Invalid command specified"));
    };
    if !c.subcommands.is_empty()
        && let Some(sub) = args
            .get(1)
            .and_then(|s| super::table::find_subcommand(c, s))
    {
        c = sub;
    }
    if !c.arity_ok(args.len()) {
        return Err(CmdError::msg(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let pos = c.key_positions(args.len());
    if pos.is_empty() {
        return Err(CmdError::msg("ERR The command has no key arguments"));
    }
    let r = ctx.reply();
    r.array(pos.len());
    for p in pos {
        r.bulk(args[p]);
    }
    Ok(())
}

fn command_docs(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let list: Vec<&Command> = if a.len() == 2 {
        table().commands.to_vec()
    } else {
        a[2..].iter().filter_map(|n| find_by_fullname(n)).collect()
    };
    let r = ctx.reply();
    r.map(list.len());
    for c in list {
        r.bulk(c.name.as_bytes());
        r.map(1);
        r.bulk(b"group");
        r.bulk(c.group.doc_name().as_bytes());
    }
    Ok(())
}

fn command_help(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let lines = [
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "HELP",
        "    Prints this help.",
    ];
    reply_help(ctx.reply(), &lines);
    Ok(())
}

fn info(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let text = info_text(ctx, &a[1..]);
    ctx.reply().verbatim("txt", text.as_bytes());
    Ok(())
}

/// Sections in the order Redis prints them, with their titles; `true` = in the default set.
const SECTIONS: &[(&str, &str, bool)] = &[
    ("server", "Server", true),
    ("clients", "Clients", true),
    ("memory", "Memory", true),
    ("persistence", "Persistence", true),
    ("stats", "Stats", true),
    ("replication", "Replication", true),
    ("cpu", "CPU", true),
    ("modules", "Modules", true),
    ("commandstats", "Commandstats", false),
    ("errorstats", "Errorstats", true),
    ("cluster", "Cluster", true),
    ("keyspace", "Keyspace", true),
];

fn info_text(ctx: &Ctx, wanted: &[&[u8]]) -> String {
    let mut all = false;
    let mut default = wanted.is_empty();
    let mut named: Vec<String> = Vec::new();
    for w in wanted {
        let w = String::from_utf8_lossy(w).to_ascii_lowercase();
        match w.as_str() {
            "all" | "everything" => all = true,
            "default" => default = true,
            _ => named.push(w),
        }
    }
    let mut out = String::new();
    for (name, title, in_default) in SECTIONS {
        if !(all || (default && *in_default) || named.iter().any(|n| n == name)) {
            continue;
        }
        let body = match *name {
            "server" => info_server(ctx.srv),
            "clients" => info_clients(ctx),
            "memory" => super::memory::info_memory(ctx.srv, ctx.client),
            "persistence" => info_persistence(ctx.srv),
            "stats" => info_stats(ctx.srv),
            "replication" => info_replication(ctx.srv),
            "cpu" => info_cpu(),
            "cluster" => "cluster_enabled:0\r\n".into(),
            "keyspace" => info_keyspace(ctx.srv),
            "commandstats" => info_commandstats(ctx.srv),
            "errorstats" => info_errorstats(ctx.srv),
            _ => String::new(),
        };
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        out.push_str(&format!("# {title}\r\n"));
        out.push_str(&body);
    }
    out
}

fn info_errorstats(srv: &ServerState) -> String {
    let mut codes: Vec<(&String, &u64)> = srv.stats.error_codes.iter().collect();
    codes.sort();
    codes
        .into_iter()
        .map(|(code, n)| format!("errorstat_{code}:count={n}\r\n"))
        .collect()
}

fn info_server(srv: &ServerState) -> String {
    let uptime = (srv.now_ms - srv.start_ms) / 1000;
    let hz = srv.config.hz;
    format!(
        "redis_version:{REDIS_VERSION}\r\nferrokv_version:{FERROKV_VERSION}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nos:{} {}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\n",
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::process::id(),
        srv.run_id,
        srv.bound_port,
        unix_us(),
        uptime,
        uptime / 86400,
        hz,
        hz,
        crate::storage::db::lru_clock(srv.now_ms) & 0xFF_FFFF,
        srv.executable,
        srv.config
            .config_file
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    )
}

fn info_clients(ctx: &Ctx) -> String {
    // The calling client is out of the table while it runs.
    let connected = ctx.srv.clients.count;
    format!(
        "connected_clients:{connected}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\nblocked_clients:{}\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n",
        ctx.srv.config.maxclients, ctx.srv.blocking.count
    )
}

fn info_persistence(srv: &ServerState) -> String {
    crate::persistence::info(srv)
}

fn info_stats(srv: &ServerState) -> String {
    let s = &srv.stats;
    let (hits, misses, expired) = srv.dbs.iter().fold((0, 0, 0), |acc, d| {
        (acc.0 + d.hits, acc.1 + d.misses, acc.2 + d.expired)
    });
    format!(
        "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nexpired_stale_perc:{:.2}\r\nexpire_cycle_cpu_milliseconds:{}\r\nevicted_keys:{}\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:{}\r\ncurrent_eviction_exceeded_time:{}\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:0\r\npubsub_patterns:0\r\nclient_query_buffer_limit_disconnections:{}\r\nclient_output_buffer_limit_disconnections:{}\r\ntotal_error_replies:{}\r\nunexpected_error_replies:{}\r\n",
        s.connections_received,
        s.commands_processed,
        s.instantaneous_ops as u64,
        s.net_input_bytes,
        s.net_output_bytes,
        s.rejected_connections,
        expired,
        s.expired_stale_perc * 100.0,
        s.expire_cycle_cpu_ms,
        s.evicted_keys,
        srv.eviction.total_exceeded_ms + srv.eviction.current_exceeded_ms(),
        srv.eviction.current_exceeded_ms(),
        hits,
        misses,
        s.client_query_limit_disconnections,
        s.client_output_limit_disconnections,
        s.total_error_replies,
        s.unexpected_error_replies,
    )
}

fn info_replication(srv: &ServerState) -> String {
    format!(
        "role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
        srv.run_id
    )
}

fn info_cpu() -> String {
    // SAFETY: getrusage fills the zeroed struct we pass; RUSAGE_SELF is always valid.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    format!(
        "used_cpu_sys:{:.6}\r\nused_cpu_user:{:.6}\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n",
        t(ru.ru_stime),
        t(ru.ru_utime)
    )
}

fn info_keyspace(srv: &ServerState) -> String {
    let mut out = String::new();
    for (i, db) in srv.dbs.iter().enumerate() {
        if !db.is_empty() {
            out.push_str(&format!(
                "db{i}:keys={},expires={},avg_ttl={}\r\n",
                db.len(),
                db.volatile_len(),
                db.avg_ttl
            ));
        }
    }
    out
}

fn info_commandstats(srv: &ServerState) -> String {
    let mut out = String::new();
    for (c, s) in table().all.iter().zip(&srv.cmd_stats) {
        if s.calls == 0 && s.failed == 0 && s.rejected == 0 {
            continue;
        }
        let per = if s.calls > 0 {
            s.usec as f64 / s.calls as f64
        } else {
            0.0
        };
        out.push_str(&format!(
            "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
            c.name, s.calls, s.usec, per, s.rejected, s.failed
        ));
    }
    out
}
