//! GPU kernels against their CPU twins, from the same seed: exact for integer envs.

mod common;

use common::*;
use wgym::ParamsInit;

#[test]
fn four_rooms_step_kernel_matches_twin() {
    let (mut g, mut c) = pair(wgym::make("FourRooms-misc").unwrap(), 256, 1, ParamsInit::Default);
    assert_step_parity(&mut g, &mut c, 600);
}

#[test]
fn bernoulli_bandit_step_kernel_matches_twin() {
    let (mut g, mut c) = pair(wgym::make("BernoulliBandit-misc").unwrap(), 256, 2, ParamsInit::Default);
    assert_step_parity(&mut g, &mut c, 120);
}
