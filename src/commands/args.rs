//! Typed argument parsing shared by the command families, with Redis's error for each.

use super::error::CmdError;
use crate::util::numbers::{parse_f64, parse_i64};

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
    let bad = || CmdError::msg("ERR timeout is not a float or out of range");
    let secs = parse_f64(arg).ok_or_else(bad)?;
    if secs < 0.0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    let ms = secs * 1000.0;
    if !ms.is_finite() || ms > (i64::MAX / 2) as f64 {
        return Err(bad());
    }
    let ms = ms as i64;
    if ms == 0 {
        return Ok(None);
    }
    Ok(Some(now.saturating_add(ms)))
}
