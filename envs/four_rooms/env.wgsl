// FourRooms-misc (gymnax). Spec: README.md. Twin: mod.rs.
// Tables (env_table): entries 0..13 are the rows of the map (bit c set = wall), then from
// TABLE_FREE_CELLS the NUM_FREE free cells as r * 13 + c, row-major. OBS_DIM = NUM_ACTIONS = 4.

struct EnvParams {
    fail_prob: f32,          // in [0, 0.75]: probability of a move in one of the other 3 directions
    resample_init_pos: u32,
    resample_goal_pos: u32,
    max_steps: u32,
    goal_row: u32,           // used when goals are not resampled
    goal_col: u32,
    start_row: u32,          // used when starts are not resampled
    start_col: u32,
}

struct EnvState {
    row: u32,
    col: u32,
    goal_row: u32,
    goal_col: u32,
    time: u32,
}

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    return base;
}

fn is_wall(row: u32, col: u32) -> bool {
    return (env_table(row) >> col & 1u) != 0u;
}

fn free_cell(k: u32) -> u32 {
    return env_table(TABLE_FREE_CELLS + k);
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    var s: EnvState;
    s.goal_row = p.goal_row;
    s.goal_col = p.goal_col;
    if p.resample_goal_pos != 0u {
        let cell = free_cell(rng_below(key, 0u, NUM_FREE));
        s.goal_row = cell / 13u;
        s.goal_col = cell % 13u;
    }
    s.row = p.start_row;
    s.col = p.start_col;
    if p.resample_init_pos != 0u {
        // Uniform over the free cells other than the goal: the goal's slot maps to the last.
        var cell = free_cell(rng_below(key, 1u, NUM_FREE - 1u));
        if cell == s.goal_row * 13u + s.goal_col {
            cell = free_cell(NUM_FREE - 1u);
        }
        s.row = cell / 13u;
        s.col = cell % 13u;
    }
    return s;
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    var a = action;
    if rng_uniform(key, 0u) < p.fail_prob {
        a = (action + 1u + rng_below(key, 1u, 3u)) % 4u;
    }
    // up, right, down, left; u32 wrap-around is harmless since the border is wall.
    var row = s.row;
    var col = s.col;
    switch a {
        case 0u: { row -= 1u; }
        case 1u: { col += 1u; }
        case 2u: { row += 1u; }
        default: { col -= 1u; }
    }
    var next = s;
    if !is_wall(row, col) {
        next.row = row;
        next.col = col;
    }
    next.time = s.time + 1u;
    let at_goal = next.row == s.goal_row && next.col == s.goal_col;
    return StepOut(next, select(0.0, 1.0, at_goal), at_goal, next.time >= p.max_steps, at_goal);
}

fn env_observe(s: EnvState, p: EnvParams) {
    obs_put(0u, f32(s.row));
    obs_put(1u, f32(s.col));
    obs_put(2u, f32(s.goal_row));
    obs_put(3u, f32(s.goal_col));
}
