//! GPU kernels against their CPU twins beyond what the conformance suite
//! (tests/conformance.rs) checks for every env with its default params: non-default and
//! per-env params, rollouts past lavapipe's loop limit, shared random streams.

mod common;

use common::*;
use wgym::envs::bandit::{Bandit, BanditParams, TaskDist};
use wgym::envs::four_rooms::FourRoomsParams;
use wgym::{rng, ParamsInit};

#[test]
fn four_rooms_with_resampled_start_and_goal_matches_twin() {
    let params = FourRoomsParams {
        resample_goal_pos: 1,
        resample_init_pos: 1,
        max_steps: 60,
        ..Default::default()
    };
    let init = ParamsInit::Shared(bytemuck::bytes_of(&params).to_vec());
    let (mut g, mut c) = pair(wgym::make("FourRooms-misc").unwrap(), 200, 3, init);
    assert_step_parity(&mut g, &mut c, 130);
    // Resampling really happens: many distinct goals across the batch.
    let states: Vec<wgym::envs::four_rooms::FourRoomsState> =
        bytemuck::pod_collect_to_vec(&c.state_bytes());
    let goals: std::collections::HashSet<_> =
        states.iter().map(|s| (s.goal_row, s.goal_col)).collect();
    assert!(goals.len() > 50, "only {} distinct goals", goals.len());
}

/// Per-env task distributions: each env of the batch draws its arms differently.
#[test]
fn bandit_task_distributions_per_env_match_twin() {
    let env = std::sync::Arc::new(Bandit::<5>::bernoulli());
    let base = BanditParams::<5>::gymnax().with_max_steps(20);
    let mut per_env = Vec::new();
    for i in 0..160u32 {
        let mut p = BanditParams {
            num_arms: 2 + i % 4,
            ..base
        };
        p = match i % 4 {
            0 => p.with_task(TaskDist::Uniform),
            1 => BanditParams {
                beta_a: 2,
                beta_b: 3,
                ..p.with_task(TaskDist::Beta)
            },
            2 => BanditParams {
                best_arm: 1,
                best_value: 0.9,
                ..p.with_task(TaskDist::Structured)
            },
            _ => {
                let mut q = p.with_task(TaskDist::Fixed);
                q.values[..5].copy_from_slice(&[0.1, 0.2, 0.3, 0.4, 0.5]);
                q
            }
        };
        per_env.extend_from_slice(bytemuck::bytes_of(&p));
    }
    let (mut g, mut c) = pair(env, 160, 5, ParamsInit::PerEnv(per_env));
    assert_step_parity(&mut g, &mut c, 45);
}

#[test]
fn gymnax_bandit_draws_its_two_arms_from_the_reward_prob_coin() {
    let b = Bandit::<2>::bernoulli();
    let p = BanditParams::<2>::gymnax();
    let mut arm0_good = 0;
    for i in 0..1000 {
        let s = wgym::EnvKernel::reset(&b, rng::fold(rng::key(1), i), &p);
        let v = [s.values[0], s.values[1]];
        assert!(v == [0.1, 0.9] || v == [0.9, 0.1], "arms {v:?}");
        arm0_good += (v[0] == 0.9) as u32;
    }
    assert!((400..600).contains(&arm0_good));
}

/// Long fused rollouts in one call: lavapipe ends any invocation's loops after 65535
/// iterations in all, so a rollout longer than that budget must be split into dispatches
/// (`VecEnv::rollout` does) or it silently stops early.
#[test]
fn rollouts_longer_than_lavapipes_loop_limit_match_the_twin() {
    for id in ["BernoulliBandit-misc", "FourRooms-misc", "LpgGrid-dense"] {
        let env = wgym::make(id).unwrap();
        let (mut g, mut c) = pair(env, 2, 2, ParamsInit::Default);
        g.rollout(70_000).unwrap();
        c.rollout(70_000);
        assert_eq!(
            g.states().unwrap(),
            c.state_bytes(),
            "{id}: states after 70000 steps"
        );
        assert_eq!(g.rollout_stats().unwrap(), c.stats, "{id}: rollout stats");
    }
}

/// Shared random streams (common random numbers): envs in corresponding places of a
/// group's blocks replay the same randomness, in the step kernel as in the twin.
#[test]
fn shared_random_streams_match_twin() {
    use wgym::driver::Streams;
    let env = wgym::make("FourRooms-misc").unwrap();
    let streams = Streams { block: 3, group: 9 };
    let params = FourRoomsParams {
        max_steps: 15,
        ..Default::default()
    };
    let bytes = bytemuck::bytes_of(&params).to_vec();
    let config = wgym::VecEnvConfig {
        streams,
        params: ParamsInit::Shared(bytes.clone()),
        ..wgym::VecEnvConfig::new(18, 4)
    };
    let mut g = wgym::VecEnv::new(&gpu(), env.clone(), config).unwrap();
    let mut c = wgym::CpuVecEnv::new(env.clone(), 18, 4, &bytes).unwrap();
    c.set_streams(streams);
    assert_step_parity(&mut g, &mut c, 40);
    // Env 1 and env 4 (block 0 and 1 of group 0) replay the same steps; env 10 (group 1)
    // has its own.
    let states = c.state_bytes();
    let size = states.len() / 18;
    let s = |i: usize| &states[i * size..(i + 1) * size];
    assert_eq!(s(1), s(4));
    assert_eq!(s(1), s(7));
    assert_ne!(s(1), s(10));

    let bad = wgym::VecEnvConfig {
        streams: Streams { block: 4, group: 9 },
        ..wgym::VecEnvConfig::new(18, 4)
    };
    let err = wgym::VecEnv::new(&gpu(), env, bad)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("whole number of blocks"), "{err}");
}
