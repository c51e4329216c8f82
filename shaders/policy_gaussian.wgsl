// Actions of a diagonal Gaussian policy in the policy rollout (twin: src/learn/twin.rs
// `sample_gaussian`): the actor's outputs in `act` are the means, the log standard
// deviations are the agent's weights from LOG_STD_OFFSET; `Action` is a vector, which the
// env clips. The values go to `traj_actions`.

struct Sampled {
    action: Action,
    log_prob: f32,
}

const HALF_LOG_TWO_PI: f32 = 0.91893853;

fn sample_action(at: u32, key: Key, w0: u32) -> Sampled {
    var a: Action;
    var log_prob = 0.0;
    for (var k = 0u; k < ACTOR_OUTPUTS; k++) {
        let log_std = weights[w0 + LOG_STD_OFFSET + k];
        let z = rng_normal(key, 2u * k);
        a[k] = act[at + k] + exp(log_std) * z;
        log_prob += -0.5 * z * z - log_std - HALF_LOG_TWO_PI;
    }
    return Sampled(a, log_prob);
}

fn action_index(a: Action) -> u32 {
    return 0u;
}

fn record_action(record: u32, a: Action) {
    for (var k = 0u; k < ACTOR_OUTPUTS; k++) {
        traj_actions[record * ACTOR_OUTPUTS + k] = a[k];
    }
}
