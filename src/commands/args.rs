//! Typed argument parsing shared by the command families, with Redis's error for each.

use super::error::CmdError;
use crate::util::numbers::{parse_f64, parse_i64, parse_long_double_ok};

/// An integer argument (`ERR value is not an integer or out of range`).
pub fn int(arg: &[u8]) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or(CmdError::NotInteger)
}

/// A float argument (`ERR value is not a valid float`).
pub fn float(arg: &[u8]) -> Result<f64, CmdError> {
    parse_f64(arg).ok_or(CmdError::NotFloat)
}

/// Case-insensitive keyword comparison.
pub fn is(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

/// An integer that must be >= 0, with Redis's message naming the argument, e.g.
/// `ERR timeout is negative`.
pub fn non_negative(arg: &[u8], what: &str) -> Result<i64, CmdError> {
    let n = int(arg)?;
    if n < 0 {
        return Err(CmdError::msg(format!("ERR {what} is negative")));
    }
    Ok(n)
}

/// Unit of an expire argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Millis,
}

/// Deadline in unix ms for SET/GETEX/SETEX-style options (Redis's
/// `getExpireMillisecondsOrReply`): the value must be > 0, and relative values are added to
/// `now`. Any overflow is an invalid expire time for `cmd`.
pub fn expire_deadline(
    arg: &[u8],
    unit: TimeUnit,
    relative: bool,
    now: i64,
    cmd: &'static str,
) -> Result<i64, CmdError> {
    let v = int(arg)?;
    let invalid = CmdError::InvalidExpireTime(cmd);
    if v <= 0 {
        return Err(invalid);
    }
    let ms = match unit {
        TimeUnit::Seconds => v.checked_mul(1000).ok_or(invalid.clone())?,
        TimeUnit::Millis => v,
    };
    let when = if relative {
        ms.checked_add(now).ok_or(invalid.clone())?
    } else {
        ms
    };
    if when <= 0 {
        return Err(invalid);
    }
    Ok(when)
}

/// A blocking command's timeout (float seconds, Redis's `getTimeoutFromObjectOrReply`) as
/// a deadline in unix ms; 0 means wait forever (`None`).
pub fn timeout_deadline(arg: &[u8], now: i64) -> Result<Option<i64>, CmdError> {
    let negative = || CmdError::msg("ERR timeout is negative");
    let Some(secs) = parse_f64(arg) else {
        // Redis parses a long double: `1e400` is valid there, and its conversion to
        // milliseconds overflows to a negative number.
        return Err(match parse_long_double_ok(arg) {
            Some(_) => negative(),
            None => CmdError::msg("ERR timeout is not a float or out of range"),
        });
    };
    // Redis truncates to whole milliseconds first (`-0.0001` is 0: wait forever); a value
    // past the range of long long converts to LLONG_MIN on x86 (`inf`: negative).
    let ms = (secs * 1000.0).trunc();
    if !(0.0..9_223_372_036_854_775_808.0).contains(&ms) {
        return Err(negative());
    }
    let ms = ms as i64;
    if ms == 0 {
        return Ok(None);
    }
    Ok(Some(now.saturating_add(ms)))
}

/// A database index (SELECT, MOVE, COPY ... DB): an `int` as Redis's
/// `getIntFromObjectOrReply` reads it, then within `databases`.
pub fn db_index(arg: &[u8], databases: usize) -> Result<usize, CmdError> {
    let id = int(arg)?;
    if id < i32::MIN as i64 || id > i32::MAX as i64 {
        return Err(CmdError::msg(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    if id < 0 || id as usize >= databases {
        return Err(CmdError::DbIndexOutOfRange);
    }
    Ok(id as usize)
}
