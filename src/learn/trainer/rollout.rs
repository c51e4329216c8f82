//! The policy rollout: the envs (a `VecEnv`) stepped by the fused rollout kernel with the
//! network's forward pass, and the trajectory it records for the algorithm. It owns the
//! envs, the trajectory buffers, the rollout module and its dispatches, and the
//! checkpoint's env sections.

use super::dispatch::{
    column_sums, Buf, BufferSpec, Dispatch, Kernel, Shape, STATS, STAT_LENGTH_SUM, STAT_RETURN_SUM,
    STAT_REWARD_SUM, WG,
};
use crate::driver::{self, Driver, DriverConfig};
use crate::env::Env;
use crate::error::Result;
use crate::gpu::Gpu;
use crate::learn::network::PolicyNetwork;
use crate::learn::nn::ReduceConfig;
use crate::learn::ppo::{self, ENV_STATS};
use crate::plan::ConfigSlots;
use crate::shader::{Composed, Part};
use crate::vec_env::{self, VecEnv};

const TRAJECTORY_WGSL: &str = include_str!("../../../shaders/trajectory.wgsl");

/// Floats per step of the trajectory records (`TrajStep`).
const TRAJ_STEP: usize = 8;

pub struct Rollout {
    pub vec_env: VecEnv,
    shape: Shape,
}

impl Rollout {
    pub fn new(vec_env: VecEnv, shape: Shape) -> Rollout {
        Rollout { vec_env, shape }
    }

    pub fn buffers(&self, net: &dyn PolicyNetwork) -> Vec<BufferSpec> {
        let s = &self.shape;
        let (a, e, n) = (s.agents as usize, s.envs as usize, s.samples() as usize);
        vec![
            BufferSpec::new(
                Buf::EnvStats,
                a * e * ENV_STATS as usize,
                "the env statistics",
            ),
            BufferSpec::new(Buf::Traj, a * n * TRAJ_STEP, "the trajectories"),
            BufferSpec::new(
                Buf::TrajObs,
                a * n * s.obs_dim as usize,
                "the trajectory observations",
            ),
            BufferSpec::new(
                Buf::TrajActions,
                (a * n * net.action_dim() as usize).max(1),
                "the trajectory actions",
            ),
        ]
    }

    /// The rollout module for this rollout's envs.
    pub fn module(&self, net: &dyn PolicyNetwork) -> Result<Composed> {
        module(self.vec_env.env(), self.vec_env.specialized_for(), net)
    }

    pub fn layout(&self, gpu: &Gpu) -> wgpu::BindGroupLayout {
        Driver::PolicyRollout.bind_group_layout(gpu)
    }

    /// The rollout's bind group: the env's params and states, then `buffers`.
    pub fn bind(
        &self,
        gpu: &Gpu,
        layout: &wgpu::BindGroupLayout,
        configs: &ConfigSlots,
        buffers: &[&wgpu::Buffer],
    ) -> wgpu::BindGroup {
        let [_, tables, params, states] = self.vec_env.driver_buffers();
        let storage: Vec<&wgpu::Buffer> = [params, states]
            .into_iter()
            .chain(buffers.iter().copied())
            .collect();
        vec_env::bind(gpu, layout, [&configs.buffer, tables], &storage)
    }

    pub fn wg(&self) -> u32 {
        self.shape.envs.next_power_of_two().clamp(8, WG)
    }

    /// The rollout starting at global step `step_count` (in dispatches of at most
    /// LOOP_BUDGET loop iterations on CPU adapters), then the sums of its episode returns
    /// and rewards into the agent statistics.
    pub fn plan(
        &self,
        gpu: &Gpu,
        net: &dyn PolicyNetwork,
        step_count: u32,
        plan: &mut Vec<Dispatch>,
    ) {
        let Shape {
            agents: a,
            envs: e,
            steps,
            ..
        } = self.shape;
        let spec = self.vec_env.spec();
        let per_step = net.loop_iterations()
            + self.vec_env.env().wgsl().loop_iterations
            + 3 * (spec.num_actions + spec.obs_dim)
            + 4;
        let per_dispatch = driver::steps_per_dispatch(gpu, per_step).min(steps);
        let mut binds = vec![
            Buf::EnvStats,
            Buf::Weights,
            Buf::Traj,
            Buf::TrajObs,
            Buf::TrajActions,
        ];
        binds.extend(net.rollout_buffers());
        for offset in (0..steps).step_by(per_dispatch as usize) {
            let step = step_count.wrapping_add(offset);
            let mut cfg: DriverConfig = self.vec_env.step_config(step);
            cfg.num_steps = per_dispatch.min(steps - offset);
            cfg.envs_per_agent = e;
            cfg.rollout_offset = offset;
            cfg.rollout_steps = steps;
            plan.push(Dispatch::new(
                Kernel::PolicyRollout,
                &binds,
                [e.div_ceil(self.wg()), a, 1],
                &cfg,
            ));
        }
        // Returns, episode and success counts of the rollout into the agent statistics, and
        // the sum of its rewards (TrajStep's fourth float).
        let returns = ReduceConfig::new(e, 1, e * ENV_STATS, ENV_STATS, STAT_RETURN_SUM, STATS);
        plan.push(column_sums(Buf::EnvStats, Buf::AgentStats, 3, a, returns));
        let n = self.shape.samples();
        let t = TRAJ_STEP as u32;
        let rewards = ReduceConfig::new(n, 3, n * t, t, STAT_REWARD_SUM, STATS);
        plan.push(column_sums(Buf::Traj, Buf::AgentStats, 1, a, rewards));
        // The finished episodes' lengths (EnvStats::length_sum).
        let lengths = ReduceConfig::new(
            e,
            ppo::ENV_LENGTH_SUM,
            e * ENV_STATS,
            ENV_STATS,
            STAT_LENGTH_SUM,
            STATS,
        );
        plan.push(column_sums(Buf::EnvStats, Buf::AgentStats, 1, a, lengths));
    }

    /// The buffers a checkpoint holds, by section name (the env states come from the
    /// `VecEnv`).
    pub fn checkpoint_buffers(&self) -> Vec<(&'static str, Buf)> {
        vec![("env_stats", Buf::EnvStats)]
    }
}

/// The rollout module: `env`'s driver (specialised for `params`) with the network's
/// forward pass and the trajectory records.
pub fn module(env: &dyn Env, params: &[u8], net: &dyn PolicyNetwork) -> Result<Composed> {
    let mut parts = net.rollout_parts();
    parts.push(Part::new("shaders/trajectory.wgsl", TRAJECTORY_WGSL));
    driver::compose_with(
        env,
        Driver::PolicyRollout,
        params,
        &(net.wgsl_prelude() + &ppo::trajectory_wgsl_consts()),
        &parts,
    )
}
