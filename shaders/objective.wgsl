// The per-agent objective (twin: src/learn/objective.rs): hyperparameters read per agent,
// and the learned drift of LPO (Lu et al. 2022) with temporally-aware inputs (Jackson et
// al. 2024). The module that includes it declares `objective` (OBJECTIVE_STRIDE floats
// per agent) and the PpoConfig binding `pc`; DRIFT_HIDDEN comes from the prelude (0: no
// learned drift, PPO's clipping).

// The row's slots OBJ_* (OBJ_REF_*: the meta-gradient's validation objective's fixed
// discount and GAE lambda), HYPER (where the drift's weights start), DRIFT_FEATURES and
// DRIFT_INPUTS come from the generated prelude (src/learn/objective.rs).
const DRIFT_CLIP: f32 = 2.0;
const DRIFT_MARGIN: f32 = 1e-4;

fn hyper(agent: u32, slot: u32) -> f32 {
    return objective[agent * OBJECTIVE_STRIDE + slot];
}

struct Drift {
    value: f32,
    d_ratio: f32,
}

struct DriftFeatures {
    f: array<f32, DRIFT_FEATURES>,
    df: array<f32, DRIFT_FEATURES>, // d f / d r
}

// LPO's features of (r = e^l, A), clipped (derivative 0 where clipped).
fn drift_features(r: f32, l: f32, a: f32) -> DriftFeatures {
    let d = r - 1.0;
    var f = array<f32, DRIFT_FEATURES>(d, d * d, l, l * l, a * d, a * d * d, a * l, a * l * l);
    var df = array<f32, DRIFT_FEATURES>(1.0, 2.0 * d, 1.0 / r, 2.0 * l / r, a, 2.0 * a * d, a / r, 2.0 * a * l / r);
    for (var k = 0u; k < DRIFT_FEATURES; k++) {
        df[k] = select(0.0, df[k], abs(f[k]) <= DRIFT_CLIP);
        f[k] = clamp(f[k], -DRIFT_CLIP, DRIFT_CLIP);
    }
    return DriftFeatures(f, df);
}

// g(x) = v . tanh(W x) on LPO's features of (r, A), each also scaled by n/N and log N;
// no biases, so g = 0 at r = 1. Returns g and dg/dr.
fn learned_drift(agent: u32, r: f32, l: f32, a: f32) -> Drift {
    let x = drift_features(r, l, a);
    let scales = array<f32, 3>(1.0, pc.lifetime_fraction, pc.log_lifetime);
    let w0 = agent * OBJECTIVE_STRIDE + HYPER;
    var g = 0.0;
    var dg = 0.0;
    for (var j = 0u; j < DRIFT_HIDDEN; j++) {
        var pre = 0.0;
        var d_pre = 0.0;
        for (var s = 0u; s < 3u; s++) {
            for (var k = 0u; k < DRIFT_FEATURES; k++) {
                let wk = objective[w0 + (s * DRIFT_FEATURES + k) * DRIFT_HIDDEN + j] * scales[s];
                pre += wk * x.f[k];
                d_pre += wk * x.df[k];
            }
        }
        let h = tanh(pre);
        let v = objective[w0 + DRIFT_INPUTS * DRIFT_HIDDEN + j];
        g += v * h;
        dg += v * (1.0 - h * h) * d_pre;
    }
    return Drift(g, dg);
}
