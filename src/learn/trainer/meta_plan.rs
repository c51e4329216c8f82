//! The meta-gradient's part of a training update (`learn::meta_gradient`): finishing the
//! previous update's meta-gradient on the new rollout and stepping eta, then starting this
//! update's (GAE tangents, the surrogate passes, the drift pass in the epoch loop), and the
//! readbacks of its state.

use super::*;

impl Trainer {
    /// The meta-gradient's dispatches before the epochs: with a previous update to finish
    /// (any update after a lifetime's first, or if `finish`), GAE at the reference values,
    /// grad J, the dot products and the outer steps; then this update's drift direction,
    /// GAE and its tangents, and the directions of every tuned hyperparameter.
    pub(super) fn meta_gradient_plan(
        &self,
        plan: &mut Vec<Dispatch>,
        mg: &MetaGradient,
        ppo_cfg: PpoConfig,
        finish: bool,
    ) {
        let c = &self.config;
        let (a, e) = (self.agents, c.envs);
        let update = self.progress.update;
        let lr_scale = lr_schedule(c, update);
        let per_env = [e.div_ceil(WG), a, 1];
        if update > 0 || finish {
            let validation = PpoConfig {
                meta_term: META_VALIDATION,
                ..ppo_cfg
            };
            plan.push(Dispatch::new(Kernel::Gae, &PPO_BINDS, per_env, &validation));
            self.meta_passes(plan, validation, &[META_VALIDATION], 0.0);
            let cfg = self.meta_config(mg);
            let dot = [HYPERS.len() as u32 + mg.drift as u32, a, 1];
            plan.push(Dispatch::new(Kernel::MetaDot, &META_BINDS, dot, &cfg));
            let groups = [(a / cfg.group).div_ceil(WG), HYPERS.len() as u32, 1];
            plan.push(Dispatch::new(Kernel::OuterAdam, &META_BINDS, groups, &cfg));
            if mg.drift {
                let drift = MetaGradConfig {
                    lr: mg.drift_lr,
                    ..cfg
                };
                let per_weight = [cfg.drift_params.div_ceil(WG), a / cfg.group, 1];
                plan.push(Dispatch::new(
                    Kernel::OuterDrift,
                    &META_BINDS,
                    per_weight,
                    &drift,
                ));
            }
        }
        if mg.drift {
            let cfg = MetaGradConfig {
                key: meta_gradient::drift_key(c.seed, update),
                ..self.meta_config(mg)
            };
            let per_weight = [cfg.drift_params.div_ceil(WG), 1, a];
            plan.push(Dispatch::new(
                Kernel::DrawDriftDirection,
                &META_BINDS,
                per_weight,
                &cfg,
            ));
        }
        plan.push(Dispatch::new(Kernel::Gae, &PPO_BINDS, per_env, &ppo_cfg));
        plan.push(Dispatch::new(
            Kernel::GaeTangents,
            &PPO_BINDS,
            per_env,
            &ppo_cfg,
        ));
        let terms: Vec<u32> = mg
            .learn
            .iter()
            .map(|h| META_GAMMA + h.index() as u32)
            .collect();
        let tangents = PpoConfig {
            meta_term: META_GAMMA,
            ..ppo_cfg
        };
        self.meta_passes(plan, tangents, &terms, lr_scale);
    }

    pub(super) fn meta_config(&self, mg: &MetaGradient) -> MetaGradConfig {
        MetaGradConfig {
            params: self.net.params(),
            actor_params: self.net.critic_offset(),
            log_std_offset: self.net.log_std_offset(),
            log_std_len: self.net.action_dim,
            group: if mg.shared { self.agents } else { 1 },
            lr: mg.lr,
            beta1: mg.beta1,
            beta2: mg.beta2,
            eps: OUTER_EPS,
            max_log_scale: mg.max_log_scale,
            mask: mg.mask(),
            objective_stride: self.objective.stride() as u32,
            agents: self.agents,
            drift_params: self.drift_meta_params() as u32,
            ..MetaGradConfig::default()
        }
    }

    /// The drift's direction d theta'' / d eta . u at the second minibatch step (where the
    /// ratio has left 1 and the drift acts; theta'' = theta' - alpha grad L(theta'; eta)),
    /// into direction slot 1 + DRIFT: the backward pass of `meta_loss(META_DRIFT)` on the
    /// minibatch forwarded for that step.
    pub(super) fn drift_pass(&self, plan: &mut Vec<Dispatch>, cfg: PpoConfig, lr_scale: f32) {
        let mg = self
            .config
            .meta_gradient
            .as_ref()
            .expect("a meta-gradient config");
        let cfg = PpoConfig {
            meta_term: META_DRIFT,
            ..cfg
        };
        let acc = MetaGradConfig {
            slot: 1 + DRIFT as u32,
            scale: -lr_scale,
            times_lr: 1,
            overwrite: 1,
            ..self.meta_config(mg)
        };
        self.surrogate_gradient(plan, cfg, acc);
    }

    /// The gradient of `meta_loss(cfg.meta_term)` on the forwarded minibatch (actor only),
    /// summed into the direction slot `acc` says, times its scale.
    pub(super) fn surrogate_gradient(
        &self,
        plan: &mut Vec<Dispatch>,
        cfg: PpoConfig,
        acc: MetaGradConfig,
    ) {
        let (a, m, p) = (self.agents, self.minibatch(), self.net.params());
        let samples = [m.div_ceil(WG), 1, a];
        plan.push(Dispatch::new(Kernel::MetaLoss, &PPO_BINDS, samples, &cfg));
        self.backward(0, plan);
        self.log_std_sums(plan);
        let per_param = [p.div_ceil(WG), 1, a];
        let adam = self.adam_config(1.0, 1);
        plan.push(Dispatch::new(
            Kernel::SumChunks,
            &ADAM_BINDS,
            per_param,
            &adam,
        ));
        plan.push(Dispatch::new(
            Kernel::Accumulate,
            &META_BINDS,
            per_param,
            &acc,
        ));
    }

    /// Weights of the drift network a meta-gradient tunes (0 if none).
    pub(super) fn drift_meta_params(&self) -> usize {
        match &self.config.meta_gradient {
            Some(mg) if mg.drift => self.objective.drift_params(),
            _ => 0,
        }
    }

    /// The surrogate gradients of `terms` over the first epoch's minibatches at the
    /// current weights, each summed into its direction slot: grad J (validation, slot 0)
    /// or d theta' / d eta_k = -alpha grad (dL / d eta_k) (slot 1 + k, alpha the agent's
    /// learning rate times `lr_scale`). `cfg.meta_term` tells gather which sums to make.
    pub(super) fn meta_passes(
        &self,
        plan: &mut Vec<Dispatch>,
        cfg: PpoConfig,
        terms: &[u32],
        lr_scale: f32,
    ) {
        let c = &self.config;
        let (a, m) = (self.agents, self.minibatch());
        let mg = c.meta_gradient.as_ref().expect("a meta-gradient config");
        let mut cfg = PpoConfig {
            key: permutation_key(c.seed, self.progress.update, 0),
            ..cfg
        };
        let samples = [m.div_ceil(WG), 1, a];
        let b = c.minibatches as f32;
        for minibatch in 0..c.minibatches {
            cfg.first = minibatch * m;
            plan.push(Dispatch::new(Kernel::Gather, &PPO_BINDS, samples, &cfg));
            let moments = ReduceConfig::new(m, TERM_ADV, m * TERMS, TERMS, 0, SCRATCH);
            plan.push(column_sums(Buf::Terms, Buf::Scratch, 2, a, moments));
            if cfg.meta_term >= META_GAMMA {
                let sums = ReduceConfig::new(m, 0, m * TERMS, TERMS, SCRATCH_TANGENT_SUMS, SCRATCH);
                plan.push(column_sums(Buf::Terms, Buf::Scratch, 4, a, sums));
            }
            self.forward(0, plan);
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
                    ..self.meta_config(mg)
                };
                self.surrogate_gradient(plan, term_cfg, acc);
            }
        }
    }

    /// The hyperparameters a meta-gradient tunes, with their means over agents (reads the
    /// objective rows back; nothing without a meta-gradient).
    pub fn tuned_hyperparameters(&self) -> Result<Vec<(String, f32)>> {
        let Some(mg) = &self.config.meta_gradient else {
            return Ok(Vec::new());
        };
        let rows = self.objective_rows()?;
        let stride = self.objective.stride();
        Ok(mg
            .learn
            .iter()
            .map(|h| {
                let sum: f32 = rows.chunks(stride).map(|r| r[h.row_slot()]).sum();
                (h.name().to_string(), sum / self.agents as f32)
            })
            .collect())
    }

    /// Replace the meta-gradient's state, [agent][META_STATE].
    pub fn set_meta_state(&mut self, state: &[f32]) -> Result<()> {
        self.buffers[&Buf::MetaState].write(&self.gpu, state)
    }

    /// The meta-gradient's state, [agent][META_STATE] (reads it back).
    pub fn meta_state(&self) -> Result<Vec<f32>> {
        self.buffers[&Buf::MetaState].read(&self.gpu)
    }

    /// grad J and d theta' / d eta_k of the last update, [agent][DIRECTIONS][params] (reads them
    /// back).
    pub fn meta_directions(&self) -> Result<Vec<f32>> {
        self.buffers[&Buf::Directions].read(&self.gpu)
    }

    /// Replace the drift's direction and outer Adam moments, [agent][3][drift weights].
    pub fn set_drift_state(&mut self, state: &[f32]) -> Result<()> {
        self.buffers[&Buf::DriftState].write(&self.gpu, state)
    }

    /// The drift's direction u and outer Adam moments, [agent][3][drift weights] (reads
    /// them back).
    pub fn drift_state(&self) -> Result<Vec<f32>> {
        self.buffers[&Buf::DriftState].read(&self.gpu)
    }

    /// The last update's advantage tangents, [agent][env][step][2] (reads them back).
    pub fn advantage_tangents(&self) -> Result<Vec<f32>> {
        self.buffers[&Buf::Tangents].read(&self.gpu)
    }
}
