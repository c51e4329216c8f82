// Evolution strategies, ask/tell (twin: src/es/twin.rs): OpenAI-ES, SNES and the separable
// CMA-ES, one population member per row of `population`. Fitness is MAXIMISED.
//
// Perturbations are never stored: z(row, d) is a pure function of (generation key, row, d),
// drawn again by `tell`. With antithetic sampling, members 2j and 2j + 1 are
// mean + sigma * z(j) and mean - sigma * z(j). Every sum over the population runs in member
// order inside one invocation, so results do not depend on the workgroup size.

struct EsConfig {
    key: Key,            // this generation's noise key
    dim: u32,
    population: u32,
    rows: u32,           // noise rows: population / 2 when antithetic, else population
    antithetic: u32,
    generation: u32,     // generations told so far
    lr: f32,             // OpenAI-ES: Adam's step; SNES: the mean's rate; CMA: c_m
    beta1: f32,
    beta2: f32,
    eps: f32,
    bias1: f32,          // 1 - beta1^t for this generation's Adam step
    bias2: f32,
    weight_decay: f32,   // OpenAI-ES: decoupled, on the mean
    sigma_decay: f32,    // OpenAI-ES: sigma <- max(sigma * decay, limit)
    sigma_limit: f32,
    lr_sigma: f32,       // SNES
    c_sigma: f32,        // CMA-ES constants (Hansen's tutorial, separable variant)
    d_sigma: f32,
    c_c: f32,
    c_1: f32,
    c_mu: f32,
    mu_eff: f32,
    chi_n: f32,
    _pad: vec2<u32>,
}

@group(0) @binding(0) var<uniform> es: EsConfig;
@group(0) @binding(1) var<storage, read_write> population: array<f32>; // [population][dim]
@group(0) @binding(2) var<storage, read_write> fitness: array<f32>;    // [population]
@group(0) @binding(3) var<storage, read_write> mean: array<f32>;       // [dim]
@group(0) @binding(4) var<storage, read_write> sigma: array<f32>;      // [dim], per-dim scale
@group(0) @binding(5) var<storage, read_write> moments: array<f32>;    // [MOMENTS][dim]
@group(0) @binding(6) var<storage, read_write> weights: array<f32>;    // [population]
@group(0) @binding(7) var<storage, read_write> rank_weights: array<f32>; // [population], by rank
@group(0) @binding(8) var<storage, read_write> scalars: array<f32>;    // see below
@group(0) @binding(9) var<storage, read_write> best: array<f32>;       // [dim]

override WG: u32 = 64u;
// 0 OpenAI-ES, 1 SNES, 2 separable CMA-ES.
override STRATEGY: u32 = 0u;

const OPENAI_ES: u32 = 0u;
const SNES: u32 = 1u;
const CMA_ES: u32 = 2u;

// moments rows: OpenAI-ES Adam (m, v); CMA-ES (p_sigma, p_c, C, z_w, sum w z^2).
const M_ADAM_M: u32 = 0u;
const M_ADAM_V: u32 = 1u;
const M_P_SIGMA: u32 = 0u;
const M_P_C: u32 = 1u;
const M_C: u32 = 2u;
const M_Z_W: u32 = 3u;
const M_Z2_W: u32 = 4u;

// scalars
const S_STEP: u32 = 0u;       // CMA-ES global step size
const S_NORM_SQ: u32 = 1u;    // |p_sigma|^2 (reduce.wgsl)
const S_BEST: u32 = 2u;       // best fitness so far
const S_GEN_BEST: u32 = 3u;   // best fitness of this generation
const S_GEN_ARGBEST: u32 = 4u; // its member (as f32: exact below 2^24)
const S_GEN_MEAN: u32 = 5u;   // mean fitness of this generation

const NO_FITNESS: f32 = -3.4e38;

// Standard normals z(row, 2q) and z(row, 2q + 1): one Box-Muller draw.
fn normal_pair(row_key: Key, q: u32) -> vec2<f32> {
    let u1 = f32((rng_bits(row_key, 2u * q) >> 8u) + 1u) * 5.9604645e-8;
    let u2 = rng_uniform(row_key, 2u * q + 1u);
    let r = sqrt(-2.0 * log(u1));
    let a = 6.2831855 * u2;
    return vec2<f32>(r * cos(a), r * sin(a));
}

fn dims_of(q: u32) -> u32 {
    return min(2u, es.dim - 2u * q);
}

// Members of noise row j, with the noise's sign: (first member, count).
fn members_of(j: u32) -> vec2<u32> {
    if es.antithetic != 0u {
        return vec2<u32>(2u * j, 2u);
    }
    return vec2<u32>(j, 1u);
}

// Noise rows per invocation of `ask`: enough to keep a CPU's lanes busy with the
// dimension's mean and scale in registers, few enough to leave a GPU many invocations.
const ASK_ROWS: u32 = 16u;

// One invocation per (dimension pair q, block of ASK_ROWS noise rows): those rows' members
// at dims 2q, 2q + 1.
@compute @workgroup_size(WG)
fn ask(@builtin(global_invocation_id) gid: vec3<u32>) {
    let q = gid.x;
    if 2u * q >= es.dim {
        return;
    }
    let d = 2u * q;
    let pair = dims_of(q) == 2u;
    let m0 = mean[d];
    let s0 = sigma[d];
    let m1 = select(0.0, mean[min(d + 1u, es.dim - 1u)], pair);
    let s1 = select(0.0, sigma[min(d + 1u, es.dim - 1u)], pair);
    let first = gid.y * ASK_ROWS;
    for (var j = first; j < min(first + ASK_ROWS, es.rows); j++) {
        let z = normal_pair(rng_fold(es.key, j), q);
        let m = members_of(j);
        let step = vec2<f32>(s0, s1) * z;
        let row = m.x * es.dim + d;
        population[row] = m0 + step.x;
        if pair {
            population[row + 1u] = m1 + step.y;
        }
        if m.y == 2u {
            population[row + es.dim] = m0 - step.x;
            if pair {
                population[row + es.dim + 1u] = m1 - step.y;
            }
        }
    }
}

fn fitness_of(i: u32) -> f32 {
    let f = fitness[i];
    // NaN ranks last; so does anything below NO_FITNESS.
    return select(NO_FITNESS, max(f, NO_FITNESS), f == f);
}

// One invocation per member: its rank (0 = fittest; ties go to the lower index) and the
// weight of that rank. The fittest member also records the generation's best and mean.
@compute @workgroup_size(WG)
fn rank(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if i >= es.population {
        return;
    }
    let f = fitness_of(i);
    var r = 0u;
    var total = 0.0;
    for (var k = 0u; k < es.population; k++) {
        let g = fitness_of(k);
        r += u32(g > f || (g == f && k < i));
        total += g;
    }
    weights[i] = rank_weights[r];
    if r == 0u {
        scalars[S_GEN_BEST] = f;
        scalars[S_GEN_ARGBEST] = f32(i);
        scalars[S_GEN_MEAN] = total / f32(es.population);
    }
}

// Per dimension pair: the weighted sums over the population of z and z^2, then the
// strategy's update of the mean and scale (CMA-ES: its first half). Also copies the
// generation's fittest member into `best` when it beats the best so far.
@compute @workgroup_size(WG)
fn tell(@builtin(global_invocation_id) gid: vec3<u32>) {
    let q = gid.x;
    if 2u * q >= es.dim {
        return;
    }
    var s1 = vec2<f32>(0.0);
    var s2 = vec2<f32>(0.0);
    for (var j = 0u; j < es.rows; j++) {
        let z = normal_pair(rng_fold(es.key, j), q);
        let m = members_of(j);
        var w_plus = weights[m.x];
        var w_minus = 0.0;
        if m.y == 2u {
            w_minus = weights[m.x + 1u];
        }
        s1 += (w_plus - w_minus) * z;
        s2 += (w_plus + w_minus) * z * z;
    }
    let improved = scalars[S_GEN_BEST] > scalars[S_BEST];
    let argbest = u32(scalars[S_GEN_ARGBEST]);
    for (var k = 0u; k < dims_of(q); k++) {
        let d = 2u * q + k;
        if improved {
            best[d] = population[argbest * es.dim + d];
        }
        update(d, s1[k], s2[k]);
    }
}

fn update(d: u32, s1: f32, s2: f32) {
    switch STRATEGY {
        case OPENAI_ES: {
            // Gradient ascent estimate, Adam on the mean, decoupled weight decay.
            let g = s1 / (f32(es.population) * sigma[d]);
            let m = es.beta1 * moments[M_ADAM_M * es.dim + d] + (1.0 - es.beta1) * g;
            let v = es.beta2 * moments[M_ADAM_V * es.dim + d] + (1.0 - es.beta2) * g * g;
            moments[M_ADAM_M * es.dim + d] = m;
            moments[M_ADAM_V * es.dim + d] = v;
            let step = es.lr * (m / es.bias1) / (sqrt(v / es.bias2) + es.eps);
            mean[d] = mean[d] + step - es.lr * es.weight_decay * mean[d];
            sigma[d] = max(sigma[d] * es.sigma_decay, es.sigma_limit);
        }
        case SNES: {
            // Natural gradients of the mean and the log-scale (utilities sum to 0, so
            // sum u (z^2 - 1) = sum u z^2).
            mean[d] = mean[d] + es.lr * sigma[d] * s1;
            sigma[d] = sigma[d] * exp(0.5 * es.lr_sigma * s2);
        }
        default: {
            // CMA-ES, first half: weighted recombination and the conjugate path.
            let c = moments[M_C * es.dim + d];
            mean[d] = mean[d] + es.lr * scalars[S_STEP] * sqrt(c) * s1;
            let p = (1.0 - es.c_sigma) * moments[M_P_SIGMA * es.dim + d]
                + sqrt(es.c_sigma * (2.0 - es.c_sigma) * es.mu_eff) * s1;
            moments[M_P_SIGMA * es.dim + d] = p;
            moments[M_Z_W * es.dim + d] = s1;
            moments[M_Z2_W * es.dim + d] = s2;
        }
    }
}

// CMA-ES, second half, per dimension (after reduce.wgsl summed |p_sigma|^2): the
// covariance path, the diagonal covariance, and the per-dim scale for the next ask under
// the new step size.
@compute @workgroup_size(WG)
fn cma_update(@builtin(global_invocation_id) gid: vec3<u32>) {
    let d = gid.x;
    if d >= es.dim {
        return;
    }
    let norm = sqrt(scalars[S_NORM_SQ]);
    let t = f32(es.generation + 1u);
    let h_sigma = norm / sqrt(1.0 - pow(1.0 - es.c_sigma, 2.0 * t))
        < (1.4 + 2.0 / (f32(es.dim) + 1.0)) * es.chi_n;
    let h = select(0.0, 1.0, h_sigma);
    let c = moments[M_C * es.dim + d];
    let y_w = sqrt(c) * moments[M_Z_W * es.dim + d];
    let p_c = (1.0 - es.c_c) * moments[M_P_C * es.dim + d]
        + h * sqrt(es.c_c * (2.0 - es.c_c) * es.mu_eff) * y_w;
    let c_new = (1.0 - es.c_1 - es.c_mu + (1.0 - h) * es.c_1 * es.c_c * (2.0 - es.c_c)) * c
        + es.c_1 * p_c * p_c + es.c_mu * c * moments[M_Z2_W * es.dim + d];
    moments[M_P_C * es.dim + d] = p_c;
    moments[M_C * es.dim + d] = c_new;
    sigma[d] = next_step(norm) * sqrt(c_new);
}

fn next_step(norm: f32) -> f32 {
    return scalars[S_STEP] * exp((es.c_sigma / es.d_sigma) * (norm / es.chi_n - 1.0));
}

// After the per-dimension updates: the best so far and CMA-ES's new step size.
@compute @workgroup_size(1)
fn finish() {
    scalars[S_BEST] = max(scalars[S_BEST], scalars[S_GEN_BEST]);
    if STRATEGY == CMA_ES {
        scalars[S_STEP] = next_step(sqrt(scalars[S_NORM_SQ]));
    }
}
