//! Regression tracking of env-steps/s per env family and mode at batch 4096, on the adapter
//! wgpu picks (WGYM_ADAPTER to choose). `wgym bench` is the user-facing suite.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wgym::{Gpu, VecEnv, VecEnvConfig};

const BATCH: u32 = 4096;
const STEPS: u32 = 256;

fn env_steps(c: &mut Criterion) {
    let gpu = Gpu::new().expect("a wgpu adapter (install mesa-vulkan-drivers)");
    let mut group = c.benchmark_group(format!("env_steps/{}", gpu.adapter_name()));
    group
        .throughput(Throughput::Elements((BATCH * STEPS) as u64))
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for id in [
        "BernoulliBandit-misc",
        "GaussianBandit-misc",
        "FourRooms-misc",
        "LpgGrid-dense",
        "LpgGrid-all",
        "CartPole-v1",
        "Acrobot-v1",
        "Pendulum-v1",
        "MetaMaze-misc",
    ] {
        let env = wgym::make(id).expect("registered");
        let mut vec_env = VecEnv::new(&gpu, env, VecEnvConfig::new(BATCH, 0)).expect("VecEnv");
        group.bench_function(format!("{id}/step"), |b| {
            b.iter(|| {
                vec_env.step_random(STEPS).unwrap();
                vec_env.wait().unwrap();
            })
        });
        group.bench_function(format!("{id}/rollout"), |b| {
            b.iter(|| {
                vec_env.rollout(STEPS).unwrap();
                vec_env.wait().unwrap();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, env_steps);
criterion_main!(benches);
