//! SpaceInvaders-MinAtar (gymnax `minatar/space_invaders.py`). Spec: README.md; GPU side:
//! space_invaders.wgsl.

use bytemuck::{Pod, Zeroable};

use super::{check_common, executed_action, put, put_row};
use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::learn::TrainConfig;
use crate::rng::Key;

const CHANNELS: u32 = 6;
const NUM_ACTIONS: u32 = 4;
/// Rows 0..3 of the first wave: columns 2..8; of every later one: columns 2..7.
pub const FIRST_WAVE: u32 = 0x1fc;
pub const LATER_WAVE: u32 = 0xfc;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct SpaceInvadersParams {
    pub max_steps: u32,
    pub sticky_action_prob: f32,
    pub shot_cool_down: u32,
    pub enemy_move_interval: u32,
    pub enemy_shot_interval: u32,
}

impl Default for SpaceInvadersParams {
    /// gymnax's defaults; no sticky actions (gymnax applies them by a wrapper).
    fn default() -> Self {
        SpaceInvadersParams {
            max_steps: 1000,
            sticky_action_prob: 0.0,
            shot_cool_down: 5,
            enemy_move_interval: 12,
            enemy_shot_interval: 10,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct SpaceInvadersState {
    /// The cannon's column (on row 9).
    pub pos: i32,
    /// -1 left, +1 right.
    pub alien_dir: i32,
    pub enemy_move_interval: i32,
    pub alien_move_timer: i32,
    pub alien_shot_timer: i32,
    pub shot_timer: i32,
    pub ramp_index: u32,
    pub time: u32,
    pub last_action: u32,
    /// Row masks, bit x = column x.
    pub aliens: [u32; 10],
    pub f_bullets: [u32; 10],
    pub e_bullets: [u32; 10],
}

pub struct SpaceInvaders;

fn has(mask: u32, x: i32) -> bool {
    mask >> x & 1 != 0
}

impl EnvKernel for SpaceInvaders {
    type State = SpaceInvadersState;
    type Params = SpaceInvadersParams;
    type Action = u32;

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "SpaceInvaders-MinAtar".into(),
            obs_dim: 100 * CHANNELS,
            num_actions: NUM_ACTIONS,
            action_dim: 0,
            max_steps: 1000,
            description:
                "MinAtar Space Invaders; obs 10x10x6 [cannon, alien, alien left, alien \
                          right, friendly bullet, enemy bullet], actions [no-op, left, right, fire]"
                    .into(),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        super::game_wgsl(
            "envs/minatar/space_invaders.wgsl",
            include_str!("space_invaders.wgsl"),
            CHANNELS,
            NUM_ACTIONS,
            // The drivers' zeroing of obs and final obs, the row loops of a step (with the
            // target search), and the set cells of two observations.
            2 * 100 * CHANNELS + 8 * 10 + 2 * (40 + 4 * 100),
        )
    }

    fn default_params(&self) -> SpaceInvadersParams {
        SpaceInvadersParams::default()
    }

    fn check_params(&self, p: &SpaceInvadersParams) -> Result<(), String> {
        check_common(p.max_steps, p.sticky_action_prob)?;
        for (name, value) in [
            ("shot_cool_down", p.shot_cool_down),
            ("enemy_move_interval", p.enemy_move_interval),
            ("enemy_shot_interval", p.enemy_shot_interval),
        ] {
            if value > 1 << 30 {
                return Err(format!("{name} = {value} must be at most 2^30"));
            }
        }
        // gymnax's timers count down past 0 and never fire again with an interval of 0.
        if p.enemy_move_interval == 0 || p.enemy_shot_interval == 0 {
            return Err(
                "enemy_move_interval and enemy_shot_interval must be at least 1 (with \
                        0 the aliens would never move or shoot again)"
                    .into(),
            );
        }
        Ok(())
    }

    fn reset(&self, _key: Key, p: &SpaceInvadersParams) -> SpaceInvadersState {
        let mut s = SpaceInvadersState {
            pos: 5,
            alien_dir: -1,
            enemy_move_interval: p.enemy_move_interval as i32,
            alien_move_timer: p.enemy_move_interval as i32,
            alien_shot_timer: p.enemy_shot_interval as i32,
            ..Zeroable::zeroed()
        };
        s.aliens[..4].fill(FIRST_WAVE);
        s
    }

    fn step(
        &self,
        key: Key,
        s: &SpaceInvadersState,
        action: u32,
        p: &SpaceInvadersParams,
    ) -> StepOut<SpaceInvadersState> {
        let mut n = *s;
        let a = executed_action(
            key,
            action,
            s.last_action,
            NUM_ACTIONS,
            p.sticky_action_prob,
        );
        n.last_action = a;

        let mut fired = s.f_bullets;
        if a == 3 && s.shot_timer == 0 {
            fired[9] |= 1 << s.pos;
            n.shot_timer = p.shot_cool_down as i32;
        }
        match a {
            1 => n.pos = (s.pos - 1).max(0),
            2 => n.pos = (s.pos + 1).min(9),
            _ => {}
        }
        for r in 0..9 {
            n.f_bullets[r] = fired[r + 1];
            n.e_bullets[r + 1] = s.e_bullets[r];
        }
        n.f_bullets[9] = 0;
        n.e_bullets[0] = 0;
        let mut terminal = has(n.e_bullets[9], s.pos);

        terminal |= has(s.aliens[9], n.pos);
        if s.alien_move_timer == 0 {
            let count: u32 = s.aliens.iter().map(|m| m.count_ones()).sum();
            let columns = s.aliens.iter().fold(0, |c, m| c | m);
            n.alien_move_timer = (count as i32).min(s.enemy_move_interval);
            let border =
                (has(columns, 0) && s.alien_dir < 0) || (has(columns, 9) && s.alien_dir > 0);
            if border {
                n.alien_dir = -s.alien_dir;
                terminal |= s.aliens[9] != 0;
                for r in 0..10 {
                    n.aliens[r] = s.aliens[(r + 9) % 10];
                }
            } else {
                for r in 0..10 {
                    let m = s.aliens[r];
                    n.aliens[r] = if s.alien_dir > 0 {
                        ((m << 1) | (m >> 9)) & 0x3ff
                    } else {
                        (m >> 1) | ((m & 1) << 9)
                    };
                }
            }
            terminal |= has(n.aliens[9], n.pos);
        }

        if s.alien_shot_timer == 0 {
            n.alien_shot_timer = p.enemy_shot_interval as i32;
            let columns = n.aliens.iter().fold(0, |c, m| c | m);
            let target = (0..10)
                .flat_map(|d| [n.pos - d, n.pos + d])
                .find(|&x| (0..10).contains(&x) && has(columns, x));
            if let Some(x) = target {
                let lowest = (0..10).rev().find(|&r| has(n.aliens[r], x)).unwrap_or(0);
                n.e_bullets[lowest] |= 1 << x;
            }
        }
        let mut reward = 0.0;
        for r in 0..10 {
            let kills = n.aliens[r] & n.f_bullets[r];
            reward += kills.count_ones() as f32;
            n.aliens[r] &= !kills;
            n.f_bullets[r] &= !kills;
        }

        n.shot_timer -= (n.shot_timer > 0) as i32;
        n.alien_move_timer -= 1;
        n.alien_shot_timer -= 1;
        if n.aliens == [0; 10] {
            if n.enemy_move_interval > 6 {
                n.enemy_move_interval -= 1;
                n.ramp_index += 1;
            }
            n.aliens[..4].fill(LATER_WAVE);
        }
        n.time = s.time + 1;
        StepOut {
            state: n,
            reward,
            terminated: terminal,
            truncated: n.time >= p.max_steps,
            success: false,
        }
    }

    fn obs_bounds(&self, _p: &SpaceInvadersParams) -> Option<(Vec<f32>, Vec<f32>)> {
        Some(super::binary_obs_bounds(CHANNELS))
    }
    fn observe(&self, s: &SpaceInvadersState, _p: &SpaceInvadersParams, obs: &mut [f32]) {
        put(obs, CHANNELS, 9, s.pos, 0);
        let heading = if s.alien_dir < 0 { 2 } else { 3 };
        for r in 0..10 {
            let y = r as i32;
            put_row(obs, CHANNELS, y, s.aliens[r], 1);
            put_row(obs, CHANNELS, y, s.aliens[r], heading);
            put_row(obs, CHANNELS, y, s.f_bullets[r], 4);
            put_row(obs, CHANNELS, y, s.e_bullets[r], 5);
        }
    }

    /// PPO beats random play clearly within a few minutes on a CPU adapter
    /// (tests/learning_minatar.rs); small batches, since observations are 600 floats.
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
