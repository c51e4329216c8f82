// Benchmark functions for the evolution strategies (twin: src/es/problems.rs): the
// fitness of member i is -f(x_i), since the strategies maximise. One workgroup per member;
// its invocations sum strided terms, then halve in a fixed tree (no float atomics), so
// the order of the additions is fixed.

struct ProblemConfig {
    dim: u32,
    population: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> pc: ProblemConfig;
@group(0) @binding(1) var<storage, read_write> population: array<f32>;
@group(0) @binding(2) var<storage, read_write> fitness: array<f32>;

// 0 sphere, 1 Rosenbrock, 2 Rastrigin.
override PROBLEM: u32 = 0u;
const WIDTH: u32 = 64u;

var<workgroup> partial: array<f32, WIDTH>;

fn term(x0: u32, d: u32) -> f32 {
    let x = population[x0 + d];
    switch PROBLEM {
        case 1u: {
            if d + 1u >= pc.dim {
                return 0.0;
            }
            let next = population[x0 + d + 1u];
            return 100.0 * (next - x * x) * (next - x * x) + (1.0 - x) * (1.0 - x);
        }
        case 2u: {
            return 10.0 + x * x - 10.0 * cos(6.2831855 * x);
        }
        default: {
            return x * x;
        }
    }
}

@compute @workgroup_size(WIDTH)
fn evaluate(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let member = wid.x + wid.y * 65535u;
    if member >= pc.population {
        return;
    }
    let x0 = member * pc.dim;
    var sum = 0.0;
    for (var d = lid; d < pc.dim; d += WIDTH) {
        sum += term(x0, d);
    }
    partial[lid] = sum;
    for (var half = WIDTH / 2u; half > 0u; half >>= 1u) {
        workgroupBarrier();
        if lid < half {
            partial[lid] += partial[lid + half];
        }
    }
    if lid == 0u {
        fitness[member] = -partial[0];
    }
}
