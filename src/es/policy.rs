//! Neuroevolution: each member of the population is a policy's weights, its fitness the
//! mean reward per step of a rollout of its own envs (the learners' policy rollout kernel,
//! with the population as the agents' weights).

use std::sync::Arc;

use super::search::Es;
use crate::env::Env;
use crate::error::Result;
use crate::gpu::Gpu;
use crate::learn::{PolicyNet, TrainConfig, Trainer};
use crate::meta::kernels::MetaKernels;
use crate::meta::layout::MetaLayout;

pub struct PolicyFitness {
    trainer: Trainer,
    kernels: MetaKernels,
}

impl PolicyFitness {
    /// `config` sets the envs per member, the rollout length, the network and the seed.
    pub fn new(
        gpu: &Gpu,
        env: Arc<dyn Env>,
        config: TrainConfig,
        es: &Es,
    ) -> Result<PolicyFitness> {
        let population = es.config().population;
        let trainer = Trainer::new(gpu, env, population, config)?;
        let layout = MetaLayout {
            agents: population,
            slots: 1,
            members: 1,
            per_slot: 1,
            population,
            samples: trainer.config().samples(),
            ..Default::default()
        };
        let base = trainer.objective().row(trainer.config());
        let kernels = MetaKernels::new(
            gpu,
            layout,
            &base,
            es.population_buffer(),
            es.fitness_buffer(),
            &trainer,
        )?;
        Ok(PolicyFitness { trainer, kernels })
    }

    pub fn net(&self) -> &PolicyNet {
        self.trainer.net()
    }

    /// The policy's initial weights for seed `seed` (PureJaxRL's orthogonal init).
    pub fn initial_weights(net: &PolicyNet, seed: u32) -> Vec<f32> {
        net.init(crate::learn::trainer::init_key(seed, 0))
    }

    /// Every member's fitness into the search's fitness buffer: one rollout per member.
    pub fn evaluate(&mut self, es: &Es) -> Result<()> {
        self.trainer.copy_weights_from(es.population_buffer())?;
        self.trainer.rollout_only()?;
        self.kernels.fitness()
    }

    /// The mean reward per step of one rollout with `weights` ([member][params]) as the
    /// members' policies (reads the statistics back).
    pub fn evaluate_weights(&mut self, weights: &wgpu::Buffer) -> Result<f32> {
        self.trainer.copy_weights_from(weights)?;
        self.trainer.rollout_only()?;
        let stats = self.trainer.stats()?;
        Ok(stats.iter().map(|s| s.reward_per_step).sum::<f32>() / stats.len() as f32)
    }

    pub fn env_steps_per_generation(&self) -> u64 {
        self.trainer.steps_per_update()
    }

    pub fn step_count(&self) -> u32 {
        self.trainer.progress().step_count
    }

    pub fn set_step_count(&mut self, step_count: u32) {
        self.trainer.set_step_count(step_count);
    }
}
