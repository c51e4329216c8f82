//! The environment contract on the Rust side.
//!
//! Each env implements [`EnvKernel`]: typed `#[repr(C)]` State/Params mirroring the WGSL
//! structs of its `env.wgsl`, and the CPU twin of `env_reset`, `env_step`, `env_observe` and
//! `env_sample_params`. [`Env`] is the object-safe, byte-level view the drivers use.

use bytemuck::Pod;

use crate::learn::TrainConfig;
use crate::rng::Key;

/// What a user needs to know to drive an env.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EnvSpec {
    pub id: String,
    /// Length of the f32 observation vector.
    pub obs_dim: u32,
    /// Discrete action spaces: actions are integers in `0..num_actions` (0 for continuous
    /// ones).
    pub num_actions: u32,
    /// Continuous action spaces: actions are vectors of this many values in [-1, 1] (0 for
    /// discrete ones).
    pub action_dim: u32,
    /// Steps after which an episode is truncated with the default params.
    pub max_steps: u32,
    pub description: String,
}

/// The WGSL side of an env: its file and the `const`s its structs and functions need.
#[derive(Clone, Debug)]
pub struct EnvWgsl {
    pub file: &'static str,
    pub text: &'static str,
    /// Emitted into the prelude as `const NAME: u32 = VALUE;`. Always includes OBS_DIM and
    /// NUM_ACTIONS; OBS_DENSE is 1 when `env_observe` writes every entry.
    pub consts: Vec<(&'static str, u32)>,
    /// Further generated declarations (e.g. constants derived from Rust data).
    pub prelude: String,
    /// Lookup tables, read in WGSL with `env_table(i)`; offsets go in `consts`.
    pub tables: Vec<u32>,
    /// An upper bound of the loop iterations of one step (`env_step`, `env_observe` and an
    /// auto-reset), counting loops the compiler might not unroll. lavapipe ends all loops of
    /// an invocation after 65535 iterations in all, so the fused rollouts take at most
    /// `driver::LOOP_BUDGET` iterations per dispatch there.
    pub loop_iterations: u32,
}

/// Result of one env step, before auto-reset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepOut<S> {
    pub state: S,
    pub reward: f32,
    pub terminated: bool,
    pub truncated: bool,
    /// The step met the task's success criterion (goal-reaching envs; Meta-World's
    /// `info["success"]`); false for envs without one.
    pub success: bool,
}

/// An env's action type: `u32` (an index) or `[f32; D]` (a vector in [-1, 1]^D), as the
/// u32 words of the drivers' action buffers (floats by their bits).
pub trait ActionType: Copy + Send + Sync + 'static {
    /// Words per action.
    const WORDS: usize;
    fn from_words(words: &[u32]) -> Self;
}

impl ActionType for u32 {
    const WORDS: usize = 1;
    fn from_words(words: &[u32]) -> u32 {
        words[0]
    }
}

impl<const D: usize> ActionType for [f32; D] {
    const WORDS: usize = D;
    fn from_words(words: &[u32]) -> [f32; D] {
        std::array::from_fn(|k| f32::from_bits(words[k]))
    }
}

/// A typed environment: the CPU twin of its `env.wgsl`.
pub trait EnvKernel: Send + Sync + 'static {
    type State: Pod;
    type Params: Pod;
    /// `u32` for discrete action spaces, `[f32; D]` for continuous ones (WGSL `Action`).
    type Action: ActionType;

    fn spec(&self) -> EnvSpec;
    fn wgsl(&self) -> EnvWgsl;
    fn default_params(&self) -> Self::Params;
    /// Reject params the kernels cannot honour, saying why.
    fn check_params(&self, params: &Self::Params) -> Result<(), String>;
    /// Extra prelude consts derived from the params a batch will run with (one struct or
    /// one per env), so that code paths no env uses are compiled out.
    fn specialize(&self, _params: &[Self::Params]) -> Vec<(&'static str, u32)> {
        Vec::new()
    }
    /// Whether `env_sample_params` draws a task per env (then params become per-env).
    fn samples_params(&self) -> bool {
        false
    }
    /// Twin of `env_sample_params`: a concrete task drawn from the distribution `base`
    /// describes (identity for envs without task sampling).
    fn sample_params(&self, _key: Key, base: &Self::Params) -> Self::Params {
        *base
    }
    fn reset(&self, key: Key, params: &Self::Params) -> Self::State;
    fn step(
        &self,
        key: Key,
        state: &Self::State,
        action: Self::Action,
        params: &Self::Params,
    ) -> StepOut<Self::State>;
    /// Write the observation; `obs` has `obs_dim` entries and arrives zeroed.
    fn observe(&self, state: &Self::State, params: &Self::Params, obs: &mut [f32]);
    /// Training defaults that learn on this env in a short run on a CPU adapter.
    fn train_defaults(&self) -> TrainConfig {
        TrainConfig::generic_env_defaults()
    }
    /// How far the GPU kernel may stray from this twin in one step: 0 for exact envs;
    /// float dynamics (sin, cos, sqrt, fused multiply-adds) allow `tolerance * (1 + |x|)`
    /// per observation, reward and state word.
    fn tolerance(&self) -> f32 {
        0.0
    }
    /// Declared bounds of the observation under `params` (low, high per entry), as
    /// gymnax's observation space; `None`: only finiteness is promised.
    fn obs_bounds(&self, _params: &Self::Params) -> Option<(Vec<f32>, Vec<f32>)> {
        None
    }
}

/// Byte-level, object-safe view of an [`EnvKernel`], used by the drivers and the registry.
pub trait Env: Send + Sync {
    fn spec(&self) -> EnvSpec;
    fn wgsl(&self) -> EnvWgsl;
    fn state_size(&self) -> usize;
    fn params_size(&self) -> usize;
    fn default_params_bytes(&self) -> Vec<u8>;
    fn check_params_bytes(&self, params: &[u8]) -> Result<(), String>;
    /// [`EnvKernel::specialize`] over concatenated params.
    fn specialize_bytes(&self, params: &[u8]) -> Vec<(&'static str, u32)>;
    fn samples_params(&self) -> bool;
    fn sample_params_bytes(&self, key: Key, base: &[u8]) -> Vec<u8>;
    fn reset_bytes(&self, key: Key, params: &[u8]) -> Vec<u8>;
    /// `action`: the words of one action (see [`ActionType`]).
    fn step_bytes(&self, key: Key, state: &[u8], action: &[u32], params: &[u8])
        -> StepOut<Vec<u8>>;
    fn observe_bytes(&self, state: &[u8], params: &[u8], obs: &mut [f32]);
    /// [`EnvKernel::train_defaults`].
    fn train_defaults(&self) -> TrainConfig;
    /// [`EnvKernel::tolerance`].
    fn tolerance(&self) -> f32;
    /// [`EnvKernel::obs_bounds`] of params bytes.
    fn obs_bounds_bytes(&self, params: &[u8]) -> Option<(Vec<f32>, Vec<f32>)>;
}

fn read<T: Pod>(bytes: &[u8]) -> T {
    bytemuck::pod_read_unaligned(bytes)
}

impl<K: EnvKernel> Env for K {
    fn spec(&self) -> EnvSpec {
        EnvKernel::spec(self)
    }
    fn wgsl(&self) -> EnvWgsl {
        EnvKernel::wgsl(self)
    }
    fn state_size(&self) -> usize {
        std::mem::size_of::<K::State>()
    }
    fn params_size(&self) -> usize {
        std::mem::size_of::<K::Params>()
    }
    fn default_params_bytes(&self) -> Vec<u8> {
        bytemuck::bytes_of(&self.default_params()).to_vec()
    }
    fn check_params_bytes(&self, params: &[u8]) -> Result<(), String> {
        if params.len() != std::mem::size_of::<K::Params>() {
            return Err(format!(
                "params are {} bytes, expected {}",
                params.len(),
                std::mem::size_of::<K::Params>()
            ));
        }
        self.check_params(&read(params))
    }
    fn specialize_bytes(&self, params: &[u8]) -> Vec<(&'static str, u32)> {
        let params: Vec<K::Params> = params
            .chunks_exact(std::mem::size_of::<K::Params>())
            .map(read)
            .collect();
        self.specialize(&params)
    }
    fn samples_params(&self) -> bool {
        EnvKernel::samples_params(self)
    }
    fn sample_params_bytes(&self, key: Key, base: &[u8]) -> Vec<u8> {
        bytemuck::bytes_of(&self.sample_params(key, &read(base))).to_vec()
    }
    fn reset_bytes(&self, key: Key, params: &[u8]) -> Vec<u8> {
        bytemuck::bytes_of(&self.reset(key, &read(params))).to_vec()
    }
    fn step_bytes(
        &self,
        key: Key,
        state: &[u8],
        action: &[u32],
        params: &[u8],
    ) -> StepOut<Vec<u8>> {
        let action = K::Action::from_words(action);
        let out = self.step(key, &read(state), action, &read(params));
        StepOut {
            state: bytemuck::bytes_of(&out.state).to_vec(),
            reward: out.reward,
            terminated: out.terminated,
            truncated: out.truncated,
            success: out.success,
        }
    }
    fn observe_bytes(&self, state: &[u8], params: &[u8], obs: &mut [f32]) {
        self.observe(&read(state), &read(params), obs)
    }
    fn train_defaults(&self) -> TrainConfig {
        EnvKernel::train_defaults(self)
    }
    fn tolerance(&self) -> f32 {
        EnvKernel::tolerance(self)
    }
    fn obs_bounds_bytes(&self, params: &[u8]) -> Option<(Vec<f32>, Vec<f32>)> {
        self.obs_bounds(&read(params))
    }
}
