// Breakout-MinAtar (gymnax minatar/breakout.py). Spec: README.md; twin: breakout.rs.
// Actions: 0 no-op, 1 left, 2 right. Ball directions: 0 up-left, 1 up-right, 2 down-right,
// 3 down-left (y grows downwards). CHANNELS = 4: paddle, ball, trail, brick.

struct EnvParams {
    max_steps: u32,
    sticky_action_prob: f32,
}

struct EnvState {
    ball_x: i32,
    ball_y: i32,
    ball_dir: u32,
    pos: i32,              // paddle column, on row 9
    last_x: i32,           // the ball's previous cell (the trail)
    last_y: i32,
    strike: u32,           // the ball hit a brick last step (it breaks none this step)
    time: u32,
    last_action: u32,      // for sticky actions
    bricks: array<u32, 3>, // rows 1..3, bit x = column x
}

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    return base;
}

fn full_brick_rows() -> array<u32, 3> {
    return array<u32, 3>(0x3ffu, 0x3ffu, 0x3ffu);
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    var s: EnvState;
    let right = rng_below(key, 0u, 2u) == 1u; // the ball starts at the right wall
    s.ball_x = select(0, 9, right);
    s.ball_y = 3;
    s.ball_dir = select(2u, 3u, right);
    s.pos = 4;
    s.last_x = s.ball_x;
    s.last_y = s.ball_y;
    s.bricks = full_brick_rows();
    return s;
}

fn is_brick(s: EnvState, y: i32, x: i32) -> bool {
    return y >= 1 && y <= 3 && (s.bricks[y - 1] >> u32(x) & 1u) != 0u;
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    var n = s;
    let a = minatar_action(key, action, s.last_action, p.sticky_action_prob);
    n.last_action = a;
    if a == 1u {
        n.pos = max(0, s.pos - 1);
    } else if a == 2u {
        n.pos = min(9, s.pos + 1);
    }
    n.last_x = s.ball_x;
    n.last_y = s.ball_y;
    var dir = s.ball_dir;
    var x = s.ball_x + select(1, -1, dir == 0u || dir == 3u);
    var y = s.ball_y + select(1, -1, dir < 2u);
    if x < 0 || x > 9 {
        x = clamp(x, 0, 9);
        dir ^= 1u; // mirror left-right
    }
    var reward = 0.0;
    var terminated = false;
    var strike = false;
    if y < 0 {
        y = 0;
        dir = 3u - dir; // mirror up-down
    } else if is_brick(n, y, x) {
        strike = true;
        if s.strike == 0u {
            reward = 1.0;
            n.bricks[y - 1] &= ~(1u << u32(x));
            y = s.ball_y;
            dir = 3u - dir;
        }
    } else if y == 9 {
        if (n.bricks[0] | n.bricks[1] | n.bricks[2]) == 0u {
            n.bricks = full_brick_rows();
        }
        if s.ball_x == n.pos {
            // The ball was above the paddle: it bounces up, keeping its horizontal direction.
            dir = 3u - dir;
            y = s.ball_y;
        } else if x == n.pos {
            // The ball lands on the paddle's corner: back the way it came.
            dir ^= 2u;
            y = s.ball_y;
        } else {
            terminated = true;
        }
    }
    n.ball_x = x;
    n.ball_y = y;
    n.ball_dir = dir;
    n.strike = u32(strike);
    n.time = s.time + 1u;
    return StepOut(n, reward, terminated, n.time >= p.max_steps, false);
}

fn env_observe(s: EnvState, p: EnvParams) {
    minatar_put(9, s.pos, 0u);
    minatar_put(s.ball_y, s.ball_x, 1u);
    minatar_put(s.last_y, s.last_x, 2u);
    for (var r = 0; r < 3; r++) {
        minatar_put_row(r + 1, s.bricks[r], 3u);
    }
}
