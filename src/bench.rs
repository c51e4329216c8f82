//! The throughput suite behind `wgym bench` and the criterion benches: env-steps/s per env,
//! batch size and mode, each with the CPU twin measured in the same process as a reference.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cpu_vec_env::CpuVecEnv;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::vec_env::{VecEnv, VecEnvConfig};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `sample_actions` + `step` kernels per step, observations written to memory.
    Step,
    /// The fused rollout kernel: T steps per dispatch, state in registers.
    Rollout,
}

impl std::str::FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Mode> {
        match s {
            "step" => Ok(Mode::Step),
            "rollout" => Ok(Mode::Rollout),
            _ => Err(Error::invalid(
                "mode",
                format!("{s:?}; use step or rollout"),
            )),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Step => "step",
            Mode::Rollout => "rollout",
        })
    }
}

/// Default batch sizes of the suite.
pub const SUITE_BATCHES: [u32; 4] = [1 << 10, 1 << 12, 1 << 14, 1 << 16];

/// Env-steps per timed call when `steps` is not given: big enough to hide submission
/// overhead, small enough to keep a call short on a CPU adapter. Step mode writes every
/// observation to memory (up to 3201 floats per env-step), so it gets less.
const ROLLOUT_STEPS_PER_CALL: u64 = 1 << 21;
const STEP_STEPS_PER_CALL: u64 = 1 << 18;

#[derive(Clone, Debug, serde::Serialize)]
pub struct BenchResult {
    pub env: String,
    pub mode: Mode,
    pub batch: u32,
    /// Steps per env per timed call (rollout length, or steps recorded per submission).
    pub steps: u32,
    pub env_steps: u64,
    pub seconds: f64,
    pub env_steps_per_s: f64,
    /// The single-threaded CPU twin on the same env, measured in this process.
    pub cpu_twin_steps_per_s: f64,
    pub speedup_vs_cpu_twin: f64,
    /// Step mode: bytes of device memory each env-step reads and writes (see
    /// [`step_traffic`]); with the rate, the bandwidth used, for a roofline.
    pub bytes_per_env_step: Option<u64>,
    pub memory_gb_per_s: Option<f64>,
    pub adapter: String,
    pub backend: String,
    pub workgroup_size: u32,
    pub wgym_version: String,
}

/// One benchmark cell.
#[derive(Clone)]
pub struct Cell {
    pub env: Arc<dyn Env>,
    pub mode: Mode,
    pub batch: u32,
    /// Steps per env per call; `None` picks one from the batch size.
    pub steps: Option<u32>,
    pub workgroup_size: u32,
    /// Keep calling until this much time has been measured.
    pub min_time: Duration,
}

impl Cell {
    fn steps(&self) -> u32 {
        let per_call = match self.mode {
            Mode::Step => STEP_STEPS_PER_CALL,
            Mode::Rollout => ROLLOUT_STEPS_PER_CALL,
        };
        self.steps
            .unwrap_or_else(|| (per_call / self.batch as u64).clamp(1, 4096) as u32)
    }
}

/// Measure a cell; `cpu_twin_steps_per_s` is the reference it is compared with.
pub fn run_cell(gpu: &Gpu, cell: &Cell, cpu_twin_steps_per_s: f64) -> Result<BenchResult> {
    let steps = cell.steps();
    if steps == 0 {
        return Err(Error::invalid("steps", "must be at least 1"));
    }
    let config = VecEnvConfig {
        workgroup_size: cell.workgroup_size,
        ..VecEnvConfig::new(cell.batch, 0)
    };
    let mut env = VecEnv::new(gpu, cell.env.clone(), config)?;
    let call = |env: &mut VecEnv, steps: u32| -> Result<()> {
        match cell.mode {
            Mode::Step => env.step_random(steps)?,
            Mode::Rollout => env.rollout(steps)?,
        }
        env.wait()
    };
    call(&mut env, 1)?; // warm-up: pipeline creation and first touch of memory
    let start = Instant::now();
    let mut calls = 0u64;
    while calls == 0 || start.elapsed() < cell.min_time {
        call(&mut env, steps)?;
        calls += 1;
    }
    let seconds = start.elapsed().as_secs_f64();
    let env_steps = calls * steps as u64 * cell.batch as u64;
    let rate = env_steps as f64 / seconds;
    let bytes = (cell.mode == Mode::Step).then(|| step_traffic(&env));
    Ok(BenchResult {
        env: cell.env.spec().id,
        mode: cell.mode,
        batch: cell.batch,
        steps,
        env_steps,
        seconds,
        env_steps_per_s: rate,
        cpu_twin_steps_per_s,
        speedup_vs_cpu_twin: rate / cpu_twin_steps_per_s,
        bytes_per_env_step: bytes,
        memory_gb_per_s: bytes.map(|b| b as f64 * rate / 1e9),
        adapter: gpu.adapter_name().to_string(),
        backend: gpu.backend(),
        workgroup_size: cell.workgroup_size,
        wgym_version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// Device-memory bytes per env-step of `sample_actions` + `step`: the action written and
/// read, the state read and written, params when they are per env, the observation (sparse
/// observations are zero-filled first: counted twice), reward and the two flags. Final
/// observations, written only at episode ends, are left out.
pub fn step_traffic(env: &VecEnv) -> u64 {
    let spec = env.spec();
    let dense = env.obs_dense();
    let obs = 4 * spec.obs_dim as u64 * if dense { 1 } else { 2 };
    let params = if env.params_per_env() {
        env.env().params_size() as u64
    } else {
        0
    };
    let action = 8 * crate::driver::action_words(spec) as u64;
    action + 2 * env.env().state_size() as u64 + params + obs + 12
}

/// Env-steps/s of the CPU twin (one thread, fused rollout) on `env`.
pub fn cpu_twin_rate(env: &Arc<dyn Env>, min_time: Duration) -> Result<f64> {
    let batch = 256;
    let mut twin = CpuVecEnv::new(env.clone(), batch, 0, &env.default_params_bytes())?;
    let start = Instant::now();
    let mut steps = 0u64;
    while steps == 0 || start.elapsed() < min_time {
        twin.rollout(16);
        steps += 16 * batch as u64;
    }
    Ok(steps as f64 / start.elapsed().as_secs_f64())
}

/// Human-readable rate: 12.3 M/s.
/// "4.2 k env-steps/s": a rate with its unit.
pub fn format_per_second(rate: f64, unit: &str) -> String {
    let text = format_rate(rate);
    let bare = text.trim_end_matches("/s").trim_end();
    // "1.5 k" splits into number and prefix; "98" has no prefix.
    let (number, prefix) = bare.rsplit_once(' ').unwrap_or((bare, ""));
    format!(
        "{number} {prefix}{}{unit}/s",
        if prefix.is_empty() { "" } else { " " }
    )
}

pub fn format_rate(rate: f64) -> String {
    match rate {
        r if r >= 1e9 => format!("{:.2} G/s", r / 1e9),
        r if r >= 1e6 => format!("{:.2} M/s", r / 1e6),
        r if r >= 1e3 => format!("{:.1} k/s", r / 1e3),
        r => format!("{r:.0} /s"),
    }
}
