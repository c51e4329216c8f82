//! Learning happens on the MinAtar games: PPO with a game's training defaults, in a fixed
//! budget on the CPU adapter, clearly beats random play, measured in the same run as the
//! first update's rollout (the untrained policy's logits start near zero, so it plays
//! uniformly at random).

mod common;

use std::time::Instant;

use common::gpu;
use wgym::learn::{AgentStats, TrainConfig, Trainer};
use wgym::make;

/// Train with the env's defaults; the stats of every update, and what took how long.
fn train(env: &str) -> Vec<AgentStats> {
    let c = TrainConfig::for_env(env);
    let mut trainer = Trainer::new(&gpu(), make(env).unwrap(), 1, c.clone()).unwrap();
    let start = Instant::now();
    let mut history = Vec::new();
    for u in 1..=c.updates {
        trainer.update().unwrap();
        let s = trainer.stats().unwrap()[0];
        eprintln!(
            "{env}: {} env-steps, {:.0} s (shared, loaded 2-core machine, lavapipe): mean \
             return {:.2} over {} episodes, {:.4} reward per step",
            u * c.envs * c.steps,
            start.elapsed().as_secs_f32(),
            s.mean_return,
            s.episodes,
            s.reward_per_step
        );
        history.push(s);
    }
    history
}

fn mean_of_last(history: &[AgentStats], n: usize, f: impl Fn(&AgentStats) -> f32) -> f32 {
    let tail = &history[history.len() - n..];
    tail.iter().map(f).sum::<f32>() / n as f32
}

/// Breakout-MinAtar: random play breaks about half a brick before missing the ball.
#[test]
fn ppo_beats_random_play_on_breakout() {
    let history = train("Breakout-MinAtar");
    let random = history[0].mean_return;
    let trained = mean_of_last(&history, 2, |s| s.mean_return);
    assert!(
        trained > 4.0 * random && trained > random + 1.5,
        "Breakout-MinAtar mean return: trained {trained}, random play {random}"
    );
}

/// SpaceInvaders-MinAtar: random play fires at a quarter of the steps and soon walks into a
/// bullet.
#[test]
fn ppo_beats_random_play_on_space_invaders() {
    let history = train("SpaceInvaders-MinAtar");
    let random = history[0].mean_return;
    let trained = mean_of_last(&history, 2, |s| s.mean_return);
    assert!(
        trained > 2.0 * random && trained > random + 3.0,
        "SpaceInvaders-MinAtar mean return: trained {trained}, random play {random}"
    );
}
