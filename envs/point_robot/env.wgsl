// PointRobot-misc (gymnax, after Dorfman et al. 2021). Spec: README.md. Twin: mod.rs.
// OBS_DIM = 6, ACTION_DIM = 2: actions in [-1, 1]^2 are moves in units of max_force.

const PI: f32 = 3.1415927;
const GOAL_FIXED: u32 = 0u;       // the goal in params
const GOAL_PER_TASK: u32 = 1u;    // drawn once per env by env_sample_params (then fixed)
const GOAL_PER_EPISODE: u32 = 2u; // drawn at every reset, as gymnax does

struct EnvParams {
    max_force: f32,
    circle_radius: f32,
    dense_reward: u32,
    goal_radius: f32,
    center_init: u32,
    normalize_time: u32,
    max_steps: u32,
    goal_draw: u32,
    goal_x: f32,
    goal_y: f32,
}

struct EnvState {
    pos_x: f32,
    pos_y: f32,
    goal_x: f32,
    goal_y: f32,
    last_action_x: f32,
    last_action_y: f32,
    last_reward: f32,
    goals_reached: u32,
    time: u32,
}

// A goal on the upper half of the circle: draw i of the key.
fn robot_goal(key: Key, i: u32, p: EnvParams) -> vec2<f32> {
    let angle = rng_uniform(key, i) * PI;
    return p.circle_radius * vec2<f32>(cos(angle), sin(angle));
}

// gymnax's start: radius and angle uniform (not uniform over the half disc), or the centre.
fn robot_start(key: Key, i: u32, p: EnvParams) -> vec2<f32> {
    if p.center_init != 0u {
        return vec2<f32>(0.0);
    }
    let radius = rng_uniform(key, i) * p.circle_radius;
    let angle = rng_uniform(key, i + 1u) * PI;
    return vec2<f32>(radius * cos(angle), radius * sin(angle));
}

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    var p = base;
    if base.goal_draw == GOAL_PER_TASK {
        let goal = robot_goal(key, 0u, base);
        p.goal_x = goal.x;
        p.goal_y = goal.y;
        p.goal_draw = GOAL_FIXED;
    }
    return p;
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    var goal = vec2<f32>(p.goal_x, p.goal_y);
    if p.goal_draw == GOAL_PER_EPISODE {
        goal = robot_goal(key, 0u, p);
    }
    let pos = robot_start(key, 1u, p);
    return EnvState(pos.x, pos.y, goal.x, goal.y, 0.0, 0.0, 0.0, 0u, 0u);
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    let move_x = clamp(action[0], -1.0, 1.0) * p.max_force;
    let move_y = clamp(action[1], -1.0, 1.0) * p.max_force;
    let dx = s.goal_x - s.pos_x;
    let dy = s.goal_y - s.pos_y;
    let distance = sqrt(dx * dx + dy * dy); // from the position before the move
    let reached = distance <= p.goal_radius;
    var reward = select(0.0, 1.0, reached);
    if p.dense_reward != 0u {
        reward = -distance;
    }
    var next = s;
    next.pos_x = s.pos_x + move_x;
    next.pos_y = s.pos_y + move_y;
    if reached {
        let start = robot_start(key, 0u, p);
        next.pos_x = start.x;
        next.pos_y = start.y;
    }
    next.last_action_x = action[0] * p.max_force;
    next.last_action_y = action[1] * p.max_force;
    next.last_reward = reward;
    next.goals_reached = s.goals_reached + u32(reached);
    next.time = s.time + 1u;
    return StepOut(next, reward, false, next.time >= p.max_steps, reached);
}

fn env_observe(s: EnvState, p: EnvParams) {
    obs_put(0u, s.pos_x);
    obs_put(1u, s.pos_y);
    obs_put(2u, s.last_reward);
    obs_put(3u, s.last_action_x);
    obs_put(4u, s.last_action_y);
    var time = f32(s.time);
    if p.normalize_time != 0u {
        time = f32(2 * i32(s.time) - 100) * 0.01;
    }
    obs_put(5u, time);
}
