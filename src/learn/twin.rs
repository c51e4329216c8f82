//! The CPU twin of a whole training update: the policy rollout, GAE, the minibatch
//! permutation, forward and backward passes per sample, the loss, gradient clipping and
//! Adam. Plain loops over samples rather than the kernels' matrix views, so the tests
//! check the kernels' plumbing (strides, offsets, chunks) too, not only their arithmetic.

use super::adam::{self, AdamConfig};
use super::config::TrainConfig;
use super::net::{Activation, Mlp, PolicyNet};
use super::objective::{Objective, OBJ_GAE_LAMBDA, OBJ_GAMMA, OBJ_LR};
use super::ppo::{self, EnvStats, PpoConfig, TrajStep, LOSS_TERMS};
use super::trainer::{lr_schedule, permutation_key, STATS};
use crate::driver::keys::{self, KEY_ACTION, KEY_RESET, KEY_STEP};
use crate::driver::Streams;
use crate::env::Env;
use crate::rng;

/// Twin of `sample_action` in `shaders/policy_categorical.wgsl`: (action, log-prob,
/// distance of the target from the nearest CDF boundary, relative to the total).
pub fn sample_categorical(logits: &[f32], u: f32) -> (u32, f32, f32) {
    let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let total: f32 = logits.iter().map(|l| (l - top).exp()).sum();
    let target = u * total;
    let (mut action, mut cdf, mut margin) = (0u32, 0.0f32, f32::INFINITY);
    for l in &logits[..logits.len() - 1] {
        cdf += (l - top).exp();
        action += (cdf <= target) as u32;
        margin = margin.min((cdf - target).abs() / total);
    }
    (action, logits[action as usize] - top - total.ln(), margin)
}

/// What the policy rollout starts from and produces.
pub struct Rollout {
    /// Env states, concatenated bytes, [agent][env].
    pub states: Vec<u8>,
    pub env_stats: Vec<EnvStats>,
    /// [agent][env][step].
    pub traj: Vec<TrajStep>,
    /// [agent][env][step][obs].
    pub traj_obs: Vec<f32>,
    /// Gaussian policies' actions, [agent][env][step][action_dim].
    pub traj_actions: Vec<f32>,
}

/// Twin of `sample_action` in `shaders/policy_gaussian.wgsl`: the action's values and
/// log-prob.
pub fn sample_gaussian(means: &[f32], log_std: &[f32], key: rng::Key) -> (Vec<f32>, f32) {
    let mut log_prob = 0.0f32;
    let action = (0..means.len())
        .map(|k| {
            let z = rng::normal(key, 2 * k as u32);
            log_prob += -0.5 * z * z - log_std[k] - 0.918_938_5;
            means[k] + log_std[k].exp() * z
        })
        .collect();
    (action, log_prob)
}

/// The GPU's choices, for the twin to follow where float differences could make it choose
/// otherwise: its records and (Gaussian policies) its actions.
#[derive(Clone, Copy)]
pub struct Hint<'a> {
    pub traj: &'a [TrajStep],
    pub actions: &'a [f32],
}

/// Twin of `policy_rollout`. Where the draw lands within `1e-4` of a CDF boundary, float
/// differences may pick the neighbouring action; there the action in `hint` (the GPU's)
/// is followed so the trajectories stay comparable. A Gaussian policy follows the hint's
/// actions always (its normals use log/cos), with the log-prob of its own draw's
/// distribution.
#[allow(clippy::too_many_arguments)]
pub fn rollout(
    env: &dyn Env,
    net: &PolicyNet,
    weights: &[f32],
    params: &[u8],
    seed: u32,
    step: u32,
    steps: u32,
    envs_per_agent: u32,
    streams: Streams,
    start: &mut Rollout,
    hint: Option<Hint>,
) {
    let spec = env.spec();
    let (obs_dim, state_size, params_size) =
        (spec.obs_dim as usize, env.state_size(), env.params_size());
    let batch = start.env_stats.len();
    let per_env = params.len() > params_size;
    let p_count = net.params() as usize;
    let root = keys::step_root(seed);
    start.traj = vec![TrajStep::default(); batch * steps as usize];
    start.traj_obs = vec![0.0; batch * steps as usize * obs_dim];
    let d = net.action_dim as usize;
    start.traj_actions = vec![0.0; (batch * steps as usize * d).max(1)];
    let mut obs = vec![0.0f32; obs_dim];
    for i in 0..batch {
        let agent = i / envs_per_agent as usize;
        let w = &weights[agent * p_count..(agent + 1) * p_count];
        let p = if per_env {
            &params[i * params_size..(i + 1) * params_size]
        } else {
            params
        };
        let mut s = start.states[i * state_size..(i + 1) * state_size].to_vec();
        let stats = &mut start.env_stats[i];
        stats.return_sum = 0.0;
        stats.episodes = 0.0;
        stats.successes = 0.0;
        stats.length_sum = 0.0;
        let observe = |s: &[u8], obs: &mut [f32]| {
            obs.fill(0.0);
            env.observe_bytes(s, p, obs);
        };
        for t in 0..steps {
            let record = i * steps as usize + t as usize;
            let t_key = keys::step_key(root, streams.index(i as u32), step.wrapping_add(t));
            observe(&s, &mut obs);
            start.traj_obs[record * obs_dim..(record + 1) * obs_dim].copy_from_slice(&obs);
            let (outputs, value) = net.forward(w, &obs);
            let action_key = rng::fold(t_key, KEY_ACTION);
            let (action, words, log_prob) = if d == 0 {
                let u = rng::uniform(action_key, 0);
                let (mut action, mut log_prob, margin) = sample_categorical(&outputs, u);
                if let Some(h) = hint.filter(|_| margin < 1e-4) {
                    action = h.traj[record].action;
                    let top = outputs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let total: f32 = outputs.iter().map(|l| (l - top).exp()).sum();
                    log_prob = outputs[action as usize] - top - total.ln();
                }
                (action, vec![action], log_prob)
            } else {
                let log_std = &w[net.log_std_offset() as usize..][..d];
                let (mut values, mut log_prob) = sample_gaussian(&outputs, log_std, action_key);
                if let Some(h) = hint {
                    values = h.actions[record * d..(record + 1) * d].to_vec();
                    log_prob = ppo::gaussian_log_prob(&outputs, log_std, &values);
                }
                start.traj_actions[record * d..(record + 1) * d].copy_from_slice(&values);
                (0, values.iter().map(|v| v.to_bits()).collect(), log_prob)
            };
            let out = env.step_bytes(rng::fold(t_key, KEY_STEP), &s, &words, p);
            stats.episode_return += out.reward;
            stats.episode_length += 1.0;
            if out.success {
                stats.episode_success = 1.0;
            }
            let mut final_value = 0.0;
            if out.truncated {
                observe(&out.state, &mut obs);
                final_value = net.forward(w, &obs).1;
            }
            start.traj[record] = TrajStep {
                action,
                log_prob,
                value,
                reward: out.reward,
                flags: (out.terminated as u32 * ppo::FLAG_TERMINATED)
                    | (out.truncated as u32 * ppo::FLAG_TRUNCATED)
                    | (out.success as u32 * ppo::FLAG_SUCCESS),
                final_value,
                advantage: 0.0,
                ret: 0.0,
            };
            s = out.state;
            if out.terminated || out.truncated {
                stats.return_sum += stats.episode_return;
                stats.episodes += 1.0;
                stats.successes += stats.episode_success;
                stats.length_sum += stats.episode_length;
                stats.episode_return = 0.0;
                stats.episode_length = 0.0;
                stats.episode_success = 0.0;
                s = env.reset_bytes(rng::fold(t_key, KEY_RESET), p);
            }
        }
        observe(&s, &mut obs);
        stats.last_value = net.forward(w, &obs).1;
        start.states[i * state_size..(i + 1) * state_size].copy_from_slice(&s);
    }
}

/// Activations of every layer for one input, input first.
fn activations(mlp: &Mlp, activation: Activation, w: &[f32], input: &[f32]) -> Vec<Vec<f32>> {
    let mut out = vec![input.to_vec()];
    for l in 0..mlp.layers() {
        let (n_in, n_out, offset) = mlp.layer(l);
        let (n_in, n_out, wl) = (n_in as usize, n_out as usize, &w[offset as usize..]);
        let x = out.last().unwrap();
        let y = (0..n_out)
            .map(|j| {
                let acc = (0..n_in).fold(wl[n_in * n_out + j], |acc, i| {
                    x[i].mul_add(wl[i * n_out + j], acc)
                });
                if l + 1 < mlp.layers() {
                    activation.apply(acc)
                } else {
                    acc
                }
            })
            .collect();
        out.push(y);
    }
    out
}

/// Add one sample's weight gradient to `grads`, given the gradient of the MLP's output.
fn backward(
    mlp: &Mlp,
    activation: Activation,
    w: &[f32],
    acts: &[Vec<f32>],
    d_out: &[f32],
    grads: &mut [f32],
) {
    let mut delta = d_out.to_vec();
    for l in (0..mlp.layers()).rev() {
        let (n_in, n_out, offset) = mlp.layer(l);
        let (n_in, n_out, o) = (n_in as usize, n_out as usize, offset as usize);
        for i in 0..n_in {
            for j in 0..n_out {
                grads[o + i * n_out + j] += acts[l][i] * delta[j];
            }
        }
        for j in 0..n_out {
            grads[o + n_in * n_out + j] += delta[j];
        }
        if l > 0 {
            delta = (0..n_in)
                .map(|i| {
                    let s: f32 = (0..n_out).map(|j| delta[j] * w[o + i * n_out + j]).sum();
                    s * activation.derivative_at_output(acts[l][i])
                })
                .collect();
        }
    }
}

/// Every agent's objective rows, [agent][stride], with their shape.
pub type Rows<'a> = (&'a Objective, &'a [f32]);

/// The learner half of update `update` for every agent, from a rollout's records: GAE
/// (written into `traj`), then the epochs of minibatch steps on `weights`, `m` and `v`.
/// Returns each agent's raw statistics as the kernels accumulate them.
#[allow(clippy::too_many_arguments)]
pub fn learn(
    c: &TrainConfig,
    net: &PolicyNet,
    objective: Rows,
    agent_streams: Streams,
    update: u32,
    traj: &mut [TrajStep],
    traj_obs: &[f32],
    traj_actions: &[f32],
    env_stats: &[EnvStats],
    weights: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
) -> Vec<[f32; STATS as usize]> {
    let mut cfg = PpoConfig::new(c, update, c.updates);
    let (steps, samples, mb) = (
        c.steps as usize,
        c.samples() as usize,
        c.minibatch() as usize,
    );
    let (shape, rows) = objective;
    let stride = shape.stride();
    let row = |agent: usize| &rows[agent * stride..(agent + 1) * stride];
    for (env, stats) in env_stats.iter().enumerate() {
        let r = row(env / c.envs as usize);
        ppo::gae(
            r[OBJ_GAMMA],
            r[OBJ_GAE_LAMBDA],
            c.reward_scale,
            &mut traj[env * steps..(env + 1) * steps],
            stats.last_value,
        );
    }
    let agents = env_stats.len() / c.envs as usize;
    let p = net.params() as usize;
    let lr_scale = lr_schedule(c, update);
    let mut out = vec![[0.0f32; STATS as usize]; agents];
    for (agent, stats) in out.iter_mut().enumerate() {
        let w = &mut weights[agent * p..(agent + 1) * p];
        let (am, av) = (
            &mut m[agent * p..(agent + 1) * p],
            &mut v[agent * p..(agent + 1) * p],
        );
        for epoch in 0..c.epochs {
            cfg.key = rng::fold(
                permutation_key(c.seed, update, epoch),
                agent_streams.index(agent as u32),
            );
            for minibatch in 0..c.minibatches {
                let rows: Vec<usize> = (0..mb)
                    .map(|r| {
                        agent * samples
                            + ppo::permute(
                                cfg.key,
                                samples as u32,
                                (minibatch as usize * mb + r) as u32,
                            ) as usize
                    })
                    .collect();
                let objective = (shape, row(agent));
                let records = Records {
                    traj,
                    obs: traj_obs,
                    actions: traj_actions,
                };
                let (grads, terms) = gradient(&cfg, objective, net, w, records, &rows);
                for (sum, term) in stats.iter_mut().zip(terms) {
                    *sum += term;
                }
                let t = (update * c.epochs + epoch) * c.minibatches + minibatch + 1;
                let adam_cfg = AdamConfig::new(c, p as u32, 1, lr_scale, t);
                let (norm, scale) = adam::grad_norm(&adam_cfg, &grads);
                stats[5] += norm;
                adam::adam(&adam_cfg, row(agent)[OBJ_LR], &grads, scale, w, am, av);
            }
        }
        let envs = &env_stats[agent * c.envs as usize..(agent + 1) * c.envs as usize];
        stats[6] = envs.iter().map(|e| e.return_sum).sum();
        stats[7] = envs.iter().map(|e| e.episodes).sum();
        stats[8] = envs.iter().map(|e| e.successes).sum();
        let records = &traj[agent * samples..(agent + 1) * samples];
        stats[9] = crate::learn::nn::column_sum(records.iter().map(|s| s.reward), false);
        stats[10] = envs.iter().map(|e| e.length_sum).sum();
    }
    out
}

/// The loss of one minibatch as a function of the weights (for finite differences): the
/// mean over `rows` of the per-sample loss, advantages normalised over `rows`.
pub fn minibatch_loss(
    c: &TrainConfig,
    objective: Rows,
    net: &PolicyNet,
    w: &[f32],
    records: Records,
    rows: &[usize],
) -> f64 {
    let mut cfg = PpoConfig::new(c, 0, c.updates);
    cfg.minibatch = rows.len() as u32;
    let obs_dim = net.actor.dims[0] as usize;
    let moments = moments(records.traj, rows);
    rows.iter()
        .map(|&i| {
            let x = &records.obs[i * obs_dim..(i + 1) * obs_dim];
            let (outputs, value) = net.forward(w, x);
            let s = &records.traj[i];
            let a = advantage(&cfg, s, moments);
            let policy = policy_of(net, w, &outputs, records.actions, i);
            let t = ppo::sample_loss(&cfg, objective, policy, value, s, a).terms;
            let ent_coef = objective.1[super::objective::OBJ_ENT_COEF];
            (t[0] + c.vf_coef * t[1] - ent_coef * t[2]) as f64
        })
        .sum::<f64>()
        / rows.len() as f64
}

/// One sample-mean gradient of [`minibatch_loss`] by backpropagation (no clipping).
pub fn minibatch_gradient(
    c: &TrainConfig,
    objective: Rows,
    net: &PolicyNet,
    w: &[f32],
    records: Records,
    rows: &[usize],
) -> Vec<f32> {
    let mut cfg = PpoConfig::new(c, 0, c.updates);
    cfg.minibatch = rows.len() as u32;
    gradient(&cfg, objective, net, w, records, rows).0
}

/// A rollout's records as the learner reads them: steps, observations and (Gaussian
/// policies) actions, [agent][env][step][..].
#[derive(Clone, Copy)]
pub struct Records<'a> {
    pub traj: &'a [TrajStep],
    pub obs: &'a [f32],
    pub actions: &'a [f32],
}

/// Sample i's log-prob under the weights `w` (as `dist_of` computes it).
pub(crate) fn log_prob_at(net: &PolicyNet, w: &[f32], records: Records, i: usize) -> f32 {
    let obs_dim = net.actor.dims[0] as usize;
    let (outputs, _) = net.forward(w, &records.obs[i * obs_dim..(i + 1) * obs_dim]);
    match policy_of(net, w, &outputs, records.actions, i) {
        ppo::Policy::Categorical { logits } => {
            let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let total: f32 = logits.iter().map(|l| (l - top).exp()).sum();
            logits[records.traj[i].action as usize] - top - total.ln()
        }
        ppo::Policy::Gaussian {
            means,
            log_std,
            action,
        } => ppo::gaussian_log_prob(means, log_std, action),
    }
}

/// Sample i's policy given the actor's outputs for it.
fn policy_of<'a>(
    net: &PolicyNet,
    w: &'a [f32],
    outputs: &'a [f32],
    actions: &'a [f32],
    i: usize,
) -> ppo::Policy<'a> {
    let d = net.action_dim as usize;
    if d == 0 {
        ppo::Policy::Categorical { logits: outputs }
    } else {
        ppo::Policy::Gaussian {
            means: outputs,
            log_std: &w[net.log_std_offset() as usize..][..d],
            action: &actions[i * d..(i + 1) * d],
        }
    }
}

/// Advantage moments (sum, sum of squares) over the minibatch `rows`.
fn moments(traj: &[TrajStep], rows: &[usize]) -> (f32, f32) {
    rows.iter().fold((0.0, 0.0), |(s, q), &i| {
        let a = traj[i].advantage;
        (s + a, q + a * a)
    })
}

/// The advantage the loss sees: normalised over the minibatch where the config says so.
fn advantage(cfg: &PpoConfig, s: &TrajStep, (sum, sum_sq): (f32, f32)) -> f32 {
    if cfg.normalize != 0 {
        ppo::normalize(s.advantage, sum, sum_sq, cfg.minibatch)
    } else {
        s.advantage
    }
}

/// The gradient of the minibatch `rows` (each sample's share of the mean) and the sums of
/// its loss terms.
fn gradient(
    cfg: &PpoConfig,
    objective: Rows,
    net: &PolicyNet,
    w: &[f32],
    records: Records,
    rows: &[usize],
) -> (Vec<f32>, [f32; LOSS_TERMS as usize]) {
    let moments = moments(records.traj, rows);
    let traj = records.traj;
    let adv = |i: usize| advantage(cfg, &traj[i], moments);
    gradient_with(cfg, objective, net, w, records, rows, adv)
}

/// [`gradient`] with sample i's advantage `adv(i)` as given. The meta-gradient's
/// surrogates (A2C's loss, no critic) come through here too; their critic gradient is
/// left out (the GPU's backward pass skips the critic there).
pub(crate) fn gradient_with(
    cfg: &PpoConfig,
    objective: Rows,
    net: &PolicyNet,
    w: &[f32],
    records: Records,
    rows: &[usize],
    adv: impl Fn(usize) -> f32,
) -> (Vec<f32>, [f32; LOSS_TERMS as usize]) {
    let obs_dim = net.actor.dims[0] as usize;
    let critic_offset = net.critic_offset() as usize;
    let d = net.action_dim as usize;
    let with_critic = cfg.meta_term == 0;
    let mut grads = vec![0.0f32; net.params() as usize];
    let mut terms = [0.0f32; LOSS_TERMS as usize];
    // Per sample, the log standard deviations' gradient terms, summed as reduce.wgsl does.
    let mut d_log_std: Vec<Vec<f32>> = vec![Vec::new(); d];
    for &i in rows {
        let x = &records.obs[i * obs_dim..(i + 1) * obs_dim];
        let actor = activations(&net.actor, net.activation, w, x);
        let critic = activations(&net.critic, net.activation, &w[critic_offset..], x);
        let s = &records.traj[i];
        let value = critic.last().unwrap()[0];
        let policy = policy_of(net, w, actor.last().unwrap(), records.actions, i);
        let loss = ppo::sample_loss(cfg, objective, policy, value, s, adv(i));
        for (k, term) in loss.d_log_std.iter().enumerate() {
            d_log_std[k].push(*term);
        }
        for (sum, term) in terms.iter_mut().zip(loss.terms) {
            *sum += term;
        }
        let (actor_grads, critic_grads) = grads.split_at_mut(critic_offset);
        backward(
            &net.actor,
            net.activation,
            w,
            &actor,
            &loss.d_outputs,
            actor_grads,
        );
        if !with_critic {
            continue;
        }
        let critic_w = &w[critic_offset..];
        backward(
            &net.critic,
            net.activation,
            critic_w,
            &critic,
            &[loss.d_value],
            critic_grads,
        );
    }
    let log_std = net.log_std_offset() as usize;
    for (k, column) in d_log_std.iter().enumerate() {
        grads[log_std + k] = crate::learn::nn::column_sum(column.iter().copied(), false);
    }
    (grads, terms)
}
