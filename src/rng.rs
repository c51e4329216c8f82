//! Rust twin of `shaders/rng.wgsl`: the same counter-based generator, bit for bit.
//!
//! A [`Key`] is two u32 words. Streams are derived with [`fold`] (like `jax.random.fold_in`)
//! and the i-th draw of a key is a pure function of `(key, i)`.

/// Two u32 words; the WGSL side is `vec2<u32>`.
pub type Key = [u32; 2];

/// lowbias32 (C. Wellons' hash-prospector): a bijective u32 mixer.
#[inline]
pub fn mix(v: u32) -> u32 {
    let mut x = v;
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// The root key of a seed.
pub fn key(seed: u32) -> Key {
    fold([0x6a09_e667, 0xbb67_ae85], seed)
}

/// Derive a child key from `data`.
#[inline]
pub fn fold(key: Key, data: u32) -> Key {
    let x = mix(key[0] ^ mix(data ^ 0x9e37_79b9));
    let y = mix(key[1].wrapping_add(x));
    [x, y]
}

/// The i-th 32 random bits of a key.
#[inline]
pub fn bits(key: Key, i: u32) -> u32 {
    mix(key[1] ^ mix(key[0].wrapping_add(i.wrapping_mul(0x9e37_79b9))))
}

/// Uniform in [0, 1) on the 2^-24 grid.
#[inline]
pub fn uniform(key: Key, i: u32) -> f32 {
    (bits(key, i) >> 8) as f32 * 5.960_464_5e-8
}

/// Uniform integer in [0, n) without modulo bias; 0 when n = 0.
pub fn below(key: Key, i: u32, n: u32) -> u32 {
    let wide = |b: u32| (b as u64) * (n as u64);
    let mut m = wide(bits(key, i));
    if (m as u32) < n {
        let threshold = n.wrapping_neg() % n.max(1);
        let sub = fold(key, i);
        let mut j = 0;
        while j < 16 && (m as u32) < threshold {
            m = wide(bits(sub, j));
            j += 1;
        }
    }
    (m >> 32) as u32
}

/// Bernoulli(p).
#[inline]
pub fn bernoulli(key: Key, i: u32, p: f32) -> bool {
    uniform(key, i) < p
}

/// Standard normal from draws i and i + 1 (Box-Muller). Devices agree with this only to
/// within their transcendental accuracy: compare with [`NORMAL_TOLERANCE`].
pub fn normal(key: Key, i: u32) -> f32 {
    let u1 = ((bits(key, i) >> 8) + 1) as f32 * 5.960_464_5e-8;
    let u2 = uniform(key, i.wrapping_add(1));
    (-2.0 * u1.ln()).sqrt() * (6.283_185_5 * u2).cos()
}

/// Allowed |gpu - cpu| for a normal draw z: `NORMAL_TOLERANCE * (1 + |z|)`.
pub const NORMAL_TOLERANCE: f32 = 1e-4;

/// Beta(a, b) for positive integers with a + b - 1 <= 32, as the a-th smallest uniform.
pub fn beta_int(key: Key, a: u32, b: u32) -> f32 {
    let n = (a + b - 1).min(32) as usize;
    let u: Vec<f32> = (0..n as u32).map(|i| uniform(key, i)).collect();
    let mut result = 0.0;
    for i in 0..n {
        let rank = (0..n)
            .filter(|&j| u[j] < u[i] || (u[j] == u[i] && j < i))
            .count() as u32;
        if rank == a - 1 {
            result = u[i];
        }
    }
    result
}

/// a * b for a, b in [1, 2) as Q1.31 fixed point, truncated (twin of `rng_mul_q31`).
fn mul_q31(a: u32, b: u32) -> u32 {
    ((a as u64 * b as u64) >> 31) as u32
}

/// 2^(2^k / 256) in Q1.31 for k in 0..8: the factors `exp2_frac_q8` multiplies.
fn exp2_q31_factors() -> [u32; 8] {
    std::array::from_fn(|k| (2f64.powf((1u32 << k) as f64 / 256.0) * 2f64.powi(31)).round() as u32)
}

/// 2^(j/256) for j in 0..256 in integer arithmetic, as the WGSL side computes it.
pub fn exp2_frac_q8(j: u32) -> f32 {
    let factors = exp2_q31_factors();
    let m = (0..8)
        .filter(|k| j & (1 << k) != 0)
        .fold(1u32 << 31, |m, k| mul_q31(m, factors[k]));
    (m >> 8) as f32 * 1.192_092_9e-7
}

/// Log-uniform on [2^(lo/256), 2^(hi/256)], quantised to 1/256 octave (exact).
pub fn log_uniform_q8(key: Key, i: u32, lo: i32, hi: i32) -> f32 {
    let q = lo + below(key, i, (hi - lo) as u32 + 1) as i32;
    exp2_frac_q8((q & 255) as u32) * 2f32.powi(q >> 8)
}

/// Encode a positive value as its log2 in 1/256 octaves, for [`log_uniform_q8`] bounds.
pub fn log2_q8(x: f64) -> i32 {
    (x.log2() * 256.0).round() as i32
}

/// WGSL declarations that `rng.wgsl` needs from the generated prelude.
pub fn wgsl_prelude() -> String {
    exp2_q31_factors()
        .iter()
        .enumerate()
        .map(|(k, c)| format!("const RNG_EXP2_Q31_{k}: u32 = {c:#x}u;\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range_and_handles_zero() {
        let k = key(7);
        for n in [1u32, 2, 3, 7, 100, u32::MAX] {
            for i in 0..200 {
                assert!(below(k, i, n) < n);
            }
        }
        assert_eq!(below(k, 0, 0), 0);
    }

    #[test]
    fn beta_int_one_one_is_a_plain_uniform() {
        let k = key(3);
        assert_eq!(beta_int(k, 1, 1), uniform(k, 0));
    }

    #[test]
    fn exp2_frac_is_within_an_ulp_of_the_true_power() {
        for j in 0..256 {
            let exact = 2f64.powf(j as f64 / 256.0);
            let got = exp2_frac_q8(j) as f64;
            assert!(
                (got - exact).abs() <= 2.0 * 1.2e-7,
                "2^({j}/256): {got} vs {exact}"
            );
        }
    }

    #[test]
    fn log_uniform_hits_its_bounds() {
        let lo = log2_q8(0.01);
        let hi = log2_q8(1.0);
        let k = key(11);
        let draws: Vec<f32> = (0..4000).map(|i| log_uniform_q8(k, i, lo, hi)).collect();
        let min = draws.iter().cloned().fold(f32::MAX, f32::min);
        let max = draws.iter().cloned().fold(f32::MIN, f32::max);
        assert!((0.0099..0.0102).contains(&min), "min {min}");
        assert!((0.98..=1.0).contains(&max), "max {max}");
    }
}
