//! The bandit baselines (Thompson sampling, UCB1, uniform random): GPU against twin bit for
//! bit, their regret order on the env's own uniform 5-arm tasks, and bad inputs.

mod common;

use common::gpu;
use wgym::env::EnvKernel;
use wgym::envs::bandit::Bandit;
use wgym::learn::baselines::{self, BanditTasks, ALGORITHMS, MAX_PULLS};
use wgym::rng;

/// `n` tasks drawn by the K-armed Bernoulli bandit's own task sampling (uniform arms).
fn tasks<const K: usize>(n: u32, seed: u32) -> BanditTasks {
    let env = Bandit::<K>::bernoulli();
    let base = env.default_params();
    let params: Vec<_> = (0..n)
        .map(|i| env.sample_params(rng::fold(rng::key(seed), i), &base))
        .collect();
    BanditTasks::from_params(&params).unwrap()
}

#[test]
fn gpu_regrets_equal_the_twin() {
    // 130 pulls: two dispatches on CPU adapters.
    for (t, pulls) in [(tasks::<5>(70, 1), 130), (tasks::<10>(40, 2), 100)] {
        let gpu_regrets = baselines::regrets_gpu(&gpu(), &t, pulls, 9).unwrap();
        let twin_regrets = baselines::regrets_twin(&t, pulls, 9).unwrap();
        for (name, (g, c)) in ALGORITHMS.iter().zip(gpu_regrets.iter().zip(&twin_regrets)) {
            assert_eq!(g, c, "{name}, {} arms", t.arms);
            assert!(c.iter().any(|&r| r > 0.0), "{name} has no regret");
        }
    }
}

#[test]
fn thompson_beats_ucb1_beats_random_on_five_arms() {
    let t = tasks::<5>(400, 3);
    let regrets = baselines::regrets_gpu(&gpu(), &t, 100, 4).unwrap();
    let [thompson, ucb1, random] = regrets.map(|r| baselines::mean_and_se(&r));
    eprintln!("regret per 100-pull trial: thompson {thompson:?}, ucb1 {ucb1:?}, random {random:?}");
    // Separated by several standard errors.
    let apart = |a: (f64, f64), b: (f64, f64)| b.0 - a.0 > 3.0 * (a.1 + b.1);
    assert!(
        apart(thompson, ucb1),
        "thompson {thompson:?} vs ucb1 {ucb1:?}"
    );
    assert!(apart(ucb1, random), "ucb1 {ucb1:?} vs random {random:?}");
    // Random play's expected regret is 100 (E[max of 5 uniforms] - 1/2) = 33.3.
    assert!(
        (random.0 - 100.0 / 3.0).abs() < 4.0 * random.1,
        "random {random:?}"
    );
}

#[test]
fn bad_inputs_are_clear_errors() {
    for (arms, probs) in [
        (0, vec![0.5]),
        (17, vec![0.5; 17]),
        (2, vec![0.5; 3]),
        (2, vec![0.5, 1.5]),
        (2, vec![]),
    ] {
        let e = BanditTasks::new(arms, probs).unwrap_err().to_string();
        assert!(e.contains("bandit tasks"), "{e}");
    }
    let env = Bandit::<5>::bernoulli();
    let undrawn = env.default_params();
    let e = BanditTasks::from_params(&[undrawn])
        .unwrap_err()
        .to_string();
    assert!(e.contains("task = fixed"), "{e}");
    let t = tasks::<5>(2, 0);
    for pulls in [0, MAX_PULLS + 1] {
        let e = baselines::regrets_gpu(&gpu(), &t, pulls, 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("pulls"), "{e}");
        let e = baselines::regrets_twin(&t, pulls, 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("pulls"), "{e}");
    }
}
