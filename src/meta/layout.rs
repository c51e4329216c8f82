//! How a meta-training batch lays out its agents, and the CPU twins of `shaders/meta.wgsl`.
//!
//! Agents come in task groups, one per antithetic pair (or per member, without mirroring):
//! `slots` objective slots of `per_slot` agents each, every agent of the group on the same
//! task and, slot for slot, the same initial weights. The first `members` slots are
//! population members; with normalisation a last slot is the PPO baseline. Agent order:
//! group, then slot, then agent within the slot.

use bytemuck::{Pod, Zeroable};

use super::config::MetaConfig;
use crate::learn::objective::{HYPER, OBJ_GAE_LAMBDA, OBJ_GAMMA};
use crate::learn::trainer::{STATS, STAT_REWARD_SUM};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub groups: u32,
    pub members: u32,
    pub slots: u32,
    pub per_slot: u32,
}

impl Layout {
    /// Meta-training: the population in task groups, a baseline slot when normalising.
    pub fn for_training(c: &MetaConfig) -> Layout {
        let members = c.members_per_task();
        Layout {
            groups: c.es.population / members,
            members,
            slots: members + c.normalize as u32,
            per_slot: c.agents_per_member,
        }
    }

    pub fn agents(&self) -> u32 {
        self.groups * self.slots * self.per_slot
    }

    pub fn population(&self) -> u32 {
        self.groups * self.members
    }

    /// Agents per task group.
    pub fn agents_per_task(&self) -> u32 {
        self.slots * self.per_slot
    }

    /// (task group, slot) of an agent.
    pub fn slot_of(&self, agent: u32) -> (u32, u32) {
        (
            agent / self.agents_per_task(),
            (agent / self.per_slot) % self.slots,
        )
    }

    /// Which initial weights an agent starts from: slots of a group share them.
    pub fn init_index(&self, agent: u32) -> u32 {
        agent / self.agents_per_task() * self.per_slot + agent % self.per_slot
    }

    pub fn uniform(&self, c: &MetaConfig, samples: u32) -> MetaLayout {
        MetaLayout {
            agents: self.agents(),
            slots: self.slots,
            members: self.members,
            per_slot: self.per_slot,
            dim: c.dim(),
            stride: c.objective().stride() as u32,
            hyper_dims: c.hyper_dims(),
            drift_from: c.hyper_dims(),
            normalize: (self.slots > self.members) as u32,
            population: self.population(),
            samples,
            _pad: 0,
        }
    }
}

/// Twin of WGSL `MetaLayout`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct MetaLayout {
    pub agents: u32,
    pub slots: u32,
    pub members: u32,
    pub per_slot: u32,
    pub dim: u32,
    pub stride: u32,
    pub hyper_dims: u32,
    pub drift_from: u32,
    pub normalize: u32,
    pub population: u32,
    pub samples: u32,
    pub _pad: u32,
}

/// Twin of `hyperparameter`.
pub fn hyperparameter(e: usize, base: f32, t: f32) -> f32 {
    if e == OBJ_GAMMA || e == OBJ_GAE_LAMBDA {
        (1.0 - (1.0 - base) * t.exp()).clamp(0.0, 1.0)
    } else {
        base * t.exp()
    }
}

/// Twin of `expand`: every agent's objective row from the population ([member][dim]) and
/// PPO's row.
pub fn expand(m: &MetaLayout, population: &[f32], base: &[f32]) -> Vec<f32> {
    let (stride, dim) = (m.stride as usize, m.dim as usize);
    let mut rows = vec![0.0; m.agents as usize * stride];
    for a in 0..m.agents as usize {
        let group = a / (m.slots * m.per_slot) as usize;
        let slot = (a / m.per_slot as usize) % m.slots as usize;
        let theta = |j: usize| {
            if slot >= m.members as usize {
                0.0
            } else {
                population[(group * m.members as usize + slot) * dim + j]
            }
        };
        for e in 0..stride {
            rows[a * stride + e] = if e < m.hyper_dims as usize {
                hyperparameter(e, base[e], theta(e))
            } else if e >= HYPER && m.drift_from < m.dim {
                theta(m.drift_from as usize + e - HYPER)
            } else {
                base[e]
            };
        }
    }
    rows
}

/// Twin of `fitness_of_members`: each member's fitness and each group's baseline, from the
/// agents' statistics ([agent][STATS]).
pub fn fitness(m: &MetaLayout, agent_stats: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let slot_reward = |group: u32, slot: u32| {
        let first = (group * m.slots + slot) * m.per_slot;
        let mut sum = 0.0f32;
        for k in 0..m.per_slot {
            sum += agent_stats[((first + k) * STATS + STAT_REWARD_SUM) as usize];
        }
        sum / (m.per_slot * m.samples) as f32
    };
    let groups = m.population / m.members;
    let mut baseline = vec![0.0; groups as usize];
    let fitness = (0..m.population)
        .map(|i| {
            let group = i / m.members;
            let own = slot_reward(group, i % m.members);
            let reference = if m.slots > m.members {
                slot_reward(group, m.members)
            } else {
                0.0
            };
            baseline[group as usize] = reference;
            if m.normalize != 0 {
                own - reference
            } else {
                own
            }
        })
        .collect();
    (fitness, baseline)
}
