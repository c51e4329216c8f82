//! Writing output files so that a crash never leaves a half-written one.

use std::path::Path;

use crate::error::{Error, Result};

/// Write `bytes` to a temporary file next to `path`, then rename it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
