// SpaceInvaders-MinAtar (gymnax minatar/space_invaders.py). Spec: README.md; twin:
// space_invaders.rs. No randomness but sticky actions. Actions: 0 no-op, 1 left, 2 right,
// 3 fire. Maps are 10 row masks, bit x = column x. CHANNELS = 6: cannon, alien, alien moving
// left, alien moving right, friendly bullet, enemy bullet.

struct EnvParams {
    max_steps: u32,
    sticky_action_prob: f32,
    shot_cool_down: u32,
    enemy_move_interval: u32,
    enemy_shot_interval: u32,
}

struct EnvState {
    pos: i32,                     // the cannon's column, on row 9
    alien_dir: i32,               // -1 left, +1 right
    enemy_move_interval: i32,     // the wave's speed: falls by one per cleared wave, to 6
    alien_move_timer: i32,
    alien_shot_timer: i32,
    shot_timer: i32,              // the cannon's cool-down
    ramp_index: u32,              // waves cleared while the speed still ramped
    time: u32,
    last_action: u32,
    aliens: array<u32, 10>,
    f_bullets: array<u32, 10>,
    e_bullets: array<u32, 10>,
}

const FIRST_WAVE: u32 = 0x1fcu; // columns 2..8
const LATER_WAVE: u32 = 0xfcu;  // columns 2..7

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    return base;
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    var s: EnvState;
    s.pos = 5;
    s.alien_dir = -1;
    s.enemy_move_interval = i32(p.enemy_move_interval);
    s.alien_move_timer = i32(p.enemy_move_interval);
    s.alien_shot_timer = i32(p.enemy_shot_interval);
    for (var r = 0; r < 4; r++) {
        s.aliens[r] = FIRST_WAVE;
    }
    return s;
}

fn has(mask: u32, x: i32) -> bool {
    return (mask >> u32(x) & 1u) != 0u;
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    var n = s;
    let a = minatar_action(key, action, s.last_action, p.sticky_action_prob);
    n.last_action = a;
    var terminal = false;

    // The cannon: fire from where it stands, then move; bullets fly one row.
    var fired = s.f_bullets;
    if a == 3u && s.shot_timer == 0 {
        fired[9] |= 1u << u32(s.pos);
        n.shot_timer = i32(p.shot_cool_down);
    }
    if a == 1u {
        n.pos = max(0, s.pos - 1);
    } else if a == 2u {
        n.pos = min(9, s.pos + 1);
    }
    for (var r = 0; r < 9; r++) {
        n.f_bullets[r] = fired[r + 1];
        n.e_bullets[9 - r] = s.e_bullets[8 - r];
    }
    n.f_bullets[9] = 0u;
    n.e_bullets[0] = 0u;
    // gymnax tests the cell the cannon stood on before moving.
    terminal = terminal || has(n.e_bullets[9], s.pos);

    // The aliens: on their timer, one column sideways, or one row down and turn at a wall.
    terminal = terminal || has(s.aliens[9], n.pos);
    if s.alien_move_timer == 0 {
        var count = 0u;
        var columns = 0u;
        for (var r = 0; r < 10; r++) {
            count += countOneBits(s.aliens[r]);
            columns |= s.aliens[r];
        }
        n.alien_move_timer = min(i32(count), s.enemy_move_interval);
        let border = (has(columns, 0) && s.alien_dir < 0) || (has(columns, 9) && s.alien_dir > 0);
        if border {
            n.alien_dir = -s.alien_dir;
            terminal = terminal || s.aliens[9] != 0u;
            for (var r = 0; r < 10; r++) {
                n.aliens[r] = s.aliens[(r + 9) % 10]; // jnp.roll: row 9 wraps to row 0
            }
        } else {
            for (var r = 0; r < 10; r++) {
                let m = s.aliens[r];
                n.aliens[r] = select((m >> 1u) | ((m & 1u) << 9u), ((m << 1u) | (m >> 9u)) & 0x3ffu, s.alien_dir > 0);
            }
        }
        terminal = terminal || has(n.aliens[9], n.pos);
    }

    // The aliens shoot from the lowest alien of the column nearest the cannon (the left one
    // of two as near), on their timer; bullets and aliens in one cell destroy each other.
    if s.alien_shot_timer == 0 {
        n.alien_shot_timer = i32(p.enemy_shot_interval);
        var columns = 0u;
        for (var r = 0; r < 10; r++) {
            columns |= n.aliens[r];
        }
        var shooter_x = -1;
        for (var d = 0; d < 10 && shooter_x < 0; d++) {
            if n.pos - d >= 0 && has(columns, n.pos - d) {
                shooter_x = n.pos - d;
            } else if n.pos + d <= 9 && has(columns, n.pos + d) {
                shooter_x = n.pos + d;
            }
        }
        if shooter_x >= 0 {
            var lowest = 9;
            while !has(n.aliens[lowest], shooter_x) {
                lowest -= 1;
            }
            n.e_bullets[lowest] |= 1u << u32(shooter_x);
        }
    }
    var reward = 0.0;
    var left = 0u;
    for (var r = 0; r < 10; r++) {
        let kills = n.aliens[r] & n.f_bullets[r];
        reward += f32(countOneBits(kills));
        n.aliens[r] &= ~kills;
        n.f_bullets[r] &= ~kills;
        left |= n.aliens[r];
    }

    n.shot_timer -= i32(n.shot_timer > 0);
    n.alien_move_timer -= 1;
    n.alien_shot_timer -= 1;
    if left == 0u {
        // A cleared wave: a new one, one step faster while slower than 6.
        if n.enemy_move_interval > 6 {
            n.enemy_move_interval -= 1;
            n.ramp_index += 1u;
        }
        for (var r = 0; r < 4; r++) {
            n.aliens[r] = LATER_WAVE;
        }
    }
    n.time = s.time + 1u;
    return StepOut(n, reward, terminal, n.time >= p.max_steps, false);
}

fn env_observe(s: EnvState, p: EnvParams) {
    minatar_put(9, s.pos, 0u);
    let heading = select(3u, 2u, s.alien_dir < 0);
    for (var r = 0; r < 10; r++) {
        minatar_put_row(r, s.aliens[r], 1u);
        minatar_put_row(r, s.aliens[r], heading);
        minatar_put_row(r, s.f_bullets[r], 4u);
        minatar_put_row(r, s.e_bullets[r], 5u);
    }
}
