//! `wgym render`: the pictures a person looks at (GIF and PNG strip) from the scripted
//! policy, random play and a trained checkpoint, and a clear error for every bad input.

mod common;

use common::{stderr, wgym};

fn scratch(name: &str) -> std::path::PathBuf {
    common::scratch("render", name)
}

fn ok(args: &[&str]) -> String {
    let out = wgym(args);
    assert!(out.status.success(), "wgym {args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Pixels of `colour` in an image.
/// Train a tiny run of `env` with `config` in `dir/run`, then render `steps` steps of its policy
/// into a `frames`-frame PNG strip: the strip's path and what render printed.
fn render_trained(
    dir: &std::path::Path,
    env: &str,
    config: &str,
    steps: u32,
    frames: u32,
) -> (std::path::PathBuf, String) {
    let run = dir.join("run");
    let config_path = dir.join("small.toml");
    std::fs::write(&config_path, config).unwrap();
    ok(&[
        "train",
        "--env",
        env,
        "--config",
        config_path.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    let png = dir.join("policy.png");
    let said = ok(&[
        "render",
        "--checkpoint",
        run.to_str().unwrap(),
        "--out",
        png.to_str().unwrap(),
        "--steps",
        &steps.to_string(),
        "--frames",
        &frames.to_string(),
    ]);
    (png, said)
}

fn count(image: &image::RgbImage, colour: [u8; 3]) -> usize {
    image.pixels().filter(|p| p.0 == colour).count()
}

#[test]
fn scripted_episodes_render_as_png_strips_and_gifs() {
    let dir = scratch("scripted");
    let png = dir.join("reach.png");
    let said = ok(&[
        "render",
        "--env",
        "Manipulation-reach",
        "--out",
        png.to_str().unwrap(),
        "--frames",
        "6",
        "--steps",
        "120",
    ]);
    assert!(said.contains("120 steps"), "{said}");
    let strip = image::open(&png).unwrap().to_rgb8();
    // Two rows of up to four 640x340 frames.
    assert_eq!(strip.dimensions(), (4 * 640, 2 * 340));
    // The hand (red), the goal (green) and the success tint of the solved frames.
    assert!(count(&strip, [214, 39, 40]) > 500, "no hand drawn");
    assert!(count(&strip, [44, 160, 44]) > 200, "no goal drawn");
    assert!(count(&strip, [232, 248, 232]) > 100_000, "no solved frame");

    let gif = dir.join("door.gif");
    ok(&[
        "render",
        "--env",
        "Manipulation-door-open",
        "--out",
        gif.to_str().unwrap(),
        "--steps",
        "40",
        "--every",
        "10",
    ]);
    let file = std::fs::File::open(&gif).unwrap();
    let decoder = image::codecs::gif::GifDecoder::new(file).unwrap();
    let frames = image::AnimationDecoder::into_frames(decoder)
        .collect_frames()
        .unwrap();
    // Steps 0, 10, 20, 30 and the last (40).
    assert_eq!(frames.len(), 5);
    assert_eq!(frames[0].buffer().dimensions(), (640, 340));
}

#[test]
fn a_trained_checkpoint_renders_its_policy() {
    let dir = scratch("checkpoint");
    let config = "envs = 8\nsteps = 32\nupdates = 2\nminibatches = 2\nepochs = 1\n[network]\nhidden = [16]\n";
    let (png, said) = render_trained(&dir, "Manipulation-push", config, 30, 2);
    let run = dir.join("run");
    assert!(said.starts_with("Manipulation-push: 30 steps"), "{said}");
    assert_eq!(
        image::open(&png).unwrap().to_rgb8().dimensions(),
        (2 * 640, 340)
    );
    // The checkpoint's env is checked against --env, and --agent against its agents.
    for (args, expected) in [
        (
            vec!["--env", "Manipulation-reach"],
            "was trained on Manipulation-push",
        ),
        (vec!["--agent", "3"], "agents 0..1"),
    ] {
        let mut all = vec!["render", "--checkpoint", run.to_str().unwrap()];
        all.extend(args);
        all.extend(["--out", png.to_str().unwrap()]);
        let out = wgym(&all);
        assert!(!out.status.success());
        assert!(stderr(&out).contains(expected), "{}", stderr(&out));
    }
}

#[test]
fn bad_render_requests_are_clear_errors() {
    let dir = scratch("bad");
    let out_png = dir.join("x.png");
    let png = out_png.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["render", "--out", png], "--env ID and/or --checkpoint"),
        // An env without a picture: the error names those that have one.
        (
            &["render", "--env", "BernoulliBandit-misc", "--out", png],
            "render draws FourRooms-misc, ",
        ),
        (
            &["render", "--env", "BernoulliBandit-misc", "--out", png],
            "CartPole-v1, ",
        ),
        (
            &["render", "--env", "Manipulation-mt10", "--out", png],
            "Manipulation-reach, ",
        ),
        (
            &[
                "render",
                "--env",
                "CartPole-v1",
                "--policy",
                "scripted",
                "--out",
                png,
            ],
            "CartPole-v1 has no scripted policy",
        ),
        (
            &["render", "--env", "Manipulation-reach", "--out", "x.bmp"],
            "write a .gif",
        ),
    ];
    for (args, expected) in cases {
        let out = wgym(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(!out_png.exists());
}

/// Pixels per frame of each newly drawable family, by one of its env ids.
const PICTURES: [(&str, (u32, u32)); 9] = [
    ("FourRooms-misc", (480, 400)),
    ("MetaMaze-misc", (480, 400)),
    ("LpgGrid-long_dense", (600, 420)),
    ("CartPole-v1", (480, 400)),
    ("Acrobot-v1", (480, 400)),
    ("MountainCar-v0", (480, 400)),
    ("MountainCarContinuous-v0", (480, 400)),
    ("Pendulum-v1", (480, 400)),
    ("PointRobot-misc", (480, 400)),
];

/// Distinct colours in an image: a blank or one-colour frame has one or two.
fn colours(image: &image::RgbImage) -> usize {
    image
        .pixels()
        .map(|p| p.0)
        .collect::<std::collections::HashSet<_>>()
        .len()
}

#[test]
fn grid_worlds_and_classic_control_render_random_play() {
    let dir = scratch("families");
    for (env, (w, h)) in PICTURES {
        let png = dir.join(format!("{env}.png"));
        let said = ok(&[
            "render",
            "--env",
            env,
            "--policy",
            "random",
            "--out",
            png.to_str().unwrap(),
            "--frames",
            "2",
            "--steps",
            "8",
        ]);
        assert!(said.starts_with(&format!("{env}: ")), "{said}");
        let strip = image::open(&png).unwrap().to_rgb8();
        assert_eq!(strip.dimensions(), (2 * w, h), "{env}");
        // Text, the scene's parts and their edges: far more than a blank frame's colours.
        assert!(colours(&strip) >= 8, "{env}: {} colours", colours(&strip));
        // The agent, cart, links, car or rod in colour: a few hundred saturated pixels,
        // not only grey walls, black lines and text.
        let coloured = strip
            .pixels()
            .filter(|p| {
                let [r, g, b] = p.0;
                r.max(g).max(b) - r.min(g).min(b) > 60
            })
            .count();
        assert!(coloured > 300, "{env}: {coloured} coloured pixels");

        let gif = dir.join(format!("{env}.gif"));
        ok(&[
            "render",
            "--env",
            env,
            "--out",
            gif.to_str().unwrap(),
            "--steps",
            "4",
            "--every",
            "2",
        ]);
        let file = std::fs::File::open(&gif).unwrap();
        let decoder = image::codecs::gif::GifDecoder::new(file).unwrap();
        let frames = image::AnimationDecoder::into_frames(decoder)
            .collect_frames()
            .unwrap();
        assert!(frames.len() >= 2, "{env}: {} GIF frames", frames.len());
        let first = frames[0].buffer();
        assert_eq!(first.dimensions(), (w, h), "{env}");
        let distinct: std::collections::HashSet<[u8; 4]> = first.pixels().map(|p| p.0).collect();
        assert!(distinct.len() >= 4, "{env}: a blank GIF frame");
    }
}

#[test]
fn a_trained_grid_world_checkpoint_renders_its_policy() {
    let dir = scratch("grid-checkpoint");
    let (png, said) = render_trained(
        &dir,
        "FourRooms-misc",
        "envs = 8\nsteps = 16\nupdates = 1\nminibatches = 2\nepochs = 1\n[network]\nhidden = [8]\n",
        10,
        3,
    );
    assert!(said.starts_with("FourRooms-misc: 10 steps"), "{said}");
    let strip = image::open(&png).unwrap().to_rgb8();
    assert_eq!(strip.dimensions(), (3 * 480, 400));
    // The agent (red) in each frame and the goal cell (green).
    assert!(count(&strip, [214, 39, 40]) > 3 * 200, "no agent drawn");
    assert!(count(&strip, [44, 160, 44]) > 3 * 200, "no goal drawn");
}
