//! The learner's WGSL structs (the kernel configs and the trajectory records), as naga
//! lays them out in the modules the trainer composes, against their Rust #[repr(C)]
//! twins: sizes and every member's offset, by name.

use std::mem::{offset_of, size_of};

use wgym::driver::{DriverConfig, Streams};
use wgym::learn::adam::AdamConfig;
use wgym::learn::meta_gradient::plan::MetaGradientPasses;
use wgym::learn::meta_gradient::MetaGradConfig;
use wgym::learn::nn::ReduceConfig;
use wgym::learn::objective::Objective;
use wgym::learn::ppo::{EnvStats, PpoConfig, TrajStep};
use wgym::learn::trainer::algo::Algo;
use wgym::learn::trainer::dispatch::Shape;
use wgym::learn::trainer::optim::Optim;
use wgym::learn::{Activation, PolicyNet};
use wgym::shader::{Composed, Part};

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

const SHAPE: Shape = Shape {
    agents: 2,
    envs: 4,
    steps: 8,
    minibatch: 16,
    obs_dim: 3,
};

/// The algorithm's module for a categorical and a Gaussian head, with and without a
/// drift network.
fn algo_modules() -> Vec<Composed> {
    let categorical = PolicyNet::new(3, 4, &[8], Activation::Tanh).unwrap();
    let gaussian = PolicyNet::gaussian(3, 2, &[8, 8], Activation::Relu).unwrap();
    let algo = Algo::new(SHAPE, Streams::default());
    [
        (&categorical, Objective::default()),
        (&gaussian, Objective { drift_hidden: 4 }),
    ]
    .into_iter()
    .map(|(net, objective)| algo.module(net, &objective).expect("module validates"))
    .collect()
}

#[test]
fn algorithm_structs_match() {
    for m in algo_modules() {
        assert_layout!(
            m,
            "PpoConfig",
            PpoConfig,
            [
                key,
                envs,
                steps,
                minibatch,
                first,
                value_clip,
                vf_coef,
                algo,
                normalize,
                lifetime_fraction,
                log_lifetime,
                stream_block,
                stream_group,
                reward_scale,
                meta_term,
            ]
        );
        assert_layout!(
            m,
            "TrajStep",
            TrajStep,
            [
                action,
                log_prob,
                value,
                reward,
                flags,
                final_value,
                advantage,
                ret
            ]
        );
        assert_layout!(
            m,
            "EnvStats",
            EnvStats,
            [
                episode_return,
                return_sum,
                episodes,
                successes,
                last_value,
                episode_success,
                episode_length,
                length_sum,
            ]
        );
    }
}

#[test]
fn optimizer_config_matches() {
    let m = Optim::new(SHAPE, 100, 8)
        .module()
        .expect("module validates");
    assert_layout!(
        m,
        "AdamConfig",
        AdamConfig,
        [
            params,
            chunks,
            lr_scale,
            beta1,
            beta2,
            eps,
            bias1,
            bias2,
            max_grad_norm,
            stats_stride,
            grad_norm_slot,
            scratch_stride,
            sum_sq_slot,
            objective_stride,
            sgd,
            _pad,
        ]
    );
}

#[test]
fn meta_gradient_config_matches() {
    let m = MetaGradientPasses::module().expect("module validates");
    assert_layout!(
        m,
        "MetaGradConfig",
        MetaGradConfig,
        [
            params,
            actor_params,
            log_std_offset,
            log_std_len,
            slot,
            scale,
            times_lr,
            overwrite,
            group,
            lr,
            beta1,
            beta2,
            eps,
            max_log_scale,
            mask,
            objective_stride,
            key,
            agents,
            drift_params,
        ]
    );
}

#[test]
fn reduction_config_matches() {
    let m = Composed::new(&[Part::new(
        "shaders/reduce.wgsl",
        include_str!("../shaders/reduce.wgsl"),
    )])
    .expect("module validates");
    assert_layout!(
        m,
        "ReduceConfig",
        ReduceConfig,
        [rows, x_off, x_agent, x_row, out_off, out_agent, accumulate, square]
    );
}

/// The policy rollout's config, in the module the trainer composes for it.
#[test]
fn policy_rollout_config_matches() {
    let env = wgym::make("FourRooms-misc").unwrap();
    let net = PolicyNet::new(
        env.spec().obs_dim,
        env.spec().num_actions,
        &[8],
        Activation::Tanh,
    )
    .unwrap();
    let m = wgym::learn::trainer::rollout::module(env.as_ref(), &env.default_params_bytes(), &net)
        .expect("module validates");
    assert_layout!(
        m,
        "DriverConfig",
        DriverConfig,
        [
            key,
            step,
            batch,
            params_per_env,
            num_steps,
            envs_per_agent,
            rollout_offset,
            rollout_steps,
            task_group,
            stream_block,
            stream_group,
        ]
    );
    assert_layout!(
        m,
        "TrajStep",
        TrajStep,
        [
            action,
            log_prob,
            value,
            reward,
            flags,
            final_value,
            advantage,
            ret
        ]
    );
}
