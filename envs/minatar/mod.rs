//! The MinAtar games (Young & Tian 2019) as gymnax implements them: Asterix-MinAtar,
//! Breakout-MinAtar, Freeway-MinAtar and SpaceInvaders-MinAtar. Spec: README.md. Each game is
//! one Rust file (state, params, CPU twin) and one WGSL file; what they share is here and in
//! common.wgsl. Integer state and dynamics: GPU and twin agree bit for bit.

pub mod asterix;
pub mod breakout;
pub mod freeway;
pub mod picture;
pub mod space_invaders;

use crate::env::EnvWgsl;
use crate::rng::{self, Key};

/// Grid side of every MinAtar observation.
pub const SIDE: i32 = 10;

/// The WGSL every game's prelude starts with.
pub const COMMON_WGSL: &str = include_str!("common.wgsl");

/// Twin of `minatar_action`: the executed action, sticky with probability `sticky`.
pub fn executed_action(
    key: Key,
    action: u32,
    last_action: u32,
    num_actions: u32,
    sticky: f32,
) -> u32 {
    let a = action.min(num_actions - 1);
    if rng::uniform(key, 0) < sticky {
        last_action
    } else {
        a
    }
}

/// Twin of `minatar_put`: set cell (y, x) of channel c of a (10, 10, channels) grid.
pub fn put(obs: &mut [f32], channels: u32, y: i32, x: i32, c: u32) {
    obs[((y * SIDE + x) as u32 * channels + c) as usize] = 1.0;
}

/// Twin of `minatar_put_row`.
pub fn put_row(obs: &mut [f32], channels: u32, y: i32, mask: u32, c: u32) {
    for x in 0..SIDE {
        if mask >> x & 1 != 0 {
            put(obs, channels, y, x, c);
        }
    }
}

/// The checks every game's params share.
pub fn check_common(max_steps: u32, sticky_action_prob: f32) -> Result<(), String> {
    if max_steps == 0 || max_steps > 1 << 30 {
        return Err(format!("max_steps = {max_steps} must be in 1..=2^30"));
    }
    if !(0.0..=1.0).contains(&sticky_action_prob) {
        return Err(format!(
            "sticky_action_prob = {sticky_action_prob} must be a probability in [0, 1]"
        ));
    }
    Ok(())
}

/// Every cell of every channel is 0 or 1: gymnax's `Box(0, 1, (10, 10, C))`.
pub(crate) fn binary_obs_bounds(channels: u32) -> (Vec<f32>, Vec<f32>) {
    let n = 100 * channels as usize;
    (vec![0.0; n], vec![1.0; n])
}

/// A game's WGSL: its file after the helpers every game shares (`common.wgsl`, in the
/// prelude), with the consts the drivers and the helpers read. `loop_iterations` bounds one
/// step's loops (see [`EnvWgsl::loop_iterations`]).
pub(crate) fn game_wgsl(
    file: &'static str,
    text: &'static str,
    channels: u32,
    num_actions: u32,
    loop_iterations: u32,
) -> EnvWgsl {
    EnvWgsl {
        file,
        text,
        consts: vec![
            ("NUM_ACTIONS", num_actions),
            ("OBS_DIM", 100 * channels),
            ("OBS_DENSE", 0),
            ("CHANNELS", channels),
        ],
        prelude: COMMON_WGSL.into(),
        tables: Vec::new(),
        loop_iterations,
    }
}
