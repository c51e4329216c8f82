//! A training run on disk: a [`Trainer`] plus its output directory (CSV log, SVG curve,
//! checkpoint), started fresh or resumed from the checkpoint.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::checkpoint::Checkpoint;
use super::config::TrainConfig;
use super::meta_gradient;
use super::report::{self, LogRow};
use super::trainer::{AgentStats, Trainer};
use crate::error::{Error, Result};
use crate::files::resumed_length;
use crate::gpu::Gpu;

pub const CHECKPOINT: &str = "checkpoint.bin";
pub const LOG: &str = "log.csv";
pub const CURVE: &str = "curve.png";
/// Written when a meta-gradient tunes hyperparameters.
pub const TUNED_CURVE: &str = "hyperparameters.png";
pub const CONFIG: &str = "config.toml";

pub struct Run {
    pub trainer: Trainer,
    env_id: String,
    out: PathBuf,
    history: Vec<LogRow>,
    started: Instant,
    /// Seconds of earlier sessions of a resumed run.
    seconds_before: f64,
}

impl Run {
    /// A fresh run writing to `out` (created if missing).
    pub fn start(
        gpu: &Gpu,
        env_id: &str,
        agents: u32,
        config: TrainConfig,
        out: &Path,
    ) -> Result<Run> {
        let env = crate::make(env_id)?;
        create_dir(out)?;
        let trainer = Trainer::new(gpu, env, agents, config)?;
        crate::files::write_atomically(&out.join(CONFIG), trainer.config().to_toml().as_bytes())?;
        Ok(Run {
            trainer,
            env_id: env_id.to_string(),
            out: out.to_path_buf(),
            history: Vec::new(),
            started: Instant::now(),
            seconds_before: 0.0,
        })
    }

    /// Continue the run whose checkpoint is in `out`, exactly where it stopped. `updates`
    /// may extend the run.
    pub fn resume(gpu: &Gpu, out: &Path, updates: Option<u32>) -> Result<Run> {
        let checkpoint = Checkpoint::load(&out.join(CHECKPOINT))?;
        let env: Arc<dyn crate::Env> = crate::make(&checkpoint.env)?;
        let mut config = checkpoint.config.clone();
        let done = checkpoint.snapshot.progress.update;
        config.updates = resumed_length("--updates", updates, done, config.updates)?;
        let mut trainer = Trainer::new(gpu, env, checkpoint.agents, config)?;
        trainer.restore(&checkpoint.snapshot)?;
        let seconds_before = checkpoint.history.last().map_or(0.0, |r| r.seconds);
        Ok(Run {
            trainer,
            env_id: checkpoint.env,
            out: out.to_path_buf(),
            history: checkpoint.history,
            started: Instant::now(),
            seconds_before,
        })
    }

    pub fn env_id(&self) -> &str {
        &self.env_id
    }
    pub fn history(&self) -> &[LogRow] {
        &self.history
    }
    pub fn done(&self) -> bool {
        self.trainer.progress().update >= self.trainer.config().updates
    }

    /// One update; logs when due (returning the row) and checkpoints when due or when
    /// `checkpoint` asks (e.g. before stopping).
    pub fn step(&mut self, checkpoint: bool) -> Result<Option<LogRow>> {
        self.trainer.update()?;
        let c = self.trainer.config();
        let update = self.trainer.progress().update;
        let checkpoint_due = checkpoint
            || self.done()
            || (c.checkpoint_every > 0 && update.is_multiple_of(c.checkpoint_every));
        let log_due = self.done() || update.is_multiple_of(c.log_every) || checkpoint_due;
        if !log_due {
            return Ok(None);
        }
        // Reading the statistics also checks them: a divergent update is an error before
        // anything of it reaches a checkpoint.
        let stats: Vec<AgentStats> = self.trainer.stats()?;
        let env_steps = update as u64 * self.trainer.steps_per_update();
        let seconds = self.seconds_before + self.started.elapsed().as_secs_f64();
        let mut row = LogRow::new(update, env_steps, seconds, &stats);
        row.tuned = self.trainer.tuned_hyperparameters()?;
        self.history.push(row.clone());
        if checkpoint_due {
            self.save()?;
        }
        Ok(Some(row))
    }

    /// Write the checkpoint, the CSV log and the curve.
    pub fn save(&self) -> Result<()> {
        let checkpoint = Checkpoint {
            env: self.env_id.clone(),
            agents: self.trainer.agents(),
            config: self.trainer.config().clone(),
            history: self.history.clone(),
            snapshot: self.trainer.snapshot()?,
        };
        checkpoint.save(&self.out.join(CHECKPOINT))?;
        report::write_csv(&self.out.join(LOG), &self.history)?;
        let title = format!(
            "{} - {} x {} agents",
            self.env_id,
            format!("{:?}", self.trainer.config().algo).to_uppercase(),
            self.trainer.agents()
        );
        report::write_curve(&self.out.join(CURVE), &title, &self.history)?;
        let title = format!("{} - meta-gradient, mean over agents", self.env_id);
        let points: Vec<(f64, &[(String, f32)])> = self
            .history
            .iter()
            .map(|r| (r.env_steps as f64, &r.tuned[..]))
            .collect();
        let start = meta_gradient::starting_values(self.trainer.config());
        report::write_tuned_curve(
            &self.out.join(TUNED_CURVE),
            &title,
            "env-steps",
            &start,
            &points,
        )
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.display().to_string(),
        source,
    })
}
