//! On-GPU learners: actor-critic MLPs whose weights, optimizer state and envs all carry an
//! agent axis, trained with PPO or A2C by a handful of generic kernels (`shaders/nn.wgsl`,
//! `reduce.wgsl`, `ppo.wgsl`, `adam.wgsl`) around the policy rollout
//! (`shaders/policy_rollout.wgsl`), with optional online meta-gradients of the
//! hyperparameters (`meta_gradient`). Each kernel has a CPU twin here. The trainer is
//! composed of parts (see `trainer`); the policy network is one of them, behind the
//! `PolicyNetwork` interface (`network`).

pub mod adam;
pub mod baselines;
pub mod checkpoint;
pub mod config;
pub mod gru;
pub mod meta_gradient;
pub mod net;
pub mod network;
pub mod nn;
pub mod objective;
pub mod ppo;
pub mod report;
pub mod run;
pub mod trainer;
pub mod twin;

pub use config::{Algo, Optimizer, TrainConfig};
pub use meta_gradient::{Hyper, MetaGradient};
pub use net::{Activation, PolicyNet};
pub use network::PolicyNetwork;
pub use objective::Objective;
pub use trainer::{AgentStats, Trainer, TrainerOptions};
