// MountainCar-v0 and MountainCarContinuous-v0 (gymnax). Spec: README.md. Twin: mod.rs.
// Prelude consts: CONTINUOUS (1: a force in [min_action, max_action], 0: three pushes),
// OBS_DIM = 2, NUM_ACTIONS (3 discrete; 0 continuous, ACTION_DIM = 1). The generated
// prelude defines car_push(action): gymnax's action - 1 (discrete) or the force (continuous).

struct EnvParams {
    min_action: f32,     // continuous only
    max_action: f32,     // continuous only
    min_position: f32,
    max_position: f32,
    max_speed: f32,
    goal_position: f32,
    goal_velocity: f32,
    force: f32,          // discrete: gymnax's force; continuous: gymnax's power
    gravity: f32,
    max_steps: u32,
}

struct EnvState {
    position: f32,
    velocity: f32,
    time: u32,
}

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    return base;
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    return EnvState(rng_uniform(key, 0u) * 0.2 - 0.6, 0.0, 0u);
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    let a = car_push(action);
    var push = a;
    if CONTINUOUS == 1u {
        push = clamp(a, p.min_action, p.max_action);
    }
    var velocity = s.velocity + push * p.force - cos(3.0 * s.position) * p.gravity;
    velocity = clamp(velocity, -p.max_speed, p.max_speed);
    let position = clamp(s.position + velocity, p.min_position, p.max_position);
    // gymnax stops the car at the left wall (discrete) and, unlike gym, at the goal when
    // moving left (continuous).
    var stopped = position == p.min_position;
    if CONTINUOUS == 1u {
        stopped = position >= p.goal_position;
    }
    if stopped && velocity < 0.0 {
        velocity = 0.0;
    }
    let at_goal = position >= p.goal_position && velocity >= p.goal_velocity;
    var reward = -1.0;
    if CONTINUOUS == 1u {
        reward = -0.1 * (a * a) + select(0.0, 100.0, at_goal);
    }
    let next = EnvState(position, velocity, s.time + 1u);
    return StepOut(next, reward, at_goal, next.time >= p.max_steps, at_goal);
}

fn env_observe(s: EnvState, p: EnvParams) {
    obs_put(0u, s.position);
    obs_put(1u, s.velocity);
}
