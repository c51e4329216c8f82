// Shared by the drivers (step.wgsl, rollout.wgsl, sample_params.wgsl): the env contract's
// StepOut, the dispatch config, the params and table bindings. Twin: src/driver.rs.

struct StepOut {
    state: EnvState,
    reward: f32,
    terminated: bool,
    truncated: bool,
    success: bool,       // the step met the task's success criterion (Meta-World's info["success"])
}

struct DriverConfig {
    key: Key,            // stream root for this dispatch (see src/driver.rs)
    step: u32,           // global step counter of the first step
    batch: u32,
    params_per_env: u32, // 0: every env reads params[0]
    num_steps: u32,      // rollout length
    envs_per_agent: u32, // policy rollout: envs of one agent (workgroup_id.y is the agent)
    // A rollout split into dispatches (see driver::LOOP_BUDGET): steps taken by the earlier
    // ones (0: the rollout starts here) and the whole rollout's length.
    rollout_offset: u32,
    rollout_steps: u32,
    task_group: u32,     // sample_params: envs i with equal i / task_group share a task
    // Random streams (common random numbers): env i draws from stream
    // (i / stream_group) * stream_block + i % stream_block, so the stream_group / stream_block
    // blocks of a group replay the same randomness; stream_group = 0: stream i.
    stream_block: u32,
    stream_group: u32,
}

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> cfg: DriverConfig;
@group(0) @binding(1) var<storage, read> params: array<EnvParams>;
// The env's lookup tables (EnvWgsl::tables). A uniform buffer rather than `const` arrays:
// dynamically indexed `const` arrays are copied into every invocation's private memory.
@group(0) @binding(2) var<uniform> env_tables: array<vec4<u32>, ENV_TABLE_VEC4S>;

fn env_table(i: u32) -> u32 {
    return env_tables[i >> 2u][i & 3u];
}

// Envs beyond 65535 workgroups spill into the y dimension of the dispatch.
fn env_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WG;
}

fn env_params(i: u32) -> EnvParams {
    return params[select(0u, i, cfg.params_per_env != 0u)];
}

fn env_stream(i: u32) -> u32 {
    if cfg.stream_group == 0u {
        return i;
    }
    return (i / cfg.stream_group) * cfg.stream_block + i % cfg.stream_block;
}

// The key of env i's stream under cfg.key.
fn env_key_of(i: u32) -> Key {
    return rng_fold(cfg.key, env_stream(i));
}

// Key of env i at global step t; the step, the auto-reset and the action each fold in
// their own constant so their draws never overlap.
fn step_key(i: u32, t: u32) -> Key {
    return rng_fold(env_key_of(i), t);
}

const KEY_STEP: u32 = 0u;
const KEY_RESET: u32 = 1u;
const KEY_ACTION: u32 = 2u;

// The env's `Action` (an index, or a vector in [-1, 1]^ACTION_DIM), `random_action` (the
// policy of the fused rollout and of the `sample_actions` kernel) and the action's words in
// the step kernel's buffer come from the generated prelude (driver::action_prelude).
