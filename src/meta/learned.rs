//! What meta-training learned, for people and programs: the effective inner
//! hyperparameters (the base config's, scaled by the meta-parameters) and the drift
//! network's weights, as TOML.

use serde::{Deserialize, Serialize};

use super::config::{Learn, MetaConfig};
use super::layout::hyperparameter;
use crate::learn::objective::{Objective, HYPERPARAMETERS};
use crate::learn::TrainConfig;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearnedHyperparameters {
    pub lr: f32,
    pub gamma: f32,
    pub gae_lambda: f32,
    pub clip: f32,
    pub ent_coef: f32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Learned {
    pub learn: Learn,
    /// The search's mean: the meta-parameters themselves.
    pub meta_parameters: Vec<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyperparameters: Option<LearnedHyperparameters>,
    pub drift_hidden: u32,
    /// [24 inputs][drift_hidden] input weights, then [drift_hidden] output weights.
    pub drift: Vec<f32>,
}

impl Learned {
    pub fn new(c: &MetaConfig, theta: &[f32], inner: &TrainConfig) -> Learned {
        let base = Objective::default().row(inner);
        let hyper = c.hyper_dims() as usize;
        let hyperparameters = (hyper == HYPERPARAMETERS).then(|| {
            let h = |e: usize| hyperparameter(e, base[e], theta[e]);
            LearnedHyperparameters {
                lr: h(0),
                gamma: h(1),
                gae_lambda: h(2),
                clip: h(3),
                ent_coef: h(4),
            }
        });
        let objective = c.objective();
        Learned {
            learn: c.learn,
            meta_parameters: theta.to_vec(),
            hyperparameters,
            drift_hidden: objective.drift_hidden,
            drift: theta[hyper..].to_vec(),
        }
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a Learned always serialises")
    }
}
