// The PPO/A2C kernel config and the per-sample loss (twin: src/learn/ppo.rs). The module
// that includes it declares the config binding `pc` and the per-agent `objective`
// (objective.wgsl: the hyperparameters, and LPO's learned drift when DRIFT_HIDDEN > 0),
// and composes the policy's distribution before it (loss_categorical.wgsl or
// loss_gaussian.wgsl: `Dist`, `dist_of`, `write_dist_gradient`).

struct PpoConfig {
    key: Key,          // permutation key of this (update, epoch)
    envs: u32,         // per agent
    steps: u32,        // per env per rollout
    minibatch: u32,    // samples per minibatch
    first: u32,        // position of this minibatch in the permutation
    value_clip: f32,   // 0: no value clipping
    vf_coef: f32,
    algo: u32,         // ALGO_PPO or ALGO_A2C
    normalize: u32,    // normalise advantages per minibatch
    lifetime_fraction: f32, // n / N: updates done over the lifetime's updates
    log_lifetime: f32,      // ln N / ln 1024
    // Agents drawing the same minibatch permutations (driver.wgsl's random streams, in
    // agents): stream (a / stream_group) * stream_block + a % stream_block.
    stream_block: u32,
    stream_group: u32,
    reward_scale: f32, // rewards times this for advantages and value targets
    meta_term: u32,    // META_*: which meta-gradient quantity this dispatch is for
}

fn agent_stream(a: u32) -> u32 {
    if pc.stream_group == 0u {
        return a;
    }
    return (a / pc.stream_group) * pc.stream_block + a % pc.stream_block;
}

// Per sample: the actor's outputs, the value and (Gaussian policies) the log-std terms.
const HEADS: u32 = ACTOR_OUTPUTS + 1u + GAUSSIAN * ACTOR_OUTPUTS;
// From the generated prelude (src/learn/ppo.rs): ALGO_PPO; TERMS, the columns of
// `terms` (the loss terms summed into the agent's statistics, LOSS_TERMS of them, then at
// TERM_ADV the advantage and its square summed into the minibatch moments); SCRATCH, the
// floats of `scratch` per agent (advantage moments, gradient sum of squares, (unused),
// then the meta-gradient's tangent sums).

// The advantage, normalised with the minibatch's moments (sum, sum of squares) if asked.
fn normalized_advantage(advantage: f32, sum: f32, sum_sq: f32) -> f32 {
    if pc.normalize == 0u {
        return advantage;
    }
    let inv_m = 1.0 / f32(pc.minibatch);
    let mean = sum * inv_m;
    let variance = max(sum_sq * inv_m - mean * mean, 0.0);
    return (advantage - mean) / (sqrt(variance) + 1e-8);
}

struct SampleLoss {
    d_log_prob: f32,  // d (policy loss) / d log-prob
    d_value: f32,     // d (loss / minibatch) / d value
    // policy loss, value loss, entropy, approx KL, clipped (0 or 1)
    terms: array<f32, LOSS_TERMS>,
}

// The loss of one sample of `agent` whose policy gives the action `d.log_prob` and
// entropy `d.entropy`; the policy loss's gradient with respect to the log-prob, and the
// value's share of the minibatch mean.
fn sample_loss(agent: u32, d: Dist, value: f32, s: TrajStep, advantage: f32) -> SampleLoss {
    let inv_m = 1.0 / f32(pc.minibatch);
    let clip = hyper(agent, OBJ_CLIP);
    let log_prob = d.log_prob;
    let log_ratio = log_prob - s.log_prob;
    let ratio = exp(log_ratio);
    var policy_loss: f32;
    var d_log_prob: f32; // d policy_loss / d log_prob
    var clipped = 0.0;
    if pc.algo == ALGO_PPO && DRIFT_HIDDEN > 0u {
        // LPO: maximise r A - drift, drift = relu(PPO's drift + g - DRIFT_MARGIN) >= 0. The
        // margin keeps the kink away from r = 1, where g = 0 (rounding would pick its side);
        // at g = 0 this is PPO's clipped objective, less the margin.
        let outside = abs(ratio - 1.0) > clip;
        clipped = select(0.0, 1.0, outside);
        let ppo_drift = (ratio - clamp(ratio, 1.0 - clip, 1.0 + clip)) * advantage;
        let d_ppo = select(0.0, advantage, outside && ppo_drift > 0.0);
        let g = learned_drift(agent, ratio, log_ratio, advantage);
        let pre = max(ppo_drift, 0.0) + g.value - DRIFT_MARGIN;
        let drift = max(pre, 0.0);
        let d_drift = select(0.0, d_ppo + g.d_ratio, pre > 0.0);
        policy_loss = -(ratio * advantage - drift);
        d_log_prob = -ratio * (advantage - d_drift);
    } else if pc.algo == ALGO_PPO {
        let unclipped = ratio * advantage;
        let bounded = clamp(ratio, 1.0 - clip, 1.0 + clip) * advantage;
        policy_loss = -min(unclipped, bounded);
        let outside = abs(ratio - 1.0) > clip;
        clipped = select(0.0, 1.0, outside);
        d_log_prob = select(-unclipped, 0.0, outside && bounded < unclipped);
    } else {
        policy_loss = -log_prob * advantage;
        d_log_prob = -advantage;
    }

    var value_loss = 0.5 * (value - s.ret) * (value - s.ret);
    var d_value = value - s.ret;
    if pc.value_clip > 0.0 {
        let moved = clamp(value - s.value, -pc.value_clip, pc.value_clip);
        let error_clipped = s.value + moved - s.ret;
        let loss_clipped = 0.5 * error_clipped * error_clipped;
        if loss_clipped > value_loss {
            value_loss = loss_clipped;
            d_value = select(0.0, error_clipped, abs(value - s.value) < pc.value_clip);
        }
    }
    let terms = array<f32, LOSS_TERMS>(policy_loss, value_loss, d.entropy, (ratio - 1.0) - log_ratio, clipped);
    return SampleLoss(d_log_prob, inv_m * pc.vf_coef * d_value, terms);
}
