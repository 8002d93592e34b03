//! Bitmap commands (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO. Bitmaps are plain strings; bit 0 is the most significant bit of byte 0.
//! The bit-level helpers are in [`crate::util::bits`].
//!
//! Keyspace events as Redis 7.0.15: SETBIT and BITFIELD publish `setbit` only when the
//! string was created, grew, or had a bit change (a BITFIELD write that failed on
//! OVERFLOW FAIL counts for nothing); BITOP publishes `set`, or `del` when its empty result
//! removed the destination.

use super::Ctx;
use super::args::{self, is};
use super::error::{CmdError, CmdResult};
use super::strings::lookup_str_write;
use super::table::{Command, Group, cmd, flags::*};
use crate::config::notify;
use crate::storage::Db;
use crate::storage::value::{Str, Value};
use crate::util::bits::{self, Overflow};
use crate::util::numbers::parse_i64;

const B: Group = Group::Bitmap;

pub static COMMANDS: &[Command] = &[
    cmd("setbit", 4, WRITE | DENYOOM, (1, 1, 1), B, setbit),
    cmd("getbit", 3, READONLY | FAST, (1, 1, 1), B, getbit),
    cmd("bitcount", -2, READONLY, (1, 1, 1), B, bitcount),
    cmd("bitpos", -3, READONLY, (1, 1, 1), B, bitpos),
    cmd("bitop", -4, WRITE | DENYOOM, (2, -1, 1), B, bitop),
    cmd("bitfield", -2, WRITE | DENYOOM, (1, 1, 1), B, bitfield),
    cmd(
        "bitfield_ro",
        -2,
        READONLY | FAST,
        (1, 1, 1),
        B,
        bitfield_ro,
    ),
];

const OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";

/// A bit offset (Redis's `getBitOffsetFromArgument`): `#n` means n * `bits` for BITFIELD;
/// the byte it falls in must be below proto-max-bulk-len.
fn bit_offset(ctx: &Ctx, arg: &[u8], hash_bits: Option<u32>) -> Result<u64, CmdError> {
    let (digits, mult) = match (arg.first(), hash_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], bits as i64),
        _ => (arg, 1),
    };
    let n = parse_i64(digits)
        .ok_or_else(|| CmdError::msg(OFFSET_ERR))?
        .wrapping_mul(mult);
    if n < 0 || (n >> 3) as u64 >= ctx.srv.config.proto_max_bulk_len {
        return Err(CmdError::msg(OFFSET_ERR));
    }
    Ok(n as u64)
}

/// The string under `key` as raw bytes grown with zeros to hold bit `max_bit`, created when
/// absent (Redis's `lookupStringForBitCommand`), and whether it was created or grew (Redis's
/// `dirty`: such a write counts as a change even if no bit flips). Bit commands leave
/// strings `raw`.
fn string_for_bits<'a>(
    db: &'a mut Db,
    key: &[u8],
    max_bit: u64,
    now: i64,
) -> Result<(&'a mut Vec<u8>, bool), CmdError> {
    let need = (max_bit >> 3) as usize + 1;
    let mut dirty = false;
    if lookup_str_write(db, key, now)?.is_none() {
        db.insert(
            key.into(),
            Value::Str(Str::Raw(Box::new(vec![0; need]))),
            None,
            now,
        );
        dirty = true;
    }
    match db.peek(key, now).map(|e| &mut e.value) {
        Some(Value::Str(s)) => {
            let v = s.make_raw();
            if v.len() < need {
                v.resize(need, 0);
                dirty = true;
            }
            Ok((v, dirty))
        }
        _ => Err(CmdError::WrongType),
    }
}

/// The bytes of a string for reading (`None` when absent), WRONGTYPE for other types.
fn read_bytes(db: &mut Db, key: &[u8], now: i64) -> Result<Option<Vec<u8>>, CmdError> {
    match db.lookup(key, now).map(|e| &e.value) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.to_vec())),
        Some(_) => Err(CmdError::WrongType),
    }
}

fn setbit(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let offset = bit_offset(ctx, a[2], None)?;
    let bit_err = || CmdError::msg("ERR bit is not an integer or out of range");
    let on = parse_i64(a[3]).ok_or_else(bit_err)?;
    if on & !1 != 0 {
        return Err(bit_err());
    }
    let (db, _, now) = ctx.db_and_reply();
    let (v, dirty) = string_for_bits(db, a[1], offset, now)?;
    let old = bits::get_bit(v, offset);
    bits::set_bit(v, offset, on == 1);
    // Redis 7.0.15 signals nothing when the bit already had this value.
    if dirty || old != (on == 1) {
        db.touch(a[1]);
        ctx.notify(notify::STRING, "setbit", a[1]);
    }
    ctx.reply().int(old as i64);
    Ok(())
}

fn getbit(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let offset = bit_offset(ctx, a[2], None)?;
    let (db, reply, now) = ctx.db_and_reply();
    let bit = match db.lookup(a[1], now).map(|e| &e.value) {
        None => false,
        Some(Value::Str(s)) => {
            let mut scratch = Vec::new();
            bits::get_bit(s.as_bytes(&mut scratch), offset)
        }
        Some(_) => return Err(CmdError::WrongType),
    };
    reply.int(bit as i64);
    Ok(())
}

/// BITCOUNT/BITPOS range unit.
fn range_unit(arg: &[u8]) -> Result<bool, CmdError> {
    if is(arg, "bit") {
        Ok(true)
    } else if is(arg, "byte") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

fn bitcount(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    // Redis looks the key up first: a missing key answers 0 whatever the arguments.
    let Some(bytes) = read_bytes(db, a[1], now)? else {
        reply.int(0);
        return Ok(());
    };
    let range = match a.len() {
        2 => None,
        4 | 5 => {
            let start = args::int(a[2])?;
            let end = args::int(a[3])?;
            let in_bits = match a.get(4) {
                Some(u) => range_unit(u)?,
                None => false,
            };
            Some((start, end, in_bits))
        }
        _ => return Err(CmdError::Syntax),
    };
    reply.int(bits::count(&bytes, range) as i64);
    Ok(())
}

fn bitpos(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let bit = args::int(a[2])?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::msg("ERR The bit argument must be 1 or 0."));
    }
    let (db, reply, now) = ctx.db_and_reply();
    let Some(bytes) = read_bytes(db, a[1], now)? else {
        reply.int(if bit == 1 { -1 } else { 0 });
        return Ok(());
    };
    let range = match a.len() {
        3 => None,
        4..=6 => {
            let start = args::int(a[3])?;
            let in_bits = match a.get(5) {
                Some(u) => range_unit(u)?,
                None => false,
            };
            let end = match a.get(4) {
                Some(e) => Some(args::int(e)?),
                None => None,
            };
            Some((start, end, in_bits))
        }
        _ => return Err(CmdError::Syntax),
    };
    reply.int(bits::position(&bytes, bit == 1, range));
    Ok(())
}

fn bitop(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let op = if is(a[1], "and") {
        bits::BitOp::And
    } else if is(a[1], "or") {
        bits::BitOp::Or
    } else if is(a[1], "xor") {
        bits::BitOp::Xor
    } else if is(a[1], "not") {
        bits::BitOp::Not
    } else {
        return Err(CmdError::Syntax);
    };
    if op == bits::BitOp::Not && a.len() != 4 {
        return Err(CmdError::msg(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let (db, _, now) = ctx.db_and_reply();
    let mut sources = Vec::with_capacity(a.len() - 3);
    for key in &a[3..] {
        sources.push(read_bytes(db, key, now)?.unwrap_or_default());
    }
    let result = bits::bitop(op, &sources);
    let len = result.len();
    if result.is_empty() {
        if db.delete(a[2]) {
            ctx.notify(notify::GENERIC, "del", a[2]);
        }
    } else {
        db.set(a[2], Value::Str(Str::Raw(Box::new(result))), false, now);
        ctx.notify(notify::STRING, "set", a[2]);
    }
    ctx.reply().int(len as i64);
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum FieldOp {
    Get,
    Set(i64),
    IncrBy(i64),
}

#[derive(Debug, Clone, Copy)]
struct Field {
    op: FieldOp,
    signed: bool,
    bits: u32,
    offset: u64,
    overflow: Overflow,
}

/// `i1`..`i64` or `u1`..`u63`.
fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let err = || {
        CmdError::msg(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let signed = match arg.first() {
        Some(b'i' | b'I') => true,
        Some(b'u' | b'U') => false,
        _ => return Err(err()),
    };
    // Redis reads the width as a C string: a NUL ends it.
    let rest = &arg[1..];
    let rest = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
    let n = parse_i64(rest).ok_or_else(err)?;
    if n < 1 || (signed && n > 64) || (!signed && n > 63) {
        return Err(err());
    }
    Ok((signed, n as u32))
}

fn parse_fields(ctx: &Ctx, a: &[&[u8]]) -> Result<Vec<Field>, CmdError> {
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < a.len() {
        let remaining = a.len() - j - 1;
        let sub = a[j];
        let kind = if is(sub, "get") && remaining >= 2 {
            0
        } else if is(sub, "set") && remaining >= 3 {
            1
        } else if is(sub, "incrby") && remaining >= 3 {
            2
        } else if is(sub, "overflow") && remaining >= 1 {
            let t = a[j + 1];
            overflow = if is(t, "wrap") {
                Overflow::Wrap
            } else if is(t, "sat") {
                Overflow::Sat
            } else if is(t, "fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::msg("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = field_type(a[j + 1])?;
        let offset = bit_offset(ctx, a[j + 2], Some(bits))?;
        let op = match kind {
            0 => FieldOp::Get,
            1 => FieldOp::Set(args::int(a[j + 3])?),
            _ => FieldOp::IncrBy(args::int(a[j + 3])?),
        };
        fields.push(Field {
            op,
            signed,
            bits,
            offset,
            overflow,
        });
        j += if kind == 0 { 3 } else { 4 };
    }
    Ok(fields)
}

fn bitfield_generic(ctx: &mut Ctx, a: &[&[u8]], readonly_cmd: bool) -> CmdResult {
    let fields = parse_fields(ctx, a)?;
    let writes = fields.iter().any(|f| !matches!(f.op, FieldOp::Get));
    if writes && readonly_cmd {
        return Err(CmdError::msg(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let (db, reply, now) = ctx.db_and_reply();
    if !writes {
        let bytes = read_bytes(db, a[1], now)?.unwrap_or_default();
        reply.array(fields.len());
        for f in &fields {
            reply.int(bits::field_get(&bytes, f.offset, f.bits, f.signed));
        }
        return Ok(());
    }
    let max_bit = fields
        .iter()
        .filter(|f| !matches!(f.op, FieldOp::Get))
        .map(|f| f.offset + f.bits as u64 - 1)
        .max()
        .unwrap_or(0);
    let (v, dirty) = string_for_bits(db, a[1], max_bit, now)?;
    reply.array(fields.len());
    // Writes that changed the string (Redis's `changes`): every successful write when the
    // string was created or grew, else those that changed their field.
    let mut changes = 0;
    for f in &fields {
        let before = bits::field_get(v, f.offset, f.bits, f.signed);
        let outcome = match f.op {
            FieldOp::Get => Some(before),
            FieldOp::Set(n) => bits::field_set(v, f.offset, f.bits, f.signed, n, f.overflow),
            FieldOp::IncrBy(n) => bits::field_incr(v, f.offset, f.bits, f.signed, n, f.overflow),
        };
        if !matches!(f.op, FieldOp::Get)
            && outcome.is_some()
            && (dirty || bits::field_get(v, f.offset, f.bits, f.signed) != before)
        {
            changes += 1;
        }
        match outcome {
            Some(n) => reply.int(n),
            None => reply.null(),
        }
    }
    if changes > 0 {
        db.touch(a[1]);
        ctx.notify(notify::STRING, "setbit", a[1]);
    }
    Ok(())
}

fn bitfield(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    bitfield_generic(ctx, a, false)
}

fn bitfield_ro(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    bitfield_generic(ctx, a, true)
}
