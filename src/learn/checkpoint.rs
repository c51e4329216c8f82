//! Checkpoints: everything a run needs to continue bit-identically (weights, Adam
//! moments, env states and statistics, counters, config, log history) in one file,
//! written atomically.
//!
//! Layout: `WGYMCKPT`, a little-endian u32 format version, a u32 header length, the JSON
//! header, then the blobs the header lists, in order.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::config::TrainConfig;
use super::report::LogRow;
use super::trainer::{Progress, Snapshot};
use crate::error::{Error, Result};
use crate::files::write_atomically;

const MAGIC: &[u8; 8] = b"WGYMCKPT";
const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Header {
    env: String,
    agents: u32,
    config: TrainConfig,
    update: u32,
    step_count: u32,
    history: Vec<LogRow>,
    blobs: Vec<(String, u64)>,
}

/// A run's state as stored on disk.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub env: String,
    pub agents: u32,
    pub config: TrainConfig,
    pub history: Vec<LogRow>,
    pub snapshot: Snapshot,
}

impl Checkpoint {
    pub fn save(&self, path: &Path) -> Result<()> {
        let s = &self.snapshot;
        let blobs = [
            ("weights", &s.weights),
            ("adam_m", &s.adam_m),
            ("adam_v", &s.adam_v),
            ("env_stats", &s.env_stats),
            ("env_states", &s.env_states),
        ];
        let header = Header {
            env: self.env.clone(),
            agents: self.agents,
            config: self.config.clone(),
            update: s.progress.update,
            step_count: s.progress.step_count,
            history: self.history.clone(),
            blobs: blobs
                .iter()
                .map(|(n, b)| (n.to_string(), b.len() as u64))
                .collect(),
        };
        let json = serde_json::to_vec(&header).expect("a header always serialises");
        let mut bytes =
            Vec::with_capacity(16 + json.len() + blobs.iter().map(|b| b.1.len()).sum::<usize>());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&json);
        for (_, blob) in blobs {
            bytes.extend_from_slice(blob);
        }
        write_atomically(path, &bytes)
    }

    pub fn load(path: &Path) -> Result<Checkpoint> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let bad =
            |why: &str| Error::invalid(format!("checkpoint {}", path.display()), why.to_string());
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(bad("not a wgym checkpoint"));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
        if version != VERSION {
            return Err(bad(&format!(
                "format version {version}, this wgym reads {VERSION}"
            )));
        }
        let len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let header: Header = bytes
            .get(16..16 + len)
            .and_then(|h| serde_json::from_slice(h).ok())
            .ok_or_else(|| bad("its header is damaged"))?;
        let mut at = 16 + len;
        let mut blob = |name: &str| -> Result<Vec<u8>> {
            let &(_, size) = header
                .blobs
                .iter()
                .find(|(n, _)| n == name)
                .ok_or_else(|| bad(&format!("it has no {name}")))?;
            let data = bytes
                .get(at..at + size as usize)
                .ok_or_else(|| bad("it is truncated"))?
                .to_vec();
            at += size as usize;
            Ok(data)
        };
        let snapshot = Snapshot {
            progress: Progress {
                update: header.update,
                step_count: header.step_count,
            },
            weights: blob("weights")?,
            adam_m: blob("adam_m")?,
            adam_v: blob("adam_v")?,
            env_stats: blob("env_stats")?,
            env_states: blob("env_states")?,
        };
        Ok(Checkpoint {
            env: header.env,
            agents: header.agents,
            config: header.config,
            history: header.history,
            snapshot,
        })
    }
}
