//! Asterix-MinAtar (gymnax `minatar/asterix.py`). Spec: README.md; GPU side: asterix.wgsl.

use bytemuck::{Pod, Zeroable};

use super::{check_common, executed_action, put};
use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::rng::{self, Key};

const CHANNELS: u32 = 4;
const NUM_ACTIONS: u32 = 5;
/// Bits of [`AsterixState::entity`].
pub const FILLED: u32 = 1;
pub const MOVES_RIGHT: u32 = 2;
pub const GOLD: u32 = 4;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct AsterixParams {
    pub max_steps: u32,
    pub sticky_action_prob: f32,
    /// 1: spawns and moves speed up every `ramp_interval + 2` steps.
    pub ramping: u32,
    pub ramp_interval: u32,
    /// Steps between spawns at first (the first spawn comes at step `init_spawn_speed + 1`).
    pub init_spawn_speed: u32,
    /// Steps between entity moves at first (the first move comes at step
    /// `init_move_interval + 1`).
    pub init_move_interval: u32,
}

impl Default for AsterixParams {
    /// gymnax's defaults; no sticky actions (gymnax applies them by a wrapper).
    fn default() -> Self {
        AsterixParams {
            max_steps: 1000,
            sticky_action_prob: 0.0,
            ramping: 1,
            ramp_interval: 100,
            init_spawn_speed: 10,
            init_move_interval: 5,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct AsterixState {
    pub player_x: i32,
    pub player_y: i32,
    pub spawn_speed: i32,
    pub spawn_timer: i32,
    pub move_speed: i32,
    pub move_timer: i32,
    pub ramp_timer: i32,
    pub ramp_index: i32,
    pub time: u32,
    pub last_action: u32,
    /// Slot i's entity is on row i + 1.
    pub entity_x: [i32; 8],
    /// `FILLED | MOVES_RIGHT | GOLD`.
    pub entity: [u32; 8],
}

pub struct Asterix;

/// Twin of `spawn`.
fn spawn(s: &mut AsterixState, key: Key) {
    let right = rng::below(key, 1, 2) == 1;
    let gold = rng::below(key, 2, 3) == 0;
    let skip = rng::below(key, 3, 8) as usize;
    let empty = |s: &AsterixState, i: usize| s.entity[i] & FILLED == 0;
    let free = (0..8).filter(|&i| i != skip && empty(s, i)).count() as u32;
    if free > 0 {
        let k = rng::below(key, 4, free) as usize;
        let i = (0..8)
            .filter(|&i| i != skip && empty(s, i))
            .nth(k)
            .unwrap_or(0);
        s.entity_x[i] = if right { 0 } else { 9 };
        s.entity[i] = FILLED | if right { MOVES_RIGHT } else { 0 } | if gold { GOLD } else { 0 };
    } else {
        let k = rng::below(key, 5, 7) as usize;
        let i = (0..8).filter(|&i| i != skip).nth(k).unwrap_or(0);
        s.entity_x[i] = 0;
        s.entity[i] = 0;
    }
}

impl EnvKernel for Asterix {
    type State = AsterixState;
    type Params = AsterixParams;
    type Action = u32;

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "Asterix-MinAtar".into(),
            obs_dim: 100 * CHANNELS,
            num_actions: NUM_ACTIONS,
            action_dim: 0,
            max_steps: 1000,
            description: "MinAtar Asterix; obs 10x10x4 [player, enemy, trail, gold], actions \
                          [no-op, left, up, right, down]"
                .into(),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        super::game_wgsl(
            "envs/minatar/asterix.wgsl",
            include_str!("asterix.wgsl"),
            CHANNELS,
            NUM_ACTIONS,
            // The drivers' zeroing of obs and final obs, the slot loops of a step and two
            // observations, and rng_below's retries.
            2 * 100 * CHANNELS + 6 * 8 + 6 * 16,
        )
    }

    fn default_params(&self) -> AsterixParams {
        AsterixParams::default()
    }

    fn check_params(&self, p: &AsterixParams) -> Result<(), String> {
        check_common(p.max_steps, p.sticky_action_prob)?;
        if p.ramping > 1 {
            return Err(format!("ramping = {} must be 0 or 1", p.ramping));
        }
        for (name, value) in [
            ("ramp_interval", p.ramp_interval),
            ("init_spawn_speed", p.init_spawn_speed),
            ("init_move_interval", p.init_move_interval),
        ] {
            if value > 1 << 30 {
                return Err(format!("{name} = {value} must be at most 2^30"));
            }
        }
        // gymnax's timers count down past 0 and never fire again from an interval of 0.
        if p.init_spawn_speed == 0 || p.init_move_interval == 0 {
            return Err(
                "init_spawn_speed and init_move_interval must be at least 1 (from 0 \
                        nothing would spawn or move after the first step)"
                    .into(),
            );
        }
        Ok(())
    }

    fn reset(&self, _key: Key, p: &AsterixParams) -> AsterixState {
        AsterixState {
            player_x: 5,
            player_y: 5,
            spawn_speed: p.init_spawn_speed as i32,
            spawn_timer: p.init_spawn_speed as i32,
            move_speed: p.init_move_interval as i32,
            move_timer: p.init_move_interval as i32,
            ramp_timer: p.ramp_interval as i32,
            ..Zeroable::zeroed()
        }
    }

    fn step(
        &self,
        key: Key,
        s: &AsterixState,
        action: u32,
        p: &AsterixParams,
    ) -> StepOut<AsterixState> {
        let mut n = *s;
        let a = executed_action(
            key,
            action,
            s.last_action,
            NUM_ACTIONS,
            p.sticky_action_prob,
        );
        n.last_action = a;
        if s.spawn_timer == 0 {
            spawn(&mut n, key);
            n.spawn_timer = s.spawn_speed;
        }
        match a {
            1 => n.player_x = (s.player_x - 1).max(0),
            2 => n.player_y = (s.player_y - 1).max(1),
            3 => n.player_x = (s.player_x + 1).min(9),
            4 => n.player_y = (s.player_y + 1).min(8),
            _ => {}
        }

        let mut reward = 0.0;
        let mut terminal = false;
        let moving = s.move_timer == 0;
        if moving {
            n.move_timer = s.move_speed;
        }
        for round in 0..1 + moving as usize {
            for i in 0..8 {
                let e = n.entity[i];
                if e & FILLED == 0 {
                    continue;
                }
                if round == 1 {
                    n.entity_x[i] += if e & MOVES_RIGHT != 0 { 1 } else { -1 };
                    if !(0..=9).contains(&n.entity_x[i]) {
                        n.entity_x[i] = 0;
                        n.entity[i] = 0;
                        continue;
                    }
                }
                if n.entity_x[i] == n.player_x && i as i32 + 1 == n.player_y {
                    if e & GOLD != 0 {
                        reward += 1.0;
                        n.entity_x[i] = 0;
                        n.entity[i] = 0;
                    } else {
                        terminal = true;
                    }
                }
            }
        }

        n.spawn_timer -= 1;
        n.move_timer -= 1;
        let ramps = p.ramping != 0 && (n.spawn_speed > 1 || n.move_speed > 1);
        if ramps && n.ramp_timer >= 0 {
            n.ramp_timer -= 1;
        } else {
            n.ramp_timer = p.ramp_interval as i32;
            if ramps {
                if n.move_speed != 0 && n.ramp_index % 2 != 0 {
                    n.move_speed -= 1;
                }
                if n.spawn_speed > 1 {
                    n.spawn_speed -= 1;
                }
                n.ramp_index += 1;
            }
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

    fn obs_bounds(&self, _p: &AsterixParams) -> Option<(Vec<f32>, Vec<f32>)> {
        Some(super::binary_obs_bounds(CHANNELS))
    }
    fn observe(&self, s: &AsterixState, _p: &AsterixParams, obs: &mut [f32]) {
        put(obs, CHANNELS, s.player_y, s.player_x, 0);
        for i in 0..8 {
            let e = s.entity[i];
            if e & FILLED == 0 {
                continue;
            }
            let (row, x) = (i as i32 + 1, s.entity_x[i]);
            put(obs, CHANNELS, row, x, if e & GOLD != 0 { 3 } else { 1 });
            let back = x + if e & MOVES_RIGHT != 0 { -1 } else { 1 };
            if (0..=9).contains(&back) {
                put(obs, CHANNELS, row, back, 2);
            }
        }
    }
}
