// Step driver: one invocation per env, actions from a buffer. Writes obs, reward and the
// step's flags (STEP_TERMINATED | STEP_TRUNCATED | STEP_SUCCESS, one word: WebGPU's
// default limit is 8 storage buffers per stage), auto-resets finished episodes and keeps their final
// observation in `final_obs` (valid where terminated or truncated is set).

@group(0) @binding(3) var<storage, read_write> states: array<EnvState>;
@group(0) @binding(4) var<storage, read_write> actions: array<u32>; // ACTION_WORDS per env
@group(0) @binding(5) var<storage, read_write> obs: array<f32>;
@group(0) @binding(6) var<storage, read_write> final_obs: array<f32>;
@group(0) @binding(7) var<storage, read_write> rewards: array<f32>;
@group(0) @binding(8) var<storage, read_write> step_flags: array<u32>;

const STEP_TERMINATED: u32 = 1u;
const STEP_TRUNCATED: u32 = 2u;
const STEP_SUCCESS: u32 = 4u;

var<private> obs_base: u32;
var<private> obs_is_final: bool;

fn obs_put(j: u32, v: f32) {
    if obs_is_final {
        final_obs[obs_base + j] = v;
    } else {
        obs[obs_base + j] = v;
    }
}

fn write_obs(s: EnvState, p: EnvParams, i: u32, is_final: bool) {
    obs_base = i * OBS_DIM;
    obs_is_final = is_final;
    if OBS_DENSE == 0u {
        // One branch around the loop, not one per entry: CPU adapters run both sides.
        if is_final {
            for (var j = 0u; j < OBS_DIM; j++) {
                final_obs[obs_base + j] = 0.0;
            }
        } else {
            for (var j = 0u; j < OBS_DIM; j++) {
                obs[obs_base + j] = 0.0;
            }
        }
    }
    env_observe(s, p);
}

// The observations of the current states (after a reset, a rollout or an upload).
@compute @workgroup_size(WG)
fn observe(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = env_index(gid, groups);
    if i >= cfg.batch {
        return;
    }
    write_obs(states[i], env_params(i), i, false);
}

// Uniform random actions from the counter RNG, the same ones the fused rollout draws.
@compute @workgroup_size(WG)
fn sample_actions(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = env_index(gid, groups);
    if i >= cfg.batch {
        return;
    }
    let a = random_action(step_key(i, cfg.step));
    for (var k = 0u; k < ACTION_WORDS; k++) {
        actions[i * ACTION_WORDS + k] = action_word(a, k);
    }
}

@compute @workgroup_size(WG)
fn step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = env_index(gid, groups);
    if i >= cfg.batch {
        return;
    }
    let p = env_params(i);
    let t_key = step_key(i, cfg.step);
    var action: Action;
    for (var k = 0u; k < ACTION_WORDS; k++) {
        set_action_word(&action, k, actions[i * ACTION_WORDS + k]);
    }
    var out = env_step(rng_fold(t_key, KEY_STEP), states[i], action, p);
    rewards[i] = out.reward;
    step_flags[i] = select(0u, STEP_TERMINATED, out.terminated) | select(0u, STEP_TRUNCATED, out.truncated)
        | select(0u, STEP_SUCCESS, out.success);
    if out.terminated || out.truncated {
        write_obs(out.state, p, i, true);
        out.state = env_reset(rng_fold(t_key, KEY_RESET), p);
    }
    states[i] = out.state;
    write_obs(out.state, p, i, false);
}
