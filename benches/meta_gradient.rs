//! The cost of a meta-gradient: inner updates/s with and without online meta-gradients on
//! the same config, timed alternately in one process so that the ratio holds on a shared
//! machine. `cargo bench --bench meta_gradient` (WGYM_ADAPTER picks the adapter).

use std::time::Instant;

use wgym::learn::meta_gradient::{Hyper, MetaGradient, HYPERS};
use wgym::learn::{Objective, TrainConfig, Trainer, TrainerOptions};
use wgym::Gpu;

/// Updates timed per round, and rounds per variant.
const UPDATES: u32 = 4;
const ROUNDS: u32 = 3;

fn configs() -> Vec<(&'static str, &'static str, u32, TrainConfig)> {
    // The meta-training default's inner learners: 32 agents on 5-armed bandits.
    let mut bandit = TrainConfig::for_env("BernoulliBandit-5arm");
    bandit.envs = 16;
    bandit.steps = 32;
    bandit.epochs = 4;
    bandit.minibatches = 2;
    bandit.network.hidden = vec![16];
    // Issue 3's network (2 x 64 tanh actor and critic, 4 x 4 minibatches), fewer envs.
    let mut rooms = TrainConfig::for_env("FourRooms-misc");
    rooms.envs = 16;
    rooms.steps = 128;
    for c in [&mut bandit, &mut rooms] {
        c.updates = 2 + UPDATES * ROUNDS;
        c.anneal_lr = false;
    }
    vec![
        ("bandit 1x16", "BernoulliBandit-5arm", 32, bandit),
        ("four rooms 2x64", "FourRooms-misc", 16, rooms),
    ]
}

fn seconds_per_update(trainer: &mut Trainer) -> f64 {
    let start = Instant::now();
    for _ in 0..UPDATES {
        trainer.update().unwrap();
    }
    trainer.gpu().wait().unwrap();
    start.elapsed().as_secs_f64() / UPDATES as f64
}

fn main() {
    let gpu = Gpu::new().expect("a wgpu adapter (install mesa-vulkan-drivers)");
    println!("adapter: {}", gpu.describe());
    println!(
        "{:<18} {:>7} {:<22} {:>10} {:>14} {:>8}",
        "config", "agents", "variant", "updates/s", "env-steps/s", "cost"
    );
    for (name, env_id, agents, c) in configs() {
        // (label, tuned hyperparameters, LPO drift network: 0 none, 1 fixed, 2 tuned)
        let variants: Vec<(&str, Option<Vec<Hyper>>, u8)> = vec![
            ("PPO", None, 0),
            ("meta-gradient, gamma", Some(vec![Hyper::Gamma]), 0),
            ("meta-gradient, all 4", Some(HYPERS.to_vec()), 0),
            ("LPO, drift of 8", None, 1),
            ("meta-gradient, drift", Some(vec![]), 2),
        ];
        let mut trainers: Vec<Trainer> = variants
            .iter()
            .map(|(_, learn, drift)| {
                let mut c = c.clone();
                c.meta_gradient = learn.clone().map(|learn| MetaGradient {
                    learn,
                    drift: *drift == 2,
                    ..MetaGradient::default()
                });
                let env = wgym::make(env_id).unwrap();
                let options = TrainerOptions {
                    objective: Objective {
                        drift_hidden: if *drift > 0 { 8 } else { 0 },
                    },
                    ..Default::default()
                };
                let mut t = Trainer::with_options(&gpu, env, agents, c, options).unwrap();
                // Warm up; the second update also finishes a meta-gradient.
                for _ in 0..2 {
                    t.update().unwrap();
                }
                t
            })
            .collect();
        let mut totals = vec![0.0f64; trainers.len()];
        for _ in 0..ROUNDS {
            for (t, total) in trainers.iter_mut().zip(&mut totals) {
                *total += seconds_per_update(t);
            }
        }
        let steps = trainers[0].steps_per_update() as f64;
        for ((label, _, _), total) in variants.iter().zip(&totals) {
            let per_update = total / ROUNDS as f64;
            println!(
                "{name:<18} {agents:>7} {label:<22} {:>10.2} {:>14.0} {:>7.2}x",
                1.0 / per_update,
                steps / per_update,
                per_update / (totals[0] / ROUNDS as f64)
            );
        }
    }
}
