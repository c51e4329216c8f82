//! Each WGSL struct, as naga lays it out, against its Rust #[repr(C)] twin.

use std::mem::{offset_of, size_of};

use wgym::driver::{compose, Driver, DriverConfig, RolloutStats};
use wgym::envs::bandit::{Bandit, BanditParams, BanditState};
use wgym::envs::four_rooms::{FourRooms, FourRoomsParams, FourRoomsState};
use wgym::shader::Composed;

macro_rules! assert_layout {
    ($module:expr, $wgsl:literal, $rust:ty, [$($field:ident),* $(,)?]) => {{
        let (size, offsets) = $module
            .struct_layout($wgsl)
            .unwrap_or_else(|| panic!("no struct {} in the module", $wgsl));
        assert_eq!(size as usize, size_of::<$rust>(), "size of {}", $wgsl);
        let rust = vec![$((stringify!($field).to_string(), offset_of!($rust, $field) as u32)),*];
        assert_eq!(offsets, rust, "member offsets of {}", $wgsl);
    }};
}

fn module(env: &dyn wgym::Env, driver: Driver) -> Composed {
    compose(env, driver, &env.default_params_bytes()).expect("module validates")
}

#[test]
fn driver_structs_match() {
    let m = module(&FourRooms, Driver::Rollout);
    let (size, _) = m.struct_layout("DriverConfig").unwrap();
    assert_eq!(size as usize, size_of::<DriverConfig>());
    assert_layout!(
        m,
        "RolloutStats",
        RolloutStats,
        [episode_return, return_sum, episodes, obs_checksum]
    );
}

#[test]
fn bandit_structs_match() {
    let m = module(&Bandit::<2>::bernoulli(), Driver::Step);
    assert_layout!(
        m,
        "EnvState",
        BanditState<2>,
        [values, last_action, last_reward, time, _pad]
    );
    let (size, offsets) = m.struct_layout("EnvParams").unwrap();
    assert_eq!(size as usize, size_of::<BanditParams<2>>());
    let rust = [
        offset_of!(BanditParams<2>, num_arms),
        offset_of!(BanditParams<2>, max_steps),
        offset_of!(BanditParams<2>, task),
        offset_of!(BanditParams<2>, beta_a),
        offset_of!(BanditParams<2>, beta_b),
        offset_of!(BanditParams<2>, best_arm),
        offset_of!(BanditParams<2>, normalize_time),
        offset_of!(BanditParams<2>, reward_prob),
        offset_of!(BanditParams<2>, mean_mu),
        offset_of!(BanditParams<2>, sigma_p),
        offset_of!(BanditParams<2>, sigma_l),
        offset_of!(BanditParams<2>, inv_max_steps),
        offset_of!(BanditParams<2>, best_value),
        offset_of!(BanditParams<2>, values),
    ];
    let naga: Vec<usize> = offsets.iter().map(|(_, o)| *o as usize).collect();
    assert_eq!(naga, rust, "EnvParams offsets");
}

#[test]
fn four_rooms_structs_match() {
    let m = module(&FourRooms, Driver::Step);
    assert_layout!(
        m,
        "EnvState",
        FourRoomsState,
        [row, col, goal_row, goal_col, time]
    );
    assert_layout!(
        m,
        "EnvParams",
        FourRoomsParams,
        [
            fail_prob,
            resample_init_pos,
            resample_goal_pos,
            max_steps,
            goal_row,
            goal_col,
            start_row,
            start_col
        ]
    );
}

#[test]
fn modules_are_specialised_for_the_params_of_the_batch() {
    let env = Bandit::<2>::bernoulli();
    let gymnax = BanditParams::<2>::gymnax();
    let uniform = gymnax.with_task(wgym::envs::bandit::TaskDist::Uniform);
    let mut params = bytemuck::bytes_of(&gymnax).to_vec();
    assert!(compose(&env, Driver::Step, &params)
        .unwrap()
        .text
        .contains("const TASKS: u32 = 1u;"));
    params.extend_from_slice(bytemuck::bytes_of(&uniform));
    assert!(compose(&env, Driver::Step, &params)
        .unwrap()
        .text
        .contains("const TASKS: u32 = 5u;"));
}

#[test]
fn es_config_matches() {
    use wgym::es::config::EsUniform;
    let m = wgym::es::search::module().expect("es.wgsl validates");
    assert_layout!(
        m,
        "EsConfig",
        EsUniform,
        [
            key,
            dim,
            population,
            rows,
            antithetic,
            generation,
            lr,
            beta1,
            beta2,
            eps,
            bias1,
            bias2,
            weight_decay,
            sigma_decay,
            sigma_limit,
            lr_sigma,
            c_sigma,
            d_sigma,
            c_c,
            c_1,
            c_mu,
            mu_eff,
            chi_n,
            _pad
        ]
    );
}

#[test]
fn manipulation_structs_match() {
    use wgym::envs::manipulation::{Manipulation, ManipulationParams, ManipulationState, Task};
    let m = module(&Manipulation::single(Task::Push), Driver::Step);
    assert_layout!(
        m,
        "EnvParams",
        ManipulationParams,
        [
            task,
            task_set,
            positions,
            goal_observable,
            max_steps,
            obj,
            goal
        ]
    );
    assert_layout!(
        m,
        "EnvState",
        ManipulationState,
        [
            hand,
            closed,
            obj,
            joint,
            prev_hand,
            prev_opening,
            prev_point,
            prev_joint,
            goal,
            point_init,
            held,
            time
        ]
    );
}
