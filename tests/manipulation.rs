//! The manipulation tasks: scripted policies solve each in the CPU twin, the GPU kernels
//! match the twin (teacher-forced, within a float tolerance; success and episode flags
//! exactly), batches are deterministic, and bad params are clear errors.

mod common;

use common::*;
use wgym::envs::manipulation::{
    scripted, Manipulation, ManipulationParams, ManipulationState, Positions, Task, TASKS, TASK_ANY,
};
use wgym::{rng, EnvKernel, ParamsInit};

/// First success step of the scripted policy on `task` for each of `envs` drawn tasks.
fn scripted_success_steps(task: Task, envs: u32) -> Vec<Option<u32>> {
    let env = Manipulation::single(task);
    let base = env.default_params();
    (0..envs)
        .map(|i| {
            let p = env.sample_params(rng::fold(rng::key(7), i), &base);
            let mut s: ManipulationState = env.reset(rng::key(i), &p);
            let mut obs = vec![0.0; 39];
            for t in 0..500 {
                obs.iter_mut().for_each(|x| *x = 0.0);
                env.observe(&s, &p, &mut obs);
                let out = env.step(rng::key(0), &s, scripted::action(task, &obs), &p);
                if out.success {
                    return Some(t + 1);
                }
                s = out.state;
            }
            None
        })
        .collect()
}

#[test]
fn scripted_policies_solve_every_task_in_the_twin() {
    for task in TASKS {
        let steps = scripted_success_steps(task, 32);
        let solved: Vec<u32> = steps.iter().flatten().copied().collect();
        assert_eq!(
            solved.len(),
            steps.len(),
            "{}: solved {} of {} ({steps:?})",
            task.name(),
            solved.len(),
            steps.len()
        );
        eprintln!(
            "{}: mean {} steps to success",
            task.name(),
            solved.iter().sum::<u32>() as f32 / solved.len() as f32
        );
    }
}

/// Relative float tolerance of the GPU against the twin (sqrt, exp, log, sin/cos and
/// atan2 differ by a few ulps between adapters and the CPU's libm).
const TOL: f32 = 1e-4;

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= TOL * (1.0 + a.abs().max(b.abs()))
}

fn states(bytes: &[u8]) -> Vec<ManipulationState> {
    bytemuck::pod_collect_to_vec(bytes)
}

fn assert_states_close(g: &[ManipulationState], c: &[ManipulationState], what: &str) {
    for (i, (g, c)) in g.iter().zip(c).enumerate() {
        assert_eq!((g.held, g.time), (c.held, c.time), "{what}: env {i}");
        let (gw, cw): (&[f32], &[f32]) = (
            bytemuck::cast_slice(std::slice::from_ref(g)),
            bytemuck::cast_slice(std::slice::from_ref(c)),
        );
        for (k, (a, b)) in gw.iter().zip(cw).enumerate().take(22) {
            assert!(close(*a, *b), "{what}: env {i} state word {k}: {a} vs {b}");
        }
    }
}

/// Teacher-forced steps of the GPU step kernel against the twin: scripted actions in half
/// the envs (so successes happen), random ones in the others, past the 500-step limit.
fn check_step_parity(id: &str, params: ParamsInit, seed: u32) {
    let env = wgym::make(id).unwrap();
    let spec = env.spec();
    let (mut g, mut c) = pair(env, 64, seed, params);
    let sampled: Vec<ManipulationParams> = bytemuck::pod_collect_to_vec(&g.params().unwrap());
    let twin: Vec<ManipulationParams> = bytemuck::pod_collect_to_vec(&c.params_bytes());
    for (i, (a, b)) in sampled.iter().zip(&twin).enumerate() {
        assert_eq!(
            (a.task, a.positions),
            (b.task, b.positions),
            "{id}: params of env {i}"
        );
        for (x, y) in a.obj.iter().chain(&a.goal).zip(b.obj.iter().chain(&b.goal)) {
            assert!(close(*x, *y), "{id}: positions of env {i}: {a:?} vs {b:?}");
        }
    }
    assert_states_close(
        &states(&g.states().unwrap()),
        &states(&c.state_bytes()),
        &format!("{id} after reset"),
    );
    let d = spec.obs_dim as usize;
    let (mut successes, mut truncations) = (0, 0);
    for t in 0..520u32 {
        g.write_states(&c.state_bytes()).unwrap();
        let mut values = Vec::with_capacity(64 * 4);
        for (i, params) in twin.iter().enumerate() {
            let task = Task::from_index(params.task).unwrap();
            let a = if i % 2 == 0 {
                scripted::action(task, &c.obs[i * d..(i + 1) * d])
            } else {
                let key = rng::fold(rng::key(seed + 100), t * 64 + i as u32);
                std::array::from_fn(|k| 2.0 * rng::uniform(key, k as u32) - 1.0)
            };
            values.extend_from_slice(&a);
        }
        c.actions = values.iter().map(|v| v.to_bits()).collect();
        g.set_action_values(&values).unwrap();
        g.step().unwrap();
        c.step();
        let what = format!("{id} at step {t}");
        assert_eq!(g.success().unwrap(), c.success, "{what}: success");
        assert_eq!(g.truncated().unwrap(), c.truncated, "{what}: truncated");
        assert_eq!(g.terminated().unwrap(), c.terminated, "{what}: terminated");
        for (i, (a, b)) in g.rewards().unwrap().iter().zip(&c.rewards).enumerate() {
            assert!(close(*a, *b), "{what}: reward of env {i}: {a} vs {b}");
        }
        for (j, (a, b)) in g.obs().unwrap().iter().zip(&c.obs).enumerate() {
            assert!(
                close(*a, *b),
                "{what}: obs {} of env {}: {a} vs {b}",
                j % d,
                j / d
            );
        }
        assert_states_close(
            &states(&g.states().unwrap()),
            &states(&c.state_bytes()),
            &what,
        );
        successes += c.success.iter().filter(|&&s| s).count();
        truncations += c.truncated.iter().filter(|&&s| s).count();
    }
    assert!(successes > 0, "{id}: no success to compare");
    assert_eq!(truncations, 64, "{id}: every env truncates once");
}

#[test]
fn every_task_matches_twin_teacher_forced() {
    for task in TASKS {
        check_step_parity(
            &format!("Manipulation-{}", task.name()),
            ParamsInit::Default,
            task as u32,
        );
    }
}

#[test]
fn multi_task_batch_matches_twin_and_covers_every_task() {
    check_step_parity("Manipulation-mt10", ParamsInit::Default, 11);
    let (g, _) = pair(
        wgym::make("Manipulation-mt10").unwrap(),
        64,
        11,
        ParamsInit::Default,
    );
    let params: Vec<ManipulationParams> = bytemuck::pod_collect_to_vec(&g.params().unwrap());
    let tasks: std::collections::HashSet<u32> = params.iter().map(|p| p.task).collect();
    assert_eq!(tasks.len(), TASKS.len(), "tasks drawn: {tasks:?}");
}

/// Positions drawn at every reset (ML1-style episodes) and hidden goals.
#[test]
fn per_episode_positions_and_hidden_goals_match_twin() {
    let params = ManipulationParams {
        positions: Positions::PerEpisode as u32,
        goal_observable: 0,
        max_steps: 40,
        ..ManipulationParams::new(Task::Push as u32)
    };
    let bytes = bytemuck::bytes_of(&params).to_vec();
    let (mut g, mut c) = pair(
        wgym::make("Manipulation-push").unwrap(),
        64,
        5,
        ParamsInit::Shared(bytes),
    );
    let mut goals = std::collections::HashSet::new();
    for t in 0..100 {
        g.write_states(&c.state_bytes()).unwrap();
        g.step_random(1).unwrap();
        c.sample_actions();
        c.step();
        let obs = g.obs().unwrap();
        for (j, (a, b)) in obs.iter().zip(&c.obs).enumerate() {
            assert!(close(*a, *b), "step {t}: obs {j}: {a} vs {b}");
            if j % 39 >= 36 {
                assert_eq!(*a, 0.0, "the goal is hidden");
            }
        }
        goals.extend(states(&c.state_bytes()).iter().map(|s| s.goal[0].to_bits()));
    }
    // 64 envs, a new goal at each of two resets.
    assert!(goals.len() >= 3 * 64 - 5, "{} distinct goals", goals.len());
}

#[test]
fn batches_are_deterministic_per_seed() {
    let run = |seed: u32| {
        let env = wgym::make("Manipulation-mt10").unwrap();
        let config = wgym::VecEnvConfig::new(128, seed);
        let mut v = wgym::VecEnv::new(&gpu(), env, config).unwrap();
        v.rollout(300).unwrap();
        (v.states().unwrap(), v.rollout_stats().unwrap())
    };
    let (a, b, other) = (run(3), run(3), run(4));
    assert_eq!(a, b, "same seed, same bytes");
    assert_ne!(a.0, other.0, "another seed, other episodes");
}

#[test]
fn bad_params_are_clear_errors() {
    let push = Manipulation::single(Task::Push);
    let base = push.default_params();
    let cases = [
        (
            ManipulationParams {
                task: Task::Reach as u32,
                ..base
            },
            "this env runs 2 (push)",
        ),
        (
            ManipulationParams {
                positions: 3,
                ..base
            },
            "positions = 3",
        ),
        (
            ManipulationParams {
                max_steps: 0,
                ..base
            },
            "max_steps",
        ),
        (
            ManipulationParams {
                positions: Positions::Fixed as u32,
                obj: [f32::NAN, 0.6, 0.02],
                ..base
            },
            "finite",
        ),
    ];
    for (p, expected) in cases {
        let err = push.check_params(&p).unwrap_err();
        assert!(err.contains(expected), "{err}");
    }
    let mt = Manipulation::multi_task();
    for (p, expected) in [
        (
            ManipulationParams {
                task: TASK_ANY + 1,
                ..mt.default_params()
            },
            "task = 11",
        ),
        (
            ManipulationParams {
                task_set: 0,
                ..mt.default_params()
            },
            "task_set",
        ),
        (
            ManipulationParams {
                task_set: 1 << 12,
                ..mt.default_params()
            },
            "task_set",
        ),
    ] {
        let err = mt.check_params(&p).unwrap_err();
        assert!(err.contains(expected), "{err}");
    }
    // Through the batch constructor, and for actions.
    let bytes = bytemuck::bytes_of(&cases[0].0).to_vec();
    let config = wgym::VecEnvConfig {
        params: ParamsInit::Shared(bytes),
        ..wgym::VecEnvConfig::new(4, 0)
    };
    let err = wgym::VecEnv::new(&gpu(), wgym::make("Manipulation-push").unwrap(), config)
        .err()
        .expect("rejected")
        .to_string();
    assert!(err.contains("push"), "{err}");
    let (mut g, _) = pair(
        wgym::make("Manipulation-push").unwrap(),
        4,
        0,
        ParamsInit::Default,
    );
    let err = g.set_action_values(&[0.0; 15]).unwrap_err().to_string();
    assert!(err.contains("15 values"), "{err}");
    let err = g.set_actions(&[0; 4]).unwrap_err().to_string();
    assert!(
        err.contains("continuous") || err.contains("set_action_values"),
        "{err}"
    );
}
