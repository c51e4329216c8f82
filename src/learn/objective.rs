//! The per-agent objective: the hyperparameters the learner kernels read per agent (so
//! that agents of one batch may learn with different ones: a sweep, or an ES population
//! of them) and, optionally, a learned drift function that replaces PPO's clipping (LPO,
//! Lu et al. 2022, with the temporally-aware inputs of Jackson et al. 2024). Twin of
//! `shaders/objective.wgsl`.

use super::config::TrainConfig;
use crate::shader::const_prelude;

/// Row layout: these slots, then the drift network's weights from [`HYPER`].
pub const OBJ_LR: usize = 0;
pub const OBJ_GAMMA: usize = 1;
pub const OBJ_GAE_LAMBDA: usize = 2;
pub const OBJ_CLIP: usize = 3;
pub const OBJ_ENT_COEF: usize = 4;
/// The meta-gradient's validation objective: its fixed discount and GAE lambda.
pub const OBJ_REF_GAMMA: usize = 5;
pub const OBJ_REF_GAE_LAMBDA: usize = 6;
/// Hyperparameters that [`Objective::row`] writes (and meta-training may learn).
pub const HYPERPARAMETERS: usize = 5;
/// Floats before the drift weights (room for more hyperparameters).
pub const HYPER: usize = 8;

/// Inputs of the drift network: 8 features of (ratio, advantage), each also scaled by the
/// lifetime fraction n/N and by log N.
pub const DRIFT_FEATURES: usize = 8;
pub const DRIFT_INPUTS: usize = 3 * DRIFT_FEATURES;
/// Features are clipped to [-DRIFT_CLIP, DRIFT_CLIP] (as in LPO).
pub const DRIFT_CLIP: f32 = 2.0;
/// drift = relu(PPO's drift + g - DRIFT_MARGIN), as LPO: the kink stays off r = 1.
pub const DRIFT_MARGIN: f32 = 1e-4;
/// log N enters as ln N / ln 1024: 1 for a lifetime of 1024 updates.
pub const LOG_LIFETIME_SCALE: f32 = 1.0 / 6.931_472;

/// The shape of every agent's objective row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Objective {
    /// Hidden units of the drift network; 0: PPO's clipped objective, no network.
    pub drift_hidden: u32,
}

impl Objective {
    pub fn drift_params(&self) -> usize {
        (DRIFT_INPUTS + 1) * self.drift_hidden as usize
    }

    /// Floats per agent.
    pub fn stride(&self) -> usize {
        HYPER + self.drift_params()
    }

    /// One agent's row: the config's hyperparameters and a zero drift network (which is
    /// exactly PPO's objective).
    pub fn row(&self, c: &TrainConfig) -> Vec<f32> {
        let mut row = vec![0.0; self.stride()];
        row[OBJ_LR] = c.lr;
        row[OBJ_GAMMA] = c.gamma;
        row[OBJ_GAE_LAMBDA] = c.gae_lambda;
        row[OBJ_CLIP] = c.clip;
        row[OBJ_ENT_COEF] = c.ent_coef;
        let reference = c.meta_gradient.clone().unwrap_or_default();
        row[OBJ_REF_GAMMA] = reference.reference_gamma;
        row[OBJ_REF_GAE_LAMBDA] = reference.reference_gae_lambda;
        row
    }

    pub fn wgsl_prelude(&self) -> String {
        let mut text = wgsl_slots();
        text.push_str(&const_prelude(&[
            ("DRIFT_FEATURES", DRIFT_FEATURES as u32),
            ("DRIFT_INPUTS", DRIFT_INPUTS as u32),
        ]));
        text + &format!(
            "const DRIFT_HIDDEN: u32 = {}u;\nconst OBJECTIVE_STRIDE: u32 = {}u;\n\
             const DRIFT_STATE: u32 = {}u;\n",
            self.drift_hidden,
            self.stride(),
            3 * self.drift_params()
        )
    }
}

/// WGSL constants of an objective row's slots.
pub fn wgsl_slots() -> String {
    const_prelude(&[
        ("OBJ_LR", OBJ_LR as u32),
        ("OBJ_GAMMA", OBJ_GAMMA as u32),
        ("OBJ_GAE_LAMBDA", OBJ_GAE_LAMBDA as u32),
        ("OBJ_CLIP", OBJ_CLIP as u32),
        ("OBJ_ENT_COEF", OBJ_ENT_COEF as u32),
        ("OBJ_REF_GAMMA", OBJ_REF_GAMMA as u32),
        ("OBJ_REF_GAE_LAMBDA", OBJ_REF_GAE_LAMBDA as u32),
        ("HYPER", HYPER as u32),
    ])
}

/// The lifetime inputs of update `update` of `updates`: (n / N, ln N / ln 1024).
pub fn lifetime_inputs(update: u32, updates: u32) -> (f32, f32) {
    (
        update as f32 / updates.max(1) as f32,
        (updates.max(1) as f32).ln() * LOG_LIFETIME_SCALE,
    )
}

/// Twin of `learned_drift`: g(features) and dg/dratio for the drift network `w`
/// ([DRIFT_INPUTS][hidden] input weights, then [hidden] output weights; no biases, so
/// g = 0 at ratio 1) at ratio r = exp(log_ratio).
pub fn learned_drift(
    w: &[f32],
    hidden: usize,
    log_ratio: f32,
    adv: f32,
    time: (f32, f32),
) -> (f32, f32) {
    let (f, df) = drift_features(log_ratio.exp(), log_ratio, adv);
    let scales = [1.0, time.0, time.1];
    let mut g = 0.0f32;
    let mut dg = 0.0f32;
    for j in 0..hidden {
        let mut pre = 0.0f32;
        let mut d_pre = 0.0f32;
        for (s, scale) in scales.iter().enumerate() {
            for k in 0..DRIFT_FEATURES {
                let wk = w[(s * DRIFT_FEATURES + k) * hidden + j] * scale;
                pre += wk * f[k];
                d_pre += wk * df[k];
            }
        }
        let h = pre.tanh();
        let v = w[DRIFT_INPUTS * hidden + j];
        g += v * h;
        dg += v * (1.0 - h * h) * d_pre;
    }
    (g, dg)
}

/// Twin of `drift_slope_tangent`: the directional derivative of dg/dratio (of
/// [`learned_drift`]) along `u` in the drift's weights `w`.
pub fn drift_slope_tangent(
    w: &[f32],
    u: &[f32],
    hidden: usize,
    log_ratio: f32,
    adv: f32,
    time: (f32, f32),
) -> f32 {
    let (f, df) = drift_features(log_ratio.exp(), log_ratio, adv);
    let scales = [1.0, time.0, time.1];
    let mut out = 0.0f32;
    for j in 0..hidden {
        let (mut pre, mut d_pre, mut pre_dot, mut d_pre_dot) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
        for (s, scale) in scales.iter().enumerate() {
            for k in 0..DRIFT_FEATURES {
                let i = (s * DRIFT_FEATURES + k) * hidden + j;
                let (wk, uk) = (w[i] * scale, u[i] * scale);
                pre += wk * f[k];
                d_pre += wk * df[k];
                pre_dot += uk * f[k];
                d_pre_dot += uk * df[k];
            }
        }
        let h = pre.tanh();
        let slope = 1.0 - h * h;
        let i = DRIFT_INPUTS * hidden + j;
        out += u[i] * slope * d_pre
            + w[i] * (-2.0 * h * slope * pre_dot) * d_pre
            + w[i] * slope * d_pre_dot;
    }
    out
}

/// LPO's features of (ratio r = exp(l), advantage A) and their derivatives in r: r - 1, (r - 1)^2,
/// ln r, (ln r)^2 and each times A, clipped (derivative 0 where clipped).
fn drift_features(r: f32, l: f32, a: f32) -> ([f32; DRIFT_FEATURES], [f32; DRIFT_FEATURES]) {
    let d = r - 1.0;
    let f = [d, d * d, l, l * l, a * d, a * d * d, a * l, a * l * l];
    let df = [
        1.0,
        2.0 * d,
        1.0 / r,
        2.0 * l / r,
        a,
        2.0 * a * d,
        a / r,
        2.0 * a * l / r,
    ];
    let mut out = ([0.0; DRIFT_FEATURES], [0.0; DRIFT_FEATURES]);
    for k in 0..DRIFT_FEATURES {
        let inside = f[k].abs() <= DRIFT_CLIP;
        out.0[k] = f[k].clamp(-DRIFT_CLIP, DRIFT_CLIP);
        out.1[k] = if inside { df[k] } else { 0.0 };
    }
    out
}
