//! Checkpoint integrity: a checkpoint is named sections with a checksum over the whole
//! file. Bytes changed anywhere or appended are errors that say so; a checkpoint written
//! before checksums (format 1, the meta-gradient's buffers in one section) still loads and
//! resumes the run it came from.

mod common;

use std::path::{Path, PathBuf};

use common::gpu;
use wgym::learn::checkpoint::Checkpoint;
use wgym::learn::meta_gradient::{MetaGradient, HYPERS};
use wgym::learn::{TrainConfig, Trainer};
use wgym::make;

const ENV: &str = "FourRooms-misc";

fn scratch(name: &str) -> PathBuf {
    common::scratch("checkpoint", name)
}

fn config(meta_gradient: bool) -> TrainConfig {
    let mut c = TrainConfig::for_env(ENV);
    c.envs = 8;
    c.steps = 16;
    c.updates = 4;
    c.minibatches = 2;
    c.epochs = 1;
    c.network.hidden = vec![8];
    c.meta_gradient = meta_gradient.then(|| MetaGradient {
        learn: HYPERS.to_vec(),
        ..MetaGradient::default()
    });
    c
}

/// A trainer after one update, and its checkpoint.
fn trained(c: &TrainConfig) -> (Trainer, Checkpoint) {
    let mut t = Trainer::new(&gpu(), make(ENV).unwrap(), 2, c.clone()).unwrap();
    t.update().unwrap();
    let checkpoint = Checkpoint {
        env: ENV.to_string(),
        agents: 2,
        config: c.clone(),
        history: Vec::new(),
        snapshot: t.snapshot().unwrap(),
    };
    (t, checkpoint)
}

fn load_error(path: &Path) -> String {
    match Checkpoint::load(path) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn changed_or_appended_bytes_are_detected() {
    let (_, checkpoint) = trained(&config(false));
    let dir = scratch("damaged");
    let path = dir.join("checkpoint.bin");
    checkpoint.save(&path).unwrap();
    assert_eq!(Checkpoint::load(&path).unwrap(), checkpoint);
    let good = std::fs::read(&path).unwrap();
    let damaged = dir.join("damaged.bin");
    // Positions in the magic, version and header, across the sections, and the checksum.
    let n = good.len();
    let mut positions: Vec<usize> = (0..64).chain((0..n).step_by(n / 97)).collect();
    positions.extend(n - 8..n);
    for &at in &positions {
        for flip in [0x01u8, 0x80] {
            let mut bytes = good.clone();
            bytes[at] ^= flip;
            std::fs::write(&damaged, &bytes).unwrap();
            let e = load_error(&damaged);
            assert!(
                e.contains("damaged") || e.contains("not a wgym") || e.contains("version"),
                "byte {at} of {n} ^ {flip:#x}: {e}"
            );
        }
    }
    for junk in [&b"x"[..], &[0u8; 8], &good[..100]] {
        std::fs::write(&damaged, [&good[..], junk].concat()).unwrap();
        let e = load_error(&damaged);
        assert!(e.contains("damaged"), "{} bytes appended: {e}", junk.len());
    }
    std::fs::write(&damaged, &good[..n - 1]).unwrap();
    assert!(load_error(&damaged).contains("damaged"));
}

/// Format 1: the layout without the checksum, the meta-gradient's state, directions and
/// drift state concatenated in one `meta_gradient` blob.
fn write_format_1(checkpoint: &Checkpoint, path: &Path) {
    let s = &checkpoint.snapshot;
    let section = |name: &str| s.section(name).unwrap().to_vec();
    let meta: Vec<u8> = ["meta_state", "meta_directions", "drift_state"]
        .iter()
        .flat_map(|n| section(n))
        .collect();
    let blobs: Vec<(&str, Vec<u8>)> = vec![
        ("weights", section("weights")),
        ("adam_m", section("adam_m")),
        ("adam_v", section("adam_v")),
        ("env_stats", section("env_stats")),
        ("env_states", section("env_states")),
        ("objective", section("objective")),
        ("meta_gradient", meta),
    ];
    let header = serde_json::json!({
        "env": checkpoint.env,
        "agents": checkpoint.agents,
        "config": checkpoint.config,
        "update": s.progress.update,
        "step_count": s.progress.step_count,
        "history": [],
        "blobs": blobs.iter().map(|(n, b)| (n, b.len())).collect::<Vec<_>>(),
    });
    let json = serde_json::to_vec(&header).unwrap();
    let mut bytes = b"WGYMCKPT".to_vec();
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&json);
    for (_, blob) in &blobs {
        bytes.extend_from_slice(blob);
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn an_older_checkpoint_loads_and_resumes_bit_identically() {
    let c = config(true);
    let (mut straight, checkpoint) = trained(&c);
    let dir = scratch("format-1");
    let path = dir.join("checkpoint.bin");
    write_format_1(&checkpoint, &path);
    let old = Checkpoint::load(&path).unwrap();
    assert_eq!(old.snapshot.progress, checkpoint.snapshot.progress);
    assert_eq!(old.snapshot.weights(), checkpoint.snapshot.weights());
    let mut resumed = Trainer::new(&gpu(), make(ENV).unwrap(), 2, c.clone()).unwrap();
    resumed.restore(&old.snapshot).unwrap();
    assert_eq!(resumed.snapshot().unwrap(), checkpoint.snapshot);
    for _ in 0..2 {
        straight.update().unwrap();
        resumed.update().unwrap();
    }
    assert_eq!(straight.weights().unwrap(), resumed.weights().unwrap());
    assert_eq!(
        straight.meta_state().unwrap(),
        resumed.meta_state().unwrap()
    );
    // Without its checksum nothing vouches for it, but a header that lies about the
    // sections' lengths is still an error.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.push(0);
    std::fs::write(&path, bytes).unwrap();
    assert!(load_error(&path).contains("after its last section"));
}

#[test]
fn a_checkpoint_missing_a_section_this_run_needs_is_a_clear_error() {
    let (_, plain) = trained(&config(false));
    let mut t = Trainer::new(&gpu(), make(ENV).unwrap(), 2, config(true)).unwrap();
    let e = t.restore(&plain.snapshot).unwrap_err().to_string();
    assert!(e.contains("`meta_state`"), "{e}");
    let (_, mut other) = trained(&config(false));
    other.snapshot.sections.get_mut("adam_m").unwrap().pop();
    let mut t = Trainer::new(&gpu(), make(ENV).unwrap(), 2, config(false)).unwrap();
    let e = t.restore(&other.snapshot).unwrap_err().to_string();
    assert!(e.contains("`adam_m`"), "{e}");
}
