// Agent-batched dense-layer products (twin: src/learn/nn.rs). Operands are strided views
// into storage buffers, so one kernel covers a layer's forward pass (X W + b, activation),
// its input gradient (D W^T times the activation's derivative) and its weight gradient
// (D^T X, with the bias as a column of ones), for every agent at once.
//
// One invocation owns one row of the output and keeps the operand it reuses in private
// memory. The other operand is read at addresses that depend only on the workgroup (the
// agent is workgroup_id.z), so a GPU broadcasts them and lavapipe loads them once for all
// SIMD lanes. Loads stay outside `if`s: lavapipe only takes the broadcast path there.
// Every output is summed by one invocation in a fixed order: results do not depend on WG.

struct MatmulConfig {
    m: u32, // rows of C
    n: u32, // columns of C
    k: u32, // the summed dimension
    // Element (row, col) of X for agent a sits at x_off + a * x_agent + row * x_row + col * x_col.
    a_off: u32, a_agent: u32, a_row: u32, a_col: u32,
    b_off: u32, b_agent: u32, b_row: u32, b_col: u32,
    c_off: u32, c_agent: u32, c_row: u32, c_col: u32,
    e_off: u32, e_agent: u32, e_row: u32, e_col: u32,
    // matmul_rows: add row k of B (the bias). matmul_outer: B has an extra column of
    // ones, so C gets an extra column (the bias gradient).
    bias: u32,
    // matmul_rows: 0 none, 1 tanh, 2 relu; 3 and 4 multiply by the derivative of tanh and
    // relu at their output E.
    epilogue: u32,
    // matmul_outer: the sum over k is split into chunks of this length, one per
    // workgroup_id.y, each written c_chunk further on (a fixed-order split-K).
    chunk: u32,
    c_chunk: u32,
}

@group(0) @binding(0) var<uniform> mm: MatmulConfig;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> e: array<f32>;

override WG: u32 = 64u;

var<private> reused: array<f32, NN_MAX>;

fn epilogue(v: f32, out: f32) -> f32 {
    switch mm.epilogue {
        case 1u: { return tanh(v); }
        case 2u: { return max(v, 0.0); }
        case 3u: { return v * (1.0 - out * out); }
        case 4u: { return select(0.0, v, out > 0.0); }
        default: { return v; }
    }
}

// C[r][j] = epilogue(sum_k A[r][k] B[k][j] (+ B[k][j] bias row)): A's row in private memory.
@compute @workgroup_size(WG)
fn matmul_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.z;
    let r = min(gid.x, mm.m - 1u);
    let a0 = mm.a_off + agent * mm.a_agent + r * mm.a_row;
    for (var k = 0u; k < mm.k; k++) {
        reused[k] = a[a0 + k * mm.a_col];
    }
    let b0 = mm.b_off + agent * mm.b_agent;
    let bias_row = b0 + select(0u, mm.k * mm.b_row, mm.bias != 0u);
    let c0 = mm.c_off + agent * mm.c_agent + r * mm.c_row;
    let e0 = mm.e_off + agent * mm.e_agent + r * mm.e_row;
    let needs_e = mm.epilogue >= 3u;
    for (var j = 0u; j < mm.n; j++) {
        var acc = f32(mm.bias) * b[bias_row + j * mm.b_col];
        for (var k = 0u; k < mm.k; k++) {
            acc = fma(reused[k], b[b0 + k * mm.b_row + j * mm.b_col], acc);
        }
        let out = select(0.0, e[select(0u, e0 + j * mm.e_col, needs_e)], needs_e);
        let v = epilogue(acc, out);
        if gid.x < mm.m {
            c[c0 + j * mm.c_col] = v;
        }
    }
}

// C[r][j] = sum_{k in chunk} A[r][k] B[k][j] (+ a ones column): the row's sums in private
// memory, one rank-1 update per k.
@compute @workgroup_size(WG)
fn matmul_outer(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.z;
    let chunk = wid.y;
    let r = min(gid.x, mm.m - 1u);
    let columns = mm.n + mm.bias;
    for (var j = 0u; j < columns; j++) {
        reused[j] = 0.0;
    }
    let a0 = mm.a_off + agent * mm.a_agent + r * mm.a_row;
    let b0 = mm.b_off + agent * mm.b_agent;
    let k_end = min(mm.k, (chunk + 1u) * mm.chunk);
    for (var k = chunk * mm.chunk; k < k_end; k++) {
        let x = a[a0 + k * mm.a_col];
        for (var j = 0u; j < mm.n; j++) {
            reused[j] = fma(x, b[b0 + k * mm.b_row + j * mm.b_col], reused[j]);
        }
        reused[mm.n] += x * f32(mm.bias);
    }
    let c0 = mm.c_off + agent * mm.c_agent + chunk * mm.c_chunk + r * mm.c_row;
    if gid.x < mm.m {
        for (var j = 0u; j < columns; j++) {
            c[c0 + j * mm.c_col] = reused[j];
        }
    }
}
