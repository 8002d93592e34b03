//! Commands: the table ([`table`]), argument helpers ([`args`]), errors ([`error`]) and one
//! file per family. [`execute`] is the single entry from the event loop: table lookup,
//! arity and authentication checks, the family handler, error reply, statistics.

pub mod args;
pub mod bitmaps;
pub mod connection;
pub mod error;
pub mod hashes;
pub mod hyperloglog;
pub mod keys;
pub mod lists;
pub mod server;
pub mod sets;
pub mod strings;
pub mod table;
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
        true
    }

    /// True when a blocked command runs again because one of its keys became ready.
    pub fn is_retry(&self) -> bool {
        self.client.retrying
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
    let Some((id, mut cmd)) = table().lookup(name) else {
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
    if !cmd.arity_ok(args.len()) {
        let msg = format!("ERR wrong number of arguments for '{}' command", cmd.name);
        reject(srv, client, &msg);
        return;
    }
    if !client.authenticated && !cmd.has(flags::NO_AUTH) {
        reject(srv, client, &CmdError::NoAuth.to_string());
        return;
    }
    let Some(handler) = cmd.handler else {
        return;
    };
    let start = unix_us();
    client.last_cmd = cmd.name;
    let mut ctx = Ctx {
        srv,
        client,
        cmd,
        args,
    };
    let result = handler(&mut ctx, args);
    let (srv, client) = (ctx.srv, ctx.client);
    let stat = &mut srv.cmd_stats[id];
    stat.calls += 1;
    stat.usec += (unix_us() - start).max(0) as u64;
    srv.stats.commands_processed += 1;
    if let Err(e) = result {
        stat.failed += 1;
        srv.stats.total_error_replies += 1;
        client.reply.error(&e.to_string());
    }
    apply_reply_mode(client, reply_start);
}

/// Reply with an error for a command that was not run (unknown, arity, auth).
fn reject(srv: &mut ServerState, client: &mut Client, msg: &str) {
    let start = client.reply.buf.len();
    srv.stats.total_error_replies += 1;
    client.reply.error(msg);
    apply_reply_mode(client, start);
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
