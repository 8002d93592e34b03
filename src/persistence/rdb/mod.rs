//! RDB snapshots and DUMP payloads, in Redis 7.0's format (version 10).
//!
//! - [`format`]: type codes, opcodes and the primitive encodings, with the checksummed
//!   [`format::Writer`] and [`format::Reader`].
//! - [`save`]: a snapshot of all databases, and one value.
//! - [`load`]: the reverse, accepting every encoding Redis writes or wrote.
//! - [`legacy`]: ziplist and zipmap decoders for older files.
//!
//! This module adds the file handling: a snapshot is written to a temporary file in the
//! same directory, fsynced, then renamed over the target (and the directory fsynced), so a
//! crash leaves either the old file or the new one, never a torn one. Loading never
//! modifies the file.

pub mod format;
pub mod legacy;
pub mod load;
pub mod save;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::crc64::crc64;
use crate::storage::Db;
use crate::storage::value::Value;
use format::{RDB_VERSION, Reader, Writer};
pub use load::{Limits, LoadOptions, LoadOutcome};
pub use save::{Aux, SnapshotOptions};

/// A failed load: which file, where in it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub path: String,
    pub offset: u64,
    pub msg: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Error loading RDB file '{}' at offset {}: {}",
            self.path, self.offset, self.msg
        )
    }
}

/// Fsync every this many bytes while writing (`rdb-save-incremental-fsync`, Redis's
/// REDIS_AUTOSYNC_BYTES), so the final fsync has little left to flush.
pub(crate) const AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;

/// A file that fsyncs as it goes when asked to (also the AOF rewrite's sink).
pub(crate) struct SyncingFile {
    pub(crate) file: File,
    autosync: bool,
    unsynced: u64,
}

impl SyncingFile {
    pub(crate) fn new(file: File, autosync: bool) -> SyncingFile {
        SyncingFile {
            file,
            autosync,
            unsynced: 0,
        }
    }
}

impl Write for SyncingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.unsynced += n as u64;
        if self.autosync && self.unsynced >= AUTOSYNC_BYTES {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// File-level choices for [`save_file`].
#[derive(Debug, Clone, Copy)]
pub struct FileOptions {
    pub compress: bool,
    pub checksum: bool,
    pub incremental_fsync: bool,
}

/// Which step of [`save_file`] failed.
#[derive(Debug)]
pub enum SaveError {
    /// Creating the temporary file.
    Open(io::Error),
    /// Writing or syncing it.
    Write(io::Error),
    /// Renaming it over the target.
    Rename(io::Error),
}

/// Write a snapshot to `tmp`, fsync it, and rename it to `path`. Returns the number of
/// keys and the file size. On error the temporary file is removed and `path` untouched.
pub fn save_file(
    path: &Path,
    tmp: &Path,
    dbs: &[Db],
    functions: &[&[u8]],
    aux: &Aux,
    snap: &SnapshotOptions,
    fo: &FileOptions,
) -> Result<(u64, u64), SaveError> {
    let file = File::create(tmp).map_err(SaveError::Open)?;
    let written = (|| {
        let sink = SyncingFile {
            file,
            autosync: fo.incremental_fsync,
            unsynced: 0,
        };
        let mut w = Writer::new(
            BufWriter::with_capacity(1 << 16, sink),
            fo.compress,
            fo.checksum,
        );
        let keys = save::write_snapshot(&mut w, dbs, functions, aux, snap)?;
        let size = w.bytes_written();
        let sink = w.into_inner().into_inner().map_err(|e| e.into_error())?;
        sink.file.sync_all()?;
        Ok((keys, size))
    })();
    let result = written.map_err(SaveError::Write).and_then(|r| {
        std::fs::rename(tmp, path).map_err(SaveError::Rename)?;
        Ok(r)
    });
    match result {
        Ok(r) => {
            // Make the rename itself durable.
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(r)
        }
        Err(e) => {
            let _ = std::fs::remove_file(tmp);
            Err(e)
        }
    }
}

/// Load the snapshot at `path` into `dbs`.
pub fn load_file(
    path: &Path,
    dbs: &mut [Db],
    opts: &LoadOptions,
) -> Result<LoadOutcome, LoadError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| LoadError {
        path: name.clone(),
        offset: 0,
        msg: e.to_string(),
    })?;
    let mut r = Reader::new(file);
    load::load_snapshot(&mut r, dbs, opts).map_err(|e| LoadError {
        path: name,
        offset: e.offset,
        msg: e.msg,
    })
}

/// DUMP's payload: the value's type and body, the RDB version (u16 LE), and the CRC-64
/// (LE) of everything before it.
pub fn dump(v: &Value, compress: bool) -> io::Result<Vec<u8>> {
    let mut w = Writer::new(Vec::new(), compress, false);
    save::write_value(&mut w, v)?;
    let mut out = w.into_inner();
    out.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// verifyDumpPayload: a known version and (unless `skip_checksum`) a matching CRC.
pub fn verify_payload(p: &[u8], skip_checksum: bool) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version as u32 > RDB_VERSION {
        return false;
    }
    if skip_checksum {
        return true;
    }
    let crc = crc64(0, &p[..p.len() - 8]);
    crc.to_le_bytes() == footer[2..10]
}

/// The value of a DUMP payload already checked by [`verify_payload`]. `Err` when the body
/// is malformed or has bytes left over; `Ok(None)` for an empty collection.
pub fn restore(p: &[u8], limits: &Limits) -> Result<Option<Value>, format::FormatError> {
    let body = &p[..p.len().saturating_sub(10)];
    let mut r = Reader::new(body);
    let t = r.u8()?;
    if !load::is_object_type(t) {
        return r.error("Bad data format");
    }
    let v = load::load_value(&mut r, t, limits)?;
    if !r.at_end() {
        return r.error("Bad data format");
    }
    Ok(v)
}
