// Pendulum-v1 (gymnax). Spec: README.md. Twin: mod.rs. OBS_DIM = 3, ACTION_DIM = 1: the
// action in [-1, 1] is the torque in units of max_torque.

const PI: f32 = 3.1415927;

struct EnvParams {
    max_speed: f32,
    max_torque: f32,
    dt: f32,
    g: f32,
    m: f32,
    l: f32,
    max_steps: u32,
}

struct EnvState {
    theta: f32,
    theta_dot: f32,
    last_u: f32,  // kept for rendering, as in gymnax
    time: u32,
}

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    return base;
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    let theta = rng_uniform(key, 0u) * (2.0 * PI) - PI;
    let theta_dot = rng_uniform(key, 1u) * 2.0 - 1.0;
    return EnvState(theta, theta_dot, 0.0, 0u);
}

// gymnax's ((x + pi) mod 2 pi) - pi, with the floored modulo of jnp.remainder.
fn pendulum_angle_normalize(x: f32) -> f32 {
    let y = x + PI;
    var r = y - 2.0 * PI * trunc(y / (2.0 * PI));
    if r != 0.0 && r < 0.0 {
        r += 2.0 * PI;
    }
    return r - PI;
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    let u = clamp(action[0], -1.0, 1.0) * p.max_torque;
    let th = pendulum_angle_normalize(s.theta);
    let reward = -(th * th + 0.1 * (s.theta_dot * s.theta_dot) + 0.001 * (u * u));
    var thdot = s.theta_dot
        + (3.0 * p.g / (2.0 * p.l) * sin(s.theta) + 3.0 / (p.m * (p.l * p.l)) * u) * p.dt;
    thdot = clamp(thdot, -p.max_speed, p.max_speed);
    let next = EnvState(s.theta + thdot * p.dt, thdot, u, s.time + 1u);
    return StepOut(next, reward, false, next.time >= p.max_steps, false);
}

fn env_observe(s: EnvState, p: EnvParams) {
    obs_put(0u, cos(s.theta));
    obs_put(1u, sin(s.theta));
    obs_put(2u, s.theta_dot);
}
