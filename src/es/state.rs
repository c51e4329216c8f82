//! What a search carries from one generation to the next (the GPU buffers' contents, and
//! the twin's state), with the layout of its `scalars`.

use super::config::{EsConfig, Strategy};

/// `scalars` slots (twins of the WGSL `S_*` constants).
pub const S_STEP: usize = 0;
pub const S_NORM_SQ: usize = 1;
pub const S_BEST: usize = 2;
pub const S_GEN_BEST: usize = 3;
pub const S_GEN_ARGBEST: usize = 4;
pub const S_GEN_MEAN: usize = 5;
pub const SCALARS: usize = 8;

/// The fitness that ranks below every other (also "none yet").
pub const NO_FITNESS: f32 = -3.4e38;

#[derive(Clone, Debug, PartialEq)]
pub struct EsState {
    pub mean: Vec<f32>,
    /// The per-dimension perturbation scale of the next ask.
    pub sigma: Vec<f32>,
    /// `Strategy::moments` rows of `dim`: OpenAI-ES Adam (m, v); CMA-ES (p_sigma, p_c, C,
    /// and the last recombination's sums).
    pub moments: Vec<f32>,
    pub scalars: Vec<f32>,
    /// The fittest member seen so far.
    pub best: Vec<f32>,
}

impl EsState {
    pub fn initial(config: &EsConfig, mean: &[f32]) -> EsState {
        let n = mean.len();
        let mut moments = vec![0.0; config.strategy.moments() * n];
        if config.strategy == Strategy::CmaEs {
            moments[2 * n..3 * n].fill(1.0); // C = I
        }
        let mut scalars = vec![0.0; SCALARS];
        scalars[S_STEP] = config.sigma_init;
        scalars[S_BEST] = NO_FITNESS;
        scalars[S_GEN_BEST] = NO_FITNESS;
        EsState {
            mean: mean.to_vec(),
            sigma: vec![config.sigma_init; n],
            moments,
            scalars,
            best: mean.to_vec(),
        }
    }

    pub fn best_fitness(&self) -> f32 {
        self.scalars[S_BEST]
    }

    /// The state as named byte blobs, for checkpoints (`files::write_container`).
    pub fn blobs(&self) -> Vec<(&'static str, Vec<u8>)> {
        let bytes = |v: &[f32]| bytemuck::cast_slice::<f32, u8>(v).to_vec();
        vec![
            ("mean", bytes(&self.mean)),
            ("sigma", bytes(&self.sigma)),
            ("moments", bytes(&self.moments)),
            ("scalars", bytes(&self.scalars)),
            ("best", bytes(&self.best)),
        ]
    }

    /// The state from a checkpoint's blobs; `missing` names the error of a blob not there.
    pub fn from_blobs(
        blobs: &mut std::collections::HashMap<String, Vec<u8>>,
        missing: impl Fn(&str) -> crate::error::Error,
    ) -> crate::error::Result<EsState> {
        let mut floats = |name: &str| -> crate::error::Result<Vec<f32>> {
            let b = blobs.remove(name).ok_or_else(|| missing(name))?;
            Ok(bytemuck::pod_collect_to_vec(&b))
        };
        Ok(EsState {
            mean: floats("mean")?,
            sigma: floats("sigma")?,
            moments: floats("moments")?,
            scalars: floats("scalars")?,
            best: floats("best")?,
        })
    }
}

/// One generation's fitness summary, as the kernels record it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GenerationStats {
    pub best: f32,
    pub mean: f32,
    /// The best fitness of any generation so far.
    pub best_so_far: f32,
}

impl GenerationStats {
    pub fn from_scalars(s: &[f32]) -> GenerationStats {
        GenerationStats {
            best: s[S_GEN_BEST],
            mean: s[S_GEN_MEAN],
            best_so_far: s[S_BEST],
        }
    }
}
