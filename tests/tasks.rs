//! Task sampling after creation (`VecEnv::sample_tasks`): one concrete task per group of
//! envs, drawn on the GPU, against the CPU twin; and its bad inputs.

mod common;

use std::sync::Arc;

use common::gpu;
use wgym::envs::bandit::{Bandit, BanditParams, TaskDist};
use wgym::envs::lpg_grid::LpgGrid;
use wgym::{rng, CpuVecEnv, Env, ParamsInit, VecEnv, VecEnvConfig};

/// Per-env params drawn on the host with `key`, `group` envs per draw.
fn host_tasks(env: &dyn Env, base: &[u8], batch: u32, key: rng::Key, group: u32) -> Vec<u8> {
    (0..batch)
        .flat_map(|i| env.sample_params_bytes(rng::fold(key, i / group), base))
        .collect()
}

/// Bytes equal, or (Gaussian draws: log/cos on the device) equal as f32 to within 1e-4.
fn assert_same(what: &str, gpu: &[u8], twin: &[u8], exact: bool) {
    if exact {
        assert_eq!(gpu, twin, "{what}");
        return;
    }
    let (g, t): (Vec<f32>, Vec<f32>) = (
        bytemuck::pod_collect_to_vec(gpu),
        bytemuck::pod_collect_to_vec(twin),
    );
    for (k, (a, b)) in g.iter().zip(&t).enumerate() {
        assert!(
            a == b || (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
            "{what}: word {k}: {a} vs {b}"
        );
    }
}

fn check(env: Arc<dyn Env>, base: Vec<u8>, batch: u32, group: u32, exact: bool) {
    let id = env.spec().id;
    let first = host_tasks(env.as_ref(), &base, batch, rng::key(1), group);
    let config = VecEnvConfig {
        params: ParamsInit::PerEnv(first.clone()),
        ..VecEnvConfig::new(batch, 3)
    };
    let mut gpu_env = VecEnv::new(&gpu(), env.clone(), config).unwrap();
    let mut twin = CpuVecEnv::new(env.clone(), batch, 3, &first).unwrap();
    for generation in 0..3 {
        let key = rng::fold(rng::key(9), generation);
        gpu_env.sample_tasks(&base, key, group).unwrap();
        twin.sample_tasks(&base, key, group);
        let params = gpu_env.params().unwrap();
        assert_same(
            &format!("{id}: tasks of generation {generation}"),
            &params,
            &twin.params_bytes(),
            exact,
        );
        let size = env.params_size();
        let task = |i: usize| &params[i * size..(i + 1) * size];
        for i in 0..batch as usize {
            let same_group = (i / group as usize) == 0;
            if same_group {
                assert_eq!(task(i), task(0), "{id}: env {i} is in the first group");
            }
        }
        assert_ne!(
            task(0),
            task(group as usize),
            "{id}: groups draw their own tasks"
        );
        // Stepping on the drawn tasks still matches the twin.
        gpu_env.reset().unwrap();
        twin.reset();
        gpu_env.step_random(5).unwrap();
        for _ in 0..5 {
            twin.sample_actions();
            twin.step();
        }
        assert_same(
            &format!("{id}: states"),
            &gpu_env.states().unwrap(),
            &twin.state_bytes(),
            exact,
        );
    }
}

/// A bandit's task is a fixed set of arm values drawn from its distribution.
#[test]
fn bandit_tasks_match_the_twin() {
    let env = Arc::new(Bandit::<4>::bernoulli());
    let base = BanditParams::<4> {
        num_arms: 4,
        ..BanditParams::gymnax().with_task(TaskDist::Uniform)
    };
    check(env, bytemuck::bytes_of(&base).to_vec(), 12, 3, true);
    let env = Arc::new(Bandit::<2>::gaussian());
    check(env.clone(), env.default_params_bytes(), 8, 2, false);
}

/// An LPG level per pair of envs from GROOVE's generator.
#[test]
fn lpg_levels_match_the_twin() {
    let env: Arc<dyn Env> = Arc::new(LpgGrid::new("rand_all").unwrap());
    check(env.clone(), env.default_params_bytes(), 8, 2, true);
}

#[test]
fn task_sampling_needs_per_env_params_and_a_valid_distribution() {
    let env: Arc<dyn Env> = Arc::new(Bandit::<2>::bernoulli());
    let mut shared = VecEnv::new(&gpu(), env.clone(), VecEnvConfig::new(4, 0)).unwrap();
    let base = env.default_params_bytes();
    let err = shared.sample_tasks(&base, rng::key(0), 2).unwrap_err();
    assert!(err.to_string().contains("per-env params"), "{err}");
    let first = host_tasks(env.as_ref(), &base, 4, rng::key(1), 2);
    let config = VecEnvConfig {
        params: ParamsInit::PerEnv(first),
        ..VecEnvConfig::new(4, 0)
    };
    let mut per_env = VecEnv::new(&gpu(), env.clone(), config).unwrap();
    let err = per_env
        .sample_tasks(&base[..8], rng::key(0), 2)
        .unwrap_err();
    assert!(err.to_string().contains("bytes"), "{err}");
    let mut bad = BanditParams::<2>::gymnax();
    bad.num_arms = 7;
    let err = per_env
        .sample_tasks(bytemuck::bytes_of(&bad), rng::key(0), 2)
        .unwrap_err();
    assert!(err.to_string().contains("num_arms"), "{err}");
}
