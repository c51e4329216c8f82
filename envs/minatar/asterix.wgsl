// Asterix-MinAtar (gymnax minatar/asterix.py). Spec: README.md; twin: asterix.rs.
// Actions: 0 no-op, 1 left, 2 up, 3 right, 4 down. Slot i holds at most one entity, on row
// i + 1. CHANNELS = 4: player, enemy, trail, gold.

struct EnvParams {
    max_steps: u32,
    sticky_action_prob: f32,
    ramping: u32,           // 1: spawns and moves speed up every ramp_interval + 2 steps
    ramp_interval: u32,
    init_spawn_speed: u32,  // steps between spawns at first (the first at step init_spawn_speed + 1)
    init_move_interval: u32, // steps between entity moves at first (the first one step later)
}

const FILLED: u32 = 1u;
const MOVES_RIGHT: u32 = 2u;
const GOLD: u32 = 4u;

struct EnvState {
    player_x: i32,
    player_y: i32,
    spawn_speed: i32,
    spawn_timer: i32,
    move_speed: i32,
    move_timer: i32,
    ramp_timer: i32,
    ramp_index: i32,
    time: u32,
    last_action: u32,
    entity_x: array<i32, 8>,
    entity: array<u32, 8>,  // FILLED | MOVES_RIGHT | GOLD
}

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    return base;
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    var s: EnvState;
    s.player_x = 5;
    s.player_y = 5;
    s.spawn_speed = i32(p.init_spawn_speed);
    s.spawn_timer = i32(p.init_spawn_speed);
    s.move_speed = i32(p.init_move_interval);
    s.move_timer = i32(p.init_move_interval);
    s.ramp_timer = i32(p.ramp_interval);
    return s;
}

// gymnax's slot choice: a random permutation whose first slot is never taken; the first
// free slot after it, or else the permutation's last slot is emptied. In distribution: a
// uniform `skip`, then a uniform free slot other than it, else a uniform slot other than it
// is emptied. Draws 1..5 of the step's key.
fn spawn(s: ptr<function, EnvState>, key: Key) {
    let right = rng_below(key, 1u, 2u) == 1u;
    let gold = rng_below(key, 2u, 3u) == 0u;
    let skip = rng_below(key, 3u, 8u);
    var free = 0u;
    for (var i = 0u; i < 8u; i++) {
        free += u32(i != skip && ((*s).entity[i] & FILLED) == 0u);
    }
    var k = select(rng_below(key, 5u, 7u), rng_below(key, 4u, free), free > 0u);
    for (var i = 0u; i < 8u; i++) {
        let candidate = i != skip && (free == 0u || ((*s).entity[i] & FILLED) == 0u);
        if candidate {
            if k == 0u {
                if free > 0u {
                    (*s).entity_x[i] = select(9, 0, right);
                    (*s).entity[i] = FILLED | select(0u, MOVES_RIGHT, right) | select(0u, GOLD, gold);
                } else {
                    (*s).entity_x[i] = 0;
                    (*s).entity[i] = 0u;
                }
            }
            k -= 1u;
        }
    }
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    var n = s;
    let a = minatar_action(key, action, s.last_action, p.sticky_action_prob);
    n.last_action = a;
    if s.spawn_timer == 0 {
        spawn(&n, key);
        n.spawn_timer = s.spawn_speed;
    }
    switch a {
        case 1u: { n.player_x = max(0, s.player_x - 1); }
        case 2u: { n.player_y = max(1, s.player_y - 1); }
        case 3u: { n.player_x = min(9, s.player_x + 1); }
        case 4u: { n.player_y = min(8, s.player_y + 1); }
        default: {}
    }

    // Touching an entity (after the player moved, and after the entities moved): gold pays
    // one and vanishes, an enemy ends the game.
    var reward = 0.0;
    var terminal = false;
    let moving = s.move_timer == 0;
    if moving {
        n.move_timer = s.move_speed;
    }
    for (var round = 0; round < select(1, 2, moving); round++) {
        for (var i = 0; i < 8; i++) {
            let e = n.entity[i];
            if (e & FILLED) == 0u {
                continue;
            }
            if round == 1 {
                n.entity_x[i] += select(-1, 1, (e & MOVES_RIGHT) != 0u);
                if n.entity_x[i] < 0 || n.entity_x[i] > 9 {
                    n.entity_x[i] = 0;
                    n.entity[i] = 0u;
                    continue;
                }
            }
            if n.entity_x[i] == n.player_x && i + 1 == n.player_y {
                if (e & GOLD) != 0u {
                    reward += 1.0;
                    n.entity_x[i] = 0;
                    n.entity[i] = 0u;
                } else {
                    terminal = true;
                }
            }
        }
    }

    // Timers, and the difficulty ramp.
    n.spawn_timer -= 1;
    n.move_timer -= 1;
    let ramps = p.ramping != 0u && (n.spawn_speed > 1 || n.move_speed > 1);
    if ramps && n.ramp_timer >= 0 {
        n.ramp_timer -= 1;
    } else {
        n.ramp_timer = i32(p.ramp_interval);
        if ramps {
            if n.move_speed != 0 && n.ramp_index % 2 != 0 {
                n.move_speed -= 1;
            }
            if n.spawn_speed > 1 {
                n.spawn_speed -= 1;
            }
            n.ramp_index += 1;
        }
    }
    n.time = s.time + 1u;
    return StepOut(n, reward, terminal, n.time >= p.max_steps, false);
}

fn env_observe(s: EnvState, p: EnvParams) {
    minatar_put(s.player_y, s.player_x, 0u);
    for (var i = 0; i < 8; i++) {
        let e = s.entity[i];
        if (e & FILLED) == 0u {
            continue;
        }
        let x = s.entity_x[i];
        minatar_put(i + 1, x, select(1u, 3u, (e & GOLD) != 0u));
        let back = x + select(1, -1, (e & MOVES_RIGHT) != 0u);
        if back >= 0 && back <= 9 {
            minatar_put(i + 1, back, 2u);
        }
    }
}
