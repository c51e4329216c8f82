// Agent-batched dense-layer products (twin: src/learn/nn.rs). Operands are strided views
// into storage buffers, so one kernel covers a layer's forward pass (X W + b, activation),
// its input gradient (D W^T times the activation's derivative) and its weight gradient
// (D^T [X | 1], the bias gradient as a column of ones), for every agent at once.
//
// One invocation owns a 16-column tile of one row of C, summed in registers (four vec4s),
// and reads its own elements of A. B's addresses depend only on the workgroup (the agent
// is workgroup_id.z, the tile and chunk workgroup_id.y) and on constants, so a GPU
// broadcasts them. Shapes and strides are pipeline constants and sums run in chunks of
// constant length (1.3x faster on lavapipe than runtime bounds). Every output is summed by
// one invocation in a fixed order (chunks are summed later, in order): results do not
// depend on WG.

override WG: u32 = 64u;

override M: u32 = 1u; // rows of C
override N: u32 = 1u; // columns of C (without a bias column)
override K: u32 = 1u; // the summed dimension
// Element (row, col) of X for agent a is at X_OFF + a * X_AGENT + row * X_ROW + col * X_COL.
override A_OFF: u32 = 0u;
override A_AGENT: u32 = 0u;
override A_ROW: u32 = 0u;
override A_COL: u32 = 0u;
override B_OFF: u32 = 0u;
override B_AGENT: u32 = 0u;
override B_ROW: u32 = 0u;
override B_COL: u32 = 0u;
override C_OFF: u32 = 0u;
override C_AGENT: u32 = 0u;
override C_ROW: u32 = 0u;
override C_COL: u32 = 0u;
override E_OFF: u32 = 0u;
override E_AGENT: u32 = 0u;
override E_ROW: u32 = 0u;
override E_COL: u32 = 0u;
// BIAS_ROW: add row K of B (the bias). BIAS_COLUMN: B has an extra column of ones, so C
// gets an extra column (the bias gradient). ONES_ROW: A's last row (row M - 1) is ones, so
// C's last row is the bias gradient (the transposed weight-gradient form).
override BIAS: u32 = 0u;
// 0 none, 1 tanh, 2 relu; 3 and 4 multiply by the derivative of tanh and relu at their
// output E.
override EPILOGUE: u32 = 0u;
// The sum over k runs in chunks of CHUNK terms, chunk c written c * C_CHUNK further on.
override CHUNK: u32 = 1u;
override C_CHUNK: u32 = 0u;

@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> e: array<f32>;

const QUADS: u32 = 4u;
const TILE: u32 = 4u * QUADS;
const BIAS_ROW: u32 = 1u;
const BIAS_COLUMN: u32 = 2u;
const ONES_ROW: u32 = 3u;
override COLUMNS: u32 = N + select(0u, 1u, BIAS == BIAS_COLUMN);
override TILES: u32 = (COLUMNS + TILE - 1u) / TILE;

fn epilogue(v: f32, out: f32) -> f32 {
    switch EPILOGUE {
        case 1u: { return tanh(v); }
        case 2u: { return max(v, 0.0); }
        case 3u: { return v * (1.0 - out * out); }
        case 4u: { return select(0.0, v, out > 0.0); }
        default: { return v; }
    }
}

// Columns j .. j + 3 of B's row starting at `row`; the ones column where BIAS_COLUMN;
// clamped past the end (those results are never stored).
fn b_quad(row: u32, j: u32) -> vec4<f32> {
    var v: vec4<f32>;
    for (var q = 0u; q < 4u; q++) {
        let x = b[row + min(j + q, N - 1u) * B_COL];
        v[q] = select(x, 1.0, BIAS == BIAS_COLUMN && j + q == N);
    }
    return v;
}

// Element (r, k) of A; the ones row where ONES_ROW (A holds M - 1 rows then).
fn a_value(agent: u32, r: u32, k: u32) -> f32 {
    if BIAS == ONES_ROW && r == M - 1u {
        return 1.0;
    }
    let row = select(r, min(r, M - 2u), BIAS == ONES_ROW);
    return a[A_OFF + agent * A_AGENT + row * A_ROW + k * A_COL];
}

// Rows of C per invocation: a register tile of ROWS x TILE, so each load of B's row feeds
// ROWS multiply-adds (CPU adapters load per lane, so loads, not arithmetic, bound them).
override ROWS: u32 = 1u;
const MAX_ROWS: u32 = 8u;

@compute @workgroup_size(WG)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.z;
    let chunk = wid.y / TILES;
    let j0 = (wid.y % TILES) * TILE;
    let r0 = gid.x * ROWS;
    let b0 = B_OFF + agent * B_AGENT;
    var acc: array<array<vec4<f32>, QUADS>, MAX_ROWS>;
    var bias: array<vec4<f32>, QUADS>;
    if BIAS == BIAS_ROW {
        let row = b0 + K * B_ROW;
        for (var t = 0u; t < QUADS; t++) {
            bias[t] = b_quad(row, j0 + 4u * t);
        }
    }
    for (var i = 0u; i < ROWS; i++) {
        acc[i] = bias;
    }
    let k0 = chunk * CHUNK;
    for (var q = 0u; q < CHUNK; q++) {
        // Past K (the last chunk), read row K - 1 and add nothing.
        let k = min(k0 + q, K - 1u);
        let row = b0 + k * B_ROW;
        var bk: array<vec4<f32>, QUADS>;
        for (var t = 0u; t < QUADS; t++) {
            bk[t] = b_quad(row, j0 + 4u * t);
        }
        for (var i = 0u; i < ROWS; i++) {
            let r = min(r0 + i, M - 1u);
            let x = vec4<f32>(select(0.0, a_value(agent, r, k), k0 + q < K));
            for (var t = 0u; t < QUADS; t++) {
                acc[i][t] = fma(x, bk[t], acc[i][t]);
            }
        }
    }
    for (var i = 0u; i < ROWS; i++) {
        let r = min(r0 + i, M - 1u);
        let c0 = C_OFF + agent * C_AGENT + chunk * C_CHUNK + r * C_ROW;
        let e0 = E_OFF + agent * E_AGENT + r * E_ROW;
        for (var t = 0u; t < TILE; t++) {
            let j = j0 + t;
            let out = select(0.0, e[e0 + min(j, N - 1u) * E_COL], EPILOGUE >= 3u);
            let v = epilogue(acc[i][t / 4u][t % 4u], out);
            if r0 + i < M && j < COLUMNS {
                c[c0 + j * C_COL] = v;
            }
        }
    }
}
