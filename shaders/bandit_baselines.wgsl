// The regret of three classic bandit algorithms on Bernoulli bandit tasks (twin:
// src/learn/baselines.rs): Thompson sampling with Beta(1, 1) priors, UCB1 (Auer et al.
// 2002) and uniform random play. One invocation per (task, algorithm) plays pulls t0 .. t1
// of one trial and keeps its counts in `state` between dispatches.
//
// Exact on every device, so GPU and twin agree bit for bit: rewards and random choices are
// counter-RNG integers and comparisons; Thompson's Beta draws are order statistics built
// from random bits (`beta_order`); UCB1's indices come from a host table (`ucb`: s / n and
// sqrt(2 ln t / n) as f32), so the kernel only adds and compares. The regret is the
// pseudo-regret: the sum over pulls of (best arm's probability - pulled arm's probability).
// All three algorithms see the same reward draws (common random numbers).

struct BaselineConfig {
    tasks: u32,
    arms: u32,
    pulls: u32,
    t0: u32,
    t1: u32,
    _pad: u32,
    key: vec2<u32>,
}

@group(0) @binding(0) var<uniform> bc: BaselineConfig;
@group(0) @binding(1) var<storage, read_write> probs: array<f32>; // [task][arms]
@group(0) @binding(2) var<storage, read_write> ucb: array<f32>;   // means [n][s], bonuses [t][n]
@group(0) @binding(3) var<storage, read_write> state: array<u32>; // [algorithm][task][STATE]

override WG: u32 = 64u;

const MAX_ARMS: u32 = 16u;
// Per (algorithm, task): successes and pulls of each arm, then the regret's bits.
const STATE: u32 = 2u * MAX_ARMS + 1u;
const THOMPSON: u32 = 0u;
const UCB1: u32 = 1u;

// The a-th smallest (1-based) of n uniforms on the 2^-24 grid, so Beta(a, n + 1 - a): bit by
// bit from the top, the count of the remaining m uniforms whose next bit is 0 is
// Binomial(m, 1/2), a popcount of m random bits; once one uniform is left its other bits
// are uniform.
fn beta_order(key: Key, a_in: u32, n: u32) -> f32 {
    var a = a_in;
    var m = n;
    var value = 0u;
    var draw = 0u;
    for (var level = 0u; level < 24u; level++) {
        if m == 1u {
            value |= rng_bits(key, draw) >> (8u + level);
            break;
        }
        var zeros = 0u;
        for (var left = m; left > 0u; left -= min(left, 32u)) {
            let take = min(left, 32u);
            let mask = select((1u << take) - 1u, 0xffffffffu, take == 32u);
            zeros += take - countOneBits(rng_bits(key, draw) & mask);
            draw++;
        }
        if a <= zeros {
            m = zeros;
        } else {
            a -= zeros;
            m -= zeros;
            value |= 1u << (23u - level);
        }
    }
    return f32(value) * 5.9604645e-8;
}

@compute @workgroup_size(WG)
fn bandit_baselines(@builtin(global_invocation_id) gid: vec3<u32>) {
    let task = gid.x;
    let algorithm = gid.y;
    if task >= bc.tasks {
        return;
    }
    let task_key = rng_fold(bc.key, task);
    let rewards = rng_fold(task_key, 0u);
    let choices = rng_fold(task_key, 1u + algorithm);
    let base = (algorithm * bc.tasks + task) * STATE;
    let p0 = task * bc.arms;
    var best = 0.0;
    for (var arm = 0u; arm < bc.arms; arm++) {
        best = max(best, probs[p0 + arm]);
    }
    let width = bc.pulls + 1u;
    for (var t = bc.t0; t < bc.t1; t++) {
        var arm = 0u;
        if algorithm == THOMPSON {
            var top = -1.0;
            for (var k = 0u; k < bc.arms; k++) {
                let s = state[base + k];
                let n = state[base + MAX_ARMS + k];
                let theta = beta_order(rng_fold(rng_fold(choices, t), k), s + 1u, n + 1u);
                if theta > top {
                    top = theta;
                    arm = k;
                }
            }
        } else if algorithm == UCB1 {
            // Each arm once, then the largest mean + sqrt(2 ln t / n).
            var top = -1.0;
            for (var k = 0u; k < bc.arms; k++) {
                let n = state[base + MAX_ARMS + k];
                if n == 0u {
                    arm = k;
                    break;
                }
                let index = ucb[n * width + state[base + k]] + ucb[(width + t) * width + n];
                if index > top {
                    top = index;
                    arm = k;
                }
            }
        } else {
            arm = rng_below(choices, t, bc.arms);
        }
        let p = probs[p0 + arm];
        state[base + arm] += u32(rng_uniform(rng_fold(rewards, t), arm) < p);
        state[base + MAX_ARMS + arm] += 1u;
        state[base + 2u * MAX_ARMS] = bitcast<u32>(bitcast<f32>(state[base + 2u * MAX_ARMS]) + (best - p));
    }
}
