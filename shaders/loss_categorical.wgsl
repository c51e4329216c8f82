// The categorical policy's part of the loss (twin: src/learn/ppo.rs `Dist::Categorical`):
// the action's log-prob and the entropy from the logits, and their gradient with respect
// to the logits. Composed into the PPO module before ppo_loss.wgsl.

struct Dist {
    log_prob: f32,
    entropy: f32,
    top: f32,   // the largest logit
    total: f32, // sum exp(logit - top)
}

// The logits of sample `row`'s policy are heads[h..h + ACTOR_OUTPUTS].
fn dist_of(agent: u32, h: u32, s: TrajStep, source: u32) -> Dist {
    var top = heads[h];
    for (var k = 1u; k < ACTOR_OUTPUTS; k++) {
        top = max(top, heads[h + k]);
    }
    var total = 0.0;
    var weighted = 0.0; // sum of exp(z) * z, for the entropy
    for (var k = 0u; k < ACTOR_OUTPUTS; k++) {
        let z = heads[h + k] - top;
        let w = exp(z);
        total += w;
        weighted += w * z;
    }
    let log_total = log(total);
    var chosen = 0.0;
    for (var k = 0u; k < ACTOR_OUTPUTS; k++) {
        chosen = select(chosen, heads[h + k], k == s.action);
    }
    return Dist(chosen - top - log_total, log_total - weighted / total, top, total);
}

// d (loss / minibatch) / d logits into d_heads[h..].
fn write_dist_gradient(agent: u32, h: u32, s: TrajStep, source: u32, d: Dist, d_log_prob: f32, ent_coef: f32) {
    let inv_m = 1.0 / f32(pc.minibatch);
    let log_total = log(d.total);
    for (var k = 0u; k < ACTOR_OUTPUTS; k++) {
        let z = heads[h + k] - d.top;
        let p = exp(z) / d.total;
        let one_hot = select(0.0, 1.0, k == s.action);
        // d entropy / d z_k = -p_k (log p_k + entropy)
        let d_entropy = -p * (z - log_total + d.entropy);
        d_heads[h + k] = inv_m * (d_log_prob * (one_hot - p) - ent_coef * d_entropy);
    }
}
