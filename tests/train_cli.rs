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
        a.snapshot.section("weights") == b.snapshot.section("weights"),
        "weights differ after resuming"
    );
    assert!(
        a.snapshot.section("adam_m") == b.snapshot.section("adam_m")
            && a.snapshot.section("adam_v") == b.snapshot.section("adam_v"),
        "Adam moments differ"
    );
    assert!(
        a.snapshot.section("env_states") == b.snapshot.section("env_states"),
        "env states differ"
    );
    assert!(
        a.snapshot.section("env_stats") == b.snapshot.section("env_stats"),
        "env statistics differ"
    );
    assert!(
        a.snapshot.weights() != half.snapshot.weights(),
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

/// The number of data rows of a run's log.csv (0 while it is missing).
fn logged_rows(run: &Path) -> usize {
    std::fs::read_to_string(run.join("log.csv")).map_or(0, |t| t.lines().count().saturating_sub(1))
}

/// The value of `column` in every row of a run's log.csv.
fn column(run: &Path, column: &str) -> Vec<f32> {
    let log = std::fs::read_to_string(run.join("log.csv")).unwrap();
    let mut lines = log.lines();
    let k = lines
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == column)
        .unwrap_or_else(|| panic!("no column {column} in {log}"));
    lines
        .map(|l| l.split(',').nth(k).unwrap().parse().unwrap())
        .collect()
}

/// Redirected output (no terminal): progress lines on stderr, a closing summary with the
/// return, episode length and count on stdout, and the log's length column filled.
#[test]
fn a_run_without_a_terminal_shows_progress_and_a_closing_summary() {
    let dir = scratch("plain");
    let cfg = config(&dir);
    let run = dir.join("run");
    let out = train(&[
        "train",
        "--env",
        "BernoulliBandit-misc",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert!(err.contains("compiling"), "{err}");
    assert!(
        err.contains("1/4 updates") && err.contains("4/4 updates"),
        "{err}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let summary = text
        .lines()
        .find(|l| l.starts_with("update 4,"))
        .unwrap_or_else(|| panic!("no closing summary in {text}"));
    assert!(
        summary.contains("return") && summary.contains("length") && summary.contains("episodes"),
        "{summary}"
    );
    // Bandit episodes last 100 steps; a rollout of 32 steps finishes them at update 4.
    let lengths = column(&run, "length_mean");
    assert_eq!(lengths.last(), Some(&100.0), "{lengths:?}");
    assert!(lengths[..3].iter().all(|l| l.is_nan()), "{lengths:?}");
    let per_agent = column(&run, "env_steps_per_agent");
    assert_eq!(per_agent, [512.0, 1024.0, 1536.0, 2048.0]);
    let saved = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(
        saved.contains("env = \"BernoulliBandit-misc\"") && saved.contains("agents = 1"),
        "{saved}"
    );
}

/// Ctrl-C finishes the update, writes a checkpoint and says how to resume; the log holds
/// every row logged so far; resuming finishes the run. A second Ctrl-C exits at once.
#[cfg(unix)]
#[test]
fn ctrl_c_checkpoints_and_the_run_resumes() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let dir = scratch("sigint");
    let cfg = config(&dir);
    // Updates that take a while, checkpointing only at the end: a second Ctrl-C lands
    // during the update the first one waits for.
    let slow = dir.join("slow.toml");
    std::fs::write(&slow, "envs = 4096\nsteps = 100\ncheckpoint_every = 0\n").unwrap();
    let interrupt = |run: &Path, config: &Path, signals: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wgym"))
            .args([
                "train",
                "--env",
                "BernoulliBandit-misc",
                "--updates",
                "100000",
            ])
            .args([
                "--config",
                config.to_str().unwrap(),
                "--out",
                run.to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while logged_rows(run) < 2 {
            assert!(start.elapsed() < Duration::from_secs(600), "no rows logged");
            std::thread::sleep(Duration::from_millis(50));
        }
        let kill = signals.replace("PID", &child.id().to_string());
        assert!(Command::new("sh")
            .args(["-c", &kill])
            .status()
            .unwrap()
            .success());
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        (child.wait().unwrap(), err)
    };

    let run = dir.join("run");
    let (status, err) = interrupt(&run, &cfg, "kill -INT PID");
    assert_eq!(status.code(), Some(130), "{err}");
    let resume = format!("wgym train --resume --out {}", run.display());
    assert!(err.contains(&resume), "{err}");
    let stopped = Checkpoint::load(&run.join("checkpoint.bin")).unwrap();
    let done = stopped.snapshot.progress.update;
    assert!((2..100_000).contains(&done), "{done}");
    assert_eq!(logged_rows(&run), stopped.history.len());
    let end = (done + 2).to_string();
    train(&[
        "train",
        "--resume",
        "--out",
        run.to_str().unwrap(),
        "--updates",
        &end,
    ]);
    assert_eq!(logged_rows(&run), done as usize + 2);

    let twice = dir.join("twice");
    let (status, err) = interrupt(&twice, &slow, "kill -INT PID; sleep 0.2; kill -INT PID");
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("second Ctrl-C"), "{err}");
    assert!(!twice.join("checkpoint.bin").exists(), "{err}");
}

/// A config file may name the env and the agent count, and sweep a hyperparameter across
/// agents: agent a gets the a mod n-th value, in its objective row, the log and the plot.
#[test]
fn a_config_names_its_env_and_sweeps_across_agents() {
    let dir = scratch("sweep");
    let path = dir.join("sweep.toml");
    std::fs::write(
        &path,
        "env = \"BernoulliBandit-misc\"\nagents = 4\nlr = [1e-3, 3e-3]\nenvs = 16\nsteps = 100\n\
         updates = 2\nminibatches = 2\nepochs = 1\n[network]\nhidden = [8]\n",
    )
    .unwrap();
    let run = dir.join("run");
    let out = train(&[
        "train",
        "--config",
        path.to_str().unwrap(),
        "--seed",
        "7",
        "--out",
        run.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("lr=0.001 | lr=0.003"), "{text}");
    let checkpoint = Checkpoint::load(&run.join("checkpoint.bin")).unwrap();
    assert_eq!((checkpoint.agents, checkpoint.config.seed), (4, 7));
    let rows: Vec<f32> = bytemuck::pod_collect_to_vec(
        checkpoint
            .snapshot
            .section("objective")
            .expect("an objective section"),
    );
    let stride = rows.len() / 4;
    let lrs: Vec<f32> = (0..4).map(|a| rows[a * stride]).collect();
    assert_eq!(lrs, [1e-3, 3e-3, 1e-3, 3e-3]);
    let header = std::fs::read_to_string(run.join("log.csv")).unwrap();
    assert!(
        header.contains(",return[lr=0.001],return[lr=0.003]"),
        "{header}"
    );
    let saved = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(
        saved.contains("lr = [0.001, 0.003]") && saved.contains("agents = 4"),
        "{saved}"
    );
    common::assert_plot(&run.join("curve.png"), true);
}

/// Errors name the option at fault, with units, and leave no directory behind.
#[test]
fn run_errors_name_the_option_at_fault() {
    let dir = scratch("errors");
    let cfg = config(&dir);
    let cfg = cfg.to_str().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let file = write("a-file", "");
    let uneven = write(
        "uneven.toml",
        "lr = [1e-3, 3e-3]\ngamma = [0.9, 0.95, 0.99]\n",
    );
    let swept_envs = write("envs.toml", "envs = [16, 32]\n");
    let huge = write(
        "huge.toml",
        "envs = 2000000\nsteps = 256\nminibatches = 1\n",
    );
    let run = dir.join("run");
    let out = run.to_str().unwrap();
    let bandit = ["train", "--env", "BernoulliBandit-misc"];
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            [&bandit[..], &["--out", &file]].concat(),
            &["--out", "is a file"],
        ),
        (
            [&bandit[..], &["--config", &uneven, "--out", out]].concat(),
            &["`gamma` has 3", "`lr` 2", "one length"],
        ),
        (
            [&bandit[..], &["--config", &swept_envs, "--out", out]].concat(),
            &["envs"],
        ),
        (
            [
                &bandit[..],
                &["--config", &uneven, "--agents", "1", "--out", out],
            ]
            .concat(),
            &["gamma"],
        ),
        (
            [&bandit[..], &["--agents", "1000000", "--out", out]].concat(),
            &["1000000 agents", "workgroups", "fewer --agents"],
        ),
        (
            [&bandit[..], &["--config", &huge, "--out", out]].concat(),
            &["bytes", "GiB", "fewer agents, envs"],
        ),
    ];
    for (args, expected) in cases {
        let o = wgym(&args);
        assert!(!o.status.success(), "wgym {args:?} succeeded");
        let err = stderr(&o);
        for e in expected {
            assert!(
                err.contains(e),
                "wgym {args:?}: {err:?} does not mention {e:?}"
            );
        }
        assert!(!run.exists(), "wgym {args:?} left {out} behind");
    }
    // A sweep needs an agent per setting.
    let sweep = write("sweep.toml", "lr = [1e-3, 3e-3]\nenvs = 16\nsteps = 32\n");
    let o = wgym(&[&bandit[..], &["--config", &sweep, "--out", out]].concat());
    assert!(stderr(&o).contains("--agents"), "{}", stderr(&o));
    assert!(!run.exists());

    // Resuming refuses what the checkpoint fixes, and a finished run says how to extend it.
    train(
        &[
            &bandit[..],
            &["--config", cfg, "--updates", "1", "--out", out],
        ]
        .concat(),
    );
    for option in [["--agents", "4"], ["--seed", "3"]] {
        let o = wgym(&[&["train", "--resume", "--out", out][..], &option[..]].concat());
        assert!(
            !o.status.success() && stderr(&o).contains(option[0]),
            "{}",
            stderr(&o)
        );
    }
    let o = train(&["train", "--resume", "--out", out]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("is finished") && text.contains("--updates N"),
        "{text}"
    );

    // Checkpoints handed to the wrong command say which command reads them.
    let es = dir.join("es");
    let o = wgym(&[
        "es",
        "--problem",
        "sphere",
        "--dim",
        "4",
        "--generations",
        "2",
        "--out",
        es.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = wgym(&["eval", es.to_str().unwrap()]);
    assert!(
        stderr(&o).contains("`wgym es` checkpoint"),
        "{}",
        stderr(&o)
    );
    let o = wgym(&["render", "--checkpoint", out, "--out", "x.png"]);
    let err = stderr(&o);
    assert!(
        err.contains("--checkpoint") && err.contains("trained on BernoulliBandit-misc"),
        "{err}"
    );
    let o = wgym(&["bench", "--json", dir.to_str().unwrap()]);
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
}
