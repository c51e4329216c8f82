//! Checkpoints: everything a run needs to continue bit-identically (weights, Adam
//! moments, env states and statistics, objective rows and meta-gradient state, counters,
//! config, log history) in one file, written atomically.
//!
//! Layout (`files::write_container`): `WGYMCKPT`, a little-endian u32 format version, a
//! u32 header length, the JSON header, the sections the header lists by name and length
//! (the trainer's parts name them, see `Trainer::snapshot`), then a checksum of the whole
//! file before it. Version 1 files (no checksum, the meta-gradient's buffers in one
//! `meta_gradient` section) still load, with a warning that they cannot be verified.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::config::TrainConfig;
use super::report::LogRow;
use super::trainer::{Progress, Snapshot};
use crate::error::{Error, Result};
use crate::files::{read_container, write_container};

const MAGIC: &[u8; 8] = b"WGYMCKPT";
/// 2: with a checksum (1, without, still loads).
const VERSION: u32 = 2;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Header {
    env: String,
    agents: u32,
    config: TrainConfig,
    update: u32,
    step_count: u32,
    history: Vec<LogRow>,
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
        let header = Header {
            env: self.env.clone(),
            agents: self.agents,
            config: self.config.clone(),
            update: s.progress.update,
            step_count: s.progress.step_count,
            history: self.history.clone(),
        };
        let header = serde_json::to_value(header).expect("a header always serialises");
        let blobs: Vec<(&str, &[u8])> = s
            .sections
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
            .collect();
        write_container(path, MAGIC, VERSION, header, &blobs)
    }

    pub fn load(path: &Path) -> Result<Checkpoint> {
        let (header, blobs) = read_container(path, MAGIC, VERSION, "checkpoint")?;
        let bad = |why: String| Error::invalid(format!("checkpoint {}", path.display()), why);
        let header: Header =
            serde_json::from_value(header).map_err(|e| bad(format!("its header: {e}")))?;
        let snapshot = Snapshot {
            progress: Progress {
                update: header.update,
                step_count: header.step_count,
            },
            sections: blobs.into_iter().collect(),
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
