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

/// An output file the command will write at its end: an error now, naming `option`, if
/// `path` is a directory or its directory does not exist.
pub fn check_output_file(option: &str, path: &Path) -> Result<()> {
    if path.is_dir() {
        return Err(Error::invalid(
            option,
            format!("{} is a directory; give a file name", path.display()),
        ));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = parent.filter(|d| !d.is_dir()) {
        return Err(Error::invalid(
            option,
            format!(
                "{}: the directory {} does not exist",
                path.display(),
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// A resumed run's new length: `given` (`option` on the command line) if any, which may
/// extend the run but not cut what is `done`; else `planned`.
pub fn resumed_length(option: &str, given: Option<u32>, done: u32, planned: u32) -> Result<u32> {
    match given {
        Some(n) if n < done => Err(Error::invalid(
            option,
            format!("{n} is fewer than the {done} already done"),
        )),
        Some(n) => Ok(n),
        None => Ok(planned),
    }
}

/// A checkpoint file: 8 magic bytes, a little-endian u32 format version, a u32 header
/// length, the JSON header (an object, with a `blobs` list of names and lengths added),
/// the blobs in order, then a checksum of everything before it ([`checksum`], u64).
/// Written atomically.
pub fn write_container(
    path: &Path,
    magic: &[u8; 8],
    version: u32,
    header: serde_json::Value,
    blobs: &[(&str, &[u8])],
) -> Result<()> {
    let mut header = header;
    let index: Vec<(String, u64)> = blobs
        .iter()
        .map(|(n, b)| (n.to_string(), b.len() as u64))
        .collect();
    header["blobs"] = serde_json::to_value(index).expect("names and lengths serialise");
    let json = serde_json::to_vec(&header).expect("a JSON value serialises");
    let total = 16 + json.len() + blobs.iter().map(|b| b.1.len()).sum::<usize>() + 8;
    let mut bytes = Vec::with_capacity(total);
    bytes.extend_from_slice(magic);
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&json);
    for (_, blob) in blobs {
        bytes.extend_from_slice(blob);
    }
    bytes.extend_from_slice(&checksum(&bytes).to_le_bytes());
    write_atomically(path, &bytes)
}

/// The magic bytes of wgym's container files and what reads each, so that a file handed to
/// the wrong command is named (the owners: learn/checkpoint.rs, es/run.rs, meta/run.rs).
const CONTAINERS: [(&[u8; 8], &str); 3] = [
    (
        b"WGYMCKPT",
        "a `wgym train` checkpoint (read by eval, render and train --resume)",
    ),
    (b"WGYMESRN", "a `wgym es` checkpoint (read by es --resume)"),
    (
        b"WGYMMETA",
        "a `wgym meta-train` checkpoint (read by meta-eval and meta-train --resume)",
    ),
];

/// FNV-1a (64-bit) of `bytes`. Each step is a bijection of the running state, so any one
/// changed byte changes the result; other damage goes unnoticed with odds of 2^-64.
pub fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Read a file written by [`write_container`]: its header and its blobs by name. A file
/// whose checksum does not match, or with bytes after its last blob, is an error. A file
/// of format `version - 1` (the same layout, written before checksums) loads with a
/// warning on stderr that it cannot be verified.
pub fn read_container(
    path: &Path,
    magic: &[u8; 8],
    version: u32,
    what: &str,
) -> Result<(
    serde_json::Value,
    std::collections::HashMap<String, Vec<u8>>,
)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let bad = |why: &str| Error::invalid(format!("{what} {}", path.display()), why.to_string());
    if bytes.len() < 16 || &bytes[..8] != magic {
        let other = CONTAINERS.iter().find(|(m, _)| bytes.starts_with(*m));
        return Err(match other {
            Some((_, kind)) => bad(&format!("it is {kind}, not a {what}")),
            None => bad(&format!("not a wgym {what}")),
        });
    }
    let found = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    let body = if found == version {
        let (body, sum) = bytes.split_at(bytes.len().saturating_sub(8).max(16));
        let stored = sum.try_into().ok().map(u64::from_le_bytes);
        if stored != Some(checksum(body)) {
            return Err(bad(
                "it is damaged: its checksum does not match its contents (bytes changed or \
                 added since it was written); use another checkpoint or start the run again",
            ));
        }
        body
    } else if found + 1 == version {
        eprintln!(
            "warning: {what} {} was written by an older wgym without a checksum: it cannot be \
             verified",
            path.display()
        );
        &bytes[..]
    } else {
        return Err(bad(&format!(
            "format version {found}, this wgym reads {version} (and {} without a checksum)",
            version - 1
        )));
    };
    let len = u32::from_le_bytes(body[12..16].try_into().expect("4 bytes")) as usize;
    let header: serde_json::Value = body
        .get(16..16 + len)
        .and_then(|h| serde_json::from_slice(h).ok())
        .ok_or_else(|| bad("its header is damaged"))?;
    let index: Vec<(String, u64)> = header
        .get("blobs")
        .and_then(|b| serde_json::from_value(b.clone()).ok())
        .ok_or_else(|| bad("its header is damaged"))?;
    let mut at = 16 + len;
    let mut blobs = std::collections::HashMap::new();
    for (name, size) in index {
        let data = at
            .checked_add(size as usize)
            .and_then(|end| body.get(at..end))
            .ok_or_else(|| bad("it is truncated"))?;
        blobs.insert(name, data.to_vec());
        at += size as usize;
    }
    if at != body.len() {
        return Err(bad(&format!(
            "it has {} bytes after its last section (appended or damaged)",
            body.len() - at
        )));
    }
    Ok((header, blobs))
}
