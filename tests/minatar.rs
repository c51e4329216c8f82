//! The MinAtar games: GPU kernels against their CPU twins, bit for bit over long random
//! rollouts with sticky actions on, and game rules on the twin checked against gymnax's
//! (envs/minatar/README.md cites the lines each test follows).

mod common;

use common::*;
use wgym::envs::minatar::asterix::AsterixParams;
use wgym::envs::minatar::breakout::{Breakout, BreakoutParams, BreakoutState};
use wgym::envs::minatar::freeway::FreewayParams;
use wgym::envs::minatar::space_invaders::SpaceInvadersParams;
use wgym::{rng, EnvKernel, ParamsInit};

/// Step kernel and fused rollout against the twin, with per-env params (`params(i)`: sticky
/// actions on, episode limits short enough that episodes end by termination, where the game
/// has one, and by truncation).
fn check_parity(id: &str, params: impl Fn(u32) -> Vec<u8>, batch: u32, steps: u32) {
    let env = wgym::make(id).unwrap();
    let per_env: Vec<u8> = (0..batch).flat_map(&params).collect();
    let init = || ParamsInit::PerEnv(per_env.clone());
    // The twin alone first: rewards, and both ways of ending an episode, occur in this run.
    let mut twin = wgym::CpuVecEnv::new(env.clone(), batch, 3, &per_env).unwrap();
    let (mut rewarded, mut terminated, mut truncated) = (0, 0, 0);
    for _ in 0..steps {
        twin.sample_actions();
        twin.step();
        rewarded += twin.rewards.iter().filter(|&&r| r > 0.0).count();
        terminated += twin.terminated.iter().filter(|&&t| t).count();
        truncated += twin.truncated.iter().filter(|&&t| t).count();
    }
    let never_terminates = id == "Freeway-MinAtar";
    assert!(
        rewarded > 0 && truncated > 0 && (terminated > 0 || never_terminates),
        "{id}: {rewarded} rewards, {terminated} terminations and {truncated} truncations: the \
         test checks too little"
    );

    let (mut g, mut c) = pair(env.clone(), batch, 3, init());
    assert_step_parity(&mut g, &mut c, steps);

    let (mut rolled, mut twin) = pair(env.clone(), batch, 5, init());
    rolled.rollout(steps).unwrap();
    twin.rollout(steps);
    assert_eq!(
        rolled.rollout_stats().unwrap(),
        twin.stats,
        "{id}: rollout stats"
    );
    assert_eq!(
        rolled.states().unwrap(),
        twin.state_bytes(),
        "{id}: rollout states"
    );
    let (mut stepped, _) = pair(env, batch, 5, init());
    stepped.step_random(steps).unwrap();
    assert_eq!(
        stepped.states().unwrap(),
        rolled.states().unwrap(),
        "{id}: fused rollout vs step kernel"
    );
}

fn bytes<T: bytemuck::Pod>(p: T) -> Vec<u8> {
    bytemuck::bytes_of(&p).to_vec()
}

#[test]
fn breakout_matches_twin_with_sticky_actions() {
    let params = |i| {
        bytes(BreakoutParams {
            max_steps: 20 + 20 * (i % 8),
            sticky_action_prob: 0.25,
        })
    };
    check_parity("Breakout-MinAtar", params, 64, 400);
}

#[test]
fn asterix_matches_twin_with_sticky_actions() {
    // Fast ramps, so that the slots fill up and spawns also empty a slot (gymnax's rule
    // when no free slot is found).
    let params = |i| {
        bytes(AsterixParams {
            max_steps: 60 + 60 * (i % 4),
            sticky_action_prob: 0.25,
            ramp_interval: 10,
            ..AsterixParams::default()
        })
    };
    check_parity("Asterix-MinAtar", params, 64, 400);
}

#[test]
fn freeway_matches_twin_with_sticky_actions() {
    // Freeway never terminates; `player_speed` 0 on half the envs lets random play cross.
    let params = |i| {
        bytes(FreewayParams {
            max_steps: 50 + 50 * (i % 4),
            sticky_action_prob: 0.25,
            player_speed: i % 2 * 3,
        })
    };
    check_parity("Freeway-MinAtar", params, 64, 400);
}

#[test]
fn space_invaders_matches_twin_with_sticky_actions() {
    let params = |i| {
        bytes(SpaceInvadersParams {
            max_steps: 60 + 60 * (i % 4),
            sticky_action_prob: 0.25,
            ..SpaceInvadersParams::default()
        })
    };
    check_parity("SpaceInvaders-MinAtar", params, 64, 400);
}

// ---- Breakout (gymnax minatar/breakout.py) ----

const NOOP: u32 = 0;
const LEFT: u32 = 1;
const RIGHT: u32 = 2;

fn breakout(ball: (i32, i32), dir: u32, pos: i32) -> BreakoutState {
    let mut s = Breakout.reset(rng::key(0), &BreakoutParams::default());
    (s.ball_y, s.ball_x) = ball;
    (s.last_y, s.last_x) = ball;
    s.ball_dir = dir;
    s.pos = pos;
    s
}

fn breakout_step(s: &BreakoutState, action: u32) -> wgym::StepOut<BreakoutState> {
    Breakout.step(rng::key(9), s, action, &BreakoutParams::default())
}

#[test]
fn breakout_starts_with_three_brick_rows_and_the_ball_at_either_wall() {
    let mut starts = std::collections::HashSet::new();
    for i in 0..64 {
        let s = Breakout.reset(rng::key(i), &BreakoutParams::default());
        assert_eq!(s.bricks, [0x3ff; 3]);
        assert_eq!((s.ball_y, s.pos), (3, 4));
        starts.insert((s.ball_x, s.ball_dir));
    }
    // (x 0, down-right) or (x 9, down-left), both drawn.
    assert_eq!(starts, [(0, 2), (9, 3)].into_iter().collect());
}

#[test]
fn breakout_paddle_moves_and_stops_at_the_walls() {
    let s = breakout((6, 5), 2, 0);
    assert_eq!(breakout_step(&s, LEFT).state.pos, 0);
    assert_eq!(breakout_step(&s, RIGHT).state.pos, 1);
    assert_eq!(breakout_step(&s, NOOP).state.pos, 0);
    assert_eq!(breakout_step(&breakout((6, 5), 2, 9), RIGHT).state.pos, 9);
}

#[test]
fn breakout_ball_bounces_off_the_walls_and_the_ceiling() {
    // Up-right into the right wall: stays in column 9, now up-left.
    let out = breakout_step(&breakout((5, 9), 1, 0), NOOP).state;
    assert_eq!((out.ball_y, out.ball_x, out.ball_dir), (4, 9, 0));
    // Up-left into the ceiling: stays on row 0, now down-left.
    let out = breakout_step(&breakout((0, 5), 0, 0), NOOP).state;
    assert_eq!((out.ball_y, out.ball_x, out.ball_dir), (0, 4, 3));
    assert_eq!(
        (out.last_y, out.last_x),
        (0, 5),
        "the trail is the previous cell"
    );
}

#[test]
fn breakout_ball_bounces_off_the_paddle_or_ends_the_game() {
    // Landing on the paddle's cell from the side: back the way it came ([2, 3, 0, 1]).
    let out = breakout_step(&breakout((8, 3), 2, 4), NOOP);
    assert_eq!(
        (out.state.ball_y, out.state.ball_x, out.state.ball_dir),
        (8, 4, 0)
    );
    assert!(!out.terminated);
    // Coming from above the paddle: up, keeping its horizontal direction ([3, 2, 1, 0]).
    let out = breakout_step(&breakout((8, 4), 2, 4), NOOP);
    assert_eq!(
        (out.state.ball_y, out.state.ball_x, out.state.ball_dir),
        (8, 5, 1)
    );
    assert!(!out.terminated);
    // The paddle is where it moves to this step: moving under the ball saves it.
    let out = breakout_step(&breakout((8, 3), 2, 5), LEFT);
    assert!(!out.terminated && out.state.ball_dir == 0);
    // Missed: the episode terminates, without reward.
    let out = breakout_step(&breakout((8, 0), 2, 9), NOOP);
    assert!(out.terminated && out.reward == 0.0);
    assert_eq!((out.state.ball_y, out.state.ball_x), (9, 1));
}

#[test]
fn breakout_bricks_pay_one_and_bounce_the_ball_once_per_strike() {
    let s = breakout((4, 3), 1, 0);
    let out = breakout_step(&s, NOOP);
    assert_eq!(out.reward, 1.0);
    assert_eq!(
        out.state.bricks[2],
        0x3ff & !(1 << 4),
        "brick (3, 4) is gone"
    );
    // The ball stays on its row, in the brick's column, now going down-right.
    assert_eq!(
        (out.state.ball_y, out.state.ball_x, out.state.ball_dir),
        (4, 4, 2)
    );
    assert_eq!(out.state.strike, 1);
    // Right after a strike the ball passes into a brick without breaking it.
    let mut again = s;
    again.strike = 1;
    let out = breakout_step(&again, NOOP);
    assert_eq!(out.reward, 0.0);
    assert_eq!(out.state.bricks, [0x3ff; 3]);
    assert_eq!(
        (out.state.ball_y, out.state.ball_x, out.state.ball_dir),
        (3, 4, 1)
    );
    // A step without a brick clears the strike.
    let out = breakout_step(&breakout((6, 3), 1, 0), NOOP);
    assert_eq!(out.state.strike, 0);
}

#[test]
fn breakout_refills_the_bricks_when_the_cleared_ball_reaches_the_bottom() {
    let mut s = breakout((7, 0), 2, 2);
    s.bricks = [0; 3];
    // On row 8: not yet.
    let out = breakout_step(&s, NOOP);
    assert_eq!(out.state.bricks, [0; 3]);
    // Reaching row 9 (here onto the paddle): three full rows again.
    let out = breakout_step(&out.state, NOOP);
    assert_eq!(out.state.bricks, [0x3ff; 3]);
    assert!(!out.terminated);
}

#[test]
fn breakout_observation_is_the_gymnax_channel_grid() {
    let s = breakout((6, 2), 1, 7);
    let mut s = breakout_step(&s, NOOP).state;
    s.bricks = [1, 0, 1 << 9];
    let mut obs = vec![0.0; 400];
    Breakout.observe(&s, &BreakoutParams::default(), &mut obs);
    let cell = |y: usize, x: usize, c: usize| obs[(y * 10 + x) * 4 + c];
    assert_eq!(cell(9, 7, 0), 1.0, "paddle");
    assert_eq!(cell(5, 3, 1), 1.0, "ball");
    assert_eq!(cell(6, 2, 2), 1.0, "trail");
    assert_eq!((cell(1, 0, 3), cell(3, 9, 3)), (1.0, 1.0), "bricks");
    assert_eq!(obs.iter().sum::<f32>(), 5.0);
}

#[test]
fn sticky_actions_repeat_the_last_executed_action() {
    let p = BreakoutParams {
        sticky_action_prob: 1.0,
        ..BreakoutParams::default()
    };
    let mut s = breakout((6, 5), 2, 4);
    s.last_action = LEFT;
    let out = Breakout.step(rng::key(1), &s, RIGHT, &p);
    assert_eq!((out.state.pos, out.state.last_action), (3, LEFT));
    let p = BreakoutParams {
        sticky_action_prob: 0.0,
        ..p
    };
    let out = Breakout.step(rng::key(1), &s, RIGHT, &p);
    assert_eq!((out.state.pos, out.state.last_action), (5, RIGHT));
}
