//! Host side and CPU twin of `shaders/adam.wgsl`: summing gradient chunks, global-norm
//! clipping (the sum of squares by `shaders/reduce.wgsl`) and Adam, per agent.

use bytemuck::{Pod, Zeroable};

use super::config::{Optimizer, TrainConfig};
use super::nn::column_sum;
use crate::shader::const_prelude;

/// Twin of WGSL `AdamConfig`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct AdamConfig {
    pub params: u32,
    pub chunks: u32,
    /// The schedule's factor of each agent's learning rate (its objective row's first
    /// float).
    pub lr_scale: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    /// 1 - beta1^t for the t-th step.
    pub bias1: f32,
    /// 1 - beta2^t.
    pub bias2: f32,
    /// 0: no clipping.
    pub max_grad_norm: f32,
    pub stats_stride: u32,
    pub grad_norm_slot: u32,
    pub scratch_stride: u32,
    /// Where the gradient's sum of squares is in the agent's scratch.
    pub sum_sq_slot: u32,
    /// Floats per agent in the objective rows.
    pub objective_stride: u32,
    /// 1: plain gradient steps (`Optimizer::Sgd`).
    pub sgd: u32,
    pub _pad: u32,
}

impl AdamConfig {
    /// The `t`-th optimizer step (from 1) of `params` weights per agent in `chunks` chunks,
    /// each agent's learning rate scaled by `lr_scale`.
    pub fn new(c: &TrainConfig, params: u32, chunks: u32, lr_scale: f32, t: u32) -> AdamConfig {
        AdamConfig {
            params,
            chunks,
            lr_scale,
            beta1: c.adam_beta1,
            beta2: c.adam_beta2,
            eps: c.adam_eps,
            bias1: (1.0 - (c.adam_beta1 as f64).powi(t as i32)) as f32,
            bias2: (1.0 - (c.adam_beta2 as f64).powi(t as i32)) as f32,
            max_grad_norm: c.max_grad_norm,
            stats_stride: 0,
            grad_norm_slot: 0,
            scratch_stride: 0,
            sum_sq_slot: 0,
            objective_stride: 0,
            sgd: (c.optimizer == Optimizer::Sgd) as u32,
            _pad: 0,
        }
    }
}

/// Flag bits the kernels set per agent.
pub const FLAG_GRAD: u32 = 1;
pub const FLAG_WEIGHTS: u32 = 2;

/// WGSL constants of `shaders/adam.wgsl`.
pub fn wgsl_consts() -> String {
    const_prelude(&[("FLAG_GRAD", FLAG_GRAD), ("FLAG_WEIGHTS", FLAG_WEIGHTS)])
}

/// The global norm, summed in `column_sums`' order, and the clip factor.
pub fn grad_norm(cfg: &AdamConfig, grads: &[f32]) -> (f32, f32) {
    let norm = column_sum(grads.iter().copied(), true).sqrt();
    let scale = if cfg.max_grad_norm > 0.0 && norm > cfg.max_grad_norm {
        cfg.max_grad_norm / norm
    } else {
        1.0
    };
    (norm, scale)
}

/// One Adam step of one agent whose learning rate is `lr` (twin of `adam`).
pub fn adam(
    cfg: &AdamConfig,
    lr: f32,
    grads: &[f32],
    scale: f32,
    weights: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    for i in 0..weights.len() {
        let g = grads[i] * scale;
        m[i] = cfg.beta1 * m[i] + (1.0 - cfg.beta1) * g;
        v[i] = cfg.beta2 * v[i] + (1.0 - cfg.beta2) * g * g;
        let lr = cfg.lr_scale * lr;
        weights[i] -= if cfg.sgd == 1 {
            lr * g
        } else {
            lr * (m[i] / cfg.bias1) / ((v[i] / cfg.bias2).sqrt() + cfg.eps)
        };
    }
}
