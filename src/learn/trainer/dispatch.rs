//! The vocabulary every part of the learner plans in: the buffers it names, its kernels,
//! one recorded dispatch, and the shape of an update that sizes them.

use bytemuck::Pod;

use crate::learn::nn::{MatmulConfig, ReduceConfig};

/// The learner's default workgroup size.
pub const WG: u32 = 64;
/// Samples per chunk of a weight gradient: enough parallel sums for a GPU when one agent
/// trains on many envs, few enough chunks that summing them is cheap (256 measured 12%
/// faster than 64 on lavapipe). Fixed, so results do not depend on the device.
pub const GRAD_CHUNK: u32 = 256;
/// The matrix products take everything from pipeline constants; their config slot is
/// bound but unused.
pub const NO_CONFIG: [u32; 4] = [0; 4];

/// A learner buffer, by the part that declares it (see each part's `buffers`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Buf {
    // The policy network's parameters and their gradients.
    Weights,
    Grads,
    /// Per-chunk weight gradients, summed in a fixed order by the optimizer.
    Parts,
    // The optimizer.
    AdamM,
    AdamV,
    // The rollout.
    EnvStats,
    Traj,
    TrajObs,
    /// Gaussian policies' actions, [agent][env][step][action_dim].
    TrajActions,
    // The algorithm: the minibatch and its loss.
    MbX,
    MbIndex,
    Heads,
    DHeads,
    Terms,
    Scratch,
    // The trainer's: statistics and divergence flags, and the objective rows.
    AgentStats,
    Flags,
    /// Each agent's objective row (hyperparameters, drift network).
    Objective,
    // The meta-gradient.
    /// The advantage tangents, [agent][env][step][2].
    Tangents,
    /// grad J and d theta' / d eta_k, [agent][DIRECTIONS][params].
    Directions,
    /// The outer optimizer's state, [agent][META_STATE].
    MetaState,
    /// The drift's forward-gradient direction u and outer Adam moments, [agent][3][drift].
    DriftState,
    /// The network's own buffers (activations, their gradients, recurrent state), numbered
    /// by the network.
    Net(usize),
}

/// A buffer a part needs: its length in 4-byte words and what it holds (for limit errors).
pub struct BufferSpec {
    pub buf: Buf,
    pub len: usize,
    pub what: &'static str,
}

impl BufferSpec {
    pub fn new(buf: Buf, len: usize, what: &'static str) -> BufferSpec {
        BufferSpec { buf, len, what }
    }
}

/// A module's bindings, declared once: its config uniform at binding 0, then each buffer
/// at binding 1 + its index. [`Bindings::wgsl`] writes the WGSL `var`s the module's
/// kernels use; the trainer binds, per kernel, the buffers its entry point uses (naga
/// says which), so no binding number is written by hand.
pub struct Bindings {
    /// The config's WGSL name and struct.
    pub config: (&'static str, &'static str),
    /// Each buffer, its WGSL name and its WGSL type.
    pub buffers: &'static [(Buf, &'static str, &'static str)],
}

impl Bindings {
    /// The WGSL declarations.
    pub fn wgsl(&self) -> String {
        let (name, ty) = self.config;
        let mut text = format!("@group(0) @binding(0) var<uniform> {name}: {ty};\n");
        for (k, (_, name, ty)) in self.buffers.iter().enumerate() {
            text.push_str(&format!(
                "@group(0) @binding({}) var<storage, read_write> {name}: {ty};\n",
                k + 1
            ));
        }
        text
    }
    /// The buffers in binding order (binding 1 first).
    pub fn bufs(&self) -> Vec<Buf> {
        self.buffers.iter().map(|b| b.0).collect()
    }
}

/// A learner kernel: its WGSL module (family) and entry point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
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

/// A WGSL module of the learner, composed by the part that owns its kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// The fused policy rollout (the env's driver with the network's forward pass).
    Rollout,
    /// The network's training kernels (`PolicyNetwork::kernels`).
    Network,
    Reduce,
    /// The algorithm's: GAE, the minibatch gather, the loss and its meta-gradient terms.
    Algo,
    Optim,
    MetaGradient,
}

impl Kernel {
    pub fn family(self) -> Family {
        match self {
            Kernel::PolicyRollout => Family::Rollout,
            Kernel::Gae
            | Kernel::Gather
            | Kernel::Loss
            | Kernel::GaeTangents
            | Kernel::MetaLoss => Family::Algo,
            Kernel::ColumnSums => Family::Reduce,
            Kernel::Matmul { .. } => Family::Network,
            Kernel::SumChunks | Kernel::Adam => Family::Optim,
            Kernel::Accumulate
            | Kernel::MetaDot
            | Kernel::OuterAdam
            | Kernel::DrawDriftDirection
            | Kernel::OuterDrift => Family::MetaGradient,
        }
    }
    pub fn entry(self) -> &'static str {
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
    /// The workgroup size its pipeline is built with.
    pub fn workgroup_size(self, rollout_wg: u32) -> u32 {
        match self {
            Kernel::PolicyRollout => rollout_wg,
            Kernel::Matmul { wg, .. } => wg,
            // A fixed-width reduction.
            Kernel::MetaDot => 64,
            _ => WG,
        }
    }
    /// Pipeline constants besides `WG`.
    pub fn overrides(self) -> Vec<(&'static str, u32)> {
        match self {
            Kernel::Matmul { shape, .. } => shape.overrides(),
            _ => vec![],
        }
    }
}

/// One dispatch of a learner plan: the buffers it binds after the config, in binding
/// order, and its config's bytes.
pub struct Dispatch {
    pub kernel: Kernel,
    pub binds: Vec<Buf>,
    pub groups: [u32; 3],
    pub config: Vec<u8>,
}

impl Dispatch {
    pub fn new<C: Pod>(kernel: Kernel, binds: &[Buf], groups: [u32; 3], config: &C) -> Dispatch {
        Dispatch {
            kernel,
            binds: binds.to_vec(),
            groups,
            config: bytemuck::bytes_of(config).to_vec(),
        }
    }
}

/// Per-agent column sums of `x` into `out` (`shaders/reduce.wgsl`).
pub fn column_sums(x: Buf, out: Buf, columns: u32, agents: u32, cfg: ReduceConfig) -> Dispatch {
    Dispatch::new(Kernel::ColumnSums, &[x, out], [columns, agents, 1], &cfg)
}

/// The sizes every part plans with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub agents: u32,
    /// Envs per agent.
    pub envs: u32,
    /// Steps per rollout.
    pub steps: u32,
    /// Samples per minibatch.
    pub minibatch: u32,
    pub obs_dim: u32,
}

impl Shape {
    /// Samples per agent and rollout.
    pub fn samples(&self) -> u32 {
        self.envs * self.steps
    }
    /// Gradient chunks per agent (summed in a fixed order by `sum_chunks`).
    pub fn chunks(&self) -> u32 {
        self.minibatch.div_ceil(GRAD_CHUNK)
    }
}

/// Floats of statistics per agent: the loss terms (summed over minibatches), the gradient
/// norm (summed), the returns of finished episodes (summed), their count, how many of them
/// had a successful step, the sum of the rollout's rewards, and the finished episodes'
/// lengths (summed).
pub const STATS: u32 = 11;
/// Where the sum of the last rollout's rewards is in an agent's statistics.
pub const STAT_REWARD_SUM: u32 = 9;
pub const STAT_GRAD_NORM: u32 = 5;
/// The returns' sum, then the episode count and the successful episodes (EnvStats order).
pub const STAT_RETURN_SUM: u32 = 6;
pub const STAT_LENGTH_SUM: u32 = 10;
