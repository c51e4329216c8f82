//! Freeway-MinAtar (gymnax `minatar/freeway.py`). Spec: README.md; GPU side: freeway.wgsl.

use bytemuck::{Pod, Zeroable};

use super::{check_common, executed_action, put};
use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::rng::{self, Key};

const CHANNELS: u32 = 7;
const NUM_ACTIONS: u32 = 3;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct FreewayParams {
    pub max_steps: u32,
    pub sticky_action_prob: f32,
    /// The chicken moves at most once every `player_speed` steps (every step at 0 or 1).
    pub player_speed: u32,
}

impl Default for FreewayParams {
    /// gymnax's defaults; no sticky actions (gymnax applies them by a wrapper).
    fn default() -> Self {
        FreewayParams {
            max_steps: 2500,
            sticky_action_prob: 0.0,
            player_speed: 3,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct FreewayState {
    /// The chicken's row (it stays in column 4).
    pub pos: i32,
    pub move_timer: i32,
    pub time: u32,
    pub last_action: u32,
    /// Car i drives on row i + 1.
    pub car_x: [i32; 8],
    /// Steps until car i moves.
    pub car_timer: [i32; 8],
    /// Signed: the sign is the direction (+ to the right), the size the speed 1..=5.
    pub car_speed: [i32; 8],
}

pub struct Freeway;

/// Twin of `randomize_cars`.
fn randomize_cars(s: &mut FreewayState, key: Key, first: u32) {
    for i in 0..8 {
        let speed = rng::below(key, first + i, 5) as i32 + 1;
        let right = rng::below(key, first + 8 + i, 2) == 1;
        s.car_speed[i as usize] = if right { speed } else { -speed };
        s.car_timer[i as usize] = speed;
    }
}

/// The column one step from `x` against the direction of `speed`, wrapping around.
fn behind(x: i32, speed: i32) -> i32 {
    (x + if speed > 0 { -1 } else { 1 }).rem_euclid(10)
}

impl EnvKernel for Freeway {
    type State = FreewayState;
    type Params = FreewayParams;
    type Action = u32;

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "Freeway-MinAtar".into(),
            obs_dim: 100 * CHANNELS,
            num_actions: NUM_ACTIONS,
            action_dim: 0,
            max_steps: 2500,
            description: "MinAtar Freeway; obs 10x10x7 [chicken, car, trail of speed 1..5], \
                          actions [no-op, up, down]"
                .into(),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        super::game_wgsl(
            "envs/minatar/freeway.wgsl",
            include_str!("freeway.wgsl"),
            CHANNELS,
            NUM_ACTIONS,
            // The drivers' zeroing of obs and final obs, the cars in step, reset and observe,
            // and rng_below's retries.
            2 * 100 * CHANNELS + 4 * 8 + 2 * 16 * 16,
        )
    }

    fn default_params(&self) -> FreewayParams {
        FreewayParams::default()
    }

    fn check_params(&self, p: &FreewayParams) -> Result<(), String> {
        check_common(p.max_steps, p.sticky_action_prob)?;
        if p.player_speed > 1 << 30 {
            return Err(format!(
                "player_speed = {} must be at most 2^30",
                p.player_speed
            ));
        }
        Ok(())
    }

    fn reset(&self, key: Key, p: &FreewayParams) -> FreewayState {
        let mut s = FreewayState {
            pos: 9,
            move_timer: p.player_speed as i32,
            ..Zeroable::zeroed()
        };
        randomize_cars(&mut s, key, 0);
        s
    }

    fn step(
        &self,
        key: Key,
        s: &FreewayState,
        action: u32,
        p: &FreewayParams,
    ) -> StepOut<FreewayState> {
        let mut n = *s;
        let a = executed_action(
            key,
            action,
            s.last_action,
            NUM_ACTIONS,
            p.sticky_action_prob,
        );
        n.last_action = a;
        if s.move_timer == 0 && (a == 1 || a == 2) {
            n.pos = if a == 1 {
                (s.pos - 1).max(0)
            } else {
                (s.pos + 1).min(9)
            };
            n.move_timer = p.player_speed as i32;
        }
        let mut reward = 0.0;
        if n.pos == 0 {
            reward = 1.0;
            n.pos = 9;
            randomize_cars(&mut n, key, 1);
        }
        for i in 0..8 {
            let row = i as i32 + 1;
            if n.car_x[i] == 4 && row == n.pos {
                n.pos = 9;
            }
            if n.car_timer[i] == 0 {
                n.car_timer[i] = n.car_speed[i].abs();
                n.car_x[i] = behind(n.car_x[i], -n.car_speed[i]);
                if n.car_x[i] == 4 && row == n.pos {
                    n.pos = 9;
                }
            } else {
                n.car_timer[i] -= 1;
            }
        }
        n.move_timer -= (n.move_timer > 0) as i32;
        n.time = s.time + 1;
        StepOut {
            state: n,
            reward,
            terminated: false,
            truncated: n.time >= p.max_steps,
            success: false,
        }
    }

    fn obs_bounds(&self, _p: &FreewayParams) -> Option<(Vec<f32>, Vec<f32>)> {
        Some(super::binary_obs_bounds(CHANNELS))
    }
    fn observe(&self, s: &FreewayState, _p: &FreewayParams, obs: &mut [f32]) {
        put(obs, CHANNELS, s.pos, 4, 0);
        for i in 0..8 {
            let (row, x, speed) = (i as i32 + 1, s.car_x[i], s.car_speed[i]);
            put(obs, CHANNELS, row, x, 1);
            put(
                obs,
                CHANNELS,
                row,
                behind(x, speed),
                1 + speed.unsigned_abs(),
            );
        }
    }
}
