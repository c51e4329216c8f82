//! The GRU core's forward and backward passes on the GPU (twin: [`super::twin`]), over
//! buffers it owns: one submission each.
//!
//! Forward: the encoder's layers, then one product of `shaders/nn.wgsl` gives the input terms
//! of every step of every env (`gx`, `rows x inputs` times `inputs x 3H` per agent), then
//! `gru_forward` runs the recurrence. Backward: `gru_backward` runs BPTT and leaves the gate
//! gradients of every step; products give the core's input gradient (times the encoder's
//! activation derivative), the core's weight gradient (three dense blocks), and each
//! encoder layer's weight and input gradients. Weight gradients are split-K partial sums
//! over rows in chunks of [`GRAD_CHUNK`].
//!
//! The recurrence runs one workgroup per (tile of envs, agent). On CPU adapters lavapipe ends
//! an invocation's loops after 65535 iterations in all; a step costs about
//! `pairs * (H + 4)` of them (`pairs` = (env, unit) pairs per invocation, 1 up to H = 256,
//! 2 at 512), so the passes split the T steps into dispatches of at most
//! `driver::LOOP_BUDGET` iterations each (H = 128: 441 steps per dispatch; H = 512: 57).

use crate::buffer::GpuBuffer;
use crate::driver;
use crate::error::Result;
use crate::gpu::Gpu;
use crate::learn::nn::{Epilogue, MatmulConfig, View};
use crate::plan::{self, ConfigSlots};
use crate::shader::{const_prelude, Composed, Part};

use super::twin::{Forward, Gradients};
use super::{GruCore, GruNet, Sequences};
use crate::learn::net::Activation;

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

/// `shaders/gru.wgsl` for a net and tiling.
fn recurrence_module(net: &GruNet, tiling: &Tiling) -> Result<Composed> {
    let (core, c0) = (net.core, net.core_offset());
    let prelude = const_prelude(&[
        ("GRU_HIDDEN", core.hidden),
        ("GRU_TILE", tiling.envs),
        ("GRU_PAIRS", tiling.pairs),
        ("GRU_WG", tiling.workgroup),
        ("GRU_WEIGHTS", net.params()),
        ("GRU_HRZ", c0 + core.hidden_rz()),
        ("GRU_HN", c0 + core.hidden_n()),
    ]);
    Composed::new(&[
        Part::new("<generated prelude>", prelude),
        Part::new("shaders/gru.wgsl", GRU_WGSL),
    ])
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
    net: GruNet,
    seq: Sequences,
    tiling: Tiling,
    weights: GpuBuffer<f32>,
    x: GpuBuffer<f32>,
    /// Each encoder layer's output, and the gradient before its activation.
    encoded: Vec<GpuBuffer<f32>>,
    encoded_delta: Vec<GpuBuffer<f32>>,
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
    pub fn new(gpu: &Gpu, net: GruNet, seq: Sequences) -> Result<GruPass> {
        let (a, rows) = (seq.agents as usize, seq.rows());
        let h = net.core.hidden as usize;
        let zeroed = |what: &str, len: usize| GpuBuffer::<f32>::zeroed(gpu, what, len);
        let chunks = seq.agent_rows().div_ceil(GRAD_CHUNK) as usize;
        let tiling = Tiling::new(gpu, &net.core, &seq);
        driver::check_workgroup_size(gpu, tiling.workgroup)?;
        // The longer plan: the recurrence's dispatches, the products around them.
        let layers = net.encoder.layers();
        let dispatches = seq.steps.div_ceil(tiling.steps) as usize + 4 + 2 * layers;
        let widths = &net.encoder.dims[1..];
        let per_layer = |what: &str| -> Result<Vec<GpuBuffer<f32>>> {
            widths
                .iter()
                .map(|&w| zeroed(what, rows * w as usize))
                .collect()
        };
        let params = a * net.params() as usize;
        let mut pass = GruPass {
            gpu: gpu.clone(),
            seq,
            tiling,
            weights: zeroed("the GRU weights", params)?,
            x: zeroed("the GRU inputs", rows * net.inputs() as usize)?,
            encoded: per_layer("the GRU encoder's outputs")?,
            encoded_delta: per_layer("the GRU encoder's gradients")?,
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
            d_x: zeroed("the GRU input gradients", rows * net.inputs() as usize)?,
            parts: zeroed("the GRU weight-gradient chunks", chunks * params)?,
            configs: ConfigSlots::new(gpu, "the GRU configs", dispatches)?,
            net,
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
            encoded: self
                .encoded
                .iter()
                .map(|b| b.read(&self.gpu))
                .collect::<Result<_>>()?,
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
        let p = self.net.params() as usize;
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
        let (seq, tiling) = (self.seq, self.tiling);
        let (core, c0, p) = (self.net.core, self.net.core_offset(), self.net.params());
        let (h, d) = (core.hidden, core.inputs);
        let rows = seq.agent_rows();
        let gpu = &self.gpu;
        let nn = Composed::new(&[Part::new("shaders/nn.wgsl", NN_WGSL)])?;
        let gru = recurrence_module(&self.net, &tiling)?;
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
        // A [rows][width] table per agent.
        let table = |width: u32| View::rows(0, rows * width, width);
        // The gradient of a dense block of the weights: dW^T = delta^T [input | 1] over the
        // rows, written transposed into the block's place in the agent's chunk.
        let chunk_stride = rows.div_ceil(GRAD_CHUNK) * p;
        let weight_gradient = |delta: (&GpuBuffer<f32>, View),
                               input: &GpuBuffer<f32>,
                               n_in: u32,
                               n_out: u32,
                               block: u32,
                               bias: bool|
         -> Result<Step> {
            let cfg = MatmulConfig::outer(
                n_out,
                n_in,
                rows,
                delta.1.t(),
                table(n_in),
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
            product(cfg, wg, [delta.0, input, &self.parts, &self.parts])
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
        let encoder = &self.net.encoder;
        let layers = encoder.layers();
        let (activation, derivative) = match self.net.activation {
            Activation::Tanh => (Epilogue::Tanh, Epilogue::TimesTanhDerivative),
            Activation::Relu => (Epilogue::Relu, Epilogue::TimesReluDerivative),
        };
        // The input of encoder layer l (l = layers: the core's).
        let input_of = |l: usize| {
            if l == 0 {
                &self.x
            } else {
                &self.encoded[l - 1]
            }
        };

        // Forward: the encoder, gx = x W_i + b_i, then the recurrence.
        let mut forward = Vec::new();
        for l in 0..layers {
            let (n_in, n_out, off) = encoder.layer(l);
            let cfg = MatmulConfig::rows(
                rows,
                n_out,
                n_in,
                table(n_in),
                View::rows(off, p, n_out),
                table(n_out),
                true,
                activation,
                View::default(),
            );
            let out = &self.encoded[l];
            forward.push(product(cfg, WG, [input_of(l), &self.weights, out, out])?);
        }
        let gx = MatmulConfig::rows(
            rows,
            3 * h,
            d,
            table(d),
            View::rows(c0, p, 3 * h),
            table(3 * h),
            true,
            Epilogue::None,
            View::default(),
        );
        let core_input = input_of(layers);
        forward.push(product(
            gx,
            WG,
            [core_input, &self.weights, &self.gx, &self.gx],
        )?);
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
        // The gradient of encoder layer l's output before its activation (l = 0: of the
        // net's input): the product `delta W^T` (times the derivative below layer 0).
        let below = |l: usize| -> (&GpuBuffer<f32>, Epilogue, &GpuBuffer<f32>) {
            if l == 0 {
                (&self.d_x, Epilogue::None, &self.d_x)
            } else {
                (&self.encoded_delta[l - 1], derivative, &self.encoded[l - 1])
            }
        };
        let input_gradient = |delta: (&GpuBuffer<f32>, View), n_in, n_out, off, l| {
            let (out, epilogue, e) = below(l);
            let cfg = MatmulConfig::rows(
                rows,
                n_in,
                n_out,
                delta.1,
                View::rows(off, p, n_out).t(),
                table(n_in),
                false,
                epilogue,
                table(n_in),
            );
            product(cfg, WG, [delta.0, &self.weights, out, e])
        };
        let dgx = (&self.dgx, table(3 * h));
        backward.push(input_gradient(dgx, d, 3 * h, c0, layers)?);
        let gh = |off| (&self.dgh, View::rows(off, rows * 3 * h, 3 * h));
        let hprev = &self.hprev;
        backward.push(weight_gradient(dgx, core_input, d, 3 * h, c0, true)?);
        let rz = c0 + core.hidden_rz();
        backward.push(weight_gradient(gh(0), hprev, h, 2 * h, rz, false)?);
        let n = c0 + core.hidden_n();
        backward.push(weight_gradient(gh(2 * h), hprev, h, h, n, true)?);
        for l in (0..layers).rev() {
            let (n_in, n_out, off) = encoder.layer(l);
            let delta = (&self.encoded_delta[l], table(n_out));
            backward.push(weight_gradient(delta, input_of(l), n_in, n_out, off, true)?);
            backward.push(input_gradient(delta, n_in, n_out, off, l)?);
        }
        self.forward = forward;
        self.backward = backward;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn gru_config_matches_its_wgsl_layout() {
        let net = GruNet::new(3, &[], Activation::Tanh, 4).unwrap();
        let tiling = Tiling {
            envs: 2,
            workgroup: 8,
            pairs: 1,
            steps: 1,
        };
        let module = recurrence_module(&net, &tiling).unwrap();
        let (size, offsets) = module.struct_layout("GruConfig").unwrap();
        assert_eq!(size as usize, size_of::<GruConfig>());
        let rust = [
            ("envs", offset_of!(GruConfig, envs)),
            ("steps", offset_of!(GruConfig, steps)),
            ("t0", offset_of!(GruConfig, t0)),
            ("t1", offset_of!(GruConfig, t1)),
        ]
        .map(|(name, off)| (name.to_string(), off as u32));
        assert_eq!(offsets, rust);
    }
}
