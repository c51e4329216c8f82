//! LPG gridworlds (Oh et al. 2020, as GROOVE's `GridWorld-v0`): `LpgGrid-<preset>`, object
//! collection on grids up to 13x13 with fixed presets and the random `all` level distribution.
//! Spec: README.md; GPU side: env.wgsl. Integer dynamics and exact float draws: GPU and twin
//! agree bit for bit.

pub mod picture;

use bytemuck::{Pod, Zeroable};

use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::rng::{self, Key};

/// Largest grid side any level or preset may have.
pub const MAX_GRID: u32 = 13;
pub const MAX_SLOTS: usize = 5;
pub const MAX_TYPES: usize = 5;
/// Words of a cell bitmask: one bit per cell index `row * n + col`.
pub const MASK_WORDS: usize = (MAX_GRID * MAX_GRID).div_ceil(32) as usize;
/// A stored object cell for an object that found no free cell (it stays absent).
pub const NO_CELL: u32 = u32::MAX;

/// GROOVE's `all` level distribution (README); walls are drawn as indices of a 10x10 grid.
const ALL_SIZES: (u32, u32) = (4, 10);
const ALL_TYPES: u32 = 5;
const ALL_WALLS: u32 = 15;
const ALL_WALL_RANGE: u32 = 100;
const ALL_STEPS: (f64, f64) = (20.0, 750.0);
const ALL_P_TERM: (f64, f64) = (0.01, 1.0);
const ALL_P_RESPAWN: (f64, f64) = (0.001, 0.1);
const _: () = assert!(
    ALL_SIZES.1 * ALL_SIZES.1 <= ALL_WALL_RANGE
        && ALL_TYPES as usize <= MAX_SLOTS
        && ALL_TYPES as usize <= MAX_TYPES
);

// Draw indices and sub-keys, as in env.wgsl.
const DRAW_TERM: u32 = MAX_SLOTS as u32;
const DRAW_PLACE: u32 = MAX_SLOTS as u32 + 1;
const KEY_LEVEL: u32 = 0;
const KEY_WALLS: u32 = 1;
const KEY_CELLS: u32 = 2;

/// How `sample_params` turns base params into a level (`LpgParams::sampling`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Sampling {
    /// The level as given (what sampling returns, so sampled params are concrete levels).
    Given = 0,
    /// Random start and object cells on the given map: GROOVE's fixed presets.
    Cells = 1,
    /// Everything random: GROOVE's `all` distribution.
    All = 2,
}

/// One object type of a fixed preset and the number of slots holding it.
#[derive(Clone, Copy, Debug)]
pub struct ObjectType {
    pub reward: f32,
    pub p_term: f32,
    pub p_respawn: f32,
    pub count: u32,
}

const fn obj(reward: f32, p_term: f32, p_respawn: f32, count: u32) -> ObjectType {
    ObjectType {
        reward,
        p_term,
        p_respawn,
        count,
    }
}

/// A GROOVE mode: the static shape (G, K, T, tabular) and, for fixed presets, the level.
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    pub name: &'static str,
    pub tabular: bool,
    /// G: the observation's grid side; also the level's side for fixed presets.
    pub grid: u32,
    /// K: object slots.
    pub slots: u32,
    /// T: object types.
    pub types: u32,
    /// Object types in slot order; empty for the random-level presets `all` and `rand_all`.
    pub objects: &'static [ObjectType],
    /// Episode length (the upper bound for random levels).
    pub max_steps: u32,
    /// Rows of the map, `#` for a wall; empty for no walls.
    pub map: &'static [&'static str],
}

impl Preset {
    pub fn random_levels(&self) -> bool {
        self.objects.is_empty()
    }

    /// Whether levels of the `all` distribution fit the static shape (`sampling = 2`).
    pub fn admits_all_levels(&self) -> bool {
        self.grid >= ALL_SIZES.1 && self.slots >= ALL_TYPES && self.types >= ALL_TYPES
    }

    pub fn obs_dim(&self) -> u32 {
        let cells = self.grid * self.grid;
        if self.tabular {
            (cells << self.slots) + 1
        } else {
            cells * (self.types + 1) + 1
        }
    }
}

const fn preset(
    name: &'static str,
    tabular: bool,
    (grid, slots, types): (u32, u32, u32),
    objects: &'static [ObjectType],
    max_steps: u32,
    map: &'static [&'static str],
) -> Preset {
    Preset {
        name,
        tabular,
        grid,
        slots,
        types,
        objects,
        max_steps,
        map,
    }
}

const DENSE: &[ObjectType] = &[
    obj(1.0, 0.0, 0.05, 2),
    obj(-1.0, 0.5, 0.1, 1),
    obj(-1.0, 0.0, 0.5, 1),
];
const SPARSE: &[ObjectType] = &[obj(1.0, 1.0, 0.0, 1), obj(-1.0, 1.0, 0.0, 1)];
const LONG: &[ObjectType] = &[obj(1.0, 0.0, 0.01, 2), obj(-1.0, 0.5, 1.0, 2)];
const LONGER: &[ObjectType] = &[obj(1.0, 0.1, 0.01, 2), obj(-1.0, 0.8, 1.0, 3)];
const LONG_DENSE: &[ObjectType] = &[obj(1.0, 0.0, 0.005, 4)];
const RAND_SMALL: &[ObjectType] = &[obj(1.0, 0.0, 0.05, 2), obj(-1.0, 0.5, 0.1, 2)];
const RAND_SPARSE: &[ObjectType] = &[obj(1.0, 1.0, 1.0, 1), obj(-1.0, 1.0, 1.0, 2)];
const RAND_VERY_DENSE: &[ObjectType] = &[obj(1.0, 0.0, 1.0, 1)];

const LONGER_MAP: &[&str] = &[
    "....#....",
    ".........",
    "....#....",
    "....#....",
    "....#....",
    "....#....",
    "....#....",
    ".........",
    "....#....",
];
const LONG_DENSE_MAP: &[&str] = &[
    "...........",
    ".....#.....",
    ".....#.....",
    ".....#.....",
    "##.#####.##",
    ".....#.....",
    ".....#.....",
    "...........",
    ".....#.....",
    ".....#.....",
    ".....#.....",
];
const RAND_SMALL_MAP: &[&str] = &[
    ".......", "..#....", ".......", "....#..", ".......", ".......", ".......",
];

/// GROOVE's LPG modes, in registry order (GROOVE @ 0c091c0, environments/gridworld/configs.py).
pub const PRESETS: [Preset; 12] = [
    preset("dense", true, (11, 4, 3), DENSE, 500, &[]),
    preset("sparse", true, (13, 2, 2), SPARSE, 50, &[]),
    preset("long", true, (11, 4, 2), LONG, 1000, &[]),
    preset("longer", true, (9, 5, 2), LONGER, 2000, LONGER_MAP),
    preset(
        "long_dense",
        true,
        (11, 4, 1),
        LONG_DENSE,
        2000,
        LONG_DENSE_MAP,
    ),
    preset("rand_dense", false, (11, 4, 3), DENSE, 500, &[]),
    preset("rand_long", false, (11, 4, 2), LONG, 1000, &[]),
    preset(
        "rand_small",
        false,
        (7, 4, 2),
        RAND_SMALL,
        500,
        RAND_SMALL_MAP,
    ),
    preset("rand_sparse", false, (7, 3, 2), RAND_SPARSE, 50, &[]),
    preset(
        "rand_very_dense",
        false,
        (11, 1, 1),
        RAND_VERY_DENSE,
        2000,
        &[],
    ),
    preset("all", true, (10, 5, 5), &[], 750, &[]),
    preset("rand_all", false, (10, 5, 5), &[], 750, &[]),
];

type CellMask = [u32; MASK_WORDS];

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct LpgParams {
    /// A [`Sampling`] value.
    pub sampling: u32,
    /// The level's grid side n (at most the preset's G); cell index = row * n + col.
    pub n: u32,
    /// Slots in use.
    pub n_objs: u32,
    /// The agent's cell at every reset.
    pub start: u32,
    pub max_steps: u32,
    /// Bit c: cell c is a wall.
    pub walls: CellMask,
    /// Slot -> type.
    pub obj_type: [u32; MAX_SLOTS],
    /// Tabular presets: each slot's fixed cell.
    pub static_pos: [u32; MAX_SLOTS],
    /// Per type: reward, chance that collecting ends the episode, chance per step that an
    /// absent object reappears.
    pub reward: [f32; MAX_TYPES],
    pub p_term: [f32; MAX_TYPES],
    pub p_respawn: [f32; MAX_TYPES],
}

impl LpgParams {
    pub fn is_wall(&self, cell: u32) -> bool {
        is_marked(&self.walls, cell)
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct LpgState {
    pub time: u32,
    pub pos: u32,
    /// Bit i: slot i's object is present.
    pub exists: u32,
    /// Each slot's cell ([`NO_CELL`] if a random placement found none).
    pub obj_pos: [u32; MAX_SLOTS],
}

fn is_marked(m: &CellMask, c: u32) -> bool {
    m.get((c >> 5) as usize)
        .is_some_and(|w| (w >> (c & 31)) & 1 != 0)
}

/// Add cell `c` to `m`; [`NO_CELL`] (no word) leaves it unchanged, as in env.wgsl.
fn mark(m: &mut CellMask, c: u32) {
    if let Some(w) = m.get_mut((c >> 5) as usize) {
        *w |= 1 << (c & 31);
    }
}

/// Remove cell `c` from `m`; [`NO_CELL`] leaves it unchanged.
fn unmark(m: &mut CellMask, c: u32) {
    if let Some(w) = m.get_mut((c >> 5) as usize) {
        *w &= !(1 << (c & 31));
    }
}

/// Twin of `open_cells`: the in-grid non-wall cells of the level.
fn open_cells(p: &LpgParams) -> CellMask {
    let cells = p.n * p.n;
    std::array::from_fn(|w| {
        let k = (cells.max(32 * w as u32) - 32 * w as u32).min(32);
        let grid = if k == 32 { u32::MAX } else { (1 << k) - 1 };
        grid & !p.walls[w]
    })
}

/// Twin of `draw_cell`: a cell drawn uniformly (draw i of key) from `free`, the r-th in index
/// order; [`NO_CELL`] when `free` is empty.
fn draw_cell(key: Key, i: u32, free: &CellMask) -> u32 {
    let total = free.iter().map(|w| w.count_ones()).sum();
    let mut rest = rng::below(key, i, total);
    for (w, &bits) in free.iter().enumerate() {
        if rest < bits.count_ones() {
            return 32 * w as u32 + nth_set_bit(bits, rest);
        }
        rest -= bits.count_ones();
    }
    NO_CELL
}

/// Position of the r-th (from 0) set bit of x; r < x.count_ones().
fn nth_set_bit(x: u32, r: u32) -> u32 {
    let mut bits = x;
    for _ in 0..r {
        bits &= bits - 1;
    }
    bits.trailing_zeros()
}

/// Table value of type t; 0 for t >= MAX_TYPES (twin of `of_type`).
fn of_type(table: &[f32; MAX_TYPES], t: u32) -> f32 {
    table.get(t as usize).copied().unwrap_or(0.0)
}

/// Twin of `place_objects`: each slot of the bitmask `slots`, in slot order, gets the cell of
/// draw `first_draw + slot` from `free` and is present if it found one.
fn place_objects(key: Key, first_draw: u32, s: &mut LpgState, slots: u32, mut free: CellMask) {
    for i in (0..MAX_SLOTS as u32).filter(|i| (slots >> i) & 1 != 0) {
        let cell = draw_cell(key, first_draw + i, &free);
        unmark(&mut free, cell);
        s.obj_pos[i as usize] = cell;
        s.exists |= ((cell != NO_CELL) as u32) << i;
    }
}

/// Twin of `round_half_up` (x >= 1).
fn round_half_up(x: f32) -> u32 {
    let k = x as u32;
    k + (x - k as f32 >= 0.5) as u32
}

fn q8((lo, hi): (f64, f64)) -> (i32, i32) {
    (rng::log2_q8(lo), rng::log2_q8(hi))
}

/// Twin of `sample_all_level`.
fn sample_all_level(key: Key) -> LpgParams {
    let mut p = LpgParams::zeroed();
    let k = rng::fold(key, KEY_LEVEL);
    p.n = ALL_SIZES.0 + rng::below(k, 0, ALL_SIZES.1 - ALL_SIZES.0 + 1);
    p.n_objs = 1 + rng::below(k, 1, ALL_TYPES);
    let (lo, hi) = q8(ALL_STEPS);
    p.max_steps = round_half_up(rng::log_uniform_q8(k, 2, lo, hi));
    // env.wgsl reads rng's 2^(j/256) table from env_table: the same values, the same draws.
    let (term_lo, term_hi) = q8(ALL_P_TERM);
    let (respawn_lo, respawn_hi) = q8(ALL_P_RESPAWN);
    for t in 0..ALL_TYPES {
        let u = rng::uniform(k, 3 + 3 * t);
        let t_ = t as usize;
        p.obj_type[t_] = t;
        p.reward[t_] = if t == 0 { u } else { 2.0 * u - 1.0 };
        p.p_term[t_] = rng::log_uniform_q8(k, 4 + 3 * t, term_lo, term_hi);
        p.p_respawn[t_] = rng::log_uniform_q8(k, 5 + 3 * t, respawn_lo, respawn_hi);
    }
    let wk = rng::fold(key, KEY_WALLS);
    let mut needed = ALL_WALLS;
    for c in 0..p.n * p.n {
        if rng::below(wk, c, ALL_WALL_RANGE - c) < needed {
            mark(&mut p.walls, c);
            needed -= 1;
        }
    }
    p
}

/// One LPG mode. Build with [`LpgGrid::new`] from a preset name (e.g. `"dense"`).
pub struct LpgGrid {
    pub preset: &'static Preset,
}

impl LpgGrid {
    pub fn new(name: &str) -> Option<LpgGrid> {
        PRESETS
            .iter()
            .find(|p| p.name == name)
            .map(|preset| LpgGrid { preset })
    }

    fn move_agent(pos: u32, action: u32, p: &LpgParams) -> u32 {
        let (row, col) = (pos / p.n, pos % p.n);
        let next = match action {
            0 if row > 0 => pos - p.n,
            1 if row + 1 < p.n => pos + p.n,
            2 if col > 0 => pos - 1,
            3 if col + 1 < p.n => pos + 1,
            _ => pos,
        };
        if p.is_wall(next) {
            pos
        } else {
            next
        }
    }
}

impl EnvKernel for LpgGrid {
    type State = LpgState;
    type Params = LpgParams;
    type Action = u32;

    fn spec(&self) -> EnvSpec {
        let pr = self.preset;
        let level = if pr.random_levels() {
            format!("random levels up to {0}x{0}", pr.grid)
        } else {
            format!("{0}x{0}", pr.grid)
        };
        let obs = if pr.tabular {
            "one-hot of (cell, present objects)"
        } else {
            "agent and per-type object cell maps"
        };
        EnvSpec {
            id: format!("LpgGrid-{}", pr.name),
            obs_dim: pr.obs_dim(),
            num_actions: 5,
            action_dim: 0,
            max_steps: pr.max_steps,
            description: format!(
                "LPG gridworld `{}`: {level}, up to {} of {}; obs {obs}, then time/1000",
                pr.name,
                count(pr.slots, "object"),
                count(pr.types, "type")
            ),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        let pr = self.preset;
        let pair = |(lo, hi): (i32, i32)| format!("vec2<i32>({lo}, {hi})");
        EnvWgsl {
            file: "envs/lpg_grid/env.wgsl",
            text: include_str!("env.wgsl"),
            consts: vec![
                ("MAX_SLOTS", MAX_SLOTS as u32),
                ("MAX_TYPES", MAX_TYPES as u32),
                ("MASK_WORDS", MASK_WORDS as u32),
                ("OBS_GRID", pr.grid),
                ("TABULAR", pr.tabular as u32),
                ("NUM_ACTIONS", 5),
                ("OBS_DIM", pr.obs_dim()),
                ("OBS_DENSE", 0),
                ("ALL_SIZE_MIN", ALL_SIZES.0),
                ("ALL_SIZE_MAX", ALL_SIZES.1),
                ("ALL_TYPES", ALL_TYPES),
                ("ALL_WALLS", ALL_WALLS),
                ("ALL_WALL_RANGE", ALL_WALL_RANGE),
                ("ALL_LEVELS", pr.admits_all_levels() as u32),
            ],
            prelude: format!(
                "const ALL_STEPS_Q8 = {};\nconst ALL_P_TERM_Q8 = {};\nconst ALL_P_RESPAWN_Q8 = {};\n",
                pair(q8(ALL_STEPS)),
                pair(q8(ALL_P_TERM)),
                pair(q8(ALL_P_RESPAWN))
            ),
            tables: Vec::new(),
            // Loops over cells, mask words, slots and types, and placement draws.
            loop_iterations: 2048,
        }
    }

    /// The preset as a distribution: its map and objects with random cells, or `all`.
    fn default_params(&self) -> LpgParams {
        let pr = self.preset;
        let mut p = LpgParams::zeroed();
        if pr.random_levels() {
            p.sampling = Sampling::All as u32;
            return p;
        }
        p.sampling = Sampling::Cells as u32;
        p.n = pr.grid;
        p.max_steps = pr.max_steps;
        for (row, line) in pr.map.iter().enumerate() {
            for (col, _) in line.bytes().enumerate().filter(|&(_, b)| b == b'#') {
                mark(&mut p.walls, row as u32 * pr.grid + col as u32);
            }
        }
        for (t, o) in pr.objects.iter().enumerate() {
            (p.reward[t], p.p_term[t], p.p_respawn[t]) = (o.reward, o.p_term, o.p_respawn);
            for _ in 0..o.count {
                p.obj_type[p.n_objs as usize] = t as u32;
                p.n_objs += 1;
            }
        }
        p
    }

    fn check_params(&self, p: &LpgParams) -> Result<(), String> {
        let pr = self.preset;
        let id = format!("LpgGrid-{}", pr.name);
        match p.sampling {
            0 | 1 => {}
            2 if pr.admits_all_levels() => {
                return Ok(());
            }
            2 => {
                return Err(format!(
                    "sampling = 2 (the `all` level distribution) needs a grid of at least {} and \
                     {ALL_TYPES} object slots and types; {id} has {}, {}, {}",
                    ALL_SIZES.1, pr.grid, pr.slots, pr.types
                ))
            }
            s => {
                return Err(format!(
                    "sampling = {s} is not 0 (level as given), 1 (random start and object cells) \
                     or 2 (the `all` level distribution)"
                ))
            }
        }
        if p.n == 0 || p.n > pr.grid {
            return Err(format!(
                "grid size n = {} must be in 1..={} (the observation grid of {id})",
                p.n, pr.grid
            ));
        }
        if p.n_objs > pr.slots {
            return Err(format!(
                "n_objs = {} exceeds the {} object slots of {id}",
                p.n_objs, pr.slots
            ));
        }
        if p.max_steps == 0 || p.max_steps >= 1 << 24 {
            return Err(format!("max_steps = {} must be in 1..2^24", p.max_steps));
        }
        let slots = 0..p.n_objs as usize;
        if let Some(i) = slots.clone().find(|&i| p.obj_type[i] >= pr.types) {
            return Err(format!(
                "obj_type[{i}] = {} is not below the {} object types of {id}",
                p.obj_type[i], pr.types
            ));
        }
        for t in 0..pr.types as usize {
            if !p.reward[t].is_finite() {
                return Err(format!("reward[{t}] = {} is not finite", p.reward[t]));
            }
            for (what, v) in [("p_term", p.p_term[t]), ("p_respawn", p.p_respawn[t])] {
                if !(0.0..=1.0).contains(&v) {
                    return Err(format!("{what}[{t}] = {v} is not a probability"));
                }
            }
        }
        let cells = p.n * p.n;
        if (cells..MASK_WORDS as u32 * 32).any(|c| p.is_wall(c)) {
            return Err(format!("walls has bits set outside the {0}x{0} grid", p.n));
        }
        let placed = if pr.tabular { p.n_objs } else { 0 };
        if p.sampling == Sampling::Cells as u32 {
            let free = (0..cells).filter(|&c| !p.is_wall(c)).count() as u32;
            if free < 1 + placed {
                return Err(format!(
                    "the map has {free} free cells, fewer than the agent and {placed} objects need"
                ));
            }
            return Ok(());
        }
        let mut taken = p.walls;
        let placed_cells = std::iter::once(("start", p.start)).chain(
            slots
                .take(placed as usize)
                .map(|i| ("static_pos", p.static_pos[i])),
        );
        for (what, c) in placed_cells {
            if c >= cells || is_marked(&taken, c) {
                return Err(format!(
                    "{what} cell {c} is outside the grid, a wall or taken by the agent or another object"
                ));
            }
            mark(&mut taken, c);
        }
        Ok(())
    }

    fn samples_params(&self) -> bool {
        true
    }

    fn sample_params(&self, key: Key, base: &LpgParams) -> LpgParams {
        if base.sampling == Sampling::Given as u32 {
            return *base;
        }
        let mut p = if base.sampling == Sampling::All as u32 {
            sample_all_level(key)
        } else {
            *base
        };
        let k = rng::fold(key, KEY_CELLS);
        let mut free = open_cells(&p);
        p.start = draw_cell(k, 0, &free);
        unmark(&mut free, p.start);
        if self.preset.tabular {
            for i in 0..p.n_objs {
                let cell = draw_cell(k, 1 + i, &free);
                if cell == NO_CELL {
                    p.n_objs = i;
                    break;
                }
                p.static_pos[i as usize] = cell;
                unmark(&mut free, cell);
            }
        }
        p.sampling = Sampling::Given as u32;
        p
    }

    fn reset(&self, key: Key, p: &LpgParams) -> LpgState {
        let mut s = LpgState {
            time: 0,
            pos: p.start,
            exists: 0,
            obj_pos: p.static_pos,
        };
        let slots = (1 << p.n_objs) - 1;
        if self.preset.tabular {
            s.exists = slots; // static cells are valid cells (sampling, check_params)
        } else {
            let mut free = open_cells(p);
            unmark(&mut free, p.start);
            place_objects(key, 0, &mut s, slots, free);
        }
        s
    }

    fn step(&self, key: Key, s: &LpgState, action: u32, p: &LpgParams) -> StepOut<LpgState> {
        let mut next = *s;
        next.pos = Self::move_agent(s.pos, action, p);
        next.time = s.time + 1;
        let (mut collected, mut collected_type, mut respawns) = (0, MAX_TYPES as u32, 0);
        for i in 0..p.n_objs {
            let (slot, t) = (i as usize, p.obj_type[i as usize]);
            let had = (s.exists >> i) & 1 != 0;
            if had && s.obj_pos[slot] == next.pos {
                collected |= 1 << i;
                collected_type = t;
            }
            if !had && rng::bernoulli(key, i, of_type(&p.p_respawn, t)) {
                respawns |= 1 << i;
            }
        }
        next.exists = s.exists & !collected;
        if self.preset.tabular {
            next.exists |= respawns;
        } else {
            let mut free = open_cells(p);
            unmark(&mut free, next.pos);
            for &c in &s.obj_pos[..p.n_objs as usize] {
                unmark(&mut free, c);
            }
            place_objects(key, DRAW_PLACE, &mut next, respawns, free);
        }
        let reward = of_type(&p.reward, collected_type);
        let terminated = rng::bernoulli(key, DRAW_TERM, of_type(&p.p_term, collected_type));
        StepOut {
            state: next,
            reward,
            terminated,
            truncated: !terminated && next.time >= p.max_steps,
            success: false,
        }
    }

    fn observe(&self, s: &LpgState, p: &LpgParams, obs: &mut [f32]) {
        let cells = self.preset.grid * self.preset.grid;
        if self.preset.tabular {
            obs[(s.pos + cells * s.exists) as usize] = 1.0;
        } else {
            obs[s.pos as usize] = 1.0;
            for i in (0..p.n_objs).filter(|i| (s.exists >> i) & 1 != 0) {
                let slot = i as usize;
                obs[(cells * (1 + p.obj_type[slot]) + s.obj_pos[slot]) as usize] = 1.0;
            }
        }
        obs[obs.len() - 1] = s.time as f32 * 0.001;
    }
}

/// "1 object", "4 objects".
fn count(n: u32, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-popcount search picks the same cell as a scan over the cells in index order.
    #[test]
    fn draw_cell_takes_the_rth_free_cell_in_index_order() {
        for trial in 0..2000u32 {
            let key = rng::fold(rng::key(5), trial);
            let n = 1 + trial % MAX_GRID;
            let p = LpgParams {
                n,
                walls: std::array::from_fn(|w| rng::bits(key, 10 + w as u32)),
                ..LpgParams::zeroed()
            };
            let mut free = open_cells(&p);
            if trial % 7 == 0 {
                free = [0; MASK_WORDS];
            }
            let scan: Vec<u32> = (0..n * n).filter(|&c| is_marked(&free, c)).collect();
            let r = rng::below(key, 3, scan.len() as u32);
            let expected = scan.get(r as usize).copied().unwrap_or(NO_CELL);
            assert_eq!(draw_cell(key, 3, &free), expected, "trial {trial}");
            assert!((n * n..MASK_WORDS as u32 * 32).all(|c| !is_marked(&free, c)));
        }
    }
}
