//! What the driver shaders (`shaders/driver.wgsl`, `step.wgsl`, `rollout.wgsl`,
//! `sample_params.wgsl`) share with the host: the dispatch config, the key schedule, the
//! rollout statistics, the module composition and the dispatch geometry.

use bytemuck::{Pod, Zeroable};

use crate::env::Env;
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::rng::{self, Key};
use crate::shader::{const_prelude, Composed, Part, RNG_WGSL};

const DRIVER_WGSL: &str = include_str!("../shaders/driver.wgsl");
const STEP_WGSL: &str = include_str!("../shaders/step.wgsl");
const ROLLOUT_WGSL: &str = include_str!("../shaders/rollout.wgsl");
const SAMPLE_PARAMS_WGSL: &str = include_str!("../shaders/sample_params.wgsl");
const POLICY_ROLLOUT_WGSL: &str = include_str!("../shaders/policy_rollout.wgsl");

/// Twin of WGSL `DriverConfig` (a uniform).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct DriverConfig {
    pub key: Key,
    pub step: u32,
    pub batch: u32,
    pub params_per_env: u32,
    pub num_steps: u32,
    pub envs_per_agent: u32,
    /// Steps of the rollout done by earlier dispatches (0: it starts here).
    pub rollout_offset: u32,
    /// The whole rollout's length.
    pub rollout_steps: u32,
    /// `sample_params`: envs i with equal i / task_group draw the same task (0 or 1: one
    /// task per env).
    pub task_group: u32,
    /// Random streams: see [`Streams`].
    pub stream_block: u32,
    pub stream_group: u32,
}

/// Which random stream each env draws from (twin of WGSL `env_stream`): with a group of
/// `group` envs made of blocks of `block`, env i draws from stream
/// `(i / group) * block + i % block`, so every block of a group replays the same
/// randomness (common random numbers, e.g. for the members of an antithetic pair and their
/// baseline). The default (group 0) gives every env its own stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Streams {
    pub block: u32,
    pub group: u32,
}

impl Streams {
    pub fn index(&self, i: u32) -> u32 {
        match i.checked_div(self.group) {
            None => i,
            Some(group) => group * self.block + i % self.block,
        }
    }
}

/// Twin of WGSL `RolloutStats`, one per env.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct RolloutStats {
    /// Return of the running episode, carried across rollouts.
    pub episode_return: f32,
    /// Sum of the returns of the episodes finished in the last rollout.
    pub return_sum: f32,
    /// Episodes finished in the last rollout.
    pub episodes: u32,
    /// Checksum of every observation computed in the last rollout (see rollout.wgsl).
    pub obs_checksum: u32,
}

/// The key schedule. From a seed's root key, three streams: stepping (per env, per global
/// step; the step, auto-reset and action fold in 0, 1, 2), explicit resets (per global
/// step, per env) and task sampling (per env).
pub mod keys {
    use super::*;

    pub const KEY_STEP: u32 = 0;
    pub const KEY_RESET: u32 = 1;
    pub const KEY_ACTION: u32 = 2;

    /// `cfg.key` for the step and rollout kernels.
    pub fn step_root(seed: u32) -> Key {
        rng::fold(rng::key(seed), 0)
    }
    /// `cfg.key` for the reset kernel called at global step `t`.
    pub fn reset_root(seed: u32, t: u32) -> Key {
        rng::fold(rng::fold(rng::key(seed), 1), t)
    }
    /// `cfg.key` for the sample_params kernel.
    pub fn params_root(seed: u32) -> Key {
        rng::fold(rng::key(seed), 2)
    }
    /// Twin of WGSL `step_key`.
    pub fn step_key(root: Key, env: u32, t: u32) -> Key {
        rng::fold(rng::fold(root, env), t)
    }
    /// Twin of WGSL `random_action`, as action words: a uniform index, or values uniform
    /// on the 2^-23 grid of [-1, 1).
    pub fn random_action(t_key: Key, spec: &crate::env::EnvSpec) -> Vec<u32> {
        let key = rng::fold(t_key, KEY_ACTION);
        if spec.action_dim == 0 {
            return vec![rng::below(key, 0, spec.num_actions)];
        }
        (0..spec.action_dim)
            .map(|k| (2.0 * rng::uniform(key, k) - 1.0).to_bits())
            .collect()
    }
}

/// Words per action in the drivers' action buffers.
pub fn action_words(spec: &crate::env::EnvSpec) -> u32 {
    spec.action_dim.max(1)
}

/// The WGSL of an env's action type (alias `Action`), its random draw and its words, for
/// the prelude of the driver modules.
pub fn action_prelude(spec: &crate::env::EnvSpec) -> String {
    let words = action_words(spec);
    if spec.action_dim == 0 {
        return format!(
            "const ACTION_DIM: u32 = 0u;\nconst ACTION_WORDS: u32 = {words}u;\nalias Action = u32;\n\
             fn random_action(t_key: Key) -> Action {{\n    return rng_below(rng_fold(t_key, KEY_ACTION), 0u, NUM_ACTIONS);\n}}\n\
             fn action_word(a: Action, k: u32) -> u32 {{\n    return a;\n}}\n\
             fn set_action_word(a: ptr<function, Action>, k: u32, w: u32) {{\n    *a = w;\n}}\n"
        );
    }
    let d = spec.action_dim;
    format!(
        "const ACTION_DIM: u32 = {d}u;\nconst ACTION_WORDS: u32 = {words}u;\nalias Action = array<f32, {d}>;\n\
         fn random_action(t_key: Key) -> Action {{\n    var a: Action;\n    let key = rng_fold(t_key, KEY_ACTION);\n\
             for (var k = 0u; k < ACTION_DIM; k++) {{\n        a[k] = 2.0 * rng_uniform(key, k) - 1.0;\n    }}\n    return a;\n}}\n\
         fn action_word(a: Action, k: u32) -> u32 {{\n    return bitcast<u32>(a[k]);\n}}\n\
         fn set_action_word(a: ptr<function, Action>, k: u32, w: u32) {{\n    (*a)[k] = bitcast<f32>(w);\n}}\n"
    )
}

/// Twin of the rollout's `obs_put`: the checksum contribution of a dense observation.
pub fn obs_checksum(obs: &[f32]) -> u32 {
    obs.iter().enumerate().fold(0u32, |sum, (j, v)| {
        sum.wrapping_add(v.to_bits().wrapping_mul(2 * j as u32 + 1))
    })
}

/// Which driver a module is composed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    Step,
    Rollout,
    SampleParams,
    /// The rollout with a policy network (the learners' driver, see `learn::Trainer`).
    PolicyRollout,
}

impl Driver {
    fn part(self) -> Part {
        match self {
            Driver::Step => Part::new("shaders/step.wgsl", STEP_WGSL),
            Driver::Rollout => Part::new("shaders/rollout.wgsl", ROLLOUT_WGSL),
            Driver::SampleParams => Part::new("shaders/sample_params.wgsl", SAMPLE_PARAMS_WGSL),
            Driver::PolicyRollout => Part::new("shaders/policy_rollout.wgsl", POLICY_ROLLOUT_WGSL),
        }
    }

    /// Read-write storage bindings after config (0), params (1) and tables (2).
    fn storage_bindings(self) -> u32 {
        match self {
            Driver::Step => 6,
            Driver::Rollout => 2,
            Driver::SampleParams => 1,
            Driver::PolicyRollout => 6,
        }
    }

    pub fn bind_group_layout(self, gpu: &Gpu) -> wgpu::BindGroupLayout {
        let uniform = wgpu::BufferBindingType::Uniform;
        let mut entries = vec![
            // The config holds one slot per dispatch of a submission.
            layout_entry(0, uniform, true),
            layout_entry(
                1,
                wgpu::BufferBindingType::Storage { read_only: true },
                false,
            ),
            layout_entry(2, uniform, false),
        ];
        for k in 0..self.storage_bindings() {
            let read_write = wgpu::BufferBindingType::Storage { read_only: false };
            entries.push(layout_entry(3 + k, read_write, false));
        }
        gpu.device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("wgym driver"),
                entries: &entries,
            })
    }
}

pub(crate) fn layout_entry(
    binding: u32,
    ty: wgpu::BufferBindingType,
    has_dynamic_offset: bool,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset,
            min_binding_size: None,
        },
        count: None,
    }
}

/// The module for `env` under `driver` (prelude, rng, driver library, env, driver),
/// specialised for `params` (the batch's params, concatenated).
pub fn compose(env: &dyn Env, driver: Driver, params: &[u8]) -> Result<Composed> {
    compose_with(env, driver, params, "", &[])
}

/// [`compose`] with more constants in the prelude and more parts before the driver.
pub fn compose_with(
    env: &dyn Env,
    driver: Driver,
    params: &[u8],
    extra_prelude: &str,
    extra_parts: &[Part],
) -> Result<Composed> {
    let wgsl = env.wgsl();
    let table_vec4s = wgsl.tables.len().div_ceil(4).max(1) as u32;
    let mut prelude = const_prelude(&wgsl.consts);
    prelude.push_str(&const_prelude(&env.specialize_bytes(params)));
    prelude.push_str(&const_prelude(&[("ENV_TABLE_VEC4S", table_vec4s)]));
    prelude.push_str(&wgsl.prelude);
    prelude.push_str(&rng::wgsl_prelude());
    prelude.push_str(&action_prelude(&env.spec()));
    prelude.push_str(extra_prelude);
    let mut parts = vec![
        Part::new("<generated prelude>", prelude),
        Part::new(RNG_WGSL.0, RNG_WGSL.1),
        Part::new("shaders/driver.wgsl", DRIVER_WGSL),
        Part::new(wgsl.file, wgsl.text),
    ];
    parts.extend_from_slice(extra_parts);
    parts.push(driver.part());
    Composed::new(&parts)
}

/// The env's tables as the bytes of the `env_tables` uniform (padded to whole vec4s).
pub fn table_bytes(env: &dyn Env) -> Vec<u8> {
    let mut words = env.wgsl().tables;
    words.resize(words.len().div_ceil(4).max(1) * 4, 0);
    bytemuck::cast_slice(&words).to_vec()
}

/// Workgroup counts (x, y) covering `batch` invocations of `workgroup_size`.
pub fn dispatch_size(gpu: &Gpu, batch: u32, workgroup_size: u32) -> Result<(u32, u32)> {
    let max = gpu.limits().max_compute_workgroups_per_dimension;
    let groups = batch.div_ceil(workgroup_size);
    let x = groups.min(max);
    let y = groups.div_ceil(x.max(1));
    if y > max {
        return Err(Error::OverLimit {
            what: format!("a batch of {batch} envs"),
            needed: groups as u64,
            limit: "max_compute_workgroups_per_dimension squared (workgroups)",
            allowed: max as u64 * max as u64,
            unit: "workgroups",
            remedy: "use a smaller batch of envs",
            adapter: gpu.adapter_name().to_string(),
        });
    }
    Ok((x, y))
}

/// Loop iterations a fused-rollout dispatch may take per invocation on CPU adapters: lavapipe
/// ends an invocation's loops after 65535 iterations in all (counting every loop).
pub const LOOP_BUDGET: u32 = 60_000;

/// Steps one dispatch of a fused rollout may take, given an upper bound of loop iterations
/// per step: all of them on GPUs, within [`LOOP_BUDGET`] on CPU adapters.
pub fn steps_per_dispatch(gpu: &Gpu, iterations_per_step: u32) -> u32 {
    if gpu.is_cpu() {
        (LOOP_BUDGET / iterations_per_step.max(1)).max(1)
    } else {
        u32::MAX
    }
}

/// Check a workgroup size against the device.
pub fn check_workgroup_size(gpu: &Gpu, workgroup_size: u32) -> Result<()> {
    let limits = gpu.limits();
    let max = limits
        .max_compute_workgroup_size_x
        .min(limits.max_compute_invocations_per_workgroup);
    if workgroup_size == 0 || workgroup_size > max {
        return Err(Error::invalid(
            "workgroup size",
            format!("{workgroup_size} is not in 1..={max} on this device"),
        ));
    }
    Ok(())
}
