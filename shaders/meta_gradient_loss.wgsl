// The per-sample side of the meta-gradient (twin: src/learn/meta_gradient.rs): the tangents
// of GAE's advantages in gamma and lambda, and the output gradients of the surrogate
// losses whose weight gradients nn.wgsl's backward pass turns into the meta-gradient's
// directions. Composed into the PPO module after ppo.wgsl (its bindings, `pc`, `Dist`).
//
// At the inner update's start the ratio is 1, where PPO's, LPO's and A2C's policy
// gradients all equal -A grad log pi; so d(grad L)/d eta is the gradient of
// -(dA/d eta) log pi for eta = gamma or lambda, and of -entropy for the entropy weight;
// for the learning rate, grad L itself (only the actor's part enters J).

// grad J on fresh samples: GAE with the reference gamma and lambda, -A' grad log pi.
const META_VALIDATION: u32 = 1u;
const META_GAMMA: u32 = 2u;
const META_LAMBDA: u32 = 3u;
const META_ENTROPY: u32 = 4u;
// d theta' / d alpha = -grad L: the inner loss's own policy gradient.
const META_LR: u32 = 5u;

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
    if pc.meta_term == META_ENTROPY {
        ent_coef = 1.0;
    } else if pc.meta_term == META_VALIDATION || pc.meta_term == META_LR {
        d_log_prob = -normalized_advantage(s.advantage, scratch[sc], scratch[sc + 1u]);
        ent_coef = select(0.0, hyper(agent, OBJ_ENT_COEF), pc.meta_term == META_LR);
    } else {
        let k = pc.meta_term - META_GAMMA;
        let sums = vec4<f32>(scratch[sc], scratch[sc + 1u], scratch[sc + 4u + 2u * k], scratch[sc + 5u + 2u * k]);
        d_log_prob = -normalized_tangent(s.advantage, tangents[source * 2u + k], sums);
    }
    let d = dist_of(agent, h, s, source);
    write_dist_gradient(agent, h, s, source, d, d_log_prob, ent_coef);
    d_heads[h + ACTOR_OUTPUTS] = 0.0;
}
