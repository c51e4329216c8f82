// The per-sample side of the meta-gradient (twin: src/learn/meta_gradient/twin.rs): the tangents
// of GAE's advantages in gamma and lambda, and the output gradients of the surrogate
// losses whose weight gradients nn.wgsl's backward pass turns into the meta-gradient's
// directions. Composed into the PPO module after ppo.wgsl (its bindings, `pc`, `Dist`).
//
// At the inner update's start the ratio is 1, where PPO's, LPO's and A2C's policy
// gradients all equal -A grad log pi; so d(grad L)/d eta is the gradient of
// -(dA/d eta) log pi for eta = gamma or lambda, and of -entropy for the entropy weight;
// for the learning rate, grad L itself (only the actor's part enters J).

// Which quantity a dispatch is for, `pc.meta_term` (META_*, generated from
// src/learn/meta_gradient/mod.rs): META_VALIDATION, grad J on fresh samples (GAE with the
// reference gamma and lambda, -A' grad log pi); META_GAMMA, META_LAMBDA, META_ENTROPY;
// META_LR, d theta' / d alpha = -grad L (the inner loss's own policy gradient);
// META_DRIFT, LPO's drift along the direction u: d(grad L)/d eta . u at the second inner
// step.

// d advantage / d gamma and d advantage / d lambda: `gae`'s recursion differentiated
// (forward mode) in the same backward sweep; reads the advantages `gae` wrote.
@compute @workgroup_size(WG)
fn gae_tangents(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let env = wid.y * pc.envs + min(gid.x, pc.envs - 1u);
    let gamma = hyper(wid.y, OBJ_GAMMA);
    let gae_lambda = hyper(wid.y, OBJ_GAE_LAMBDA);
    var next_value = env_stats[env].last_value;
    var next_advantage = 0.0;
    var next_d_gamma = 0.0;
    var next_d_lambda = 0.0;
    for (var t = pc.steps; t > 0u; t--) {
        let i = env * pc.steps + t - 1u;
        let s = traj[i];
        let terminated = (s.flags & FLAG_TERMINATED) != 0u;
        let truncated = (s.flags & FLAG_TRUNCATED) != 0u;
        let bootstrap = select(select(next_value, s.final_value, truncated), 0.0, terminated);
        let cut = terminated || truncated;
        let d_gamma = bootstrap + select(gae_lambda * next_advantage + gamma * gae_lambda * next_d_gamma, 0.0, cut);
        let d_lambda = select(gamma * next_advantage + gamma * gae_lambda * next_d_lambda, 0.0, cut);
        if gid.x < pc.envs {
            tangents[i * 2u] = d_gamma;
            tangents[i * 2u + 1u] = d_lambda;
        }
        next_value = s.value;
        next_advantage = s.advantage;
        next_d_gamma = d_gamma;
        next_d_lambda = d_lambda;
    }
}

// The tangent of `normalized_advantage` along dA, from the minibatch's sums of A, A^2,
// dA and A dA.
fn normalized_tangent(a: f32, d_a: f32, sums: vec4<f32>) -> f32 {
    if pc.normalize == 0u {
        return d_a;
    }
    let inv_m = 1.0 / f32(pc.minibatch);
    let mean = sums.x * inv_m;
    let sd = sqrt(max(sums.y * inv_m - mean * mean, 0.0));
    let sigma = sd + 1e-8;
    let mean_d = sums.z * inv_m;
    let d_sd = select(0.0, (sums.w * inv_m - mean * mean_d) / sd, sd > 0.0);
    return (d_a - mean_d) / sigma - (a - mean) * d_sd / (sigma * sigma);
}

// The directional derivative of dg/dr (`learned_drift`) along u in the drift's weights:
// d/de of sum_j (v_j + e u_vj) (1 - h_j^2) d_pre_j at e = 0, W moving by e u_W.
fn drift_slope_tangent(agent: u32, r: f32, l: f32, a: f32) -> f32 {
    let x = drift_features(r, l, a);
    let scales = array<f32, 3>(1.0, pc.lifetime_fraction, pc.log_lifetime);
    let w0 = agent * OBJECTIVE_STRIDE + HYPER;
    let u0 = agent * DRIFT_STATE;
    var out = 0.0;
    for (var j = 0u; j < DRIFT_HIDDEN; j++) {
        var pre = 0.0;
        var d_pre = 0.0;
        var pre_dot = 0.0;
        var d_pre_dot = 0.0;
        for (var s = 0u; s < 3u; s++) {
            for (var k = 0u; k < DRIFT_FEATURES; k++) {
                let i = (s * DRIFT_FEATURES + k) * DRIFT_HIDDEN + j;
                let wk = objective[w0 + i] * scales[s];
                let uk = drift_state[u0 + i] * scales[s];
                pre += wk * x.f[k];
                d_pre += wk * x.df[k];
                pre_dot += uk * x.f[k];
                d_pre_dot += uk * x.df[k];
            }
        }
        let h = tanh(pre);
        let slope = 1.0 - h * h;
        let i = DRIFT_INPUTS * DRIFT_HIDDEN + j;
        let v = objective[w0 + i];
        out += drift_state[u0 + i] * slope * d_pre + v * (-2.0 * h * slope * pre_dot) * d_pre + v * slope * d_pre_dot;
    }
    return out;
}

// Sample r's output gradient for the surrogate of `pc.meta_term`, as `loss` writes it.
@compute @workgroup_size(WG)
fn meta_loss(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.z;
    let r = gid.x;
    if r >= pc.minibatch {
        return;
    }
    let row = agent * pc.minibatch + r;
    let source = mb_index[row];
    let s = traj[source];
    let h = row * HEADS;
    let sc = agent * SCRATCH;
    var d_log_prob = 0.0;
    var ent_coef = 0.0;
    let d = dist_of(agent, h, s, source);
    if pc.meta_term == META_ENTROPY {
        ent_coef = 1.0;
    } else if pc.meta_term == META_DRIFT {
        // LPO's d log_prob is -r (A - d_drift), d_drift = [pre > 0] (d_ppo + dg/dr); the
        // gate's own derivative is 0 almost everywhere.
        let advantage = normalized_advantage(s.advantage, scratch[sc], scratch[sc + 1u]);
        let log_ratio = d.log_prob - s.log_prob;
        let ratio = exp(log_ratio);
        let clip = hyper(agent, OBJ_CLIP);
        let ppo_drift = (ratio - clamp(ratio, 1.0 - clip, 1.0 + clip)) * advantage;
        let g = learned_drift(agent, ratio, log_ratio, advantage);
        let gate = max(ppo_drift, 0.0) + g.value - DRIFT_MARGIN > 0.0;
        let tangent = drift_slope_tangent(agent, ratio, log_ratio, advantage);
        d_log_prob = select(0.0, ratio * tangent, gate);
    } else if pc.meta_term == META_VALIDATION || pc.meta_term == META_LR {
        d_log_prob = -normalized_advantage(s.advantage, scratch[sc], scratch[sc + 1u]);
        ent_coef = select(0.0, hyper(agent, OBJ_ENT_COEF), pc.meta_term == META_LR);
    } else {
        let k = pc.meta_term - META_GAMMA;
        let sums = vec4<f32>(scratch[sc], scratch[sc + 1u], scratch[sc + 4u + 2u * k], scratch[sc + 5u + 2u * k]);
        d_log_prob = -normalized_tangent(s.advantage, tangents[source * 2u + k], sums);
    }
    write_dist_gradient(agent, h, s, source, d, d_log_prob, ent_coef);
    d_heads[h + ACTOR_OUTPUTS] = 0.0;
}
