//! Evolution strategies: the GPU kernels against their CPU twin, each strategy reaching a
//! stated threshold on the benchmark functions within a fixed budget, determinism, and
//! bad input.

mod common;

use common::gpu;
use wgym::es::{Es, EsConfig, EsState, EsTwin, Problem, ProblemEvaluator, Strategy};

const STRATEGIES: [Strategy; 3] = [Strategy::OpenaiEs, Strategy::Snes, Strategy::CmaEs];

fn config(strategy: Strategy, population: u32, seed: u32) -> EsConfig {
    EsConfig {
        population,
        seed,
        ..EsConfig::for_strategy(strategy)
    }
}

fn close(what: &str, gpu: &[f32], twin: &[f32], tolerance: f32) {
    assert_eq!(gpu.len(), twin.len(), "{what}: lengths");
    for (i, (g, t)) in gpu.iter().zip(twin).enumerate() {
        let bound = tolerance * (1.0 + t.abs());
        assert!(
            g == t || (g - t).abs() <= bound,
            "{what}[{i}]: gpu {g} vs twin {t}"
        );
    }
}

fn assert_state_close(what: &str, gpu: &EsState, twin: &EsState, tolerance: f32) {
    close(&format!("{what}: mean"), &gpu.mean, &twin.mean, tolerance);
    close(
        &format!("{what}: sigma"),
        &gpu.sigma,
        &twin.sigma,
        tolerance,
    );
    close(
        &format!("{what}: moments"),
        &gpu.moments,
        &twin.moments,
        tolerance,
    );
    close(&format!("{what}: best"), &gpu.best, &twin.best, tolerance);
    close(
        &format!("{what}: scalars"),
        &gpu.scalars,
        &twin.scalars,
        tolerance,
    );
}

/// Teacher-forced: each generation starts the GPU from the twin's state, so differences in
/// log/cos/exp do not compound. Odd dim (the last dimension pair is half empty), both
/// sampling modes.
#[test]
fn gpu_generations_match_the_twin() {
    let dim = 13;
    let start: Vec<f32> = (0..dim).map(|d| 0.3 * d as f32 - 1.5).collect();
    for strategy in STRATEGIES {
        for antithetic in [true, false] {
            let c = EsConfig {
                antithetic,
                ..config(strategy, 12, 5)
            };
            let what = format!("{} antithetic={antithetic}", strategy.name());
            let mut es = Es::new(&gpu(), c.clone(), &start).unwrap();
            let evaluator = ProblemEvaluator::new(&es, Problem::Rosenbrock).unwrap();
            let mut twin = EsTwin::new(c, &start);
            for g in 0..6 {
                es.restore(&twin.state, twin.generation).unwrap();
                let population = twin.ask();
                let fitness: Vec<f32> = population
                    .chunks(dim)
                    .map(|x| -Problem::Rosenbrock.value(x))
                    .collect();
                es.ask().unwrap();
                close(
                    &format!("{what} gen {g}: population"),
                    &es.population().unwrap(),
                    &population,
                    1e-5,
                );
                es.submit("evaluate", &evaluator.dispatches()).unwrap();
                // The twin's fitness, so both rank the same values.
                es.set_fitness(&fitness).unwrap();
                es.tell().unwrap();
                twin.tell(&population, &fitness);
                assert_state_close(
                    &format!("{what} gen {g}"),
                    &es.state().unwrap(),
                    &twin.state,
                    1e-4,
                );
            }
        }
    }
}

/// The problem kernels against their twins.
#[test]
fn problem_kernels_match_their_twins() {
    let dim = 70; // more than one stride of the 64-lane sum
    for problem in Problem::ALL {
        let c = config(Strategy::Snes, 8, 1);
        let mut es = Es::new(&gpu(), c, &vec![0.7; dim]).unwrap();
        let evaluator = ProblemEvaluator::new(&es, problem).unwrap();
        es.ask().unwrap();
        es.submit("evaluate", &evaluator.dispatches()).unwrap();
        let population = es.population().unwrap();
        let twin: Vec<f32> = population.chunks(dim).map(|x| -problem.value(x)).collect();
        let fitness = es.fitness().unwrap();
        close(problem.name(), &fitness, &twin, 1e-5);
    }
}

/// f of the mean after `generations` generations on the GPU.
fn solve(c: EsConfig, problem: Problem, start: &[f32], generations: u32) -> f32 {
    let mut es = Es::new(&gpu(), c, start).unwrap();
    let evaluator = ProblemEvaluator::new(&es, problem).unwrap();
    es.run(generations, &evaluator.dispatches()).unwrap();
    problem.value(&es.mean().unwrap())
}

/// Sphere in 10 dims from x = 3 (f = 90): every strategy below 1e-3 in 200 generations of 32.
#[test]
fn every_strategy_solves_the_sphere() {
    for strategy in STRATEGIES {
        let c = EsConfig {
            sigma_init: if strategy == Strategy::OpenaiEs {
                0.1
            } else {
                1.0
            },
            ..config(strategy, 32, 3)
        };
        let f = solve(c, Problem::Sphere, &[3.0; 10], 200);
        assert!(
            f < 1e-3,
            "{}: sphere {f} after 200 generations (start 90)",
            strategy.name()
        );
    }
}

/// Rosenbrock in 5 dims from x = -1 (f = 1616): every strategy below 1 (into the valley
/// near the optimum) in 600 generations of 32.
#[test]
fn every_strategy_descends_rosenbrock() {
    for strategy in STRATEGIES {
        let c = EsConfig {
            sigma_init: if strategy == Strategy::OpenaiEs {
                0.05
            } else {
                1.0
            },
            lr: if strategy == Strategy::OpenaiEs {
                0.02
            } else {
                1.0
            },
            ..config(strategy, 32, 4)
        };
        let f = solve(c, Problem::Rosenbrock, &[-1.0; 5], 600);
        assert!(
            f < 1.0,
            "{}: Rosenbrock {f} after 600 generations (start 1616)",
            strategy.name()
        );
    }
}

/// Rastrigin in 10 dims from x = 3, a local minimum (f = 90): every strategy below 10 in
/// 600 generations of 64. OpenAI-ES needs a wide search that narrows (sigma 1 decaying).
#[test]
fn every_strategy_escapes_rastrigin_local_minima() {
    for strategy in STRATEGIES {
        let mut c = EsConfig {
            sigma_init: 1.0,
            ..config(strategy, 64, 2)
        };
        if strategy == Strategy::OpenaiEs {
            c.sigma_decay = 0.995;
            c.sigma_limit = 0.01;
        }
        let f = solve(c, Problem::Rastrigin, &[3.0; 10], 600);
        assert!(
            f < 10.0,
            "{}: Rastrigin {f} after 600 generations (start 90)",
            strategy.name()
        );
    }
}

/// Same seed: identical bytes, whether generations go one submission each or many at once.
#[test]
fn searches_are_deterministic() {
    for strategy in STRATEGIES {
        let c = config(strategy, 16, 9);
        let run = |batched: bool| {
            let mut es = Es::new(&gpu(), c.clone(), &[2.0; 9]).unwrap();
            let evaluator = ProblemEvaluator::new(&es, Problem::Rastrigin).unwrap();
            if batched {
                es.run(40, &evaluator.dispatches()).unwrap();
            } else {
                for _ in 0..40 {
                    es.run(1, &evaluator.dispatches()).unwrap();
                }
            }
            es.state().unwrap()
        };
        assert_eq!(run(true), run(false), "{}", strategy.name());
        let other = Es::new(
            &gpu(),
            EsConfig {
                seed: 10,
                ..c.clone()
            },
            &[2.0; 9],
        )
        .unwrap();
        let mut other = other;
        let evaluator = ProblemEvaluator::new(&other, Problem::Rastrigin).unwrap();
        other.run(40, &evaluator.dispatches()).unwrap();
        assert_ne!(other.state().unwrap().mean, run(true).mean, "seeds differ");
    }
}

/// A member whose fitness is NaN ranks last, on the GPU as in the twin, and never becomes
/// the best.
#[test]
fn nan_fitness_ranks_last() {
    let c = config(Strategy::OpenaiEs, 8, 0);
    let start = [0.5f32; 4];
    let mut es = Es::new(&gpu(), c.clone(), &start).unwrap();
    let mut twin = EsTwin::new(c, &start);
    let population = twin.ask();
    let mut fitness: Vec<f32> = population
        .chunks(4)
        .map(|x| -Problem::Sphere.value(x))
        .collect();
    fitness[3] = f32::NAN;
    fitness[5] = f32::INFINITY;
    es.ask().unwrap();
    es.set_fitness(&fitness).unwrap();
    es.tell().unwrap();
    twin.tell(&population, &fitness);
    let state = es.state().unwrap();
    assert_state_close("NaN fitness", &state, &twin.state, 1e-5);
    assert!(state.mean.iter().all(|v| v.is_finite()));
    assert_eq!(
        es.stats().unwrap().best,
        f32::INFINITY,
        "the +inf member is the fittest"
    );
}

#[test]
fn bad_configs_are_errors() {
    let cases: Vec<(EsConfig, u32, &str)> = vec![
        (config(Strategy::OpenaiEs, 7, 0), 4, "even"),
        (config(Strategy::Snes, 1, 0), 4, "at least 2"),
        (
            EsConfig {
                sigma_init: 0.0,
                ..config(Strategy::Snes, 8, 0)
            },
            4,
            "sigma_init",
        ),
        (
            EsConfig {
                lr: f32::NAN,
                ..config(Strategy::OpenaiEs, 8, 0)
            },
            4,
            "lr",
        ),
        (
            EsConfig {
                adam_beta1: 1.0,
                ..config(Strategy::OpenaiEs, 8, 0)
            },
            4,
            "adam_beta1",
        ),
        (
            EsConfig {
                elite_ratio: 0.0,
                ..config(Strategy::CmaEs, 8, 0)
            },
            4,
            "elite_ratio",
        ),
        (
            EsConfig {
                weight_decay: -1.0,
                ..config(Strategy::OpenaiEs, 8, 0)
            },
            4,
            "weight_decay",
        ),
        (config(Strategy::CmaEs, 8, 0), 0, "at least one parameter"),
    ];
    for (c, dim, expected) in cases {
        let err = Es::new(&gpu(), c, &vec![0.0; dim as usize])
            .err()
            .expect("an error");
        assert!(
            err.to_string().contains(expected),
            "{err} (expected {expected:?})"
        );
    }
    let es = Es::new(&gpu(), config(Strategy::CmaEs, 8, 0), &[0.0; 4]);
    let mut es = es.unwrap();
    let wrong = EsState::initial(&config(Strategy::CmaEs, 8, 0), &[0.0; 5]);
    let err = es
        .restore(&wrong, 3)
        .expect_err("a state of the wrong size");
    assert!(err.to_string().contains("does not fit"), "{err}");
    let err = "hill_climb".parse::<Strategy>().err().unwrap();
    assert!(err.to_string().contains("openai_es"), "{err}");
    let err = "ackley".parse::<Problem>().err().unwrap();
    assert!(err.to_string().contains("rastrigin"), "{err}");
}

/// Neuroevolution: OpenAI-ES on a FourRooms policy's weights (fitness: reward per step of
/// a rollout) triples the reward per step of its initial policy within 60 generations.
#[test]
fn neuroevolution_improves_a_four_rooms_policy() {
    use wgym::es::policy::PolicyFitness;
    let env = wgym::make("FourRooms-misc").unwrap();
    let mut policy = wgym::learn::TrainConfig::for_env("FourRooms-misc");
    policy.envs = 16;
    policy.steps = 128;
    policy.network.hidden = vec![32];
    let spec = env.spec();
    let net = wgym::learn::PolicyNet::new(
        spec.obs_dim,
        spec.num_actions,
        &[32],
        policy.network.activation,
    )
    .unwrap();
    let start = PolicyFitness::initial_weights(&net, 0);
    let mut es = Es::new(&gpu(), config(Strategy::OpenaiEs, 64, 0), &start).unwrap();
    let mut fitness = PolicyFitness::new(&gpu(), env, policy, &es).unwrap();
    let initial = fitness
        .evaluate_weights(
            &wgym::buffer::GpuBuffer::from_slice(&gpu(), "start", &start.repeat(64))
                .unwrap()
                .buffer,
        )
        .unwrap();
    for _ in 0..60 {
        es.ask().unwrap();
        fitness.evaluate(&es).unwrap();
        es.tell().unwrap();
    }
    let mean = es.mean().unwrap();
    let rows = wgym::buffer::GpuBuffer::from_slice(&gpu(), "mean", &mean.repeat(64)).unwrap();
    let evolved = fitness.evaluate_weights(&rows.buffer).unwrap();
    assert!(
        evolved > 3.0 * initial && evolved > 0.01,
        "reward per step: initial policy {initial}, evolved {evolved}"
    );
}
