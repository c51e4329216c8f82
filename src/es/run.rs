//! An ES run on disk (`wgym es`): a search on a benchmark function or on a policy's
//! weights, with its config, CSV log, PNG curve and checkpoint; resumed bit-identically.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::config::EsConfig;
use super::policy::PolicyFitness;
use super::problems::{Problem, ProblemEvaluator};
use super::search::Es;
use super::state::EsState;
use crate::error::{Error, Result};
use crate::files::{read_container, resumed_length, write_atomically, write_container};
use crate::gpu::Gpu;
use crate::learn::{PolicyNet, TrainConfig};
use crate::plot::{Figure, Series, PALETTE};

pub const CHECKPOINT: &str = "checkpoint.bin";
pub const LOG: &str = "log.csv";
pub const CURVE: &str = "curve.png";
pub const CONFIG: &str = "config.toml";

const MAGIC: &[u8; 8] = b"WGYMESRN";
/// 2: with a checksum (1, without, still loads).
const VERSION: u32 = 2;

/// Every setting of an ES run (TOML; unknown keys are errors).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EsRunConfig {
    /// A benchmark function to minimise...
    pub problem: Option<Problem>,
    /// ...or an env whose policy weights to evolve (fitness: reward per step).
    pub env: Option<String>,
    /// Parameters of the benchmark function.
    pub dim: u32,
    /// The benchmark's starting point (every coordinate).
    pub init: f32,
    pub generations: u32,
    pub log_every: u32,
    /// 0: only at the end.
    pub checkpoint_every: u32,
    pub es: EsConfig,
    /// Neuroevolution: envs per member, rollout length, network and seed.
    pub policy: TrainConfig,
}

impl Default for EsRunConfig {
    fn default() -> Self {
        let mut policy = TrainConfig::for_env("FourRooms-misc");
        policy.envs = 16;
        policy.steps = 128;
        policy.network.hidden = vec![32];
        EsRunConfig {
            problem: None,
            env: None,
            dim: 1000,
            init: 3.0,
            generations: 300,
            log_every: 10,
            checkpoint_every: 100,
            es: EsConfig::for_strategy(super::config::Strategy::OpenaiEs),
            policy,
        }
    }
}

impl EsRunConfig {
    pub fn from_toml(text: &str) -> Result<EsRunConfig> {
        let c: EsRunConfig =
            toml::from_str(text).map_err(|e| Error::invalid("config", e.to_string()))?;
        Ok(c)
    }

    /// The settings that apply: a benchmark run has no `[policy]`, a policy run no
    /// `dim` or `init`.
    pub fn to_toml(&self) -> String {
        let mut table = toml::Table::try_from(self).expect("an EsRunConfig always serialises");
        let unused: &[&str] = match (&self.problem, &self.env) {
            (Some(_), _) => &["policy"],
            (_, Some(_)) => &["dim", "init"],
            _ => &[],
        };
        for key in unused {
            table.remove(*key);
        }
        let table = crate::learn::config::shortest_floats(toml::Value::Table(table));
        toml::to_string(&table).expect("a table always serialises")
    }

    pub fn check(&self) -> Result<()> {
        match (&self.problem, &self.env) {
            (Some(_), Some(_)) => Err(Error::invalid("es", "give a problem or an env, not both")),
            (None, None) => Err(Error::invalid(
                "es",
                "give --problem (sphere, rosenbrock, rastrigin) or --env ID",
            )),
            _ if self.generations == 0 => {
                Err(Error::invalid("es `generations`", "must be at least 1"))
            }
            _ if self.log_every == 0 => Err(Error::invalid("es `log_every`", "must be at least 1")),
            _ if !self.init.is_finite() => Err(Error::invalid("es `init`", "must be finite")),
            (Some(_), None) => self.es.check(self.dim),
            (None, Some(env)) => {
                crate::make(env)?;
                self.policy.check()?;
                self.es.check(1)
            }
        }
    }
}

enum Evaluator {
    Problem(ProblemEvaluator),
    Policy(Box<PolicyFitness>),
}

/// One logged generation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EsLog {
    pub generation: u32,
    pub seconds: f64,
    pub best: f32,
    pub mean: f32,
    pub best_so_far: f32,
}

#[derive(Serialize, Deserialize)]
struct Header {
    config: EsRunConfig,
    generation: u32,
    step_count: u32,
    history: Vec<EsLog>,
}

pub struct EsRun {
    pub es: Es,
    config: EsRunConfig,
    evaluator: Evaluator,
    out: PathBuf,
    history: Vec<EsLog>,
    started: Instant,
    seconds_before: f64,
}

impl EsRun {
    pub fn start(gpu: &Gpu, config: EsRunConfig, out: &Path) -> Result<EsRun> {
        config.check()?;
        // The directory only once the search is built: a run that cannot start leaves none.
        let (es, evaluator) = build(gpu, &config)?;
        std::fs::create_dir_all(out).map_err(|source| Error::Io {
            path: out.display().to_string(),
            source,
        })?;
        write_atomically(&out.join(CONFIG), config.to_toml().as_bytes())?;
        Ok(EsRun {
            es,
            config,
            evaluator,
            out: out.to_path_buf(),
            history: Vec::new(),
            started: Instant::now(),
            seconds_before: 0.0,
        })
    }

    /// Continue the run in `out`; `generations` may extend it.
    pub fn resume(gpu: &Gpu, out: &Path, generations: Option<u32>) -> Result<EsRun> {
        let path = out.join(CHECKPOINT);
        let (header, mut blobs) = read_container(&path, MAGIC, VERSION, "ES checkpoint")?;
        let bad = |why: String| Error::invalid(format!("ES checkpoint {}", path.display()), why);
        let header: Header =
            serde_json::from_value(header).map_err(|e| bad(format!("its header: {e}")))?;
        let state = EsState::from_blobs(&mut blobs, |name| bad(format!("it has no {name}")))?;
        let mut config = header.config;
        config.generations = resumed_length(
            "--generations",
            generations,
            header.generation,
            config.generations,
        )?;
        let (mut es, mut evaluator) = build(gpu, &config)?;
        es.restore(&state, header.generation)?;
        if let Evaluator::Policy(p) = &mut evaluator {
            p.set_step_count(header.step_count);
        }
        let seconds_before = header.history.last().map_or(0.0, |r| r.seconds);
        Ok(EsRun {
            es,
            config,
            evaluator,
            out: out.to_path_buf(),
            history: header.history,
            started: Instant::now(),
            seconds_before,
        })
    }

    pub fn config(&self) -> &EsRunConfig {
        &self.config
    }
    pub fn history(&self) -> &[EsLog] {
        &self.history
    }
    pub fn done(&self) -> bool {
        self.es.generation() >= self.config.generations
    }

    /// What one generation evaluates: env-steps (policies) or function evaluations.
    pub fn work_per_generation(&self) -> (u64, &'static str) {
        match &self.evaluator {
            Evaluator::Problem(_) => (self.config.es.population as u64, "evaluations"),
            Evaluator::Policy(p) => (p.env_steps_per_generation(), "env-steps"),
        }
    }

    /// Up to `n` generations (fewer at a log or checkpoint boundary, or the end), then the
    /// log row if one is due; checkpoints when due or when `checkpoint` asks.
    pub fn advance(&mut self, n: u32, checkpoint: bool) -> Result<(u32, Option<EsLog>)> {
        let g = self.es.generation();
        let c = &self.config;
        let to_log = c.log_every - g % c.log_every;
        let to_checkpoint = match c.checkpoint_every {
            0 => u32::MAX,
            k => k - g % k,
        };
        let n = n
            .min(to_log)
            .min(to_checkpoint)
            .min(c.generations - g)
            .max(1);
        match &mut self.evaluator {
            Evaluator::Problem(p) => self.es.run(n, &p.dispatches())?,
            Evaluator::Policy(p) => {
                for _ in 0..n {
                    self.es.ask()?;
                    p.evaluate(&self.es)?;
                    self.es.tell()?;
                }
            }
        }
        let g = self.es.generation();
        let checkpoint_due = checkpoint
            || self.done()
            || (c.checkpoint_every > 0 && g.is_multiple_of(c.checkpoint_every));
        if !(checkpoint_due || g.is_multiple_of(c.log_every)) {
            return Ok((n, None));
        }
        let stats = self.es.stats()?;
        let row = EsLog {
            generation: g,
            seconds: self.seconds_before + self.started.elapsed().as_secs_f64(),
            best: stats.best,
            mean: stats.mean,
            best_so_far: stats.best_so_far,
        };
        self.history.push(row.clone());
        if checkpoint_due {
            self.save()?;
        }
        Ok((n, Some(row)))
    }

    /// The fitness of the search's mean: -f(mean) for a problem; for a policy, the mean
    /// reward per step of one rollout of every member's envs with the mean's weights.
    pub fn mean_fitness(&mut self) -> Result<f32> {
        let mean = self.es.mean()?;
        match &mut self.evaluator {
            Evaluator::Problem(_) => Ok(-self.config.problem.expect("a problem").value(&mean)),
            Evaluator::Policy(p) => {
                let population = self.es.config().population as usize;
                let rows: Vec<f32> = (0..population).flat_map(|_| mean.iter().copied()).collect();
                let gpu = self.es.gpu().clone();
                let buffer =
                    crate::buffer::GpuBuffer::from_slice(&gpu, "the mean's weights", &rows)?;
                p.evaluate_weights(&buffer.buffer)
            }
        }
    }

    pub fn save(&self) -> Result<()> {
        let step_count = match &self.evaluator {
            Evaluator::Policy(p) => p.step_count(),
            Evaluator::Problem(_) => 0,
        };
        let header = Header {
            config: self.config.clone(),
            generation: self.es.generation(),
            step_count,
            history: self.history.clone(),
        };
        let header = serde_json::to_value(header).expect("a header always serialises");
        let blobs = self.es.state()?.blobs();
        let blobs: Vec<(&str, &[u8])> = blobs.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        write_container(&self.out.join(CHECKPOINT), MAGIC, VERSION, header, &blobs)?;
        self.write_log()?;
        self.write_curve()
    }

    fn write_log(&self) -> Result<()> {
        let mut text = String::from("generation,seconds,fitness_best,fitness_mean,best_so_far\n");
        for r in &self.history {
            text.push_str(&format!(
                "{},{:.3},{},{},{}\n",
                r.generation, r.seconds, r.best, r.mean, r.best_so_far
            ));
        }
        write_atomically(&self.out.join(LOG), text.as_bytes())
    }

    fn write_curve(&self) -> Result<()> {
        let pick = |f: fn(&EsLog) -> f32| -> Vec<(f64, f64)> {
            self.history
                .iter()
                .map(|r| (r.generation as f64, f(r) as f64))
                .collect()
        };
        let what = match (&self.config.problem, &self.config.env) {
            (Some(p), _) => format!("{} in {} dims", p.name(), self.config.dim),
            (_, Some(env)) => format!("{env} policy weights"),
            _ => String::new(),
        };
        let y_label = match self.config.problem {
            Some(_) => "fitness (-f)",
            None => "fitness (reward per step)",
        };
        Figure {
            title: format!("{}: {what}", self.config.es.strategy.name()),
            x_label: "generation".into(),
            y_label: y_label.into(),
            series: vec![
                Series::line("population mean", PALETTE[0], pick(|r| r.mean)),
                Series::line("generation best", PALETTE[1], pick(|r| r.best)),
                // Of every generation, logged or not: it may sit above every point drawn.
                Series::line(
                    "best member so far (every generation)",
                    PALETTE[2],
                    pick(|r| r.best_so_far),
                ),
            ],
            log_x: false,
            integer_x: true,
        }
        .write(&self.out.join(CURVE))
    }
}

fn build(gpu: &Gpu, c: &EsRunConfig) -> Result<(Es, Evaluator)> {
    if let Some(problem) = c.problem {
        let es = Es::new(gpu, c.es.clone(), &vec![c.init; c.dim as usize])?;
        let evaluator = Evaluator::Problem(ProblemEvaluator::new(&es, problem)?);
        return Ok((es, evaluator));
    }
    let env = crate::make(c.env.as_deref().expect("checked"))?;
    let spec = env.spec();
    let policy = &c.policy;
    let net = PolicyNet::new(
        spec.obs_dim,
        spec.num_actions,
        &policy.network.hidden,
        policy.network.activation,
    )?;
    let start = PolicyFitness::initial_weights(&net, c.es.seed);
    let es = Es::new(gpu, c.es.clone(), &start)?;
    let fitness = PolicyFitness::new(gpu, env, policy.clone(), &es)?;
    Ok((es, Evaluator::Policy(Box::new(fitness))))
}
