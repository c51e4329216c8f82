//! A training run on disk: a [`Trainer`] plus its output directory (CSV log, PNG curves,
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
    /// A fresh run writing to `out` (created once the learner is built, so that a run
    /// that cannot start leaves no directory behind). A sweep (`config.sweep`) gives agent
    /// a setting a mod n.
    pub fn start(
        gpu: &Gpu,
        env_id: &str,
        agents: u32,
        config: TrainConfig,
        out: &Path,
    ) -> Result<Run> {
        let settings = config.settings();
        if (agents as usize) < settings {
            return Err(Error::invalid(
                "--agents",
                format!("{agents} is fewer than the sweep's {settings} settings"),
            ));
        }
        let env = crate::make(env_id)?;
        let mut trainer = Trainer::new(gpu, env, agents, config)?;
        if settings > 1 {
            let c = trainer.config().clone();
            let objective = trainer.objective();
            let rows: Vec<f32> = (0..agents as usize)
                .flat_map(|a| objective.row(&c.setting(a % settings)))
                .collect();
            trainer.set_objective(&rows)?;
        }
        create_dir(out)?;
        let config_toml = trainer.config().run_toml(env_id, agents);
        crate::files::write_atomically(&out.join(CONFIG), config_toml.as_bytes())?;
        let run = Run {
            trainer,
            env_id: env_id.to_string(),
            out: out.to_path_buf(),
            history: Vec::new(),
            started: Instant::now(),
            seconds_before: 0.0,
        };
        run.write_log()?;
        Ok(run)
    }

    /// Continue the run whose checkpoint is in `out`, exactly where it stopped. `updates`
    /// may extend the run. The log is rewritten from the checkpoint: rows logged after it
    /// are logged again, identically, as the run repeats those updates.
    pub fn resume(gpu: &Gpu, out: &Path, updates: Option<u32>) -> Result<Run> {
        let checkpoint = Checkpoint::load(&out.join(CHECKPOINT))?;
        let env: Arc<dyn crate::Env> = crate::make(&checkpoint.env)?;
        let mut config = checkpoint.config.clone();
        let done = checkpoint.snapshot.progress.update;
        config.updates = resumed_length("--updates", updates, done, config.updates)?;
        let mut trainer = Trainer::new(gpu, env, checkpoint.agents, config)?;
        trainer.restore(&checkpoint.snapshot)?;
        let seconds_before = checkpoint.history.last().map_or(0.0, |r| r.seconds);
        let run = Run {
            trainer,
            env_id: checkpoint.env,
            out: out.to_path_buf(),
            history: checkpoint.history,
            started: Instant::now(),
            seconds_before,
        };
        run.write_log()?;
        Ok(run)
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

    /// Whether any logged episode has succeeded: the env reports success, and its rate
    /// is worth showing.
    pub fn reports_success(&self) -> bool {
        self.history.iter().any(|r| r.successes > 0.0)
    }

    /// One update; logs when due (returning the row, appended to the CSV at once) and
    /// checkpoints when due or when `checkpoint` asks (e.g. before stopping).
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
        let settings = c.settings();
        let steps_per_agent = update as u64 * c.samples() as u64;
        let early = (update as u64 * c.steps as u64) < self.trainer.env().spec().max_steps as u64;
        // Reading the statistics also checks them: a divergent update is an error before
        // anything of it reaches a checkpoint.
        let stats: Vec<AgentStats> = self.trainer.stats()?;
        let seconds = self.seconds_before + self.started.elapsed().as_secs_f64();
        let mut row = LogRow::new(update, steps_per_agent, seconds, &stats, settings);
        row.early = early;
        row.tuned = self.trainer.tuned_hyperparameters()?;
        if self.history.is_empty() && !row.tuned.is_empty() {
            // The header names the tuned hyperparameters, known from the first row.
            self.history.push(row.clone());
            self.write_log()?;
        } else {
            self.history.push(row.clone());
            report::append_csv(&self.out.join(LOG), &row)?;
        }
        if checkpoint_due {
            self.save()?;
        }
        Ok(Some(row))
    }

    fn write_log(&self) -> Result<()> {
        let labels = self.trainer.config().setting_labels();
        report::write_csv(&self.out.join(LOG), &labels, &self.history)
    }

    /// The curves' title, e.g. "FourRooms-misc - PPO, 4 agents".
    fn title(&self) -> String {
        let c = self.trainer.config();
        let agents = self.trainer.agents();
        let algo = format!("{:?}", c.algo).to_uppercase();
        let plural = if agents == 1 { "" } else { "s" };
        let sweep = match c.settings() {
            1 => String::new(),
            n => format!(", a sweep of {n} settings (agent a: setting a mod {n})"),
        };
        format!("{} - {algo}, {agents} agent{plural}{sweep}", self.env_id)
    }

    /// Write the checkpoint and the curves.
    pub fn save(&self) -> Result<()> {
        let checkpoint = Checkpoint {
            env: self.env_id.clone(),
            agents: self.trainer.agents(),
            config: self.trainer.config().clone(),
            history: self.history.clone(),
            snapshot: self.trainer.snapshot()?,
        };
        checkpoint.save(&self.out.join(CHECKPOINT))?;
        let labels = self.trainer.config().setting_labels();
        report::write_curve(
            &self.out.join(CURVE),
            &self.title(),
            &self.history,
            self.reports_success(),
            &labels,
        )?;
        let title = format!("{} - meta-gradient, mean over agents", self.env_id);
        let points: Vec<(f64, &[(String, f32)])> = self
            .history
            .iter()
            .map(|r| (r.agent_env_steps as f64, &r.tuned[..]))
            .collect();
        let start = meta_gradient::starting_values(self.trainer.config());
        report::write_tuned_curve(
            &self.out.join(TUNED_CURVE),
            &title,
            "env-steps per agent",
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
