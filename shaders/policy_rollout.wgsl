// Fused rollout with the policy in the loop (twin: src/learn/twin.rs `rollout`): T steps per env
// in one invocation, the env state in registers, actions sampled from the agent's actor,
// and per step what the learner needs: observation, action, log-prob, value, reward,
// flags and, for truncated steps, the value of the final observation. Workgroups are laid
// out (envs of an agent, agent), so the agent is uniform over a workgroup. A rollout may be
// split into dispatches (driver::LOOP_BUDGET); records go to their place in the whole.

@group(0) @binding(3) var<storage, read_write> states: array<EnvState>;
@group(0) @binding(4) var<storage, read_write> env_stats: array<EnvStats>;
@group(0) @binding(5) var<storage, read_write> weights: array<f32>;
@group(0) @binding(6) var<storage, read_write> traj: array<TrajStep>;
@group(0) @binding(7) var<storage, read_write> traj_obs: array<f32>;
@group(0) @binding(8) var<storage, read_write> traj_actions: array<f32>; // Gaussian policies' actions

fn obs_put(j: u32, v: f32) {
    act[j] = v;
}

fn observe(s: EnvState, p: EnvParams) {
    if OBS_DENSE == 0u {
        for (var j = 0u; j < OBS_DIM; j++) {
            act[j] = 0.0;
        }
    }
    env_observe(s, p);
}

@compute @workgroup_size(WG)
fn policy_rollout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.y;
    let owns_env = gid.x < cfg.envs_per_agent;
    // Lanes past the agent's envs repeat its last env and store nothing.
    let i = agent * cfg.envs_per_agent + min(gid.x, cfg.envs_per_agent - 1u);
    let w0 = agent * NET_PARAMS;
    let p = env_params(i);
    let env_key = env_key_of(i);
    var s = states[i];
    var stats = env_stats[i];
    if cfg.rollout_offset == 0u {
        stats.return_sum = 0.0;
        stats.episodes = 0.0;
        stats.successes = 0.0;
        stats.length_sum = 0.0;
    }
    for (var t = 0u; t < cfg.num_steps; t++) {
        let t_key = rng_fold(env_key, cfg.step + t);
        let record = i * cfg.rollout_steps + cfg.rollout_offset + t;
        observe(s, p);
        if owns_env {
            for (var j = 0u; j < OBS_DIM; j++) {
                traj_obs[record * OBS_DIM + j] = act[j];
            }
        }
        let logits = actor_forward(w0);
        let sampled = sample_action(logits, rng_fold(t_key, KEY_ACTION), w0);
        let value = critic_forward(w0);
        var out = env_step(rng_fold(t_key, KEY_STEP), s, sampled.action, p);
        stats.episode_return += out.reward;
        stats.episode_length += 1.0;
        stats.episode_success = max(stats.episode_success, select(0.0, 1.0, out.success));
        // The critic on the final observation, only where truncated: a loop rather than an
        // `if`, because a loop whose lanes all skip it is skipped on SIMD CPUs too.
        var final_value = 0.0;
        for (var k = u32(!out.truncated); k < 1u; k++) {
            observe(out.state, p);
            final_value = critic_forward(w0);
        }
        let flags = select(0u, FLAG_TERMINATED, out.terminated) | select(0u, FLAG_TRUNCATED, out.truncated)
            | select(0u, FLAG_SUCCESS, out.success);
        if owns_env {
            traj[record] = TrajStep(action_index(sampled.action), sampled.log_prob, value, out.reward, flags, final_value, 0.0, 0.0);
            record_action(record, sampled.action);
        }
        if out.terminated || out.truncated {
            stats.return_sum += stats.episode_return;
            stats.episodes += 1.0;
            stats.successes += stats.episode_success;
            stats.length_sum += stats.episode_length;
            stats.episode_return = 0.0;
            stats.episode_length = 0.0;
            stats.episode_success = 0.0;
            out.state = env_reset(rng_fold(t_key, KEY_RESET), p);
        }
        s = out.state;
    }
    observe(s, p);
    stats.last_value = critic_forward(w0);
    if owns_env {
        states[i] = s;
        env_stats[i] = stats;
    }
}
