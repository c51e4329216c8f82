// MetaMaze-misc (gymnax, after Miconi et al. 2019). Spec: README.md. Twin: mod.rs.
// Tables (env_table): entries 0..SIDE are the map's rows (bit c set = wall), then from
// TABLE_FREE_CELLS the NUM_FREE free cells as r * SIDE + c, row-major. OBS_DIM = 15,
// NUM_ACTIONS = 4.

const GOAL_FIXED: u32 = 0u;    // the goal in params
const GOAL_PER_TASK: u32 = 1u; // drawn once per env by env_sample_params (then fixed)
const GOAL_PER_EPISODE: u32 = 2u; // drawn at every reset, as gymnax does

struct EnvParams {
    reward: f32,          // paid on reaching the goal
    punishment: f32,      // paid on bumping into a wall
    normalize_time: u32,
    max_steps: u32,
    goal_draw: u32,
    goal_row: u32,
    goal_col: u32,
}

struct EnvState {
    row: u32,
    col: u32,
    goal_row: u32,
    goal_col: u32,
    last_action: u32,
    last_reward: f32,
    time: u32,
}

fn maze_wall(row: u32, col: u32) -> bool {
    return (env_table(row) >> col & 1u) != 0u;
}

fn maze_free_cell(key: Key, i: u32) -> vec2<u32> {
    let cell = env_table(TABLE_FREE_CELLS + rng_below(key, i, NUM_FREE));
    return vec2<u32>(cell / SIDE, cell % SIDE);
}

fn env_sample_params(key: Key, base: EnvParams) -> EnvParams {
    var p = base;
    if base.goal_draw == GOAL_PER_TASK {
        let goal = maze_free_cell(key, 0u);
        p.goal_row = goal.x;
        p.goal_col = goal.y;
        p.goal_draw = GOAL_FIXED;
    }
    return p;
}

fn env_reset(key: Key, p: EnvParams) -> EnvState {
    var goal = vec2<u32>(p.goal_row, p.goal_col);
    if p.goal_draw == GOAL_PER_EPISODE {
        goal = maze_free_cell(key, 0u);
    }
    return EnvState(CENTER, CENTER, goal.x, goal.y, 0u, 0.0, 0u);
}

fn env_step(key: Key, s: EnvState, action: Action, p: EnvParams) -> StepOut {
    // up, right, down, left; u32 wrap-around is harmless since the border is wall.
    var row = s.row;
    var col = s.col;
    switch action {
        case 0u: { row -= 1u; }
        case 1u: { col += 1u; }
        case 2u: { row += 1u; }
        default: { col -= 1u; }
    }
    let in_map = !maze_wall(row, col);
    var next = s;
    if in_map {
        next.row = row;
        next.col = col;
    }
    let reached = next.row == s.goal_row && next.col == s.goal_col;
    let reward = select(0.0, p.reward, reached) + select(p.punishment, 0.0, in_map);
    if reached {
        let cell = maze_free_cell(key, 0u); // a new start anywhere, the goal included
        next.row = cell.x;
        next.col = cell.y;
    }
    next.last_action = action;
    next.last_reward = reward;
    next.time = s.time + 1u;
    // gymnax terminates only when the new start is the goal itself.
    let terminated = next.row == s.goal_row && next.col == s.goal_col;
    return StepOut(next, reward, terminated, next.time >= p.max_steps, reached);
}

fn env_observe(s: EnvState, p: EnvParams) {
    for (var dr = 0u; dr < 3u; dr++) {
        for (var dc = 0u; dc < 3u; dc++) {
            obs_put(dr * 3u + dc, select(0.0, 1.0, maze_wall(s.row + dr - 1u, s.col + dc - 1u)));
        }
    }
    for (var a = 0u; a < 4u; a++) {
        obs_put(9u + a, select(0.0, 1.0, a == s.last_action));
    }
    obs_put(13u, s.last_reward);
    var time = f32(s.time);
    if p.normalize_time != 0u {
        time = f32(2 * i32(s.time) - 100) * 0.01;
    }
    obs_put(14u, time);
}
