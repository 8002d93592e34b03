//! The server log, in Redis's line format (`pid:M dd Mon yyyy hh:mm:ss.mmm * message`), to
//! stdout or to `logfile`, filtered by `loglevel`.

use std::fs::OpenOptions;
use std::io::Write;

use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Verbose,
    Notice,
    Warning,
    Nothing,
}

impl Level {
    pub fn parse(s: &str) -> Level {
        match s.to_ascii_lowercase().as_str() {
            "debug" => Level::Debug,
            "verbose" => Level::Verbose,
            "warning" => Level::Warning,
            "nothing" => Level::Nothing,
            _ => Level::Notice,
        }
    }

    fn mark(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning | Level::Nothing => '#',
        }
    }
}

#[derive(Debug, Clone)]
pub struct Logger {
    pub level: Level,
    pub file: String,
}

impl Logger {
    pub fn from_config(config: &Config) -> Logger {
        Logger {
            level: Level::parse(config.loglevel.as_str()),
            file: config.logfile.clone(),
        }
    }

    pub fn log(&self, level: Level, msg: &str) {
        if level < self.level || self.level == Level::Nothing {
            return;
        }
        let line = format!(
            "{}:M {} {} {}\n",
            std::process::id(),
            timestamp(),
            level.mark(),
            msg
        );
        if self.file.is_empty() {
            let _ = std::io::stdout().write_all(line.as_bytes());
        } else if let Ok(mut f) = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
        {
            let _ = f.write_all(line.as_bytes());
        }
    }

    /// A line from a forked child (role `C`). It never takes stdout's lock: another thread
    /// of the parent may have held it at the fork, and it would never be released.
    pub fn log_child(&self, level: Level, msg: &str) {
        if level < self.level || self.level == Level::Nothing {
            return;
        }
        let line = format!(
            "{}:C {} {} {}\n",
            std::process::id(),
            timestamp(),
            level.mark(),
            msg
        );
        if self.file.is_empty() {
            // SAFETY: writes our own buffer to fd 1; a short or failed write only loses
            // the log line.
            unsafe {
                libc::write(1, line.as_ptr().cast(), line.len());
            }
        } else if let Ok(mut f) = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
        {
            let _ = f.write_all(line.as_bytes());
        }
    }

    pub fn notice(&self, msg: &str) {
        self.log(Level::Notice, msg)
    }

    pub fn warning(&self, msg: &str) {
        self.log(Level::Warning, msg)
    }

    pub fn verbose(&self, msg: &str) {
        self.log(Level::Verbose, msg)
    }
}

/// `25 Nov 2026 00:39:31.123` in UTC, without pulling in a date crate.
fn timestamp() -> String {
    let ms = super::unix_ms();
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86400);
    let tod = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        d,
        MONTHS[(m - 1) as usize % 12],
        y,
        tod / 3600,
        tod / 60 % 60,
        tod % 60,
        ms.rem_euclid(1000)
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_417), (2025, 11, 25));
    }
}
