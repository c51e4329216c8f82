//! Scripted policies, one per task, from the observation alone (as Meta-World ships
//! `metaworld.policies`): they show each task is solvable in the kinematic world, give the
//! tests successes to compare, and give `wgym render` a reference to draw.

use glam::{Vec2, Vec3};

use super::world::{DOOR_HINGE, TCP_OFFSET};
use super::Task;

/// Action that moves the TCP towards `target` at full speed per axis, with gripper effort
/// `grip`.
fn towards(tcp: Vec3, target: Vec3, grip: f32) -> [f32; 4] {
    let d = ((target - tcp) * 100.0).clamp(Vec3::splat(-1.0), Vec3::ONE);
    [d.x, d.y, d.z, grip]
}

fn near(a: Vec3, b: Vec3, r: f32) -> bool {
    a.distance(b) < r
}

fn near_xy(a: Vec3, b: Vec3, r: f32) -> bool {
    a.truncate().distance(b.truncate()) < r
}

/// A point `angle` radians around `centre` from `p`, in the plane.
fn rotated(p: Vec3, centre: Vec2, angle: f32) -> Vec3 {
    let r = p.truncate() - centre;
    let (s, c) = angle.sin_cos();
    (centre + Vec2::new(c * r.x - s * r.y, s * r.x + c * r.y)).extend(p.z)
}

/// Push a disc of `radius` to `goal`: from behind it (the side away from the goal) at
/// table height, else over it to there.
fn push(tcp: Vec3, disc: Vec3, goal: Vec3, radius: f32) -> [f32; 4] {
    let dir = (goal.truncate() - disc.truncate()).normalize_or(Vec2::Y);
    let rel = disc.truncate() - tcp.truncate();
    let along = rel.dot(dir);
    let across = (rel - dir * along).length();
    let behind = (disc.truncate() - dir * (radius + 0.01)).extend(0.01);
    if tcp.z < 0.03 && along > 0.0 && across < 0.01 {
        towards(tcp, (disc.truncate() + dir * 0.02).extend(0.01), 1.0)
    } else if near_xy(tcp, behind, 0.01) {
        towards(tcp, behind, 1.0)
    } else if tcp.z < 0.06 {
        towards(tcp, Vec3::new(tcp.x, tcp.y, 0.08), 1.0)
    } else {
        towards(tcp, Vec3::new(behind.x, behind.y, 0.08), 1.0)
    }
}

/// Hook a handle: over it, down onto it, then along `pull` (the joint's opening move).
fn hook(tcp: Vec3, handle: Vec3, pull: impl FnOnce() -> Vec3) -> [f32; 4] {
    if near(tcp, handle, 0.02) {
        towards(tcp, pull(), -1.0)
    } else if !near_xy(tcp, handle, 0.02) {
        towards(tcp, Vec3::new(handle.x, handle.y, handle.z + 0.05), -1.0)
    } else {
        towards(tcp, handle, -1.0)
    }
}

/// The scripted action for `task` given a Meta-World-layout observation (goal visible).
pub fn action(task: Task, obs: &[f32]) -> [f32; 4] {
    let v = |i: usize| Vec3::new(obs[i], obs[i + 1], obs[i + 2]);
    let tcp = v(0) - TCP_OFFSET;
    let opening = obs[3];
    let point = v(4);
    let goal = v(36);
    // Articulated bodies: hold still once the body is well past its success threshold.
    let solved = match task {
        Task::DrawerOpen => point.distance(goal) < 0.027,
        Task::DoorOpen => (point.x - goal.x).abs() < 0.03,
        Task::WindowOpen => (point.x - goal.x).abs() < 0.045,
        _ => false,
    };
    if solved {
        return [0.0, 0.0, 0.0, -1.0];
    }
    match task {
        Task::Reach => towards(tcp, goal, -1.0),
        // Over the wall (its top is at 0.13) until past it.
        Task::ReachWall if tcp.y < 0.79 => {
            towards(tcp, Vec3::new(goal.x, goal.y, tcp.z.max(0.16)), -1.0)
        }
        Task::ReachWall => towards(tcp, goal, -1.0),
        Task::Push => push(tcp, point, goal, 0.035),
        Task::PlateSlide => push(tcp, point, goal, 0.065),
        Task::PickPlace => {
            // Held: the object sits at the TCP and the fingers stop at 0.45 around it.
            let held = near(point, tcp, 0.01) && (0.449..=0.46).contains(&opening);
            if held {
                towards(tcp, goal, 1.0)
            } else if opening < 0.449 {
                towards(tcp, Vec3::new(tcp.x, tcp.y, 0.1), -1.0)
            } else if !near_xy(tcp, point, 0.005) {
                towards(tcp, Vec3::new(point.x, point.y, 0.1), -1.0)
            } else if (tcp.z - point.z).abs() > 0.003 {
                towards(tcp, point, -1.0)
            } else {
                [0.0, 0.0, 0.0, 1.0]
            }
        }
        Task::ButtonPressTopdown => {
            if near_xy(tcp, point, 0.01) {
                towards(tcp, point - Vec3::new(0.0, 0.0, 0.1), 1.0)
            } else {
                let z = tcp.z.max(point.z + 0.02);
                towards(tcp, Vec3::new(point.x, point.y, z), 1.0)
            }
        }
        Task::DrawerOpen => hook(tcp, point, || point - Vec3::new(0.0, 0.2, 0.0)),
        Task::DrawerClose => hook(tcp, point, || point + Vec3::new(0.0, 0.2, 0.0)),
        Task::WindowOpen => hook(tcp, point, || point + Vec3::new(0.2, 0.0, 0.0)),
        Task::DoorOpen => {
            // The hinge from the goal (the door body's position - (0.3, 0.45)); clockwise
            // around it seen from above, drawing in to 0.25 from it to stay in reach.
            let hinge = Vec2::new(goal.x + 0.3, goal.y + 0.45) + DOOR_HINGE.truncate();
            // Once it has turned (its quaternion's z is sin(angle / 2)), keep turning.
            let turning = near(tcp, point, 0.02) || obs[9] < -0.02;
            if turning {
                let ahead = rotated(tcp, hinge, -0.05);
                let r = ahead.truncate() - hinge;
                let radius = r.length().max(0.25) - 0.01;
                towards(tcp, (hinge + r.normalize() * radius).extend(point.z), -1.0)
            } else {
                hook(tcp, point, || point)
            }
        }
    }
}
