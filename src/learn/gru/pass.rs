//! The GRU core's forward and backward passes on the GPU (twin: [`super::twin`]), over
//! buffers it owns: one submission each.
//!
//! Forward: one product of `shaders/nn.wgsl` gives the input terms of every step of every
//! env (`gx`, `rows x inputs` times `inputs x 3H` per agent), then `gru_forward` runs the
//! recurrence. Backward: `gru_backward` runs BPTT and leaves the gate gradients of every
//! step, then four products give the input gradient and the weight gradient (three dense
//! blocks, split-K partial sums over rows in chunks of [`GRAD_CHUNK`]).
//!
//! The recurrence runs one workgroup per (tile of envs, agent). On CPU adapters lavapipe ends
//! an invocation's loops after 65535 iterations in all; a step costs about
//! `pairs * (H + 4)` of them (`pairs` = (env, unit) pairs per invocation, 1 up to H = 256,
//! 2 at 512), so the passes split the T steps into dispatches of at most
//! `driver::LOOP_BUDGET` iterations each (H = 128: 454 steps per dispatch; H = 512: 58).

use crate::buffer::GpuBuffer;
use crate::driver;
use crate::error::Result;
use crate::gpu::Gpu;
use crate::learn::nn::{Epilogue, MatmulConfig, View};
use crate::plan::{self, ConfigSlots};
use crate::shader::{const_prelude, Composed, Part};

use super::twin::{Forward, Gradients};
use super::{GruCore, Sequences};

const NN_WGSL: &str = include_str!("../../../shaders/nn.wgsl");
const GRU_WGSL: &str = include_str!("../../../shaders/gru.wgsl");

/// Rows of a split-K chunk of the weight gradient.
pub const GRAD_CHUNK: u32 = 256;
/// Workgroup size of the products.
const WG: u32 = 64;
/// Invocations a recurrence workgroup aims for.
const RECURRENCE_WG: u32 = 256;

/// The twin of WGSL `GruConfig`.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct GruConfig {
    envs: u32,
    steps: u32,
    t0: u32,
    t1: u32,
}

/// How the recurrence maps onto workgroups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    /// Envs per workgroup.
    pub envs: u32,
    /// Invocations per workgroup.
    pub workgroup: u32,
    /// (env, unit) pairs per invocation.
    pub pairs: u32,
    /// Steps per dispatch.
    pub steps: u32,
}

impl Tiling {
    /// Tiles of about [`RECURRENCE_WG`] (env, unit) pairs, one invocation each up to H = 256.
    pub fn new(gpu: &Gpu, core: &GruCore, seq: &Sequences) -> Tiling {
        let envs = (RECURRENCE_WG / core.hidden).clamp(1, seq.envs);
        let workgroup = (envs * core.hidden).next_power_of_two().min(RECURRENCE_WG);
        let pairs = (envs * core.hidden).div_ceil(workgroup);
        let per_step = pairs * (core.hidden + 4) + 4;
        Tiling {
            envs,
            workgroup,
            pairs,
            steps: driver::steps_per_dispatch(gpu, per_step).min(seq.steps),
        }
    }
}

/// One recorded dispatch.
struct Step {
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    groups: [u32; 3],
    config: Vec<u8>,
}

/// The GRU core's buffers and recorded passes for one shape.
pub struct GruPass {
    gpu: Gpu,
    core: GruCore,
    seq: Sequences,
    tiling: Tiling,
    weights: GpuBuffer<f32>,
    x: GpuBuffer<f32>,
    resets: GpuBuffer<u32>,
    h0: GpuBuffer<f32>,
    gx: GpuBuffer<f32>,
    hs: GpuBuffer<f32>,
    hprev: GpuBuffer<f32>,
    gates: GpuBuffer<f32>,
    d_hs: GpuBuffer<f32>,
    d_h0: GpuBuffer<f32>,
    dgx: GpuBuffer<f32>,
    dgh: GpuBuffer<f32>,
    d_x: GpuBuffer<f32>,
    /// Split-K partial sums of the weight gradient, [agent][chunk][params].
    parts: GpuBuffer<f32>,
    configs: ConfigSlots,
    forward: Vec<Step>,
    backward: Vec<Step>,
}

impl GruPass {
    pub fn new(gpu: &Gpu, core: GruCore, seq: Sequences) -> Result<GruPass> {
        let (a, rows) = (seq.agents as usize, seq.rows());
        let (d, h) = (core.inputs as usize, core.hidden as usize);
        let zeroed = |what: &str, len: usize| GpuBuffer::<f32>::zeroed(gpu, what, len);
        let chunks = seq.agent_rows().div_ceil(GRAD_CHUNK) as usize;
        let tiling = Tiling::new(gpu, &core, &seq);
        driver::check_workgroup_size(gpu, tiling.workgroup)?;
        let forward_dispatches = seq.steps.div_ceil(tiling.steps) as usize + 1;
        let mut pass = GruPass {
            gpu: gpu.clone(),
            core,
            seq,
            tiling,
            weights: zeroed("the GRU weights", a * core.params() as usize)?,
            x: zeroed("the GRU inputs", rows * d)?,
            resets: GpuBuffer::zeroed(gpu, "the GRU reset flags", rows)?,
            h0: zeroed("the GRU initial states", seq.sequences() * h)?,
            gx: zeroed("the GRU input terms", rows * 3 * h)?,
            hs: zeroed("the GRU states", rows * h)?,
            hprev: zeroed("the GRU previous states", rows * h)?,
            gates: zeroed("the GRU gates", rows * 4 * h)?,
            d_hs: zeroed("the GRU state gradients", rows * h)?,
            d_h0: zeroed("the GRU initial-state gradients", seq.sequences() * h)?,
            dgx: zeroed("the GRU input-term gradients", rows * 3 * h)?,
            dgh: zeroed("the GRU hidden-term gradients", rows * 3 * h)?,
            d_x: zeroed("the GRU input gradients", rows * d)?,
            parts: zeroed(
                "the GRU weight-gradient chunks",
                a * chunks * core.params() as usize,
            )?,
            configs: ConfigSlots::new(gpu, "the GRU configs", forward_dispatches + 4)?,
            forward: Vec::new(),
            backward: Vec::new(),
        };
        pass.record()?;
        Ok(pass)
    }

    pub fn tiling(&self) -> Tiling {
        self.tiling
    }

    /// Upload the inputs and run the forward pass: `weights` [agent][params], `x`
    /// [row][inputs], `resets` [row], `h0` [sequence][H] (see [`super::twin::forward`]).
    pub fn forward(&self, weights: &[f32], x: &[f32], resets: &[u32], h0: &[f32]) -> Result<()> {
        self.weights.write(&self.gpu, weights)?;
        self.x.write(&self.gpu, x)?;
        self.resets.write(&self.gpu, resets)?;
        self.h0.write(&self.gpu, h0)?;
        self.submit("the GRU forward pass", &self.forward)
    }

    /// Run BPTT through the last forward pass for the output gradient `d_hs` [row][H].
    pub fn backward(&self, d_hs: &[f32]) -> Result<()> {
        self.d_hs.write(&self.gpu, d_hs)?;
        self.submit("the GRU backward pass", &self.backward)
    }

    /// What the last forward pass wrote.
    pub fn read_forward(&self) -> Result<Forward> {
        Ok(Forward {
            gx: self.gx.read(&self.gpu)?,
            hs: self.hs.read(&self.gpu)?,
            hprev: self.hprev.read(&self.gpu)?,
            gates: self.gates.read(&self.gpu)?,
        })
    }

    /// The last backward pass's gradients, its weight-gradient chunks added in order (as
    /// `adam.wgsl`'s `sum_chunks` does).
    pub fn read_gradients(&self) -> Result<Gradients> {
        Ok(Gradients {
            weights: self.read_weight_gradient()?,
            x: self.d_x.read(&self.gpu)?,
            h0: self.d_h0.read(&self.gpu)?,
        })
    }

    fn read_weight_gradient(&self) -> Result<Vec<f32>> {
        let parts = self.parts.read(&self.gpu)?;
        let p = self.core.params() as usize;
        let chunks = parts.len() / (p * self.seq.agents as usize);
        Ok((0..self.seq.agents as usize * p)
            .map(|i| {
                let (agent, w) = (i / p, i % p);
                (0..chunks).fold(0.0, |g, c| g + parts[(agent * chunks + c) * p + w])
            })
            .collect())
    }

    fn submit(&self, what: &str, steps: &[Step]) -> Result<()> {
        let dispatches: Vec<plan::Dispatch> = steps
            .iter()
            .map(|s| plan::Dispatch {
                pipeline: &s.pipeline,
                bind_group: &s.bind_group,
                groups: s.groups,
                config: s.config.clone(),
            })
            .collect();
        self.configs.submit(&self.gpu, what, &dispatches, |_| {})
    }

    /// Compile the kernels and record both passes.
    fn record(&mut self) -> Result<()> {
        let (core, seq, tiling) = (self.core, self.seq, self.tiling);
        let (h, d, p) = (core.hidden, core.inputs, core.params());
        let rows = seq.agent_rows();
        let gpu = &self.gpu;
        let nn = Composed::new(&[Part::new("shaders/nn.wgsl", NN_WGSL)])?;
        let prelude = const_prelude(&[
            ("GRU_HIDDEN", h),
            ("GRU_TILE", tiling.envs),
            ("GRU_PAIRS", tiling.pairs),
            ("GRU_WG", tiling.workgroup),
            ("GRU_WEIGHTS", p),
            ("GRU_HRZ", core.hidden_rz()),
            ("GRU_HN", core.hidden_n()),
        ]);
        let gru = Composed::new(&[
            Part::new("<generated prelude>", prelude),
            Part::new("shaders/gru.wgsl", GRU_WGSL),
        ])?;
        let nn_layout = plan::storage_layout(gpu, "wgym gru", 4);
        let forward_layout = plan::storage_layout(gpu, "wgym gru", 7);
        let backward_layout = plan::storage_layout(gpu, "wgym gru", 8);
        let configs = &self.configs;
        let product = |cfg: MatmulConfig, wg: u32, bufs: [&GpuBuffer<f32>; 4]| -> Result<Step> {
            let buffers: Vec<&wgpu::Buffer> = bufs.iter().map(|b| &b.buffer).collect();
            Ok(Step {
                pipeline: nn.pipeline_with(gpu, "matmul", wg, &cfg.overrides(), &nn_layout)?,
                bind_group: plan::bind_storage(gpu, "wgym gru", &nn_layout, configs, 16, &buffers),
                groups: [cfg.groups_x(wg), cfg.groups_y(), seq.agents],
                config: vec![0; 16],
            })
        };
        // The steps of each dispatch of the recurrence, in forward order.
        let spans: Vec<(u32, u32)> = (0..seq.steps)
            .step_by(tiling.steps as usize)
            .map(|t0| (t0, (t0 + tiling.steps).min(seq.steps)))
            .collect();
        let recurrence = |entry: &'static str,
                          layout: &wgpu::BindGroupLayout,
                          buffers: &[&wgpu::Buffer],
                          (t0, t1): (u32, u32)|
         -> Result<Step> {
            let config = GruConfig {
                envs: seq.envs,
                steps: seq.steps,
                t0,
                t1,
            };
            Ok(Step {
                pipeline: gru.pipeline(gpu, entry, tiling.workgroup, layout)?,
                bind_group: plan::bind_storage(gpu, "wgym gru", layout, configs, 16, buffers),
                groups: [seq.envs.div_ceil(tiling.envs), seq.agents, 1],
                config: bytemuck::bytes_of(&config).to_vec(),
            })
        };

        // Forward: gx = x W_i + b_i, then the recurrence.
        let gx = MatmulConfig::rows(
            rows,
            3 * h,
            d,
            View::rows(0, rows * d, d),
            View::rows(0, p, 3 * h),
            View::rows(0, rows * 3 * h, 3 * h),
            true,
            Epilogue::None,
            View::default(),
        );
        let mut forward = vec![product(
            gx,
            WG,
            [&self.x, &self.weights, &self.gx, &self.gx],
        )?];
        let forward_buffers = [
            &self.gx.buffer,
            &self.weights.buffer,
            &self.resets.buffer,
            &self.h0.buffer,
            &self.hs.buffer,
            &self.hprev.buffer,
            &self.gates.buffer,
        ];
        for &span in &spans {
            forward.push(recurrence(
                "gru_forward",
                &forward_layout,
                &forward_buffers,
                span,
            )?);
        }

        // Backward: the recurrence from the last span to the first, then the products.
        let backward_buffers = [
            &self.d_hs.buffer,
            &self.weights.buffer,
            &self.resets.buffer,
            &self.d_h0.buffer,
            &self.dgx.buffer,
            &self.hprev.buffer,
            &self.gates.buffer,
            &self.dgh.buffer,
        ];
        let mut backward = Vec::new();
        for &span in spans.iter().rev() {
            backward.push(recurrence(
                "gru_backward",
                &backward_layout,
                &backward_buffers,
                span,
            )?);
        }
        // dL/dx = dgx W_i^T.
        let d_x = MatmulConfig::rows(
            rows,
            d,
            3 * h,
            View::rows(0, rows * 3 * h, 3 * h),
            View::rows(0, p, 3 * h).t(),
            View::rows(0, rows * d, d),
            false,
            Epilogue::None,
            View::default(),
        );
        backward.push(product(
            d_x,
            WG,
            [&self.dgx, &self.weights, &self.d_x, &self.d_x],
        )?);
        // The weight gradient of each dense block: dW^T = delta^T [input | 1] over the rows,
        // written transposed into the block's place in the chunk. (delta offset, delta width,
        // input, block offset, block width, bias row)
        let chunk_stride = rows.div_ceil(GRAD_CHUNK) * p;
        let blocks = [
            (0, 3 * h, d, &self.dgx, &self.x, 0, true),
            (0, 2 * h, h, &self.dgh, &self.hprev, core.hidden_rz(), false),
            (2 * h, h, h, &self.dgh, &self.hprev, core.hidden_n(), true),
        ];
        for (delta_off, n_out, n_in, delta, input, block, bias) in blocks {
            let cfg = MatmulConfig::outer(
                n_out,
                n_in,
                rows,
                View::rows(delta_off, rows * 3 * h, 3 * h).t(),
                View::rows(0, rows * n_in, n_in),
                View::rows(block, chunk_stride, n_out).t(),
                GRAD_CHUNK,
                p,
            );
            // The hidden r and z kernels have no bias (flax's `dense_h`): no ones column.
            let cfg = if bias {
                cfg
            } else {
                MatmulConfig { bias: 0, ..cfg }
            };
            let wg = cfg.m.div_ceil(cfg.rows).next_power_of_two().clamp(8, WG);
            backward.push(product(cfg, wg, [delta, input, &self.parts, &self.parts])?);
        }
        self.forward = forward;
        self.backward = backward;
        Ok(())
    }
}
