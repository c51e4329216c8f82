//! MountainCar-v0 and MountainCarContinuous-v0 (gymnax, after Moore 1990). Spec: README.md;
//! GPU side: env.wgsl, one file for both. Float dynamics: the GPU agrees with the twin
//! within [`TOLERANCE`] per step.

pub mod picture;

use bytemuck::{Pod, Zeroable};

use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::learn::TrainConfig;
use crate::rng::{self, Key};

/// Per-step relative tolerance of the GPU against the twin (a cosine per step).
pub const TOLERANCE: f32 = 1e-5;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct MountainCarParams {
    /// Continuous only: the force is clipped to [min_action, max_action].
    pub min_action: f32,
    pub max_action: f32,
    pub min_position: f32,
    pub max_position: f32,
    pub max_speed: f32,
    pub goal_position: f32,
    pub goal_velocity: f32,
    /// gymnax's `force` (discrete) or `power` (continuous).
    pub force: f32,
    pub gravity: f32,
    pub max_steps: u32,
}

impl MountainCarParams {
    /// gymnax's MountainCar-v0 defaults.
    pub fn discrete() -> Self {
        MountainCarParams {
            min_action: -1.0,
            max_action: 1.0,
            min_position: -1.2,
            max_position: 0.6,
            max_speed: 0.07,
            goal_position: 0.5,
            goal_velocity: 0.0,
            force: 0.001,
            gravity: 0.0025,
            max_steps: 200,
        }
    }

    /// gymnax's MountainCarContinuous-v0 defaults.
    pub fn continuous() -> Self {
        MountainCarParams {
            goal_position: 0.45,
            force: 0.0015,
            max_steps: 999,
            ..Self::discrete()
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct MountainCarState {
    pub position: f32,
    pub velocity: f32,
    pub time: u32,
}

/// MountainCar-v0: push left, none, right.
pub struct MountainCar;

/// MountainCarContinuous-v0: a force in [-1, 1].
pub struct MountainCarContinuous;

fn wgsl(continuous: bool) -> EnvWgsl {
    let (actions, push) = match continuous {
        true => (0, "a[0]"),
        false => (3, "f32(a) - 1.0"),
    };
    EnvWgsl {
        file: "envs/mountain_car/env.wgsl",
        text: include_str!("env.wgsl"),
        consts: vec![
            ("NUM_ACTIONS", actions),
            ("OBS_DIM", 2),
            ("OBS_DENSE", 1),
            ("CONTINUOUS", continuous as u32),
        ],
        prelude: format!("fn car_push(a: Action) -> f32 {{ return {push}; }}\n"),
        tables: Vec::new(),
        loop_iterations: 1,
    }
}

fn check(p: &MountainCarParams) -> Result<(), String> {
    let all = [
        p.min_action,
        p.max_action,
        p.min_position,
        p.max_position,
        p.max_speed,
        p.goal_position,
        p.goal_velocity,
        p.force,
        p.gravity,
    ];
    if !all.iter().all(|v| v.is_finite()) {
        return Err(format!("every float param must be finite: {p:?}"));
    }
    if !(p.min_position < p.max_position && p.min_action <= p.max_action) {
        return Err("min_position < max_position and min_action <= max_action".into());
    }
    if p.max_speed <= 0.0 {
        return Err(format!("max_speed = {} must be > 0", p.max_speed));
    }
    if p.max_steps == 0 {
        return Err("max_steps must be at least 1".into());
    }
    Ok(())
}

fn reset(key: Key) -> MountainCarState {
    MountainCarState {
        position: rng::uniform(key, 0) * 0.2 - 0.6,
        velocity: 0.0,
        time: 0,
    }
}

/// gymnax's step with `a` the push (discrete: action - 1) or the raw force (continuous).
fn step(
    s: &MountainCarState,
    a: f32,
    p: &MountainCarParams,
    continuous: bool,
) -> StepOut<MountainCarState> {
    let push = if continuous {
        a.clamp(p.min_action, p.max_action)
    } else {
        a
    };
    let mut velocity = s.velocity + push * p.force - (3.0 * s.position).cos() * p.gravity;
    velocity = velocity.clamp(-p.max_speed, p.max_speed);
    let position = (s.position + velocity).clamp(p.min_position, p.max_position);
    // gymnax stops the car at the left wall (discrete) and, unlike gym, at the goal when
    // moving left (continuous).
    let stopped = if continuous {
        position >= p.goal_position
    } else {
        position == p.min_position
    };
    if stopped && velocity < 0.0 {
        velocity = 0.0;
    }
    let at_goal = position >= p.goal_position && velocity >= p.goal_velocity;
    let reward = if continuous {
        -0.1 * (a * a) + if at_goal { 100.0 } else { 0.0 }
    } else {
        -1.0
    };
    let next = MountainCarState {
        position,
        velocity,
        time: s.time + 1,
    };
    StepOut {
        state: next,
        reward,
        terminated: at_goal,
        truncated: next.time >= p.max_steps,
        success: at_goal,
    }
}

/// gymnax's observation space.
fn bounds(p: &MountainCarParams) -> Option<(Vec<f32>, Vec<f32>)> {
    Some((
        vec![p.min_position, -p.max_speed],
        vec![p.max_position, p.max_speed],
    ))
}

fn observe(s: &MountainCarState, obs: &mut [f32]) {
    obs.copy_from_slice(&[s.position, s.velocity]);
}

impl EnvKernel for MountainCar {
    type State = MountainCarState;
    type Params = MountainCarParams;
    type Action = u32;

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "MountainCar-v0".into(),
            obs_dim: 2,
            num_actions: 3,
            action_dim: 0,
            max_steps: 200,
            description: "underpowered car in a valley, push left, none or right; \
                          obs [position, velocity]"
                .into(),
        }
    }
    fn wgsl(&self) -> EnvWgsl {
        wgsl(false)
    }
    fn default_params(&self) -> MountainCarParams {
        MountainCarParams::discrete()
    }
    fn check_params(&self, p: &MountainCarParams) -> Result<(), String> {
        check(p)
    }
    fn reset(&self, key: Key, _p: &MountainCarParams) -> MountainCarState {
        reset(key)
    }
    fn step(
        &self,
        _key: Key,
        s: &MountainCarState,
        action: u32,
        p: &MountainCarParams,
    ) -> StepOut<MountainCarState> {
        step(s, action as f32 - 1.0, p, false)
    }
    fn observe(&self, s: &MountainCarState, _p: &MountainCarParams, obs: &mut [f32]) {
        observe(s, obs)
    }
    fn tolerance(&self) -> f32 {
        TOLERANCE
    }
    fn obs_bounds(&self, p: &MountainCarParams) -> Option<(Vec<f32>, Vec<f32>)> {
        bounds(p)
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

impl EnvKernel for MountainCarContinuous {
    type State = MountainCarState;
    type Params = MountainCarParams;
    type Action = [f32; 1];

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "MountainCarContinuous-v0".into(),
            obs_dim: 2,
            num_actions: 0,
            action_dim: 1,
            max_steps: 999,
            description: "underpowered car in a valley, a force in [-1, 1]; \
                          obs [position, velocity]"
                .into(),
        }
    }
    fn wgsl(&self) -> EnvWgsl {
        wgsl(true)
    }
    fn default_params(&self) -> MountainCarParams {
        MountainCarParams::continuous()
    }
    fn check_params(&self, p: &MountainCarParams) -> Result<(), String> {
        check(p)
    }
    fn reset(&self, key: Key, _p: &MountainCarParams) -> MountainCarState {
        reset(key)
    }
    fn step(
        &self,
        _key: Key,
        s: &MountainCarState,
        action: [f32; 1],
        p: &MountainCarParams,
    ) -> StepOut<MountainCarState> {
        step(s, action[0], p, true)
    }
    fn observe(&self, s: &MountainCarState, _p: &MountainCarParams, obs: &mut [f32]) {
        observe(s, obs)
    }
    fn tolerance(&self) -> f32 {
        TOLERANCE
    }
    fn obs_bounds(&self, p: &MountainCarParams) -> Option<(Vec<f32>, Vec<f32>)> {
        bounds(p)
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
