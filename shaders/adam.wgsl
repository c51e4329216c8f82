// The optimizer step, per agent (twin: src/learn/adam.rs): sum the gradient chunks, then
// (after reduce.wgsl has summed the squares of the gradient) clip by the global norm and
// step Adam. A non-finite gradient norm or weight sets a bit in the agent's flags (atomicOr
// is order-independent, so still deterministic).

struct AdamConfig {
    params: u32,          // weights per agent
    chunks: u32,          // split-K chunks of the gradient
    lr_scale: f32,        // the schedule's factor of each agent's learning rate
    beta1: f32,
    beta2: f32,
    eps: f32,
    bias1: f32,           // 1 - beta1^t
    bias2: f32,           // 1 - beta2^t
    max_grad_norm: f32,   // 0: no clipping
    stats_stride: u32,    // floats per agent in agent_stats
    grad_norm_slot: u32,  // where the norm is accumulated
    scratch_stride: u32,  // floats per agent in scratch
    sum_sq_slot: u32,     // where reduce.wgsl left the gradient's sum of squares
    objective_stride: u32, // floats per agent in objective
    sgd: u32,             // 1: plain gradient steps
    _pad: u32,
}

// Bindings (generated from `OPTIM_BINDINGS`, src/learn/trainer/optim.rs): `ac`, the
// gradient's chunks `parts` and sum `grads`, `weights`, `adam_m`, `adam_v`, `agent_stats`,
// `scratch`, the divergence `flags` (atomic), `objective` ([agent][OBJECTIVE_STRIDE], lr
// first).

override WG: u32 = 64u;

// The divergence flags FLAG_GRAD and FLAG_WEIGHTS come from the generated prelude
// (src/learn/adam.rs).

fn is_finite(v: f32) -> bool {
    // NaN fails both comparisons; infinities fail the second.
    return v == v && abs(v) <= 3.40282347e38;
}

@compute @workgroup_size(WG)
fn sum_chunks(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.z;
    let p = gid.x;
    if p >= ac.params {
        return;
    }
    var g = 0.0;
    for (var c = 0u; c < ac.chunks; c++) {
        g += parts[(agent * ac.chunks + c) * ac.params + p];
    }
    grads[agent * ac.params + p] = g;
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.z;
    let p = gid.x;
    if p >= ac.params {
        return;
    }
    let norm = sqrt(scratch[agent * ac.scratch_stride + ac.sum_sq_slot]);
    var scale = 1.0;
    if ac.max_grad_norm > 0.0 && norm > ac.max_grad_norm {
        scale = ac.max_grad_norm / norm;
    }
    if p == 0u {
        agent_stats[agent * ac.stats_stride + ac.grad_norm_slot] += norm;
        if !is_finite(norm) {
            atomicOr(&flags[agent], FLAG_GRAD);
        }
    }
    let i = agent * ac.params + p;
    let g = grads[i] * scale;
    let m = ac.beta1 * adam_m[i] + (1.0 - ac.beta1) * g;
    let v = ac.beta2 * adam_v[i] + (1.0 - ac.beta2) * g * g;
    adam_m[i] = m;
    adam_v[i] = v;
    let lr = ac.lr_scale * objective[agent * ac.objective_stride];
    let step = select(lr * (m / ac.bias1) / (sqrt(v / ac.bias2) + ac.eps), lr * g, ac.sgd == 1u);
    let w = weights[i] - step;
    weights[i] = w;
    if !is_finite(w) {
        atomicOr(&flags[agent], FLAG_WEIGHTS);
    }
}
