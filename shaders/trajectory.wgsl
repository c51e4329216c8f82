// What the policy rollout records per step and per env for the learners (twins:
// src/learn/ppo.rs `TrajStep`, `EnvStats`).

struct TrajStep {
    action: u32,
    log_prob: f32,
    value: f32,
    reward: f32,
    flags: u32,        // FLAG_TERMINATED | FLAG_TRUNCATED | FLAG_SUCCESS
    final_value: f32,  // value of the final observation, where truncated
    advantage: f32,
    ret: f32,
}
// FLAG_TERMINATED, FLAG_TRUNCATED and FLAG_SUCCESS come from the generated prelude
// (src/learn/ppo.rs).

struct EnvStats {
    episode_return: f32, // of the running episode
    return_sum: f32,     // of the episodes finished in the last rollout
    episodes: f32,
    successes: f32,      // of those, the episodes with a successful step (FLAG_SUCCESS)
    last_value: f32,     // value of the observation after the last step
    episode_success: f32, // 1 once the running episode has had a successful step
    episode_length: f32, // steps of the running episode
    length_sum: f32,     // of the episodes finished in the last rollout
}

