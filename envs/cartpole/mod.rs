//! CartPole-v1 (gymnax, after Barto, Sutton & Anderson 1983). Spec: README.md; GPU side:
//! env.wgsl. Float dynamics: the GPU agrees with the twin within [`TOLERANCE`].

pub mod picture;

use bytemuck::{Pod, Zeroable};

use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::learn::TrainConfig;
use crate::rng::{self, Key};

/// Per-step relative tolerance of the GPU against the twin: sin and cos on a GPU are
/// accurate to a few ulp, and compilers may fuse multiply-adds.
pub const TOLERANCE: f32 = 1e-5;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct CartPoleParams {
    pub gravity: f32,
    pub masscart: f32,
    pub masspole: f32,
    pub total_mass: f32,
    pub length: f32,
    pub polemass_length: f32,
    pub force_mag: f32,
    pub tau: f32,
    pub theta_threshold_radians: f32,
    pub x_threshold: f32,
    pub max_steps: u32,
}

impl Default for CartPoleParams {
    /// gymnax's defaults (CartPole-v1: 500 steps).
    fn default() -> Self {
        CartPoleParams {
            gravity: 9.8,
            masscart: 1.0,
            masspole: 0.1,
            total_mass: 1.0 + 0.1,
            length: 0.5,
            polemass_length: 0.05,
            force_mag: 10.0,
            tau: 0.02,
            theta_threshold_radians: (12.0 * 2.0 * std::f64::consts::PI / 360.0) as f32,
            x_threshold: 2.4,
            max_steps: 500,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct CartPoleState {
    pub x: f32,
    pub x_dot: f32,
    pub theta: f32,
    pub theta_dot: f32,
    pub time: u32,
}

pub struct CartPole;

fn terminal(s: &CartPoleState, p: &CartPoleParams) -> bool {
    s.x < -p.x_threshold
        || s.x > p.x_threshold
        || s.theta < -p.theta_threshold_radians
        || s.theta > p.theta_threshold_radians
}

impl EnvKernel for CartPole {
    type State = CartPoleState;
    type Params = CartPoleParams;
    type Action = u32;

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "CartPole-v1".into(),
            obs_dim: 4,
            num_actions: 2,
            action_dim: 0,
            max_steps: 500,
            description: "pole on a cart, push left or right; obs [x, x_dot, theta, theta_dot]"
                .into(),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        EnvWgsl {
            file: "envs/cartpole/env.wgsl",
            text: include_str!("env.wgsl"),
            consts: vec![("NUM_ACTIONS", 2), ("OBS_DIM", 4), ("OBS_DENSE", 1)],
            prelude: String::new(),
            tables: Vec::new(),
            loop_iterations: 4,
        }
    }

    fn default_params(&self) -> CartPoleParams {
        CartPoleParams::default()
    }

    fn check_params(&self, p: &CartPoleParams) -> Result<(), String> {
        let positive = [
            ("masscart", p.masscart),
            ("masspole", p.masspole),
            ("total_mass", p.total_mass),
            ("length", p.length),
            ("tau", p.tau),
            ("theta_threshold_radians", p.theta_threshold_radians),
            ("x_threshold", p.x_threshold),
        ];
        if let Some((name, v)) = positive.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
            return Err(format!("{name} = {v} must be finite and > 0"));
        }
        for (name, v) in [
            ("gravity", p.gravity),
            ("polemass_length", p.polemass_length),
            ("force_mag", p.force_mag),
        ] {
            if !v.is_finite() {
                return Err(format!("{name} = {v} must be finite"));
            }
        }
        if p.max_steps == 0 {
            return Err("max_steps must be at least 1".into());
        }
        Ok(())
    }

    fn reset(&self, key: Key, _p: &CartPoleParams) -> CartPoleState {
        let v = |i| rng::uniform(key, i) * 0.1 - 0.05;
        CartPoleState {
            x: v(0),
            x_dot: v(1),
            theta: v(2),
            theta_dot: v(3),
            time: 0,
        }
    }

    fn step(
        &self,
        _key: Key,
        s: &CartPoleState,
        action: u32,
        p: &CartPoleParams,
    ) -> StepOut<CartPoleState> {
        let reward = if terminal(s, p) { 0.0 } else { 1.0 };
        let a = action as f32;
        let force = p.force_mag * a - p.force_mag * (1.0 - a);
        let (sintheta, costheta) = (s.theta.sin(), s.theta.cos());
        let temp =
            (force + p.polemass_length * (s.theta_dot * s.theta_dot) * sintheta) / p.total_mass;
        let thetaacc = (p.gravity * sintheta - costheta * temp)
            / (p.length * (4.0 / 3.0 - p.masspole * (costheta * costheta) / p.total_mass));
        let xacc = temp - p.polemass_length * thetaacc * costheta / p.total_mass;
        let next = CartPoleState {
            x: s.x + p.tau * s.x_dot,
            x_dot: s.x_dot + p.tau * xacc,
            theta: s.theta + p.tau * s.theta_dot,
            theta_dot: s.theta_dot + p.tau * thetaacc,
            time: s.time + 1,
        };
        StepOut {
            state: next,
            reward,
            terminated: terminal(&next, p),
            truncated: next.time >= p.max_steps,
            success: false,
        }
    }

    fn observe(&self, s: &CartPoleState, _p: &CartPoleParams, obs: &mut [f32]) {
        obs.copy_from_slice(&[s.x, s.x_dot, s.theta, s.theta_dot]);
    }

    fn tolerance(&self) -> f32 {
        TOLERANCE
    }

    /// gymnax's observation space: twice the thresholds, f32::MAX for the velocities.
    fn obs_bounds(&self, p: &CartPoleParams) -> Option<(Vec<f32>, Vec<f32>)> {
        let high = vec![
            2.0 * p.x_threshold,
            f32::MAX,
            2.0 * p.theta_threshold_radians,
            f32::MAX,
        ];
        Some((high.iter().map(|h| -h).collect(), high))
    }

    fn train_defaults(&self) -> TrainConfig {
        TrainConfig {
            envs: 256,
            steps: 128,
            updates: 40,
            lr: 2.5e-3,
            ..TrainConfig::default()
        }
    }
}
