//! Learning happens: PPO on the CPU adapter within a fixed step budget reaches what random
//! play cannot, and many agents trained at once learn as well as one.

mod common;

use common::gpu;
use wgym::learn::{AgentStats, TrainConfig, Trainer};
use wgym::make;

fn bandit_config() -> TrainConfig {
    let mut c = TrainConfig::for_env("BernoulliBandit-misc");
    c.envs = 64;
    c.steps = 100;
    c.updates = 25;
    c.lr = 1e-2;
    c.network.hidden = vec![16, 16];
    c
}

/// Train to the end; every agent's reward per env-step, averaged over the last `last`
/// updates that finished episodes.
fn train(env: &str, agents: u32, c: TrainConfig, last: usize) -> Vec<f32> {
    let mut trainer = Trainer::new(&gpu(), make(env).unwrap(), agents, c.clone()).unwrap();
    let mut history: Vec<Vec<AgentStats>> = Vec::new();
    for _ in 0..c.updates {
        trainer.update().unwrap();
        history.push(trainer.stats().unwrap());
    }
    (0..agents as usize)
        .map(|a| {
            let returns: Vec<f32> = history
                .iter()
                .map(|s| s[a])
                .filter(|s| s.episodes > 0.0)
                .map(|s| s.mean_return * s.episodes / (c.envs * c.steps) as f32)
                .collect();
            let tail = &returns[returns.len().saturating_sub(last)..];
            tail.iter().sum::<f32>() / tail.len() as f32
        })
        .collect()
}

/// BernoulliBandit-misc: arms pay with probability 0.9 and 0.1 (which is which changes per
/// episode). Random play earns 0.5 per step, a regret of 0.4; the policy sees its last
/// action and reward, so it can learn to stay on a paying arm.
#[test]
fn ppo_beats_random_play_on_a_bandit() {
    let per_step = train("BernoulliBandit-misc", 1, bandit_config(), 4)[0];
    let regret = 0.9 - per_step;
    assert!(
        regret < 0.2,
        "mean per-step regret {regret} (random play: 0.4)"
    );
}

/// Eight agents trained at once, each on its own envs and seed, learn as well as one.
#[test]
fn many_agents_learn_as_well_as_one() {
    let single = train("BernoulliBandit-misc", 1, bandit_config(), 4)[0];
    let many = train("BernoulliBandit-misc", 8, bandit_config(), 4);
    let mean = many.iter().sum::<f32>() / many.len() as f32;
    for (a, r) in many.iter().enumerate() {
        assert!(0.9 - r < 0.25, "agent {a}: per-step regret {}", 0.9 - r);
    }
    assert!(
        (mean - single).abs() < 0.05,
        "8 agents: {mean} per step, 1 agent: {single}"
    );
    let distinct = many.windows(2).any(|w| w[0] != w[1]);
    assert!(
        distinct,
        "independent agents should not be identical: {many:?}"
    );
}

/// FourRooms-misc pays 1 at the goal; a 500-step limit. Reward per env-step after 20
/// updates of 16k steps against the same run with a learning rate of 0 (random play).
#[test]
fn ppo_finds_the_goal_in_four_rooms_far_more_often_than_random_play() {
    let mut c = TrainConfig::for_env("FourRooms-misc");
    c.envs = 256;
    c.steps = 64;
    c.updates = 20;
    c.lr = 3e-3;
    c.network.hidden = vec![32, 32];
    let trained = train("FourRooms-misc", 1, c.clone(), 4)[0];
    c.lr = 0.0;
    c.updates = 10;
    let random = train("FourRooms-misc", 1, c, 4)[0];
    assert!(
        trained > 3.0 * random,
        "reward per step: trained {trained}, random {random}"
    );
}

/// Fraction of envs with a successful step (`FLAG_SUCCESS`) in the rollouts of the last
/// `window` updates (a window of at least one 500-step episode), and the trainer's success
/// rate of the last episodes it saw finish.
fn success_coverage(env: &str, c: &TrainConfig, window: u32) -> (f32, f32) {
    use wgym::learn::ppo::FLAG_SUCCESS;
    let mut trainer = Trainer::new(&gpu(), make(env).unwrap(), 1, c.clone()).unwrap();
    let mut seen = vec![false; c.envs as usize];
    let mut rate = f32::NAN;
    for u in 0..c.updates {
        trainer.update().unwrap();
        let stats = trainer.stats().unwrap()[0];
        if stats.episodes > 0.0 {
            rate = stats.success_rate;
        }
        if u + window >= c.updates {
            let traj = trainer.trajectory().unwrap();
            for (e, steps) in traj.chunks(c.steps as usize).enumerate() {
                seen[e] |= steps.iter().any(|s| s.flags & FLAG_SUCCESS != 0);
            }
        }
    }
    (
        seen.iter().filter(|&&s| s).count() as f32 / c.envs as f32,
        rate,
    )
}

/// Continuous-action PPO (a diagonal Gaussian policy) on the kinematic Meta-World-style
/// tasks with the env's default config: on reach and push it succeeds in episodes that
/// random play (the same run with a learning rate of 0) does not.
fn check_manipulation_learns(env: &str, updates: u32, trained_at_least: f32) {
    let window = 512u32.div_ceil(64);
    let mut c = TrainConfig::for_env(env);
    c.updates = updates;
    let (trained, rate) = success_coverage(env, &c, window);
    c.lr = 0.0;
    c.updates = window;
    let (random, _) = success_coverage(env, &c, window);
    eprintln!(
        "{env}: envs with a success in the last {window} updates: trained {trained}, random \
         {random}; the trainer's success rate of the last episodes: {rate}"
    );
    assert!(
        trained >= trained_at_least && random <= trained / 4.0,
        "{env}: envs with a success in the last {window} updates: trained {trained}, random {random}"
    );
    assert!(
        rate >= trained_at_least / 2.0,
        "{env}: the trainer's success rate of the last finished episodes is {rate}"
    );
}

#[test]
fn ppo_learns_to_reach() {
    check_manipulation_learns("Manipulation-reach", 60, 0.5);
}

#[test]
fn ppo_learns_to_push() {
    check_manipulation_learns("Manipulation-push", 150, 0.08);
}
