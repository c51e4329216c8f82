//! The algorithm: GAE over the rollout's trajectory, the minibatch gather through the
//! on-GPU permutation, and the PPO/A2C loss (with LPO's drift) that writes the heads'
//! gradients between the network's forward and backward passes. It owns the minibatch
//! and loss buffers and the module of `shaders/ppo.wgsl` (with the meta-gradient's
//! per-sample terms, `shaders/meta_gradient_loss.wgsl`).

use super::dispatch::{column_sums, Bindings, Buf, BufferSpec, Dispatch, Kernel, Shape, STATS, WG};
use crate::driver::Streams;
use crate::error::Result;
use crate::learn::config::TrainConfig;
use crate::learn::meta_gradient;
use crate::learn::network::PolicyNetwork;
use crate::learn::nn::ReduceConfig;
use crate::learn::objective::Objective;
use crate::learn::ppo::{
    self, PpoConfig, LOSS_TERMS, SCRATCH, SCRATCH_TANGENT_SUMS, TERMS, TERM_ADV,
};
use crate::rng::{self, Key};
use crate::shader::{const_prelude, Composed, Part, RNG_WGSL};

const PPO_WGSL: &str = include_str!("../../../shaders/ppo.wgsl");
const TRAJECTORY_WGSL: &str = include_str!("../../../shaders/trajectory.wgsl");
const PPO_LOSS_WGSL: &str = include_str!("../../../shaders/ppo_loss.wgsl");
const OBJECTIVE_WGSL: &str = include_str!("../../../shaders/objective.wgsl");
const META_GRADIENT_LOSS_WGSL: &str = include_str!("../../../shaders/meta_gradient_loss.wgsl");
const LOSS_CATEGORICAL_WGSL: (&str, &str) = (
    "shaders/loss_categorical.wgsl",
    include_str!("../../../shaders/loss_categorical.wgsl"),
);
const LOSS_GAUSSIAN_WGSL: (&str, &str) = (
    "shaders/loss_gaussian.wgsl",
    include_str!("../../../shaders/loss_gaussian.wgsl"),
);

/// The algorithm's bindings (`shaders/ppo.wgsl`).
pub const ALGO_BINDINGS: Bindings = Bindings {
    config: ("pc", "PpoConfig"),
    buffers: &[
        (Buf::Traj, "traj", "array<TrajStep>"),
        (Buf::TrajObs, "traj_obs", "array<f32>"),
        (Buf::EnvStats, "env_stats", "array<EnvStats>"),
        (Buf::MbX, "mb_x", "array<f32>"),
        (Buf::MbIndex, "mb_index", "array<u32>"),
        (Buf::Heads, "heads", "array<f32>"),
        (Buf::DHeads, "d_heads", "array<f32>"),
        (Buf::Terms, "terms", "array<f32>"),
        (Buf::Scratch, "scratch", "array<f32>"),
        (Buf::Objective, "objective", "array<f32>"),
        (Buf::TrajActions, "traj_actions", "array<f32>"),
        (Buf::Weights, "weights", "array<f32>"),
        (Buf::Tangents, "tangents", "array<f32>"),
        (Buf::DriftState, "drift_state", "array<f32>"),
    ],
};

pub struct Algo {
    shape: Shape,
    /// The envs' random streams in whole agents (minibatch permutations follow them).
    agent_streams: Streams,
}

impl Algo {
    pub fn new(shape: Shape, agent_streams: Streams) -> Algo {
        Algo {
            shape,
            agent_streams,
        }
    }

    pub fn buffers(&self, net: &dyn PolicyNetwork) -> Vec<BufferSpec> {
        let s = &self.shape;
        let (a, m) = (s.agents as usize, s.minibatch as usize);
        let heads = net.heads() as usize;
        vec![
            BufferSpec::new(
                Buf::MbX,
                a * m * s.obs_dim as usize,
                "the minibatch observations",
            ),
            BufferSpec::new(Buf::MbIndex, a * m, "the minibatch indices"),
            BufferSpec::new(Buf::Heads, a * m * heads, "the network outputs"),
            BufferSpec::new(Buf::DHeads, a * m * heads, "the output gradients"),
            BufferSpec::new(Buf::Terms, a * m * TERMS as usize, "the loss terms"),
            BufferSpec::new(Buf::Scratch, a * SCRATCH as usize, "the per-agent scratch"),
        ]
    }

    /// The module of GAE, the gather and the loss for `net`'s head and `objective`'s rows.
    pub fn module(&self, net: &dyn PolicyNetwork, objective: &Objective) -> Result<Composed> {
        let mut prelude = const_prelude(&[("OBS_DIM", self.shape.obs_dim)]);
        prelude.push_str(&rng::wgsl_prelude());
        prelude.push_str(&objective.wgsl_prelude());
        prelude.push_str(&net.wgsl_prelude());
        prelude.push_str(&ppo::trajectory_wgsl_consts());
        prelude.push_str(&ppo::loss_wgsl_consts());
        prelude.push_str(&meta_gradient::terms_wgsl_consts());
        let loss = if net.action_dim() > 0 {
            LOSS_GAUSSIAN_WGSL
        } else {
            LOSS_CATEGORICAL_WGSL
        };
        Composed::new(&[
            Part::new("<generated prelude>", prelude),
            Part::new("<generated bindings>", ALGO_BINDINGS.wgsl()),
            Part::new(RNG_WGSL.0, RNG_WGSL.1),
            Part::new("shaders/trajectory.wgsl", TRAJECTORY_WGSL),
            Part::new("shaders/objective.wgsl", OBJECTIVE_WGSL),
            Part::new(loss.0, loss.1),
            Part::new("shaders/ppo_loss.wgsl", PPO_LOSS_WGSL),
            Part::new("shaders/ppo.wgsl", PPO_WGSL),
            Part::new("shaders/meta_gradient_loss.wgsl", META_GRADIENT_LOSS_WGSL),
        ])
    }

    /// The kernels' config at update `update` of a lifetime of `c.updates` (key and
    /// minibatch position unset).
    pub fn config(&self, c: &TrainConfig, update: u32) -> PpoConfig {
        PpoConfig {
            stream_block: self.agent_streams.block,
            stream_group: self.agent_streams.group,
            ..PpoConfig::new(c, update, c.updates)
        }
    }

    fn per_env(&self) -> [u32; 3] {
        [self.shape.envs.div_ceil(WG), self.shape.agents, 1]
    }

    fn per_sample(&self) -> [u32; 3] {
        [self.shape.minibatch.div_ceil(WG), 1, self.shape.agents]
    }

    /// GAE over every env's trajectory (`cfg.meta_term`: at the reference values).
    pub fn gae(&self, cfg: &PpoConfig, plan: &mut Vec<Dispatch>) {
        plan.push(Dispatch::new(
            Kernel::Gae,
            &ALGO_BINDINGS.bufs(),
            self.per_env(),
            cfg,
        ));
    }

    /// The advantages' tangents in gamma and lambda (a meta-gradient's).
    pub fn gae_tangents(&self, cfg: &PpoConfig, plan: &mut Vec<Dispatch>) {
        plan.push(Dispatch::new(
            Kernel::GaeTangents,
            &ALGO_BINDINGS.bufs(),
            self.per_env(),
            cfg,
        ));
    }

    /// Gather the minibatch at `cfg.first` of the permutation `cfg.key`, with its
    /// advantages' moments (and, for a meta-gradient's tangent passes, the tangents' sums)
    /// in the scratch.
    pub fn gather(&self, cfg: &PpoConfig, tangent_sums: bool, plan: &mut Vec<Dispatch>) {
        let (a, m) = (self.shape.agents, self.shape.minibatch);
        plan.push(Dispatch::new(
            Kernel::Gather,
            &ALGO_BINDINGS.bufs(),
            self.per_sample(),
            cfg,
        ));
        let moments = ReduceConfig::new(m, TERM_ADV, m * TERMS, TERMS, 0, SCRATCH);
        plan.push(column_sums(Buf::Terms, Buf::Scratch, 2, a, moments));
        if tangent_sums {
            let sums = ReduceConfig::new(m, 0, m * TERMS, TERMS, SCRATCH_TANGENT_SUMS, SCRATCH);
            plan.push(column_sums(Buf::Terms, Buf::Scratch, 4, a, sums));
        }
    }

    /// The loss's gradient with respect to the heads, and its terms summed into the agent
    /// statistics.
    pub fn loss(&self, cfg: &PpoConfig, plan: &mut Vec<Dispatch>) {
        let (a, m) = (self.shape.agents, self.shape.minibatch);
        plan.push(Dispatch::new(
            Kernel::Loss,
            &ALGO_BINDINGS.bufs(),
            self.per_sample(),
            cfg,
        ));
        let losses = ReduceConfig::new(m, 0, m * TERMS, TERMS, 0, STATS).accumulating();
        plan.push(column_sums(
            Buf::Terms,
            Buf::AgentStats,
            LOSS_TERMS,
            a,
            losses,
        ));
    }

    /// The gradient of a meta-gradient's surrogate loss `cfg.meta_term` with respect to
    /// the heads.
    pub fn meta_loss(&self, cfg: &PpoConfig, plan: &mut Vec<Dispatch>) {
        plan.push(Dispatch::new(
            Kernel::MetaLoss,
            &ALGO_BINDINGS.bufs(),
            self.per_sample(),
            cfg,
        ));
    }
}

/// Key of the minibatch permutation of (update, epoch); the kernel folds in the agent.
pub fn permutation_key(seed: u32, update: u32, epoch: u32) -> Key {
    rng::fold(rng::fold(rng::fold(rng::key(seed), 4), update), epoch)
}
