//! Connection commands: PING, ECHO, SELECT, AUTH, HELLO, QUIT, RESET and CLIENT.

use super::Ctx;
use super::args::{self, is};
use super::error::{CmdError, CmdResult};
use super::server::reply_help;
use super::table::{Command, Group, cmd, container, flags::*};
use crate::server::blocking::{self, Release};
use crate::server::client::ReplyMode;
use crate::server::{FERROKV_VERSION, REDIS_VERSION};

const C: Group = Group::Connection;

pub static COMMANDS: &[Command] = &[
    cmd("ping", -1, FAST, (0, 0, 0), C, ping),
    cmd("echo", 2, FAST, (0, 0, 0), C, echo),
    cmd("select", 2, LOADING | STALE | FAST, (0, 0, 0), C, select),
    cmd(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        (0, 0, 0),
        C,
        auth,
    ),
    cmd(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        (0, 0, 0),
        C,
        hello,
    ),
    cmd(
        "quit",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        (0, 0, 0),
        C,
        quit,
    ),
    cmd(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        (0, 0, 0),
        C,
        reset,
    ),
    container("client", -2, 0, C, CLIENT),
];

static CLIENT: &[Command] = &[
    cmd(
        "client|id",
        2,
        NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        C,
        client_id,
    ),
    cmd(
        "client|getname",
        2,
        NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        C,
        client_getname,
    ),
    cmd(
        "client|setname",
        3,
        NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        C,
        client_setname,
    ),
    cmd(
        "client|list",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        C,
        client_list,
    ),
    cmd(
        "client|info",
        2,
        NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        C,
        client_info,
    ),
    cmd(
        "client|kill",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        C,
        client_kill,
    ),
    cmd(
        "client|reply",
        3,
        NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        C,
        client_reply,
    ),
    cmd(
        "client|unblock",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        C,
        client_unblock,
    ),
    cmd(
        "client|no-evict",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        C,
        client_no_evict,
    ),
    cmd("client|help", 2, LOADING | STALE, (0, 0, 0), C, client_help),
];

fn ping(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if ctx.client.subscribed() && !ctx.client.reply.resp3 && a.len() <= 2 {
        return super::pubsub::subscribed_ping(ctx, a);
    }
    match a.len() {
        1 => ctx.reply().simple("PONG"),
        2 => ctx.reply().bulk(a[1]),
        _ => {
            return Err(CmdError::msg(
                "ERR wrong number of arguments for 'ping' command",
            ));
        }
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    ctx.reply().bulk(a[1]);
    Ok(())
}

fn select(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    ctx.client.db = args::db_index(a[1], ctx.srv.dbs.len())?;
    ctx.reply().ok();
    Ok(())
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Check credentials for the `default` user (ACL users come later).
fn check_password(ctx: &Ctx, user: &[u8], pass: &[u8]) -> bool {
    let configured = ctx.srv.config.requirepass.as_slice();
    user == b"default" && (configured.is_empty() || configured == pass)
}

fn auth(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if a.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if a.len() == 2 && !ctx.srv.requires_auth() {
        return Err(CmdError::msg(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        ));
    }
    let (user, pass) = if a.len() == 3 {
        (a[1], a[2])
    } else {
        (&b"default"[..], a[1])
    };
    if check_password(ctx, user, pass) {
        ctx.client.authenticated = true;
        ctx.reply().ok();
        Ok(())
    } else {
        Err(CmdError::msg(WRONGPASS))
    }
}

/// Validate a client name as Redis does (printable ASCII, no spaces).
fn valid_client_name(name: &[u8]) -> Result<(), CmdError> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CmdError::msg(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

fn hello(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let mut ver = if ctx.client.reply.resp3 { 3 } else { 2 };
    if a.len() >= 2 {
        let v = args::int(a[1])
            .map_err(|_| CmdError::msg("ERR Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::msg("NOPROTO unsupported protocol version"));
        }
        ver = v;
    }
    let mut name: Option<&[u8]> = None;
    let mut creds: Option<(&[u8], &[u8])> = None;
    let mut i = 2;
    while i < a.len() {
        let more = a.len() - i - 1;
        if is(a[i], "auth") && more >= 2 {
            creds = Some((a[i + 1], a[i + 2]));
            i += 3;
        } else if is(a[i], "setname") && more >= 1 {
            valid_client_name(a[i + 1])?;
            name = Some(a[i + 1]);
            i += 2;
        } else {
            return Err(CmdError::msg(format!(
                "ERR Syntax error in HELLO option '{}'",
                super::trunc(a[i], 128)
            )));
        }
    }
    if let Some((user, pass)) = creds {
        if !check_password(ctx, user, pass) {
            return Err(CmdError::msg(WRONGPASS));
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated {
        return Err(CmdError::msg(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(n) = name {
        ctx.client.name = (!n.is_empty()).then(|| n.to_vec());
    }
    ctx.client.reply.resp3 = ver == 3;
    let id = ctx.client.id as i64;
    let r = ctx.reply();
    r.map(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(ver);
    r.bulk(b"id");
    r.int(id);
    r.bulk(b"mode");
    r.bulk(b"standalone");
    r.bulk(b"role");
    r.bulk(b"master");
    r.bulk(b"modules");
    r.array(0);
    let _ = FERROKV_VERSION;
    Ok(())
}

fn quit(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    ctx.reply().ok();
    ctx.client.close_after_reply = true;
    Ok(())
}

fn reset(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    super::transactions::discard(ctx.srv, ctx.client);
    super::pubsub::unsubscribe_all(ctx.srv, ctx.client);
    let c = &mut *ctx.client;
    c.db = 0;
    c.reply.resp3 = false;
    c.name = None;
    c.reply_mode = ReplyMode::On;
    c.no_evict = false;
    c.authenticated = !ctx.srv.requires_auth();
    c.reply.simple("RESET");
    Ok(())
}

fn client_id(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let id = ctx.client.id as i64;
    ctx.reply().int(id);
    Ok(())
}

fn client_getname(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    match ctx.client.name.clone() {
        Some(n) => ctx.reply().bulk(&n),
        None => ctx.reply().null(),
    }
    Ok(())
}

fn client_setname(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    valid_client_name(a[2])?;
    ctx.client.name = (!a[2].is_empty()).then(|| a[2].to_vec());
    ctx.reply().ok();
    Ok(())
}

fn client_list(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let now = ctx.now();
    let mut ids: Option<Vec<u64>> = None;
    let mut i = 2;
    while i < a.len() {
        if is(a[i], "type") && i + 1 < a.len() {
            let t = a[i + 1];
            if !["normal", "master", "replica", "slave", "pubsub"]
                .iter()
                .any(|n| is(t, n))
            {
                return Err(CmdError::msg(format!(
                    "ERR Unknown client type '{}'",
                    super::trunc(t, 128)
                )));
            }
            // Only normal clients exist so far.
            if !is(t, "normal") {
                ids = Some(Vec::new());
            }
            i += 2;
        } else if is(a[i], "id") && i + 1 < a.len() {
            let mut v = Vec::new();
            for id in &a[i + 1..] {
                let n = args::int(id).map_err(|_| CmdError::msg("ERR Invalid client ID"))?;
                // Ids start at 1: a non-positive one matches nothing.
                if n > 0 {
                    v.push(n as u64);
                }
            }
            ids = Some(v);
            break;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let me = &*ctx.client;
    let mut lines: Vec<(u64, String)> = ctx
        .srv
        .clients
        .iter()
        .map(|(_, c)| (c.id, c.info_line(now)))
        .collect();
    lines.push((me.id, me.info_line(now)));
    lines.sort_by_key(|(id, _)| *id);
    let mut out = String::new();
    for (id, line) in lines {
        if ids.as_ref().is_none_or(|v| v.contains(&id)) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    ctx.reply().verbatim("txt", out.as_bytes());
    Ok(())
}

fn client_info(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let mut line = ctx.client.info_line(ctx.now());
    line.push('\n');
    ctx.reply().verbatim("txt", line.as_bytes());
    Ok(())
}

fn client_kill(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if a.len() == 3 {
        // Old form: CLIENT KILL addr:port.
        let addr = String::from_utf8_lossy(a[2]).into_owned();
        if ctx.client.addr.to_string() == addr {
            ctx.client.close_after_reply = true;
            ctx.reply().ok();
            return Ok(());
        }
        let target = ctx
            .srv
            .clients
            .iter_mut()
            .find(|(_, c)| c.addr.to_string() == addr);
        return match target {
            Some((_, c)) => {
                c.close_asap = true;
                ctx.reply().ok();
                Ok(())
            }
            None => Err(CmdError::msg("ERR No such client")),
        };
    }
    if !a.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let mut id: Option<u64> = None;
    let mut addr: Option<String> = None;
    let mut laddr: Option<String> = None;
    let mut user: Option<Vec<u8>> = None;
    let mut skipme = true;
    let mut type_normal = true;
    for pair in a[2..].chunks_exact(2) {
        let (k, v) = (pair[0], pair[1]);
        if is(k, "id") {
            let n = args::int(v)
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| CmdError::msg("ERR client-id should be greater than 0"))?;
            id = Some(n as u64);
        } else if is(k, "addr") {
            addr = Some(String::from_utf8_lossy(v).into_owned());
        } else if is(k, "laddr") {
            laddr = Some(String::from_utf8_lossy(v).into_owned());
        } else if is(k, "user") {
            // Only the default user exists until ACLs land.
            if v != b"default" {
                return Err(CmdError::msg(format!(
                    "ERR No such user '{}'",
                    super::trunc(v, 128)
                )));
            }
            user = Some(v.to_vec());
        } else if is(k, "type") {
            if !["normal", "master", "replica", "slave", "pubsub"]
                .iter()
                .any(|n| is(v, n))
            {
                return Err(CmdError::msg(format!(
                    "ERR Unknown client type '{}'",
                    super::trunc(v, 128)
                )));
            }
            type_normal = is(v, "normal");
        } else if is(k, "skipme") {
            if is(v, "yes") {
                skipme = true;
            } else if is(v, "no") {
                skipme = false;
            } else {
                return Err(CmdError::Syntax);
            }
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let matches = |c: &crate::server::Client| {
        type_normal
            && id.is_none_or(|i| c.id == i)
            && addr.as_ref().is_none_or(|x| c.addr.to_string() == *x)
            && laddr
                .as_ref()
                .is_none_or(|x| c.local_addr.to_string() == *x)
            && user
                .as_ref()
                .is_none_or(|u| c.user.as_bytes() == u.as_slice())
    };
    let mut killed = 0;
    for (_, c) in ctx.srv.clients.iter_mut() {
        if matches(c) {
            c.close_asap = true;
            killed += 1;
        }
    }
    if !skipme && matches(ctx.client) {
        ctx.client.close_after_reply = true;
        killed += 1;
    }
    ctx.reply().int(killed);
    Ok(())
}

fn client_unblock(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if a.len() > 4 {
        return Err(CmdError::msg(
            "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.",
        ));
    }
    let id = args::int(a[2])?;
    let how = match a.get(3) {
        None => Release::Timeout,
        Some(m) if is(m, "timeout") => Release::Timeout,
        Some(m) if is(m, "error") => Release::Error,
        Some(_) => {
            return Err(CmdError::msg(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
    };
    let slot = ctx
        .srv
        .clients
        .iter()
        .find(|(_, c)| c.id as i64 == id && c.blocked.is_some())
        .map(|(slot, _)| slot);
    let Some(slot) = slot else {
        ctx.reply().int(0);
        return Ok(());
    };
    if let Some(mut target) = ctx.srv.clients.take(slot) {
        blocking::release(ctx.srv, &mut target, how);
        ctx.srv.clients.put_back(slot, target);
    }
    ctx.reply().int(1);
    Ok(())
}

fn client_reply(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if is(a[2], "on") {
        ctx.client.reply_mode = ReplyMode::On;
        ctx.reply().ok();
    } else if is(a[2], "off") {
        ctx.client.reply_mode = ReplyMode::Off;
    } else if is(a[2], "skip") {
        if ctx.client.reply_mode == ReplyMode::On {
            ctx.client.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(())
}

fn client_no_evict(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if is(a[2], "on") {
        ctx.client.no_evict = true;
    } else if is(a[2], "off") {
        ctx.client.no_evict = false;
    } else {
        return Err(CmdError::Syntax);
    }
    ctx.reply().ok();
    Ok(())
}

fn client_help(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let lines = [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Prints this help.",
    ];
    reply_help(ctx.reply(), &lines);
    Ok(())
}
