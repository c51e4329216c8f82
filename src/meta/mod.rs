//! Meta-training on the GPU: an evolution strategy (`crate::es`) over a learned object that
//! the inner learners' kernels read (LPO's drift network, or a vector of inner
//! hyperparameters), with the whole population of inner learners, their envs and the outer
//! optimizer in one batch; or meta-gradients of the hyperparameters
//! (`crate::learn::meta_gradient`, computed inside each inner update). See `MetaTrainer`.

pub mod config;
pub mod eval;
pub mod kernels;
pub mod layout;
pub mod learned;
pub mod run;
pub mod trainer;

pub use config::{Learn, MetaConfig, Method};
pub use layout::Layout;
pub use learned::Learned;
pub use run::{MetaCheckpoint, MetaRun};
pub use trainer::{GenerationLog, MetaSnapshot, MetaTrainer};
