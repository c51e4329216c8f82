//! `TrainConfig`: every setting of a training run, read from TOML. Unknown keys are an
//! error; every field has a default, and [`TrainConfig::for_env`] picks per-env defaults.

use std::collections::BTreeMap;

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
    /// A sweep: keys of [`SWEEPABLE`] with a list of values each (a config file gives
    /// `lr = [1e-3, 3e-3]`); agent a trains with setting a mod n, every list of length n.
    /// The plain key holds setting 0.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sweep: BTreeMap<String, Vec<f32>>,
}

/// The hyperparameters each agent holds in its own objective row, and so may sweep.
pub const SWEEPABLE: [&str; 5] = ["lr", "gamma", "gae_lambda", "clip", "ent_coef"];

/// Keys of a train config file that describe the run rather than the learner.
pub const RUN_KEYS: [&str; 2] = ["env", "agents"];

/// A train config file's `env` and `agents` keys, if given, and the rest of it.
pub fn split_run_keys(text: &str) -> Result<(Option<String>, Option<u32>, toml::Table)> {
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| Error::invalid("config", e.to_string()))?;
    let env = match table.remove("env") {
        None => None,
        Some(toml::Value::String(id)) => Some(id),
        Some(other) => {
            return Err(Error::invalid(
                "config `env`",
                format!("{other} is not an env id string such as \"CartPole-v1\""),
            ))
        }
    };
    let agents = match table.remove("agents") {
        None => None,
        Some(toml::Value::Integer(n)) if (1..=u32::MAX as i64).contains(&n) => Some(n as u32),
        Some(other) => {
            return Err(Error::invalid(
                "config `agents`",
                format!("{other} is not a whole number of at least 1"),
            ))
        }
    };
    Ok((env, agents, table))
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
            sweep: BTreeMap::new(),
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

    /// Per-env defaults overlaid with the keys of a TOML file (unknown keys are errors;
    /// the run keys `env` and `agents` are read by [`split_run_keys`] and refused here).
    pub fn from_toml(env_id: &str, text: &str) -> Result<TrainConfig> {
        let given: toml::Table =
            toml::from_str(text).map_err(|e| Error::invalid("config", e.to_string()))?;
        TrainConfig::from_table(env_id, given)
    }

    /// [`TrainConfig::from_toml`] of a parsed table; a list given for a key of
    /// [`SWEEPABLE`] is a sweep.
    pub fn from_table(env_id: &str, mut given: toml::Table) -> Result<TrainConfig> {
        let defaults = toml::Value::try_from(TrainConfig::for_env(env_id))
            .map_err(|e| Error::invalid("config", e.to_string()))?;
        let mut sweep = toml::Table::new();
        for key in SWEEPABLE {
            if let Some(toml::Value::Array(values)) = given.get(key) {
                let first = values.first().cloned().ok_or_else(|| {
                    Error::invalid(
                        format!("config `{key}`"),
                        "a sweep needs at least one value",
                    )
                })?;
                sweep.insert(key.to_string(), toml::Value::Array(values.clone()));
                given.insert(key.to_string(), first);
            }
        }
        if !sweep.is_empty() {
            given.insert("sweep".into(), toml::Value::Table(sweep));
        }
        let merged = merge(defaults, toml::Value::Table(given));
        let config: TrainConfig = merged
            .try_into()
            .map_err(|e: toml::de::Error| Error::invalid("config", e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// The config as a file [`TrainConfig::from_toml`] reads back: a sweep's keys as lists.
    pub fn to_toml(&self) -> String {
        let mut table = toml::Table::try_from(self).expect("a TrainConfig always serialises");
        if let Some(toml::Value::Table(sweep)) = table.remove("sweep") {
            table.extend(sweep);
        }
        let table = shortest_floats(toml::Value::Table(table));
        toml::to_string(&table).expect("a table always serialises")
    }

    /// A run's config file: its env and agent count, then [`TrainConfig::to_toml`].
    pub fn run_toml(&self, env_id: &str, agents: u32) -> String {
        format!("env = \"{env_id}\"\nagents = {agents}\n{}", self.to_toml())
    }

    /// Settings of the sweep (1 without one).
    pub fn settings(&self) -> usize {
        self.sweep.values().map(Vec::len).max().unwrap_or(1)
    }

    /// The config of setting `k` of the sweep: its values in the plain keys.
    pub fn setting(&self, k: usize) -> TrainConfig {
        let mut c = self.clone();
        for (key, values) in &self.sweep {
            let v = values[k % values.len()];
            match key.as_str() {
                "lr" => c.lr = v,
                "gamma" => c.gamma = v,
                "gae_lambda" => c.gae_lambda = v,
                "clip" => c.clip = v,
                "ent_coef" => c.ent_coef = v,
                _ => unreachable!("check() admits only SWEEPABLE keys"),
            }
        }
        c
    }

    /// Each setting of the sweep in words, e.g. "lr=0.001" (empty without a sweep).
    pub fn setting_labels(&self) -> Vec<String> {
        if self.sweep.is_empty() {
            return Vec::new();
        }
        (0..self.settings())
            .map(|k| {
                self.sweep
                    .iter()
                    .map(|(key, values)| format!("{key}={}", values[k]))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect()
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
        self.check_sweep()
    }

    fn check_sweep(&self) -> Result<()> {
        for key in self.sweep.keys() {
            if !SWEEPABLE.contains(&key.as_str()) {
                return Err(Error::invalid(
                    format!("config `{key}`"),
                    format!(
                        "cannot be swept: each agent holds only {} in its own row",
                        SWEEPABLE.join(", ")
                    ),
                ));
            }
        }
        let mut lists = self.sweep.iter();
        if let Some((first, values)) = lists.next() {
            if let Some((other, o)) = lists.find(|(_, o)| o.len() != values.len()) {
                return Err(Error::invalid(
                    "config sweep",
                    format!(
                        "`{first}` has {} values and `{other}` {}; a sweep's lists need one length",
                        values.len(),
                        o.len()
                    ),
                ));
            }
        }
        if self.sweep.is_empty() {
            return Ok(());
        }
        for k in 0..self.settings() {
            let mut c = self.setting(k);
            c.sweep.clear();
            c.check()?;
        }
        Ok(())
    }
}

/// Every float (an f32 of the config, widened) written with the digits its f32 needs:
/// 0.9, not 0.8999999761581421.
pub(crate) fn shortest_floats(value: toml::Value) -> toml::Value {
    match value {
        toml::Value::Float(f) => toml::Value::Float((f as f32).to_string().parse().unwrap_or(f)),
        toml::Value::Array(a) => toml::Value::Array(a.into_iter().map(shortest_floats).collect()),
        toml::Value::Table(t) => toml::Value::Table(
            t.into_iter()
                .map(|(k, v)| (k, shortest_floats(v)))
                .collect(),
        ),
        other => other,
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
