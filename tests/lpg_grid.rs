//! LpgGrid (envs/lpg_grid): GPU kernels against the CPU twin, sampled levels, observations,
//! the step rules on hand-made levels, and params checks.

mod common;

use std::collections::BTreeSet;
use std::mem::{offset_of, size_of};
use std::sync::Arc;

use common::*;
use wgym::driver::{compose, Driver};
use wgym::envs::lpg_grid::{LpgGrid, LpgParams, LpgState, Sampling, NO_CELL, PRESETS};
use wgym::{Env, EnvKernel, ParamsInit, VecEnv, VecEnvConfig};

fn lpg(name: &str) -> Arc<dyn Env> {
    wgym::make(&format!("LpgGrid-{name}")).unwrap()
}

fn kernel(name: &str) -> LpgGrid {
    LpgGrid::new(name).unwrap()
}

fn step_parity(name: &str, steps: u32) {
    let (mut g, mut c) = pair(lpg(name), 128, 7, ParamsInit::Default);
    assert_eq!(
        g.params().unwrap(),
        c.params_bytes(),
        "sampled levels of {name}"
    );
    assert_step_parity(&mut g, &mut c, steps);
}

#[test]
fn dense_step_kernel_matches_twin() {
    step_parity("dense", 120);
}

#[test]
fn sparse_step_kernel_matches_twin() {
    step_parity("sparse", 60);
}

#[test]
fn longer_step_kernel_matches_twin() {
    step_parity("longer", 120);
}

#[test]
fn rand_small_step_kernel_matches_twin() {
    step_parity("rand_small", 120);
}

#[test]
fn rand_sparse_step_kernel_matches_twin() {
    step_parity("rand_sparse", 60);
}

#[test]
fn all_step_kernel_matches_twin() {
    step_parity("all", 80);
}

#[test]
fn rand_all_step_kernel_matches_twin() {
    step_parity("rand_all", 80);
}

/// Two fused rollouts of every preset (the second carries running returns over).
#[test]
fn rollout_kernel_matches_twin_for_every_preset() {
    for preset in &PRESETS {
        let (mut g, mut c) = pair(lpg(preset.name), 64, 3, ParamsInit::Default);
        assert_eq!(
            g.params().unwrap(),
            c.params_bytes(),
            "sampled levels of {}",
            preset.name
        );
        let mut episodes = 0;
        for _ in 0..2 {
            g.rollout(300).unwrap();
            c.rollout(300);
            assert_eq!(
                g.rollout_stats().unwrap(),
                c.stats,
                "rollout stats of {}",
                preset.name
            );
            assert_eq!(
                g.states().unwrap(),
                c.state_bytes(),
                "states of {}",
                preset.name
            );
            episodes += c.stats.iter().map(|s| s.episodes).sum::<u32>();
        }
        let can_end = preset.max_steps <= 600 || preset.objects.iter().any(|o| o.p_term > 0.0);
        assert!(
            episodes > 0 || !can_end,
            "no episode of {} ended",
            preset.name
        );
    }
}

#[test]
fn every_preset_is_registered_with_groove_observation_sizes() {
    let dims = [
        ("dense", 1937),
        ("sparse", 677),
        ("long", 1937),
        ("longer", 2593),
        ("long_dense", 1937),
        ("rand_dense", 485),
        ("rand_long", 364),
        ("rand_small", 148),
        ("rand_sparse", 148),
        ("rand_very_dense", 243),
        ("all", 3201),
        ("rand_all", 601),
    ];
    for (name, dim) in dims {
        let env = lpg(name);
        let spec = env.spec();
        assert_eq!(spec.id, format!("LpgGrid-{name}"));
        assert_eq!((spec.obs_dim, spec.num_actions), (dim, 5), "{name}");
        env.check_params_bytes(&env.default_params_bytes()).unwrap();
    }
    assert_eq!(PRESETS.len(), dims.len());
}

/// Start and the tabular object cells of a level are distinct, in the grid and not walls.
fn assert_cells_valid(p: &LpgParams, tabular: bool) {
    let mut cells = vec![p.start];
    if tabular {
        cells.extend_from_slice(&p.static_pos[..p.n_objs as usize]);
    }
    let distinct: BTreeSet<u32> = cells.iter().copied().collect();
    assert_eq!(distinct.len(), cells.len(), "cells {cells:?} not distinct");
    for c in cells {
        assert!(c < p.n * p.n && !p.is_wall(c), "cell {c} of {p:?}");
    }
}

#[test]
fn all_levels_are_varied_and_valid() {
    for name in ["all", "rand_all"] {
        let env = lpg(name);
        let g = VecEnv::new(&gpu(), env.clone(), VecEnvConfig::new(256, 5)).unwrap();
        let levels: Vec<LpgParams> = bytemuck::pod_collect_to_vec(&g.params().unwrap());
        let sizes: BTreeSet<u32> = levels.iter().map(|p| p.n).collect();
        assert!(sizes.len() >= 5, "{name}: grid sizes {sizes:?}");
        let steps: BTreeSet<u32> = levels.iter().map(|p| p.max_steps).collect();
        assert!(
            steps.len() > 100,
            "{name}: only {} episode lengths",
            steps.len()
        );
        for p in &levels {
            assert_eq!(p.sampling, Sampling::Given as u32);
            assert!((4..=10).contains(&p.n), "{name}: size {}", p.n);
            assert!(
                (20..=750).contains(&p.max_steps),
                "{name}: {} steps",
                p.max_steps
            );
            assert!((1..=5).contains(&p.n_objs));
            let walls: u32 = p.walls.iter().map(|w| w.count_ones()).sum();
            assert!(
                walls <= 15 && (0..p.n * p.n).filter(|&c| p.is_wall(c)).count() as u32 == walls
            );
            assert_eq!(p.obj_type, [0, 1, 2, 3, 4]);
            assert!((0.0..1.0).contains(&p.reward[0]));
            assert!(p.reward.iter().all(|r| (-1.0..1.0).contains(r)));
            assert!(p.p_term.iter().all(|x| (0.0099..=1.0).contains(x)));
            // Log-uniform bounds are quantised to 1/256 octave: 0.1 becomes 0.10011.
            assert!(p.p_respawn.iter().all(|x| (0.00099..=0.1002).contains(x)));
            assert_cells_valid(p, name == "all");
            env.check_params_bytes(bytemuck::bytes_of(p)).unwrap();
        }
    }
}

#[test]
fn fixed_presets_draw_a_start_and_object_cells_per_level() {
    for name in ["dense", "longer", "long_dense", "rand_small"] {
        let env = lpg(name);
        let base: LpgParams = bytemuck::pod_read_unaligned(&env.default_params_bytes());
        let g = VecEnv::new(&gpu(), env.clone(), VecEnvConfig::new(64, 9)).unwrap();
        let levels: Vec<LpgParams> = bytemuck::pod_collect_to_vec(&g.params().unwrap());
        let tabular = !name.starts_with("rand");
        for p in &levels {
            let concrete = LpgParams {
                sampling: base.sampling,
                start: 0,
                static_pos: [0; 5],
                ..*p
            };
            assert_eq!(concrete, base, "{name}: only the cells change");
            assert_cells_valid(p, tabular);
        }
        let starts: BTreeSet<u32> = levels.iter().map(|p| p.start).collect();
        assert!(starts.len() > 10, "{name}: starts {starts:?}");
    }
}

/// GROOVE's `default_params` layout kept as given: start 0, objects at 14, 40, 95, 101.
#[test]
fn given_levels_are_kept_and_run_on_the_gpu() {
    let env = lpg("dense");
    let mut p: LpgParams = bytemuck::pod_read_unaligned(&env.default_params_bytes());
    p.sampling = Sampling::Given as u32;
    p.start = 0;
    p.static_pos = [14, 40, 95, 101, 0];
    p.max_steps = 100;
    let bytes = bytemuck::bytes_of(&p).to_vec();
    let (mut g, mut c) = pair(env, 64, 4, ParamsInit::Shared(bytes.clone()));
    assert_eq!(g.params().unwrap(), bytes.repeat(64));
    let states: Vec<LpgState> = bytemuck::pod_collect_to_vec(&g.states().unwrap());
    assert!(states
        .iter()
        .all(|s| s.pos == 0 && s.exists == 0b1111 && s.obj_pos == p.static_pos));
    assert_step_parity(&mut g, &mut c, 150);
}

/// Observations after some random steps: the one-hot layout of the README.
#[test]
fn observations_are_one_hot_as_specified() {
    for name in ["dense", "all", "rand_small", "rand_all"] {
        let preset = kernel(name).preset;
        let (mut g, _) = pair(lpg(name), 64, 11, ParamsInit::Default);
        g.step_random(37).unwrap();
        let d = preset.obs_dim() as usize;
        let cells = preset.grid * preset.grid;
        let obs = g.obs().unwrap();
        let states: Vec<LpgState> = bytemuck::pod_collect_to_vec(&g.states().unwrap());
        let levels: Vec<LpgParams> = bytemuck::pod_collect_to_vec(&g.params().unwrap());
        for (i, (s, p)) in states.iter().zip(&levels).enumerate() {
            let o = &obs[i * d..(i + 1) * d];
            assert_eq!(o[d - 1], s.time as f32 * 0.001, "{name}: time entry");
            let mut expected = vec![0.0f32; d - 1];
            if preset.tabular {
                expected[(s.pos + cells * s.exists) as usize] = 1.0;
            } else {
                expected[s.pos as usize] = 1.0;
                for k in (0..p.n_objs as usize).filter(|&k| (s.exists >> k) & 1 != 0) {
                    assert_ne!(s.obj_pos[k], NO_CELL);
                    expected[(cells * (1 + p.obj_type[k]) + s.obj_pos[k]) as usize] = 1.0;
                }
                assert_eq!(
                    o.iter().filter(|&&v| v == 1.0).count(),
                    1 + s.exists.count_ones() as usize
                );
            }
            assert_eq!(o[..d - 1], expected[..], "{name}: obs of env {i}");
        }
    }
}

fn given(name: &str, start: u32, objs: &[u32]) -> (LpgGrid, LpgParams) {
    let env = kernel(name);
    let mut p = env.default_params();
    p.sampling = Sampling::Given as u32;
    p.start = start;
    p.static_pos[..objs.len()].copy_from_slice(objs);
    env.check_params(&p).unwrap();
    (env, p)
}

const KEY: [u32; 2] = [1, 2];

#[test]
fn moves_stop_at_edges_and_walls() {
    // longer: column 4 is a wall except rows 1 and 7.
    let (env, p) = given("longer", 3, &[10, 20, 30, 41, 50]);
    let s = env.reset(KEY, &p);
    let step = |s: &LpgState, a| env.step(KEY, s, a, &p).state.pos;
    assert_eq!(step(&s, 0), 3, "up at the top edge");
    assert_eq!(step(&s, 3), 3, "right into the wall at 4");
    assert_eq!(step(&s, 2), 2);
    assert_eq!(step(&s, 1), 12);
    assert_eq!(step(&s, 4), 3, "no-op");
    let s9 = LpgState { pos: 9, ..s };
    assert_eq!(step(&s9, 2), 9, "left at the left edge");
    let s12 = LpgState { pos: 12, ..s };
    assert_eq!(step(&s12, 3), 13, "into the gap in row 1");
}

#[test]
fn collecting_pays_and_may_terminate() {
    // sparse: both objects end the episode (p_term 1) and never respawn.
    let (env, p) = given("sparse", 0, &[1, 13]);
    let s = env.reset(KEY, &p);
    assert_eq!(s.exists, 0b11);
    let out = env.step(KEY, &s, 3, &p);
    assert_eq!(
        (out.reward, out.terminated, out.truncated),
        (1.0, true, false)
    );
    assert_eq!(out.state.exists, 0b10);
    let out = env.step(KEY, &s, 1, &p);
    assert_eq!(
        (out.reward, out.terminated, out.state.exists),
        (-1.0, true, 0b01)
    );
    let out = env.step(KEY, &s, 4, &p);
    assert_eq!(
        (out.reward, out.terminated, out.state.time),
        (0.0, false, 1)
    );
    let late = LpgState { time: 49, ..s };
    let out = env.step(KEY, &late, 4, &p);
    assert_eq!((out.terminated, out.truncated), (false, true), "time limit");
    let out = env.step(KEY, &late, 3, &p);
    assert_eq!(
        (out.terminated, out.truncated),
        (true, false),
        "termination wins"
    );
}

#[test]
fn tabular_objects_respawn_at_their_cell_even_under_the_agent() {
    // long: type 1 respawns every step (p = 1); make it harmless to keep the episode going.
    let (env, mut p) = given("long", 0, &[50, 60, 1, 70]);
    p.p_term[1] = 0.0;
    let s = env.reset(KEY, &p);
    let out = env.step(KEY, &s, 3, &p);
    assert_eq!(
        (out.reward, out.state.exists),
        (-1.0, 0b1011),
        "collected, not back at once"
    );
    let out = env.step(KEY, &out.state, 4, &p);
    assert_eq!(
        (out.reward, out.state.exists),
        (0.0, 0b1111),
        "back under the agent"
    );
    let out = env.step(KEY, &out.state, 4, &p);
    assert_eq!(
        (out.reward, out.state.exists),
        (-1.0, 0b1011),
        "standing still collects"
    );
}

#[test]
fn random_respawns_land_on_free_cells() {
    // rand_small (walls at 9 and 25), every object back at once (p = 1); many keys.
    let (env, mut p) = given("rand_small", 0, &[]);
    p.p_respawn = [1.0; 5];
    p.p_term = [0.0; 5];
    for k in 0..200 {
        let key = [k, 7];
        let mut s = env.reset(key, &p);
        s.obj_pos = [1, 10, 20, 30, 0];
        s.exists = 0b1111;
        let out = env.step(key, &s, 3, &p);
        let n = out.state;
        assert_eq!(
            (out.reward, n.pos, n.exists),
            (1.0, 1, 0b1110),
            "collected slot 0"
        );
        assert_eq!(
            n.obj_pos[0], 1,
            "a collected object keeps its cell until it respawns"
        );
        let out = env.step(key, &n, 4, &p);
        let c = out.state.obj_pos[0];
        assert_eq!(out.state.exists, 0b1111);
        assert!(
            c < 49 && ![1, 9, 25, 10, 20, 30].contains(&c),
            "respawned at {c}"
        );
    }
}

#[test]
fn bad_params_are_rejected_with_a_reason() {
    let env = lpg("sparse");
    let base: LpgParams = bytemuck::pod_read_unaligned(&env.default_params_bytes());
    let cases: [(LpgParams, &str); 7] = [
        (
            LpgParams { n: 14, ..base },
            "grid size n = 14 must be in 1..=13",
        ),
        (
            LpgParams { n_objs: 6, ..base },
            "n_objs = 6 exceeds the 2 object slots",
        ),
        (
            LpgParams {
                sampling: 3,
                ..base
            },
            "sampling = 3 is not",
        ),
        (
            LpgParams {
                sampling: 2,
                ..base
            },
            "needs a grid of at least 10",
        ),
        (
            LpgParams {
                max_steps: 0,
                ..base
            },
            "max_steps = 0",
        ),
        (
            LpgParams {
                p_term: [1.5, 0.0, 0.0, 0.0, 0.0],
                ..base
            },
            "p_term[0] = 1.5",
        ),
        (
            LpgParams {
                n: 3,
                walls: [0x7f, 0, 0, 0, 0, 0],
                ..base
            },
            "2 free cells",
        ),
    ];
    for (p, why) in cases {
        let err = env.check_params_bytes(bytemuck::bytes_of(&p)).unwrap_err();
        assert!(err.contains(why), "{err:?} lacks {why:?}");
    }
    let given = LpgParams {
        sampling: Sampling::Given as u32,
        walls: [1 << 5, 0, 0, 0, 0, 0],
        start: 5,
        ..base
    };
    let err = env
        .check_params_bytes(bytemuck::bytes_of(&given))
        .unwrap_err();
    assert!(err.contains("start cell 5"), "{err}");
    let e = lpg("dense");
    let outside = LpgParams {
        walls: [0, 0, 0, 0, 1 << 8, 0],
        ..bytemuck::pod_read_unaligned(&e.default_params_bytes())
    };
    assert!(e
        .check_params_bytes(bytemuck::bytes_of(&outside))
        .unwrap_err()
        .contains("outside"));

    let bad = LpgParams { n: 14, ..base };
    let config = VecEnvConfig {
        params: ParamsInit::Shared(bytemuck::bytes_of(&bad).to_vec()),
        ..VecEnvConfig::new(8, 0)
    };
    let err = VecEnv::new(&gpu(), env, config).err().unwrap().to_string();
    assert!(err.contains("n = 14"), "{err}");
}

/// naga's layout of the WGSL structs against the #[repr(C)] twins (same field names).
#[test]
fn wgsl_structs_match_the_rust_layout() {
    macro_rules! offsets {
        ($t:ty, [$($f:ident),*]) => {
            vec![$((stringify!($f).to_string(), offset_of!($t, $f) as u32)),*]
        };
    }
    for name in ["dense", "rand_all"] {
        let env = kernel(name);
        let m = compose(&env, Driver::Step, &wgym::Env::default_params_bytes(&env)).unwrap();
        let params = offsets!(
            LpgParams,
            [
                sampling, n, n_objs, start, max_steps, walls, obj_type, static_pos, reward, p_term,
                p_respawn
            ]
        );
        let state = offsets!(LpgState, [time, pos, exists, obj_pos]);
        assert_eq!(
            m.struct_layout("EnvParams").unwrap(),
            (size_of::<LpgParams>() as u32, params)
        );
        assert_eq!(
            m.struct_layout("EnvState").unwrap(),
            (size_of::<LpgState>() as u32, state)
        );
    }
}

/// A random-respawn level with a single free cell besides the start: one object fits, the
/// others stay absent (stored cell NO_CELL) through resets and respawns, on both sides.
#[test]
fn crowded_levels_leave_objects_out() {
    let env = kernel("rand_all");
    let mut p = LpgParams {
        n: 4,
        n_objs: 5,
        max_steps: 20,
        walls: [0xfffc, 0, 0, 0, 0, 0],
        obj_type: [0, 1, 2, 3, 4],
        p_respawn: [1.0; 5],
        ..env.default_params()
    };
    p.sampling = Sampling::Given as u32;
    env.check_params(&p).unwrap();
    let s = env.reset(KEY, &p);
    assert_eq!(
        (s.exists, s.obj_pos),
        (0b1, [1, NO_CELL, NO_CELL, NO_CELL, NO_CELL])
    );
    let (mut g, mut c) = pair(
        lpg("rand_all"),
        32,
        6,
        ParamsInit::Shared(bytemuck::bytes_of(&p).to_vec()),
    );
    assert_step_parity(&mut g, &mut c, 45);
}
