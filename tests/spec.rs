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

mod classic {
    use super::observe;
    use wgym::env::EnvKernel;
    use wgym::envs::acrobot::{Acrobot, AcrobotParams, AcrobotState};
    use wgym::envs::cartpole::{CartPole, CartPoleParams, CartPoleState};
    use wgym::envs::meta_maze::{MetaMaze, MetaMazeParams, MetaMazeState, CENTER};
    use wgym::envs::mountain_car::{
        MountainCar, MountainCarContinuous, MountainCarParams, MountainCarState,
    };
    use wgym::envs::pendulum::{Pendulum, PendulumParams, PendulumState};
    use wgym::envs::point_robot::{PointRobot, PointRobotParams, PointRobotState};
    use wgym::rng;

    fn near(a: f32, b: f32) -> bool {
        (a - b).abs() <= 1e-5 * (1.0 + b.abs())
    }

    /// gym's first push from rest: x_dot = tau * xacc, theta_dot = tau * thetaacc with
    /// temp = 10 / 1.1, thetaacc = -temp / (0.5 (4/3 - 0.1 / 1.1)), xacc = temp - 0.05
    /// thetaacc / 1.1 (worked by hand: 0.195122, -0.292683).
    #[test]
    fn cartpole_pushes_terminates_and_truncates_as_gymnax() {
        let p = CartPoleParams::default();
        let rest = CartPoleState {
            x: 0.0,
            x_dot: 0.0,
            theta: 0.0,
            theta_dot: 0.0,
            time: 0,
        };
        let out = CartPole.step(rng::key(0), &rest, 1, &p);
        let s = out.state;
        assert!(
            near(s.x_dot, 0.195122) && near(s.theta_dot, -0.292683),
            "{s:?}"
        );
        assert_eq!(
            (s.x, s.theta, out.reward, out.terminated),
            (0.0, 0.0, 1.0, false)
        );
        let left = CartPole.step(rng::key(0), &rest, 0, &p).state;
        assert_eq!((left.x_dot, left.theta_dot), (-s.x_dot, -s.theta_dot));
        // Strictly beyond x_threshold = 2.4 terminates; at it does not.
        let edge = |x_dot: f32| CartPoleState {
            x: 2.4,
            x_dot,
            ..rest
        };
        assert!(!CartPole.step(rng::key(0), &edge(0.0), 1, &p).terminated);
        assert!(CartPole.step(rng::key(0), &edge(1.0), 1, &p).terminated);
        let last = CartPoleState { time: 499, ..rest };
        assert!(CartPole.step(rng::key(0), &last, 1, &p).truncated);
        let obs = observe(&CartPole, &s, &p);
        assert_eq!(obs, [s.x, s.x_dot, s.theta, s.theta_dot]);
    }

    #[test]
    fn cartpole_resets_uniformly_in_a_small_box() {
        for i in 0..1000 {
            let s = CartPole.reset(rng::key(i), &CartPoleParams::default());
            for v in [s.x, s.x_dot, s.theta, s.theta_dot] {
                assert!((-0.05..0.05).contains(&v), "{s:?}");
            }
        }
    }

    /// Hanging at rest with no torque is an equilibrium; the tip above the bar terminates
    /// with reward 0; angles wrap into [-pi, pi).
    #[test]
    fn acrobot_rests_wraps_and_terminates_as_gymnax() {
        let p = AcrobotParams::default();
        let rest = AcrobotState {
            theta1: 0.0,
            theta2: 0.0,
            dtheta1: 0.0,
            dtheta2: 0.0,
            time: 0,
        };
        // (Only nearly: f32's cos(-pi/2) is -4.4e-8, not 0, in gymnax as here.)
        let out = Acrobot.step(rng::key(0), &rest, 1, &p);
        let s = out.state;
        for v in [s.theta1, s.theta2, s.dtheta1, s.dtheta2] {
            assert!(v.abs() < 1e-5, "{s:?}");
        }
        assert_eq!((out.reward, out.terminated), (-1.0, false));
        assert_eq!(observe(&Acrobot, &rest, &p), [1.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        // Torque +1 on the second joint accelerates it positively, the first negatively.
        let pushed = Acrobot.step(rng::key(0), &rest, 2, &p).state;
        assert!(pushed.dtheta2 > 0.0 && pushed.dtheta1 < 0.0, "{pushed:?}");
        // Nearly upright (theta1 = pi - 0.1): -cos(theta1) - cos(theta1 + theta2) > 1.
        let up = AcrobotState {
            theta1: std::f32::consts::PI - 0.1,
            ..rest
        };
        let out = Acrobot.step(rng::key(0), &up, 1, &p);
        assert_eq!((out.reward, out.terminated), (0.0, true));
        assert!((-std::f32::consts::PI..std::f32::consts::PI).contains(&out.state.theta1));
    }

    /// Worked by hand: v = 0.001 - cos(-1.5) 0.0025 = 0.00082316, x = -0.5 + v.
    #[test]
    fn mountain_cars_move_stop_and_pay_as_gymnax() {
        let p = MountainCarParams::discrete();
        let s = MountainCarState {
            position: -0.5,
            velocity: 0.0,
            time: 0,
        };
        let out = MountainCar.step(rng::key(0), &s, 2, &p);
        assert!(near(out.state.velocity, 0.00082316), "{:?}", out.state);
        assert!(near(out.state.position, -0.5 + 0.00082316));
        assert_eq!(out.reward, -1.0);
        // The left wall stops the car; the goal at 0.5 with velocity >= 0 terminates.
        let wall = MountainCarState {
            position: -1.19,
            velocity: -0.05,
            time: 0,
        };
        let out = MountainCar.step(rng::key(0), &wall, 0, &p);
        assert_eq!((out.state.position, out.state.velocity), (-1.2, 0.0));
        let near_goal = MountainCarState {
            position: 0.49,
            velocity: 0.02,
            time: 0,
        };
        let out = MountainCar.step(rng::key(0), &near_goal, 2, &p);
        assert!(out.terminated && out.success && out.state.position >= 0.5);
        // Continuous: -0.1 a^2 per step, +100 at the goal (0.45), force = power * a.
        let pc = MountainCarParams::continuous();
        let out = MountainCarContinuous.step(rng::key(0), &s, [0.5], &pc);
        assert!(near(out.reward, -0.025) && !out.terminated);
        let out = MountainCarContinuous.step(rng::key(0), &near_goal, [1.0], &pc);
        assert!(out.terminated && near(out.reward, 100.0 - 0.1));
        let last = MountainCarState { time: 998, ..s };
        assert!(
            MountainCarContinuous
                .step(rng::key(0), &last, [0.0], &pc)
                .truncated
        );
    }

    /// Upright and still costs nothing; at theta = pi/2 gravity gives theta_dot =
    /// 3 g / (2 l) dt = 0.75 and the reward is -(pi/2)^2; the action is torque / max_torque.
    #[test]
    fn pendulum_swings_and_costs_as_gymnax() {
        let p = PendulumParams::default();
        let up = PendulumState {
            theta: 0.0,
            theta_dot: 0.0,
            last_u: 0.0,
            time: 0,
        };
        let out = Pendulum.step(rng::key(0), &up, [0.0], &p);
        assert_eq!(
            (out.reward, out.state.theta, out.state.theta_dot),
            (0.0, 0.0, 0.0)
        );
        let side = PendulumState {
            theta: std::f32::consts::FRAC_PI_2,
            ..up
        };
        let out = Pendulum.step(rng::key(0), &side, [0.0], &p);
        assert!(near(out.state.theta_dot, 0.75) && near(out.reward, -2.467_401));
        // Full torque 2 (action 1, clipped from 3): theta_dot = 3 / (m l^2) * 2 * dt = 0.3.
        let out = Pendulum.step(rng::key(0), &up, [3.0], &p);
        assert!(near(out.state.theta_dot, 0.3) && near(out.state.last_u, 2.0));
        assert!(near(out.reward, -0.004));
        // Angles normalise into [-pi, pi) for the cost: 2 pi + 0.5 costs as 0.5.
        let turned = PendulumState {
            theta: 2.0 * std::f32::consts::PI + 0.5,
            ..up
        };
        let out = Pendulum.step(rng::key(0), &turned, [0.0], &p);
        assert!((out.reward + 0.25).abs() < 1e-5, "{}", out.reward);
        assert!(!out.terminated);
    }

    /// gymnax's 9x9 maze: 65 free cells, the centre (5, 5) with walls on its diagonals;
    /// reaching the goal pays 10 and restarts the agent.
    #[test]
    fn meta_maze_walls_goal_and_restart_follow_gymnax() {
        use wgym::envs::meta_maze::is_wall;
        let free = (0..11 * 11).filter(|c| !is_wall(c / 11, c % 11)).count();
        assert_eq!(free, 65);
        let p = MetaMazeParams::default();
        let task = MetaMaze.sample_params(rng::key(3), &p);
        assert_eq!(task.goal_draw, 0, "a concrete task");
        assert!(!is_wall(task.goal_row, task.goal_col));
        let s = MetaMaze.reset(rng::key(0), &task);
        assert_eq!((s.row, s.col), (CENTER, CENTER));
        assert_eq!(CENTER, 5);
        let obs = observe(&MetaMaze, &s, &task);
        assert_eq!(obs[..9], [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0]);
        assert_eq!(obs[9..], [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        let next_to_goal = MetaMazeState {
            row: 5,
            col: 4,
            goal_row: 5,
            goal_col: 5,
            ..s
        };
        let out = MetaMaze.step(rng::key(1), &next_to_goal, 1, &p);
        assert_eq!((out.reward, out.success), (10.0, true));
        assert_eq!(out.terminated, (out.state.row, out.state.col) == (5, 5));
        assert_eq!(observe(&MetaMaze, &out.state, &p)[13], 10.0);
        // Up from (5, 4) is the wall (4, 4): no move, punishment paid.
        let punished = MetaMazeParams {
            punishment: -1.0,
            ..p
        };
        let out = MetaMaze.step(rng::key(1), &next_to_goal, 0, &punished);
        assert_eq!(((out.state.row, out.state.col), out.reward), ((5, 4), -1.0));
        // Goals are spread over the free cells.
        let goals: std::collections::HashSet<_> = (0..2000)
            .map(|i| {
                let t = MetaMaze.sample_params(rng::key(i), &p);
                (t.goal_row, t.goal_col)
            })
            .collect();
        assert_eq!(goals.len(), 65);
    }

    /// Goals on the unit half circle; the goal test uses the position before the move.
    #[test]
    fn point_robot_goal_reward_and_restart_follow_gymnax() {
        let p = PointRobotParams::default();
        for i in 0..500 {
            let t = PointRobot.sample_params(rng::key(i), &p);
            let r = (t.goal_x * t.goal_x + t.goal_y * t.goal_y).sqrt();
            assert!(near(r, 1.0) && t.goal_y >= 0.0, "goal {t:?}");
        }
        let task = PointRobotParams {
            goal_draw: 0,
            goal_x: 0.0,
            goal_y: 1.0,
            ..p
        };
        let s = PointRobotState {
            pos_x: 0.0,
            pos_y: 0.75,
            goal_x: 0.0,
            goal_y: 1.0,
            ..bytemuck::Zeroable::zeroed()
        };
        // 0.25 away: the move (0.1 up) brings it within 0.2, but it is judged before.
        let out = PointRobot.step(rng::key(0), &s, [0.0, 1.0], &task);
        assert_eq!((out.reward, out.success), (0.0, false));
        assert!(near(out.state.pos_y, 0.85));
        let out2 = PointRobot.step(rng::key(0), &out.state, [0.0, 0.0], &task);
        assert_eq!((out2.reward, out2.state.goals_reached), (1.0, 1));
        let obs = observe(&PointRobot, &out.state, &task);
        assert!(near(obs[4], 0.1) && near(obs[5], -0.98), "{obs:?}");
    }

    /// One step from an arbitrary state, against gymnax 1.0.1's `step_env` on JAX-CPU
    /// (f32; values printed by `float()` and pasted here): the twins compute gymnax's
    /// dynamics, not an approximation of them. Within 2e-6 relative (libm's and XLA's
    /// sin/cos differ by an ulp or so; one RK4 step of Acrobot compounds a few).
    #[test]
    fn one_step_matches_gymnax_reference_values() {
        let close = |got: &[f32], want: &[f32]| {
            got.iter()
                .zip(want)
                .all(|(g, w)| (g - w).abs() <= 2e-6 * (1.0 + w.abs()))
        };
        let a = AcrobotState {
            theta1: 0.3,
            theta2: -1.2,
            dtheta1: 1.5,
            dtheta2: -2.0,
            time: 0,
        };
        let out = Acrobot.step(rng::key(0), &a, 2, &AcrobotParams::default());
        let s = out.state;
        let want = [0.535_432_9, -1.437_791_8, 0.818_107_8, -0.366_972_7];
        assert!(
            close(&[s.theta1, s.theta2, s.dtheta1, s.dtheta2], &want),
            "{s:?}"
        );
        assert_eq!((out.reward, out.terminated), (-1.0, false));
        // Fast enough to wrap theta1 past pi and to clip dtheta2 at -9 pi.
        let a = AcrobotState {
            theta1: 3.0,
            theta2: 0.5,
            dtheta1: 12.0,
            dtheta2: -25.0,
            time: 0,
        };
        let s = Acrobot
            .step(rng::key(0), &a, 0, &AcrobotParams::default())
            .state;
        let want = [-0.985_121_25, 2.137_495_5, 9.928_041, -17.866_413];
        assert!(
            close(&[s.theta1, s.theta2, s.dtheta1, s.dtheta2], &want),
            "{s:?}"
        );

        let c = CartPoleState {
            x: 0.1,
            x_dot: -0.4,
            theta: 0.05,
            theta_dot: 0.7,
            time: 0,
        };
        let s = CartPole
            .step(rng::key(0), &c, 0, &CartPoleParams::default())
            .state;
        let want = [0.092, -0.595_778_2, 0.064, 1.007_994];
        assert!(close(&[s.x, s.x_dot, s.theta, s.theta_dot], &want), "{s:?}");

        // gymnax's action 1.3 is wgym's 1.3 / max_torque = 0.65.
        let pd = PendulumState {
            theta: 2.5,
            theta_dot: -3.0,
            last_u: 0.0,
            time: 0,
        };
        let out = Pendulum.step(rng::key(0), &pd, [0.65], &PendulumParams::default());
        let got = [out.state.theta, out.state.theta_dot, out.reward];
        assert!(
            close(&got, &[2.382_192_6, -2.356_145_9, -7.151_691_4]),
            "{got:?}"
        );

        let m = MountainCarState {
            position: -0.3,
            velocity: 0.01,
            time: 0,
        };
        let s = MountainCar
            .step(rng::key(0), &m, 0, &MountainCarParams::discrete())
            .state;
        assert!(close(
            &[s.position, s.velocity],
            &[-0.292_554_05, 0.007_445_975]
        ));
        let pc = MountainCarParams::continuous();
        let out = MountainCarContinuous.step(rng::key(0), &m, [-0.6], &pc);
        let got = [out.state.position, out.state.velocity, out.reward];
        assert!(
            close(&got, &[-0.292_454_03, 0.007_545_975, -0.036]),
            "{got:?}"
        );
    }
}
