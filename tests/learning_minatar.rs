//! Learning happens on the MinAtar games: PPO with each game's training defaults, in a fixed
//! budget on the CPU adapter, beats random play (the same untrained policy, measured in the
//! same test) clearly.

mod common;

use std::time::Instant;

use common::gpu;
use wgym::learn::{TrainConfig, Trainer};
use wgym::make;

/// Mean episode return of the untrained policy (random play: its logits start near zero)
/// and, after `c.updates` updates, of the trained one; each over `eval` rollouts.
fn random_and_trained(env: &str, c: &TrainConfig, eval: u32) -> (f32, f32) {
    let mut trainer = Trainer::new(&gpu(), make(env).unwrap(), 1, c.clone()).unwrap();
    let random = trainer.evaluate(eval).unwrap()[0].mean_return;
    let start = Instant::now();
    for u in 0..c.updates {
        trainer.update().unwrap();
        let s = trainer.stats().unwrap()[0];
        eprintln!(
            "{env}: update {u}, {} env-steps, {:.1} s: mean return {:.2} over {} episodes",
            (u + 1) * c.envs * c.steps,
            start.elapsed().as_secs_f32(),
            s.mean_return,
            s.episodes
        );
    }
    let trained = trainer.evaluate(eval).unwrap()[0].mean_return;
    eprintln!(
        "{env}: random play {random:.2}, trained {trained:.2} after {} env-steps in {:.1} s",
        c.updates * c.envs * c.steps,
        start.elapsed().as_secs_f32()
    );
    (random, trained)
}

#[test]
fn ppo_beats_random_play_on_breakout() {
    let c = TrainConfig::for_env("Breakout-MinAtar");
    let (random, trained) = random_and_trained("Breakout-MinAtar", &c, 4);
    assert!(
        trained > 3.0 * random && trained > random + 2.0,
        "Breakout-MinAtar mean return: trained {trained}, random play {random}"
    );
}
