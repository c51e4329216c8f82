//! MetaMaze-misc (gymnax, after Miconi et al. 2019): find a hidden goal in a 9x9 maze, again
//! and again within an episode. The goal is the task: drawn per env on the GPU by
//! `env_sample_params`. Spec: README.md; GPU side: env.wgsl. Integer dynamics and exact
//! float rewards: GPU and twin agree bit for bit.

pub mod picture;

use bytemuck::{Pod, Zeroable};

use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::learn::TrainConfig;
use crate::rng::{self, Key};

/// gymnax's default maze size and receptive field.
const MAZE_SIZE: u32 = 9;
/// The map's side: the maze and one wall on each side (receptive field 3).
pub const SIDE: u32 = MAZE_SIZE + 2;
/// gymnax's fixed start, the map's centre.
pub const CENTER: u32 = (SIDE - 1) / 2;

/// How the goal is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum GoalDraw {
    /// The goal in params.
    Fixed = 0,
    /// Drawn once per env (a task) by `env_sample_params`, then fixed: wgym's default.
    PerTask = 1,
    /// Drawn at every reset, as gymnax does.
    PerEpisode = 2,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct MetaMazeParams {
    pub reward: f32,
    pub punishment: f32,
    pub normalize_time: u32,
    pub max_steps: u32,
    /// A [`GoalDraw`].
    pub goal_draw: u32,
    pub goal_row: u32,
    pub goal_col: u32,
}

impl Default for MetaMazeParams {
    /// gymnax's defaults, with a goal drawn per task.
    fn default() -> Self {
        MetaMazeParams {
            reward: 10.0,
            punishment: 0.0,
            normalize_time: 0,
            max_steps: 200,
            goal_draw: GoalDraw::PerTask as u32,
            goal_row: 1,
            goal_col: 1,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct MetaMazeState {
    pub row: u32,
    pub col: u32,
    pub goal_row: u32,
    pub goal_col: u32,
    pub last_action: u32,
    pub last_reward: f32,
    pub time: u32,
}

pub struct MetaMaze;

/// gymnax's `generate_maze_layout(9, 3)`: a wall border; odd maze rows are walled at every
/// other column.
pub fn is_wall(row: u32, col: u32) -> bool {
    if row >= SIDE || col >= SIDE {
        return true;
    }
    let border = row == 0 || col == 0 || row == SIDE - 1 || col == SIDE - 1;
    border || (row.is_multiple_of(2) && col.is_multiple_of(2))
}

/// The free cells, row-major (gymnax's `coords`).
fn free_cells() -> Vec<u32> {
    (0..SIDE * SIDE)
        .filter(|c| !is_wall(c / SIDE, c % SIDE))
        .collect()
}

fn free_cell(key: Key, i: u32) -> (u32, u32) {
    let free = free_cells();
    let cell = free[rng::below(key, i, free.len() as u32) as usize];
    (cell / SIDE, cell % SIDE)
}

impl EnvKernel for MetaMaze {
    type State = MetaMazeState;
    type Params = MetaMazeParams;
    type Action = u32;

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "MetaMaze-misc".into(),
            obs_dim: 15,
            num_actions: 4,
            action_dim: 0,
            max_steps: 200,
            description: "9x9 maze with a hidden goal per task, restarted anywhere on reaching \
                          it; obs [3x3 walls, one-hot last action, last reward, time]"
                .into(),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        let mut tables: Vec<u32> = (0..SIDE)
            .map(|r| (0..SIDE).fold(0, |m, c| m | (is_wall(r, c) as u32) << c))
            .collect();
        let free = free_cells();
        let free_offset = tables.len() as u32;
        tables.extend(&free);
        EnvWgsl {
            file: "envs/meta_maze/env.wgsl",
            text: include_str!("env.wgsl"),
            consts: vec![
                ("NUM_ACTIONS", 4),
                ("OBS_DIM", 15),
                ("OBS_DENSE", 1),
                ("SIDE", SIDE),
                ("CENTER", CENTER),
                ("NUM_FREE", free.len() as u32),
                ("TABLE_FREE_CELLS", free_offset),
            ],
            prelude: String::new(),
            tables,
            // rng_below's retries, the observation's 13 cells and actions.
            loop_iterations: 64,
        }
    }

    fn default_params(&self) -> MetaMazeParams {
        MetaMazeParams::default()
    }

    fn check_params(&self, p: &MetaMazeParams) -> Result<(), String> {
        if !(p.reward.is_finite() && p.punishment.is_finite()) {
            return Err(format!(
                "reward = {} and punishment = {} must be finite",
                p.reward, p.punishment
            ));
        }
        if p.max_steps == 0 || p.max_steps >= 1 << 24 {
            return Err(format!("max_steps = {} must be in 1..2^24", p.max_steps));
        }
        if p.goal_draw > GoalDraw::PerEpisode as u32 {
            return Err(format!(
                "goal_draw = {} must be 0 (fixed), 1 (per task) or 2 (per episode)",
                p.goal_draw
            ));
        }
        if p.goal_draw == GoalDraw::Fixed as u32 && is_wall(p.goal_row, p.goal_col) {
            return Err(format!(
                "the goal ({}, {}) is not a free cell",
                p.goal_row, p.goal_col
            ));
        }
        Ok(())
    }

    fn samples_params(&self) -> bool {
        true
    }

    fn sample_params(&self, key: Key, base: &MetaMazeParams) -> MetaMazeParams {
        let mut p = *base;
        if base.goal_draw == GoalDraw::PerTask as u32 {
            (p.goal_row, p.goal_col) = free_cell(key, 0);
            p.goal_draw = GoalDraw::Fixed as u32;
        }
        p
    }

    fn reset(&self, key: Key, p: &MetaMazeParams) -> MetaMazeState {
        let (goal_row, goal_col) = match p.goal_draw {
            2 => free_cell(key, 0),
            _ => (p.goal_row, p.goal_col),
        };
        MetaMazeState {
            row: CENTER,
            col: CENTER,
            goal_row,
            goal_col,
            last_action: 0,
            last_reward: 0.0,
            time: 0,
        }
    }

    fn step(
        &self,
        key: Key,
        s: &MetaMazeState,
        action: u32,
        p: &MetaMazeParams,
    ) -> StepOut<MetaMazeState> {
        let (mut row, mut col) = (s.row, s.col);
        match action {
            0 => row = row.wrapping_sub(1),
            1 => col += 1,
            2 => row += 1,
            _ => col = col.wrapping_sub(1),
        }
        let in_map = !is_wall(row, col);
        let mut next = *s;
        if in_map {
            (next.row, next.col) = (row, col);
        }
        let reached = next.row == s.goal_row && next.col == s.goal_col;
        let reward = if reached { p.reward } else { 0.0 } + if in_map { 0.0 } else { p.punishment };
        if reached {
            (next.row, next.col) = free_cell(key, 0);
        }
        next.last_action = action;
        next.last_reward = reward;
        next.time = s.time + 1;
        StepOut {
            state: next,
            reward,
            terminated: next.row == s.goal_row && next.col == s.goal_col,
            truncated: next.time >= p.max_steps,
            success: reached,
        }
    }

    fn observe(&self, s: &MetaMazeState, p: &MetaMazeParams, obs: &mut [f32]) {
        for dr in 0..3 {
            for dc in 0..3 {
                let wall = is_wall((s.row + dr).wrapping_sub(1), (s.col + dc).wrapping_sub(1));
                obs[(dr * 3 + dc) as usize] = if wall { 1.0 } else { 0.0 };
            }
        }
        obs[9 + s.last_action.min(3) as usize] = 1.0;
        obs[13] = s.last_reward;
        obs[14] = if p.normalize_time != 0 {
            (2 * s.time as i32 - 100) as f32 * 0.01
        } else {
            s.time as f32
        };
    }

    /// Rewards up to `reward + punishment` (gymnax declares 1, which its own default
    /// reward of 10 exceeds); time up to `max_steps`, or its normalised value.
    fn obs_bounds(&self, p: &MetaMazeParams) -> Option<(Vec<f32>, Vec<f32>)> {
        let mut low = vec![0.0; 15];
        let mut high = vec![1.0; 15];
        low[13] = p.reward.min(0.0) + p.punishment.min(0.0);
        high[13] = p.reward.max(0.0) + p.punishment.max(0.0);
        let t = p.max_steps as f32;
        (low[14], high[14]) = match p.normalize_time {
            0 => (0.0, t),
            _ => (-1.0, (2.0 * t - 100.0) * 0.01),
        };
        Some((low, high))
    }

    fn train_defaults(&self) -> TrainConfig {
        TrainConfig {
            envs: 256,
            steps: 128,
            updates: 60,
            lr: 2.5e-3,
            ..TrainConfig::default()
        }
    }
}
