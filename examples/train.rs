//! A training loop in a program: PPO on a two-armed bandit with 8 agents at once (each its
//! own seed, weights and envs), reading back only the per-agent statistics it prints.
//!
//! `cargo run --example train`

use wgym::learn::{TrainConfig, Trainer};
use wgym::Gpu;

fn main() -> wgym::Result<()> {
    let gpu = Gpu::new()?;
    let env = wgym::make("BernoulliBandit-misc")?;
    let config = TrainConfig {
        envs: 32,
        steps: 100, // one bandit episode per rollout
        updates: 20,
        epochs: 2,
        minibatches: 2,
        lr: 3e-3,
        ..TrainConfig::for_env("BernoulliBandit-misc")
    };
    config.check()?;
    let updates = config.updates;
    let mut trainer = Trainer::new(&gpu, env, 8, config)?;
    for update in 1..=updates {
        trainer.update()?;
        if update % 5 == 0 {
            // Reading the statistics also checks them for divergence.
            let stats = trainer.stats()?;
            let returns: Vec<f32> = stats.iter().map(|s| s.mean_return).collect();
            let mean = returns.iter().sum::<f32>() / returns.len() as f32;
            println!(
                "update {update:>2}: mean return over {} agents {mean:.1} (of 100 pulls)",
                stats.len()
            );
        }
    }
    Ok(())
}
