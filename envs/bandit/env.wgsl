// Multi-armed bandits (BernoulliBandit-misc, GaussianBandit-misc). Spec: README.md.
// Twin: mod.rs. Prelude consts: NUM_ACTIONS (K, the arms of the action space: array sizes
// and one-hot width), OBS_DIM = NUM_ACTIONS + 2, BERNOULLI (1 for Bernoulli rewards, 0
// for Gaussian) and TASKS (bit t set: some env of the batch draws its task with
// distribution t): constants, so code no env of the batch uses is compiled out.

const TASK_GYMNAX: u32 = 0u;
const TASK_FIXED: u32 = 1u;
const TASK_UNIFORM: u32 = 2u;
const TASK_BETA: u32 = 3u;
const TASK_STRUCTURED: u32 = 4u;

struct EnvParams {
    num_arms: u32,       // arms of this task (<= NUM_ACTIONS); other actions pay 0
    max_steps: u32,
    task: u32,           // how arm values are drawn at reset
    beta_a: u32,
    beta_b: u32,
    best_arm: u32,       // TASK_STRUCTURED: the arm that is best in every task
    normalize_time: u32,
    reward_prob: f32,    // TASK_GYMNAX Bernoulli: arm 0 pays w.p. reward_prob or 1 - reward_prob
    mean_mu: f32,        // Gaussian means ~ N(mean_mu, sigma_p)
    sigma_p: f32,
    sigma_l: f32,        // Gaussian reward noise
    inv_max_steps: f32,  // 1 / max_steps, derived on the host (division is inexact on GPUs)
    best_value: f32,     // TASK_STRUCTURED: the best arm's value; the others are below it
    values: array<f32, NUM_ACTIONS>, // TASK_FIXED: probabilities or means
}

struct EnvState {
    values: array<f32, NUM_ACTIONS>, // this episode's arm probabilities or means
    last_action: u32,
    last_reward: f32,
    time: u32,
    _pad: u32,
}

// A concrete task: the arm values one reset would draw, fixed from then on (meta-training
// samples one per population member; episodes then replay the same bandit).
fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    var p = base;
    if base.task != TASK_FIXED {
        let s = env_reset(key, base);
        for (var arm = 0u; arm < NUM_ACTIONS; arm++) {
            p.values[arm] = select(0.0, s.values[arm], arm < base.num_arms);
        }
        p.task = TASK_FIXED;
    }
    return p;
}

fn task_used(task: u32) -> bool {
    return (TASKS & (1u << task)) != 0u;
}

// Few branches, and only those of tasks in use: CPU adapters run every branch a SIMD group
// diverges on.
fn arm_value(key: Key, p: EnvParams, arm: u32, swapped: bool) -> f32 {
    if task_used(TASK_FIXED) && p.task == TASK_FIXED {
        return p.values[arm];
    }
    if BERNOULLI == 1u && task_used(TASK_BETA) && p.task == TASK_BETA {
        return rng_beta_int(rng_fold(key, arm), p.beta_a, p.beta_b);
    }
    if task_used(TASK_STRUCTURED) && p.task == TASK_STRUCTURED {
        return select(rng_uniform(key, arm) * p.best_value, p.best_value, arm == p.best_arm);
    }
    if BERNOULLI == 1u {
        if task_used(TASK_UNIFORM) && p.task == TASK_UNIFORM {
            return rng_uniform(key, arm);
        }
        // gymnax: arms {reward_prob, 1 - reward_prob}, swapped by a fair coin.
        return select(p.reward_prob, 1.0 - p.reward_prob, (arm == 1u) != swapped);
    }
    if p.task == TASK_GYMNAX && arm == 0u {
        return 0.0;
    }
    return p.mean_mu + p.sigma_p * rng_normal(key, 2u * arm);
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    var s: EnvState;
    let swapped = task_used(TASK_GYMNAX) && rng_below(key, NUM_ACTIONS, 2u) == 1u;
    for (var arm = 0u; arm < p.num_arms; arm++) {
        s.values[arm] = arm_value(key, p, arm, swapped);
    }
    return s;
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    var next = s;
    var reward = 0.0;
    if action < p.num_arms {
        let value = s.values[action];
        if BERNOULLI == 1u {
            reward = select(0.0, 1.0, rng_uniform(key, 0u) < value);
        } else if p.task == TASK_GYMNAX && action == 0u {
            reward = value; // gymnax's arm 0 pays exactly 0, without noise
        } else {
            reward = value + p.sigma_l * rng_normal(key, 0u);
        }
    }
    next.last_action = action;
    next.last_reward = reward;
    next.time = s.time + 1u;
    return StepOut(next, reward, false, next.time >= p.max_steps, false);
}

fn env_observe(s: EnvState, p: EnvParams) {
    obs_put(0u, s.last_reward);
    for (var arm = 0u; arm < NUM_ACTIONS; arm++) {
        obs_put(1u + arm, select(0.0, 1.0, arm == s.last_action));
    }
    var time = f32(s.time);
    if p.normalize_time != 0u {
        time = f32(2 * i32(s.time) - i32(p.max_steps)) * p.inv_max_steps;
    }
    obs_put(1u + NUM_ACTIONS, time);
}
