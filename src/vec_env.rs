//! `VecEnv`: a batch of one environment on the GPU, driven by the step kernel or the fused
//! rollout kernel. Nothing is read back unless asked for.

use std::sync::Arc;

use bytemuck::Zeroable;

use crate::buffer::GpuBuffer;
use crate::driver::{self, keys, Driver, DriverConfig, RolloutStats, Streams};
use crate::env::{Env, EnvSpec};
use crate::error::{Error, Result};
use crate::gpu::Gpu;

/// How the params buffer is filled.
#[derive(Clone, Debug, Default)]
pub enum ParamsInit {
    /// The env's default params, shared by every env.
    #[default]
    Default,
    /// One params struct (as bytes) shared by every env.
    Shared(Vec<u8>),
    /// One params struct per env, concatenated: a task distribution made explicit.
    PerEnv(Vec<u8>),
}

#[derive(Clone, Debug)]
pub struct VecEnvConfig {
    pub batch: u32,
    pub seed: u32,
    /// Invocations per workgroup; results do not depend on it.
    pub workgroup_size: u32,
    pub params: ParamsInit,
    /// Which random stream each env draws from (default: its own).
    pub streams: Streams,
}

impl VecEnvConfig {
    pub fn new(batch: u32, seed: u32) -> Self {
        VecEnvConfig {
            batch,
            seed,
            workgroup_size: 64,
            params: ParamsInit::Default,
            streams: Streams::default(),
        }
    }
}

/// Config slots per submission: each dispatch reads its own slot through a dynamic offset.
const CONFIG_SLOTS: u32 = 64;

struct Kernels {
    bind_group: wgpu::BindGroup,
    pipelines: Vec<(&'static str, wgpu::ComputePipeline)>,
}

impl Kernels {
    /// The pipelines for `entries` of `driver`'s module, bound to `storage` after the
    /// config and tables.
    fn new(
        env: &VecEnv,
        driver: Driver,
        entries: &[&'static str],
        storage: &[&wgpu::Buffer],
    ) -> Result<Kernels> {
        Self::specialized(env, driver, entries, storage, &env.specialized_for)
    }

    /// [`Kernels::new`] with the module specialised for `params` (concatenated structs).
    fn specialized(
        env: &VecEnv,
        driver: Driver,
        entries: &[&'static str],
        storage: &[&wgpu::Buffer],
        params: &[u8],
    ) -> Result<Kernels> {
        let module = driver::compose(env.env.as_ref(), driver, params)?;
        let layout = driver.bind_group_layout(&env.gpu);
        let mut pipelines = Vec::new();
        for &entry in entries {
            let pipeline = module.pipeline(&env.gpu, entry, env.workgroup_size, &layout)?;
            pipelines.push((entry, pipeline));
        }
        let bind_group = bind(&env.gpu, &layout, [&env.config, &env.tables], storage);
        Ok(Kernels {
            bind_group,
            pipelines,
        })
    }

    fn get(&self, entry: &str) -> &wgpu::ComputePipeline {
        &self.pipelines.iter().find(|(e, _)| *e == entry).unwrap().1
    }
}

/// Task sampling after creation (`VecEnv::sample_tasks`): the distribution's params and
/// the kernel that draws from them into the batch's params.
struct TaskSampler {
    base: GpuBuffer<u32>,
    kernels: Kernels,
}

/// What only the step kernel needs: allocated on first use, so that a batch that is only
/// rolled out never holds observations in memory (they can be most of it).
struct StepBuffers {
    actions: GpuBuffer<u32>,
    obs: GpuBuffer<f32>,
    final_obs: GpuBuffer<f32>,
    rewards: GpuBuffer<f32>,
    /// STEP_TERMINATED | STEP_TRUNCATED | STEP_SUCCESS per env.
    flags: GpuBuffer<u32>,
    kernels: Kernels,
}

/// Bits of the step kernel's flags (`shaders/step.wgsl`).
const STEP_TERMINATED: u32 = 1;
const STEP_TRUNCATED: u32 = 2;
const STEP_SUCCESS: u32 = 4;

pub struct VecEnv {
    gpu: Gpu,
    env: Arc<dyn Env>,
    spec: EnvSpec,
    batch: u32,
    seed: u32,
    workgroup_size: u32,
    groups: (u32, u32),
    step_count: u32,
    params_per_env: bool,
    streams: Streams,
    config_stride: u64,
    config: wgpu::Buffer,
    tables: wgpu::Buffer,
    params: GpuBuffer<u32>,
    /// The params the batch was created with, which its modules are specialised for.
    specialized_for: Vec<u8>,
    states: GpuBuffer<u32>,
    stats: GpuBuffer<RolloutStats>,
    /// `reset` and `rollout`.
    kernels: Option<Kernels>,
    step: Option<StepBuffers>,
    tasks: Option<TaskSampler>,
}

impl VecEnv {
    /// Allocate the batch, sample per-env tasks where the env does, and reset every env.
    pub fn new(gpu: &Gpu, env: Arc<dyn Env>, config: VecEnvConfig) -> Result<VecEnv> {
        let spec = env.spec();
        if config.batch == 0 {
            return Err(Error::invalid("batch size", "it must be at least 1"));
        }
        driver::check_workgroup_size(gpu, config.workgroup_size)?;
        let Streams { block, group } = config.streams;
        if group != 0 && (block == 0 || !group.is_multiple_of(block)) {
            return Err(Error::invalid(
                "random streams",
                format!("a group of {group} envs is not a whole number of blocks of {block}"),
            ));
        }
        let groups = driver::dispatch_size(gpu, config.batch, config.workgroup_size)?;
        let b = config.batch as usize;
        let (params_words, params_per_env) = params_words(env.as_ref(), &config.params, b)?;
        let config_stride = (std::mem::size_of::<DriverConfig>() as u64)
            .next_multiple_of(gpu.limits().min_uniform_buffer_offset_alignment as u64);
        let config_buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("driver config"),
            size: config_stride * CONFIG_SLOTS as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let table_bytes = driver::table_bytes(env.as_ref());
        let tables = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("env tables"),
            size: table_bytes.len() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        gpu.queue.write_buffer(&tables, 0, &table_bytes);
        let state_words = env.state_size() / 4;
        let mut vec_env = VecEnv {
            gpu: gpu.clone(),
            params: GpuBuffer::from_slice(gpu, "the params buffer", &params_words)?,
            specialized_for: bytemuck::cast_slice(&params_words).to_vec(),
            states: GpuBuffer::zeroed(gpu, "the state buffer", b * state_words)?,
            stats: GpuBuffer::zeroed(gpu, "the rollout statistics", b)?,
            env,
            spec,
            batch: config.batch,
            seed: config.seed,
            workgroup_size: config.workgroup_size,
            groups,
            step_count: 0,
            params_per_env,
            streams: config.streams,
            config_stride,
            config: config_buffer,
            tables,
            kernels: None,
            step: None,
            tasks: None,
        };
        if vec_env.env.samples_params() {
            vec_env.sample_params()?;
        }
        vec_env.kernels = Some(Kernels::new(
            &vec_env,
            Driver::Rollout,
            &["reset", "rollout"],
            &[
                &vec_env.params.buffer,
                &vec_env.states.buffer,
                &vec_env.stats.buffer,
            ],
        )?);
        vec_env.reset()?;
        Ok(vec_env)
    }

    /// Replace the params buffer by one concrete task per env, drawn on the GPU.
    fn sample_params(&mut self) -> Result<()> {
        let b = self.batch as usize;
        let sampled = GpuBuffer::zeroed(
            &self.gpu,
            "the params buffer",
            b * self.env.params_size() / 4,
        )?;
        let kernels = Kernels::new(
            self,
            Driver::SampleParams,
            &["sample_params"],
            &[&self.params.buffer, &sampled.buffer],
        )?;
        let cfg = self.config_at(keys::params_root(self.seed), 0);
        self.run("sampling tasks", &kernels, &[cfg], &["sample_params"])?;
        self.params = sampled;
        self.params_per_env = true;
        Ok(())
    }

    /// Draw every env's task again, on the GPU, from the distribution that `base` (one
    /// params struct) describes: envs i with equal i / `task_group` share a draw from `key`
    /// (twin: `CpuVecEnv::sample_tasks`). The batch must hold per-env params, and its
    /// modules stay specialised for the params it was created with, so those should be
    /// draws of the same kinds (e.g. a first draw made on the host).
    pub fn sample_tasks(
        &mut self,
        base: &[u8],
        key: crate::rng::Key,
        task_group: u32,
    ) -> Result<()> {
        if !self.params_per_env {
            return Err(Error::invalid(
                "task sampling",
                "the batch shares one params struct; create it with per-env params",
            ));
        }
        if base.len() != self.env.params_size() {
            return Err(Error::invalid(
                "task distribution",
                format!("{} bytes, expected {}", base.len(), self.env.params_size()),
            ));
        }
        self.env
            .check_params_bytes(base)
            .map_err(|why| Error::invalid("task distribution", why))?;
        let words: Vec<u32> = bytemuck::pod_collect_to_vec(base);
        if self.tasks.is_none() {
            let buffer = GpuBuffer::from_slice(&self.gpu, "the task distribution", &words)?;
            let mut union = base.to_vec();
            union.extend_from_slice(&self.specialized_for);
            let kernels = Kernels::specialized(
                self,
                Driver::SampleParams,
                &["sample_params"],
                &[&buffer.buffer, &self.params.buffer],
                &union,
            )?;
            self.tasks = Some(TaskSampler {
                base: buffer,
                kernels,
            });
        }
        let sampler = self.tasks.as_ref().expect("just created");
        sampler.base.write(&self.gpu, &words)?;
        let cfg = DriverConfig {
            params_per_env: 0,
            task_group,
            ..self.config_at(key, 0)
        };
        self.run(
            "sampling tasks",
            &sampler.kernels,
            &[cfg],
            &["sample_params"],
        )
    }

    /// The step kernel's buffers and pipelines, created on first use.
    fn step_buffers(&mut self) -> Result<&StepBuffers> {
        self.ensure_step_buffers()?;
        Ok(self.step.as_ref().expect("just created"))
    }

    fn ensure_step_buffers(&mut self) -> Result<()> {
        if self.step.is_none() {
            let b = self.batch as usize;
            let obs_len = b * self.spec.obs_dim as usize;
            let gpu = &self.gpu;
            let obs = GpuBuffer::zeroed(gpu, "the observation buffer", obs_len)?;
            let final_obs = GpuBuffer::zeroed(gpu, "the final-observation buffer", obs_len)?;
            let words = driver::action_words(&self.spec) as usize;
            let actions = GpuBuffer::zeroed(gpu, "the action buffer", b * words)?;
            let rewards = GpuBuffer::zeroed(gpu, "the reward buffer", b)?;
            let flags = GpuBuffer::zeroed(gpu, "the step flags", b)?;
            let kernels = Kernels::new(
                self,
                Driver::Step,
                &["observe", "sample_actions", "step"],
                &[
                    &self.params.buffer,
                    &self.states.buffer,
                    &actions.buffer,
                    &obs.buffer,
                    &final_obs.buffer,
                    &rewards.buffer,
                    &flags.buffer,
                ],
            )?;
            self.step = Some(StepBuffers {
                actions,
                obs,
                final_obs,
                rewards,
                flags,
                kernels,
            });
            self.observe()?;
        }
        Ok(())
    }

    /// Read back one of the step kernel's buffers.
    fn read_step<T: bytemuck::Pod>(
        &mut self,
        buffer: impl Fn(&StepBuffers) -> &GpuBuffer<T>,
    ) -> Result<Vec<T>> {
        self.ensure_step_buffers()?;
        buffer(self.step.as_ref().expect("just created")).read(&self.gpu)
    }

    /// Write every env's current observation (step mode).
    fn observe(&self) -> Result<()> {
        let Some(step) = &self.step else {
            return Ok(());
        };
        let cfg = self.config_at(keys::step_root(self.seed), self.step_count);
        self.run("observe", &step.kernels, &[cfg], &["observe"])
    }

    pub fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    pub fn batch(&self) -> u32 {
        self.batch
    }

    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }

    pub fn env(&self) -> &dyn Env {
        self.env.as_ref()
    }

    /// Whether `env_observe` writes every entry (else the step kernel zero-fills first).
    pub fn obs_dense(&self) -> bool {
        self.env
            .wgsl()
            .consts
            .iter()
            .any(|&(name, value)| name == "OBS_DENSE" && value == 1)
    }

    /// Global step counter: the number of steps taken since creation.
    pub fn step_count(&self) -> u32 {
        self.step_count
    }

    /// Start a fresh episode in every env (running returns are cleared too).
    pub fn reset(&mut self) -> Result<()> {
        let cfg = self.config_at(keys::reset_root(self.seed, self.step_count), 0);
        self.gpu.scoped("clearing rollout statistics", || {
            let zeros = vec![RolloutStats::default(); self.batch as usize];
            self.stats.write(&self.gpu, &zeros)
        })??;
        self.run("reset", self.kernels(), &[cfg], &["reset"])?;
        self.observe()
    }

    fn kernels(&self) -> &Kernels {
        self.kernels.as_ref().expect("created in VecEnv::new")
    }

    /// Upload actions for the next [`VecEnv::step`] of a discrete action space; each must be
    /// below `num_actions`.
    pub fn set_actions(&mut self, actions: &[u32]) -> Result<()> {
        if self.spec.action_dim != 0 {
            return Err(Error::invalid(
                "actions",
                format!(
                    "{} has continuous actions of {} values: use set_action_values",
                    self.spec.id, self.spec.action_dim
                ),
            ));
        }
        if actions.len() != self.batch as usize {
            return Err(Error::invalid(
                "actions",
                format!("{} given for a batch of {}", actions.len(), self.batch),
            ));
        }
        if let Some((i, a)) = actions
            .iter()
            .enumerate()
            .find(|(_, &a)| a >= self.spec.num_actions)
        {
            return Err(Error::invalid(
                "actions",
                format!(
                    "action {a} of env {i} is not below num_actions = {} of {}",
                    self.spec.num_actions, self.spec.id
                ),
            ));
        }
        self.ensure_step_buffers()?;
        let step = self.step.as_ref().expect("just created");
        step.actions.write(&self.gpu, actions)
    }

    /// Upload actions for the next [`VecEnv::step`] of a continuous action space:
    /// `action_dim` finite values per env, [env][dim] (envs clip them to [-1, 1]).
    pub fn set_action_values(&mut self, values: &[f32]) -> Result<()> {
        let d = self.spec.action_dim as usize;
        if d == 0 {
            return Err(Error::invalid(
                "actions",
                format!("{} has discrete actions: use set_actions", self.spec.id),
            ));
        }
        if values.len() != self.batch as usize * d {
            return Err(Error::invalid(
                "actions",
                format!(
                    "{} values given for a batch of {} x {d}",
                    values.len(),
                    self.batch
                ),
            ));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "actions",
                format!("value {} of env {} is not finite", i % d, i / d),
            ));
        }
        self.ensure_step_buffers()?;
        let step = self.step.as_ref().expect("just created");
        let words: Vec<u32> = values.iter().map(|v| v.to_bits()).collect();
        step.actions.write(&self.gpu, &words)
    }

    /// One step of every env with the actions in the action buffer.
    pub fn step(&mut self) -> Result<()> {
        self.steps(1, false)
    }

    /// `n` steps with uniform random actions drawn on the GPU by the `sample_actions`
    /// kernel (the same draws the fused rollout makes), recorded without readback.
    pub fn step_random(&mut self, n: u32) -> Result<()> {
        self.steps(n, true)
    }

    fn steps(&mut self, n: u32, random: bool) -> Result<()> {
        self.ensure_step_buffers()?;
        let step = self.step.as_ref().expect("just created");
        let mut left = n;
        while left > 0 {
            let chunk = left.min(CONFIG_SLOTS);
            let configs: Vec<DriverConfig> = (0..chunk)
                .map(|k| self.config_at(keys::step_root(self.seed), self.step_count + k))
                .collect();
            let entries: &[&str] = if random {
                &["sample_actions", "step"]
            } else {
                &["step"]
            };
            self.run("step", &step.kernels, &configs, entries)?;
            self.step_count = self.step_count.wrapping_add(chunk);
            left -= chunk;
        }
        Ok(())
    }

    /// The fused rollout: `steps` steps of every env with uniform random actions inside one
    /// dispatch. Results: [`VecEnv::rollout_stats`] and the final states.
    pub fn rollout(&mut self, steps: u32) -> Result<()> {
        let per_dispatch =
            driver::steps_per_dispatch(&self.gpu, self.env.wgsl().loop_iterations + 2);
        let configs: Vec<DriverConfig> = (0..steps.div_ceil(per_dispatch.max(1)))
            .map(|k| {
                let offset = k * per_dispatch;
                let mut cfg = self.config_at(
                    keys::step_root(self.seed),
                    self.step_count.wrapping_add(offset),
                );
                cfg.num_steps = per_dispatch.min(steps - offset);
                cfg.rollout_offset = offset;
                cfg.rollout_steps = steps;
                cfg
            })
            .collect();
        for chunk in configs.chunks(CONFIG_SLOTS as usize) {
            self.run("rollout", self.kernels(), chunk, &["rollout"])?;
        }
        self.step_count = self.step_count.wrapping_add(steps);
        self.observe()?;
        Ok(())
    }

    /// Block until submitted work is done.
    pub fn wait(&self) -> Result<()> {
        self.gpu.wait()
    }

    /// Observations of the current states (step mode: the first call allocates the step
    /// kernel's buffers, hence `&mut`).
    pub fn obs(&mut self) -> Result<Vec<f32>> {
        self.read_step(|b| &b.obs)
    }
    /// Final observations; entry i is valid where env i terminated or truncated.
    pub fn final_obs(&mut self) -> Result<Vec<f32>> {
        self.read_step(|b| &b.final_obs)
    }
    pub fn rewards(&mut self) -> Result<Vec<f32>> {
        self.read_step(|b| &b.rewards)
    }
    pub fn terminated(&mut self) -> Result<Vec<bool>> {
        self.step_flag(STEP_TERMINATED)
    }
    pub fn truncated(&mut self) -> Result<Vec<bool>> {
        self.step_flag(STEP_TRUNCATED)
    }
    /// Whether each env's last step met its task's success criterion.
    pub fn success(&mut self) -> Result<Vec<bool>> {
        self.step_flag(STEP_SUCCESS)
    }
    fn step_flag(&mut self, bit: u32) -> Result<Vec<bool>> {
        let flags = self.read_step(|b| &b.flags)?;
        Ok(flags.iter().map(|&x| x & bit != 0).collect())
    }
    pub fn actions(&mut self) -> Result<Vec<u32>> {
        self.read_step(|b| &b.actions)
    }
    pub fn rollout_stats(&self) -> Result<Vec<RolloutStats>> {
        self.stats.read(&self.gpu)
    }
    /// All env states, concatenated `#[repr(C)]` bytes.
    pub fn states(&self) -> Result<Vec<u8>> {
        Ok(bytemuck::cast_slice(&self.states.read(&self.gpu)?).to_vec())
    }
    /// Params as the kernels see them: one struct, or one per env.
    pub fn params(&self) -> Result<Vec<u8>> {
        Ok(bytemuck::cast_slice(&self.params.read(&self.gpu)?).to_vec())
    }
    pub fn params_per_env(&self) -> bool {
        self.params_per_env
    }

    /// Overwrite every env's state (e.g. to teacher-force from a CPU twin).
    pub fn write_states(&mut self, bytes: &[u8]) -> Result<()> {
        let expected = self.batch as usize * self.env.state_size();
        if bytes.len() != expected {
            return Err(Error::invalid(
                "states",
                format!("{} bytes given, expected {expected}", bytes.len()),
            ));
        }
        self.states
            .write(&self.gpu, &bytemuck::pod_collect_to_vec::<u8, u32>(bytes))?;
        self.observe()
    }

    /// The action buffer (`driver::action_words` u32 words per env: an index, or the bits of
    /// `action_dim` f32 values), for kernels of an embedding program to write.
    pub fn action_buffer(&mut self) -> Result<&wgpu::Buffer> {
        Ok(&self.step_buffers()?.actions.buffer)
    }
    /// The observation buffer (`obs_dim` f32 per env), for kernels of an embedding program.
    pub fn obs_buffer(&mut self) -> Result<&wgpu::Buffer> {
        Ok(&self.step_buffers()?.obs.buffer)
    }

    pub fn seed(&self) -> u32 {
        self.seed
    }

    /// For drivers outside this file (the learners' policy rollout): the buffers they
    /// bind and the params the modules are specialised for.
    pub(crate) fn driver_buffers(&self) -> [&wgpu::Buffer; 4] {
        [
            &self.config,
            &self.tables,
            &self.params.buffer,
            &self.states.buffer,
        ]
    }
    pub(crate) fn specialized_for(&self) -> &[u8] {
        &self.specialized_for
    }
    /// Move the global step counter on after `steps` steps taken by another driver, or
    /// back to a checkpoint's.
    pub(crate) fn set_step_count(&mut self, step_count: u32) {
        self.step_count = step_count;
    }
    /// The config of a dispatch at global step `step` of the stepping stream.
    pub(crate) fn step_config(&self, step: u32) -> DriverConfig {
        self.config_at(keys::step_root(self.seed), step)
    }

    fn config_at(&self, key: crate::rng::Key, step: u32) -> DriverConfig {
        DriverConfig {
            key,
            step,
            batch: self.batch,
            params_per_env: self.params_per_env as u32,
            stream_block: self.streams.block,
            stream_group: self.streams.group,
            ..Zeroable::zeroed()
        }
    }

    /// One submission: `configs` written to their slots, then for each slot the `entries`
    /// dispatched in order. Inside an error scope, so a lost device is an `Err`.
    fn run(
        &self,
        what: &str,
        kernels: &Kernels,
        configs: &[DriverConfig],
        entries: &[&str],
    ) -> Result<()> {
        let stride = self.config_stride as usize;
        let mut bytes = vec![0u8; stride * configs.len()];
        for (k, c) in configs.iter().enumerate() {
            bytes[k * stride..k * stride + std::mem::size_of::<DriverConfig>()]
                .copy_from_slice(bytemuck::bytes_of(c));
        }
        self.gpu.scoped(what, || {
            self.gpu.queue.write_buffer(&self.config, 0, &bytes);
            let mut encoder = self.gpu.device.create_command_encoder(&Default::default());
            for slot in 0..configs.len() {
                for entry in entries {
                    let mut pass = encoder.begin_compute_pass(&Default::default());
                    pass.set_pipeline(kernels.get(entry));
                    let offset = (slot * stride) as u32;
                    pass.set_bind_group(0, &kernels.bind_group, &[offset]);
                    pass.dispatch_workgroups(self.groups.0, self.groups.1, 1);
                }
            }
            self.gpu.queue.submit([encoder.finish()]);
        })
    }
}

fn params_words(env: &dyn Env, init: &ParamsInit, batch: usize) -> Result<(Vec<u32>, bool)> {
    let size = env.params_size();
    let (bytes, per_env) = match init {
        ParamsInit::Default => (env.default_params_bytes(), false),
        ParamsInit::Shared(b) => (b.clone(), false),
        ParamsInit::PerEnv(b) => (b.clone(), true),
    };
    let count = if per_env { batch } else { 1 };
    if bytes.len() != size * count {
        return Err(Error::invalid(
            "params",
            format!(
                "{} bytes given, expected {} ({} x {size}-byte params of {})",
                bytes.len(),
                size * count,
                count,
                env.spec().id
            ),
        ));
    }
    for (i, chunk) in bytes.chunks(size).enumerate() {
        env.check_params_bytes(chunk)
            .map_err(|why| Error::invalid(format!("params of env {i}"), why))?;
    }
    Ok((bytemuck::pod_collect_to_vec(&bytes), per_env))
}

/// Bind config (0, one slot), params (1), tables (2) and the driver's storage (3..).
pub(crate) fn bind(
    gpu: &Gpu,
    layout: &wgpu::BindGroupLayout,
    [config, tables]: [&wgpu::Buffer; 2],
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    let (params, storage) = buffers.split_first().expect("params are always bound");
    let mut entries = vec![
        wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: config,
                offset: 0,
                size: wgpu::BufferSize::new(std::mem::size_of::<DriverConfig>() as u64),
            }),
        },
        wgpu::BindGroupEntry {
            binding: 1,
            resource: params.as_entire_binding(),
        },
        wgpu::BindGroupEntry {
            binding: 2,
            resource: tables.as_entire_binding(),
        },
    ];
    for (k, buffer) in storage.iter().enumerate() {
        entries.push(wgpu::BindGroupEntry {
            binding: 3 + k as u32,
            resource: buffer.as_entire_binding(),
        });
    }
    gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("wgym driver"),
        layout,
        entries: &entries,
    })
}
