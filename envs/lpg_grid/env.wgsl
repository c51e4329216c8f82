// LPG gridworlds (GROOVE's GridWorld-v0): LpgGrid-<preset>. Spec: README.md. Twin: mod.rs.
// Prelude: MAX_SLOTS, MAX_TYPES, MASK_WORDS (struct sizes); OBS_GRID (G, the observation's
// grid side), TABULAR (1: one-hot over (cell, existing slots); 0: per-type cell blocks and
// random respawn cells); NUM_ACTIONS = 5, OBS_DIM, OBS_DENSE = 0; ALL_LEVELS (1 where the
// static shape admits `all` levels: only then is their generator compiled); ALL_* (the `all`
// level distribution: sizes, object types, walls as u32, bounds as vec2<i32> in 1/256 octaves).
//
// Written for SIMD-across-invocations compilers (lavapipe) as much as for GPUs: both sides
// of a divergent branch run, so the step is mostly straight-line selects; arrays are only
// indexed inside loops with constant bounds (unrolled, so the indices are constants and the
// arrays stay in registers; a dynamic index spills them to memory); the few loops with
// dynamic bounds (placements, the level's walls) keep their bodies small.

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

// --- Cell masks. Every word access loops over all words (see the top); NO_CELL matches no
// word, so adding or removing it leaves a mask unchanged.

fn mask_has(m: CellMask, c: u32) -> bool {
    var word = 0u;
    for (var w = 0u; w < MASK_WORDS; w++) {
        word |= select(0u, m[w], w == c >> 5u);
    }
    return ((word >> (c & 31u)) & 1u) != 0u;
}

fn with_cell(m: CellMask, c: u32) -> CellMask {
    var out = m;
    for (var w = 0u; w < MASK_WORDS; w++) {
        out[w] |= select(0u, 1u << (c & 31u), w == c >> 5u);
    }
    return out;
}

fn without_cell(m: CellMask, c: u32) -> CellMask {
    var out = m;
    for (var w = 0u; w < MASK_WORDS; w++) {
        out[w] &= ~select(0u, 1u << (c & 31u), w == c >> 5u);
    }
    return out;
}

// The in-grid non-wall cells of the level: cells 0..n*n minus the walls.
fn open_cells(p: EnvParams) -> CellMask {
    var m: CellMask;
    let cells = p.n * p.n;
    for (var w = 0u; w < MASK_WORDS; w++) {
        let k = min(max(cells, 32u * w) - 32u * w, 32u); // grid cells in word w
        m[w] = select((1u << (k & 31u)) - 1u, 0xffffffffu, k == 32u) & ~p.walls[w];
    }
    return m;
}

// Position of the r-th (from 0) set bit of x, r < countOneBits(x): a binary search by
// popcounts of the low halves, 5 straight-line steps.
fn nth_set_bit(x: u32, r: u32) -> u32 {
    var bits = x;
    var rest = r;
    var pos = 0u;
    for (var k = 0u; k < 5u; k++) {
        let width = 16u >> k;
        let low = countOneBits(bits & ((1u << width) - 1u));
        let skip = rest >= low;
        rest -= select(0u, low, skip);
        bits = select(bits, bits >> width, skip);
        pos += select(0u, width, skip);
    }
    return pos;
}

// A cell drawn uniformly (draw i of key) from the cells in `free`; NO_CELL when it is empty.
// The r-th free cell in index order is found by word popcounts and a bit search, not a scan.
fn draw_cell(key: Key, i: u32, free: CellMask) -> u32 {
    var total = 0u;
    for (var w = 0u; w < MASK_WORDS; w++) {
        total += countOneBits(free[w]);
    }
    var rest = rng_below(key, i, total);
    var word = MASK_WORDS; // MASK_WORDS: not reached yet
    var bits = 0u;
    for (var w = 0u; w < MASK_WORDS; w++) {
        let count = countOneBits(free[w]);
        let searching = word == MASK_WORDS;
        let here = searching && rest < count;
        rest = select(rest, rest - count, searching && !here);
        word = select(word, w, here);
        bits = select(bits, free[w], here);
    }
    return select(32u * word + nth_set_bit(bits, rest), NO_CELL, total == 0u);
}

// table[t] for a type t, by selects (NO dynamic index); 0 for t >= MAX_TYPES.
fn of_type(table: array<f32, MAX_TYPES>, t: u32) -> f32 {
    var v = 0.0;
    for (var u = 0u; u < MAX_TYPES; u++) {
        v = select(v, table[u], u == t);
    }
    return v;
}

// --- Levels.

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
        let u = rng_uniform(k, 3u + 3u * t);
        let term = rng_log_uniform_q8(k, 4u + 3u * t, ALL_P_TERM_Q8.x, ALL_P_TERM_Q8.y);
        let respawn = rng_log_uniform_q8(k, 5u + 3u * t, ALL_P_RESPAWN_Q8.x, ALL_P_RESPAWN_Q8.y);
        for (var j = 0u; j < MAX_TYPES; j++) {
            let here = j == t;
            p.obj_type[j] = select(p.obj_type[j], t, here); // one object per type
            p.reward[j] = select(p.reward[j], select(2.0 * u - 1.0, u, t == 0u), here);
            p.p_term[j] = select(p.p_term[j], term, here);
            p.p_respawn[j] = select(p.p_respawn[j], respawn, here);
        }
    }
    // ALL_WALLS distinct indices of 0..ALL_WALL_RANGE by selection sampling (Knuth's
    // algorithm S), which decides index by index: only indices inside the grid matter.
    let wk = rng_fold(key, KEY_WALLS);
    var needed = ALL_WALLS;
    var walls: CellMask;
    for (var c = 0u; c < p.n * p.n; c++) {
        let wall = rng_below(wk, c, ALL_WALL_RANGE - c) < needed;
        walls = with_cell(walls, select(NO_CELL, c, wall));
        needed -= u32(wall);
    }
    p.walls = walls;
    return p;
}

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    if base.sampling == SAMPLE_GIVEN {
        return base;
    }
    var p = base;
    if ALL_LEVELS != 0u && base.sampling == SAMPLE_ALL {
        p = sample_all_level(key);
    }
    // Start and object cells: distinct, uniform over the in-grid non-wall cells. Random-respawn
    // presets place their objects at every reset instead.
    // Draw 0 is the start, draw 1 + i slot i's cell: one loop, so one copy of draw_cell.
    let k = rng_fold(key, KEY_CELLS);
    var free = open_cells(p);
    let draws = 1u + select(0u, p.n_objs, TABULAR != 0u);
    for (var d = 0u; d < draws; d++) {
        let cell = draw_cell(k, d, free);
        if d == 0u {
            p.start = cell; // an `all` level has a free cell for it (<= 15 walls, >= 16 cells)
        } else if cell == NO_CELL {
            p.n_objs = d - 1u; // a heavily walled `all` level holds fewer objects
            break;
        } else {
            p.static_pos[d - 1u] = cell; // once per env: the dynamic index costs little
        }
        free = without_cell(free, cell);
    }
    p.sampling = SAMPLE_GIVEN;
    return p;
}

// --- Episodes.

// Random placement (non-tabular): each slot of the bitmask `slots`, in slot order, gets the
// cell of draw `first_draw + slot` from `free`, which then loses it; a slot that finds a cell
// becomes present. The loop runs once per placed slot, usually zero times in a step.
fn place_objects(key: Key, first_draw: u32, s: EnvState, slots: u32, free: CellMask) -> EnvState {
    var next = s;
    var open = free;
    var pending = slots;
    while pending != 0u {
        let i = firstTrailingBit(pending);
        let cell = draw_cell(key, first_draw + i, open);
        open = without_cell(open, cell);
        for (var j = 0u; j < MAX_SLOTS; j++) {
            next.obj_pos[j] = select(next.obj_pos[j], cell, j == i);
        }
        next.exists |= u32(cell != NO_CELL) << i;
        pending &= pending - 1u;
    }
    return next;
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    var s: EnvState;
    s.pos = p.start;
    s.obj_pos = p.static_pos;
    let slots = (1u << p.n_objs) - 1u;
    if TABULAR != 0u {
        s.exists = slots; // static cells are valid cells (sampling, check_params)
        return s;
    }
    return place_objects(key, 0u, s, slots, without_cell(open_cells(p), p.start));
}

// Up, down, left, right, stay; the grid edge and walls stop the agent.
fn move_agent(pos: u32, action: u32, p: EnvParams) -> u32 {
    // The row by float division, as SIMD CPUs have no vector integer division: (pos + 1/2) / n
    // is at least 1/(2n) away from an integer, far more than any rounding error.
    let row = u32((f32(pos) + 0.5) / f32(p.n));
    let col = pos - row * p.n;
    let up = action == 0u && row > 0u;
    let down = action == 1u && row + 1u < p.n;
    let left = action == 2u && col > 0u;
    let right = action == 3u && col + 1u < p.n;
    let next = pos + select(0u, p.n, down) + u32(right) - select(0u, p.n, up) - u32(left);
    return select(next, pos, mask_has(p.walls, next));
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    var next = s;
    next.pos = move_agent(s.pos, action, p);
    next.time = s.time + 1u;
    // Per slot: collection (objects sit on distinct cells, so at most one) and the respawn
    // draw of an absent object.
    var collected = 0u;
    var collected_type = MAX_TYPES; // none
    var respawns = 0u;
    var stored = CellMask(); // cells of the used slots, collected objects included
    for (var i = 0u; i < MAX_SLOTS; i++) {
        let used = i < p.n_objs;
        let had = used && ((s.exists >> i) & 1u) != 0u;
        let t = p.obj_type[i];
        let hit = had && s.obj_pos[i] == next.pos;
        collected |= u32(hit) << i;
        collected_type = select(collected_type, t, hit);
        let back = rng_bernoulli(key, i, of_type(p.p_respawn, t));
        respawns |= u32(used && !had && back) << i;
        stored = with_cell(stored, select(NO_CELL, s.obj_pos[i], used));
    }
    // An object collected this step does not come back in it.
    next.exists = s.exists & ~collected;
    if TABULAR != 0u {
        next.exists |= respawns; // at its static cell
    } else {
        // New cells avoid walls, the agent and every slot's stored cell (GROOVE).
        var free = without_cell(open_cells(p), next.pos);
        for (var w = 0u; w < MASK_WORDS; w++) {
            free[w] &= ~stored[w];
        }
        next = place_objects(key, DRAW_PLACE, next, respawns, free);
    }
    let reward = of_type(p.reward, collected_type);
    let terminated = rng_bernoulli(key, DRAW_TERM, of_type(p.p_term, collected_type));
    return StepOut(next, reward, terminated, !terminated && next.time >= p.max_steps, false);
}

fn env_observe(s: EnvState, p: EnvParams) {
    let cells = OBS_GRID * OBS_GRID;
    if TABULAR != 0u {
        obs_put(s.pos + cells * s.exists, 1.0);
    } else {
        obs_put(s.pos, 1.0);
        for (var i = 0u; i < MAX_SLOTS; i++) {
            if ((s.exists >> i) & 1u) != 0u {
                obs_put(cells * (1u + p.obj_type[i]) + s.obj_pos[i], 1.0);
            }
        }
    }
    obs_put(OBS_DIM - 1u, f32(s.time) * 0.001);
}
