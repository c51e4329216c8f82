//! Meta-gradients: the GPU kernels against the CPU twin (teacher-forced on the GPU's
//! rollouts), the meta-gradient against finite differences of the full inner update (on
//! the twin and on the GPU), the outer step, resume, and bad configs.

mod common;

use common::gpu;
use wgym::driver::Streams;
use wgym::learn::meta_gradient::{
    self as mg, AgentData, Hyper, MetaGradient, DIRECTIONS, HYPERS, META_SLOT, META_STATE,
    SLOT_GRAD, SLOT_T,
};
use wgym::learn::objective::Objective;
use wgym::learn::ppo::TrajStep;
use wgym::learn::twin::Records;
use wgym::learn::{Algo, Optimizer, TrainConfig, Trainer};
use wgym::make;

const ENV: &str = "FourRooms-misc";

fn config(learn: Vec<Hyper>) -> TrainConfig {
    let mut c = TrainConfig::for_env(ENV);
    c.seed = 5;
    c.envs = 8;
    c.steps = 32;
    c.updates = 6;
    c.epochs = 2;
    c.minibatches = 4;
    c.lr = 1e-2;
    c.network.hidden = vec![16, 12];
    c.meta_gradient = Some(MetaGradient {
        learn,
        ..MetaGradient::default()
    });
    c
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

/// Within a relative tolerance, for values far below 1.
fn rel_close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs())
}

/// What one update left on the GPU.
struct Recorded {
    traj: Vec<TrajStep>,
    obs: Vec<f32>,
    actions: Vec<f32>,
    env_stats: Vec<wgym::learn::ppo::EnvStats>,
}

fn records_of(t: &Trainer) -> Recorded {
    Recorded {
        traj: t.trajectory().unwrap(),
        obs: t.trajectory_obs().unwrap(),
        actions: t.trajectory_actions().unwrap(),
        env_stats: t.env_stats().unwrap(),
    }
}

/// A rollout as J sees it: advantages at the reference gamma and lambda, and the first
/// epoch's minibatches of update `update`.
struct Validation {
    rec: Recorded,
    batches: Vec<Vec<usize>>,
}

impl Validation {
    fn new(c: &TrainConfig, mut rec: Recorded, row: &[f32], update: u32) -> Validation {
        mg::advantages_and_tangents(c, &mut rec.traj, &rec.env_stats, row, true);
        let batches = mg::first_epoch_minibatches(c, Streams::default(), update, 0);
        Validation { rec, batches }
    }

    fn data(&self) -> AgentData<'_> {
        AgentData {
            records: Records {
                traj: &self.rec.traj,
                obs: &self.rec.obs,
                actions: &self.rec.actions,
            },
            tangents: &[],
            minibatches: &self.batches,
        }
    }
}

/// The actor's weights and log standard deviations: the part of a direction J sees.
fn actor_part(t: &Trainer, v: &[f32]) -> Vec<f32> {
    let net = t.net();
    let actor = 0..net.critic_offset() as usize;
    let log_std = net.log_std_offset() as usize..net.params() as usize;
    actor.chain(log_std).map(|p| v[p]).collect()
}

fn assert_close_vectors(what: &str, gpu: &[f32], twin: &[f32], tol: f32) {
    let scale = twin.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(scale > 0.0, "{what}: the twin's vector is all zero");
    for (k, (g, t)) in gpu.iter().zip(twin).enumerate() {
        assert!(
            (g - t).abs() <= tol * scale,
            "{what}[{k}]: GPU {g} vs twin {t} (scale {scale})"
        );
    }
}

#[test]
fn meta_gradient_kernels_match_the_twin() {
    check_kernels(ENV, config(HYPERS.to_vec()));
}

/// A Gaussian policy: the log standard deviations are part of every direction.
#[test]
fn meta_gradient_kernels_match_the_twin_for_a_gaussian_policy() {
    let env = "Manipulation-reach";
    let mut c = TrainConfig::for_env(env);
    c.envs = 4;
    c.steps = 16;
    c.minibatches = 2;
    c.epochs = 1;
    c.network.hidden = vec![16];
    c.ent_coef = 0.01;
    c.meta_gradient = config(HYPERS.to_vec()).meta_gradient;
    check_kernels(env, c);
}

fn check_kernels(env_id: &str, c: TrainConfig) {
    let agents = 2u32;
    let mut trainer = Trainer::new(&gpu(), make(env_id).unwrap(), agents, c.clone()).unwrap();
    let net = trainer.net().clone();
    let p = net.params() as usize;
    let stride = Objective::default().stride();

    // Update 0 starts the meta-gradient: tangents and directions at theta_0.
    let w0 = trainer.weights().unwrap();
    let rows0 = trainer.objective_rows().unwrap();
    trainer.update().unwrap();
    let r0 = records_of(&trainer);
    let mut traj0 = r0.traj.clone();
    let tangents = mg::advantages_and_tangents(&c, &mut traj0, &r0.env_stats, &rows0, false);
    let gpu_tangents = trainer.advantage_tangents().unwrap();
    for (k, (g, t)) in gpu_tangents.chunks(2).zip(&tangents).enumerate() {
        assert!(
            close(g[0], t[0], 1e-4) && close(g[1], t[1], 1e-4),
            "tangents of sample {k}: GPU {g:?} vs twin {t:?}"
        );
    }
    let directions0 = trainer.meta_directions().unwrap();
    for a in 0..agents as usize {
        let minibatches = mg::first_epoch_minibatches(&c, Streams::default(), 0, a);
        let data = AgentData {
            records: Records {
                traj: &traj0,
                obs: &r0.obs,
                actions: &r0.actions,
            },
            tangents: &tangents,
            minibatches: &minibatches,
        };
        let row = &rows0[a * stride..(a + 1) * stride];
        let twin = mg::directions(&c, &net, row, &w0[a * p..(a + 1) * p], &data, 1.0);
        for h in HYPERS {
            let slot = (a * DIRECTIONS + 1 + h.index()) * p;
            let gpu_d = actor_part(&trainer, &directions0[slot..slot + p]);
            let twin_d = actor_part(&trainer, &twin[h.index()]);
            assert_close_vectors(
                &format!("agent {a} d theta'/d {}", h.name()),
                &gpu_d,
                &twin_d,
                2e-3,
            );
        }
    }

    // Update 1 finishes it: grad J on the new rollout at theta_1, the dot products, the
    // outer step.
    let w1 = trainer.weights().unwrap();
    let state0 = trainer.meta_state().unwrap();
    trainer.update().unwrap();
    let r1 = records_of(&trainer);
    let mut traj1 = r1.traj.clone();
    mg::advantages_and_tangents(&c, &mut traj1, &r1.env_stats, &rows0, true);
    let directions1 = trainer.meta_directions().unwrap();
    let state1 = trainer.meta_state().unwrap();
    let rows1 = trainer.objective_rows().unwrap();
    let m = c.meta_gradient.clone().unwrap();
    for a in 0..agents as usize {
        let minibatches = mg::first_epoch_minibatches(&c, Streams::default(), 1, a);
        let data = AgentData {
            records: Records {
                traj: &traj1,
                obs: &r1.obs,
                actions: &r1.actions,
            },
            tangents: &[],
            minibatches: &minibatches,
        };
        let row = &rows0[a * stride..(a + 1) * stride];
        let v = mg::validation_gradient(&c, &net, row, &w1[a * p..(a + 1) * p], &data);
        let gpu_v = &directions1[a * DIRECTIONS * p..][..p];
        assert_close_vectors(
            &format!("agent {a} grad J"),
            &actor_part(&trainer, gpu_v),
            &actor_part(&trainer, &v),
            2e-3,
        );
        // Teacher-forced on the GPU's vectors: the dot products and the outer Adam step.
        let mut state: [f32; META_STATE] =
            state0[a * META_STATE..][..META_STATE].try_into().unwrap();
        for h in HYPERS {
            let d = &directions0[(a * DIRECTIONS + 1 + h.index()) * p..][..p];
            let twin_grad = mg::meta_gradient(&net, gpu_v, d);
            let gpu_grad = state1[a * META_STATE + h.index() * META_SLOT + SLOT_GRAD];
            assert!(
                rel_close(gpu_grad, twin_grad, 1e-3),
                "agent {a} dJ/d{}: GPU {gpu_grad} vs twin {twin_grad}",
                h.name()
            );
            assert!(gpu_grad != 0.0, "agent {a}: dJ/d{} is 0", h.name());
            state[h.index() * META_SLOT + SLOT_GRAD] = gpu_grad;
        }
        let mut row = rows0[a * stride..(a + 1) * stride].to_vec();
        let mut states = [state];
        mg::outer_adam(&m, &mut states, &mut [&mut row[..]]);
        for h in HYPERS {
            let k = h.index() * META_SLOT + SLOT_T;
            let (g, t) = (state1[a * META_STATE + k], states[0][k]);
            assert!(
                close(g, t, 1e-5),
                "agent {a} t of {}: GPU {g} vs twin {t}",
                h.name()
            );
            // A first Adam step moves t by the outer learning rate.
            assert!(
                close(g.abs(), m.lr, 1e-3),
                "agent {a}: t of {} is {g}",
                h.name()
            );
            let slot = a * stride + h.row_slot();
            assert!(
                close(rows1[slot], row[h.row_slot()], 1e-5),
                "agent {a} {}",
                h.name()
            );
        }
    }
}

/// d J(theta') / d eta by central differences, theta' from `inner(row)`.
fn central_difference(
    h: Hyper,
    row: &[f32],
    eps: f32,
    mut j_after: impl FnMut(&[f32]) -> f64,
) -> f32 {
    let shifted = |d: f32| {
        let mut r = row.to_vec();
        r[h.row_slot()] += d;
        r
    };
    ((j_after(&shifted(eps)) - j_after(&shifted(-eps))) / (2.0 * eps as f64)) as f32
}

fn assert_matches_finite_differences(h: Hyper, analytic: f32, numeric: f32, tol: f32) {
    assert!(
        numeric.abs() > 1e-6,
        "dJ/d{}: the finite difference {numeric} is too small to test",
        h.name()
    );
    assert!(
        rel_close(analytic, numeric, tol),
        "dJ/d{}: meta-gradient {analytic} vs finite differences {numeric}",
        h.name()
    );
}

const FD_STEPS: [(Hyper, f32); 4] = [
    (Hyper::Gamma, 1e-3),
    (Hyper::GaeLambda, 1e-3),
    (Hyper::EntCoef, 5e-2), // theta' is linear in it: a wide step costs nothing
    (Hyper::Lr, 3e-2),      // and in this
];

#[test]
fn twin_meta_gradient_matches_finite_differences_of_the_inner_update() {
    let mut c = config(HYPERS.to_vec());
    c.lr = 0.3; // a long inner step: J moves measurably
    let mut trainer = Trainer::new(&gpu(), make(ENV).unwrap(), 1, c.clone()).unwrap();
    let net = trainer.net().clone();
    let w = trainer.weights().unwrap();
    let row = trainer.objective_rows().unwrap();
    trainer.update().unwrap();
    let train = records_of(&trainer);
    trainer.update().unwrap();
    let validation = records_of(&trainer);
    let train_batches = mg::first_epoch_minibatches(&c, Streams::default(), 0, 0);
    let validation = Validation::new(&c, validation, &row, 1);
    let val_data = validation.data();
    // theta'(row) and the data it was computed from.
    let inner = |row: &[f32]| {
        let mut traj = train.traj.clone();
        let tangents = mg::advantages_and_tangents(&c, &mut traj, &train.env_stats, row, false);
        let data = AgentData {
            records: Records {
                traj: &traj,
                obs: &train.obs,
                actions: &train.actions,
            },
            tangents: &tangents,
            minibatches: &train_batches,
        };
        let after = mg::inner_step(&c, &net, row, &w, &data, 1.0);
        (after, mg::directions(&c, &net, row, &w, &data, 1.0))
    };
    let (after, directions) = inner(&row);
    let v = mg::validation_gradient(&c, &net, &row, &after, &val_data);
    for (h, eps) in FD_STEPS {
        let analytic = mg::meta_gradient(&net, &v, &directions[h.index()]);
        let numeric = central_difference(h, &row, eps, |r| {
            mg::validation_objective(&c, &net, &row, &inner(r).0, &val_data)
        });
        assert_matches_finite_differences(h, analytic, numeric, 0.03);
    }
}

/// With SGD, one minibatch and one epoch, the GPU's own update is exactly the inner step
/// the meta-gradient differentiates: check its meta-gradient against finite differences
/// of that update (the weights the GPU computes at eta +- eps), J evaluated by the twin on
/// the rollout that follows.
#[test]
fn gpu_meta_gradient_matches_finite_differences_of_its_inner_update() {
    let mut c = config(HYPERS.to_vec());
    c.optimizer = Optimizer::Sgd;
    c.algo = Algo::A2c;
    c.epochs = 1;
    c.minibatches = 1;
    c.max_grad_norm = 0.0;
    c.anneal_lr = false;
    c.lr = 0.3;
    let env = make(ENV).unwrap();
    let mut trainer = Trainer::new(&gpu(), env.clone(), 1, c.clone()).unwrap();
    let net = trainer.net().clone();
    let row = trainer.objective_rows().unwrap();
    trainer.update().unwrap();
    trainer.update().unwrap();
    let validation = records_of(&trainer);
    let state = trainer.meta_state().unwrap();
    let validation = Validation::new(&c, validation, &row, 1);
    let val_data = validation.data();
    for (h, eps) in FD_STEPS {
        let analytic = state[h.index() * META_SLOT + SLOT_GRAD];
        let numeric = central_difference(h, &row, eps, |r| {
            let mut shifted = Trainer::new(&gpu(), env.clone(), 1, c.clone()).unwrap();
            shifted.set_objective(r).unwrap();
            shifted.update().unwrap();
            let after = shifted.weights().unwrap();
            mg::validation_objective(&c, &net, &row, &after, &val_data)
        });
        assert_matches_finite_differences(h, analytic, numeric, 0.05);
    }
}

/// Mean reward per step over every agent of the last `last` updates, and the mean tuned
/// entropy weight at the end.
fn bandit_run(c: &TrainConfig, last: usize) -> (f32, f32) {
    let env = make("BernoulliBandit-misc").unwrap();
    let mut t = Trainer::new(&gpu(), env, 4, c.clone()).unwrap();
    let mut rewards = Vec::new();
    for _ in 0..c.updates {
        t.update().unwrap();
        let s = t.stats().unwrap();
        rewards.push(s.iter().map(|s| s.reward_per_step).sum::<f32>() / s.len() as f32);
    }
    let tail = &rewards[rewards.len() - last..];
    let rows = t.objective_rows().unwrap();
    let stride = t.objective().stride();
    let ent = rows
        .chunks(stride)
        .map(|r| r[Hyper::EntCoef.row_slot()])
        .sum::<f32>()
        / 4.0;
    (tail.iter().sum::<f32>() / last as f32, ent)
}

/// BernoulliBandit-misc (arms paying with probability 0.9 and 0.1; random play earns 0.5
/// per step) from a bad start: an entropy weight of 0.3 keeps the policy near uniform. The
/// online meta-gradient lowers it within the run and earns far more than the same start
/// left fixed.
#[test]
fn online_meta_gradient_rescues_a_bad_entropy_weight() {
    let mut c = TrainConfig::for_env("BernoulliBandit-misc");
    c.envs = 64;
    c.steps = 100;
    c.updates = 30;
    c.lr = 1e-2;
    c.ent_coef = 0.3;
    c.network.hidden = vec![16, 16];
    let (fixed, fixed_ent) = bandit_run(&c, 5);
    assert_eq!(fixed_ent, 0.3);
    c.meta_gradient = Some(MetaGradient {
        learn: vec![Hyper::EntCoef],
        lr: 0.1,
        ..MetaGradient::default()
    });
    let (tuned, tuned_ent) = bandit_run(&c, 5);
    assert!(
        tuned_ent < 0.1,
        "the entropy weight went from 0.3 to {tuned_ent} only"
    );
    assert!(
        tuned > fixed + 0.08 && tuned > 0.7,
        "reward per step: tuned {tuned} vs fixed {fixed}"
    );
}

#[test]
fn a_meta_gradient_run_resumes_bit_identically() {
    let c = config(HYPERS.to_vec());
    let env = make(ENV).unwrap();
    let mut straight = Trainer::new(&gpu(), env.clone(), 2, c.clone()).unwrap();
    let mut resumed = Trainer::new(&gpu(), env, 2, c.clone()).unwrap();
    for _ in 0..3 {
        straight.update().unwrap();
        resumed.update().unwrap();
    }
    let snapshot = resumed.snapshot().unwrap();
    assert!(snapshot
        .section("meta_state")
        .is_some_and(|s| !s.is_empty()));
    let mut fresh = Trainer::new(&gpu(), make(ENV).unwrap(), 2, c.clone()).unwrap();
    fresh.restore(&snapshot).unwrap();
    for _ in 0..2 {
        straight.update().unwrap();
        fresh.update().unwrap();
    }
    assert_eq!(straight.weights().unwrap(), fresh.weights().unwrap());
    assert_eq!(straight.meta_state().unwrap(), fresh.meta_state().unwrap());
    assert_eq!(
        straight.objective_rows().unwrap(),
        fresh.objective_rows().unwrap()
    );
}

#[test]
fn bad_meta_gradient_configs_are_clear_errors() {
    let cases = [
        ("learn = []", "meta_gradient.learn"),
        ("learn = [\"gamma\", \"gamma\"]", "named twice"),
        ("learn = [\"clip\"]", "unknown variant"),
        ("lr = 0.0", "meta_gradient.lr"),
        ("beta1 = 1.0", "meta_gradient.beta1"),
        ("reference_gamma = 1.5", "meta_gradient.reference_gamma"),
        ("max_log_scale = -1.0", "meta_gradient.max_log_scale"),
        ("step = 3", "unknown field"),
    ];
    for (line, expected) in cases {
        let learn = if line.starts_with("learn") {
            ""
        } else {
            "learn = [\"gamma\"]\n"
        };
        let text = format!("[meta_gradient]\n{learn}{line}\n");
        let err = TrainConfig::from_toml(ENV, &text).unwrap_err().to_string();
        assert!(err.contains(expected), "{line}: {err}");
    }
    let good = TrainConfig::from_toml(ENV, "[meta_gradient]\nlearn = [\"ent_coef\"]\n").unwrap();
    assert_eq!(good.meta_gradient.unwrap().learn, vec![Hyper::EntCoef]);
}

/// Why LPO's drift is not a meta-parameter here: at the inner update's start (ratio 1) the
/// inner gradient does not depend on the drift weights at all, so the one-step
/// meta-gradient with respect to them is exactly 0.
#[test]
fn the_inner_gradient_at_ratio_one_ignores_the_drift() {
    let c = config(HYPERS.to_vec());
    let mut trainer = Trainer::new(&gpu(), make(ENV).unwrap(), 1, c.clone()).unwrap();
    let net = trainer.net().clone();
    let w = trainer.weights().unwrap();
    trainer.update().unwrap();
    let r = records_of(&trainer);
    let shape = Objective { drift_hidden: 4 };
    let rows = mg::first_epoch_minibatches(&c, Streams::default(), 0, 0);
    let records = Records {
        traj: &r.traj,
        obs: &r.obs,
        actions: &r.actions,
    };
    let gradient = |scale: f32| {
        let mut row = shape.row(&c);
        for (k, x) in row[wgym::learn::objective::HYPER..].iter_mut().enumerate() {
            *x = scale * ((k % 7) as f32 - 3.0);
        }
        wgym::learn::twin::minibatch_gradient(&c, (&shape, &row), &net, &w, records, &rows[0])
    };
    let (zero, some, more) = (gradient(0.0), gradient(0.5), gradient(-2.0));
    assert!(zero.iter().any(|g| *g != 0.0));
    assert_eq!(zero, some, "the drift changed the gradient at ratio 1");
    assert_eq!(zero, more, "the drift changed the gradient at ratio 1");
}

/// LPO's drift by forward gradients through the second inner step. With SGD, one epoch
/// of two minibatches, the GPU's update is exactly the model theta'' = theta' - alpha grad
/// L(theta'; eta), theta' = theta - alpha grad L(theta) (no drift at ratio 1): the drift
/// pass, the dot product and the outer step against the twin, and d J / d eta . u against
/// central differences of the GPU's own update along u.
#[test]
fn drift_meta_gradient_matches_the_twin_and_finite_differences() {
    let mut c = config(vec![]);
    c.optimizer = Optimizer::Sgd;
    c.epochs = 1;
    c.minibatches = 2;
    c.max_grad_norm = 0.0;
    c.anneal_lr = false;
    c.lr = 0.3;
    let m = MetaGradient {
        learn: vec![],
        drift: true,
        ..MetaGradient::default()
    };
    c.meta_gradient = Some(m.clone());
    let shape = Objective { drift_hidden: 2 };
    let n = shape.drift_params();
    let mut row = shape.row(&c);
    for i in 0..n {
        row[wgym::learn::objective::HYPER + i] =
            0.3 * wgym::rng::normal(wgym::rng::key(77), 2 * i as u32);
    }
    let env = make(ENV).unwrap();
    let trainer_with = |row: &[f32]| {
        let options = wgym::learn::TrainerOptions {
            objective: shape,
            ..Default::default()
        };
        let mut t = Trainer::with_options(&gpu(), env.clone(), 1, c.clone(), options).unwrap();
        t.set_objective(row).unwrap();
        t
    };
    let mut trainer = trainer_with(&row);
    let net = trainer.net().clone();
    let p = net.params() as usize;
    let w0 = trainer.weights().unwrap();
    trainer.update().unwrap();
    let r0 = records_of(&trainer);
    let u = mg::drift_direction(c.seed, 0, 0, n);
    let gpu_u = trainer.drift_state().unwrap()[..n].to_vec();
    assert_close_vectors("u", &gpu_u, &u, 1e-5);
    let records0 = Records {
        traj: &r0.traj,
        obs: &r0.obs,
        actions: &r0.actions,
    };
    let batches = mg::first_epoch_minibatches(&c, Streams::default(), 0, 0);
    let g1 =
        wgym::learn::twin::minibatch_gradient(&c, (&shape, &row), &net, &w0, records0, &batches[0]);
    let w1: Vec<f32> = w0.iter().zip(&g1).map(|(w, g)| w - c.lr * g).collect();
    let twin_d =
        mg::drift_meta_direction(&c, &net, &shape, &row, &u, &w1, records0, &batches[1], 0);
    let directions = trainer.meta_directions().unwrap();
    let gpu_d = &directions[(1 + mg::DRIFT) * p..][..p];
    assert_close_vectors(
        "d theta''/d eta . u",
        &actor_part(&trainer, gpu_d),
        &actor_part(&trainer, &twin_d),
        5e-3,
    );

    trainer.update().unwrap();
    let validation = records_of(&trainer);
    let state = trainer.meta_state().unwrap();
    let along = state[mg::DRIFT * META_SLOT + SLOT_GRAD];
    let v = &trainer.meta_directions().unwrap()[..p];
    let twin_along = mg::meta_gradient(&net, v, gpu_d);
    assert!(
        rel_close(along, twin_along, 1e-3),
        "dJ/deta.u: GPU {along} vs twin {twin_along}"
    );
    let mut drift_states = vec![[gpu_u.clone(), vec![0.0; 2 * n]].concat()];
    let mut twin_row = row.clone();
    mg::outer_drift(
        &m,
        &[along],
        &mut drift_states,
        1.0,
        &mut [&mut twin_row[..]],
    );
    let rows1 = trainer.objective_rows().unwrap();
    assert_close_vectors(
        "drift weights after the outer step",
        &rows1,
        &twin_row,
        1e-5,
    );
    assert_ne!(rows1, row, "the outer step moved the drift");

    let validation = Validation::new(&c, validation, &row, 1);
    let val_data = validation.data();
    // Small enough that no sample's relu gate flips between the two runs: the inner
    // gradient jumps where one does (at 1e-2 the differences are off by 2.6x).
    let eps = 1e-3f32;
    let j_along = |sign: f32| {
        let mut r = row.clone();
        for i in 0..n {
            r[wgym::learn::objective::HYPER + i] += sign * eps * u[i];
        }
        let mut shifted = trainer_with(&r);
        shifted.update().unwrap();
        mg::validation_objective(&c, &net, &row, &shifted.weights().unwrap(), &val_data)
    };
    let numeric = ((j_along(1.0) - j_along(-1.0)) / (2.0 * eps as f64)) as f32;
    assert_matches_finite_differences_along_u(along, numeric);
}

fn assert_matches_finite_differences_along_u(analytic: f32, numeric: f32) {
    assert!(
        numeric.abs() > 1e-6,
        "dJ/deta.u: {numeric} is too small to test"
    );
    assert!(
        rel_close(analytic, numeric, 0.05),
        "dJ/deta.u: meta-gradient {analytic} vs finite differences {numeric}"
    );
}
