//! `EsConfig`: an evolution strategy's settings (TOML), the constants derived from them,
//! and the per-generation uniform the kernels read (twin of WGSL `EsConfig`).

use bytemuck::{Pod, Zeroable};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::{self, Key};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Salimans et al. 2017: antithetic Gaussian perturbations, centered ranks, Adam on the
    /// mean, decoupled weight decay, optional sigma decay.
    OpenaiEs,
    /// Separable natural ES (Schaul et al. 2011): per-dimension scales, utility weights.
    Snes,
    /// Separable CMA-ES (Ros & Hansen 2008): diagonal covariance, cumulative step-size
    /// adaptation.
    CmaEs,
}

impl Strategy {
    /// The WGSL `STRATEGY` code.
    pub fn code(self) -> u32 {
        match self {
            Strategy::OpenaiEs => 0,
            Strategy::Snes => 1,
            Strategy::CmaEs => 2,
        }
    }

    /// Rows of per-dimension state besides the mean and scale.
    pub fn moments(self) -> usize {
        match self {
            Strategy::OpenaiEs => 2,
            Strategy::Snes => 0,
            Strategy::CmaEs => 5,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Strategy::OpenaiEs => "openai_es",
            Strategy::Snes => "snes",
            Strategy::CmaEs => "cma_es",
        }
    }
}

impl std::str::FromStr for Strategy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Strategy> {
        match s {
            "openai_es" => Ok(Strategy::OpenaiEs),
            "snes" => Ok(Strategy::Snes),
            "cma_es" => Ok(Strategy::CmaEs),
            _ => Err(Error::invalid(
                "strategy",
                format!("{s:?}: choose openai_es, snes or cma_es"),
            )),
        }
    }
}

/// Every setting of a strategy. Fitness is maximised (evosax minimises).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EsConfig {
    pub strategy: Strategy,
    /// Members per generation (even when antithetic).
    pub population: u32,
    /// Initial perturbation scale (CMA-ES: the initial step size).
    pub sigma_init: f32,
    /// OpenAI-ES: Adam's learning rate; SNES: the mean's rate; CMA-ES: c_m.
    pub lr: f32,
    /// Mirrored pairs: members 2j and 2j + 1 are mean + sigma z_j and mean - sigma z_j.
    pub antithetic: bool,
    pub adam_beta1: f32,
    pub adam_beta2: f32,
    pub adam_eps: f32,
    /// OpenAI-ES: decoupled weight decay on the mean, times lr.
    pub weight_decay: f32,
    /// OpenAI-ES: sigma <- max(sigma * sigma_decay, sigma_limit) after each generation.
    pub sigma_decay: f32,
    pub sigma_limit: f32,
    /// SNES: the log-scale's rate; 0 picks (3 + ln d) / (5 sqrt d).
    pub lr_sigma: f32,
    /// CMA-ES: the fraction of the population that recombines.
    pub elite_ratio: f32,
    pub seed: u32,
}

impl Default for EsConfig {
    fn default() -> Self {
        EsConfig::for_strategy(Strategy::OpenaiEs)
    }
}

impl EsConfig {
    /// Defaults per strategy: OpenAI-ES as Salimans et al. with Adam (lr 0.05, sigma 0.03,
    /// as evosax 0.1); SNES and CMA-ES with their papers' constants and sigma 1.
    pub fn for_strategy(strategy: Strategy) -> EsConfig {
        let base = EsConfig {
            strategy,
            population: 64,
            sigma_init: 0.03,
            lr: 0.05,
            antithetic: true,
            adam_beta1: 0.9,
            adam_beta2: 0.999,
            adam_eps: 1e-8,
            weight_decay: 0.0,
            sigma_decay: 1.0,
            sigma_limit: 0.01,
            lr_sigma: 0.0,
            elite_ratio: 0.5,
            seed: 0,
        };
        match strategy {
            Strategy::OpenaiEs => base,
            Strategy::Snes | Strategy::CmaEs => EsConfig {
                sigma_init: 1.0,
                lr: 1.0,
                antithetic: false,
                ..base
            },
        }
    }

    pub fn check(&self, dim: u32) -> Result<()> {
        let bad = |what: &str, why: String| Err(Error::invalid(format!("ES `{what}`"), why));
        if dim == 0 {
            return bad("dim", "there must be at least one parameter".into());
        }
        if self.population < 2 {
            return bad(
                "population",
                format!("{} must be at least 2", self.population),
            );
        }
        if self.antithetic && !self.population.is_multiple_of(2) {
            return bad(
                "population",
                format!("{} must be even for antithetic pairs", self.population),
            );
        }
        if self.population >= 1 << 24 {
            return bad("population", format!("{} is too large", self.population));
        }
        let positive = [("sigma_init", self.sigma_init), ("lr", self.lr)];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return bad(name, format!("{v} must be a finite number > 0"));
            }
        }
        let non_negative = [
            ("weight_decay", self.weight_decay),
            ("sigma_decay", self.sigma_decay),
            ("sigma_limit", self.sigma_limit),
            ("lr_sigma", self.lr_sigma),
            ("adam_eps", self.adam_eps),
        ];
        for (name, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return bad(name, format!("{v} must be a finite number >= 0"));
            }
        }
        for (name, v) in [
            ("adam_beta1", self.adam_beta1),
            ("adam_beta2", self.adam_beta2),
        ] {
            if !(0.0..1.0).contains(&v) {
                return bad(name, format!("{v} is not in [0, 1)"));
            }
        }
        if !(self.elite_ratio > 0.0 && self.elite_ratio <= 1.0) {
            return bad(
                "elite_ratio",
                format!("{} is not in (0, 1]", self.elite_ratio),
            );
        }
        Ok(())
    }

    /// Noise rows per generation: one per antithetic pair, else one per member.
    pub fn rows(&self) -> u32 {
        if self.antithetic {
            self.population / 2
        } else {
            self.population
        }
    }

    /// The weight of each rank (0 = fittest): OpenAI-ES centered ranks in [-0.5, 0.5],
    /// SNES utilities (summing to 0), CMA-ES log weights of the elite (summing to 1).
    pub fn rank_weights(&self) -> Vec<f32> {
        let n = self.population as usize;
        match self.strategy {
            Strategy::OpenaiEs => (0..n)
                .map(|r| (0.5 - r as f64 / (n - 1) as f64) as f32)
                .collect(),
            Strategy::Snes => {
                let u: Vec<f64> = (0..n)
                    .map(|r| ((n as f64 / 2.0 + 1.0).ln() - ((r + 1) as f64).ln()).max(0.0))
                    .collect();
                let total: f64 = u.iter().sum();
                u.iter()
                    .map(|u| (u / total - 1.0 / n as f64) as f32)
                    .collect()
            }
            Strategy::CmaEs => {
                let w = self.cma_log_weights();
                (0..n)
                    .map(|r| w.get(r).copied().unwrap_or(0.0) as f32)
                    .collect()
            }
        }
    }

    /// Normalised log weights of the elite, fittest first.
    fn cma_log_weights(&self) -> Vec<f64> {
        let mu = ((self.population as f64 * self.elite_ratio as f64) as usize).max(1);
        let w: Vec<f64> = (1..=mu)
            .map(|i| (mu as f64 + 0.5).ln() - (i as f64).ln())
            .collect();
        let total: f64 = w.iter().sum();
        w.iter().map(|w| w / total).collect()
    }

    /// The generation-independent part of the kernels' uniform for `dim` parameters.
    pub fn uniform(&self, dim: u32) -> EsUniform {
        let n = dim as f64;
        let w = self.cma_log_weights();
        let mu_eff = 1.0 / w.iter().map(|w| w * w).sum::<f64>();
        let c_sigma = (mu_eff + 2.0) / (n + mu_eff + 5.0);
        let d_sigma = 1.0 + 2.0 * (((mu_eff - 1.0) / (n + 1.0)).sqrt() - 1.0).max(0.0) + c_sigma;
        let c_c = (4.0 + mu_eff / n) / (n + 4.0 + 2.0 * mu_eff / n);
        // The separable variant learns the diagonal (n + 2) / 3 times faster.
        let sep = (n + 2.0) / 3.0;
        let c_1 = (sep * 2.0 / ((n + 1.3).powi(2) + mu_eff)).min(1.0);
        let c_mu = (sep * 2.0 * (mu_eff - 2.0 + 1.0 / mu_eff) / ((n + 2.0).powi(2) + mu_eff))
            .min(1.0 - c_1);
        let chi_n = n.sqrt() * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));
        let lr_sigma = if self.lr_sigma > 0.0 {
            self.lr_sigma as f64
        } else {
            (3.0 + n.ln()) / (5.0 * n.sqrt())
        };
        EsUniform {
            key: [0, 0],
            dim,
            population: self.population,
            rows: self.rows(),
            antithetic: self.antithetic as u32,
            generation: 0,
            lr: self.lr,
            beta1: self.adam_beta1,
            beta2: self.adam_beta2,
            eps: self.adam_eps,
            bias1: 1.0,
            bias2: 1.0,
            weight_decay: self.weight_decay,
            sigma_decay: self.sigma_decay,
            sigma_limit: self.sigma_limit,
            lr_sigma: lr_sigma as f32,
            c_sigma: c_sigma as f32,
            d_sigma: d_sigma as f32,
            c_c: c_c as f32,
            c_1: c_1 as f32,
            c_mu: c_mu.max(0.0) as f32,
            mu_eff: mu_eff as f32,
            chi_n: chi_n as f32,
            _pad: [0; 2],
        }
    }

    /// The uniform of generation `generation` (0-based).
    pub fn uniform_at(&self, dim: u32, generation: u32) -> EsUniform {
        let t = generation as i32 + 1;
        EsUniform {
            key: generation_key(self.seed, generation),
            generation,
            bias1: (1.0 - (self.adam_beta1 as f64).powi(t)) as f32,
            bias2: (1.0 - (self.adam_beta2 as f64).powi(t)) as f32,
            ..self.uniform(dim)
        }
    }
}

/// The noise key of a generation: rows fold into it.
pub fn generation_key(seed: u32, generation: u32) -> Key {
    rng::fold(rng::fold(rng::key(seed), ES_STREAM), generation)
}

/// The stream of a seed's root key that ES noise comes from (the learners use 0 to 4).
const ES_STREAM: u32 = 16;

/// Twin of WGSL `EsConfig`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct EsUniform {
    pub key: Key,
    pub dim: u32,
    pub population: u32,
    pub rows: u32,
    pub antithetic: u32,
    pub generation: u32,
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub bias1: f32,
    pub bias2: f32,
    pub weight_decay: f32,
    pub sigma_decay: f32,
    pub sigma_limit: f32,
    pub lr_sigma: f32,
    pub c_sigma: f32,
    pub d_sigma: f32,
    pub c_c: f32,
    pub c_1: f32,
    pub c_mu: f32,
    pub mu_eff: f32,
    pub chi_n: f32,
    pub _pad: [u32; 2],
}
