//! A base file made of commands (`aof-use-rdb-preamble no`): the dataset written as the
//! commands that rebuild it, as Redis's rewriteAppendOnlyFileRio.

use std::path::Path;

use crate::server::ServerState;

/// Write the command form of the dataset to `tmp`, fsync, rename to `path`.
pub fn write_file(_srv: &ServerState, _path: &Path, _tmp: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "a base file of commands (aof-use-rdb-preamble no) is not implemented",
    ))
}
