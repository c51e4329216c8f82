//! The conformance suite (tests/common/conformance.rs) over every registered env: adding an
//! env to the registry is all it takes to be tested here. Each check is one test, looping
//! over the registry; a test-only env registered at run time gets the whole suite too.

mod common;

use std::sync::Arc;

use common::conformance;
use wgym::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use wgym::rng::Key;
use wgym::Env;

/// Runs `check` on every registered env, or on those whose id contains one of the
/// comma-separated words of `WGYM_CONFORMANCE_ENVS` (to iterate on one env quickly).
fn every_env(check: impl Fn(Arc<dyn Env>)) {
    let only = std::env::var("WGYM_CONFORMANCE_ENVS").unwrap_or_default();
    let selected = |id: &str| only.is_empty() || only.split(',').any(|w| id.contains(w));
    for r in wgym::registry().into_iter().filter(|r| selected(r.id)) {
        eprintln!("{}", r.id);
        check((r.make)());
    }
}

#[test]
fn struct_layouts_match_naga() {
    every_env(conformance::layout);
}

#[test]
fn bad_params_are_rejected() {
    every_env(conformance::bad_params);
}

#[test]
fn random_play_stays_inside_the_spec() {
    every_env(|env| conformance::spec(env, 3));
}

#[test]
fn step_kernel_matches_twin() {
    every_env(|env| conformance::parity(env, 1));
}

#[test]
fn fused_rollout_equals_step_kernel() {
    every_env(|env| conformance::rollout_equals_step(env, 2));
}

#[test]
fn runs_are_deterministic() {
    every_env(conformance::determinism);
}

/// A walk on 0..=LIMIT that ends at either end: an env that exists only in this test.
struct Walk;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct WalkState {
    pos: u32,
    time: u32,
}

impl EnvKernel for Walk {
    type State = WalkState;
    type Params = [u32; 2]; // [limit, max_steps]
    type Action = u32;

    fn spec(&self) -> EnvSpec {
        EnvSpec {
            id: "Walk-test".into(),
            obs_dim: 1,
            num_actions: 2,
            action_dim: 0,
            max_steps: 30,
            description: "a test-only random walk".into(),
        }
    }
    fn wgsl(&self) -> EnvWgsl {
        EnvWgsl {
            file: "tests/conformance.rs",
            text: "struct EnvParams { limit: u32, max_steps: u32, }\n\
                   struct EnvState { pos: u32, time: u32, }\n\
                   fn env_sample_params(key: Key, p: EnvParams) -> EnvParams { return p; }\n\
                   fn env_reset(key: Key, p: EnvParams) -> EnvState {\n\
                       return EnvState(1u + rng_below(key, 0u, p.limit - 1u), 0u);\n}\n\
                   fn env_step(key: Key, s: EnvState, a: Action, p: EnvParams) -> StepOut {\n\
                       let pos = s.pos + 2u * a - 1u;\n\
                       let end = pos == 0u || pos == p.limit;\n\
                       return StepOut(EnvState(pos, s.time + 1u), select(0.0, 1.0, pos == p.limit),\n\
                           end, s.time + 1u >= p.max_steps, pos == p.limit);\n}\n\
                   fn env_observe(s: EnvState, p: EnvParams) { obs_put(0u, f32(s.pos)); }\n",
            consts: vec![("NUM_ACTIONS", 2), ("OBS_DIM", 1), ("OBS_DENSE", 1)],
            prelude: String::new(),
            tables: Vec::new(),
            loop_iterations: 32,
        }
    }
    fn default_params(&self) -> [u32; 2] {
        [6, 30]
    }
    fn check_params(&self, p: &[u32; 2]) -> Result<(), String> {
        match p {
            [2..=1000, 1..=1000] => Ok(()),
            _ => Err(format!(
                "params {p:?}: limit in 2..=1000, max_steps in 1..=1000"
            )),
        }
    }
    fn reset(&self, key: Key, p: &[u32; 2]) -> WalkState {
        WalkState {
            pos: 1 + wgym::rng::below(key, 0, p[0] - 1),
            time: 0,
        }
    }
    fn step(&self, _: Key, s: &WalkState, a: u32, p: &[u32; 2]) -> StepOut<WalkState> {
        let pos = s.pos + 2 * a - 1;
        StepOut {
            state: WalkState {
                pos,
                time: s.time + 1,
            },
            reward: if pos == p[0] { 1.0 } else { 0.0 },
            terminated: pos == 0 || pos == p[0],
            truncated: s.time + 1 >= p[1],
            success: pos == p[0],
        }
    }
    fn observe(&self, s: &WalkState, _: &[u32; 2], obs: &mut [f32]) {
        obs[0] = s.pos as f32;
    }
    fn obs_bounds(&self, p: &[u32; 2]) -> Option<(Vec<f32>, Vec<f32>)> {
        Some((vec![0.0], vec![p[0] as f32]))
    }
}

/// One folder and one registry line is all an env needs: one registered only here is
/// listed by the registry, built by `make`, and passes every check of the suite.
#[test]
fn an_env_registered_in_a_test_gets_the_whole_suite() {
    wgym::register(wgym::Registered {
        id: "Walk-test",
        make: || Arc::new(Walk),
    })
    .unwrap();
    assert!(wgym::registry().iter().any(|r| r.id == "Walk-test"));
    let again = wgym::register(wgym::Registered {
        id: "Walk-test",
        make: || Arc::new(Walk),
    });
    assert!(again
        .unwrap_err()
        .to_string()
        .contains("already registered"));
    conformance::check_env(wgym::make("Walk-test").unwrap());
}
