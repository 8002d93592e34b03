//! What the stream commands record in the AOF instead of themselves, so that a replay at
//! another time rebuilds the same streams and consumer groups (Redis's
//! `streamPropagateXCLAIM`, `streamPropagateGroupID`, `streamPropagateConsumerCreation`,
//! `streamRewriteApproxSpecifier`, `streamRewriteTrimArgument`):
//!
//! - XADD with `*` or `<ms>-*` records the ID it generated; an approximate trim (`~`) in
//!   XADD or XTRIM records the exact trim that removes the same entries: `=` with the
//!   length left (MAXLEN) or the first ID left (MINID), without LIMIT.
//! - Deliveries and claims (XREADGROUP, XCLAIM, XAUTOCLAIM) record one
//!   `XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID id` per
//!   pending entry they changed: the entry's delivery time and count as they are now,
//!   whatever the clock says on replay. Entries dropped from the PEL because they were
//!   deleted are recorded as XACK. XREADGROUP also records the consumers it created
//!   (XGROUP CREATECONSUMER) and, after new deliveries, the group's position with its
//!   read counter (XGROUP SETID ... ENTRIESREAD), which XCLAIM's LASTID does not carry.
//!
//! Unlike Redis 7.0, history reads (XREADGROUP with an ID) are recorded too: they bump the
//! delivery count and time of what they return, and a replay must see those.

use super::{Ctx, Stream, StreamId, TrimStrategy};
use crate::commands::rewrite;

/// XADD's recorded form, or `None` when it is recorded as sent (explicit ID, no `~`).
pub(super) fn xadd_argv(
    a: &[&[u8]],
    opts: &super::AddTrim,
    id: StreamId,
    s: &Stream,
) -> Option<Vec<Vec<u8>>> {
    let id_generated = !matches!(opts.id, Some((_, true)));
    let approx = opts.trim.is_some_and(|t| t.approx);
    if !id_generated && !approx {
        return None;
    }
    let mut argv = exact_trim_argv(a, opts, s, opts.idpos);
    if id_generated {
        // `idpos` counts the arguments before it, minus any LIMIT pair dropped before it.
        let dropped = opts.limits_at.iter().filter(|&&p| p < opts.idpos).count() * 2;
        argv[opts.idpos - dropped] = id.to_bytes();
    }
    Some(argv)
}

/// XTRIM's recorded form: `None` unless the trim was approximate.
pub(super) fn xtrim_argv(a: &[&[u8]], opts: &super::AddTrim, s: &Stream) -> Option<Vec<Vec<u8>>> {
    if !opts.trim.is_some_and(|t| t.approx) {
        return None;
    }
    Some(exact_trim_argv(a, opts, s, a.len()))
}

/// The arguments with `~` turned into `=`, the threshold into what is left of `s`, and the
/// LIMIT pairs (before `end`) dropped.
fn exact_trim_argv(a: &[&[u8]], opts: &super::AddTrim, s: &Stream, end: usize) -> Vec<Vec<u8>> {
    let approx = opts.trim.filter(|t| t.approx);
    let mut argv = Vec::with_capacity(a.len());
    let mut i = 0;
    while i < a.len() {
        if i < end && opts.limits_at.contains(&i) {
            i += 2;
            continue;
        }
        match approx {
            Some(_) if Some(i) == opts.approx_at => argv.push(b"=".to_vec()),
            Some(t) if i == opts.threshold_at => argv.push(match t.strategy {
                TrimStrategy::MaxLen(_) => rewrite::int(s.length as i64),
                // The first entry left, tombstones included; past every ID when empty.
                TrimStrategy::MinId(_) => {
                    s.edge_id(true, false).unwrap_or(StreamId::MAX).to_bytes()
                }
            }),
            _ => argv.push(a[i].to_vec()),
        }
        i += 1;
    }
    argv
}

/// What one command did to one consumer group, to be recorded.
#[derive(Default)]
pub(super) struct GroupChanges<'a> {
    pub key: &'a [u8],
    pub group: &'a [u8],
    /// A consumer the command created (XREADGROUP), recorded as XGROUP CREATECONSUMER.
    pub created: Option<&'a [u8]>,
    /// PEL entries delivered or claimed: recorded as XCLAIMs of their present state.
    pub claimed: Vec<StreamId>,
    /// PEL entries dropped because their message was deleted: recorded as XACK.
    pub acked: Vec<StreamId>,
    /// Record the group's last ID and read counter (XGROUP SETID ... ENTRIESREAD).
    pub setid: bool,
}

/// Record `changes` (as `also_propagate`, in the client's database), reading the present
/// state of the group from the keyspace.
pub(super) fn record(ctx: &mut Ctx, changes: &GroupChanges<'_>) {
    let mut out: Vec<Vec<Vec<u8>>> = Vec::new();
    let Some(crate::storage::value::Value::Stream(s)) = ctx.db().get(changes.key).map(|e| &e.value)
    else {
        return;
    };
    let Some(g) = s.groups.get(changes.group) else {
        return;
    };
    let (key, group) = (changes.key, changes.group);
    if let Some(consumer) = changes.created {
        out.push(rewrite::argv(&[
            b"XGROUP",
            b"CREATECONSUMER",
            key,
            group,
            consumer,
        ]));
    }
    if !changes.acked.is_empty() {
        let mut argv = rewrite::argv(&[b"XACK", key, group]);
        argv.extend(changes.acked.iter().map(|id| id.to_bytes()));
        out.push(argv);
    }
    let last = g.last_id.to_bytes();
    for id in &changes.claimed {
        let Some(nack) = g.pel.get(id) else {
            continue;
        };
        out.push(rewrite::argv(&[
            b"XCLAIM",
            key,
            group,
            &nack.consumer,
            b"0",
            &id.to_bytes(),
            b"TIME",
            &rewrite::int(nack.delivery_time),
            b"RETRYCOUNT",
            &rewrite::int(nack.delivery_count.min(i64::MAX as u64) as i64),
            b"FORCE",
            b"JUSTID",
            b"LASTID",
            &last,
        ]));
    }
    if changes.setid {
        out.push(rewrite::argv(&[
            b"XGROUP",
            b"SETID",
            key,
            group,
            &last,
            b"ENTRIESREAD",
            &rewrite::int(g.entries_read),
        ]));
    }
    for argv in out {
        ctx.also_propagate(argv);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{StreamId, parse_add_trim};
    use super::*;
    use crate::storage::stream::NodeLimits;

    fn text(argv: &[Vec<u8>]) -> String {
        argv.iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Ten entries 1-1 .. 10-1, two per node.
    fn stream() -> Stream {
        let mut s = Stream::new();
        let limits = NodeLimits {
            max_bytes: 4096,
            max_entries: 2,
        };
        for ms in 1..=10 {
            s.append(StreamId { ms, seq: 1 }, &[b"f", b"v"], limits)
                .expect("append");
        }
        s
    }

    fn args(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    #[test]
    fn xadd_records_the_generated_id_and_an_exact_trim() {
        let s = stream();
        let id = StreamId { ms: 10, seq: 1 };
        let a = args("XADD s MAXLEN ~ 3 LIMIT 50 * f v");
        let o = parse_add_trim(&a, true, 2, false).expect("parse");
        let argv = xadd_argv(&a, &o, id, &s).expect("rewritten");
        assert_eq!(text(&argv), "XADD s MAXLEN = 10 10-1 f v");
        // An explicit ID and an exact trim are recorded as sent.
        let a = args("XADD s MAXLEN = 3 10-1 f v");
        let o = parse_add_trim(&a, true, 2, false).expect("parse");
        assert!(xadd_argv(&a, &o, id, &s).is_none());
        // `<ms>-*` leaves the sequence to the server: recorded with it.
        let a = args("XADD s NOMKSTREAM 10-* f v");
        let o = parse_add_trim(&a, true, 2, false).expect("parse");
        let argv = xadd_argv(&a, &o, id, &s).expect("rewritten");
        assert_eq!(text(&argv), "XADD s NOMKSTREAM 10-1 f v");
    }

    #[test]
    fn xtrim_records_what_is_left() {
        let s = stream();
        let a = args("XTRIM s MINID ~ 5-0 LIMIT 7");
        let o = parse_add_trim(&a, false, 2, false).expect("parse");
        assert_eq!(
            text(&xtrim_argv(&a, &o, &s).expect("rewritten")),
            "XTRIM s MINID = 1-1"
        );
        let a = args("XTRIM s MAXLEN ~ 4");
        let o = parse_add_trim(&a, false, 2, false).expect("parse");
        assert_eq!(
            text(&xtrim_argv(&a, &o, &s).expect("rewritten")),
            "XTRIM s MAXLEN = 10"
        );
        let empty = Stream::new();
        assert_eq!(
            text(&xtrim_argv(&a, &o, &empty).expect("rewritten")),
            "XTRIM s MAXLEN = 0"
        );
        let a = args("XTRIM s MINID ~ 5-0");
        let o = parse_add_trim(&a, false, 2, false).expect("parse");
        assert_eq!(
            text(&xtrim_argv(&a, &o, &empty).expect("rewritten")),
            "XTRIM s MINID = 18446744073709551615-18446744073709551615"
        );
        let a = args("XTRIM s MAXLEN 4");
        let o = parse_add_trim(&a, false, 2, false).expect("parse");
        assert!(xtrim_argv(&a, &o, &s).is_none());
    }

    /// Redis's own AOF keeps LIMIT after turning `~` into `=`: accepted from the AOF only.
    #[test]
    fn exact_trim_with_limit_only_from_the_aof() {
        let a = args("XADD s MAXLEN = 5 LIMIT 10 1-1 f v");
        assert!(parse_add_trim(&a, true, 2, false).is_err());
        let o = parse_add_trim(&a, true, 2, true).expect("from the AOF");
        assert_eq!(o.trim.map(|t| t.limit), Some(0));
    }
}
