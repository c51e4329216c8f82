//! The CPU twin of `shaders/es.wgsl`: the same arithmetic in the same order, so a GPU
//! search and its twin agree to within the devices' log/cos/sin/exp accuracy.

use super::config::{EsConfig, EsUniform, Strategy};
use super::state::{EsState, S_BEST, S_GEN_ARGBEST, S_GEN_BEST, S_GEN_MEAN, S_NORM_SQ, S_STEP};
use crate::learn::nn::column_sum;
use crate::rng::{self, Key};

/// Twin of `normal_pair`: standard normals z(row, 2q) and z(row, 2q + 1).
pub fn normal_pair(row_key: Key, q: u32) -> [f32; 2] {
    let u1 = ((rng::bits(row_key, 2 * q) >> 8) + 1) as f32 * 5.960_464_5e-8;
    let u2 = rng::uniform(row_key, 2 * q + 1);
    let r = (-2.0 * u1.ln()).sqrt();
    let a = 6.283_185_5 * u2;
    [r * a.cos(), r * a.sin()]
}

/// A search on the CPU.
pub struct EsTwin {
    pub config: EsConfig,
    pub dim: u32,
    pub state: EsState,
    pub generation: u32,
    weights: Vec<f32>,
}

impl EsTwin {
    pub fn new(config: EsConfig, mean: &[f32]) -> EsTwin {
        EsTwin {
            state: EsState::initial(&config, mean),
            dim: mean.len() as u32,
            generation: 0,
            weights: vec![0.0; config.population as usize],
            config,
        }
    }

    fn uniform(&self) -> EsUniform {
        self.config.uniform_at(self.dim, self.generation)
    }

    /// Members of noise row j: the first one and whether its mirror follows.
    fn members_of(&self, j: usize) -> (usize, bool) {
        if self.config.antithetic {
            (2 * j, true)
        } else {
            (j, false)
        }
    }

    /// Twin of `ask`: the population, [member][dim].
    pub fn ask(&self) -> Vec<f32> {
        let u = self.uniform();
        let d_count = self.dim as usize;
        let mut population = vec![0.0; self.config.population as usize * d_count];
        for j in 0..u.rows as usize {
            let key = rng::fold(u.key, j as u32);
            let (first, mirrored) = self.members_of(j);
            for d in 0..d_count {
                let z = normal_pair(key, (d / 2) as u32)[d % 2];
                let step = self.state.sigma[d] * z;
                population[first * d_count + d] = self.state.mean[d] + step;
                if mirrored {
                    population[(first + 1) * d_count + d] = self.state.mean[d] - step;
                }
            }
        }
        population
    }

    /// Twin of `rank`, `tell`, the CMA-ES second half and `finish`.
    pub fn tell(&mut self, population: &[f32], fitness: &[f32]) {
        let u = self.uniform();
        self.rank(fitness);
        let d_count = self.dim as usize;
        let improved = self.state.scalars[S_GEN_BEST] > self.state.scalars[S_BEST];
        let argbest = self.state.scalars[S_GEN_ARGBEST] as usize;
        for q in 0..d_count.div_ceil(2) {
            let (mut s1, mut s2) = ([0.0f32; 2], [0.0f32; 2]);
            for j in 0..u.rows as usize {
                let z = normal_pair(rng::fold(u.key, j as u32), q as u32);
                let (first, mirrored) = self.members_of(j);
                let w_plus = self.weights[first];
                let w_minus = if mirrored {
                    self.weights[first + 1]
                } else {
                    0.0
                };
                for k in 0..2 {
                    s1[k] += (w_plus - w_minus) * z[k];
                    s2[k] += (w_plus + w_minus) * z[k] * z[k];
                }
            }
            for k in 0..2.min(d_count - 2 * q) {
                let d = 2 * q + k;
                if improved {
                    self.state.best[d] = population[argbest * d_count + d];
                }
                self.update(&u, d, s1[k], s2[k]);
            }
        }
        if self.config.strategy == Strategy::CmaEs {
            let p_sigma = &self.state.moments[..d_count];
            self.state.scalars[S_NORM_SQ] = column_sum(p_sigma.iter().copied(), true);
            for d in 0..d_count {
                self.cma_update(&u, d);
            }
        }
        let s = &mut self.state.scalars;
        s[S_BEST] = s[S_BEST].max(s[S_GEN_BEST]);
        if self.config.strategy == Strategy::CmaEs {
            s[S_STEP] = next_step(&u, s[S_STEP], s[S_NORM_SQ].sqrt());
        }
        self.generation += 1;
    }

    fn rank(&mut self, fitness: &[f32]) {
        let table = self.config.rank_weights();
        let f: Vec<f32> = fitness.iter().map(|&f| checked_fitness(f)).collect();
        for i in 0..f.len() {
            let mut r = 0;
            let mut total = 0.0f32;
            for (k, &g) in f.iter().enumerate() {
                r += (g > f[i] || (g == f[i] && k < i)) as usize;
                total += g;
            }
            self.weights[i] = table[r];
            if r == 0 {
                let s = &mut self.state.scalars;
                s[S_GEN_BEST] = f[i];
                s[S_GEN_ARGBEST] = i as f32;
                s[S_GEN_MEAN] = total / f.len() as f32;
            }
        }
    }

    fn update(&mut self, u: &EsUniform, d: usize, s1: f32, s2: f32) {
        let n = self.dim as usize;
        let st = &mut self.state;
        match self.config.strategy {
            Strategy::OpenaiEs => {
                let g = s1 / (u.population as f32 * st.sigma[d]);
                let m = u.beta1 * st.moments[d] + (1.0 - u.beta1) * g;
                let v = u.beta2 * st.moments[n + d] + (1.0 - u.beta2) * g * g;
                st.moments[d] = m;
                st.moments[n + d] = v;
                let step = u.lr * (m / u.bias1) / ((v / u.bias2).sqrt() + u.eps);
                st.mean[d] = st.mean[d] + step - u.lr * u.weight_decay * st.mean[d];
                st.sigma[d] = (st.sigma[d] * u.sigma_decay).max(u.sigma_limit);
            }
            Strategy::Snes => {
                st.mean[d] += u.lr * st.sigma[d] * s1;
                st.sigma[d] *= (0.5 * u.lr_sigma * s2).exp();
            }
            Strategy::CmaEs => {
                let c = st.moments[2 * n + d];
                st.mean[d] += u.lr * st.scalars[S_STEP] * c.sqrt() * s1;
                let p = (1.0 - u.c_sigma) * st.moments[d]
                    + (u.c_sigma * (2.0 - u.c_sigma) * u.mu_eff).sqrt() * s1;
                st.moments[d] = p;
                st.moments[3 * n + d] = s1;
                st.moments[4 * n + d] = s2;
            }
        }
    }

    fn cma_update(&mut self, u: &EsUniform, d: usize) {
        let n = self.dim as usize;
        let st = &mut self.state;
        let norm = st.scalars[S_NORM_SQ].sqrt();
        let t = (u.generation + 1) as f32;
        let h_sigma = norm / (1.0 - (1.0 - u.c_sigma).powf(2.0 * t)).sqrt()
            < (1.4 + 2.0 / (u.dim as f32 + 1.0)) * u.chi_n;
        let h = h_sigma as u32 as f32;
        let c = st.moments[2 * n + d];
        let y_w = c.sqrt() * st.moments[3 * n + d];
        let p_c =
            (1.0 - u.c_c) * st.moments[n + d] + h * (u.c_c * (2.0 - u.c_c) * u.mu_eff).sqrt() * y_w;
        let c_new = (1.0 - u.c_1 - u.c_mu + (1.0 - h) * u.c_1 * u.c_c * (2.0 - u.c_c)) * c
            + u.c_1 * p_c * p_c
            + u.c_mu * c * st.moments[4 * n + d];
        st.moments[n + d] = p_c;
        st.moments[2 * n + d] = c_new;
        st.sigma[d] = next_step(u, st.scalars[S_STEP], norm) * c_new.sqrt();
    }
}

/// Twin of `next_step`: CMA-ES's step size after cumulative step-size adaptation.
fn next_step(u: &EsUniform, step: f32, norm: f32) -> f32 {
    step * ((u.c_sigma / u.d_sigma) * (norm / u.chi_n - 1.0)).exp()
}

/// Twin of `fitness_of`: NaN and anything below `NO_FITNESS` rank last.
pub fn checked_fitness(f: f32) -> f32 {
    if f.is_nan() {
        super::state::NO_FITNESS
    } else {
        f.max(super::state::NO_FITNESS)
    }
}
