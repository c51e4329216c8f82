//! Host side and CPU twins of `shaders/ppo.wgsl`: the trajectory records, GAE, the
//! minibatch permutation and the per-sample PPO/A2C loss with its gradient.

use bytemuck::{Pod, Zeroable};

use super::config::{Algo, TrainConfig};
use super::objective::{
    learned_drift, lifetime_inputs, Objective, DRIFT_MARGIN, HYPER, OBJ_CLIP, OBJ_ENT_COEF,
};
use crate::rng::{self, Key};

/// One step of one env, as the policy rollout records it (twin of WGSL `TrajStep`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct TrajStep {
    pub action: u32,
    pub log_prob: f32,
    pub value: f32,
    pub reward: f32,
    /// FLAG_TERMINATED | FLAG_TRUNCATED.
    pub flags: u32,
    /// Value of the final observation, where truncated.
    pub final_value: f32,
    pub advantage: f32,
    pub ret: f32,
}

pub const FLAG_TERMINATED: u32 = 1;
pub const FLAG_TRUNCATED: u32 = 2;

/// Per-env episode bookkeeping (twin of WGSL `EnvStats`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct EnvStats {
    pub episode_return: f32,
    pub return_sum: f32,
    pub episodes: f32,
    pub last_value: f32,
}

/// Twin of WGSL `PpoConfig`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct PpoConfig {
    pub key: Key,
    pub envs: u32,
    pub steps: u32,
    pub minibatch: u32,
    pub first: u32,
    pub value_clip: f32,
    pub vf_coef: f32,
    pub algo: u32,
    pub normalize: u32,
    /// n / N: updates done over the lifetime's updates.
    pub lifetime_fraction: f32,
    /// ln N / ln 1024.
    pub log_lifetime: f32,
    /// Agents sharing minibatch permutations: [`Streams`] in agents.
    pub stream_block: u32,
    pub stream_group: u32,
    pub _pad: [u32; 2],
}

impl PpoConfig {
    /// The kernels' view of a training config at update `update` of a lifetime of
    /// `updates` (key and minibatch position unset).
    pub fn new(c: &TrainConfig, update: u32, updates: u32) -> PpoConfig {
        let (lifetime_fraction, log_lifetime) = lifetime_inputs(update, updates);
        PpoConfig {
            key: [0, 0],
            envs: c.envs,
            steps: c.steps,
            minibatch: c.minibatch(),
            first: 0,
            value_clip: c.value_clip,
            vf_coef: c.vf_coef,
            algo: match c.algo {
                Algo::Ppo => ALGO_PPO,
                Algo::A2c => ALGO_A2C,
            },
            normalize: c.normalize_advantages as u32,
            lifetime_fraction,
            log_lifetime,
            stream_block: 0,
            stream_group: 0,
            _pad: [0; 2],
        }
    }
}

pub const ALGO_PPO: u32 = 0;
pub const ALGO_A2C: u32 = 1;
/// Columns of the per-sample terms table: policy loss, value loss, entropy, approx KL,
/// clipped, (unused), advantage, advantage squared.
pub const TERMS: u32 = 8;
pub const TERM_ADV: u32 = 6;
/// Loss terms summed into the agent's statistics.
pub const LOSS_TERMS: u32 = 5;
/// Floats of per-agent scratch: the minibatch's advantage moments (sum, sum of squares) and
/// the gradient's sum of squares.
pub const SCRATCH: u32 = 4;
pub const SCRATCH_GRAD_SUM_SQ: u32 = 2;

/// Twin of `gae` for one env's steps, given the value after its last step.
pub fn gae(gamma: f32, gae_lambda: f32, steps: &mut [TrajStep], last_value: f32) {
    let mut next_value = last_value;
    let mut next_advantage = 0.0f32;
    for s in steps.iter_mut().rev() {
        let terminated = s.flags & FLAG_TERMINATED != 0;
        let truncated = s.flags & FLAG_TRUNCATED != 0;
        let bootstrap = if terminated {
            0.0
        } else if truncated {
            s.final_value
        } else {
            next_value
        };
        let delta = s.reward + gamma * bootstrap - s.value;
        let carry = if terminated || truncated {
            0.0
        } else {
            gamma * gae_lambda * next_advantage
        };
        s.advantage = delta + carry;
        s.ret = s.advantage + s.value;
        next_value = s.value;
        next_advantage = s.advantage;
    }
}

/// Twin of `permute`: a bijection of [0, n) (Feistel network with cycle walking).
pub fn permute(key: Key, n: u32, index: u32) -> u32 {
    let bits = 2u32.max(32 - (n.max(2) - 1).leading_zeros());
    let half = bits.div_ceil(2);
    let mask = (1u32 << half) - 1;
    let mut x = index;
    loop {
        let (mut l, mut r) = (x >> half, x & mask);
        for round in 0..4u32 {
            let f = rng::bits(key, (round << 28) ^ r) & mask;
            (l, r) = (r, l ^ f);
        }
        x = (l << half) | r;
        if x < n {
            return x;
        }
    }
}

/// The loss terms of one sample and the gradient of its share of the minibatch mean with
/// respect to the logits and the value (twin of `loss`).
pub struct SampleLoss {
    pub terms: [f32; LOSS_TERMS as usize],
    pub d_logits: Vec<f32>,
    pub d_value: f32,
}

/// `advantage` already normalised where the config says so; `objective` is the agent's
/// row (its clip, entropy weight and drift network).
pub fn sample_loss(
    cfg: &PpoConfig,
    objective: (&Objective, &[f32]),
    logits: &[f32],
    value: f32,
    s: &TrajStep,
    advantage: f32,
) -> SampleLoss {
    let inv_m = 1.0 / cfg.minibatch as f32;
    let (shape, row) = objective;
    let clip = row[OBJ_CLIP];
    let ent_coef = row[OBJ_ENT_COEF];
    let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let (mut total, mut weighted) = (0.0f32, 0.0f32);
    for &l in logits {
        let z = l - top;
        let w = z.exp();
        total += w;
        weighted += w * z;
    }
    let log_total = total.ln();
    let entropy = log_total - weighted / total;
    let log_prob = logits[s.action as usize] - top - log_total;
    let log_ratio = log_prob - s.log_prob;
    let ratio = log_ratio.exp();
    let (policy_loss, d_log_prob, clipped) = if cfg.algo == ALGO_PPO && shape.drift_hidden > 0 {
        let outside = (ratio - 1.0).abs() > clip;
        let ppo_drift = (ratio - ratio.clamp(1.0 - clip, 1.0 + clip)) * advantage;
        let d_ppo = if outside && ppo_drift > 0.0 {
            advantage
        } else {
            0.0
        };
        let time = (cfg.lifetime_fraction, cfg.log_lifetime);
        let hidden = shape.drift_hidden as usize;
        let (g, dg) = learned_drift(&row[HYPER..], hidden, log_ratio, advantage, time);
        let pre = ppo_drift.max(0.0) + g - DRIFT_MARGIN;
        let drift = pre.max(0.0);
        let d_drift = if pre > 0.0 { d_ppo + dg } else { 0.0 };
        (
            -(ratio * advantage - drift),
            -ratio * (advantage - d_drift),
            outside as u32 as f32,
        )
    } else if cfg.algo == ALGO_PPO {
        let unclipped = ratio * advantage;
        let bounded = ratio.clamp(1.0 - clip, 1.0 + clip) * advantage;
        let outside = (ratio - 1.0).abs() > clip;
        let d = if outside && bounded < unclipped {
            0.0
        } else {
            -unclipped
        };
        (-unclipped.min(bounded), d, outside as u32 as f32)
    } else {
        (-log_prob * advantage, -advantage, 0.0)
    };
    let mut value_loss = 0.5 * (value - s.ret) * (value - s.ret);
    let mut d_value = value - s.ret;
    if cfg.value_clip > 0.0 {
        let moved = (value - s.value).clamp(-cfg.value_clip, cfg.value_clip);
        let error_clipped = s.value + moved - s.ret;
        let loss_clipped = 0.5 * error_clipped * error_clipped;
        if loss_clipped > value_loss {
            value_loss = loss_clipped;
            d_value = if (value - s.value).abs() < cfg.value_clip {
                error_clipped
            } else {
                0.0
            };
        }
    }
    let d_logits = logits
        .iter()
        .enumerate()
        .map(|(k, &l)| {
            let z = l - top;
            let p = z.exp() / total;
            let one_hot = (k as u32 == s.action) as u32 as f32;
            let d_entropy = -p * (z - log_total + entropy);
            inv_m * (d_log_prob * (one_hot - p) - ent_coef * d_entropy)
        })
        .collect();
    SampleLoss {
        terms: [
            policy_loss,
            value_loss,
            entropy,
            (ratio - 1.0) - log_ratio,
            clipped,
        ],
        d_logits,
        d_value: inv_m * cfg.vf_coef * d_value,
    }
}

/// Normalise an advantage with the minibatch's moments, as the loss kernel does.
pub fn normalize(advantage: f32, sum: f32, sum_sq: f32, minibatch: u32) -> f32 {
    let inv_m = 1.0 / minibatch as f32;
    let mean = sum * inv_m;
    let variance = (sum_sq * inv_m - mean * mean).max(0.0);
    (advantage - mean) / (variance.sqrt() + 1e-8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_is_a_bijection() {
        for n in [1u32, 2, 3, 5, 64, 100, 1000, 4097] {
            let key = rng::key(n);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let j = permute(key, n, i) as usize;
                assert!(!seen[j], "n = {n}: {j} hit twice");
                seen[j] = true;
            }
        }
    }
}
