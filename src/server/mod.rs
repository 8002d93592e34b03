//! The server: shared state ([`ServerState`]), connections ([`client`]), the mio event loop
//! ([`event_loop`]) and periodic work ([`cron`]).
//!
//! One thread runs the loop and executes every command, one at a time, so each command is
//! atomic without locks. Command handlers receive `&mut ServerState` and the calling
//! `&mut Client`; the calling client is taken out of the client table while it runs, so
//! handlers that inspect other clients (CLIENT LIST/KILL) can borrow the table.

pub mod blocking;
pub mod busy;
pub mod client;
pub mod cron;
pub mod event_loop;
pub mod input;
pub mod log;
pub mod maxmemory;
pub mod notify;
pub mod propagate;
pub mod pubsub;

use std::time::{SystemTime, UNIX_EPOCH};

pub use client::Client;
pub use event_loop::Server;

use crate::config::Config;
use crate::storage::Db;

/// Version of Redis whose behaviour we match; clients read it from INFO and HELLO.
pub const REDIS_VERSION: &str = "7.0.15";
pub const FERROKV_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub connections_received: u64,
    pub rejected_connections: u64,
    pub commands_processed: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub expired_stale_perc: f64,
    pub expire_cycle_cpu_ms: u64,
    pub unexpected_error_replies: u64,
    pub total_error_replies: u64,
    pub client_output_limit_disconnections: u64,
    pub client_query_limit_disconnections: u64,
    /// Samples for instantaneous_ops_per_sec: (ms, commands) at the last sample.
    pub ops_sample: (i64, u64),
    pub instantaneous_ops: f64,
    /// Highest allocated bytes seen by the cron or INFO (used_memory_peak).
    pub mem_peak: u64,
    /// Keys removed to stay under maxmemory (INFO `evicted_keys`).
    pub evicted_keys: u64,
    /// Error replies by their first word (INFO errorstats).
    pub error_codes: std::collections::HashMap<String, u64>,
}

/// Calls and time per command (INFO commandstats).
#[derive(Debug, Default, Clone, Copy)]
pub struct CmdStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected: u64,
    pub failed: u64,
}

/// How a SHUTDOWN or signal asked the server to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    Requested,
}

/// Slots of connected clients, indexed by the mio token minus the reserved tokens.
/// A slot is `None` while free, or while its client is running a command.
#[derive(Default)]
pub struct Clients {
    pub slots: Vec<Option<Box<Client>>>,
    free: Vec<usize>,
    pub count: usize,
}

impl Clients {
    pub fn insert(&mut self, mut client: Box<Client>) -> usize {
        self.count += 1;
        let slot = self.free.pop().unwrap_or(self.slots.len());
        client.slot = slot;
        if slot == self.slots.len() {
            self.slots.push(Some(client));
        } else {
            self.slots[slot] = Some(client);
        }
        slot
    }

    pub fn remove(&mut self, slot: usize) -> Option<Box<Client>> {
        let c = self.slots.get_mut(slot)?.take()?;
        self.free.push(slot);
        self.count -= 1;
        Some(c)
    }

    /// Take a client out to run its commands; put it back with [`Clients::put_back`].
    pub fn take(&mut self, slot: usize) -> Option<Box<Client>> {
        self.slots.get_mut(slot)?.take()
    }

    pub fn put_back(&mut self, slot: usize, client: Box<Client>) {
        self.slots[slot] = Some(client);
    }

    pub fn iter(&self) -> impl Iterator<Item = (usize, &Client)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_deref().map(|c| (i, c)))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut Client)> {
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(i, c)| c.as_deref_mut().map(|c| (i, c)))
    }
}

/// A small xorshift generator: deterministic when seeded, no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x.wrapping_mul(0x2545F4914F6CDD1D)
    }
}

pub struct ServerState {
    pub config: Config,
    pub dbs: Vec<Db>,
    pub clients: Clients,
    pub stats: Stats,
    pub cmd_stats: Vec<CmdStat>,
    /// Wall clock of the command being run, unix ms; expiry decisions use it.
    pub now_ms: i64,
    pub start_ms: i64,
    pub rng: Rng,
    pub run_id: String,
    pub next_client_id: u64,
    pub shutdown: Option<Shutdown>,
    /// Ports actually bound (INFO tcp_port; useful when configured port is 0).
    pub bound_port: u16,
    pub executable: String,
    pub log: log::Logger,
    pub blocking: blocking::Blocking,
    pub pubsub: pubsub::PubSub,
    /// maxmemory eviction state (the candidate pool, a pass in progress).
    pub eviction: maxmemory::Eviction,
    /// Allocated bytes right after start-up (INFO `used_memory_startup`).
    pub mem_startup: u64,
    pub scripting: crate::scripting::Scripting,
    /// What the event loop lends to a busy script to serve other clients (set by bind).
    pub busy_io: Option<busy::BusyIo>,
    /// Modifications counted outside the databases (FLUSHALL of empty databases...).
    pub dirty_base: u64,
    /// Snapshots: last save, BGSAVE child, loading (see [`crate::persistence`]).
    pub persist: crate::persistence::State,
    /// The append-only file (see [`crate::persistence::aof`]).
    pub aof: crate::persistence::aof::Aof,
    /// Writes recorded for the AOF (see [`propagate`]).
    pub propagate: propagate::Propagation,
}

impl ServerState {
    pub fn new(config: Config) -> Self {
        let now = unix_ms();
        let seed = now as u64 ^ (std::process::id() as u64) << 32;
        let mut rng = Rng::new(seed);
        let run_id: String = (0..40)
            .map(|_| char::from_digit((rng.next_u64() % 16) as u32, 16).unwrap_or('0'))
            .collect();
        let dbs = (0..config.databases.max(1)).map(|_| Db::new()).collect();
        let log = log::Logger::from_config(&config);
        let mut state = ServerState {
            dbs,
            clients: Clients::default(),
            stats: Stats::default(),
            cmd_stats: vec![CmdStat::default(); crate::commands::table::table().all.len()],
            now_ms: now,
            start_ms: now,
            rng,
            run_id,
            next_client_id: 1,
            shutdown: None,
            bound_port: config.port,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            log,
            blocking: blocking::Blocking::default(),
            pubsub: pubsub::PubSub::default(),
            eviction: maxmemory::Eviction::default(),
            mem_startup: crate::alloc::allocated().unwrap_or(0) as u64,
            scripting: crate::scripting::Scripting::new(),
            busy_io: None,
            dirty_base: 0,
            persist: crate::persistence::State::new(now),
            aof: Default::default(),
            propagate: Default::default(),
            config,
        };
        maxmemory::apply_access_policy(&mut state);
        notify::sync_flags(&mut state);
        state
    }

    pub fn refresh_clock(&mut self) {
        self.now_ms = unix_ms();
    }

    /// Modifications since start across databases (save points, AOF propagation).
    pub fn dirty(&self) -> u64 {
        self.dirty_base + self.dbs.iter().map(|d| d.dirty).sum::<u64>()
    }

    pub fn requires_auth(&self) -> bool {
        !self.config.requirepass.is_empty()
    }
}

pub fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub fn unix_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}
