//! `Trainer`: PPO or A2C for `agents` independent agents at once, each with its own
//! weights, optimizer state and envs, in the same kernels. It composes the learner's
//! parts, each owning its buffers, kernels, dispatches and checkpoint sections, with
//! dependencies one way (each uses only the ones listed before it):
//! - the policy network (`learn::network`, today's MLP in `learn::net`);
//! - the rollout (`rollout`): the envs and the trajectory;
//! - the algorithm (`algo`): GAE and the PPO/A2C loss with LPO's drift;
//! - the optimizer (`optim`): Adam or SGD;
//! - the meta-gradient passes (`learn::meta_gradient::plan`), only when configured.
//!
//! An update is one submission (the policy rollout, GAE, a meta-gradient's passes if
//! configured, then per epoch and minibatch: gather, forward, loss, backward, Adam); the
//! host writes the dispatch configs and reads back only the per-agent statistics, when
//! it asks for them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::adam::{FLAG_GRAD, FLAG_WEIGHTS};
use super::config::TrainConfig;
use super::meta_gradient;
use super::meta_gradient::plan::{MetaGradientPasses, Parts, Step};
use super::net::PolicyNet;
use super::network::{log_std_gradient, Nets, PolicyNetwork};
use super::objective::Objective;
use super::ppo::{EnvStats, TrajStep};
use crate::buffer::GpuBuffer;
use crate::driver::Streams;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::plan::{self, ConfigSlots};
use crate::rng::{self, Key};
use crate::shader::{Composed, Part};
use crate::vec_env::{ParamsInit, VecEnv, VecEnvConfig};

pub mod algo;
pub mod dispatch;
pub mod optim;
pub mod rollout;

pub use algo::permutation_key;
use algo::Algo;
use dispatch::{
    Buf, BufferSpec, Dispatch, Family, Shape, STAT_GRAD_NORM, STAT_LENGTH_SUM, STAT_RETURN_SUM,
};
pub use dispatch::{STATS, STAT_REWARD_SUM};
use optim::Optim;
use rollout::Rollout;

const REDUCE_WGSL: &str = include_str!("../../shaders/reduce.wgsl");

/// One agent's statistics over one update (means over the update's minibatches).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AgentStats {
    pub policy_loss: f32,
    pub value_loss: f32,
    pub entropy: f32,
    pub approx_kl: f32,
    pub clip_frac: f32,
    pub grad_norm: f32,
    /// Mean return of the episodes finished in the update's rollout (NaN if none).
    pub mean_return: f32,
    pub episodes: f32,
    /// Fraction of those episodes with a successful step (`StepOut::success`; NaN if none
    /// finished).
    pub success_rate: f32,
    /// Mean reward per env-step of the update's rollout.
    pub reward_per_step: f32,
    /// Mean length of the episodes finished in the update's rollout (NaN if none).
    pub mean_length: f32,
}

/// A policy's episodes without learning ([`Trainer::evaluate`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// NaN if no episode finished.
    pub mean_return: f32,
    pub episodes: f32,
    pub success_rate: f32,
}

/// Tasks to draw at the start of a lifetime (`VecEnv::sample_tasks`).
#[derive(Clone, Copy, Debug)]
pub struct Tasks<'a> {
    /// The distribution: one params struct.
    pub base: &'a [u8],
    pub key: Key,
    /// Envs per draw.
    pub group: u32,
}

/// The host-side state of a run that a checkpoint must hold besides the GPU buffers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Updates done.
    pub update: u32,
    /// The envs' global step counter (keys the env and action streams).
    pub step_count: u32,
}

pub struct Trainer {
    gpu: Gpu,
    config: TrainConfig,
    agents: u32,
    shape: Shape,
    net: Box<dyn PolicyNetwork>,
    objective: Objective,
    /// The envs' random streams in whole agents (minibatch permutations follow them).
    agent_streams: Streams,
    rollout: Rollout,
    algo: Algo,
    optim: Optim,
    meta: Option<MetaGradientPasses>,
    progress: Progress,
    buffers: HashMap<Buf, GpuBuffer<f32>>,
    configs: ConfigSlots,
    pipelines: HashMap<dispatch::Kernel, wgpu::ComputePipeline>,
    /// The bindings each kernel's entry point uses (all for the rollout's driver).
    used: HashMap<dispatch::Kernel, Vec<u32>>,
    /// By module and the buffers bound at each binding.
    bind_groups: HashMap<(Family, Vec<(u32, Buf)>), wgpu::BindGroup>,
}

/// What a trainer is built for besides its config.
#[derive(Clone, Debug, Default)]
pub struct TrainerOptions {
    /// The envs' params (one per env: a task per env).
    pub params: ParamsInit,
    /// The shape of the agents' objective rows.
    pub objective: Objective,
    /// Which random stream each env draws from.
    pub streams: Streams,
}

impl Trainer {
    /// Allocate everything for `agents` agents on `env`, initialise the weights and reset
    /// the envs.
    pub fn new(gpu: &Gpu, env: Arc<dyn Env>, agents: u32, config: TrainConfig) -> Result<Trainer> {
        Self::with_options(gpu, env, agents, config, TrainerOptions::default())
    }

    /// [`Trainer::new`] with env params and an objective shape; every agent's objective row
    /// starts as the config's hyperparameters with a zero drift (PPO).
    pub fn with_options(
        gpu: &Gpu,
        env: Arc<dyn Env>,
        agents: u32,
        config: TrainConfig,
        options: TrainerOptions,
    ) -> Result<Trainer> {
        config.check()?;
        let spec = env.spec();
        if agents == 0 {
            return Err(Error::invalid("agents", "there must be at least 1"));
        }
        let limits = gpu.limits();
        let max_groups = limits.max_compute_workgroups_per_dimension;
        if agents > max_groups {
            return Err(Error::OverLimit {
                what: format!("{agents} agents"),
                needed: agents as u64,
                limit: "max_compute_workgroups_per_dimension",
                allowed: max_groups as u64,
                unit: "workgroups",
                remedy: "use fewer --agents",
                adapter: gpu.adapter_name().to_string(),
            });
        }
        let batch = agents
            .checked_mul(config.envs)
            .ok_or_else(|| Error::invalid("agents x envs", "too many envs"))?;
        let net: Box<dyn PolicyNetwork> = Box::new(PolicyNet::for_spec(
            &spec,
            &config.network.hidden,
            config.network.activation,
        )?);
        if config.meta_gradient.as_ref().is_some_and(|mg| mg.drift) {
            let why = if options.objective.drift_hidden == 0 {
                Some("needs an objective with a drift network (drift_hidden > 0)")
            } else if config.algo != super::config::Algo::Ppo {
                Some("needs algo = \"ppo\" (the drift replaces PPO's clipping)")
            } else if config.epochs * config.minibatches < 2 {
                Some("needs at least 2 minibatch steps per update (the drift acts from the second)")
            } else {
                None
            };
            if let Some(why) = why {
                return Err(Error::invalid("config `meta_gradient.drift`", why));
            }
        }
        let Streams { block, group } = options.streams;
        let e = config.envs;
        if !(block.is_multiple_of(e) && group.is_multiple_of(e)) {
            return Err(Error::invalid(
                "random streams",
                format!(
                    "blocks of {block} and groups of {group} envs are not whole agents of {e} envs"
                ),
            ));
        }
        let agent_streams = Streams {
            block: block / e,
            group: group / e,
        };
        let vec_env = VecEnv::new(
            gpu,
            env,
            VecEnvConfig {
                params: options.params,
                streams: options.streams,
                ..VecEnvConfig::new(batch, config.seed)
            },
        )?;
        let shape = Shape {
            agents,
            envs: config.envs,
            steps: config.steps,
            minibatch: config.minibatch(),
            obs_dim: spec.obs_dim,
        };
        let objective = options.objective;
        let meta = config
            .meta_gradient
            .clone()
            .map(|mg| MetaGradientPasses::new(mg, shape, objective, net.as_ref()));
        // Sized for the update's plan in build_kernels.
        let configs = ConfigSlots::new(gpu, "the learner configs", 1)?;
        let mut trainer = Trainer {
            gpu: gpu.clone(),
            agents,
            shape,
            rollout: Rollout::new(vec_env, shape),
            algo: Algo::new(shape, agent_streams),
            optim: Optim::new(shape, net.params(), objective.stride() as u32),
            meta,
            net,
            objective,
            agent_streams,
            progress: Progress::default(),
            buffers: HashMap::new(),
            configs,
            pipelines: HashMap::new(),
            used: HashMap::new(),
            bind_groups: HashMap::new(),
            config,
        };
        trainer.allocate()?;
        trainer.build_kernels()?;
        let weights: Vec<f32> = (0..agents)
            .flat_map(|a| trainer.net.init(init_key(trainer.config.seed, a)))
            .collect();
        trainer.buffers[&Buf::Weights].write(gpu, &weights)?;
        let row = trainer.objective.row(&trainer.config);
        let rows: Vec<f32> = (0..agents).flat_map(|_| row.iter().copied()).collect();
        trainer.set_objective(&rows)?;
        Ok(trainer)
    }

    /// Every part's buffers, and the trainer's own: the weights, the statistics and flags,
    /// the objective rows.
    fn allocate(&mut self) -> Result<()> {
        let a = self.agents as usize;
        let p = self.net.params() as usize;
        let mut specs = vec![
            BufferSpec::new(Buf::Weights, a * p, "the weights"),
            BufferSpec::new(Buf::AgentStats, a * STATS as usize, "the agent statistics"),
            BufferSpec::new(Buf::Flags, a, "the divergence flags"),
            BufferSpec::new(
                Buf::Objective,
                a * self.objective.stride(),
                "the objective rows",
            ),
        ];
        specs.extend(self.net.buffers(&self.shape));
        specs.extend(self.rollout.buffers(self.net.as_ref()));
        specs.extend(self.algo.buffers(self.net.as_ref()));
        specs.extend(self.optim.buffers());
        match &self.meta {
            Some(meta) => specs.extend(meta.buffers()),
            // The algorithm's kernels bind the tangents and the drift's state: a float
            // each without a meta-gradient.
            None => specs.extend([
                BufferSpec::new(Buf::Tangents, 1, "the advantage tangents"),
                BufferSpec::new(Buf::DriftState, 1, "the drift's meta-gradient state"),
            ]),
        }
        for s in specs {
            self.buffers
                .insert(s.buf, GpuBuffer::zeroed(&self.gpu, s.what, s.len)?);
        }
        Ok(())
    }

    fn buffer(&self, buf: Buf) -> &wgpu::Buffer {
        &self.buffers[&buf].buffer
    }

    /// The buffers of the configured meta-gradient (an error without one).
    fn meta_buffer(&self, buf: Buf) -> Result<&GpuBuffer<f32>> {
        match self.meta {
            Some(_) => Ok(&self.buffers[&buf]),
            None => Err(Error::invalid(
                "meta-gradient state",
                "this trainer has no meta_gradient config",
            )),
        }
    }

    /// Compile every kernel the update uses and bind every buffer combination once.
    fn build_kernels(&mut self) -> Result<()> {
        // The longest plan, with every kernel: an update that finishes a meta-gradient.
        let plan = self.plan(true);
        self.configs = ConfigSlots::new(&self.gpu, "the learner configs", plan.len())?;
        let mut modules: HashMap<Family, Composed> = [
            (Family::Rollout, self.rollout.module(self.net.as_ref())?),
            (Family::Network, self.net.kernels()?),
            (
                Family::Reduce,
                Composed::new(&[Part::new("shaders/reduce.wgsl", REDUCE_WGSL)])?,
            ),
            (
                Family::Algo,
                self.algo.module(self.net.as_ref(), &self.objective)?,
            ),
            (Family::Optim, self.optim.module()?),
        ]
        .into_iter()
        .collect();
        if self.meta.is_some() {
            modules.insert(Family::MetaGradient, MetaGradientPasses::module()?);
        }
        // Each kernel binds, after its config, the buffers its entry point uses, at their
        // declared bindings (the rollout's driver binds its envs' tables, params and
        // states too): one layout per set of bindings, checked against the device's limit
        // before any is made.
        let storage_limit = self.gpu.limits().max_storage_buffers_per_shader_stage;
        for d in &plan {
            let family = d.kernel.family();
            let entry = d.kernel.entry();
            let storage = if family == Family::Rollout {
                d.binds.len() + 3
            } else {
                let used = self
                    .used
                    .entry(d.kernel)
                    .or_insert_with(|| modules[&family].bindings_used(entry));
                used.iter().filter(|&&k| k >= 1).count()
            };
            if storage as u32 > storage_limit {
                return Err(Error::OverLimit {
                    what: format!("the learner's `{entry}` kernel"),
                    needed: storage as u64,
                    limit: "max_storage_buffers_per_shader_stage",
                    allowed: storage_limit as u64,
                    unit: "storage buffers",
                    remedy: "request the adapter's own limits for the device (as Gpu::new does)",
                    adapter: self.gpu.adapter_name().to_string(),
                });
            }
        }
        let rollout_layout = self.rollout.layout(&self.gpu);
        let mut layouts: HashMap<Vec<u32>, wgpu::BindGroupLayout> = HashMap::new();
        let rollout_wg = self.rollout.wg();
        for d in &plan {
            let family = d.kernel.family();
            let module = &modules[&family];
            let entry = d.kernel.entry();
            let bound = self.bound(d);
            let numbers: Vec<u32> = bound.iter().map(|b| b.0).collect();
            let layout = if family == Family::Rollout {
                &rollout_layout
            } else {
                layouts
                    .entry(numbers.clone())
                    .or_insert_with(|| plan::storage_layout_at(&self.gpu, "wgym learner", &numbers))
            };
            if !self.pipelines.contains_key(&d.kernel) {
                let pipeline = module.pipeline_with(
                    &self.gpu,
                    entry,
                    d.kernel.workgroup_size(rollout_wg),
                    &d.kernel.overrides(),
                    layout,
                )?;
                self.pipelines.insert(d.kernel, pipeline);
            }
            let key = (family, bound.clone());
            if !self.bind_groups.contains_key(&key) {
                let group = if family == Family::Rollout {
                    let buffers: Vec<&wgpu::Buffer> =
                        d.binds.iter().map(|&b| self.buffer(b)).collect();
                    self.rollout
                        .bind(&self.gpu, layout, &self.configs, &buffers)
                } else {
                    let buffers: Vec<(u32, &wgpu::Buffer)> =
                        bound.iter().map(|&(k, b)| (k, self.buffer(b))).collect();
                    plan::bind_storage_at(
                        &self.gpu,
                        "wgym learner",
                        layout,
                        &self.configs,
                        d.config.len(),
                        &buffers,
                    )
                };
                self.bind_groups.insert(key, group);
            }
        }
        Ok(())
    }

    /// The buffers `d` binds, at their bindings: those its kernel uses (the rollout's
    /// driver binds all).
    fn bound(&self, d: &Dispatch) -> Vec<(u32, Buf)> {
        let all = (1..).zip(d.binds.iter().copied());
        match self.used.get(&d.kernel) {
            Some(used) => all.filter(|(k, _)| used.contains(k)).collect(),
            None => all.collect(),
        }
    }

    /// Every dispatch of the next update, in order, with its config. With a meta-gradient,
    /// an update after the first of a lifetime (or any, if `finish_meta_gradient`) first
    /// finishes the previous update's meta-gradient on the new rollout and steps eta; every
    /// update then starts its own before the epochs.
    fn plan(&self, finish_meta_gradient: bool) -> Vec<Dispatch> {
        let c = &self.config;
        let net = self.net.as_ref();
        let update = self.progress.update;
        let mut plan = Vec::new();
        self.rollout
            .plan(&self.gpu, net, self.progress.step_count, &mut plan);
        let mut ppo_cfg = self.algo.config(c, update);
        let step = Step {
            config: c,
            update,
            lr_scale: lr_schedule(c, update),
        };
        let parts = Parts {
            net,
            algo: &self.algo,
            optim: &self.optim,
        };
        match &self.meta {
            Some(meta) => meta.before_epochs(parts, step, ppo_cfg, finish_meta_gradient, &mut plan),
            None => self.algo.gae(&ppo_cfg, &mut plan),
        }
        let m = self.shape.minibatch;
        for epoch in 0..c.epochs {
            ppo_cfg.key = permutation_key(c.seed, update, epoch);
            for minibatch in 0..c.minibatches {
                ppo_cfg.first = minibatch * m;
                self.algo.gather(&ppo_cfg, false, &mut plan);
                net.forward(&self.shape, Nets::Both, &mut plan);
                let k = epoch * c.minibatches + minibatch;
                if let Some(meta) = self.meta.as_ref().filter(|meta| meta.drift_at(k)) {
                    meta.drift_pass(parts, step, ppo_cfg, &mut plan);
                }
                self.algo.loss(&ppo_cfg, &mut plan);
                net.backward(&self.shape, Nets::Both, &mut plan);
                log_std_gradient(net, &self.shape, &mut plan);
                let t = (update * c.epochs + epoch) * c.minibatches + minibatch + 1;
                let adam = self.optim.config(c, step.lr_scale, t);
                self.optim.step(&adam, &mut plan);
            }
        }
        plan
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }
    pub fn agents(&self) -> u32 {
        self.agents
    }
    /// The policy network.
    pub fn network(&self) -> &dyn PolicyNetwork {
        self.net.as_ref()
    }
    /// The policy network as the MLP that every trainer builds today (the twins take it).
    pub fn net(&self) -> &PolicyNet {
        self.net
            .as_any()
            .downcast_ref()
            .expect("the trainer builds MLP policies")
    }
    pub fn progress(&self) -> Progress {
        self.progress
    }
    /// Move the envs' global step counter (keys of the env and action streams), e.g. back
    /// to a checkpoint's.
    pub fn set_step_count(&mut self, step_count: u32) {
        self.progress.step_count = step_count;
        self.rollout.vec_env.set_step_count(step_count);
    }
    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }
    pub fn env(&self) -> &dyn Env {
        self.rollout.vec_env.env()
    }
    /// Env-steps per update, all agents together.
    pub fn steps_per_update(&self) -> u64 {
        self.agents as u64 * self.config.samples() as u64
    }

    /// One update: a rollout of `steps` steps in every env, then the epochs of minibatch
    /// steps. One submission; nothing is read back.
    pub fn update(&mut self) -> Result<()> {
        if self.progress.update >= self.config.updates {
            return Err(Error::invalid(
                "update",
                format!("the run is over ({} updates done)", self.config.updates),
            ));
        }
        let plan = self.plan(false);
        self.submit("a training update", &plan)?;
        self.progress.update += 1;
        self.progress.step_count = self.progress.step_count.wrapping_add(self.config.steps);
        self.rollout
            .vec_env
            .set_step_count(self.progress.step_count);
        Ok(())
    }

    /// Dispatch `plan` in one submission, each dispatch reading its own config slot.
    fn submit(&self, what: &str, plan: &[Dispatch]) -> Result<()> {
        let dispatches: Vec<plan::Dispatch> = plan
            .iter()
            .map(|d| plan::Dispatch {
                pipeline: &self.pipelines[&d.kernel],
                bind_group: &self.bind_groups[&(d.kernel.family(), self.bound(d))],
                groups: d.groups,
                config: d.config.clone(),
            })
            .collect();
        self.configs
            .submit(&self.gpu, what, &dispatches, |encoder| {
                encoder.clear_buffer(self.buffer(Buf::AgentStats), 0, None);
                encoder.clear_buffer(self.buffer(Buf::Flags), 0, None);
            })
    }

    /// One rollout of the current policies without learning; its returns, episodes and
    /// reward sum land in the agent statistics (nothing is read back).
    pub fn rollout_only(&mut self) -> Result<()> {
        let mut plan = Vec::new();
        self.rollout.plan(
            &self.gpu,
            self.net.as_ref(),
            self.progress.step_count,
            &mut plan,
        );
        self.submit("a rollout", &plan)?;
        self.progress.step_count = self.progress.step_count.wrapping_add(self.config.steps);
        self.rollout
            .vec_env
            .set_step_count(self.progress.step_count);
        Ok(())
    }

    /// Start a lifetime of `updates` updates from `weights` ([agent][params]): zero Adam
    /// moments and episode statistics, tasks drawn again where `tasks` says, every env
    /// reset. The envs' step counter runs on, so each lifetime sees new randomness.
    pub fn start_lifetime(
        &mut self,
        updates: u32,
        weights: &[f32],
        tasks: Option<Tasks>,
    ) -> Result<()> {
        if updates == 0 {
            return Err(Error::invalid("lifetime", "it needs at least 1 update"));
        }
        self.buffers[&Buf::Weights].write(&self.gpu, weights)?;
        self.gpu.scoped("starting a lifetime", || {
            let mut encoder = self.gpu.device.create_command_encoder(&Default::default());
            for b in [Buf::AdamM, Buf::AdamV, Buf::EnvStats] {
                encoder.clear_buffer(self.buffer(b), 0, None);
            }
            self.gpu.queue.submit([encoder.finish()]);
        })?;
        if let Some(t) = tasks {
            self.rollout.vec_env.sample_tasks(t.base, t.key, t.group)?;
        }
        self.rollout.vec_env.reset()?;
        self.config.updates = updates;
        self.progress.update = 0;
        Ok(())
    }

    /// The buffer of the agents' objective rows ([agent][stride] f32), for kernels that
    /// write them (meta-training).
    pub fn objective_buffer(&self) -> &wgpu::Buffer {
        self.buffer(Buf::Objective)
    }

    /// The agent statistics ([agent][STATS] f32) of the last submission.
    pub fn agent_stats_buffer(&self) -> &wgpu::Buffer {
        self.buffer(Buf::AgentStats)
    }

    /// Run the current policies for `rollouts` rollouts of `steps` steps without
    /// learning; per agent, the episodes finished: their mean return, count and the
    /// fraction with a successful step.
    pub fn evaluate(&mut self, rollouts: u32) -> Result<Vec<Evaluation>> {
        let mut totals = vec![[0.0f32; 3]; self.agents as usize];
        for _ in 0..rollouts {
            self.rollout_only()?;
            let raw = self.buffers[&Buf::AgentStats].read(&self.gpu)?;
            for (t, s) in totals.iter_mut().zip(raw.chunks(STATS as usize)) {
                for (k, sum) in t.iter_mut().enumerate() {
                    *sum += s[STAT_RETURN_SUM as usize + k];
                }
            }
        }
        Ok(totals
            .into_iter()
            .map(|[sum, episodes, successes]| Evaluation {
                mean_return: sum / episodes,
                episodes,
                success_rate: successes / episodes,
            })
            .collect())
    }

    /// Bytes [`Trainer::stats`] reads back: the whole host-device traffic of an update.
    pub fn readback_bytes(&self) -> u64 {
        let tuned = self.config.meta_gradient.is_some() as u64 * self.objective.stride() as u64;
        self.agents as u64 * (STATS as u64 * 4 + 4 + tuned * 4)
    }

    /// The statistics of the last update, per agent; an error if any agent's losses,
    /// gradient norm or weights stopped being finite.
    pub fn stats(&mut self) -> Result<Vec<AgentStats>> {
        let raw = self.buffers[&Buf::AgentStats].read(&self.gpu)?;
        let flags: Vec<u32> =
            bytemuck::cast_slice(&self.buffers[&Buf::Flags].read(&self.gpu)?).to_vec();
        let c = &self.config;
        let minibatch_steps = (c.epochs * c.minibatches) as f32;
        // The loss terms are summed over every sample of every minibatch.
        let samples = minibatch_steps * c.minibatch() as f32;
        let update = self.progress.update;
        let mut stats = Vec::with_capacity(self.agents as usize);
        for (agent, (s, &flag)) in raw.chunks(STATS as usize).zip(&flags).enumerate() {
            let diverged = |what: &str| Error::NonFinite {
                update,
                agent: agent as u32,
                what: what.to_string(),
            };
            if flag & FLAG_WEIGHTS != 0 {
                return Err(diverged("a weight"));
            }
            if flag & FLAG_GRAD != 0 {
                return Err(diverged("the gradient norm"));
            }
            let names = [
                "the policy loss",
                "the value loss",
                "the entropy",
                "the approx KL",
            ];
            if let Some(k) = (0..4).find(|&k| !s[k].is_finite()) {
                return Err(diverged(names[k]));
            }
            let episodes = s[STAT_RETURN_SUM as usize + 1];
            let successes = s[STAT_RETURN_SUM as usize + 2];
            stats.push(AgentStats {
                policy_loss: s[0] / samples,
                value_loss: s[1] / samples,
                entropy: s[2] / samples,
                approx_kl: s[3] / samples,
                clip_frac: s[4] / samples,
                grad_norm: s[STAT_GRAD_NORM as usize] / minibatch_steps,
                mean_return: s[STAT_RETURN_SUM as usize] / episodes,
                episodes,
                success_rate: successes / episodes,
                mean_length: s[STAT_LENGTH_SUM as usize] / episodes,
                reward_per_step: s[STAT_REWARD_SUM as usize] / c.samples() as f32,
            });
        }
        Ok(stats)
    }

    pub fn objective(&self) -> Objective {
        self.objective
    }
    /// The random streams in whole agents (see `TrainerOptions::streams`).
    pub fn agent_streams(&self) -> Streams {
        self.agent_streams
    }

    /// Every agent's objective row, [agent][stride] (reads them back).
    pub fn objective_rows(&self) -> Result<Vec<f32>> {
        self.buffers[&Buf::Objective].read(&self.gpu)
    }

    /// The last submission's raw statistics, [agent][STATS] (reads them back).
    pub fn raw_stats(&self) -> Result<Vec<f32>> {
        self.buffers[&Buf::AgentStats].read(&self.gpu)
    }

    /// Replace every agent's objective row, [agent][stride]; a meta-gradient starts again
    /// from these hyperparameters (t = 0).
    pub fn set_objective(&mut self, rows: &[f32]) -> Result<()> {
        self.buffers[&Buf::Objective].write(&self.gpu, rows)?;
        if self.meta.is_some() {
            let stride = self.objective.stride();
            let state: Vec<f32> = rows
                .chunks(stride)
                .flat_map(meta_gradient::initial_state)
                .collect();
            self.buffers[&Buf::MetaState].write(&self.gpu, &state)?;
        }
        Ok(())
    }

    /// Every agent's weights, [agent][params].
    pub fn weights(&self) -> Result<Vec<f32>> {
        self.buffers[&Buf::Weights].read(&self.gpu)
    }

    /// Replace every agent's weights with a GPU buffer's first [agent][params] floats (e.g.
    /// an ES population), without a trip through the host.
    pub fn copy_weights_from(&mut self, source: &wgpu::Buffer) -> Result<()> {
        let target = self.buffer(Buf::Weights);
        let bytes = self.buffers[&Buf::Weights].len() as u64 * 4;
        if source.size() < bytes {
            return Err(Error::invalid(
                "weights",
                format!(
                    "a buffer of {} bytes for {bytes} bytes of weights",
                    source.size()
                ),
            ));
        }
        self.gpu.scoped("copying weights", || {
            let mut encoder = self.gpu.device.create_command_encoder(&Default::default());
            encoder.copy_buffer_to_buffer(source, 0, target, 0, bytes);
            self.gpu.queue.submit([encoder.finish()]);
        })
    }

    /// Replace every agent's weights (e.g. to evaluate a checkpoint).
    pub fn set_weights(&mut self, weights: &[f32]) -> Result<()> {
        self.buffers[&Buf::Weights].write(&self.gpu, weights)
    }

    /// The last rollout's records, [agent][env][step].
    pub fn trajectory(&self) -> Result<Vec<TrajStep>> {
        let words = self.buffers[&Buf::Traj].read(&self.gpu)?;
        Ok(bytemuck::pod_collect_to_vec(&words))
    }

    /// The last rollout's observations, [agent][env][step][obs].
    pub fn trajectory_obs(&self) -> Result<Vec<f32>> {
        self.buffers[&Buf::TrajObs].read(&self.gpu)
    }

    /// The last rollout's actions of a Gaussian policy, [agent][env][step][action_dim].
    pub fn trajectory_actions(&self) -> Result<Vec<f32>> {
        self.buffers[&Buf::TrajActions].read(&self.gpu)
    }

    pub fn env_stats(&self) -> Result<Vec<EnvStats>> {
        let words = self.buffers[&Buf::EnvStats].read(&self.gpu)?;
        Ok(bytemuck::pod_collect_to_vec(&words))
    }

    /// The envs' params as the kernels see them (one struct, or one per env).
    pub fn env_params(&self) -> Result<Vec<u8>> {
        self.rollout.vec_env.params()
    }

    /// The env states, as bytes.
    pub fn env_states(&self) -> Result<Vec<u8>> {
        self.rollout.vec_env.states()
    }

    /// The hyperparameters a meta-gradient tunes, with their means over agents (reads the
    /// objective rows back; nothing without a meta-gradient).
    pub fn tuned_hyperparameters(&self) -> Result<Vec<(String, f32)>> {
        let Some(meta) = &self.meta else {
            return Ok(Vec::new());
        };
        let rows = self.objective_rows()?;
        let stride = self.objective.stride();
        Ok(meta
            .mg
            .learn
            .iter()
            .map(|h| {
                let sum: f32 = rows.chunks(stride).map(|r| r[h.row_slot()]).sum();
                (h.name().to_string(), sum / self.agents as f32)
            })
            .collect())
    }

    /// Replace the meta-gradient's state, [agent][META_STATE].
    pub fn set_meta_state(&mut self, state: &[f32]) -> Result<()> {
        self.meta_buffer(Buf::MetaState)?.write(&self.gpu, state)
    }

    /// The meta-gradient's state, [agent][META_STATE] (reads it back).
    pub fn meta_state(&self) -> Result<Vec<f32>> {
        self.meta_buffer(Buf::MetaState)?.read(&self.gpu)
    }

    /// grad J and d theta' / d eta_k of the last update, [agent][DIRECTIONS][params]
    /// (reads them back).
    pub fn meta_directions(&self) -> Result<Vec<f32>> {
        self.meta_buffer(Buf::Directions)?.read(&self.gpu)
    }

    /// Replace the drift's direction and outer Adam moments, [agent][3][drift weights].
    pub fn set_drift_state(&mut self, state: &[f32]) -> Result<()> {
        self.meta_buffer(Buf::DriftState)?.write(&self.gpu, state)
    }

    /// The drift's direction u and outer Adam moments, [agent][3][drift weights] (reads
    /// them back).
    pub fn drift_state(&self) -> Result<Vec<f32>> {
        self.meta_buffer(Buf::DriftState)?.read(&self.gpu)
    }

    /// The last update's advantage tangents, [agent][env][step][2] (reads them back).
    pub fn advantage_tangents(&self) -> Result<Vec<f32>> {
        self.meta_buffer(Buf::Tangents)?.read(&self.gpu)
    }

    /// The GPU buffers a checkpoint holds, by section name: each part's, and the
    /// trainer's weights and objective rows (the env states come from the rollout's envs).
    fn checkpoint_buffers(&self) -> Vec<(&'static str, Buf)> {
        let mut sections = vec![(WEIGHTS, Buf::Weights), (OBJECTIVE, Buf::Objective)];
        sections.extend(self.net.checkpoint_buffers());
        sections.extend(self.rollout.checkpoint_buffers());
        sections.extend(self.optim.checkpoint_buffers());
        if let Some(meta) = &self.meta {
            sections.extend(meta.checkpoint_buffers());
        }
        sections
    }

    /// Everything a checkpoint holds, as named sections.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let mut sections = BTreeMap::new();
        for (name, buf) in self.checkpoint_buffers() {
            let bytes = bytemuck::cast_slice(&self.buffers[&buf].read(&self.gpu)?).to_vec();
            sections.insert(name.to_string(), bytes);
        }
        sections.insert(ENV_STATES.to_string(), self.rollout.vec_env.states()?);
        Ok(Snapshot {
            progress: self.progress,
            sections,
        })
    }

    /// Continue from a snapshot of a trainer built with the same env, agents and config.
    pub fn restore(&mut self, s: &Snapshot) -> Result<()> {
        let legacy = legacy_meta_gradient(s, |b| self.buffers[&b].len() * 4);
        let section = |name: &str| {
            s.section(name)
                .or_else(|| legacy.iter().find(|l| l.0 == name).map(|l| l.1))
        };
        for (name, buf) in self.checkpoint_buffers() {
            let Some(bytes) = section(name) else {
                // Checkpoints written before hyperparameters could change in a run have
                // no objective rows: the trainer's stay.
                if name == OBJECTIVE {
                    continue;
                }
                return Err(Error::invalid(
                    "checkpoint",
                    format!("it has no `{name}` section, which this run's config needs"),
                ));
            };
            let buffer = &self.buffers[&buf];
            if bytes.len() != buffer.len() * 4 {
                return Err(Error::invalid(
                    "checkpoint",
                    format!(
                        "its `{name}` section has {} bytes, this run's config needs {}",
                        bytes.len(),
                        buffer.len() * 4
                    ),
                ));
            }
            buffer.write(&self.gpu, &bytemuck::pod_collect_to_vec::<u8, f32>(bytes))?;
        }
        let states = section(ENV_STATES).ok_or_else(|| {
            Error::invalid("checkpoint", format!("it has no `{ENV_STATES}` section"))
        })?;
        self.rollout.vec_env.write_states(states)?;
        self.progress = s.progress;
        self.rollout.vec_env.set_step_count(s.progress.step_count);
        Ok(())
    }
}

const WEIGHTS: &str = "weights";
const OBJECTIVE: &str = "objective";
const ENV_STATES: &str = "env_states";
/// Checkpoints before named sections held the meta-gradient's buffers in one blob.
const LEGACY_META_GRADIENT: &str = "meta_gradient";

/// The sections of an older checkpoint's single meta-gradient blob (the meta state, the
/// directions, the drift's state, in that order), cut at the sizes `len` gives; none if
/// the snapshot has named sections or no such blob.
fn legacy_meta_gradient(s: &Snapshot, len: impl Fn(Buf) -> usize) -> Vec<(&'static str, &[u8])> {
    let Some(mut rest) = s.section(LEGACY_META_GRADIENT) else {
        return Vec::new();
    };
    if rest.is_empty() || s.section("meta_state").is_some() {
        return Vec::new();
    }
    let mut sections = Vec::new();
    for (name, buf) in [
        ("meta_state", Some(Buf::MetaState)),
        ("meta_directions", Some(Buf::Directions)),
        ("drift_state", None),
    ] {
        let cut = buf.map_or(rest.len(), &len).min(rest.len());
        let (section, tail) = rest.split_at(cut);
        sections.push((name, section));
        rest = tail;
    }
    sections
}

/// The state of a run as named sections of bytes (see `learn::checkpoint`): each part's
/// buffers under its names, and the env states.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub progress: Progress,
    pub sections: BTreeMap<String, Vec<u8>>,
}

impl Snapshot {
    /// A section's bytes, if the snapshot has it.
    pub fn section(&self, name: &str) -> Option<&[u8]> {
        self.sections.get(name).map(Vec::as_slice)
    }
    /// Every agent's weights, [agent][params] f32 (empty if the snapshot has none).
    pub fn weights(&self) -> &[u8] {
        self.section(WEIGHTS).unwrap_or_default()
    }
}

/// Key of agent `agent`'s initial weights.
pub fn init_key(seed: u32, agent: u32) -> Key {
    rng::fold(rng::fold(rng::key(seed), 3), agent)
}

/// The factor of every agent's learning rate at update `update`: linear decay to 0 over
/// the run when annealing.
pub fn lr_schedule(c: &TrainConfig, update: u32) -> f32 {
    if c.anneal_lr {
        1.0 - update as f32 / c.updates as f32
    } else {
        1.0
    }
}
