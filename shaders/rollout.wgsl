// Fused rollout driver: T steps in a loop inside one invocation, the env state in
// registers, actions from the policy hook. The observation is computed every step, as a
// policy needs it; the random policy does not read it, so every entry is folded into
// `obs_checksum` (a wrapping sum of bits(v) * (2j + 1): exact, independent of the order of
// the puts, zero for zero entries), which keeps the work from being optimised away and lets
// tests compare it.

struct RolloutStats {
    episode_return: f32, // return of the running episode, carried across rollouts
    return_sum: f32,     // sum of returns of the episodes finished in this rollout
    episodes: u32,       // episodes finished in this rollout
    obs_checksum: u32,   // checksum of every observation computed in this rollout
}

@group(0) @binding(3) var<storage, read_write> states: array<EnvState>;
@group(0) @binding(4) var<storage, read_write> stats: array<RolloutStats>;

var<private> obs_checksum: u32;

fn obs_put(j: u32, v: f32) {
    obs_checksum += bitcast<u32>(v) * (2u * j + 1u);
}

// cfg.key: the reset stream root; every env starts a fresh episode.
@compute @workgroup_size(WG)
fn reset(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = env_index(gid, groups);
    if i >= cfg.batch {
        return;
    }
    states[i] = env_reset(env_key_of(i), env_params(i));
}

@compute @workgroup_size(WG)
fn rollout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = env_index(gid, groups);
    if i >= cfg.batch {
        return;
    }
    let p = env_params(i);
    let env_key = env_key_of(i);
    var s = states[i];
    // A continued rollout (split into dispatches) keeps its sums.
    let carried = stats[i];
    let fresh = cfg.rollout_offset == 0u;
    var episode_return = carried.episode_return;
    var return_sum = select(carried.return_sum, 0.0, fresh);
    var episodes = select(carried.episodes, 0u, fresh);
    obs_checksum = select(carried.obs_checksum, 0u, fresh);
    if fresh {
        env_observe(s, p);
    }
    for (var t = 0u; t < cfg.num_steps; t++) {
        let t_key = rng_fold(env_key, cfg.step + t);
        let action = random_action(t_key);
        var out = env_step(rng_fold(t_key, KEY_STEP), s, action, p);
        episode_return += out.reward;
        if out.terminated || out.truncated {
            env_observe(out.state, p); // the final observation
            return_sum += episode_return;
            episodes += 1u;
            episode_return = 0.0;
            out.state = env_reset(rng_fold(t_key, KEY_RESET), p);
        }
        s = out.state;
        env_observe(s, p);
    }
    states[i] = s;
    stats[i] = RolloutStats(episode_return, return_sum, episodes, obs_checksum);
}
