// PPO and A2C around the networks (twin: src/learn/ppo.rs): GAE over each env's
// trajectory, minibatch gathering through an on-GPU permutation, and the per-sample loss
// and its gradient with respect to the heads (logits and value). The matrix products
// between them are nn.wgsl's.

struct TrajStep {
    action: u32,
    log_prob: f32,
    value: f32,
    reward: f32,
    flags: u32,        // FLAG_TERMINATED | FLAG_TRUNCATED
    final_value: f32,  // value of the final observation, where truncated
    advantage: f32,
    ret: f32,
}

struct EnvStats {
    episode_return: f32, // of the running episode
    return_sum: f32,     // of the episodes finished in the last rollout
    episodes: f32,
    last_value: f32,     // value of the observation after the last step
}

struct PpoConfig {
    key: Key,          // permutation key of this (update, epoch)
    envs: u32,         // per agent
    steps: u32,        // per env per rollout
    minibatch: u32,    // samples per minibatch
    first: u32,        // position of this minibatch in the permutation
    gamma: f32,
    gae_lambda: f32,
    clip: f32,
    value_clip: f32,   // 0: no value clipping
    vf_coef: f32,
    ent_coef: f32,
    algo: u32,         // ALGO_PPO or ALGO_A2C
    normalize: u32,    // normalise advantages per minibatch
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> pc: PpoConfig;
@group(0) @binding(1) var<storage, read_write> traj: array<TrajStep>;
@group(0) @binding(2) var<storage, read_write> traj_obs: array<f32>;
@group(0) @binding(3) var<storage, read_write> env_stats: array<EnvStats>;
@group(0) @binding(4) var<storage, read_write> mb_x: array<f32>;
@group(0) @binding(5) var<storage, read_write> mb_index: array<u32>;
@group(0) @binding(6) var<storage, read_write> heads: array<f32>;   // [agent][sample][NUM_ACTIONS + 1]
@group(0) @binding(7) var<storage, read_write> d_heads: array<f32>;
@group(0) @binding(8) var<storage, read_write> terms: array<f32>;   // [agent][sample][TERMS]
@group(0) @binding(9) var<storage, read_write> scratch: array<f32>; // [agent][SCRATCH]

override WG: u32 = 64u;

const FLAG_TERMINATED: u32 = 1u;
const FLAG_TRUNCATED: u32 = 2u;
const ALGO_PPO: u32 = 0u;
const HEADS: u32 = NUM_ACTIONS + 1u;
// terms columns: the loss terms summed into the agent's statistics, then the advantage
// and its square summed into the minibatch moments.
const TERMS: u32 = 8u;
const TERM_ADV: u32 = 6u;
const SCRATCH: u32 = 4u;

// Advantages and returns, backwards over each env's steps. A terminated step bootstraps
// from 0, a truncated one from the value of its final observation.
@compute @workgroup_size(WG)
fn gae(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let env = wid.y * pc.envs + min(gid.x, pc.envs - 1u);
    var next_value = env_stats[env].last_value;
    var next_advantage = 0.0;
    for (var t = pc.steps; t > 0u; t--) {
        let i = env * pc.steps + t - 1u;
        var s = traj[i];
        let terminated = (s.flags & FLAG_TERMINATED) != 0u;
        let truncated = (s.flags & FLAG_TRUNCATED) != 0u;
        let bootstrap = select(select(next_value, s.final_value, truncated), 0.0, terminated);
        let delta = s.reward + pc.gamma * bootstrap - s.value;
        let carry = select(pc.gamma * pc.gae_lambda * next_advantage, 0.0, terminated || truncated);
        s.advantage = delta + carry;
        s.ret = s.advantage + s.value;
        if gid.x < pc.envs {
            traj[i] = s;
        }
        next_value = s.value;
        next_advantage = s.advantage;
    }
}

// A bijection of [0, n): a 4-round Feistel network on the smallest even number of bits
// covering n, walking cycles until the image falls inside (fewer than 4 rounds expected).
fn permute(key: Key, n: u32, index: u32) -> u32 {
    let bits = max(2u, 32u - countLeadingZeros(max(n, 2u) - 1u));
    let half = (bits + 1u) / 2u;
    let mask = (1u << half) - 1u;
    var x = index;
    loop {
        var l = x >> half;
        var r = x & mask;
        for (var round = 0u; round < 4u; round++) {
            let f = rng_bits(key, (round << 28u) ^ r) & mask;
            let next = l ^ f;
            l = r;
            r = next;
        }
        x = (l << half) | r;
        if x < n {
            break;
        }
    }
    return x;
}

// Sample r of the minibatch: its observation, where it came from, its advantage moments.
@compute @workgroup_size(WG)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.z;
    let r = gid.x;
    if r >= pc.minibatch {
        return;
    }
    let samples = pc.envs * pc.steps;
    let source = agent * samples + permute(rng_fold(pc.key, agent), samples, pc.first + r);
    let row = agent * pc.minibatch + r;
    mb_index[row] = source;
    for (var j = 0u; j < OBS_DIM; j++) {
        mb_x[row * OBS_DIM + j] = traj_obs[source * OBS_DIM + j];
    }
    let advantage = traj[source].advantage;
    terms[row * TERMS + TERM_ADV] = advantage;
    terms[row * TERMS + TERM_ADV + 1u] = advantage * advantage;
}

// The loss of sample r (a mean over the minibatch) and its gradient with respect to the
// logits and the value. Terms: policy loss, value loss, entropy, approx KL, clipped.
@compute @workgroup_size(WG)
fn loss(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.z;
    let r = gid.x;
    if r >= pc.minibatch {
        return;
    }
    let row = agent * pc.minibatch + r;
    let s = traj[mb_index[row]];
    let h = row * HEADS;
    let inv_m = 1.0 / f32(pc.minibatch);

    var advantage = s.advantage;
    if pc.normalize != 0u {
        let mean = scratch[agent * SCRATCH] * inv_m;
        let variance = max(scratch[agent * SCRATCH + 1u] * inv_m - mean * mean, 0.0);
        advantage = (advantage - mean) / (sqrt(variance) + 1e-8);
    }

    var top = heads[h];
    for (var k = 1u; k < NUM_ACTIONS; k++) {
        top = max(top, heads[h + k]);
    }
    var total = 0.0;
    var weighted = 0.0; // sum of exp(z) * z, for the entropy
    for (var k = 0u; k < NUM_ACTIONS; k++) {
        let z = heads[h + k] - top;
        let w = exp(z);
        total += w;
        weighted += w * z;
    }
    let log_total = log(total);
    let entropy = log_total - weighted / total;
    let log_prob = heads[h + s.action] - top - log_total;

    let log_ratio = log_prob - s.log_prob;
    let ratio = exp(log_ratio);
    var policy_loss: f32;
    var d_log_prob: f32; // d policy_loss / d log_prob
    var clipped = 0.0;
    if pc.algo == ALGO_PPO {
        let unclipped = ratio * advantage;
        let bounded = clamp(ratio, 1.0 - pc.clip, 1.0 + pc.clip) * advantage;
        policy_loss = -min(unclipped, bounded);
        let outside = abs(ratio - 1.0) > pc.clip;
        clipped = select(0.0, 1.0, outside);
        d_log_prob = select(-unclipped, 0.0, outside && bounded < unclipped);
    } else {
        policy_loss = -log_prob * advantage;
        d_log_prob = -advantage;
    }

    let value = heads[h + NUM_ACTIONS];
    var value_loss = 0.5 * (value - s.ret) * (value - s.ret);
    var d_value = value - s.ret;
    if pc.value_clip > 0.0 {
        let moved = clamp(value - s.value, -pc.value_clip, pc.value_clip);
        let error_clipped = s.value + moved - s.ret;
        let loss_clipped = 0.5 * error_clipped * error_clipped;
        if loss_clipped > value_loss {
            value_loss = loss_clipped;
            d_value = select(0.0, error_clipped, abs(value - s.value) < pc.value_clip);
        }
    }

    for (var k = 0u; k < NUM_ACTIONS; k++) {
        let z = heads[h + k] - top;
        let p = exp(z) / total;
        let one_hot = select(0.0, 1.0, k == s.action);
        // d entropy / d z_k = -p_k (log p_k + entropy)
        let d_entropy = -p * (z - log_total + entropy);
        d_heads[h + k] = inv_m * (d_log_prob * (one_hot - p) - pc.ent_coef * d_entropy);
    }
    d_heads[h + NUM_ACTIONS] = inv_m * pc.vf_coef * d_value;

    let t = row * TERMS;
    terms[t] = policy_loss;
    terms[t + 1u] = value_loss;
    terms[t + 2u] = entropy;
    terms[t + 3u] = (ratio - 1.0) - log_ratio;
    terms[t + 4u] = clipped;
}
