//! Evolution strategies on the GPU, following evosax's ask/tell with the search state and
//! its settings kept apart: OpenAI-ES, SNES and a separable CMA-ES (`shaders/es.wgsl`),
//! each with a CPU twin. The population is the agent axis: member i is row i of the
//! population buffer, which evaluators (a benchmark function, a policy rollout, a whole
//! inner training run) read. Fitness is maximised (evosax minimises).

pub mod config;
pub mod policy;
pub mod problems;
pub mod run;
pub mod search;
pub mod state;
pub mod twin;

pub use config::{EsConfig, Strategy};
pub use problems::{Problem, ProblemEvaluator};
pub use search::Es;
pub use state::{EsState, GenerationStats};
pub use twin::EsTwin;
