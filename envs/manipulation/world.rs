//! The kinematic world shared by every task (twin of `world_step` and its helpers in
//! env.wgsl): a mocap-style hand, a two-finger gripper, one free object or one articulated
//! body. Lengths in metres, one step = one action. README.md states the contact rules.

use glam::{Vec2, Vec3, Vec4};

use super::{is_free_object, ManipulationState, Task};

/// The tool centre point (between the fingertips) sits this far below the hand.
pub const TCP_OFFSET: Vec3 = Vec3::new(0.0, 0.0, 0.045);
/// The hand's workspace (Meta-World's `hand_low`/`hand_high` for these tasks).
pub const HAND_LOW: Vec3 = Vec3::new(-0.5, 0.40, 0.05);
pub const HAND_HIGH: Vec3 = Vec3::new(0.5, 1.0, 0.5);
/// Metres per step at action 1 (Meta-World's `action_scale`).
pub const ACTION_SCALE: f32 = 0.01;
/// Gripper closure change per step at most; the effort a[3] in [-1, 1] sets the target
/// closure (a[3] + 1) / 2.
pub const GRIP_RATE: f32 = 0.1;
/// The free object is grasped when the closure crosses GRASP_AT with the object's centre
/// within GRASP_RADIUS of the TCP, and released below RELEASE_AT.
pub const GRASP_AT: f32 = 0.8;
pub const RELEASE_AT: f32 = 0.5;
pub const GRASP_RADIUS: f32 = 0.02;
/// A released object drops this much per step until it rests on the table.
pub const FALL_PER_STEP: f32 = 0.02;
pub const FINGER_RADIUS: f32 = 0.015;
pub const PUCK_RADIUS: f32 = 0.02;
/// Plate-slide's plate (a 0.1 m square in Meta-World) as a disc.
pub const PLATE_RADIUS: f32 = 0.05;
/// A handle within this distance of the TCP is hooked: it follows the TCP along its
/// slide. The door turns with the TCP while the TCP is this close to its panel.
pub const HOOK_RADIUS: f32 = 0.04;
pub const BUTTON_RADIUS: f32 = 0.02;
/// The pressed button rises back this much per step.
pub const BUTTON_SPRING: f32 = 0.005;
/// Joint ranges. Button and drawer travel a little past Meta-World's nominal limits, as
/// its soft MuJoCo limits let them, so that its success thresholds can be met.
pub const BUTTON_TRAVEL: f32 = 0.08;
pub const DRAWER_TRAVEL: f32 = 0.165;
pub const WINDOW_TRAVEL: f32 = 0.2;
pub const DOOR_LIMIT: f32 = 2.0;
/// The door's hinge from its body, and its handle from the hinge when closed.
pub const DOOR_HINGE: Vec3 = Vec3::new(-0.185, -0.1, 0.0);
pub const DOOR_HANDLE: Vec2 = Vec2::new(0.3757, -0.1072);
/// Reach-wall's wall, grown by the fingers' radius: the TCP may not enter it.
pub const WALL_LOW: Vec3 = Vec3::new(-0.03, 0.73, 0.0);
pub const WALL_HIGH: Vec3 = Vec3::new(0.23, 0.77, 0.13);

/// The constants above as WGSL declarations (the shader's only copy).
pub fn wgsl_consts() -> String {
    let vec3 = |name: &str, v: Vec3| {
        format!(
            "const {name}: vec3<f32> = vec3<f32>({:?}, {:?}, {:?});\n",
            v.x, v.y, v.z
        )
    };
    let scalar = |name: &str, v: f32| format!("const {name}: f32 = {v:?};\n");
    [
        vec3("TCP_OFFSET", TCP_OFFSET),
        vec3("HAND_LOW", HAND_LOW),
        vec3("HAND_HIGH", HAND_HIGH),
        scalar("ACTION_SCALE", ACTION_SCALE),
        scalar("GRIP_RATE", GRIP_RATE),
        scalar("GRASP_AT", GRASP_AT),
        scalar("RELEASE_AT", RELEASE_AT),
        scalar("GRASP_RADIUS", GRASP_RADIUS),
        scalar("FALL_PER_STEP", FALL_PER_STEP),
        scalar("FINGER_RADIUS", FINGER_RADIUS),
        scalar("PUCK_RADIUS", PUCK_RADIUS),
        scalar("PLATE_RADIUS", PLATE_RADIUS),
        scalar("HOOK_RADIUS", HOOK_RADIUS),
        scalar("BUTTON_RADIUS", BUTTON_RADIUS),
        scalar("BUTTON_SPRING", BUTTON_SPRING),
        scalar("BUTTON_TRAVEL", BUTTON_TRAVEL),
        scalar("DRAWER_TRAVEL", DRAWER_TRAVEL),
        scalar("WINDOW_TRAVEL", WINDOW_TRAVEL),
        scalar("DOOR_LIMIT", DOOR_LIMIT),
        vec3("DOOR_HINGE", DOOR_HINGE),
        format!(
            "const DOOR_HANDLE: vec2<f32> = vec2<f32>({:?}, {:?});\n",
            DOOR_HANDLE.x, DOOR_HANDLE.y
        ),
        vec3("WALL_LOW", WALL_LOW),
        vec3("WALL_HIGH", WALL_HIGH),
    ]
    .concat()
}

pub fn door_handle(base: Vec3, angle: f32) -> Vec3 {
    let (s, c) = angle.sin_cos();
    let r = Vec2::new(
        c * DOOR_HANDLE.x - s * DOOR_HANDLE.y,
        s * DOOR_HANDLE.x + c * DOOR_HANDLE.y,
    );
    (base.truncate() + DOOR_HINGE.truncate() + r).extend(base.z)
}

/// The observed object point: the free object, or the handle / button of the body at
/// `joint`.
pub fn object_point(task: Task, obj: Vec3, joint: f32) -> Vec3 {
    match task {
        Task::ButtonPressTopdown => obj + Vec3::new(0.0, 0.0, 0.193 + joint),
        Task::DrawerOpen => obj + Vec3::new(0.0, -0.17 + joint, 0.09),
        Task::DrawerClose => obj + Vec3::new(0.0, -0.17 + joint, 0.14),
        Task::DoorOpen => door_handle(obj, joint),
        Task::WindowOpen => obj + Vec3::new(-0.04 + joint, -0.095, 0.0),
        _ => obj,
    }
}

/// The object's quaternion in Meta-World's per-task convention.
pub fn object_quat(task: Task, joint: f32) -> Vec4 {
    match task {
        Task::ButtonPressTopdown => Vec4::new(0.707_106_77, -0.707_106_77, 0.0, 0.0),
        Task::DrawerOpen => Vec4::new(1.0, 0.0, 0.0, 0.0),
        Task::DrawerClose | Task::WindowOpen => Vec4::ZERO,
        Task::DoorOpen => Vec4::new(0.0, 0.0, (0.5 * joint).sin(), (0.5 * joint).cos()),
        _ => Vec4::new(0.0, 0.0, 0.0, 1.0),
    }
}

/// The gripper value of the observation: 1 open, 0.3 closed on nothing, at least 0.45
/// around the object.
pub fn opening(closed: f32, held: bool) -> f32 {
    let o = 1.0 - 0.7 * closed;
    if held {
        o.max(0.45)
    } else {
        o
    }
}

fn in_wall(tcp: Vec3) -> bool {
    tcp.cmpge(WALL_LOW).all() && tcp.cmple(WALL_HIGH).all()
}

/// Distance of `p` from the door's panel, the segment from the hinge to the handle (at
/// the handle's height).
fn panel_distance(p: Vec3, hinge: Vec3, handle: Vec3) -> f32 {
    let e = handle.truncate() - hinge.truncate();
    let r = p.truncate() - hinge.truncate();
    let t = (r.dot(e) / e.dot(e)).clamp(0.0, 1.0);
    let closest = (hinge.truncate() + e * t).extend(handle.z);
    p.distance(closest)
}

/// A disc pushed out of the fingers' way (see env.wgsl's `pushed`).
fn pushed(obj: Vec3, tcp: Vec3, radius: f32, top: f32, cage: f32) -> Vec3 {
    let d = obj.truncate() - tcp.truncate();
    let reach = radius + FINGER_RADIUS;
    let len = d.length();
    if tcp.z >= top + 0.01 || len >= reach || len < cage {
        return obj;
    }
    let dir = if len > 1e-6 { d / len } else { Vec2::Y };
    (tcp.truncate() + dir * reach).extend(obj.z)
}

/// One step of the world under action `act` (clamped to [-1, 1]).
pub fn step(task: Task, s: &ManipulationState, act: Vec4) -> ManipulationState {
    let mut n = *s;
    let a = act.clamp(Vec4::splat(-1.0), Vec4::ONE);
    let hand = Vec3::from(s.hand);
    let mut hand_next = (hand + a.truncate() * ACTION_SCALE).clamp(HAND_LOW, HAND_HIGH);
    if task == Task::ReachWall && in_wall(hand_next - TCP_OFFSET) {
        hand_next = hand;
    }
    let target = 0.5 * (a.w + 1.0);
    let closed = s.closed + (target - s.closed).clamp(-GRIP_RATE, GRIP_RATE);
    let tcp = hand - TCP_OFFSET;
    let tcp_next = hand_next - TCP_OFFSET;
    let mut obj = Vec3::from(s.obj);
    let mut joint = s.joint;
    if is_free_object(task) {
        let rest = task.ranges().obj_low[2];
        let mut held = s.held != 0;
        if held && closed < RELEASE_AT {
            held = false;
        }
        if !held
            && s.closed < GRASP_AT
            && closed >= GRASP_AT
            && tcp_next.distance(obj) < GRASP_RADIUS
        {
            held = true;
        }
        if held {
            obj = Vec3::new(tcp_next.x, tcp_next.y, tcp_next.z.max(rest));
        } else {
            obj.z = rest.max(obj.z - FALL_PER_STEP);
            let cage = if closed < GRASP_AT { GRASP_RADIUS } else { 0.0 };
            obj = pushed(obj, tcp_next, PUCK_RADIUS, obj.z + rest, cage);
        }
        n.held = held as u32;
    } else if task == Task::PlateSlide {
        obj = pushed(obj, tcp_next, PLATE_RADIUS, 0.03, 0.0);
        let xy = obj
            .truncate()
            .clamp(Vec2::new(-0.2, 0.6), Vec2::new(0.2, 0.9));
        obj = xy.extend(obj.z);
    } else if task == Task::ButtonPressTopdown {
        let top = object_point(task, obj, joint);
        let sprung = (joint + BUTTON_SPRING).min(0.0);
        let over =
            tcp_next.truncate().distance(top.truncate()) < BUTTON_RADIUS && tcp.z >= top.z - 0.005;
        let pressed = tcp_next.z - (obj.z + 0.193);
        let j = if over { sprung.min(pressed) } else { sprung };
        joint = j.clamp(-BUTTON_TRAVEL, 0.0);
        // The fully pressed button stops the fingers.
        if over && pressed < -BUTTON_TRAVEL {
            hand_next.z = obj.z + 0.193 - BUTTON_TRAVEL + TCP_OFFSET.z;
        }
    } else if task == Task::DoorOpen {
        // The door turns with the TCP about the hinge while the TCP touches its panel.
        let handle = object_point(task, obj, joint);
        let hinge = obj + DOOR_HINGE;
        if panel_distance(tcp, hinge, handle) < HOOK_RADIUS {
            let r0 = tcp.truncate() - hinge.truncate();
            let r1 = tcp_next.truncate() - hinge.truncate();
            let turn = (r0.x * r1.y - r0.y * r1.x).atan2(r0.dot(r1));
            joint = (joint + turn).clamp(-DOOR_LIMIT, 0.0);
        }
    } else {
        // Hooked handles follow the TCP along their slide.
        let handle = object_point(task, obj, joint);
        if tcp.distance(handle) < HOOK_RADIUS {
            let delta = tcp_next - tcp;
            joint = if task == Task::WindowOpen {
                (joint + delta.x).clamp(0.0, WINDOW_TRAVEL)
            } else {
                (joint + delta.y).clamp(-DRAWER_TRAVEL, 0.0)
            };
        }
    }
    n.hand = hand_next.into();
    n.closed = closed;
    n.obj = obj.into();
    n.joint = joint;
    n.prev_hand = s.hand;
    n.prev_opening = opening(s.closed, s.held != 0);
    n.prev_point = object_point(task, Vec3::from(s.obj), s.joint).into();
    n.prev_joint = s.joint;
    n.time = s.time + 1;
    n
}
