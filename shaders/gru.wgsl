// The GRU core's recurrence over sequences of T steps, forward and backward (twin:
// src/learn/gru/twin.rs). The cell is flax's `GRUCell` (Cho et al. 2014; the cell PureJaxRL's
// ppo_rnn.py scans):
//   r  = sigmoid(x W_ir + b_ir + h W_hr)
//   z  = sigmoid(x W_iz + b_iz + h W_hz)
//   n  = tanh(x W_in + b_in + r * (h W_hn + b_hn))
//   h' = (1 - z) * n + z * h
// with h = 0 before a step whose reset flag is set. The input terms of every step
// (gx = x W_i + b_i) come from one product in nn.wgsl before the recurrence; only the hidden
// terms run here, sequentially in t.
//
// One workgroup per (tile of GRU_TILE envs, agent) loops over the steps. Its invocations hold
// (env, unit) pairs, GRU_PAIRS each, and the tile's hidden states (or their gradients) stay
// in workgroup memory between steps. Each sum runs in one invocation in a fixed order, so the
// results do not depend on the workgroup size. A dispatch runs steps t0 .. t1 and reads the
// state where the previous one left it, so long sequences split into dispatches that fit
// lavapipe's loop budget.
//
// Prelude: GRU_HIDDEN (H), GRU_TILE, GRU_PAIRS, GRU_WG, GRU_WEIGHTS (floats per agent in
// `weights`), GRU_HRZ ([H][2H], W_hr | W_hz) and GRU_HN ([H + 1][H], W_hn then b_hn): where
// the hidden matrices start in an agent's weights. Sequence s of agent a is a * envs + env;
// step t of it is row s * steps + t.

struct GruConfig {
    envs: u32,  // envs per agent
    steps: u32, // steps per sequence
    t0: u32,    // this dispatch runs steps t0 .. t1 (backward: from t1 - 1 down to t0)
    t1: u32,
}

@group(0) @binding(0) var<uniform> gc: GruConfig;

// Forward.
@group(0) @binding(1) var<storage, read_write> gx: array<f32>;      // [row][3H]
@group(0) @binding(2) var<storage, read_write> weights: array<f32>; // [agent][GRU_WEIGHTS]
@group(0) @binding(3) var<storage, read_write> resets: array<u32>;  // [row], 1: h = 0 first
@group(0) @binding(4) var<storage, read_write> h0: array<f32>;      // [sequence][H]
@group(0) @binding(5) var<storage, read_write> hs: array<f32>;      // [row][H], h after step
@group(0) @binding(6) var<storage, read_write> hprev: array<f32>;   // [row][H], h the step saw
@group(0) @binding(7) var<storage, read_write> gates: array<f32>;   // [row][4H]: r, z, n, h W_hn + b_hn

// Backward (bindings 2, 3, 6 and 7 as above).
@group(0) @binding(1) var<storage, read_write> d_hs: array<f32>;    // [row][H], dL/dh (direct)
@group(0) @binding(4) var<storage, read_write> d_h0: array<f32>;    // [sequence][H]: the carry
@group(0) @binding(5) var<storage, read_write> dgx: array<f32>;     // [row][3H], dL/d(gx)
@group(0) @binding(8) var<storage, read_write> dgh: array<f32>;     // [row][3H], dL/d(h W_h + b_h)

const H: u32 = GRU_HIDDEN;

var<workgroup> tile_h: array<f32, GRU_TILE * GRU_HIDDEN>;
var<workgroup> tile_dgh: array<f32, GRU_TILE * 3u * GRU_HIDDEN>;

fn sigmoid(v: f32) -> f32 {
    return 1.0 / (1.0 + exp(-v));
}

// The env (within the tile) and unit of pair i of invocation lid; env GRU_TILE when unused.
fn pair(lid: u32, i: u32) -> vec2<u32> {
    let p = lid + i * GRU_WG;
    return select(vec2<u32>(GRU_TILE, 0u), vec2<u32>(p / H, p % H), p < GRU_TILE * H);
}

@compute @workgroup_size(GRU_WG)
fn gru_forward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.y;
    let w = agent * GRU_WEIGHTS;
    let first_env = wid.x * GRU_TILE;
    for (var i = 0u; i < GRU_PAIRS; i++) {
        let p = pair(lid, i);
        if p.x < GRU_TILE && first_env + p.x < gc.envs {
            let s = agent * gc.envs + first_env + p.x;
            if gc.t0 == 0u {
                tile_h[p.x * H + p.y] = h0[s * H + p.y];
            } else {
                tile_h[p.x * H + p.y] = hs[(s * gc.steps + gc.t0 - 1u) * H + p.y];
            }
        }
    }
    workgroupBarrier();
    var next: array<f32, GRU_PAIRS>;
    for (var t = gc.t0; t < gc.t1; t++) {
        for (var i = 0u; i < GRU_PAIRS; i++) {
            let p = pair(lid, i);
            if p.x < GRU_TILE && first_env + p.x < gc.envs {
                let j = p.y;
                let row = (agent * gc.envs + first_env + p.x) * gc.steps + t;
                let keep = select(1.0, 0.0, resets[row] != 0u);
                let h = p.x * H;
                var ar = 0.0;
                var az = 0.0;
                var an = 0.0;
                for (var k = 0u; k < H; k++) {
                    let hk = tile_h[h + k];
                    let rz = w + GRU_HRZ + k * 2u * H + j;
                    ar = fma(hk, weights[rz], ar);
                    az = fma(hk, weights[rz + H], az);
                    an = fma(hk, weights[w + GRU_HN + k * H + j], an);
                }
                let g = row * 3u * H + j;
                let r = sigmoid(gx[g] + keep * ar);
                let z = sigmoid(gx[g + H] + keep * az);
                let hn = keep * an + weights[w + GRU_HN + H * H + j];
                let n = tanh(gx[g + 2u * H] + r * hn);
                let before = keep * tile_h[h + j];
                let after = (1.0 - z) * n + z * before;
                next[i] = after;
                hs[row * H + j] = after;
                hprev[row * H + j] = before;
                let q = row * 4u * H + j;
                gates[q] = r;
                gates[q + H] = z;
                gates[q + 2u * H] = n;
                gates[q + 3u * H] = hn;
            }
        }
        workgroupBarrier();
        for (var i = 0u; i < GRU_PAIRS; i++) {
            let p = pair(lid, i);
            if p.x < GRU_TILE {
                tile_h[p.x * H + p.y] = next[i];
            }
        }
        workgroupBarrier();
    }
}

// BPTT from step t1 - 1 down to t0: tile_h carries dL/dh from the later steps (zero past the
// sequence's end, d_h0 between dispatches). A step whose reset flag is set saw a constant
// zero state, so nothing flows back past it.
@compute @workgroup_size(GRU_WG)
fn gru_backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.y;
    let w = agent * GRU_WEIGHTS;
    let first_env = wid.x * GRU_TILE;
    for (var i = 0u; i < GRU_PAIRS; i++) {
        let p = pair(lid, i);
        if p.x < GRU_TILE {
            let s = agent * gc.envs + first_env + p.x;
            let carried = gc.t1 < gc.steps && first_env + p.x < gc.envs;
            tile_h[p.x * H + p.y] = select(0.0, d_h0[s * H + p.y], carried);
        }
    }
    workgroupBarrier();
    var direct: array<f32, GRU_PAIRS>;
    for (var t = gc.t1; t > gc.t0; t--) {
        let step = t - 1u;
        for (var i = 0u; i < GRU_PAIRS; i++) {
            let p = pair(lid, i);
            if p.x < GRU_TILE && first_env + p.x < gc.envs {
                let j = p.y;
                let row = (agent * gc.envs + first_env + p.x) * gc.steps + step;
                let dh = tile_h[p.x * H + j] + d_hs[row * H + j];
                let q = row * 4u * H + j;
                let r = gates[q];
                let z = gates[q + H];
                let n = gates[q + 2u * H];
                let hn = gates[q + 3u * H];
                let da_n = dh * (1.0 - z) * (1.0 - n * n);
                let da_z = dh * (hprev[row * H + j] - n) * z * (1.0 - z);
                let da_r = da_n * hn * r * (1.0 - r);
                let g = row * 3u * H + j;
                dgx[g] = da_r;
                dgx[g + H] = da_z;
                dgx[g + 2u * H] = da_n;
                dgh[g] = da_r;
                dgh[g + H] = da_z;
                dgh[g + 2u * H] = da_n * r;
                let d = p.x * 3u * H + j;
                tile_dgh[d] = da_r;
                tile_dgh[d + H] = da_z;
                tile_dgh[d + 2u * H] = da_n * r;
                direct[i] = dh * z;
            }
        }
        workgroupBarrier();
        var next: array<f32, GRU_PAIRS>;
        for (var i = 0u; i < GRU_PAIRS; i++) {
            let p = pair(lid, i);
            if p.x < GRU_TILE && first_env + p.x < gc.envs {
                let j = p.y;
                let row = (agent * gc.envs + first_env + p.x) * gc.steps + step;
                let d = p.x * 3u * H;
                var acc = direct[i];
                for (var k = 0u; k < H; k++) {
                    let rz = w + GRU_HRZ + j * 2u * H + k;
                    acc = fma(weights[rz], tile_dgh[d + k], acc);
                    acc = fma(weights[rz + H], tile_dgh[d + H + k], acc);
                    acc = fma(weights[w + GRU_HN + j * H + k], tile_dgh[d + 2u * H + k], acc);
                }
                next[i] = select(acc, 0.0, resets[row] != 0u);
            }
        }
        workgroupBarrier();
        for (var i = 0u; i < GRU_PAIRS; i++) {
            let p = pair(lid, i);
            if p.x < GRU_TILE {
                tile_h[p.x * H + p.y] = next[i];
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < GRU_PAIRS; i++) {
        let p = pair(lid, i);
        if p.x < GRU_TILE && first_env + p.x < gc.envs {
            let s = agent * gc.envs + first_env + p.x;
            d_h0[s * H + p.y] = tile_h[p.x * H + p.y];
        }
    }
}
