//! The GPU side of `shaders/meta.wgsl`: writing the inner agents' objective rows from a
//! population, and each member's fitness from the inner agents' statistics.

use super::layout::MetaLayout;
use crate::buffer::GpuBuffer;
use crate::error::Result;
use crate::gpu::Gpu;
use crate::learn::trainer::{STATS, STAT_REWARD_SUM};
use crate::learn::Trainer;
use crate::plan::{self, ConfigSlots, Dispatch};
use crate::shader::{const_prelude, Composed, Part};

const META_WGSL: &str = include_str!("../../shaders/meta.wgsl");
const WG: u32 = 64;

pub struct MetaKernels {
    gpu: Gpu,
    layout: MetaLayout,
    configs: ConfigSlots,
    expand: wgpu::ComputePipeline,
    fitness: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    baseline: GpuBuffer<f32>,
    _base: GpuBuffer<f32>,
}

impl MetaKernels {
    /// Bound to `population` ([member][dim]) and `fitness` ([member]) and to the trainer's
    /// objective rows and agent statistics; `base` is PPO's objective row.
    pub fn new(
        gpu: &Gpu,
        layout: MetaLayout,
        base: &[f32],
        population: &wgpu::Buffer,
        fitness: &wgpu::Buffer,
        trainer: &Trainer,
    ) -> Result<MetaKernels> {
        let prelude = const_prelude(&[("STATS", STATS), ("STAT_REWARD_SUM", STAT_REWARD_SUM)]);
        let module = Composed::new(&[
            Part::new("<generated prelude>", prelude),
            Part::new("shaders/meta.wgsl", META_WGSL),
        ])?;
        let bind_layout = plan::storage_layout(gpu, "wgym meta", 6);
        let configs = ConfigSlots::new(gpu, "the meta-training configs", 2)?;
        let base_buffer = GpuBuffer::from_slice(gpu, "PPO's objective row", base)?;
        let groups = (layout.population / layout.members) as usize;
        let baseline = GpuBuffer::zeroed(gpu, "the baseline fitness", groups)?;
        let bind_group = plan::bind_storage(
            gpu,
            "wgym meta",
            &bind_layout,
            &configs,
            std::mem::size_of::<MetaLayout>(),
            &[
                population,
                &base_buffer.buffer,
                trainer.objective_buffer(),
                trainer.agent_stats_buffer(),
                fitness,
                &baseline.buffer,
            ],
        );
        Ok(MetaKernels {
            gpu: gpu.clone(),
            layout,
            expand: module.pipeline(gpu, "expand", WG, &bind_layout)?,
            fitness: module.pipeline(gpu, "fitness_of_members", WG, &bind_layout)?,
            configs,
            bind_group,
            baseline,
            _base: base_buffer,
        })
    }

    fn submit(&self, what: &str, pipeline: &wgpu::ComputePipeline, groups: [u32; 3]) -> Result<()> {
        let dispatch = Dispatch {
            pipeline,
            bind_group: &self.bind_group,
            groups,
            config: bytemuck::bytes_of(&self.layout).to_vec(),
        };
        self.configs.submit(&self.gpu, what, &[dispatch], |_| {})
    }

    /// Every agent's objective row from the population.
    pub fn expand(&self) -> Result<()> {
        let groups = [self.layout.stride.div_ceil(WG), self.layout.agents, 1];
        self.submit("writing the objective rows", &self.expand, groups)
    }

    /// Every member's fitness from the last rollout's rewards.
    pub fn fitness(&self) -> Result<()> {
        let groups = [self.layout.population.div_ceil(WG), 1, 1];
        self.submit("the members' fitness", &self.fitness, groups)
    }

    /// The baseline's mean reward per step in each task group (reads it back).
    pub fn baseline(&self) -> Result<Vec<f32>> {
        self.baseline.read(&self.gpu)
    }
}
