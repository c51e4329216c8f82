//! The policy network behind one interface: what the trainer needs of an actor-critic
//! network to roll it out, train it and checkpoint it, whatever its architecture. Today's
//! implementation is the feed-forward [`PolicyNet`](super::net::PolicyNet) (MLPs with a
//! categorical or Gaussian head).
//!
//! # What a recurrent network (a GRU) provides
//! The trainer's other parts never look inside the network, so a GRU plugs in as one
//! more implementation plus its kernels and twin:
//! - `wgsl_prelude` and `rollout_parts`: the constants and the per-step forward pass that
//!   the fused policy rollout calls, with the hidden state carried in registers from step
//!   to step and reset where an episode (or, in RL² mode, a trial) ends. The state lives
//!   in `Buf::Net` buffers the network declares (`buffers`) and the rollout binds
//!   (`rollout_buffers`): the carried state, and a copy stored at the start of each
//!   rollout, which its training passes start from.
//! - `kernels`: its training kernels' module (the GRU cell's forward and backward over
//!   sequences besides `shaders/nn.wgsl`'s products), whose dispatches `forward` and
//!   `backward` plan; each new entry point is a `Kernel` variant of `Family::Network`
//!   (`trainer/dispatch.rs`), its buffers bound as it declares them.
//! - `forward` and `backward`: BPTT over whole env sequences, truncated at the rollout
//!   length. Its minibatches are sets of envs rather than shuffled single steps: the
//!   one change outside the network, a flag on this trait that the algorithm's gather
//!   reads to permute envs instead of samples (`Algo::gather`, `shaders/ppo.wgsl`).
//! - `params`, `init`: its parameter layout, with the actor's first (the meta-gradient
//!   differentiates the actor alone, `[0, critic_offset)`), the Gaussian head's log
//!   standard deviations at `log_std_offset`.
//! - `checkpoint_buffers`: the carried hidden state, so that resuming is bit-identical.
//! - `forward_twin`: its CPU twin, one step of one env, reading and writing the state.
//!
//! The trainer builds its network from the config's `[network]` table in one place
//! (`Trainer::with_options`); a GRU is one more arm there.

use std::any::Any;

use super::trainer::dispatch::{column_sums, Buf, BufferSpec, Dispatch, Shape};
use crate::error::Result;
use crate::learn::nn::ReduceConfig;
use crate::rng::Key;
use crate::shader::{Composed, Part};

/// Which of the networks a pass covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nets {
    /// Actor then critic.
    Both,
    /// The actor alone (the meta-gradient's surrogate losses touch only the policy).
    Actor,
}

/// An actor-critic network as the trainer composes it. Its training passes read a
/// minibatch's observations from `Buf::MbX` (or their sequences) and write the heads to
/// `Buf::Heads` ([agent][sample][heads]: the actor's outputs, the value, then for a
/// Gaussian policy the log-std gradient terms); its backward pass reads their gradients
/// from `Buf::DHeads` and writes per-chunk weight gradients to `Buf::Parts`
/// ([agent][chunk][params]), which the optimizer sums.
pub trait PolicyNetwork: Send + Sync + std::fmt::Debug {
    /// The implementation, for code that knows which one it has (the twins).
    fn as_any(&self) -> &dyn Any;

    // The parameter layout and initialisation.
    /// Weights per agent.
    fn params(&self) -> u32;
    /// One agent's initial weights.
    fn init(&self, key: Key) -> Vec<f32>;
    /// Where the critic's weights start: the actor's are before.
    fn critic_offset(&self) -> u32;
    /// The actor's outputs: logits, or a Gaussian's means.
    fn outputs(&self) -> u32;
    /// 0: a categorical head; else the Gaussian's dimension.
    fn action_dim(&self) -> u32;
    /// Where a Gaussian head's log standard deviations are.
    fn log_std_offset(&self) -> u32;
    // WGSL.
    /// Constants of the network's WGSL (`NET_PARAMS`, `ACTOR_OUTPUTS`, `GAUSSIAN`...),
    /// shared by the rollout and the algorithm's kernels.
    fn wgsl_prelude(&self) -> String;
    /// The rollout's per-step forward pass and action sampling (after the prelude).
    fn rollout_parts(&self) -> Vec<Part>;
    /// An upper bound of one rollout step's loop iterations in the forward pass.
    fn loop_iterations(&self) -> u32;
    /// The module of the training kernels its passes dispatch.
    fn kernels(&self) -> Result<Composed>;

    // Buffers and plans.
    /// Its own buffers for an update of `shape` (`Buf::Net`).
    fn buffers(&self, shape: &Shape) -> Vec<BufferSpec>;
    /// Its buffers the policy rollout binds after the trajectory's (a recurrent network's
    /// carried state and its copy at the rollout start; none for a feed-forward network).
    fn rollout_buffers(&self) -> Vec<Buf> {
        Vec::new()
    }
    /// Its buffers a checkpoint holds, by section name (none for a feed-forward network).
    fn checkpoint_buffers(&self) -> Vec<(&'static str, Buf)> {
        Vec::new()
    }
    /// The forward pass over the gathered minibatch.
    fn forward(&self, shape: &Shape, nets: Nets, plan: &mut Vec<Dispatch>);
    /// The backward pass from the heads' gradients to the weight gradients' chunks.
    fn backward(&self, shape: &Shape, nets: Nets, plan: &mut Vec<Dispatch>);

    // The twin.
    /// Logits (or means) and value of one observation, advancing `state` (twin of the
    /// rollout's forward pass; `state` is empty for a feed-forward network).
    fn forward_twin(&self, weights: &[f32], obs: &[f32], state: &mut [f32]) -> (Vec<f32>, f32);

    /// Columns per sample of the heads and their gradients: the actor's outputs, the value,
    /// and for a Gaussian policy the log-std gradient terms.
    fn heads(&self) -> u32 {
        let outputs = self.outputs();
        outputs + 1 + if self.action_dim() > 0 { outputs } else { 0 }
    }
}

/// A Gaussian head's log standard deviations' gradients: sums of the per-sample terms in
/// the heads' gradients, into the first chunk (the others stay zero there). Nothing for a
/// categorical head.
pub fn log_std_gradient(net: &dyn PolicyNetwork, shape: &Shape, plan: &mut Vec<Dispatch>) {
    if net.action_dim() == 0 {
        return;
    }
    let (m, heads, p) = (shape.minibatch, net.heads(), net.params());
    let log_std = ReduceConfig::new(
        m,
        net.outputs() + 1,
        m * heads,
        heads,
        net.log_std_offset(),
        shape.chunks() * p,
    );
    plan.push(column_sums(
        Buf::DHeads,
        Buf::Parts,
        net.action_dim(),
        shape.agents,
        log_std,
    ));
}
