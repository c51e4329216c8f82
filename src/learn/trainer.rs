//! `Trainer`: PPO or A2C for `agents` independent agents at once, each with its own
//! weights, optimizer state and envs, in the same kernels. An update is one submission
//! (the policy rollout, GAE, a meta-gradient's passes if configured, then per epoch and
//! minibatch: gather, forward, loss, backward, clip, Adam); the host writes the dispatch
//! configs and reads back only the per-agent statistics, when it asks for them.

use std::collections::HashMap;
use std::sync::Arc;

use bytemuck::Pod;

use super::adam::{AdamConfig, FLAG_GRAD, FLAG_WEIGHTS};
use super::config::TrainConfig;
use super::meta_gradient::{
    self, MetaGradConfig, MetaGradient, DIRECTIONS, DRIFT, HYPERS, META_DRIFT, META_GAMMA, META_LR,
    META_STATE, META_VALIDATION, OUTER_EPS,
};
use super::net::{Activation, PolicyNet};
use super::nn::{Epilogue, MatmulConfig, ReduceConfig, View};
use super::objective::Objective;
use super::ppo::{
    EnvStats, PpoConfig, TrajStep, ENV_STATS, LOSS_TERMS, SCRATCH, SCRATCH_GRAD_SUM_SQ,
    SCRATCH_TANGENT_SUMS, TERMS, TERM_ADV,
};
use crate::buffer::GpuBuffer;
use crate::driver::{self, Driver, DriverConfig, Streams};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::plan::{self, ConfigSlots};
use crate::rng::{self, Key};
use crate::shader::{const_prelude, Composed, Part, RNG_WGSL};
use crate::vec_env::{self, ParamsInit, VecEnv, VecEnvConfig};

const NN_WGSL: &str = include_str!("../../shaders/nn.wgsl");
const REDUCE_WGSL: &str = include_str!("../../shaders/reduce.wgsl");
const PPO_WGSL: &str = include_str!("../../shaders/ppo.wgsl");
const ADAM_WGSL: &str = include_str!("../../shaders/adam.wgsl");
const POLICY_WGSL: &str = include_str!("../../shaders/policy.wgsl");
const TRAJECTORY_WGSL: &str = include_str!("../../shaders/trajectory.wgsl");
const PPO_LOSS_WGSL: &str = include_str!("../../shaders/ppo_loss.wgsl");
const OBJECTIVE_WGSL: &str = include_str!("../../shaders/objective.wgsl");
const META_GRADIENT_LOSS_WGSL: &str = include_str!("../../shaders/meta_gradient_loss.wgsl");
const META_GRADIENT_WGSL: &str = include_str!("../../shaders/meta_gradient.wgsl");
const POLICY_CATEGORICAL_WGSL: (&str, &str) = (
    "shaders/policy_categorical.wgsl",
    include_str!("../../shaders/policy_categorical.wgsl"),
);
const POLICY_GAUSSIAN_WGSL: (&str, &str) = (
    "shaders/policy_gaussian.wgsl",
    include_str!("../../shaders/policy_gaussian.wgsl"),
);
const LOSS_CATEGORICAL_WGSL: (&str, &str) = (
    "shaders/loss_categorical.wgsl",
    include_str!("../../shaders/loss_categorical.wgsl"),
);
const LOSS_GAUSSIAN_WGSL: (&str, &str) = (
    "shaders/loss_gaussian.wgsl",
    include_str!("../../shaders/loss_gaussian.wgsl"),
);

/// Floats of statistics per agent: the loss terms (summed over minibatches), the gradient
/// norm (summed), the returns of finished episodes (summed), their count, how many of them
/// had a successful step, the sum of the rollout's rewards, and the finished episodes'
/// lengths (summed).
pub const STATS: u32 = 11;
/// Where the sum of the last rollout's rewards is in an agent's statistics.
pub const STAT_REWARD_SUM: u32 = 9;
const STAT_GRAD_NORM: u32 = 5;
/// The returns' sum, then the episode count and the successful episodes (EnvStats order).
const STAT_RETURN_SUM: u32 = 6;
const STAT_LENGTH_SUM: u32 = 10;
/// Where `EnvStats::length_sum` is among an env's floats.
const ENV_LENGTH_SUM: u32 = 7;

/// Samples per chunk of a weight gradient: enough parallel sums for a GPU when one agent
/// trains on many envs, few enough chunks that summing them is cheap (256 measured 12%
/// faster than 64 on lavapipe). Fixed, so results do not depend on the device.
const GRAD_CHUNK: u32 = 256;
const WG: u32 = 64;
/// The matrix products take everything from pipeline constants; their config slot is
/// bound but unused.
mod meta_plan;

const NO_CONFIG: [u32; 4] = [0; 4];

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Buf {
    Weights,
    AdamM,
    AdamV,
    Grads,
    Parts,
    EnvStats,
    Traj,
    TrajObs,
    /// Gaussian policies' actions, [agent][env][step][action_dim].
    TrajActions,
    MbX,
    MbIndex,
    Heads,
    DHeads,
    Terms,
    Scratch,
    AgentStats,
    Flags,
    /// Each agent's objective row (hyperparameters, drift network).
    Objective,
    /// The meta-gradient's advantage tangents, [agent][env][step][2].
    Tangents,
    /// grad J and d theta' / d eta_k, [agent][DIRECTIONS][params].
    Directions,
    /// The outer optimizer's state, [agent][META_STATE].
    MetaState,
    /// The drift's forward-gradient direction u and outer Adam moments, [agent][3][drift].
    DriftState,
    /// Output of hidden layer `.1` of net `.0` (0 actor, 1 critic).
    Hidden(usize, usize),
    /// Ping-pong input gradients of hidden layers.
    Delta(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kernel {
    PolicyRollout,
    Gae,
    Gather,
    Loss,
    ColumnSums,
    /// Shapes and strides are pipeline constants: one pipeline per product.
    Matmul {
        wg: u32,
        shape: MatmulConfig,
    },
    SumChunks,
    Adam,
    GaeTangents,
    MetaLoss,
    Accumulate,
    MetaDot,
    OuterAdam,
    DrawDriftDirection,
    OuterDrift,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Family {
    Rollout,
    Nn,
    Reduce,
    Ppo,
    Adam,
    MetaGradient,
}

impl Kernel {
    fn family(self) -> Family {
        match self {
            Kernel::PolicyRollout => Family::Rollout,
            Kernel::Gae
            | Kernel::Gather
            | Kernel::Loss
            | Kernel::GaeTangents
            | Kernel::MetaLoss => Family::Ppo,
            Kernel::ColumnSums => Family::Reduce,
            Kernel::Matmul { .. } => Family::Nn,
            Kernel::SumChunks | Kernel::Adam => Family::Adam,
            Kernel::Accumulate
            | Kernel::MetaDot
            | Kernel::OuterAdam
            | Kernel::DrawDriftDirection
            | Kernel::OuterDrift => Family::MetaGradient,
        }
    }
    fn entry(self) -> &'static str {
        match self {
            Kernel::PolicyRollout => "policy_rollout",
            Kernel::Gae => "gae",
            Kernel::Gather => "gather",
            Kernel::Loss => "loss",
            Kernel::ColumnSums => "column_sums",
            Kernel::Matmul { .. } => "matmul",
            Kernel::SumChunks => "sum_chunks",
            Kernel::Adam => "adam",
            Kernel::GaeTangents => "gae_tangents",
            Kernel::MetaLoss => "meta_loss",
            Kernel::Accumulate => "accumulate",
            Kernel::MetaDot => "meta_dot",
            Kernel::OuterAdam => "outer_adam",
            Kernel::DrawDriftDirection => "draw_drift_direction",
            Kernel::OuterDrift => "outer_drift",
        }
    }
}

const PPO_BINDS: [Buf; 14] = [
    Buf::Traj,
    Buf::TrajObs,
    Buf::EnvStats,
    Buf::MbX,
    Buf::MbIndex,
    Buf::Heads,
    Buf::DHeads,
    Buf::Terms,
    Buf::Scratch,
    Buf::Objective,
    Buf::TrajActions,
    Buf::Weights,
    Buf::Tangents,
    Buf::DriftState,
];
const ADAM_BINDS: [Buf; 9] = [
    Buf::Parts,
    Buf::Grads,
    Buf::Weights,
    Buf::AdamM,
    Buf::AdamV,
    Buf::AgentStats,
    Buf::Scratch,
    Buf::Flags,
    Buf::Objective,
];

const META_BINDS: [Buf; 5] = [
    Buf::Grads,
    Buf::Directions,
    Buf::MetaState,
    Buf::Objective,
    Buf::DriftState,
];

struct Dispatch {
    kernel: Kernel,
    binds: Vec<Buf>,
    groups: [u32; 3],
    config: Vec<u8>,
}

impl Dispatch {
    fn new<C: Pod>(kernel: Kernel, binds: &[Buf], groups: [u32; 3], config: &C) -> Dispatch {
        Dispatch {
            kernel,
            binds: binds.to_vec(),
            groups,
            config: bytemuck::bytes_of(config).to_vec(),
        }
    }
}

pub struct Trainer {
    gpu: Gpu,
    config: TrainConfig,
    agents: u32,
    net: PolicyNet,
    objective: Objective,
    /// The envs' random streams in whole agents (minibatch permutations follow them).
    agent_streams: Streams,
    vec_env: VecEnv,
    obs_dim: u32,
    progress: Progress,
    buffers: HashMap<Buf, GpuBuffer<f32>>,
    configs: ConfigSlots,
    pipelines: HashMap<Kernel, wgpu::ComputePipeline>,
    bind_groups: HashMap<(Family, Vec<Buf>), wgpu::BindGroup>,
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
        // The PPO kernels bind the most storage buffers of any learner kernel.
        let storage = limits.max_storage_buffers_per_shader_stage;
        if storage < PPO_BINDS.len() as u32 {
            return Err(Error::OverLimit {
                what: "the learner's PPO kernels".to_string(),
                needed: PPO_BINDS.len() as u64,
                limit: "max_storage_buffers_per_shader_stage",
                allowed: storage as u64,
                unit: "storage buffers",
                remedy: "request the adapter's own limits for the device (as Gpu::new does)",
                adapter: gpu.adapter_name().to_string(),
            });
        }
        let batch = agents
            .checked_mul(config.envs)
            .ok_or_else(|| Error::invalid("agents x envs", "too many envs"))?;
        let net = PolicyNet::for_spec(&spec, &config.network.hidden, config.network.activation)?;
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
        // Sized for the update's plan in build_kernels.
        let configs = ConfigSlots::new(gpu, "the learner configs", 1)?;
        let mut trainer = Trainer {
            gpu: gpu.clone(),
            agents,
            net,
            objective: options.objective,
            agent_streams,
            obs_dim: spec.obs_dim,
            vec_env,
            progress: Progress::default(),
            buffers: HashMap::new(),
            configs,
            pipelines: HashMap::new(),
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

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }
    pub fn agents(&self) -> u32 {
        self.agents
    }
    pub fn net(&self) -> &PolicyNet {
        &self.net
    }
    pub fn progress(&self) -> Progress {
        self.progress
    }
    /// Move the envs' global step counter (keys of the env and action streams), e.g. back
    /// to a checkpoint's.
    pub fn set_step_count(&mut self, step_count: u32) {
        self.progress.step_count = step_count;
        self.vec_env.set_step_count(step_count);
    }
    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }
    pub fn env(&self) -> &dyn Env {
        self.vec_env.env()
    }
    /// Env-steps per update, all agents together.
    pub fn steps_per_update(&self) -> u64 {
        self.agents as u64 * self.config.samples() as u64
    }

    /// Columns per sample of the heads and their gradients: the actor's outputs, the value,
    /// and for a Gaussian policy the log-std gradient terms.
    fn heads(&self) -> u32 {
        let outputs = self.net.outputs();
        outputs + 1 + if self.net.action_dim > 0 { outputs } else { 0 }
    }

    fn minibatch(&self) -> u32 {
        self.config.minibatch()
    }

    /// Gradient chunks per agent (summed in a fixed order by `sum_chunks`).
    fn chunks(&self) -> u32 {
        self.minibatch().div_ceil(GRAD_CHUNK)
    }

    fn allocate(&mut self) -> Result<()> {
        let a = self.agents as usize;
        let p = self.net.params() as usize;
        let e = self.config.envs as usize;
        let n = self.config.samples() as usize;
        let m = self.minibatch() as usize;
        let heads = self.heads() as usize;
        let mut sizes: Vec<(Buf, usize, &str)> = vec![
            (Buf::Weights, a * p, "the weights"),
            (Buf::AdamM, a * p, "Adam's first moments"),
            (Buf::AdamV, a * p, "Adam's second moments"),
            (Buf::Grads, a * p, "the gradients"),
            (
                Buf::Parts,
                a * p * self.chunks() as usize,
                "the gradient chunks",
            ),
            (
                Buf::EnvStats,
                a * e * ENV_STATS as usize,
                "the env statistics",
            ),
            (Buf::Traj, a * n * 8, "the trajectories"),
            (
                Buf::TrajObs,
                a * n * self.obs_dim as usize,
                "the trajectory observations",
            ),
            (
                Buf::TrajActions,
                (a * n * self.net.action_dim as usize).max(1),
                "the trajectory actions",
            ),
            (
                Buf::MbX,
                a * m * self.obs_dim as usize,
                "the minibatch observations",
            ),
            (Buf::MbIndex, a * m, "the minibatch indices"),
            (Buf::Heads, a * m * heads, "the network outputs"),
            (Buf::DHeads, a * m * heads, "the output gradients"),
            (Buf::Terms, a * m * TERMS as usize, "the loss terms"),
            (Buf::Scratch, a * SCRATCH as usize, "the per-agent scratch"),
            (Buf::AgentStats, a * STATS as usize, "the agent statistics"),
            (Buf::Flags, a, "the divergence flags"),
            (
                Buf::Objective,
                a * self.objective.stride(),
                "the objective rows",
            ),
        ];
        // The meta-gradient's buffers (a float each without it: the bindings stay).
        let meta = self.config.meta_gradient.is_some() as usize;
        sizes.extend([
            (
                Buf::Tangents,
                (a * n * 2 * meta).max(1),
                "the advantage tangents",
            ),
            (
                Buf::Directions,
                (a * DIRECTIONS * p * meta).max(1),
                "the meta-gradient directions",
            ),
            (
                Buf::MetaState,
                (a * META_STATE * meta).max(1),
                "the meta state",
            ),
            (
                Buf::DriftState,
                (a * 3 * self.drift_meta_params()).max(1),
                "the drift's meta-gradient state",
            ),
        ]);
        let widest = *self.config.network.hidden.iter().max().expect("checked") as usize;
        for (net, mlp) in [&self.net.actor, &self.net.critic].into_iter().enumerate() {
            for l in 0..mlp.layers() - 1 {
                sizes.push((
                    Buf::Hidden(net, l),
                    a * m * mlp.dims[l + 1] as usize,
                    "the activations",
                ));
            }
        }
        for k in 0..2 {
            sizes.push((Buf::Delta(k), a * m * widest, "the activation gradients"));
        }
        for (buf, len, what) in sizes {
            self.buffers
                .insert(buf, GpuBuffer::zeroed(&self.gpu, what, len)?);
        }
        Ok(())
    }

    fn buffer(&self, buf: Buf) -> &wgpu::Buffer {
        &self.buffers[&buf].buffer
    }

    /// Compile every kernel the update uses and bind every buffer combination once.
    fn build_kernels(&mut self) -> Result<()> {
        // The longest plan, with every kernel: an update that finishes a meta-gradient.
        let plan = self.plan(true);
        self.configs = ConfigSlots::new(&self.gpu, "the learner configs", plan.len())?;
        let nn = Composed::new(&[Part::new("shaders/nn.wgsl", NN_WGSL)])?;
        let reduce = Composed::new(&[Part::new("shaders/reduce.wgsl", REDUCE_WGSL)])?;
        let mut ppo_prelude = const_prelude(&[("OBS_DIM", self.obs_dim)]);
        ppo_prelude.push_str(&rng::wgsl_prelude());
        ppo_prelude.push_str(&self.objective.wgsl_prelude());
        ppo_prelude.push_str(&self.net.wgsl_prelude());
        let gaussian = self.net.action_dim > 0;
        let (policy, loss) = if gaussian {
            (POLICY_GAUSSIAN_WGSL, LOSS_GAUSSIAN_WGSL)
        } else {
            (POLICY_CATEGORICAL_WGSL, LOSS_CATEGORICAL_WGSL)
        };
        let ppo = Composed::new(&[
            Part::new("<generated prelude>", ppo_prelude.clone()),
            Part::new(RNG_WGSL.0, RNG_WGSL.1),
            Part::new("shaders/trajectory.wgsl", TRAJECTORY_WGSL),
            Part::new("shaders/objective.wgsl", OBJECTIVE_WGSL),
            Part::new(loss.0, loss.1),
            Part::new("shaders/ppo_loss.wgsl", PPO_LOSS_WGSL),
            Part::new("shaders/ppo.wgsl", PPO_WGSL),
            Part::new("shaders/meta_gradient_loss.wgsl", META_GRADIENT_LOSS_WGSL),
        ])?;
        let meta_gradient = Composed::new(&[
            Part::new("<generated prelude>", rng::wgsl_prelude()),
            Part::new(RNG_WGSL.0, RNG_WGSL.1),
            Part::new("shaders/meta_gradient.wgsl", META_GRADIENT_WGSL),
        ])?;

        let adam = Composed::new(&[Part::new("shaders/adam.wgsl", ADAM_WGSL)])?;
        let rollout = driver::compose_with(
            self.vec_env.env(),
            Driver::PolicyRollout,
            self.vec_env.specialized_for(),
            &self.net.wgsl_prelude(),
            &[
                Part::new("shaders/policy.wgsl", POLICY_WGSL),
                Part::new(policy.0, policy.1),
                Part::new("shaders/trajectory.wgsl", TRAJECTORY_WGSL),
            ],
        )?;
        let rollout_layout = Driver::PolicyRollout.bind_group_layout(&self.gpu);
        let layouts: HashMap<Family, wgpu::BindGroupLayout> = [
            (
                Family::Nn,
                plan::storage_layout(&self.gpu, "wgym learner", 4),
            ),
            (
                Family::Reduce,
                plan::storage_layout(&self.gpu, "wgym learner", 2),
            ),
            (
                Family::Ppo,
                plan::storage_layout(&self.gpu, "wgym learner", PPO_BINDS.len() as u32),
            ),
            (
                Family::Adam,
                plan::storage_layout(&self.gpu, "wgym learner", ADAM_BINDS.len() as u32),
            ),
            (
                Family::MetaGradient,
                plan::storage_layout(&self.gpu, "wgym learner", META_BINDS.len() as u32),
            ),
        ]
        .into_iter()
        .collect();
        for d in &plan {
            let family = d.kernel.family();
            if !self.pipelines.contains_key(&d.kernel) {
                let (module, wg) = match d.kernel {
                    Kernel::PolicyRollout => (&rollout, self.rollout_wg()),
                    Kernel::Matmul { wg, .. } => (&nn, wg),
                    Kernel::ColumnSums => (&reduce, WG),
                    Kernel::Gae
                    | Kernel::Gather
                    | Kernel::Loss
                    | Kernel::GaeTangents
                    | Kernel::MetaLoss => (&ppo, WG),
                    Kernel::SumChunks | Kernel::Adam => (&adam, WG),
                    Kernel::Accumulate
                    | Kernel::OuterAdam
                    | Kernel::DrawDriftDirection
                    | Kernel::OuterDrift => (&meta_gradient, WG),
                    Kernel::MetaDot => (&meta_gradient, 64),
                };
                let layout = if family == Family::Rollout {
                    &rollout_layout
                } else {
                    &layouts[&family]
                };
                let overrides = match d.kernel {
                    Kernel::Matmul { shape, .. } => shape.overrides(),
                    _ => vec![],
                };
                let pipeline =
                    module.pipeline_with(&self.gpu, d.kernel.entry(), wg, &overrides, layout)?;
                self.pipelines.insert(d.kernel, pipeline);
            }
            let key = (family, d.binds.clone());
            if !self.bind_groups.contains_key(&key) {
                let group = if family == Family::Rollout {
                    let [_, tables, params, states] = self.vec_env.driver_buffers();
                    let storage: Vec<&wgpu::Buffer> = std::iter::once(params)
                        .chain(std::iter::once(states))
                        .chain(d.binds.iter().map(|&b| self.buffer(b)))
                        .collect();
                    vec_env::bind(
                        &self.gpu,
                        &rollout_layout,
                        [&self.configs.buffer, tables],
                        &storage,
                    )
                } else {
                    {
                        let buffers: Vec<&wgpu::Buffer> =
                            d.binds.iter().map(|&b| self.buffer(b)).collect();
                        plan::bind_storage(
                            &self.gpu,
                            "wgym learner",
                            &layouts[&family],
                            &self.configs,
                            d.config.len(),
                            &buffers,
                        )
                    }
                };
                self.bind_groups.insert(key, group);
            }
        }
        Ok(())
    }

    fn rollout_wg(&self) -> u32 {
        self.config.envs.next_power_of_two().clamp(8, WG)
    }

    /// The policy rollout of the next update (in dispatches of at most LOOP_BUDGET loop
    /// iterations on CPU adapters) and the sums of its episode returns per agent.
    fn rollout_plan(&self) -> Vec<Dispatch> {
        let c = &self.config;
        let (a, e) = (self.agents, c.envs);
        let spec = self.vec_env.spec();
        let per_step = self.net.loop_iterations()
            + self.vec_env.env().wgsl().loop_iterations
            + 3 * (spec.num_actions + spec.obs_dim)
            + 4;
        let per_dispatch = driver::steps_per_dispatch(&self.gpu, per_step).min(c.steps);
        let mut plan = Vec::new();
        for offset in (0..c.steps).step_by(per_dispatch as usize) {
            let step = self.progress.step_count.wrapping_add(offset);
            let mut rollout_cfg: DriverConfig = self.vec_env.step_config(step);
            rollout_cfg.num_steps = per_dispatch.min(c.steps - offset);
            rollout_cfg.envs_per_agent = e;
            rollout_cfg.rollout_offset = offset;
            rollout_cfg.rollout_steps = c.steps;
            plan.push(Dispatch::new(
                Kernel::PolicyRollout,
                &[
                    Buf::EnvStats,
                    Buf::Weights,
                    Buf::Traj,
                    Buf::TrajObs,
                    Buf::TrajActions,
                ],
                [e.div_ceil(self.rollout_wg()), a, 1],
                &rollout_cfg,
            ));
        }
        // Returns, episode and success counts of the rollout into the agent statistics, and
        // the sum of its rewards (TrajStep's fourth float).
        let returns = ReduceConfig::new(e, 1, e * ENV_STATS, ENV_STATS, STAT_RETURN_SUM, STATS);
        plan.push(column_sums(Buf::EnvStats, Buf::AgentStats, 3, a, returns));
        let n = c.samples();
        let rewards = ReduceConfig::new(n, 3, n * 8, 8, STAT_REWARD_SUM, STATS);
        plan.push(column_sums(Buf::Traj, Buf::AgentStats, 1, a, rewards));
        let lengths = ReduceConfig::new(
            e,
            ENV_LENGTH_SUM,
            e * ENV_STATS,
            ENV_STATS,
            STAT_LENGTH_SUM,
            STATS,
        );
        plan.push(column_sums(Buf::EnvStats, Buf::AgentStats, 1, a, lengths));
        plan
    }

    /// Every dispatch of the next update, in order, with its config. With a meta-gradient,
    /// an update after the first of a lifetime (or any, if `finish_meta_gradient`) first
    /// finishes the previous update's meta-gradient on the new rollout and steps eta; every
    /// update then starts its own before the epochs.
    fn plan(&self, finish_meta_gradient: bool) -> Vec<Dispatch> {
        let c = &self.config;
        let a = self.agents;
        let e = c.envs;
        let m = self.minibatch();
        let update = self.progress.update;
        let mut plan = self.rollout_plan();
        let mut ppo_cfg = PpoConfig {
            stream_block: self.agent_streams.block,
            stream_group: self.agent_streams.group,
            ..PpoConfig::new(c, update, c.updates)
        };
        let lr_scale = lr_schedule(c, update);
        let per_env = [e.div_ceil(WG), a, 1];
        if let Some(mg) = &c.meta_gradient {
            self.meta_gradient_plan(&mut plan, mg, ppo_cfg, finish_meta_gradient);
        } else {
            plan.push(Dispatch::new(Kernel::Gae, &PPO_BINDS, per_env, &ppo_cfg));
        }

        for epoch in 0..c.epochs {
            ppo_cfg.key = permutation_key(c.seed, update, epoch);
            for minibatch in 0..c.minibatches {
                ppo_cfg.first = minibatch * m;
                let samples = [m.div_ceil(WG), 1, a];
                plan.push(Dispatch::new(Kernel::Gather, &PPO_BINDS, samples, &ppo_cfg));
                let moments = ReduceConfig::new(m, TERM_ADV, m * TERMS, TERMS, 0, SCRATCH);
                plan.push(column_sums(Buf::Terms, Buf::Scratch, 2, a, moments));
                for net in 0..2 {
                    self.forward(net, &mut plan);
                }
                let step = epoch * c.minibatches + minibatch;
                if step == 1 && c.meta_gradient.as_ref().is_some_and(|mg| mg.drift) {
                    self.drift_pass(&mut plan, ppo_cfg, lr_scale);
                }
                plan.push(Dispatch::new(Kernel::Loss, &PPO_BINDS, samples, &ppo_cfg));
                let losses = ReduceConfig::new(m, 0, m * TERMS, TERMS, 0, STATS).accumulating();
                plan.push(column_sums(
                    Buf::Terms,
                    Buf::AgentStats,
                    LOSS_TERMS,
                    a,
                    losses,
                ));
                for net in 0..2 {
                    self.backward(net, &mut plan);
                }
                self.log_std_sums(&mut plan);
                let t = (update * c.epochs + epoch) * c.minibatches + minibatch + 1;
                let p = self.net.params();
                let adam = self.adam_config(lr_scale, t);
                let per_param = [p.div_ceil(WG), 1, a];
                plan.push(Dispatch::new(
                    Kernel::SumChunks,
                    &ADAM_BINDS,
                    per_param,
                    &adam,
                ));
                // The gradient's sum of squares, for the global-norm clipping.
                let sum_sq = ReduceConfig::new(p, 0, p, 1, SCRATCH_GRAD_SUM_SQ, SCRATCH).squared();
                plan.push(column_sums(Buf::Grads, Buf::Scratch, 1, a, sum_sq));
                plan.push(Dispatch::new(Kernel::Adam, &ADAM_BINDS, per_param, &adam));
            }
        }
        plan
    }

    /// A Gaussian policy's log standard deviations' gradients: sums of the per-sample terms
    /// in the heads' gradients, into the first chunk (the others stay zero there).
    fn log_std_sums(&self, plan: &mut Vec<Dispatch>) {
        if self.net.action_dim == 0 {
            return;
        }
        let (m, heads, p) = (self.minibatch(), self.heads(), self.net.params());
        let log_std = ReduceConfig::new(
            m,
            self.net.outputs() + 1,
            m * heads,
            heads,
            self.net.log_std_offset(),
            self.chunks() * p,
        );
        plan.push(column_sums(
            Buf::DHeads,
            Buf::Parts,
            self.net.action_dim,
            self.agents,
            log_std,
        ));
    }

    fn adam_config(&self, lr_scale: f32, t: u32) -> AdamConfig {
        AdamConfig {
            stats_stride: STATS,
            grad_norm_slot: STAT_GRAD_NORM,
            scratch_stride: SCRATCH,
            sum_sq_slot: SCRATCH_GRAD_SUM_SQ,
            objective_stride: self.objective.stride() as u32,
            ..AdamConfig::new(&self.config, self.net.params(), self.chunks(), lr_scale, t)
        }
    }

    /// Where layer `l` of `net` reads its input and writes its output, and its weights.
    fn layer_views(&self, net: usize, l: usize) -> LayerViews {
        let mlp = if net == 0 {
            &self.net.actor
        } else {
            &self.net.critic
        };
        let m = self.minibatch();
        let heads = self.heads();
        let (n_in, n_out, offset) = mlp.layer(l);
        let net_offset = if net == 0 {
            0
        } else {
            self.net.critic_offset()
        };
        let (input_buf, input) = if l == 0 {
            (Buf::MbX, View::rows(0, m * n_in, n_in))
        } else {
            (Buf::Hidden(net, l - 1), View::rows(0, m * n_in, n_in))
        };
        let last = l + 1 == mlp.layers();
        let (output_buf, output, delta_buf) = if last {
            let column = if net == 0 { 0 } else { self.net.outputs() };
            let view = View {
                off: column,
                agent: m * heads,
                row: heads,
                col: 1,
            };
            (Buf::Heads, view, Buf::DHeads)
        } else {
            // Ping-pong so a layer's input gradient never overwrites its output gradient.
            let depth = mlp.layers() - 2 - l;
            (
                Buf::Hidden(net, l),
                View::rows(0, m * n_out, n_out),
                Buf::Delta(depth % 2),
            )
        };
        LayerViews {
            n_in,
            n_out,
            weights: View {
                off: net_offset + offset,
                agent: self.net.params(),
                row: n_out,
                col: 1,
            },
            input_buf,
            input,
            output_buf,
            output,
            delta_buf,
            last,
        }
    }

    fn forward(&self, net: usize, plan: &mut Vec<Dispatch>) {
        let mlp = if net == 0 {
            &self.net.actor
        } else {
            &self.net.critic
        };
        let m = self.minibatch();
        for l in 0..mlp.layers() {
            let v = self.layer_views(net, l);
            let epilogue = match (v.last, self.net.activation) {
                (true, _) => Epilogue::None,
                (false, Activation::Tanh) => Epilogue::Tanh,
                (false, Activation::Relu) => Epilogue::Relu,
            };
            let cfg = MatmulConfig::rows(
                m, v.n_out, v.n_in, v.input, v.weights, v.output, true, epilogue, v.output,
            );
            plan.push(Dispatch::new(
                Kernel::Matmul { wg: WG, shape: cfg },
                &[v.input_buf, Buf::Weights, v.output_buf, v.output_buf],
                [cfg.groups_x(WG), cfg.groups_y(), self.agents],
                &NO_CONFIG,
            ));
        }
    }

    fn backward(&self, net: usize, plan: &mut Vec<Dispatch>) {
        let mlp = if net == 0 {
            &self.net.actor
        } else {
            &self.net.critic
        };
        let m = self.minibatch();
        let chunks = self.chunks();
        for l in (0..mlp.layers()).rev() {
            let v = self.layer_views(net, l);
            // The gradient of this layer's output (heads for the last layer).
            let delta = if v.last {
                v.output
            } else {
                View::rows(0, m * v.n_out, v.n_out)
            };
            // dW^T[r][j] = sum_k delta[k][r] input[k][j], with the bias as a ones column, or
            // for layers with far fewer outputs than inputs (the heads) dW[i][j] =
            // sum_k input[k][i] delta[k][j] with a ones row: the long side goes to the
            // invocations.
            let agent_grads = chunks * self.net.params();
            let (cfg, binds) = if 2 * v.n_out <= v.n_in + 1 {
                let grads = View::rows(v.weights.off, agent_grads, v.n_out);
                let cfg = MatmulConfig::outer_transposed(
                    v.n_in,
                    v.n_out,
                    m,
                    v.input.t(),
                    delta,
                    grads,
                    GRAD_CHUNK,
                    self.net.params(),
                );
                (cfg, [v.input_buf, v.delta_buf, Buf::Parts, Buf::Parts])
            } else {
                let grads = View::rows(v.weights.off, agent_grads, v.n_out).t();
                let cfg = MatmulConfig::outer(
                    v.n_out,
                    v.n_in,
                    m,
                    delta.t(),
                    v.input,
                    grads,
                    GRAD_CHUNK,
                    self.net.params(),
                );
                (cfg, [v.delta_buf, v.input_buf, Buf::Parts, Buf::Parts])
            };
            let wg = cfg.m.div_ceil(cfg.rows).next_power_of_two().clamp(8, WG);
            plan.push(Dispatch::new(
                Kernel::Matmul { wg, shape: cfg },
                &binds,
                [cfg.groups_x(wg), cfg.groups_y(), self.agents],
                &NO_CONFIG,
            ));
            if l > 0 {
                // The input gradient: delta W^T times the activation's derivative.
                let below = self.layer_views(net, l - 1);
                let epilogue = match self.net.activation {
                    Activation::Tanh => Epilogue::TimesTanhDerivative,
                    Activation::Relu => Epilogue::TimesReluDerivative,
                };
                let d_input = View::rows(0, m * v.n_in, v.n_in);
                let cfg = MatmulConfig::rows(
                    m,
                    v.n_in,
                    v.n_out,
                    delta,
                    v.weights.t(),
                    d_input,
                    false,
                    epilogue,
                    v.input,
                );
                plan.push(Dispatch::new(
                    Kernel::Matmul { wg: WG, shape: cfg },
                    &[v.delta_buf, Buf::Weights, below.delta_buf, v.input_buf],
                    [cfg.groups_x(WG), cfg.groups_y(), self.agents],
                    &NO_CONFIG,
                ));
            }
        }
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
        self.vec_env.set_step_count(self.progress.step_count);
        Ok(())
    }

    /// Dispatch `plan` in one submission, each dispatch reading its own config slot.
    fn submit(&self, what: &str, plan: &[Dispatch]) -> Result<()> {
        let dispatches: Vec<plan::Dispatch> = plan
            .iter()
            .map(|d| plan::Dispatch {
                pipeline: &self.pipelines[&d.kernel],
                bind_group: &self.bind_groups[&(d.kernel.family(), d.binds.clone())],
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
        self.submit("a rollout", &self.rollout_plan())?;
        self.progress.step_count = self.progress.step_count.wrapping_add(self.config.steps);
        self.vec_env.set_step_count(self.progress.step_count);
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
            self.vec_env.sample_tasks(t.base, t.key, t.group)?;
        }
        self.vec_env.reset()?;
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
        if self.config.meta_gradient.is_some() {
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
        self.vec_env.params()
    }

    /// The env states, as bytes.
    pub fn env_states(&self) -> Result<Vec<u8>> {
        self.vec_env.states()
    }

    /// Everything a checkpoint holds, as named byte blobs.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let read = |b: Buf| -> Result<Vec<u8>> {
            Ok(bytemuck::cast_slice(&self.buffers[&b].read(&self.gpu)?).to_vec())
        };
        Ok(Snapshot {
            progress: self.progress,
            weights: read(Buf::Weights)?,
            adam_m: read(Buf::AdamM)?,
            adam_v: read(Buf::AdamV)?,
            env_stats: read(Buf::EnvStats)?,
            env_states: self.vec_env.states()?,
            objective: read(Buf::Objective)?,
            meta_gradient: if self.config.meta_gradient.is_some() {
                [
                    read(Buf::MetaState)?,
                    read(Buf::Directions)?,
                    read(Buf::DriftState)?,
                ]
                .concat()
            } else {
                Vec::new()
            },
        })
    }

    /// Continue from a snapshot of a trainer built with the same env, agents and config.
    pub fn restore(&mut self, s: &Snapshot) -> Result<()> {
        let write = |b: Buf, bytes: &[u8], what: &str| -> Result<()> {
            let buffer = &self.buffers[&b];
            if bytes.len() != buffer.len() * 4 {
                return Err(Error::invalid(
                    "checkpoint",
                    format!(
                        "{what}: {} bytes, expected {}",
                        bytes.len(),
                        buffer.len() * 4
                    ),
                ));
            }
            buffer.write(&self.gpu, &bytemuck::pod_collect_to_vec::<u8, f32>(bytes))
        };
        write(Buf::Weights, &s.weights, "weights")?;
        write(Buf::AdamM, &s.adam_m, "Adam moments")?;
        write(Buf::AdamV, &s.adam_v, "Adam moments")?;
        write(Buf::EnvStats, &s.env_stats, "env statistics")?;
        if !s.objective.is_empty() {
            write(Buf::Objective, &s.objective, "objective rows")?;
        }
        if self.config.meta_gradient.is_some() {
            let state_bytes = self.buffers[&Buf::MetaState].len() * 4;
            if s.meta_gradient.len() < state_bytes {
                return Err(Error::invalid(
                    "checkpoint",
                    "it has no meta-gradient state for this run's meta_gradient config",
                ));
            }
            let (state, rest) = s.meta_gradient.split_at(state_bytes);
            let directions_bytes = self.buffers[&Buf::Directions].len() * 4;
            if rest.len() < directions_bytes {
                return Err(Error::invalid(
                    "checkpoint",
                    "its meta-gradient directions do not fit this run's config",
                ));
            }
            let (directions, drift) = rest.split_at(directions_bytes);
            write(Buf::MetaState, state, "meta-gradient state")?;
            write(Buf::Directions, directions, "meta-gradient directions")?;
            write(Buf::DriftState, drift, "the drift's meta-gradient state")?;
        }
        self.vec_env.write_states(&s.env_states)?;
        self.progress = s.progress;
        self.vec_env.set_step_count(s.progress.step_count);
        Ok(())
    }
}

/// The state of a run, as bytes (see `learn::checkpoint`).
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub progress: Progress,
    pub weights: Vec<u8>,
    pub adam_m: Vec<u8>,
    pub adam_v: Vec<u8>,
    pub env_stats: Vec<u8>,
    pub env_states: Vec<u8>,
    /// The agents' objective rows (empty: keep the trainer's).
    pub objective: Vec<u8>,
    /// The meta state, then the directions (empty without a meta-gradient).
    pub meta_gradient: Vec<u8>,
}

struct LayerViews {
    n_in: u32,
    n_out: u32,
    weights: View,
    input_buf: Buf,
    input: View,
    output_buf: Buf,
    output: View,
    delta_buf: Buf,
    last: bool,
}

fn column_sums(x: Buf, out: Buf, columns: u32, agents: u32, cfg: ReduceConfig) -> Dispatch {
    Dispatch::new(Kernel::ColumnSums, &[x, out], [columns, agents, 1], &cfg)
}

/// Key of agent `agent`'s initial weights.
pub fn init_key(seed: u32, agent: u32) -> Key {
    rng::fold(rng::fold(rng::key(seed), 3), agent)
}

/// Key of the minibatch permutation of (update, epoch); the kernel folds in the agent.
pub fn permutation_key(seed: u32, update: u32, epoch: u32) -> Key {
    rng::fold(rng::fold(rng::fold(rng::key(seed), 4), update), epoch)
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
