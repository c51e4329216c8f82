//! wgym: batched reinforcement-learning environments as WGSL compute shaders on wgpu, each
//! with a bit-identical CPU twin. See README.md and DESIGN.md.

pub mod bench;
pub mod buffer;
pub mod cpu_vec_env;
pub mod driver;
pub mod env;
pub mod error;
pub mod es;
pub mod files;
pub mod gpu;
pub mod learn;
pub mod meta;
pub mod picture;
pub mod plan;
pub mod plot;
pub mod render;
pub mod rng;
pub mod shader;
pub mod vec_env;

#[path = "../envs/mod.rs"]
pub mod envs;

pub use cpu_vec_env::CpuVecEnv;
pub use driver::RolloutStats;
pub use env::{Env, EnvKernel, EnvSpec, StepOut};
pub use envs::{make, register, registry, Registered};
pub use error::{Error, Result};
pub use gpu::Gpu;
pub use vec_env::{ParamsInit, VecEnv, VecEnvConfig};
