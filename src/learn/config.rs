//! `TrainConfig`: every setting of a training run, read from TOML. Unknown keys are an
//! error; every field has a default, and [`TrainConfig::for_env`] picks per-env defaults.

use serde::{Deserialize, Serialize};

use super::meta_gradient::MetaGradient;
use super::net::Activation;
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    /// Clipped surrogate, value clipping, several epochs of minibatches.
    Ppo,
    /// Advantage actor-critic: the policy gradient of the same kernels, no ratio or
    /// clipping (set `epochs = 1`, `minibatches = 1` for the textbook algorithm).
    A2c,
}

/// The inner optimizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    Adam,
    /// Plain gradient steps (`lr` times the clipped gradient): the inner update the
    /// meta-gradient models exactly.
    Sgd,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// Hidden widths of the actor and of the critic (separate networks).
    pub hidden: Vec<u32>,
    pub activation: Activation,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            hidden: vec![64, 64],
            activation: Activation::Tanh,
        }
    }
}

/// Defaults follow PureJaxRL's PPO (Lu et al. 2022) where it has one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    pub algo: Algo,
    /// Seed of agent 0; agent a draws from its own streams of the same root.
    pub seed: u32,
    /// Envs per agent.
    pub envs: u32,
    /// Rollout length per update.
    pub steps: u32,
    /// Updates to run.
    pub updates: u32,
    pub epochs: u32,
    pub minibatches: u32,
    pub lr: f32,
    /// Decay the learning rate linearly to 0 over the run.
    pub anneal_lr: bool,
    pub gamma: f32,
    pub gae_lambda: f32,
    /// Rewards are multiplied by this for the advantages and value targets (Brax's
    /// `reward_scaling`): Meta-World-style rewards of up to 10 per step make returns of
    /// hundreds otherwise. Reported returns stay unscaled.
    pub reward_scale: f32,
    pub clip: f32,
    /// 0: no value clipping.
    pub value_clip: f32,
    pub vf_coef: f32,
    pub ent_coef: f32,
    /// 0: no clipping.
    pub max_grad_norm: f32,
    pub normalize_advantages: bool,
    pub adam_beta1: f32,
    pub adam_beta2: f32,
    pub adam_eps: f32,
    pub optimizer: Optimizer,
    /// Read statistics back (and check for NaN) every this many updates.
    pub log_every: u32,
    /// Write a checkpoint every this many updates (and at the end); 0: only at the end.
    pub checkpoint_every: u32,
    pub network: NetworkConfig,
    /// Tune hyperparameters online by meta-gradients (absent: they stay fixed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_gradient: Option<MetaGradient>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            algo: Algo::Ppo,
            seed: 0,
            envs: 4096,
            steps: 128,
            updates: 100,
            epochs: 4,
            minibatches: 4,
            lr: 2.5e-4,
            anneal_lr: true,
            gamma: 0.99,
            gae_lambda: 0.95,
            reward_scale: 1.0,
            clip: 0.2,
            value_clip: 0.2,
            vf_coef: 0.5,
            ent_coef: 0.01,
            max_grad_norm: 0.5,
            normalize_advantages: true,
            adam_beta1: 0.9,
            adam_beta2: 0.999,
            adam_eps: 1e-5,
            optimizer: Optimizer::Adam,
            log_every: 1,
            checkpoint_every: 10,
            network: NetworkConfig::default(),
            meta_gradient: None,
        }
    }
}

impl TrainConfig {
    /// Defaults that learn on `env_id` in a short run on a CPU adapter: the env's own
    /// [`crate::env::EnvKernel::train_defaults`] (generic ones for an unknown id, which
    /// fails later with the list of known ids).
    pub fn for_env(env_id: &str) -> TrainConfig {
        match crate::envs::make(env_id) {
            Ok(env) => env.train_defaults(),
            Err(_) => TrainConfig::generic_env_defaults(),
        }
    }

    /// Defaults for an env that ships none of its own.
    pub fn generic_env_defaults() -> TrainConfig {
        TrainConfig {
            envs: 512,
            steps: 128,
            updates: 60,
            lr: 1e-3,
            ..TrainConfig::default()
        }
    }

    /// Per-env defaults overlaid with the keys of a TOML file (unknown keys are errors).
    pub fn from_toml(env_id: &str, text: &str) -> Result<TrainConfig> {
        let defaults = toml::Value::try_from(TrainConfig::for_env(env_id))
            .map_err(|e| Error::invalid("config", e.to_string()))?;
        let given: toml::Value =
            toml::from_str(text).map_err(|e| Error::invalid("config", e.to_string()))?;
        let merged = merge(defaults, given);
        let config: TrainConfig = merged
            .try_into()
            .map_err(|e: toml::de::Error| Error::invalid("config", e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a TrainConfig always serialises")
    }

    /// Samples per agent per update.
    pub fn samples(&self) -> u32 {
        self.envs * self.steps
    }

    pub fn minibatch(&self) -> u32 {
        self.samples() / self.minibatches
    }

    pub fn check(&self) -> Result<()> {
        let bad = |what: &str, why: String| Err(Error::invalid(format!("config `{what}`"), why));
        let positive = [
            ("envs", self.envs),
            ("steps", self.steps),
            ("updates", self.updates),
            ("epochs", self.epochs),
            ("minibatches", self.minibatches),
            ("log_every", self.log_every),
        ];
        for (name, v) in positive {
            if v == 0 {
                return bad(name, "must be at least 1".into());
            }
        }
        if self
            .envs
            .checked_mul(self.steps)
            .is_none_or(|n| n >= 1 << 30)
        {
            return bad(
                "envs",
                format!("envs x steps = {} x {} is too large", self.envs, self.steps),
            );
        }
        if !self.samples().is_multiple_of(self.minibatches) {
            return bad(
                "minibatches",
                format!(
                    "{} must divide envs x steps = {}",
                    self.minibatches,
                    self.samples()
                ),
            );
        }
        let unit = [
            ("gamma", self.gamma),
            ("gae_lambda", self.gae_lambda),
            ("adam_beta1", self.adam_beta1),
            ("adam_beta2", self.adam_beta2),
        ];
        for (name, v) in unit {
            if !(0.0..=1.0).contains(&v) || (name.starts_with("adam") && v == 1.0) {
                return bad(name, format!("{v} is not in [0, 1)"));
            }
        }
        let non_negative = [
            ("lr", self.lr),
            ("clip", self.clip),
            ("value_clip", self.value_clip),
            ("vf_coef", self.vf_coef),
            ("ent_coef", self.ent_coef),
            ("max_grad_norm", self.max_grad_norm),
            ("adam_eps", self.adam_eps),
        ];
        for (name, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return bad(name, format!("{v} must be a finite number >= 0"));
            }
        }
        if !(self.reward_scale.is_finite() && self.reward_scale > 0.0) {
            return bad(
                "reward_scale",
                format!("{} must be a finite number > 0", self.reward_scale),
            );
        }
        if self.network.hidden.is_empty() {
            return bad("network.hidden", "give at least one hidden layer".into());
        }
        if let Some(mg) = &self.meta_gradient {
            mg.check()?;
        }
        Ok(())
    }
}

/// `base` with the keys of `over` replaced, tables merged key by key.
pub(crate) fn merge(base: toml::Value, over: toml::Value) -> toml::Value {
    match (base, over) {
        (toml::Value::Table(mut b), toml::Value::Table(o)) => {
            for (k, v) in o {
                let merged = match b.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                b.insert(k, merged);
            }
            toml::Value::Table(b)
        }
        (_, o) => o,
    }
}
