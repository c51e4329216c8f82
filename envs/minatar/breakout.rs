//! Breakout-MinAtar (gymnax `minatar/breakout.py`). Spec: README.md; GPU side:
//! breakout.wgsl.

use bytemuck::{Pod, Zeroable};

use super::{check_common, executed_action, put, put_row};
use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::learn::TrainConfig;
use crate::rng::{self, Key};

const CHANNELS: u32 = 4;
const NUM_ACTIONS: u32 = 3;
const FULL_ROW: u32 = 0x3ff;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct BreakoutParams {
    pub max_steps: u32,
    pub sticky_action_prob: f32,
}

impl Default for BreakoutParams {
    /// gymnax's defaults; no sticky actions (gymnax applies them by a wrapper).
    fn default() -> Self {
        BreakoutParams {
            max_steps: 1000,
            sticky_action_prob: 0.0,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct BreakoutState {
    pub ball_x: i32,
    pub ball_y: i32,
    /// 0 up-left, 1 up-right, 2 down-right, 3 down-left.
    pub ball_dir: u32,
    /// The paddle's column (on row 9).
    pub pos: i32,
    pub last_x: i32,
    pub last_y: i32,
    pub strike: u32,
    pub time: u32,
    pub last_action: u32,
    /// Rows 1..3 of the brick map, bit x = column x.
    pub bricks: [u32; 3],
}

pub struct Breakout;

impl Breakout {
    fn is_brick(bricks: &[u32; 3], y: i32, x: i32) -> bool {
        (1..=3).contains(&y) && bricks[(y - 1) as usize] >> x & 1 != 0
    }
}

impl EnvKernel for Breakout {
    type State = BreakoutState;
    type Params = BreakoutParams;
    type Action = u32;

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "Breakout-MinAtar".into(),
            obs_dim: 100 * CHANNELS,
            num_actions: NUM_ACTIONS,
            action_dim: 0,
            max_steps: 1000,
            description: "MinAtar Breakout; obs 10x10x4 [paddle, ball, trail, brick], actions \
                          [no-op, left, right]"
                .into(),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        super::game_wgsl(
            "envs/minatar/breakout.wgsl",
            include_str!("breakout.wgsl"),
            CHANNELS,
            NUM_ACTIONS,
            // The drivers' zeroing of obs and final obs, the brick rows' bits in two
            // observations, and rng_below's retries.
            2 * 100 * CHANNELS + 2 * 30 + 16,
        )
    }

    fn default_params(&self) -> BreakoutParams {
        BreakoutParams::default()
    }

    fn check_params(&self, p: &BreakoutParams) -> Result<(), String> {
        check_common(p.max_steps, p.sticky_action_prob)
    }

    fn reset(&self, key: Key, _p: &BreakoutParams) -> BreakoutState {
        let right = rng::below(key, 0, 2) == 1;
        let ball_x = if right { 9 } else { 0 };
        BreakoutState {
            ball_x,
            ball_y: 3,
            ball_dir: if right { 3 } else { 2 },
            pos: 4,
            last_x: ball_x,
            last_y: 3,
            strike: 0,
            time: 0,
            last_action: 0,
            bricks: [FULL_ROW; 3],
        }
    }

    fn step(
        &self,
        key: Key,
        s: &BreakoutState,
        action: u32,
        p: &BreakoutParams,
    ) -> StepOut<BreakoutState> {
        let mut n = *s;
        let a = executed_action(
            key,
            action,
            s.last_action,
            NUM_ACTIONS,
            p.sticky_action_prob,
        );
        n.last_action = a;
        match a {
            1 => n.pos = (s.pos - 1).max(0),
            2 => n.pos = (s.pos + 1).min(9),
            _ => {}
        }
        n.last_x = s.ball_x;
        n.last_y = s.ball_y;
        let mut dir = s.ball_dir;
        let mut x = s.ball_x + if dir == 0 || dir == 3 { -1 } else { 1 };
        let mut y = s.ball_y + if dir < 2 { -1 } else { 1 };
        if !(0..=9).contains(&x) {
            x = x.clamp(0, 9);
            dir ^= 1;
        }
        let mut reward = 0.0;
        let mut terminated = false;
        let mut strike = false;
        if y < 0 {
            y = 0;
            dir = 3 - dir;
        } else if Self::is_brick(&n.bricks, y, x) {
            strike = true;
            if s.strike == 0 {
                reward = 1.0;
                n.bricks[(y - 1) as usize] &= !(1 << x);
                y = s.ball_y;
                dir = 3 - dir;
            }
        } else if y == 9 {
            if n.bricks == [0; 3] {
                n.bricks = [FULL_ROW; 3];
            }
            if s.ball_x == n.pos {
                dir = 3 - dir;
                y = s.ball_y;
            } else if x == n.pos {
                dir ^= 2;
                y = s.ball_y;
            } else {
                terminated = true;
            }
        }
        n.ball_x = x;
        n.ball_y = y;
        n.ball_dir = dir;
        n.strike = strike as u32;
        n.time = s.time + 1;
        StepOut {
            state: n,
            reward,
            terminated,
            truncated: n.time >= p.max_steps,
            success: false,
        }
    }

    fn obs_bounds(&self, _p: &BreakoutParams) -> Option<(Vec<f32>, Vec<f32>)> {
        Some(super::binary_obs_bounds(CHANNELS))
    }
    fn observe(&self, s: &BreakoutState, _p: &BreakoutParams, obs: &mut [f32]) {
        put(obs, CHANNELS, 9, s.pos, 0);
        put(obs, CHANNELS, s.ball_y, s.ball_x, 1);
        put(obs, CHANNELS, s.last_y, s.last_x, 2);
        for (r, &row) in s.bricks.iter().enumerate() {
            put_row(obs, CHANNELS, r as i32 + 1, row, 3);
        }
    }

    /// PPO beats random play clearly within a minute or two on a CPU adapter
    /// (tests/learning_minatar.rs); small batches, since observations are 400 floats.
    fn train_defaults(&self) -> TrainConfig {
        TrainConfig {
            envs: 128,
            steps: 64,
            updates: 10,
            lr: 3e-3,
            anneal_lr: false,
            ..TrainConfig::default()
        }
    }
}
