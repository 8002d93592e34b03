//! A stored value and its encoding.
//!
//! Strings keep Redis's three encodings because `OBJECT ENCODING` exposes them and clients
//! (and Redis's own test suite) check them: `int` for integers in canonical form, `embstr`
//! for short strings created whole, `raw` for strings that were modified in place (APPEND,
//! SETRANGE) or are long. `int` also saves memory: 8 bytes instead of a heap buffer.

use super::hash::Hash;
use super::list::List;
use super::set::Set;
use super::stream::Stream;
use super::zset::ZSet;
use crate::util::numbers::{fmt_i64, parse_i64};

/// Longest string Redis stores as `embstr`.
pub const EMBSTR_MAX: usize = 44;

/// A value of any type. Collections are boxed so that every entry of the keyspace stays
/// small (a string is the common case).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(Str),
    List(Box<List>),
    Hash(Box<Hash>),
    Set(Box<Set>),
    ZSet(Box<ZSet>),
    Stream(Box<Stream>),
}

impl Value {
    /// Redis's name of the type, as TYPE replies it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// Redis's name of the encoding, as OBJECT ENCODING replies it.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(Str::Int(_)) => "int",
            Value::Str(Str::Emb(_)) => "embstr",
            Value::Str(Str::Raw(_)) => "raw",
            Value::List(l) => l.encoding_name(),
            Value::Hash(h) => h.encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
            Value::Stream(_) => "stream",
        }
    }

    pub fn string(bytes: &[u8]) -> Value {
        Value::Str(Str::from_bytes(bytes))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Str {
    Int(i64),
    Emb(Box<[u8]>),
    Raw(Vec<u8>),
}

impl Str {
    /// The encoding Redis would pick for a string set whole (SET, MSET...).
    pub fn from_bytes(bytes: &[u8]) -> Str {
        if bytes.len() <= 20
            && let Some(n) = parse_i64(bytes)
        {
            return Str::Int(n);
        }
        if bytes.len() <= EMBSTR_MAX {
            Str::Emb(bytes.into())
        } else {
            Str::Raw(bytes.to_vec())
        }
    }

    pub fn from_vec(bytes: Vec<u8>) -> Str {
        if bytes.len() <= EMBSTR_MAX {
            Str::from_bytes(&bytes)
        } else {
            Str::Raw(bytes)
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Str::Int(n) => int_len(*n),
            Str::Emb(b) => b.len(),
            Str::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, formatting an integer into `scratch` when needed.
    pub fn as_bytes<'a>(&'a self, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        match self {
            Str::Int(n) => {
                scratch.clear();
                fmt_i64(*n, scratch);
                scratch
            }
            Str::Emb(b) => b,
            Str::Raw(v) => v,
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut scratch = Vec::new();
        self.as_bytes(&mut scratch).to_vec()
    }

    /// The value as an integer, if it is one in Redis's strict sense.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Str::Int(n) => Some(*n),
            Str::Emb(b) => parse_i64(b),
            Str::Raw(v) if v.len() <= 20 => parse_i64(v),
            Str::Raw(_) => None,
        }
    }

    /// Mutable access to the bytes for in-place edits; the value becomes `raw` as in Redis.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Str::Raw(_)) {
            *self = Str::Raw(self.to_vec());
        }
        match self {
            Str::Raw(v) => v,
            _ => unreachable!("just converted to raw"),
        }
    }
}

fn int_len(n: i64) -> usize {
    let mut len = if n < 0 { 2 } else { 1 };
    let mut v = n.unsigned_abs();
    while v >= 10 {
        v /= 10;
        len += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(Value::string(b"123").encoding_name(), "int");
        assert_eq!(Value::string(b"0123").encoding_name(), "embstr");
        assert_eq!(Value::string(&[b'a'; 44]).encoding_name(), "embstr");
        assert_eq!(Value::string(&[b'a'; 45]).encoding_name(), "raw");
        assert_eq!(Str::Int(-120).len(), 4);
        assert_eq!(Str::Int(i64::MIN).len(), 20);
        assert_eq!(Str::Int(0).len(), 1);
    }
}
