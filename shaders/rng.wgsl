// Counter-based random numbers (twin: src/rng.rs, bit-identical).
//
// A key is two u32 words. Keys are never advanced in place: a stream is derived by
// folding data (a seed, an env index, a step number) into a key, and the i-th draw of a
// key is a pure function of (key, i). Thread layout therefore never changes a result.

alias Key = vec2<u32>;

// lowbias32 (C. Wellons' hash-prospector): a bijective u32 mixer with low avalanche bias.
fn rng_mix(v: u32) -> u32 {
    var x = v;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

fn rng_key(seed: u32) -> Key {
    return rng_fold(Key(0x6a09e667u, 0xbb67ae85u), seed);
}

// Derive a child key, like jax.random.fold_in. Distinct data under one key give distinct
// children because rng_mix is a bijection.
fn rng_fold(key: Key, data: u32) -> Key {
    let x = rng_mix(key.x ^ rng_mix(data ^ 0x9e3779b9u));
    let y = rng_mix(key.y + x);
    return Key(x, y);
}

// The i-th 32 random bits of a key.
fn rng_bits(key: Key, i: u32) -> u32 {
    return rng_mix(key.y ^ rng_mix(key.x + i * 0x9e3779b9u));
}

// Uniform in [0, 1) on the 2^-24 grid: exact in f32 on every device.
fn rng_uniform(key: Key, i: u32) -> f32 {
    return f32(rng_bits(key, i) >> 8u) * 5.9604645e-8;
}

// Full 64-bit product of two u32 as (low, high).
fn rng_mul_wide(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    return vec2<u32>(a * b, a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}

// Uniform integer in [0, n) without modulo bias (Lemire's multiply-and-reject). Rejections
// redraw from a sub-stream of (key, i); after 16 (probability < 2^-400) the last draw stands.
// n = 0 returns 0.
fn rng_below(key: Key, i: u32, n: u32) -> u32 {
    var m = rng_mul_wide(rng_bits(key, i), n);
    if m.x < n {
        let threshold = (0u - n) % n;
        let sub = rng_fold(key, i);
        for (var j = 0u; j < 16u && m.x < threshold; j++) {
            m = rng_mul_wide(rng_bits(sub, j), n);
        }
    }
    return m.y;
}

// Bernoulli(p) with p on any f32: exact, since the uniform is exact.
fn rng_bernoulli(key: Key, i: u32, p: f32) -> bool {
    return rng_uniform(key, i) < p;
}

// Standard normal by Box-Muller from draws i and i + 1. Uses log/cos/sqrt, so devices agree
// only to within their transcendental accuracy (tests allow 1e-4 * (1 + |z|)).
fn rng_normal(key: Key, i: u32) -> f32 {
    let u1 = f32((rng_bits(key, i) >> 8u) + 1u) * 5.9604645e-8;
    let u2 = rng_uniform(key, i + 1u);
    return sqrt(-2.0 * log(u1)) * cos(6.2831855 * u2);
}

// Beta(a, b) for positive integers a, b with a + b - 1 <= 32: the a-th smallest of a + b - 1
// uniforms. Only comparisons, so exact on every device. The uniforms are redrawn rather than
// stored: a private array would cost its zeroing in every invocation that merely passes by.
fn rng_beta_int(key: Key, a: u32, b: u32) -> f32 {
    let n = min(a + b - 1u, 32u);
    var result = 0.0;
    for (var i = 0u; i < n; i++) {
        let ui = rng_uniform(key, i);
        var rank = 0u;
        for (var j = 0u; j < n; j++) {
            let uj = rng_uniform(key, j);
            rank += u32(uj < ui || (uj == ui && j < i));
        }
        if rank == a - 1u {
            result = ui;
        }
    }
    return result;
}

// a * b for a, b in [1, 2) as Q1.31 fixed point (1.0 = 2^31), truncated; the product must be < 2.
fn rng_mul_q31(a: u32, b: u32) -> u32 {
    let p = rng_mul_wide(a, b);
    return (p.y << 1u) | (p.x >> 31u);
}

// 2^(j/256) for j in 0..256, from the 8 factors 2^(2^k/256) (RNG_EXP2_Q31_k, generated) in
// integer arithmetic: identical on every device, with no table (a dynamically indexed `const`
// array is copied into every invocation's private memory).
fn rng_exp2_frac_q8(j: u32) -> f32 {
    let one = 0x80000000u;
    var m = one;
    m = rng_mul_q31(m, select(one, RNG_EXP2_Q31_0, (j & 1u) != 0u));
    m = rng_mul_q31(m, select(one, RNG_EXP2_Q31_1, (j & 2u) != 0u));
    m = rng_mul_q31(m, select(one, RNG_EXP2_Q31_2, (j & 4u) != 0u));
    m = rng_mul_q31(m, select(one, RNG_EXP2_Q31_3, (j & 8u) != 0u));
    m = rng_mul_q31(m, select(one, RNG_EXP2_Q31_4, (j & 16u) != 0u));
    m = rng_mul_q31(m, select(one, RNG_EXP2_Q31_5, (j & 32u) != 0u));
    m = rng_mul_q31(m, select(one, RNG_EXP2_Q31_6, (j & 64u) != 0u));
    m = rng_mul_q31(m, select(one, RNG_EXP2_Q31_7, (j & 128u) != 0u));
    return f32(m >> 8u) * 1.1920929e-7; // 24 significant bits times 2^-23: exact
}

// Log-uniform on [2^(lo/256), 2^(hi/256)], quantised to 1/256 octave so that it is exact:
// 2^(q/256) = 2^floor(q/256) * 2^((q mod 256)/256), a power-of-two scale of the above.
fn rng_log_uniform_q8(key: Key, i: u32, lo: i32, hi: i32) -> f32 {
    let q = lo + i32(rng_below(key, i, u32(hi - lo) + 1u));
    return ldexp(rng_exp2_frac_q8(u32(q & 255)), q >> 8u);
}
