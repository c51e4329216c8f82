//! PointRobot-misc (gymnax, after Dorfman, Shenfeld & Tamar 2021): a point on the plane must
//! find a hidden goal on a half circle, again and again within an episode. The goal is the
//! task: drawn per env on the GPU by `env_sample_params`. Spec: README.md; GPU side:
//! env.wgsl. Float dynamics: the GPU agrees with the twin within [`TOLERANCE`].

pub mod picture;

use std::f32::consts::PI;

use bytemuck::{Pod, Zeroable};

use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::learn::TrainConfig;
use crate::rng::{self, Key};

pub use super::meta_maze::GoalDraw;

/// Per-step relative tolerance of the GPU against the twin (sin, cos and sqrt).
pub const TOLERANCE: f32 = 1e-5;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct PointRobotParams {
    /// The largest move per axis and step; an action in [-1, 1] is a fraction of it.
    pub max_force: f32,
    pub circle_radius: f32,
    pub dense_reward: u32,
    pub goal_radius: f32,
    pub center_init: u32,
    pub normalize_time: u32,
    pub max_steps: u32,
    /// A [`GoalDraw`].
    pub goal_draw: u32,
    pub goal_x: f32,
    pub goal_y: f32,
}

impl Default for PointRobotParams {
    /// gymnax's defaults, with a goal drawn per task.
    fn default() -> Self {
        PointRobotParams {
            max_force: 0.1,
            circle_radius: 1.0,
            dense_reward: 0,
            goal_radius: 0.2,
            center_init: 0,
            normalize_time: 1,
            max_steps: 100,
            goal_draw: GoalDraw::PerTask as u32,
            goal_x: 1.0,
            goal_y: 0.0,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct PointRobotState {
    pub pos_x: f32,
    pub pos_y: f32,
    pub goal_x: f32,
    pub goal_y: f32,
    pub last_action_x: f32,
    pub last_action_y: f32,
    pub last_reward: f32,
    pub goals_reached: u32,
    pub time: u32,
}

pub struct PointRobot;

/// A goal on the upper half circle from draw `i` of `key`.
fn goal(key: Key, i: u32, p: &PointRobotParams) -> (f32, f32) {
    let angle = rng::uniform(key, i) * PI;
    (p.circle_radius * angle.cos(), p.circle_radius * angle.sin())
}

/// gymnax's start: radius and angle uniform, or the centre.
fn start(key: Key, i: u32, p: &PointRobotParams) -> (f32, f32) {
    if p.center_init != 0 {
        return (0.0, 0.0);
    }
    let radius = rng::uniform(key, i) * p.circle_radius;
    let angle = rng::uniform(key, i + 1) * PI;
    (radius * angle.cos(), radius * angle.sin())
}

impl EnvKernel for PointRobot {
    type State = PointRobotState;
    type Params = PointRobotParams;
    type Action = [f32; 2];

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "PointRobot-misc".into(),
            obs_dim: 6,
            num_actions: 0,
            action_dim: 2,
            max_steps: 100,
            description: "point robot seeking a hidden goal on a half circle, restarted on \
                          reaching it; obs [position, last reward, last move, time]"
                .into(),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        EnvWgsl {
            file: "envs/point_robot/env.wgsl",
            text: include_str!("env.wgsl"),
            consts: vec![("NUM_ACTIONS", 0), ("OBS_DIM", 6), ("OBS_DENSE", 1)],
            prelude: String::new(),
            tables: Vec::new(),
            loop_iterations: 1,
        }
    }

    fn default_params(&self) -> PointRobotParams {
        PointRobotParams::default()
    }

    fn check_params(&self, p: &PointRobotParams) -> Result<(), String> {
        let non_negative = [
            ("max_force", p.max_force),
            ("circle_radius", p.circle_radius),
            ("goal_radius", p.goal_radius),
        ];
        if let Some((name, v)) = non_negative
            .iter()
            .find(|(_, v)| !(v.is_finite() && *v >= 0.0))
        {
            return Err(format!("{name} = {v} must be finite and >= 0"));
        }
        if !(p.goal_x.is_finite() && p.goal_y.is_finite()) {
            return Err("the goal must be finite".into());
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
        Ok(())
    }

    fn samples_params(&self) -> bool {
        true
    }

    fn sample_params(&self, key: Key, base: &PointRobotParams) -> PointRobotParams {
        let mut p = *base;
        if base.goal_draw == GoalDraw::PerTask as u32 {
            (p.goal_x, p.goal_y) = goal(key, 0, base);
            p.goal_draw = GoalDraw::Fixed as u32;
        }
        p
    }

    fn reset(&self, key: Key, p: &PointRobotParams) -> PointRobotState {
        let (goal_x, goal_y) = match p.goal_draw {
            2 => goal(key, 0, p),
            _ => (p.goal_x, p.goal_y),
        };
        let (pos_x, pos_y) = start(key, 1, p);
        PointRobotState {
            pos_x,
            pos_y,
            goal_x,
            goal_y,
            ..Zeroable::zeroed()
        }
    }

    fn step(
        &self,
        key: Key,
        s: &PointRobotState,
        action: [f32; 2],
        p: &PointRobotParams,
    ) -> StepOut<PointRobotState> {
        let move_x = action[0].clamp(-1.0, 1.0) * p.max_force;
        let move_y = action[1].clamp(-1.0, 1.0) * p.max_force;
        let (dx, dy) = (s.goal_x - s.pos_x, s.goal_y - s.pos_y);
        let distance = (dx * dx + dy * dy).sqrt();
        let reached = distance <= p.goal_radius;
        let reward = match (p.dense_reward != 0, reached) {
            (true, _) => -distance,
            (false, true) => 1.0,
            (false, false) => 0.0,
        };
        let (pos_x, pos_y) = match reached {
            true => start(key, 0, p),
            false => (s.pos_x + move_x, s.pos_y + move_y),
        };
        let next = PointRobotState {
            pos_x,
            pos_y,
            last_action_x: action[0] * p.max_force,
            last_action_y: action[1] * p.max_force,
            last_reward: reward,
            goals_reached: s.goals_reached + reached as u32,
            time: s.time + 1,
            ..*s
        };
        StepOut {
            state: next,
            reward,
            terminated: false,
            truncated: next.time >= p.max_steps,
            success: reached,
        }
    }

    fn observe(&self, s: &PointRobotState, p: &PointRobotParams, obs: &mut [f32]) {
        let time = if p.normalize_time != 0 {
            (2 * s.time as i32 - 100) as f32 * 0.01
        } else {
            s.time as f32
        };
        obs.copy_from_slice(&[
            s.pos_x,
            s.pos_y,
            s.last_reward,
            s.last_action_x,
            s.last_action_y,
            time,
        ]);
    }

    fn tolerance(&self) -> f32 {
        TOLERANCE
    }

    /// gymnax's observation space: f32::MAX everywhere.
    fn obs_bounds(&self, _p: &PointRobotParams) -> Option<(Vec<f32>, Vec<f32>)> {
        Some((vec![f32::MIN; 6], vec![f32::MAX; 6]))
    }

    fn train_defaults(&self) -> TrainConfig {
        TrainConfig {
            envs: 256,
            steps: 100,
            updates: 60,
            lr: 3e-3,
            ent_coef: 0.0,
            ..TrainConfig::default()
        }
    }
}
