//! The GPU random stream (shaders/rng.wgsl) against its Rust twin (src/rng.rs), and
//! statistical checks of the GPU stream itself. Seeds are fixed, so every check is
//! deterministic; bounds are 5 standard errors or more.

mod common;

use wgym::rng;
use wgym::shader::{const_prelude, Composed, Part, RNG_WGSL};

const DRAWS_PER_KEY: usize = 8;
const BELOW_N: u32 = 7;
const LOG_LO: f64 = 0.001;
const LOG_HI: f64 = 0.1;

const KERNEL: &str = r#"
@group(0) @binding(0) var<storage, read_write> out_bits: array<u32>;
@group(0) @binding(1) var<storage, read_write> out_f32: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if i >= COUNT {
        return;
    }
    let key = rng_fold(rng_key(SEED), i);
    let o = i * 8u;
    out_bits[o + 0u] = rng_bits(key, 0u);
    out_bits[o + 1u] = rng_below(key, 1u, BELOW_N);
    out_bits[o + 2u] = rng_below(key, 2u, 0xfffffffbu);
    out_bits[o + 3u] = u32(rng_bernoulli(key, 3u, 0.3));
    out_f32[o + 0u] = rng_uniform(key, 4u);
    out_f32[o + 1u] = rng_normal(key, 5u);
    out_f32[o + 2u] = rng_beta_int(rng_fold(key, 7u), 2u, 5u);
    out_f32[o + 3u] = rng_log_uniform_q8(key, 8u, LOG_LO, LOG_HI);
}
"#;

struct Draws {
    bits: Vec<u32>,
    floats: Vec<f32>,
}

fn gpu_draws(seed: u32, count: u32) -> Draws {
    let gpu = common::gpu();
    let consts = const_prelude(&[("COUNT", count), ("SEED", seed), ("BELOW_N", BELOW_N)]);
    let bounds = format!(
        "const LOG_LO: i32 = {};\nconst LOG_HI: i32 = {};\n",
        rng::log2_q8(LOG_LO),
        rng::log2_q8(LOG_HI)
    );
    let module = Composed::new(&[
        Part::new("<test prelude>", consts + &bounds + &rng::wgsl_prelude()),
        Part::new(RNG_WGSL.0, RNG_WGSL.1),
        Part::new("tests/rng.rs", KERNEL),
    ])
    .expect("rng test kernel validates");
    let len = count as usize * DRAWS_PER_KEY;
    let bits = wgym::buffer::GpuBuffer::<u32>::zeroed(&gpu, "bits", len).unwrap();
    let floats = wgym::buffer::GpuBuffer::<f32>::zeroed(&gpu, "floats", len).unwrap();
    let shader = gpu
        .device
        .create_shader_module(wgpu::ShaderModuleDescriptor {
            label: None,
            source: wgpu::ShaderSource::Wgsl(module.text.as_str().into()),
        });
    let pipeline = gpu
        .device
        .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: None,
            layout: None,
            module: &shader,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
    let bind_group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: bits.buffer.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: floats.buffer.as_entire_binding(),
            },
        ],
    });
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(count.div_ceil(64), 1, 1);
    }
    gpu.queue.submit([encoder.finish()]);
    Draws {
        bits: bits.read(&gpu).unwrap(),
        floats: floats.read(&gpu).unwrap(),
    }
}

fn column<T: Copy>(v: &[T], k: usize) -> Vec<T> {
    v.chunks(DRAWS_PER_KEY).map(|c| c[k]).collect()
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

#[test]
fn gpu_stream_matches_rust_twin() {
    let (seed, count) = (42, 4096);
    let d = gpu_draws(seed, count);
    let (lo, hi) = (rng::log2_q8(LOG_LO), rng::log2_q8(LOG_HI));
    for i in 0..count {
        let key = rng::fold(rng::key(seed), i);
        let o = i as usize * DRAWS_PER_KEY;
        let want_bits = [
            rng::bits(key, 0),
            rng::below(key, 1, BELOW_N),
            rng::below(key, 2, 0xffff_fffb),
            rng::bernoulli(key, 3, 0.3) as u32,
        ];
        assert_eq!(d.bits[o..o + 4], want_bits, "integer draws of key {i}");
        let exact = [
            rng::uniform(key, 4),
            d.floats[o + 1], // the normal, checked below with its tolerance
            rng::beta_int(rng::fold(key, 7), 2, 5),
            rng::log_uniform_q8(key, 8, lo, hi),
        ];
        assert_eq!(d.floats[o..o + 4], exact, "float draws of key {i}");
        let z = rng::normal(key, 5);
        let tolerance = rng::NORMAL_TOLERANCE * (1.0 + z.abs());
        assert!(
            (d.floats[o + 1] - z).abs() <= tolerance,
            "normal of key {i}: gpu {} cpu {z}",
            d.floats[o + 1]
        );
    }
}

#[test]
fn gpu_uniforms_have_the_right_moments_and_no_runs_bias() {
    let n = 1 << 16;
    let d = gpu_draws(7, n);
    let u: Vec<f64> = column(&d.floats, 0).iter().map(|&x| x as f64).collect();
    let se = (1.0 / 12.0 / n as f64).sqrt();
    let (mean, var) = mean_var(&u);
    assert!((mean - 0.5).abs() < 5.0 * se, "uniform mean {mean}");
    // Var of the sample variance of U(0,1) is (1/80 - 1/144) / n.
    let var_se = ((1.0 / 80.0 - 1.0 / 144.0) / n as f64).sqrt();
    assert!(
        (var - 1.0 / 12.0).abs() < 5.0 * var_se,
        "uniform variance {var}"
    );
    assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));

    // Wald-Wolfowitz runs test above/below 0.5, across consecutive env keys.
    let above: Vec<bool> = u.iter().map(|&x| x >= 0.5).collect();
    let n1 = above.iter().filter(|&&a| a).count() as f64;
    let n2 = n as f64 - n1;
    let runs = 1 + above.windows(2).filter(|w| w[0] != w[1]).count();
    let expected = 2.0 * n1 * n2 / (n1 + n2) + 1.0;
    let variance = (expected - 1.0) * (expected - 2.0) / (n1 + n2 - 1.0);
    let z = (runs as f64 - expected) / variance.sqrt();
    assert!(z.abs() < 5.0, "runs test z = {z}");

    // Neighbouring keys are uncorrelated.
    let pairs: Vec<(f64, f64)> = u.windows(2).map(|w| (w[0] - 0.5, w[1] - 0.5)).collect();
    let corr = pairs.iter().map(|(a, b)| a * b).sum::<f64>() / pairs.len() as f64 * 12.0;
    assert!(
        corr.abs() < 5.0 / (n as f64).sqrt(),
        "lag-1 correlation {corr}"
    );
}

#[test]
fn gpu_integers_bernoulli_normals_and_betas_have_the_right_distributions() {
    let n = 1 << 16;
    let d = gpu_draws(9, n);
    // rng_below(7): chi-square with 6 degrees of freedom; 40 is beyond p = 1e-6.
    let mut counts = [0f64; BELOW_N as usize];
    for v in column(&d.bits, 1) {
        counts[v as usize] += 1.0;
    }
    let expected = n as f64 / BELOW_N as f64;
    let chi2: f64 = counts
        .iter()
        .map(|c| (c - expected).powi(2) / expected)
        .sum();
    assert!(chi2 < 40.0, "below(7) chi-square {chi2}, counts {counts:?}");

    let p = column(&d.bits, 3).iter().sum::<u32>() as f64 / n as f64;
    assert!(
        (p - 0.3).abs() < 5.0 * (0.21 / n as f64).sqrt(),
        "bernoulli(0.3) rate {p}"
    );

    let z: Vec<f64> = column(&d.floats, 1).iter().map(|&x| x as f64).collect();
    let (mean, var) = mean_var(&z);
    assert!(mean.abs() < 5.0 / (n as f64).sqrt(), "normal mean {mean}");
    assert!(
        (var - 1.0).abs() < 5.0 * (2.0 / n as f64).sqrt(),
        "normal variance {var}"
    );

    // Beta(2, 5): mean 2/7, variance 10 / (49 * 8).
    let b: Vec<f64> = column(&d.floats, 2).iter().map(|&x| x as f64).collect();
    let (mean, var) = mean_var(&b);
    let beta_var = 10.0 / (49.0 * 8.0);
    assert!(
        (mean - 2.0 / 7.0).abs() < 5.0 * (beta_var / n as f64).sqrt(),
        "beta mean {mean}"
    );
    assert!((var - beta_var).abs() < 0.002, "beta variance {var}");

    // Log-uniform on [0.001, 0.1]: log10 is uniform on [-3, -1].
    let l: Vec<f64> = column(&d.floats, 3)
        .iter()
        .map(|&x| (x as f64).log10())
        .collect();
    let (mean, _) = mean_var(&l);
    assert!(
        (mean + 2.0).abs() < 5.0 * (4.0 / 12.0 / n as f64).sqrt(),
        "log10 mean {mean}"
    );
    assert!(l.iter().all(|&x| (-3.001..=-0.999).contains(&x)));
}
