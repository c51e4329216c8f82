//! Every bad input gets an error that says what was wrong, never a panic.

mod common;

use common::gpu;
use wgym::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use wgym::envs::bandit::BanditParams;
use wgym::envs::four_rooms::FourRoomsParams;
use wgym::rng::Key;
use wgym::{Error, ParamsInit, VecEnv, VecEnvConfig};

fn new_env(id: &str, config: VecEnvConfig) -> Result<VecEnv, Error> {
    VecEnv::new(&gpu(), wgym::make(id).unwrap(), config)
}

fn message(result: Result<VecEnv, Error>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unknown_env_id_lists_the_known_ones() {
    let e = wgym::make("CartPole-v0").err().unwrap().to_string();
    assert!(
        e.contains("CartPole-v0") && e.contains("CartPole-v1") && e.contains("FourRooms-misc"),
        "{e}"
    );
}

#[test]
fn batch_of_zero_is_rejected() {
    let e = message(new_env("FourRooms-misc", VecEnvConfig::new(0, 0)));
    assert!(e.contains("batch size"), "{e}");
}

#[test]
fn batch_over_the_device_limits_names_the_limit() {
    let e = message(new_env("LpgGrid-all", VecEnvConfig::new(u32::MAX, 0)));
    assert!(e.contains("max_") && e.contains("limit"), "{e}");
}

/// Observations are allocated on the first step: a batch too big for them in step mode
/// still rolls out, and stepping it names the limit.
#[test]
fn observation_limits_apply_to_step_mode_only() {
    let gpu = gpu();
    let obs_dim = wgym::make("LpgGrid-all").unwrap().spec().obs_dim as u64;
    let limit = gpu.limits().max_storage_buffer_binding_size;
    let batch = (limit / (4 * obs_dim) + 1).min(1 << 20) as u32;
    if 4 * obs_dim * batch as u64 <= limit {
        return; // a device whose limit even 2^20 envs of this observation fit in
    }
    let mut env = new_env("LpgGrid-all", VecEnvConfig::new(batch, 0)).unwrap();
    env.rollout(2).unwrap();
    assert!(env.rollout_stats().unwrap().len() == batch as usize);
    let e = env.step_random(1).err().unwrap().to_string();
    assert!(
        e.contains("observation buffer") && e.contains("max_storage_buffer_binding_size"),
        "{e}"
    );
}

#[test]
fn bad_workgroup_sizes_are_rejected() {
    for wg in [0, 1 << 20] {
        let config = VecEnvConfig {
            workgroup_size: wg,
            ..VecEnvConfig::new(8, 0)
        };
        let e = message(new_env("FourRooms-misc", config));
        assert!(e.contains("workgroup size"), "{e}");
    }
}

#[test]
fn params_of_the_wrong_size_or_out_of_range_are_rejected() {
    let config = VecEnvConfig {
        params: ParamsInit::Shared(vec![0; 5]),
        ..VecEnvConfig::new(8, 0)
    };
    let e = message(new_env("FourRooms-misc", config));
    assert!(e.contains("5 bytes given"), "{e}");

    let with = |p: FourRoomsParams| {
        let config = VecEnvConfig {
            params: ParamsInit::Shared(bytemuck::bytes_of(&p).to_vec()),
            ..VecEnvConfig::new(8, 0)
        };
        message(new_env("FourRooms-misc", config))
    };
    let e = with(FourRoomsParams {
        fail_prob: 0.9,
        ..Default::default()
    });
    assert!(e.contains("fail_prob"), "{e}");
    let e = with(FourRoomsParams {
        goal_row: 0,
        ..Default::default()
    });
    assert!(e.contains("goal") && e.contains("not a free cell"), "{e}");
}

#[test]
fn bad_bandit_params_name_the_field() {
    let base = BanditParams::<2>::gymnax();
    let cases = [
        (
            BanditParams {
                num_arms: 3,
                ..base
            },
            "num_arms",
        ),
        (
            BanditParams {
                max_steps: 50,
                ..base
            },
            "inv_max_steps",
        ),
        (
            BanditParams {
                reward_prob: 1.5,
                ..base
            },
            "reward_prob",
        ),
        (BanditParams { task: 9, ..base }, "task"),
    ];
    for (params, field) in cases {
        let per_env: Vec<u8> = (0..4)
            .flat_map(|_| bytemuck::bytes_of(&params).to_vec())
            .collect();
        let config = VecEnvConfig {
            params: ParamsInit::PerEnv(per_env),
            ..VecEnvConfig::new(4, 0)
        };
        let e = message(new_env("BernoulliBandit-misc", config));
        assert!(e.contains(field) && e.contains("env 0"), "{field}: {e}");
    }
}

#[test]
fn bad_actions_are_rejected() {
    let mut env = new_env("FourRooms-misc", VecEnvConfig::new(4, 0)).unwrap();
    let e = env.set_actions(&[0, 1, 2]).err().unwrap().to_string();
    assert!(e.contains("3 given for a batch of 4"), "{e}");
    let e = env.set_actions(&[0, 1, 2, 4]).err().unwrap().to_string();
    assert!(e.contains("action 4 of env 3"), "{e}");
    env.set_actions(&[0, 1, 2, 3]).unwrap();
    env.step().unwrap();
}

#[test]
fn bad_state_uploads_are_rejected() {
    let mut env = new_env("FourRooms-misc", VecEnvConfig::new(4, 0)).unwrap();
    let e = env.write_states(&[0; 7]).err().unwrap().to_string();
    assert!(e.contains("7 bytes given"), "{e}");
}

/// An env whose WGSL has a type error on a known line.
struct BrokenEnv;

impl EnvKernel for BrokenEnv {
    type State = [u32; 1];
    type Params = [u32; 1];
    type Action = u32;
    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "Broken".into(),
            obs_dim: 1,
            num_actions: 1,
            action_dim: 0,
            max_steps: 1,
            description: String::new(),
        }
    }
    fn wgsl(&self) -> EnvWgsl {
        EnvWgsl {
            file: "envs/broken/env.wgsl",
            text: "struct EnvState { x: u32 }\nstruct EnvParams { y: u32 }\n\
                   fn env_sample_params(key: Key, p: EnvParams) -> EnvParams { return p; }\n\
                   fn env_reset(key: Key, p: EnvParams) -> EnvState { return EnvState(1.5); }\n",
            consts: vec![("NUM_ACTIONS", 1), ("OBS_DIM", 1), ("OBS_DENSE", 1)],
            prelude: String::new(),
            tables: Vec::new(),
            loop_iterations: 1,
        }
    }
    fn default_params(&self) -> [u32; 1] {
        [0]
    }
    fn check_params(&self, _: &[u32; 1]) -> Result<(), String> {
        Ok(())
    }
    fn reset(&self, _: Key, _: &[u32; 1]) -> [u32; 1] {
        [0]
    }
    fn step(&self, _: Key, s: &[u32; 1], _: u32, _: &[u32; 1]) -> StepOut<[u32; 1]> {
        StepOut {
            state: *s,
            reward: 0.0,
            terminated: false,
            truncated: false,
            success: false,
        }
    }
    fn observe(&self, _: &[u32; 1], _: &[u32; 1], _: &mut [f32]) {}
}

#[test]
fn shader_errors_name_the_file_and_line() {
    let result = VecEnv::new(
        &gpu(),
        std::sync::Arc::new(BrokenEnv),
        VecEnvConfig::new(4, 0),
    );
    match result {
        Err(Error::Shader(e)) => {
            assert_eq!(e.file, "envs/broken/env.wgsl", "{e}");
            // naga's primary label is the struct member (line 1); the offending
            // expression is on line 4 of the env file, not of the composed module.
            assert_eq!(e.line, 1, "{e}");
            assert!(e.message.contains("envs/broken/env.wgsl:4:"), "{e}");
        }
        Err(e) => panic!("expected a shader error, got: {e}"),
        Ok(_) => panic!("a broken shader was accepted"),
    }
}

#[test]
fn unknown_adapter_selector_lists_the_available_adapters() {
    let e = pollster::block_on(wgym::Gpu::open(Some("no-such-gpu-xyz")))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("no-such-gpu-xyz") && e.contains("available"),
        "{e}"
    );
}
