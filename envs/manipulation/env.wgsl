// Kinematic tabletop manipulation in the spirit of Meta-World. Spec: README.md. Twin:
// world.rs (kinematics), reward.rs (rewards and success), mod.rs (reset, observation).
// Tables (env_table, f32 bits): per task TASK_STRIDE floats from task * TASK_STRIDE: hand
// start (3), object or body position low (3) and high (3), goal low (3) and high (3).
// Prelude consts: TASKS (bit t: task t can run in this batch), ONE_HOT (append the task
// one-hot to the observation), NUM_TASKS, TASK_ANY, the task ids TASK_*, POS_*, and the world's
// dimensions (TCP_OFFSET, HAND_LOW, GRIP_RATE, ...: world.rs documents them).

struct EnvParams {
    task: u32,            // a task id, or TASK_ANY: env_sample_params draws one from task_set
    task_set: u32,        // bit t: TASK_ANY may draw task t
    positions: u32,       // POS_FIXED: obj and goal below; POS_PER_ENV: drawn once per env; POS_PER_EPISODE: at every reset
    goal_observable: u32, // 0: goal entries of the observation are zero (Meta-World's ML setting)
    max_steps: u32,
    obj: array<f32, 3>,   // free object or articulated body position (POS_FIXED)
    goal: array<f32, 3>,  // goal of the free-object tasks and plate-slide (POS_FIXED)
}

struct EnvState {
    hand: array<f32, 3>,
    closed: f32,          // gripper closure in [0, 1]
    obj: array<f32, 3>,   // free object / plate position, or the articulated body's base
    joint: f32,           // the articulated body's one degree of freedom
    prev_hand: array<f32, 3>,
    prev_opening: f32,
    prev_point: array<f32, 3>,
    prev_joint: f32,
    goal: array<f32, 3>,
    point_init: array<f32, 3>, // the observed object point at reset
    held: u32,            // the free object is in the gripper
    time: u32,
}

fn v3(a: array<f32, 3>) -> vec3<f32> {
    return vec3<f32>(a[0], a[1], a[2]);
}

fn a3(v: vec3<f32>) -> array<f32, 3> {
    return array<f32, 3>(v.x, v.y, v.z);
}

fn task_used(t: u32) -> bool {
    return (TASKS & (1u << t)) != 0u;
}

fn is_task(p: EnvParams, t: u32) -> bool {
    return task_used(t) && p.task == t;
}

fn free_object(p: EnvParams) -> bool {
    return is_task(p, TASK_REACH) || is_task(p, TASK_REACH_WALL) || is_task(p, TASK_PUSH)
        || is_task(p, TASK_PICK_PLACE);
}

fn task_vec(task: u32, k: u32) -> vec3<f32> {
    let base = task * TASK_STRIDE + 3u * k;
    return vec3<f32>(
        bitcast<f32>(env_table(base)),
        bitcast<f32>(env_table(base + 1u)),
        bitcast<f32>(env_table(base + 2u)),
    );
}

fn hand_start(task: u32) -> vec3<f32> {
    return task_vec(task, 0u);
}

fn uniform3(key: Key, i: u32, low: vec3<f32>, high: vec3<f32>) -> vec3<f32> {
    let u = vec3<f32>(rng_uniform(key, i), rng_uniform(key, i + 1u), rng_uniform(key, i + 2u));
    return low + (high - low) * u;
}

// Object (or body) and goal positions from the task's ranges. Free-object tasks redraw, up
// to REDRAWS times, while the object starts within 0.15 of the goal in the plane.
fn draw_positions(key: Key, p: EnvParams) -> EnvParams {
    var q = p;
    for (var attempt = 0u; attempt < REDRAWS; attempt++) {
        let obj = uniform3(key, 6u * attempt, task_vec(p.task, 1u), task_vec(p.task, 2u));
        let goal = uniform3(key, 6u * attempt + 3u, task_vec(p.task, 3u), task_vec(p.task, 4u));
        q.obj = a3(obj);
        q.goal = a3(goal);
        if !free_object(p) || distance(obj.xy, goal.xy) >= 0.15 {
            break;
        }
    }
    return q;
}

fn pick_task(key: Key, tasks: u32) -> u32 {
    let k = rng_below(key, 1000u, max(countOneBits(tasks), 1u));
    var seen = 0u;
    for (var t = 0u; t < NUM_TASKS; t++) {
        if (tasks & (1u << t)) != 0u {
            if seen == k {
                return t;
            }
            seen++;
        }
    }
    return 0u;
}

// A concrete task per env: the task (multi-task batches) and, for POS_PER_ENV, its
// positions (Meta-World's frozen rand_vec).
fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    var p = base;
    if p.task == TASK_ANY {
        p.task = pick_task(key, p.task_set);
    }
    if p.positions == POS_PER_ENV {
        p = draw_positions(key, p);
        p.positions = POS_FIXED;
    }
    return p;
}

fn door_angle_point(base: vec3<f32>, angle: f32) -> vec3<f32> {
    let c = cos(angle);
    let s = sin(angle);
    let r = vec2<f32>(c * DOOR_HANDLE.x - s * DOOR_HANDLE.y, s * DOOR_HANDLE.x + c * DOOR_HANDLE.y);
    return vec3<f32>(base.xy + DOOR_HINGE.xy + r, base.z);
}

// The observed object point: the free object, or the handle / button of the body at
// `joint`.
fn object_point(p: EnvParams, obj: vec3<f32>, joint: f32) -> vec3<f32> {
    if is_task(p, TASK_BUTTON_PRESS_TOPDOWN) {
        return obj + vec3<f32>(0.0, 0.0, 0.193 + joint);
    }
    if is_task(p, TASK_DRAWER_OPEN) {
        return obj + vec3<f32>(0.0, -0.17 + joint, 0.09);
    }
    if is_task(p, TASK_DRAWER_CLOSE) {
        return obj + vec3<f32>(0.0, -0.17 + joint, 0.14);
    }
    if is_task(p, TASK_DOOR_OPEN) {
        return door_angle_point(obj, joint);
    }
    if is_task(p, TASK_WINDOW_OPEN) {
        return obj + vec3<f32>(-0.04 + joint, -0.095, 0.0);
    }
    return obj;
}

fn object_quat(p: EnvParams, joint: f32) -> vec4<f32> {
    if is_task(p, TASK_BUTTON_PRESS_TOPDOWN) {
        return vec4<f32>(0.70710677, -0.70710677, 0.0, 0.0);
    }
    if is_task(p, TASK_DRAWER_OPEN) {
        return vec4<f32>(1.0, 0.0, 0.0, 0.0);
    }
    if is_task(p, TASK_DRAWER_CLOSE) || is_task(p, TASK_WINDOW_OPEN) {
        return vec4<f32>(0.0);
    }
    if is_task(p, TASK_DOOR_OPEN) {
        return vec4<f32>(0.0, 0.0, sin(0.5 * joint), cos(0.5 * joint));
    }
    return vec4<f32>(0.0, 0.0, 0.0, 1.0);
}

fn opening(closed: f32, held: bool) -> f32 {
    let o = 1.0 - 0.7 * closed;
    return select(o, max(o, 0.45), held);
}

fn env_reset(key: Key, base: EnvParams) -> EnvState {
    var p = base;
    p.task = min(p.task, NUM_TASKS - 1u);
    if p.positions != POS_FIXED {
        p = draw_positions(key, p);
    }
    var s: EnvState;
    let hand = hand_start(p.task);
    var obj = v3(p.obj);
    var goal = v3(p.goal);
    var joint = 0.0;
    if is_task(p, TASK_PUSH) {
        goal.z = obj.z;
    } else if is_task(p, TASK_BUTTON_PRESS_TOPDOWN) {
        goal = obj + vec3<f32>(0.0, 0.0, 0.1);
    } else if is_task(p, TASK_DRAWER_OPEN) {
        goal = obj + vec3<f32>(0.0, -0.36, 0.09);
    } else if is_task(p, TASK_DRAWER_CLOSE) {
        goal = obj + vec3<f32>(0.0, -0.16, 0.09);
        joint = -0.15;
    } else if is_task(p, TASK_DOOR_OPEN) {
        goal = obj + vec3<f32>(-0.3, -0.45, 0.0);
    } else if is_task(p, TASK_WINDOW_OPEN) {
        goal = obj + vec3<f32>(0.2, 0.0, 0.0);
    } else if is_task(p, TASK_PLATE_SLIDE) {
        obj = vec3<f32>(obj.xy, 0.015);
    }
    let point = object_point(p, obj, joint);
    s.hand = a3(hand);
    s.closed = 0.0;
    s.obj = a3(obj);
    s.joint = joint;
    s.prev_hand = s.hand;
    s.prev_opening = 1.0;
    s.prev_point = a3(point);
    s.prev_joint = joint;
    s.goal = a3(goal);
    s.point_init = a3(point);
    s.held = 0u;
    s.time = 0u;
    return s;
}

fn in_wall(tcp: vec3<f32>) -> bool {
    return all(tcp >= WALL_LOW) && all(tcp <= WALL_HIGH);
}

// A disc of `radius` on the table pushed out of the fingers' way: its centre moves to the
// fingers' circle along the line from the TCP. Open fingers straddle a disc whose centre
// is within `cage` of the TCP (so it can be grasped from above) instead.
fn pushed(obj: vec3<f32>, tcp: vec3<f32>, radius: f32, top: f32, cage: f32) -> vec3<f32> {
    let d = obj.xy - tcp.xy;
    let reach = radius + FINGER_RADIUS;
    let len = length(d);
    if tcp.z >= top + 0.01 || len >= reach || len < cage {
        return obj;
    }
    let dir = select(vec2<f32>(0.0, 1.0), d / len, len > 1e-6);
    return vec3<f32>(tcp.xy + dir * reach, obj.z);
}

// Distance of `q` from the door's panel, the segment from the hinge to the handle (at the
// handle's height).
fn panel_distance(q: vec3<f32>, hinge: vec3<f32>, handle: vec3<f32>) -> f32 {
    let e = handle.xy - hinge.xy;
    let r = q.xy - hinge.xy;
    let t = clamp(dot(r, e) / dot(e, e), 0.0, 1.0);
    return distance(q, vec3<f32>(hinge.xy + e * t, handle.z));
}

// Moves the hand, gripper, object and joint for one step.
fn world_step(p: EnvParams, s: EnvState, act: vec4<f32>) -> EnvState {
    var n = s;
    let a = clamp(act, vec4<f32>(-1.0), vec4<f32>(1.0));
    let hand = v3(s.hand);
    var hand_next = clamp(hand + a.xyz * ACTION_SCALE, HAND_LOW, HAND_HIGH);
    if is_task(p, TASK_REACH_WALL) && in_wall(hand_next - TCP_OFFSET) {
        hand_next = hand;
    }
    let grip_target = 0.5 * (a.w + 1.0);
    let closed = s.closed + clamp(grip_target - s.closed, -GRIP_RATE, GRIP_RATE);
    let tcp = hand - TCP_OFFSET;
    let tcp_next = hand_next - TCP_OFFSET;
    var obj = v3(s.obj);
    var joint = s.joint;
    if free_object(p) {
        let rest = task_vec(p.task, 1u).z;
        var held = s.held != 0u;
        if held && closed < RELEASE_AT {
            held = false;
        }
        if !held && s.closed < GRASP_AT && closed >= GRASP_AT && distance(tcp_next, obj) < GRASP_RADIUS {
            held = true;
        }
        if held {
            obj = vec3<f32>(tcp_next.xy, max(tcp_next.z, rest));
        } else {
            obj.z = max(rest, obj.z - FALL_PER_STEP);
            let cage = select(0.0, GRASP_RADIUS, closed < GRASP_AT);
            obj = pushed(obj, tcp_next, PUCK_RADIUS, obj.z + rest, cage);
        }
        n.held = u32(held);
    } else if is_task(p, TASK_PLATE_SLIDE) {
        obj = pushed(obj, tcp_next, PLATE_RADIUS, 0.03, 0.0);
        obj = vec3<f32>(clamp(obj.xy, vec2<f32>(-0.2, 0.6), vec2<f32>(0.2, 0.9)), obj.z);
    } else if is_task(p, TASK_BUTTON_PRESS_TOPDOWN) {
        // Pressed from above; the spring lifts it back otherwise.
        let top = object_point(p, obj, joint);
        let sprung = min(joint + BUTTON_SPRING, 0.0);
        let over = distance(tcp_next.xy, top.xy) < BUTTON_RADIUS && tcp.z >= top.z - 0.005;
        let pressed = tcp_next.z - (obj.z + 0.193);
        joint = clamp(select(sprung, min(sprung, pressed), over), -BUTTON_TRAVEL, 0.0);
        // The fully pressed button stops the fingers.
        if over && pressed < -BUTTON_TRAVEL {
            hand_next.z = obj.z + 0.193 - BUTTON_TRAVEL + TCP_OFFSET.z;
        }
    } else if is_task(p, TASK_DOOR_OPEN) {
        // The door turns with the TCP about the hinge while the TCP touches its panel.
        let handle = object_point(p, obj, joint);
        let hinge = obj + DOOR_HINGE;
        if panel_distance(tcp, hinge, handle) < HOOK_RADIUS {
            let r0 = tcp.xy - hinge.xy;
            let r1 = tcp_next.xy - hinge.xy;
            let turn = atan2(r0.x * r1.y - r0.y * r1.x, dot(r0, r1));
            joint = clamp(joint + turn, -DOOR_LIMIT, 0.0);
        }
    } else {
        // Hooked handles follow the TCP along their slide.
        let handle = object_point(p, obj, joint);
        if distance(tcp, handle) < HOOK_RADIUS {
            let delta = tcp_next - tcp;
            if is_task(p, TASK_WINDOW_OPEN) {
                joint = clamp(joint + delta.x, 0.0, WINDOW_TRAVEL);
            } else {
                joint = clamp(joint + delta.y, -DRAWER_TRAVEL, 0.0);
            }
        }
    }
    n.hand = a3(hand_next);
    n.closed = closed;
    n.obj = a3(obj);
    n.joint = joint;
    n.prev_hand = s.hand;
    n.prev_opening = opening(s.closed, s.held != 0u);
    n.prev_point = a3(object_point(p, v3(s.obj), s.joint));
    n.prev_joint = s.joint;
    n.time = s.time + 1u;
    return n;
}

// dm_control's tolerance as Meta-World uses it: 1 within [low, high], else a sigmoid of
// the distance in margins that is 0.1 at one margin (long tail or Gaussian).
fn tolerance(x: f32, low: f32, high: f32, margin: f32, gaussian: bool) -> f32 {
    if x >= low && x <= high {
        return 1.0;
    }
    if margin <= 0.0 {
        return 0.0;
    }
    let d = select(x - high, low - x, x < low) / margin;
    if gaussian {
        return exp(-2.3025851 * d * d);
    }
    return 1.0 / (9.0 * d * d + 1.0);
}

fn hamacher(a: f32, b: f32) -> f32 {
    let denominator = a + b - a * b;
    return select(a * b / denominator, 0.0, denominator <= 0.0);
}

struct Scored {
    reward: f32,
    success: bool,
}

// Meta-World's v2 reward and success of the state after a step (reward.rs has the twin
// and README.md the sources).
fn score(p: EnvParams, s: EnvState, act: vec4<f32>) -> Scored {
    let a = clamp(act, vec4<f32>(-1.0), vec4<f32>(1.0));
    let hand = v3(s.hand);
    let tcp = hand - TCP_OFFSET;
    let tcp_init = hand_start(p.task) - TCP_OFFSET;
    let goal = v3(s.goal);
    let point = object_point(p, v3(s.obj), s.joint);
    let point_init = v3(s.point_init);
    let open = opening(s.closed, s.held != 0u);
    let grip = clamp(a.w, 0.0, 1.0);
    if is_task(p, TASK_REACH) || is_task(p, TASK_REACH_WALL) {
        let d = distance(tcp, goal);
        let r = 10.0 * tolerance(d, 0.0, 0.05, distance(hand_start(p.task), goal), false);
        return Scored(r, d <= 0.05);
    }
    if is_task(p, TASK_PUSH) || is_task(p, TASK_PICK_PLACE) {
        let d_to = distance(point, tcp);
        let d_og = distance(point, goal);
        let in_place = tolerance(d_og, 0.0, 0.05, distance(point_init, goal), false);
        // The finger pads sit on either side of the TCP along y, the opening apart.
        let left = tcp.y + 0.05 * open;
        let right = tcp.y - 0.05 * open;
        let xz = length(vec2<f32>(tcp.x - point.x, tcp.z - point.z));
        let xz_margin = length(vec2<f32>(point_init.x - tcp_init.x, point_init.z - tcp_init.z)) - 0.005;
        let caging_xz = tolerance(xz, 0.0, 0.005, xz_margin, false);
        if is_task(p, TASK_PUSH) {
            let c_left = tolerance(abs(left - point.y), 0.015, 0.05, abs(abs(left - point_init.y) - 0.05), false);
            let c_right = tolerance(abs(right - point.y), 0.015, 0.05, abs(abs(right - point_init.y) - 0.05), false);
            let caging = hamacher(hamacher(c_left, c_right), caging_xz);
            let gripping = select(0.0, grip, caging > 0.97);
            let og = 0.5 * (hamacher(caging, gripping) + caging);
            var r = 2.0 * og;
            if d_to < 0.02 && open > 0.0 {
                r = 4.0 * og + 1.0 + 5.0 * in_place;
            }
            if d_og < 0.05 {
                r = 10.0;
            }
            return Scored(r, d_og <= 0.05);
        }
        let c_left = tolerance(left - point.y, 0.015, 0.05, abs(abs(point.y - (tcp_init.y + 0.05)) - 0.05), false);
        let c_right = tolerance(point.y - right, 0.015, 0.05, abs(abs(point.y - (tcp_init.y - 0.05)) - 0.05), false);
        let caging = hamacher(hamacher(c_left, c_right), caging_xz);
        let gripping = select(0.0, grip, caging > 0.97);
        let og = 0.5 * (hamacher(caging, gripping) + caging);
        var r = hamacher(og, in_place);
        if d_to < 0.02 && open > 0.0 && point.z - 0.01 > point_init.z {
            r += 1.0 + 5.0 * in_place;
        }
        if d_og < 0.05 {
            r = 10.0;
        }
        return Scored(r, d_og <= 0.07);
    }
    if is_task(p, TASK_BUTTON_PRESS_TOPDOWN) {
        let d_to = distance(point, tcp);
        let d_press = abs(goal.z - point.z);
        let near = tolerance(d_to, 0.0, 0.01, distance(point, tcp_init), false);
        let pressed = tolerance(d_press, 0.0, 0.005, 0.0935, false);
        var r = 5.0 * hamacher(1.0 - open, near);
        if d_to <= 0.03 {
            r += 5.0 * pressed;
        }
        return Scored(r, d_press <= 0.024);
    }
    if is_task(p, TASK_DRAWER_OPEN) {
        let e = distance(point, goal);
        let opened = tolerance(e, 0.0, 0.02, 0.2, false);
        let scale = vec3<f32>(3.0, 3.0, 1.0);
        let handle_init = goal + vec3<f32>(0.0, 0.2, 0.0);
        let ge = length((point - hand) * scale);
        let cage = tolerance(ge, 0.0, 0.01, length((handle_init - tcp_init) * scale), false);
        return Scored(5.0 * (cage + opened), e <= 0.03);
    }
    if is_task(p, TASK_DRAWER_CLOSE) {
        let d_og = distance(point, goal);
        let in_place = tolerance(d_og, 0.0, 0.05, abs(distance(point_init, goal) - 0.05), false);
        let near = tolerance(distance(point, tcp), 0.0, 0.005, abs(distance(point_init, tcp_init) - 0.005), true);
        let r = select(10.0 * hamacher(hamacher(near, grip), in_place), 10.0, d_og <= 0.065);
        return Scored(r, d_og <= 0.065);
    }
    if is_task(p, TASK_DOOR_OPEN) {
        let opened_wide = abs(point.x - goal.x) <= 0.08;
        let grab = 0.5 * (a.w + 1.0);
        let door = point + vec3<f32>(-0.05, 0.0, 0.0);
        let rad = distance(hand.xy, door.xy);
        let floor_z = select(0.04 * log(rad - 0.12) + 0.4, 0.0, rad <= 0.12);
        let above = select(tolerance(floor_z - hand.z, 0.0, 0.01, 0.5 * floor_z, false), 1.0, hand.z >= floor_z);
        let in_place = tolerance(distance(hand, door + vec3<f32>(0.05, 0.03, -0.01)), 0.0, 0.06, 0.5, false);
        let ready = hamacher(above, in_place);
        let opened = select(0.0, 0.2, s.joint < -3.14159265 / 90.0)
            + 0.8 * tolerance(2.0943951 + s.joint, 0.0, 0.5, 1.0471976, false);
        let r = select(2.0 * hamacher(ready, grab) + 8.0 * opened, 10.0, opened_wide);
        return Scored(r, opened_wide);
    }
    if is_task(p, TASK_WINDOW_OPEN) {
        let dx = abs(point.x - goal.x);
        let in_place = tolerance(dx, 0.0, 0.05, 0.15, false);
        let near = tolerance(distance(point, tcp), 0.0, 0.02, abs(distance(point_init, tcp_init) - 0.02), false);
        return Scored(10.0 * hamacher(near, in_place), dx <= 0.05);
    }
    // Plate slide.
    let d_og = distance(point, goal);
    let in_place = tolerance(d_og, 0.0, 0.05, distance(point_init, goal), false);
    let near = tolerance(distance(tcp, point), 0.0, 0.05, distance(tcp_init, point_init), false);
    let r = select(8.0 * hamacher(near, in_place), 10.0, d_og < 0.05);
    return Scored(r, d_og <= 0.07);
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    let act = vec4<f32>(action[0], action[1], action[2], action[3]);
    let next = world_step(p, s, act);
    let scored = score(p, next, act);
    return StepOut(next, scored.reward, false, next.time >= p.max_steps, scored.success);
}

fn put3(j: u32, v: vec3<f32>) {
    obs_put(j, v.x);
    obs_put(j + 1u, v.y);
    obs_put(j + 2u, v.z);
}

fn put4(j: u32, v: vec4<f32>) {
    put3(j, v.xyz);
    obs_put(j + 3u, v.w);
}

// Meta-World's 39 entries: hand, gripper opening, object point and quaternion, an unused
// second object (zeros), the same 18 of the previous step, the goal; then the task one-hot
// in multi-task batches.
fn env_observe(s: EnvState, p: EnvParams) {
    put3(0u, v3(s.hand));
    obs_put(3u, opening(s.closed, s.held != 0u));
    put3(4u, object_point(p, v3(s.obj), s.joint));
    put4(7u, object_quat(p, s.joint));
    put3(18u, v3(s.prev_hand));
    obs_put(21u, s.prev_opening);
    put3(22u, v3(s.prev_point));
    put4(25u, object_quat(p, s.prev_joint));
    if p.goal_observable != 0u {
        put3(36u, v3(s.goal));
    }
    if ONE_HOT != 0u {
        obs_put(39u + min(p.task, NUM_TASKS - 1u), 1.0);
    }
}
