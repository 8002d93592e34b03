//! The command table: every command is declared once, here or in its family's `COMMANDS`
//! list, with its arity, flags, key positions and handler. Arity errors, authentication,
//! COMMAND INFO/COUNT/LIST/GETKEYS and per-command statistics all read this table.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{Ctx, error::CmdResult};

pub type Handler = fn(&mut Ctx<'_>, &[&[u8]]) -> CmdResult;

/// Command flags, named as COMMAND INFO names them.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MULTI: u32 = 1 << 14;
    pub const MOVABLE_KEYS: u32 = 1 << 15;
    pub const ALLOW_BUSY: u32 = 1 << 16;
    pub const SENTINEL: u32 = 1 << 17;
    /// Not a COMMAND INFO flag: puts the command in the `@dangerous` ACL category.
    pub const DANGEROUS: u32 = 1 << 18;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 19;

    /// (flag, name) in the order Redis lists them in COMMAND INFO.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// The command's group, which gives its ACL category (`@string`, `@keyspace`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    String,
    Generic,
    Server,
    Connection,
    List,
    Hash,
    Set,
    SortedSet,
    Bitmap,
    HyperLogLog,
    Geo,
    Transaction,
    PubSub,
    Scripting,
    Stream,
}

impl Group {
    /// The ACL category of the group, if it has one.
    pub fn acl_category(self) -> Option<&'static str> {
        match self {
            Group::String => Some("@string"),
            Group::Generic => Some("@keyspace"),
            Group::Server => None,
            Group::Connection => Some("@connection"),
            Group::List => Some("@list"),
            Group::Hash => Some("@hash"),
            Group::Set => Some("@set"),
            Group::SortedSet => Some("@sortedset"),
            Group::Bitmap => Some("@bitmap"),
            Group::HyperLogLog => Some("@hyperloglog"),
            Group::Geo => Some("@geo"),
            Group::Transaction => Some("@transaction"),
            Group::PubSub => None,
            Group::Scripting => Some("@scripting"),
            Group::Stream => Some("@stream"),
        }
    }

    /// The group name COMMAND DOCS reports.
    pub fn doc_name(self) -> &'static str {
        match self {
            Group::String => "string",
            Group::Generic => "generic",
            Group::Server => "server",
            Group::Connection => "connection",
            Group::List => "list",
            Group::Hash => "hash",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Bitmap => "bitmap",
            Group::HyperLogLog => "hyperloglog",
            Group::Geo => "geo",
            Group::Transaction => "transactions",
            Group::PubSub => "pubsub",
            Group::Scripting => "scripting",
            Group::Stream => "stream",
        }
    }
}

/// ACL categories in the order Redis lists them (its ACL category table).
const CATEGORY_ORDER: &[&str] = &[
    "@keyspace",
    "@read",
    "@write",
    "@set",
    "@sortedset",
    "@list",
    "@hash",
    "@string",
    "@bitmap",
    "@hyperloglog",
    "@geo",
    "@stream",
    "@pubsub",
    "@admin",
    "@fast",
    "@slow",
    "@blocking",
    "@dangerous",
    "@connection",
    "@transaction",
    "@scripting",
];

pub struct Command {
    /// Lower-case name; subcommands are `container|sub`.
    pub name: &'static str,
    /// Positive: exact argument count including the name; negative: at least -arity.
    pub arity: i32,
    pub flags: u32,
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    pub group: Group,
    /// None for containers (CONFIG, CLIENT...), which dispatch to `subcommands`.
    pub handler: Option<Handler>,
    pub subcommands: &'static [Command],
}

impl Command {
    /// The part after `|` for subcommands, the name otherwise.
    pub fn short_name(&self) -> &'static str {
        self.name.rsplit('|').next().unwrap_or(self.name)
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// ACL categories, from the group and the flags, in Redis's order.
    pub fn acl_categories(&self) -> Vec<&'static str> {
        let mut cats: Vec<&'static str> = Vec::new();
        cats.extend(self.group.acl_category());
        let implied = [
            (flags::WRITE, "@write"),
            (flags::READONLY, "@read"),
            (flags::ADMIN, "@admin"),
            (flags::ADMIN | flags::DANGEROUS, "@dangerous"),
            (flags::PUBSUB, "@pubsub"),
            (flags::FAST, "@fast"),
            (flags::BLOCKING, "@blocking"),
        ];
        for (f, cat) in implied {
            if self.flags & f != 0 {
                cats.push(cat);
            }
        }
        if !self.has(flags::FAST) {
            cats.push("@slow");
        }
        cats.sort_by_key(|c| CATEGORY_ORDER.iter().position(|o| o == c));
        cats.dedup();
        cats
    }

    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// Positions of the keys in `argc` arguments, from first/last/step.
    pub fn key_positions(&self, argc: usize) -> Vec<usize> {
        if self.first_key <= 0 || self.step <= 0 {
            return Vec::new();
        }
        let last = if self.last_key < 0 {
            argc as i64 + self.last_key as i64
        } else {
            self.last_key as i64
        };
        (self.first_key as i64..=last.min(argc as i64 - 1))
            .step_by(self.step as usize)
            .map(|i| i as usize)
            .collect()
    }
}

/// Shorthand for declaring a command with a handler.
pub const fn cmd(
    name: &'static str,
    arity: i32,
    flags: u32,
    keys: (i32, i32, i32),
    group: Group,
    handler: Handler,
) -> Command {
    Command {
        name,
        arity,
        flags,
        first_key: keys.0,
        last_key: keys.1,
        step: keys.2,
        group,
        handler: Some(handler),
        subcommands: &[],
    }
}

/// Shorthand for declaring a container command (CONFIG, CLIENT...).
pub const fn container(
    name: &'static str,
    arity: i32,
    flags: u32,
    group: Group,
    subcommands: &'static [Command],
) -> Command {
    Command {
        name,
        arity,
        flags,
        first_key: 0,
        last_key: 0,
        step: 0,
        group,
        handler: None,
        subcommands,
    }
}

/// Every family's list, in one place.
pub fn families() -> [&'static [Command]; 17] {
    [
        super::strings::COMMANDS,
        super::keys::COMMANDS,
        super::server::COMMANDS,
        super::connection::COMMANDS,
        super::lists::COMMANDS,
        super::hashes::COMMANDS,
        super::sets::COMMANDS,
        super::zsets::COMMANDS,
        super::bitmaps::COMMANDS,
        super::hyperloglog::COMMANDS,
        super::geo::COMMANDS,
        super::transactions::COMMANDS,
        super::pubsub::COMMANDS,
        super::scripting::COMMANDS,
        super::sort::COMMANDS,
        super::streams::COMMANDS,
        super::persistence::COMMANDS,
    ]
}

pub struct Table {
    /// Top-level commands (COMMAND, COMMAND COUNT).
    pub commands: Vec<&'static Command>,
    /// Top-level commands then every subcommand: the index is the statistics slot.
    pub all: Vec<&'static Command>,
    by_name: HashMap<&'static [u8], usize>,
    by_addr: HashMap<usize, usize, foldhash::fast::RandomState>,
}

impl Table {
    fn build() -> Table {
        let commands: Vec<&'static Command> = families().into_iter().flatten().collect();
        let by_name = commands
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_bytes(), i))
            .collect();
        let mut all = commands.clone();
        for c in &commands {
            all.extend(c.subcommands.iter());
        }
        let by_addr = all
            .iter()
            .enumerate()
            .map(|(i, c)| (*c as *const Command as usize, i))
            .collect();
        Table {
            commands,
            all,
            by_name,
            by_addr,
        }
    }

    /// The statistics slot of a command or subcommand.
    pub fn stat_index(&self, cmd: &'static Command) -> usize {
        self.by_addr
            .get(&(cmd as *const Command as usize))
            .copied()
            .unwrap_or(0)
    }

    /// Look a command up by name, case-insensitively. Returns its index and spec.
    pub fn lookup(&self, name: &[u8]) -> Option<(usize, &'static Command)> {
        let mut buf = [0u8; 32];
        if name.len() > buf.len() {
            return None;
        }
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.by_name.get(&*lower).map(|&i| (i, self.commands[i]))
    }
}

/// The table, built on first use.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(Table::build)
}

/// Find a subcommand of a container by name, case-insensitively.
pub fn find_subcommand(parent: &'static Command, name: &[u8]) -> Option<&'static Command> {
    parent
        .subcommands
        .iter()
        .find(|s| s.short_name().as_bytes().eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lowercase_and_subcommands_prefixed() {
        let t = table();
        let mut seen = std::collections::HashSet::new();
        for c in &t.commands {
            assert_eq!(c.name, c.name.to_ascii_lowercase());
            assert!(seen.insert(c.name), "duplicate {}", c.name);
            // A container without its own handler must have subcommands (COMMAND has both).
            assert!(
                c.handler.is_some() || !c.subcommands.is_empty(),
                "{}",
                c.name
            );
            for s in c.subcommands {
                assert!(s.name.starts_with(&format!("{}|", c.name)), "{}", s.name);
                assert!(s.handler.is_some(), "{}", s.name);
            }
            assert!(
                c.has(flags::WRITE) as u8 + c.has(flags::READONLY) as u8 <= 1,
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn key_positions() {
        let t = table();
        let (_, mset) = t.lookup(b"MSET").unwrap();
        assert_eq!(mset.key_positions(5), vec![1, 3]);
        let (_, get) = t.lookup(b"get").unwrap();
        assert_eq!(get.key_positions(2), vec![1]);
    }
}
