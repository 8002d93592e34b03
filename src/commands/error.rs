//! Command errors, worded exactly as Redis words them. Each text is defined here once.

use std::fmt;

pub type CmdResult = Result<(), CmdError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    WrongType,
    NotInteger,
    NotFloat,
    Syntax,
    Overflow,
    NoSuchKey,
    InvalidExpireTime(&'static str),
    StringTooLong,
    DbIndexOutOfRange,
    NoAuth,
    /// Over `maxmemory` with nothing left to evict, for a `denyoom` command.
    Oom,
    /// Any other error: the full text including its code (`ERR ...`).
    Msg(String),
}

impl CmdError {
    pub fn msg(s: impl Into<String>) -> Self {
        CmdError::Msg(s.into())
    }
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            Self::NotInteger => f.write_str("ERR value is not an integer or out of range"),
            Self::NotFloat => f.write_str("ERR value is not a valid float"),
            Self::Syntax => f.write_str("ERR syntax error"),
            Self::Overflow => f.write_str("ERR increment or decrement would overflow"),
            Self::NoSuchKey => f.write_str("ERR no such key"),
            Self::InvalidExpireTime(cmd) => write!(f, "ERR invalid expire time in '{cmd}' command"),
            Self::StringTooLong => {
                f.write_str("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
            }
            Self::DbIndexOutOfRange => f.write_str("ERR DB index is out of range"),
            Self::NoAuth => f.write_str("NOAUTH Authentication required."),
            Self::Oom => f.write_str("OOM command not allowed when used memory > 'maxmemory'."),
            Self::Msg(s) => f.write_str(s),
        }
    }
}
