//! `MetaConfig`: every setting of a meta-training run (TOML; unknown keys are errors), with
//! per-env defaults that show a result on a CPU adapter in minutes.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::es::{EsConfig, Strategy};
use crate::learn::meta_gradient::HYPERS;
use crate::learn::objective::{Objective, HYPERPARAMETERS};
use crate::learn::TrainConfig;

/// What the outer loop learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Learn {
    /// LPO's drift network (temporally aware): a learned policy-optimisation objective.
    Drift,
    /// log-scale factors of the inner learning rate, discount, GAE lambda, clip and
    /// entropy weight.
    Hyperparameters,
    /// Both, the hyperparameters first.
    Both,
}

/// The outer optimizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// An evolution strategy over the population of inner learners (`es`).
    Es,
    /// Meta-gradients (`inner.meta_gradient`): one eta shared by `agents` inner agents on
    /// their own tasks, stepped online after every inner update by their mean
    /// meta-gradient, carried from lifetime to lifetime.
    MetaGrad,
}

/// The env of the default config.
pub const DEFAULT_ENV: &str = "BernoulliBandit-5arm";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetaConfig {
    /// The env whose task distribution the inner learners train on (`wgym envs`).
    pub env: String,
    pub method: Method,
    pub learn: Learn,
    /// Hidden units of the drift network.
    pub drift_hidden: u32,
    pub generations: u32,
    /// Inner updates per lifetime, drawn uniformly from [min, max] each generation (every
    /// member of a generation lives as long).
    pub lifetime: [u32; 2],
    /// Inner agents per member, each on its own envs and initial weights; the member's
    /// fitness is their mean.
    pub agents_per_member: u32,
    /// Meta-gradients: the inner agents, each on its own task.
    pub agents: u32,
    /// Fitness minus that of a PPO agent (the meta-parameters at 0) on the same task with
    /// the same initial weights: tasks that differ in scale then weigh alike.
    pub normalize: bool,
    pub seed: u32,
    /// Read statistics back (and write the log) every this many generations.
    pub log_every: u32,
    /// Write a checkpoint every this many generations (and at the end); 0: only at the end.
    pub checkpoint_every: u32,
    pub es: EsConfig,
    /// The inner learner (its `updates` is replaced by each generation's lifetime).
    pub inner: TrainConfig,
}

impl Default for MetaConfig {
    fn default() -> Self {
        MetaConfig::for_env(DEFAULT_ENV)
    }
}

impl MetaConfig {
    /// Defaults for `env_id`: a run of a few minutes on a CPU adapter that shows a learned
    /// drift beating PPO at short lifetimes. Small inner networks, 16 envs per agent; an
    /// inner learning rate of 10x PPO's usual with 4 epochs, where PPO's clipping binds and
    /// a learned drift has room (the PPO baseline uses the same settings). On a GPU, raise
    /// `es.population`, `agents_per_member`, `inner.envs` and `lifetime`.
    pub fn for_env(env_id: &str) -> MetaConfig {
        let mut inner = TrainConfig::for_env(env_id);
        inner.envs = 16;
        inner.steps = 32;
        inner.epochs = 4;
        inner.minibatches = 2;
        inner.lr = if env_id.contains("Bandit") {
            0.03
        } else {
            0.01
        };
        inner.network.hidden = vec![16];
        inner.log_every = 1;
        inner.checkpoint_every = 0;
        let es = EsConfig {
            population: 32,
            sigma_init: 0.3,
            lr: 0.05,
            ..EsConfig::for_strategy(Strategy::OpenaiEs)
        };
        MetaConfig {
            env: env_id.to_string(),
            method: Method::Es,
            learn: Learn::Drift,
            drift_hidden: 8,
            generations: 40,
            lifetime: [8, 32],
            agents_per_member: 1,
            agents: 32,
            normalize: true,
            seed: 0,
            log_every: 1,
            checkpoint_every: 5,
            es,
            inner,
        }
    }

    /// The keys of a TOML file over the defaults of its env (`env` in the file, else
    /// `env_id`, else [`DEFAULT_ENV`]); `env_id` wins over the file's.
    pub fn from_toml(env_id: Option<&str>, text: &str) -> Result<MetaConfig> {
        Self::from_toml_with(env_id, None, text)
    }

    /// [`MetaConfig::from_toml`] with the method given apart (it wins over the file's).
    pub fn from_toml_with(
        env_id: Option<&str>,
        method: Option<Method>,
        text: &str,
    ) -> Result<MetaConfig> {
        let mut given: toml::Value =
            toml::from_str(text).map_err(|e| Error::invalid("config", e.to_string()))?;
        let from_file = given
            .get("env")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let env = env_id
            .map(str::to_string)
            .or(from_file)
            .unwrap_or_else(|| DEFAULT_ENV.to_string());
        crate::make(&env)?;
        if let Some(table) = given.as_table_mut() {
            table.insert("env".into(), toml::Value::String(env.clone()));
            if let Some(m) = method {
                let name = toml::Value::try_from(m).expect("a method always serialises");
                table.insert("method".into(), name);
            }
        }
        let defaults = toml::Value::try_from(MetaConfig::for_env(&env))
            .map_err(|e| Error::invalid("config", e.to_string()))?;
        let config: MetaConfig = crate::learn::config::merge(defaults, given)
            .try_into()
            .map_err(|e: toml::de::Error| Error::invalid("config", e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a MetaConfig always serialises")
    }

    /// The inner config the method trains with: for meta-gradients, `inner.meta_gradient`
    /// shared by every agent, tuning what `learn` says (the hyperparameters: all four
    /// unless `inner.meta_gradient.learn` names some; the drift network).
    pub fn inner_config(&self) -> TrainConfig {
        let mut inner = self.inner.clone();
        if self.method == Method::MetaGrad {
            let given = inner.meta_gradient.take();
            let mut mg = given.clone().unwrap_or_default();
            mg.learn = match (self.learn, given) {
                (Learn::Drift, _) => Vec::new(),
                (_, Some(g)) if !g.learn.is_empty() => g.learn,
                _ => HYPERS.to_vec(),
            };
            mg.drift = self.learn != Learn::Hyperparameters;
            mg.shared = true;
            inner.meta_gradient = Some(mg);
        }
        inner
    }

    /// The inner learners' objective rows.
    pub fn objective(&self) -> Objective {
        Objective {
            drift_hidden: match self.learn {
                Learn::Hyperparameters => 0,
                Learn::Drift | Learn::Both => self.drift_hidden,
            },
        }
    }

    /// Meta-parameters that scale hyperparameters (the first ones of a member).
    pub fn hyper_dims(&self) -> u32 {
        match self.learn {
            Learn::Drift => 0,
            Learn::Hyperparameters | Learn::Both => HYPERPARAMETERS as u32,
        }
    }

    /// Meta-parameters per member: the ES's dimension.
    pub fn dim(&self) -> u32 {
        self.hyper_dims() + self.objective().drift_params() as u32
    }

    /// Members per task group: an antithetic pair shares its task.
    pub fn members_per_task(&self) -> u32 {
        if self.es.antithetic {
            2
        } else {
            1
        }
    }

    pub fn check(&self) -> Result<()> {
        let bad = |what: &str, why: String| Err(Error::invalid(format!("config `{what}`"), why));
        if self.method == Method::Es && self.inner.meta_gradient.is_some() {
            return bad(
                "inner.meta_gradient",
                "is for method = \"meta-grad\"; ES learns fixed hyperparameters".into(),
            );
        }
        self.inner_config().check()?;
        self.es.check(self.dim().max(1))?;
        if self.dim() == 0 {
            return bad(
                "drift_hidden",
                "learn = \"drift\" needs drift_hidden >= 1".into(),
            );
        }
        if self.generations == 0 {
            return bad("generations", "must be at least 1".into());
        }
        if self.log_every == 0 {
            return bad("log_every", "must be at least 1".into());
        }
        let [lo, hi] = self.lifetime;
        if lo == 0 || lo > hi {
            return bad("lifetime", format!("[{lo}, {hi}] must be 1 <= min <= max"));
        }
        if self.agents_per_member == 0 {
            return bad("agents_per_member", "must be at least 1".into());
        }
        if self.learn != Learn::Hyperparameters && self.inner.algo != crate::learn::Algo::Ppo {
            return bad(
                "inner.algo",
                "a learned drift replaces PPO's clipping: use ppo".into(),
            );
        }
        if !self.es.population.is_multiple_of(self.members_per_task()) {
            return bad("es.population", "must be even for antithetic pairs".into());
        }
        match self.method {
            Method::MetaGrad if self.agents == 0 => bad("agents", "must be at least 1".into()),
            Method::MetaGrad
                if self.learn != Learn::Hyperparameters
                    && self.inner.epochs * self.inner.minibatches < 2 =>
            {
                bad(
                    "inner.minibatches",
                    "the drift's meta-gradient needs at least 2 minibatch steps per update".into(),
                )
            }
            _ => Ok(()),
        }
    }
}
