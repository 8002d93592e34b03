//! Publish/subscribe registry: who listens on which channel, pattern or shard channel, and
//! delivery of messages into subscribers' output buffers.
//!
//! A message is encoded once per protocol version and appended to each subscriber's
//! buffer; the event loop writes those buffers like any reply. A subscriber that does not
//! read is cut off by `client-output-buffer-limit pubsub` (default 32mb hard, 8mb for 60 s),
//! so a slow reader cannot grow the server's memory without bound.

use std::collections::HashMap;

use super::client::Client;
use super::{Clients, Stats};
use crate::config::{ClientBufferLimit, OBUF_PUBSUB};
use crate::protocol::Reply;
use crate::storage::db::Waiter;
use crate::util::glob::glob_match;

/// The three subscription namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

#[derive(Debug, Default)]
pub struct PubSub {
    pub channels: HashMap<Vec<u8>, Vec<Waiter>>,
    pub patterns: HashMap<Vec<u8>, Vec<Waiter>>,
    pub shard_channels: HashMap<Vec<u8>, Vec<Waiter>>,
    /// Clients whose output grew outside their own commands: the loop must flush them.
    pub flush: Vec<usize>,
}

impl PubSub {
    fn map(&mut self, kind: Kind) -> &mut HashMap<Vec<u8>, Vec<Waiter>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard_channels,
        }
    }

    pub fn add(&mut self, kind: Kind, name: &[u8], who: Waiter) {
        self.map(kind).entry(name.to_vec()).or_default().push(who);
    }

    pub fn remove(&mut self, kind: Kind, name: &[u8], who: Waiter) {
        let map = self.map(kind);
        if let Some(v) = map.get_mut(name) {
            v.retain(|w| *w != who);
            if v.is_empty() {
                map.remove(name);
            }
        }
    }
}

/// `*3 $7 message $ch $msg` (or `>3` in RESP3), encoded once for all subscribers.
fn encode(resp3: bool, parts: &[&[u8]]) -> Vec<u8> {
    let mut r = Reply {
        buf: Vec::new(),
        resp3,
    };
    r.push(parts.len());
    for p in parts {
        r.bulk(p);
    }
    r.buf
}

/// Deliver `parts` to one subscriber; close it when over the pubsub output limit.
fn deliver(
    c: &mut Client,
    frames: &[Vec<u8>; 2],
    limit: &ClientBufferLimit,
    now: i64,
    stats: &mut Stats,
) {
    if c.close_asap {
        return;
    }
    c.reply
        .buf
        .extend_from_slice(&frames[c.reply.resp3 as usize]);
    if c.over_output_limit(limit, now) {
        stats.client_output_limit_disconnections += 1;
        c.close_asap = true;
    }
}

/// PUBLISH/SPUBLISH: send `message` to the channel's subscribers (and, for ordinary
/// channels, to matching patterns). `me` is the publishing client, outside the table.
/// Returns the number of receivers.
#[allow(clippy::too_many_arguments)]
pub fn publish(
    ps: &mut PubSub,
    clients: &mut Clients,
    me: Option<&mut Client>,
    shard: bool,
    channel: &[u8],
    message: &[u8],
    limit_all: &[ClientBufferLimit; 3],
    now: i64,
    stats: &mut Stats,
) -> usize {
    let limit = &limit_all[OBUF_PUBSUB];
    let kind = if shard { "smessage" } else { "message" };
    let frames = [
        encode(false, &[kind.as_bytes(), channel, message]),
        encode(true, &[kind.as_bytes(), channel, message]),
    ];
    let mut me = me;
    let mut receivers = 0;
    let mut targets: Vec<(Waiter, Option<usize>)> = Vec::new();
    let direct = if shard {
        &ps.shard_channels
    } else {
        &ps.channels
    };
    if let Some(subs) = direct.get(channel) {
        targets.extend(subs.iter().map(|w| (*w, None)));
    }
    let mut pattern_frames: Vec<[Vec<u8>; 2]> = Vec::new();
    if !shard {
        for (pattern, subs) in &ps.patterns {
            if glob_match(pattern, channel, false) {
                pattern_frames.push([
                    encode(false, &[b"pmessage", pattern, channel, message]),
                    encode(true, &[b"pmessage", pattern, channel, message]),
                ]);
                let idx = pattern_frames.len() - 1;
                targets.extend(subs.iter().map(|w| (*w, Some(idx))));
            }
        }
    }
    for ((slot, id), pat) in targets {
        let f = match pat {
            Some(i) => &pattern_frames[i],
            None => &frames,
        };
        let target = match clients.slots.get_mut(slot).and_then(|c| c.as_deref_mut()) {
            Some(c) if c.id == id => Some(c),
            _ => me.as_deref_mut().filter(|c| c.id == id),
        };
        if let Some(c) = target {
            deliver(c, f, limit, now, stats);
            receivers += 1;
            ps.flush.push(slot);
        }
    }
    receivers
}
