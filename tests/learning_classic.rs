//! Learning on the classic-control envs with their shipped defaults (`train_defaults`), on
//! the CPU adapter in a fixed budget: PPO solves CartPole-v1, and the Gaussian head swings
//! Pendulum-v1 up far better than random play. The curves (env-steps and wall-clock to the
//! threshold) are printed: run with `--nocapture` to see them.

mod common;

use std::time::Instant;

use common::gpu;
use wgym::learn::{TrainConfig, Trainer};
use wgym::make;

/// Train `env` with `c`; the mean return of each update's finished episodes (NaN where
/// none finished), printed with env-steps and seconds so far.
fn returns(env: &str, c: &TrainConfig) -> Vec<f32> {
    let mut trainer = Trainer::new(&gpu(), make(env).unwrap(), 1, c.clone()).unwrap();
    let start = Instant::now();
    (1..=c.updates)
        .map(|u| {
            trainer.update().unwrap();
            let r = trainer.stats().unwrap()[0].mean_return;
            let steps = u * c.envs * c.steps;
            let secs = start.elapsed().as_secs_f32();
            eprintln!("{env}: update {u}, {steps} env-steps, {secs:.1} s: mean return {r}");
            r
        })
        .collect()
}

fn mean_of_last(returns: &[f32], n: usize) -> f32 {
    let tail: Vec<f32> = returns.iter().rev().take(n).copied().collect();
    assert!(
        tail.iter().all(|r| r.is_finite()),
        "an update without an episode"
    );
    tail.iter().sum::<f32>() / n as f32
}

/// CartPole-v1 is solved at a mean return of 475 (of at most 500); random play averages
/// about 22.
#[test]
fn ppo_solves_cartpole() {
    let c = TrainConfig::for_env("CartPole-v1");
    let r = returns("CartPole-v1", &c);
    let last = mean_of_last(&r, 5);
    assert!(last >= 475.0, "mean return of the last 5 updates: {last}");
}

/// Pendulum-v1: a 200-step episode costs about -1200 under random torques (measured here:
/// the same run with a learning rate of 0); a policy that swings up and holds the pendulum
/// costs about -150 to -200. The trained Gaussian policy must get well under way to that.
#[test]
fn gaussian_ppo_swings_the_pendulum_up() {
    let mut c = TrainConfig::for_env("Pendulum-v1");
    let trained = mean_of_last(&returns("Pendulum-v1", &c), 5);
    c.lr = 0.0;
    c.updates = 3;
    let random = mean_of_last(&returns("Pendulum-v1", &c), 3);
    assert!(
        trained > -400.0 && random < -900.0,
        "mean return of the last updates: trained {trained}, random {random}"
    );
}
