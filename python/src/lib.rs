//! `wgym._native`: the thin PyO3 layer under the `wgym` Python package. It passes bytes
//! between Python and wgym's public API (the registry, `VecEnv` and its CPU twin
//! `CpuVecEnv`); numpy views, spaces and input checks live in `wgym/__init__.py`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyKeyError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use wgym::learn::report::LogRow;
use wgym::learn::run::Run;
use wgym::learn::TrainConfig;
use wgym::{CpuVecEnv, Env, Error, Gpu, ParamsInit, VecEnv, VecEnvConfig};

/// wgym's errors as the Python exceptions a user expects: bad input is a ValueError (an
/// unknown id a KeyError), anything from the device a RuntimeError.
fn to_py(e: Error) -> PyErr {
    let message = e.to_string();
    match e {
        Error::UnknownEnv { .. } => PyKeyError::new_err(message),
        Error::Invalid { .. } | Error::OverLimit { .. } => PyValueError::new_err(message),
        Error::Io { .. } => PyOSError::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

/// The process's device, opened on first use and shared by every batch (its pipeline
/// cache too). A failed open is not kept, so a later call tries again.
fn gpu() -> PyResult<Gpu> {
    static GPU: Mutex<Option<Gpu>> = Mutex::new(None);
    let mut slot = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if slot.is_none() {
        *slot = Some(Gpu::new().map_err(to_py)?);
    }
    Ok(slot.clone().expect("opened above"))
}

fn find_env(env_id: &str) -> PyResult<Arc<dyn Env>> {
    wgym::make(env_id).map_err(to_py)
}

/// Every registered env's spec: (id, obs_dim, num_actions, action_dim, max_steps,
/// description, params_size).
#[pyfunction]
fn envs() -> Vec<(String, u32, u32, u32, u32, String, usize)> {
    wgym::registry()
        .iter()
        .map(|registered| {
            let env = (registered.make)();
            let spec = env.spec();
            let params_size = env.params_size();
            (
                spec.id,
                spec.obs_dim,
                spec.num_actions,
                spec.action_dim,
                spec.max_steps,
                spec.description,
                params_size,
            )
        })
        .collect()
}

/// The env's default params struct, as bytes.
#[pyfunction]
fn default_params<'py>(py: Python<'py>, env_id: &str) -> PyResult<Bound<'py, PyBytes>> {
    Ok(PyBytes::new(py, &find_env(env_id)?.default_params_bytes()))
}

/// The two implementations of a batch: the GPU kernels and their CPU twin.
#[allow(clippy::large_enum_variant)] // one per batch: its size does not matter
enum Backend {
    Gpu(VecEnv),
    Cpu(CpuVecEnv),
}

/// One step's outputs as bytes: obs, final_obs (f32), rewards (f32), terminated,
/// truncated, success (one byte each per env).
type StepBytes = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

fn flag_bytes(flags: &[bool]) -> Vec<u8> {
    flags.iter().map(|&f| f as u8).collect()
}

impl Backend {
    fn new(kind: &str, env_id: &str, num_envs: u32, seed: u32, params: &[u8]) -> PyResult<Self> {
        let env = find_env(env_id)?;
        match kind {
            "gpu" => {
                let gpu = gpu()?;
                let mut config = VecEnvConfig::new(num_envs, seed);
                config.params = params_init(env.as_ref(), num_envs, params)?;
                Ok(Backend::Gpu(VecEnv::new(&gpu, env, config).map_err(to_py)?))
            }
            "cpu" => {
                let params = if params.is_empty() {
                    env.default_params_bytes()
                } else {
                    // The same checks as the GPU batch, so both reject the same input.
                    params_init(env.as_ref(), num_envs, params)?;
                    params.to_vec()
                };
                Ok(Backend::Cpu(
                    CpuVecEnv::new(env, num_envs, seed, &params).map_err(to_py)?,
                ))
            }
            other => Err(PyValueError::new_err(format!(
                "unknown backend {other:?}; use \"gpu\" or \"cpu\" (the CPU twin)"
            ))),
        }
    }

    fn reset(&mut self) -> wgym::Result<()> {
        match self {
            Backend::Gpu(env) => env.reset(),
            Backend::Cpu(twin) => {
                twin.reset();
                Ok(())
            }
        }
    }

    fn obs(&mut self) -> wgym::Result<Vec<f32>> {
        match self {
            Backend::Gpu(env) => env.obs(),
            Backend::Cpu(twin) => Ok(twin.obs.clone()),
        }
    }

    /// One step with `actions`, as the action buffer's words (checked by the caller).
    fn step(&mut self, actions: &[u32], continuous: bool) -> wgym::Result<StepBytes> {
        let bytes = |v: &[f32]| bytemuck::cast_slice::<f32, u8>(v).to_vec();
        match self {
            Backend::Gpu(env) => {
                if continuous {
                    let values: Vec<f32> = actions.iter().map(|&w| f32::from_bits(w)).collect();
                    env.set_action_values(&values)?;
                } else {
                    env.set_actions(actions)?;
                }
                env.step()?;
                Ok((
                    bytes(&env.obs()?),
                    bytes(&env.final_obs()?),
                    bytes(&env.rewards()?),
                    flag_bytes(&env.terminated()?),
                    flag_bytes(&env.truncated()?),
                    flag_bytes(&env.success()?),
                ))
            }
            Backend::Cpu(twin) => {
                twin.actions.copy_from_slice(actions);
                twin.step();
                Ok((
                    bytes(&twin.obs),
                    bytes(&twin.final_obs),
                    bytes(&twin.rewards),
                    flag_bytes(&twin.terminated),
                    flag_bytes(&twin.truncated),
                    flag_bytes(&twin.success),
                ))
            }
        }
    }

    /// The fused random rollout; its per-env `RolloutStats` as bytes.
    fn rollout(&mut self, steps: u32) -> wgym::Result<Vec<u8>> {
        let stats = match self {
            Backend::Gpu(env) => {
                env.rollout(steps)?;
                env.rollout_stats()?
            }
            Backend::Cpu(twin) => {
                twin.rollout(steps);
                twin.stats.clone()
            }
        };
        Ok(bytemuck::cast_slice(&stats).to_vec())
    }

    /// Draw every env's task again from the distribution `base` describes (see
    /// `VecEnv::sample_tasks`; the twin is checked by the GPU batch's rules).
    fn sample_tasks(&mut self, base: &[u8], seed: u32, task_group: u32) -> wgym::Result<()> {
        let key = wgym::rng::key(seed);
        match self {
            Backend::Gpu(env) => env.sample_tasks(base, key, task_group),
            Backend::Cpu(twin) => {
                twin.sample_tasks(base, key, task_group);
                Ok(())
            }
        }
    }

    fn params(&self) -> wgym::Result<Vec<u8>> {
        match self {
            Backend::Gpu(env) => env.params(),
            Backend::Cpu(twin) => Ok(twin.params_bytes()),
        }
    }
}

/// Params given from Python: empty for the defaults, one struct shared by every env, or
/// one per env.
fn params_init(env: &dyn Env, num_envs: u32, params: &[u8]) -> PyResult<ParamsInit> {
    let size = env.params_size();
    if params.is_empty() {
        Ok(ParamsInit::Default)
    } else if params.len() == size {
        Ok(ParamsInit::Shared(params.to_vec()))
    } else if params.len() == size * num_envs as usize {
        Ok(ParamsInit::PerEnv(params.to_vec()))
    } else {
        Err(PyValueError::new_err(format!(
            "params of {} bytes: expected one struct of {size} bytes or {num_envs} of them",
            params.len()
        )))
    }
}

/// A batch of one env, on the GPU or its CPU twin (see `wgym.make`).
#[pyclass(module = "wgym._native")]
struct Batch {
    backend: Backend,
    kind: String,
    env_id: String,
    num_envs: u32,
    params: Vec<u8>,
    continuous: bool,
    /// u32 words per action (`wgym::driver::action_words`).
    action_words: usize,
}

#[pymethods]
impl Batch {
    #[new]
    fn new(
        py: Python<'_>,
        env_id: &str,
        num_envs: u32,
        seed: u32,
        params: &[u8],
        backend: &str,
    ) -> PyResult<Self> {
        let made = py.detach(|| Backend::new(backend, env_id, num_envs, seed, params))?;
        let spec = find_env(env_id)?.spec();
        Ok(Batch {
            backend: made,
            kind: backend.to_string(),
            env_id: env_id.to_string(),
            num_envs,
            params: params.to_vec(),
            continuous: spec.action_dim > 0,
            action_words: wgym::driver::action_words(&spec) as usize,
        })
    }

    /// Start a fresh episode in every env; with a seed, the batch starts over from that
    /// seed (as a new batch would). Returns the observations as f32 bytes.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u32>) -> PyResult<Bound<'py, PyBytes>> {
        let obs = py.detach(|| {
            if let Some(seed) = seed {
                self.backend =
                    Backend::new(&self.kind, &self.env_id, self.num_envs, seed, &self.params)?;
            } else {
                self.backend.reset().map_err(to_py)?;
            }
            self.backend.obs().map_err(to_py)
        })?;
        Ok(PyBytes::new(py, bytemuck::cast_slice(&obs)))
    }

    /// One step with `actions` as the action buffer's words (u32 indices or f32 bits,
    /// already checked). Returns (obs, final_obs, rewards, terminated, truncated, success)
    /// as bytes.
    fn step<'py>(&mut self, py: Python<'py>, actions: &[u8]) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let words: Vec<u32> = bytemuck::pod_collect_to_vec(actions);
        let expected = self.num_envs as usize * self.action_words;
        if words.len() != expected || !actions.len().is_multiple_of(4) {
            return Err(PyValueError::new_err(format!(
                "actions of {} bytes: expected {expected} words of 4 bytes",
                actions.len()
            )));
        }
        let continuous = self.continuous;
        let out = py.detach(|| self.backend.step(&words, continuous).map_err(to_py))?;
        let (obs, final_obs, rewards, terminated, truncated, success) = out;
        Ok([obs, final_obs, rewards, terminated, truncated, success]
            .iter()
            .map(|b| PyBytes::new(py, b))
            .collect())
    }

    /// The fused rollout of `steps` random steps; the per-env statistics as bytes of
    /// (episode_return f32, return_sum f32, episodes u32, obs_checksum u32).
    fn rollout<'py>(&mut self, py: Python<'py>, steps: u32) -> PyResult<Bound<'py, PyBytes>> {
        let stats = py.detach(|| self.backend.rollout(steps).map_err(to_py))?;
        Ok(PyBytes::new(py, &stats))
    }

    /// The params the kernels see: one struct, or one per env.
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let params = py.detach(|| self.backend.params().map_err(to_py))?;
        Ok(PyBytes::new(py, &params))
    }

    /// Draw every env's task again from `base` (one params struct): envs i with equal
    /// i / `task_group` share a draw from `seed`.
    fn sample_tasks(
        &mut self,
        py: Python<'_>,
        base: &[u8],
        seed: u32,
        task_group: u32,
    ) -> PyResult<()> {
        if self.kind == "cpu" {
            // The twin trusts its input: hold it to the GPU batch's checks of `base`.
            let env = find_env(&self.env_id)?;
            if base.len() != env.params_size() {
                let size = env.params_size();
                return Err(PyValueError::new_err(format!(
                    "task distribution of {} bytes: expected one params struct of {size}",
                    base.len()
                )));
            }
            env.check_params_bytes(base).map_err(|why| {
                PyValueError::new_err(format!("invalid task distribution: {why}"))
            })?;
        }
        py.detach(|| {
            self.backend
                .sample_tasks(base, seed, task_group)
                .map_err(to_py)
        })
    }

    /// The device's description ("cpu twin" for the CPU backend).
    fn device(&self) -> String {
        match &self.backend {
            Backend::Gpu(env) => env.gpu().describe(),
            Backend::Cpu(_) => "cpu twin".to_string(),
        }
    }
}

/// A training run (`wgym::learn::run::Run`, what `wgym train` drives), stepped from
/// Python one update at a time so that Ctrl-C lands between updates.
#[pyclass(module = "wgym._native")]
struct TrainRun {
    run: Run,
}

/// One log row: (update, env_steps, seconds, mean_return, episodes, successes,
/// policy_loss, value_loss, entropy, approx_kl, clip_frac, grad_norm).
type Row = (u32, u64, f64, f32, f32, f32, f32, f32, f32, f32, f32, f32);

fn row(r: &LogRow) -> Row {
    let (mean_return, ..) = r.return_spread();
    (
        r.update,
        r.env_steps,
        r.seconds,
        mean_return,
        r.episodes,
        r.successes,
        r.policy_loss,
        r.value_loss,
        r.entropy,
        r.approx_kl,
        r.clip_frac,
        r.grad_norm,
    )
}

#[pymethods]
impl TrainRun {
    /// A fresh run of `agents` agents on `env_id` writing to `out`; `config_toml` overlays
    /// the env's training defaults (unknown keys are a ValueError).
    #[staticmethod]
    fn start(
        py: Python<'_>,
        env_id: &str,
        config_toml: &str,
        agents: u32,
        out: PathBuf,
    ) -> PyResult<TrainRun> {
        find_env(env_id)?;
        let config = TrainConfig::from_toml(env_id, config_toml).map_err(to_py)?;
        let gpu = gpu()?;
        let run = py.detach(|| Run::start(&gpu, env_id, agents, config, &out).map_err(to_py))?;
        Ok(TrainRun { run })
    }

    /// The run whose checkpoint is in `out`, where it stopped.
    #[staticmethod]
    fn resume(py: Python<'_>, out: PathBuf) -> PyResult<TrainRun> {
        let gpu = gpu()?;
        let run = py.detach(|| Run::resume(&gpu, &out, None).map_err(to_py))?;
        Ok(TrainRun { run })
    }

    fn done(&self) -> bool {
        self.run.done()
    }

    /// One update (the GIL released), checkpointing when due or when `checkpoint` asks.
    fn step(&mut self, py: Python<'_>, checkpoint: bool) -> PyResult<()> {
        py.detach(|| self.run.step(checkpoint).map(drop).map_err(to_py))
    }

    /// Write the checkpoint, log and curve now.
    fn save(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.run.save().map_err(to_py))
    }

    /// The log rows so far (see `Row`).
    fn history(&self) -> Vec<Row> {
        self.run.history().iter().map(row).collect()
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(envs, m)?)?;
    m.add_function(wrap_pyfunction!(default_params, m)?)?;
    m.add_class::<Batch>()?;
    m.add_class::<TrainRun>()?;
    Ok(())
}
