//! `MetaTrainer`: ES over a learned object that the inner learners' kernels read. Each
//! generation: the ES asks for a population; every member's objective row goes to its inner
//! agents; the inner agents start a lifetime (fresh weights, a task per antithetic pair) and
//! train for it with PPO on the GPU; one rollout after the last update measures each
//! member's fitness; the ES is told. Nothing is read back unless logged.

use std::sync::Arc;

use super::config::MetaConfig;
use super::kernels::MetaKernels;
use super::layout::Layout;
use crate::driver::Streams;
use crate::env::Env;
use crate::error::Result;
use crate::es::{Es, EsState};
use crate::gpu::Gpu;
use crate::learn::trainer::Tasks;
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
    /// The best fitness of any generation so far.
    pub best_so_far: f32,
}

/// Everything a meta-training run carries from one generation to the next.
#[derive(Clone, Debug, PartialEq)]
pub struct MetaSnapshot {
    pub generation: u32,
    pub step_count: u32,
    pub env_steps: u64,
    pub es: EsState,
}

pub struct MetaTrainer {
    config: MetaConfig,
    layout: Layout,
    es: Es,
    trainer: Trainer,
    kernels: MetaKernels,
    /// The env's task distribution: one params struct.
    task_distribution: Vec<u8>,
    env_steps: u64,
}

impl MetaTrainer {
    pub fn new(gpu: &Gpu, env: Arc<dyn Env>, config: MetaConfig) -> Result<MetaTrainer> {
        config.check()?;
        let layout = Layout::for_training(&config);
        let es = Es::new(gpu, config.es.clone(), &vec![0.0; config.dim() as usize])?;
        let mut inner = config.inner.clone();
        inner.seed = config.seed;
        inner.updates = config.lifetime[1];
        let task_distribution = env.default_params_bytes();
        let trainer = inner_trainer(
            gpu,
            env,
            &layout,
            inner,
            config.objective(),
            task_key(config.seed, 0),
        )?;
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
        Ok(MetaTrainer {
            config,
            layout,
            es,
            trainer,
            kernels,
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
    pub fn es(&self) -> &Es {
        &self.es
    }
    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }
    /// Generations done.
    pub fn generation(&self) -> u32 {
        self.es.generation()
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

    /// One generation: ask, a lifetime of inner training, the fitness rollout, tell.
    pub fn step(&mut self) -> Result<()> {
        let g = self.es.generation();
        let lifetime = self.lifetime(g);
        self.es.ask()?;
        self.kernels.expand()?;
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
        self.kernels.fitness()?;
        self.es.tell()?;
        self.env_steps += self.env_steps_of(lifetime);
        Ok(())
    }

    /// The last generation's log row (reads back the fitness, the baselines and the ES's
    /// scalars).
    pub fn log(&self, seconds: f64) -> Result<GenerationLog> {
        let stats = self.es.stats()?;
        let baseline = if self.config.normalize {
            self.kernels.baseline()?
        } else {
            Vec::new()
        };
        let generation = self.es.generation();
        Ok(GenerationLog {
            generation,
            lifetime: self.lifetime(generation.saturating_sub(1)),
            env_steps: self.env_steps,
            seconds,
            fitness: self.es.fitness()?,
            baseline,
            best_so_far: stats.best_so_far,
        })
    }

    /// The learned meta-parameters: the search's mean.
    pub fn mean(&self) -> Result<Vec<f32>> {
        self.es.mean()
    }

    pub fn snapshot(&self) -> Result<MetaSnapshot> {
        Ok(MetaSnapshot {
            generation: self.es.generation(),
            step_count: self.trainer.progress().step_count,
            env_steps: self.env_steps,
            es: self.es.state()?,
        })
    }

    /// Continue from a snapshot of a run with the same env and config.
    pub fn restore(&mut self, s: &MetaSnapshot) -> Result<()> {
        self.es.restore(&s.es, s.generation)?;
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
