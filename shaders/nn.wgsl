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
// gets an extra column (the bias gradient).
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

const TILE: u32 = 16u;
const BIAS_ROW: u32 = 1u;
const BIAS_COLUMN: u32 = 2u;
override COLUMNS: u32 = N + select(0u, 1u, BIAS == BIAS_COLUMN);
override TILES: u32 = (COLUMNS + 15u) / 16u;

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

@compute @workgroup_size(WG)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.z;
    let chunk = wid.y / TILES;
    let j0 = (wid.y % TILES) * TILE;
    let r = min(gid.x, M - 1u);
    let a0 = A_OFF + agent * A_AGENT + r * A_ROW;
    let b0 = B_OFF + agent * B_AGENT;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    if BIAS == BIAS_ROW {
        let row = b0 + K * B_ROW;
        acc0 = b_quad(row, j0);
        acc1 = b_quad(row, j0 + 4u);
        acc2 = b_quad(row, j0 + 8u);
        acc3 = b_quad(row, j0 + 12u);
    }
    let k0 = chunk * CHUNK;
    for (var q = 0u; q < CHUNK; q++) {
        // Past K (the last chunk), read row K - 1 and add nothing.
        let k = min(k0 + q, K - 1u);
        let x = vec4<f32>(select(0.0, a[a0 + k * A_COL], k0 + q < K));
        let row = b0 + k * B_ROW;
        acc0 = fma(x, b_quad(row, j0), acc0);
        acc1 = fma(x, b_quad(row, j0 + 4u), acc1);
        acc2 = fma(x, b_quad(row, j0 + 8u), acc2);
        acc3 = fma(x, b_quad(row, j0 + 12u), acc3);
    }
    let c0 = C_OFF + agent * C_AGENT + chunk * C_CHUNK + r * C_ROW;
    let e0 = E_OFF + agent * E_AGENT + r * E_ROW;
    let tile = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
    for (var t = 0u; t < TILE; t++) {
        let j = j0 + t;
        let out = select(0.0, e[e0 + min(j, N - 1u) * E_COL], EPILOGUE >= 3u);
        let v = epilogue(tile[t / 4u][t % 4u], out);
        if gid.x < M && j < COLUMNS {
            c[c0 + j * C_COL] = v;
        }
    }
}

