//! Host side and CPU twins of `shaders/ppo.wgsl`: the trajectory records, GAE, the
//! minibatch permutation and the per-sample PPO/A2C loss with its gradient.

use bytemuck::{Pod, Zeroable};

use super::config::{Algo, TrainConfig};
use super::objective::{
    learned_drift, lifetime_inputs, Objective, DRIFT_MARGIN, HYPER, OBJ_CLIP, OBJ_ENT_COEF,
};
use crate::rng::{self, Key};
use crate::shader::const_prelude;

/// One step of one env, as the policy rollout records it (twin of WGSL `TrajStep`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct TrajStep {
    pub action: u32,
    pub log_prob: f32,
    pub value: f32,
    pub reward: f32,
    /// FLAG_TERMINATED | FLAG_TRUNCATED | FLAG_SUCCESS.
    pub flags: u32,
    /// Value of the final observation, where truncated.
    pub final_value: f32,
    pub advantage: f32,
    pub ret: f32,
}

pub const FLAG_TERMINATED: u32 = 1;
pub const FLAG_TRUNCATED: u32 = 2;
/// The step met the task's success criterion (see `StepOut::success`).
pub const FLAG_SUCCESS: u32 = 4;

/// Per-env episode bookkeeping (twin of WGSL `EnvStats`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct EnvStats {
    pub episode_return: f32,
    pub return_sum: f32,
    pub episodes: f32,
    /// Episodes finished in the last rollout with a successful step.
    pub successes: f32,
    pub last_value: f32,
    /// 1 once the running episode has had a successful step.
    pub episode_success: f32,
    /// Steps of the running episode so far.
    pub episode_length: f32,
    /// Lengths of the episodes finished in the last rollout, summed.
    pub length_sum: f32,
}

/// Floats per env of [`EnvStats`].
pub const ENV_STATS: u32 = 8;
/// Where `EnvStats::length_sum` is among an env's floats.
pub const ENV_LENGTH_SUM: u32 = 7;

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
    pub reward_scale: f32,
    /// Which meta-gradient quantity the dispatch is for (`meta_gradient::META_*`; 0: none).
    pub meta_term: u32,
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
            reward_scale: c.reward_scale,
            meta_term: 0,
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
/// Floats of per-agent scratch: the minibatch's advantage moments (sum, sum of squares), the
/// gradient's sum of squares, (unused), then the meta-gradient's tangent sums (sum of dA
/// and of A dA, for gamma then lambda).
pub const SCRATCH: u32 = 8;
pub const SCRATCH_TANGENT_SUMS: u32 = 4;
pub const SCRATCH_GRAD_SUM_SQ: u32 = 2;

/// WGSL constants of the trajectory records (`shaders/trajectory.wgsl`).
pub fn trajectory_wgsl_consts() -> String {
    const_prelude(&[
        ("FLAG_TERMINATED", FLAG_TERMINATED),
        ("FLAG_TRUNCATED", FLAG_TRUNCATED),
        ("FLAG_SUCCESS", FLAG_SUCCESS),
    ])
}

/// WGSL constants of the loss (`shaders/ppo_loss.wgsl`).
pub fn loss_wgsl_consts() -> String {
    const_prelude(&[
        ("ALGO_PPO", ALGO_PPO),
        ("TERMS", TERMS),
        ("TERM_ADV", TERM_ADV),
        ("SCRATCH", SCRATCH),
        ("LOSS_TERMS", LOSS_TERMS),
    ])
}

/// The value step `s` bootstraps from (0 if terminated, its final observation's if
/// truncated, else the next step's `next_value`), and whether its episode ends there.
pub fn bootstrap(s: &TrajStep, next_value: f32) -> (f32, bool) {
    let terminated = s.flags & FLAG_TERMINATED != 0;
    let truncated = s.flags & FLAG_TRUNCATED != 0;
    let value = if terminated {
        0.0
    } else if truncated {
        s.final_value
    } else {
        next_value
    };
    (value, terminated || truncated)
}

/// Twin of `gae` for one env's steps, given the value after its last step.
pub fn gae(
    gamma: f32,
    gae_lambda: f32,
    reward_scale: f32,
    steps: &mut [TrajStep],
    last_value: f32,
) {
    let mut next_value = last_value;
    let mut next_advantage = 0.0f32;
    for s in steps.iter_mut().rev() {
        let (bootstrap, cut) = bootstrap(s, next_value);
        let delta = s.reward * reward_scale + gamma * bootstrap - s.value;
        let carry = if cut {
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

/// A sample's policy as the loss sees it.
#[derive(Clone, Copy, Debug)]
pub enum Policy<'a> {
    /// Twin of `loss_categorical.wgsl`.
    Categorical { logits: &'a [f32] },
    /// Twin of `loss_gaussian.wgsl`: the means, the agent's log standard deviations and
    /// the action's values.
    Gaussian {
        means: &'a [f32],
        log_std: &'a [f32],
        action: &'a [f32],
    },
}

const HALF_LOG_TWO_PI: f32 = 0.918_938_5;

/// The log-density of `action` under a diagonal Gaussian (twin of `loss_gaussian.wgsl`'s).
pub fn gaussian_log_prob(means: &[f32], log_std: &[f32], action: &[f32]) -> f32 {
    let mut log_prob = 0.0f32;
    for k in 0..means.len() {
        let z = (action[k] - means[k]) * (-log_std[k]).exp();
        log_prob += -0.5 * z * z - log_std[k] - HALF_LOG_TWO_PI;
    }
    log_prob
}

/// The loss terms of one sample and the gradient of its share of the minibatch mean with
/// respect to the actor's outputs, the value and (Gaussian) the log standard deviations
/// (twin of `loss`).
pub struct SampleLoss {
    pub terms: [f32; LOSS_TERMS as usize],
    pub d_outputs: Vec<f32>,
    /// The sample's terms of the log standard deviations' gradient (empty for a
    /// categorical policy).
    pub d_log_std: Vec<f32>,
    pub d_value: f32,
}

/// `advantage` already normalised where the config says so; `objective` is the agent's
/// row (its clip, entropy weight and drift network).
pub fn sample_loss(
    cfg: &PpoConfig,
    objective: (&Objective, &[f32]),
    policy: Policy,
    value: f32,
    s: &TrajStep,
    advantage: f32,
) -> SampleLoss {
    let inv_m = 1.0 / cfg.minibatch as f32;
    let (shape, row) = objective;
    let clip = row[OBJ_CLIP];
    let ent_coef = row[OBJ_ENT_COEF];
    // The categorical's largest logit and sum of exp(logit - top); the Gaussian's
    // standardized action values.
    let (mut top, mut total, mut z) = (0.0f32, 0.0f32, Vec::new());
    let (log_prob, entropy) = match policy {
        Policy::Categorical { logits } => {
            top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut weighted = 0.0f32;
            for &l in logits {
                let w = (l - top).exp();
                total += w;
                weighted += w * (l - top);
            }
            let log_total = total.ln();
            (
                logits[s.action as usize] - top - log_total,
                log_total - weighted / total,
            )
        }
        Policy::Gaussian {
            means,
            log_std,
            action,
        } => {
            let (mut log_prob, mut entropy) = (0.0f32, 0.0f32);
            for k in 0..means.len() {
                let zk = (action[k] - means[k]) * (-log_std[k]).exp();
                log_prob += -0.5 * zk * zk - log_std[k] - HALF_LOG_TWO_PI;
                entropy += log_std[k] + 0.5 + HALF_LOG_TWO_PI;
                z.push(zk);
            }
            (log_prob, entropy)
        }
    };
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
    let (d_outputs, d_log_std) = match policy {
        Policy::Categorical { logits } => {
            let log_total = total.ln();
            let d = logits
                .iter()
                .enumerate()
                .map(|(k, &l)| {
                    let zk = l - top;
                    let p = zk.exp() / total;
                    let one_hot = (k as u32 == s.action) as u32 as f32;
                    let d_entropy = -p * (zk - log_total + entropy);
                    inv_m * (d_log_prob * (one_hot - p) - ent_coef * d_entropy)
                })
                .collect();
            (d, Vec::new())
        }
        Policy::Gaussian { log_std, .. } => {
            let d_means = (0..z.len())
                .map(|k| inv_m * d_log_prob * z[k] * (-log_std[k]).exp())
                .collect();
            let d_log_std = z
                .iter()
                .map(|zk| inv_m * (d_log_prob * (zk * zk - 1.0) - ent_coef))
                .collect();
            (d_means, d_log_std)
        }
    };
    SampleLoss {
        terms: [
            policy_loss,
            value_loss,
            entropy,
            (ratio - 1.0) - log_ratio,
            clipped,
        ],
        d_outputs,
        d_log_std,
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
