//! `wgym es`: stopping and resuming, and the settings `--print-config` shows.

mod common;

use common::{stderr, wgym};

/// The fitness of the mean that `wgym es` reports at its end.
fn final_fitness(args: &[&str]) -> String {
    let out = wgym(args);
    assert!(out.status.success(), "wgym {args:?}: {}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (_, fitness) = text
        .split_once("fitness of the mean ")
        .unwrap_or_else(|| panic!("{text}"));
    fitness.lines().next().unwrap().to_string()
}

#[test]
fn stop_after_then_resume_ends_where_an_unbroken_run_ends() {
    let dir = common::scratch("es", "stop");
    let (whole, halves) = (dir.join("whole"), dir.join("halves"));
    let base = [
        "es",
        "--problem",
        "rastrigin",
        "--dim",
        "16",
        "--generations",
        "40",
    ];
    let unbroken = final_fitness(&[&base[..], &["--out", whole.to_str().unwrap()]].concat());
    let out = wgym(
        &[
            &base[..],
            &["--out", halves.to_str().unwrap(), "--stop-after", "20"],
        ]
        .concat(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("stopped at generation 20 of 40"),
        "{text}{}",
        stderr(&out)
    );
    let resumed = final_fitness(&["es", "--resume", "--out", halves.to_str().unwrap()]);
    assert_eq!(unbroken, resumed);
    // Resuming a finished run says so.
    let out = wgym(&["es", "--resume", "--out", halves.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("is finished") && text.contains("--generations N"),
        "{text}"
    );
    common::assert_plot(&halves.join("curve.png"), true);
}

#[test]
fn print_config_shows_only_the_settings_that_apply() {
    let config = |args: &[&str]| {
        let out = wgym(&[&["es", "--print-config"][..], args].concat());
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let problem = config(&["--problem", "sphere"]);
    assert!(
        problem.contains("dim = ") && !problem.contains("[policy]"),
        "{problem}"
    );
    let policy = config(&["--env", "FourRooms-misc"]);
    assert!(policy.contains("[policy]"), "{policy}");
    assert!(
        !policy
            .lines()
            .any(|l| l.starts_with("dim =") || l.starts_with("init =")),
        "{policy}"
    );
    // What it prints reads back.
    let dir = common::scratch("es", "config");
    let path = dir.join("es.toml");
    std::fs::write(&path, &problem).unwrap();
    let out = wgym(&["es", "--config", path.to_str().unwrap(), "--print-config"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), problem);
}
