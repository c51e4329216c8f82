// The per-agent side of the meta-gradient (twin: src/learn/meta_gradient/twin.rs): gathering
// the validation gradient and the directions d theta' / d eta from `sum_chunks`' gradients,
// their dot products (d J / d eta), and the outer Adam step on the meta-parameters.
//
// eta_k for k = 0..3: gamma, lambda, the entropy weight, the learning rate; k = 4 is LPO's
// drift network, whose d J / d eta . u along a random direction u per agent and update
// gives the forward-gradient estimate (d J / d eta . u) u (Baydin et al. 2022). eta = 1 -
// (1 - base) e^t for gamma and lambda, base e^t for the others: the outer optimizer moves
// the log-scale factor t, starting at 0 (the config's value).

struct MetaGradConfig {
    params: u32,         // weights per agent
    actor_params: u32,   // the actor's weights come first
    log_std_offset: u32, // Gaussian policies' log standard deviations
    log_std_len: u32,    // 0 for categorical policies
    slot: u32,           // direction slot: 0 grad J, 1 + k d theta' / d eta_k
    scale: f32,          // gradient times this ...
    times_lr: u32,       // ... times the agent's learning rate if 1
    overwrite: u32,      // 1: the first chunk of a pass
    group: u32,          // agents sharing one eta (their meta-gradients averaged)
    lr: f32,             // outer Adam
    beta1: f32,
    beta2: f32,
    eps: f32,
    max_log_scale: f32,  // |t| bound
    mask: u32,           // bit k: eta_k is learned
    objective_stride: u32,
    key: Key,            // of the drift directions u of this update
    agents: u32,
    drift_params: u32,   // weights of LPO's drift network (0: none)
}

// Bindings (generated from `META_BINDINGS`, src/learn/meta_gradient/plan.rs): `mc`,
// `grads` ([agent][params]), `directions` ([agent][DIRECTIONS][params]), `meta_state`
// ([agent][META_STATE]), `objective` ([agent][stride]), `drift_state`
// ([agent][3][drift_params]).
// The drift's forward-gradient direction u, then its outer Adam moments.

override WG: u32 = 64u;

// From the generated prelude (src/learn/meta_gradient/mod.rs): DIRECTIONS (grad J, then
// d theta' / d eta_k, k = DRIFT: along u), META_STATE, META_SLOT (per eta_k: t, Adam m,
// Adam v, d J / d eta_k, base, steps); and the objective row's OBJ_LR and HYPER (where
// the drift's weights start).
// The objective-row slot of eta_k.
fn row_slot(k: u32) -> u32 {
    var slots = array<u32, 4>(1u, 2u, 4u, 0u);
    return slots[min(k, 3u)];
}

// gamma and lambda move 1 - eta by e^t, the others eta itself.
fn is_discount(k: u32) -> bool {
    return k < 2u;
}

@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.z;
    let p = gid.x;
    if p >= mc.params {
        return;
    }
    var scale = mc.scale;
    if mc.times_lr == 1u {
        scale *= objective[agent * mc.objective_stride + OBJ_LR];
    }
    let value = scale * grads[agent * mc.params + p];
    let i = (agent * DIRECTIONS + mc.slot) * mc.params + p;
    directions[i] = select(directions[i] + value, value, mc.overwrite == 1u);
}

var<workgroup> partial: array<f32, 64>;

// d J / d eta_k = grad J . d theta' / d eta_k over the actor's weights (the critic's do not
// enter J), in a fixed order: one workgroup of 64 per (k, agent).
@compute @workgroup_size(64)
fn meta_dot(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let k = wid.x;
    let agent = wid.y;
    let v = agent * DIRECTIONS * mc.params;
    let d = (agent * DIRECTIONS + 1u + k) * mc.params;
    let n = mc.actor_params + mc.log_std_len;
    var sum = 0.0;
    for (var j = lid; j < n; j += 64u) {
        let p = select(j, mc.log_std_offset + j - mc.actor_params, j >= mc.actor_params);
        sum += directions[v + p] * directions[d + p];
    }
    partial[lid] = sum;
    workgroupBarrier();
    for (var width = 32u; width > 0u; width >>= 1u) {
        if lid < width {
            partial[lid] += partial[lid + width];
        }
        workgroupBarrier();
    }
    if lid == 0u {
        meta_state[agent * META_STATE + k * META_SLOT + 3u] = partial[0];
        if k == DRIFT {
            // outer_drift's step count, kept here so that its invocations all read one.
            meta_state[agent * META_STATE + k * META_SLOT + 5u] += 1.0;
        }
    }
}

// u ~ N(0, I) per agent, for this update's drift direction.
@compute @workgroup_size(WG)
fn draw_drift_direction(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.z;
    let i = gid.x;
    if i >= mc.drift_params {
        return;
    }
    drift_state[agent * 3u * mc.drift_params + i] = rng_normal(rng_fold(mc.key, agent), 2u * i);
}

// One outer Adam ascent step per drift weight and group of agents, on the mean of the
// agents' forward gradients (d J / d eta . u_a) u_a.
@compute @workgroup_size(WG)
fn outer_drift(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = gid.x;
    let first = wid.y * mc.group;
    let n = mc.drift_params;
    if i >= n || first >= mc.agents {
        return;
    }
    var g = 0.0;
    for (var a = 0u; a < mc.group; a++) {
        let along = meta_state[(first + a) * META_STATE + DRIFT * META_SLOT + 3u];
        g += along * drift_state[(first + a) * 3u * n + i];
    }
    g /= f32(mc.group);
    let s = first * 3u * n;
    let steps = meta_state[first * META_STATE + DRIFT * META_SLOT + 5u];
    let m = mc.beta1 * drift_state[s + n + i] + (1.0 - mc.beta1) * g;
    let v = mc.beta2 * drift_state[s + 2u * n + i] + (1.0 - mc.beta2) * g * g;
    drift_state[s + n + i] = m;
    drift_state[s + 2u * n + i] = v;
    let m_hat = m / (1.0 - pow(mc.beta1, steps));
    let v_hat = v / (1.0 - pow(mc.beta2, steps));
    let w = objective[first * mc.objective_stride + HYPER + i] + mc.lr * m_hat / (sqrt(v_hat) + mc.eps);
    for (var a = 0u; a < mc.group; a++) {
        objective[(first + a) * mc.objective_stride + HYPER + i] = w;
    }
}

fn eta_of(k: u32, base: f32, t: f32) -> f32 {
    if !is_discount(k) {
        return base * exp(t);
    }
    return clamp(1.0 - (1.0 - base) * exp(t), 0.0, 1.0);
}

// One outer Adam ascent step on t_k per group of agents, from the group's mean meta-
// gradient; writes eta_k into every agent of the group. The group's first agent keeps the
// state.
@compute @workgroup_size(WG)
fn outer_adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let k = wid.y;
    let first = gid.x * mc.group;
    if (mc.mask & (1u << k)) == 0u || first >= mc.agents {
        return;
    }
    var g = 0.0;
    for (var a = 0u; a < mc.group; a++) {
        g += meta_state[(first + a) * META_STATE + k * META_SLOT + 3u];
    }
    g /= f32(mc.group);
    let s = first * META_STATE + k * META_SLOT;
    let t = meta_state[s];
    let base = meta_state[s + 4u];
    // d eta / d t: 0 where gamma or lambda is clamped to [0, 1].
    let unclamped = 1.0 - (1.0 - base) * exp(t);
    let clamped = is_discount(k) && (unclamped < 0.0 || unclamped > 1.0);
    let d_eta = select(select(base * exp(t), -(1.0 - base) * exp(t), is_discount(k)), 0.0, clamped);
    let g_t = g * d_eta;
    let steps = meta_state[s + 5u] + 1.0;
    let m = mc.beta1 * meta_state[s + 1u] + (1.0 - mc.beta1) * g_t;
    let v = mc.beta2 * meta_state[s + 2u] + (1.0 - mc.beta2) * g_t * g_t;
    let m_hat = m / (1.0 - pow(mc.beta1, steps));
    let v_hat = v / (1.0 - pow(mc.beta2, steps));
    let t_new = clamp(t + mc.lr * m_hat / (sqrt(v_hat) + mc.eps), -mc.max_log_scale, mc.max_log_scale);
    meta_state[s] = t_new;
    meta_state[s + 1u] = m;
    meta_state[s + 2u] = v;
    meta_state[s + 5u] = steps;
    let eta = eta_of(k, base, t_new);
    for (var a = 0u; a < mc.group; a++) {
        objective[(first + a) * mc.objective_stride + row_slot(k)] = eta;
    }
}
