//! The actor and critic MLPs: their weight layout in a flat per-agent vector, their
//! initialisation, and the per-sample forward pass that is the twin of
//! `shaders/policy.wgsl`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::{self, Key};

mod plan;

/// Hidden-layer activation. The discriminants are the WGSL codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Tanh = 1,
    Relu = 2,
}

impl Activation {
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
        }
    }
    /// The derivative, from the activation's output.
    pub fn derivative_at_output(self, out: f32) -> f32 {
        match self {
            Activation::Tanh => 1.0 - out * out,
            Activation::Relu => (out > 0.0) as u32 as f32,
        }
    }
}

/// Widest layer wgym compiles for (private arrays are sized by it).
pub const MAX_WIDTH: u32 = 1024;

/// An MLP as its layer widths, input first. Layer l maps dims[l] to dims[l + 1] through a
/// row-major [dims[l]][dims[l + 1]] matrix followed by its bias row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mlp {
    pub dims: Vec<u32>,
}

impl Mlp {
    pub fn new(inputs: u32, hidden: &[u32], outputs: u32) -> Mlp {
        let mut dims = vec![inputs];
        dims.extend_from_slice(hidden);
        dims.push(outputs);
        Mlp { dims }
    }
    pub fn layers(&self) -> usize {
        self.dims.len() - 1
    }
    /// (inputs, outputs, offset of the layer's weights within the MLP).
    pub fn layer(&self, l: usize) -> (u32, u32, u32) {
        (self.dims[l], self.dims[l + 1], self.offset(l))
    }
    /// Where layer l's weights start (l = layers(): the total).
    fn offset(&self, l: usize) -> u32 {
        (0..l).map(|k| (self.dims[k] + 1) * self.dims[k + 1]).sum()
    }
    pub fn params(&self) -> u32 {
        self.offset(self.layers())
    }
}

/// Separate actor and critic MLPs, stored one after the other. The actor's outputs are the
/// logits of a categorical policy, or (`action_dim > 0`) the means of a diagonal Gaussian
/// whose state-independent log standard deviations follow the critic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyNet {
    pub actor: Mlp,
    pub critic: Mlp,
    pub activation: Activation,
    /// 0: categorical; else the Gaussian's dimension.
    pub action_dim: u32,
}

impl PolicyNet {
    /// A categorical policy over `num_actions` actions.
    pub fn new(
        obs_dim: u32,
        num_actions: u32,
        hidden: &[u32],
        activation: Activation,
    ) -> Result<Self> {
        Self::build(obs_dim, num_actions, 0, hidden, activation)
    }

    /// A diagonal Gaussian policy over `action_dim` values with state-independent log
    /// standard deviations.
    pub fn gaussian(
        obs_dim: u32,
        action_dim: u32,
        hidden: &[u32],
        activation: Activation,
    ) -> Result<Self> {
        Self::build(obs_dim, action_dim, action_dim, hidden, activation)
    }

    /// The policy an env's action space asks for: categorical, or a diagonal Gaussian over
    /// `action_dim` values.
    pub fn for_spec(
        spec: &crate::env::EnvSpec,
        hidden: &[u32],
        activation: Activation,
    ) -> Result<Self> {
        let outputs = if spec.action_dim > 0 {
            spec.action_dim
        } else {
            spec.num_actions
        };
        Self::build(spec.obs_dim, outputs, spec.action_dim, hidden, activation)
    }

    fn build(
        obs_dim: u32,
        num_actions: u32,
        action_dim: u32,
        hidden: &[u32],
        activation: Activation,
    ) -> Result<Self> {
        if hidden.iter().any(|&h| h == 0 || h > MAX_WIDTH) {
            return Err(Error::invalid(
                "network.hidden",
                format!("{hidden:?}: every width must be in 1..={MAX_WIDTH}"),
            ));
        }
        if obs_dim > MAX_WIDTH || num_actions > MAX_WIDTH {
            return Err(Error::invalid(
                "network",
                format!("observations ({obs_dim}) and actions ({num_actions}) must be at most {MAX_WIDTH}"),
            ));
        }
        Ok(PolicyNet {
            actor: Mlp::new(obs_dim, hidden, num_actions),
            critic: Mlp::new(obs_dim, hidden, 1),
            activation,
            action_dim,
        })
    }

    pub fn critic_offset(&self) -> u32 {
        self.actor.params()
    }

    /// Where a Gaussian policy's log standard deviations are.
    pub fn log_std_offset(&self) -> u32 {
        self.actor.params() + self.critic.params()
    }

    /// The actor's outputs: logits or means.
    pub fn outputs(&self) -> u32 {
        *self.actor.dims.last().expect("an output layer")
    }

    /// Weights per agent.
    pub fn params(&self) -> u32 {
        self.log_std_offset() + self.action_dim
    }

    /// Floats of the rollout's private activation array: the observation, then one
    /// network's layer outputs.
    fn activation_len(&self) -> u32 {
        let sum = |m: &Mlp| m.dims.iter().sum::<u32>();
        sum(&self.actor).max(sum(&self.critic))
    }

    /// An upper bound of the loop iterations of one policy-rollout step's network passes
    /// (the actor once, the critic up to twice), if no loop were unrolled.
    pub fn loop_iterations(&self) -> u32 {
        let passes = |m: &Mlp| -> u32 {
            (0..m.layers())
                .map(|l| m.dims[l + 1] * (m.dims[l] + 2))
                .sum()
        };
        passes(&self.actor) + 2 * passes(&self.critic)
    }

    /// WGSL constants of `shaders/policy.wgsl`: the actor's widths then the critic's in
    /// one `NET_DIMS`.
    pub fn wgsl_prelude(&self) -> String {
        let dims: Vec<String> = self
            .actor
            .dims
            .iter()
            .chain(&self.critic.dims)
            .map(|d| format!("{d}u"))
            .collect();
        format!(
            "const ACTOR_LAYERS: u32 = {}u;\nconst CRITIC_LAYERS: u32 = {}u;\n\
             const NET_DIMS = array<u32, {}>({});\n\
             const CRITIC_OFFSET: u32 = {}u;\nconst NET_PARAMS: u32 = {}u;\n\
             const ACT_LEN: u32 = {}u;\nconst HIDDEN_ACTIVATION: u32 = {}u;\n\
             const ACTOR_OUTPUTS: u32 = {}u;\nconst GAUSSIAN: u32 = {}u;\nconst LOG_STD_OFFSET: u32 = {}u;\n",
            self.actor.layers(),
            self.critic.layers(),
            dims.len(),
            dims.join(", "),
            self.critic_offset(),
            self.params(),
            self.activation_len(),
            self.activation as u32,
            self.outputs(),
            (self.action_dim > 0) as u32,
            self.log_std_offset(),
        )
    }

    /// One agent's initial weights: orthogonal matrices scaled by sqrt(2) for hidden
    /// layers, 0.01 for the logits or means and 1 for the value, zero biases and log
    /// standard deviations (PureJaxRL's choice).
    pub fn init(&self, key: Key) -> Vec<f32> {
        let mut weights = Vec::with_capacity(self.params() as usize);
        for (n, (mlp, head_gain)) in [(&self.actor, 0.01), (&self.critic, 1.0)]
            .into_iter()
            .enumerate()
        {
            for l in 0..mlp.layers() {
                let (n_in, n_out, _) = mlp.layer(l);
                let gain = if l + 1 == mlp.layers() {
                    head_gain
                } else {
                    2f64.sqrt()
                };
                let layer_key = rng::fold(rng::fold(key, n as u32), l as u32);
                weights.extend(orthogonal(layer_key, n_in as usize, n_out as usize, gain));
                weights.extend(std::iter::repeat_n(0.0, n_out as usize));
            }
        }
        weights.extend(std::iter::repeat_n(0.0, self.action_dim as usize));
        weights
    }

    /// Logits (or means) and value of one observation (twin of the rollout's forward
    /// pass).
    pub fn forward(&self, weights: &[f32], obs: &[f32]) -> (Vec<f32>, f32) {
        let logits = mlp_forward(&self.actor, self.activation, weights, obs);
        let critic = &weights[self.critic_offset() as usize..];
        let value = mlp_forward(&self.critic, self.activation, critic, obs)[0];
        (logits, value)
    }
}

/// The MLP's output for one input (twin of `dense` in `shaders/policy.wgsl`).
pub fn mlp_forward(mlp: &Mlp, activation: Activation, weights: &[f32], input: &[f32]) -> Vec<f32> {
    let mut x = input.to_vec();
    for l in 0..mlp.layers() {
        let (n_in, n_out, offset) = mlp.layer(l);
        let (n_in, n_out, w) = (n_in as usize, n_out as usize, &weights[offset as usize..]);
        x = (0..n_out)
            .map(|j| {
                let mut acc = w[n_in * n_out + j];
                for i in 0..n_in {
                    acc = x[i].mul_add(w[i * n_out + j], acc);
                }
                if l + 1 < mlp.layers() {
                    activation.apply(acc)
                } else {
                    acc
                }
            })
            .collect();
    }
    x
}

/// A row-major [rows][cols] matrix with orthonormal columns (rows >= cols) or rows, times
/// `gain`: Gram-Schmidt on Gaussian draws from the counter RNG.
pub(crate) fn orthogonal(key: Key, rows: usize, cols: usize, gain: f64) -> Vec<f32> {
    let (long, short) = (rows.max(cols), rows.min(cols));
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(short);
    for v in 0..short {
        let mut x: Vec<f64> = (0..long)
            .map(|i| rng::normal(key, (v * long + i) as u32) as f64)
            .collect();
        for _ in 0..2 {
            for b in &basis {
                let dot: f64 = x.iter().zip(b).map(|(p, q)| p * q).sum();
                x.iter_mut().zip(b).for_each(|(p, q)| *p -= dot * q);
            }
        }
        let norm = x.iter().map(|p| p * p).sum::<f64>().sqrt().max(1e-12);
        x.iter_mut().for_each(|p| *p /= norm);
        basis.push(x);
    }
    let mut out = vec![0.0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let v = if rows >= cols {
                basis[c][r]
            } else {
                basis[r][c]
            };
            out[r * cols + c] = (gain * v) as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_columns_are_orthonormal() {
        let w = orthogonal(rng::key(7), 8, 3, 1.0);
        for a in 0..3 {
            for b in 0..3 {
                let dot: f32 = (0..8).map(|r| w[r * 3 + a] * w[r * 3 + b]).sum();
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-5, "{a} {b}: {dot}");
            }
        }
    }

    #[test]
    fn layout_counts_every_weight_and_bias() {
        let net = PolicyNet::new(4, 4, &[64, 64], Activation::Tanh).unwrap();
        let actor = 5 * 64 + 65 * 64 + 65 * 4;
        let critic = 5 * 64 + 65 * 64 + 65;
        assert_eq!(net.params(), actor + critic);
        assert_eq!(net.init(rng::key(0)).len(), net.params() as usize);
    }
}
