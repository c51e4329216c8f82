//! A meta-training run on disk: a [`MetaTrainer`] and its output directory (config, CSV
//! log, PNG curve, the learned object, checkpoint), started fresh or resumed bit-identically
//! from the checkpoint.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::config::{Learn, MetaConfig, Method};
use super::learned::Learned;
use super::trainer::{GenerationLog, MetaSnapshot, MetaTrainer};
use crate::error::{Error, Result};
use crate::es::EsState;
use crate::files::{read_container, resumed_length, write_atomically, write_container};
use crate::gpu::Gpu;
use crate::plot::{Figure, Series, PALETTE};

pub const CHECKPOINT: &str = "checkpoint.bin";
pub const LOG: &str = "log.csv";
pub const CURVE: &str = "curve.png";
pub const CONFIG: &str = "config.toml";
pub const LEARNED: &str = "learned.toml";
/// Meta-gradients: the tuned hyperparameters against generations.
pub const TUNED_CURVE: &str = "hyperparameters.png";

const MAGIC: &[u8; 8] = b"WGYMMETA";
/// 2: with a checksum (1, without, still loads).
const VERSION: u32 = 2;

#[derive(Serialize, Deserialize)]
struct Header {
    env: String,
    config: MetaConfig,
    generation: u32,
    step_count: u32,
    env_steps: u64,
    history: Vec<GenerationLog>,
}

/// A meta-training run's checkpoint.
pub struct MetaCheckpoint {
    pub env: String,
    pub config: MetaConfig,
    pub history: Vec<GenerationLog>,
    pub snapshot: MetaSnapshot,
}

impl MetaCheckpoint {
    pub fn save(&self, path: &Path) -> Result<()> {
        let s = &self.snapshot;
        let header = Header {
            env: self.env.clone(),
            config: self.config.clone(),
            generation: s.generation,
            step_count: s.step_count,
            env_steps: s.env_steps,
            history: self.history.clone(),
        };
        let header = serde_json::to_value(header).expect("a header always serialises");
        let mut blobs = s.es.blobs();
        blobs.push((
            "meta_gradient",
            bytemuck::cast_slice(&s.meta_gradient).to_vec(),
        ));
        let blobs: Vec<(&str, &[u8])> = blobs.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        write_container(path, MAGIC, VERSION, header, &blobs)
    }

    pub fn load(path: &Path) -> Result<MetaCheckpoint> {
        let what = "meta-training checkpoint";
        let (header, mut blobs) = read_container(path, MAGIC, VERSION, what)?;
        let bad = |why: String| Error::invalid(format!("{what} {}", path.display()), why);
        let header: Header =
            serde_json::from_value(header).map_err(|e| bad(format!("its header: {e}")))?;
        let es = EsState::from_blobs(&mut blobs, |name| bad(format!("it has no {name}")))?;
        // Absent from checkpoints written before meta-gradients.
        let meta_gradient =
            bytemuck::pod_collect_to_vec(&blobs.remove("meta_gradient").unwrap_or_default());
        Ok(MetaCheckpoint {
            env: header.env,
            config: header.config,
            history: header.history,
            snapshot: MetaSnapshot {
                generation: header.generation,
                step_count: header.step_count,
                env_steps: header.env_steps,
                es,
                meta_gradient,
            },
        })
    }
}

pub struct MetaRun {
    pub meta: MetaTrainer,
    env_id: String,
    out: PathBuf,
    history: Vec<GenerationLog>,
    started: Instant,
    seconds_before: f64,
}

impl MetaRun {
    /// A fresh run of `config` writing to `out` (created if missing).
    pub fn start(gpu: &Gpu, config: MetaConfig, out: &Path) -> Result<MetaRun> {
        let env_id = config.env.clone();
        let env = crate::make(&env_id)?;
        // The directory only once the trainer is built: a run that cannot start leaves none.
        let meta = MetaTrainer::new(gpu, env, config)?;
        std::fs::create_dir_all(out).map_err(|source| Error::Io {
            path: out.display().to_string(),
            source,
        })?;
        write_atomically(&out.join(CONFIG), meta.config().to_toml().as_bytes())?;
        Ok(MetaRun {
            meta,
            env_id,
            out: out.to_path_buf(),
            history: Vec::new(),
            started: Instant::now(),
            seconds_before: 0.0,
        })
    }

    /// Continue the run in `out` where its checkpoint stopped; `generations` may extend it.
    pub fn resume(gpu: &Gpu, out: &Path, generations: Option<u32>) -> Result<MetaRun> {
        let checkpoint = MetaCheckpoint::load(&out.join(CHECKPOINT))?;
        let mut config = checkpoint.config.clone();
        let done = checkpoint.snapshot.generation;
        config.generations =
            resumed_length("--generations", generations, done, config.generations)?;
        let env = crate::make(&checkpoint.env)?;
        let mut meta = MetaTrainer::new(gpu, env, config)?;
        meta.restore(&checkpoint.snapshot)?;
        let seconds_before = checkpoint.history.last().map_or(0.0, |r| r.seconds);
        Ok(MetaRun {
            meta,
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
    pub fn history(&self) -> &[GenerationLog] {
        &self.history
    }
    pub fn done(&self) -> bool {
        self.meta.generation() >= self.meta.config().generations
    }

    /// One generation; logs when due (returning the row) and checkpoints when due or when
    /// `checkpoint` asks (e.g. before stopping).
    pub fn step(&mut self, checkpoint: bool) -> Result<Option<GenerationLog>> {
        self.meta.step()?;
        let c = self.meta.config();
        let g = self.meta.generation();
        let checkpoint_due = checkpoint
            || self.done()
            || (c.checkpoint_every > 0 && g.is_multiple_of(c.checkpoint_every));
        if !(checkpoint_due || self.done() || g.is_multiple_of(c.log_every)) {
            return Ok(None);
        }
        let seconds = self.seconds_before + self.started.elapsed().as_secs_f64();
        let row = self.meta.log(seconds)?;
        self.history.push(row.clone());
        if checkpoint_due {
            self.save()?;
        }
        Ok(Some(row))
    }

    /// Write the checkpoint, the log, the curve and the learned object.
    pub fn save(&self) -> Result<()> {
        let checkpoint = MetaCheckpoint {
            env: self.env_id.clone(),
            config: self.meta.config().clone(),
            history: self.history.clone(),
            snapshot: self.meta.snapshot()?,
        };
        checkpoint.save(&self.out.join(CHECKPOINT))?;
        write_csv(
            &self.out.join(LOG),
            &self.history,
            self.meta.config().members_per_task(),
        )?;
        write_curve(
            &self.out.join(CURVE),
            &self.env_id,
            self.meta.config(),
            &self.history,
        )?;
        let points: Vec<(f64, &[(String, f32)])> = self
            .history
            .iter()
            .map(|r| (r.generation as f64, &r.tuned[..]))
            .collect();
        let title = format!("{}: meta-gradient hyperparameters", self.env_id);
        let start = crate::learn::meta_gradient::starting_values(self.meta.trainer().config());
        crate::learn::report::write_tuned_curve(
            &self.out.join(TUNED_CURVE),
            &title,
            "generation",
            &start,
            &points,
        )?;
        let learned = Learned::new(
            self.meta.config(),
            &self.meta.mean()?,
            self.meta.trainer().config(),
        );
        write_atomically(&self.out.join(LEARNED), learned.to_toml().as_bytes())
    }
}

/// Summary of one generation: (mean, std, min, max) of the fitness, the mean baseline,
/// and the members' mean reward per step.
pub fn summarize(row: &GenerationLog, members_per_task: u32) -> ([f32; 4], f32, f32) {
    let f = &row.fitness;
    let n = f.len().max(1) as f32;
    let mean = f.iter().sum::<f32>() / n;
    let std = (f.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / n).sqrt();
    let min = f.iter().copied().fold(f32::INFINITY, f32::min);
    let max = f.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let baseline = if row.baseline.is_empty() {
        f32::NAN
    } else {
        row.baseline.iter().sum::<f32>() / row.baseline.len() as f32
    };
    let reward: f32 = f
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let b = row
                .baseline
                .get(i / members_per_task as usize)
                .copied()
                .unwrap_or(0.0);
            x + b
        })
        .sum::<f32>()
        / n;
    ([mean, std, min, max], baseline, reward)
}

fn write_csv(path: &Path, rows: &[GenerationLog], members_per_task: u32) -> Result<()> {
    let mut text = String::from(
        "generation,lifetime,env_steps,seconds,fitness_mean,fitness_std,fitness_min,fitness_max,\
         member_reward_per_step,baseline_reward_per_step,best_so_far",
    );
    // Meta-gradients: the tuned hyperparameters after each generation.
    for (name, _) in rows.first().map_or(&[][..], |r| &r.tuned[..]) {
        text.push(',');
        text.push_str(name);
    }
    text.push('\n');
    for r in rows {
        let ([mean, std, min, max], baseline, reward) = summarize(r, members_per_task);
        text.push_str(&format!(
            "{},{},{},{:.3},{mean},{std},{min},{max},{reward},{baseline},{}",
            r.generation, r.lifetime, r.env_steps, r.seconds, r.best_so_far
        ));
        for (_, value) in &r.tuned {
            text.push_str(&format!(",{value}"));
        }
        text.push('\n');
    }
    write_atomically(path, text.as_bytes())
}

/// The population's fitness against generations: the mean with the min-max band.
/// What meta-training learns, in words for titles and messages.
pub fn learned_object(learn: Learn) -> &'static str {
    match learn {
        Learn::Drift => "LPO drift",
        Learn::Hyperparameters => "hyperparameters",
        Learn::Both => "hyperparameters + LPO drift",
    }
}

fn write_curve(path: &Path, env_id: &str, c: &MetaConfig, rows: &[GenerationLog]) -> Result<()> {
    let members = c.members_per_task();
    let stats: Vec<(f64, [f32; 4])> = rows
        .iter()
        .map(|r| (r.generation as f64, summarize(r, members).0))
        .collect();
    let mean: Vec<(f64, f64)> = stats.iter().map(|(x, s)| (*x, s[0] as f64)).collect();
    let band: Vec<(f64, f64, f64)> = stats
        .iter()
        .map(|(x, s)| (*x, s[2] as f64, s[3] as f64))
        .collect();
    let es = c.method == Method::Es;
    let relative = es && c.normalize;
    let y_label = if relative {
        "fitness: reward per step - PPO's"
    } else {
        "fitness: reward per step"
    };
    let (line, band_label) = if es {
        ("population mean", "population min-max")
    } else {
        ("mean over agents", "agents' min-max")
    };
    let mut series = vec![Series::line(line, PALETTE[0], mean).with_band(band_label, band)];
    if relative {
        let zero = rows.iter().map(|r| (r.generation as f64, 0.0)).collect();
        series.push(Series::line("PPO", PALETTE[1], zero));
    }
    Figure {
        title: if es {
            format!(
                "{env_id}: {} learning {}",
                c.es.strategy.name(),
                learned_object(c.learn)
            )
        } else {
            format!(
                "{env_id}: meta-gradients learning {}",
                learned_object(c.learn)
            )
        },
        x_label: "generation".into(),
        y_label: y_label.into(),
        series,
        log_x: false,
        integer_x: true,
    }
    .write(path)
}
