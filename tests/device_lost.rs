//! A lost device gives errors, not panics or hangs.

use wgym::{Gpu, VecEnv, VecEnvConfig};

#[test]
fn a_destroyed_device_gives_errors_not_panics() {
    let gpu = Gpu::new().expect("an adapter");
    let env = wgym::make("FourRooms-misc").unwrap();
    let mut envs = VecEnv::new(&gpu, env.clone(), VecEnvConfig::new(64, 0)).unwrap();
    envs.rollout(4).unwrap();
    gpu.device.destroy();
    let read = envs.rollout_stats();
    assert!(read.is_err(), "reading from a destroyed device succeeded");
    let _ = envs.step_random(1); // may be accepted before the loss is noticed; must not panic
    let again = VecEnv::new(&gpu, env, VecEnvConfig::new(64, 0));
    let e = again
        .err()
        .expect("a VecEnv on a destroyed device")
        .to_string();
    assert!(e.contains("open a new Gpu"), "{e}");
}
