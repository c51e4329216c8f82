//! Meta-gradients (Xu et al. 2018, "Meta-Gradient Reinforcement Learning"): how the
//! validation objective J after an inner update changes with the meta-parameters eta that
//! enter the inner loss, followed by an outer Adam on eta during training. Host side and CPU
//! twin of `shaders/meta_gradient_loss.wgsl` and `shaders/meta_gradient.wgsl`.
//!
//! The inner update is truncated to one step (K = 1): theta' = theta - alpha grad L(theta;
//! eta), where grad L is the mean of the first epoch's minibatch gradients at theta (the
//! ratio is 1 there, so PPO, LPO and A2C share it) and alpha the agent's learning rate; the
//! optimizer's preconditioning is left out, as Xu et al. leave RMSProp's. So
//! d theta' / d eta_k = -alpha grad (d L / d eta_k), the gradient of a surrogate loss: a
//! backward pass with the advantages' tangents in place of the advantages (gamma, lambda)
//! or with the entropy alone (the entropy weight). J(theta') = mean A' log pi_theta'(a|s)
//! on the next rollout, which theta' collects, with GAE at fixed reference values of gamma
//! and lambda (normalised as the loss normalises). Each update thus finishes the previous
//! update's meta-gradient and starts its own: one rollout serves both, as in Xu et al.
//!
//! LPO's drift network needs a second step: at ratio 1 the drift and its slope vanish (relu
//! of a negative margin), so its one-step meta-gradient is exactly 0. Its model is theta'' =
//! theta' - alpha grad L(theta'; eta) at the epochs' second minibatch step, differentiated
//! forward in eta along a random direction u per agent and update; the outer step follows
//! the forward gradient (dJ/deta . u) u (Baydin et al. 2022).
//!
//! This file holds the config and the layouts the kernels share; `twin` the CPU twins.

use bytemuck::{Pod, Zeroable};
use serde::{Deserialize, Serialize};

use super::config::TrainConfig;
use super::objective::{Objective, OBJ_ENT_COEF, OBJ_GAE_LAMBDA, OBJ_GAMMA, OBJ_LR};
use crate::error::{Error, Result};
use crate::rng::{self, Key};
use crate::shader::const_prelude;

pub mod plan;
mod twin;
pub use twin::*;

/// A hyperparameter the meta-gradient can tune.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hyper {
    Gamma,
    GaeLambda,
    EntCoef,
    Lr,
}

pub const HYPERS: [Hyper; 4] = [Hyper::Gamma, Hyper::GaeLambda, Hyper::EntCoef, Hyper::Lr];

impl Hyper {
    /// Its index k (slot 1 + k of the directions, bit k of the mask).
    pub fn index(self) -> usize {
        self as usize
    }
    /// Its slot in the objective row.
    pub fn row_slot(self) -> usize {
        match self {
            Hyper::Gamma => OBJ_GAMMA,
            Hyper::GaeLambda => OBJ_GAE_LAMBDA,
            Hyper::EntCoef => OBJ_ENT_COEF,
            Hyper::Lr => OBJ_LR,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Hyper::Gamma => "gamma",
            Hyper::GaeLambda => "gae_lambda",
            Hyper::EntCoef => "ent_coef",
            Hyper::Lr => "lr",
        }
    }
    /// gamma and lambda move 1 - eta by e^t, the others eta itself.
    fn is_discount(self) -> bool {
        matches!(self, Hyper::Gamma | Hyper::GaeLambda)
    }
    /// eta from its log-scale factor t (twin of `eta_of`).
    pub fn eta(self, base: f32, t: f32) -> f32 {
        if self.is_discount() {
            (1.0 - (1.0 - base) * t.exp()).clamp(0.0, 1.0)
        } else {
            base * t.exp()
        }
    }
    /// d eta / d t: 0 where gamma or lambda is clamped to [0, 1].
    fn d_eta(self, base: f32, t: f32) -> f32 {
        let unclamped = 1.0 - (1.0 - base) * t.exp();
        if !self.is_discount() {
            base * t.exp()
        } else if (0.0..=1.0).contains(&unclamped) {
            -(1.0 - base) * t.exp()
        } else {
            0.0
        }
    }
    fn term(self) -> u32 {
        META_GAMMA + self as u32
    }
}

/// The `[meta_gradient]` table of a training config: tune these hyperparameters online.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetaGradient {
    /// Which of gamma, gae_lambda, ent_coef and lr to tune (none by default: name them;
    /// meta-training tunes all four unless this names some).
    pub learn: Vec<Hyper>,
    /// The outer Adam's step on each log-scale factor t.
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    /// Bound on |t|: eta stays within a factor e^max_log_scale of its start (of 1 - eta
    /// for gamma and lambda).
    pub max_log_scale: f32,
    /// J's fixed discount and GAE lambda.
    pub reference_gamma: f32,
    pub reference_gae_lambda: f32,
    /// One eta for all agents, their meta-gradients averaged (else one per agent).
    pub shared: bool,
    /// Also tune LPO's drift network (an objective with `drift_hidden` > 0): forward
    /// gradients through the second inner step, where the ratio has left 1.
    pub drift: bool,
    /// The outer Adam's step on each drift weight.
    pub drift_lr: f32,
    /// Meta-training: the drift weights start as N(0, drift_init^2) (at 0 exactly, their
    /// meta-gradient would vanish: g = v . tanh(W x) is flat in both at 0).
    pub drift_init: f32,
}

impl Default for MetaGradient {
    fn default() -> Self {
        MetaGradient {
            learn: Vec::new(),
            lr: 0.05,
            beta1: 0.9,
            beta2: 0.999,
            max_log_scale: 5.0,
            reference_gamma: 0.99,
            reference_gae_lambda: 1.0,
            shared: false,
            drift: false,
            drift_lr: 0.01,
            drift_init: 0.1,
        }
    }
}

impl MetaGradient {
    pub fn mask(&self) -> u32 {
        let drift = (self.drift as u32) << DRIFT;
        self.learn.iter().fold(drift, |m, h| m | 1 << h.index())
    }

    pub fn check(&self) -> Result<()> {
        let bad = |what: &str, why: String| {
            Err(Error::invalid(
                format!("config `meta_gradient.{what}`"),
                why,
            ))
        };
        if self.learn.is_empty() && !self.drift {
            return bad(
                "learn",
                "name at least one of gamma, gae_lambda, ent_coef, lr (or set drift)".into(),
            );
        }
        for (i, h) in self.learn.iter().enumerate() {
            if self.learn[..i].contains(h) {
                return bad("learn", format!("{} is named twice", h.name()));
            }
        }
        let positive = [
            ("lr", self.lr),
            ("max_log_scale", self.max_log_scale),
            ("drift_lr", self.drift_lr),
        ];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return bad(name, format!("{v} must be a finite number > 0"));
            }
        }
        let unit = [
            ("beta1", self.beta1),
            ("beta2", self.beta2),
            ("reference_gamma", self.reference_gamma),
            ("reference_gae_lambda", self.reference_gae_lambda),
        ];
        for (name, v) in unit {
            let open = name.starts_with("beta");
            if !(0.0..=1.0).contains(&v) || (open && v == 1.0) {
                return bad(
                    name,
                    format!("{v} is not in [0, 1{}", if open { ")" } else { "]" }),
                );
            }
        }
        Ok(())
    }
}

/// The tuned hyperparameters' values before any meta-gradient step: (name, value), as
/// `Trainer::tuned_hyperparameters` reports them (nothing without a meta-gradient).
pub fn starting_values(c: &TrainConfig) -> Vec<(String, f32)> {
    let row = Objective::default().row(c);
    c.meta_gradient
        .iter()
        .flat_map(|mg| &mg.learn)
        .map(|h| (h.name().to_string(), row[h.row_slot()]))
        .collect()
}

pub const META_VALIDATION: u32 = 1;
pub const META_GAMMA: u32 = 2;
pub const META_LAMBDA: u32 = 3;
pub const META_ENTROPY: u32 = 4;
pub const META_LR: u32 = 5;
pub const META_DRIFT: u32 = 6;
/// The drift's index among the meta-gradients (after the hyperparameters).
pub const DRIFT: usize = 4;

/// Floats per agent of the meta state, and per hyperparameter within it.
pub const META_STATE: usize = 30;
pub const META_SLOT: usize = 6;
/// Within a hyperparameter's slot: t, Adam's moments, d J / d eta, base, outer steps.
pub const SLOT_T: usize = 0;
pub const SLOT_GRAD: usize = 3;
pub const SLOT_BASE: usize = 4;
/// Direction slots per agent: grad J, then d theta' / d eta_k.
pub const DIRECTIONS: usize = 6;
/// The outer Adam's epsilon: meta-gradients are small (alpha times a dot product).
pub const OUTER_EPS: f32 = 1e-12;

/// Twin of WGSL `MetaGradConfig`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct MetaGradConfig {
    pub params: u32,
    pub actor_params: u32,
    pub log_std_offset: u32,
    pub log_std_len: u32,
    pub slot: u32,
    pub scale: f32,
    pub times_lr: u32,
    pub overwrite: u32,
    pub group: u32,
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub max_log_scale: f32,
    pub mask: u32,
    pub objective_stride: u32,
    pub key: Key,
    pub agents: u32,
    pub drift_params: u32,
}

/// WGSL constants of the meta-gradient's terms (`shaders/meta_gradient_loss.wgsl`, and
/// `ppo.wgsl`, which reads `pc.meta_term`).
pub fn terms_wgsl_consts() -> String {
    const_prelude(&[
        ("META_VALIDATION", META_VALIDATION),
        ("META_GAMMA", META_GAMMA),
        ("META_LAMBDA", META_LAMBDA),
        ("META_ENTROPY", META_ENTROPY),
        ("META_LR", META_LR),
        ("META_DRIFT", META_DRIFT),
    ])
}

/// WGSL constants of the outer kernels (`shaders/meta_gradient.wgsl`).
pub fn outer_wgsl_consts() -> String {
    let mut text = const_prelude(&[
        ("DIRECTIONS", DIRECTIONS as u32),
        ("META_STATE", META_STATE as u32),
        ("DRIFT", DRIFT as u32),
        ("META_SLOT", META_SLOT as u32),
    ]);
    text.push_str(&crate::learn::objective::wgsl_slots());
    text
}

/// Key of the drift directions u of update `update`; agents fold in their index.
pub fn drift_key(seed: u32, update: u32) -> Key {
    rng::fold(rng::fold(rng::key(seed), 10), update)
}

/// One agent's initial meta state: t = 0 from the row's hyperparameters.
pub fn initial_state(row: &[f32]) -> [f32; META_STATE] {
    let mut s = [0.0; META_STATE];
    for h in HYPERS {
        s[h.index() * META_SLOT + SLOT_BASE] = row[h.row_slot()];
    }
    s
}
