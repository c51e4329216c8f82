// PPO and A2C around the networks (twin: src/learn/ppo.rs): GAE over each env's
// trajectory, minibatch gathering through an on-GPU permutation, and, for the
// layer-by-layer learner, the per-sample loss gradient with respect to the heads (logits
// and value) between nn.wgsl's matrix products. TrajStep, PpoConfig and the loss are in
// ppo_loss.wgsl.

// Bindings (generated from `ALGO_BINDINGS`, src/learn/trainer/algo.rs): `pc`, then the
// trajectory (`traj`, `traj_obs`, `traj_actions`: a Gaussian policy's actions
// [agent][sample][ACTOR_OUTPUTS]), `env_stats`, the minibatch (`mb_x`, `mb_index`), the
// heads and their gradients ([agent][sample][HEADS]), `terms` ([agent][sample][TERMS]),
// `scratch` ([agent][SCRATCH]), `objective` ([agent][OBJECTIVE_STRIDE]), `weights`
// ([agent][NET_PARAMS]), and the meta-gradient's `tangents` ([agent][sample][2]) and
// `drift_state` ([agent][DRIFT_STATE]: u first).

override WG: u32 = 64u;

// Advantages and returns, backwards over each env's steps. A terminated step bootstraps
// from 0, a truncated one from the value of its final observation.
@compute @workgroup_size(WG)
fn gae(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let env = wid.y * pc.envs + min(gid.x, pc.envs - 1u);
    // The meta-gradient's validation objective uses the fixed reference values.
    let reference = pc.meta_term == META_VALIDATION;
    let gamma = hyper(wid.y, select(OBJ_GAMMA, OBJ_REF_GAMMA, reference));
    let gae_lambda = hyper(wid.y, select(OBJ_GAE_LAMBDA, OBJ_REF_GAE_LAMBDA, reference));
    var next_value = env_stats[env].last_value;
    var next_advantage = 0.0;
    for (var t = pc.steps; t > 0u; t--) {
        let i = env * pc.steps + t - 1u;
        var s = traj[i];
        let terminated = (s.flags & FLAG_TERMINATED) != 0u;
        let truncated = (s.flags & FLAG_TRUNCATED) != 0u;
        let bootstrap = select(select(next_value, s.final_value, truncated), 0.0, terminated);
        let delta = s.reward * pc.reward_scale + gamma * bootstrap - s.value;
        let carry = select(gamma * gae_lambda * next_advantage, 0.0, terminated || truncated);
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
    let source = agent * samples + permute(rng_fold(pc.key, agent_stream(agent)), samples, pc.first + r);
    let row = agent * pc.minibatch + r;
    mb_index[row] = source;
    for (var j = 0u; j < OBS_DIM; j++) {
        mb_x[row * OBS_DIM + j] = traj_obs[source * OBS_DIM + j];
    }
    let advantage = traj[source].advantage;
    terms[row * TERMS + TERM_ADV] = advantage;
    terms[row * TERMS + TERM_ADV + 1u] = advantage * advantage;
    if pc.meta_term >= META_GAMMA {
        // The sums the advantage normalisation's tangents need (meta_gradient_loss.wgsl).
        for (var k = 0u; k < 2u; k++) {
            let tangent = tangents[source * 2u + k];
            terms[row * TERMS + 2u * k] = tangent;
            terms[row * TERMS + 2u * k + 1u] = advantage * tangent;
        }
    }
}

// The loss of sample r and its gradient with respect to the heads; its terms for the
// statistics.
@compute @workgroup_size(WG)
fn loss(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.z;
    let r = gid.x;
    if r >= pc.minibatch {
        return;
    }
    let row = agent * pc.minibatch + r;
    let source = mb_index[row];
    let s = traj[source];
    let h = row * HEADS;
    let advantage = normalized_advantage(s.advantage, scratch[agent * SCRATCH], scratch[agent * SCRATCH + 1u]);
    let d = dist_of(agent, h, s, source);
    let out = sample_loss(agent, d, heads[h + ACTOR_OUTPUTS], s, advantage);
    write_dist_gradient(agent, h, s, source, d, out.d_log_prob, hyper(agent, OBJ_ENT_COEF));
    d_heads[h + ACTOR_OUTPUTS] = out.d_value;
    for (var k = 0u; k < LOSS_TERMS; k++) {
        terms[row * TERMS + k] = out.terms[k];
    }
}
