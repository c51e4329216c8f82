//! FourRooms-misc (gymnax, after Sutton, Precup & Singh 1999). Spec: README.md; GPU side:
//! env.wgsl. Integer state and dynamics: GPU and twin agree bit for bit.

pub mod picture;

use bytemuck::{Pod, Zeroable};

use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::learn::TrainConfig;
use crate::rng::{self, Key};

/// The map, row 0 at the top; `#` is wall. The only copy: the WGSL side gets it through the
/// generated prelude.
pub const MAP: [&str; 13] = [
    "#############",
    "#.....#.....#",
    "#.....#.....#",
    "#...........#",
    "#.....#.....#",
    "#.....#.....#",
    "##.####.....#",
    "#.....###.###",
    "#.....#.....#",
    "#.....#.....#",
    "#...........#",
    "#.....#.....#",
    "#############",
];

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct FourRoomsParams {
    pub fail_prob: f32,
    pub resample_init_pos: u32,
    pub resample_goal_pos: u32,
    pub max_steps: u32,
    pub goal_row: u32,
    pub goal_col: u32,
    pub start_row: u32,
    pub start_col: u32,
}

impl Default for FourRoomsParams {
    /// gymnax's defaults.
    fn default() -> Self {
        FourRoomsParams {
            fail_prob: 1.0 / 3.0,
            resample_init_pos: 0,
            resample_goal_pos: 0,
            max_steps: 500,
            goal_row: 8,
            goal_col: 9,
            start_row: 4,
            start_col: 1,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct FourRoomsState {
    pub row: u32,
    pub col: u32,
    pub goal_row: u32,
    pub goal_col: u32,
    pub time: u32,
}

pub struct FourRooms;

fn is_wall(row: u32, col: u32) -> bool {
    MAP.get(row as usize)
        .and_then(|r| r.as_bytes().get(col as usize))
        .is_none_or(|&c| c == b'#')
}

fn free_cells() -> Vec<u32> {
    (0..13 * 13).filter(|c| !is_wall(c / 13, c % 13)).collect()
}

impl EnvKernel for FourRooms {
    type State = FourRoomsState;
    type Params = FourRoomsParams;
    type Action = u32;

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "FourRooms-misc".into(),
            obs_dim: 4,
            num_actions: 4,
            action_dim: 0,
            max_steps: 500,
            description: "13x13 four-rooms navigation; obs [row, col, goal row, goal col]".into(),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        let wall_rows = MAP.iter().map(|row| {
            row.bytes()
                .enumerate()
                .fold(0u32, |m, (c, b)| m | ((b == b'#') as u32) << c)
        });
        let free = free_cells();
        let mut tables: Vec<u32> = wall_rows.collect();
        let free_offset = tables.len() as u32;
        tables.extend(&free);
        EnvWgsl {
            file: "envs/four_rooms/env.wgsl",
            text: include_str!("env.wgsl"),
            consts: vec![
                ("NUM_ACTIONS", 4),
                ("OBS_DIM", 4),
                ("OBS_DENSE", 1),
                ("NUM_FREE", free.len() as u32),
                ("TABLE_FREE_CELLS", free_offset),
            ],
            prelude: String::new(),
            tables,
            // rng_below's retries.
            loop_iterations: 64,
        }
    }

    fn default_params(&self) -> FourRoomsParams {
        FourRoomsParams::default()
    }

    fn check_params(&self, p: &FourRoomsParams) -> Result<(), String> {
        if !(0.0..=0.75).contains(&p.fail_prob) {
            return Err(format!(
                "fail_prob = {} must be in [0, 0.75] (at 0.75 every move is already uniform)",
                p.fail_prob
            ));
        }
        if p.max_steps == 0 {
            return Err("max_steps must be at least 1".into());
        }
        for (what, row, col) in [
            ("goal", p.goal_row, p.goal_col),
            ("start", p.start_row, p.start_col),
        ] {
            if is_wall(row, col) {
                return Err(format!("the {what} ({row}, {col}) is not a free cell"));
            }
        }
        Ok(())
    }

    fn reset(&self, key: Key, p: &FourRoomsParams) -> FourRoomsState {
        let free = free_cells();
        let n = free.len() as u32;
        let mut s = FourRoomsState {
            row: p.start_row,
            col: p.start_col,
            goal_row: p.goal_row,
            goal_col: p.goal_col,
            time: 0,
        };
        if p.resample_goal_pos != 0 {
            let cell = free[rng::below(key, 0, n) as usize];
            (s.goal_row, s.goal_col) = (cell / 13, cell % 13);
        }
        if p.resample_init_pos != 0 {
            let mut cell = free[rng::below(key, 1, n - 1) as usize];
            if cell == s.goal_row * 13 + s.goal_col {
                cell = free[n as usize - 1];
            }
            (s.row, s.col) = (cell / 13, cell % 13);
        }
        s
    }

    fn step(
        &self,
        key: Key,
        s: &FourRoomsState,
        action: u32,
        p: &FourRoomsParams,
    ) -> StepOut<FourRoomsState> {
        let mut a = action;
        if rng::uniform(key, 0) < p.fail_prob {
            a = (action + 1 + rng::below(key, 1, 3)) % 4;
        }
        let (mut row, mut col) = (s.row, s.col);
        match a {
            0 => row = row.wrapping_sub(1),
            1 => col += 1,
            2 => row += 1,
            _ => col = col.wrapping_sub(1),
        }
        let mut next = *s;
        if !is_wall(row, col) {
            (next.row, next.col) = (row, col);
        }
        next.time = s.time + 1;
        let at_goal = next.row == s.goal_row && next.col == s.goal_col;
        StepOut {
            state: next,
            reward: if at_goal { 1.0 } else { 0.0 },
            terminated: at_goal,
            truncated: next.time >= p.max_steps,
            success: at_goal,
        }
    }

    fn train_defaults(&self) -> TrainConfig {
        TrainConfig {
            envs: 1024,
            steps: 128,
            updates: 60,
            lr: 1e-3,
            ..TrainConfig::default()
        }
    }
    fn observe(&self, s: &FourRoomsState, _p: &FourRoomsParams, obs: &mut [f32]) {
        obs.copy_from_slice(&[
            s.row as f32,
            s.col as f32,
            s.goal_row as f32,
            s.goal_col as f32,
        ]);
    }
}
