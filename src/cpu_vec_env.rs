//! `CpuVecEnv`: the CPU twin of the driver kernels. Same key schedule, same auto-reset, same
//! float operations in the same order, so an exact env gives the same bytes as `VecEnv`.

use std::sync::Arc;

use crate::driver::{keys, obs_checksum, RolloutStats, Streams};
use crate::env::{Env, EnvSpec};
use crate::error::{Error, Result};
use crate::rng;

pub struct CpuVecEnv {
    env: Arc<dyn Env>,
    spec: EnvSpec,
    /// Words per action (see `driver::action_words`).
    words: usize,
    seed: u32,
    step_count: u32,
    params: Vec<Vec<u8>>, // one per env, or one shared
    streams: Streams,
    pub states: Vec<Vec<u8>>,
    pub obs: Vec<f32>,
    pub final_obs: Vec<f32>,
    pub rewards: Vec<f32>,
    pub terminated: Vec<bool>,
    pub truncated: Vec<bool>,
    pub success: Vec<bool>,
    /// The action buffer's words, `action_words` per env, as `VecEnv::actions` returns them.
    pub actions: Vec<u32>,
    pub stats: Vec<RolloutStats>,
}

impl CpuVecEnv {
    /// Twin of `VecEnvConfig::streams`; resets every env, as creation does.
    pub fn set_streams(&mut self, streams: Streams) {
        self.streams = streams;
        self.reset();
    }

    /// Twin of `VecEnv::sample_tasks`.
    pub fn sample_tasks(&mut self, base: &[u8], key: rng::Key, task_group: u32) {
        let batch = self.states.len() as u32;
        self.params = (0..batch)
            .map(|i| {
                let k = rng::fold(key, i / task_group.max(1));
                self.env.sample_params_bytes(k, base)
            })
            .collect();
    }

    /// Mirrors `VecEnv::new`: `params` is one struct shared by all envs or one per env.
    pub fn new(env: Arc<dyn Env>, batch: u32, seed: u32, params: &[u8]) -> Result<CpuVecEnv> {
        let spec = env.spec();
        let size = env.params_size();
        if batch == 0 || params.is_empty() || !params.len().is_multiple_of(size) {
            return Err(Error::invalid(
                "CPU twin setup",
                "batch must be >= 1 and params a whole number of structs",
            ));
        }
        let mut params: Vec<Vec<u8>> = params.chunks(size).map(<[u8]>::to_vec).collect();
        if env.samples_params() {
            let root = keys::params_root(seed);
            params = (0..batch)
                .map(|i| {
                    let base = &params[if params.len() == 1 { 0 } else { i as usize }];
                    env.sample_params_bytes(rng::fold(root, i), base)
                })
                .collect();
        }
        let b = batch as usize;
        let d = spec.obs_dim as usize;
        let words = crate::driver::action_words(&spec) as usize;
        let mut twin = CpuVecEnv {
            env,
            words,
            spec,
            seed,
            step_count: 0,
            params,
            streams: Streams::default(),
            states: vec![Vec::new(); b],
            obs: vec![0.0; b * d],
            final_obs: vec![0.0; b * d],
            rewards: vec![0.0; b],
            terminated: vec![false; b],
            truncated: vec![false; b],
            success: vec![false; b],
            actions: vec![0; b * words],
            stats: vec![RolloutStats::default(); b],
        };
        twin.reset();
        Ok(twin)
    }

    pub fn batch(&self) -> usize {
        self.states.len()
    }

    pub fn params_of(&self, i: usize) -> &[u8] {
        &self.params[if self.params.len() == 1 { 0 } else { i }]
    }

    /// Twin of the `reset` kernel.
    pub fn reset(&mut self) {
        let root = keys::reset_root(self.seed, self.step_count);
        for i in 0..self.batch() {
            let state = self.env.reset_bytes(
                rng::fold(root, self.streams.index(i as u32)),
                self.params_of(i),
            );
            self.put_obs(i, &state, false);
            self.states[i] = state;
            self.stats[i] = RolloutStats::default();
        }
    }

    /// Twin of the `sample_actions` kernel.
    pub fn sample_actions(&mut self) {
        let root = keys::step_root(self.seed);
        for i in 0..self.batch() {
            let t_key = keys::step_key(root, self.streams.index(i as u32), self.step_count);
            let w = self.words;
            self.actions[i * w..(i + 1) * w]
                .copy_from_slice(&keys::random_action(t_key, &self.spec));
        }
    }

    /// Twin of the `step` kernel, with `self.actions`.
    pub fn step(&mut self) {
        let root = keys::step_root(self.seed);
        for i in 0..self.batch() {
            let t_key = keys::step_key(root, self.streams.index(i as u32), self.step_count);
            let p = self.params_of(i).to_vec();
            let w = self.words;
            let mut out = self.env.step_bytes(
                rng::fold(t_key, keys::KEY_STEP),
                &self.states[i],
                &self.actions[i * w..(i + 1) * w],
                &p,
            );
            self.rewards[i] = out.reward;
            self.terminated[i] = out.terminated;
            self.truncated[i] = out.truncated;
            self.success[i] = out.success;
            if out.terminated || out.truncated {
                self.put_obs(i, &out.state, true);
                out.state = self.env.reset_bytes(rng::fold(t_key, keys::KEY_RESET), &p);
            }
            self.put_obs(i, &out.state, false);
            self.states[i] = out.state;
        }
        self.step_count = self.step_count.wrapping_add(1);
    }

    /// Twin of the fused `rollout` kernel.
    pub fn rollout(&mut self, steps: u32) {
        let root = keys::step_root(self.seed);
        let d = self.spec.obs_dim as usize;
        let mut obs = vec![0.0f32; d];
        for i in 0..self.batch() {
            let p = self.params_of(i).to_vec();
            let env_key = rng::fold(root, self.streams.index(i as u32));
            let mut s = self.states[i].clone();
            let mut st = RolloutStats {
                episode_return: self.stats[i].episode_return,
                ..Default::default()
            };
            let mut checksum = 0u32;
            let mut observe = |s: &[u8], checksum: &mut u32| {
                obs.iter_mut().for_each(|x| *x = 0.0);
                self.env.observe_bytes(s, &p, &mut obs);
                *checksum = checksum.wrapping_add(obs_checksum(&obs));
            };
            observe(&s, &mut checksum);
            for t in 0..steps {
                let t_key = rng::fold(env_key, self.step_count.wrapping_add(t));
                let action = keys::random_action(t_key, &self.spec);
                let mut out =
                    self.env
                        .step_bytes(rng::fold(t_key, keys::KEY_STEP), &s, &action, &p);
                st.episode_return += out.reward;
                if out.terminated || out.truncated {
                    observe(&out.state, &mut checksum);
                    st.return_sum += st.episode_return;
                    st.episodes += 1;
                    st.episode_return = 0.0;
                    out.state = self.env.reset_bytes(rng::fold(t_key, keys::KEY_RESET), &p);
                }
                s = out.state;
                observe(&s, &mut checksum);
            }
            st.obs_checksum = checksum;
            self.states[i] = s;
            self.stats[i] = st;
        }
        self.step_count = self.step_count.wrapping_add(steps);
    }

    /// All states, concatenated, as `VecEnv::states` returns them.
    pub fn state_bytes(&self) -> Vec<u8> {
        self.states.concat()
    }

    /// Params as `VecEnv::params` returns them.
    pub fn params_bytes(&self) -> Vec<u8> {
        self.params.concat()
    }

    /// Replace all states (teacher forcing from elsewhere).
    pub fn set_states(&mut self, bytes: &[u8]) {
        let size = self.env.state_size();
        self.states = bytes.chunks(size).map(<[u8]>::to_vec).collect();
    }

    fn put_obs(&mut self, i: usize, state: &[u8], is_final: bool) {
        let d = self.spec.obs_dim as usize;
        let p = self.params_of(i).to_vec();
        let target = if is_final {
            &mut self.final_obs
        } else {
            &mut self.obs
        };
        let slot = &mut target[i * d..(i + 1) * d];
        slot.iter_mut().for_each(|x| *x = 0.0);
        self.env.observe_bytes(state, &p, slot);
    }
}
