//! Keyspace notifications (`notify-keyspace-events`): a modification is published on
//! `__keyspace@<db>__:<key>` (message: the event) and `__keyevent@<db>__:<event>`
//! (message: the key), as Redis names them, when its class is enabled.
//!
//! Commands call [`Ctx::notify`](crate::commands::Ctx::notify) with Redis's event names.
//! Events that happen inside the keyspace itself (lazy and active expiry, key creation,
//! read misses) are logged by `Db` and published by [`drain`] after each command and each
//! cron tick, and before each event a command publishes (so they keep their order).

use super::client::Client;
use super::{ServerState, pubsub};
use crate::config::notify::{self, KEYEVENT, KEYSPACE};

/// Publish one event if its class is enabled.
pub fn event(
    srv: &mut ServerState,
    me: Option<&mut Client>,
    db: usize,
    class: u32,
    event: &str,
    key: &[u8],
) {
    let flags = srv.config.notify_keyspace_events;
    if flags & class == 0 || flags & (KEYSPACE | KEYEVENT) == 0 {
        return;
    }
    let mut me = me;
    let now = srv.now_ms;
    if flags & KEYSPACE != 0 {
        let mut channel = format!("__keyspace@{db}__:").into_bytes();
        channel.extend_from_slice(key);
        pubsub::publish(
            &mut srv.pubsub,
            &mut srv.clients,
            me.as_deref_mut(),
            false,
            &channel,
            event.as_bytes(),
            &srv.config.client_output_buffer_limit,
            now,
            &mut srv.stats,
        );
    }
    if flags & KEYEVENT != 0 {
        let channel = format!("__keyevent@{db}__:{event}").into_bytes();
        pubsub::publish(
            &mut srv.pubsub,
            &mut srv.clients,
            me,
            false,
            &channel,
            key,
            &srv.config.client_output_buffer_limit,
            now,
            &mut srv.stats,
        );
    }
}

/// Publish the events the databases logged (expired, new keys, read misses).
pub fn drain(srv: &mut ServerState, mut me: Option<&mut Client>) {
    for db in 0..srv.dbs.len() {
        if srv.dbs[db].events.is_empty() {
            continue;
        }
        for (class, name, key) in std::mem::take(&mut srv.dbs[db].events) {
            event(srv, me.as_deref_mut(), db, class, name, &key);
        }
    }
}

/// Tell the databases which classes they must log, after start-up or CONFIG SET.
pub fn sync_flags(srv: &mut ServerState) {
    let flags = srv.config.notify_keyspace_events;
    let active = flags & (KEYSPACE | KEYEVENT) != 0;
    let mask = if active {
        flags & (notify::EXPIRED | notify::NEW | notify::KEY_MISS)
    } else {
        0
    };
    for db in srv.dbs.iter_mut() {
        db.log_events = mask;
    }
}
