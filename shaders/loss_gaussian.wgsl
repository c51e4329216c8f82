// The diagonal Gaussian policy's part of the loss (twin: src/learn/ppo.rs
// `Dist::Gaussian`): the action's log-prob and the entropy from the means (heads) and the
// agent's log standard deviations (weights from LOG_STD_OFFSET), and their gradients: with
// respect to the means into d_heads[h..h + ACTOR_OUTPUTS], and the per-sample terms of the
// log-stds' gradient into d_heads[h + ACTOR_OUTPUTS + 1..], which reduce.wgsl sums.
// Composed into the PPO module before ppo_loss.wgsl.

struct Dist {
    log_prob: f32,
    entropy: f32,
    top: f32,   // unused (the categorical's)
    total: f32, // unused
}

const HALF_LOG_TWO_PI: f32 = 0.91893853;

fn log_std(agent: u32, k: u32) -> f32 {
    return weights[agent * NET_PARAMS + LOG_STD_OFFSET + k];
}

// (a - mean) / std of the action's value k.
fn standardized(agent: u32, h: u32, source: u32, k: u32) -> f32 {
    return (traj_actions[source * ACTOR_OUTPUTS + k] - heads[h + k]) * exp(-log_std(agent, k));
}

fn dist_of(agent: u32, h: u32, s: TrajStep, source: u32) -> Dist {
    var log_prob = 0.0;
    var entropy = 0.0;
    for (var k = 0u; k < ACTOR_OUTPUTS; k++) {
        let z = standardized(agent, h, source, k);
        let l = log_std(agent, k);
        log_prob += -0.5 * z * z - l - HALF_LOG_TWO_PI;
        entropy += l + 0.5 + HALF_LOG_TWO_PI;
    }
    return Dist(log_prob, entropy, 0.0, 0.0);
}

fn write_dist_gradient(agent: u32, h: u32, s: TrajStep, source: u32, d: Dist, d_log_prob: f32, ent_coef: f32) {
    let inv_m = 1.0 / f32(pc.minibatch);
    for (var k = 0u; k < ACTOR_OUTPUTS; k++) {
        let z = standardized(agent, h, source, k);
        // d log-prob / d mean = z / std; d log-prob / d log-std = z^2 - 1; d entropy /
        // d log-std = 1.
        d_heads[h + k] = inv_m * d_log_prob * z * exp(-log_std(agent, k));
        d_heads[h + ACTOR_OUTPUTS + 1u + k] = inv_m * (d_log_prob * (z * z - 1.0) - ent_coef);
    }
}
