// Shared by the MinAtar games (envs/minatar/*.wgsl), emitted into their generated prelude
// (WGSL declarations may come before what they use). Twin: envs/minatar/mod.rs.
// Each game defines CHANNELS (its observation's depth) and params with `sticky_action_prob`.

// The action the game executes: with probability `sticky`, the last executed one again
// (gymnax's StickyActionWrapper, MinAtar's sticky actions). Draw 0 of the step's key.
// Actions past the action set are clamped to its last, as JAX's indexing does.
fn minatar_action(key: Key, action: u32, last_action: u32, sticky: f32) -> u32 {
    let a = min(action, NUM_ACTIONS - 1u);
    return select(a, last_action, rng_uniform(key, 0u) < sticky);
}

// Set cell (y, x) of channel c of the (10, 10, CHANNELS) observation, flattened row-major.
fn minatar_put(y: i32, x: i32, c: u32) {
    obs_put((u32(y) * 10u + u32(x)) * CHANNELS + c, 1.0);
}

// Set every cell of channel c whose bit is set in `mask` (bit x = column x) in row y.
fn minatar_put_row(y: i32, mask: u32, c: u32) {
    for (var m = mask; m != 0u; m &= m - 1u) {
        minatar_put(y, i32(countTrailingZeros(m)), c);
    }
}
