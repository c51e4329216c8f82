// Freeway-MinAtar (gymnax minatar/freeway.py). Spec: README.md; twin: freeway.rs.
// Actions: 0 no-op, 1 up, 2 down. Car i drives on row i + 1; its speed is signed (the sign
// is its direction, +1 to the right) and it moves one cell every |speed| + 1 steps.
// CHANNELS = 7: chicken, car, then the trail of cars of speed 1..5.

struct EnvParams {
    max_steps: u32,
    sticky_action_prob: f32,
    player_speed: u32,          // the chicken moves at most once every player_speed steps
}

struct EnvState {
    pos: i32,                   // the chicken's row, in column 4
    move_timer: i32,            // steps until the chicken may move again
    time: u32,
    last_action: u32,
    car_x: array<i32, 8>,
    car_timer: array<i32, 8>,   // steps until car i moves
    car_speed: array<i32, 8>,
}

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    return base;
}

// New speeds and directions for every car from draws first..first + 16 of `key`: speeds
// uniform in 1..=5, directions uniform in {-1, +1}; positions are kept.
fn randomize_cars(s: ptr<function, EnvState>, key: Key, first: u32) {
    for (var i = 0u; i < 8u; i++) {
        let speed = i32(rng_below(key, first + i, 5u)) + 1;
        let right = rng_below(key, first + 8u + i, 2u) == 1u;
        (*s).car_speed[i] = select(-speed, speed, right);
        (*s).car_timer[i] = speed;
    }
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    var s: EnvState;
    s.pos = 9;
    s.move_timer = i32(p.player_speed);
    randomize_cars(&s, key, 0u);
    return s;
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    var n = s;
    let a = minatar_action(key, action, s.last_action, p.sticky_action_prob);
    n.last_action = a;
    if s.move_timer == 0 && (a == 1u || a == 2u) {
        n.pos = select(min(9, s.pos + 1), max(0, s.pos - 1), a == 1u);
        n.move_timer = i32(p.player_speed);
    }
    var reward = 0.0;
    if n.pos == 0 {
        // Across: score, back to the bottom, new speeds.
        reward = 1.0;
        n.pos = 9;
        randomize_cars(&n, key, 1u);
    }
    for (var i = 0; i < 8; i++) {
        if n.car_x[i] == 4 && i + 1 == n.pos {
            n.pos = 9;
        }
        if n.car_timer[i] == 0 {
            n.car_timer[i] = abs(n.car_speed[i]);
            var x = n.car_x[i] + select(-1, 1, n.car_speed[i] > 0);
            if x < 0 {
                x = 9;
            } else if x > 9 {
                x = 0;
            }
            n.car_x[i] = x;
            if x == 4 && i + 1 == n.pos {
                n.pos = 9;
            }
        } else {
            n.car_timer[i] -= 1;
        }
    }
    n.move_timer -= i32(n.move_timer > 0);
    n.time = s.time + 1u;
    return StepOut(n, reward, false, n.time >= p.max_steps, false);
}

fn env_observe(s: EnvState, p: EnvParams) {
    minatar_put(s.pos, 4, 0u);
    for (var i = 0; i < 8; i++) {
        let x = s.car_x[i];
        minatar_put(i + 1, x, 1u);
        var back = x + select(1, -1, s.car_speed[i] > 0);
        if back < 0 {
            back = 9;
        } else if back > 9 {
            back = 0;
        }
        minatar_put(i + 1, back, 1u + u32(abs(s.car_speed[i])));
    }
}
