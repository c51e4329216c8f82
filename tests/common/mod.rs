//! Shared test fixtures: one GPU per test process, and GPU-vs-twin comparison helpers.
#![allow(dead_code)]

use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

use wgym::{CpuVecEnv, Env, Gpu, ParamsInit, VecEnv, VecEnvConfig};

/// The adapter wgpu finds (lavapipe on machines without a GPU). Tests never skip for lack of
/// a GPU: the CPU adapter is a real adapter.
pub fn gpu() -> Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| Gpu::new().expect("a wgpu adapter (install mesa-vulkan-drivers)"))
        .clone()
}

pub fn pair(env: Arc<dyn Env>, batch: u32, seed: u32, params: ParamsInit) -> (VecEnv, CpuVecEnv) {
    pair_wg(env, batch, seed, params, 64)
}

pub fn pair_wg(
    env: Arc<dyn Env>,
    batch: u32,
    seed: u32,
    params: ParamsInit,
    workgroup_size: u32,
) -> (VecEnv, CpuVecEnv) {
    let twin_params = match &params {
        ParamsInit::Default => env.default_params_bytes(),
        ParamsInit::Shared(b) | ParamsInit::PerEnv(b) => b.clone(),
    };
    let config = VecEnvConfig {
        workgroup_size,
        params,
        ..VecEnvConfig::new(batch, seed)
    };
    let gpu_env = VecEnv::new(&gpu(), env.clone(), config).expect("VecEnv::new");
    let cpu_env = CpuVecEnv::new(env, batch, seed, &twin_params).expect("CpuVecEnv::new");
    (gpu_env, cpu_env)
}

/// Steps with random actions drawn by the GPU's sample_actions kernel and its twin, checking
/// after each step that everything a user can read back is identical.
pub fn assert_step_parity(gpu_env: &mut VecEnv, cpu_env: &mut CpuVecEnv, steps: u32) {
    assert_eq!(
        gpu_env.states().unwrap(),
        cpu_env.state_bytes(),
        "states after reset"
    );
    assert_eq!(gpu_env.obs().unwrap(), cpu_env.obs, "obs after reset");
    let mut finished = 0;
    for t in 0..steps {
        gpu_env.step_random(1).unwrap();
        cpu_env.sample_actions();
        cpu_env.step();
        assert_eq!(
            gpu_env.actions().unwrap(),
            cpu_env.actions,
            "actions at step {t}"
        );
        assert_eq!(
            gpu_env.rewards().unwrap(),
            cpu_env.rewards,
            "rewards at step {t}"
        );
        let terminated = gpu_env.terminated().unwrap();
        let truncated = gpu_env.truncated().unwrap();
        assert_eq!(terminated, cpu_env.terminated, "terminated at step {t}");
        assert_eq!(truncated, cpu_env.truncated, "truncated at step {t}");
        let success = gpu_env.success().unwrap();
        assert_eq!(success, cpu_env.success, "success at step {t}");
        assert_eq!(gpu_env.obs().unwrap(), cpu_env.obs, "obs at step {t}");
        assert_eq!(
            gpu_env.states().unwrap(),
            cpu_env.state_bytes(),
            "states at step {t}"
        );
        let d = gpu_env.spec().obs_dim as usize;
        let final_obs = gpu_env.final_obs().unwrap();
        for i in 0..terminated.len() {
            if terminated[i] || truncated[i] {
                finished += 1;
                assert_eq!(
                    final_obs[i * d..(i + 1) * d],
                    cpu_env.final_obs[i * d..(i + 1) * d],
                    "final obs of env {i} at step {t}"
                );
            }
        }
    }
    assert!(
        finished > 0,
        "no episode ended in {steps} steps: the test checks too little"
    );
}

/// Run the `wgym` binary.
pub fn wgym(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wgym"))
        .args(args)
        .output()
        .expect("the wgym binary runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A PNG plot that decodes, at wgym's width (one panel or a stack of them), with axes and
/// text drawn and (`lines`) lines in the first two palette colours (one may hide the other).
pub fn assert_plot(path: &std::path::Path, lines: bool) {
    let image = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    let (width, height) = image.dimensions();
    assert!(width == 900 && height >= 540, "{}", path.display());
    let black = image.pixels().filter(|p| p.0 == [0, 0, 0]).count();
    assert!(
        black > 500,
        "{}: no axes or text ({black} black pixels)",
        path.display()
    );
    let drawn = image
        .pixels()
        .filter(|p| p.0 == [31, 119, 180] || p.0 == [214, 39, 40])
        .count();
    assert!(
        !lines || drawn > 200,
        "{}: only {drawn} pixels of lines",
        path.display()
    );
}

/// A fresh scratch directory for one test of one test binary.
pub fn scratch(binary: &str, name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wgym-{binary}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
pub mod conformance;
