//! `wgym meta-train`, `wgym meta-eval` and `wgym es`: the files a run leaves, resuming to
//! the same search, and a clear error with a non-zero exit for every bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_plot, stderr, wgym};
use wgym::meta::MetaCheckpoint;

fn scratch(name: &str) -> PathBuf {
    common::scratch("meta-cli", name)
}

fn ok(args: &[&str]) -> Output {
    let out = wgym(args);
    assert!(
        out.status.success(),
        "wgym {args:?} failed: {}",
        stderr(&out)
    );
    out
}

/// Seconds of meta-training: population 8, lifetimes of 1-3 updates of 4 envs x 16 steps.
fn tiny(dir: &Path) -> String {
    let path = dir.join("tiny.toml");
    std::fs::write(
        &path,
        "env = \"BernoulliBandit-5arm\"\nlearn = \"both\"\ndrift_hidden = 2\ngenerations = 4\n\
         lifetime = [1, 3]\ncheckpoint_every = 2\n[es]\npopulation = 8\n\
         [inner]\nenvs = 4\nsteps = 16\nepochs = 2\n",
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn meta_train_writes_its_files_and_evaluates_against_ppo() {
    let dir = scratch("files");
    let cfg = tiny(&dir);
    let run = dir.join("run");
    let out = ok(&[
        "meta-train",
        "--config",
        &cfg,
        "--out",
        run.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("generations/s"), "{text}");
    assert!(
        text.contains("learned - PPO") && text.contains("tasks won"),
        "{text}"
    );
    let log = std::fs::read_to_string(run.join("log.csv")).unwrap();
    assert_eq!(log.lines().count(), 1 + 4, "{log}");
    assert!(log.starts_with("generation,lifetime,env_steps"));
    assert_plot(&run.join("curve.png"), true);
    assert_plot(&run.join("eval.png"), true);
    let eval = std::fs::read_to_string(run.join("eval.csv")).unwrap();
    assert_eq!(
        eval.lines().count(),
        1 + 4,
        "lifetimes 1, 3, 6 (and 2): {eval}"
    );
    let learned = std::fs::read_to_string(run.join("learned.toml")).unwrap();
    assert!(
        learned.contains("[hyperparameters]") && learned.contains("drift"),
        "{learned}"
    );
    let saved = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(saved.contains("population = 8"), "{saved}");

    let again = ok(&[
        "meta-eval",
        run.to_str().unwrap(),
        "--lifetimes",
        "2,5",
        "--tasks",
        "4",
    ]);
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(text.contains("after 4 generations"), "{text}");
    let eval = std::fs::read_to_string(run.join("eval.csv")).unwrap();
    assert_eq!(eval.lines().count(), 1 + 2, "{eval}");
}

/// Stopped after 2 generations and resumed: the same search as 4 in one go.
#[test]
fn meta_train_resumes_to_the_same_search() {
    let dir = scratch("resume");
    let cfg = tiny(&dir);
    let (whole, split) = (dir.join("whole"), dir.join("split"));
    ok(&[
        "meta-train",
        "--config",
        &cfg,
        "--out",
        whole.to_str().unwrap(),
        "--no-eval",
    ]);
    let s = split.to_str().unwrap();
    ok(&[
        "meta-train",
        "--config",
        &cfg,
        "--out",
        s,
        "--stop-after",
        "2",
        "--no-eval",
    ]);
    let half = MetaCheckpoint::load(&split.join("checkpoint.bin")).unwrap();
    assert_eq!(half.snapshot.generation, 2);
    ok(&["meta-train", "--resume", "--out", s, "--no-eval"]);
    let a = MetaCheckpoint::load(&whole.join("checkpoint.bin")).unwrap();
    let b = MetaCheckpoint::load(&split.join("checkpoint.bin")).unwrap();
    assert!(
        a.snapshot == b.snapshot,
        "the searches differ after resuming"
    );
    assert_ne!(
        a.snapshot.es.mean, half.snapshot.es.mean,
        "the resumed run searched"
    );
}

/// `--method meta-grad`: the same files and held-out comparison, the tuned hyperparameters
/// in the log, and a resumed run equal to one in one go.
#[test]
fn meta_gradient_meta_training_writes_its_files_and_resumes() {
    let dir = scratch("meta-grad");
    let path = dir.join("tiny-mg.toml");
    std::fs::write(
        &path,
        "env = \"BernoulliBandit-5arm\"\nlearn = \"both\"\ndrift_hidden = 2\ngenerations = 4\n\
         lifetime = [2, 3]\ncheckpoint_every = 2\nagents = 4\n\
         [inner]\nenvs = 4\nsteps = 16\nepochs = 2\n[inner.meta_gradient]\nlr = 0.1\n",
    )
    .unwrap();
    let cfg = path.to_str().unwrap();
    let (whole, split) = (dir.join("whole"), dir.join("split"));
    let w = whole.to_str().unwrap();
    let out = ok(&[
        "meta-train",
        "--config",
        cfg,
        "--method",
        "meta-grad",
        "--out",
        w,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("meta-gradients of gamma, gae_lambda, ent_coef, lr, LPO's drift (50 weights"),
        "{text}"
    );
    assert!(text.contains("learned - PPO"), "{text}");
    let log = std::fs::read_to_string(whole.join("log.csv")).unwrap();
    assert_eq!(log.lines().count(), 1 + 4, "{log}");
    assert!(
        log.lines()
            .next()
            .unwrap()
            .ends_with(",gamma,gae_lambda,ent_coef,lr"),
        "{log}"
    );
    assert_plot(&whole.join("curve.png"), true);
    assert_plot(&whole.join("hyperparameters.png"), true);
    let learned = std::fs::read_to_string(whole.join("learned.toml")).unwrap();
    assert!(learned.contains("[hyperparameters]"), "{learned}");
    let saved = std::fs::read_to_string(whole.join("config.toml")).unwrap();
    assert!(saved.contains("method = \"meta-grad\""), "{saved}");

    let s = split.to_str().unwrap();
    ok(&[
        "meta-train",
        "--config",
        cfg,
        "--method",
        "meta-grad",
        "--out",
        s,
        "--stop-after",
        "2",
        "--no-eval",
    ]);
    let half = MetaCheckpoint::load(&split.join("checkpoint.bin")).unwrap();
    ok(&["meta-train", "--resume", "--out", s, "--no-eval"]);
    let a = MetaCheckpoint::load(&whole.join("checkpoint.bin")).unwrap();
    let b = MetaCheckpoint::load(&split.join("checkpoint.bin")).unwrap();
    assert!(a.snapshot == b.snapshot, "the runs differ after resuming");
    assert_ne!(
        a.snapshot.es.mean, half.snapshot.es.mean,
        "the resumed run learned"
    );
    assert_ne!(
        a.snapshot.es.mean[..5],
        [0.0; 5],
        "the meta-gradient moved eta"
    );
    let learned = std::fs::read_to_string(split.join("learned.toml")).unwrap();
    assert!(learned.contains("drift_hidden = 2"), "{learned}");
}

#[test]
fn es_solves_a_problem_and_evolves_a_policy() {
    let dir = scratch("es");
    let run = dir.join("sphere");
    let out = ok(&[
        "es",
        "--problem",
        "sphere",
        "--dim",
        "20",
        "--population",
        "32",
        "--generations",
        "150",
        "--out",
        run.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let fitness: f32 = text
        .split("fitness of the mean ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    // From x = 3 (f = 180) to near the optimum.
    assert!(fitness > -1.0, "{text}");
    assert_plot(&run.join("curve.png"), true);
    let resumed = ok(&[
        "es",
        "--resume",
        "--out",
        run.to_str().unwrap(),
        "--generations",
        "160",
    ]);
    assert!(String::from_utf8_lossy(&resumed.stdout).contains("10 generations"));

    let policy = dir.join("policy");
    let out = ok(&[
        "es",
        "--env",
        "BernoulliBandit-misc",
        "--population",
        "16",
        "--generations",
        "4",
        "--out",
        policy.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("policy weights") && text.contains("env-steps/s"),
        "{text}"
    );
}

#[test]
fn bad_meta_and_es_input_is_a_clear_error() {
    let dir = scratch("bad");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let unknown = write("unknown.toml", "populaton = 3\n");
    let nested = write("nested.toml", "[es]\nsigma = 0.1\n");
    let odd = write("odd.toml", "[es]\npopulation = 7\n");
    let lifetime = write("lifetime.toml", "lifetime = [9, 3]\n");
    let run = dir.join("run");
    let out = run.to_str().unwrap();
    let nothing = dir.join("nothing");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["meta-train", "--config", &unknown, "--out", out],
            "populaton",
        ),
        (
            vec!["meta-train", "--config", &nested, "--out", out],
            "sigma",
        ),
        (vec!["meta-train", "--config", &odd, "--out", out], "even"),
        (
            vec!["meta-train", "--config", &lifetime, "--out", out],
            "lifetime",
        ),
        (
            vec!["meta-train", "--env", "NoSuchEnv", "--out", out],
            "unknown environment",
        ),
        (
            vec!["meta-train", "--resume", "--out", nothing.to_str().unwrap()],
            "nothing",
        ),
        (vec!["meta-train", "--resume"], "--out"),
        (vec!["meta-eval", nothing.to_str().unwrap()], "nothing"),
        (vec!["es", "--out", out], "--problem"),
        (vec!["es", "--problem", "ackley"], "rastrigin"),
        (
            vec!["es", "--problem", "sphere", "--env", "FourRooms-misc"],
            "not both",
        ),
        (
            vec!["es", "--problem", "sphere", "--strategy", "hill_climb"],
            "openai_es",
        ),
        (
            vec!["es", "--problem", "sphere", "--population", "5"],
            "even",
        ),
        (vec!["es", "--env", "NoSuchEnv"], "unknown environment"),
        (
            vec!["es", "--resume", "--out", out, "--dim", "5"],
            "drop --dim",
        ),
        (
            vec!["meta-train", "--resume", "--out", out, "--method", "es"],
            "drop --method",
        ),
    ];
    for (args, expected) in cases {
        let o = wgym(&args);
        assert!(!o.status.success(), "wgym {args:?} succeeded");
        let err = stderr(&o);
        assert!(
            err.contains(expected),
            "wgym {args:?}: {err} (expected {expected:?})"
        );
    }
}
