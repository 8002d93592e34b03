//! Server configuration, modelled on Redis 7.0's `config.c`.
//!
//! One declarative table, `OPTIONS`, describes every option (name, alias, type,
//! default, flags, validation) and is the single source of truth for loading
//! redis.conf files, `--name value` command-line overrides, `CONFIG GET`,
//! `CONFIG SET` and `CONFIG REWRITE`; [`Config::default`] is built by applying each
//! entry's default. The values themselves live in plain typed fields of [`Config`]
//! so hot paths read `config.maxclients` instead of looking strings up.
//!
//! Behaviour and every error text follow redis-server 7.0.15 (the tests pin them),
//! with these deliberate differences:
//! - `dir` is not `chdir`ed into (a process-wide side effect): it is checked the way
//!   `chdir` would fail (missing, not a directory), stored as an absolute path in
//!   [`Config::dir`], and relative paths met later while loading (`include`,
//!   `logfile`, another `dir`) are resolved against it, which is what Redis's
//!   `chdir` achieves. The server should `set_current_dir(&config.dir)` at startup
//!   and whenever CONFIG SET reports `dir` as changed.
//! - `daemonize` is stored, not acted upon: the server decides whether to support it.
//! - `cluster-enabled yes` is rejected ("cluster mode is not supported"); the other
//!   cluster and replication options are accepted and stored only. There are no TLS
//!   options, as in a Redis built without TLS.
//! - `rename-command` and `user` lines are stored ([`Config::rename_commands`],
//!   [`Config::users`]) for the command table and ACL code to validate (Redis
//!   rejects unknown commands and bad ACL rules at load time); `loadmodule` is
//!   rejected.
//! - Apply-time failures Redis detects inside CONFIG SET (port already in use, bind
//!   failure, maxclients above the file limit) are the server's job: `set` returns
//!   the changed option names; clone the config before and restore it on failure.
//!   Likewise the server refuses `appendonly`, `dir` and `repl-diskless-load` while
//!   loading data, if it wants Redis's `-LOADING` reply there.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::util::split_args::{repr, split_args};

/// The Redis version whose behaviour (and fatal-error banner) this module mimics.
pub const REDIS_VERSION: &str = "7.0.15";

/// Keyspace notification classes, the bits of [`Config::notify_keyspace_events`]
/// (same values as Redis's `NOTIFY_*`).
pub mod notify {
    /// `K`: publish on `__keyspace@<db>__:<key>`.
    pub const KEYSPACE: u32 = 1 << 0;
    /// `E`: publish on `__keyevent@<db>__:<event>`.
    pub const KEYEVENT: u32 = 1 << 1;
    /// `g`: generic commands (DEL, EXPIRE, RENAME...).
    pub const GENERIC: u32 = 1 << 2;
    /// `$`: string commands.
    pub const STRING: u32 = 1 << 3;
    /// `l`: list commands.
    pub const LIST: u32 = 1 << 4;
    /// `s`: set commands.
    pub const SET: u32 = 1 << 5;
    /// `h`: hash commands.
    pub const HASH: u32 = 1 << 6;
    /// `z`: sorted-set commands.
    pub const ZSET: u32 = 1 << 7;
    /// `x`: expired events.
    pub const EXPIRED: u32 = 1 << 8;
    /// `e`: evicted events.
    pub const EVICTED: u32 = 1 << 9;
    /// `t`: stream commands.
    pub const STREAM: u32 = 1 << 10;
    /// `m`: key-miss events (not part of `A`).
    pub const KEY_MISS: u32 = 1 << 11;
    /// Module-only "key loaded" notification (no letter).
    pub const LOADED: u32 = 1 << 12;
    /// `d`: module key type events.
    pub const MODULE: u32 = 1 << 13;
    /// `n`: new-key events (not part of `A`).
    pub const NEW: u32 = 1 << 14;
    /// `A`: alias for `g$lshzxetd`.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// Bits of [`Config::shutdown_on_sigint`] / [`Config::shutdown_on_sigterm`]
/// (0 means "default").
pub mod shutdown {
    /// Force a save even without save points.
    pub const SAVE: u32 = 1;
    /// Skip saving even with save points.
    pub const NOSAVE: u32 = 2;
    /// Don't wait for lagging replicas.
    pub const NOW: u32 = 4;
    /// Ignore errors while saving.
    pub const FORCE: u32 = 8;
}

/// Index of the normal-clients class in [`Config::client_output_buffer_limit`].
pub const OBUF_NORMAL: usize = 0;
/// Index of the replica class in [`Config::client_output_buffer_limit`].
pub const OBUF_REPLICA: usize = 1;
/// Index of the pub/sub class in [`Config::client_output_buffer_limit`].
pub const OBUF_PUBSUB: usize = 2;

/// One class of `client-output-buffer-limit`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientBufferLimit {
    /// Disconnect as soon as the output buffer exceeds this (0 = no limit).
    pub hard_limit_bytes: u64,
    /// Disconnect when over this for `soft_limit_seconds` (0 = no limit).
    pub soft_limit_bytes: u64,
    /// How long the soft limit may be exceeded.
    pub soft_limit_seconds: u64,
}

/// Redis enums map names to values; several names may share a value (`yes` and
/// `relative` for oom-score-adj), the first one is what CONFIG GET reports.
trait NamedEnum: Copy + PartialEq + 'static {
    const NAMES: &'static [&'static str];
    const VALUES: &'static [Self];
}

fn enum_index<E: NamedEnum>(v: E) -> usize {
    E::VALUES.iter().position(|x| *x == v).unwrap_or(0)
}

fn enum_at<E: NamedEnum>(i: usize) -> E {
    // Indexes come from a lookup in NAMES, which has the same length as VALUES.
    E::VALUES.get(i).copied().unwrap_or(E::VALUES[0])
}

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident),+ $(,)? }
     names { $($s:literal => $v:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $var),+ }
        impl NamedEnum for $name {
            const NAMES: &'static [&'static str] = &[$($s),+];
            const VALUES: &'static [Self] = &[$($name::$v),+];
        }
        impl Blank for $name {
            fn blank() -> Self { Self::VALUES[0] }
        }
        impl $name {
            /// The name CONFIG GET and INFO report for this value.
            pub fn as_str(self) -> &'static str {
                <Self as NamedEnum>::NAMES[enum_index(self)]
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// `loglevel`.
    LogLevel { Debug, Verbose, Notice, Warning }
    names { "debug" => Debug, "verbose" => Verbose, "notice" => Notice, "warning" => Warning }
}

named_enum! {
    /// `maxmemory-policy`.
    MaxmemoryPolicy {
        VolatileLru, VolatileLfu, VolatileRandom, VolatileTtl,
        AllkeysLru, AllkeysLfu, AllkeysRandom, NoEviction,
    }
    names {
        "volatile-lru" => VolatileLru, "volatile-lfu" => VolatileLfu,
        "volatile-random" => VolatileRandom, "volatile-ttl" => VolatileTtl,
        "allkeys-lru" => AllkeysLru, "allkeys-lfu" => AllkeysLfu,
        "allkeys-random" => AllkeysRandom, "noeviction" => NoEviction,
    }
}

impl MaxmemoryPolicy {
    /// LFU policies keep access-frequency counters in the object's LRU field.
    pub fn is_lfu(self) -> bool {
        matches!(self, Self::VolatileLfu | Self::AllkeysLfu)
    }
    /// Policies that only evict keys with an expire set.
    pub fn is_volatile(self) -> bool {
        matches!(
            self,
            Self::VolatileLru | Self::VolatileLfu | Self::VolatileRandom | Self::VolatileTtl
        )
    }
}

named_enum! {
    /// `appendfsync`.
    AppendFsync { Everysec, Always, No }
    names { "everysec" => Everysec, "always" => Always, "no" => No }
}

named_enum! {
    /// `supervised`.
    Supervised { Upstart, Systemd, Auto, No }
    names { "upstart" => Upstart, "systemd" => Systemd, "auto" => Auto, "no" => No }
}

named_enum! {
    /// `enable-protected-configs`, `enable-debug-command`, `enable-module-command`.
    ProtectedAction { No, Yes, Local }
    names { "no" => No, "yes" => Yes, "local" => Local }
}

impl ProtectedAction {
    /// Whether a client (local = connected over loopback or the unix socket) may
    /// use the protected feature.
    pub fn allows(self, local_client: bool) -> bool {
        match self {
            Self::No => false,
            Self::Yes => true,
            Self::Local => local_client,
        }
    }
}

named_enum! {
    /// `oom-score-adj` (`yes` is an alias of `relative`).
    OomScoreAdj { No, Relative, Absolute }
    names { "no" => No, "yes" => Relative, "relative" => Relative, "absolute" => Absolute }
}

named_enum! {
    /// `syslog-facility`.
    SyslogFacility { User, Local0, Local1, Local2, Local3, Local4, Local5, Local6, Local7 }
    names {
        "user" => User, "local0" => Local0, "local1" => Local1, "local2" => Local2,
        "local3" => Local3, "local4" => Local4, "local5" => Local5, "local6" => Local6,
        "local7" => Local7,
    }
}

named_enum! {
    /// `repl-diskless-load`.
    ReplDisklessLoad { Disabled, OnEmptyDb, Swapdb }
    names { "disabled" => Disabled, "on-empty-db" => OnEmptyDb, "swapdb" => Swapdb }
}

named_enum! {
    /// `acl-pubsub-default`.
    AclPubsubDefault { AllChannels, ResetChannels }
    names { "allchannels" => AllChannels, "resetchannels" => ResetChannels }
}

named_enum! {
    /// `sanitize-dump-payload`.
    SanitizeDumpPayload { No, Yes, Clients }
    names { "no" => No, "yes" => Yes, "clients" => Clients }
}

named_enum! {
    /// `cluster-preferred-endpoint-type`.
    ClusterEndpointType { Ip, Hostname, UnknownEndpoint }
    names { "ip" => Ip, "hostname" => Hostname, "unknown-endpoint" => UnknownEndpoint }
}

named_enum! {
    /// `propagation-error-behavior`.
    PropagationErrorBehavior { Ignore, Panic, PanicOnReplicas }
    names { "ignore" => Ignore, "panic" => Panic, "panic-on-replicas" => PanicOnReplicas }
}

/// Value every field starts from before the table's defaults are applied; it never
/// survives `Config::default()`, so it carries no meaning.
trait Blank {
    fn blank() -> Self;
}

macro_rules! blank_via_default {
    ($($t:ty),*) => { $(impl Blank for $t { fn blank() -> Self { <$t>::default() } })* };
}
blank_via_default!(bool, u16, u32, u64, i64, usize, String, PathBuf, [i32; 3]);
blank_via_default!([ClientBufferLimit; 3]);

impl<T> Blank for Vec<T> {
    fn blank() -> Self {
        Vec::new()
    }
}

impl<T> Blank for Option<T> {
    fn blank() -> Self {
        None
    }
}

/// Declares `Config` and its private `blank()` constructor from one field list, so
/// adding a field cannot forget the constructor.
macro_rules! config_struct {
    ($($(#[$doc:meta])* $field:ident : $ty:ty,)*) => {
        /// The server configuration. Field names are the option names with `-`
        /// turned into `_` (primary names: `busy_reply_threshold`, not
        /// `lua_time_limit`). Strings that Redis keeps as NULL are empty here.
        #[derive(Clone, Debug, PartialEq)]
        pub struct Config {
            $($(#[$doc])* pub $field: $ty,)*
            /// Redis 7.0: the first `save` line of a config file replaces the
            /// defaults, the following ones append (a process-wide static there).
            save_loaded: bool,
        }
        impl Config {
            fn blank() -> Config {
                Config { $($field: Blank::blank(),)* save_loaded: false }
            }
        }
    };
}

config_struct! {
    // ---- network
    /// Addresses to listen on; a leading `-` means "skip if unavailable".
    bind: Vec<String>,
    port: u16,
    protected_mode: bool,
    tcp_backlog: u32,
    /// Unix socket path, empty = none.
    unixsocket: String,
    unixsocketperm: u32,
    /// Client idle timeout in seconds, 0 = never.
    timeout: u64,
    tcp_keepalive: u64,
    socket_mark_id: u32,
    bind_source_addr: String,
    // ---- general
    /// Stored only: the server decides whether it supports daemonizing.
    daemonize: bool,
    supervised: Supervised,
    pidfile: String,
    loglevel: LogLevel,
    /// Empty = standard output.
    logfile: String,
    syslog_enabled: bool,
    syslog_ident: String,
    syslog_facility: SyslogFacility,
    crash_log_enabled: bool,
    crash_memcheck_enabled: bool,
    databases: usize,
    always_show_logo: bool,
    set_proc_title: bool,
    proc_title_template: String,
    ignore_warnings: String,
    use_exit_on_panic: bool,
    watchdog_period: u64,
    // ---- snapshotting
    /// `(seconds, changes)` save points; empty = RDB snapshots disabled.
    save: Vec<(u64, u64)>,
    stop_writes_on_bgsave_error: bool,
    rdbcompression: bool,
    rdbchecksum: bool,
    dbfilename: String,
    rdb_del_sync_files: bool,
    rdb_save_incremental_fsync: bool,
    rdb_key_save_delay: i64,
    key_load_delay: i64,
    loading_process_events_interval_bytes: u64,
    sanitize_dump_payload: SanitizeDumpPayload,
    /// Working directory, always absolute (see the module docs).
    dir: PathBuf,
    // ---- replication (stored only)
    /// `Some((host, port))` when configured as a replica.
    replicaof: Option<(String, u16)>,
    masterauth: Vec<u8>,
    masteruser: Vec<u8>,
    replica_serve_stale_data: bool,
    replica_read_only: bool,
    replica_lazy_flush: bool,
    replica_ignore_maxmemory: bool,
    replica_announced: bool,
    replica_priority: u64,
    replica_announce_ip: String,
    replica_announce_port: u16,
    replica_ignore_disk_write_errors: bool,
    repl_diskless_sync: bool,
    repl_diskless_sync_delay: u64,
    repl_diskless_sync_max_replicas: u64,
    repl_diskless_load: ReplDisklessLoad,
    repl_ping_replica_period: u64,
    repl_timeout: u64,
    repl_disable_tcp_nodelay: bool,
    repl_backlog_size: u64,
    repl_backlog_ttl: u64,
    min_replicas_to_write: u64,
    min_replicas_max_lag: u64,
    propagation_error_behavior: PropagationErrorBehavior,
    // ---- security
    /// Password of the default user; empty = no password.
    requirepass: Vec<u8>,
    aclfile: String,
    acllog_max_len: usize,
    acl_pubsub_default: AclPubsubDefault,
    enable_protected_configs: ProtectedAction,
    enable_debug_command: ProtectedAction,
    enable_module_command: ProtectedAction,
    /// `rename-command` lines in order, for the command table to apply
    /// (an empty target removes the command).
    rename_commands: Vec<(Vec<u8>, Vec<u8>)>,
    /// Arguments of each `user` line (without the leading `user`), for the ACL code.
    users: Vec<Vec<Vec<u8>>>,
    // ---- clients and memory
    maxclients: usize,
    maxmemory: u64,
    maxmemory_policy: MaxmemoryPolicy,
    maxmemory_samples: usize,
    maxmemory_eviction_tenacity: u32,
    /// Bytes, or a percentage of maxmemory when negative (`-5` = `5%`), as Redis.
    maxmemory_clients: i64,
    lazyfree_lazy_eviction: bool,
    lazyfree_lazy_expire: bool,
    lazyfree_lazy_server_del: bool,
    lazyfree_lazy_user_del: bool,
    lazyfree_lazy_user_flush: bool,
    io_threads: usize,
    io_threads_do_reads: bool,
    oom_score_adj: OomScoreAdj,
    oom_score_adj_values: [i32; 3],
    disable_thp: bool,
    jemalloc_bg_thread: bool,
    server_cpulist: String,
    bio_cpulist: String,
    aof_rewrite_cpulist: String,
    bgsave_cpulist: String,
    // ---- append only file
    appendonly: bool,
    appendfilename: String,
    appenddirname: String,
    appendfsync: AppendFsync,
    no_appendfsync_on_rewrite: bool,
    auto_aof_rewrite_percentage: u64,
    auto_aof_rewrite_min_size: u64,
    aof_load_truncated: bool,
    aof_use_rdb_preamble: bool,
    aof_timestamp_enabled: bool,
    aof_rewrite_incremental_fsync: bool,
    aof_disable_auto_gc: bool,
    // ---- shutdown
    shutdown_timeout: u64,
    /// [`shutdown`] bits.
    shutdown_on_sigint: u32,
    /// [`shutdown`] bits.
    shutdown_on_sigterm: u32,
    // ---- scripting, slow log, latency
    /// Milliseconds (alias `lua-time-limit`).
    busy_reply_threshold: u64,
    /// Microseconds; negative disables the slow log, 0 logs everything.
    slowlog_log_slower_than: i64,
    slowlog_max_len: usize,
    latency_monitor_threshold: u64,
    latency_tracking: bool,
    latency_tracking_info_percentiles: Vec<f64>,
    // ---- events, tracking
    /// [`notify`] bits.
    notify_keyspace_events: u32,
    tracking_table_max_keys: usize,
    // ---- encodings
    hash_max_listpack_entries: usize,
    hash_max_listpack_value: usize,
    list_max_listpack_size: i64,
    list_compress_depth: u64,
    set_max_intset_entries: usize,
    zset_max_listpack_entries: usize,
    zset_max_listpack_value: usize,
    hll_sparse_max_bytes: usize,
    stream_node_max_bytes: usize,
    stream_node_max_entries: u64,
    // ---- advanced
    activerehashing: bool,
    /// `client-output-buffer-limit`, indexed by [`OBUF_NORMAL`], [`OBUF_REPLICA`],
    /// [`OBUF_PUBSUB`].
    client_output_buffer_limit: [ClientBufferLimit; 3],
    client_query_buffer_limit: usize,
    proto_max_bulk_len: u64,
    /// Already clamped to 1..=500 like Redis does.
    hz: u32,
    dynamic_hz: bool,
    lfu_log_factor: u64,
    lfu_decay_time: u64,
    active_expire_effort: u32,
    activedefrag: bool,
    active_defrag_ignore_bytes: u64,
    active_defrag_threshold_lower: u32,
    active_defrag_threshold_upper: u32,
    active_defrag_cycle_min: u32,
    active_defrag_cycle_max: u32,
    active_defrag_max_scan_fields: u64,
    // ---- cluster (stored only; cluster_enabled can't be turned on)
    cluster_enabled: bool,
    cluster_config_file: String,
    cluster_node_timeout: u64,
    cluster_port: u16,
    cluster_replica_validity_factor: u64,
    cluster_migration_barrier: u64,
    cluster_allow_replica_migration: bool,
    cluster_require_full_coverage: bool,
    cluster_replica_no_failover: bool,
    cluster_allow_reads_when_down: bool,
    cluster_allow_pubsubshard_when_down: bool,
    cluster_link_sendbuf_limit: u64,
    cluster_announce_hostname: String,
    cluster_preferred_endpoint_type: ClusterEndpointType,
    cluster_announce_ip: String,
    cluster_announce_port: u16,
    cluster_announce_bus_port: u16,
    cluster_announce_tls_port: u16,
    // ---- not options: where the configuration came from
    /// Absolute path of the config file given on the command line (for CONFIG
    /// REWRITE and INFO), `None` when started without one.
    config_file: Option<PathBuf>,
}

// ---------------------------------------------------------------------------
// The option table
// ---------------------------------------------------------------------------

/// Option flags: the subset of Redis's `*_CONFIG` flags that changes behaviour here.
const MODIFIABLE: u8 = 0;
/// CONFIG SET refuses it ("can't set immutable config").
const IMMUTABLE: u8 = 1 << 0;
/// Takes several arguments: config lines pass them all, CONFIG SET splits its value
/// on spaces.
const MULTI_ARG: u8 = 1 << 1;
/// CONFIG SET needs `enable-protected-configs` ("can't set protected config").
const PROTECTED: u8 = 1 << 2;
/// Only an exact CONFIG GET name returns it, never a glob.
const HIDDEN: u8 = 1 << 3;
/// Its value must be redacted from logs, slowlog and MONITOR.
const SENSITIVE: u8 = 1 << 4;

/// Numeric flags (Redis's `INTEGER_CONFIG` is 0).
const INTEGER: u8 = 0;
/// Accepts `memtoull` units (1k, 5mb...).
const MEMORY: u8 = 1 << 0;
/// Accepts `N%`, stored as `-N`.
const PERCENT: u8 = 1 << 1;
/// Parsed and printed in octal.
const OCTAL: u8 = 1 << 2;
/// Redis stores it in an unsigned C type (unsigned int, size_t, unsigned long
/// long) and checks the bounds on the value reinterpreted as unsigned.
const UNSIGNED: u8 = 1 << 3;

const INT_MIN: i64 = i32::MIN as i64;
const INT_MAX: i64 = i32::MAX as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
/// `ULLONG_MAX` seen as a signed 64-bit value, compared unsigned under `UNSIGNED`.
const ULLONG_MAX: i64 = -1;

/// Validation hooks, run after the type's own parsing.
type StrCheck = Option<fn(&[u8]) -> Result<(), &'static str>>;
type BoolCheck = Option<fn(bool) -> Result<(), &'static str>>;
type FlagsCheck = Option<fn(u32) -> Result<(), &'static str>>;
/// Setter of special options: (config, arguments, reading a config file).
type SpecialSet = fn(&mut Config, &[Vec<u8>], bool) -> Result<(), String>;
/// Rewriter of special options: (config, defaults, option name, state).
type SpecialRewrite = fn(&Config, &Config, &'static str, &mut Rewrite);

/// How an option is typed, stored and printed. Accessors are plain function
/// pointers to the typed field so no lookup happens outside CONFIG GET/SET.
enum Kind {
    Bool {
        get: fn(&Config) -> bool,
        set: fn(&mut Config, bool),
        default: bool,
        check: BoolCheck,
    },
    Num {
        get: fn(&Config) -> i64,
        set: fn(&mut Config, i64),
        default: i64,
        min: i64,
        max: i64,
        flags: u8,
    },
    /// `default: None` is Redis's EMPTY_STRING_IS_NULL with a NULL default: empty
    /// means unset and CONFIG REWRITE drops the option.
    Str {
        get: fn(&Config) -> &[u8],
        set: fn(&mut Config, &[u8]),
        default: Option<&'static str>,
        check: StrCheck,
    },
    /// `get`/`set` work on indexes into `names`.
    Enum {
        get: fn(&Config) -> usize,
        set: fn(&mut Config, usize),
        names: &'static [&'static str],
        default: &'static str,
    },
    /// Multi-argument enum whose names are OR-ed bit flags (shutdown-on-sig*).
    Flags {
        get: fn(&Config) -> u32,
        set: fn(&mut Config, u32),
        names: &'static [(&'static str, u32)],
        default: u32,
        check: FlagsCheck,
    },
    /// Options with their own syntax; `default` is given as CONFIG SET would.
    Special {
        set: SpecialSet,
        get: fn(&Config) -> Vec<u8>,
        rewrite: SpecialRewrite,
        default: &'static str,
    },
}

/// One row of the table.
struct OptDef {
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    kind: Kind,
}

macro_rules! bool_opt {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $default:expr) => {
        bool_opt!($name, $alias, $flags, $field, $default, None)
    };
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $default:expr, $check:expr) => {
        OptDef {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Bool {
                get: |c| c.$field,
                set: |c, v| c.$field = v,
                default: $default,
                check: $check,
            },
        }
    };
}

macro_rules! num_opt {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $min:expr, $max:expr, $default:expr, $nflags:expr) => {
        OptDef {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Num {
                get: |c| c.$field as i64,
                // Bounds were checked first, so the cast only reinterprets
                // unsigned values the way Redis's C assignment does.
                set: |c, v| c.$field = v as _,
                default: $default,
                min: $min,
                max: $max,
                flags: $nflags,
            },
        }
    };
}

macro_rules! str_opt {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $default:expr, $check:expr) => {
        OptDef {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Str {
                get: |c| c.$field.as_bytes(),
                set: |c, v| c.$field = String::from_utf8_lossy(v).into_owned(),
                default: $default,
                check: $check,
            },
        }
    };
}

/// String options kept as raw bytes (passwords may be binary).
macro_rules! bytes_opt {
    ($name:literal, $flags:expr, $field:ident) => {
        OptDef {
            name: $name,
            alias: None,
            flags: $flags,
            kind: Kind::Str {
                get: |c| &c.$field,
                set: |c, v| c.$field = v.to_vec(),
                default: None,
                check: None,
            },
        }
    };
}

macro_rules! enum_opt {
    ($name:literal, $flags:expr, $field:ident, $ty:ty, $default:literal) => {
        OptDef {
            name: $name,
            alias: None,
            flags: $flags,
            kind: Kind::Enum {
                get: |c| enum_index(c.$field),
                set: |c, i| c.$field = enum_at(i),
                names: <$ty as NamedEnum>::NAMES,
                default: $default,
            },
        }
    };
}

macro_rules! special_opt {
    ($name:literal, $alias:expr, $flags:expr, $set:ident, $get:ident, $rewrite:ident, $default:literal) => {
        OptDef {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Special {
                set: $set,
                get: $get,
                rewrite: $rewrite,
                default: $default,
            },
        }
    };
}

const SHUTDOWN_NAMES: &[(&str, u32)] = &[
    ("default", 0),
    ("save", shutdown::SAVE),
    ("nosave", shutdown::NOSAVE),
    ("now", shutdown::NOW),
    ("force", shutdown::FORCE),
];

/// Every option of Redis 7.0.15 except the TLS ones, in Redis's table order, with
/// Redis's defaults except `bind` (loopback only).
#[rustfmt::skip] // one option per line: the table is meant to be read as a table
static OPTIONS: &[OptDef] = &[
    // ---- booleans
    bool_opt!("rdbchecksum", None, IMMUTABLE, rdbchecksum, true),
    bool_opt!("daemonize", None, IMMUTABLE, daemonize, false),
    bool_opt!("io-threads-do-reads", None, IMMUTABLE, io_threads_do_reads, false),
    bool_opt!("always-show-logo", None, IMMUTABLE, always_show_logo, false),
    bool_opt!("protected-mode", None, MODIFIABLE, protected_mode, true),
    bool_opt!("rdbcompression", None, MODIFIABLE, rdbcompression, true),
    bool_opt!("rdb-del-sync-files", None, MODIFIABLE, rdb_del_sync_files, false),
    bool_opt!("activerehashing", None, MODIFIABLE, activerehashing, true),
    bool_opt!("stop-writes-on-bgsave-error", None, MODIFIABLE, stop_writes_on_bgsave_error, true),
    bool_opt!("set-proc-title", None, IMMUTABLE, set_proc_title, true),
    bool_opt!("dynamic-hz", None, MODIFIABLE, dynamic_hz, true),
    bool_opt!("lazyfree-lazy-eviction", None, MODIFIABLE, lazyfree_lazy_eviction, false),
    bool_opt!("lazyfree-lazy-expire", None, MODIFIABLE, lazyfree_lazy_expire, false),
    bool_opt!("lazyfree-lazy-server-del", None, MODIFIABLE, lazyfree_lazy_server_del, false),
    bool_opt!("lazyfree-lazy-user-del", None, MODIFIABLE, lazyfree_lazy_user_del, false),
    bool_opt!("lazyfree-lazy-user-flush", None, MODIFIABLE, lazyfree_lazy_user_flush, false),
    bool_opt!("repl-disable-tcp-nodelay", None, MODIFIABLE, repl_disable_tcp_nodelay, false),
    bool_opt!("repl-diskless-sync", None, MODIFIABLE, repl_diskless_sync, true),
    bool_opt!("aof-rewrite-incremental-fsync", None, MODIFIABLE, aof_rewrite_incremental_fsync, true),
    bool_opt!("no-appendfsync-on-rewrite", None, MODIFIABLE, no_appendfsync_on_rewrite, false),
    bool_opt!("cluster-require-full-coverage", None, MODIFIABLE, cluster_require_full_coverage, true),
    bool_opt!("rdb-save-incremental-fsync", None, MODIFIABLE, rdb_save_incremental_fsync, true),
    bool_opt!("aof-load-truncated", None, MODIFIABLE, aof_load_truncated, true),
    bool_opt!("aof-use-rdb-preamble", None, MODIFIABLE, aof_use_rdb_preamble, true),
    bool_opt!("aof-timestamp-enabled", None, MODIFIABLE, aof_timestamp_enabled, false),
    bool_opt!("cluster-replica-no-failover", Some("cluster-slave-no-failover"), MODIFIABLE, cluster_replica_no_failover, false),
    bool_opt!("replica-lazy-flush", Some("slave-lazy-flush"), MODIFIABLE, replica_lazy_flush, false),
    bool_opt!("replica-serve-stale-data", Some("slave-serve-stale-data"), MODIFIABLE, replica_serve_stale_data, true),
    bool_opt!("replica-read-only", Some("slave-read-only"), MODIFIABLE, replica_read_only, true),
    bool_opt!("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), MODIFIABLE, replica_ignore_maxmemory, true),
    bool_opt!("jemalloc-bg-thread", None, MODIFIABLE, jemalloc_bg_thread, true),
    bool_opt!("activedefrag", None, MODIFIABLE, activedefrag, false, Some(check_activedefrag)),
    bool_opt!("syslog-enabled", None, IMMUTABLE, syslog_enabled, false),
    bool_opt!("cluster-enabled", None, IMMUTABLE, cluster_enabled, false, Some(check_cluster_enabled)),
    bool_opt!("appendonly", None, MODIFIABLE, appendonly, false),
    bool_opt!("cluster-allow-reads-when-down", None, MODIFIABLE, cluster_allow_reads_when_down, false),
    bool_opt!("cluster-allow-pubsubshard-when-down", None, MODIFIABLE, cluster_allow_pubsubshard_when_down, true),
    bool_opt!("crash-log-enabled", None, MODIFIABLE, crash_log_enabled, true),
    bool_opt!("crash-memcheck-enabled", None, MODIFIABLE, crash_memcheck_enabled, true),
    bool_opt!("use-exit-on-panic", None, MODIFIABLE | HIDDEN, use_exit_on_panic, false),
    bool_opt!("disable-thp", None, IMMUTABLE, disable_thp, true),
    bool_opt!("cluster-allow-replica-migration", None, MODIFIABLE, cluster_allow_replica_migration, true),
    bool_opt!("replica-announced", None, MODIFIABLE, replica_announced, true),
    bool_opt!("latency-tracking", None, MODIFIABLE, latency_tracking, true),
    bool_opt!("aof-disable-auto-gc", None, MODIFIABLE, aof_disable_auto_gc, false),
    bool_opt!("replica-ignore-disk-write-errors", None, MODIFIABLE, replica_ignore_disk_write_errors, false),
    // ---- strings
    str_opt!("aclfile", None, IMMUTABLE, aclfile, Some(""), None),
    str_opt!("unixsocket", None, IMMUTABLE, unixsocket, None, None),
    str_opt!("pidfile", None, IMMUTABLE, pidfile, None, None),
    str_opt!("replica-announce-ip", Some("slave-announce-ip"), MODIFIABLE, replica_announce_ip, None, None),
    bytes_opt!("masteruser", MODIFIABLE | SENSITIVE, masteruser),
    str_opt!("cluster-announce-ip", None, MODIFIABLE, cluster_announce_ip, None, None),
    str_opt!("cluster-config-file", None, IMMUTABLE, cluster_config_file, Some("nodes.conf"), None),
    str_opt!("cluster-announce-hostname", None, MODIFIABLE, cluster_announce_hostname, None, Some(check_hostname)),
    str_opt!("syslog-ident", None, IMMUTABLE, syslog_ident, Some("redis"), None),
    str_opt!("dbfilename", None, MODIFIABLE | PROTECTED, dbfilename, Some("dump.rdb"), Some(check_dbfilename)),
    str_opt!("appendfilename", None, IMMUTABLE, appendfilename, Some("appendonly.aof"), Some(check_aof_filename)),
    str_opt!("appenddirname", None, IMMUTABLE, appenddirname, Some("appendonlydir"), Some(check_aof_dirname)),
    str_opt!("server_cpulist", None, IMMUTABLE, server_cpulist, None, None),
    str_opt!("bio_cpulist", None, IMMUTABLE, bio_cpulist, None, None),
    str_opt!("aof_rewrite_cpulist", None, IMMUTABLE, aof_rewrite_cpulist, None, None),
    str_opt!("bgsave_cpulist", None, IMMUTABLE, bgsave_cpulist, None, None),
    str_opt!("ignore-warnings", None, MODIFIABLE, ignore_warnings, Some(""), None),
    str_opt!("proc-title-template", None, MODIFIABLE, proc_title_template, Some("{title} {listen-addr} {server-mode}"), Some(check_proc_title_template)),
    str_opt!("bind-source-addr", None, MODIFIABLE, bind_source_addr, None, None),
    str_opt!("logfile", None, IMMUTABLE, logfile, Some(""), None),
    bytes_opt!("masterauth", MODIFIABLE | SENSITIVE, masterauth),
    bytes_opt!("requirepass", MODIFIABLE | SENSITIVE, requirepass),
    // ---- enums
    enum_opt!("supervised", IMMUTABLE, supervised, Supervised, "no"),
    enum_opt!("syslog-facility", IMMUTABLE, syslog_facility, SyslogFacility, "local0"),
    enum_opt!("repl-diskless-load", MODIFIABLE, repl_diskless_load, ReplDisklessLoad, "disabled"),
    enum_opt!("loglevel", MODIFIABLE, loglevel, LogLevel, "notice"),
    enum_opt!("maxmemory-policy", MODIFIABLE, maxmemory_policy, MaxmemoryPolicy, "noeviction"),
    enum_opt!("appendfsync", MODIFIABLE, appendfsync, AppendFsync, "everysec"),
    enum_opt!("oom-score-adj", MODIFIABLE, oom_score_adj, OomScoreAdj, "no"),
    enum_opt!("acl-pubsub-default", MODIFIABLE, acl_pubsub_default, AclPubsubDefault, "resetchannels"),
    enum_opt!("sanitize-dump-payload", MODIFIABLE, sanitize_dump_payload, SanitizeDumpPayload, "no"),
    enum_opt!("enable-protected-configs", IMMUTABLE, enable_protected_configs, ProtectedAction, "no"),
    enum_opt!("enable-debug-command", IMMUTABLE, enable_debug_command, ProtectedAction, "no"),
    enum_opt!("enable-module-command", IMMUTABLE, enable_module_command, ProtectedAction, "no"),
    enum_opt!("cluster-preferred-endpoint-type", MODIFIABLE, cluster_preferred_endpoint_type, ClusterEndpointType, "ip"),
    enum_opt!("propagation-error-behavior", MODIFIABLE, propagation_error_behavior, PropagationErrorBehavior, "ignore"),
    OptDef {
        name: "shutdown-on-sigint",
        alias: None,
        flags: MODIFIABLE | MULTI_ARG,
        kind: Kind::Flags {
            get: |c| c.shutdown_on_sigint,
            set: |c, v| c.shutdown_on_sigint = v,
            names: SHUTDOWN_NAMES,
            default: 0,
            check: Some(check_shutdown_flags),
        },
    },
    OptDef {
        name: "shutdown-on-sigterm",
        alias: None,
        flags: MODIFIABLE | MULTI_ARG,
        kind: Kind::Flags {
            get: |c| c.shutdown_on_sigterm,
            set: |c, v| c.shutdown_on_sigterm = v,
            names: SHUTDOWN_NAMES,
            default: 0,
            check: Some(check_shutdown_flags),
        },
    },
    // ---- int
    num_opt!("databases", None, IMMUTABLE, databases, 1, INT_MAX, 16, INTEGER),
    num_opt!("port", None, MODIFIABLE, port, 0, 65535, 6379, INTEGER),
    num_opt!("io-threads", None, IMMUTABLE, io_threads, 1, 128, 1, INTEGER),
    num_opt!("auto-aof-rewrite-percentage", None, MODIFIABLE, auto_aof_rewrite_percentage, 0, INT_MAX, 100, INTEGER),
    num_opt!("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), MODIFIABLE, cluster_replica_validity_factor, 0, INT_MAX, 10, INTEGER),
    num_opt!("list-max-listpack-size", Some("list-max-ziplist-size"), MODIFIABLE, list_max_listpack_size, INT_MIN, INT_MAX, -2, INTEGER),
    num_opt!("tcp-keepalive", None, MODIFIABLE, tcp_keepalive, 0, INT_MAX, 300, INTEGER),
    num_opt!("cluster-migration-barrier", None, MODIFIABLE, cluster_migration_barrier, 0, INT_MAX, 1, INTEGER),
    num_opt!("active-defrag-cycle-min", None, MODIFIABLE, active_defrag_cycle_min, 1, 99, 1, INTEGER),
    num_opt!("active-defrag-cycle-max", None, MODIFIABLE, active_defrag_cycle_max, 1, 99, 25, INTEGER),
    num_opt!("active-defrag-threshold-lower", None, MODIFIABLE, active_defrag_threshold_lower, 0, 1000, 10, INTEGER),
    num_opt!("active-defrag-threshold-upper", None, MODIFIABLE, active_defrag_threshold_upper, 0, 1000, 100, INTEGER),
    num_opt!("lfu-log-factor", None, MODIFIABLE, lfu_log_factor, 0, INT_MAX, 10, INTEGER),
    num_opt!("lfu-decay-time", None, MODIFIABLE, lfu_decay_time, 0, INT_MAX, 1, INTEGER),
    num_opt!("replica-priority", Some("slave-priority"), MODIFIABLE, replica_priority, 0, INT_MAX, 100, INTEGER),
    num_opt!("repl-diskless-sync-delay", None, MODIFIABLE, repl_diskless_sync_delay, 0, INT_MAX, 5, INTEGER),
    num_opt!("maxmemory-samples", None, MODIFIABLE, maxmemory_samples, 1, INT_MAX, 5, INTEGER),
    num_opt!("maxmemory-eviction-tenacity", None, MODIFIABLE, maxmemory_eviction_tenacity, 0, 100, 10, INTEGER),
    num_opt!("timeout", None, MODIFIABLE, timeout, 0, INT_MAX, 0, INTEGER),
    num_opt!("replica-announce-port", Some("slave-announce-port"), MODIFIABLE, replica_announce_port, 0, 65535, 0, INTEGER),
    num_opt!("tcp-backlog", None, IMMUTABLE, tcp_backlog, 0, INT_MAX, 511, INTEGER),
    num_opt!("cluster-port", None, IMMUTABLE, cluster_port, 0, 65535, 0, INTEGER),
    num_opt!("cluster-announce-bus-port", None, MODIFIABLE, cluster_announce_bus_port, 0, 65535, 0, INTEGER),
    num_opt!("cluster-announce-port", None, MODIFIABLE, cluster_announce_port, 0, 65535, 0, INTEGER),
    num_opt!("cluster-announce-tls-port", None, MODIFIABLE, cluster_announce_tls_port, 0, 65535, 0, INTEGER),
    num_opt!("repl-timeout", None, MODIFIABLE, repl_timeout, 1, INT_MAX, 60, INTEGER),
    num_opt!("repl-ping-replica-period", Some("repl-ping-slave-period"), MODIFIABLE, repl_ping_replica_period, 1, INT_MAX, 10, INTEGER),
    num_opt!("list-compress-depth", None, MODIFIABLE, list_compress_depth, 0, INT_MAX, 0, INTEGER),
    num_opt!("rdb-key-save-delay", None, MODIFIABLE | HIDDEN, rdb_key_save_delay, INT_MIN, INT_MAX, 0, INTEGER),
    num_opt!("key-load-delay", None, MODIFIABLE | HIDDEN, key_load_delay, INT_MIN, INT_MAX, 0, INTEGER),
    num_opt!("active-expire-effort", None, MODIFIABLE, active_expire_effort, 1, 10, 1, INTEGER),
    OptDef {
        name: "hz",
        alias: None,
        flags: MODIFIABLE,
        kind: Kind::Num {
            get: |c| c.hz as i64,
            // Redis accepts any non-negative int but caps it to 1..=500 (updateHZ).
            set: |c, v| c.hz = v.clamp(1, 500) as u32,
            default: 10,
            min: 0,
            max: INT_MAX,
            flags: INTEGER,
        },
    },
    num_opt!("min-replicas-to-write", Some("min-slaves-to-write"), MODIFIABLE, min_replicas_to_write, 0, INT_MAX, 0, INTEGER),
    num_opt!("min-replicas-max-lag", Some("min-slaves-max-lag"), MODIFIABLE, min_replicas_max_lag, 0, INT_MAX, 10, INTEGER),
    num_opt!("watchdog-period", None, MODIFIABLE | HIDDEN, watchdog_period, 0, INT_MAX, 0, INTEGER),
    num_opt!("shutdown-timeout", None, MODIFIABLE, shutdown_timeout, 0, INT_MAX, 10, INTEGER),
    num_opt!("repl-diskless-sync-max-replicas", None, MODIFIABLE, repl_diskless_sync_max_replicas, 0, INT_MAX, 0, INTEGER),
    // ---- unsigned int
    num_opt!("maxclients", None, MODIFIABLE, maxclients, 1, UINT_MAX, 10000, UNSIGNED),
    num_opt!("unixsocketperm", None, IMMUTABLE, unixsocketperm, 0, 0o777, 0, UNSIGNED | OCTAL),
    num_opt!("socket-mark-id", None, IMMUTABLE, socket_mark_id, 0, UINT_MAX, 0, UNSIGNED),
    // ---- unsigned long (checked as signed by Redis)
    num_opt!("active-defrag-max-scan-fields", None, MODIFIABLE, active_defrag_max_scan_fields, 1, LONG_MAX, 1000, INTEGER),
    num_opt!("slowlog-max-len", None, MODIFIABLE, slowlog_max_len, 0, LONG_MAX, 128, INTEGER),
    num_opt!("acllog-max-len", None, MODIFIABLE, acllog_max_len, 0, LONG_MAX, 128, INTEGER),
    // ---- long long
    num_opt!("busy-reply-threshold", Some("lua-time-limit"), MODIFIABLE, busy_reply_threshold, 0, LONG_MAX, 5000, INTEGER),
    num_opt!("cluster-node-timeout", None, MODIFIABLE, cluster_node_timeout, 0, LONG_MAX, 15000, INTEGER),
    num_opt!("slowlog-log-slower-than", None, MODIFIABLE, slowlog_log_slower_than, -1, LONG_MAX, 10000, INTEGER),
    num_opt!("latency-monitor-threshold", None, MODIFIABLE, latency_monitor_threshold, 0, LONG_MAX, 0, INTEGER),
    num_opt!("proto-max-bulk-len", None, MODIFIABLE, proto_max_bulk_len, 1024 * 1024, LONG_MAX, 512 * 1024 * 1024, MEMORY),
    num_opt!("stream-node-max-entries", None, MODIFIABLE, stream_node_max_entries, 0, LONG_MAX, 100, INTEGER),
    num_opt!("repl-backlog-size", None, MODIFIABLE, repl_backlog_size, 1, LONG_MAX, 1024 * 1024, MEMORY),
    // ---- unsigned long long
    num_opt!("maxmemory", None, MODIFIABLE, maxmemory, 0, ULLONG_MAX, 0, MEMORY | UNSIGNED),
    num_opt!("cluster-link-sendbuf-limit", None, MODIFIABLE, cluster_link_sendbuf_limit, 0, ULLONG_MAX, 0, MEMORY | UNSIGNED),
    // ---- size_t
    num_opt!("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), MODIFIABLE, hash_max_listpack_entries, 0, LONG_MAX, 512, UNSIGNED),
    num_opt!("set-max-intset-entries", None, MODIFIABLE, set_max_intset_entries, 0, LONG_MAX, 512, UNSIGNED),
    num_opt!("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), MODIFIABLE, zset_max_listpack_entries, 0, LONG_MAX, 128, UNSIGNED),
    num_opt!("active-defrag-ignore-bytes", None, MODIFIABLE, active_defrag_ignore_bytes, 1, LONG_MAX, 100 << 20, MEMORY | UNSIGNED),
    num_opt!("hash-max-listpack-value", Some("hash-max-ziplist-value"), MODIFIABLE, hash_max_listpack_value, 0, LONG_MAX, 64, MEMORY | UNSIGNED),
    num_opt!("stream-node-max-bytes", None, MODIFIABLE, stream_node_max_bytes, 0, LONG_MAX, 4096, MEMORY | UNSIGNED),
    num_opt!("zset-max-listpack-value", Some("zset-max-ziplist-value"), MODIFIABLE, zset_max_listpack_value, 0, LONG_MAX, 64, MEMORY | UNSIGNED),
    num_opt!("hll-sparse-max-bytes", None, MODIFIABLE, hll_sparse_max_bytes, 0, LONG_MAX, 3000, MEMORY | UNSIGNED),
    num_opt!("tracking-table-max-keys", None, MODIFIABLE, tracking_table_max_keys, 0, LONG_MAX, 1_000_000, UNSIGNED),
    num_opt!("client-query-buffer-limit", None, MODIFIABLE, client_query_buffer_limit, 1024 * 1024, LONG_MAX, 1024 * 1024 * 1024, MEMORY | UNSIGNED),
    num_opt!("maxmemory-clients", None, MODIFIABLE, maxmemory_clients, -100, LONG_MAX, 0, MEMORY | PERCENT),
    // ---- time_t, off_t
    num_opt!("repl-backlog-ttl", None, MODIFIABLE, repl_backlog_ttl, 0, LONG_MAX, 3600, INTEGER),
    num_opt!("auto-aof-rewrite-min-size", None, MODIFIABLE, auto_aof_rewrite_min_size, 0, LONG_MAX, 64 * 1024 * 1024, MEMORY),
    num_opt!("loading-process-events-interval-bytes", None, MODIFIABLE | HIDDEN, loading_process_events_interval_bytes, 1024, INT_MAX, 2 * 1024 * 1024, INTEGER),
    // ---- special syntax
    special_opt!("dir", None, MODIFIABLE | PROTECTED, set_dir, get_dir, rewrite_dir, "."),
    special_opt!("save", None, MODIFIABLE | MULTI_ARG, set_save, get_save, rewrite_save, "3600 1 300 100 60 10000"),
    special_opt!("client-output-buffer-limit", None, MODIFIABLE | MULTI_ARG, set_obuf_limits, get_obuf_limits, rewrite_obuf_limits, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
    special_opt!("oom-score-adj-values", None, MODIFIABLE | MULTI_ARG, set_oom_values, get_oom_values, rewrite_oom_values, "0 200 800"),
    special_opt!("notify-keyspace-events", None, MODIFIABLE, set_notify, get_notify, rewrite_notify, ""),
    special_opt!("bind", None, MODIFIABLE | MULTI_ARG, set_bind, get_bind, rewrite_bind, "127.0.0.1 -::1"),
    special_opt!("replicaof", Some("slaveof"), IMMUTABLE | MULTI_ARG, set_replicaof, get_replicaof, rewrite_replicaof, "no one"),
    special_opt!("latency-tracking-info-percentiles", None, MODIFIABLE | MULTI_ARG, set_percentiles, get_percentiles, rewrite_percentiles, "50 99 99.9"),
];

/// Finds an option by name or alias, case-insensitively like Redis's dict.
/// Returns the entry and the name it was found under (errors quote that name).
fn lookup(name: &[u8]) -> Option<(&'static OptDef, &'static str)> {
    OPTIONS.iter().find_map(|opt| {
        if opt.name.as_bytes().eq_ignore_ascii_case(name) {
            return Some((opt, opt.name));
        }
        match opt.alias {
            Some(alias) if alias.as_bytes().eq_ignore_ascii_case(name) => Some((opt, alias)),
            _ => None,
        }
    })
}

/// Whether the option's value must be hidden from logs, SLOWLOG and MONITOR
/// (requirepass, masterauth, masteruser).
pub fn is_sensitive(name: &[u8]) -> bool {
    lookup(name).is_some_and(|(opt, _)| opt.flags & SENSITIVE != 0)
}

// ---------------------------------------------------------------------------
// Value syntax (ports of Redis's util.c parsers, quirks included)
// ---------------------------------------------------------------------------

/// C `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Redis `memtoull`: digits with an optional unit (b, k, kb, m, mb, g, gb, any
/// case; k = 1000, kb = 1024). Like Redis, "" and a bare unit are 0, a number too
/// large saturates and the unit multiplication wraps around.
pub fn parse_memory(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let unit = &s[digits..];
    let mul: u64 = if unit.is_empty() || unit.eq_ignore_ascii_case(b"b") {
        1
    } else if unit.eq_ignore_ascii_case(b"k") {
        1000
    } else if unit.eq_ignore_ascii_case(b"kb") {
        1024
    } else if unit.eq_ignore_ascii_case(b"m") {
        1000 * 1000
    } else if unit.eq_ignore_ascii_case(b"mb") {
        1024 * 1024
    } else if unit.eq_ignore_ascii_case(b"g") {
        1000 * 1000 * 1000
    } else if unit.eq_ignore_ascii_case(b"gb") {
        1024 * 1024 * 1024
    } else {
        return None;
    };
    if digits >= 128 {
        return None; // Redis copies the digits into a 128-byte buffer
    }
    // strtoull: saturates at ULLONG_MAX, and Redis does not check ERANGE.
    let val = s[..digits].iter().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some(val.wrapping_mul(mul))
}

/// Redis `string2ll`: strict decimal, no spaces, no '+', no leading zeros.
fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// C `strtoll`: returns (value, bytes consumed, overflowed). Leading whitespace and
/// a sign are accepted; with no digits nothing is consumed and the value is 0 (so
/// an empty string "parses" as 0, a quirk several Redis options inherit).
fn strtoll(s: &[u8], base: u32) -> (i64, usize, bool) {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut negative = false;
    if let Some(&sign @ (b'+' | b'-')) = s.get(i) {
        negative = sign == b'-';
        i += 1;
    }
    let start = i;
    let mut acc: u64 = 0;
    let mut overflow = false;
    while let Some(d) = s.get(i).and_then(|&b| char::from(b).to_digit(base)) {
        match acc
            .checked_mul(u64::from(base))
            .and_then(|a| a.checked_add(u64::from(d)))
        {
            Some(v) => acc = v,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return (0, 0, false);
    }
    let value = if negative {
        if overflow || acc > (i64::MAX as u64) + 1 {
            overflow = true;
            i64::MIN
        } else {
            (acc as i64).wrapping_neg()
        }
    } else if overflow || acc > i64::MAX as u64 {
        overflow = true;
        i64::MAX
    } else {
        acc as i64
    };
    (value, i, overflow)
}

/// `strtoll` that must consume the whole string (Redis's `*eptr == '\0'` checks).
fn strtoll_full(s: &[u8]) -> Option<i64> {
    let (v, used, _) = strtoll(s, 10);
    (used == s.len()).then_some(v)
}

/// Redis `string2d` (strtod that must consume everything, no leading space, no
/// NaN, no overflow/underflow).
fn string2d(s: &[u8]) -> Option<f64> {
    if s.is_empty() || is_c_space(s[0]) {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let (sign, body) = match text.as_bytes()[0] {
        b'-' => (-1.0, &text[1..]),
        b'+' => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    let lower = body.to_ascii_lowercase();
    let value = if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex_float(hex)?
    } else {
        if !body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'+' || b == b'-')
        {
            return None;
        }
        let v: f64 = body.parse().ok()?;
        let literal_inf = matches!(lower.as_str(), "inf" | "infinity");
        if v.is_infinite() && !literal_inf {
            return None; // ERANGE overflow
        }
        let mantissa = lower.split('e').next().unwrap_or("");
        if v == 0.0 && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
            return None; // ERANGE underflow
        }
        v
    };
    if value.is_nan() {
        return None;
    }
    Some(sign * value)
}

/// The part of a C99 hex float after "0x": hex digits, optional fraction, optional
/// binary exponent.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exp) = match s.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut v = 0.0f64;
    for c in int_part.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

/// `printf("%f")` followed by Redis's `trimDoubleString`.
fn format_percentile(v: f64) -> String {
    let mut s = format!("{v:.6}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// Redis `rewriteConfigFormatMemory`: the largest of gb/mb/kb dividing the value.
fn format_memory(bytes: i64) -> String {
    const GB: i64 = 1024 * 1024 * 1024;
    const MB: i64 = 1024 * 1024;
    const KB: i64 = 1024;
    if bytes != 0 && bytes % GB == 0 {
        format!("{}gb", bytes / GB)
    } else if bytes != 0 && bytes % MB == 0 {
        format!("{}mb", bytes / MB)
    } else if bytes != 0 && bytes % KB == 0 {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

/// Parses `notify-keyspace-events` letters into [`notify`] bits; `None` on an
/// unknown letter.
pub fn keyspace_events_from_str(classes: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for &c in classes {
        flags |= match c {
            b'A' => notify::ALL,
            b'g' => notify::GENERIC,
            b'$' => notify::STRING,
            b'l' => notify::LIST,
            b's' => notify::SET,
            b'h' => notify::HASH,
            b'z' => notify::ZSET,
            b'x' => notify::EXPIRED,
            b'e' => notify::EVICTED,
            b'K' => notify::KEYSPACE,
            b'E' => notify::KEYEVENT,
            b't' => notify::STREAM,
            b'm' => notify::KEY_MISS,
            b'd' => notify::MODULE,
            b'n' => notify::NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// The canonical letters for [`notify`] bits, as CONFIG GET prints them
/// (`A` swallows `n`, like Redis).
pub fn keyspace_events_to_string(flags: u32) -> String {
    let mut s = String::new();
    if flags & notify::ALL == notify::ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (notify::GENERIC, 'g'),
            (notify::STRING, '$'),
            (notify::LIST, 'l'),
            (notify::SET, 's'),
            (notify::HASH, 'h'),
            (notify::ZSET, 'z'),
            (notify::EXPIRED, 'x'),
            (notify::EVICTED, 'e'),
            (notify::STREAM, 't'),
            (notify::MODULE, 'd'),
            (notify::NEW, 'n'),
        ] {
            if flags & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [
        (notify::KEYSPACE, 'K'),
        (notify::KEYEVENT, 'E'),
        (notify::KEY_MISS, 'm'),
    ] {
        if flags & bit != 0 {
            s.push(c);
        }
    }
    s
}

/// `strerror` text of an I/O error (Rust appends " (os error N)").
fn strerror(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// CONFIG SET splits multi-argument values on single spaces (`sdssplitlen`):
/// "" gives no argument, doubled spaces give empty arguments.
fn split_on_spaces(v: &[u8]) -> Vec<Vec<u8>> {
    if v.is_empty() {
        return Vec::new();
    }
    v.split(|&b| b == b' ').map(<[u8]>::to_vec).collect()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---------------------------------------------------------------------------
// Validation hooks
// ---------------------------------------------------------------------------

fn check_activedefrag(v: bool) -> Result<(), &'static str> {
    // What a Redis built without its patched jemalloc says (ferrokv has no defrag).
    if v {
        Err(
            "Active defragmentation cannot be enabled: it requires a Redis server compiled with \
             a modified Jemalloc like the one shipped by default with the Redis source distribution",
        )
    } else {
        Ok(())
    }
}

fn check_cluster_enabled(v: bool) -> Result<(), &'static str> {
    if v {
        Err("cluster mode is not supported")
    } else {
        Ok(())
    }
}

fn path_is_base_name(v: &[u8]) -> bool {
    !v.contains(&b'/') && !v.contains(&b'\\')
}

fn check_dbfilename(v: &[u8]) -> Result<(), &'static str> {
    if path_is_base_name(v) {
        Ok(())
    } else {
        Err("dbfilename can't be a path, just a filename")
    }
}

fn check_aof_filename(v: &[u8]) -> Result<(), &'static str> {
    if v.is_empty() {
        Err("appendfilename can't be empty")
    } else if !path_is_base_name(v) {
        Err("appendfilename can't be a path, just a filename")
    } else {
        Ok(())
    }
}

fn check_aof_dirname(v: &[u8]) -> Result<(), &'static str> {
    if v.is_empty() {
        Err("appenddirname can't be empty")
    } else if !path_is_base_name(v) {
        Err("appenddirname can't be a path, just a dirname")
    } else {
        Ok(())
    }
}

fn check_hostname(v: &[u8]) -> Result<(), &'static str> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if v.iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        Ok(())
    } else {
        Err("Hostnames may only contain alphanumeric characters, hyphens or dots")
    }
}

/// Redis expands the template (`sdstemplate`: `{name}` variables, `{{` for a
/// literal brace) with an empty title and rejects unknown variables, malformed
/// braces and results that are empty once spaces are trimmed.
fn check_proc_title_template(t: &[u8]) -> Result<(), &'static str> {
    const ERR: &str = "template format is invalid or contains unknown variables";
    let mut visible = false; // produced anything but spaces?
    let mut p = 0;
    while p < t.len() {
        let Some(off) = t[p..].iter().position(|&b| b == b'{') else {
            visible |= t[p..].iter().any(|&b| b != b' ');
            break;
        };
        visible |= t[p..p + off].iter().any(|&b| b != b' ');
        let var_start = p + off + 1;
        match t.get(var_start) {
            None => return Err(ERR),
            Some(b'{') => {
                visible = true;
                p = var_start + 1;
                continue;
            }
            Some(_) => {}
        }
        let Some(len) = t[var_start..].iter().position(|&b| b == b'}') else {
            return Err(ERR);
        };
        visible |= match &t[var_start..var_start + len] {
            // Empty at validation time (no title yet, standalone, maybe no socket).
            b"title" | b"server-mode" | b"unixsocket" | b"config-file" => false,
            b"listen-addr" | b"port" | b"tls-port" => true,
            _ => return Err(ERR),
        };
        p = var_start + len + 1;
    }
    if visible { Ok(()) } else { Err(ERR) }
}

fn check_shutdown_flags(v: u32) -> Result<(), &'static str> {
    if v & shutdown::SAVE != 0 && v & shutdown::NOSAVE != 0 {
        Err("shutdown options SAVE and NOSAVE can't be used simultaneously")
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Special options
// ---------------------------------------------------------------------------

fn set_dir(c: &mut Config, args: &[Vec<u8>], _loading: bool) -> Result<(), String> {
    let [arg] = args else {
        return Err("wrong number of arguments".into());
    };
    if arg.is_empty() {
        return Err("No such file or directory".into()); // chdir("")
    }
    // What chdir would check: the path must exist and be a directory.
    let path = c.resolve(arg);
    let meta = fs::metadata(&path).map_err(|e| strerror(&e))?;
    if !meta.is_dir() {
        return Err("Not a directory".into());
    }
    c.dir = fs::canonicalize(&path).map_err(|e| strerror(&e))?;
    Ok(())
}

fn get_dir(c: &Config) -> Vec<u8> {
    c.dir.as_os_str().as_bytes().to_vec()
}

fn rewrite_dir(c: &Config, _: &Config, name: &'static str, st: &mut Rewrite) {
    let line = format!("{name} {}", repr(&get_dir(c)));
    st.line(name, line, true);
}

fn set_save(c: &mut Config, args: &[Vec<u8>], loading: bool) -> Result<(), String> {
    const ERR: &str = "Invalid save parameters";
    let mut args = args;
    // `save ""` clears the save points, even in the middle of a config file.
    if args.len() == 1 && args[0].is_empty() {
        c.save.clear();
        args = &[];
    }
    if args.len() % 2 == 1 {
        return Err(ERR.into());
    }
    let mut points = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks(2) {
        let seconds = strtoll_full(&pair[0]).filter(|&v| v >= 1).ok_or(ERR)?;
        let changes = strtoll_full(&pair[1]).filter(|&v| v >= 0).ok_or(ERR)?;
        points.push((seconds as u64, changes as u64));
    }
    // Redis 7.0: CONFIG SET replaces; in a config file the first save line replaces
    // the defaults and the following lines append to it.
    if !loading {
        c.save.clear();
    } else if !c.save_loaded {
        c.save_loaded = true;
        c.save.clear();
    }
    c.save.extend(points);
    Ok(())
}

fn get_save(c: &Config) -> Vec<u8> {
    let parts: Vec<String> = c.save.iter().map(|(s, n)| format!("{s} {n}")).collect();
    parts.join(" ").into_bytes()
}

fn rewrite_save(c: &Config, _: &Config, name: &'static str, st: &mut Rewrite) {
    if c.save.is_empty() {
        st.line(name, format!("{name} \"\""), true);
    } else {
        for (s, n) in &c.save {
            st.line(name, format!("{name} {s} {n}"), true);
        }
    }
    st.mark(name);
}

const OBUF_CLASS_NAMES: [&str; 3] = ["normal", "slave", "pubsub"];

fn set_obuf_limits(c: &mut Config, args: &[Vec<u8>], _loading: bool) -> Result<(), String> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    // Validate everything before touching anything: all classes or none.
    let mut updates = Vec::with_capacity(args.len() / 4);
    for group in args.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_slice() {
            b"normal" => OBUF_NORMAL,
            b"slave" | b"replica" => OBUF_REPLICA,
            b"pubsub" => OBUF_PUBSUB,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into());
            }
        };
        let hard = parse_memory(&group[1]);
        let soft = parse_memory(&group[2]);
        // Redis stores strtoll's result in an int before checking it.
        let seconds = strtoll_full(&group[3])
            .map(|v| v as i32)
            .filter(|&v| v >= 0);
        match (hard, soft, seconds) {
            (Some(hard), Some(soft), Some(seconds)) => updates.push((
                class,
                ClientBufferLimit {
                    hard_limit_bytes: hard,
                    soft_limit_bytes: soft,
                    soft_limit_seconds: seconds as u64,
                },
            )),
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit \
                            configuration."
                        .into(),
                );
            }
        }
    }
    for (class, limit) in updates {
        c.client_output_buffer_limit[class] = limit;
    }
    Ok(())
}

fn get_obuf_limits(c: &Config) -> Vec<u8> {
    let parts: Vec<String> = c
        .client_output_buffer_limit
        .iter()
        .zip(OBUF_CLASS_NAMES)
        .map(|(l, name)| {
            format!(
                "{name} {} {} {}",
                l.hard_limit_bytes, l.soft_limit_bytes, l.soft_limit_seconds
            )
        })
        .collect();
    parts.join(" ").into_bytes()
}

fn rewrite_obuf_limits(c: &Config, defaults: &Config, name: &'static str, st: &mut Rewrite) {
    let classes = ["normal", "replica", "pubsub"];
    for (i, class) in classes.iter().enumerate() {
        let l = c.client_output_buffer_limit[i];
        let force = l != defaults.client_output_buffer_limit[i];
        let line = format!(
            "{name} {class} {} {} {}",
            format_memory(l.hard_limit_bytes as i64),
            format_memory(l.soft_limit_bytes as i64),
            l.soft_limit_seconds
        );
        st.line(name, line, force);
    }
}

fn set_oom_values(c: &mut Config, args: &[Vec<u8>], _loading: bool) -> Result<(), String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut values = [0i32; 3];
    for (slot, arg) in values.iter_mut().zip(args) {
        match strtoll_full(arg) {
            Some(v) if (-2000..=2000).contains(&v) => *slot = v as i32,
            _ => {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
                );
            }
        }
    }
    c.oom_score_adj_values = values;
    Ok(())
}

fn get_oom_values(c: &Config) -> Vec<u8> {
    let [a, b, d] = c.oom_score_adj_values;
    format!("{a} {b} {d}").into_bytes()
}

fn rewrite_oom_values(c: &Config, defaults: &Config, name: &'static str, st: &mut Rewrite) {
    let force = c.oom_score_adj_values != defaults.oom_score_adj_values;
    let line = format!("{name} {}", lossy(&get_oom_values(c)));
    st.line(name, line, force);
}

fn set_notify(c: &mut Config, args: &[Vec<u8>], _loading: bool) -> Result<(), String> {
    let [arg] = args else {
        return Err("wrong number of arguments".into());
    };
    c.notify_keyspace_events = keyspace_events_from_str(arg)
        .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
    Ok(())
}

fn get_notify(c: &Config) -> Vec<u8> {
    keyspace_events_to_string(c.notify_keyspace_events).into_bytes()
}

fn rewrite_notify(c: &Config, _: &Config, name: &'static str, st: &mut Rewrite) {
    let line = format!("{name} {}", repr(&get_notify(c)));
    st.line(name, line, c.notify_keyspace_events != 0);
}

fn set_bind(c: &mut Config, args: &[Vec<u8>], _loading: bool) -> Result<(), String> {
    if args.len() > 16 {
        return Err("Too many bind addresses specified.".into());
    }
    // A single empty argument means "no TCP listener at all".
    if args.len() == 1 && args[0].is_empty() {
        c.bind.clear();
    } else {
        c.bind = args.iter().map(|a| lossy(a)).collect();
    }
    Ok(())
}

fn get_bind(c: &Config) -> Vec<u8> {
    c.bind.join(" ").into_bytes()
}

fn rewrite_bind(c: &Config, defaults: &Config, name: &'static str, st: &mut Rewrite) {
    if c.bind == defaults.bind {
        st.mark(name);
        return;
    }
    let addresses = if c.bind.is_empty() {
        "\"\"".to_string()
    } else {
        c.bind.join(" ")
    };
    st.line(name, format!("{name} {addresses}"), true);
}

fn set_replicaof(c: &mut Config, args: &[Vec<u8>], _loading: bool) -> Result<(), String> {
    let [host, port] = args else {
        return Err("wrong number of arguments".into());
    };
    c.replicaof = None;
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        return Ok(());
    }
    let port = strtoll_full(port)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or("Invalid master port")?;
    c.replicaof = Some((lossy(host), port));
    Ok(())
}

fn get_replicaof(c: &Config) -> Vec<u8> {
    match &c.replicaof {
        Some((host, port)) => format!("{host} {port}").into_bytes(),
        None => Vec::new(),
    }
}

fn rewrite_replicaof(c: &Config, _: &Config, name: &'static str, st: &mut Rewrite) {
    match &c.replicaof {
        Some((host, port)) if !c.cluster_enabled => {
            st.line(name, format!("{name} {host} {port}"), true);
        }
        _ => st.mark(name),
    }
}

fn set_percentiles(c: &mut Config, args: &[Vec<u8>], _loading: bool) -> Result<(), String> {
    if args.len() == 1 && args[0].is_empty() {
        c.latency_tracking_info_percentiles.clear();
        return Ok(());
    }
    let mut values = Vec::with_capacity(args.len());
    for arg in args {
        let v = string2d(arg).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&v) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between \
                        [0.0,100.0]"
                    .into(),
            );
        }
        values.push(v);
    }
    c.latency_tracking_info_percentiles = values;
    Ok(())
}

fn get_percentiles(c: &Config) -> Vec<u8> {
    let parts: Vec<String> = c
        .latency_tracking_info_percentiles
        .iter()
        .map(|&v| format_percentile(v))
        .collect();
    parts.join(" ").into_bytes()
}

fn rewrite_percentiles(c: &Config, _: &Config, name: &'static str, st: &mut Rewrite) {
    let line = if c.latency_tracking_info_percentiles.is_empty() {
        format!("{name} \"\"")
    } else {
        format!("{name} {}", lossy(&get_percentiles(c)))
    };
    st.line(name, line, true);
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why the configuration could not be loaded. `Display` gives Redis's exact
/// text; Redis prints the `Line`/`Load` banner to stderr preceded by an empty line
/// (`eprintln!("\n{err}")`) and logs `Open` as a warning, exiting with status 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A directive was rejected.
    Line {
        /// 1-based line number inside the text being parsed (for command-line
        /// options that text is the config file followed by the options).
        line: usize,
        /// The offending line, trimmed.
        text: String,
        /// Redis's message, e.g. "argument couldn't be parsed into an integer".
        reason: String,
        /// Where the text came from (file path or "command line"); not printed.
        source: String,
    },
    /// A check made after all lines were read ("Can't open the log file: ...").
    Load {
        /// Redis's message.
        reason: String,
        /// Where the text came from; not printed.
        source: String,
    },
    /// A config or include file could not be read.
    Open {
        /// The path as Redis prints it.
        path: String,
        /// `strerror` text.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Line {
                line, text, reason, ..
            } => write!(
                f,
                "*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n\
                 Reading the configuration file, at line {line}\n>>> '{text}'\n{reason}"
            ),
            ConfigError::Load { reason, .. } => {
                write!(
                    f,
                    "*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n{reason}"
                )
            }
            ConfigError::Open { path, reason } => {
                write!(f, "Fatal error, can't open config file '{path}': {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// Redis has no limit and would overflow its stack on an include cycle.
const MAX_INCLUDE_DEPTH: usize = 32;

// ---------------------------------------------------------------------------
// Loading, CONFIG GET / SET
// ---------------------------------------------------------------------------

impl Default for Config {
    /// Redis 7.0 defaults (from the option table), except `bind` which is
    /// `127.0.0.1 -::1`; `dir` is the current directory.
    fn default() -> Config {
        let mut c = Config::blank();
        for opt in OPTIONS {
            c.apply_default(opt);
        }
        c
    }
}

impl Config {
    /// Builds the configuration the way `redis-server [configfile] [--name value...]`
    /// does (`args` excludes the program name; the server handles `-v`, `--help`
    /// and similar before calling this). The first argument is a config file unless
    /// it starts with `-`; a `-` first or last reads the config from stdin. Every
    /// `--name` starts a new config line that gathers the following non-`--`
    /// arguments (quoted, so `--save ""` works); a bare `--save` means `save ""`.
    pub fn from_args(args: &[String]) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        let mut j = 0;
        let mut file = None;
        if let Some(first) = args.first()
            && !first.starts_with('-')
        {
            file = Some(first.as_str());
            j = 1;
        }

        let n = args.len();
        let mut options: Vec<u8> = Vec::new();
        let mut from_stdin = false;
        // False after a bare `--name` until its value was seen: a following
        // `--something` is then taken as the value (Redis 7.0 behaviour).
        let mut handled_last_arg = true;
        while j < n {
            let arg = args[j].as_bytes();
            if arg == b"-" && (j == 0 || j == n - 1) {
                from_stdin = true;
            } else if handled_last_arg && arg.starts_with(b"--") {
                if !options.is_empty() {
                    options.push(b'\n');
                }
                options.extend_from_slice(&arg[2..]);
                options.push(b' ');
                let words = split_args(arg).map_or(0, |v| v.len());
                if words == 1 {
                    handled_last_arg = false;
                    let next_is_option = j + 1 < n && args[j + 1].starts_with("--");
                    let is_save = arg.eq_ignore_ascii_case(b"--save");
                    let is_sentinel = arg.eq_ignore_ascii_case(b"--sentinel");
                    if is_save && (next_is_option || j == n - 1) {
                        // `--save --port 1` and a trailing `--save` mean `save ""`.
                        options.extend_from_slice(b"\"\"");
                        handled_last_arg = next_is_option;
                    } else if is_sentinel && next_is_option {
                        handled_last_arg = true;
                    }
                } else {
                    handled_last_arg = true; // "--port 6380" as one argument
                }
            } else {
                options.extend_from_slice(repr(arg).as_bytes());
                options.push(b' ');
                handled_last_arg = true;
            }
            j += 1;
        }

        let mut text = Vec::new();
        let mut source = String::from("command line");
        if let Some(file) = file {
            // Redis makes the path absolute (without normalizing it) and prints it so.
            let path = std::env::current_dir()
                .map(|d| d.join(file))
                .unwrap_or_else(|_| file.into());
            text = read_config_file(&path).map_err(|e| ConfigError::Open {
                path: path.display().to_string(),
                reason: strerror(&e),
            })?;
            source = path.display().to_string();
            cfg.config_file = Some(path);
        }
        if from_stdin {
            // Redis ignores read errors on stdin too.
            let _ = io::stdin().read_to_end(&mut text);
        }
        text.push(b'\n');
        text.extend_from_slice(&options);
        cfg.load_text(&text, &source, 0)?;
        Ok(cfg)
    }

    /// Applies config-file text on top of the current values (redis.conf syntax,
    /// `include` supported). `source` is only recorded in errors.
    pub fn load_str(&mut self, text: impl AsRef<[u8]>, source: &str) -> Result<(), ConfigError> {
        self.load_text(text.as_ref(), source, 0)
    }

    fn load_text(&mut self, text: &[u8], source: &str, depth: usize) -> Result<(), ConfigError> {
        let lines: Vec<&[u8]> = if text.is_empty() {
            Vec::new()
        } else {
            text.split(|&b| b == b'\n').collect()
        };
        for (i, raw) in lines.iter().enumerate() {
            let line = trim(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let fail = |reason: &str| ConfigError::Line {
                line: i + 1,
                text: lossy(line),
                reason: reason.to_string(),
                source: source.to_string(),
            };
            let Some(mut argv) = split_args(line) else {
                return Err(fail("Unbalanced quotes in configuration line"));
            };
            if argv.is_empty() {
                continue;
            }
            argv[0].make_ascii_lowercase();

            if let Some((opt, _)) = lookup(&argv[0]) {
                let multi = opt.flags & MULTI_ARG != 0;
                if !multi && argv.len() != 2 {
                    return Err(fail("wrong number of arguments"));
                }
                let args = if multi && argv.len() == 2 && !argv[1].is_empty() {
                    // `save "3600 1 300 100"` and `--bind "a b"`: one argument
                    // holding several is split again (unbalanced gives none).
                    split_args(&argv[1]).unwrap_or_default()
                } else {
                    argv.split_off(1)
                };
                self.apply(opt, &args, true).map_err(|e| fail(&e))?;
                continue;
            }

            let argc = argv.len();
            match argv[0].as_slice() {
                // Deprecated options Redis still swallows.
                b"list-max-ziplist-entries"
                | b"list-max-ziplist-value"
                | b"lua-replicate-commands"
                    if argc == 2 => {}
                b"include" if argc == 2 => self.include(&argv[1], depth)?,
                b"rename-command" if argc == 3 => {
                    let to = argv.pop().unwrap_or_default();
                    let from = argv.pop().unwrap_or_default();
                    self.rename_commands.push((from, to));
                }
                b"user" if argc >= 2 => self.users.push(argv.split_off(1)),
                b"loadmodule" if argc >= 2 => return Err(fail("Modules are not supported")),
                name if name.contains(&b'.') => {
                    return Err(fail(if argc != 2 {
                        "Module config specified without value"
                    } else {
                        "Module Configuration detected without loadmodule directive or no \
                         ApplyConfig call: aborting"
                    }));
                }
                b"sentinel" => {
                    if argc != 1 {
                        return Err(fail("sentinel directive while not in sentinel mode"));
                    }
                }
                _ => return Err(fail("Bad directive or wrong number of arguments")),
            }
        }
        self.check_after_load(source)
    }

    /// Redis's end-of-file checks (run after every file, includes too).
    fn check_after_load(&self, source: &str) -> Result<(), ConfigError> {
        let fail = |reason: String| ConfigError::Load {
            reason,
            source: source.to_string(),
        };
        if !self.logfile.is_empty() {
            // Redis opens (creating) the log file now: it could not abort later.
            let path = self.resolve(self.logfile.as_bytes());
            if let Err(e) = fs::OpenOptions::new().append(true).create(true).open(path) {
                return Err(fail(format!("Can't open the log file: {}", strerror(&e))));
            }
        }
        if self.cluster_enabled && self.replicaof.is_some() {
            return Err(fail(
                "replicaof directive not allowed in cluster mode".into(),
            ));
        }
        Ok(())
    }

    /// `include path`: relative to the current `dir`; with `*`, `?` or `[` it is a
    /// glob whose matches (possibly none) are concatenated and parsed as one text.
    fn include(&mut self, pattern: &[u8], depth: usize) -> Result<(), ConfigError> {
        let shown = lossy(pattern);
        if depth >= MAX_INCLUDE_DEPTH {
            return Err(ConfigError::Open {
                path: shown,
                reason: "Too many nested includes".into(),
            });
        }
        let mut text = Vec::new();
        if pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            for path in self.glob(pattern) {
                let data =
                    read_config_file(&self.resolve(&path)).map_err(|e| ConfigError::Open {
                        path: lossy(&path),
                        reason: strerror(&e),
                    })?;
                text.extend_from_slice(&data);
            }
        } else {
            text = read_config_file(&self.resolve(pattern)).map_err(|e| ConfigError::Open {
                path: shown.clone(),
                reason: strerror(&e),
            })?;
        }
        self.load_text(&text, &shown, depth + 1)
    }

    /// glob(3) for include patterns: wildcards in any component, hidden files only
    /// matched by a pattern starting with '.', results sorted.
    fn glob(&self, pattern: &[u8]) -> Vec<Vec<u8>> {
        let mut current: Vec<Vec<u8>> = vec![if pattern.starts_with(b"/") {
            b"/".to_vec()
        } else {
            Vec::new()
        }];
        for comp in pattern.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            let mut next = Vec::new();
            for base in &current {
                if !comp.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
                    next.push(join_path(base, comp));
                    continue;
                }
                let dir = self.resolve(if base.is_empty() { b"." } else { base });
                let Ok(entries) = fs::read_dir(dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let name = entry.file_name().as_bytes().to_vec();
                    if (name.first() != Some(&b'.') || comp.first() == Some(&b'.'))
                        && fnmatch(comp, &name)
                    {
                        next.push(join_path(base, &name));
                    }
                }
            }
            current = next;
        }
        let mut found: Vec<Vec<u8>> = current
            .into_iter()
            .filter(|p| !p.is_empty() && self.resolve(p).exists())
            .collect();
        found.sort();
        found
    }

    /// A path as Redis would open it after its `chdir(dir)`.
    fn resolve(&self, p: &[u8]) -> PathBuf {
        if p.is_empty() {
            return PathBuf::new(); // fopen("") fails with ENOENT; don't open `dir`
        }
        let p = Path::new(std::ffi::OsStr::from_bytes(p));
        if p.is_absolute() || self.dir.as_os_str().is_empty() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }

    fn apply_default(&mut self, opt: &OptDef) {
        match &opt.kind {
            Kind::Bool { set, default, .. } => set(self, *default),
            Kind::Num { set, default, .. } => set(self, *default),
            Kind::Str { set, default, .. } => set(self, default.unwrap_or("").as_bytes()),
            Kind::Enum {
                set,
                names,
                default,
                ..
            } => {
                set(self, names.iter().position(|n| n == default).unwrap_or(0));
            }
            Kind::Flags { set, default, .. } => set(self, *default),
            Kind::Special { set, default, .. } => {
                let args = if opt.flags & MULTI_ARG != 0 {
                    split_on_spaces(default.as_bytes())
                } else {
                    vec![default.as_bytes().to_vec()]
                };
                // Only `dir` can fail (current directory deleted): keep "." then.
                if set(self, &args, false).is_err() && opt.name == "dir" {
                    self.dir = PathBuf::from(".");
                }
            }
        }
    }

    /// Sets one option from its arguments (exactly one unless MULTI_ARG), with
    /// Redis's validation and error texts. `loading` is true for config files.
    fn apply(&mut self, opt: &OptDef, args: &[Vec<u8>], loading: bool) -> Result<(), String> {
        if let Kind::Special { set, .. } = &opt.kind {
            return set(self, args, loading);
        }
        if let Kind::Flags {
            set, names, check, ..
        } = &opt.kind
        {
            let mut value = 0;
            for arg in args {
                match names
                    .iter()
                    .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(arg))
                {
                    Some((_, bits)) => value |= bits,
                    None => return Err(enum_error(names.iter().map(|(n, _)| *n))),
                }
            }
            if args.is_empty() {
                return Err(enum_error(names.iter().map(|(n, _)| *n)));
            }
            if let Some(check) = check {
                check(value)?;
            }
            set(self, value);
            return Ok(());
        }
        let [arg] = args else {
            return Err("wrong number of arguments".into());
        };
        match &opt.kind {
            Kind::Bool { set, check, .. } => {
                let v = if arg.eq_ignore_ascii_case(b"yes") {
                    true
                } else if arg.eq_ignore_ascii_case(b"no") {
                    false
                } else {
                    return Err("argument must be 'yes' or 'no'".into());
                };
                if let Some(check) = check {
                    check(v)?;
                }
                set(self, v);
            }
            Kind::Num {
                set,
                min,
                max,
                flags,
                ..
            } => {
                let v = parse_numeric(arg, *flags)?;
                check_bounds(v, *min, *max, *flags)?;
                set(self, v);
            }
            Kind::Str { set, check, .. } => {
                if let Some(check) = check {
                    check(arg)?;
                }
                set(self, arg);
            }
            Kind::Enum { set, names, .. } => {
                match names
                    .iter()
                    .position(|n| n.as_bytes().eq_ignore_ascii_case(arg))
                {
                    Some(i) => set(self, i),
                    None => return Err(enum_error(names.iter().copied())),
                }
            }
            Kind::Flags { .. } | Kind::Special { .. } => {}
        }
        Ok(())
    }

    /// The value CONFIG GET reports for an option.
    fn value(&self, opt: &OptDef) -> Vec<u8> {
        match &opt.kind {
            Kind::Bool { get, .. } => {
                if get(self) {
                    b"yes".to_vec()
                } else {
                    b"no".to_vec()
                }
            }
            Kind::Num { get, flags, .. } => format_numeric(get(self), *flags).into_bytes(),
            Kind::Str { get, .. } => get(self).to_vec(),
            Kind::Enum { get, names, .. } => names
                .get(get(self))
                .copied()
                .unwrap_or("unknown")
                .as_bytes()
                .to_vec(),
            Kind::Flags { get, names, .. } => flags_name(names, get(self)).into_bytes(),
            Kind::Special { get, .. } => get(self),
        }
    }

    /// The CONFIG GET value of one option (name or alias, any case).
    pub fn get_value(&self, name: &[u8]) -> Option<Vec<u8>> {
        lookup(name).map(|(opt, _)| self.value(opt))
    }

    /// CONFIG GET with Redis 7.0 semantics: several patterns, glob patterns match
    /// option names and aliases case-insensitively (hidden options need an exact
    /// name), a plain name is returned as the client spelled it, and a name is
    /// reported once. `matcher(pattern, string, nocase)` is the glob matcher.
    pub fn get(
        &self,
        patterns: &[&[u8]],
        matcher: fn(&[u8], &[u8], bool) -> bool,
    ) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = Vec::new();
        let seen = |out: &[(String, Vec<u8>)], name: &[u8]| {
            out.iter()
                .any(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        };
        for &pattern in patterns {
            if !pattern.iter().any(|b| matches!(b, b'[' | b'*' | b'?')) {
                if !seen(&out, pattern)
                    && let Some((opt, _)) = lookup(pattern)
                {
                    out.push((lossy(pattern), self.value(opt)));
                }
                continue;
            }
            for opt in OPTIONS.iter().filter(|o| o.flags & HIDDEN == 0) {
                for name in std::iter::once(opt.name).chain(opt.alias) {
                    if !seen(&out, name.as_bytes()) && matcher(pattern, name.as_bytes(), true) {
                        out.push((name.to_string(), self.value(opt)));
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET from a client that is not local; see [`Config::set_ext`].
    pub fn set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<Vec<&'static str>, String> {
        self.set_ext(pairs, false)
    }

    /// CONFIG SET with Redis 7.0 semantics: all pairs are validated and applied
    /// atomically (all or nothing), multi-argument values are split on spaces, and
    /// errors carry Redis's exact text (with the leading "ERR "). `local_client`
    /// says whether the client is local, for `enable-protected-configs local`.
    /// Returns the primary names of the options whose value changed.
    pub fn set_ext(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        local_client: bool,
    ) -> Result<Vec<&'static str>, String> {
        let mut unknown: Option<&[u8]> = None;
        let mut refused: Option<(&[u8], &str)> = None;
        let mut targets: Vec<(&'static OptDef, &'static str, &[u8])> = Vec::new();
        // Like Redis, the first problem wins, except that an unknown name is only
        // reported when nothing went wrong before it.
        for &(name, value) in pairs {
            let Some((opt, found_as)) = lookup(name) else {
                if unknown.is_none() && refused.is_none() {
                    unknown = Some(name);
                }
                continue;
            };
            if unknown.is_some() || refused.is_some() {
                continue;
            }
            if opt.flags & IMMUTABLE != 0 {
                refused = Some((name, "can't set immutable config"));
            } else if opt.flags & PROTECTED != 0
                && !self.enable_protected_configs.allows(local_client)
            {
                refused = Some((name, "can't set protected config"));
            } else if targets
                .iter()
                .any(|(o, n, _)| std::ptr::eq(*o, opt) && *n == found_as)
            {
                // An alias and its primary name are distinct entries in Redis.
                refused = Some((name, "duplicate parameter"));
            }
            targets.push((opt, found_as, value));
        }
        if let Some(name) = unknown {
            return Err(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                lossy(name)
            ));
        }
        if let Some((name, why)) = refused {
            return Err(format!(
                "ERR CONFIG SET failed (possibly related to argument '{}') - {why}",
                lossy(name)
            ));
        }

        let mut next = self.clone();
        for (opt, found_as, value) in &targets {
            let args = if opt.flags & MULTI_ARG != 0 {
                split_on_spaces(value)
            } else {
                vec![value.to_vec()]
            };
            next.apply(opt, &args, false).map_err(|e| {
                format!("ERR CONFIG SET failed (possibly related to argument '{found_as}') - {e}")
            })?;
        }
        let mut changed: Vec<&'static str> = Vec::new();
        for (opt, _, _) in &targets {
            if !changed.contains(&opt.name) && self.value(opt) != next.value(opt) {
                changed.push(opt.name);
            }
        }
        *self = next;
        Ok(changed)
    }
}

/// Reads a config file like Redis's fopen+fgets: a directory reads as empty.
fn read_config_file(path: &Path) -> io::Result<Vec<u8>> {
    if fs::metadata(path)?.is_dir() {
        return Ok(Vec::new());
    }
    fs::read(path)
}

/// `sdstrim(line, " \t\r\n")`.
fn trim(mut s: &[u8]) -> &[u8] {
    while let Some((first, rest)) = s.split_first()
        && matches!(first, b' ' | b'\t' | b'\r' | b'\n')
    {
        s = rest;
    }
    while let Some((last, rest)) = s.split_last()
        && matches!(last, b' ' | b'\t' | b'\r' | b'\n')
    {
        s = rest;
    }
    s
}

fn join_path(base: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = base.to_vec();
    if !p.is_empty() && !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// fnmatch(3) without flags: `*`, `?`, `[...]` with ranges and `!`/`^`
/// negation, `\` escapes.
fn fnmatch(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    // Position to retry from after the last '*': (pattern index, name index).
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() {
            let matched = match pattern[p] {
                b'*' => {
                    backtrack = Some((p, n));
                    p += 1;
                    continue;
                }
                b'?' if n < name.len() => Some(p + 1),
                b'[' if n < name.len() => match_class(pattern, p, name[n]),
                b'\\' if p + 1 < pattern.len() && n < name.len() && pattern[p + 1] == name[n] => {
                    Some(p + 2)
                }
                c if c != b'\\' && n < name.len() && c == name[n] => Some(p + 1),
                _ => None,
            };
            if let Some(np) = matched {
                p = np;
                n += 1;
                continue;
            }
        } else if n == name.len() {
            return true;
        }
        match backtrack {
            Some((bp, bn)) if bn < name.len() => {
                backtrack = Some((bp, bn + 1));
                p = bp + 1;
                n = bn + 1;
            }
            _ => return false,
        }
    }
}

/// Matches `c` against the bracket expression starting at `pattern[start]`
/// (`[`); returns the index after `]`, or `None` if it doesn't match. An
/// unterminated `[` matches a literal `[`.
fn match_class(pattern: &[u8], start: usize, c: u8) -> Option<usize> {
    let mut i = start + 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    loop {
        let &ch = pattern.get(i)?;
        if ch == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        if pattern.get(i + 1) == Some(&b'-') && pattern.get(i + 2).is_some_and(|&e| e != b']') {
            let hi = pattern[i + 2];
            if ch <= c && c <= hi {
                found = true;
            }
            i += 3;
        } else {
            if ch == c {
                found = true;
            }
            i += 1;
        }
    }
    if found != negate { Some(i) } else { None }
}

/// Redis `numericParseString`: memory units first, then `N%`, then octal, then a
/// strict integer (only for options without special flags).
fn parse_numeric(s: &[u8], flags: u8) -> Result<i64, String> {
    if flags & MEMORY != 0
        && let Some(v) = parse_memory(s)
    {
        return Ok(v as i64);
    }
    if flags & PERCENT != 0
        && s.len() > 1
        && let Some((b'%', digits)) = s.split_last()
        && let Some(v) = string2ll(digits)
        && v >= 0
    {
        return Ok(-v); // percentages are stored negated
    }
    if flags & OCTAL != 0 {
        let (v, used, overflow) = strtoll(s, 8);
        if !overflow && used == s.len() {
            return Ok(v);
        }
    }
    if flags & (MEMORY | PERCENT | OCTAL) == 0
        && let Some(v) = string2ll(s)
    {
        return Ok(v);
    }
    Err(if flags & MEMORY != 0 && flags & PERCENT != 0 {
        "argument must be a memory or percent value"
    } else if flags & MEMORY != 0 {
        "argument must be a memory value"
    } else if flags & OCTAL != 0 {
        "argument couldn't be parsed as an octal number"
    } else {
        "argument couldn't be parsed into an integer"
    }
    .into())
}

/// Redis `numericBoundaryCheck`.
fn check_bounds(v: i64, min: i64, max: i64, flags: u8) -> Result<(), String> {
    if flags & UNSIGNED != 0 {
        let (u, lo, hi) = (v as u64, min as u64, max as u64);
        if u > hi || u < lo {
            return Err(if flags & OCTAL != 0 {
                format!("argument must be between {lo:o} and {hi:o} inclusive")
            } else {
                format!("argument must be between {lo} and {hi} inclusive")
            });
        }
    } else if flags & PERCENT != 0 && v < 0 {
        if v < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
    } else if v > max || v < min {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(())
}

/// Redis `numericConfigGet`.
fn format_numeric(v: i64, flags: u8) -> String {
    if flags & PERCENT != 0 && v < 0 {
        format!("{}%", v.unsigned_abs())
    } else if flags & MEMORY != 0 {
        (v as u64).to_string()
    } else if flags & OCTAL != 0 {
        format!("{:o}", v as u64)
    } else {
        v.to_string()
    }
}

fn enum_error<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<&str> = names.collect();
    format!(
        "argument(s) must be one of the following: {}",
        list.join(", ")
    )
}

/// Redis `configEnumGetName` for bit-flag enums: an exact match, else the names
/// of the set bits, else "unknown".
fn flags_name(names: &[(&str, u32)], value: u32) -> String {
    if let Some((name, _)) = names.iter().find(|(_, v)| *v == value) {
        return name.to_string();
    }
    let mut unmatched = value;
    let mut parts = Vec::new();
    for &(name, bits) in names {
        if bits != 0 && unmatched & bits == bits {
            parts.push(name);
            unmatched &= !bits;
        }
    }
    if parts.is_empty() || unmatched != 0 {
        "unknown".to_string()
    } else {
        parts.join(" ")
    }
}

// ---------------------------------------------------------------------------
// CONFIG REWRITE
// ---------------------------------------------------------------------------

const REWRITE_SIGNATURE: &str = "# Generated by CONFIG REWRITE";

/// Redis's `rewriteConfigState`: the old file's lines, where each option appears,
/// and which options were already rewritten.
struct Rewrite {
    lines: Vec<Vec<u8>>,
    /// Option (primary name) -> indexes of the old lines that set it, in order.
    option_lines: Vec<(String, std::collections::VecDeque<usize>)>,
    rewritten: Vec<String>,
    needs_signature: bool,
}

impl Rewrite {
    fn read(old: &[u8]) -> Rewrite {
        let mut st = Rewrite {
            lines: Vec::new(),
            option_lines: Vec::new(),
            rewritten: Vec::new(),
            needs_signature: true,
        };
        if old.is_empty() {
            return st;
        }
        for raw in old.split(|&b| b == b'\n') {
            let line = trim(raw);
            if line.is_empty() || line[0] == b'#' {
                if line == REWRITE_SIGNATURE.as_bytes() {
                    st.needs_signature = false;
                }
                st.lines.push(line.to_vec());
                continue;
            }
            let argv = split_args(line).filter(|a| !a.is_empty());
            let option = argv.as_ref().and_then(|argv| match lookup(&argv[0]) {
                // Lines using an alias are rewritten under the primary name.
                Some((opt, _)) => Some(opt.name.to_string()),
                None => {
                    let name = lossy(&argv[0]).to_ascii_lowercase();
                    [
                        "include",
                        "rename-command",
                        "user",
                        "loadmodule",
                        "sentinel",
                    ]
                    .contains(&name.as_str())
                    .then_some(name)
                }
            });
            let Some(option) = option else {
                // Unparsable or unknown: kept, but commented out.
                let mut commented = b"# ??? ".to_vec();
                commented.extend_from_slice(line);
                st.lines.push(commented);
                continue;
            };
            st.lines.push(line.to_vec());
            let idx = st.lines.len() - 1;
            match st.option_lines.iter_mut().find(|(o, _)| *o == option) {
                Some((_, list)) => list.push_back(idx),
                None => st.option_lines.push((option, [idx].into())),
            }
        }
        st
    }

    fn mark(&mut self, option: &str) {
        if !self.rewritten.iter().any(|o| o == option) {
            self.rewritten.push(option.to_string());
        }
    }

    /// Reuses the next old line of `option`, or appends `line` when `force` (the
    /// value differs from the default) and the option had no line left.
    fn line(&mut self, option: &str, line: String, force: bool) {
        self.mark(option);
        let reuse = self
            .option_lines
            .iter_mut()
            .find(|(o, _)| o == option)
            .and_then(|(_, list)| list.pop_front());
        if let Some(idx) = reuse {
            self.lines[idx] = line.into_bytes();
        } else if force {
            if self.needs_signature {
                self.lines.push(REWRITE_SIGNATURE.as_bytes().to_vec());
                self.needs_signature = false;
            }
            self.lines.push(line.into_bytes());
        }
    }

    /// Blanks the old lines of rewritten options that were not reused (extra
    /// `save` lines, duplicates), then joins the lines, collapsing runs of empty
    /// lines into one.
    fn finish(mut self) -> Vec<u8> {
        for (option, list) in &self.option_lines {
            if self.rewritten.contains(option) {
                for &idx in list {
                    self.lines[idx].clear();
                }
            }
        }
        let mut out = Vec::new();
        let mut was_empty = false;
        for line in &self.lines {
            if line.is_empty() {
                if was_empty {
                    continue;
                }
                was_empty = true;
            } else {
                was_empty = false;
            }
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        out
    }
}

impl Config {
    /// CONFIG REWRITE: rewrites the config file at `path` in place (atomically, via
    /// a temporary file and a rename), keeping comments, unknown lines (commented
    /// out with "# ??? ") and `include`/`rename-command`/`user` lines; options are
    /// updated on their existing line, options not at their default value are
    /// appended after a "# Generated by CONFIG REWRITE" line, and leftover lines of
    /// rewritten options are removed. A missing file is created.
    pub fn rewrite(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        let old = match fs::read(path) {
            Ok(data) => data,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut st = Rewrite::read(&old);
        let defaults = Config::default();
        for opt in OPTIONS {
            self.rewrite_option(opt, &defaults, &mut st);
        }
        write_atomically(path, &st.finish())
    }

    fn rewrite_option(&self, opt: &OptDef, defaults: &Config, st: &mut Rewrite) {
        let name = opt.name;
        match &opt.kind {
            Kind::Bool { get, default, .. } => {
                let v = get(self);
                st.line(
                    name,
                    format!("{name} {}", if v { "yes" } else { "no" }),
                    v != *default,
                );
            }
            Kind::Num {
                get,
                default,
                flags,
                ..
            } => {
                let v = get(self);
                if flags & PERCENT != 0 && v < 0 {
                    // Redis compares the positive percentage with the default.
                    st.line(name, format!("{name} {}%", -v), -v != *default);
                } else if flags & MEMORY != 0 {
                    st.line(name, format!("{name} {}", format_memory(v)), v != *default);
                } else if flags & OCTAL != 0 {
                    st.line(name, format!("{name} {:o}", v as u64), v != *default);
                } else {
                    st.line(name, format!("{name} {v}"), v != *default);
                }
            }
            Kind::Str { get, default, .. } => {
                let v = get(self);
                if default.is_none() && v.is_empty() {
                    st.mark(name); // NULL: the option must disappear from the file
                } else {
                    let force = default.is_none_or(|d| d.as_bytes() != v);
                    st.line(name, format!("{name} {}", repr(v)), force);
                }
            }
            Kind::Enum {
                get,
                names,
                default,
                ..
            } => {
                let i = get(self);
                let force = names.get(i) != Some(default);
                let value = names.get(i).copied().unwrap_or("unknown");
                st.line(name, format!("{name} {value}"), force);
            }
            Kind::Flags {
                get,
                names,
                default,
                ..
            } => {
                let v = get(self);
                st.line(
                    name,
                    format!("{name} {}", flags_name(names, v)),
                    v != *default,
                );
            }
            Kind::Special { rewrite, .. } => rewrite(self, defaults, name, st),
        }
    }
}

fn write_atomically(path: &Path, content: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `CONFIG GET *` of a fresh redis-server 7.0.15 (TLS options removed), with
    /// port 6379 and ferrokv's loopback `bind`; `dir` is checked separately.
    const REDIS_DEFAULTS: &str = "\
acl-pubsub-default\tresetchannels
aclfile\t
acllog-max-len\t128
active-defrag-cycle-max\t25
active-defrag-cycle-min\t1
active-defrag-ignore-bytes\t104857600
active-defrag-max-scan-fields\t1000
active-defrag-threshold-lower\t10
active-defrag-threshold-upper\t100
active-expire-effort\t1
activedefrag\tno
activerehashing\tyes
always-show-logo\tno
aof-disable-auto-gc\tno
aof-load-truncated\tyes
aof-rewrite-incremental-fsync\tyes
aof-timestamp-enabled\tno
aof-use-rdb-preamble\tyes
aof_rewrite_cpulist\t
appenddirname\tappendonlydir
appendfilename\tappendonly.aof
appendfsync\teverysec
appendonly\tno
auto-aof-rewrite-min-size\t67108864
auto-aof-rewrite-percentage\t100
bgsave_cpulist\t
bind\t127.0.0.1 -::1
bind-source-addr\t
bio_cpulist\t
busy-reply-threshold\t5000
client-output-buffer-limit\tnormal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60
client-query-buffer-limit\t1073741824
cluster-allow-pubsubshard-when-down\tyes
cluster-allow-reads-when-down\tno
cluster-allow-replica-migration\tyes
cluster-announce-bus-port\t0
cluster-announce-hostname\t
cluster-announce-ip\t
cluster-announce-port\t0
cluster-announce-tls-port\t0
cluster-config-file\tnodes.conf
cluster-enabled\tno
cluster-link-sendbuf-limit\t0
cluster-migration-barrier\t1
cluster-node-timeout\t15000
cluster-port\t0
cluster-preferred-endpoint-type\tip
cluster-replica-no-failover\tno
cluster-replica-validity-factor\t10
cluster-require-full-coverage\tyes
cluster-slave-no-failover\tno
cluster-slave-validity-factor\t10
crash-log-enabled\tyes
crash-memcheck-enabled\tyes
daemonize\tno
databases\t16
dbfilename\tdump.rdb
disable-thp\tyes
dynamic-hz\tyes
enable-debug-command\tno
enable-module-command\tno
enable-protected-configs\tno
hash-max-listpack-entries\t512
hash-max-listpack-value\t64
hash-max-ziplist-entries\t512
hash-max-ziplist-value\t64
hll-sparse-max-bytes\t3000
hz\t10
ignore-warnings\t
io-threads\t1
io-threads-do-reads\tno
jemalloc-bg-thread\tyes
latency-monitor-threshold\t0
latency-tracking\tyes
latency-tracking-info-percentiles\t50 99 99.9
lazyfree-lazy-eviction\tno
lazyfree-lazy-expire\tno
lazyfree-lazy-server-del\tno
lazyfree-lazy-user-del\tno
lazyfree-lazy-user-flush\tno
lfu-decay-time\t1
lfu-log-factor\t10
list-compress-depth\t0
list-max-listpack-size\t-2
list-max-ziplist-size\t-2
logfile\t
loglevel\tnotice
lua-time-limit\t5000
masterauth\t
masteruser\t
maxclients\t10000
maxmemory\t0
maxmemory-clients\t0
maxmemory-eviction-tenacity\t10
maxmemory-policy\tnoeviction
maxmemory-samples\t5
min-replicas-max-lag\t10
min-replicas-to-write\t0
min-slaves-max-lag\t10
min-slaves-to-write\t0
no-appendfsync-on-rewrite\tno
notify-keyspace-events\t
oom-score-adj\tno
oom-score-adj-values\t0 200 800
pidfile\t
port\t6379
proc-title-template\t{title} {listen-addr} {server-mode}
propagation-error-behavior\tignore
protected-mode\tyes
proto-max-bulk-len\t536870912
rdb-del-sync-files\tno
rdb-save-incremental-fsync\tyes
rdbchecksum\tyes
rdbcompression\tyes
repl-backlog-size\t1048576
repl-backlog-ttl\t3600
repl-disable-tcp-nodelay\tno
repl-diskless-load\tdisabled
repl-diskless-sync\tyes
repl-diskless-sync-delay\t5
repl-diskless-sync-max-replicas\t0
repl-ping-replica-period\t10
repl-ping-slave-period\t10
repl-timeout\t60
replica-announce-ip\t
replica-announce-port\t0
replica-announced\tyes
replica-ignore-disk-write-errors\tno
replica-ignore-maxmemory\tyes
replica-lazy-flush\tno
replica-priority\t100
replica-read-only\tyes
replica-serve-stale-data\tyes
replicaof\t
requirepass\t
sanitize-dump-payload\tno
save\t3600 1 300 100 60 10000
server_cpulist\t
set-max-intset-entries\t512
set-proc-title\tyes
shutdown-on-sigint\tdefault
shutdown-on-sigterm\tdefault
shutdown-timeout\t10
slave-announce-ip\t
slave-announce-port\t0
slave-ignore-maxmemory\tyes
slave-lazy-flush\tno
slave-priority\t100
slave-read-only\tyes
slave-serve-stale-data\tyes
slaveof\t
slowlog-log-slower-than\t10000
slowlog-max-len\t128
socket-mark-id\t0
stop-writes-on-bgsave-error\tyes
stream-node-max-bytes\t4096
stream-node-max-entries\t100
supervised\tno
syslog-enabled\tno
syslog-facility\tlocal0
syslog-ident\tredis
tcp-backlog\t511
tcp-keepalive\t300
timeout\t0
tracking-table-max-keys\t1000000
unixsocket\t
unixsocketperm\t0
zset-max-listpack-entries\t128
zset-max-listpack-value\t64
zset-max-ziplist-entries\t128
zset-max-ziplist-value\t64
";

    /// A Redis-like glob matcher for CONFIG GET.
    fn matcher(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
        if nocase {
            fnmatch(&pattern.to_ascii_lowercase(), &s.to_ascii_lowercase())
        } else {
            fnmatch(pattern, s)
        }
    }

    fn get1(c: &Config, name: &str) -> String {
        lossy(&c.get_value(name.as_bytes()).expect(name))
    }

    fn set1(c: &mut Config, name: &str, value: &str) -> Result<Vec<&'static str>, String> {
        c.set(&[(name.as_bytes(), value.as_bytes())])
    }

    fn fatal(text: &str) -> String {
        let mut c = Config::default();
        match c.load_str(text, "test") {
            Ok(()) => "OK".to_string(),
            Err(e) => e.to_string(),
        }
    }

    fn banner(line: usize, text: &str, reason: &str) -> String {
        format!(
            "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, \
             at line {line}\n>>> '{text}'\n{reason}"
        )
    }

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let p =
                std::env::temp_dir().join(format!("ferrokv-config-{}-{tag}", std::process::id()));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).unwrap();
            TempDir(fs::canonicalize(&p).unwrap())
        }
        fn write(&self, name: &str, text: &str) -> PathBuf {
            let p = self.0.join(name);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent).unwrap();
            }
            fs::write(&p, text).unwrap();
            p
        }
        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_match_redis() {
        let c = Config::default();
        let all = c.get(&[b"*"], matcher);
        let mut expected: Vec<(String, String)> = REDIS_DEFAULTS
            .lines()
            .map(|l| {
                let (k, v) = l.split_once('\t').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect();
        expected.push((
            "dir".into(),
            std::env::current_dir().unwrap().display().to_string(),
        ));
        expected.sort();
        let mut got: Vec<(String, String)> =
            all.iter().map(|(k, v)| (k.clone(), lossy(v))).collect();
        got.sort();
        assert_eq!(got, expected);
        // A few typed fields, as the server reads them.
        assert_eq!(c.port, 6379);
        assert_eq!(c.bind, vec!["127.0.0.1".to_string(), "-::1".to_string()]);
        assert_eq!(c.save, vec![(3600, 1), (300, 100), (60, 10000)]);
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::NoEviction);
        assert_eq!(c.maxmemory_policy.to_string(), "noeviction");
        assert_eq!(OomScoreAdj::Relative.as_str(), "yes");
        assert_eq!(c.loglevel, LogLevel::Notice);
        assert_eq!(
            c.client_output_buffer_limit[OBUF_REPLICA].hard_limit_bytes,
            256 << 20
        );
        assert_eq!(
            c.client_output_buffer_limit[OBUF_PUBSUB].soft_limit_seconds,
            60
        );
        assert_eq!(c.enable_debug_command, ProtectedAction::No);
        assert_eq!(c.proto_max_bulk_len, 512 << 20);
        assert!(c.requirepass.is_empty());
        assert_eq!(c.config_file, None);
    }

    #[test]
    fn table_is_consistent() {
        let mut names: Vec<&str> = OPTIONS
            .iter()
            .flat_map(|o| std::iter::once(o.name).chain(o.alias))
            .collect();
        let total = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), total, "duplicate option name");
        for opt in OPTIONS {
            // Every default must be accepted by its own parser.
            let mut c = Config::blank();
            c.apply_default(opt);
            if let Kind::Special { set, default, .. } = &opt.kind {
                let args = if opt.flags & MULTI_ARG != 0 {
                    split_on_spaces(default.as_bytes())
                } else {
                    vec![default.as_bytes().to_vec()]
                };
                assert!(set(&mut c, &args, false).is_ok(), "{}", opt.name);
            }
            if let Kind::Enum { names, default, .. } = &opt.kind {
                assert!(names.contains(default), "{}", opt.name);
            }
            if let Kind::Num {
                default,
                min,
                max,
                flags,
                ..
            } = &opt.kind
            {
                assert!(
                    check_bounds(*default, *min, *max, *flags).is_ok(),
                    "{}",
                    opt.name
                );
            }
        }
        assert!(is_sensitive(b"requirepass") && is_sensitive(b"MASTERAUTH"));
        assert!(!is_sensitive(b"port") && !is_sensitive(b"nope"));
    }

    #[test]
    fn memory_units() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<u64>)] = &[
            ("", Some(0)),
            ("kb", Some(0)),
            ("0", Some(0)),
            ("1", Some(1)),
            ("1b", Some(1)),
            ("1B", Some(1)),
            ("1k", Some(1000)),
            ("1kb", Some(1024)),
            ("1KB", Some(1024)),
            ("2m", Some(2_000_000)),
            ("2mb", Some(2 << 20)),
            ("3g", Some(3_000_000_000)),
            ("3gb", Some(3 << 30)),
            ("3Gb", Some(3 << 30)),
            ("-1", None),
            (" 1", None),
            ("+1", None),
            ("1.5mb", None),
            ("1xb", None),
            ("1 kb", None),
            ("99999999999999999999gb", Some(18446744072635809792)),
            ("18446744073709551616", Some(u64::MAX)),
            ("18446744073709551615kb", Some(18446744073709550592)),
        ];
        for (s, want) in cases {
            assert_eq!(parse_memory(s.as_bytes()), *want, "{s:?}");
        }
        assert_eq!(parse_memory("1".repeat(128).as_bytes()), None);
    }

    #[test]
    fn config_set_values_match_redis() {
        // (option, value, Ok(CONFIG GET afterwards) | Err(message after " - "))
        #[rustfmt::skip]
        let cases: &[(&str, &str, Result<&str, &str>)] = &[
            ("maxmemory", "1GB", Ok("1073741824")),
            ("maxmemory", "", Ok("0")),
            ("maxmemory", "kb", Ok("0")),
            ("maxmemory", "99999999999999999999gb", Ok("18446744072635809792")),
            ("maxmemory", "18446744073709551616", Ok("18446744073709551615")),
            ("maxmemory", " 1", Err("argument must be a memory value")),
            ("maxmemory", "+1", Err("argument must be a memory value")),
            ("maxmemory", "1.5mb", Err("argument must be a memory value")),
            ("timeout", "+1", Err("argument couldn't be parsed into an integer")),
            ("timeout", "01", Err("argument couldn't be parsed into an integer")),
            ("timeout", " 1", Err("argument couldn't be parsed into an integer")),
            ("timeout", "-0", Err("argument couldn't be parsed into an integer")),
            ("timeout", "", Err("argument couldn't be parsed into an integer")),
            ("timeout", "-1", Err("argument must be between 0 and 2147483647 inclusive")),
            ("timeout", "30", Ok("30")),
            ("maxclients", "-1", Err("argument must be between 1 and 4294967295 inclusive")),
            ("maxclients", "0", Err("argument must be between 1 and 4294967295 inclusive")),
            ("maxclients", "50000", Ok("50000")),
            ("port", "65536", Err("argument must be between 0 and 65535 inclusive")),
            ("port", "abc", Err("argument couldn't be parsed into an integer")),
            ("slowlog-log-slower-than", "-2", Err("argument must be between -1 and 9223372036854775807 inclusive")),
            ("proto-max-bulk-len", "18446744073709551615", Err("argument must be between 1048576 and 9223372036854775807 inclusive")),
            ("proto-max-bulk-len", "-1", Err("argument must be a memory value")),
            ("hash-max-listpack-entries", "-1", Err("argument must be between 0 and 9223372036854775807 inclusive")),
            ("list-max-listpack-size", "-0", Err("argument couldn't be parsed into an integer")),
            ("list-max-listpack-size", "-5", Ok("-5")),
            ("hz", "1000", Ok("500")),
            ("hz", "0", Ok("1")),
            ("hz", "-1", Err("argument must be between 0 and 2147483647 inclusive")),
            ("maxmemory-clients", "10%", Ok("10%")),
            ("maxmemory-clients", "101%", Err("percentage argument must be less or equal to 100")),
            ("maxmemory-clients", "-5", Err("argument must be a memory or percent value")),
            ("maxmemory-clients", "1mb", Ok("1048576")),
            ("appendonly", "YES", Ok("yes")),
            ("appendonly", "maybe", Err("argument must be 'yes' or 'no'")),
            ("appendfsync", "Always", Ok("always")),
            ("maxmemory-policy", "foo", Err( "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
            ),
            ("maxmemory-policy", "ALLKEYS-LFU", Ok("allkeys-lfu")),
            ("loglevel", "a b", Err("argument(s) must be one of the following: debug, verbose, notice, warning")),
            ("oom-score-adj", "RELATIVE", Ok("yes")),
            ("oom-score-adj", "absolute", Ok("absolute")),
            ("shutdown-on-sigint", "nosave now", Ok("nosave now")),
            ("shutdown-on-sigint", "default save", Ok("save")),
            ("shutdown-on-sigint", "force default", Ok("force")),
            ("shutdown-on-sigint", "save nosave", Err("shutdown options SAVE and NOSAVE can't be used simultaneously")),
            ("shutdown-on-sigint", "", Err("argument(s) must be one of the following: default, save, nosave, now, force")),
            ("save", "3600 1 300", Err("Invalid save parameters")),
            ("save", "  ", Err("Invalid save parameters")),
            ("save", "3600 1  300 2", Err("Invalid save parameters")),
            ("save", "0 1", Err("Invalid save parameters")),
            ("save", "1 -1", Err("Invalid save parameters")),
            ("save", "1 +2", Ok("1 2")),
            ("save", "10 0 20 5", Ok("10 0 20 5")),
            ("save", "", Ok("")),
            ("bind", "", Ok("")),
            ("bind", "127.0.0.1 ::1", Ok("127.0.0.1 ::1")),
            ("bind", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", Err("Too many bind addresses specified.")),
            ("notify-keyspace-events", "KEA", Ok("AKE")),
            ("notify-keyspace-events", "Kgx$lshzetdn", Ok("AK")),
            ("notify-keyspace-events", "Em", Ok("Em")),
            ("notify-keyspace-events", "Q", Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")),
            ("notify-keyspace-events", "", Ok("")),
            ("client-output-buffer-limit", "normal 1mb 2kb 3", Ok("normal 1048576 2048 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60")),
            ("client-output-buffer-limit", "Normal 1 2 3 replica 4 5 6", Ok("normal 1 2 3 slave 4 5 6 pubsub 33554432 8388608 60")),
            ("client-output-buffer-limit", "", Ok("normal 1 2 3 slave 4 5 6 pubsub 33554432 8388608 60")),
            ("client-output-buffer-limit", "replica 1 2 3 pubsub 1 1 -1", Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.")),
            ("client-output-buffer-limit", "slave 1 2 +3 ", Err("Wrong number of arguments in buffer limit configuration.")),
            ("client-output-buffer-limit", "master 1 2 3", Err("Invalid client class specified in buffer limit configuration.")),
            ("oom-score-adj-values", "0  200 800", Err("wrong number of arguments")),
            ("oom-score-adj-values", "1 2 +3", Ok("1 2 3")),
            ("oom-score-adj-values", "1 2 ", Ok("1 2 0")),
            ("oom-score-adj-values", "1 2 3000", Err("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")),
            ("latency-tracking-info-percentiles", "50 99.99 100", Ok("50 99.99 100")),
            ("latency-tracking-info-percentiles", "", Ok("")),
            ("latency-tracking-info-percentiles", "101", Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")),
            ("latency-tracking-info-percentiles", "abc", Err("Invalid latency-tracking-info-percentiles parameters")),
            ("latency-tracking-info-percentiles", "1e1 0x10", Ok("10 16")),
            ("latency-tracking-info-percentiles", "0.0000001 33.3333333", Ok("0 33.333333")),
            ("proc-title-template", "{x}", Err("template format is invalid or contains unknown variables")),
            ("proc-title-template", " ", Err("template format is invalid or contains unknown variables")),
            ("proc-title-template", "{title} {server-mode}", Err("template format is invalid or contains unknown variables")),
            ("proc-title-template", "{title", Err("template format is invalid or contains unknown variables")),
            ("proc-title-template", "{unixsocket}", Err("template format is invalid or contains unknown variables")),
            ("proc-title-template", "{title}x", Ok("{title}x")),
            ("proc-title-template", "}", Ok("}")),
            ("proc-title-template", "{{", Ok("{{")),
            ("proc-title-template", "{port}", Ok("{port}")),
            ("cluster-announce-hostname", "a_b", Err("Hostnames may only contain alphanumeric characters, hyphens or dots")),
            ("cluster-announce-hostname", "a-b.c", Ok("a-b.c")),
            ("activedefrag", "yes", Err( "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"),
            ),
            ("requirepass", "s3cret", Ok("s3cret")),
            ("masterauth", "a b\"c", Ok("a b\"c")),
        ];
        let mut c = Config::default();
        for (name, value, want) in cases {
            let got = set1(&mut c, name, value);
            match want {
                Ok(v) => {
                    assert!(got.is_ok(), "{name} {value:?}: {got:?}");
                    assert_eq!(get1(&c, name), *v, "{name} {value:?}");
                }
                Err(msg) => assert_eq!(
                    got,
                    Err(format!(
                        "ERR CONFIG SET failed (possibly related to argument '{name}') - {msg}"
                    )),
                    "{name} {value:?}"
                ),
            }
        }
        assert_eq!(c.requirepass, b"s3cret");
        assert_eq!(c.timeout, 30);
        assert_eq!(c.maxclients, 50000);
        assert_eq!(c.hz, 1);
        assert_eq!(c.maxmemory_clients, 1 << 20);
        assert_eq!(c.oom_score_adj, OomScoreAdj::Absolute);
    }

    #[test]
    fn config_set_is_atomic() {
        let mut c = Config::default();
        let before = c.clone();
        let r = c.set(&[(b"maxmemory", b"1mb"), (b"timeout", b"abc")]);
        assert_eq!(
            r,
            Err(
                "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument \
                 couldn't be parsed into an integer"
                    .into()
            )
        );
        assert_eq!(c, before);
        let r = c.set(&[(b"save", b"10 1"), (b"bind", b"a b"), (b"port", b"70000")]);
        assert!(r.is_err());
        assert_eq!(c, before);
        // Two good pairs apply together.
        let r = c.set(&[
            (b"maxmemory", b"1mb"),
            (b"maxmemory-policy", b"allkeys-lru"),
        ]);
        assert_eq!(r, Ok(vec!["maxmemory", "maxmemory-policy"]));
        assert_eq!(c.maxmemory, 1 << 20);
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
    }

    #[test]
    fn config_set_name_errors_match_redis() {
        let mut c = Config::default();
        let unknown =
            |n: &str| format!("ERR Unknown option or number of arguments for CONFIG SET - '{n}'");
        let failed = |n: &str, why: &str| {
            format!("ERR CONFIG SET failed (possibly related to argument '{n}') - {why}")
        };
        assert_eq!(c.set(&[(b"foo", b"bar")]), Err(unknown("foo")));
        assert_eq!(
            c.set(&[(b"port", b"7778"), (b"FOO", b"bar")]),
            Err(unknown("FOO"))
        );
        assert_eq!(
            c.set(&[(b"Foo", b"1"), (b"databases", b"3")]),
            Err(unknown("Foo"))
        );
        assert_eq!(
            c.set(&[(b"databases", b"3"), (b"Foo", b"1")]),
            Err(failed("databases", "can't set immutable config"))
        );
        assert_eq!(
            c.set(&[(b"Databases", b"1")]),
            Err(failed("Databases", "can't set immutable config"))
        );
        assert_eq!(
            c.set(&[(b"slaveof", b"no one")]),
            Err(failed("slaveof", "can't set immutable config"))
        );
        assert_eq!(
            c.set(&[(b"maxmemory", b"1"), (b"MAXMEMORY", b"2")]),
            Err(failed("MAXMEMORY", "duplicate parameter"))
        );
        assert_eq!(
            c.set(&[(b"timeout", b"1"), (b"databases", b"1"), (b"timeout", b"2")]),
            Err(failed("databases", "can't set immutable config"))
        );
        assert_eq!(
            c.set(&[(b"timeout", b"1"), (b"timeout", b"2"), (b"databases", b"1")]),
            Err(failed("timeout", "duplicate parameter"))
        );
        // Value errors quote the option's own (lower-case) name, alias included.
        assert_eq!(
            c.set(&[(b"TIMEOUT", b"abc")]),
            Err(failed(
                "timeout",
                "argument couldn't be parsed into an integer"
            ))
        );
        assert_eq!(
            c.set(&[(b"lua-time-limit", b"abc")]),
            Err(failed(
                "lua-time-limit",
                "argument couldn't be parsed into an integer"
            ))
        );
        // An alias and its primary name are not duplicates: the last one wins.
        assert_eq!(
            c.set(&[
                (b"hash-max-listpack-entries", b"1"),
                (b"hash-max-ziplist-entries", b"2")
            ]),
            Ok(vec!["hash-max-listpack-entries"])
        );
        assert_eq!(c.hash_max_listpack_entries, 2);
        assert_eq!(
            c.set(&[(b"lua-time-limit", b"5"), (b"busy-reply-threshold", b"7")]),
            Ok(vec!["busy-reply-threshold"])
        );
        assert_eq!(get1(&c, "lua-time-limit"), "7");
        // Protected configs.
        assert_eq!(
            set1(&mut c, "dir", "/"),
            Err(failed("dir", "can't set protected config"))
        );
        assert_eq!(
            set1(&mut c, "dbfilename", "x.rdb"),
            Err(failed("dbfilename", "can't set protected config"))
        );
        c.enable_protected_configs = ProtectedAction::Local;
        assert!(c.set(&[(b"dbfilename", b"x.rdb")]).is_err());
        assert_eq!(
            c.set_ext(&[(b"dbfilename", b"x.rdb")], true),
            Ok(vec!["dbfilename"])
        );
        c.enable_protected_configs = ProtectedAction::Yes;
        assert_eq!(
            set1(&mut c, "dbfilename", "a/b"),
            Err(failed(
                "dbfilename",
                "dbfilename can't be a path, just a filename"
            ))
        );
        assert_eq!(
            set1(&mut c, "dir", "/nonexistent-ferrokv-dir"),
            Err(failed("dir", "No such file or directory"))
        );
        assert_eq!(set1(&mut c, "dir", "/"), Ok(vec!["dir"]));
        assert_eq!(c.dir, PathBuf::from("/"));
        assert_eq!(get1(&c, "dir"), "/");
    }

    #[test]
    fn config_set_reports_only_changes() {
        let mut c = Config::default();
        assert_eq!(set1(&mut c, "hz", "10"), Ok(vec![]));
        assert_eq!(set1(&mut c, "hz", "20"), Ok(vec!["hz"]));
        assert_eq!(
            set1(&mut c, "slave-read-only", "no"),
            Ok(vec!["replica-read-only"])
        );
        assert_eq!(set1(&mut c, "bind", "127.0.0.1 -::1"), Ok(vec![]));
        assert_eq!(set1(&mut c, "port", "7000"), Ok(vec!["port"]));
        assert_eq!(c.port, 7000);
        assert!(!c.replica_read_only);
    }

    #[test]
    fn config_get_patterns() {
        let c = Config::default();
        let names = |pats: &[&[u8]]| -> Vec<String> {
            c.get(pats, matcher).into_iter().map(|(n, _)| n).collect()
        };
        assert_eq!(
            c.get(&[b"PORT"], matcher),
            vec![("PORT".to_string(), b"6379".to_vec())]
        );
        assert_eq!(names(&[b"port", b"PORT", b"Port"]), vec!["port"]);
        assert_eq!(names(&[b"port", b"*ort"]).len(), 8);
        assert_eq!(names(&[b""]), Vec::<String>::new());
        assert_eq!(names(&[b"nosuchoption"]), Vec::<String>::new());
        assert_eq!(
            names(&[b"lua*", b"busy*"]),
            vec!["lua-time-limit", "busy-reply-threshold"]
        );
        let max = names(&[b"*MAX*"]);
        assert!(max.contains(&"maxmemory".to_string()));
        assert!(max.contains(&"hash-max-ziplist-entries".to_string()));
        assert!(max.contains(&"hash-max-listpack-entries".to_string()));
        assert_eq!(max.len(), 31);
        assert_eq!(names(&[b"p?rt"]), vec!["port"]);
        // Hidden options only answer to their exact name.
        assert_eq!(names(&[b"key-load-*"]), Vec::<String>::new());
        assert_eq!(
            c.get(&[b"key-load-delay"], matcher),
            vec![("key-load-delay".into(), b"0".to_vec())]
        );
        assert_eq!(c.get(&[b"*"], matcher).len(), 172);
        assert_eq!(c.get_value(b"slaveof"), Some(Vec::new()));
        assert_eq!(c.get_value(b"nope"), None);
    }

    #[test]
    fn fatal_errors_match_redis() {
        #[rustfmt::skip]
        let cases: &[(&str, usize, &str, &str)] = &[
            ("port 1\nport \"abc\"\n", 2, "port \"abc\"", "argument couldn't be parsed into an integer"),
            ("foo bar", 1, "foo bar", "Bad directive or wrong number of arguments"),
            ("port 1 2", 1, "port 1 2", "wrong number of arguments"),
            ("port \"abc", 1, "port \"abc", "Unbalanced quotes in configuration line"),
            ("port \"a\"b", 1, "port \"a\"b", "Unbalanced quotes in configuration line"),
            ("save 1", 1, "save 1", "Invalid save parameters"),
            ("maxmemory 1xb", 1, "maxmemory 1xb", "argument must be a memory value"),
            ("appendonly maybe", 1, "appendonly maybe", "argument must be 'yes' or 'no'"),
            ("dir /nonexistent-ferrokv", 1, "dir /nonexistent-ferrokv", "No such file or directory"),
            ("dir /etc/hostname", 1, "dir /etc/hostname", "Not a directory"),
            ("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", 1, "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", "Too many bind addresses specified."),
            ("dbfilename a/b", 1, "dbfilename a/b", "dbfilename can't be a path, just a filename"),
            ("dbfilename 'a\\b'", 1, "dbfilename 'a\\b'", "dbfilename can't be a path, just a filename"),
            ("appendfilename a/b", 1, "appendfilename a/b", "appendfilename can't be a path, just a filename"),
            ("appendfilename \"\"", 1, "appendfilename \"\"", "appendfilename can't be empty"),
            ("appenddirname a/b", 1, "appenddirname a/b", "appenddirname can't be a path, just a dirname"),
            ("daemonize", 1, "daemonize", "wrong number of arguments"),
            ("notify-keyspace-events Q", 1, "notify-keyspace-events Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
            ("client-output-buffer-limit normal 1 2", 1, "client-output-buffer-limit normal 1 2", "Wrong number of arguments in buffer limit configuration."),
            ("client-output-buffer-limit master 1 2 3", 1, "client-output-buffer-limit master 1 2 3", "Invalid client class specified in buffer limit configuration."),
            ("client-output-buffer-limit normal 1x 2 3", 1, "client-output-buffer-limit normal 1x 2 3", "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
            ("a.b", 1, "a.b", "Module config specified without value"),
            ("user", 1, "user", "Bad directive or wrong number of arguments"),
            ("include", 1, "include", "Bad directive or wrong number of arguments"),
            ("replicaof a b", 1, "replicaof a b", "Invalid master port"),
            ("replicaof a", 1, "replicaof a", "wrong number of arguments"),
            ("oom-score-adj-values 1 2", 1, "oom-score-adj-values 1 2", "wrong number of arguments"),
            ("oom-score-adj-values 1 2 3000", 1, "oom-score-adj-values 1 2 3000", "Invalid oom-score-adj-values, elements must be between -2000 and 2000."),
            ("unixsocketperm 999", 1, "unixsocketperm 999", "argument couldn't be parsed as an octal number"),
            ("unixsocketperm 777777777777777777777777", 1, "unixsocketperm 777777777777777777777777", "argument couldn't be parsed as an octal number"),
            ("unixsocketperm 1000", 1, "unixsocketperm 1000", "argument must be between 0 and 777 inclusive"),
            ("unixsocketperm -1", 1, "unixsocketperm -1", "argument must be between 0 and 777 inclusive"),
            ("databases 0", 1, "databases 0", "argument must be between 1 and 2147483647 inclusive"),
            ("io-threads 129", 1, "io-threads 129", "argument must be between 1 and 128 inclusive"),
            ("supervised x", 1, "supervised x", "argument(s) must be one of the following: upstart, systemd, auto, no"),
            ("enable-debug-command x", 1, "enable-debug-command x", "argument(s) must be one of the following: no, yes, local"),
            ("sentinel monitor x", 1, "sentinel monitor x", "sentinel directive while not in sentinel mode"),
            ("maxmemory-clients 200%", 1, "maxmemory-clients 200%", "percentage argument must be less or equal to 100"),
            ("cluster-enabled yes", 1, "cluster-enabled yes", "cluster mode is not supported"),
            ("  # comment\n\n\t\r\n  loglevel   nope  \r\n", 4, "loglevel   nope", "argument(s) must be one of the following: debug, verbose, notice, warning"),
        ];
        for (text, line, shown, reason) in cases {
            assert_eq!(fatal(text), banner(*line, shown, reason), "{text:?}");
        }
        assert_eq!(
            fatal("logfile /nonexistent-ferrokv/x.log"),
            "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such \
             file or directory"
        );
        assert_eq!(
            fatal("include \"\""),
            "Fatal error, can't open config file '': No such file or directory"
        );
        assert_eq!(fatal("include /tmp"), "OK"); // a directory reads as empty
        assert_eq!(
            fatal("include /nonexistent-ferrokv/x.conf"),
            "Fatal error, can't open config file '/nonexistent-ferrokv/x.conf': No such file or \
             directory"
        );
    }

    #[test]
    fn file_syntax_and_directives() {
        let mut c = Config::default();
        let text = "# comment\r\n\
                    \r\n\
                    PORT 7001\r\n\
                    requirepass \"p\\x41ss word\\n\"\n\
                    masterauth 'it\\'s'\n\
                    maxmemory 2GB\n\
                    save 10 1\n\
                    save 20 2\n\
                    list-max-ziplist-entries 5\n\
                    lua-replicate-commands yes\n\
                    rename-command DEBUG \"\"\n\
                    rename-command CONFIG CFG\n\
                    user alice on >pw ~* +@all\n\
                    sentinel\n\
                    slaveof 10.0.0.1 6380\n\
                    client-output-buffer-limit pubsub 64mb 16mb 90\n\
                    notify-keyspace-events Ex\n\
                    shutdown-on-sigterm nosave now\n\
                    bind 0.0.0.0\n\
                    bind 10.0.0.1 -::1\n";
        c.load_str(text, "t.conf").unwrap();
        assert_eq!(c.port, 7001);
        assert_eq!(c.requirepass, b"pAss word\n");
        assert_eq!(c.masterauth, b"it's");
        assert_eq!(c.maxmemory, 2 << 30);
        assert_eq!(c.save, vec![(10, 1), (20, 2)]);
        assert_eq!(
            c.rename_commands,
            vec![
                (b"DEBUG".to_vec(), Vec::new()),
                (b"CONFIG".to_vec(), b"CFG".to_vec())
            ]
        );
        assert_eq!(
            c.users,
            vec![vec![
                b"alice".to_vec(),
                b"on".to_vec(),
                b">pw".to_vec(),
                b"~*".to_vec(),
                b"+@all".to_vec()
            ]]
        );
        assert_eq!(c.replicaof, Some(("10.0.0.1".to_string(), 6380)));
        assert_eq!(get1(&c, "replicaof"), "10.0.0.1 6380");
        assert_eq!(
            c.client_output_buffer_limit[OBUF_PUBSUB].hard_limit_bytes,
            64 << 20
        );
        assert_eq!(
            c.client_output_buffer_limit[OBUF_PUBSUB].soft_limit_seconds,
            90
        );
        assert_eq!(c.notify_keyspace_events, notify::KEYEVENT | notify::EXPIRED);
        assert_eq!(c.shutdown_on_sigterm, shutdown::NOSAVE | shutdown::NOW);
        assert_eq!(c.bind, vec!["10.0.0.1".to_string(), "-::1".to_string()]);

        // Redis 7.0 save semantics across lines and loads.
        let mut c = Config::default();
        c.load_str("save 10 1\nsave \"\"\nsave 30 3\n", "t")
            .unwrap();
        assert_eq!(c.save, vec![(30, 3)]);
        c.load_str("save 40 4", "t").unwrap(); // the static "already loaded" flag persists
        assert_eq!(c.save, vec![(30, 3), (40, 4)]);
        let mut c = Config::default();
        c.load_str("save 10 1\nsave ''\n", "t").unwrap();
        assert!(c.save.is_empty());
        let mut c = Config::default();
        c.load_str("save \"10 1 20 2\"\nbind \"127.0.0.2 ::2\"", "t")
            .unwrap();
        assert_eq!(c.save, vec![(10, 1), (20, 2)]);
        assert_eq!(c.bind, vec!["127.0.0.2".to_string(), "::2".to_string()]);
        let mut c = Config::default();
        // A bare `save` line (zero arguments) disables snapshots, as in Redis.
        c.load_str("save", "t").unwrap();
        assert!(c.save.is_empty());
        c.load_str("bind", "t").unwrap();
        assert!(c.bind.is_empty());
        c.load_str("hz 100000", "t").unwrap();
        assert_eq!(c.hz, 500);
    }

    #[test]
    fn includes_and_dir() {
        let t = TempDir::new("include");
        t.write("sub/a.conf", "maxclients 111\ninclude deeper.conf\n");
        t.write("sub/deeper.conf", "timeout 7\n");
        t.write("conf.d/20-b.conf", "tcp-keepalive 20");
        t.write("conf.d/10-a.conf", "tcp-keepalive 10\nslowlog-max-len 5\n");
        t.write("conf.d/.hidden.conf", "port abc\n");
        t.write("conf.d/notes.txt", "port abc\n");
        let main = format!(
            "dir {0}\ninclude {0}/sub/a.conf\ninclude conf.d/*.conf\ninclude nomatch/*.conf\n\
             logfile log/../server.log\n",
            t.path()
        );
        let mut c = Config::default();
        // `include deeper.conf` inside sub/a.conf is relative to `dir`, like Redis
        // after its chdir: it must fail since deeper.conf is in sub/.
        assert_eq!(
            c.load_str(&main, "main").unwrap_err().to_string(),
            "Fatal error, can't open config file 'deeper.conf': No such file or directory"
        );
        t.write("sub/a.conf", "maxclients 111\ninclude sub/deeper.conf\n");
        fs::create_dir_all(t.0.join("log")).unwrap();
        let mut c = Config::default();
        c.load_str(&main, "main").unwrap();
        assert_eq!(c.dir, t.0);
        assert_eq!(c.maxclients, 111);
        assert_eq!(c.timeout, 7);
        // Glob matches are sorted and concatenated: 20-b.conf comes last.
        assert_eq!(c.tcp_keepalive, 20);
        assert_eq!(c.slowlog_max_len, 5);
        assert!(
            t.0.join("server.log").exists(),
            "logfile is created like Redis does"
        );

        // Errors inside an included file report that file's line.
        t.write("bad.conf", "\n\nport abc\n");
        let mut c = Config::default();
        assert_eq!(
            c.load_str(format!("dir {}\ninclude bad.conf", t.path()), "m")
                .unwrap_err()
                .to_string(),
            banner(3, "port abc", "argument couldn't be parsed into an integer")
        );
        // Include cycles end with an error instead of a stack overflow.
        t.write("loop.conf", "include loop.conf\n");
        let mut c = Config::default();
        let err = c
            .load_str(format!("dir {}\ninclude loop.conf", t.path()), "m")
            .unwrap_err();
        assert!(matches!(err, ConfigError::Open { .. }), "{err}");
        // Relative `dir` moves relative to the previous one.
        let mut c = Config::default();
        c.load_str(format!("dir {}\ndir sub\n", t.path()), "m")
            .unwrap();
        assert_eq!(c.dir, t.0.join("sub"));
        assert_eq!(
            fatal(&format!("dir {}\nlogfile nodir/x.log", t.path())),
            "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such \
             file or directory"
        );
    }

    #[test]
    fn command_line_arguments() {
        let c = Config::from_args(&args(&["--port", "7000", "--save", ""])).unwrap();
        assert_eq!(c.port, 7000);
        assert!(c.save.is_empty());
        let c = Config::from_args(&args(&["--port", "1", "--save"])).unwrap();
        assert!(c.save.is_empty());
        let c = Config::from_args(&args(&["--save", "--port", "2"])).unwrap();
        assert!(c.save.is_empty());
        assert_eq!(c.port, 2);
        let c = Config::from_args(&args(&["--save", "10", "1", "--save", "20", "2"])).unwrap();
        assert_eq!(c.save, vec![(10, 1), (20, 2)]);
        let c = Config::from_args(&args(&["--save", "10 1 20 2"])).unwrap();
        assert_eq!(c.save, vec![(10, 1), (20, 2)]);
        let c = Config::from_args(&args(&[
            "--bind",
            "127.0.0.1 ::1",
            "--requirepass",
            "a \"b\"\n",
        ]))
        .unwrap();
        assert_eq!(c.bind, vec!["127.0.0.1".to_string(), "::1".to_string()]);
        assert_eq!(c.requirepass, b"a \"b\"\n");
        // A bare `--name` swallows a following `--x` as its value, like Redis.
        let c = Config::from_args(&args(&["--bind", "--port", "x"])).unwrap();
        assert_eq!(c.bind, vec!["--port".to_string(), "x".to_string()]);
        let c = Config::from_args(&args(&["--port 7003"])).unwrap();
        assert_eq!(c.port, 7003);
        let c = Config::from_args(&args(&[])).unwrap();
        assert_eq!(c, Config::default());

        let err = |a: &[&str]| Config::from_args(&args(a)).unwrap_err().to_string();
        assert_eq!(
            err(&["--port", "abc"]),
            banner(
                2,
                "port \"abc\"",
                "argument couldn't be parsed into an integer"
            )
        );
        assert_eq!(
            err(&["--maxmemory", "1", "2"]),
            banner(2, "maxmemory \"1\" \"2\"", "wrong number of arguments")
        );
        assert_eq!(
            err(&["--foo"]),
            banner(2, "foo", "Bad directive or wrong number of arguments")
        );
        assert_eq!(
            err(&["--save", "10 1", "20 2"]),
            banner(2, "save \"10 1\" \"20 2\"", "Invalid save parameters")
        );
        assert_eq!(
            err(&["-x"]),
            banner(2, "\"-x\"", "Bad directive or wrong number of arguments")
        );

        let t = TempDir::new("args");
        let file = t.write("redis.conf", "port 2\n");
        let path = file.to_str().unwrap();
        let c = Config::from_args(&args(&[path, "--maxclients", "5"])).unwrap();
        assert_eq!((c.port, c.maxclients), (2, 5));
        assert_eq!(c.config_file.as_deref(), Some(file.as_path()));
        // The file's lines come first, then an empty line, then the options.
        assert_eq!(
            err(&[path, "--port", "abc"]),
            banner(
                3,
                "port \"abc\"",
                "argument couldn't be parsed into an integer"
            )
        );
        let missing = t.0.join("missing.conf");
        assert_eq!(
            err(&[missing.to_str().unwrap()]),
            format!(
                "Fatal error, can't open config file '{}': No such file or directory",
                missing.display()
            )
        );
    }

    #[test]
    fn rewrite_like_redis() {
        let t = TempDir::new("rewrite");
        let file = t.write(
            "rw.conf",
            &format!(
                "# top comment\nport 7781\nslave-priority 50\nhash-max-ziplist-entries 100\n\
                 save 10 1\nsave 20 2\ninclude /dev/null\nrename-command DEBUG \"\"\n\
                 logfile \"{0}/l.txt\"\ndir {0}\n\n\n# end\n",
                t.path()
            ),
        );
        let mut c = Config::from_args(&args(&[file.to_str().unwrap()])).unwrap();
        c.enable_protected_configs = ProtectedAction::Yes;
        for (k, v) in [
            ("maxmemory", "1gb"),
            ("client-output-buffer-limit", "normal 1mb 0 0"),
            ("notify-keyspace-events", "KEA"),
            ("replica-priority", "60"),
            ("bind", "127.0.0.1"),
            ("proto-max-bulk-len", "1000000000"),
            ("maxmemory-clients", "5%"),
            ("shutdown-on-sigint", "nosave now"),
            ("latency-tracking-info-percentiles", "50 99.5"),
            ("masterauth", "a b\"c"),
            ("loglevel", "debug"),
        ] {
            set1(&mut c, k, v).unwrap();
        }
        c.enable_protected_configs = ProtectedAction::No;
        c.rewrite(&file).unwrap();
        let expected = format!(
            "# top comment\nport 7781\nreplica-priority 60\nhash-max-listpack-entries 100\n\
             save 10 1\nsave 20 2\ninclude /dev/null\nrename-command DEBUG \"\"\n\
             logfile \"{0}/l.txt\"\ndir \"{0}\"\n\n# end\n\n\
             # Generated by CONFIG REWRITE\n\
             masterauth \"a b\\\"c\"\n\
             loglevel debug\n\
             shutdown-on-sigint nosave now\n\
             proto-max-bulk-len 1000000000\n\
             maxmemory 1gb\n\
             maxmemory-clients 5%\n\
             client-output-buffer-limit normal 1mb 0 0\n\
             notify-keyspace-events \"AKE\"\n\
             bind 127.0.0.1\n\
             latency-tracking-info-percentiles 50 99.5\n",
            t.path()
        );
        assert_eq!(fs::read_to_string(&file).unwrap(), expected);
        // Reloading the rewritten file gives back the same configuration. Like
        // Redis, the next rewrite keeps the file's final newline as an empty line,
        // and then the file is stable.
        let again = Config::from_args(&args(&[file.to_str().unwrap()])).unwrap();
        assert_eq!(again, c);
        again.rewrite(&file).unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), format!("{expected}\n"));
        again.rewrite(&file).unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), format!("{expected}\n"));
        // Removed save points, and a new file.
        set1(&mut c, "save", "").unwrap();
        let fresh = t.0.join("new.conf");
        c.rewrite(&fresh).unwrap();
        let text = fs::read_to_string(&fresh).unwrap();
        assert!(
            text.starts_with("# Generated by CONFIG REWRITE\n"),
            "{text}"
        );
        assert!(
            text.contains("\nsave \"\"\n") && text.contains("\nport 7781\n"),
            "{text}"
        );
        let again = Config::from_args(&args(&[fresh.to_str().unwrap()])).unwrap();
        assert!(again.save.is_empty());
    }

    #[test]
    fn keyspace_event_strings() {
        assert_eq!(keyspace_events_from_str(b""), Some(0));
        assert_eq!(keyspace_events_from_str(b"KEA"), Some(notify::ALL | 3));
        assert_eq!(
            keyspace_events_to_string(notify::ALL | notify::NEW | 3),
            "AKE"
        );
        assert_eq!(
            keyspace_events_to_string(notify::KEYEVENT | notify::KEY_MISS),
            "Em"
        );
        assert_eq!(
            keyspace_events_to_string(notify::GENERIC | notify::NEW | 1),
            "gnK"
        );
        assert_eq!(keyspace_events_from_str(b"Kz?"), None);
    }

    #[test]
    fn number_parsers() {
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"9223372036854775808"), None);
        assert_eq!(string2ll(b"-"), None);
        assert_eq!(strtoll(b" -12x", 10), (-12, 4, false));
        assert_eq!(strtoll(b"abc", 10), (0, 0, false));
        assert_eq!(strtoll(b"99999999999999999999", 10), (i64::MAX, 20, true));
        assert_eq!(strtoll(b"777", 8), (511, 3, false));
        assert_eq!(string2d(b" 1"), None);
        assert_eq!(string2d(b"1e400"), None);
        assert_eq!(string2d(b"1e-400"), None);
        assert_eq!(string2d(b"nan"), None);
        assert_eq!(string2d(b"-0x1.8p1"), Some(-3.0));
        assert_eq!(format_memory(3 << 30), "3gb");
        assert_eq!(format_memory(1025), "1025");
        assert!(fnmatch(b"*.conf", b"a.conf") && !fnmatch(b"*.conf", b"a.txt"));
        assert!(fnmatch(b"[!a-c]?", b"dx") && !fnmatch(b"[!a-c]?", b"bx"));
        assert!(fnmatch(b"a\\*", b"a*") && !fnmatch(b"a\\*", b"ab"));
    }

    /// Pseudo-random option names and values must never panic.
    #[test]
    fn no_panic_on_garbage() {
        let values: &[&str] = &[
            "",
            " ",
            "0",
            "-1",
            "yes",
            "no",
            "1gb",
            "10%",
            "\"",
            "'",
            "a b",
            "1 2 3",
            "99999999999999999999999",
            "-9223372036854775808",
            "\\x00",
            "normal 1 2 3",
            "{",
            "0x",
            "nan",
            "inf",
            ".",
            "/",
            "*",
            "[",
            "no one",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut c = Config {
            enable_protected_configs: ProtectedAction::Yes,
            ..Config::default()
        };
        for _ in 0..3000 {
            let opt = &OPTIONS[next(OPTIONS.len())];
            if opt.name == "dir" || opt.name == "logfile" {
                continue; // would touch the filesystem
            }
            let v = values[next(values.len())];
            let _ = c.set(&[(opt.name.as_bytes(), v.as_bytes())]);
            let mut fresh = Config::default();
            let _ = fresh.load_str(
                format!("{} {v} {}", opt.name, values[next(values.len())]),
                "f",
            );
            let _ = fresh.get(&[v.as_bytes()], matcher);
        }
    }
}
