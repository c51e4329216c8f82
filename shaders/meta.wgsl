// Meta-training glue between an ES population and the inner learners (twin:
// src/meta/layout.rs). Agents come in task groups: `slots` objective slots of `per_slot`
// agents each, all on one task. The first `members` slots are population members; a
// further slot, where there is one, is the PPO baseline (meta-parameters 0).

struct MetaLayout {
    agents: u32,
    slots: u32,        // objective slots per task group
    members: u32,      // of which population members
    per_slot: u32,     // agents per slot
    dim: u32,          // meta-parameters per member
    stride: u32,       // floats per objective row
    hyper_dims: u32,   // meta-parameters 0..hyper_dims scale the hyperparameters
    drift_from: u32,   // meta-parameters from here on are the drift network (dim: none)
    normalize: u32,    // fitness minus the task group's baseline
    population: u32,
    samples: u32,      // env-steps per agent per rollout
    _pad: u32,
}

@group(0) @binding(0) var<uniform> ml: MetaLayout;
@group(0) @binding(1) var<storage, read_write> population: array<f32>; // [population][dim]
@group(0) @binding(2) var<storage, read_write> base: array<f32>;       // [stride]: PPO's row
@group(0) @binding(3) var<storage, read_write> objective: array<f32>;  // [agents][stride]
@group(0) @binding(4) var<storage, read_write> agent_stats: array<f32>; // [agents][STATS]
@group(0) @binding(5) var<storage, read_write> fitness: array<f32>;    // [population]
@group(0) @binding(6) var<storage, read_write> baseline: array<f32>;   // [groups]

override WG: u32 = 64u;

const OBJ_GAMMA: u32 = 1u;
const OBJ_GAE_LAMBDA: u32 = 2u;
const HYPER: u32 = 8u;

// The meta-parameter j of agent a's slot (0 for the baseline).
fn theta(a: u32, j: u32) -> f32 {
    let group = a / (ml.slots * ml.per_slot);
    let slot = (a / ml.per_slot) % ml.slots;
    if slot >= ml.members {
        return 0.0;
    }
    return population[(group * ml.members + slot) * ml.dim + j];
}

// Entry e of a hyperparameter row from the base row and meta-parameter t: log-scale for
// the learning rate, clip and entropy weight; for the discount and GAE lambda, log-scale in
// their distance from 1.
fn hyperparameter(e: u32, t: f32) -> f32 {
    let b = base[e];
    if e == OBJ_GAMMA || e == OBJ_GAE_LAMBDA {
        return clamp(1.0 - (1.0 - b) * exp(t), 0.0, 1.0);
    }
    return b * exp(t);
}

// One invocation per (entry, agent): the agent's objective row.
@compute @workgroup_size(WG)
fn expand(@builtin(global_invocation_id) gid: vec3<u32>) {
    let e = gid.x;
    let a = gid.y;
    if e >= ml.stride || a >= ml.agents {
        return;
    }
    var v = base[e];
    if e < ml.hyper_dims {
        v = hyperparameter(e, theta(a, e));
    } else if e >= HYPER && ml.drift_from < ml.dim {
        v = theta(a, ml.drift_from + e - HYPER);
    }
    objective[a * ml.stride + e] = v;
}

// Mean reward per env-step of a slot's agents in the last rollout.
fn slot_reward(group: u32, slot: u32) -> f32 {
    let first = (group * ml.slots + slot) * ml.per_slot;
    var sum = 0.0;
    for (var k = 0u; k < ml.per_slot; k++) {
        sum += agent_stats[(first + k) * STATS + STAT_REWARD_SUM];
    }
    return sum / f32(ml.per_slot * ml.samples);
}

// One invocation per member: its fitness, and (first member of a group) the baseline's.
@compute @workgroup_size(WG)
fn fitness_of_members(@builtin(global_invocation_id) gid: vec3<u32>) {
    let m = gid.x;
    if m >= ml.population {
        return;
    }
    let group = m / ml.members;
    let own = slot_reward(group, m % ml.members);
    var reference = 0.0;
    if ml.slots > ml.members {
        reference = slot_reward(group, ml.members);
        if m % ml.members == 0u {
            baseline[group] = reference;
        }
    }
    fitness[m] = select(own, own - reference, ml.normalize != 0u);
}
