//! The recurrent core of memory agents ([`GruNet`]: an optional MLP encoder, then a GRU
//! cell): the parameter layout and initialisation of one agent's net, the shapes of the
//! sequences it runs over, its CPU twin ([`twin`]) and its GPU passes ([`pass`], kernels in
//! `shaders/gru.wgsl` and the products of `shaders/nn.wgsl`). The actor and critic heads
//! that read its states are not part of it.
//!
//! The cell is flax's `GRUCell` (flax/linen/recurrent.py; Cho et al. 2014), the cell
//! PureJaxRL's `ppo_rnn.py` scans:
//!
//! ```text
//! r  = sigmoid(x W_ir + b_ir + h W_hr)
//! z  = sigmoid(x W_iz + b_iz + h W_hz)
//! n  = tanh(x W_in + b_in + r * (h W_hn + b_hn))
//! h' = (1 - z) * n + z * h
//! ```
//!
//! with flax's initialisers: LeCun normal (truncated at two standard deviations) input
//! kernels, orthogonal hidden kernels (one per gate), zero biases, and a zero initial state.
//! The cell's input is the observation, or the output of the encoder (`ppo_rnn.py`'s
//! embedding: dense layers, each followed by the activation, orthogonal with gain sqrt(2)).
//!
//! # Sequences
//! Every buffer has an agent axis; each agent has its own `envs` sequences of `steps` steps,
//! laid out env-major: row `(agent * envs + env) * steps + t`. A step's reset flag means the
//! episode (or, in RL² mode, the trial) ended before it, so the state it sees is zero, as
//! `ppo_rnn.py` does with `done`; nothing flows back past it. The state at a sequence's start
//! (`h0`) is an input, and its gradient an output: BPTT is truncated there.
//!
//! # What the trainer needs from this module
//! - The fused policy rollout carries `h` from step to step (one cell step per env step: the
//!   cell of `shaders/gru.wgsl`'s forward loop body, with the encoder before it), stores the
//!   state at the rollout's start as `h0`, each step's reset flag (the previous step's done;
//!   in RL² mode, the previous step's trial end) and the observations as `x`.
//! - The update reruns the net over whole env sequences: a minibatch is a set of envs, as in
//!   `ppo_rnn.py`, gathered as the `x`, resets and `h0` of those envs, so `envs` here is the
//!   minibatch's env count and `steps` the rollout length (the truncation point).
//! - The heads read `hs` and hand back `d_hs` (dL/dh_t of each step's output); the backward
//!   pass turns it into the weight gradient, as split-K partial sums in the trainer's
//!   `[agent][chunk][params]` layout that `adam.wgsl`'s `sum_chunks` adds in order (the net
//!   can sit at an offset of an agent's weights: `GRU_HRZ`, `GRU_HN` and the views take
//!   absolute offsets), and into the gradient of `x`.
//! - The passes own their buffers today ([`pass::GruPass`]); bound to the trainer's buffers,
//!   the same dispatches are its plan.

pub mod pass;
pub mod twin;

use crate::error::{Error, Result};
use crate::learn::net::{orthogonal, Activation, Mlp, MAX_WIDTH};
use crate::rng::{self, Key};

/// Widest hidden state: the backward pass keeps 4 H floats per env of a tile in workgroup
/// memory (8 KiB at 512, within WebGPU's 16 KiB default).
pub const MAX_HIDDEN: u32 = 512;

/// One agent's GRU cell: `inputs` floats in, `hidden` floats of state.
///
/// Its weights, in this order: the input kernel `[inputs][3H]` (columns r, z, n) and its
/// bias row `b_i` (b_ir, b_iz, b_in); the hidden kernels of r and z `[H][2H]`; the hidden
/// kernel of n `[H][H]` and its bias row `b_hn`. Each block is a dense map in the MLP's layout
/// (a row-major matrix, then its bias row where it has one), so the products of
/// `shaders/nn.wgsl` compute it and its gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GruCore {
    pub inputs: u32,
    pub hidden: u32,
}

impl GruCore {
    pub fn new(inputs: u32, hidden: u32) -> Result<GruCore> {
        if hidden == 0 || hidden > MAX_HIDDEN {
            return Err(Error::invalid(
                "gru.hidden",
                format!("{hidden}: the hidden size must be in 1..={MAX_HIDDEN}"),
            ));
        }
        if inputs == 0 || inputs > MAX_WIDTH {
            return Err(Error::invalid(
                "gru.inputs",
                format!("{inputs}: the core's input size must be in 1..={MAX_WIDTH}"),
            ));
        }
        Ok(GruCore { inputs, hidden })
    }

    /// Where the hidden kernels of r and z start.
    pub fn hidden_rz(&self) -> u32 {
        (self.inputs + 1) * 3 * self.hidden
    }

    /// Where the hidden kernel of n starts (its bias row follows it).
    pub fn hidden_n(&self) -> u32 {
        self.hidden_rz() + 2 * self.hidden * self.hidden
    }

    /// Weights per agent.
    pub fn params(&self) -> u32 {
        self.hidden_n() + (self.hidden + 1) * self.hidden
    }

    /// One agent's initial weights, with flax's `GRUCell` initialisers: LeCun normal input
    /// kernels (variance 1 / inputs, truncated at 2 standard deviations, as
    /// `jax.nn.initializers.lecun_normal`), an orthogonal hidden kernel per gate, zero biases.
    pub fn init(&self, key: Key) -> Vec<f32> {
        let (d, h) = (self.inputs as usize, self.hidden as usize);
        let mut weights = Vec::with_capacity(self.params() as usize);
        // jax's truncated normal has standard deviation 0.8796 before it is rescaled.
        let std = (1.0 / self.inputs as f32).sqrt() / 0.879_625_7;
        let input_key = rng::fold(key, 0);
        weights.extend((0..(d * 3 * h) as u32).map(|i| std * truncated_normal(input_key, i)));
        weights.extend(std::iter::repeat_n(0.0, 3 * h));
        let gate = |g: u32| orthogonal(rng::fold(key, 1 + g), h, h, 1.0);
        let (hr, hz) = (gate(0), gate(1));
        for row in 0..h {
            weights.extend_from_slice(&hr[row * h..(row + 1) * h]);
            weights.extend_from_slice(&hz[row * h..(row + 1) * h]);
        }
        weights.extend(gate(2));
        weights.extend(std::iter::repeat_n(0.0, h));
        weights
    }
}

/// A GRU core after an optional MLP encoder whose every layer (the last one included) is
/// followed by the activation, as `ppo_rnn.py`'s embedding (`Dense`, then relu) is.
///
/// An agent's weights: the encoder's layers in the MLP's layout, then the core's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GruNet {
    /// The encoder's widths, input first; just the input for none.
    pub encoder: Mlp,
    pub activation: Activation,
    pub core: GruCore,
}

impl GruNet {
    /// `inputs` floats through encoder layers of widths `encoder` (none: empty) into a core
    /// of `hidden` units.
    pub fn new(
        inputs: u32,
        encoder: &[u32],
        activation: Activation,
        hidden: u32,
    ) -> Result<GruNet> {
        if encoder.iter().any(|&w| w == 0 || w > MAX_WIDTH) {
            return Err(Error::invalid(
                "gru.encoder",
                format!("{encoder:?}: every width must be in 1..={MAX_WIDTH}"),
            ));
        }
        if inputs == 0 || inputs > MAX_WIDTH {
            return Err(Error::invalid(
                "gru.inputs",
                format!("{inputs}: the input size must be in 1..={MAX_WIDTH}"),
            ));
        }
        let mut dims = vec![inputs];
        dims.extend_from_slice(encoder);
        let encoder = Mlp { dims };
        let core = GruCore::new(*encoder.dims.last().expect("an input width"), hidden)?;
        Ok(GruNet {
            encoder,
            activation,
            core,
        })
    }

    /// The input width.
    pub fn inputs(&self) -> u32 {
        self.encoder.dims[0]
    }

    /// Where the core's weights start.
    pub fn core_offset(&self) -> u32 {
        self.encoder.params()
    }

    /// Weights per agent.
    pub fn params(&self) -> u32 {
        self.core_offset() + self.core.params()
    }

    /// One agent's initial weights: the encoder's as `ppo_rnn.py`'s embedding (orthogonal
    /// with gain sqrt(2), zero biases), then the core's ([`GruCore::init`]).
    pub fn init(&self, key: Key) -> Vec<f32> {
        let mut weights = Vec::with_capacity(self.params() as usize);
        for l in 0..self.encoder.layers() {
            let (n_in, n_out, _) = self.encoder.layer(l);
            let layer_key = rng::fold(rng::fold(key, 0), l as u32);
            let (n_in, n_out) = (n_in as usize, n_out as usize);
            weights.extend(orthogonal(layer_key, n_in, n_out, 2f64.sqrt()));
            weights.extend(std::iter::repeat_n(0.0, n_out));
        }
        weights.extend(self.core.init(rng::fold(key, 1)));
        weights
    }
}

/// A standard normal draw conditioned on |z| < 2: draw i of the first of `fold(key, attempt)`
/// that falls inside.
fn truncated_normal(key: Key, i: u32) -> f32 {
    (0..)
        .map(|attempt| rng::normal(rng::fold(key, attempt), 2 * i))
        .find(|z| z.abs() < 2.0)
        .expect("an unbounded search")
}

/// The sequences a pass runs over: `envs` of `steps` steps per agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sequences {
    pub agents: u32,
    pub envs: u32,
    pub steps: u32,
}

impl Sequences {
    pub fn new(agents: u32, envs: u32, steps: u32) -> Result<Sequences> {
        if agents == 0 || envs == 0 || steps == 0 {
            return Err(Error::invalid(
                "gru sequences",
                format!("{agents} agents x {envs} envs x {steps} steps: each must be at least 1"),
            ));
        }
        Ok(Sequences {
            agents,
            envs,
            steps,
        })
    }

    /// Sequences of all agents.
    pub fn sequences(&self) -> usize {
        (self.agents * self.envs) as usize
    }

    /// Rows (steps) of all agents.
    pub fn rows(&self) -> usize {
        self.sequences() * self.steps as usize
    }

    /// Rows per agent.
    pub fn agent_rows(&self) -> u32 {
        self.envs * self.steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_counts_every_weight_and_bias() {
        let core = GruCore::new(5, 4).unwrap();
        assert_eq!(core.params(), 6 * 12 + 4 * 8 + 5 * 4);
        assert_eq!(core.init(rng::key(1)).len(), core.params() as usize);
    }

    #[test]
    fn the_encoder_comes_before_the_core() {
        let net = GruNet::new(6, &[10, 5], Activation::Relu, 4).unwrap();
        assert_eq!(net.core, GruCore::new(5, 4).unwrap());
        assert_eq!(net.core_offset(), 7 * 10 + 11 * 5);
        assert_eq!(net.init(rng::key(3)).len(), net.params() as usize);
        let bare = GruNet::new(6, &[], Activation::Relu, 4).unwrap();
        assert_eq!((bare.core_offset(), bare.core.inputs), (0, 6));
        assert!(GruNet::new(6, &[0], Activation::Relu, 4).is_err());
    }

    #[test]
    fn initial_kernels_follow_flax() {
        let core = GruCore::new(64, 8).unwrap();
        let w = core.init(rng::key(2));
        let input = &w[..64 * 24];
        let var = input.iter().map(|v| v * v).sum::<f32>() / input.len() as f32;
        assert!(
            (var * 64.0 - 1.0).abs() < 0.15,
            "input kernel variance {var}"
        );
        let limit = 2.0 / 8.0 / 0.879_625_7;
        assert!(input.iter().all(|v| v.abs() < limit), "truncated at 2 std");
        // Each gate's hidden kernel is orthogonal: the r block's columns are orthonormal.
        let rz = &w[core.hidden_rz() as usize..];
        for a in 0..8 {
            for b in 0..8 {
                let dot: f32 = (0..8).map(|k| rz[k * 16 + a] * rz[k * 16 + b]).sum();
                assert!(
                    (dot - (a == b) as u32 as f32).abs() < 1e-5,
                    "{a} {b}: {dot}"
                );
            }
        }
        let biases = [core.hidden_rz() - 24, core.params() - 8];
        for b in biases {
            assert!(w[b as usize..b as usize + 8].iter().all(|&v| v == 0.0));
        }
    }
}
