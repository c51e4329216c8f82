// LPG gridworlds (GROOVE's GridWorld-v0): LpgGrid-<preset>. Spec: README.md. Twin: mod.rs.
// Prelude: MAX_SLOTS, MAX_TYPES, MASK_WORDS (struct sizes); OBS_GRID (G, the observation's
// grid side), TABULAR (1: one-hot over (cell, existing slots); 0: per-type cell blocks and
// random respawn cells); NUM_ACTIONS = 5, OBS_DIM, OBS_DENSE = 0; ALL_* (the `all` level
// distribution: sizes, object types, walls as u32, bounds as vec2<i32> in 1/256 octaves).

// EnvParams.sampling: how env_sample_params turns base params into a level. Any other value
// (1, the fixed presets) draws the start and object cells on the given map.
const SAMPLE_GIVEN: u32 = 0u; // the level as given
const SAMPLE_ALL: u32 = 2u;   // everything random: GROOVE's `all` distribution

const NO_CELL: u32 = 0xffffffffu; // an object that found no free cell (it stays absent)

// Draw indices under the step key, one per use.
const DRAW_TERM: u32 = MAX_SLOTS;        // respawn draws use 0..MAX_SLOTS
const DRAW_PLACE: u32 = MAX_SLOTS + 1u;  // + slot: a respawned object's new cell

// Sub-keys of the sampling key.
const KEY_LEVEL: u32 = 0u;
const KEY_WALLS: u32 = 1u;
const KEY_CELLS: u32 = 2u;

// One bit per cell index (row * n + col), 13 * 13 cells at most.
alias CellMask = array<u32, MASK_WORDS>;

struct EnvParams {
    sampling: u32,
    n: u32,                               // the level's grid side (<= OBS_GRID)
    n_objs: u32,                          // slots in use
    start: u32,                           // the agent's cell at every reset
    max_steps: u32,
    walls: CellMask,
    obj_type: array<u32, MAX_SLOTS>,      // slot -> type
    static_pos: array<u32, MAX_SLOTS>,    // tabular: each slot's fixed cell
    reward: array<f32, MAX_TYPES>,        // per type
    p_term: array<f32, MAX_TYPES>,        // chance that collecting ends the episode
    p_respawn: array<f32, MAX_TYPES>,     // chance per step that an absent object reappears
}

struct EnvState {
    time: u32,
    pos: u32,
    exists: u32,                          // bit i: slot i's object is present
    obj_pos: array<u32, MAX_SLOTS>,
}

fn is_marked(m: ptr<function, CellMask>, c: u32) -> bool {
    return (((*m)[c >> 5u] >> (c & 31u)) & 1u) != 0u;
}

fn mark(m: ptr<function, CellMask>, c: u32) {
    (*m)[c >> 5u] |= 1u << (c & 31u);
}

// A cell drawn uniformly (draw i of key) from the n x n grid's cells outside `blocked`, which
// it then joins; NO_CELL when every cell is blocked.
fn take_free_cell(key: Key, i: u32, n: u32, blocked: ptr<function, CellMask>) -> u32 {
    let cells = n * n;
    var free = 0u;
    for (var c = 0u; c < cells; c++) {
        free += u32(!is_marked(blocked, c));
    }
    var r = rng_below(key, i, free);
    for (var c = 0u; c < cells; c++) {
        if !is_marked(blocked, c) {
            if r == 0u {
                mark(blocked, c);
                return c;
            }
            r -= 1u;
        }
    }
    return NO_CELL;
}

// Nearest integer, halves up, for x >= 1: x - floor(x) is exact there (Sterbenz).
fn round_half_up(x: f32) -> u32 {
    let k = u32(x);
    return k + u32(x - f32(k) >= 0.5);
}

// GROOVE's `all` level: size, objects, episode length and walls; cells are drawn after.
fn sample_all_level(key: Key) -> EnvParams {
    var p: EnvParams;
    let k = rng_fold(key, KEY_LEVEL);
    p.n = ALL_SIZE_MIN + rng_below(k, 0u, ALL_SIZE_MAX - ALL_SIZE_MIN + 1u);
    p.n_objs = 1u + rng_below(k, 1u, ALL_TYPES);
    p.max_steps = round_half_up(rng_log_uniform_q8(k, 2u, ALL_STEPS_Q8.x, ALL_STEPS_Q8.y));
    for (var t = 0u; t < ALL_TYPES; t++) {
        p.obj_type[t] = t; // one object per type
        let u = rng_uniform(k, 3u + 3u * t);
        p.reward[t] = select(2.0 * u - 1.0, u, t == 0u); // type 0 is never harmful; 2u is exact
        p.p_term[t] = rng_log_uniform_q8(k, 4u + 3u * t, ALL_P_TERM_Q8.x, ALL_P_TERM_Q8.y);
        p.p_respawn[t] = rng_log_uniform_q8(k, 5u + 3u * t, ALL_P_RESPAWN_Q8.x, ALL_P_RESPAWN_Q8.y);
    }
    // ALL_WALLS distinct indices of 0..ALL_WALL_RANGE by selection sampling (Knuth's
    // algorithm S), which decides index by index: only indices inside the grid matter.
    let wk = rng_fold(key, KEY_WALLS);
    var needed = ALL_WALLS;
    for (var c = 0u; c < p.n * p.n; c++) {
        if rng_below(wk, c, ALL_WALL_RANGE - c) < needed {
            p.walls[c >> 5u] |= 1u << (c & 31u);
            needed -= 1u;
        }
    }
    return p;
}

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    if base.sampling == SAMPLE_GIVEN {
        return base;
    }
    var p = base;
    if base.sampling == SAMPLE_ALL {
        p = sample_all_level(key);
    }
    // Start and object cells: distinct, uniform over the in-grid non-wall cells. Random-respawn
    // presets place their objects at every reset instead.
    let k = rng_fold(key, KEY_CELLS);
    var blocked = p.walls;
    p.start = take_free_cell(k, 0u, p.n, &blocked);
    if TABULAR != 0u {
        for (var i = 0u; i < p.n_objs; i++) {
            let cell = take_free_cell(k, 1u + i, p.n, &blocked);
            if cell == NO_CELL {
                p.n_objs = i; // a heavily walled `all` level holds fewer objects
                break;
            }
            p.static_pos[i] = cell;
        }
    }
    p.sampling = SAMPLE_GIVEN;
    return p;
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    var s: EnvState;
    s.pos = p.start;
    s.obj_pos = p.static_pos;
    var blocked = p.walls;
    mark(&blocked, p.start);
    for (var i = 0u; i < p.n_objs; i++) {
        if TABULAR == 0u {
            s.obj_pos[i] = take_free_cell(key, i, p.n, &blocked);
        }
        if s.obj_pos[i] != NO_CELL {
            s.exists |= 1u << i;
        }
    }
    return s;
}

// Up, down, left, right, stay; the grid edge and walls stop the agent.
fn move_agent(pos: u32, action: u32, p: EnvParams) -> u32 {
    let row = pos / p.n;
    let col = pos % p.n;
    var next = pos;
    switch action {
        case 0u: { if row > 0u { next = pos - p.n; } }
        case 1u: { if row + 1u < p.n { next = pos + p.n; } }
        case 2u: { if col > 0u { next = pos - 1u; } }
        case 3u: { if col + 1u < p.n { next = pos + 1u; } }
        default: {}
    }
    var walls = p.walls;
    return select(next, pos, is_marked(&walls, next));
}

fn env_step(key: Key, s: EnvState, action: u32, p: EnvParams) -> StepOut {
    var next = s;
    next.pos = move_agent(s.pos, action, p);
    next.time = s.time + 1u;
    // Random respawn cells avoid walls, the agent and every slot's stored cell (GROOVE).
    var blocked = p.walls;
    mark(&blocked, next.pos);
    for (var i = 0u; i < p.n_objs; i++) {
        if s.obj_pos[i] != NO_CELL {
            mark(&blocked, s.obj_pos[i]);
        }
    }
    var reward = 0.0;
    var p_end = 0.0;
    next.exists = 0u;
    for (var i = 0u; i < p.n_objs; i++) {
        let t = p.obj_type[i];
        let had = ((s.exists >> i) & 1u) != 0u;
        var now = had || rng_bernoulli(key, i, p.p_respawn[t]);
        if now && !had && TABULAR == 0u {
            next.obj_pos[i] = take_free_cell(key, DRAW_PLACE + i, p.n, &blocked);
            now = next.obj_pos[i] != NO_CELL;
        }
        // Objects sit on distinct cells, so at most one is collected.
        if had && s.obj_pos[i] == next.pos {
            reward = p.reward[t];
            p_end = p.p_term[t];
            now = false;
        }
        next.exists |= u32(now) << i;
    }
    let terminated = rng_bernoulli(key, DRAW_TERM, p_end);
    return StepOut(next, reward, terminated, !terminated && next.time >= p.max_steps);
}

fn env_observe(s: EnvState, p: EnvParams) {
    let cells = OBS_GRID * OBS_GRID;
    if TABULAR != 0u {
        obs_put(s.pos + cells * s.exists, 1.0);
    } else {
        obs_put(s.pos, 1.0);
        for (var i = 0u; i < p.n_objs; i++) {
            if ((s.exists >> i) & 1u) != 0u {
                obs_put(cells * (1u + p.obj_type[i]) + s.obj_pos[i], 1.0);
            }
        }
    }
    obs_put(OBS_DIM - 1u, f32(s.time) * 0.001);
}
