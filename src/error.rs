//! Errors are values: every failure a user can cause says what was wrong and what to do.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no GPU adapter found{0}. On Debian/Ubuntu, `sudo apt-get install mesa-vulkan-drivers` \
         provides lavapipe, a Vulkan adapter that runs on the CPU"
    )]
    NoAdapter(String),

    #[error("WGYM_ADAPTER={wanted:?} matches no adapter; available: {available}")]
    AdapterNotFound { wanted: String, available: String },

    #[error("could not open the device on adapter {adapter:?}: {reason}")]
    Device { adapter: String, reason: String },

    #[error("{0}")]
    Shader(ShaderError),

    #[error("unknown environment {id:?}; known environments: {known}")]
    UnknownEnv { id: String, known: String },

    #[error("invalid {what}: {why}")]
    Invalid { what: String, why: String },

    #[error(
        "{what} needs {} but the device limit {limit} is {} (adapter {adapter}); {remedy}",
        quantity(*.needed, unit),
        quantity(*.allowed, unit)
    )]
    OverLimit {
        what: String,
        needed: u64,
        limit: &'static str,
        allowed: u64,
        /// What `needed` and `allowed` count, e.g. "bytes" or "workgroups".
        unit: &'static str,
        /// What to change, e.g. "use fewer --agents or envs per agent".
        remedy: &'static str,
        adapter: String,
    },

    #[error("GPU error during {during}: {message}")]
    Gpu { during: String, message: String },

    #[error(
        "training diverged at update {update}: {what} of agent {agent} is not finite; \
         the last checkpoint before it is kept (try a lower lr or max_grad_norm)"
    )]
    NonFinite {
        update: u32,
        agent: u32,
        what: String,
    },

    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `n` of `unit`, bytes also in binary units: "3221225472 bytes (3.0 GiB)".
fn quantity(n: u64, unit: &str) -> String {
    if unit != "bytes" || n < 1024 {
        return format!("{n} {unit}");
    }
    let (scaled, prefix) = [("GiB", 30), ("MiB", 20), ("KiB", 10)]
        .iter()
        .find(|(_, shift)| n >= 1u64 << shift)
        .map(|(p, shift)| (n as f64 / (1u64 << shift) as f64, *p))
        .expect("n >= 1024");
    format!("{n} bytes ({scaled:.1} {prefix})")
}

impl Error {
    pub fn invalid(what: impl Into<String>, why: impl Into<String>) -> Self {
        Error::Invalid {
            what: what.into(),
            why: why.into(),
        }
    }
}

/// A WGSL error located in the file it came from, not in the composed module.
#[derive(Debug, Clone)]
pub struct ShaderError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ShaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shader error at {}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}
