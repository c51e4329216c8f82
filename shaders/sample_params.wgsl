// Task sampling: one concrete EnvParams per env, drawn on the GPU from the distribution
// that the base params describe (a level generator, a bandit task distribution). Envs in
// one group of cfg.task_group share their draw (e.g. the members of an antithetic pair).

@group(0) @binding(3) var<storage, read_write> sampled: array<EnvParams>;

@compute @workgroup_size(WG)
fn sample_params(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = env_index(gid, groups);
    if i >= cfg.batch {
        return;
    }
    sampled[i] = env_sample_params(rng_fold(cfg.key, i / max(cfg.task_group, 1u)), env_params(i));
}

// This module never observes, but env_observe must still resolve.
fn obs_put(j: u32, v: f32) {}
