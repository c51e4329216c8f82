//! The learner kernels against their CPU twins: one whole update (policy rollout, GAE,
//! minibatches, forward, loss, backward, clipping, Adam) on the GPU and in `learn::twin`,
//! and the twin's gradient against finite differences.

mod common;

use common::gpu;
use wgym::driver::Streams;
use wgym::learn::objective::{OBJ_CLIP, OBJ_ENT_COEF, OBJ_GAE_LAMBDA, OBJ_GAMMA, OBJ_LR};
use wgym::learn::ppo::{EnvStats, TrajStep};
use wgym::learn::twin::{self, Rollout};
use wgym::learn::{Activation, Algo, Objective, TrainConfig, Trainer, TrainerOptions};
use wgym::make;

fn small_config() -> TrainConfig {
    let mut c = TrainConfig::for_env("FourRooms-misc");
    c.seed = 3;
    c.envs = 8;
    c.steps = 32;
    c.updates = 4;
    c.epochs = 2;
    c.minibatches = 4;
    c.lr = 1e-2;
    c.network.hidden = vec![16, 12];
    c
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

fn check_update(env_id: &str, c: TrainConfig, agents: u32) {
    let objective = Objective::default();
    let row = objective.row(&c);
    let rows: Vec<f32> = (0..agents).flat_map(|_| row.clone()).collect();
    check_update_with(env_id, c, agents, objective, rows, Streams::default());
}

/// One update on the GPU and in the twin, each agent with its own objective row.
fn check_update_with(
    env_id: &str,
    c: TrainConfig,
    agents: u32,
    objective: Objective,
    rows: Vec<f32>,
    streams: Streams,
) {
    let env = make(env_id).unwrap();
    let options = TrainerOptions {
        objective,
        streams,
        ..Default::default()
    };
    let mut trainer =
        Trainer::with_options(&gpu(), env.clone(), agents, c.clone(), options).unwrap();
    trainer.set_objective(&rows).unwrap();
    let net = trainer.net().clone();
    let w0 = trainer.weights().unwrap();
    let params = trainer.env_params().unwrap();
    let mut twin_rollout = Rollout {
        states: trainer.env_states().unwrap(),
        env_stats: vec![EnvStats::default(); (agents * c.envs) as usize],
        traj: vec![],
        traj_obs: vec![],
        traj_actions: vec![],
    };
    trainer.update().unwrap();
    let traj = trainer.trajectory().unwrap();
    let traj_obs = trainer.trajectory_obs().unwrap();
    let traj_actions = trainer.trajectory_actions().unwrap();
    let env_stats = trainer.env_stats().unwrap();

    twin::rollout(
        env.as_ref(),
        &net,
        &w0,
        &params,
        c.seed,
        0,
        c.steps,
        c.envs,
        streams,
        &mut twin_rollout,
        Some(twin::Hint {
            traj: &traj,
            actions: &traj_actions,
        }),
    );
    // Integer envs and discrete policies are exact; continuous envs (float dynamics) agree
    // within a tolerance.
    let exact = net.action_dim == 0;
    let states = trainer.env_states().unwrap();
    if exact {
        assert_eq!(twin_rollout.traj_obs, traj_obs, "{env_id}: observations");
        assert_eq!(twin_rollout.states, states, "{env_id}: env states");
    } else {
        let gpu_words: &[f32] = bytemuck::cast_slice(&states);
        let twin_words: &[f32] = bytemuck::cast_slice(&twin_rollout.states);
        for (what, g, t) in [
            ("observation", &traj_obs[..], &twin_rollout.traj_obs[..]),
            ("state word", gpu_words, twin_words),
        ] {
            for (k, (a, b)) in g.iter().zip(t).enumerate() {
                assert!(close(*a, *b, 1e-4), "{env_id}: {what} {k}: {a} vs {b}");
            }
        }
    }
    for (k, (g, t)) in traj.iter().zip(&twin_rollout.traj).enumerate() {
        assert_eq!(
            (g.action, g.flags),
            (t.action, t.flags),
            "{env_id}: step {k}"
        );
        assert!(
            close(g.reward, t.reward, if exact { 0.0 } else { 1e-4 }),
            "{env_id}: reward at {k}: {} vs {}",
            g.reward,
            t.reward
        );
        assert!(
            close(g.log_prob, t.log_prob, 1e-4),
            "{env_id}: log-prob at {k}: {} vs {}",
            g.log_prob,
            t.log_prob
        );
        assert!(
            close(g.value, t.value, 1e-4),
            "{env_id}: value at {k}: {} vs {}",
            g.value,
            t.value
        );
        assert!(
            close(g.final_value, t.final_value, 1e-4),
            "{env_id}: final value at {k}"
        );
    }
    let truncated = traj.iter().filter(|s| s.flags & 2 != 0).count();
    assert!(
        c.steps < 500 || truncated > 0,
        "{env_id}: no truncated step in {} steps",
        c.steps
    );
    for (g, t) in env_stats.iter().zip(&twin_rollout.env_stats) {
        assert_eq!(g.episodes, t.episodes);
        let tol = if exact { 0.0 } else { 1e-4 };
        assert!(close(g.episode_return, t.episode_return, tol));
        assert!(close(g.return_sum, t.return_sum, tol));
        assert!(close(g.last_value, t.last_value, 1e-4));
    }

    // The learner half from the GPU's records, so float differences in the rollout do not
    // compound.
    let mut twin_traj: Vec<TrajStep> = traj.clone();
    let (mut w, mut m, mut v) = (w0.clone(), vec![0.0; w0.len()], vec![0.0; w0.len()]);
    let twin_stats = twin::learn(
        &c,
        &net,
        (&objective, &rows),
        trainer.agent_streams(),
        0,
        &mut twin_traj,
        &traj_obs,
        &traj_actions,
        &env_stats,
        &mut w,
        &mut m,
        &mut v,
    );
    for (k, (g, t)) in traj.iter().zip(&twin_traj).enumerate() {
        assert!(
            close(g.advantage, t.advantage, 1e-4),
            "{env_id}: advantage at {k}: {} vs {}",
            g.advantage,
            t.advantage
        );
        assert!(close(g.ret, t.ret, 1e-4), "{env_id}: return at {k}");
    }
    let w1 = trainer.weights().unwrap();
    let moved = w1.iter().zip(&w0).filter(|(a, b)| a != b).count();
    assert!(
        moved > w0.len() / 2,
        "{env_id}: only {moved} of {} weights changed",
        w0.len()
    );
    for (k, (g, t)) in w1.iter().zip(&w).enumerate() {
        assert!(
            close(*g, *t, 2e-4),
            "{env_id}: weight {k} after the update: GPU {g} vs twin {t} (was {})",
            w0[k]
        );
    }
    let stats = trainer.stats().unwrap();
    let steps = (c.epochs * c.minibatches) as f32;
    let samples = steps * c.minibatch() as f32;
    for (agent, (g, t)) in stats.iter().zip(&twin_stats).enumerate() {
        let pairs = [
            (g.policy_loss, t[0] / samples),
            (g.value_loss, t[1] / samples),
            (g.entropy, t[2] / samples),
            (g.approx_kl, t[3] / samples),
            (g.grad_norm, t[5] / steps),
        ];
        for (k, (a, b)) in pairs.into_iter().enumerate() {
            assert!(
                close(a, b, 1e-3),
                "{env_id}: agent {agent} statistic {k}: GPU {a} vs twin {b}"
            );
        }
        assert_eq!(g.episodes, t[7]);
        let rate = t[8] / t[7];
        assert!(
            g.success_rate == rate || (g.success_rate.is_nan() && rate.is_nan()),
            "{env_id}: agent {agent} success rate: GPU {} vs twin {rate}",
            g.success_rate
        );
        let per_step = t[9] / c.samples() as f32;
        assert!(
            close(g.reward_per_step, per_step, 1e-5),
            "{env_id}: agent {agent} reward per step: GPU {} vs twin {per_step}",
            g.reward_per_step
        );
    }
}

#[test]
fn ppo_update_matches_twin_on_four_rooms() {
    check_update("FourRooms-misc", small_config(), 2);
}

#[test]
fn ppo_update_matches_twin_on_a_bandit_with_relu() {
    let mut c = small_config();
    c.network.activation = Activation::Relu;
    c.network.hidden = vec![8];
    c.steps = 64;
    check_update("BernoulliBandit-misc", c, 3);
}

/// A diagonal Gaussian policy on a continuous task: sampling, log-probs, the log standard
/// deviations' gradients and their Adam step, against the twin.
#[test]
fn ppo_update_matches_twin_with_a_gaussian_policy() {
    let mut c = small_config();
    c.network.hidden = vec![16];
    c.ent_coef = 0.01;
    check_update("Manipulation-reach", c, 2);
}

#[test]
fn a2c_update_matches_twin() {
    let mut c = small_config();
    c.algo = Algo::A2c;
    c.epochs = 1;
    c.minibatches = 1;
    c.value_clip = 0.0;
    check_update("FourRooms-misc", c, 2);
}

/// Agents of one batch with their own learning rate, discount, GAE lambda, clip and
/// entropy weight (a sweep on the agent axis).
#[test]
fn per_agent_hyperparameters_match_twin() {
    let c = small_config();
    let objective = Objective::default();
    let mut rows = Vec::new();
    for a in 0..3 {
        let mut row = objective.row(&c);
        row[OBJ_LR] = c.lr * [1.0, 0.3, 2.0][a];
        row[OBJ_GAMMA] = [0.99, 0.9, 0.5][a];
        row[OBJ_GAE_LAMBDA] = [0.95, 0.5, 1.0][a];
        row[OBJ_CLIP] = [0.2, 0.05, 0.5][a];
        row[OBJ_ENT_COEF] = [0.01, 0.0, 0.1][a];
        rows.extend(row);
    }
    check_update_with("FourRooms-misc", c, 3, objective, rows, Streams::default());
}

/// Random drift weights of LPO's learned objective.
fn drift_rows(c: &TrainConfig, objective: Objective, agents: u32, scale: f32) -> Vec<f32> {
    let key = wgym::rng::key(77);
    let mut rows = Vec::new();
    for a in 0..agents {
        let mut row = objective.row(c);
        for (k, w) in row[wgym::learn::objective::HYPER..].iter_mut().enumerate() {
            *w = scale * wgym::rng::normal(key, a * 10_000 + 2 * k as u32);
        }
        rows.extend(row);
    }
    rows
}

/// LPO: a learned drift network in place of PPO's clipping, with lifetime inputs.
#[test]
fn learned_drift_update_matches_twin() {
    let c = small_config();
    let objective = Objective { drift_hidden: 4 };
    let rows = drift_rows(&c, objective, 2, 0.5);
    check_update_with("FourRooms-misc", c, 2, objective, rows, Streams::default());
}

/// Shared random streams: agents 0 and 1 (and 2 and 3) replay the same env randomness,
/// on the GPU as in the twin; with the same weights and objective they act alike.
#[test]
fn shared_streams_match_twin_and_replay_randomness() {
    let c = small_config();
    let streams = Streams {
        block: c.envs,
        group: 2 * c.envs,
    };
    let objective = Objective::default();
    let row = objective.row(&c);
    let rows: Vec<f32> = (0..4).flat_map(|_| row.clone()).collect();
    check_update_with("FourRooms-misc", c.clone(), 4, objective, rows, streams);

    let options = TrainerOptions {
        streams,
        ..Default::default()
    };
    let env = make("FourRooms-misc").unwrap();
    let mut trainer = Trainer::with_options(&gpu(), env, 2, c.clone(), options).unwrap();
    let w = trainer.weights().unwrap();
    let p = trainer.net().params() as usize;
    let same: Vec<f32> = w[..p].iter().chain(&w[..p]).copied().collect();
    trainer.set_weights(&same).unwrap();
    trainer.update().unwrap();
    let traj = trainer.trajectory().unwrap();
    let (first, second) = traj.split_at(traj.len() / 2);
    assert_eq!(first, second, "the two agents' records");
    let w = trainer.weights().unwrap();
    assert_eq!(w[..p], w[p..], "the two agents' weights after the update");
}

/// A zero drift network is PPO: the same update, to rounding.
#[test]
fn a_zero_drift_is_ppo() {
    let c = small_config();
    let run = |objective: Objective| {
        let options = TrainerOptions {
            objective,
            ..Default::default()
        };
        let env = make("FourRooms-misc").unwrap();
        let mut trainer = Trainer::with_options(&gpu(), env, 2, c.clone(), options).unwrap();
        trainer.update().unwrap();
        trainer.update().unwrap();
        trainer.weights().unwrap()
    };
    let (ppo, lpo) = (
        run(Objective::default()),
        run(Objective { drift_hidden: 4 }),
    );
    for (k, (a, b)) in ppo.iter().zip(&lpo).enumerate() {
        assert!(close(*a, *b, 1e-4), "weight {k}: PPO {a} vs zero drift {b}");
    }
}

/// The twin's backpropagated gradient of a minibatch loss against central finite
/// differences in every weight of a small net (tanh and relu), PPO, A2C and LPO with a
/// random drift network, categorical and Gaussian (log standard deviations included).
#[test]
fn twin_gradient_matches_finite_differences() {
    use wgym::learn::ppo::gaussian_log_prob;
    use wgym::learn::PolicyNet;
    use wgym::rng;
    let cases = [
        (Activation::Tanh, Algo::Ppo, 0, 0),
        (Activation::Relu, Algo::A2c, 0, 0),
        (Activation::Tanh, Algo::Ppo, 3, 0),
        (Activation::Tanh, Algo::Ppo, 0, 2),
        (Activation::Relu, Algo::Ppo, 3, 3),
    ];
    for (activation, algo, drift_hidden, action_dim) in cases {
        let net = if action_dim == 0 {
            PolicyNet::new(3, 4, &[5, 4], activation).unwrap()
        } else {
            PolicyNet::gaussian(3, action_dim, &[5, 4], activation).unwrap()
        };
        let d = action_dim as usize;
        let w = net.init(rng::key(11));
        // Push the tiny policy head up so the policy is not uniform, and spread the log
        // standard deviations.
        let log_std = net.log_std_offset() as usize;
        let w: Vec<f32> = w
            .iter()
            .enumerate()
            .map(|(p, x)| match p.checked_sub(log_std) {
                Some(k) if k < d => -0.3 + 0.2 * k as f32,
                _ => (x * 20.0).clamp(-1.5, 1.5),
            })
            .collect();
        let samples = 12;
        let key = rng::key(5);
        let traj_obs: Vec<f32> = (0..samples * 3)
            .map(|i| rng::normal(key, i as u32))
            .collect();
        let mut traj_actions = vec![0.0f32; (samples * d).max(1)];
        let traj: Vec<TrajStep> = (0..samples)
            .map(|i| {
                let (outputs, value) = net.forward(&w, &traj_obs[i * 3..i * 3 + 3]);
                let (action, log_prob) = if d == 0 {
                    let action = rng::below(key, 1000 + i as u32, 4);
                    let top = outputs.iter().copied().fold(f32::MIN, f32::max);
                    let total: f32 = outputs.iter().map(|l| (l - top).exp()).sum();
                    (action, outputs[action as usize] - top - total.ln())
                } else {
                    let a = &mut traj_actions[i * d..(i + 1) * d];
                    for (k, x) in a.iter_mut().enumerate() {
                        let std = w[log_std + k].exp();
                        *x = outputs[k] + std * rng::normal(key, (4000 + i * d + k) as u32);
                    }
                    (0, gaussian_log_prob(&outputs, &w[log_std..log_std + d], a))
                };
                TrajStep {
                    action,
                    // Old log-prob and value a little off, inside the clip ranges.
                    log_prob: log_prob + 0.05,
                    value: value + 0.03,
                    advantage: rng::normal(key, 2000 + i as u32),
                    ret: value + rng::normal(key, 3000 + i as u32),
                    ..Default::default()
                }
            })
            .collect();
        let records = twin::Records {
            traj: &traj,
            obs: &traj_obs,
            actions: &traj_actions,
        };
        let mut c = small_config();
        c.algo = algo;
        let objective = Objective { drift_hidden };
        let row = drift_rows(&c, objective, 1, 0.7);
        let obj = (&objective, row.as_slice());
        let rows: Vec<usize> = (0..samples).collect();
        let grad = twin::minibatch_gradient(&c, obj, &net, &w, records, &rows);
        let norm = grad.iter().map(|g| g * g).sum::<f32>().sqrt();
        assert!(norm > 1e-3, "the gradient is {norm}");
        for k in 0..d {
            assert!(grad[log_std + k] != 0.0, "log-std {k} has no gradient");
        }
        let h = 1e-3f32;
        for p in 0..w.len() {
            let (mut up, mut down) = (w.clone(), w.clone());
            up[p] += h;
            down[p] -= h;
            let numeric = (twin::minibatch_loss(&c, obj, &net, &up, records, &rows)
                - twin::minibatch_loss(&c, obj, &net, &down, records, &rows))
                / (2.0 * h as f64);
            assert!(
                (numeric as f32 - grad[p]).abs() <= 2e-3 * norm + 1e-4,
                "{activation:?} {algo:?} drift {drift_hidden} action_dim {action_dim}: weight {p}: backprop {} vs finite differences {numeric}",
                grad[p]
            );
        }
    }
}

/// A NaN in one agent's weights stops training with an error that names the update and
/// the agent; the other agents are untouched by it.
#[test]
fn a_diverging_agent_is_an_error_naming_update_and_agent() {
    let c = small_config();
    let mut trainer = Trainer::new(&gpu(), make("FourRooms-misc").unwrap(), 3, c).unwrap();
    trainer.update().unwrap();
    trainer.stats().unwrap();
    let mut w = trainer.weights().unwrap();
    let p = trainer.net().params() as usize;
    w[p + 7] = f32::NAN;
    trainer.set_weights(&w).unwrap();
    trainer.update().unwrap();
    let err = trainer.stats().unwrap_err().to_string();
    assert!(err.contains("update 2") && err.contains("agent 1"), "{err}");
    let after = trainer.weights().unwrap();
    assert!(after[..p]
        .iter()
        .chain(&after[2 * p..])
        .all(|x| x.is_finite()));
}

/// A rollout past FourRooms' 500-step limit: truncated steps carry the value of their final
/// observation, and on CPU adapters the rollout is split into several dispatches.
#[test]
fn long_policy_rollouts_with_truncation_match_twin() {
    let mut c = small_config();
    c.envs = 4;
    c.steps = 520;
    c.network.hidden = vec![8];
    check_update("FourRooms-misc", c, 2);
}
