//! `MetaTrainer`: the outer loop over a learned object that the inner learners' kernels
//! read. With ES, each generation: the ES asks for a population; every member's objective
//! row goes to its inner agents; the inner agents start a lifetime (fresh weights, a task
//! per antithetic pair) and train for it with PPO on the GPU; one rollout after the last
//! update measures each member's fitness; the ES is told. With meta-gradients, each
//! generation is a lifetime of `agents` inner agents on fresh tasks whose shared
//! hyperparameters the meta-gradient steps after every update (`learn::meta_gradient`);
//! the outer state carries over to the next lifetime. Nothing is read back unless logged.

use std::sync::Arc;

use super::config::{MetaConfig, Method};
use super::kernels::MetaKernels;
use super::layout::Layout;
use crate::driver::Streams;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::es::{Es, EsState};
use crate::gpu::Gpu;
use crate::learn::meta_gradient::{META_SLOT, SLOT_T};
use crate::learn::objective::HYPER;
use crate::learn::trainer::{Tasks, STATS, STAT_REWARD_SUM};
use crate::learn::{Trainer, TrainerOptions};
use crate::rng::{self, Key};
use crate::vec_env::ParamsInit;

/// One generation's outcome, as logged.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GenerationLog {
    pub generation: u32,
    /// Inner updates of this generation's lifetimes.
    pub lifetime: u32,
    /// Inner env-steps so far, all agents together.
    pub env_steps: u64,
    pub seconds: f64,
    /// Each member's fitness (reward per step at the end of its lifetime, less the PPO
    /// baseline's on the same task when normalising).
    pub fitness: Vec<f32>,
    /// The PPO baseline's reward per step in each task group (empty without one).
    pub baseline: Vec<f32>,
    /// The best fitness of any generation so far (meta-gradients: the best mean).
    pub best_so_far: f32,
    /// Meta-gradients: the tuned hyperparameters (name, value) after the generation.
    #[serde(default)]
    pub tuned: Vec<(String, f32)>,
}

/// Everything a meta-training run carries from one generation to the next.
#[derive(Clone, Debug, PartialEq)]
pub struct MetaSnapshot {
    pub generation: u32,
    pub step_count: u32,
    pub env_steps: u64,
    /// The ES's state; for meta-gradients, only its mean (the learned meta-parameters).
    pub es: EsState,
    /// Meta-gradients: the outer state, the objective rows and the best mean fitness
    /// (empty for ES).
    pub meta_gradient: Vec<f32>,
}

/// The outer optimizer and what it alone needs.
enum Outer {
    Es {
        es: Box<Es>,
        kernels: Box<MetaKernels>,
    },
    MetaGradient {
        generation: u32,
        best_so_far: f32,
    },
}

pub struct MetaTrainer {
    config: MetaConfig,
    layout: Layout,
    outer: Outer,
    trainer: Trainer,
    /// The env's task distribution: one params struct.
    task_distribution: Vec<u8>,
    env_steps: u64,
}

impl MetaTrainer {
    pub fn new(gpu: &Gpu, env: Arc<dyn Env>, config: MetaConfig) -> Result<MetaTrainer> {
        config.check()?;
        let layout = match config.method {
            Method::Es => Layout::for_training(&config),
            // Every agent its own task, weights and random streams.
            Method::MetaGrad => Layout {
                groups: config.agents,
                members: 1,
                slots: 1,
                per_slot: 1,
            },
        };
        let mut inner = config.inner_config();
        inner.seed = config.seed;
        inner.updates = config.lifetime[1];
        let task_distribution = env.default_params_bytes();
        let mut trainer = inner_trainer(
            gpu,
            env,
            &layout,
            inner,
            config.objective(),
            task_key(config.seed, 0),
        )?;
        if let Some(mg) = trainer.config().meta_gradient.clone().filter(|m| m.drift) {
            // One drift network for all agents, drawn near 0 (flat at 0 exactly).
            let objective = config.objective();
            let mut row = objective.row(trainer.config());
            let key = rng::fold(rng::key(config.seed), 11);
            for (i, w) in row[HYPER..].iter_mut().enumerate() {
                *w = mg.drift_init * rng::normal(key, 2 * i as u32);
            }
            let rows: Vec<f32> = (0..layout.agents())
                .flat_map(|_| row.iter().copied())
                .collect();
            trainer.set_objective(&rows)?;
        }
        let outer = match config.method {
            Method::Es => {
                let es = Es::new(gpu, config.es.clone(), &vec![0.0; config.dim() as usize])?;
                let uniform = layout.uniform(&config, trainer.config().samples());
                let base = config.objective().row(trainer.config());
                let kernels = MetaKernels::new(
                    gpu,
                    uniform,
                    &base,
                    es.population_buffer(),
                    es.fitness_buffer(),
                    &trainer,
                )?;
                Outer::Es {
                    es: Box::new(es),
                    kernels: Box::new(kernels),
                }
            }
            Method::MetaGrad => Outer::MetaGradient {
                generation: 0,
                best_so_far: f32::NEG_INFINITY,
            },
        };
        Ok(MetaTrainer {
            config,
            layout,
            outer,
            trainer,
            task_distribution,
            env_steps: 0,
        })
    }

    pub fn config(&self) -> &MetaConfig {
        &self.config
    }
    pub fn layout(&self) -> Layout {
        self.layout
    }
    /// The ES (None for meta-gradients).
    pub fn es(&self) -> Option<&Es> {
        match &self.outer {
            Outer::Es { es, .. } => Some(es),
            Outer::MetaGradient { .. } => None,
        }
    }
    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }
    /// Generations done.
    pub fn generation(&self) -> u32 {
        match &self.outer {
            Outer::Es { es, .. } => es.generation(),
            Outer::MetaGradient { generation, .. } => *generation,
        }
    }
    pub fn env_steps(&self) -> u64 {
        self.env_steps
    }

    /// Inner updates of generation `generation`'s lifetimes: uniform in the config's range.
    pub fn lifetime(&self, generation: u32) -> u32 {
        let [lo, hi] = self.config.lifetime;
        lo + rng::below(
            rng::fold(rng::key(self.config.seed), 6),
            generation,
            hi - lo + 1,
        )
    }

    /// Inner env-steps of a generation with lifetimes of `lifetime` updates (the fitness
    /// rollout included).
    pub fn env_steps_of(&self, lifetime: u32) -> u64 {
        (lifetime as u64 + 1) * self.trainer.steps_per_update()
    }

    /// Each agent's initial weights in generation `generation`: the slots of a task group
    /// share them, so a pair's members (and their baseline) differ only in the object.
    fn initial_weights(&self, generation: u32) -> Vec<f32> {
        let net = self.trainer.net();
        (0..self.layout.agents())
            .flat_map(|a| {
                net.init(init_key(
                    self.config.seed,
                    generation,
                    self.layout.init_index(a),
                ))
            })
            .collect()
    }

    /// One generation: (ES: ask) a lifetime of inner training, the fitness rollout, (ES:
    /// tell).
    pub fn step(&mut self) -> Result<()> {
        let g = self.generation();
        let lifetime = self.lifetime(g);
        if let Outer::Es { es, kernels } = &mut self.outer {
            es.ask()?;
            kernels.expand()?;
        }
        let weights = self.initial_weights(g);
        let tasks = Tasks {
            base: &self.task_distribution,
            key: task_key(self.config.seed, g),
            group: self.layout.agents_per_task() * self.trainer.config().envs,
        };
        self.trainer
            .start_lifetime(lifetime, &weights, Some(tasks))?;
        for _ in 0..lifetime {
            self.trainer.update()?;
        }
        self.trainer.rollout_only()?;
        match &mut self.outer {
            Outer::Es { es, kernels } => {
                kernels.fitness()?;
                es.tell()?;
            }
            Outer::MetaGradient { generation, .. } => *generation += 1,
        }
        self.env_steps += self.env_steps_of(lifetime);
        Ok(())
    }

    /// The last generation's log row (reads back the fitness, the baselines and the ES's
    /// scalars).
    pub fn log(&mut self, seconds: f64) -> Result<GenerationLog> {
        let generation = self.generation();
        let lifetime = self.lifetime(generation.saturating_sub(1));
        let (fitness, baseline, best_so_far) = match &mut self.outer {
            Outer::Es { es, kernels } => {
                let baseline = if self.config.normalize {
                    kernels.baseline()?
                } else {
                    Vec::new()
                };
                (es.fitness()?, baseline, es.stats()?.best_so_far)
            }
            Outer::MetaGradient { best_so_far, .. } => {
                // Each agent's reward per step in the fitness rollout.
                let samples = self.trainer.config().samples() as f32;
                let stats = self.trainer.raw_stats()?;
                let fitness: Vec<f32> = stats
                    .chunks(STATS as usize)
                    .map(|s| s[STAT_REWARD_SUM as usize] / samples)
                    .collect();
                let mean = fitness.iter().sum::<f32>() / fitness.len() as f32;
                *best_so_far = best_so_far.max(mean);
                (fitness, Vec::new(), *best_so_far)
            }
        };
        Ok(GenerationLog {
            generation,
            lifetime,
            env_steps: self.env_steps,
            seconds,
            fitness,
            baseline,
            best_so_far,
            tuned: self.trainer.tuned_hyperparameters()?,
        })
    }

    /// The learned meta-parameters: the search's mean, or for meta-gradients the log-scale
    /// factors t of the ES's hyperparameter vector (0 for those it does not tune).
    pub fn mean(&self) -> Result<Vec<f32>> {
        match &self.outer {
            Outer::Es { es, .. } => es.mean(),
            Outer::MetaGradient { .. } => {
                let state = self.trainer.meta_state()?;
                let mg = self
                    .trainer
                    .config()
                    .meta_gradient
                    .clone()
                    .expect("meta-grad");
                let hyper = self.config.hyper_dims() as usize;
                let mut theta = vec![0.0; self.config.dim() as usize];
                if hyper > 0 {
                    for h in mg.learn {
                        theta[h.row_slot()] = state[h.index() * META_SLOT + SLOT_T];
                    }
                }
                // The drift network: agent 0's (every agent has the same).
                let rows = self.trainer.objective_rows()?;
                let drift = self.config.objective().drift_params();
                theta[hyper..].copy_from_slice(&rows[HYPER..HYPER + drift]);
                Ok(theta)
            }
        }
    }

    pub fn snapshot(&self) -> Result<MetaSnapshot> {
        let (es, meta_gradient) = match &self.outer {
            Outer::Es { es, .. } => (es.state()?, Vec::new()),
            Outer::MetaGradient { best_so_far, .. } => {
                let mean = EsState {
                    mean: self.mean()?,
                    sigma: Vec::new(),
                    moments: Vec::new(),
                    scalars: Vec::new(),
                    best: Vec::new(),
                };
                let mut state = self.trainer.meta_state()?;
                state.extend(self.trainer.objective_rows()?);
                state.extend(self.trainer.drift_state()?);
                state.push(*best_so_far);
                (mean, state)
            }
        };
        Ok(MetaSnapshot {
            generation: self.generation(),
            step_count: self.trainer.progress().step_count,
            env_steps: self.env_steps,
            es,
            meta_gradient,
        })
    }

    /// Continue from a snapshot of a run with the same env and config.
    pub fn restore(&mut self, s: &MetaSnapshot) -> Result<()> {
        match &mut self.outer {
            Outer::Es { es, .. } => es.restore(&s.es, s.generation)?,
            Outer::MetaGradient {
                generation,
                best_so_far,
            } => {
                let state_len = self.trainer.meta_state()?.len();
                let rows_len = self.trainer.objective_rows()?.len();
                let drift_len = self.trainer.drift_state()?.len();
                if s.meta_gradient.len() != state_len + rows_len + drift_len + 1 {
                    return Err(Error::invalid(
                        "meta-training checkpoint",
                        "its meta-gradient state does not fit this config",
                    ));
                }
                let (state, rest) = s.meta_gradient.split_at(state_len);
                let (rows, rest) = rest.split_at(rows_len);
                let (drift, best) = rest.split_at(drift_len);
                self.trainer.set_objective(rows)?;
                self.trainer.set_meta_state(state)?;
                self.trainer.set_drift_state(drift)?;
                *generation = s.generation;
                *best_so_far = best[0];
            }
        }
        self.trainer.set_step_count(s.step_count);
        self.env_steps = s.env_steps;
        Ok(())
    }
}

/// The inner learners of a batch laid out as `layout`: per-env tasks (the first drawn on
/// the host from `first_tasks`, so the env kernels are specialised for drawn tasks) and
/// common random numbers: the slots of a task group replay the same env randomness and
/// minibatch order, so a pair's members and their baseline differ only through the
/// learned object.
pub(crate) fn inner_trainer(
    gpu: &Gpu,
    env: Arc<dyn Env>,
    layout: &Layout,
    inner: crate::learn::TrainConfig,
    objective: crate::learn::Objective,
    first_tasks: Key,
) -> Result<Trainer> {
    let distribution = env.default_params_bytes();
    let group = layout.agents_per_task() * inner.envs;
    let first: Vec<u8> = (0..layout.agents() * inner.envs)
        .flat_map(|i| env.sample_params_bytes(rng::fold(first_tasks, i / group), &distribution))
        .collect();
    let options = TrainerOptions {
        params: ParamsInit::PerEnv(first),
        objective,
        streams: Streams {
            block: layout.per_slot * inner.envs,
            group,
        },
    };
    Trainer::with_options(gpu, env, layout.agents(), inner, options)
}

/// Key of generation `generation`'s tasks; task groups fold in their index.
pub fn task_key(seed: u32, generation: u32) -> Key {
    rng::fold(rng::fold(rng::key(seed), 7), generation)
}

/// Key of the initial weights with index `index` in generation `generation`.
pub fn init_key(seed: u32, generation: u32, index: u32) -> Key {
    rng::fold(rng::fold(rng::fold(rng::key(seed), 8), generation), index)
}
