//! The `wgym` binary: listing, a one-cell bench with JSON, and clear errors with a non-zero
//! exit on bad input.

mod common;

use common::{stderr, wgym};

#[test]
fn envs_lists_every_registered_env_with_specs() {
    let out = wgym(&["envs"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for r in wgym::registry() {
        assert!(text.contains(r.id), "{} missing from:\n{text}", r.id);
    }
    let json = wgym(&["envs", "--json"]);
    let specs: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let four_rooms = specs
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "FourRooms-misc")
        .unwrap();
    assert_eq!(four_rooms["obs_dim"], 4);
    assert_eq!(four_rooms["num_actions"], 4);
}

#[test]
fn bench_one_cell_writes_json() {
    let dir = std::env::temp_dir().join(format!("wgym-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench.json");
    let out = wgym(&[
        "bench",
        "--env",
        "FourRooms-misc",
        "--batch",
        "256",
        "--steps",
        "16",
        "--mode",
        "rollout",
        "--seconds",
        "0.05",
        "--json",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("startup:") && stdout.contains("FourRooms-misc"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(r["env"], "FourRooms-misc");
    assert_eq!(r["mode"], "rollout");
    assert_eq!(r["batch"], 256);
    assert_eq!(r["steps"], 16);
    assert!(r["env_steps_per_s"].as_f64().unwrap() > 0.0);
    for key in ["adapter", "backend", "wgym_version"] {
        assert!(r[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    assert!(report["startup"]["first_step_ms"].as_f64().unwrap() > 0.0);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn bad_input_exits_non_zero_with_a_clear_message() {
    let cases: [(&[&str], &str); 5] = [
        (&["bench", "--env", "Nope-v0"], "known environments"),
        (
            &["bench", "--env", "FourRooms-misc", "--batch", "0"],
            "batch size",
        ),
        (
            &["bench", "--env", "FourRooms-misc", "--mode", "warp"],
            "mode",
        ),
        (
            &["bench", "--env", "FourRooms-misc", "--steps", "0"],
            "steps",
        ),
        (
            &[
                "bench",
                "--env",
                "LpgGrid-all",
                "--batch",
                "4000000000",
                "--mode",
                "step",
            ],
            "limit",
        ),
    ];
    for (args, needle) in cases {
        let out = wgym(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = stderr(&out);
        assert!(
            err.contains("error") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    }
}
