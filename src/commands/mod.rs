//! Commands: the table ([`table`]), argument helpers ([`args`]), errors ([`error`]) and one
//! file per family. [`execute`] is the single entry from the event loop: table lookup,
//! arity and authentication checks, the family handler, error reply, statistics.

pub mod args;
pub mod bitmaps;
pub mod connection;
pub mod error;
pub mod geo;
pub mod hashes;
pub mod hyperloglog;
pub mod keys;
pub mod lists;
pub mod memory;
pub mod persistence;
pub mod pubsub;
pub mod rewrite;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod sort;
pub mod streams;
pub mod strings;
pub mod table;
pub mod transactions;
pub mod zsets;

use crate::protocol::Reply;
use crate::server::client::ReplyMode;
use crate::server::{Client, ServerState, unix_us};
use crate::storage::Db;
pub use error::{CmdError, CmdResult};
use table::{Command, find_subcommand, flags, table};

/// What a handler works with: the whole server state and the calling client.
pub struct Ctx<'a> {
    pub srv: &'a mut ServerState,
    pub client: &'a mut Client,
    /// The command being run (for subcommand-aware error texts).
    pub cmd: &'static Command,
    /// Its arguments, name first (kept so a blocked command can run again).
    pub args: &'a [&'a [u8]],
    /// How this command is recorded in the AOF (see [`crate::server::propagate`]).
    pub prop: crate::server::propagate::Prop,
}

impl Ctx<'_> {
    /// The client's selected database and its reply buffer, borrowed together.
    pub fn db_and_reply(&mut self) -> (&mut Db, &mut Reply, i64) {
        let now = self.srv.now_ms;
        (
            &mut self.srv.dbs[self.client.db],
            &mut self.client.reply,
            now,
        )
    }

    pub fn db(&mut self) -> &mut Db {
        &mut self.srv.dbs[self.client.db]
    }

    pub fn reply(&mut self) -> &mut Reply {
        &mut self.client.reply
    }

    pub fn now(&self) -> i64 {
        self.srv.now_ms
    }

    /// Whether a blocking command may wait. Inside MULTI/EXEC and scripts it may not, and
    /// must reply as if it timed out.
    pub fn blocking_allowed(&self) -> bool {
        !self.client.in_exec && !self.client.in_script && !self.client.fake
    }

    /// Whether the command runs from a script (`redis.call`).
    pub fn in_script(&self) -> bool {
        self.client.in_script
    }

    /// True when a blocked command runs again because one of its keys became ready.
    pub fn is_retry(&self) -> bool {
        self.client.retrying
    }

    /// Publish a keyspace notification for `key` in the client's database (Redis's
    /// `notifyKeyspaceEvent`); a no-op unless `notify-keyspace-events` enables `class`.
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.client.db;
        self.notify_db(db, class, event, key);
    }

    /// [`Ctx::notify`] for a key in another database (MOVE, COPY ... DB).
    pub fn notify_db(&mut self, db: usize, class: u32, event: &str, key: &[u8]) {
        if self.srv.config.notify_keyspace_events & class == 0 {
            return;
        }
        // Events the keyspace logged during this command (a key created: "new") come first,
        // as Redis emits them at the moment they happen.
        crate::server::notify::drain(self.srv, Some(&mut *self.client));
        crate::server::notify::event(self.srv, Some(&mut *self.client), db, class, event, key);
    }

    /// Whether writes are being recorded (the AOF is on): handlers skip building
    /// deterministic rewrites otherwise.
    pub fn propagating(&self) -> bool {
        self.srv.propagate.enabled
    }

    /// Record `argv` for this command instead of its request (a deterministic
    /// equivalent: EXPIRE → PEXPIREAT, SPOP → SREM...). Only used if the command changed
    /// the dataset.
    pub fn propagate_as(&mut self, argv: Vec<Vec<u8>>) {
        self.prop.replace = Some(argv);
    }

    /// Record `argv` now, in the client's database, in addition to (before) whatever the
    /// command itself records.
    pub fn also_propagate(&mut self, argv: Vec<Vec<u8>>) {
        if !self.srv.propagate.enabled {
            return;
        }
        crate::server::propagate::collect_expired(self.srv);
        let db = self.client.db;
        self.srv.propagate.push(db, argv);
    }

    /// Record nothing for this command itself (its effects were recorded another way, or
    /// it runs other commands that record themselves: EXEC, EVAL, FCALL).
    pub fn no_propagate(&mut self) {
        self.prop.prevent = true;
    }

    /// Record this command even if no key changed (FUNCTION LOAD...).
    pub fn force_propagate(&mut self) {
        self.prop.force = true;
    }

    /// Make the client wait on `keys` until data arrives or `deadline` (unix ms) passes.
    /// The handler writes no reply. On a retry, this keeps the client waiting in its
    /// original place in the queues.
    pub fn block(&mut self, keys: &[&[u8]], deadline: Option<i64>) {
        if self.client.retrying {
            self.client.reblocked = true;
            return;
        }
        crate::server::blocking::register(self.srv, self.client, keys, deadline, self.args);
    }
}

/// Run one request. `args[0]` is the command name. The reply lands in the client's buffer.
pub fn execute(srv: &mut ServerState, client: &mut Client, args: &[&[u8]]) {
    let Some(&name) = args.first() else {
        return;
    };
    let reply_start = client.reply.buf.len();
    client.pending_name_is_exec = name.eq_ignore_ascii_case(b"exec");
    let Some((_, mut cmd)) = table().lookup(name) else {
        let mut msg = format!(
            "ERR unknown command '{}', with args beginning with: ",
            trunc(name, 128)
        );
        let mut listed = String::new();
        for a in &args[1..] {
            if listed.len() >= 128 {
                break;
            }
            let room = 128 - listed.len();
            listed.push_str(&format!("'{}' ", trunc(a, room)));
        }
        msg.push_str(&listed);
        reject(srv, client, &msg);
        return;
    };
    if !cmd.subcommands.is_empty() && args.len() >= 2 {
        match find_subcommand(cmd, args[1]) {
            Some(sub) => cmd = sub,
            None => {
                let msg = format!(
                    "ERR unknown subcommand '{}'. Try {} HELP.",
                    trunc(args[1], 128),
                    cmd.name.to_ascii_uppercase()
                );
                reject(srv, client, &msg);
                return;
            }
        }
    }
    let stat_slot = table().stat_index(cmd);
    if !cmd.arity_ok(args.len()) {
        let msg = format!("ERR wrong number of arguments for '{}' command", cmd.name);
        srv.cmd_stats[stat_slot].rejected += 1;
        reject(srv, client, &msg);
        return;
    }
    if !client.authenticated && !cmd.has(flags::NO_AUTH) {
        srv.cmd_stats[stat_slot].rejected += 1;
        reject(srv, client, &CmdError::NoAuth.to_string());
        return;
    }
    // Commands run by EXEC or a script were checked (and evictions done) for the command
    // that runs them, as in Redis; scripts check `denyoom` calls themselves.
    if srv.config.maxmemory > 0
        && !srv.aof.loading
        && !client.in_exec
        && !client.in_script
        && oom_rejects(srv, client, cmd)
    {
        srv.cmd_stats[stat_slot].rejected += 1;
        reject(srv, client, &CmdError::Oom.to_string());
        return;
    }
    // A failed background save stops writes (and PING) when save points are set.
    if (cmd.has(flags::WRITE) || cmd.name == "ping")
        && !srv.aof.loading
        && let Some(msg) = crate::persistence::writes_denied(srv)
    {
        srv.cmd_stats[stat_slot].rejected += 1;
        reject(srv, client, &msg);
        return;
    }
    if client.subscribed()
        && !client.reply.resp3
        && !client.in_script
        && !pubsub::allowed_while_subscribed(cmd)
    {
        let msg = format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            cmd.name
        );
        srv.cmd_stats[stat_slot].rejected += 1;
        reject(srv, client, &msg);
        return;
    }
    if !cmd.has(flags::LOADING)
        && (crate::persistence::is_loading(srv) || (srv.aof.loading && !client.fake))
    {
        srv.cmd_stats[stat_slot].rejected += 1;
        reject(srv, client, crate::persistence::LOADING_ERROR);
        return;
    }
    if srv.scripting.busy() && !client.in_script && !allowed_while_busy(cmd, args) {
        srv.cmd_stats[stat_slot].rejected += 1;
        let msg = crate::scripting::busy_error(&srv.scripting);
        reject(srv, client, msg);
        return;
    }
    if client.multi.is_some() && !transactions::runs_inside_multi(cmd) {
        if cmd.has(flags::NO_MULTI) {
            srv.cmd_stats[stat_slot].rejected += 1;
            reject(srv, client, "ERR Command not allowed inside a transaction");
            return;
        }
        transactions::queue(client, args);
        return;
    }
    let Some(handler) = cmd.handler else {
        return;
    };
    let start = unix_us();
    client.last_cmd = cmd.name;
    let propagating = srv.propagate.enabled;
    let (dirty_before, db_before) = if propagating {
        srv.propagate.depth += 1;
        (srv.dirty(), client.db)
    } else {
        (0, 0)
    };
    let mut ctx = Ctx {
        srv,
        client,
        cmd,
        args,
        prop: Default::default(),
    };
    let result = handler(&mut ctx, args);
    let (srv, client, prop) = (ctx.srv, ctx.client, ctx.prop);
    if propagating {
        after_propagating(srv, args, prop, dirty_before, db_before);
        // Under `always` the reply waits until the log is on disk up to here.
        let hold = crate::persistence::aof::hold_target(srv);
        if hold != 0 {
            client.aof_hold = hold;
        }
    }
    let stat = &mut srv.cmd_stats[stat_slot];
    stat.calls += 1;
    stat.usec += (unix_us() - start).max(0) as u64;
    srv.stats.commands_processed += 1;
    if let Err(e) = result {
        stat.failed += 1;
        let msg = e.to_string();
        count_error(srv, &msg);
        client.reply.error(&msg);
    }
    apply_reply_mode(client, reply_start);
}

/// Record the command that just ran if it changed the dataset, and at the end of a
/// top-level command emit everything recorded (see [`crate::server::propagate`]).
fn after_propagating(
    srv: &mut ServerState,
    args: &[&[u8]],
    prop: crate::server::propagate::Prop,
    dirty_before: u64,
    db: usize,
) {
    crate::server::propagate::collect_expired(srv);
    let changed = !prop.prevent && (prop.force || srv.dirty() != dirty_before);
    if changed
        && prop.replace.is_none()
        && srv.propagate.depth == 1
        && srv.propagate.pending.is_empty()
    {
        // The common case: one command, recorded as sent, without copying it first.
        srv.propagate.depth = 0;
        crate::persistence::aof::feed_args(srv, db, args);
        return;
    }
    if changed {
        let argv = prop
            .replace
            .unwrap_or_else(|| args.iter().map(|a| a.to_vec()).collect());
        srv.propagate.push(db, argv);
    }
    srv.propagate.depth = srv.propagate.depth.saturating_sub(1);
    if srv.propagate.depth == 0 {
        crate::server::propagate::flush(srv);
    }
}

/// Evict as `maxmemory` requires (before every command, as Redis's processCommand), and
/// say whether the command must be refused with -OOM: when nothing more can be evicted,
/// commands flagged `denyoom` are, and inside MULTI so is queueing anything (it grows
/// memory without bound), but never EXEC without `denyoom` commands, DISCARD, QUIT, RESET.
fn oom_rejects(srv: &mut ServerState, client: &mut Client, cmd: &Command) -> bool {
    use crate::server::maxmemory::{Evict, perform_evictions};
    let oom = perform_evictions(srv, Some(client)) == Evict::Fail;
    srv.eviction.oom_at_command_start = oom;
    if !oom {
        return false;
    }
    let root = cmd.name.split('|').next().unwrap_or(cmd.name);
    if root == "exec" {
        return client.multi.as_ref().is_some_and(|queued| {
            queued.iter().any(|argv| {
                let args: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
                queued_flags(&args) & flags::DENYOOM != 0
            })
        });
    }
    if client.multi.is_some() {
        // A command Redis refuses inside MULTI anyway gets that error instead.
        return !matches!(root, "discard" | "quit" | "reset") && !cmd.has(flags::NO_MULTI);
    }
    cmd.has(flags::DENYOOM)
}

/// Flags of a queued request's command (its subcommand's when it has one).
fn queued_flags(args: &[&[u8]]) -> u32 {
    let Some((_, cmd)) = args.first().and_then(|n| table().lookup(n)) else {
        return 0;
    };
    match args.get(1) {
        Some(sub) if !cmd.subcommands.is_empty() => {
            find_subcommand(cmd, sub).map_or(cmd.flags, |s| s.flags)
        }
        _ => cmd.flags,
    }
}

/// Reply with an error for a command that was not run (unknown, arity, auth...). Inside
/// MULTI the transaction is flagged so EXEC aborts; a rejected EXEC aborts it at once.
fn reject(srv: &mut ServerState, client: &mut Client, msg: &str) {
    let start = client.reply.buf.len();
    count_error(srv, msg);
    let is_exec = client.pending_name_is_exec;
    if is_exec {
        let reason = msg.strip_prefix("ERR ").unwrap_or(msg);
        client.reply.error(&format!(
            "EXECABORT Transaction discarded because of: {reason}"
        ));
        transactions::discard(srv, client);
    } else {
        client.multi_error |= client.multi.is_some();
        client.reply.error(msg);
    }
    apply_reply_mode(client, start);
}

/// While a script runs past busy-reply-threshold only `allow_busy` commands run, and
/// SHUTDOWN only with NOSAVE (Redis's processCommand and shutdownCommand).
fn allowed_while_busy(cmd: &Command, args: &[&[u8]]) -> bool {
    if !cmd.has(flags::ALLOW_BUSY) {
        return false;
    }
    cmd.name != "shutdown" || args[1..].iter().any(|a| a.eq_ignore_ascii_case(b"nosave"))
}

/// INFO's total_error_replies and errorstats (by the error's first word).
pub(crate) fn count_error(srv: &mut ServerState, msg: &str) {
    srv.stats.total_error_replies += 1;
    let code = msg.split(' ').next().unwrap_or("ERR");
    let codes = &mut srv.stats.error_codes;
    if let Some(n) = codes.get_mut(code) {
        *n += 1;
    } else if codes.len() < 128 {
        // Redis stops tracking new codes past 128 of them.
        codes.insert(code.to_string(), 1);
    }
}

/// CLIENT REPLY OFF/SKIP: drop what the command wrote.
fn apply_reply_mode(client: &mut Client, reply_start: usize) {
    match client.reply_mode {
        ReplyMode::On => {}
        ReplyMode::Off => client.reply.buf.truncate(reply_start),
        ReplyMode::Skip => {
            client.reply.buf.truncate(reply_start);
            client.reply_mode = ReplyMode::On;
        }
        // Set by CLIENT REPLY SKIP itself: the skip applies to the next command.
        ReplyMode::SkipNext => client.reply_mode = ReplyMode::Skip,
    }
}

/// Lossy text of at most `max` bytes of `b`, stopping at a NUL like Redis's `%.*s`.
pub fn trunc(b: &[u8], max: usize) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len()).min(max);
    String::from_utf8_lossy(&b[..end]).into_owned()
}
