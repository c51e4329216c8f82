//! Meta-training: the glue kernels against their twins, common random numbers, learning
//! that beats PPO on held-out tasks, determinism and resume, bad input.

mod common;

use common::gpu;
use wgym::meta::eval::{self, EvalSettings};
use wgym::meta::layout;
use wgym::meta::{Learn, MetaConfig, MetaRun, MetaTrainer, Method};

/// A few seconds of meta-training on the CPU adapter.
fn tiny(learn: Learn) -> MetaConfig {
    let mut c = MetaConfig::for_env("BernoulliBandit-5arm");
    c.learn = learn;
    c.drift_hidden = 2;
    c.generations = 4;
    c.lifetime = [1, 3];
    c.checkpoint_every = 0;
    c.es.population = 8;
    c.inner.envs = 4;
    c.inner.steps = 16;
    c.inner.epochs = 2;
    c
}

fn close(what: &str, gpu: &[f32], twin: &[f32], tolerance: f32) {
    assert_eq!(gpu.len(), twin.len(), "{what}");
    for (i, (g, t)) in gpu.iter().zip(twin).enumerate() {
        assert!(
            g == t || (g - t).abs() <= tolerance * (1.0 + t.abs()),
            "{what}[{i}]: gpu {g} vs twin {t}"
        );
    }
}

/// After a generation, the agents' objective rows are the twin's expansion of the
/// population, and each member's fitness is the twin's from the agents' statistics.
#[test]
fn objective_rows_and_fitness_match_the_twins() {
    for (learn, agents_per_member, normalize) in [
        (Learn::Both, 2, true),
        (Learn::Drift, 1, false),
        (Learn::Hyperparameters, 1, true),
    ] {
        let mut c = tiny(learn);
        c.agents_per_member = agents_per_member;
        c.normalize = normalize;
        let env = wgym::make(&c.env).unwrap();
        let mut meta = MetaTrainer::new(&gpu(), env, c.clone()).unwrap();
        meta.step().unwrap();
        let trainer = meta.trainer();
        let uniform = meta.layout().uniform(&c, trainer.config().samples());
        let base = c.objective().row(trainer.config());
        let population = meta.es().unwrap().population().unwrap();
        let rows = layout::expand(&uniform, &population, &base);
        close(
            &format!("{learn:?}: objective rows"),
            &trainer.objective_rows().unwrap(),
            &rows,
            1e-6,
        );
        let (fitness, _) = layout::fitness(&uniform, &trainer.raw_stats().unwrap());
        assert_eq!(
            meta.es().unwrap().fitness().unwrap(),
            fitness,
            "{learn:?}: fitness"
        );
    }
}

/// The PPO baseline's objective (meta-parameters 0) against itself: with the same tasks,
/// initial weights and env randomness, the two slots of every task produce the same bytes.
#[test]
fn a_zero_object_is_exactly_ppo() {
    let c = tiny(Learn::Both);
    let settings = EvalSettings {
        lifetimes: vec![2, 3],
        tasks: 6,
        agents_per_task: 2,
        seed: 5,
    };
    let theta = vec![0.0; c.dim() as usize];
    let results = eval::evaluate(&gpu(), &c.env, &c, &theta, &settings, |_, _| {}).unwrap();
    for r in &results {
        assert_eq!(r.learned, r.ppo, "lifetime {}", r.lifetime);
        assert!(r.ppo.iter().all(|&x| x > 0.0 && x < 1.0));
    }
}

/// ES over the inner hyperparameters for 12 generations finds ones that beat PPO's on
/// held-out tasks at a held-out lifetime, on every or nearly every task.
#[test]
fn hyperparameter_meta_training_beats_ppo_on_held_out_tasks() {
    let mut c = MetaConfig::for_env("BernoulliBandit-5arm");
    c.learn = Learn::Hyperparameters;
    c.generations = 12;
    c.lifetime = [4, 8];
    c.es.population = 16;
    c.es.lr = 0.1;
    c.inner.envs = 8;
    c.inner.lr = 0.003;
    c.inner.epochs = 2;
    let env = wgym::make(&c.env).unwrap();
    let mut meta = MetaTrainer::new(&gpu(), env, c.clone()).unwrap();
    for _ in 0..c.generations {
        meta.step().unwrap();
    }
    let settings = EvalSettings {
        lifetimes: vec![6],
        tasks: 32,
        agents_per_task: 1,
        seed: 1_000_003,
    };
    let theta = meta.mean().unwrap();
    let results = eval::evaluate(&gpu(), &c.env, &c, &theta, &settings, |_, _| {}).unwrap();
    let (learned, ppo, d, se, wins) = results[0].summary();
    assert!(
        d > 0.02 && d > 3.0 * se && wins >= 24,
        "learned {learned} vs PPO {ppo}: {d:+} ± {se}, {wins}/32 tasks won"
    );
}

/// Four generations at once, or two, a checkpoint, and two more from it: the same search.
#[test]
fn meta_training_resumes_bit_identically() {
    let dir = std::env::temp_dir().join(format!("wgym-meta-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let c = tiny(Learn::Drift);
    let whole = dir.join("whole");
    let mut run = MetaRun::start(&gpu(), c.clone(), &whole).unwrap();
    while !run.done() {
        run.step(false).unwrap();
    }
    let split = dir.join("split");
    let mut run = MetaRun::start(&gpu(), c.clone(), &split).unwrap();
    run.step(false).unwrap();
    run.step(true).unwrap();
    drop(run);
    let mut run = MetaRun::resume(&gpu(), &split, None).unwrap();
    while !run.done() {
        run.step(false).unwrap();
    }
    let load =
        |d: &std::path::Path| wgym::meta::MetaCheckpoint::load(&d.join("checkpoint.bin")).unwrap();
    let (a, b) = (load(&whole), load(&split));
    assert_eq!(a.snapshot, b.snapshot);
    let fitness = |c: &wgym::meta::MetaCheckpoint| -> Vec<Vec<f32>> {
        c.history.iter().map(|r| r.fitness.clone()).collect()
    };
    assert_eq!(fitness(&a), fitness(&b));
    assert_eq!(a.history.len(), 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_meta_configs_are_errors() {
    let base = tiny(Learn::Drift);
    type Change = Box<dyn Fn(&mut MetaConfig)>;
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|c| c.lifetime = [0, 3]), "lifetime"),
        (Box::new(|c| c.lifetime = [5, 3]), "lifetime"),
        (Box::new(|c| c.generations = 0), "generations"),
        (Box::new(|c| c.es.population = 7), "even"),
        (Box::new(|c| c.drift_hidden = 0), "drift_hidden"),
        (Box::new(|c| c.agents_per_member = 0), "agents_per_member"),
        (
            Box::new(|c| c.inner.algo = wgym::learn::Algo::A2c),
            "use ppo",
        ),
        (Box::new(|c| c.inner.envs = 0), "envs"),
        (Box::new(|c| c.es.sigma_init = -1.0), "sigma_init"),
        (
            Box::new(|c| {
                c.inner.meta_gradient = Some(wgym::learn::MetaGradient {
                    learn: vec![wgym::learn::Hyper::Gamma],
                    ..Default::default()
                })
            }),
            "method = \"meta-grad\"",
        ),
        // Drift is base's `learn`: its meta-gradient acts from the second inner step.
        (
            Box::new(|c| {
                c.method = Method::MetaGrad;
                c.inner.epochs = 1;
                c.inner.minibatches = 1;
            }),
            "2 minibatch steps",
        ),
        (
            Box::new(|c| {
                c.method = Method::MetaGrad;
                c.learn = Learn::Hyperparameters;
                c.agents = 0;
            }),
            "agents",
        ),
    ];
    for (change, expected) in cases {
        let mut c = base.clone();
        change(&mut c);
        let err = c.check().unwrap_err().to_string();
        assert!(err.contains(expected), "{err} (expected {expected:?})");
        let env = wgym::make(&base.env).unwrap();
        assert!(MetaTrainer::new(&gpu(), env, c).is_err());
    }
    let err = MetaConfig::from_toml(None, "generatoins = 3\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("generatoins"), "{err}");
    let err = MetaConfig::from_toml(None, "env = \"NoSuchEnv\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown environment"), "{err}");
    let settings = EvalSettings {
        lifetimes: vec![2],
        tasks: 2,
        agents_per_task: 1,
        seed: 0,
    };
    let err = eval::evaluate(&gpu(), &base.env, &base, &[0.0; 3], &settings, |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("meta-parameters"), "{err}");
    let zero_lifetime = EvalSettings {
        lifetimes: vec![0],
        ..settings
    };
    let theta = vec![0.0; base.dim() as usize];
    let err = eval::evaluate(&gpu(), &base.env, &base, &theta, &zero_lifetime, |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 1 update"), "{err}");
}

/// The shipped configs (benches/meta) parse and pass every check.
#[test]
fn shipped_meta_configs_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/meta");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            MetaConfig::from_toml(None, &text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            seen += 1;
        }
    }
    assert!(seen >= 3, "only {seen} configs in {}", dir.display());
}
