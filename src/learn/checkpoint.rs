//! Checkpoints: everything a run needs to continue bit-identically (weights, Adam
//! moments, env states and statistics, objective rows and meta-gradient state, counters,
//! config, log history) in one file,
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
use crate::files::{read_container, write_container};

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
        let blobs: [(&str, &[u8]); 7] = [
            ("weights", &s.weights),
            ("adam_m", &s.adam_m),
            ("adam_v", &s.adam_v),
            ("env_stats", &s.env_stats),
            ("env_states", &s.env_states),
            ("objective", &s.objective),
            ("meta_gradient", &s.meta_gradient),
        ];
        write_container(path, MAGIC, VERSION, header, &blobs)
    }

    pub fn load(path: &Path) -> Result<Checkpoint> {
        let (header, mut blobs) = read_container(path, MAGIC, VERSION, "checkpoint")?;
        let bad = |why: String| Error::invalid(format!("checkpoint {}", path.display()), why);
        let header: Header =
            serde_json::from_value(header).map_err(|e| bad(format!("its header: {e}")))?;
        let mut blob = |name: &str| {
            blobs
                .remove(name)
                .ok_or_else(|| bad(format!("it has no {name}")))
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
            // Absent from checkpoints written before hyperparameters could change in a run.
            objective: blobs.remove("objective").unwrap_or_default(),
            meta_gradient: blobs.remove("meta_gradient").unwrap_or_default(),
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
