//! Acrobot-v1 (gymnax, after Sutton 1996 and Sutton & Barto's book dynamics). Spec:
//! README.md; GPU side: env.wgsl. Float dynamics: the GPU agrees with the twin within
//! [`TOLERANCE`] per step.

pub mod picture;

use std::f32::consts::PI;

use bytemuck::{Pod, Zeroable};

use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::learn::TrainConfig;
use crate::rng::{self, Key};

/// Per-step relative tolerance of the GPU against the twin: four evaluations of the
/// dynamics with sin and cos, which GPUs compute to a few ulp, and fused multiply-adds.
pub const TOLERANCE: f32 = 1e-4;

/// gymnax's dsdt fixes g = 9.8.
const GRAVITY: f32 = 9.8;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct AcrobotParams {
    /// gymnax's `available_torque`, indexed by the action.
    pub torque: [f32; 3],
    pub dt: f32,
    pub link_length_1: f32,
    /// Unused by the dynamics, as in gymnax.
    pub link_length_2: f32,
    pub link_mass_1: f32,
    pub link_mass_2: f32,
    pub link_com_pos_1: f32,
    pub link_com_pos_2: f32,
    pub link_moi: f32,
    pub max_vel_1: f32,
    pub max_vel_2: f32,
    pub torque_noise_max: f32,
    pub max_steps: u32,
}

impl Default for AcrobotParams {
    /// gymnax's defaults.
    fn default() -> Self {
        AcrobotParams {
            torque: [-1.0, 0.0, 1.0],
            dt: 0.2,
            link_length_1: 1.0,
            link_length_2: 1.0,
            link_mass_1: 1.0,
            link_mass_2: 1.0,
            link_com_pos_1: 0.5,
            link_com_pos_2: 0.5,
            link_moi: 1.0,
            max_vel_1: 4.0 * PI,
            max_vel_2: 9.0 * PI,
            torque_noise_max: 0.0,
            max_steps: 500,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct AcrobotState {
    pub theta1: f32,
    pub theta2: f32,
    pub dtheta1: f32,
    pub dtheta2: f32,
    pub time: u32,
}

pub struct Acrobot;

type V4 = [f32; 4];

fn axpy(y: V4, a: f32, k: V4) -> V4 {
    std::array::from_fn(|j| y[j] + a * k[j])
}

/// d/dt of (theta1, theta2, dtheta1, dtheta2) under torque `a` on the second joint.
fn dsdt(s: V4, a: f32, p: &AcrobotParams) -> V4 {
    let (m1, m2, l1) = (p.link_mass_1, p.link_mass_2, p.link_length_1);
    let (lc1, lc2, i1, i2) = (p.link_com_pos_1, p.link_com_pos_2, p.link_moi, p.link_moi);
    let [theta1, theta2, dtheta1, dtheta2] = s;
    let d1 =
        m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2.0 * l1 * lc2 * theta2.cos()) + i1 + i2;
    let d2 = m2 * (lc2 * lc2 + l1 * lc2 * theta2.cos()) + i2;
    let phi2 = m2 * lc2 * GRAVITY * (theta1 + theta2 - PI / 2.0).cos();
    let phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * theta2.sin()
        - 2.0 * m2 * l1 * lc2 * dtheta2 * dtheta1 * theta2.sin()
        + (m1 * lc1 + m2 * l1) * GRAVITY * (theta1 - PI / 2.0).cos()
        + phi2;
    let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * theta2.sin() - phi2)
        / (m2 * (lc2 * lc2) + i2 - (d2 * d2) / d1);
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    [dtheta1, dtheta2, ddtheta1, ddtheta2]
}

/// gymnax's wrap into [lo, hi): whole turns added or removed.
fn wrap(x: f32, lo: f32, hi: f32) -> f32 {
    let diff = hi - lo;
    let up = if x < lo { 1.0 } else { 0.0 };
    let down = if x >= hi { 1.0 } else { 0.0 };
    let how_often = up * ((lo - x) / diff).ceil() + down * ((x - hi) / diff + 1.0).floor();
    x - how_often * diff * down + how_often * diff * up
}

fn up(theta1: f32, theta2: f32) -> bool {
    -theta1.cos() - (theta2 + theta1).cos() > 1.0
}

impl EnvKernel for Acrobot {
    type State = AcrobotState;
    type Params = AcrobotParams;
    type Action = u32;

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "Acrobot-v1".into(),
            obs_dim: 6,
            num_actions: 3,
            action_dim: 0,
            max_steps: 500,
            description: "two-link pendulum, swing the tip above the bar; obs [cos, sin of \
                          both angles, both angular velocities]"
                .into(),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        EnvWgsl {
            file: "envs/acrobot/env.wgsl",
            text: include_str!("env.wgsl"),
            consts: vec![("NUM_ACTIONS", 3), ("OBS_DIM", 6), ("OBS_DENSE", 1)],
            prelude: String::new(),
            tables: Vec::new(),
            loop_iterations: 4,
        }
    }

    fn default_params(&self) -> AcrobotParams {
        AcrobotParams::default()
    }

    fn check_params(&self, p: &AcrobotParams) -> Result<(), String> {
        let positive = [
            ("dt", p.dt),
            ("link_length_1", p.link_length_1),
            ("link_mass_1", p.link_mass_1),
            ("link_mass_2", p.link_mass_2),
            ("link_com_pos_1", p.link_com_pos_1),
            ("link_com_pos_2", p.link_com_pos_2),
            ("link_moi", p.link_moi),
            ("max_vel_1", p.max_vel_1),
            ("max_vel_2", p.max_vel_2),
        ];
        if let Some((name, v)) = positive.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
            return Err(format!("{name} = {v} must be finite and > 0"));
        }
        if !p.link_length_2.is_finite() || !p.torque.iter().all(|t| t.is_finite()) {
            return Err("link_length_2 and the torques must be finite".into());
        }
        if !(p.torque_noise_max >= 0.0 && p.torque_noise_max.is_finite()) {
            return Err(format!(
                "torque_noise_max = {} must be finite and >= 0",
                p.torque_noise_max
            ));
        }
        if p.max_steps == 0 {
            return Err("max_steps must be at least 1".into());
        }
        Ok(())
    }

    fn reset(&self, key: Key, _p: &AcrobotParams) -> AcrobotState {
        let v = |i| rng::uniform(key, i) * 0.2 - 0.1;
        AcrobotState {
            theta1: v(0),
            theta2: v(1),
            dtheta1: v(2),
            dtheta2: v(3),
            time: 0,
        }
    }

    fn step(
        &self,
        key: Key,
        s: &AcrobotState,
        action: u32,
        p: &AcrobotParams,
    ) -> StepOut<AcrobotState> {
        let noise = p.torque_noise_max;
        let torque =
            p.torque[action.min(2) as usize] + (rng::uniform(key, 0) * (2.0 * noise) - noise);
        let y0 = [s.theta1, s.theta2, s.dtheta1, s.dtheta2];
        let dt2 = p.dt / 2.0;
        let k1 = dsdt(y0, torque, p);
        let k2 = dsdt(axpy(y0, dt2, k1), torque, p);
        let k3 = dsdt(axpy(y0, dt2, k2), torque, p);
        let k4 = dsdt(axpy(y0, p.dt, k3), torque, p);
        let y: V4 = std::array::from_fn(|j| {
            y0[j] + p.dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
        });
        let next = AcrobotState {
            theta1: wrap(y[0], -PI, PI),
            theta2: wrap(y[1], -PI, PI),
            dtheta1: y[2].clamp(-p.max_vel_1, p.max_vel_1),
            dtheta2: y[3].clamp(-p.max_vel_2, p.max_vel_2),
            time: s.time + 1,
        };
        let up = up(next.theta1, next.theta2);
        StepOut {
            state: next,
            reward: if up { 0.0 } else { -1.0 },
            terminated: up,
            truncated: next.time >= p.max_steps,
            success: false,
        }
    }

    fn observe(&self, s: &AcrobotState, _p: &AcrobotParams, obs: &mut [f32]) {
        obs.copy_from_slice(&[
            s.theta1.cos(),
            s.theta1.sin(),
            s.theta2.cos(),
            s.theta2.sin(),
            s.dtheta1,
            s.dtheta2,
        ]);
    }

    fn tolerance(&self) -> f32 {
        TOLERANCE
    }

    /// gymnax's observation space.
    fn obs_bounds(&self, p: &AcrobotParams) -> Option<(Vec<f32>, Vec<f32>)> {
        let high = vec![1.0, 1.0, 1.0, 1.0, p.max_vel_1, p.max_vel_2];
        Some((high.iter().map(|h| -h).collect(), high))
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
