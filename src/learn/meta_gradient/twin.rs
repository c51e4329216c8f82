//! CPU twins of the meta-gradient kernels (`shaders/meta_gradient_loss.wgsl`,
//! `shaders/meta_gradient.wgsl`) and of the drift pass, plus the pieces the tests need to
//! check them against finite differences: the one-step inner update and J itself.

use super::{
    drift_key, Hyper, MetaGradient, HYPERS, META_DRIFT, META_ENTROPY, META_GAMMA, META_LAMBDA,
    META_LR, META_SLOT, META_STATE, META_VALIDATION, OUTER_EPS, SLOT_BASE, SLOT_GRAD, SLOT_T,
};
use crate::driver::Streams;
use crate::learn::config::TrainConfig;
use crate::learn::net::PolicyNet;
use crate::learn::objective::{
    drift_slope_tangent, learned_drift, lifetime_inputs, Objective, DRIFT_MARGIN, HYPER, OBJ_CLIP,
    OBJ_ENT_COEF, OBJ_GAE_LAMBDA, OBJ_GAMMA, OBJ_LR, OBJ_REF_GAE_LAMBDA, OBJ_REF_GAMMA,
};
use crate::learn::ppo::{self, EnvStats, PpoConfig, TrajStep, ALGO_A2C};
use crate::learn::trainer::{lr_schedule, permutation_key};
use crate::learn::twin::{self, Records};
use crate::rng;

/// Twin of `draw_drift_direction` for one agent.
pub fn drift_direction(seed: u32, update: u32, agent: u32, params: usize) -> Vec<f32> {
    let key = rng::fold(drift_key(seed, update), agent);
    (0..params)
        .map(|i| rng::normal(key, 2 * i as u32))
        .collect()
}

/// Twin of `gae_tangents` for one env: (dA/dgamma, dA/dlambda) per step, given the
/// advantages `gae` wrote.
pub fn gae_tangents(gamma: f32, lambda: f32, steps: &[TrajStep], last_value: f32) -> Vec<[f32; 2]> {
    let mut out = vec![[0.0; 2]; steps.len()];
    let (mut next_value, mut next_adv, mut next) = (last_value, 0.0f32, [0.0f32; 2]);
    for (t, s) in steps.iter().enumerate().rev() {
        let (bootstrap, cut) = ppo::bootstrap(s, next_value);
        let d_gamma = bootstrap
            + if cut {
                0.0
            } else {
                lambda * next_adv + gamma * lambda * next[0]
            };
        let d_lambda = if cut {
            0.0
        } else {
            gamma * next_adv + gamma * lambda * next[1]
        };
        out[t] = [d_gamma, d_lambda];
        next_value = s.value;
        next_adv = s.advantage;
        next = out[t];
    }
    out
}

/// Twin of `gae` (at the agents' or, for validation, the reference gamma and lambda) and
/// then `gae_tangents` over every env of every agent: advantages written into `traj`,
/// tangents returned ([agent][env][step]). `rows` are the objective rows, [agent][stride].
pub fn advantages_and_tangents(
    c: &TrainConfig,
    traj: &mut [TrajStep],
    env_stats: &[EnvStats],
    rows: &[f32],
    reference: bool,
) -> Vec<[f32; 2]> {
    let stride = rows.len() / (env_stats.len() / c.envs as usize);
    let steps = c.steps as usize;
    let mut out = Vec::with_capacity(traj.len());
    for (env, stats) in env_stats.iter().enumerate() {
        let row = &rows[env / c.envs as usize * stride..][..stride];
        let (gamma, lambda) = if reference {
            (row[OBJ_REF_GAMMA], row[OBJ_REF_GAE_LAMBDA])
        } else {
            (row[OBJ_GAMMA], row[OBJ_GAE_LAMBDA])
        };
        let records = &mut traj[env * steps..(env + 1) * steps];
        ppo::gae(gamma, lambda, c.reward_scale, records, stats.last_value);
        out.extend(gae_tangents(gamma, lambda, records, stats.last_value));
    }
    out
}

/// The first epoch's minibatches of `agent` at `update`, as `gather` draws them (sample
/// indices into every agent's records).
pub fn first_epoch_minibatches(
    c: &TrainConfig,
    agent_streams: Streams,
    update: u32,
    agent: usize,
) -> Vec<Vec<usize>> {
    let (samples, m) = (c.samples(), c.minibatch());
    let key = rng::fold(
        permutation_key(c.seed, update, 0),
        agent_streams.index(agent as u32),
    );
    (0..c.minibatches)
        .map(|b| {
            (0..m)
                .map(|r| agent * samples as usize + ppo::permute(key, samples, b * m + r) as usize)
                .collect()
        })
        .collect()
}

/// Twin of `normalized_tangent`.
pub fn normalized_tangent(normalize: bool, a: f32, d_a: f32, sums: [f32; 4], m: usize) -> f32 {
    if !normalize {
        return d_a;
    }
    let inv_m = 1.0 / m as f32;
    let mean = sums[0] * inv_m;
    let sd = (sums[1] * inv_m - mean * mean).max(0.0).sqrt();
    let sigma = sd + 1e-8;
    let mean_d = sums[2] * inv_m;
    let d_sd = if sd > 0.0 {
        (sums[3] * inv_m - mean * mean_d) / sd
    } else {
        0.0
    };
    (d_a - mean_d) / sigma - (a - mean) * d_sd / (sigma * sigma)
}

/// One agent's data for the twin: its rollout records, (for the directions) its tangents,
/// and the first epoch's minibatches (sample indices into the records).
pub struct AgentData<'a> {
    pub records: Records<'a>,
    pub tangents: &'a [[f32; 2]],
    pub minibatches: &'a [Vec<usize>],
}

/// The surrogate of `term` (a `META_*`): its mean-over-minibatches gradient (each
/// minibatch's mean, as `meta_loss` and the backward pass compute it) and value.
pub fn surrogate(
    c: &TrainConfig,
    net: &PolicyNet,
    row: &[f32],
    w: &[f32],
    data: &AgentData,
    term: u32,
) -> (Vec<f32>, f64) {
    let shape = Objective::default();
    let mut cfg = PpoConfig::new(c, 0, c.updates);
    cfg.algo = ALGO_A2C; // -x grad log pi for the x given
    cfg.meta_term = term;
    let mut row = row[..HYPER].to_vec();
    row[OBJ_ENT_COEF] = match term {
        META_ENTROPY => 1.0,
        META_LR => row[OBJ_ENT_COEF], // the inner loss itself
        _ => 0.0,
    };
    let traj = data.records.traj;
    let mut total = vec![0.0f32; net.params() as usize];
    let mut value = 0.0f64;
    let b = data.minibatches.len() as f32;
    for rows in data.minibatches {
        cfg.minibatch = rows.len() as u32;
        // The tangent of gamma or lambda this surrogate follows, if any.
        let tangent = |i: usize| match term {
            META_GAMMA | META_LAMBDA => data.tangents[i][(term - META_GAMMA) as usize],
            _ => 0.0,
        };
        let sums = rows.iter().fold([0.0f32; 4], |s, &i| {
            let (a, d) = (traj[i].advantage, tangent(i));
            [s[0] + a, s[1] + a * a, s[2] + d, s[3] + a * d]
        });
        let normalize = c.normalize_advantages;
        let x = |i: usize| -> f32 {
            let a = traj[i].advantage;
            match term {
                META_ENTROPY => 0.0,
                META_GAMMA | META_LAMBDA => {
                    normalized_tangent(normalize, a, tangent(i), sums, rows.len())
                }
                _ if normalize => ppo::normalize(a, sums[0], sums[1], rows.len() as u32),
                _ => a,
            }
        };
        let objective = (&shape, &row[..]);
        let (grads, terms) = twin::gradient_with(&cfg, objective, net, w, data.records, rows, x);
        for (t, g) in total.iter_mut().zip(grads) {
            *t += g / b;
        }
        // -x log pi - ent_coef entropy, per sample: the surrogate's loss.
        let loss = terms[0] as f64 - row[OBJ_ENT_COEF] as f64 * terms[2] as f64;
        value += loss / rows.len() as f64 / b as f64;
    }
    (total, value)
}

/// The directions d theta' / d eta_k = -alpha grad (dL / d eta_k) of every learned
/// hyperparameter (zero for the others), alpha = the agent's learning rate times the
/// schedule's `lr_scale`; for the learning rate itself, -lr_scale grad L.
pub fn directions(
    c: &TrainConfig,
    net: &PolicyNet,
    row: &[f32],
    w: &[f32],
    data: &AgentData,
    lr_scale: f32,
) -> [Vec<f32>; HYPERS.len()] {
    let mg = c.meta_gradient.clone().unwrap_or_default();
    let alpha = row[OBJ_LR] * lr_scale;
    HYPERS.map(|h| {
        if mg.learn.contains(&h) {
            let (g, _) = surrogate(c, net, row, w, data, h.term());
            let scale = if h == Hyper::Lr { lr_scale } else { alpha };
            g.iter().map(|x| -scale * x).collect()
        } else {
            vec![0.0; net.params() as usize]
        }
    })
}

/// grad J on validation records whose advantages are GAE at the reference values.
pub fn validation_gradient(
    c: &TrainConfig,
    net: &PolicyNet,
    row: &[f32],
    w: &[f32],
    data: &AgentData,
) -> Vec<f32> {
    let (g, _) = surrogate(c, net, row, w, data, META_VALIDATION);
    g.iter().map(|x| -x).collect()
}

/// J itself (for finite differences).
pub fn validation_objective(
    c: &TrainConfig,
    net: &PolicyNet,
    row: &[f32],
    w: &[f32],
    data: &AgentData,
) -> f64 {
    -surrogate(c, net, row, w, data, META_VALIDATION).1
}

/// The one-step inner update of the meta-gradient's model: theta - alpha grad L.
pub fn inner_step(
    c: &TrainConfig,
    net: &PolicyNet,
    row: &[f32],
    w: &[f32],
    data: &AgentData,
    lr_scale: f32,
) -> Vec<f32> {
    let shape = Objective::default();
    let alpha = row[OBJ_LR] * lr_scale;
    let mut grads = vec![0.0f32; w.len()];
    let b = data.minibatches.len() as f32;
    for rows in data.minibatches {
        let g = twin::minibatch_gradient(c, (&shape, row), net, w, data.records, rows);
        for (t, x) in grads.iter_mut().zip(g) {
            *t += x / b;
        }
    }
    w.iter().zip(&grads).map(|(w, g)| w - alpha * g).collect()
}

/// The drift's direction d theta'' / d eta . u (twin of the drift pass): at weights `w`
/// (theta', after the first minibatch step) on the minibatch `rows` (the second), with
/// the agent's objective `row` (drift weights from `HYPER`), at update `update`.
#[allow(clippy::too_many_arguments)]
pub fn drift_meta_direction(
    c: &TrainConfig,
    net: &PolicyNet,
    shape: &Objective,
    row: &[f32],
    u: &[f32],
    w: &[f32],
    records: Records,
    rows: &[usize],
    update: u32,
) -> Vec<f32> {
    let time = lifetime_inputs(update, c.updates);
    let hidden = shape.drift_hidden as usize;
    let drift = &row[HYPER..];
    let traj = records.traj;
    let (sum, sum_sq) = rows.iter().fold((0.0f32, 0.0f32), |(s, q), &i| {
        let a = traj[i].advantage;
        (s + a, q + a * a)
    });
    // A2C's d log_prob is -x: x = -r [gate] (d/de dg/dr along u).
    let x = |i: usize| -> f32 {
        let s = &traj[i];
        let a = if c.normalize_advantages {
            ppo::normalize(s.advantage, sum, sum_sq, rows.len() as u32)
        } else {
            s.advantage
        };
        let log_ratio = twin::log_prob_at(net, w, records, i) - s.log_prob;
        let ratio = log_ratio.exp();
        let clip = row[OBJ_CLIP];
        let ppo_drift = (ratio - ratio.clamp(1.0 - clip, 1.0 + clip)) * a;
        let (g, _) = learned_drift(drift, hidden, log_ratio, a, time);
        if ppo_drift.max(0.0) + g - DRIFT_MARGIN > 0.0 {
            -ratio * drift_slope_tangent(drift, u, hidden, log_ratio, a, time)
        } else {
            0.0
        }
    };
    let mut cfg = PpoConfig::new(c, update, c.updates);
    cfg.algo = ALGO_A2C;
    cfg.meta_term = META_DRIFT;
    cfg.minibatch = rows.len() as u32;
    let mut plain = row[..HYPER].to_vec();
    plain[OBJ_ENT_COEF] = 0.0;
    let shape0 = Objective::default();
    let (g, _) = twin::gradient_with(&cfg, (&shape0, &plain), net, w, records, rows, x);
    let alpha = row[OBJ_LR] * lr_schedule(c, update);
    g.iter().map(|x| -alpha * x).collect()
}

/// Twin of `outer_drift` for one group: the agents' forward gradients (d J / d eta . u_a)
/// u_a averaged, an Adam ascent step per drift weight on the first agent's moments at
/// outer step `steps`, the new weights written into every row.
pub fn outer_drift(
    mg: &MetaGradient,
    along: &[f32],
    drift_states: &mut [Vec<f32>],
    steps: f32,
    rows: &mut [&mut [f32]],
) {
    let n = drift_states[0].len() / 3;
    let hyper = HYPER;
    for i in 0..n {
        let g = along
            .iter()
            .zip(drift_states.iter())
            .map(|(d, s)| d * s[i])
            .sum::<f32>()
            / along.len() as f32;
        let s = &mut drift_states[0];
        let m = mg.beta1 * s[n + i] + (1.0 - mg.beta1) * g;
        let v = mg.beta2 * s[2 * n + i] + (1.0 - mg.beta2) * g * g;
        (s[n + i], s[2 * n + i]) = (m, v);
        let m_hat = m / (1.0 - mg.beta1.powf(steps));
        let v_hat = v / (1.0 - mg.beta2.powf(steps));
        let w = rows[0][hyper + i] + mg.drift_lr * m_hat / (v_hat.sqrt() + OUTER_EPS);
        for row in rows.iter_mut() {
            row[hyper + i] = w;
        }
    }
}

/// Twin of `meta_dot`: d J / d eta_k = grad J . d theta' / d eta_k over the actor's weights
/// and log standard deviations.
pub fn meta_gradient(net: &PolicyNet, v: &[f32], direction: &[f32]) -> f32 {
    let actor = 0..net.critic_offset() as usize;
    let log_std = net.log_std_offset() as usize..net.params() as usize;
    let dots: Vec<f32> = actor.chain(log_std).map(|p| v[p] * direction[p]).collect();
    crate::learn::nn::column_sum(dots.into_iter(), false)
}

/// Twin of `outer_adam` for one group: the mean of its agents' d J / d eta in `states`,
/// an Adam ascent step on the first agent's t, and the new eta for every agent's row.
pub fn outer_adam(mg: &MetaGradient, states: &mut [[f32; META_STATE]], rows: &mut [&mut [f32]]) {
    for h in &mg.learn {
        let k = h.index() * META_SLOT;
        let g = states.iter().map(|s| s[k + SLOT_GRAD]).sum::<f32>() / states.len() as f32;
        let s = &mut states[0];
        let (t, base) = (s[k + SLOT_T], s[k + SLOT_BASE]);
        let g_t = g * h.d_eta(base, t);
        let steps = s[k + 5] + 1.0;
        let m = mg.beta1 * s[k + 1] + (1.0 - mg.beta1) * g_t;
        let v = mg.beta2 * s[k + 2] + (1.0 - mg.beta2) * g_t * g_t;
        let m_hat = m / (1.0 - mg.beta1.powf(steps));
        let v_hat = v / (1.0 - mg.beta2.powf(steps));
        let t_new = (t + mg.lr * m_hat / (v_hat.sqrt() + OUTER_EPS))
            .clamp(-mg.max_log_scale, mg.max_log_scale);
        (s[k], s[k + 1], s[k + 2], s[k + 5]) = (t_new, m, v, steps);
        for row in rows.iter_mut() {
            row[h.row_slot()] = h.eta(base, t_new);
        }
    }
}
