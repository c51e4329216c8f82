//! The meta-gradient's part of a training update, bound only when a run configures one:
//! finishing the previous update's meta-gradient on the new rollout and stepping eta,
//! then starting this update's (GAE tangents, the surrogate passes, the drift pass in the
//! epoch loop). It owns the tangents, directions and outer states, their module and
//! their checkpoint sections, and plans through the network, the algorithm and the
//! optimizer.

use super::{
    drift_key, MetaGradConfig, MetaGradient, DIRECTIONS, DRIFT, HYPERS, META_DRIFT, META_GAMMA,
    META_LR, META_STATE, META_VALIDATION, OUTER_EPS,
};
use crate::error::Result;
use crate::learn::config::TrainConfig;
use crate::learn::network::{log_std_gradient, Nets, PolicyNetwork};
use crate::learn::objective::Objective;
use crate::learn::ppo::PpoConfig;
use crate::learn::trainer::algo::{permutation_key, Algo};
use crate::learn::trainer::dispatch::{Bindings, Buf, BufferSpec, Dispatch, Kernel, Shape, WG};
use crate::learn::trainer::optim::Optim;
use crate::rng;
use crate::shader::{Composed, Part, RNG_WGSL};

const META_GRADIENT_WGSL: &str = include_str!("../../../shaders/meta_gradient.wgsl");

/// The outer kernels' bindings (`shaders/meta_gradient.wgsl`).
pub const META_BINDINGS: Bindings = Bindings {
    config: ("mc", "MetaGradConfig"),
    buffers: &[
        (Buf::Grads, "grads", "array<f32>"),
        (Buf::Directions, "directions", "array<f32>"),
        (Buf::MetaState, "meta_state", "array<f32>"),
        (Buf::Objective, "objective", "array<f32>"),
        (Buf::DriftState, "drift_state", "array<f32>"),
    ],
};

/// What the meta-gradient's plans need besides the other parts.
pub struct MetaGradientPasses {
    pub mg: MetaGradient,
    shape: Shape,
    objective: Objective,
    /// The network's weights per agent, the actor's, and its Gaussian head's place.
    params: u32,
    actor_params: u32,
    log_std_offset: u32,
    log_std_len: u32,
}

/// The update being planned.
#[derive(Clone, Copy)]
pub struct Step<'a> {
    pub config: &'a TrainConfig,
    pub update: u32,
    pub lr_scale: f32,
}

/// The parts the meta-gradient plans through.
#[derive(Clone, Copy)]
pub struct Parts<'a> {
    pub net: &'a dyn PolicyNetwork,
    pub algo: &'a Algo,
    pub optim: &'a Optim,
}

impl MetaGradientPasses {
    pub fn new(
        mg: MetaGradient,
        shape: Shape,
        objective: Objective,
        net: &dyn PolicyNetwork,
    ) -> MetaGradientPasses {
        MetaGradientPasses {
            mg,
            shape,
            objective,
            params: net.params(),
            actor_params: net.critic_offset(),
            log_std_offset: net.log_std_offset(),
            log_std_len: net.action_dim(),
        }
    }

    /// Weights of the drift network it tunes (0 if none).
    pub fn drift_params(&self) -> usize {
        if self.mg.drift {
            self.objective.drift_params()
        } else {
            0
        }
    }

    pub fn buffers(&self) -> Vec<BufferSpec> {
        let a = self.shape.agents as usize;
        let (n, p) = (self.shape.samples() as usize, self.params as usize);
        vec![
            BufferSpec::new(Buf::Tangents, a * n * 2, "the advantage tangents"),
            BufferSpec::new(
                Buf::Directions,
                a * DIRECTIONS * p,
                "the meta-gradient directions",
            ),
            BufferSpec::new(Buf::MetaState, a * META_STATE, "the meta state"),
            BufferSpec::new(
                Buf::DriftState,
                (a * 3 * self.drift_params()).max(1),
                "the drift's meta-gradient state",
            ),
        ]
    }

    /// The buffers a checkpoint holds, by section name.
    pub fn checkpoint_buffers(&self) -> Vec<(&'static str, Buf)> {
        vec![
            ("meta_state", Buf::MetaState),
            ("meta_directions", Buf::Directions),
            ("drift_state", Buf::DriftState),
        ]
    }

    pub fn module() -> Result<Composed> {
        Composed::new(&[
            Part::new(
                "<generated prelude>",
                rng::wgsl_prelude() + &super::outer_wgsl_consts(),
            ),
            Part::new("<generated bindings>", META_BINDINGS.wgsl()),
            Part::new(RNG_WGSL.0, RNG_WGSL.1),
            Part::new("shaders/meta_gradient.wgsl", META_GRADIENT_WGSL),
        ])
    }

    /// The dispatches before the epochs: with a previous update to finish (any update
    /// after a lifetime's first, or if `finish`), GAE at the reference values, grad J,
    /// the dot products and the outer steps; then this update's drift direction, GAE and
    /// its tangents, and the directions of every tuned hyperparameter.
    pub fn before_epochs(
        &self,
        parts: Parts,
        step: Step,
        ppo_cfg: PpoConfig,
        finish: bool,
        plan: &mut Vec<Dispatch>,
    ) {
        let a = self.shape.agents;
        let mg = &self.mg;
        if step.update > 0 || finish {
            let validation = PpoConfig {
                meta_term: META_VALIDATION,
                ..ppo_cfg
            };
            parts.algo.gae(&validation, plan);
            self.passes(parts, step, validation, &[META_VALIDATION], 0.0, plan);
            let cfg = self.config();
            let dot = [HYPERS.len() as u32 + mg.drift as u32, a, 1];
            plan.push(Dispatch::new(
                Kernel::MetaDot,
                &META_BINDINGS.bufs(),
                dot,
                &cfg,
            ));
            let groups = [(a / cfg.group).div_ceil(WG), HYPERS.len() as u32, 1];
            plan.push(Dispatch::new(
                Kernel::OuterAdam,
                &META_BINDINGS.bufs(),
                groups,
                &cfg,
            ));
            if mg.drift {
                let drift = MetaGradConfig {
                    lr: mg.drift_lr,
                    ..cfg
                };
                let per_weight = [cfg.drift_params.div_ceil(WG), a / cfg.group, 1];
                plan.push(Dispatch::new(
                    Kernel::OuterDrift,
                    &META_BINDINGS.bufs(),
                    per_weight,
                    &drift,
                ));
            }
        }
        if mg.drift {
            let cfg = MetaGradConfig {
                key: drift_key(step.config.seed, step.update),
                ..self.config()
            };
            let per_weight = [cfg.drift_params.div_ceil(WG), 1, a];
            plan.push(Dispatch::new(
                Kernel::DrawDriftDirection,
                &META_BINDINGS.bufs(),
                per_weight,
                &cfg,
            ));
        }
        parts.algo.gae(&ppo_cfg, plan);
        parts.algo.gae_tangents(&ppo_cfg, plan);
        let terms: Vec<u32> = mg
            .learn
            .iter()
            .map(|h| META_GAMMA + h.index() as u32)
            .collect();
        let tangents = PpoConfig {
            meta_term: META_GAMMA,
            ..ppo_cfg
        };
        self.passes(parts, step, tangents, &terms, step.lr_scale, plan);
    }

    fn config(&self) -> MetaGradConfig {
        let mg = &self.mg;
        MetaGradConfig {
            params: self.params,
            actor_params: self.actor_params,
            log_std_offset: self.log_std_offset,
            log_std_len: self.log_std_len,
            group: if mg.shared { self.shape.agents } else { 1 },
            lr: mg.lr,
            beta1: mg.beta1,
            beta2: mg.beta2,
            eps: OUTER_EPS,
            max_log_scale: mg.max_log_scale,
            mask: mg.mask(),
            objective_stride: self.objective.stride() as u32,
            agents: self.shape.agents,
            drift_params: self.drift_params() as u32,
            ..MetaGradConfig::default()
        }
    }

    /// Whether the drift pass goes at minibatch step `step` of the epochs.
    pub fn drift_at(&self, step: u32) -> bool {
        step == 1 && self.mg.drift
    }

    /// The drift's direction d theta'' / d eta . u at the second minibatch step (where the
    /// ratio has left 1 and the drift acts; theta'' = theta' - alpha grad L(theta'; eta)),
    /// into direction slot 1 + DRIFT: the backward pass of `meta_loss(META_DRIFT)` on the
    /// minibatch forwarded for that step.
    pub fn drift_pass(&self, parts: Parts, step: Step, cfg: PpoConfig, plan: &mut Vec<Dispatch>) {
        let cfg = PpoConfig {
            meta_term: META_DRIFT,
            ..cfg
        };
        let acc = MetaGradConfig {
            slot: 1 + DRIFT as u32,
            scale: -step.lr_scale,
            times_lr: 1,
            overwrite: 1,
            ..self.config()
        };
        self.surrogate_gradient(parts, step.config, cfg, acc, plan);
    }

    /// The gradient of `meta_loss(cfg.meta_term)` on the forwarded minibatch (actor only),
    /// summed into the direction slot `acc` says, times its scale.
    fn surrogate_gradient(
        &self,
        parts: Parts,
        c: &TrainConfig,
        cfg: PpoConfig,
        acc: MetaGradConfig,
        plan: &mut Vec<Dispatch>,
    ) {
        let p = self.params;
        parts.algo.meta_loss(&cfg, plan);
        parts.net.backward(&self.shape, Nets::Actor, plan);
        log_std_gradient(parts.net, &self.shape, plan);
        // The chunks summed as the optimizer sums them (the config's step is unused).
        parts.optim.sum_chunks(&parts.optim.config(c, 1.0, 1), plan);
        let per_param = [p.div_ceil(WG), 1, self.shape.agents];
        plan.push(Dispatch::new(
            Kernel::Accumulate,
            &META_BINDINGS.bufs(),
            per_param,
            &acc,
        ));
    }

    /// The surrogate gradients of `terms` over the first epoch's minibatches at the
    /// current weights, each summed into its direction slot: grad J (validation, slot 0)
    /// or d theta' / d eta_k = -alpha grad (dL / d eta_k) (slot 1 + k, alpha the agent's
    /// learning rate times `lr_scale`). `cfg.meta_term` tells gather which sums to make.
    fn passes(
        &self,
        parts: Parts,
        step: Step,
        cfg: PpoConfig,
        terms: &[u32],
        lr_scale: f32,
        plan: &mut Vec<Dispatch>,
    ) {
        let c = step.config;
        let m = self.shape.minibatch;
        let mut cfg = PpoConfig {
            key: permutation_key(c.seed, step.update, 0),
            ..cfg
        };
        let b = c.minibatches as f32;
        for minibatch in 0..c.minibatches {
            cfg.first = minibatch * m;
            parts.algo.gather(&cfg, cfg.meta_term >= META_GAMMA, plan);
            parts.net.forward(&self.shape, Nets::Actor, plan);
            for &term in terms {
                let term_cfg = PpoConfig {
                    meta_term: term,
                    ..cfg
                };
                let validation = term == META_VALIDATION;
                let acc = MetaGradConfig {
                    slot: if validation { 0 } else { term - META_GAMMA + 1 },
                    scale: if validation { -1.0 / b } else { -lr_scale / b },
                    // d theta' / d eta = -alpha d(grad L)/d eta, but -lr_scale grad L for
                    // alpha itself.
                    times_lr: (!validation && term != META_LR) as u32,
                    overwrite: (minibatch == 0) as u32,
                    ..self.config()
                };
                self.surrogate_gradient(parts, c, term_cfg, acc, plan);
            }
        }
    }
}
