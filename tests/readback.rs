//! Host-device traffic of training, measured by the device's readback counter. Its own
//! test binary, so no other test reads back from the same device meanwhile.

mod common;

use common::gpu;
use wgym::learn::{TrainConfig, Trainer};
use wgym::make;

/// Nothing but the per-agent statistics crosses the bus per update: measured by the
/// device's readback counter, and bounded.
#[test]
fn bytes_read_back_per_update_are_bounded() {
    for agents in [1u32, 16] {
        let mut trainer = Trainer::new(
            &gpu(),
            make("BernoulliBandit-misc").unwrap(),
            agents,
            TrainConfig {
                envs: 8,
                steps: 32,
                ..TrainConfig::for_env("BernoulliBandit-misc")
            },
        )
        .unwrap();
        let before = trainer.gpu().bytes_read_back();
        trainer.update().unwrap();
        trainer.stats().unwrap();
        let bytes = trainer.gpu().bytes_read_back() - before;
        assert_eq!(bytes, trainer.readback_bytes(), "{agents} agents");
        assert!(
            bytes <= 64 * agents as u64,
            "{agents} agents: {bytes} bytes per update"
        );
    }
}
