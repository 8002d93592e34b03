//! Pub/Sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB. The
//! registry and message delivery live in [`crate::server::pubsub`].

use super::Ctx;
use super::error::{CmdError, CmdResult};
use super::server::reply_help;
use super::table::{Command, Group, cmd, container, flags::*};
use crate::server::Client;
use crate::server::pubsub::{self, Kind};
use crate::util::glob::glob_match;

const P: Group = Group::PubSub;

pub static COMMANDS: &[Command] = &[
    cmd(
        "subscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        P,
        subscribe,
    ),
    cmd(
        "unsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        P,
        unsubscribe,
    ),
    cmd(
        "psubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        P,
        psubscribe,
    ),
    cmd(
        "punsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        P,
        punsubscribe,
    ),
    cmd(
        "ssubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        (1, -1, 1),
        P,
        ssubscribe,
    ),
    cmd(
        "sunsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        (1, -1, 1),
        P,
        sunsubscribe,
    ),
    cmd(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        (0, 0, 0),
        P,
        publish,
    ),
    cmd(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        (1, 1, 1),
        P,
        spublish,
    ),
    container("pubsub", -2, 0, P, PUBSUB_SUBS),
];

static PUBSUB_SUBS: &[Command] = &[
    cmd(
        "pubsub|channels",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        P,
        pubsub_channels,
    ),
    cmd(
        "pubsub|numsub",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        P,
        pubsub_numsub,
    ),
    cmd(
        "pubsub|numpat",
        2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        P,
        pubsub_numpat,
    ),
    cmd(
        "pubsub|shardchannels",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        P,
        pubsub_shardchannels,
    ),
    cmd(
        "pubsub|shardnumsub",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        P,
        pubsub_shardnumsub,
    ),
    cmd("pubsub|help", 2, LOADING | STALE, (0, 0, 0), P, pubsub_help),
];

/// Commands a RESP2 client may send while subscribed.
pub fn allowed_while_subscribed(cmd: &Command) -> bool {
    let root = cmd.name.split('|').next().unwrap_or(cmd.name);
    matches!(
        root,
        "subscribe"
            | "unsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "ssubscribe"
            | "sunsubscribe"
            | "ping"
            | "quit"
            | "reset"
    )
}

/// The client's subscriptions of one kind.
fn subs(client: &mut Client, kind: Kind) -> &mut Vec<Vec<u8>> {
    match kind {
        Kind::Channel => &mut client.subs,
        Kind::Pattern => &mut client.psubs,
        Kind::Shard => &mut client.ssubs,
    }
}

/// The count Redis puts in (un)subscribe confirmations: channels + patterns, or shard
/// channels for the S-commands.
fn sub_count(client: &Client, kind: Kind) -> i64 {
    match kind {
        Kind::Shard => client.ssubs.len() as i64,
        _ => (client.subs.len() + client.psubs.len()) as i64,
    }
}

fn confirm(client: &mut Client, verb: &str, name: Option<&[u8]>, kind: Kind) {
    let n = sub_count(client, kind);
    let r = &mut client.reply;
    r.push(3);
    r.bulk(verb.as_bytes());
    match name {
        Some(n) => r.bulk(n),
        None => r.null(),
    }
    r.int(n);
}

fn subscribe_generic(ctx: &mut Ctx, a: &[&[u8]], kind: Kind, verb: &str) -> CmdResult {
    let who = (ctx.client.slot, ctx.client.id);
    for name in &a[1..] {
        if !subs(ctx.client, kind).iter().any(|s| s == name) {
            subs(ctx.client, kind).push(name.to_vec());
            ctx.srv.pubsub.add(kind, name, who);
        }
        confirm(ctx.client, verb, Some(name), kind);
    }
    Ok(())
}

fn unsubscribe_generic(ctx: &mut Ctx, a: &[&[u8]], kind: Kind, verb: &str) -> CmdResult {
    let who = (ctx.client.slot, ctx.client.id);
    let names: Vec<Vec<u8>> = if a.len() > 1 {
        a[1..].iter().map(|n| n.to_vec()).collect()
    } else {
        subs(ctx.client, kind).clone()
    };
    if names.is_empty() {
        confirm(ctx.client, verb, None, kind);
        return Ok(());
    }
    for name in names {
        let list = subs(ctx.client, kind);
        if let Some(i) = list.iter().position(|s| *s == name) {
            list.remove(i);
            ctx.srv.pubsub.remove(kind, &name, who);
        }
        confirm(ctx.client, verb, Some(&name), kind);
    }
    Ok(())
}

/// Drop every subscription of a client that is going away (or RESET).
pub fn unsubscribe_all(srv: &mut crate::server::ServerState, client: &mut Client) {
    let who = (client.slot, client.id);
    for (kind, list) in [
        (Kind::Channel, std::mem::take(&mut client.subs)),
        (Kind::Pattern, std::mem::take(&mut client.psubs)),
        (Kind::Shard, std::mem::take(&mut client.ssubs)),
    ] {
        for name in list {
            srv.pubsub.remove(kind, &name, who);
        }
    }
}

fn subscribe(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    subscribe_generic(ctx, a, Kind::Channel, "subscribe")
}

fn psubscribe(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    subscribe_generic(ctx, a, Kind::Pattern, "psubscribe")
}

fn ssubscribe(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    subscribe_generic(ctx, a, Kind::Shard, "ssubscribe")
}

fn unsubscribe(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    unsubscribe_generic(ctx, a, Kind::Channel, "unsubscribe")
}

fn punsubscribe(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    unsubscribe_generic(ctx, a, Kind::Pattern, "punsubscribe")
}

fn sunsubscribe(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    unsubscribe_generic(ctx, a, Kind::Shard, "sunsubscribe")
}

fn publish_generic(ctx: &mut Ctx, a: &[&[u8]], shard: bool) -> CmdResult {
    let now = ctx.now();
    let srv = &mut *ctx.srv;
    let n = pubsub::publish(
        &mut srv.pubsub,
        &mut srv.clients,
        Some(&mut *ctx.client),
        shard,
        a[1],
        a[2],
        &srv.config.client_output_buffer_limit,
        now,
        &mut srv.stats,
    );
    ctx.reply().int(n as i64);
    Ok(())
}

fn publish(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    publish_generic(ctx, a, false)
}

fn spublish(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    publish_generic(ctx, a, true)
}

fn channels_generic(ctx: &mut Ctx, a: &[&[u8]], shard: bool) -> CmdResult {
    if a.len() > 3 {
        return Err(CmdError::msg(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            super::trunc(a[1], 128)
        )));
    }
    let pattern = a.get(2).copied();
    let map = if shard {
        &ctx.srv.pubsub.shard_channels
    } else {
        &ctx.srv.pubsub.channels
    };
    let names: Vec<Vec<u8>> = map
        .keys()
        .filter(|c| pattern.is_none_or(|p| glob_match(p, c, false)))
        .cloned()
        .collect();
    let r = ctx.reply();
    r.array(names.len());
    for n in names {
        r.bulk(&n);
    }
    Ok(())
}

fn numsub_generic(ctx: &mut Ctx, a: &[&[u8]], shard: bool) -> CmdResult {
    let map = if shard {
        &ctx.srv.pubsub.shard_channels
    } else {
        &ctx.srv.pubsub.channels
    };
    let counts: Vec<(Vec<u8>, usize)> = a[2..]
        .iter()
        .map(|c| (c.to_vec(), map.get(*c).map_or(0, |v| v.len())))
        .collect();
    // A flat array even in RESP3, as Redis 7.0 replies.
    let r = ctx.reply();
    r.array(counts.len() * 2);
    for (c, n) in counts {
        r.bulk(&c);
        r.int(n as i64);
    }
    Ok(())
}

fn pubsub_channels(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    channels_generic(ctx, a, false)
}

fn pubsub_shardchannels(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    channels_generic(ctx, a, true)
}

fn pubsub_numsub(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    numsub_generic(ctx, a, false)
}

fn pubsub_shardnumsub(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    numsub_generic(ctx, a, true)
}

fn pubsub_numpat(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let n = ctx.srv.pubsub.patterns.len() as i64;
    ctx.reply().int(n);
    Ok(())
}

fn pubsub_help(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let lines = [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    reply_help(ctx.reply(), &lines);
    Ok(())
}

/// PING while subscribed in RESP2 answers `["pong", arg]`.
pub fn subscribed_ping(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let r = ctx.reply();
    r.array(2);
    r.bulk(b"pong");
    r.bulk(a.get(1).copied().unwrap_or(b""));
    Ok(())
}
