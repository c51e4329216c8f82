// CartPole-v1 (gymnax). Spec: README.md. Twin: mod.rs. OBS_DIM = 4, NUM_ACTIONS = 2.

struct EnvParams {
    gravity: f32,
    masscart: f32,
    masspole: f32,
    total_mass: f32,       // a param of its own in gymnax, not derived
    length: f32,           // half the pole's length
    polemass_length: f32,  // a param of its own in gymnax, not derived
    force_mag: f32,
    tau: f32,              // Euler step, seconds
    theta_threshold_radians: f32,
    x_threshold: f32,
    max_steps: u32,
}

struct EnvState {
    x: f32,
    x_dot: f32,
    theta: f32,
    theta_dot: f32,
    time: u32,
}

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    return base;
}

fn cartpole_terminal(s: EnvState, p: EnvParams) -> bool {
    return s.x < -p.x_threshold || s.x > p.x_threshold
        || s.theta < -p.theta_threshold_radians || s.theta > p.theta_threshold_radians;
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    var v: array<f32, 4>;
    for (var i = 0u; i < 4u; i++) {
        v[i] = rng_uniform(key, i) * 0.1 - 0.05;
    }
    return EnvState(v[0], v[1], v[2], v[3], 0u);
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    // gymnax rewards 1 - terminal(previous state): 1 on every step of an episode.
    let reward = select(1.0, 0.0, cartpole_terminal(s, p));
    let a = f32(action);
    let force = p.force_mag * a - p.force_mag * (1.0 - a);
    let costheta = cos(s.theta);
    let sintheta = sin(s.theta);
    let temp = (force + p.polemass_length * (s.theta_dot * s.theta_dot) * sintheta) / p.total_mass;
    let thetaacc = (p.gravity * sintheta - costheta * temp)
        / (p.length * (4.0 / 3.0 - p.masspole * (costheta * costheta) / p.total_mass));
    let xacc = temp - p.polemass_length * thetaacc * costheta / p.total_mass;
    var next: EnvState;
    next.x = s.x + p.tau * s.x_dot;
    next.x_dot = s.x_dot + p.tau * xacc;
    next.theta = s.theta + p.tau * s.theta_dot;
    next.theta_dot = s.theta_dot + p.tau * thetaacc;
    next.time = s.time + 1u;
    return StepOut(next, reward, cartpole_terminal(next, p), next.time >= p.max_steps, false);
}

fn env_observe(s: EnvState, p: EnvParams) {
    obs_put(0u, s.x);
    obs_put(1u, s.x_dot);
    obs_put(2u, s.theta);
    obs_put(3u, s.theta_dot);
}
