// Acrobot-v1 (gymnax: the "book" dynamics, one RK4 step per env step). Spec: README.md.
// Twin: mod.rs. OBS_DIM = 6, NUM_ACTIONS = 3.

const PI: f32 = 3.1415927;
const GRAVITY: f32 = 9.8; // fixed in gymnax's dsdt, not a param

struct EnvParams {
    torque: array<f32, 3>,  // gymnax's available_torque, indexed by the action
    dt: f32,
    link_length_1: f32,
    link_length_2: f32,     // unused by the dynamics, as in gymnax
    link_mass_1: f32,
    link_mass_2: f32,
    link_com_pos_1: f32,
    link_com_pos_2: f32,
    link_moi: f32,
    max_vel_1: f32,
    max_vel_2: f32,
    torque_noise_max: f32,
    max_steps: u32,
}

struct EnvState {
    theta1: f32,
    theta2: f32,
    dtheta1: f32,
    dtheta2: f32,
    time: u32,
}

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    return base;
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    var v: array<f32, 4>;
    for (var i = 0u; i < 4u; i++) {
        v[i] = rng_uniform(key, i) * 0.2 - 0.1;
    }
    return EnvState(v[0], v[1], v[2], v[3], 0u);
}

// d/dt of (theta1, theta2, dtheta1, dtheta2) under torque a on the second joint.
fn acrobot_dsdt(s: vec4<f32>, a: f32, p: EnvParams) -> vec4<f32> {
    let m1 = p.link_mass_1;
    let m2 = p.link_mass_2;
    let l1 = p.link_length_1;
    let lc1 = p.link_com_pos_1;
    let lc2 = p.link_com_pos_2;
    let i1 = p.link_moi;
    let i2 = p.link_moi;
    let theta1 = s.x;
    let theta2 = s.y;
    let dtheta1 = s.z;
    let dtheta2 = s.w;
    let d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2.0 * l1 * lc2 * cos(theta2)) + i1 + i2;
    let d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos(theta2)) + i2;
    let phi2 = m2 * lc2 * GRAVITY * cos(theta1 + theta2 - PI / 2.0);
    let phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin(theta2)
        - 2.0 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2)
        + (m1 * lc1 + m2 * l1) * GRAVITY * cos(theta1 - PI / 2.0)
        + phi2;
    let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin(theta2) - phi2)
        / (m2 * (lc2 * lc2) + i2 - (d2 * d2) / d1);
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    return vec4<f32>(dtheta1, dtheta2, ddtheta1, ddtheta2);
}

// gymnax's wrap into [lo, hi): whole turns added or removed.
fn acrobot_wrap(x: f32, lo: f32, hi: f32) -> f32 {
    let diff = hi - lo;
    let up = select(0.0, 1.0, x < lo);
    let down = select(0.0, 1.0, x >= hi);
    let how_often = up * ceil((lo - x) / diff) + down * floor((x - hi) / diff + 1.0);
    return x - how_often * diff * down + how_often * diff * up;
}

fn acrobot_up(theta1: f32, theta2: f32) -> bool {
    return -cos(theta1) - cos(theta2 + theta1) > 1.0;
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    let torque = p.torque[min(action, 2u)]
        + (rng_uniform(key, 0u) * (2.0 * p.torque_noise_max) - p.torque_noise_max);
    let y0 = vec4<f32>(s.theta1, s.theta2, s.dtheta1, s.dtheta2);
    let dt2 = p.dt / 2.0;
    let k1 = acrobot_dsdt(y0, torque, p);
    let k2 = acrobot_dsdt(y0 + dt2 * k1, torque, p);
    let k3 = acrobot_dsdt(y0 + dt2 * k2, torque, p);
    let k4 = acrobot_dsdt(y0 + p.dt * k3, torque, p);
    let y = y0 + p.dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    var next: EnvState;
    next.theta1 = acrobot_wrap(y.x, -PI, PI);
    next.theta2 = acrobot_wrap(y.y, -PI, PI);
    next.dtheta1 = clamp(y.z, -p.max_vel_1, p.max_vel_1);
    next.dtheta2 = clamp(y.w, -p.max_vel_2, p.max_vel_2);
    next.time = s.time + 1u;
    let up = acrobot_up(next.theta1, next.theta2);
    return StepOut(next, select(-1.0, 0.0, up), up, next.time >= p.max_steps, false);
}

fn env_observe(s: EnvState, p: EnvParams) {
    obs_put(0u, cos(s.theta1));
    obs_put(1u, sin(s.theta1));
    obs_put(2u, cos(s.theta2));
    obs_put(3u, sin(s.theta2));
    obs_put(4u, s.dtheta1);
    obs_put(5u, s.dtheta2);
}
