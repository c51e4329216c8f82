//! The MinAtar games: GPU kernels against their CPU twins, bit for bit over long random
//! rollouts with sticky actions on, and game rules on the twin checked against gymnax's
//! (envs/minatar/README.md cites the lines each test follows).

mod common;

use common::*;
use wgym::envs::minatar::asterix::{
    Asterix, AsterixParams, AsterixState, FILLED, GOLD, MOVES_RIGHT,
};
use wgym::envs::minatar::breakout::{Breakout, BreakoutParams, BreakoutState};
use wgym::envs::minatar::freeway::{Freeway, FreewayParams, FreewayState};
use wgym::envs::minatar::space_invaders::{
    SpaceInvaders, SpaceInvadersParams, SpaceInvadersState, FIRST_WAVE, LATER_WAVE,
};
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

// ---- Freeway (gymnax minatar/freeway.py) ----

const UP: u32 = 1;

/// A fresh Freeway whose cars stand still at column 0 (a huge timer) unless a test moves them.
fn freeway_still() -> FreewayState {
    let mut s = Freeway.reset(rng::key(0), &FreewayParams::default());
    s.car_x = [0; 8];
    s.car_timer = [1 << 20; 8];
    s
}

fn freeway_step(s: &FreewayState, action: u32) -> wgym::StepOut<FreewayState> {
    Freeway.step(rng::key(5), s, action, &FreewayParams::default())
}

#[test]
fn freeway_starts_at_the_bottom_with_random_car_speeds() {
    let mut speeds = std::collections::HashSet::new();
    for i in 0..200 {
        let s = Freeway.reset(rng::key(i), &FreewayParams::default());
        assert_eq!((s.pos, s.move_timer, s.car_x), (9, 3, [0; 8]));
        for c in 0..8 {
            assert!((1..=5).contains(&s.car_speed[c].abs()));
            assert_eq!(s.car_timer[c], s.car_speed[c].abs());
            speeds.insert(s.car_speed[c]);
        }
    }
    assert_eq!(
        speeds.len(),
        10,
        "speeds 1..=5 in both directions: {speeds:?}"
    );
}

#[test]
fn freeway_chicken_moves_every_third_step_and_scores_at_the_top() {
    let mut s = freeway_still();
    let mut rows = Vec::new();
    for t in 1..=28 {
        let out = freeway_step(&s, UP);
        assert_eq!(out.reward, if t == 28 { 1.0 } else { 0.0 }, "step {t}");
        assert!(!out.terminated && !out.truncated);
        s = out.state;
        rows.push(s.pos);
    }
    // The timer starts at player_speed = 3: the first move at step 4, then every 3 steps.
    assert_eq!(&rows[..8], &[9, 9, 9, 8, 8, 8, 7, 7]);
    // Across at step 28: back to the bottom, the cars keep their places but get new speeds.
    assert_eq!(s.pos, 9);
    assert_eq!(s.car_x, [0; 8]);
    // Their timers restart at the new speeds (1..=5), and counted down once this step.
    assert!(s.car_timer.iter().all(|&t| (0..=4).contains(&t)));
}

#[test]
fn freeway_cars_move_every_speed_plus_one_steps_and_wrap_around() {
    let mut s = freeway_still();
    s.car_speed[2] = -2;
    s.car_timer[2] = 2;
    let mut xs = Vec::new();
    for _ in 0..6 {
        s = freeway_step(&s, NOOP).state;
        xs.push(s.car_x[2]);
    }
    assert_eq!(xs, [0, 0, 9, 9, 9, 8]);
}

#[test]
fn freeway_cars_push_the_chicken_back_to_the_bottom() {
    // Standing in the car's cell (row 5 is car 4's lane, column 4 the chicken's).
    let mut s = freeway_still();
    s.pos = 5;
    s.car_x[4] = 4;
    assert_eq!(freeway_step(&s, NOOP).state.pos, 9);
    // A car driving into the chicken.
    let mut s = freeway_still();
    s.pos = 5;
    s.car_x[4] = 3;
    s.car_speed[4] = 1;
    s.car_timer[4] = 0;
    let out = freeway_step(&s, NOOP);
    assert_eq!((out.state.pos, out.state.car_x[4], out.reward), (9, 4, 0.0));
    assert!(!out.terminated);
    // A car in another lane does nothing.
    s.pos = 6;
    assert_eq!(freeway_step(&s, NOOP).state.pos, 6);
}

#[test]
fn freeway_observation_shows_speed_and_direction_as_trail_channels() {
    let mut s = freeway_still();
    s.pos = 7;
    s.car_x[0] = 0;
    s.car_speed[0] = 3; // right: the trail is behind, wrapped to column 9
    s.car_x[1] = 6;
    s.car_speed[1] = -5; // left: the trail is at column 7
    let mut obs = vec![0.0; 700];
    Freeway.observe(&s, &FreewayParams::default(), &mut obs);
    let cell = |y: usize, x: usize, c: usize| obs[(y * 10 + x) * 7 + c];
    assert_eq!(cell(7, 4, 0), 1.0, "chicken");
    assert_eq!((cell(1, 0, 1), cell(1, 9, 4)), (1.0, 1.0), "car 0, speed 3");
    assert_eq!((cell(2, 6, 1), cell(2, 7, 6)), (1.0, 1.0), "car 1, speed 5");
    assert_eq!(obs.iter().sum::<f32>(), 1.0 + 2.0 * 8.0);
}

// ---- Space Invaders (gymnax minatar/space_invaders.py) ----

const FIRE: u32 = 3;

fn invaders(params: &SpaceInvadersParams) -> SpaceInvadersState {
    SpaceInvaders.reset(rng::key(0), params)
}

/// Aliens that never shoot, so that a test of something else is not ended by a bullet.
fn peaceful() -> SpaceInvadersParams {
    SpaceInvadersParams {
        enemy_shot_interval: 1 << 30,
        ..SpaceInvadersParams::default()
    }
}

#[test]
fn space_invaders_aliens_march_sideways_then_down_and_turn() {
    let p = peaceful();
    let mut s = invaders(&p);
    assert_eq!(s.aliens[..4], [FIRST_WAVE; 4]);
    assert_eq!((s.pos, s.alien_dir), (5, -1));
    let mut moves = Vec::new();
    for t in 1..=52 {
        let next = SpaceInvaders.step(rng::key(0), &s, NOOP, &p).state;
        if next.aliens != s.aliens {
            moves.push((t, next.aliens, next.alien_dir));
        }
        s = next;
    }
    // The timer starts at 12 and counts down to 0: the first move at step 13, then every 12
    // steps (it restarts at 12 in the step it counts down in). Left, left, then at the wall
    // one row down and turn, then right.
    let rows = |m: u32, first: usize| {
        let mut a = [0u32; 10];
        a[first..first + 4].fill(m);
        a
    };
    assert_eq!(
        moves,
        [
            (13, rows(FIRST_WAVE >> 1, 0), -1),
            (25, rows(FIRST_WAVE >> 2, 0), -1),
            (37, rows(FIRST_WAVE >> 2, 1), 1),
            (49, rows(FIRST_WAVE >> 1, 1), 1),
        ]
    );
}

#[test]
fn space_invaders_cannon_shoots_with_a_cool_down_and_kills_pay_one() {
    let p = peaceful();
    let s = invaders(&p);
    let out = SpaceInvaders.step(rng::key(0), &s, FIRE, &p);
    assert_eq!(
        out.state.f_bullets[8],
        1 << 5,
        "fired from column 5, one row up"
    );
    // Cooling down: a second shot right away does nothing.
    let again = SpaceInvaders.step(rng::key(0), &out.state, FIRE, &p).state;
    assert_eq!(again.f_bullets[7], 1 << 5);
    assert_eq!(
        again.f_bullets.iter().map(|m| m.count_ones()).sum::<u32>(),
        1
    );
    // The bullet meets the lowest alien of column 5 (row 3) at step 6.
    let mut s = out.state;
    let mut rewards = vec![out.reward];
    for _ in 0..5 {
        let out = SpaceInvaders.step(rng::key(0), &s, NOOP, &p);
        rewards.push(out.reward);
        s = out.state;
    }
    assert_eq!(rewards, [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(s.aliens[3], FIRST_WAVE & !(1 << 5));
    assert_eq!(s.f_bullets, [0; 10]);
}

#[test]
fn space_invaders_aliens_shoot_from_the_nearest_column_and_bullets_kill() {
    let p = SpaceInvadersParams::default();
    let mut s = invaders(&p);
    s.aliens = [0; 10];
    s.aliens[1] = 1 << 7;
    s.aliens[2] = 1 << 3;
    s.aliens[0] = 1 << 3;
    s.alien_shot_timer = 0;
    s.alien_move_timer = 5;
    // Columns 3 and 7 are both 2 from the cannon: the left one shoots, from its lowest alien.
    let out = SpaceInvaders.step(rng::key(0), &s, NOOP, &p);
    assert_eq!(out.state.e_bullets[2], 1 << 3);
    assert_eq!(out.state.alien_shot_timer, p.enemy_shot_interval as i32 - 1);
    // An enemy bullet reaching the cannon's row in its column ends the game.
    let mut s = invaders(&p);
    s.e_bullets[8] = 1 << 5;
    let out = SpaceInvaders.step(rng::key(0), &s, NOOP, &p);
    assert!(out.terminated);
    // gymnax tests the column the cannon left: stepping aside this step does not save it.
    let out = SpaceInvaders.step(rng::key(0), &s, RIGHT, &p);
    assert!(out.terminated);
    s.e_bullets[8] = 1 << 4;
    assert!(!SpaceInvaders.step(rng::key(0), &s, NOOP, &p).terminated);
}

#[test]
fn space_invaders_a_cleared_wave_returns_faster_and_a_last_alien_moves_every_step() {
    let p = peaceful();
    let mut s = invaders(&p);
    s.aliens = [0; 10];
    s.aliens[0] = 1 << 5;
    s.alien_move_timer = 0;
    let out = SpaceInvaders.step(rng::key(0), &s, NOOP, &p).state;
    assert_eq!(out.aliens[0], 1 << 4);
    let out = SpaceInvaders.step(rng::key(0), &out, NOOP, &p).state;
    assert_eq!(out.aliens[0], 1 << 3, "one alien left moves every step");
    // Shoot the last alien: a new wave (columns 2..7), the aliens one step faster.
    let mut s = out;
    s.f_bullets[1] = 1 << 2; // it meets the alien where the alien moves to
    let out = SpaceInvaders.step(rng::key(0), &s, NOOP, &p);
    assert_eq!(out.reward, 1.0);
    assert_eq!(out.state.aliens[..4], [LATER_WAVE; 4]);
    assert_eq!(out.state.enemy_move_interval, 11);
}

// ---- Asterix (gymnax minatar/asterix.py) ----

const A_LEFT: u32 = 1;

fn asterix_step(s: &AsterixState, action: u32) -> wgym::StepOut<AsterixState> {
    Asterix.step(rng::key(2), s, action, &AsterixParams::default())
}

/// A fresh game with one entity in slot `slot` (row slot + 1) at column `x`.
fn asterix_with(slot: usize, x: i32, flags: u32) -> AsterixState {
    let mut s = Asterix.reset(rng::key(0), &AsterixParams::default());
    s.entity[slot] = FILLED | flags;
    s.entity_x[slot] = x;
    s
}

#[test]
fn asterix_first_spawn_comes_from_a_side_at_step_eleven_and_a_third_are_gold() {
    let p = AsterixParams::default();
    let mut gold = 0;
    for seed in 0..300 {
        let mut s = Asterix.reset(rng::key(seed), &p);
        for t in 1..=11 {
            s = Asterix
                .step(rng::fold(rng::key(seed), t), &s, NOOP, &p)
                .state;
            let filled: Vec<usize> = (0..8).filter(|&i| s.entity[i] & FILLED != 0).collect();
            assert_eq!(filled.len(), (t == 11) as usize, "step {t}");
        }
        // Spawned at column 0 (moving right) or 9 (moving left), and moved at once: step 11
        // is also a move step (the first at step 6, then every 5), and spawns come first.
        let i = (0..8).find(|&i| s.entity[i] & FILLED != 0).unwrap();
        let expected_x = if s.entity[i] & MOVES_RIGHT != 0 { 1 } else { 8 };
        assert_eq!(s.entity_x[i], expected_x);
        gold += (s.entity[i] & GOLD != 0) as u32;
    }
    assert!((70..130).contains(&gold), "{gold} of 300 spawns are gold");
}

#[test]
fn asterix_spawn_takes_a_free_slot_or_empties_one() {
    // Seven slots full: gymnax's search skips its permutation's first slot, so it finds the
    // free slot 7 of 8 times; otherwise it empties a slot.
    let p = AsterixParams::default();
    let (mut took_free, mut emptied) = (0, 0);
    for seed in 0..4000 {
        let mut s = Asterix.reset(rng::key(seed), &p);
        for i in 0..7 {
            s.entity[i] = FILLED;
            s.entity_x[i] = 5;
        }
        s.spawn_timer = 0;
        s.move_timer = 3;
        (s.player_y, s.player_x) = (8, 5); // slot 7's row, away from where spawns appear
        let out = Asterix.step(rng::key(seed), &s, NOOP, &p).state;
        let filled = out.entity.iter().filter(|&&e| e & FILLED != 0).count();
        if out.entity[7] & FILLED != 0 {
            assert_eq!(filled, 8);
            took_free += 1;
        } else {
            assert_eq!(filled, 6);
            emptied += 1;
        }
    }
    assert_eq!(took_free + emptied, 4000);
    assert!(
        (3400..3600).contains(&took_free),
        "the free slot was taken {took_free} times of 4000"
    );
}

#[test]
fn asterix_gold_pays_and_vanishes_and_enemies_end_the_game() {
    // The player (5, 5) is on slot 4's row; the entity moves into it this step.
    let mut s = asterix_with(4, 6, GOLD);
    s.move_timer = 0;
    let out = asterix_step(&s, NOOP);
    assert_eq!((out.reward, out.terminated), (1.0, false));
    assert_eq!(out.state.entity[4], 0);
    let mut s = asterix_with(4, 6, 0);
    s.move_timer = 0;
    let out = asterix_step(&s, NOOP);
    assert_eq!((out.reward, out.terminated), (0.0, true));
    // The player walking into a standing entity.
    let out = asterix_step(&asterix_with(4, 4, GOLD), A_LEFT);
    assert_eq!((out.reward, out.state.player_x), (1.0, 4));
    // Other rows are safe.
    let out = asterix_step(&asterix_with(3, 5, 0), NOOP);
    assert!(!out.terminated);
}

#[test]
fn asterix_entities_move_first_at_step_six_then_every_five_and_leave_at_the_edge() {
    let mut s = asterix_with(0, 8, MOVES_RIGHT);
    let mut xs = Vec::new();
    for _ in 0..12 {
        s = asterix_step(&s, NOOP).state;
        xs.push((s.entity[0] & FILLED != 0).then_some(s.entity_x[0]));
    }
    let (at9, gone) = (Some(9), None);
    assert_eq!(&xs[4..7], &[Some(8), at9, at9], "the first move at step 6");
    assert_eq!(
        &xs[9..11],
        &[at9, gone],
        "leaves the screen at its second move, step 11"
    );
}

#[test]
fn asterix_difficulty_ramps_every_102_steps() {
    let p = AsterixParams::default();
    let mut s = Asterix.reset(rng::key(0), &p);
    let mut speeds = Vec::new();
    for _ in 0..204 {
        s = Asterix.step(rng::key(0), &s, NOOP, &p).state;
        s.entity = [0; 8]; // nothing to run into
        speeds.push((s.spawn_speed, s.move_speed));
    }
    // Spawns speed up at every ramp, moves at every second one.
    assert_eq!(speeds[100], (10, 5));
    assert_eq!(speeds[101], (9, 5));
    assert_eq!(speeds[202], (9, 5));
    assert_eq!(speeds[203], (8, 4));
    let still = AsterixParams { ramping: 0, ..p };
    let mut s = Asterix.reset(rng::key(0), &still);
    for _ in 0..300 {
        s = Asterix.step(rng::key(0), &s, NOOP, &still).state;
        s.entity = [0; 8];
    }
    assert_eq!((s.spawn_speed, s.move_speed), (10, 5));
}

#[test]
fn asterix_observation_marks_enemies_gold_and_trails() {
    let mut s = asterix_with(1, 3, MOVES_RIGHT);
    s.entity[6] = FILLED | GOLD;
    s.entity_x[6] = 9; // moving left from the right edge: the trail is at column 10, off screen
    let mut obs = vec![0.0; 400];
    Asterix.observe(&s, &AsterixParams::default(), &mut obs);
    let cell = |y: usize, x: usize, c: usize| obs[(y * 10 + x) * 4 + c];
    assert_eq!(cell(5, 5, 0), 1.0, "player");
    assert_eq!(
        (cell(2, 3, 1), cell(2, 2, 2)),
        (1.0, 1.0),
        "enemy and its trail"
    );
    assert_eq!(cell(7, 9, 3), 1.0, "gold");
    assert_eq!(obs.iter().sum::<f32>(), 4.0);
}

// ---- wgym render ----

/// `wgym render` draws a MinAtar game as its channel grid: a PNG strip with the paddle and
/// brick colours, a GIF, and a clear error for the scripted policy these games lack.
#[test]
fn render_draws_the_channel_grid_as_png_and_gif() {
    use wgym::envs::minatar::picture::PALETTE;
    let dir = scratch("minatar", "render");
    let png = dir.join("breakout.png");
    let out = wgym(&[
        "render",
        "--env",
        "Breakout-MinAtar",
        "--out",
        png.to_str().unwrap(),
        "--frames",
        "4",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let strip = image::open(&png).unwrap().to_rgb8();
    assert_eq!(strip.dimensions(), (4 * 560, 400));
    let count =
        |c: plotters::style::RGBColor| strip.pixels().filter(|p| p.0 == [c.0, c.1, c.2]).count();
    // Per frame: 30 bricks at first (fewer later) and the paddle's cell, plus legend squares.
    assert!(
        count(PALETTE[3]) > 4 * 20 * 30 * 30,
        "bricks: {}",
        count(PALETTE[3])
    );
    assert!(
        count(PALETTE[0]) > 4 * 30 * 30,
        "paddle: {}",
        count(PALETTE[0])
    );

    let gif = dir.join("invaders.gif");
    let out = wgym(&[
        "render",
        "--env",
        "SpaceInvaders-MinAtar",
        "--out",
        gif.to_str().unwrap(),
        "--steps",
        "30",
        "--every",
        "10",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let file = std::fs::File::open(&gif).unwrap();
    let frames = image::AnimationDecoder::into_frames(
        image::codecs::gif::GifDecoder::new(std::io::BufReader::new(file)).unwrap(),
    )
    .count();
    assert!(frames >= 2, "{frames} GIF frames");

    let out = wgym(&[
        "render",
        "--env",
        "Freeway-MinAtar",
        "--policy",
        "scripted",
        "--out",
        dir.join("x.png").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no scripted policy"),
        "{}",
        stderr(&out)
    );
}

/// Params the games cannot honour are refused with the field named.
#[test]
fn bad_minatar_params_name_the_field() {
    let refuse = |id: &str, params: Vec<u8>, field: &str| {
        let config = wgym::VecEnvConfig {
            params: ParamsInit::Shared(params),
            ..wgym::VecEnvConfig::new(4, 0)
        };
        let e = wgym::VecEnv::new(&gpu(), wgym::make(id).unwrap(), config)
            .err()
            .unwrap_or_else(|| panic!("{id}: {field} accepted"))
            .to_string();
        assert!(e.contains(field), "{id}, {field}: {e}");
    };
    let breakout = BreakoutParams::default();
    refuse(
        "Breakout-MinAtar",
        bytes(BreakoutParams {
            sticky_action_prob: 1.5,
            ..breakout
        }),
        "sticky_action_prob",
    );
    refuse(
        "Breakout-MinAtar",
        bytes(BreakoutParams {
            max_steps: 0,
            ..breakout
        }),
        "max_steps",
    );
    let asterix = AsterixParams::default();
    refuse(
        "Asterix-MinAtar",
        bytes(AsterixParams {
            ramping: 2,
            ..asterix
        }),
        "ramping",
    );
    refuse(
        "Asterix-MinAtar",
        bytes(AsterixParams {
            init_spawn_speed: 0,
            ..asterix
        }),
        "init_spawn_speed",
    );
    refuse(
        "SpaceInvaders-MinAtar",
        bytes(SpaceInvadersParams {
            enemy_move_interval: 0,
            ..SpaceInvadersParams::default()
        }),
        "enemy_move_interval",
    );
    refuse(
        "Freeway-MinAtar",
        bytes(FreewayParams {
            player_speed: u32::MAX,
            ..FreewayParams::default()
        }),
        "player_speed",
    );
}
