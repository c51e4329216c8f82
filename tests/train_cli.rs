//! `wgym train` and `wgym eval`: the files a run leaves, resuming bit-identically, and a
//! clear error with a non-zero exit for every bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{stderr, wgym};
use wgym::learn::checkpoint::Checkpoint;

fn scratch(name: &str) -> PathBuf {
    common::scratch("train", name)
}

/// A small, fast run: 2 agents, 16 envs, 32 steps, a 16x16 network.
fn config(dir: &Path) -> PathBuf {
    let path = dir.join("small.toml");
    std::fs::write(
        &path,
        "envs = 16\nsteps = 32\nupdates = 4\nminibatches = 2\nepochs = 2\ncheckpoint_every = 2\n\
         [network]\nhidden = [16, 16]\n",
    )
    .unwrap();
    path
}

fn train(args: &[&str]) -> Output {
    let out = wgym(args);
    assert!(
        out.status.success(),
        "wgym {args:?} failed: {}",
        stderr(&out)
    );
    out
}

/// Online meta-gradients: the tuned hyperparameters in the log, the config and a picture.
#[test]
fn train_with_a_meta_gradient_logs_and_plots_the_tuned_hyperparameters() {
    let dir = scratch("meta-gradient");
    let path = dir.join("tuned.toml");
    std::fs::write(
        &path,
        "envs = 16\nsteps = 32\nupdates = 4\nminibatches = 2\nepochs = 2\n\
         [network]\nhidden = [16]\n[meta_gradient]\nlearn = [\"gamma\", \"ent_coef\"]\n",
    )
    .unwrap();
    let run = dir.join("run");
    train(&[
        "train",
        "--env",
        "BernoulliBandit-misc",
        "--config",
        path.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    let log = std::fs::read_to_string(run.join("log.csv")).unwrap();
    let header = log.lines().next().unwrap();
    assert!(header.ends_with(",gamma,ent_coef"), "{header}");
    // Update 1 only starts the first meta-gradient; update 2 steps eta.
    let gammas: Vec<f32> = log
        .lines()
        .skip(1)
        .map(|l| l.split(',').rev().nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(gammas[0], 0.99, "{log}");
    assert_ne!(gammas[3], 0.99, "{log}");
    common::assert_plot(&run.join("hyperparameters.png"), true);
    let saved = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(saved.contains("[meta_gradient]"), "{saved}");
}

#[test]
fn train_writes_log_curve_checkpoint_and_eval_reads_it() {
    let dir = scratch("files");
    let cfg = config(&dir);
    let run = dir.join("run");
    let out = train(&[
        "train",
        "--env",
        "FourRooms-misc",
        "--agents",
        "2",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("env-steps/s including updates"), "{text}");
    let log = std::fs::read_to_string(run.join("log.csv")).unwrap();
    assert_eq!(log.lines().count(), 1 + 4, "{log}");
    assert!(log.starts_with("update,env_steps,env_steps_per_agent,seconds,return_mean"));
    // No FourRooms episode ends in 128 steps: axes and legend, no line yet.
    common::assert_plot(&run.join("curve.png"), false);
    let saved = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(saved.contains("envs = 16"), "{saved}");
    let checkpoint = Checkpoint::load(&run.join("checkpoint.bin")).unwrap();
    assert_eq!(
        (checkpoint.agents, checkpoint.snapshot.progress.update),
        (2, 4)
    );

    let eval = wgym(&["eval", run.to_str().unwrap(), "--rollouts", "2"]);
    assert!(eval.status.success(), "{}", stderr(&eval));
    let text = String::from_utf8_lossy(&eval.stdout);
    assert!(
        text.contains("after 4 updates") && text.contains("agent  mean return"),
        "{text}"
    );
}

/// Stopping after 2 of 4 updates and resuming ends in the same bytes as running 4.
#[test]
fn resume_continues_bit_identically() {
    let dir = scratch("resume");
    let cfg = config(&dir);
    let straight = dir.join("straight");
    let stopped = dir.join("stopped");
    let base = [
        "train",
        "--env",
        "BernoulliBandit-misc",
        "--agents",
        "2",
        "--config",
        cfg.to_str().unwrap(),
    ];
    train(&[&base[..], &["--out", straight.to_str().unwrap()]].concat());
    train(
        &[
            &base[..],
            &["--out", stopped.to_str().unwrap(), "--stop-after", "2"],
        ]
        .concat(),
    );
    let half = Checkpoint::load(&stopped.join("checkpoint.bin")).unwrap();
    assert_eq!(half.snapshot.progress.update, 2);
    train(&["train", "--resume", "--out", stopped.to_str().unwrap()]);
    let a = Checkpoint::load(&straight.join("checkpoint.bin")).unwrap();
    let b = Checkpoint::load(&stopped.join("checkpoint.bin")).unwrap();
    assert!(
        a.snapshot.progress == b.snapshot.progress,
        "{:?} vs {:?}",
        a.snapshot.progress,
        b.snapshot.progress
    );
    assert!(
        a.snapshot.weights == b.snapshot.weights,
        "weights differ after resuming"
    );
    assert!(
        a.snapshot.adam_m == b.snapshot.adam_m && a.snapshot.adam_v == b.snapshot.adam_v,
        "Adam moments differ"
    );
    assert!(
        a.snapshot.env_states == b.snapshot.env_states,
        "env states differ"
    );
    assert!(
        a.snapshot.env_stats == b.snapshot.env_stats,
        "env statistics differ"
    );
    assert!(
        a.snapshot.weights != half.snapshot.weights,
        "the resumed run trained"
    );
    let rows = |c: &Checkpoint| {
        c.history
            .iter()
            .map(|r| (r.update, r.agent_returns.clone(), r.policy_loss))
            .collect::<Vec<_>>()
    };
    assert_eq!(rows(&a), rows(&b));
}

#[test]
fn bad_training_input_is_a_clear_error() {
    let dir = scratch("bad");
    let run = dir.join("run");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let unknown = write("unknown.toml", "learning_rate = 0.1\n");
    let nested = write("nested.toml", "[network]\nwidth = 3\n");
    let indivisible = write("indivisible.toml", "envs = 3\nsteps = 5\nminibatches = 4\n");
    let negative = write("negative.toml", "lr = -1.0\n");
    let syntax = write("syntax.toml", "envs = = 3\n");
    let out = run.to_str().unwrap();
    let nothing = dir.join("nothing");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "train",
                "--env",
                "FourRooms-misc",
                "--config",
                &unknown,
                "--out",
                out,
            ],
            "learning_rate",
        ),
        (
            vec![
                "train",
                "--env",
                "FourRooms-misc",
                "--config",
                &nested,
                "--out",
                out,
            ],
            "width",
        ),
        (
            vec![
                "train",
                "--env",
                "FourRooms-misc",
                "--config",
                &indivisible,
                "--out",
                out,
            ],
            "minibatches",
        ),
        (
            vec![
                "train",
                "--env",
                "FourRooms-misc",
                "--config",
                &negative,
                "--out",
                out,
            ],
            "lr",
        ),
        (
            vec![
                "train",
                "--env",
                "FourRooms-misc",
                "--config",
                &syntax,
                "--out",
                out,
            ],
            "config",
        ),
        (
            vec!["train", "--env", "NoSuchEnv-v0", "--out", out],
            "unknown environment",
        ),
        (vec!["train", "--out", out], "give --env ID"),
        (
            vec![
                "train",
                "--env",
                "FourRooms-misc",
                "--agents",
                "0",
                "--out",
                out,
            ],
            "agents",
        ),
        (vec!["train", "--resume", "--out", out], "checkpoint.bin"),
        (
            vec!["train", "--resume", "--env", "FourRooms-misc", "--out", out],
            "--resume",
        ),
        (vec!["eval", nothing.to_str().unwrap()], "nothing"),
    ];
    for (args, expected) in cases {
        let o = wgym(&args);
        assert!(!o.status.success(), "wgym {args:?} succeeded");
        let err = stderr(&o);
        assert!(
            err.contains(expected),
            "wgym {args:?}: {err:?} does not mention {expected:?}"
        );
    }
    // A finished run is not overwritten.
    let cfg = config(&dir);
    train(&[
        "train",
        "--env",
        "BernoulliBandit-misc",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out,
        "--updates",
        "1",
    ]);
    let o = wgym(&["train", "--env", "BernoulliBandit-misc", "--out", out]);
    assert!(
        !o.status.success() && stderr(&o).contains("already holds a run"),
        "{}",
        stderr(&o)
    );
    // A damaged checkpoint is named as such.
    std::fs::write(
        run.join("checkpoint.bin"),
        b"WGYMCKPT\x01\x00\x00\x00\xff\x00\x00\x00{",
    )
    .unwrap();
    let o = wgym(&["train", "--resume", "--out", out]);
    assert!(
        !o.status.success() && stderr(&o).contains("damaged"),
        "{}",
        stderr(&o)
    );
}
