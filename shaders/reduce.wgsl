// Per-agent column sums (or sums of squares) of a row-major table: out[a][w] (+)=
// sum_r x[a][r][w] (twins: the sums in src/learn/twin.rs, `adam::grad_norm`). One
// workgroup per (column, agent); its 64 invocations take rows r = lid, lid + 64, ... and then halve in a fixed tree, so the order of the
// additions is fixed (no float atomics) and does not depend on the device.

struct ReduceConfig {
    rows: u32,
    x_off: u32,
    x_agent: u32,
    x_row: u32,
    out_off: u32,
    out_agent: u32,
    accumulate: u32, // 1: add to out, 0: overwrite
    square: u32,     // 1: sum the squares
}

@group(0) @binding(0) var<uniform> rc: ReduceConfig;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const REDUCE_WIDTH: u32 = 64u;

var<workgroup> partial: array<f32, REDUCE_WIDTH>;

@compute @workgroup_size(REDUCE_WIDTH)
fn column_sums(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let column = wid.x;
    let agent = wid.y;
    let x0 = rc.x_off + agent * rc.x_agent + column;
    var sum = 0.0;
    for (var r = lid; r < rc.rows; r += REDUCE_WIDTH) {
        let v = x[x0 + r * rc.x_row];
        sum += select(v, v * v, rc.square != 0u);
    }
    partial[lid] = sum;
    for (var half = REDUCE_WIDTH / 2u; half > 0u; half >>= 1u) {
        workgroupBarrier();
        if lid < half {
            partial[lid] += partial[lid + half];
        }
    }
    if lid == 0u {
        let o = rc.out_off + agent * rc.out_agent + column;
        out[o] = partial[0] + select(0.0, out[o], rc.accumulate != 0u);
    }
}
