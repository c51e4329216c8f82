//! Hand-checked transitions against each env's README spec (gymnax's rules), on the CPU
//! twins; the parity tests tie the GPU kernels to the twins.

use wgym::env::EnvKernel;
use wgym::envs::bandit::{Bandit, BanditParams};
use wgym::envs::four_rooms::{FourRooms, FourRoomsParams, FourRoomsState};
use wgym::rng;

fn observe<E: EnvKernel>(env: &E, s: &E::State, p: &E::Params) -> Vec<f32> {
    let mut obs = vec![0.0; env.spec().obs_dim as usize];
    env.observe(s, p, &mut obs);
    obs
}

#[test]
fn bandit_observation_and_time_limit_follow_gymnax() {
    let env = Bandit::<2>::bernoulli();
    let p = BanditParams::<2>::gymnax();
    let mut s = env.reset(rng::key(0), &p);
    assert_eq!(
        observe(&env, &s, &p),
        [0.0, 1.0, 0.0, -1.0],
        "reset observation"
    );
    for t in 1..=100u32 {
        let out = env.step(rng::key(t), &s, 1, &p);
        s = out.state;
        let obs = observe(&env, &s, &p);
        assert_eq!(obs[..3], [out.reward, 0.0, 1.0], "step {t}");
        // 2t/T - 1, computed as (2t - T) * (1/T): within an ulp of the exact quotient.
        let want = (2 * t as i32 - 100) as f32 / 100.0;
        assert!(
            (obs[3] - want).abs() <= f32::EPSILON,
            "time feature {} at step {t}",
            obs[3]
        );
        assert!(!out.terminated);
        assert_eq!(out.truncated, t == 100, "truncation at step {t}");
    }
}

#[test]
fn bandit_pays_at_the_arm_probability() {
    let env = Bandit::<2>::bernoulli();
    let p = BanditParams::<2>::gymnax();
    let (mut pulls, mut paid) = (0.0, 0.0);
    for i in 0..20_000u32 {
        let s = env.reset(rng::fold(rng::key(1), i), &p);
        let best = if s.values[0] > s.values[1] { 0 } else { 1 };
        paid += env.step(rng::fold(rng::key(2), i), &s, best, &p).reward;
        pulls += 1.0;
    }
    assert!(
        (paid / pulls - 0.9f32).abs() < 0.01,
        "best arm pays {}",
        paid / pulls
    );
}

#[test]
fn four_rooms_moves_walls_goal_and_time_limit_follow_gymnax() {
    let env = FourRooms;
    let p = FourRoomsParams {
        fail_prob: 0.0,
        ..Default::default()
    };
    let s = env.reset(rng::key(0), &p);
    assert_eq!(
        (s.row, s.col, s.goal_row, s.goal_col),
        (4, 1, 8, 9),
        "gymnax's fixed start and goal"
    );
    assert_eq!(observe(&env, &s, &p), [4.0, 1.0, 8.0, 9.0]);
    // 0 up, 1 right, 2 down, 3 left; (4, 0) is a wall.
    let moves = [(0, (3, 1)), (1, (4, 2)), (2, (5, 1)), (3, (4, 1))];
    for (action, want) in moves {
        let out = env.step(rng::key(1), &s, action, &p);
        assert_eq!((out.state.row, out.state.col), want, "action {action}");
        assert_eq!(out.reward, 0.0);
    }
    let next_to_goal = FourRoomsState {
        row: 8,
        col: 8,
        ..s
    };
    let out = env.step(rng::key(2), &next_to_goal, 1, &p);
    assert_eq!(
        (out.reward, out.terminated),
        (1.0, true),
        "reaching the goal"
    );
    let last = FourRoomsState { time: 499, ..s };
    let out = env.step(rng::key(3), &last, 3, &p);
    assert!(out.truncated && !out.terminated, "truncated at step 500");
}

#[test]
fn four_rooms_slips_to_each_other_direction_with_fail_prob_over_three() {
    let env = FourRooms;
    let p = FourRoomsParams::default(); // fail_prob 1/3
    let s = FourRoomsState {
        row: 2,
        col: 2,
        goal_row: 8,
        goal_col: 9,
        time: 0,
    };
    let mut counts = [0u32; 4]; // up, right, down, left outcomes of "up"
    let n = 30_000;
    for i in 0..n {
        let out = env.step(rng::key(i), &s, 0, &p);
        let k = match (out.state.row, out.state.col) {
            (1, 2) => 0,
            (2, 3) => 1,
            (3, 2) => 2,
            (2, 1) => 3,
            other => panic!("moved to {other:?}"),
        };
        counts[k] += 1;
    }
    let f = |c: u32| c as f64 / n as f64;
    assert!((f(counts[0]) - 2.0 / 3.0).abs() < 0.015, "{counts:?}");
    for &c in &counts[1..] {
        assert!((f(c) - 1.0 / 9.0).abs() < 0.015, "{counts:?}");
    }
}
