//! Blocked clients (BLPOP, BLMOVE, BZPOPMIN...): waiting inside the event loop, without a
//! thread each.
//!
//! A blocking command that finds no data calls [`Ctx::block`](crate::commands::Ctx::block):
//! the client is queued on each key in its database (`Db::blocking_keys`, FIFO), and its
//! deadline goes into an ordered set. When a command creates one of those keys, `Db`
//! records it in `ready_keys`; after that command, [`serve_ready`] runs each waiter's
//! command again, in blocking order, with `Client::retrying` set. A rerun that still finds
//! nothing (no data left, or the key now holds another type) blocks again and keeps its
//! place; one that replies is unblocked. Deadlines are checked every loop iteration and the
//! loop sleeps no longer than the nearest one, so timeouts have millisecond precision.

use std::collections::BTreeSet;

use super::ServerState;
use super::client::{Blocked, Client};
use crate::commands;

#[derive(Debug, Default)]
pub struct Blocking {
    /// (deadline ms, slot, client id) of every blocked client with a timeout.
    deadlines: BTreeSet<(i64, usize, u64)>,
    /// Clients unblocked since the event loop last looked: it must write their replies and
    /// process the requests they sent meanwhile.
    pub unblocked: Vec<usize>,
    /// Number of blocked clients (INFO `blocked_clients`).
    pub count: usize,
}

/// How a client is released other than by data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    Timeout,
    /// CLIENT UNBLOCK ... ERROR.
    Error,
}

impl Blocking {
    /// The nearest deadline, so the loop does not sleep past it.
    pub fn next_deadline(&self) -> Option<i64> {
        self.deadlines.first().map(|d| d.0)
    }
}

/// Queue `client` on `keys` until one is ready or `deadline` passes.
pub fn register(
    srv: &mut ServerState,
    client: &mut Client,
    keys: &[&[u8]],
    deadline: Option<i64>,
    argv: &[&[u8]],
) {
    let db = client.db;
    let waiter = (client.slot, client.id);
    let mut owned: Vec<Box<[u8]>> = Vec::with_capacity(keys.len());
    for key in keys {
        if owned.iter().any(|k| &**k == *key) {
            continue;
        }
        owned.push((*key).into());
        srv.dbs[db]
            .blocking_keys
            .entry((*key).into())
            .or_default()
            .push_back(waiter);
    }
    if let Some(d) = deadline {
        srv.blocking.deadlines.insert((d, client.slot, client.id));
    }
    srv.blocking.count += 1;
    client.blocked = Some(Blocked {
        db,
        keys: owned,
        deadline,
        argv: argv.iter().map(|a| a.to_vec()).collect(),
    });
}

/// Remove `client` from every queue it waits in (it was served, timed out or left).
pub fn unregister(srv: &mut ServerState, client: &mut Client) {
    let Some(b) = client.blocked.take() else {
        return;
    };
    let waiter = (client.slot, client.id);
    let db = &mut srv.dbs[b.db];
    for key in &b.keys {
        if let Some(q) = db.blocking_keys.get_mut(key) {
            q.retain(|w| *w != waiter);
            if q.is_empty() {
                db.blocking_keys.remove(key);
            }
        }
    }
    if let Some(d) = b.deadline {
        srv.blocking.deadlines.remove(&(d, client.slot, client.id));
    }
    srv.blocking.count -= 1;
}

fn has_ready(srv: &ServerState) -> bool {
    srv.dbs.iter().any(|d| !d.ready_keys.is_empty())
}

/// Serve the clients blocked on keys that became ready. Serving one may make others ready
/// (BLMOVE pushes into another key), so this runs until nothing is ready.
pub fn serve_ready(srv: &mut ServerState) {
    while has_ready(srv) {
        for db in 0..srv.dbs.len() {
            let ready = std::mem::take(&mut srv.dbs[db].ready_keys);
            for key in ready {
                let waiters: Vec<(usize, u64)> = srv.dbs[db]
                    .blocking_keys
                    .get(&key)
                    .map(|q| q.iter().copied().collect())
                    .unwrap_or_default();
                for (slot, id) in waiters {
                    retry(srv, slot, id);
                }
            }
        }
    }
}

/// Run a blocked client's command again; unblock it if the command replied.
fn retry(srv: &mut ServerState, slot: usize, id: u64) {
    let Some(mut client) = srv.clients.take(slot) else {
        return;
    };
    if client.id != id || client.blocked.is_none() {
        srv.clients.put_back(slot, client);
        return;
    }
    let argv = client
        .blocked
        .as_ref()
        .map(|b| b.argv.clone())
        .unwrap_or_default();
    let args: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
    // The command runs in the database the client blocked in.
    let saved_db = client.db;
    client.db = client.blocked.as_ref().map_or(saved_db, |b| b.db);
    client.retrying = true;
    client.reblocked = false;
    commands::execute(srv, &mut client, &args);
    client.retrying = false;
    client.db = saved_db;
    if !client.reblocked {
        unregister(srv, &mut client);
        srv.blocking.unblocked.push(slot);
    }
    srv.clients.put_back(slot, client);
}

/// Release a blocked client with a timeout reply (null array) or the UNBLOCKED error.
pub fn release(srv: &mut ServerState, client: &mut Client, how: Release) {
    if client.blocked.is_none() {
        return;
    }
    unregister(srv, client);
    match how {
        Release::Timeout => client.reply.null_array(),
        Release::Error => client
            .reply
            .error("UNBLOCKED client unblocked via CLIENT UNBLOCK"),
    }
    srv.blocking.unblocked.push(client.slot);
}

/// Time out every blocked client whose deadline has passed.
pub fn expire_timeouts(srv: &mut ServerState, now: i64) {
    while let Some(&(d, slot, id)) = srv.blocking.deadlines.first() {
        if d > now {
            break;
        }
        srv.blocking.deadlines.pop_first();
        let Some(mut client) = srv.clients.take(slot) else {
            continue;
        };
        if client.id == id {
            release(srv, &mut client, Release::Timeout);
        }
        srv.clients.put_back(slot, client);
    }
}
