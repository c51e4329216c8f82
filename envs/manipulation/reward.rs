//! Meta-World's v2 rewards and success criteria evaluated on the kinematic state (twin of
//! `score` in env.wgsl; README.md gives the source of each formula).

use std::f32::consts::FRAC_PI_3;

use glam::{Vec2, Vec3, Vec4};

use super::world::{object_point, opening, TCP_OFFSET};
use super::{ManipulationState, Task};

/// dm_control's `tolerance` as Meta-World uses it: 1 within [low, high], else a sigmoid of
/// the distance in margins that is 0.1 at one margin (long tail, or Gaussian).
pub fn tolerance(x: f32, low: f32, high: f32, margin: f32, gaussian: bool) -> f32 {
    if x >= low && x <= high {
        return 1.0;
    }
    if margin <= 0.0 {
        return 0.0;
    }
    let d = if x < low { low - x } else { x - high } / margin;
    if gaussian {
        (-std::f32::consts::LN_10 * d * d).exp()
    } else {
        1.0 / (9.0 * d * d + 1.0)
    }
}

fn long_tail(x: f32, low: f32, high: f32, margin: f32) -> f32 {
    tolerance(x, low, high, margin, false)
}

/// The Hamacher t-norm, Meta-World's soft "and" of rewards in [0, 1].
pub fn hamacher(a: f32, b: f32) -> f32 {
    let denominator = a + b - a * b;
    if denominator <= 0.0 {
        0.0
    } else {
        a * b / denominator
    }
}

/// Reward and success of the state `s` reached by action `act`.
pub fn score(task: Task, s: &ManipulationState, act: Vec4) -> (f32, bool) {
    let a = act.clamp(Vec4::splat(-1.0), Vec4::ONE);
    let hand = Vec3::from(s.hand);
    let tcp = hand - TCP_OFFSET;
    let hand_start = Vec3::from(task.ranges().hand_start);
    let tcp_init = hand_start - TCP_OFFSET;
    let goal = Vec3::from(s.goal);
    let point = object_point(task, Vec3::from(s.obj), s.joint);
    let point_init = Vec3::from(s.point_init);
    let open = opening(s.closed, s.held != 0);
    let grip = a.w.clamp(0.0, 1.0);
    let xz = |v: Vec3| Vec2::new(v.x, v.z);
    match task {
        Task::Reach | Task::ReachWall => {
            let d = tcp.distance(goal);
            let r = 10.0 * long_tail(d, 0.0, 0.05, hand_start.distance(goal));
            (r, d <= 0.05)
        }
        Task::Push | Task::PickPlace => {
            let d_to = point.distance(tcp);
            let d_og = point.distance(goal);
            let in_place = long_tail(d_og, 0.0, 0.05, point_init.distance(goal));
            // The finger pads sit on either side of the TCP along y, the opening apart.
            let left = tcp.y + 0.05 * open;
            let right = tcp.y - 0.05 * open;
            let xz_margin = xz(point_init).distance(xz(tcp_init)) - 0.005;
            let caging_xz = long_tail(xz(tcp).distance(xz(point)), 0.0, 0.005, xz_margin);
            let (c_left, c_right) = if task == Task::Push {
                (
                    long_tail(
                        (left - point.y).abs(),
                        0.015,
                        0.05,
                        ((left - point_init.y).abs() - 0.05).abs(),
                    ),
                    long_tail(
                        (right - point.y).abs(),
                        0.015,
                        0.05,
                        ((right - point_init.y).abs() - 0.05).abs(),
                    ),
                )
            } else {
                (
                    long_tail(
                        left - point.y,
                        0.015,
                        0.05,
                        ((point.y - (tcp_init.y + 0.05)).abs() - 0.05).abs(),
                    ),
                    long_tail(
                        point.y - right,
                        0.015,
                        0.05,
                        ((point.y - (tcp_init.y - 0.05)).abs() - 0.05).abs(),
                    ),
                )
            };
            let caging = hamacher(hamacher(c_left, c_right), caging_xz);
            let gripping = if caging > 0.97 { grip } else { 0.0 };
            let og = 0.5 * (hamacher(caging, gripping) + caging);
            if task == Task::Push {
                let mut r = 2.0 * og;
                if d_to < 0.02 && open > 0.0 {
                    r = 4.0 * og + 1.0 + 5.0 * in_place;
                }
                if d_og < 0.05 {
                    r = 10.0;
                }
                (r, d_og <= 0.05)
            } else {
                let mut r = hamacher(og, in_place);
                if d_to < 0.02 && open > 0.0 && point.z - 0.01 > point_init.z {
                    r += 1.0 + 5.0 * in_place;
                }
                if d_og < 0.05 {
                    r = 10.0;
                }
                (r, d_og <= 0.07)
            }
        }
        Task::ButtonPressTopdown => {
            let d_to = point.distance(tcp);
            let d_press = (goal.z - point.z).abs();
            let near = long_tail(d_to, 0.0, 0.01, point.distance(tcp_init));
            let pressed = long_tail(d_press, 0.0, 0.005, 0.0935);
            let mut r = 5.0 * hamacher(1.0 - open, near);
            if d_to <= 0.03 {
                r += 5.0 * pressed;
            }
            (r, d_press <= 0.024)
        }
        Task::DrawerOpen => {
            let e = point.distance(goal);
            let opened = long_tail(e, 0.0, 0.02, 0.2);
            let scale = Vec3::new(3.0, 3.0, 1.0);
            let handle_init = goal + Vec3::new(0.0, 0.2, 0.0);
            let ge = ((point - hand) * scale).length();
            let cage = long_tail(ge, 0.0, 0.01, ((handle_init - tcp_init) * scale).length());
            (5.0 * (cage + opened), e <= 0.03)
        }
        Task::DrawerClose => {
            let d_og = point.distance(goal);
            let in_place = long_tail(d_og, 0.0, 0.05, (point_init.distance(goal) - 0.05).abs());
            let near = tolerance(
                point.distance(tcp),
                0.0,
                0.005,
                (point_init.distance(tcp_init) - 0.005).abs(),
                true,
            );
            let r = if d_og <= 0.065 {
                10.0
            } else {
                10.0 * hamacher(hamacher(near, grip), in_place)
            };
            (r, d_og <= 0.065)
        }
        Task::DoorOpen => {
            let success = (point.x - goal.x).abs() <= 0.08;
            let grab = 0.5 * (a.w + 1.0);
            let door = point + Vec3::new(-0.05, 0.0, 0.0);
            let rad = hand.truncate().distance(door.truncate());
            let floor = if rad <= 0.12 {
                0.0
            } else {
                0.04 * (rad - 0.12).ln() + 0.4
            };
            let above = if hand.z >= floor {
                1.0
            } else {
                long_tail(floor - hand.z, 0.0, 0.01, 0.5 * floor)
            };
            let target = door + Vec3::new(0.05, 0.03, -0.01);
            let in_place = long_tail(hand.distance(target), 0.0, 0.06, 0.5);
            let ready = hamacher(above, in_place);
            let nudged = if s.joint < -std::f32::consts::PI / 90.0 {
                0.2
            } else {
                0.0
            };
            let opened = nudged + 0.8 * long_tail(2.0 * FRAC_PI_3 + s.joint, 0.0, 0.5, FRAC_PI_3);
            let r = if success {
                10.0
            } else {
                2.0 * hamacher(ready, grab) + 8.0 * opened
            };
            (r, success)
        }
        Task::WindowOpen => {
            let dx = (point.x - goal.x).abs();
            let in_place = long_tail(dx, 0.0, 0.05, 0.15);
            let near = long_tail(
                point.distance(tcp),
                0.0,
                0.02,
                (point_init.distance(tcp_init) - 0.02).abs(),
            );
            (10.0 * hamacher(near, in_place), dx <= 0.05)
        }
        Task::PlateSlide => {
            let d_og = point.distance(goal);
            let in_place = long_tail(d_og, 0.0, 0.05, point_init.distance(goal));
            let near = long_tail(
                tcp.distance(point),
                0.0,
                0.05,
                tcp_init.distance(point_init),
            );
            let r = if d_og < 0.05 {
                10.0
            } else {
                8.0 * hamacher(near, in_place)
            };
            (r, d_og <= 0.07)
        }
    }
}
