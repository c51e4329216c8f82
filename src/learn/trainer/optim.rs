//! The optimizer: summing the weight gradient's chunks in a fixed order, global-norm
//! clipping and an Adam or SGD step per agent (`shaders/adam.wgsl`, twin in
//! `learn::adam`). It owns the gradients, Adam's moments and their checkpoint sections.

use super::dispatch::{
    column_sums, Bindings, Buf, BufferSpec, Dispatch, Kernel, Shape, STATS, STAT_GRAD_NORM, WG,
};
use crate::error::Result;
use crate::learn::adam::{self, AdamConfig};
use crate::learn::config::TrainConfig;
use crate::learn::nn::ReduceConfig;
use crate::learn::ppo::{SCRATCH, SCRATCH_GRAD_SUM_SQ};
use crate::shader::{Composed, Part};

const ADAM_WGSL: &str = include_str!("../../../shaders/adam.wgsl");

/// The optimizer's bindings (`shaders/adam.wgsl`).
pub const OPTIM_BINDINGS: Bindings = Bindings {
    config: ("ac", "AdamConfig"),
    buffers: &[
        (Buf::Parts, "parts", "array<f32>"),
        (Buf::Grads, "grads", "array<f32>"),
        (Buf::Weights, "weights", "array<f32>"),
        (Buf::AdamM, "adam_m", "array<f32>"),
        (Buf::AdamV, "adam_v", "array<f32>"),
        (Buf::AgentStats, "agent_stats", "array<f32>"),
        (Buf::Scratch, "scratch", "array<f32>"),
        (Buf::Flags, "flags", "array<atomic<u32>>"),
        (Buf::Objective, "objective", "array<f32>"),
    ],
};

pub struct Optim {
    shape: Shape,
    /// Weights per agent.
    params: u32,
    objective_stride: u32,
}

impl Optim {
    pub fn new(shape: Shape, params: u32, objective_stride: u32) -> Optim {
        Optim {
            shape,
            params,
            objective_stride,
        }
    }

    pub fn buffers(&self) -> Vec<BufferSpec> {
        let (a, p) = (self.shape.agents as usize, self.params as usize);
        let chunks = self.shape.chunks() as usize;
        vec![
            BufferSpec::new(Buf::AdamM, a * p, "Adam's first moments"),
            BufferSpec::new(Buf::AdamV, a * p, "Adam's second moments"),
            BufferSpec::new(Buf::Grads, a * p, "the gradients"),
            BufferSpec::new(Buf::Parts, a * p * chunks, "the gradient chunks"),
        ]
    }

    pub fn module(&self) -> Result<Composed> {
        Composed::new(&[
            Part::new("<generated prelude>", adam::wgsl_consts()),
            Part::new("<generated bindings>", OPTIM_BINDINGS.wgsl()),
            Part::new("shaders/adam.wgsl", ADAM_WGSL),
        ])
    }

    /// The `t`-th step's config (from 1), each agent's learning rate scaled by `lr_scale`.
    pub fn config(&self, c: &TrainConfig, lr_scale: f32, t: u32) -> AdamConfig {
        AdamConfig {
            stats_stride: STATS,
            grad_norm_slot: STAT_GRAD_NORM,
            scratch_stride: SCRATCH,
            sum_sq_slot: SCRATCH_GRAD_SUM_SQ,
            objective_stride: self.objective_stride,
            ..AdamConfig::new(c, self.params, self.shape.chunks(), lr_scale, t)
        }
    }

    fn per_param(&self) -> [u32; 3] {
        [self.params.div_ceil(WG), 1, self.shape.agents]
    }

    /// The chunks of the weight gradient summed into `Buf::Grads`.
    pub fn sum_chunks(&self, cfg: &AdamConfig, plan: &mut Vec<Dispatch>) {
        plan.push(Dispatch::new(
            Kernel::SumChunks,
            &OPTIM_BINDINGS.bufs(),
            self.per_param(),
            cfg,
        ));
    }

    /// One step: the chunks summed, the gradient's norm for the clipping, the update.
    pub fn step(&self, cfg: &AdamConfig, plan: &mut Vec<Dispatch>) {
        self.sum_chunks(cfg, plan);
        let p = self.params;
        let sum_sq = ReduceConfig::new(p, 0, p, 1, SCRATCH_GRAD_SUM_SQ, SCRATCH).squared();
        plan.push(column_sums(
            Buf::Grads,
            Buf::Scratch,
            1,
            self.shape.agents,
            sum_sq,
        ));
        plan.push(Dispatch::new(
            Kernel::Adam,
            &OPTIM_BINDINGS.bufs(),
            self.per_param(),
            cfg,
        ));
    }

    /// The buffers a checkpoint holds, by section name.
    pub fn checkpoint_buffers(&self) -> Vec<(&'static str, Buf)> {
        vec![("adam_m", Buf::AdamM), ("adam_v", Buf::AdamV)]
    }
}
