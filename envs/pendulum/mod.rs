//! Pendulum-v1 (gymnax, after gym's classic control). Spec: README.md; GPU side: env.wgsl.
//! Float dynamics: the GPU agrees with the twin within [`TOLERANCE`] per step.

pub mod picture;

use std::f32::consts::PI;

use bytemuck::{Pod, Zeroable};

use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::learn::TrainConfig;
use crate::rng::{self, Key};

/// Per-step relative tolerance of the GPU against the twin: sin, cos and the angle's
/// modulo (exact on the CPU, `x - y * trunc(x / y)` in WGSL).
pub const TOLERANCE: f32 = 1e-5;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct PendulumParams {
    pub max_speed: f32,
    pub max_torque: f32,
    pub dt: f32,
    pub g: f32,
    pub m: f32,
    pub l: f32,
    pub max_steps: u32,
}

impl Default for PendulumParams {
    /// gymnax's defaults.
    fn default() -> Self {
        PendulumParams {
            max_speed: 8.0,
            max_torque: 2.0,
            dt: 0.05,
            g: 10.0,
            m: 1.0,
            l: 1.0,
            max_steps: 200,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct PendulumState {
    pub theta: f32,
    pub theta_dot: f32,
    /// The last torque, kept for rendering as in gymnax.
    pub last_u: f32,
    pub time: u32,
}

pub struct Pendulum;

/// gymnax's `((x + pi) % (2 pi)) - pi` (floored modulo).
fn angle_normalize(x: f32) -> f32 {
    (x + PI).rem_euclid(2.0 * PI) - PI
}

impl EnvKernel for Pendulum {
    type State = PendulumState;
    type Params = PendulumParams;
    type Action = [f32; 1];

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "Pendulum-v1".into(),
            obs_dim: 3,
            num_actions: 0,
            action_dim: 1,
            max_steps: 200,
            description: "swing a pendulum up and hold it, torque in [-1, 1] x max_torque; \
                          obs [cos theta, sin theta, theta_dot]"
                .into(),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        EnvWgsl {
            file: "envs/pendulum/env.wgsl",
            text: include_str!("env.wgsl"),
            consts: vec![("NUM_ACTIONS", 0), ("OBS_DIM", 3), ("OBS_DENSE", 1)],
            prelude: String::new(),
            tables: Vec::new(),
            loop_iterations: 1,
        }
    }

    fn default_params(&self) -> PendulumParams {
        PendulumParams::default()
    }

    fn check_params(&self, p: &PendulumParams) -> Result<(), String> {
        let positive = [
            ("max_speed", p.max_speed),
            ("dt", p.dt),
            ("m", p.m),
            ("l", p.l),
        ];
        if let Some((name, v)) = positive.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
            return Err(format!("{name} = {v} must be finite and > 0"));
        }
        if !(p.max_torque.is_finite() && p.max_torque >= 0.0 && p.g.is_finite()) {
            return Err("max_torque must be finite and >= 0, g finite".into());
        }
        if p.max_steps == 0 {
            return Err("max_steps must be at least 1".into());
        }
        Ok(())
    }

    fn reset(&self, key: Key, _p: &PendulumParams) -> PendulumState {
        PendulumState {
            theta: rng::uniform(key, 0) * (2.0 * PI) - PI,
            theta_dot: rng::uniform(key, 1) * 2.0 - 1.0,
            last_u: 0.0,
            time: 0,
        }
    }

    fn step(
        &self,
        _key: Key,
        s: &PendulumState,
        action: [f32; 1],
        p: &PendulumParams,
    ) -> StepOut<PendulumState> {
        let u = action[0].clamp(-1.0, 1.0) * p.max_torque;
        let th = angle_normalize(s.theta);
        let reward = -(th * th + 0.1 * (s.theta_dot * s.theta_dot) + 0.001 * (u * u));
        let thdot = (s.theta_dot
            + (3.0 * p.g / (2.0 * p.l) * s.theta.sin() + 3.0 / (p.m * (p.l * p.l)) * u) * p.dt)
            .clamp(-p.max_speed, p.max_speed);
        let next = PendulumState {
            theta: s.theta + thdot * p.dt,
            theta_dot: thdot,
            last_u: u,
            time: s.time + 1,
        };
        StepOut {
            state: next,
            reward,
            terminated: false,
            truncated: next.time >= p.max_steps,
            success: false,
        }
    }

    fn observe(&self, s: &PendulumState, _p: &PendulumParams, obs: &mut [f32]) {
        obs.copy_from_slice(&[s.theta.cos(), s.theta.sin(), s.theta_dot]);
    }

    fn tolerance(&self) -> f32 {
        TOLERANCE
    }

    /// gymnax's observation space.
    fn obs_bounds(&self, p: &PendulumParams) -> Option<(Vec<f32>, Vec<f32>)> {
        Some((vec![-1.0, -1.0, -p.max_speed], vec![1.0, 1.0, p.max_speed]))
    }

    fn train_defaults(&self) -> TrainConfig {
        TrainConfig {
            envs: 128,
            steps: 200,
            updates: 30,
            lr: 3e-3,
            gamma: 0.95,
            reward_scale: 0.1,
            ent_coef: 0.0,
            ..TrainConfig::default()
        }
    }
}
