// Actions of a categorical policy in the policy rollout (twin: src/learn/twin.rs
// `sample_categorical`): the actor's outputs in `act` are logits; `Action` is an index.

struct Sampled {
    action: Action,
    log_prob: f32,
}

// Inverse-CDF draw from softmax(act[at..at + ACTOR_OUTPUTS]) with a uniform from `key`.
fn sample_action(at: u32, key: Key, w0: u32) -> Sampled {
    let u = rng_uniform(key, 0u);
    var top = act[at];
    for (var k = 1u; k < ACTOR_OUTPUTS; k++) {
        top = max(top, act[at + k]);
    }
    var total = 0.0;
    for (var k = 0u; k < ACTOR_OUTPUTS; k++) {
        total += exp(act[at + k] - top);
    }
    // The action is the number of CDF prefixes at or below the target.
    let threshold = u * total;
    var action = 0u;
    var cdf = 0.0;
    for (var k = 0u; k + 1u < ACTOR_OUTPUTS; k++) {
        cdf += exp(act[at + k] - top);
        action += select(0u, 1u, cdf <= threshold);
    }
    return Sampled(action, act[at + action] - top - log(total));
}

// The index the trajectory records.
fn action_index(a: Action) -> u32 {
    return a;
}

// Categorical actions are all in the index.
fn record_action(record: u32, a: Action) {}
