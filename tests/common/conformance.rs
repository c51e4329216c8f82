//! The conformance suite every env gets: callable on any `Arc<dyn Env>`, so that
//! tests/conformance.rs runs it over the registry and an env registered only inside a test
//! gets it too. Small batches and horizons: the suite runs on a 2-core CPU adapter.

use std::sync::Arc;

use wgym::driver::{compose, Driver};
use wgym::{Env, ParamsInit, VecEnv, VecEnvConfig};

use super::{gpu, pair};
use wgym::CpuVecEnv;

const BATCH: u32 = 48;

/// Whether `a` (GPU) is within the env's tolerance of `b` (twin): `tol * (1 + |b|)`.
fn close(a: f32, b: f32, tol: f32) -> bool {
    a == b || (a - b).abs() <= tol * (1.0 + b.abs())
}

/// State words compared within tolerance where both are normal floats; integers (small
/// values read as f32 are subnormal) and exact envs compare bit for bit.
fn words_close(a: &[u8], b: &[u8], tol: f32) -> bool {
    let (a, b): (Vec<u32>, Vec<u32>) = (
        bytemuck::pod_collect_to_vec(a),
        bytemuck::pod_collect_to_vec(b),
    );
    a.len() == b.len()
        && a.iter().zip(&b).all(|(&x, &y)| {
            let (fx, fy) = (f32::from_bits(x), f32::from_bits(y));
            x == y || (tol > 0.0 && fx.is_normal() && fy.is_normal() && close(fx, fy, tol))
        })
}

/// Steps long enough that episodes end by the time limit at least (a random policy
/// ends most of them sooner).
fn horizon(env: &dyn Env) -> u32 {
    env.spec().max_steps + 2
}

/// GPU step kernel against the CPU twin, from the tasks each drew (params sampled per env
/// on the GPU and in the twin must agree). Exact envs: every readable buffer bit for bit
/// ([`exact_parity`]). Float envs: teacher-forced (the twin's states are uploaded before
/// every step, so errors cannot compound), rewards, observations and states within the
/// env's tolerance, terminated, truncated and success equal. Where a float lands within
/// tolerance of a threshold the two may decide `terminated` or `success` differently (both
/// started the step from the same uploaded state): such a step is accepted only if, when
/// an episode ended on one side, the GPU's final observation is within tolerance of the
/// twin's (so the states agree and only the comparison flipped); it is counted, its reward
/// and next observation and state (a reset or restart on one side only) are not compared,
/// and such steps must stay rare (at most 1 in 1000 env-steps). Truncations come from
/// integer time limits and must always agree.
pub fn parity(env: Arc<dyn Env>, seed: u32) {
    let id = env.spec().id;
    let tol = env.tolerance();
    let steps = horizon(env.as_ref());
    let (mut g, mut c) = pair(env.clone(), BATCH, seed, ParamsInit::Default);
    assert!(
        words_close(&g.params().unwrap(), &c.params_bytes(), tol),
        "{id}: params (tasks drawn per env) differ"
    );
    if tol == 0.0 {
        exact_parity(&id, &mut g, &mut c, steps);
        return;
    }
    let d = env.spec().obs_dim as usize;
    let (mut flipped, mut finished) = (0usize, 0usize);
    for t in 0..steps {
        g.write_states(&c.state_bytes()).unwrap();
        g.step_random(1).unwrap();
        c.sample_actions();
        c.step();
        assert_eq!(g.actions().unwrap(), c.actions, "{id}: actions at step {t}");
        let (terminated, truncated) = (g.terminated().unwrap(), g.truncated().unwrap());
        let (rewards, obs) = (g.rewards().unwrap(), g.obs().unwrap());
        let (final_obs, states) = (g.final_obs().unwrap(), g.states().unwrap());
        let success = g.success().unwrap();
        let size = env.state_size();
        for i in 0..BATCH as usize {
            let rows = i * d..(i + 1) * d;
            assert_eq!(
                truncated[i], c.truncated[i],
                "{id}: truncated of env {i} at step {t} (time limits are integers)"
            );
            if success[i] != c.success[i] && terminated[i] == c.terminated[i] {
                flipped += 1;
                continue;
            }
            if terminated[i] != c.terminated[i] {
                // Where a side's episode ended its next state is a reset: compare the
                // final observation there.
                let gpu_final = match terminated[i] || truncated[i] {
                    true => &final_obs[rows.clone()],
                    false => &obs[rows.clone()],
                };
                let twin_final = match c.terminated[i] || c.truncated[i] {
                    true => &c.final_obs[rows.clone()],
                    false => &c.obs[rows.clone()],
                };
                assert!(
                    gpu_final
                        .iter()
                        .zip(twin_final)
                        .all(|(a, b)| close(*a, *b, tol)),
                    "{id}: terminated of env {i} at step {t}: GPU {} twin {}, and the states \
                     differ beyond tolerance: {gpu_final:?} vs {twin_final:?}",
                    terminated[i],
                    c.terminated[i]
                );
                flipped += 1;
                continue;
            }
            if terminated[i] || truncated[i] {
                finished += 1;
                for (a, b) in final_obs[rows.clone()]
                    .iter()
                    .zip(&c.final_obs[rows.clone()])
                {
                    assert!(close(*a, *b, tol), "{id}: final obs of env {i} at step {t}");
                }
            }
            assert!(
                close(rewards[i], c.rewards[i], tol),
                "{id}: reward of env {i} at step {t}: {} vs {}",
                rewards[i],
                c.rewards[i]
            );
            for (a, b) in obs[rows.clone()].iter().zip(&c.obs[rows]) {
                assert!(
                    close(*a, *b, tol),
                    "{id}: obs of env {i} at step {t}: {a} vs {b}"
                );
            }
            assert!(
                words_close(&states[i * size..(i + 1) * size], &c.states[i], tol),
                "{id}: state of env {i} at step {t}"
            );
        }
    }
    assert!(finished > 0, "{id}: no episode ended in {steps} steps");
    let env_steps = (steps * BATCH) as usize;
    eprintln!("{id}: {flipped} of {env_steps} env-steps decided a flag within tolerance");
    assert!(
        flipped * 1000 <= env_steps,
        "{id}: {flipped} of {env_steps} env-steps flipped a flag"
    );
}

/// Exact envs: everything a user can read back equal bit for bit, after every step of the
/// first 64 and then every 16 steps (long time limits stay cheap; states carry whatever
/// happened in between, auto-resets included).
fn exact_parity(id: &str, g: &mut VecEnv, c: &mut CpuVecEnv, steps: u32) {
    assert_eq!(
        g.states().unwrap(),
        c.state_bytes(),
        "{id}: states after reset"
    );
    assert_eq!(g.obs().unwrap(), c.obs, "{id}: obs after reset");
    let d = g.spec().obs_dim as usize;
    let (mut t, mut finished) = (0, 0);
    while t < steps {
        let k = if t < 64 { 1 } else { 16.min(steps - t) };
        g.step_random(k).unwrap();
        for _ in 0..k {
            c.sample_actions();
            c.step();
            finished += c
                .terminated
                .iter()
                .zip(&c.truncated)
                .filter(|(a, b)| **a || **b)
                .count();
        }
        t += k;
        assert_eq!(g.actions().unwrap(), c.actions, "{id}: actions at step {t}");
        assert_eq!(g.rewards().unwrap(), c.rewards, "{id}: rewards at step {t}");
        assert_eq!(
            g.terminated().unwrap(),
            c.terminated,
            "{id}: terminated at step {t}"
        );
        assert_eq!(
            g.truncated().unwrap(),
            c.truncated,
            "{id}: truncated at step {t}"
        );
        assert_eq!(g.success().unwrap(), c.success, "{id}: success at step {t}");
        assert_eq!(g.obs().unwrap(), c.obs, "{id}: obs at step {t}");
        assert_eq!(
            g.states().unwrap(),
            c.state_bytes(),
            "{id}: states at step {t}"
        );
        let final_obs = g.final_obs().unwrap();
        for i in 0..c.batch() {
            if c.terminated[i] || c.truncated[i] {
                let rows = i * d..(i + 1) * d;
                assert_eq!(
                    final_obs[rows.clone()],
                    c.final_obs[rows],
                    "{id}: final obs"
                );
            }
        }
    }
    assert!(finished > 0, "{id}: no episode ended in {steps} steps");
}

/// The fused rollout takes the same random actions as the step kernel and ends in the
/// same states; for exact envs its statistics and states also equal the twin's rollout.
pub fn rollout_equals_step(env: Arc<dyn Env>, seed: u32) {
    let id = env.spec().id;
    let steps = horizon(env.as_ref());
    let (mut rolled, mut twin) = pair(env.clone(), BATCH, seed, ParamsInit::Default);
    rolled.rollout(steps).unwrap();
    let (mut stepped, _) = pair(env.clone(), BATCH, seed, ParamsInit::Default);
    stepped.step_random(steps).unwrap();
    assert_eq!(
        rolled.states().unwrap(),
        stepped.states().unwrap(),
        "{id}: fused rollout vs step kernel"
    );
    let stats = rolled.rollout_stats().unwrap();
    assert!(
        stats.iter().map(|s| s.episodes).sum::<u32>() > 0,
        "{id}: no episode ended in the rollout"
    );
    if env.tolerance() == 0.0 {
        twin.rollout(steps);
        assert_eq!(stats, twin.stats, "{id}: rollout statistics vs twin");
        assert_eq!(rolled.states().unwrap(), twin.state_bytes(), "{id}: states");
    }
}

/// Everything a run produces after a fused rollout and some steps.
fn run(env: &Arc<dyn Env>, batch: u32, seed: u32, workgroup_size: u32) -> Vec<Vec<u8>> {
    let config = VecEnvConfig {
        workgroup_size,
        ..VecEnvConfig::new(batch, seed)
    };
    let mut v = VecEnv::new(&gpu(), env.clone(), config).unwrap();
    v.rollout(40).unwrap();
    let stats = bytemuck::cast_slice(&v.rollout_stats().unwrap()).to_vec();
    v.step_random(10).unwrap();
    vec![
        stats,
        v.states().unwrap(),
        bytemuck::cast_slice(&v.obs().unwrap()).to_vec(),
        bytemuck::cast_slice(&v.rewards().unwrap()).to_vec(),
        v.params().unwrap(),
    ]
}

/// Same seed: identical bytes across runs, workgroup sizes 32, 64 and 256, and batch sizes
/// (env i depends on (seed, i) only); different seeds differ.
pub fn determinism(env: Arc<dyn Env>) {
    let id = env.spec().id;
    let reference = run(&env, BATCH, 11, 64);
    assert_eq!(run(&env, BATCH, 11, 64), reference, "{id}: two runs");
    for wg in [32, 256] {
        assert_eq!(
            run(&env, BATCH, 11, wg),
            reference,
            "{id}: workgroup size {wg}"
        );
    }
    let small = run(&env, 7, 11, 64);
    let state = env.state_size();
    assert_eq!(
        small[1],
        reference[1][..7 * state],
        "{id}: batch of 7 vs {BATCH}"
    );
    assert_ne!(
        run(&env, BATCH, 12, 64)[1],
        reference[1],
        "{id}: seeds 11 and 12"
    );
}

/// naga's layout of EnvState and EnvParams under every driver: the Rust sizes, and 4-byte
/// members packed without padding (as `#[repr(C)]` Pod structs of 4-byte fields are).
pub fn layout(env: Arc<dyn Env>) {
    let id = env.spec().id;
    for driver in [Driver::Step, Driver::Rollout, Driver::SampleParams] {
        let m = compose(env.as_ref(), driver, &env.default_params_bytes())
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        for (name, rust) in [
            ("EnvState", env.state_size()),
            ("EnvParams", env.params_size()),
        ] {
            let (size, offsets) = m.struct_layout(name).unwrap();
            assert_eq!(size as usize, rust, "{id}: size of {name}");
            assert!(
                offsets.windows(2).all(|w| w[0].1 < w[1].1) && offsets[0].1 == 0,
                "{id}: {name} offsets {offsets:?}"
            );
            assert!(
                offsets.iter().all(|(_, o)| o % 4 == 0),
                "{id}: {name} offsets {offsets:?}"
            );
        }
    }
}

/// Random play in the step kernel: observations (after steps and final ones; every step
/// for 64 steps, then every 16th) finite and inside the declared bounds, rewards finite, no episode longer than the time limit, and
/// every episode that reaches it ends there.
pub fn spec(env: Arc<dyn Env>, seed: u32) {
    let spec = env.spec();
    let id = &spec.id;
    let params = env.default_params_bytes();
    let (low, high) = env.obs_bounds_bytes(&params).unwrap_or_else(|| {
        let d = spec.obs_dim as usize;
        (vec![f32::MIN; d], vec![f32::MAX; d])
    });
    assert_eq!(low.len(), spec.obs_dim as usize, "{id}: bounds");
    let inside = |obs: &[f32], what: &str, t: u32| {
        for (j, v) in obs.iter().enumerate() {
            let k = j % low.len();
            assert!(
                v.is_finite() && low[k] <= *v && *v <= high[k],
                "{id}: {what} entry {k} = {v} at step {t} outside [{}, {}]",
                low[k],
                high[k]
            );
        }
    };
    let mut v = VecEnv::new(&gpu(), env.clone(), VecEnvConfig::new(BATCH, seed)).unwrap();
    inside(&v.obs().unwrap(), "reset obs", 0);
    let mut lengths = vec![0u32; BATCH as usize];
    for t in 0..horizon(env.as_ref()) {
        v.step_random(1).unwrap();
        // Observations every step at first, then every 16th (long limits stay cheap).
        let read_obs = t < 64 || t % 16 == 0;
        if read_obs {
            inside(&v.obs().unwrap(), "obs", t);
        }
        let (terminated, truncated) = (v.terminated().unwrap(), v.truncated().unwrap());
        let final_obs = if read_obs {
            v.final_obs().unwrap()
        } else {
            Vec::new()
        };
        let d = spec.obs_dim as usize;
        for (i, r) in v.rewards().unwrap().iter().enumerate() {
            assert!(r.is_finite(), "{id}: reward {r} of env {i} at step {t}");
            lengths[i] += 1;
            assert!(
                lengths[i] <= spec.max_steps,
                "{id}: env {i} ran past the limit"
            );
            if lengths[i] == spec.max_steps {
                assert!(truncated[i] || terminated[i], "{id}: env {i} not truncated");
            }
            if terminated[i] || truncated[i] {
                if read_obs {
                    inside(&final_obs[i * d..(i + 1) * d], "final obs", t);
                }
                lengths[i] = 0;
            }
        }
    }
    if spec.action_dim == 0 {
        let n = spec.num_actions;
        assert!(v.actions().unwrap().iter().all(|&a| a < n), "{id}: actions");
    }
}

/// Wrong-sized params and params of NaN words are rejected with an error naming the
/// params; the defaults are accepted.
pub fn bad_params(env: Arc<dyn Env>) {
    let id = env.spec().id;
    let good = env.default_params_bytes();
    assert_eq!(
        env.check_params_bytes(&good),
        Ok(()),
        "{id}: default params"
    );
    let nan = f32::NAN.to_bits().to_le_bytes().repeat(good.len() / 4);
    for (bad, what) in [(vec![0u8; good.len() + 4], "too long"), (nan, "NaN")] {
        assert!(env.check_params_bytes(&bad).is_err(), "{id}: {what} params");
        let config = VecEnvConfig {
            params: ParamsInit::Shared(bad.clone()),
            ..VecEnvConfig::new(4, 0)
        };
        let err = match VecEnv::new(&gpu(), env.clone(), config) {
            Ok(_) => panic!("{id}: {what} params accepted"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("params"), "{id}: {what} params: {err}");
    }
}

/// Every check of the suite, for one env.
pub fn check_env(env: Arc<dyn Env>) {
    layout(env.clone());
    bad_params(env.clone());
    spec(env.clone(), 3);
    parity(env.clone(), 1);
    rollout_equals_step(env.clone(), 2);
    determinism(env.clone());
}
