//! The MLP behind [`PolicyNetwork`]: its forward and backward passes over a minibatch as
//! agent-batched matrix products (`shaders/nn.wgsl`), one dispatch per layer and pass.

use std::any::Any;

use super::{Activation, Mlp, PolicyNet};
use crate::error::Result;
use crate::learn::network::{Nets, PolicyNetwork};
use crate::learn::nn::{Epilogue, MatmulConfig, View};
use crate::learn::trainer::dispatch::{
    Buf, BufferSpec, Dispatch, Kernel, Shape, GRAD_CHUNK, NO_CONFIG, WG,
};
use crate::rng::Key;
use crate::shader::{Composed, Part};

const NN_WGSL: &str = include_str!("../../../shaders/nn.wgsl");
const POLICY_WGSL: &str = include_str!("../../../shaders/policy.wgsl");
const POLICY_CATEGORICAL_WGSL: (&str, &str) = (
    "shaders/policy_categorical.wgsl",
    include_str!("../../../shaders/policy_categorical.wgsl"),
);
const POLICY_GAUSSIAN_WGSL: (&str, &str) = (
    "shaders/policy_gaussian.wgsl",
    include_str!("../../../shaders/policy_gaussian.wgsl"),
);

/// The ping-pong input gradients of hidden layers (`Buf::Net(0)` and `Buf::Net(1)`).
fn delta(k: usize) -> Buf {
    Buf::Net(k)
}

/// The output of hidden layer `l` of net `net` (0 actor, 1 critic).
fn hidden(net: usize, l: usize) -> Buf {
    Buf::Net(2 + net + 2 * l)
}

/// Where one layer reads its input and writes its output, and its weights.
struct LayerViews {
    n_in: u32,
    n_out: u32,
    weights: View,
    input_buf: Buf,
    input: View,
    output_buf: Buf,
    output: View,
    delta_buf: Buf,
    last: bool,
}

impl PolicyNet {
    fn mlp(&self, net: usize) -> &Mlp {
        if net == 0 {
            &self.actor
        } else {
            &self.critic
        }
    }

    /// Where layer `l` of `net` reads its input and writes its output, and its weights.
    fn layer_views(&self, shape: &Shape, net: usize, l: usize) -> LayerViews {
        let mlp = self.mlp(net);
        let m = shape.minibatch;
        let heads = self.heads();
        let (n_in, n_out, offset) = mlp.layer(l);
        let net_offset = if net == 0 { 0 } else { self.critic_offset() };
        let input_buf = if l == 0 { Buf::MbX } else { hidden(net, l - 1) };
        let input = View::rows(0, m * n_in, n_in);
        let last = l + 1 == mlp.layers();
        let (output_buf, output, delta_buf) = if last {
            let column = if net == 0 { 0 } else { self.outputs() };
            let view = View {
                off: column,
                agent: m * heads,
                row: heads,
                col: 1,
            };
            (Buf::Heads, view, Buf::DHeads)
        } else {
            // Ping-pong so a layer's input gradient never overwrites its output gradient.
            let depth = mlp.layers() - 2 - l;
            (
                hidden(net, l),
                View::rows(0, m * n_out, n_out),
                delta(depth % 2),
            )
        };
        LayerViews {
            n_in,
            n_out,
            weights: View {
                off: net_offset + offset,
                agent: self.params(),
                row: n_out,
                col: 1,
            },
            input_buf,
            input,
            output_buf,
            output,
            delta_buf,
            last,
        }
    }

    fn forward_net(&self, shape: &Shape, net: usize, plan: &mut Vec<Dispatch>) {
        let m = shape.minibatch;
        for l in 0..self.mlp(net).layers() {
            let v = self.layer_views(shape, net, l);
            let epilogue = match (v.last, self.activation) {
                (true, _) => Epilogue::None,
                (false, Activation::Tanh) => Epilogue::Tanh,
                (false, Activation::Relu) => Epilogue::Relu,
            };
            let cfg = MatmulConfig::rows(
                m, v.n_out, v.n_in, v.input, v.weights, v.output, true, epilogue, v.output,
            );
            plan.push(Dispatch::new(
                Kernel::Matmul { wg: WG, shape: cfg },
                &[v.input_buf, Buf::Weights, v.output_buf, v.output_buf],
                [cfg.groups_x(WG), cfg.groups_y(), shape.agents],
                &NO_CONFIG,
            ));
        }
    }

    fn backward_net(&self, shape: &Shape, net: usize, plan: &mut Vec<Dispatch>) {
        let m = shape.minibatch;
        let chunks = shape.chunks();
        for l in (0..self.mlp(net).layers()).rev() {
            let v = self.layer_views(shape, net, l);
            // The gradient of this layer's output (heads for the last layer).
            let delta = if v.last {
                v.output
            } else {
                View::rows(0, m * v.n_out, v.n_out)
            };
            // dW^T[r][j] = sum_k delta[k][r] input[k][j], with the bias as a ones column, or
            // for layers with far fewer outputs than inputs (the heads) dW[i][j] =
            // sum_k input[k][i] delta[k][j] with a ones row: the long side goes to the
            // invocations.
            let agent_grads = chunks * self.params();
            let (cfg, binds) = if 2 * v.n_out <= v.n_in + 1 {
                let grads = View::rows(v.weights.off, agent_grads, v.n_out);
                let cfg = MatmulConfig::outer_transposed(
                    v.n_in,
                    v.n_out,
                    m,
                    v.input.t(),
                    delta,
                    grads,
                    GRAD_CHUNK,
                    self.params(),
                );
                (cfg, [v.input_buf, v.delta_buf, Buf::Parts, Buf::Parts])
            } else {
                let grads = View::rows(v.weights.off, agent_grads, v.n_out).t();
                let cfg = MatmulConfig::outer(
                    v.n_out,
                    v.n_in,
                    m,
                    delta.t(),
                    v.input,
                    grads,
                    GRAD_CHUNK,
                    self.params(),
                );
                (cfg, [v.delta_buf, v.input_buf, Buf::Parts, Buf::Parts])
            };
            let wg = cfg.m.div_ceil(cfg.rows).next_power_of_two().clamp(8, WG);
            plan.push(Dispatch::new(
                Kernel::Matmul { wg, shape: cfg },
                &binds,
                [cfg.groups_x(wg), cfg.groups_y(), shape.agents],
                &NO_CONFIG,
            ));
            if l > 0 {
                // The input gradient: delta W^T times the activation's derivative.
                let below = self.layer_views(shape, net, l - 1);
                let epilogue = match self.activation {
                    Activation::Tanh => Epilogue::TimesTanhDerivative,
                    Activation::Relu => Epilogue::TimesReluDerivative,
                };
                let d_input = View::rows(0, m * v.n_in, v.n_in);
                let cfg = MatmulConfig::rows(
                    m,
                    v.n_in,
                    v.n_out,
                    delta,
                    v.weights.t(),
                    d_input,
                    false,
                    epilogue,
                    v.input,
                );
                plan.push(Dispatch::new(
                    Kernel::Matmul { wg: WG, shape: cfg },
                    &[v.delta_buf, Buf::Weights, below.delta_buf, v.input_buf],
                    [cfg.groups_x(WG), cfg.groups_y(), shape.agents],
                    &NO_CONFIG,
                ));
            }
        }
    }

    fn nets(nets: Nets) -> &'static [usize] {
        match nets {
            Nets::Both => &[0, 1],
            Nets::Actor => &[0],
        }
    }
}

impl PolicyNetwork for PolicyNet {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn params(&self) -> u32 {
        PolicyNet::params(self)
    }
    fn init(&self, key: Key) -> Vec<f32> {
        PolicyNet::init(self, key)
    }
    fn critic_offset(&self) -> u32 {
        PolicyNet::critic_offset(self)
    }
    fn outputs(&self) -> u32 {
        PolicyNet::outputs(self)
    }
    fn action_dim(&self) -> u32 {
        self.action_dim
    }
    fn log_std_offset(&self) -> u32 {
        PolicyNet::log_std_offset(self)
    }
    fn wgsl_prelude(&self) -> String {
        PolicyNet::wgsl_prelude(self)
    }
    fn rollout_parts(&self) -> Vec<Part> {
        let head = if self.action_dim > 0 {
            POLICY_GAUSSIAN_WGSL
        } else {
            POLICY_CATEGORICAL_WGSL
        };
        vec![
            Part::new("shaders/policy.wgsl", POLICY_WGSL),
            Part::new(head.0, head.1),
        ]
    }
    fn loop_iterations(&self) -> u32 {
        PolicyNet::loop_iterations(self)
    }
    fn kernels(&self) -> Result<Composed> {
        Composed::new(&[Part::new("shaders/nn.wgsl", NN_WGSL)])
    }

    fn buffers(&self, shape: &Shape) -> Vec<BufferSpec> {
        let (a, m) = (shape.agents as usize, shape.minibatch as usize);
        let mut specs = Vec::new();
        for net in 0..2 {
            let mlp = self.mlp(net);
            for l in 0..mlp.layers() - 1 {
                let len = a * m * mlp.dims[l + 1] as usize;
                specs.push(BufferSpec::new(hidden(net, l), len, "the activations"));
            }
        }
        // The widest hidden layer's gradients (at least one float without hidden layers).
        let widest = self.actor.dims[1..self.actor.layers()]
            .iter()
            .chain(&self.critic.dims[1..self.critic.layers()])
            .max()
            .copied()
            .unwrap_or(1) as usize;
        for k in 0..2 {
            specs.push(BufferSpec::new(
                delta(k),
                a * m * widest,
                "the activation gradients",
            ));
        }
        specs
    }

    fn forward(&self, shape: &Shape, nets: Nets, plan: &mut Vec<Dispatch>) {
        for &net in Self::nets(nets) {
            self.forward_net(shape, net, plan);
        }
    }

    fn backward(&self, shape: &Shape, nets: Nets, plan: &mut Vec<Dispatch>) {
        for &net in Self::nets(nets) {
            self.backward_net(shape, net, plan);
        }
    }

    fn forward_twin(&self, weights: &[f32], obs: &[f32], _state: &mut [f32]) -> (Vec<f32>, f32) {
        PolicyNet::forward(self, weights, obs)
    }
}
